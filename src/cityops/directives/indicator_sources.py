"""Directive statistics offered to the data hub's indicators (``cityops.datahub.indicator_sources``)."""

from __future__ import annotations

from datetime import date, timedelta

from cityops.datahub.indicator_sources import SYSTEM_READER, IndicatorSource, register


def _on_time_rate(start: date, end: date) -> dict[int, float]:
    """Per lead agency: percent of tasks assigned in the period and completed that were completed on time."""
    from cityops.directives.selectors import statistics_by_agency

    rows = statistics_by_agency(actor=SYSTEM_READER, start=start, end=end - timedelta(days=1))
    return {row.key: row.on_time_rate for row in rows if row.on_time_rate is not None}


register(IndicatorSource("directives.on_time_rate", "Directive tasks completed on time (%)", _on_time_rate))
