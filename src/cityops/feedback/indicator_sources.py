"""Citizen feedback statistics offered to the data hub's indicators (``cityops.datahub.indicator_sources``)."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone

from cityops.datahub.indicator_sources import SYSTEM_READER, IndicatorSource, register


def _on_time_rate(start: date, end: date) -> dict[int, float]:
    """Province-wide: percent of reports created in the period and closed that were closed by the deadline.

    The statistics are not split by unit, so the value belongs to the root organisation.
    """
    from cityops.core.models import Organization
    from cityops.feedback.selectors import statistics

    tz = timezone.get_current_timezone()
    stats = statistics(
        actor=SYSTEM_READER,
        since=datetime.combine(start, time.min, tzinfo=tz),
        until=datetime.combine(end, time.min, tzinfo=tz),
    )
    root = Organization.objects.filter(parent__isnull=True).order_by("path").values_list("pk", flat=True).first()
    if root is None or stats["on_time_rate"] is None:
        return {}
    return {root: float(stats["on_time_rate"])}


register(IndicatorSource("feedback.on_time_rate", "Citizen reports answered on time (%)", _on_time_rate))
