"""Indicator values and domain scores (component 2), by the Giffinger method.

Each indicator's values for one period are standardised across administrative units as z-scores
(``(x - mean) / standard deviation``, sign flipped when lower is better); a unit's domain score is the
unweighted mean of its z-scores in that domain, shown with its coverage (indicators with a value ÷
indicators of the domain). Scores with coverage under ``MIN_COVERAGE`` are flagged, as smart-cities.eu does.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from cityops.core import audit
from cityops.core.choices import Domain, Role
from cityops.core.models import Organization
from cityops.core.permissions import policy_for, user_has_role
from cityops.core.text import nfc
from cityops.datahub import indicator_sources
from cityops.datahub.choices import AuditVerbs
from cityops.datahub.models import Dataset, DatasetRecord, IndicatorDefinition, IndicatorValue, Observation

__all__ = [
    "MIN_COVERAGE",
    "DomainScore",
    "domain_scores",
    "history_svg",
    "indicator_compute",
    "indicator_history",
    "indicator_value_review",
    "indicator_value_set",
    "latest_period",
]

MIN_COVERAGE = 0.75
VALUE_SETTERS = frozenset({Role.AGENCY_HEAD, Role.SPECIALIST, Role.ADMINISTRATOR})


@dataclass(frozen=True)
class DomainScore:
    area_id: int
    domain: str
    score: float | None
    coverage: float
    indicators: int

    @property
    def sufficient(self) -> bool:
        return self.coverage >= MIN_COVERAGE


def indicator_value_set(
    *, actor: Any, indicator: IndicatorDefinition, area: Organization, period_start: date, value: float
) -> IndicatorValue:
    """Manual entry for an administrative unit by staff of that unit (or above); it awaits approval.

    An approved value is not overwritten by a new entry silently: the new figure goes back to ``entered``
    and out of the scores until the head approves it again.
    """
    if not user_has_role(actor, VALUE_SETTERS, area):
        raise PermissionDenied(_("You may not enter indicator values for this unit."))
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise ValidationError({"value": _("Enter a number.")})
    with transaction.atomic():
        row = (
            IndicatorValue.objects.select_for_update()
            .filter(indicator=indicator, area=area, period_start=period_start)
            .first()
        )
        old = {"value": row.value, "status": row.status} if row is not None else None
        if row is None:
            row = IndicatorValue(indicator=indicator, area=area, period_start=period_start)
        row.value = float(value)
        row.status = IndicatorValue.Status.ENTERED
        row.entered_by = actor
        row.reviewed_by, row.reviewed_at, row.review_note = None, None, ""
        row.save()
        audit.record(
            verb=AuditVerbs.INDICATOR_VALUE_SET,
            actor=actor,
            target=row,
            organization=area,
            data={"old": old, "new": {"indicator": indicator.code, "period_start": period_start, "value": value}},
        )
    return row


def indicator_value_review(*, actor: Any, value: IndicatorValue, approve: bool, note: str = "") -> IndicatorValue:
    """The unit's agency head (or an administrator) approves an entered value or returns it with a note."""
    if not policy_for(IndicatorValue).can(actor, "approve", value):
        raise PermissionDenied(_("Only the unit's agency head or administrator may approve values."))
    note = nfc(note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("Say what needs correcting.")})
    with transaction.atomic():
        row = IndicatorValue.objects.select_for_update().get(pk=value.pk)
        if row.status != IndicatorValue.Status.ENTERED:
            raise ValidationError({"status": _("This value is not awaiting approval.")})
        if row.entered_by_id is not None and row.entered_by_id == getattr(actor, "pk", None) and approve:
            raise ValidationError({"status": _("A value is approved by someone other than the person who entered it.")})
        row.status = IndicatorValue.Status.APPROVED if approve else IndicatorValue.Status.RETURNED
        row.reviewed_by, row.reviewed_at, row.review_note = actor, timezone.now(), note
        row.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note", "updated_at"])
        audit.record(
            verb=AuditVerbs.INDICATOR_VALUE_APPROVED if approve else AuditVerbs.INDICATOR_VALUE_RETURNED,
            actor=actor,
            target=row,
            organization=row.area,
            data={"old": {"status": "entered"}, "new": {"status": row.status, "note": note}},
        )
    return row


def _store_computed(indicator: IndicatorDefinition, period_start: date, values: dict[int, float]) -> int:
    with transaction.atomic():
        for area_id, number in values.items():
            IndicatorValue.objects.update_or_create(
                indicator=indicator,
                area_id=area_id,
                period_start=period_start,
                defaults={"value": float(number), "status": IndicatorValue.Status.APPROVED},
            )
    return len(values)


def _dataset_field(formula: dict[str, Any], period_start: date, period_end: date) -> dict[int, float]:
    """An aggregate of one numeric field over the current version of a dataset, for the owner's unit.

    With ``date_field`` only rows whose date falls in the period count.
    """
    dataset_id = formula.get("dataset")
    dataset = Dataset.objects.filter(pk=dataset_id).first() if isinstance(dataset_id, int) else None
    if dataset is None or dataset.current_version_id is None:
        return {}
    name, aggregate, date_field = formula.get("field"), formula.get("aggregate", "mean"), formula.get("date_field")
    numbers: list[float] = []
    for data in DatasetRecord.objects.filter(version_id=dataset.current_version_id).values_list("data", flat=True):
        if date_field:
            day = str(data.get(date_field) or "")[:10]
            if not (period_start.isoformat() <= day < period_end.isoformat()):
                continue
        number = data.get(name)
        if isinstance(number, int | float) and not isinstance(number, bool) and math.isfinite(number):
            numbers.append(float(number))
    if aggregate == "count":
        return {dataset.organization_id: float(len(numbers))}
    if not numbers:
        return {}
    if aggregate == "sum":
        return {dataset.organization_id: math.fsum(numbers)}
    if aggregate == "latest":
        return {dataset.organization_id: numbers[-1]}
    return {dataset.organization_id: statistics.fmean(numbers)}


def indicator_compute(*, indicator: IndicatorDefinition, period_start: date, period_end: date) -> int:
    """Values of a computed indicator per unit for [start, end) local days; returns how many were stored.

    Formula kinds: ``observation_mean`` (sensors, per owning unit), ``dataset_field`` (a dataset's field)
    and ``module`` (a source another module registered in ``indicator_sources``).
    """
    formula = indicator.formula or {}
    kind = formula.get("kind")
    if indicator.source == IndicatorDefinition.Source.MANUAL or kind not in {
        "observation_mean",
        "dataset_field",
        "module",
    }:
        raise ValidationError(_("This indicator is not computed."))
    if kind == "dataset_field":
        return _store_computed(indicator, period_start, _dataset_field(formula, period_start, period_end))
    if kind == "module":
        source = indicator_sources.get(str(formula.get("source", "")))
        if source is None:
            raise ValidationError(_("No module offers the source %(key)s.") % {"key": formula.get("source")})
        return _store_computed(indicator, period_start, source.compute(period_start, period_end))
    tz = timezone.get_current_timezone()
    start = datetime.combine(period_start, time.min, tzinfo=tz)
    end = datetime.combine(period_end, time.min, tzinfo=tz)
    observations = Observation.objects.filter(
        entity__type=formula["entity_type"], attribute=formula["attribute"], observed_at__gte=start, observed_at__lt=end
    )
    if formula.get("hours"):
        observations = observations.filter(observed_at__hour__in=formula["hours"])
    means = observations.values("entity__organization_id").annotate(mean=Avg("value")).order_by()
    return _store_computed(indicator, period_start, {row["entity__organization_id"]: row["mean"] for row in means})


def indicator_history(*, indicator: IndicatorDefinition, area_id: int) -> list[tuple[date, float]]:
    """Approved values of one unit over time, oldest first, for the history chart."""
    return list(
        IndicatorValue.objects.filter(indicator=indicator, area_id=area_id, status=IndicatorValue.Status.APPROVED)
        .order_by("period_start")
        .values_list("period_start", "value")
    )


def history_svg(points: list[tuple[date, float]], *, unit: str = "", target: float | None = None) -> str:
    """A small line chart as SVG markup, drawn on the server (no script, no style attribute, no CDN).

    Only numbers and escaped labels go into the markup.
    """
    width, height, pad = 640, 240, 40
    if not points:
        return ""
    values = [v for _d, v in points] + ([target] if target is not None else [])
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    n = len(points)

    def x(i: int) -> float:
        return pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return height - pad - (height - 2 * pad) * (v - low) / (high - low)

    path = " ".join(f"{'M' if i == 0 else 'L'}{x(i):.1f},{y(v):.1f}" for i, (_d, v) in enumerate(points))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(unit)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#888"/>',
        f'<line x1="{pad}" y1="{pad}" x2="{pad}" y2="{height - pad}" stroke="#888"/>',
        f'<text x="4" y="{pad}" font-size="11">{high:.4g}</text>',
        f'<text x="4" y="{height - pad}" font-size="11">{low:.4g}</text>',
    ]
    if target is not None:
        parts.append(
            f'<line x1="{pad}" y1="{y(target):.1f}" x2="{width - pad}" y2="{y(target):.1f}" '
            'stroke="#2a7" stroke-dasharray="4 4"/>'
        )
    parts.append(f'<path d="{path}" fill="none" stroke="#1f5fa8" stroke-width="2"/>')
    for i, (day, value) in enumerate(points):
        parts.append(
            f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3" fill="#1f5fa8"><title>{escape(day.isoformat())}: '
            f"{value:.4g} {escape(unit)}</title></circle>"
        )
    parts.append(f'<text x="{pad}" y="{height - 12}" font-size="11">{escape(points[0][0].isoformat())}</text>')
    parts.append(
        f'<text x="{width - pad}" y="{height - 12}" font-size="11" text-anchor="end">'
        f"{escape(points[-1][0].isoformat())}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def domain_scores(*, period_start: date, area_ids: list[int] | None = None) -> list[DomainScore]:
    """Giffinger z-score domain scores for every unit with at least one value in the period."""
    indicators = {i.pk: i for i in IndicatorDefinition.objects.all()}
    per_domain_total: dict[str, int] = defaultdict(int)
    for indicator in indicators.values():
        per_domain_total[indicator.domain] += 1
    values = IndicatorValue.objects.filter(period_start=period_start, status=IndicatorValue.Status.APPROVED)
    by_indicator: dict[int, dict[int, float]] = defaultdict(dict)
    for indicator_id, area_id, value in values.values_list("indicator_id", "area_id", "value"):
        by_indicator[indicator_id][area_id] = value
    z: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for indicator_id, area_values in by_indicator.items():
        indicator = indicators[indicator_id]
        numbers = list(area_values.values())
        mean = statistics.fmean(numbers)
        spread = statistics.pstdev(numbers) if len(numbers) > 1 else 0.0
        sign = -1.0 if indicator.direction == IndicatorDefinition.Direction.LOWER else 1.0
        for area_id, value in area_values.items():
            z[area_id][indicator.domain].append(sign * (value - mean) / spread if spread else 0.0)
    wanted = set(area_ids) if area_ids is not None else set(z)
    scores: list[DomainScore] = []
    for area_id in sorted(wanted):
        for domain in Domain.values:
            found = z.get(area_id, {}).get(domain, [])
            total = per_domain_total.get(domain, 0)
            scores.append(
                DomainScore(
                    area_id=area_id,
                    domain=domain,
                    score=statistics.fmean(found) if found else None,
                    coverage=len(found) / total if total else 0.0,
                    indicators=len(found),
                )
            )
    return scores


def latest_period() -> date | None:
    return (
        IndicatorValue.objects.filter(status=IndicatorValue.Status.APPROVED)
        .order_by("-period_start")
        .values_list("period_start", flat=True)
        .first()
    )
