"""The API's shared behaviour: authentication, the error body, pagination, docs, and the core endpoints."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.testing import TestClient

from cityops.core.api.base import ApiError, PageNumberPagination, default_auth, install_error_handlers
from cityops.core.models import ApiKey, Organization
from cityops.core.permissions import NotFoundOrForbidden
from cityops.core.services.apikeys import apikey_create, apikey_revoke
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db
XSS = "<script>alert('x')</script>"


def assert_error(response, status: int, code: str) -> dict:
    """Every error has the one documented shape."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["fields"], list)
    for item in body["error"]["fields"]:
        assert set(item) == {"field", "message"}
    return body["error"]


@pytest.fixture
def admin_a(agency_a, make_member):
    return make_member(agency_a, "administrator", username="admin-a")


@pytest.fixture
def integrator_a(agency_a, make_member):
    return make_member(agency_a, "integrator", username="integrator-a")


@pytest.fixture
def raw_key(admin_a, integrator_a, agency_a) -> str:
    _key, raw = apikey_create(actor=admin_a, name="Integrator", user=integrator_a, organization=agency_a)
    return raw


# --- Authentication ------------------------------------------------------------------------------------


def test_unauthenticated_gets_401_error_body(client):
    for url in ["/api/v1/me", "/api/v1/organizations", "/api/v1/api-keys"]:
        assert_error(client.get(url), 401, "not_authenticated")


def test_bearer_key_authenticates(client, raw_key, integrator_a):
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw_key}"})
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "integrator-a"
    assert body["auth_method"] == "api_key"
    assert body["api_key_prefix"] == raw_key.split("_")[1]
    assert [m["role"] for m in body["memberships"]] == ["integrator"]


def test_x_api_key_header_authenticates(client, raw_key):
    response = client.get("/api/v1/me", headers={"X-API-Key": raw_key})
    assert response.status_code == 200
    assert response.json()["username"] == "integrator-a"


def test_bearer_scheme_is_case_insensitive(client, raw_key):
    assert client.get("/api/v1/me", headers={"Authorization": f"bearer {raw_key}"}).status_code == 200


def test_key_use_records_last_used(client, raw_key):
    assert ApiKey.objects.get().last_used_at is None
    client.get("/api/v1/me", headers={"X-API-Key": raw_key})
    assert ApiKey.objects.get().last_used_at is not None


def test_key_can_post_without_csrf(raw_key, agency_a, integrator_a):
    csrf_client = Client(enforce_csrf_checks=True)
    payload = {"name": "k", "user_id": integrator_a.pk, "organization_id": agency_a.pk}
    response = csrf_client.post(
        "/api/v1/api-keys", data=payload, content_type="application/json", headers={"X-API-Key": raw_key}
    )
    # Passes authentication (no CSRF failure); refused because keys cannot manage keys.
    assert_error(response, 403, "session_required")


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "cok_" + "a" * 12 + "_" + "b" * 40,
        "x" * 20_000,
        XSS,
        "cok_\u0000",
        "cok_aaaaaaaaaaaa_' OR '1'='1",
    ],
)
def test_bad_keys_get_401(client, value):
    for headers in ({"Authorization": f"Bearer {value}"}, {"X-API-Key": value}):
        error = assert_error(client.get("/api/v1/me", headers=headers), 401, "invalid_api_key")
        assert "<script>" not in error["message"]


def test_revoked_key_gets_401(client, raw_key, admin_a):
    apikey_revoke(actor=admin_a, api_key=ApiKey.objects.get())
    assert_error(client.get("/api/v1/me", headers={"X-API-Key": raw_key}), 401, "invalid_api_key")


def test_expired_key_gets_401(client, raw_key):
    ApiKey.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert_error(client.get("/api/v1/me", headers={"X-API-Key": raw_key}), 401, "invalid_api_key")


def test_bad_key_does_not_fall_back_to_session(client, admin_a):
    client.force_login(admin_a)
    assert_error(client.get("/api/v1/me", headers={"X-API-Key": "nope"}), 401, "invalid_api_key")


def test_other_auth_schemes_are_not_keys(client):
    assert_error(client.get("/api/v1/me", headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401, "not_authenticated")


def test_session_get_works(client, admin_a):
    client.force_login(admin_a)
    body = client.get("/api/v1/me").json()
    assert body["username"] == "admin-a"
    assert body["auth_method"] == "session"
    assert body["api_key_prefix"] is None


def test_session_post_requires_csrf(admin_a, integrator_a, agency_a):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(admin_a)
    payload = {"name": "k", "user_id": integrator_a.pk, "organization_id": agency_a.pk}
    response = csrf_client.post("/api/v1/api-keys", data=payload, content_type="application/json")
    assert_error(response, 403, "csrf_failed")
    assert not ApiKey.objects.exists()
    # With the token from the cookie, the same request succeeds.
    token = "a" * 32  # a CSRF secret the middleware accepts as cookie and header alike
    csrf_client.cookies["csrftoken"] = token
    response = csrf_client.post(
        "/api/v1/api-keys", data=payload, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201, response.content
    assert ApiKey.objects.count() == 1


def test_anonymous_post_is_401_not_csrf(agency_a):
    csrf_client = Client(enforce_csrf_checks=True)
    assert_error(csrf_client.post("/api/v1/api-keys", data={}, content_type="application/json"), 401,
                 "not_authenticated")  # fmt: skip


def test_session_with_pending_two_factor_is_refused(client, admin_a):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=admin_a, name="phone", confirmed=True)
    client.force_login(admin_a)
    assert_error(client.get("/api/v1/me"), 401, "two_factor_required")


def test_inactive_user_session_is_refused(client, admin_a):
    client.force_login(admin_a)
    admin_a.is_active = False
    admin_a.save()
    assert_error(client.get("/api/v1/me"), 401, "not_authenticated")


# --- Organisations -------------------------------------------------------------------------------------


@pytest.fixture
def tree(province, agency_a, agency_b):
    ward = OrganizationFactory(name="Phường Đông Ngàn", code="phuong-dong-ngan", kind="ward", parent=province)
    commune = OrganizationFactory(name="Xã Đại Đồng", code="xa-dai-dong", kind="commune", parent=province)
    unit = OrganizationFactory(name="Phòng Quản lý đô thị", code="phong-qldt", kind="unit", parent=agency_a)
    return {"ward": ward, "commune": commune, "unit": unit}


def test_any_authenticated_user_reads_the_directory(client, tree, make_member):
    citizen = make_member(tree["ward"], "citizen")
    client.force_login(citizen)
    body = client.get("/api/v1/organizations").json()
    assert body["count"] == 6
    assert body["page"] == 1
    assert body["pages"] == 1
    names = [item["name"] for item in body["items"]]
    assert names[0] == "Tỉnh Bắc Ninh"
    assert "Phòng Quản lý đô thị" in names


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("dong ngan", {"Phường Đông Ngàn"}),
        ("ĐÔNG NGÀN", {"Phường Đông Ngàn"}),
        ("dai dong", {"Xã Đại Đồng"}),
        ("so", {"Sở Xây dựng", "Sở Y tế"}),
        ("xay dung", {"Sở Xây dựng"}),
        ("khong-co", set()),
        (XSS, set()),
    ],
)
def test_directory_search_ignores_accents_and_case(client, tree, admin_a, q, expected):
    client.force_login(admin_a)
    body = client.get("/api/v1/organizations", {"q": q}).json()
    assert {item["name"] for item in body["items"]} == expected


def test_directory_filters_by_kind_and_parent(client, tree, admin_a, agency_a):
    client.force_login(admin_a)
    wards = client.get("/api/v1/organizations", {"kind": "ward"}).json()
    assert [item["code"] for item in wards["items"]] == ["phuong-dong-ngan"]
    assert wards["items"][0]["kind_label"]
    children = client.get("/api/v1/organizations", {"parent": agency_a.pk}).json()
    assert [item["code"] for item in children["items"]] == ["phong-qldt"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "galaxy"}, "kind"),
        ({"parent": "abc"}, "parent"),
        ({"parent": "0"}, "parent"),
        ({"q": "x" * 101}, "q"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "99999999999999999999999"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "1.5"}, "page_size"),
    ],
)
def test_bad_query_values_get_400_with_field(client, tree, admin_a, params, field):
    client.force_login(admin_a)
    error = assert_error(client.get("/api/v1/organizations", params), 400, "validation_error")
    assert [item["field"] for item in error["fields"]] == [field]


def test_pagination_pages(client, province, admin_a):
    for n in range(24):
        OrganizationFactory(name=f"Xã {n:02d}", kind="commune", parent=province)
    client.force_login(admin_a)
    first = client.get("/api/v1/organizations", {"page_size": 10}).json()
    # province + agency_a (admin's) + 24 communes
    assert first["count"] == 26
    assert first["pages"] == 3
    assert first["page_size"] == 10
    assert len(first["items"]) == 10
    last = client.get("/api/v1/organizations", {"page_size": 10, "page": 3}).json()
    assert len(last["items"]) == 6
    beyond = client.get("/api/v1/organizations", {"page_size": 10, "page": 4}).json()
    assert beyond["items"] == []
    assert beyond["count"] == 26
    ids = [item["id"] for page in (1, 2, 3) for item in client.get(
        "/api/v1/organizations", {"page_size": 10, "page": page}).json()["items"]]  # fmt: skip
    assert len(set(ids)) == 26


def test_default_page_size(client, province, admin_a, settings):
    for _ in range(settings.API_DEFAULT_PAGE_SIZE + 5):
        OrganizationFactory(kind="commune", parent=province)
    client.force_login(admin_a)
    body = client.get("/api/v1/organizations").json()
    assert body["page_size"] == settings.API_DEFAULT_PAGE_SIZE
    assert len(body["items"]) == settings.API_DEFAULT_PAGE_SIZE


def test_organization_detail_and_missing_is_404(client, tree, admin_a):
    client.force_login(admin_a)
    ward = tree["ward"]
    body = client.get(f"/api/v1/organizations/{ward.pk}").json()
    assert body["name"] == "Phường Đông Ngàn"
    assert body["parent_id"] == ward.parent_id
    missing = assert_error(client.get("/api/v1/organizations/987654"), 404, "not_found")
    Organization.objects.filter(pk=ward.pk).update(is_active=False)
    inactive = assert_error(client.get(f"/api/v1/organizations/{ward.pk}"), 404, "not_found")
    assert missing == inactive


def test_non_integer_id_is_not_an_error_500(client, admin_a):
    client.force_login(admin_a)
    response = client.get("/api/v1/organizations/abc")
    assert response.status_code == 404


# --- API key endpoints ---------------------------------------------------------------------------------


def test_admin_creates_lists_and_revokes_key(client, admin_a, integrator_a, agency_a):
    client.force_login(admin_a)
    response = client.post(
        "/api/v1/api-keys",
        data={"name": f"Trạm {XSS}", "user_id": integrator_a.pk, "organization_id": agency_a.pk},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    secret = created["secret"]
    assert secret.startswith("cok_")
    assert created["key"]["user"] == "integrator-a"
    assert created["key"]["is_active"] is True
    assert created["key"]["name"] == f"Trạm {XSS}"  # stored as typed; JSON is not HTML

    listing = client.get("/api/v1/api-keys").json()
    assert listing["count"] == 1
    assert "secret" not in listing["items"][0]
    assert secret not in json.dumps(listing)

    assert client.get("/api/v1/me", headers={"X-API-Key": secret}).status_code == 200
    key_id = created["key"]["id"]
    assert client.delete(f"/api/v1/api-keys/{key_id}").status_code == 204
    assert client.delete(f"/api/v1/api-keys/{key_id}").status_code == 204  # idempotent
    assert_error(client.get("/api/v1/me", headers={"X-API-Key": secret}), 401, "invalid_api_key")
    assert client.get("/api/v1/api-keys", {"active": "true"}).json()["count"] == 0


@pytest.mark.parametrize("role", ["specialist", "agency_head", "leader", "integrator", "citizen"])
def test_non_admins_cannot_use_key_endpoints(client, agency_a, make_member, integrator_a, role):
    client.force_login(make_member(agency_a, role))
    payload = {"name": "k", "user_id": integrator_a.pk, "organization_id": agency_a.pk}
    assert_error(client.post("/api/v1/api-keys", data=payload, content_type="application/json"), 403,
                 "permission_denied")  # fmt: skip
    assert_error(client.get("/api/v1/api-keys"), 403, "permission_denied")
    assert not ApiKey.objects.exists()


def test_admin_cannot_create_or_see_another_agencys_keys(client, agency_a, agency_b, make_member, admin_a):
    admin_b = make_member(agency_b, "administrator")
    integrator_b = make_member(agency_b, "integrator")
    key_b, _ = apikey_create(actor=admin_b, name="b", user=integrator_b, organization=agency_b)
    client.force_login(admin_a)
    payload = {"name": "k", "user_id": integrator_b.pk, "organization_id": agency_b.pk}
    assert_error(client.post("/api/v1/api-keys", data=payload, content_type="application/json"), 403,
                 "permission_denied")  # fmt: skip
    assert client.get("/api/v1/api-keys").json()["count"] == 0
    other = assert_error(client.delete(f"/api/v1/api-keys/{key_b.pk}"), 404, "not_found")
    missing = assert_error(client.delete("/api/v1/api-keys/999999"), 404, "not_found")
    assert other == missing
    assert ApiKey.objects.get(pk=key_b.pk).revoked_at is None


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"name", "user_id", "organization_id"}),
        ({"name": "", "user_id": 1, "organization_id": 1}, {"name"}),
        ({"name": "x" * 121, "user_id": 1, "organization_id": 1}, {"name"}),
        ({"name": "k", "user_id": "abc", "organization_id": 1}, {"user_id"}),
        ({"name": "k", "user_id": 1, "organization_id": 1, "expires_at": "tomorrow"}, {"expires_at"}),
        ({"name": ["k"], "user_id": 1, "organization_id": 1}, {"name"}),
    ],
)
def test_create_key_bad_payload(client, admin_a, payload, fields):
    client.force_login(admin_a)
    error = assert_error(client.post("/api/v1/api-keys", data=payload, content_type="application/json"), 400,
                         "validation_error")  # fmt: skip
    assert {item["field"] for item in error["fields"]} == fields


def test_create_key_unknown_references_and_past_expiry(client, admin_a, integrator_a, agency_a):
    client.force_login(admin_a)
    post = lambda data: client.post("/api/v1/api-keys", data=data, content_type="application/json")  # noqa: E731
    error = assert_error(post({"name": "k", "user_id": 999999, "organization_id": agency_a.pk}), 400,
                         "validation_error")  # fmt: skip
    assert error["fields"][0]["field"] == "user_id"
    error = assert_error(post({"name": "k", "user_id": integrator_a.pk, "organization_id": 999999}), 400,
                         "validation_error")  # fmt: skip
    assert error["fields"][0]["field"] == "organization_id"
    past = (timezone.now() - timedelta(days=1)).isoformat()
    error = assert_error(
        post({"name": "k", "user_id": integrator_a.pk, "organization_id": agency_a.pk, "expires_at": past}),
        400, "validation_error",
    )  # fmt: skip
    assert error["fields"] == [{"field": "expires_at", "message": error["fields"][0]["message"]}]
    assert not ApiKey.objects.exists()


def test_malformed_json_body(client, admin_a):
    client.force_login(admin_a)
    response = client.post("/api/v1/api-keys", data="{not json", content_type="application/json")
    assert_error(response, 400, "invalid_body")


def test_api_key_cannot_manage_keys_even_for_admin_user(client, admin_a, agency_a, province, make_member):
    root_admin = make_member(province, "administrator")
    key, raw = apikey_create(actor=root_admin, name="admin key", user=admin_a, organization=agency_a)
    assert_error(client.get("/api/v1/api-keys", headers={"X-API-Key": raw}), 403, "session_required")


# --- Error handlers, on a throwaway API so every kind of exception can be raised ------------------------


class ItemIn(Schema):
    name: str
    size: int


def make_test_api() -> TestClient:
    api = NinjaAPI(urls_namespace="test-errors", auth=default_auth())
    install_error_handlers(api)

    @api.get("/public", auth=None)
    def public(request):
        return {"ok": True}

    @api.post("/items", auth=None)
    def items(request, payload: ItemIn):
        return {"ok": True}

    @api.get("/django-validation", auth=None)
    def django_validation(request):
        raise ValidationError({"name": ["Bad name."], "__all__": ["Whole thing is bad."]})

    @api.get("/django-validation-plain", auth=None)
    def django_validation_plain(request):
        raise ValidationError("Plain problem.")

    @api.get("/denied", auth=None)
    def denied(request):
        raise PermissionDenied

    @api.get("/missing", auth=None)
    def missing(request):
        raise Http404("secret internal detail")

    @api.get("/forbidden-record", auth=None)
    def forbidden_record(request):
        raise NotFoundOrForbidden

    @api.get("/http-error", auth=None)
    def http_error(request):
        raise HttpError(409, "Already done.")

    @api.get("/api-error", auth=None)
    def api_error(request):
        raise ApiError(422, "custom_code", "Custom.", [("field", "why")])

    @api.get("/boom", auth=None)
    def boom(request):
        raise RuntimeError("database password is hunter2")

    @api.get("/numbers", auth=None, response=list[int])
    @paginate(PageNumberPagination)
    def numbers(request) -> list[int]:
        return list(range(45))

    return TestClient(api)


@pytest.fixture(scope="module")
def test_api() -> TestClient:
    return make_test_api()


def test_public_endpoint_needs_no_auth(test_api):
    assert test_api.get("/public").json() == {"ok": True}


def test_schema_validation_error_fields(test_api):
    error = assert_error(test_api.post("/items", json={"size": "big"}), 400, "validation_error")
    assert {item["field"] for item in error["fields"]} == {"name", "size"}


def test_django_validation_error(test_api):
    error = assert_error(test_api.get("/django-validation"), 400, "validation_error")
    assert {"field": "name", "message": "Bad name."} in error["fields"]
    assert {"field": None, "message": "Whole thing is bad."} in error["fields"]
    plain = assert_error(test_api.get("/django-validation-plain"), 400, "validation_error")
    assert plain["message"] == "Plain problem."


def test_permission_denied(test_api):
    assert_error(test_api.get("/denied"), 403, "permission_denied")


def test_not_found_and_forbidden_look_the_same(test_api):
    missing = assert_error(test_api.get("/missing"), 404, "not_found")
    forbidden = assert_error(test_api.get("/forbidden-record"), 404, "not_found")
    assert missing == forbidden
    assert "secret" not in missing["message"]


def test_http_errors_keep_status(test_api):
    assert_error(test_api.get("/http-error"), 409, "conflict")
    error = assert_error(test_api.get("/api-error"), 422, "custom_code")
    assert error["fields"] == [{"field": "field", "message": "why"}]


def test_unexpected_exception_is_500_generic_and_logged(test_api, caplog):
    with caplog.at_level("ERROR", logger="cityops.api"):
        error = assert_error(test_api.get("/boom"), 500, "server_error")
    assert "hunter2" not in error["message"]
    assert any("hunter2" in str(record.exc_info[1]) for record in caplog.records if record.exc_info)


def test_paginating_a_list(test_api):
    body = test_api.get("/numbers?page=3&page_size=20").json()
    assert body == {"items": [40, 41, 42, 43, 44], "count": 45, "page": 3, "page_size": 20, "pages": 3}


# --- OpenAPI and docs ----------------------------------------------------------------------------------


def test_openapi_lists_endpoints_and_error_schema(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in [
        "/api/v1/me",
        "/api/v1/organizations",
        "/api/v1/organizations/{organization_id}",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{key_id}",
    ]:
        assert path in paths, sorted(paths)
    assert {"get", "post"} <= set(paths["/api/v1/api-keys"])
    assert "delete" in paths["/api/v1/api-keys/{key_id}"]
    assert "ErrorOut" in schema["components"]["schemas"]
    assert set(schema["components"]["securitySchemes"]) == {"ApiKeyAuth", "SessionAuth"}
    listing = paths["/api/v1/organizations"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"page", "page_size", "kind", "parent", "q"}
    assert listing["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("ErrorOut")


def test_docs_page_loads_only_local_assets(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    # Every script and stylesheet comes from this server: no CDN, no protocol-relative URL.
    assets = re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]*)"', html)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    assert "https://" not in html and "http://" not in html
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    # The assets it names are served.
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/ninja/swagger-ui-init.js").status_code == 200
