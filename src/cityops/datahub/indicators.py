"""Indicator values and domain scores (component 2), by the Giffinger method.

Each indicator's values for one period are standardised across administrative units as z-scores
(``(x - mean) / standard deviation``, sign flipped when lower is better); a unit's domain score is the
unweighted mean of its z-scores in that domain, shown with its coverage (indicators with a value ÷
indicators of the domain). Scores with coverage under ``MIN_COVERAGE`` are flagged, as smart-cities.eu does.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Avg
from django.utils import timezone
from django.utils.translation import gettext as _

from cityops.core import audit
from cityops.core.choices import Domain, Role
from cityops.core.models import Organization
from cityops.core.permissions import user_has_role
from cityops.datahub.models import IndicatorDefinition, IndicatorValue, Observation

__all__ = [
    "MIN_COVERAGE",
    "DomainScore",
    "domain_scores",
    "indicator_compute",
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
    """Manual entry for an administrative unit by staff of that unit (or above)."""
    if not user_has_role(actor, VALUE_SETTERS, area):
        raise PermissionDenied(_("You may not enter indicator values for this unit."))
    if not isinstance(value, int | float) or isinstance(value, bool) or value != value:
        raise ValidationError({"value": _("Enter a number.")})
    with transaction.atomic():
        row, created = IndicatorValue.objects.update_or_create(
            indicator=indicator, area=area, period_start=period_start, defaults={"value": float(value)}
        )
        audit.record(
            verb="datahub.indicator.value_set",
            actor=actor,
            target=row,
            organization=area,
            data={"new": {"indicator": indicator.code, "period_start": period_start, "value": value}},
        )
    return row


def indicator_compute(*, indicator: IndicatorDefinition, period_start: date, period_end: date) -> int:
    """Values of a formula indicator per owning unit of the sensors, for [start, end) local days."""
    formula = indicator.formula or {}
    if indicator.source != IndicatorDefinition.Source.FORMULA or formula.get("kind") != "observation_mean":
        raise ValidationError(_("This indicator is not computed from observations."))
    tz = timezone.get_current_timezone()
    start = datetime.combine(period_start, time.min, tzinfo=tz)
    end = datetime.combine(period_end, time.min, tzinfo=tz)
    observations = Observation.objects.filter(
        entity__type=formula["entity_type"], attribute=formula["attribute"], observed_at__gte=start, observed_at__lt=end
    )
    if formula.get("hours"):
        observations = observations.filter(observed_at__hour__in=formula["hours"])
    means = observations.values("entity__organization_id").annotate(mean=Avg("value")).order_by()
    with transaction.atomic():
        count = 0
        for row in means:
            IndicatorValue.objects.update_or_create(
                indicator=indicator,
                area_id=row["entity__organization_id"],
                period_start=period_start,
                defaults={"value": row["mean"]},
            )
            count += 1
    return count


def domain_scores(*, period_start: date, area_ids: list[int] | None = None) -> list[DomainScore]:
    """Giffinger z-score domain scores for every unit with at least one value in the period."""
    indicators = {i.pk: i for i in IndicatorDefinition.objects.all()}
    per_domain_total: dict[str, int] = defaultdict(int)
    for indicator in indicators.values():
        per_domain_total[indicator.domain] += 1
    values = IndicatorValue.objects.filter(period_start=period_start)
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
    return IndicatorValue.objects.order_by("-period_start").values_list("period_start", flat=True).first()
