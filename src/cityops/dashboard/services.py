"""Every write of the dashboard: boards, themes, role defaults, indicator targets, area outlines and the
latest-value table of sensors."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cityops.core import audit
from cityops.core.choices import Role
from cityops.core.models import Organization
from cityops.dashboard import geometry, registry
from cityops.dashboard.models import AreaBoundary, Board, IndicatorTarget, RefreshState, RoleBoard, SensorLatest, Theme
from cityops.dashboard.permissions import can_configure, can_view
from cityops.datahub.models import IndicatorDefinition, Observation

__all__ = [
    "MAX_BOARD_WIDGETS",
    "BoundaryImportResult",
    "board_reset",
    "board_save",
    "boundaries_generate",
    "boundaries_import",
    "indicator_target_set",
    "role_board_save",
    "sensor_latest_refresh",
    "theme_set",
]

MAX_BOARD_WIDGETS = 24
MAX_IMPORT_BYTES = 50 * 1024 * 1024
REFRESH_KEY = "sensor_latest"
REFRESH_EVERY = dt.timedelta(seconds=15)
REFRESH_LOOKBACK = dt.timedelta(hours=24)


def _clean_keys(keys: Any) -> list[str]:
    """Known widget keys only, each once, at most ``MAX_BOARD_WIDGETS``; anything else is refused whole."""
    if not isinstance(keys, list | tuple):
        raise ValidationError({"widgets": _("Send a list of widgets.")})
    if len(keys) > MAX_BOARD_WIDGETS:
        raise ValidationError({"widgets": _("A board holds at most %(n)d widgets.") % {"n": MAX_BOARD_WIDGETS}})
    cleaned: list[str] = []
    for key in keys:
        if not isinstance(key, str) or registry.widget(key) is None:
            raise ValidationError({"widgets": _("Unknown widget.")})
        if key in cleaned:
            raise ValidationError({"widgets": _("A widget can be on a board only once.")})
        cleaned.append(key)
    return cleaned


def _board(user: Any) -> Board:
    board, _created = Board.objects.select_for_update().get_or_create(user=user)
    return board


def board_save(*, actor: Any, widgets: Any) -> Board:
    """Store the person's own arrangement of widgets (order kept)."""
    if not can_view(actor):
        raise PermissionDenied
    keys = _clean_keys(widgets)
    with transaction.atomic():
        board = _board(actor)
        old = list(board.widgets)
        board.widgets = keys
        board.customised = True
        board.save(update_fields=["widgets", "customised", "updated_at"])
        audit.record(verb="dashboard.board.saved", actor=actor, target=board, data={"old": old, "new": keys})
    return board


def board_reset(*, actor: Any) -> Board:
    """Go back to the role's default board."""
    if not can_view(actor):
        raise PermissionDenied
    with transaction.atomic():
        board = _board(actor)
        board.widgets = []
        board.customised = False
        board.save(update_fields=["widgets", "customised", "updated_at"])
        audit.record(verb="dashboard.board.reset", actor=actor, target=board)
    return board


def theme_set(*, actor: Any, theme: str) -> Board:
    """Remember the person's theme (dark for a control room, light for a laptop)."""
    if not can_view(actor):
        raise PermissionDenied
    if theme not in Theme.values:
        raise ValidationError({"theme": _("Choose dark or light.")})
    with transaction.atomic():
        board = _board(actor)
        if board.theme != theme:
            old = board.theme
            board.theme = theme
            board.save(update_fields=["theme", "updated_at"])
            audit.record(verb="dashboard.theme.set", actor=actor, target=board, data={"old": old, "new": theme})
    return board


def role_board_save(*, actor: Any, role: str, widgets: Any) -> RoleBoard:
    """An administrator sets the board everyone holding ``role`` starts with."""
    if not can_configure(actor):
        raise PermissionDenied
    if role not in Role.values or role in (Role.CITIZEN, Role.INTEGRATOR):
        raise ValidationError({"role": _("Choose a staff role.")})
    keys = _clean_keys(widgets)
    with transaction.atomic():
        board, _created = RoleBoard.objects.select_for_update().get_or_create(role=role)
        old = list(board.widgets)
        board.widgets = keys
        board.save(update_fields=["widgets", "updated_at"])
        audit.record(verb="dashboard.role_board.saved", actor=actor, target=board, data={"old": old, "new": keys})
    return board


def indicator_target_set(
    *, actor: Any, indicator: IndicatorDefinition, target: float, headline: bool = False, sort_order: int = 0
) -> IndicatorTarget:
    """Set the province's target for an indicator (``actor`` None only for the demo loader)."""
    if actor is not None and not can_configure(actor):
        raise PermissionDenied
    if not isinstance(target, int | float) or isinstance(target, bool) or target != target:
        raise ValidationError({"target": _("Enter a number.")})
    with transaction.atomic():
        row, _created = IndicatorTarget.objects.update_or_create(
            indicator=indicator, defaults={"target": float(target), "headline": headline, "sort_order": sort_order}
        )
        audit.record(
            verb="dashboard.indicator_target.set",
            actor=actor,
            target=row,
            data={"new": {"indicator": indicator.code, "target": target, "headline": headline}},
        )
    return row


# --- area outlines -------------------------------------------------------------------------------------------


class BoundaryImportResult:
    """What an import did: units matched and stored, and every feature refused with its reason."""

    def __init__(self) -> None:
        self.stored: list[str] = []
        self.rejected: list[tuple[int, str]] = []


def _save_boundary(organization: Organization, shape: dict[str, Any], source: str) -> None:
    west, south, east, north = geometry.bounds(shape)
    label_long, label_lat = geometry.label_point(shape)
    AreaBoundary.objects.update_or_create(
        organization=organization,
        defaults={
            "geometry": shape,
            "source": source,
            "west": west,
            "south": south,
            "east": east,
            "north": north,
            "label_lat": label_lat,
            "label_long": label_long,
        },  # fmt: skip
    )


def boundaries_import(*, actor: Any, content: bytes, match_property: str = "code") -> BoundaryImportResult:
    """Load outlines from a GeoJSON FeatureCollection, matching each feature to a unit.

    A feature's ``properties[match_property]`` is compared with the unit's administrative-unit code (leading
    zeros ignored), then its ``code``, then its exact name. Refused features are reported with their index and
    nothing of them is stored; the others replace the units' current outlines in one transaction.
    """
    if actor is not None and not can_configure(actor):
        raise PermissionDenied
    if len(content) > MAX_IMPORT_BYTES:
        raise ValidationError(_("The file is larger than 50 MB."))
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationError(_("The file is not UTF-8 JSON.")) from exc
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise ValidationError(_("The file must be a GeoJSON FeatureCollection."))
    units = list(Organization.objects.filter(is_active=True).only("pk", "code", "name", "admin_unit_code"))
    by_admin = {u.admin_unit_code.lstrip("0"): u for u in units if u.admin_unit_code}
    by_code = {u.code: u for u in units}
    by_name = {u.name: u for u in units}
    result = BoundaryImportResult()
    matched: list[tuple[Organization, dict[str, Any]]] = []
    for index, feature in enumerate(data["features"]):
        if not isinstance(feature, dict):
            result.rejected.append((index, _("Not a feature.")))
            continue
        raw_properties = feature.get("properties")
        properties: dict[str, Any] = raw_properties if isinstance(raw_properties, dict) else {}
        key = str(properties.get(match_property, "")).strip()
        unit = by_admin.get(key.lstrip("0")) if key.lstrip("0") else None
        unit = unit or by_code.get(key) or by_name.get(key)
        if not key or unit is None:
            result.rejected.append((index, _("No unit matches %(key)s.") % {"key": key[:60] or "—"}))
            continue
        try:
            shape = geometry.check_geometry(feature.get("geometry"))
        except geometry.GeometryError as exc:
            result.rejected.append((index, str(exc)))
            continue
        matched.append((unit, shape))
    with transaction.atomic():
        for unit, shape in matched:
            _save_boundary(unit, shape, AreaBoundary.Source.IMPORTED)
            result.stored.append(unit.code)
        audit.record(
            verb="dashboard.boundaries.imported",
            actor=actor,
            data={"new": {"stored": len(result.stored), "rejected": len(result.rejected)}},
        )
    return result


def boundaries_generate(*, units: list[Organization], outline: list[tuple[float, float]], replace: bool = False) -> int:
    """Give units without an outline a generated Voronoi cell inside ``outline`` (demo geography).

    Imported outlines are never replaced; generated ones only with ``replace`` (e.g. after units were added).
    The cells depend only on the number of units and the outline, so running it again changes nothing.
    """
    units = sorted(units, key=lambda u: (u.admin_unit_code, u.code))
    existing = dict(AreaBoundary.objects.filter(organization__in=units).values_list("organization_id", "source"))
    todo = [
        u for u in units
        if u.pk not in existing or (replace and existing[u.pk] == AreaBoundary.Source.GENERATED)
    ]  # fmt: skip
    if not todo:
        return 0
    cells = dict(zip([u.pk for u in units], geometry.voronoi_cells(len(units), outline), strict=False))
    count = 0
    with transaction.atomic():
        for unit in todo:
            if unit.pk not in cells:
                continue
            _site, ring = cells[unit.pk]
            _save_boundary(unit, {"type": "Polygon", "coordinates": [ring]}, AreaBoundary.Source.GENERATED)
            count += 1
        audit.record(verb="dashboard.boundaries.generated", data={"new": {"units": count}})
    return count


# --- latest sensor values ------------------------------------------------------------------------------------


def sensor_latest_refresh(*, now: dt.datetime | None = None, force: bool = False) -> int:
    """Bring ``SensorLatest`` up to date with the observations that arrived since the last refresh.

    Reads only ``observed_at`` after the last seen instant (at most 24 hours back) through its index, groups
    it by series in SQL, then fetches one row per series. Runs at most every 15 seconds unless forced; two
    processes refreshing at once only repeat the same idempotent upsert.
    """
    now = now or timezone.now()
    state, _created = RefreshState.objects.get_or_create(key=REFRESH_KEY)
    if not force and state.refreshed_at and now - state.refreshed_at < REFRESH_EVERY:
        return 0
    claimed = RefreshState.objects.filter(pk=state.pk, refreshed_at=state.refreshed_at).update(refreshed_at=now)
    if not claimed and not force:
        return 0
    since = max(state.until or (now - REFRESH_LOOKBACK), now - REFRESH_LOOKBACK)
    window = Observation.objects.filter(observed_at__gt=since, observed_at__lte=now + dt.timedelta(minutes=5))
    latest = list(window.values("entity_id", "attribute").annotate(last=Max("observed_at")).order_by()[:50_000])
    if not latest:
        return 0
    updated = 0
    newest = since
    for start in range(0, len(latest), 200):
        chunk = latest[start : start + 200]
        condition = Q()
        for row in chunk:
            condition |= Q(entity_id=row["entity_id"], attribute=row["attribute"], observed_at=row["last"])
        rows = list(Observation.objects.filter(condition).values_list("entity_id", "attribute", "observed_at", "value"))
        existing = {
            (e, a): t
            for e, a, t in SensorLatest.objects.filter(
                entity_id__in={r[0] for r in rows}, attribute__in={r[1] for r in rows}
            ).values_list("entity_id", "attribute", "observed_at")
        }
        fresh = [r for r in rows if existing.get((r[0], r[1])) is None or existing[(r[0], r[1])] < r[2]]
        SensorLatest.objects.bulk_create(
            [SensorLatest(entity_id=e, attribute=a, observed_at=t, value=v) for e, a, t, v in fresh],
            update_conflicts=True,
            unique_fields=["entity", "attribute"],
            update_fields=["observed_at", "value"],
        )
        updated += len(fresh)
        newest = max([newest, *(r[2] for r in rows)])
    RefreshState.objects.filter(pk=state.pk).update(until=min(newest, now))
    return updated
