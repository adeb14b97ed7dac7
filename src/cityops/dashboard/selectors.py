"""Every read of the dashboard, each one bounded and scoped by what the reader may see.

Nothing here scans the observation table: sensors come from ``SensorLatest`` and a sensor's chart reads one
series over a bounded time range through its unique index; indicators come from ``IndicatorValue`` (a few
thousand rows per period); citizen reports come from the feedback selectors with indexed filters and limits.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Avg, Count, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cityops.core.choices import Domain, OrganizationKind, Role
from cityops.core.models import LiveEvent, Organization
from cityops.core.permissions import NotFoundOrForbidden, memberships_of
from cityops.dashboard import bands, registry
from cityops.dashboard.models import AreaBoundary, Board, IndicatorTarget, RoleBoard, SensorLatest, Theme
from cityops.datahub.indicators import domain_scores
from cityops.datahub.models import Entity, IndicatorDefinition, IndicatorValue, Observation
from cityops.feedback import selectors as feedback_selectors
from cityops.feedback.choices import CLOSED_STATUSES, Status

__all__ = [
    "AREA_KINDS",
    "MAX_FEATURES",
    "DomainTile",
    "Headline",
    "agency_summary",
    "area_features",
    "area_get",
    "area_summary",
    "board_for",
    "board_widgets",
    "default_widget_keys",
    "domain_detail",
    "domain_tiles",
    "feed_recent",
    "feedback_summary",
    "headlines",
    "indicator_choices",
    "periods",
    "report_features",
    "report_features_json",
    "sensor_exceedances",
    "sensor_features",
    "sensor_get",
    "sensor_series",
    "theme_for",
]

AREA_KINDS = (OrganizationKind.DISTRICT, OrganizationKind.COMMUNE, OrganizationKind.WARD, OrganizationKind.SPECIAL_ZONE)
MAX_FEATURES = 3000
TREND_PERIODS = 6


def report_legend() -> dict[str, tuple[str, str]]:
    """Status groups of the citizen-report layer and their colours."""
    return {
        "new": (_("New, at the desk"), "#3b82f6"),
        "handling": (_("Being handled"), "#f59e0b"),
        "overdue": (_("Overdue"), "#ef4444"),
        "resolved": (_("Resolved or answered"), "#22c55e"),
        "closed": (_("Rejected or duplicate"), "#94a3b8"),
    }


def _report_group(status: str, overdue: bool) -> str:
    if status in (Status.REJECTED, Status.DUPLICATE):
        return "closed"
    if status in (Status.RESOLVED, Status.PUBLISHED):
        return "resolved"
    if overdue:
        return "overdue"
    if status in (Status.SUBMITTED, Status.VERIFIED):
        return "new"
    return "handling"


# --- indicators ----------------------------------------------------------------------------------------------


def periods(limit: int = TREND_PERIODS) -> list[dt.date]:
    """The most recent indicator periods, newest first."""
    return list(
        IndicatorValue.objects.order_by("-period_start").values_list("period_start", flat=True).distinct()[:limit]
    )


def _province_values(period_list: list[dt.date]) -> dict[tuple[int, dt.date], float]:
    """One province-wide value per indicator and period: the mean over the units that reported it."""
    if not period_list:
        return {}
    rows = (
        IndicatorValue.objects.filter(period_start__in=period_list)
        .values("indicator_id", "period_start")
        .annotate(mean=Avg("value"))
        .order_by()
    )
    return {(row["indicator_id"], row["period_start"]): row["mean"] for row in rows}


def _attainment(value: float | None, target: float | None, direction: str) -> float | None:
    """Per cent of target reached (capped at 100): value/target when higher is better, target/value otherwise."""
    if value is None or target is None:
        return None
    if direction == IndicatorDefinition.Direction.LOWER:
        if value <= 0:
            return 100.0
        return max(0.0, min(100.0, 100.0 * target / value))
    if target <= 0:
        return 100.0 if value >= target else 0.0
    return max(0.0, min(100.0, 100.0 * value / target))


def _name(indicator: IndicatorDefinition) -> str:
    return indicator.name_vi if (get_language() or "vi").startswith("vi") else indicator.name_en


@dataclass
class DomainTile:
    domain: str
    label: str
    score: float | None
    previous: float | None
    coverage: float
    indicators: int
    with_value: int
    trend: list[float | None] = field(default_factory=list)
    spark: str = ""

    @property
    def change(self) -> float | None:
        if self.score is None or self.previous is None:
            return None
        return round(self.score - self.previous, 1)

    @property
    def coverage_percent(self) -> int:
        return round(100 * self.coverage)

    @property
    def sufficient(self) -> bool:
        return self.coverage >= 0.75


def domain_tiles() -> list[DomainTile]:
    """Six tiles: target attainment (0–100) of each domain, its trend over recent periods, and its coverage.

    Coverage is the share of the domain's indicators with a value in the latest period (below 75 % the score is
    flagged as incomplete, as the data hub does for its Giffinger scores).
    """
    period_list = periods()
    values = _province_values(period_list)
    targets = dict(IndicatorTarget.objects.values_list("indicator_id", "target"))
    definitions = list(IndicatorDefinition.objects.only("id", "domain", "direction"))
    by_domain: dict[str, list[IndicatorDefinition]] = defaultdict(list)
    for definition in definitions:
        by_domain[definition.domain].append(definition)
    labels = dict(Domain.choices)
    tiles = []
    for domain in Domain.values:
        members = by_domain.get(domain, [])
        series: list[float | None] = []
        for period in reversed(period_list):
            scored = [
                _attainment(values.get((d.pk, period)), targets.get(d.pk), d.direction)
                for d in members
                if (d.pk, period) in values
            ]
            scored_values = [s for s in scored if s is not None]
            series.append(round(sum(scored_values) / len(scored_values), 1) if scored_values else None)
        latest = period_list[0] if period_list else None
        with_value = sum(1 for d in members if (d.pk, latest) in values) if latest else 0
        tiles.append(
            DomainTile(
                domain=domain,
                label=str(labels[domain]),
                score=series[-1] if series else None,
                previous=series[-2] if len(series) > 1 else None,
                coverage=with_value / len(members) if members else 0.0,
                indicators=len(members),
                with_value=with_value,
                trend=series,
            )
        )
    return tiles


@dataclass
class Headline:
    code: str
    name: str
    unit: str
    domain: str
    value: float | None
    previous: float | None
    target: float
    direction: str
    attainment: float | None

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def improving(self) -> bool | None:
        change = self.change
        if change is None or change == 0:
            return None
        return (change < 0) if self.direction == IndicatorDefinition.Direction.LOWER else (change > 0)


def headlines() -> list[Headline]:
    """Headline indicators: province value in the latest period, change since the previous one, target."""
    period_list = periods(2)
    values = _province_values(period_list)
    latest = period_list[0] if period_list else None
    previous = period_list[1] if len(period_list) > 1 else None
    found = []
    for item in IndicatorTarget.objects.filter(headline=True).select_related("indicator").order_by("sort_order", "id"):
        definition = item.indicator
        value = values.get((definition.pk, latest)) if latest else None
        found.append(
            Headline(
                code=definition.code,
                name=_name(definition),
                unit=definition.unit,
                domain=definition.domain,
                value=value,
                previous=values.get((definition.pk, previous)) if previous else None,
                target=item.target,
                direction=definition.direction,
                attainment=_attainment(value, item.target, definition.direction),
            )
        )
    return found


def indicator_choices() -> list[tuple[str, str]]:
    """Indicators that have values in the latest period, for the choropleth's selector."""
    period_list = periods(1)
    if not period_list:
        return []
    ids = IndicatorValue.objects.filter(period_start=period_list[0]).values("indicator_id")
    return [(d.code, _name(d)) for d in IndicatorDefinition.objects.filter(pk__in=ids).order_by("code")]


def domain_detail(domain: str) -> dict[str, Any]:
    """A domain's indicators (value, change, target) and its units ranked by their Giffinger score."""
    if domain not in Domain.values:
        raise NotFoundOrForbidden
    period_list = periods(2)
    values = _province_values(period_list)
    targets = dict(IndicatorTarget.objects.values_list("indicator_id", "target"))
    latest = period_list[0] if period_list else None
    previous = period_list[1] if len(period_list) > 1 else None
    rows = []
    for definition in IndicatorDefinition.objects.filter(domain=domain).order_by("code"):
        value = values.get((definition.pk, latest)) if latest else None
        before = values.get((definition.pk, previous)) if previous else None
        target = targets.get(definition.pk)
        rows.append(
            {
                "code": definition.code,
                "name": _name(definition),
                "unit": definition.unit,
                "value": value,
                "previous": before,
                "change": None if value is None or before is None else value - before,
                "target": target,
                "attainment": _attainment(value, target, definition.direction),
                "lower_is_better": definition.direction == IndicatorDefinition.Direction.LOWER,
            }
        )
    ranking = []
    if latest:
        scores = [s for s in domain_scores(period_start=latest) if s.domain == domain and s.score is not None]
        names = dict(Organization.objects.filter(pk__in=[s.area_id for s in scores]).values_list("pk", "name"))
        ranked = sorted(scores, key=lambda s: -(s.score or 0.0))
        ranking = [
            {"area_id": s.area_id, "name": names.get(s.area_id, ""), "score": s.score, "coverage": s.coverage}
            for s in ranked
        ]
    return {"domain": domain, "label": str(dict(Domain.choices)[domain]), "period": latest, "rows": rows,
            "ranking": ranking}  # fmt: skip


# --- citizen reports ---------------------------------------------------------------------------------------


OPEN_STATUSES = [status for status in Status.values if status not in CLOSED_STATUSES]


def feedback_summary(*, user: Any) -> dict[str, Any]:
    """Counts for the feedback queue tile, over the reports the reader may see (cached per reader, see
    ``feedback.selectors.cached_for_actor``: a new report or workflow step shows at once, a report passing its
    deadline within ``FEEDBACK_CACHE_SECONDS``).

    Open, overdue and at-the-desk come from one read of the open reports' partial index (``deadline, id`` with
    the scope columns and status included), however many closed reports there are; new today from the
    ``created_at`` index.
    """
    now = timezone.now()
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)

    def compute() -> dict[str, int]:
        scoped = feedback_selectors.request_list(actor=user).order_by()
        # Reports at the desk are open too, so one read of the open reports' index gives three counts.
        counts = scoped.filter(status__in=OPEN_STATUSES).aggregate(
            open=Count("id"),
            overdue=Count("id", filter=Q(deadline__lt=now)),
            at_desk=Count("id", filter=Q(status__in=[Status.SUBMITTED, Status.VERIFIED])),
        )
        return {
            "open": counts["open"],
            "overdue": counts["overdue"],
            "new_today": scoped.filter(created_at__gte=start_of_day).count(),
            "at_desk": counts["at_desk"],
        }

    counts = feedback_selectors.cached_for_actor(
        "dashboard-queue", actor=user, parts=(start_of_day.isoformat(),), compute=compute
    )
    return {**counts, "queue_url": reverse("feedback:staff_queue")}


def _report_rows(*, user: Any, params: dict[str, Any], now: dt.datetime) -> list[tuple[Any, ...]]:
    """The layer's rows, newest first: every open report and the recently closed ones, at most MAX_FEATURES."""
    days = params.get("days") or 30
    base = feedback_selectors.request_list(actor=user).filter(lat__isnull=False, long__isnull=False)
    bbox = params.get("bbox")
    if bbox:
        west, south, east, north = bbox
        base = base.filter(lat__gte=south, lat__lte=north, long__gte=west, long__lte=east)
    fields = ("pk", "tracking_code", "status", "lat", "long", "deadline", "created_at", "category__name_vi",
              "category__name_en")  # fmt: skip
    # Two indexed, bounded reads instead of one OR: every open report, and the recently closed ones.
    open_rows = list(
        base.filter(status__in=OPEN_STATUSES).order_by("-created_at", "-id").values_list(*fields)[:MAX_FEATURES]
    )
    closed_rows = list(
        base.filter(status__in=list(CLOSED_STATUSES), created_at__gte=now - dt.timedelta(days=days))
        .order_by("-created_at", "-id")
        .values_list(*fields)[:MAX_FEATURES]
    )
    return sorted(open_rows + closed_rows, key=lambda row: (row[6], row[0]), reverse=True)[:MAX_FEATURES]


def report_features(*, user: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Citizen reports the reader may see as GeoJSON points, newest first, coloured by their stage."""
    now = timezone.now()
    rows = _report_rows(user=user, params=params, now=now)
    labels = {status: str(label) for status, label in Status.choices}
    # One reverse() for the layer: the detail URL differs only by the primary key.
    marker = 987654321987
    url_head, url_tail = reverse("feedback:staff_detail", kwargs={"pk": marker}).split(str(marker))
    vietnamese = (get_language() or "vi").startswith("vi")
    closed = CLOSED_STATUSES
    features = []
    for pk, code, status, lat, long, deadline, created_at, name_vi, name_en in rows:
        overdue = bool(deadline and deadline < now and status not in closed)
        features.append(
            {
                "type": "Feature",
                "id": f"request-{pk}",
                "geometry": {"type": "Point", "coordinates": [float(long or 0), float(lat or 0)]},
                "properties": {
                    "title": code,
                    "category": name_vi if vietnamese else (name_en or name_vi),
                    "status": status,
                    "status_label": labels.get(status, status),
                    "group": _report_group(status, overdue),
                    "overdue": overdue,
                    "url": f"{url_head}{pk}{url_tail}",
                    "created_at": created_at.isoformat(),
                },
            }
        )
    return features


def report_features_json(*, user: Any, params: dict[str, Any]) -> str:
    """``report_features`` already serialised as a JSON array, cached per reader, language and filters.

    The markers of a busy province are megabytes of JSON; serialising them once per reader and version of
    the reports (``feedback.selectors.cached_for_actor``) keeps the layer's every-minute refresh cheap. A new
    report or workflow step shows on the next fetch; the overdue colour follows the clock within
    ``FEEDBACK_CACHE_SECONDS``.
    """
    bbox = params.get("bbox")
    parts = (get_language(), tuple(bbox) if bbox else None, params.get("days") or 30, MAX_FEATURES)
    return feedback_selectors.cached_for_actor(
        "dashboard-reports",
        actor=user,
        parts=parts,
        compute=lambda: json.dumps(report_features(user=user, params=params)[:MAX_FEATURES], cls=DjangoJSONEncoder),
    )


# --- sensors -----------------------------------------------------------------------------------------------


def sensor_features(*, user: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Sensors the reader may see, coloured by the band of their primary attribute's latest value."""
    qs = Entity.objects.for_user(user, "view").filter(latitude__isnull=False, longitude__isnull=False)
    bbox = params.get("bbox")
    if bbox:
        west, south, east, north = bbox
        qs = qs.filter(latitude__gte=south, latitude__lte=north, longitude__gte=west, longitude__lte=east)
    # Only the name out of each sensor's attributes, decoded by the database rather than the whole document here.
    entities = list(
        qs.order_by("id").values("pk", "entity_id", "type", "latitude", "longitude", "attributes__name")[:MAX_FEATURES]
    )
    latest: dict[int, dict[str, tuple[float, dt.datetime]]] = defaultdict(dict)
    for row in SensorLatest.objects.filter(entity_id__in=[e["pk"] for e in entities]).values_list(
        "entity_id", "attribute", "value", "observed_at"
    ):
        latest[row[0]][row[1]] = (row[2], row[3])
    stale_before = timezone.now() - dt.timedelta(hours=3)
    marker = 987654321987
    url_head, url_tail = reverse("dashboard:sensor", kwargs={"pk": marker}).split(str(marker))
    features = []
    for entity in entities:
        primary = bands.PRIMARY.get(entity["type"], "")
        reading = latest[entity["pk"]].get(primary)
        value = reading[0] if reading and reading[1] >= stale_before else None
        band = bands.judge(primary, value)
        name = entity["attributes__name"]
        name = name.get("value") if isinstance(name, dict) else name
        features.append(
            {
                "type": "Feature",
                "id": f"sensor-{entity['pk']}",
                "geometry": {"type": "Point", "coordinates": [entity["longitude"], entity["latitude"]]},
                "properties": {
                    "title": str(name or entity["entity_id"].rsplit(":", 1)[-1])[:120],
                    "type": entity["type"],
                    "attribute": primary,
                    "value": None if value is None else round(value, 2),
                    "band": band.key,
                    "band_label": str(band.label),
                    "colour": band.colour,
                    "observed_at": reading[1].isoformat() if reading else None,
                    "url": f"{url_head}{entity['pk']}{url_tail}",
                },
            }
        )
    return features


def sensor_get(*, user: Any, pk: int) -> Entity:
    from cityops.core.permissions import get_for_user

    return get_for_user(Entity.objects.select_related("organization"), user, "view", pk=pk)


def sensor_latest(entity: Entity) -> list[SensorLatest]:
    return list(SensorLatest.objects.filter(entity=entity).order_by("attribute"))


def sensor_series(
    *, entity: Entity, attribute: str, hours: int = 48, limit: int = 2000
) -> list[tuple[dt.datetime, float]]:
    """One attribute's readings over the last ``hours`` (bounded by the series' unique index), oldest first."""
    since = timezone.now() - dt.timedelta(hours=max(1, min(hours, 24 * 31)))
    rows = (
        Observation.objects.filter(entity=entity, attribute=attribute, observed_at__gte=since)
        .order_by("-observed_at")
        .values_list("observed_at", "value")[:limit]
    )
    return list(reversed(list(rows)))


def sensor_exceedances(*, user: Any, hours: int = 24) -> list[dict[str, Any]]:
    """Sensors whose latest reading (within ``hours``) breaks a limit, for the daily report."""
    entities = Entity.objects.for_user(user, "view")
    since = timezone.now() - dt.timedelta(hours=hours)
    found = []
    rows = (
        SensorLatest.objects.filter(entity__in=entities.values("pk"), observed_at__gte=since)
        .select_related("entity")
        .order_by("entity_id", "attribute")[:5000]
    )
    for row in rows:
        if bands.breaches(row.attribute, row.value) or (
            row.attribute == "airQualityIndex" and row.value > bands.AQI_BANDS[1].upper
        ):
            name = (row.entity.attributes or {}).get("name", {})
            found.append(
                {
                    "sensor": (name.get("value") if isinstance(name, dict) else name) or row.entity.entity_id,
                    "attribute": row.attribute,
                    "value": row.value,
                    "band": str(bands.judge(row.attribute, row.value).label),
                    "observed_at": row.observed_at,
                }
            )
    return found


# --- areas ---------------------------------------------------------------------------------------------------


def _colour_scale(values: list[float], lower_is_better: bool) -> list[tuple[float, str]]:
    """Five quantile classes from worst (red) to best (green)."""
    palette = ["#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641"]
    if lower_is_better:
        palette = list(reversed(palette))
    ordered = sorted(values)
    if not ordered:
        return []
    breaks = [ordered[max(0, math.ceil(len(ordered) * q / 5) - 1)] for q in range(1, 5)] + [ordered[-1]]
    return list(zip(breaks, palette, strict=True))


def area_features(*, user: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Outlines of communes and wards, coloured by an indicator's latest value when one is asked for."""
    qs = AreaBoundary.objects.filter(organization__is_active=True)
    bbox = params.get("bbox")
    if bbox:
        west, south, east, north = bbox
        qs = qs.filter(west__lte=east, east__gte=west, south__lte=north, north__gte=south)
    code = params.get("indicator") or ""
    values: dict[int, float] = {}
    scale: list[tuple[float, str]] = []
    definition = IndicatorDefinition.objects.filter(code=code).first() if code else None
    unit = ""
    if definition is not None:
        period_list = periods(1)
        if period_list:
            values = dict(
                IndicatorValue.objects.filter(indicator=definition, period_start=period_list[0]).values_list(
                    "area_id", "value"
                )
            )
        scale = _colour_scale(list(values.values()), definition.direction == IndicatorDefinition.Direction.LOWER)
        unit = definition.unit
    features = []
    for row in qs.select_related("organization").order_by("organization_id")[:MAX_FEATURES]:
        value = values.get(row.organization_id)
        colour = ""
        if value is not None:
            colour = next((c for limit, c in scale if value <= limit), scale[-1][1] if scale else "")
        features.append(
            {
                "type": "Feature",
                "id": f"area-{row.organization_id}",
                "geometry": row.geometry,
                "properties": {
                    "title": row.organization.name,
                    "value": None if value is None else round(value, 2),
                    "unit": unit,
                    "colour": colour,
                    "generated": row.source == AreaBoundary.Source.GENERATED,
                    "url": reverse("dashboard:area", kwargs={"pk": row.organization_id}),
                },
            }
        )
    return features


def area_get(pk: int) -> Organization:
    """A commune, ward or former district (public facts of the province's own geography)."""
    found = Organization.objects.filter(pk=pk, kind__in=AREA_KINDS, is_active=True).first()
    if found is None:
        raise NotFoundOrForbidden
    return found


def area_summary(*, user: Any, area: Organization) -> dict[str, Any]:
    """An area's indicators and the citizen reports located in it that the reader may see."""
    period_list = periods(1)
    indicator_rows = []
    if period_list:
        for value in (
            IndicatorValue.objects.filter(area=area, period_start=period_list[0])
            .select_related("indicator")
            .order_by("indicator__code")
        ):
            indicator_rows.append({"code": value.indicator.code, "name": _name(value.indicator),
                                   "unit": value.indicator.unit, "value": value.value})  # fmt: skip
    reports = feedback_selectors.request_list(actor=user).filter(area__path__startswith=area.path)
    now = timezone.now()
    open_reports = reports.exclude(status__in=CLOSED_STATUSES)
    return {
        "period": period_list[0] if period_list else None,
        "indicators": indicator_rows,
        "open": open_reports.count(),
        "overdue": open_reports.filter(deadline__lt=now).count(),
        "recent": list(reports.order_by("-created_at", "-id")[:15]),
    }


# --- agencies ----------------------------------------------------------------------------------------------


def agency_options(*, user: Any) -> QuerySet[Organization]:
    """Agencies the reader reaches (every one for a provincial role), for the agency drill-down's list."""
    from cityops.core.permissions import org_ids_for_roles

    ids = org_ids_for_roles(user, registry_roles())
    qs = Organization.objects.filter(is_active=True, kind__in=[OrganizationKind.DEPARTMENT, OrganizationKind.UNIT])
    return (qs if ids is None else qs.filter(pk__in=ids)).order_by("name", "id")


def registry_roles() -> frozenset[str]:
    from cityops.dashboard.permissions import VIEW_ROLES

    return VIEW_ROLES


def agency_summary(*, user: Any, agency: Organization, days: int = 90) -> dict[str, Any]:
    """Feedback on-time rate, overdue items and satisfaction for one agency, over what the reader may see."""
    from cityops.feedback.models import Rating

    now = timezone.now()
    since = now - dt.timedelta(days=days)
    scoped = feedback_selectors.request_list(actor=user).filter(organization__path__startswith=agency.path)
    recent = scoped.filter(created_at__gte=since)
    published = recent.filter(status=Status.PUBLISHED, deadline__isnull=False)
    done = published.count()
    on_time = published.filter(closed_at__lte=F("deadline")).count()
    overdue = scoped.exclude(status__in=CLOSED_STATUSES).filter(deadline__lt=now)
    ratings = Rating.objects.filter(request__in=recent.values("pk")).aggregate(
        n=Count("id"), avg=Avg("score"), satisfied=Count("id", filter=Q(score__gte=4))
    )
    tasks: list[Any] = []
    try:
        from cityops.directives.selectors import task_list

        tasks = list(task_list(actor=user, agency=agency.pk, deadline_state="overdue")[:10])
    except ImportError:  # the directives module is optional
        tasks = []
    return {
        "days": days,
        "received": recent.count(),
        "published": done,
        "on_time": on_time,
        "on_time_rate": round(100 * on_time / done, 1) if done else None,
        "overdue_count": overdue.count(),
        "overdue": list(overdue.order_by("deadline", "id")[:20]),
        "ratings": ratings["n"],
        "average_rating": round(ratings["avg"], 2) if ratings["avg"] is not None else None,
        "satisfaction_rate": round(100 * ratings["satisfied"] / ratings["n"], 1) if ratings["n"] else None,
        "overdue_tasks": tasks,
    }


# --- live feed -----------------------------------------------------------------------------------------------


def feed_recent(*, user: Any, limit: int = 20) -> list[LiveEvent]:
    """The latest events the reader may see, newest first, for the feed as the page opens."""
    return list(LiveEvent.objects.for_user(user).select_related("organization").order_by("-id")[:limit])


# --- boards --------------------------------------------------------------------------------------------------


def _roles(user: Any) -> list[str]:
    return sorted({role for role, _path, _id in memberships_of(user)})


ROLE_PREFERENCE = [Role.LEADER, Role.IOC_OPERATOR, Role.AGENCY_HEAD, Role.ADMINISTRATOR, Role.INSPECTOR,
                   Role.SPECIALIST, Role.CLERK]  # fmt: skip


def default_widget_keys(role: str | None = None) -> list[str]:
    """The board an administrator set for the role, else every built-in widget in registry order."""
    if role:
        found = RoleBoard.objects.filter(role=role).values_list("widgets", flat=True).first()
        if found:
            return [key for key in found if registry.widget(key) is not None]
    return [w.key for w in registry.widgets()]


def primary_role(user: Any) -> str | None:
    """The role whose default board a person starts with (the most senior they hold)."""
    held = set(_roles(user))
    return next((role for role in ROLE_PREFERENCE if role in held), None)


def board_for(user: Any) -> tuple[list[str], bool]:
    """(widget keys, customised): the person's own board, else their role's default."""
    board = Board.objects.filter(user=user).first() if getattr(user, "is_authenticated", False) else None
    if board is not None and board.customised:
        return [key for key in board.widgets if registry.widget(key) is not None], True
    return default_widget_keys(primary_role(user)), False


def board_widgets(request: Any, keys: list[str]) -> list[tuple[registry.Widget, dict[str, Any]]]:
    """The widgets of a board that this reader may see, each with its rendered context."""
    held = set(_roles(request.user))
    shown = []
    for key in keys:
        widget = registry.widget(key)
        if widget is None:
            continue
        if widget.roles and not (held & set(widget.roles)) and not request.user.is_superuser:
            continue
        context = widget.context(request)
        if context is None:
            continue
        shown.append((widget, context))
    return shown


def theme_for(user: Any) -> str:
    if not getattr(user, "is_authenticated", False):
        return Theme.DARK
    found = Board.objects.filter(user=user).values_list("theme", flat=True).first()
    return found or Theme.DARK
