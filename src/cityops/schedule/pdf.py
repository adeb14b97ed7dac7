"""The weekly schedule as a server-generated PDF: what an office files or posts next to the portal page.

A landscape A4 table grouped by day and session, with the published revision ("adjusted N times") and the
time of the last change, so a printed copy says which version it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cityops.core.pdf import PdfReport
from cityops.schedule.choices import EventStatus, Session

__all__ = ["week_pdf"]

_SESSION_ORDER = [Session.MORNING, Session.AFTERNOON, Session.EVENING]


def _who(event: Any) -> str:
    people = [str(p) for p in event.participants.all()]
    agencies = [str(a) for a in event.participating_agencies.all()]
    return "; ".join([*people, *agencies])


def week_pdf(*, title: str, organization: Any, monday: date, events: Sequence[Any], summary: dict[str, Any]) -> bytes:
    """Render the week's ``events`` (already scoped by the caller) as a PDF table by day and session."""
    sunday = monday + timedelta(days=6)
    subtitle = _("Week from %(start)s to %(end)s") % {"start": f"{monday:%d/%m/%Y}", "end": f"{sunday:%d/%m/%Y}"}
    report = PdfReport(title=title, subtitle=subtitle, landscape=True, issuer=str(organization or ""))
    facts: list[tuple[str, str]] = []
    if summary.get("adjustments"):
        facts.append((_("Adjustments"), _("Adjusted %(n)d times") % {"n": summary["adjustments"]}))
    if summary.get("added") or summary.get("changed") or summary.get("cancelled"):
        facts.append(
            (
                _("Since the first publication"),
                _("%(added)d new, %(changed)d changed, %(cancelled)d cancelled")
                % {"added": summary["added"], "changed": summary["changed"], "cancelled": summary["cancelled"]},
            )
        )
    if summary.get("last_changed"):
        facts.append((_("Last updated:"), timezone.localtime(summary["last_changed"]).strftime("%H:%M %d/%m/%Y")))
    if facts:
        report.facts(facts)
    rows: list[list[str]] = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        day_label = f"{date_format(day, 'l')} {day:%d/%m/%Y}"
        first_of_day = True
        for session in _SESSION_ORDER:
            for event in [e for e in events if e.day == day and e.session == session]:
                start = timezone.localtime(event.start)
                end = timezone.localtime(event.end)
                content = event.content
                if event.status == EventStatus.CANCELLED:
                    content = f"[{_('Cancelled')}] {content}"
                elif getattr(event, "change", "") == "added":
                    content = f"[{_('New')}] {content}"
                elif getattr(event, "change", "") == "changed":
                    content = f"[{_('Changed')}] {content}"
                if event.revision > 1:
                    content += " (" + _("revision %(n)d") % {"n": event.revision} + ")"
                if event.accompanying_staff:
                    content += "\n" + _("Accompanying: %(staff)s") % {"staff": event.accompanying_staff}
                place = ", ".join(part for part in [str(event.room or ""), event.location] if part)
                rows.append([
                    day_label if first_of_day else "", str(Session(session).label), f"{start:%H:%M}–{end:%H:%M}",
                    content, place, str(event.leader), _who(event), str(event.preparing_agency or ""),
                ])  # fmt: skip
                first_of_day = False
    report.table(
        [_("Day"), _("Session"), _("Time"), _("Content"), _("Location"), _("Presiding"), _("Participants"),
         _("Preparing agency")],
        rows, widths=(28, 18, 20, 78, 33, 30, 38, 22), empty_text=_("No items."),
    )  # fmt: skip
    return report.output()
