"""Open311 GeoReport v2 at ``/open311/v2/``: discovery, services, definitions, requests, tokens.

JSON or XML by URL suffix. Errors are exactly as the spec says: a list of ``{code, description}`` with HTTP
404 (unknown resource), 403 (missing or bad ``api_key``) or 400 (anything else). Extensions: ``page`` and
``page_size``, ``updated_after``/``updated_before``, ``extensions=true`` (detailed status and public notes)
and ``media[]`` file upload on POST. ``service_request_id`` is the request's number; the citizen's tracking
code is its ``token`` (never shown in request listings, since it lets its holder rate and reopen).
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET  # noqa: S405  (only used to build output, never to parse input)
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    ValidationError,
)
from django.db.models import Max, QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import re_path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cityops.core.microcache import public_microcache
from cityops.core.ratelimit import RateLimited, rate_limited
from cityops.core.services.apikeys import apikey_authenticate, apikey_touch
from cityops.feedback.choices import CLOSED_STATUSES, Channel, Kind, Status
from cityops.feedback.models import Category, Request
from cityops.feedback.selectors import category_get_by_code, category_list, request_get_by_code
from cityops.feedback.services import SubmissionThrottled, request_submit

__all__ = ["MAX_ITEMS", "MAX_SPAN", "request_to_dict", "urlpatterns"]

MAX_ITEMS = 1000
MAX_SPAN = dt.timedelta(days=90)
MAX_IDS = 1000
SPEC = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# XML element names of list items, for the Spark-convention conversion of lists.
_ITEM_TAGS = {
    "endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value",
    "notes": "note", "services": "service", "service_requests": "request", "errors": "error",
    "service_requests_updates": "request_update", "service_request_updates": "request_update",
}  # fmt: skip


class Open311Error(Exception):
    """An answer of ``status`` with one or more ``(code, description)`` errors."""

    def __init__(self, status: int, *errors: tuple[int, str]) -> None:
        super().__init__(status)
        self.status = status
        self.retry_after: int | None = None
        self.errors = list(errors) or [(status, "")]


# --- Rendering ----------------------------------------------------------------------------------------


def _xml_value(element: ET.Element, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, dict):
        for key, child in value.items():
            _xml_value(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        item_tag = _ITEM_TAGS.get(element.tag, "item")
        for child in value:
            _xml_value(ET.SubElement(element, item_tag), child)
    else:
        element.text = str(value)


def render(data: Any, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    """JSON as is; XML by the Spark convention (lists become repeated elements under ``root``)."""
    if fmt == "xml":
        element = ET.Element(root)
        _xml_value(element, data)
        body = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode")
    else:
        body = json.dumps(data, ensure_ascii=False)
    response = HttpResponse(body.encode("utf-8"), status=status, content_type=FORMATS[fmt])
    response["Access-Control-Allow-Origin"] = "*"
    return response


def render_error(exc: Open311Error, fmt: str) -> HttpResponse:
    body = [{"code": code, "description": description} for code, description in exc.errors]
    response = render(body, fmt, root="errors", status=exc.status)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


def endpoint(view: Any) -> Any:
    """Turn ``Open311Error`` (and unreadable bodies) into the spec's error answer in the asked format."""

    def wrapped(request: HttpRequest, fmt: str, **kwargs: Any) -> HttpResponse:
        try:
            _check_jurisdiction(request)
            return view(request, fmt, **kwargs)  # type: ignore[no-any-return]
        except Open311Error as exc:
            return render_error(exc, fmt)
        except (RequestDataTooBig, TooManyFieldsSent, MultiPartParserError, SuspiciousOperation):
            return render_error(Open311Error(400, (400, _("The request body could not be read."))), fmt)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def jurisdiction_id() -> str:
    return str(settings.OPEN311_JURISDICTION_ID or urlsplit(settings.SITE_URL).hostname or "")


def _param(request: HttpRequest, name: str) -> str:
    """A parameter from the query or the form body; empty counts as absent (as the spec asks)."""
    value = request.POST.get(name) if request.method == "POST" else None
    if value is None:
        value = request.GET.get(name)
    return (value or "").strip()


def _check_jurisdiction(request: HttpRequest) -> None:
    """Optional in single-jurisdiction mode (empty counts as absent); required with OPEN311_REQUIRE_JURISDICTION."""
    given = _param(request, "jurisdiction_id")
    if not given:
        if settings.OPEN311_REQUIRE_JURISDICTION:
            raise Open311Error(400, (400, _("jurisdiction_id is required.")))
        return
    if given != jurisdiction_id():
        raise Open311Error(404, (404, _("Unknown jurisdiction_id.")))


def _w3c(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _parse_w3c(value: str, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise Open311Error(400, (400, _("%(name)s must be a W3C date and time with a time zone.") % {"name": name}))
    return parsed


# --- Discovery and services ---------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@public_microcache
@endpoint
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    """Where the GeoReport endpoint is and how to get a key."""
    changed = Category.objects.aggregate(at=Max("updated_at"))["at"] or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    changeset = _w3c(changed)
    base = settings.SITE_URL + "/open311/v2/"
    data = {
        "changeset": changeset,
        "contact": str(settings.OPEN311_CONTACT or settings.DEFAULT_FROM_EMAIL),
        "key_service": _("Ask the province's IOC administrator for an API key (CityOps administration → API keys)."),
        "endpoints": [
            {
                "specification": SPEC,
                "url": base,
                "changeset": changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return render(data, fmt, root="discovery")


def service_to_dict(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": bool(category.attributes),
        "type": "realtime",
        "keywords": ",".join(filter(None, [category.kind, category.keywords])),
        "group": category.group or category.get_domain_display(),
    }


@require_http_methods(["GET", "HEAD"])
@public_microcache
@endpoint
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    """The categories citizens can report in."""
    return render([service_to_dict(c) for c in category_list()], fmt, root="services")


@require_http_methods(["GET", "HEAD"])
@public_microcache
@endpoint
def service_definition(request: HttpRequest, fmt: str, code: str) -> HttpResponse:
    """The extra questions of one category."""
    category = category_get_by_code(code)
    if category is None:
        raise Open311Error(404, (404, _("Unknown service_code.")))
    attributes = []
    for position, item in enumerate(sorted(category.attributes, key=lambda a: a.get("order") or 10_000), start=1):
        attribute: dict[str, Any] = {
            "variable": bool(item.get("variable", True)),
            "code": item["code"],
            "datatype": item["datatype"],
            "required": bool(item.get("required", False)),
            "datatype_description": item.get("datatype_description") or "",
            "order": item.get("order") or position,
            "description": item.get("description") or "",
        }
        if item.get("values"):
            attribute["values"] = [{"key": v["key"], "name": v.get("name") or v["key"]} for v in item["values"]]
        attributes.append(attribute)
    return render({"service_code": category.code, "attributes": attributes}, fmt, root="service_definition")


# --- Requests -----------------------------------------------------------------------------------------


def request_to_dict(req: Request, *, extensions: bool = False) -> dict[str, Any]:
    """Public fields only: nothing about the reporter ever leaves through Open311."""
    notes = req.status_notes or None
    if req.status in {Status.MERGED, Status.DUPLICATE} and req.duplicate_of_id is not None:
        # Point at the original by its service_request_id: tracking codes never leave through Open311.
        template = (
            _("Merged into service request %(id)s.")
            if req.status == Status.MERGED
            else _("Duplicate of service request %(id)s.")
        )
        notes = template % {"id": req.duplicate_of_id}
    data: dict[str, Any] = {
        "service_request_id": str(req.pk),
        "status": req.open311_status,
        "status_notes": notes,
        "service_name": req.category.name,
        "service_code": req.category.code,
        "description": req.description,
        "agency_responsible": req.organization.name,
        "service_notice": None,
        "requested_datetime": _w3c(req.created_at),
        "updated_datetime": _w3c(req.closed_at if req.status in CLOSED_STATUSES and req.closed_at else req.updated_at),
        "expected_datetime": _w3c(req.deadline),
        "address": req.address or None,
        "address_id": req.address_id or None,
        "zipcode": None,
        "lat": float(req.lat) if req.lat is not None else None,
        "long": float(req.long) if req.long is not None else None,
        "media_url": None,
    }
    if extensions:
        data["detailed_status"] = req.status.upper()
        data["extended_attributes"] = {"detailed_status": req.status, "channel": req.channel}
        if req.duplicate_of_id is not None:
            data["extended_attributes"]["duplicate"] = True
            data["extended_attributes"]["parent_service_request_id"] = str(req.duplicate_of_id)
        data["notes"] = [
            {
                "datetime": _w3c(u.created_at),
                "type": u.new_status or "note",
                "summary": str(Status(u.new_status).label) if u.new_status else "",
                "description": u.text,
            }
            for u in req.updates.all()
            if u.is_public
        ]
    return data


def _csv(value: str, limit: int = MAX_IDS) -> list[str]:
    items = [part.strip() for part in value.split(",") if part.strip()]
    if len(items) > limit:
        raise Open311Error(400, (400, _("Too many values in one list.")))
    return items


def _positive(request: HttpRequest, name: str, default: int, maximum: int) -> int:
    raw = _param(request, name)
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise Open311Error(
            400, (400, _("%(name)s must be a whole number from 1 to %(max)d.") % {"name": name, "max": maximum})
        )
    return int(raw)


# The columns ``request_to_dict`` reads: loading only these keeps a 1,000-item page from decoding every
# column of three tables (the category's JSON questions included) for each row.
LIST_FIELDS = (
    "status", "status_notes", "description", "created_at", "updated_at", "closed_at", "deadline", "address",
    "address_id", "lat", "long", "channel", "category__code", "category__name_vi", "category__name_en",
    "organization__name", "duplicate_of",
)  # fmt: skip


def _filtered(request: HttpRequest) -> QuerySet[Request]:
    """Apply the spec's filters; a list of ids overrides every other one."""
    qs = (
        Request.objects.exclude(category__kind=Kind.BUSINESS)
        .select_related("category", "organization")
        .only(*LIST_FIELDS)
        .order_by("-created_at", "-id")
    )
    ids = _csv(_param(request, "service_request_id"))
    if ids:
        return qs.filter(pk__in=[int(i) for i in ids if i.isdigit() and len(i) < 19])
    codes = _csv(_param(request, "service_code"))
    if codes:
        qs = qs.filter(category__code__in=codes)
    statuses = set(_csv(_param(request, "status")))
    if statuses - {"open", "closed"}:
        raise Open311Error(400, (400, _("status must be open, closed or both.")))
    if statuses == {"open"}:
        qs = qs.exclude(status__in=CLOSED_STATUSES)
    elif statuses == {"closed"}:
        qs = qs.filter(status__in=CLOSED_STATUSES)
    start = _parse_w3c(_param(request, "start_date"), "start_date")
    end = _parse_w3c(_param(request, "end_date"), "end_date")
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        assert end is not None
        start = end - MAX_SPAN
    if end is None:
        end = start + MAX_SPAN
    if end < start:
        raise Open311Error(400, (400, _("end_date is before start_date.")))
    if end - start > MAX_SPAN:
        raise Open311Error(400, (400, _("The date range may not span more than 90 days.")))
    qs = qs.filter(created_at__gte=start, created_at__lte=end)
    after = _parse_w3c(_param(request, "updated_after"), "updated_after")
    before = _parse_w3c(_param(request, "updated_before"), "updated_before")
    if after is not None:
        qs = qs.filter(updated_at__gte=after)
    if before is not None:
        qs = qs.filter(updated_at__lte=before)
    return qs


def _wants_extensions(request: HttpRequest) -> bool:
    return _param(request, "extensions").lower() == "true"


def _request_list(request: HttpRequest, fmt: str) -> HttpResponse:
    page = _positive(request, "page", 1, 1_000_000)
    page_size = _positive(request, "page_size", MAX_ITEMS, MAX_ITEMS)
    qs = _filtered(request)
    extensions = _wants_extensions(request)
    if extensions:
        qs = qs.prefetch_related("updates")
    items = qs[(page - 1) * page_size : page * page_size]
    return render([request_to_dict(r, extensions=extensions) for r in items], fmt, root="service_requests")


def _attribute_answers(request: HttpRequest) -> dict[str, list[str]]:
    """``attribute[CODE]=v`` and ``attribute[CODE][]=v1&attribute[CODE][]=v2`` → ``{CODE: [values]}``."""
    answers: dict[str, list[str]] = {}
    for key in request.POST:
        if key.startswith("attribute[") and "]" in key:
            code = key[len("attribute[") : key.index("]")]
            answers.setdefault(code, []).extend(request.POST.getlist(key))
    return answers


def _validation_errors(exc: ValidationError) -> Open311Error:
    errors: list[tuple[int, str]] = []
    if hasattr(exc, "error_dict"):
        for field, messages in exc.message_dict.items():
            name = "request" if field == NON_FIELD_ERRORS else field
            errors.extend((400, f"{name}: {message}") for message in messages)
    else:
        errors.extend((400, message) for message in exc.messages)
    return Open311Error(400, *errors)


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    api_key = _api_key(request, _("A valid api_key is required to post a request."))
    code = _param(request, "service_code")
    if not code:
        raise Open311Error(400, (400, _("service_code is required.")))
    category = category_get_by_code(code)
    if category is None:
        raise Open311Error(404, (404, _("Unknown service_code.")))
    lat, long = _param(request, "lat"), _param(request, "long")
    if bool(lat) != bool(long):
        raise Open311Error(400, (400, _("lat and long must be sent together.")))
    if not (lat or _param(request, "address_string") or _param(request, "address_id")):
        raise Open311Error(400, (400, _("A location is required: lat and long, address_string or address_id.")))
    name = " ".join(filter(None, [_param(request, "first_name"), _param(request, "last_name")]))
    photos: list[Any] = request.FILES.getlist("media[]") + request.FILES.getlist("media")
    try:
        req = request_submit(
            actor=api_key.user, category=category, description=_param(request, "description"),
            lat=lat, long=long, address=_param(request, "address_string"), address_id=_param(request, "address_id"),
            contact_name=name[:120], contact_email=_param(request, "email"), contact_phone=_param(request, "phone"),
            attributes=_attribute_answers(request), photos=photos, channel=Channel.OPEN311,
        )  # fmt: skip
    except ValidationError as exc:
        raise _validation_errors(exc) from exc
    except SubmissionThrottled as exc:
        error = Open311Error(429, (429, _("Too many requests from this key; try again later.")))
        error.retry_after = exc.retry_after
        raise error from exc
    notice = _("Tracking code %(code)s. Expected answer by %(when)s.") % {
        "code": req.tracking_code,
        "when": timezone.localtime(req.deadline).strftime("%d/%m/%Y %H:%M") if req.deadline else "-",
    }
    body = [{"service_request_id": str(req.pk), "service_notice": notice, "account_id": None}]
    return render(body, fmt, root="service_requests")


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@public_microcache
@endpoint
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    """GET: the list with the spec's filters. POST: a new request (api_key required)."""
    if request.method == "POST":
        return _create(request, fmt)
    return _request_list(request, fmt)


@require_http_methods(["GET", "HEAD"])
@public_microcache
@endpoint
def request_detail(request: HttpRequest, fmt: str, request_id: str) -> HttpResponse:
    """One request, in the same list envelope as the plural method."""
    req = None
    if request_id.isdigit() and len(request_id) < 19:
        req = Request.objects.select_related("category", "organization").filter(pk=int(request_id)).first()
    if req is None or not req.is_public_kind:
        raise Open311Error(404, (404, _("Unknown service_request_id.")))
    return render([request_to_dict(req, extensions=_wants_extensions(request))], fmt, root="service_requests")


@require_http_methods(["GET", "HEAD"])
@endpoint
def token(request: HttpRequest, fmt: str, token: str) -> HttpResponse:
    """The request id behind a token (our tokens are the citizens' tracking codes)."""
    req = request_get_by_code(token)
    if req is None:
        raise Open311Error(404, (404, _("Unknown token.")))
    return render([{"service_request_id": str(req.pk), "token": req.tracking_code}], fmt, root="service_requests")


# FixMyStreet's extended statuses for each step of our workflow.
FMS_STATUS: dict[str, str] = {
    Status.SUBMITTED: "FOR_TRIAGE", Status.VERIFIED: "OPEN", Status.ASSIGNED: "ACTION_SCHEDULED",
    Status.ACCEPTED: "ACTION_SCHEDULED", Status.RETURNED: "INTERNAL_REFERRAL", Status.IN_PROGRESS: "IN_PROGRESS",
    Status.RESOLVED: "IN_PROGRESS", Status.PUBLISHED: "FIXED", Status.REJECTED: "CLOSED",
    Status.DUPLICATE: "DUPLICATE", Status.REOPENED: "REOPEN", Status.MERGED: "DUPLICATE",
}  # fmt: skip


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
@endpoint
def request_updates(request: HttpRequest, fmt: str) -> HttpResponse:
    """FixMyStreet extension: GET the public updates in a date window (default the last day); POST one update."""
    from cityops.feedback.models import RequestUpdate

    if request.method == "POST":
        return _post_update(request, fmt)

    start = _parse_w3c(_param(request, "start_date"), "start_date")
    end = _parse_w3c(_param(request, "end_date"), "end_date") or timezone.now()
    start = start or end - dt.timedelta(days=1)
    if end < start or end - start > MAX_SPAN:
        raise Open311Error(400, (400, _("The date range may not span more than 90 days.")))
    updates = (
        RequestUpdate.objects.filter(is_public=True, created_at__gte=start, created_at__lte=end)
        .exclude(request__category__kind=Kind.BUSINESS)
        .select_related("request")
        .order_by("created_at", "id")[:MAX_ITEMS]
    )
    body = [
        {
            "update_id": str(u.pk),
            "service_request_id": str(u.request_id),
            "status": FMS_STATUS.get(u.new_status or u.request.status, "OPEN"),
            "updated_datetime": _w3c(u.created_at),
            "description": u.text,
            "media_url": None,
        }
        for u in updates
    ]
    return render(body, fmt, root="service_requests_updates")


def _api_key(request: HttpRequest, purpose: str) -> Any:
    raw_key = _param(request, "api_key") or request.headers.get("X-API-Key", "")
    api_key = apikey_authenticate(raw_key) if raw_key else None
    if api_key is None:
        raise Open311Error(403, (403, purpose))
    apikey_touch(api_key)
    return api_key


def _post_update(request: HttpRequest, fmt: str) -> HttpResponse:
    """An agency's own system reports progress on a request (FixMyStreet's POST servicerequestupdates)."""
    from cityops.feedback.selectors import request_for_integrator
    from cityops.feedback.services import request_update_from_integrator

    api_key = _api_key(request, _("A valid api_key is required to post an update."))
    request_id = _param(request, "service_request_id")
    if not request_id:
        raise Open311Error(400, (400, _("service_request_id is required.")))
    req = request_for_integrator(api_key=api_key, request_id=request_id)
    if req is None:
        raise Open311Error(404, (404, _("Unknown service_request_id.")))
    _parse_w3c(_param(request, "updated_datetime"), "updated_datetime")
    try:
        update, _created = request_update_from_integrator(
            actor=api_key.user, api_key=api_key, request=req, status=_param(request, "status"),
            description=_param(request, "description"), update_id=_param(request, "update_id"),
        )  # fmt: skip
    except ValidationError as exc:
        raise _validation_errors(exc) from exc
    except PermissionDenied as exc:
        raise Open311Error(404, (404, _("Unknown service_request_id."))) from exc
    body = [{"update_id": str(update.pk)}]
    return render(body, fmt, root="service_request_updates")


def throttled(request: HttpRequest, exc: RateLimited, fmt: str = "json", **_kwargs: Any) -> HttpResponse:
    """A rate limit's refusal in the spec's error format: 429 with ``Retry-After``."""
    error = Open311Error(429, (429, _("Too many requests from this address; try again later.")))
    error.retry_after = exc.retry_after
    return render_error(error, fmt)


def _routes() -> Iterable[Any]:
    fmt = r"\.(?P<fmt>json|xml)$"
    post_limited = rate_limited("open311_post", respond=throttled)
    guess_limited = rate_limited("tracking", methods=("GET", "HEAD"), count_status={404}, respond=throttled)
    yield re_path(rf"^discovery{fmt}", discovery, name="discovery")
    yield re_path(rf"^services{fmt}", services, name="services")
    yield re_path(rf"^services/(?P<code>[^/]+?){fmt}", service_definition, name="service_definition")
    yield re_path(rf"^requests{fmt}", post_limited(requests), name="requests")
    yield re_path(rf"^requests/(?P<request_id>[^/]+?){fmt}", request_detail, name="request")
    yield re_path(rf"^tokens/(?P<token>[^/]+?){fmt}", guess_limited(token), name="token")
    yield re_path(rf"^servicerequestupdates{fmt}", request_updates, name="request_updates")


app_name = "open311"
urlpatterns = list(_routes())
