"""The pure part of rule evaluation: comparisons, the hysteresis state machine and report clustering.

Nothing here touches the database, so the same code runs the real evaluation (``evaluation.py``) and the
"test this rule against the last 24 hours" preview, and is tested point by point.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cityops.operations.choices import Operator

__all__ = [
    "Cluster",
    "Event",
    "Point",
    "SeriesState",
    "breaches",
    "clears",
    "clusters",
    "distance_m",
    "run_series",
]

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Point:
    at: datetime
    value: float


@dataclass
class SeriesState:
    """What the machine remembers about one series between evaluations."""

    firing: bool = False
    pending_since: datetime | None = None
    clear_since: datetime | None = None
    last_observed_at: datetime | None = None
    last_value: float | None = None


@dataclass(frozen=True)
class Event:
    """``open`` (an alert starts), ``repeat`` (another breach of an open alert) or ``resolve``."""

    kind: str
    at: datetime
    value: float
    since: datetime | None = None


def breaches(operator: str, bound: float, value: float) -> bool:
    """Whether ``value`` is on the bad side of ``bound``."""
    if operator == Operator.GT:
        return value > bound
    if operator == Operator.GTE:
        return value >= bound
    if operator == Operator.LT:
        return value < bound
    if operator == Operator.LTE:
        return value <= bound
    raise ValueError(f"unknown operator {operator!r}")


def clears(operator: str, bound: float, clear_bound: float | None, value: float) -> bool:
    """Whether ``value`` is back on the good side of the clear bound (of the trigger bound when there is none)."""
    if clear_bound is None:
        return not breaches(operator, bound, value)
    if operator in {Operator.GT, Operator.GTE}:
        return value <= clear_bound
    return value >= clear_bound


def run_series(
    *,
    operator: str,
    bound: float,
    clear_bound: float | None,
    for_minutes: int,
    state: SeriesState,
    points: Iterable[Point],
) -> list[Event]:
    """Feed points (in time order) through the hysteresis machine; updates ``state`` and returns the events.

    Firing needs the trigger condition to hold for ``for_minutes`` (0: at once); resolving needs the value back
    past the clear bound, for ``for_minutes`` as well. Between the two bounds nothing changes, so a value
    oscillating around the trigger bound opens one alert and keeps it open instead of flapping. Points not
    newer than the last one seen are ignored, so replaying a batch changes nothing.
    """
    hold = timedelta(minutes=for_minutes)
    events: list[Event] = []
    for point in sorted(points, key=lambda p: p.at):
        if state.last_observed_at is not None and point.at <= state.last_observed_at:
            continue
        state.last_observed_at, state.last_value = point.at, point.value
        bad = breaches(operator, bound, point.value)
        if state.firing:
            if bad:
                state.clear_since = None
                events.append(Event("repeat", point.at, point.value))
            elif clears(operator, bound, clear_bound, point.value):
                state.clear_since = state.clear_since or point.at
                if point.at - state.clear_since >= hold:
                    state.firing, state.clear_since, state.pending_since = False, None, None
                    events.append(Event("resolve", point.at, point.value))
            else:
                state.clear_since = None
        elif bad:
            state.pending_since = state.pending_since or point.at
            if point.at - state.pending_since >= hold:
                events.append(Event("open", point.at, point.value, since=state.pending_since))
                state.firing, state.pending_since, state.clear_since = True, None, None
        else:
            state.pending_since = None
    return events


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Cluster:
    members: tuple[int, ...]
    latitude: float
    longitude: float

    @property
    def size(self) -> int:
        return len(self.members)


def clusters(reports: Sequence[tuple[int, float, float]], *, radius_m: float, minimum: int) -> list[Cluster]:
    """Groups of at least ``minimum`` reports each within ``radius_m`` of a centre report (greedy, biggest first).

    ``reports`` are (id, latitude, longitude). Each report belongs to one cluster at most; the centre is the
    report with the most neighbours, the cluster's position the members' mean.
    """
    remaining = {pk: (lat, lon) for pk, lat, lon in reports}
    found: list[Cluster] = []
    while len(remaining) >= minimum:
        best: list[int] = []
        for _pk, (lat, lon) in sorted(remaining.items()):
            near = [other for other, (olat, olon) in remaining.items() if distance_m(lat, lon, olat, olon) <= radius_m]
            if len(near) > len(best):
                best = near
        if len(best) < minimum:
            break
        members = tuple(sorted(best))
        lat = sum(remaining[m][0] for m in members) / len(members)
        lon = sum(remaining[m][1] for m in members) / len(members)
        found.append(Cluster(members, lat, lon))
        for member in members:
            del remaining[member]
    return found
