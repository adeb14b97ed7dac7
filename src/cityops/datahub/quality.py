"""Data quality of sensor series and retention of raw observations.

Flags are computed from the stored data when asked (pages and the API), never stored, so they are always
current: ``out_of_range`` (the latest value is outside the plausible range of the attribute in
``smartmodels.RANGES``), ``stuck`` (the last ``STUCK_COUNT`` values, spanning at least ``STUCK_SPAN``, are all
equal) and ``stale`` (no observation for ``DATAHUB_STALE_MINUTES``).

Retention: ``EntityTypeRetention`` keeps raw observations of a type for so many days. Pruning never goes
past what the daily rollups have filled (``FillState``), so no data is lost before it is summarised; the
rollups themselves are kept. Datasets keep their last ``keep_versions`` versions (0: all).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityops.core import audit
from cityops.datahub.choices import AuditVerbs
from cityops.datahub.models import Dataset, Entity, EntityTypeRetention, FillState, Observation
from cityops.datahub.smartmodels import RANGES

__all__ = ["FLAG_LABELS", "SeriesQuality", "entity_quality", "prune_retention"]

STUCK_COUNT = 6
STUCK_SPAN = timedelta(hours=1)
FLAG_LABELS = {
    "out_of_range": _("Out of range"),
    "stuck": _("Stuck value"),
    "stale": _("Stale source"),
}


@dataclass
class SeriesQuality:
    attribute: str
    latest_value: float | None
    latest_at: datetime | None
    flags: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "latest_value": self.latest_value,
            "latest_at": self.latest_at,
            "flags": self.flags,
        }


def entity_quality(entity: Entity, *, now: datetime | None = None) -> list[SeriesQuality]:
    """Flags of each attribute series of one entity (the latest ``STUCK_COUNT`` values are read per series)."""
    now = now or timezone.now()
    stale_after = timedelta(minutes=settings.DATAHUB_STALE_MINUTES)
    out: list[SeriesQuality] = []
    attributes = (
        Observation.objects.filter(entity=entity)
        .values("attribute")
        .annotate(latest=Max("observed_at"))
        .order_by("attribute")
    )
    for row in attributes:
        recent = list(
            Observation.objects.filter(entity=entity, attribute=row["attribute"])
            .order_by("-observed_at")
            .values_list("observed_at", "value")[:STUCK_COUNT]
        )
        latest_at, latest_value = recent[0]
        series = SeriesQuality(row["attribute"], latest_value, latest_at)
        low, high = RANGES.get(entity.type, {}).get(row["attribute"], (None, None))
        if (low is not None and latest_value < low) or (high is not None and latest_value > high):
            series.flags.append("out_of_range")
        if (
            len(recent) == STUCK_COUNT
            and len({v for _t, v in recent}) == 1
            and recent[0][0] - recent[-1][0] >= STUCK_SPAN
        ):
            series.flags.append("stuck")
        if now - latest_at > stale_after:
            series.flags.append("stale")
        out.append(series)
    return out


def prune_retention(*, now: datetime | None = None) -> dict[str, int]:
    """Delete raw observations past their type's retention (never past the daily rollup) and old versions."""
    from cityops.datahub.services import dataset_versions_prune

    now = now or timezone.now()
    day_state = FillState.objects.filter(kind="day").values_list("filled_until", flat=True).first()
    deleted = 0
    for setting in EntityTypeRetention.objects.all():
        cutoff = now - timedelta(days=setting.keep_days)
        if day_state is None:
            continue  # nothing summarised yet: keep everything
        cutoff = min(cutoff, day_state)
        with transaction.atomic():
            count, _detail = Observation.objects.filter(
                entity__type=setting.entity_type, observed_at__lt=cutoff
            ).delete()
            if count:
                audit.record(
                    verb=AuditVerbs.OBSERVATIONS_PRUNED,
                    actor=None,
                    data={"entity_type": setting.entity_type, "before": cutoff, "rows": count},
                )
        deleted += count
    versions = 0
    for dataset in Dataset.objects.filter(keep_versions__gt=0):
        versions += dataset_versions_prune(dataset=dataset)
    return {"observations": deleted, "versions": versions}
