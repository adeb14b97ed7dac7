"""Downloads of the dashboard: any table as XLSX, and the daily situation report as PDF for leaders."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook

from cityops.core.downloads import content_disposition
from cityops.core.exports import spreadsheet_cell
from cityops.core.pdf import PdfReport
from cityops.dashboard import registry, selectors

__all__ = ["Sheet", "situation_report", "xlsx_response"]

Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).replace(tzinfo=None)
    if value is None or isinstance(value, int | float | dt.date):
        return value
    return spreadsheet_cell(str(value))


def xlsx_response(filename: str, sheets: Sequence[Sheet]) -> HttpResponse:
    """A workbook with one sheet per table; every text cell goes through ``spreadsheet_cell``."""
    workbook = Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31] or "Sheet")
        sheet.append([_cell(h) for h in headers])
        for row in rows:
            sheet.append([_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}".replace(",", " ").replace(".", ",")


def _incident_rows(user: Any) -> list[list[str]]:
    """Open incidents from whichever module registered an ``incidents`` map layer (none when absent)."""
    layer = registry.layer("incidents")
    if layer is None:
        return []
    try:
        features = layer.features(user, {"bbox": None})
    except Exception:  # another module's layer must not break the leaders' report
        return []
    rows = []
    for feature in features[:100]:
        props = feature.get("properties", {}) if isinstance(feature, dict) else {}
        rows.append([str(props.get("title", ""))[:200], str(props.get("status_label", props.get("status", ""))),
                     str(props.get("severity", ""))])  # fmt: skip
    return rows


def situation_report(*, user: Any, organization_name: str = "") -> bytes:
    """The daily situation report: headline indicators, new and overdue citizen reports, open incidents and
    sensor exceedances, as the leader who prints it may see them."""
    now = timezone.localtime()
    report = PdfReport(
        title=_("Daily situation report"),
        subtitle=_("As of %(when)s") % {"when": now.strftime("%H:%M %d/%m/%Y")},
        issuer=organization_name,
    )
    summary = selectors.feedback_summary(user=user)
    report.heading(_("Citizen reports"))
    report.facts(
        [
            (_("New today"), str(summary["new_today"])),
            (_("Open"), str(summary["open"])),
            (_("Overdue"), str(summary["overdue"])),
            (_("Waiting at the desk"), str(summary["at_desk"])),
        ]
    )
    from cityops.feedback import selectors as feedback_selectors

    overdue = feedback_selectors.request_list(actor=user, filters={"status": "overdue"})[:30]
    report.table(
        [_("Code"), _("Category"), _("Agency"), _("Deadline")],
        [
            [
                r.tracking_code,
                r.category.name,
                r.organization.name,
                timezone.localtime(r.deadline).strftime("%d/%m/%Y %H:%M") if r.deadline else "",
            ]
            for r in overdue
        ],  # fmt: skip
        widths=(30, 55, 60, 35),
        empty_text=_("No overdue citizen reports."),
    )
    report.heading(_("Headline indicators"))
    report.table(
        [_("Indicator"), _("Value"), pgettext("indicator", "Target"), _("Change")],
        [
            [h.name, f"{_number(h.value)} {h.unit}", f"{_number(h.target)} {h.unit}", _number(h.change)]
            for h in selectors.headlines()
        ],  # fmt: skip
        widths=(80, 35, 35, 30),
        empty_text=_("No headline indicators are set."),
    )
    report.heading(_("Domain scores"))
    report.table(
        [_("Domain"), _("Score"), _("Change"), _("Coverage")],
        [[t.label, _number(t.score), _number(t.change), f"{t.coverage_percent} %"] for t in selectors.domain_tiles()],
        widths=(70, 35, 35, 40),
    )
    report.heading(_("Open incidents"))
    report.table(
        [_("Incident"), _("Status"), _("Severity")],
        _incident_rows(user),
        widths=(100, 45, 35),
        empty_text=_("No open incidents."),
    )
    report.heading(_("Sensor readings over the limits (last 24 hours)"))
    report.table(
        [_("Sensor"), _("Measure"), _("Value"), _("Level"), _("Time")],
        [
            [
                row["sensor"],
                row["attribute"],
                _number(row["value"], 1),
                row["band"],
                timezone.localtime(row["observed_at"]).strftime("%d/%m %H:%M"),
            ]
            for row in selectors.sensor_exceedances(user=user)
        ],  # fmt: skip
        widths=(55, 30, 25, 40, 30),
        empty_text=_("No sensor over its limit."),
    )
    return report.output()
