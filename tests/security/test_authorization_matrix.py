"""Issue 8's authorisation matrix: every page and API operation, walked automatically.

The page walk goes through the project's URL resolver and the API walk through the NinjaAPI's OpenAPI
paths, so an endpoint added later is covered without editing this module. Path parameters are filled with
the id of an existing record of the right type (owned by agency B) where one is known, else 999999.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django.urls.exceptions import NoReverseMatch
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from cityops.api import api
from cityops.core.choices import Role
from cityops.core.demo_data import JURISDICTION_BBOX
from cityops.core.services.attachments import attachment_create
from cityops.datahub import services as datahub_services
from cityops.datahub.models import Sector
from cityops.directives import services as directive_services
from cityops.directives.services import TaskSpec
from cityops.documents import services as document_services
from cityops.documents.models import DocumentType
from cityops.feedback.models import Category
from cityops.feedback.services import request_assign, request_submit, request_verify
from cityops.schedule import services as schedule_services

pytestmark = pytest.mark.django_db

MISSING_ID = 999999
MARKER = "Zuquarvex"  # the word searched for (pages echo the query, so it is not what is looked for)
SECRET = "Qoptimalwyn"  # follows MARKER in every agency B title: if it shows on agency A's screens, B leaked

# Pages anyone may open without signing in (URL names). Each entry was checked by reading its view.
PUBLIC_PAGES: dict[str, str] = {
    "core:login": "the sign-in page itself",
    "admin:login": "the Django admin's own sign-in page",
    "admin_login": "the same admin sign-in page, behind the sign-in rate limit",
    "admin:logout": "signing out of the admin is harmless (redirects to the admin, hence its login)",
    "core:announcements": "public announcements (is_public) are for every visitor; announcement_list shows an "
    "anonymous visitor only those (internal ones need a staff role), and publishing needs a managing role",
    "core:logout": "signing out is harmless for anonymous visitors (redirects to login/home)",
    "set_language": "django.conf.urls.i18n: switching the interface language",
    "core:attachment_download": "public attachments (is_public, e.g. published feedback photos) download "
    "without sign-in; private ones answer 404 (checked in the cross-agency matrix)",
    "feedback:index": "citizen feedback portal (no sign-in needed by design, see feedback/urls.py)",
    "feedback:report": "citizens report a problem without signing in",
    "feedback:public_geojson": "map of published (public) feedback requests",
    "feedback:track_lookup": "citizens look up their request by tracking code",
    "feedback:track": "tracking page, reachable only with the unguessable tracking code",
    "feedback:track_rate": "citizen rates the answer, keyed by the tracking code",
    "feedback:track_reopen": "citizen reopens the request, keyed by the tracking code",
    "feedback:duplicates": "public 'is this already reported?' lookup on the report form",
    "feedback:join": "citizen joins (+1) a published request from the public map",
    "feedback:unfollow": "stop-following link of a follower's email, keyed by a signed token (404 otherwise)",
    "schedule:public": "the public week of an organisation's leaders (published items only)",
    "schedule:feed": "iCalendar feed authenticated by its secret token in the URL",
    "datahub:dcat_catalog": "DCAT open-data catalog (public datasets only)",
    "api:openapi-json": "the API's OpenAPI description (no data, only the contract)",
    "api:openapi-view": "the API's interactive documentation page (no data)",
    "api_unmatched": "the API's JSON 404 for paths no operation matches (no data)",
}
# Whole namespaces / prefixes that are public or authenticate otherwise.
PUBLIC_NAMESPACES = {
    "open311": "Open311 GeoReport v2: public standard for citizens' apps (writes need an API key)",
}
PUBLIC_PREFIXES = {
    "/ngsi-ld/v1/": "NGSI-LD broker: authenticated by API key (answers 401 without it), not the session",
    "/static/": "static files",
}

# Pages every signed-in person (a citizen included) may open.
SIGNED_IN_PAGES: dict[str, str] = {
    "core:home": "personal home page",
    "core:account": "own account",
    "core:password_change": "own password",
    "core:two_factor_setup": "own second factor",
    "core:two_factor_verify": "own second factor",
    "core:two_factor_remove": "own second factor",
    "core:notifications": "own notifications",
    "core:notification_preferences": "own notification settings",
    "core:announcements": "announcements addressed to everyone",
    "core:directory": "the public staff directory",
    "core:directory_org": "a directory entry",
    "core:directory_person": "a directory entry",
    "core:search": "global search (results are permission-scoped)",
    "core:calendar": "the working-day calendar view",
    "datahub:index": "open-data catalog, scoped by selectors.dataset_list: a citizen sees only public datasets, "
    "the same ones the anonymous DCAT catalog publishes",
    "datahub:indicators": "REVIEW: aggregate city indicator scores (no records); allowed as open data, to confirm",
    "feedback:staff_queue": "a citizen's own reports are listed here by design "
    "(tests/feedback/test_views.py::test_citizen_sees_only_own); staff rows need a staff role",
}


# --------------------------------------------------------------------------------------------------- the world


@dataclass
class World:
    agency_a: Any
    agency_b: Any
    province: Any
    specialist_a: Any
    head_a: Any
    citizen: Any
    head_b: Any
    feedback: Any
    directive: Any
    task: Any
    incoming: Any
    outgoing: Any
    event: Any
    dataset: Any
    attachment: Any


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


@pytest.fixture
def world(province, agency_a, agency_b, make_member, settings) -> World:
    """One record of each app's main tenant-scoped model, owned by agency B, created through the services."""
    settings.FEEDBACK_JURISDICTION_BBOX = tuple(float(part) for part in JURISDICTION_BBOX.split(","))
    head_b = make_member(agency_b, Role.AGENCY_HEAD, username="head-b")
    clerk_b = make_member(agency_b, Role.CLERK, username="clerk-b")
    leader = make_member(province, Role.LEADER, username="leader")
    citizen = make_member(province, Role.CITIZEN, username="citizen")

    category = Category.objects.create(
        code="street-light", name_vi="Đèn đường", name_en="Street light", kind="problem", domain="living",
        default_agency=agency_b, deadline_hours=8,
    )  # fmt: skip
    desk = make_member(province, Role.IOC_OPERATOR, username="desk")
    feedback = request_submit(
        actor=None, category=category, description=f"{MARKER} {SECRET} đèn đường hỏng", lat="21.186", long="106.076"
    )
    feedback = request_verify(actor=desk, request=feedback)
    feedback = request_assign(actor=desk, request=feedback, agency=agency_b)  # now agency B's request
    directive = directive_services.directive_issue(
        actor=leader, organization=province, title="Chỉ đạo chung", content="Kết luận", source_kind="meeting",
        tasks=[TaskSpec(title=f"{MARKER} {SECRET} nhiệm vụ", lead_agency=agency_b, deadline=None)],
    )  # fmt: skip
    task = directive.tasks.get()
    if not DocumentType.objects.filter(code="quyet-dinh").exists():
        from importlib import import_module

        from django.apps import apps

        import_module("cityops.documents.migrations.0002_seed_document_types").seed(apps, None)
    incoming = document_services.incoming_receive(
        actor=clerk_b, organization=agency_b,
        data={"sender_name": "VP", "number": "15", "notation": "VP", "subject": f"{MARKER} {SECRET} văn bản đến"},
    )  # fmt: skip
    outgoing = document_services.outgoing_draft(
        actor=head_b, organization=agency_b,
        data={"document_type": DocumentType.objects.get(code="quyet-dinh"), "subject": f"{MARKER} {SECRET} văn bản đi"},
    )  # fmt: skip
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=1)
    event = schedule_services.event_create(
        actor=clerk_b, organization=agency_b, leader=head_b, start=start, end=start + dt.timedelta(hours=1),
        content=f"{MARKER} {SECRET} họp nội bộ",
    ).event  # fmt: skip
    sector = Sector.objects.create(code="moi-truong", name="Môi trường", domain="environment")
    dataset = datahub_services.dataset_create(
        actor=head_b, organization=agency_b, sector=sector, title=f"{MARKER} {SECRET} dữ liệu riêng",
        domain="environment", visibility="private",
        schema=[{"name": "station", "label": "Trạm", "type": "string", "required": True}],
    )  # fmt: skip
    attachment = attachment_create(
        actor=clerk_b, organization=agency_b, uploaded_file=SimpleUploadedFile(f"{SECRET}.pdf", pdf_bytes())
    )
    return World(
        agency_a=agency_a, agency_b=agency_b, province=province,
        specialist_a=make_member(agency_a, Role.SPECIALIST, username="spec-a"),
        head_a=make_member(agency_a, Role.AGENCY_HEAD, username="head-a"),
        citizen=citizen, head_b=head_b, feedback=feedback, directive=directive, task=task, incoming=incoming,
        outgoing=outgoing, event=event, dataset=dataset, attachment=attachment,
    )  # fmt: skip


# ----------------------------------------------------------------------------------------------- the page walk


def _walk(patterns, prefix_ns: str | None = None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = prefix_ns
            if entry.namespace:
                ns = f"{prefix_ns}:{entry.namespace}" if prefix_ns else entry.namespace
            yield from _walk(entry.url_patterns, ns)
        elif isinstance(entry, URLPattern):
            yield prefix_ns, entry


def _ids(world: World) -> dict[str, dict[str, Any]]:
    """Known path-parameter values per URL name (everything else gets 999999 or a harmless string)."""
    w = world
    return {
        "feedback:staff_detail": {"pk": w.feedback.pk},
        "feedback:staff_act": {"pk": w.feedback.pk},
        "feedback:staff_file": {"pk": w.feedback.pk, "file_id": w.attachment.pk},
        "feedback:join": {"pk": w.feedback.pk},
        "feedback:track": {"code": w.feedback.tracking_code},
        "feedback:track_rate": {"code": w.feedback.tracking_code},
        "feedback:track_reopen": {"code": w.feedback.tracking_code},
        "feedback:staff_export": {"fmt": "csv"},
        "directives:directive": {"pk": w.directive.pk},
        "directives:task": {"pk": w.task.pk},
        "directives:task_action": {"pk": w.task.pk, "action": "accept"},
        "documents:incoming_detail": {"pk": w.incoming.pk},
        "documents:incoming_slip": {"pk": w.incoming.pk},
        "documents:incoming_action": {"pk": w.incoming.pk, "action": "assign"},
        "documents:outgoing_detail": {"pk": w.outgoing.pk},
        "documents:outgoing_edxml": {"pk": w.outgoing.pk},
        "documents:outgoing_edit": {"pk": w.outgoing.pk},
        "documents:outgoing_action": {"pk": w.outgoing.pk, "action": "submit"},
        "schedule:leader_week": {"pk": w.head_b.pk},
        "schedule:public": {"code": w.agency_b.code},
        "schedule:event": {"pk": w.event.pk},
        "schedule:event_edit": {"pk": w.event.pk},
        "schedule:event_publish": {"pk": w.event.pk},
        "schedule:event_cancel": {"pk": w.event.pk},
        "datahub:dataset": {"pk": w.dataset.pk},
        "datahub:dataset_upload": {"pk": w.dataset.pk},
        "datahub:dataset_export": {"pk": w.dataset.pk},
        "datahub:access_request": {"pk": w.dataset.pk},
        "core:attachment_download": {"pk": w.attachment.pk},
        "core:directory_org": {"code": w.agency_b.code},
        "core:directory_person": {"pk": w.head_b.pk},
    }


def _value(converter: Any) -> Any:
    """999999 for an id, a harmless word for a slug, a string or a path."""
    return MISSING_ID if isinstance(converter, IntConverter) else "x"


def site_pages(world: World) -> list[tuple[str, str]]:
    """(URL name, URL) for every named page except the API's operations (walked from OpenAPI instead)."""
    known = _ids(world)
    pages, unresolved = [], []
    for ns, pattern in _walk(get_resolver().url_patterns):
        if not pattern.name:
            if ns != "admin":  # the admin's catch-all is the only unnamed pattern
                unresolved.append(str(pattern.pattern))
            continue
        name = f"{ns}:{pattern.name}" if ns else pattern.name
        if ns == "api" and name not in PUBLIC_PAGES:
            continue  # API operations: see the OpenAPI walk
        params = (
            {key: _value(conv) for key, conv in pattern.pattern.converters.items()}
            if isinstance(pattern.pattern, RoutePattern)
            else {key: "json" if key == "fmt" else "x" for key in pattern.pattern.regex.groupindex}
        )
        params.update(known.get(name, {}))
        try:
            url = reverse(name, kwargs=params)
        except NoReverseMatch:
            try:
                url = reverse(name, kwargs={k: v for k, v in params.items() if k != "format"})
            except NoReverseMatch:
                if ns != "admin":  # admin's app_list takes a regex alternative; its index is walked
                    unresolved.append(name)
                continue
        pages.append((name, url))
    assert not unresolved, f"pages the walk could not build a URL for: {unresolved}"
    assert len(pages) > 60
    return pages


def is_public(name: str, url: str) -> bool:
    return (
        name in PUBLIC_PAGES
        or name.split(":")[0] in PUBLIC_NAMESPACES
        or any(url.startswith(prefix) for prefix in PUBLIC_PREFIXES)
    )


def fetch(client, url: str):
    """GET the page; a POST-only page (405) is POSTed empty instead, so its guard is exercised too."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


def goes_to_login(response) -> bool:
    location = response.get("Location", "")
    return response.status_code == 302 and (
        location.startswith(reverse("core:login")) or location.startswith("/admin/login/")
    )


def test_anonymous_gets_no_staff_page(client, world):
    failures = []
    for name, url in site_pages(world):
        response = fetch(client, url)
        if response.status_code >= 500:
            failures.append(f"{name} {url}: {response.status_code}")
        elif not is_public(name, url) and not (goes_to_login(response) or response.status_code in (401, 403, 404)):
            failures.append(f"{name} {url}: {response.status_code} {response.get('Location', '')}")
    assert not failures, "\n".join(failures)


def test_citizen_gets_no_staff_page(client, world):
    client.force_login(world.citizen)
    failures = []
    for name, url in site_pages(world):
        if name == "core:logout":
            continue  # logout would end the session mid-walk
        response = fetch(client, url)
        if response.status_code >= 500:
            failures.append(f"{name} {url}: {response.status_code}")
        elif response.status_code == 200 and not is_public(name, url) and name not in SIGNED_IN_PAGES:
            failures.append(f"{name} {url}: 200")
        elif not is_public(name, url) and SECRET in response.content.decode(errors="replace"):
            failures.append(f"{name} {url}: shows agency B's records to a citizen")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "name",
    [
        "schedule:index", "schedule:print", "schedule:event_create", "schedule:import", "schedule:manage",
        "schedule:feeds", "documents:index", "documents:incoming_list", "documents:outgoing_list",
        "documents:register_list", "documents:case_file_list",
    ],
)  # fmt: skip
def test_citizen_is_refused_staff_only_pages(client, world, name):
    """Pages that once let any signed-in person in: they answer 403 to a citizen now."""
    client.force_login(world.citizen)
    response = fetch(client, reverse(name))
    assert response.status_code == 403
    assert SECRET not in response.content.decode(errors="replace")


# ------------------------------------------------------------------------------------------------ the API walk


def api_operations() -> list[tuple[str, str]]:
    prefix = reverse("api:api-root")
    operations = []
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method in methods:
            operations.append((method.upper(), path if path.startswith(prefix) else prefix + path.lstrip("/")))
    assert len(operations) > 20
    return operations


def fill(path: str, value: Any = MISSING_ID) -> str:
    return re.sub(r"\{[^}]+\}", str(value), path)


def test_api_requires_credentials(client, world):
    failures = []
    for method, path in api_operations():
        response = client.generic(method, fill(path), data=b"{}", content_type="application/json")
        body = response.json() if response.get("Content-Type", "").startswith("application/json") else None
        if response.status_code != 401 or not (isinstance(body, dict) and isinstance(body.get("error"), dict)):
            failures.append(f"{method} {path}: {response.status_code} {body!r}")
    assert not failures, "\n".join(failures)


def test_api_signed_in_walk_has_no_5xx(client, world):
    for user in (world.citizen, world.specialist_a, world.head_a):
        client.force_login(user)
        for method, path in api_operations():
            if method != "GET":
                continue
            response = client.get(fill(path))
            assert response.status_code < 500, f"{user} GET {path}: {response.status_code}"


def test_staff_walk_has_no_5xx(client, world):
    client.force_login(world.head_a)
    failures = [
        f"{name} {url}: {response.status_code}"
        for name, url in site_pages(world)
        if name != "core:logout" and (response := fetch(client, url)).status_code >= 500
    ]
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------------------------------ cross-agency matrix

# model -> (detail page URL name, API detail path, list pages, API list paths)
CROSS_AGENCY = {
    "feedback": (
        "feedback:staff_detail", "/api/v1/feedback/requests/{}",
        ["feedback:staff_queue"], ["/api/v1/feedback/requests"],
    ),
    "task": ("directives:task", "/api/v1/directives/tasks/{}", ["directives:board", "directives:index"],
             ["/api/v1/directives/tasks"]),
    "incoming": (
        "documents:incoming_detail", "/api/v1/documents/incoming/{}",
        ["documents:incoming_list", "documents:index"], ["/api/v1/documents/incoming"],
    ),
    "outgoing": (
        "documents:outgoing_detail", "/api/v1/documents/outgoing/{}",
        ["documents:outgoing_list", "documents:index"], ["/api/v1/documents/outgoing"],
    ),
    "event": ("schedule:event", "/api/v1/schedule/events/{}", ["schedule:index"], ["/api/v1/schedule/events"]),
    "dataset": ("datahub:dataset", "/api/v1/datahub/datasets/{}", ["datahub:index"], ["/api/v1/datahub/datasets"]),
    "attachment": ("core:attachment_download", "/api/v1/attachments/{}", [], []),
}  # fmt: skip


@pytest.mark.parametrize("role", ["specialist_a", "head_a"])
@pytest.mark.parametrize("model", list(CROSS_AGENCY))
def test_cross_agency_records_stay_hidden(client, world, model, role):
    record = getattr(world, model)
    page, api_detail, lists, api_lists = CROSS_AGENCY[model]
    client.force_login(getattr(world, role))

    response = client.get(reverse(page, kwargs={"pk": record.pk}))
    assert response.status_code == 404, f"{page}: {response.status_code}"
    response = client.get(api_detail.format(record.pk))
    assert response.status_code == 404, f"{api_detail}: {response.status_code}"
    assert "error" in response.json()

    for url in [reverse(name) for name in lists] + [f"{reverse('core:search')}?q={MARKER}"]:
        response = client.get(url, follow=True)
        assert response.status_code < 500, url
        assert SECRET not in response.content.decode(), f"agency B's {model} shows on {url}"
    for url in [*api_lists, f"/api/v1/search?q={MARKER}"]:
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        assert SECRET not in response.content.decode(), f"agency B's {model} shows in {url}"


@pytest.mark.parametrize("model", list(CROSS_AGENCY))
def test_cross_agency_control_owner_sees_the_record(client, world, model):
    """The 404s above are not an artefact of bad ids: agency B's head opens the same URLs."""
    record = getattr(world, model)
    page, api_detail, _lists, _api_lists = CROSS_AGENCY[model]
    assert record.organization_id == world.agency_b.pk
    client.force_login(world.head_b)
    assert client.get(reverse(page, kwargs={"pk": record.pk})).status_code == 200
    assert client.get(api_detail.format(record.pk)).status_code == 200
