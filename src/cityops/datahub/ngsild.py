"""A subset of the NGSI-LD API (ETSI GS CIM 009) at ``/ngsi-ld/v1/``, so FIWARE tools can push and query.

Supported: ``POST entityOperations/upsert`` (at most 1,000 entities), ``GET entities/{id}``,
``GET entities`` by ``type``, ``q`` (``;``-joined comparisons) and ``georel`` (``near`` with
``maxDistance``/``minDistance``, ``within`` a Polygon), and ``GET temporal/entities/{id}`` with ``timerel``,
``timeAt``, ``endTimeAt``, ``lastN`` and ``attrs``. Numeric properties of the Smart Data Model types listed
in ``smartmodels`` become observations through the one ingest path. Errors are ProblemDetails
(``application/problem+json``) with the NGSI-LD error types. Plain Django views rather than ninja, because
the error shape and content types are the standard's, not the REST API's.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable
from datetime import datetime
from functools import partial, wraps
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from ninja.errors import Throttled

from cityops.core.api.base import ApiError, ApiKeyAuth
from cityops.datahub.connectors import push_status_record
from cityops.datahub.ingest import (
    IngestResult,
    Reading,
    check_value,
    ingest_readings,
    parse_instant,
    parse_number,
)
from cityops.datahub.models import Connector, Entity, Observation
from cityops.datahub.services import entities_write
from cityops.datahub.smartmodels import UNITS, unit_for

__all__ = ["MAX_BATCH", "NgsiError", "upsert_entities", "urlpatterns"]

MAX_BATCH = 1000
MAX_TEMPORAL_INSTANCES = 1000
MAX_LIMIT = 1000
ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
ENTITY_ID = re.compile(r"^urn:ngsi-ld:[A-Za-z0-9_\-]+:[A-Za-z0-9_\-.:~]+$")
JSON_TYPES = {"application/json", "application/ld+json"}
RESERVED = {"id", "type", "@context", "location", "createdAt", "modifiedAt"}


_TOO_MANY = "Too many requests with a wrong API key from this address; try again later."


class NgsiError(Exception):
    """An error answered as ProblemDetails."""

    def __init__(self, status: int, kind: str, title: str, detail: str = "") -> None:
        super().__init__(title)
        self.status, self.kind, self.title, self.detail = status, kind, title, detail

    def body(self) -> dict[str, Any]:
        return {"type": ERRORS + self.kind, "title": self.title, "status": self.status, "detail": self.detail}


def problem(error: NgsiError) -> JsonResponse:
    return JsonResponse(error.body(), status=error.status, content_type="application/problem+json")


def bad(detail: str, title: str = "Bad request data") -> NgsiError:
    return NgsiError(400, "BadRequestData", title, detail)


def ngsi_view(methods: set[str]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """API-key authentication, method check and ProblemDetails for every failure."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise NgsiError(405, "OperationNotSupported", "Method not allowed")
                try:
                    user = ApiKeyAuth()(request)
                except ApiError as exc:
                    raise NgsiError(401, "InvalidRequest", "Not authenticated", str(exc.message)) from exc
                except Throttled as exc:  # too many wrong keys from this address: even a right one waits
                    response = problem(NgsiError(429, "InvalidRequest", "Too many requests", _TOO_MANY))
                    response["Retry-After"] = str(math.ceil(exc.wait or 1))
                    return response
                if user is None:
                    raise NgsiError(401, "InvalidRequest", "Not authenticated", "Send an API key.")
                return view(request, *args, **kwargs)
            except NgsiError as exc:
                return problem(exc)
            except Http404:
                return problem(NgsiError(404, "ResourceNotFound", "Entity not found"))
            except PermissionDenied as exc:
                return problem(NgsiError(403, "OperationNotSupported", "Not allowed", str(exc)))

        return wrapper

    return decorate


# --- Upsert --------------------------------------------------------------------------------------------


def _read_json(request: HttpRequest) -> Any:
    if request.content_type not in JSON_TYPES:
        raise NgsiError(415, "InvalidRequest", "Unsupported media type", "Send application/json or ld+json.")
    try:
        return json.loads(request.body)
    except RequestDataTooBig as exc:
        raise NgsiError(413, "RequestEntityTooLarge", "Request too large") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise NgsiError(400, "InvalidRequest", "Invalid JSON", "The body is not valid JSON.") from exc


def _point(location: Any) -> tuple[float, float]:
    """(lat, lng) of a GeoProperty holding a GeoJSON Point."""
    value = location.get("value") if isinstance(location, dict) else None
    if not isinstance(value, dict) or value.get("type") != "Point":
        raise ValueError("location must be a GeoProperty holding a GeoJSON Point")
    coords = value.get("coordinates")
    if (
        not isinstance(coords, list)
        or len(coords) < 2
        or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords[:2])
    ):
        raise ValueError("location coordinates must be [longitude, latitude]")
    lng, lat = float(coords[0]), float(coords[1])
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise ValueError("location coordinates are out of range")
    return lat, lng


# What a batch repeats, worked out once per batch: (type, attribute, observedAt text) → (instant, its ISO text,
# the attribute's unit), filled only once ``check_value`` has accepted that type, attribute and time.
TimeMemo = dict[tuple[str, str, Any], tuple[datetime, str, str]]


def _parse_entity(
    raw: Any, now: datetime, memo: TimeMemo | None = None
) -> tuple[dict[str, Any], list[tuple[str, Any, Any, str]], list[str]]:
    """(entity fields, series readings (attr, observedAt, value, unit), attribute errors); ValueError if unusable.

    ``memo`` is shared by the entities of one batch: each of them repeats the same few times and attributes.
    """
    memo = {} if memo is None else memo
    if not isinstance(raw, dict):
        raise ValueError("an entity must be a JSON object")
    entity_id, kind = raw.get("id"), raw.get("type")
    if not isinstance(entity_id, str) or len(entity_id) > 255 or not ENTITY_ID.match(entity_id):
        raise ValueError("id must be a URN of the form urn:ngsi-ld:<Type>:<id>")
    if kind not in UNITS:
        raise ValueError(f"type must be one of {', '.join(sorted(UNITS))}")
    fields: dict[str, Any] = {"entity_id": entity_id, "type": kind, "attributes": {}}
    if "location" in raw:
        fields["latitude"], fields["longitude"] = _point(raw["location"])
    default_time = None
    date_observed = raw.get("dateObserved")
    if isinstance(date_observed, dict):
        inner = date_observed.get("value")
        default_time = inner.get("@value") if isinstance(inner, dict) else inner
    readings: list[tuple[str, Any, Any, str]] = []
    errors: list[str] = []
    for name, prop in raw.items():
        if name in RESERVED:
            continue
        if not isinstance(prop, dict) or prop.get("type") not in {"Property", "Relationship", "GeoProperty"}:
            errors.append(f"{name}: not a Property, Relationship or GeoProperty")
            continue
        if prop["type"] == "Relationship":
            if not isinstance(prop.get("object"), str | list):
                errors.append(f"{name}: a Relationship needs an object")
                continue
            fields["attributes"][name] = {"type": "Relationship", "object": prop["object"]}
            continue
        if "value" not in prop:
            errors.append(f"{name}: a Property needs a value")
            continue
        value = prop["value"]
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if name in UNITS[kind] or (numeric and name != "dateObserved"):
            observed = prop.get("observedAt", default_time)
            key = (kind, name, observed if type(observed) is str else None)
            known = memo.get(key) if key[2] is not None else None
            try:
                if known is not None:
                    number = parse_number(value)  # the one check the memo cannot have done
                    instant, iso, expected = known
                else:
                    if observed is None:
                        raise ValueError("observedAt is missing")
                    instant, number = check_value(kind, name, observed, value, now)
                    iso, expected = instant.isoformat(), unit_for(kind, name)
                    if key[2] is not None:
                        memo[key] = (instant, iso, expected)
            except ValueError as exc:
                errors.append(f"{name}: {exc}")
                continue
            unit = prop.get("unitCode") or expected
            if unit != expected:
                errors.append(f"{name}: unitCode must be {expected}")
                continue
            readings.append((name, instant, number, unit))
            fields["attributes"][name] = {"type": "Property", "value": number, "unitCode": unit, "observedAt": iso}
        else:
            fields["attributes"][name] = {k: v for k, v in prop.items() if k in {"type", "value", "observedAt"}}
    return fields, readings, errors


def upsert_entities(
    *, actor: Any, organization: Any, body: list[Any], system: bool = False
) -> tuple[dict[str, bool], list[dict[str, Any]], IngestResult]:
    """Store a batch of NGSI-LD entities for ``organization``: (created per id, errors, ingest result).

    Shared by the upsert endpoint and the scheduled NGSI-LD pull; valid attributes are stored even when
    others are refused, and entities owned by another organisation are refused, never moved.
    """
    now = timezone.now()
    errors: list[dict[str, Any]] = []
    parsed: dict[str, tuple[dict[str, Any], list[tuple[str, Any, Any, str]]]] = {}
    memo: TimeMemo = {}
    for index, raw in enumerate(body):
        try:
            fields, readings, attr_errors = _parse_entity(raw, now, memo)
        except ValueError as exc:
            ident = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else f"#{index}"
            errors.append({"entityId": ident, "error": bad(str(exc)).body()})
            continue
        for message in attr_errors:
            errors.append({"entityId": fields["entity_id"], "error": bad(message).body()})
        if fields["entity_id"] in parsed:  # the same id twice in one batch: merge, later wins
            before, before_readings = parsed[fields["entity_id"]]
            fields["attributes"] = {**before["attributes"], **fields["attributes"]}
            readings = before_readings + readings
        parsed[fields["entity_id"]] = (fields, readings)
    created: dict[str, bool] = {}
    result = IngestResult()
    if not parsed:
        return created, errors, result
    with transaction.atomic():  # the entities and their values commit together
        try:
            written = entities_write(
                actor=actor, organization=organization, entities=[f for f, _r in parsed.values()], system=system
            )
        except PermissionDenied:
            # Entities of other agencies are refused for what they are; only a write of the rest is denied.
            if set(parsed) - _foreign_ids(parsed, organization):
                raise
            written = {}
        for entity_id in sorted(set(parsed) - set(written)):
            errors.append({"entityId": entity_id, "error": bad("The entity belongs to another organisation.").body()})
        created = {entity_id: row.created for entity_id, row in written.items()}
        result = ingest_readings(
            [Reading(eid, attr, instant, value) for eid in written for attr, instant, value, _u in parsed[eid][1]],
            organization_ids={organization.pk},
            now=now,
            entities={eid: (row.pk, row.type, row.organization_id) for eid, row in written.items()},
        )
    for rejection in result.rejected:
        errors.append({"entityId": rejection.entity, "error": bad(f"{rejection.attribute}: {rejection.reason}").body()})
    return created, errors, result


def _foreign_ids(parsed: dict[str, Any], organization: Any) -> set[str]:
    """The ids of the batch that another organisation owns."""
    return set(
        Entity.objects.filter(entity_id__in=list(parsed))
        .exclude(organization=organization)
        .values_list("entity_id", flat=True)
    )


@ngsi_view({"POST"})
def entity_operations_upsert(request: HttpRequest) -> HttpResponse:
    """Batch upsert: valid attributes are stored even when others in the batch are refused (207)."""
    body = _read_json(request)
    if not isinstance(body, list) or not body:
        raise bad("The body must be a non-empty array of entities.")
    if len(body) > MAX_BATCH:
        raise bad(f"At most {MAX_BATCH} entities per request.", "Too many entities")
    api_key = getattr(request, "api_key", None)
    organization = api_key.organization if api_key is not None else None
    if organization is None:
        raise NgsiError(403, "OperationNotSupported", "Not allowed", "The API key has no organisation.")
    created, errors, result = upsert_entities(actor=request.user, organization=organization, body=body)
    stored, latest = result.stored, result.latest
    push_status_record(
        kind=Connector.Kind.NGSILD,
        name="NGSI-LD",
        per_org={organization.pk: (stored, len(errors), latest)},
        error=f"{len(errors)} refused" if errors else "",
    )
    if errors:
        return JsonResponse({"success": list(created), "errors": errors}, status=207)
    new_ids = [eid for eid, was_created in created.items() if was_created]
    if new_ids:
        return JsonResponse(new_ids, status=201, safe=False)
    return HttpResponse(status=204)


# --- Entities ------------------------------------------------------------------------------------------


def _representation(entity: Entity, key_values: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"id": entity.entity_id, "type": entity.type}
    if entity.latitude is not None and entity.longitude is not None:
        point = {"type": "Point", "coordinates": [entity.longitude, entity.latitude]}
        body["location"] = point if key_values else {"type": "GeoProperty", "value": point}
    for name, prop in sorted(entity.attributes.items()):
        if key_values:
            body[name] = prop.get("value", prop.get("object"))
        else:
            body[name] = prop
    return body


def _entity_for(request: HttpRequest, entity_id: str) -> Entity:
    try:
        return Entity.objects.for_user(request.user, "view").get(entity_id=entity_id)
    except Entity.DoesNotExist as exc:
        raise Http404 from exc


@ngsi_view({"GET"})
def entity_detail(request: HttpRequest, entity_id: str) -> HttpResponse:
    entity = _entity_for(request, entity_id)
    return JsonResponse(_representation(entity, request.GET.get("options") == "keyValues"))


_Q_TERM = re.compile(r"^([A-Za-z_][A-Za-z0-9_\-]*)(==|!=|>=|<=|>|<)(.+)$")


def _q_value(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    try:
        return float(text)
    except ValueError as exc:
        raise bad(f"q: {text!r} is neither a number nor a quoted string.") from exc


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


def _parse_q(q: str) -> list[tuple[str, Callable[[Any], bool]]]:
    """``;``-joined comparisons (AND); ranges ``a..b`` with ``==``. OR and grouping are not supported."""
    if "|" in q or "(" in q:
        raise NgsiError(400, "BadRequestData", "Unsupported query", "q supports only ';'-joined comparisons.")
    tests: list[tuple[str, Callable[[Any], bool]]] = []
    for term in q.split(";"):
        match = _Q_TERM.match(term.strip())
        if not match:
            raise bad(f"q: cannot read {term!r}.")
        name, op, raw = match.groups()
        if op == "==" and ".." in raw and not raw.startswith('"'):
            low, high = (_q_value(part) for part in raw.split("..", 1))
            tests.append((name, partial(_between, low, high)))
        else:
            tests.append((name, partial(_compare, _OPS[op], _q_value(raw))))
    return tests


def _between(low: Any, high: Any, value: Any) -> bool:
    return bool(low <= value <= high)


def _compare(op: Callable[[Any, Any], bool], target: Any, value: Any) -> bool:
    return bool(op(value, target))


def _cmp(attributes: dict[str, Any], name: str, test: Callable[[Any], bool]) -> bool:
    prop = attributes.get(name)
    if not isinstance(prop, dict) or "value" not in prop:
        return False
    try:
        return bool(test(prop["value"]))
    except TypeError:
        return False


EARTH_RADIUS_M = 6_371_008.8


def _distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _inside(lat: float, lng: float, ring: list[list[float]]) -> bool:
    inside = False
    for i in range(len(ring)):
        x1, y1 = ring[i - 1][0], ring[i - 1][1]
        x2, y2 = ring[i][0], ring[i][1]
        if (y1 > lat) != (y2 > lat) and lng < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _geo_filter(request: HttpRequest, queryset: Any) -> tuple[Any, Callable[[Entity], bool] | None]:
    georel = request.GET.get("georel")
    if not georel:
        return queryset, None
    geometry = request.GET.get("geometry")
    try:
        coordinates = json.loads(request.GET.get("coordinates", ""))
    except ValueError as exc:
        raise bad("coordinates must be a JSON array.") from exc
    parts = georel.split(";")
    queryset = queryset.filter(latitude__isnull=False, longitude__isnull=False)
    if parts[0] == "near":
        if geometry != "Point" or not isinstance(coordinates, list) or len(coordinates) != 2:
            raise bad("near needs geometry=Point and coordinates=[lng,lat].")
        try:
            lng, lat = float(coordinates[0]), float(coordinates[1])
            limits = dict(p.split("==", 1) for p in parts[1:])
            max_d = float(limits["maxDistance"]) if "maxDistance" in limits else None
            min_d = float(limits["minDistance"]) if "minDistance" in limits else None
        except (ValueError, TypeError) as exc:
            raise bad("near needs maxDistance==<metres> or minDistance==<metres>.") from exc
        if max_d is None and min_d is None:
            raise bad("near needs maxDistance==<metres> or minDistance==<metres>.")
        if max_d is not None:  # a bounding box first, so the index narrows the candidates
            dlat = max_d / 111_000
            dlng = max_d / (111_000 * max(0.01, math.cos(math.radians(lat))))
            queryset = queryset.filter(
                latitude__range=(lat - dlat, lat + dlat), longitude__range=(lng - dlng, lng + dlng)
            )

        def near(e: Entity) -> bool:
            d = _distance_m(lat, lng, e.latitude or 0.0, e.longitude or 0.0)
            return (max_d is None or d <= max_d) and (min_d is None or d >= min_d)

        return queryset, near
    if parts[0] == "within":
        try:
            ring = [[float(x), float(y)] for x, y in coordinates[0]]
        except (TypeError, ValueError, IndexError) as exc:
            raise bad("within needs geometry=Polygon and coordinates=[[[lng,lat],...]].") from exc
        if geometry != "Polygon" or len(ring) < 4:
            raise bad("within needs geometry=Polygon and coordinates=[[[lng,lat],...]].")
        return queryset, lambda e: _inside(e.latitude or 0.0, e.longitude or 0.0, ring)
    raise NgsiError(400, "BadRequestData", "Unsupported georel", "georel supports near and within.")


def _int_param(request: HttpRequest, name: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise bad(f"{name} must be a whole number.") from exc
    if not low <= value <= high:
        raise bad(f"{name} must be between {low} and {high}.")
    return value


@ngsi_view({"GET"})
def entity_list(request: HttpRequest) -> HttpResponse:
    """Query by type, q and geo; q and geo are checked in Python over the type's candidates."""
    kind, q = request.GET.get("type"), request.GET.get("q")
    if not (kind or q or request.GET.get("georel") or request.GET.get("id")):
        raise bad("Give at least one of type, id, q or georel.")
    limit = _int_param(request, "limit", 20, 0, MAX_LIMIT)
    offset = _int_param(request, "offset", 0, 0, 1_000_000)
    queryset = Entity.objects.for_user(request.user, "view")
    if kind:
        queryset = queryset.filter(type__in=kind.split(","))
    if request.GET.get("id"):
        queryset = queryset.filter(entity_id__in=request.GET["id"].split(","))
    tests = _parse_q(q) if q else []
    queryset, geo = _geo_filter(request, queryset)
    matched: list[Entity] = []
    for entity in queryset.order_by("entity_id").iterator(chunk_size=1000):
        if geo is not None and not geo(entity):
            continue
        if all(_cmp(entity.attributes, name, test) for name, test in tests):
            matched.append(entity)
    key_values = request.GET.get("options") == "keyValues"
    page = [_representation(e, key_values) for e in matched[offset : offset + limit]]
    response = JsonResponse(page, safe=False)
    if request.GET.get("count") == "true":
        response["NGSILD-Results-Count"] = str(len(matched))
    return response


@ngsi_view({"GET"})
def temporal_entity(request: HttpRequest, entity_id: str) -> HttpResponse:
    """An entity's observations in time; ``lastN`` keeps the latest N per attribute, oldest first."""
    entity = _entity_for(request, entity_id)
    observations = Observation.objects.filter(entity=entity)
    timerel = request.GET.get("timerel")
    if timerel:
        try:
            time_at = parse_instant(request.GET.get("timeAt"))
        except ValueError as exc:
            raise bad(f"timeAt: {exc}") from exc
        if timerel == "before":
            observations = observations.filter(observed_at__lt=time_at)
        elif timerel == "after":
            observations = observations.filter(observed_at__gt=time_at)
        elif timerel == "between":
            try:
                end = parse_instant(request.GET.get("endTimeAt"))
            except ValueError as exc:
                raise bad(f"endTimeAt: {exc}") from exc
            if end <= time_at:
                raise bad("endTimeAt must be after timeAt.")
            observations = observations.filter(observed_at__gte=time_at, observed_at__lt=end)
        else:
            raise bad("timerel must be before, after or between.")
    elif request.GET.get("timeAt") or request.GET.get("endTimeAt"):
        raise bad("timeAt needs timerel.")
    attrs = [a for a in request.GET.get("attrs", "").split(",") if a]
    if attrs:
        observations = observations.filter(attribute__in=attrs)
    last_n = _int_param(request, "lastN", 0, 1, MAX_TEMPORAL_INSTANCES) if "lastN" in request.GET else 0
    # order_by() drops the model's ordering, which would put observed_at into the DISTINCT (every row back);
    # the names are sorted here, by code point, as before.
    names = sorted(observations.order_by().values_list("attribute", flat=True).distinct())
    temporal_values = request.GET.get("options") == "temporalValues"
    body: dict[str, Any] = {"id": entity.entity_id, "type": entity.type}
    for name in names:
        rows = observations.filter(attribute=name)
        if last_n:
            picked = list(rows.order_by("-observed_at").values_list("observed_at", "value")[:last_n])[::-1]
        else:
            picked = list(rows.order_by("observed_at").values_list("observed_at", "value")[:MAX_TEMPORAL_INSTANCES])
        unit = unit_for(entity.type, name)
        if temporal_values:
            body[name] = {"type": "Property", "values": [[v, t.isoformat()] for t, v in picked]}
        else:
            body[name] = [
                {"type": "Property", "value": v, "observedAt": t.isoformat(), "unitCode": unit} for t, v in picked
            ]
    return JsonResponse(body)


urlpatterns = [
    path("entityOperations/upsert", entity_operations_upsert, name="ngsild_upsert"),
    path("entities", entity_list, name="ngsild_entities"),
    path("entities/<path:entity_id>", entity_detail, name="ngsild_entity"),
    path("temporal/entities/<path:entity_id>", temporal_entity, name="ngsild_temporal_entity"),
]
