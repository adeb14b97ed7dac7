"""Pages and data calls of the dashboard: thin — parse, check, call a selector or service, render."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from cityops.core.choices import Domain, Role
from cityops.core.models import Organization
from cityops.core.permissions import NotFoundOrForbidden, memberships_of
from cityops.dashboard import bands, charts, exports, geometry, registry, selectors, services, stream
from cityops.dashboard.permissions import can_configure, can_view

MAX_QUERY_LENGTH = 2000
WIDE_SIZES = frozenset({"wide", "large"})
INDICATOR_CODE = re.compile(r"^[a-z0-9-]{1,40}$")


def dashboard_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Sign-in first, then an official's role; citizens and integrators get 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not can_view(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def _base_context(request: HttpRequest) -> dict[str, Any]:
    return {"theme": selectors.theme_for(request.user), "can_configure": can_configure(request.user)}


def _bad_request(message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": "bad_request", "message": message}}, status=400)


# --- overview and board ----------------------------------------------------------------------------------------


@dashboard_view
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The overview: the person's board of widgets."""
    keys, customised = selectors.board_for(request.user)
    widgets = selectors.board_widgets(request, keys)
    # Wide widgets (tiles, map, tables) go in the main column; narrow ones (feed, counts, alerts) beside it.
    main = [(w, c) for w, c in widgets if w.size in WIDE_SIZES]
    side = [(w, c) for w, c in widgets if w.size not in WIDE_SIZES]
    return render(
        request,
        "dashboard/index.html",
        {**_base_context(request), "main": main, "side": side, "customised": customised},
    )


def _staff_roles() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in Role.choices if value not in (Role.CITIZEN, Role.INTEGRATOR)]


def _board_keys_from(request: HttpRequest, current: list[str]) -> list[str]:
    """Apply one edit (add, remove, up, down) from the board form to the current list of widget keys."""
    action = request.POST.get("action", "")
    key = request.POST.get("key", "")
    keys = list(current)
    if action == "add":
        keys.append(key)
    elif action == "remove" and key in keys:
        keys.remove(key)
    elif action in ("up", "down") and key in keys:
        index = keys.index(key)
        other = index - 1 if action == "up" else index + 1
        if 0 <= other < len(keys):
            keys[index], keys[other] = keys[other], keys[index]
    elif action == "save":
        keys = request.POST.getlist("widgets")
    else:
        raise ValidationError({"action": _("Unknown change.")})
    return keys


@dashboard_view
def board(request: HttpRequest) -> HttpResponse:
    """Arrange one's own board; an administrator also arranges the default board of a role (``?role=``)."""
    role = request.GET.get("role") or request.POST.get("role") or ""
    if role and (not can_configure(request.user) or role not in dict(_staff_roles())):
        raise PermissionDenied
    if role:
        current = selectors.default_widget_keys(role)
    else:
        current, _customised = selectors.board_for(request.user)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "reset" and not role:
                services.board_reset(actor=request.user)
            else:
                keys = _board_keys_from(request, current)
                if role:
                    services.role_board_save(actor=request.user, role=role, widgets=keys)
                else:
                    services.board_save(actor=request.user, widgets=keys)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return render(request, "dashboard/board.html", _board_context(request, current, role), status=400)
        url = reverse("dashboard:board") + (f"?role={role}" if role else "")
        return redirect(url)
    return render(request, "dashboard/board.html", _board_context(request, current, role))


def _board_context(request: HttpRequest, current: list[str], role: str) -> dict[str, Any]:
    chosen = [registry.widget(k) for k in current if registry.widget(k) is not None]
    available = [w for w in registry.widgets() if w.key not in current]
    return {**_base_context(request), "chosen": chosen, "available": available, "role": role,
            "roles": _staff_roles() if can_configure(request.user) else []}  # fmt: skip


@dashboard_view
@require_POST
def theme(request: HttpRequest) -> HttpResponse:
    """Switch between the dark (control room) and light (laptop) theme; remembered for the person."""
    try:
        services.theme_set(actor=request.user, theme=request.POST.get("theme", ""))
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400, content_type="text/plain; charset=utf-8")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("dashboard:index")
    return redirect(target)


# --- map data --------------------------------------------------------------------------------------------------


def _layer_params(request: HttpRequest) -> dict[str, Any]:
    """Validated filters for every layer; raises ``GeometryError``/``ValueError`` with the reason."""
    if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_LENGTH:
        raise ValueError("query is too long")
    params: dict[str, Any] = {"bbox": geometry.parse_bbox(request.GET.get("bbox"))}
    days = request.GET.get("days")
    if days not in (None, ""):
        if not days.isdigit() or not 1 <= int(days) <= 365:
            raise ValueError("days must be a whole number from 1 to 365")
        params["days"] = int(days)
    indicator = request.GET.get("indicator")
    if indicator not in (None, ""):
        if not INDICATOR_CODE.match(indicator):
            raise ValueError("unknown indicator")
        params["indicator"] = indicator
    return params


@dashboard_view
@require_GET
def layer(request: HttpRequest, key: str) -> HttpResponse:
    """One map layer as a GeoJSON FeatureCollection, with only what the reader may see."""
    found = registry.layer(key)
    if found is None:
        raise NotFoundOrForbidden
    try:
        params = _layer_params(request)
    except ValueError as exc:
        return _bad_request(str(exc))
    if key == "sensors":
        services.sensor_latest_refresh()
    if found.serialised is not None:
        # The same document JsonResponse writes, around features the layer serialised (or cached) itself.
        body = '{"type": "FeatureCollection", "features": ' + found.serialised(request.user, params)
        return HttpResponse(body + ", " + json.dumps({"layer": key})[1:], content_type="application/json")
    features = found.features(request.user, params)[: selectors.MAX_FEATURES]
    return JsonResponse({"type": "FeatureCollection", "features": features, "layer": key})


# --- live feed -------------------------------------------------------------------------------------------------


@dashboard_view
@require_GET
def events(request: HttpRequest) -> StreamingHttpResponse:
    """Server-Sent Events of the live feed, resuming after ``Last-Event-ID`` (or ``?after=``)."""
    user = request.user
    memberships_of(user)  # resolve the lazy user and cache its roles before streaming
    last_id = stream.parse_last_id(request.headers.get("Last-Event-ID"), request.GET.get("after"))
    content = (
        stream.stream_async(user, last_id) if isinstance(request, ASGIRequest) else stream.stream_sync(user, last_id)
    )
    response = StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-transform"
    response["X-Accel-Buffering"] = "no"
    return response


# --- drill-downs -----------------------------------------------------------------------------------------------


def _wants_xlsx(request: HttpRequest) -> bool:
    return request.GET.get("format") == "xlsx"


@dashboard_view
@require_GET
def domain(request: HttpRequest, code: str) -> HttpResponse:
    """One domain: its indicators against their targets and its units ranked by score."""
    detail = selectors.domain_detail(code)
    if _wants_xlsx(request):
        return exports.xlsx_response(
            f"{code}.xlsx",
            [
                (_("Indicators"), [_("Code"), _("Indicator"), _("Unit"), _("Value"), _("Previous"),
                                   pgettext("indicator", "Target"), _("Attainment %")],
                 [[r["code"], r["name"], r["unit"], r["value"], r["previous"], r["target"], r["attainment"]]
                  for r in detail["rows"]]),
                (_("Units"), [_("Unit"), _("Score"), _("Coverage")],
                 [[r["name"], round(r["score"], 3), round(r["coverage"], 2)] for r in detail["ranking"]]),
            ],
        )  # fmt: skip
    return render(request, "dashboard/domain.html", {**_base_context(request), **detail,
                                                     "domains": Domain.choices})  # fmt: skip


@dashboard_view
@require_GET
def area(request: HttpRequest, pk: int) -> HttpResponse:
    """One commune or ward: its indicators and the citizen reports located in it."""
    found = selectors.area_get(pk)
    summary = selectors.area_summary(user=request.user, area=found)
    if _wants_xlsx(request):
        return exports.xlsx_response(
            f"area-{pk}.xlsx",
            [(_("Indicators"), [_("Code"), _("Indicator"), _("Unit"), _("Value")],
              [[r["code"], r["name"], r["unit"], r["value"]] for r in summary["indicators"]]),
             (_("Citizen reports"), [_("Code"), _("Category"), _("Status"), _("Received")],
              [[r.tracking_code, r.category.name, r.get_status_display(), r.created_at] for r in summary["recent"]])],
        )  # fmt: skip
    return render(request, "dashboard/area.html", {**_base_context(request), "area": found, **summary})


@dashboard_view
@require_GET
def agencies(request: HttpRequest) -> HttpResponse:
    """Agencies the reader reaches, to pick one for its drill-down."""
    return render(
        request, "dashboard/agencies.html",
        {**_base_context(request), "agencies": selectors.agency_options(user=request.user)},
    )  # fmt: skip


@dashboard_view
@require_GET
def agency(request: HttpRequest, pk: int) -> HttpResponse:
    """One agency: on-time rate, overdue citizen reports and tasks, satisfaction."""
    found = selectors.agency_options(user=request.user).filter(pk=pk).first()
    if found is None:
        raise NotFoundOrForbidden
    summary = selectors.agency_summary(user=request.user, agency=found)
    if _wants_xlsx(request):
        return exports.xlsx_response(
            f"agency-{pk}.xlsx",
            [(_("Overdue reports"), [_("Code"), _("Category"), _("Status"), _("Deadline")],
              [[r.tracking_code, r.category.name, r.get_status_display(), r.deadline] for r in summary["overdue"]]),
             (_("Overdue tasks"), [_("Task"), _("Deadline")],
              [[t.title, t.deadline] for t in summary["overdue_tasks"]])],
        )  # fmt: skip
    return render(request, "dashboard/agency.html", {**_base_context(request), "agency": found, **summary})


@dashboard_view
@require_GET
def sensor(request: HttpRequest, pk: int) -> HttpResponse:
    """One sensor: its latest values and a time-series chart of one measure with its limits."""
    entity = selectors.sensor_get(user=request.user, pk=pk)
    latest = selectors.sensor_latest(entity)
    attributes = [row.attribute for row in latest]
    attribute = request.GET.get("attribute") or bands.PRIMARY.get(entity.type, "")
    if attribute not in attributes and attributes:
        attribute = attributes[0]
    try:
        hours = int(request.GET.get("hours", "48"))
    except ValueError:
        hours = 48
    hours = max(1, min(hours, 24 * 31))
    series = selectors.sensor_series(entity=entity, attribute=attribute, hours=hours) if attribute else []
    if _wants_xlsx(request):
        return exports.xlsx_response(
            f"sensor-{pk}-{attribute}.xlsx", [(attribute or "-", [_("Time"), attribute], [[t, v] for t, v in series])]
        )
    for row in latest:
        row.band = bands.judge(row.attribute, row.value)  # type: ignore[attr-defined]
    chart = charts.line_chart(series, title=attribute, thresholds=bands.thresholds_for(attribute))
    return render(
        request,
        "dashboard/sensor.html",
        {**_base_context(request), "entity": entity, "latest": latest, "attribute": attribute, "chart": chart,
         "hours": hours, "points": len(series)},
    )  # fmt: skip


# --- exports ---------------------------------------------------------------------------------------------------


@dashboard_view
@require_GET
def overview_xlsx(request: HttpRequest) -> HttpResponse:
    """The overview's tables (domain scores and headline indicators) as one workbook."""
    return exports.xlsx_response(
        "cityops-overview.xlsx",
        [(_("Domains"), [_("Domain"), _("Score"), _("Change"), _("Coverage %"), _("Indicators")],
          [[t.label, t.score, t.change, t.coverage_percent, t.indicators] for t in selectors.domain_tiles()]),
         (_("Headline indicators"), [_("Code"), _("Indicator"), _("Unit"), _("Value"), _("Previous"),
                                     pgettext("indicator", "Target")],
          [[h.code, h.name, h.unit, h.value, h.previous, h.target] for h in selectors.headlines()])],
    )  # fmt: skip


@dashboard_view
@require_GET
def situation_report(request: HttpRequest) -> HttpResponse:
    """The printable daily situation report (PDF)."""
    memberships = memberships_of(request.user)
    issuer = ""
    if memberships:
        org = Organization.objects.filter(pk=memberships[0][2]).values_list("name", flat=True).first()
        issuer = org or ""
    body = exports.situation_report(user=request.user, organization_name=issuer)
    response = HttpResponse(body, content_type="application/pdf")
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'inline; filename="situation-report-{stamp}.pdf"'
    return response


__all__ = [
    "agencies",
    "agency",
    "area",
    "board",
    "domain",
    "events",
    "index",
    "layer",
    "overview_xlsx",
    "sensor",
    "situation_report",
    "theme",
]
