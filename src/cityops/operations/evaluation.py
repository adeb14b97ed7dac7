"""Evaluating rules against the data: after each ingest batch (thresholds, rates, returning sensors) and every
minute (no data, report clusters, indicators), plus the read-only preview over the last 24 hours.

The hysteresis machine lives in ``engine``; this module feeds it from the database and applies its events
through the services (open, repeat, resolve), one series at a time, each in its own transaction with the
series' state row locked, so two workers evaluating overlapping batches count every reading once.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cityops.core.models import Organization
from cityops.datahub.models import Entity, IndicatorValue, Observation
from cityops.feedback.choices import Status as ReportStatus
from cityops.feedback.models import Request
from cityops.operations import services
from cityops.operations.choices import OPEN_ALERT_STATUSES, RuleKind, RuleSource
from cityops.operations.engine import Point, SeriesState, clusters, distance_m, run_series
from cityops.operations.models import Alert, EvaluatorClaim, MonitoringRule, RuleState

__all__ = [
    "PERIODIC_INTERVAL",
    "Preview",
    "entity_label",
    "evaluate_observations",
    "evaluate_periodic",
    "evaluate_periodic_if_due",
    "preview_rule",
]

PERIODIC_INTERVAL = dt.timedelta(seconds=55)
PREVIEW_HOURS = 24
PREVIEW_MAX_SERIES = 200


def entity_label(entity: Entity) -> str:
    """A sensor's name for titles: its ``name`` property, else the last part of its NGSI-LD id."""
    name = (entity.attributes or {}).get("name")
    if isinstance(name, dict):
        name = name.get("value")
    return str(name) if name else entity.entity_id.rsplit(":", 1)[-1]


def _title(rule: MonitoringRule, subject: str) -> str:
    return f"{rule.name} — {subject}"


def _scoped_entities(rule: MonitoringRule) -> QuerySet[Entity]:
    queryset = Entity.objects.filter(type=rule.entity_type).select_related("organization")
    area = rule.area or rule.organization
    queryset = queryset.filter(organization__path__startswith=area.path)
    if rule.entity_id:
        queryset = queryset.filter(pk=rule.entity_id)
    return queryset


def _points_by_entity(rule: MonitoringRule, entity_ids: list[int], start: dt.datetime, end: dt.datetime) -> dict:
    rows = (
        Observation.objects.filter(entity_id__in=entity_ids, attribute=rule.attribute, observed_at__gte=start,
                                   observed_at__lte=end)
        .order_by("entity_id", "observed_at")
        .values_list("entity_id", "observed_at", "value")
    )  # fmt: skip
    grouped: dict[int, list[Point]] = defaultdict(list)
    for entity_id, at, value in rows.iterator(chunk_size=5000):
        grouped[entity_id].append(Point(at, value))
    return grouped


def _rate_points(points: list[Point], window: dt.timedelta, start: dt.datetime) -> list[Point]:
    """The change over the window at each point from ``start``: value minus the oldest value inside the window."""
    times = [p.at for p in points]
    out = []
    for point in points:
        if point.at < start:
            continue
        first = bisect.bisect_left(times, point.at - window)
        if first < len(points) and points[first].at < point.at:
            out.append(Point(point.at, point.value - points[first].value))
    return out


def _apply(
    rule: MonitoringRule,
    series_key: str,
    points: list[Point],
    *,
    title: str,
    entity: Entity | None = None,
    area: Organization | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> None:
    """Run one series' new points through the machine and write the outcome, under the series' lock."""
    if not points:
        return
    with transaction.atomic():
        RuleState.objects.get_or_create(rule=rule, series_key=series_key)
        row = RuleState.objects.select_for_update().get(rule=rule, series_key=series_key)
        alert = (
            Alert.objects.select_for_update()
            .select_related("rule")
            .filter(rule=rule, series_key=series_key, status__in=OPEN_ALERT_STATUSES)
            .first()
        )
        state = SeriesState(
            firing=alert is not None, pending_since=row.pending_since, clear_since=row.clear_since,
            last_observed_at=row.last_observed_at, last_value=row.last_value,
        )  # fmt: skip
        events = run_series(
            operator=rule.operator, bound=rule.bound or 0.0, clear_bound=rule.clear_bound,
            for_minutes=rule.for_minutes, state=state, points=points,
        )  # fmt: skip
        repeats: list[Any] = []

        def flush() -> None:
            if alert is not None and repeats:
                values = [r.value for r in repeats]
                services.alert_repeat(
                    alert=alert, at=repeats[-1].at, value=repeats[-1].value, count=len(repeats),
                    worst=max(values) if rule.upward else min(values),
                )  # fmt: skip
                repeats.clear()

        for event in events:
            if event.kind == "open":
                alert = services.alert_open(
                    rule=rule, series_key=series_key, title=title, at=event.at, since=event.since, value=event.value,
                    entity=entity, area=area, latitude=latitude, longitude=longitude,
                )  # fmt: skip
            elif event.kind == "repeat":
                repeats.append(event)
            elif event.kind == "resolve" and alert is not None:
                flush()
                services.alert_resolve(alert=alert, at=event.at, value=event.value)
                alert = None
        flush()
        row.pending_since, row.clear_since = state.pending_since, state.clear_since
        row.last_observed_at, row.last_value = state.last_observed_at, state.last_value
        row.save()


def _evaluate_series_rule(rule: MonitoringRule, entity_ids: list[int], start: dt.datetime, end: dt.datetime) -> None:
    entities = {e.pk: e for e in _scoped_entities(rule).filter(pk__in=entity_ids)}
    if not entities:
        return
    window = dt.timedelta(minutes=rule.window_minutes or 0)
    grouped = _points_by_entity(rule, list(entities), start - window, end)
    for entity_id, points in grouped.items():
        entity = entities[entity_id]
        series = _rate_points(points, window, start) if rule.kind == RuleKind.RATE else points
        _apply(
            rule, f"entity:{entity_id}", series, title=_title(rule, entity_label(entity)), entity=entity,
            area=entity.organization, latitude=entity.latitude, longitude=entity.longitude,
        )  # fmt: skip


def _resolve_returning_sensors(rule: MonitoringRule, entity_ids: list[int], now: dt.datetime) -> None:
    """A no-data alert resolves as soon as fresh data of its sensor arrives."""
    keys = {f"entity:{pk}": pk for pk in entity_ids}
    window = dt.timedelta(minutes=rule.window_minutes or 0)
    for alert in Alert.objects.filter(rule=rule, status__in=OPEN_ALERT_STATUSES, series_key__in=list(keys)):
        latest = _latest_observations(rule, [keys[alert.series_key]]).get(keys[alert.series_key])
        if latest is not None and now - latest < window:
            services.alert_resolve(alert=alert, at=latest, value=None)


def evaluate_observations(
    *, entity_ids: list[int], start: dt.datetime, end: dt.datetime, now: dt.datetime | None = None
) -> int:
    """Evaluate threshold and rate rules on a batch's readings; returns how many rules looked at it."""
    now = now or timezone.now()
    rules = MonitoringRule.objects.filter(is_enabled=True).select_related("organization", "area")
    count = 0
    for rule in rules.filter(kind__in=[RuleKind.THRESHOLD, RuleKind.RATE], source=RuleSource.OBSERVATION):
        _evaluate_series_rule(rule, entity_ids, start, end)
        count += 1
    for rule in rules.filter(kind=RuleKind.NO_DATA):
        _resolve_returning_sensors(rule, entity_ids, now)
        count += 1
    return count


# --- periodic rules ---------------------------------------------------------------------------------------------


def _latest_observations(rule: MonitoringRule, entity_ids: list[int]) -> dict[int, dt.datetime]:
    queryset = Observation.objects.filter(entity_id__in=entity_ids)
    if rule.attribute:
        queryset = queryset.filter(attribute=rule.attribute)
    return dict(queryset.values("entity_id").annotate(last=Max("observed_at")).values_list("entity_id", "last"))


def _silent_entities(rule: MonitoringRule, now: dt.datetime) -> list[tuple[Entity, dt.datetime, bool]]:
    """(sensor, reference time, silent?) for each sensor in scope; silence counts from the rule's creation at most."""
    entities = list(_scoped_entities(rule)[:10_000])
    latest = _latest_observations(rule, [e.pk for e in entities])
    window = dt.timedelta(minutes=rule.window_minutes or 0)
    out = []
    for entity in entities:
        reference = latest.get(entity.pk) or max(entity.created_at, rule.created_at or now)
        out.append((entity, reference, now - reference >= window))
    return out


def _evaluate_no_data(rule: MonitoringRule, now: dt.datetime) -> None:
    open_alerts = services.open_alerts_for(rule)
    for entity, reference, silent in _silent_entities(rule, now):
        key = f"entity:{entity.pk}"
        minutes = round((now - reference).total_seconds() / 60)
        alert = open_alerts.get(key)
        if silent and alert is None:
            services.alert_open(
                rule=rule, series_key=key, title=_title(rule, entity_label(entity)), at=now, since=reference,
                value=minutes, entity=entity, area=entity.organization, latitude=entity.latitude,
                longitude=entity.longitude,
            )  # fmt: skip
        elif silent and alert is not None:
            services.alert_touch(alert=alert, at=now, value=minutes)
        elif not silent and alert is not None:
            services.alert_resolve(alert=alert, at=now, value=minutes)


def _reports(rule: MonitoringRule, since: dt.datetime, until: dt.datetime) -> list[tuple[int, float, float]]:
    area = rule.area or rule.organization
    rows = (
        Request.objects.filter(category_id=rule.category_id or 0, created_at__gte=since, created_at__lte=until,
                               lat__isnull=False, long__isnull=False)
        .filter(Q(area__path__startswith=area.path) | Q(organization__path__startswith=area.path))
        .exclude(status=ReportStatus.REJECTED)
        .values_list("pk", "lat", "long")
    )  # fmt: skip
    return [(pk, float(lat), float(lon)) for pk, lat, lon in rows]  # type: ignore[arg-type]


def _evaluate_cluster(rule: MonitoringRule, now: dt.datetime) -> None:
    window = dt.timedelta(minutes=rule.window_minutes or 0)
    reports = _reports(rule, now - window, now)
    radius = float(rule.radius_m or 0)
    taken: set[int] = set()
    for _key, alert in services.open_alerts_for(rule).items():
        if alert.latitude is None or alert.longitude is None:
            continue
        near = [pk for pk, lat, lon in reports if distance_m(alert.latitude, alert.longitude, lat, lon) <= radius]
        taken.update(near)
        count = float(len(near))
        if count <= (rule.clear_bound or 0):
            services.alert_resolve(alert=alert, at=now, value=count)
        elif alert.value is None or count > alert.value:
            services.alert_repeat(alert=alert, at=now, value=count, count=int(count - (alert.value or 0)))
        else:
            services.alert_touch(alert=alert, at=now, value=count)
    remaining = [r for r in reports if r[0] not in taken]
    for found in clusters(remaining, radius_m=radius, minimum=int(rule.bound or 2)):
        area = Request.objects.filter(pk=found.members[0]).values_list("area", flat=True).first()
        services.alert_open(
            rule=rule, series_key=f"cluster:{found.members[0]}",
            title=_title(rule, _("%(n)d reports") % {"n": found.size}), at=now, value=float(found.size),
            area=Organization.objects.filter(pk=area).first() if area else None,
            latitude=found.latitude, longitude=found.longitude,
        )  # fmt: skip


def _indicator_points(rule: MonitoringRule) -> dict[int, tuple[Organization, Point]]:
    area = rule.area or rule.organization
    rows = (
        IndicatorValue.objects.filter(indicator_id=rule.indicator_id, area__path__startswith=area.path)
        .select_related("area")
        .order_by("area_id", "-period_start")
    )
    latest: dict[int, tuple[Organization, Point]] = {}
    tz = timezone.get_current_timezone()
    for row in rows:
        if row.area_id not in latest:
            at = dt.datetime.combine(row.period_start, dt.time.min, tzinfo=tz)
            latest[row.area_id] = (row.area, Point(at, row.value))
    return latest


def _evaluate_indicator(rule: MonitoringRule) -> None:
    for area_id, (area, point) in _indicator_points(rule).items():
        _apply(rule, f"area:{area_id}", [point], title=_title(rule, area.name), area=area)


def evaluate_periodic(*, now: dt.datetime | None = None) -> int:
    """Rules that depend on time passing rather than on new readings; returns how many were evaluated."""
    now = now or timezone.now()
    count = 0
    rules = MonitoringRule.objects.filter(is_enabled=True).select_related("organization", "area")
    for rule in rules:
        if rule.kind == RuleKind.NO_DATA:
            _evaluate_no_data(rule, now)
        elif rule.kind == RuleKind.REPORT_CLUSTER:
            _evaluate_cluster(rule, now)
        elif rule.kind == RuleKind.THRESHOLD and rule.source == RuleSource.INDICATOR:
            _evaluate_indicator(rule)
        else:
            continue
        MonitoringRule.objects.filter(pk=rule.pk).update(last_evaluated_at=now)
        count += 1
    return count


def evaluate_periodic_if_due(*, now: dt.datetime | None = None, name: str = "periodic") -> bool:
    """Run the periodic evaluation unless another run claimed it less than a minute ago (any process, any worker)."""
    now = now or timezone.now()
    EvaluatorClaim.objects.get_or_create(name=name, defaults={"last_run_at": now - 2 * PERIODIC_INTERVAL})
    claimed = EvaluatorClaim.objects.filter(name=name, last_run_at__lte=now - PERIODIC_INTERVAL).update(last_run_at=now)
    if not claimed:
        return False
    evaluate_periodic(now=now)
    return True


# --- preview ----------------------------------------------------------------------------------------------------


@dataclass
class SeriesPreview:
    label: str
    points: int = 0
    opened: int = 0
    resolved: int = 0
    repeats: int = 0
    firing_now: bool = False
    worst: float | None = None
    first_open_at: dt.datetime | None = None


@dataclass
class Preview:
    """What a rule would have done over the last 24 hours, without writing anything."""

    series: list[SeriesPreview] = field(default_factory=list)
    note: str = ""

    @property
    def alerts(self) -> int:
        return sum(s.opened for s in self.series)

    @property
    def breaches(self) -> int:
        return sum(s.opened + s.repeats for s in self.series)

    @property
    def firing(self) -> int:
        return sum(1 for s in self.series if s.firing_now)


def _preview_series(rule: MonitoringRule, label: str, points: list[Point]) -> SeriesPreview:
    state = SeriesState()
    events = run_series(
        operator=rule.operator, bound=rule.bound or 0.0, clear_bound=rule.clear_bound,
        for_minutes=rule.for_minutes, state=state, points=points,
    )  # fmt: skip
    out = SeriesPreview(label=label, points=len(points), firing_now=state.firing)
    for event in events:
        if event.kind == "open":
            out.opened += 1
            out.first_open_at = out.first_open_at or event.at
        elif event.kind == "repeat":
            out.repeats += 1
        else:
            out.resolved += 1
    values = [p.value for p in points]
    if values:
        out.worst = max(values) if rule.upward else min(values)
    return out


def preview_rule(rule: MonitoringRule, *, now: dt.datetime | None = None) -> Preview:
    """Run a (possibly unsaved) rule over the last 24 hours of data in its scope and report what it would do."""
    now = now or timezone.now()
    start = now - dt.timedelta(hours=PREVIEW_HOURS)
    preview = Preview()
    if rule.kind in {RuleKind.THRESHOLD, RuleKind.RATE} and rule.source == RuleSource.OBSERVATION:
        entities = {e.pk: e for e in _scoped_entities(rule)[:PREVIEW_MAX_SERIES]}
        window = dt.timedelta(minutes=rule.window_minutes or 0)
        grouped = _points_by_entity(rule, list(entities), start - window, now)
        for entity_id, entity in entities.items():
            points = grouped.get(entity_id, [])
            series = _rate_points(points, window, start) if rule.kind == RuleKind.RATE else points
            preview.series.append(_preview_series(rule, entity_label(entity), series))
    elif rule.kind == RuleKind.THRESHOLD:
        for _area_id, (area, point) in _indicator_points(rule).items():
            preview.series.append(_preview_series(rule, area.name, [point]))
        preview.note = _("Indicator rules look at the latest value of each area.")
    elif rule.kind == RuleKind.NO_DATA:
        if rule.created_at is None:
            rule.created_at = start
        for entity, reference, silent in _silent_entities(rule, now)[:PREVIEW_MAX_SERIES]:
            preview.series.append(
                SeriesPreview(label=entity_label(entity), opened=int(silent), firing_now=silent,
                              first_open_at=reference if silent else None)
            )  # fmt: skip
        preview.note = _("No-data rules look at how long each sensor has been silent now.")
    elif rule.kind == RuleKind.REPORT_CLUSTER:
        window = dt.timedelta(minutes=rule.window_minutes or 0)
        step = dt.timedelta(hours=1)
        at = start + step
        while at <= now:
            found = clusters(_reports(rule, at - window, at), radius_m=float(rule.radius_m or 0),
                             minimum=int(rule.bound or 2))  # fmt: skip
            for cluster in found:
                label = f"{cluster.latitude:.4f}, {cluster.longitude:.4f}"
                preview.series.append(
                    SeriesPreview(
                        label=label,
                        points=cluster.size,
                        opened=1,
                        first_open_at=at,
                        worst=float(cluster.size),
                        firing_now=at + step > now,
                    )
                )
            at += step
        preview.note = _("Report clusters are checked at each hour of the last 24 hours.")
    return preview
