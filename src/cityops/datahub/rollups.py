"""Hourly and daily rollups of observations, filled in resumable steps.

``FillState`` holds, per period kind, the start of the first bucket not yet filled. Each step aggregates
a window of complete buckets in SQL (``Trunc`` + ``Count/Min/Max/Avg``, the same on SQLite and
PostgreSQL), upserts the rollups and moves the fill state forward in the same transaction, so a job
stopped at any point resumes at the first unfinished window and never double-counts. Days are local
days (``TIME_ZONE``, Asia/Ho_Chi_Minh), as reports read them. Values that arrive for buckets already
filled are picked up by ``rollup_refill(since=...)``, which moves the state back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Avg, Count, Max, Min
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from cityops.datahub.choices import RollupPeriod
from cityops.datahub.models import FillState, Observation, Rollup

__all__ = ["rollup_fill", "rollup_refill"]

WINDOW = {RollupPeriod.HOUR: timedelta(hours=24), RollupPeriod.DAY: timedelta(days=31)}


def _floor(instant: datetime, period: str) -> datetime:
    local = timezone.localtime(instant)
    if period == RollupPeriod.HOUR:
        return local.replace(minute=0, second=0, microsecond=0)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _next_bucket(start: datetime, period: str) -> datetime:
    if period == RollupPeriod.HOUR:
        return start + timedelta(hours=1)
    return _floor(start + timedelta(hours=36), period)  # robust to any DST-like shift


def rollup_fill(period: str, *, now: datetime | None = None, max_windows: int | None = None) -> int:
    """Fill complete buckets up to ``now``; returns the number of rollup rows written."""
    now = now or timezone.now()
    end = _floor(now, period)  # the current bucket is not complete yet
    state, _created = FillState.objects.get_or_create(kind=period)
    start = state.filled_until
    if start is None:
        first = Observation.objects.order_by("observed_at").values_list("observed_at", flat=True).first()
        if first is None:
            return 0
        start = _floor(first, period)
    written = windows = 0
    trunc = TruncHour if period == RollupPeriod.HOUR else TruncDay
    while start < end and (max_windows is None or windows < max_windows):
        stop = min(end, _floor(start + WINDOW[RollupPeriod(period)], period))
        if stop <= start:
            stop = _next_bucket(start, period)
        groups = (
            Observation.objects.filter(observed_at__gte=start, observed_at__lt=stop)
            .annotate(bucket=trunc("observed_at", tzinfo=timezone.get_current_timezone()))
            .values("entity_id", "attribute", "bucket")
            .annotate(n=Count("id"), lo=Min("value"), hi=Max("value"), mean=Avg("value"))
            .order_by()
        )
        rows = [
            Rollup(entity_id=g["entity_id"], attribute=g["attribute"], period=period, start=g["bucket"],
                   count=g["n"], min=g["lo"], max=g["hi"], avg=g["mean"])
            for g in groups
        ]  # fmt: skip
        with transaction.atomic():
            Rollup.objects.bulk_create(
                rows,
                batch_size=1000,
                update_conflicts=True,
                unique_fields=["entity", "attribute", "period", "start"],
                update_fields=["count", "min", "max", "avg"],
            )
            FillState.objects.filter(pk=state.pk).update(filled_until=stop, updated_at=timezone.now())
        written += len(rows)
        windows += 1
        start = stop
    return written


def rollup_refill(period: str, *, since: datetime) -> None:
    """Move the fill state back so late observations since ``since`` are rolled up again."""
    start = _floor(since, period)
    FillState.objects.filter(kind=period, filled_until__gt=start).update(filled_until=start)
