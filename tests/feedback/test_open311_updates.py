"""Open311 extensions: POST servicerequestupdates from an agency's system, and the jurisdiction_id modes."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET  # noqa: S405  (parsing our own output in tests)

import pytest

from cityops.core.choices import Role
from cityops.core.models import AuditEvent
from cityops.core.services.apikeys import apikey_create
from cityops.feedback import services
from cityops.feedback.choices import Status
from cityops.feedback.models import Request, RequestUpdate
from tests.feedback.test_open311 import BASE, assert_errors, get_json, validate

pytestmark = pytest.mark.django_db
URL = f"{BASE}/servicerequestupdates.json"


@pytest.fixture
def key_for(province, make_member):
    admin = make_member(province, Role.ADMINISTRATOR, username="key-admin")

    def make(organization, role=Role.INTEGRATOR, name="crm"):
        account = make_member(organization, role, username=f"svc-{name}", is_service_account=True)
        _key, raw = apikey_create(actor=admin, name=name, user=account, organization=organization)
        return raw

    return make


@pytest.fixture
def assigned(submit, desk_user, agency_b):
    req = services.request_verify(actor=desk_user, request=submit())
    return services.request_assign(actor=desk_user, request=req, agency=agency_b)


def post(client, key, expect=200, fmt="json", **data):
    values = {"api_key": key, **data}
    values = {k: v for k, v in values.items() if v is not None}
    response = client.post(f"{BASE}/servicerequestupdates.{fmt}", values)
    assert response.status_code == expect, response.content
    if fmt == "xml":
        return ET.fromstring(response.content)  # noqa: S314
    return json.loads(response.content.decode("utf-8"))


def test_progress_then_fixed_goes_to_the_desk_for_review(client, key_for, agency_b, assigned):
    key = key_for(agency_b)
    (body,) = post(client, key, service_request_id=str(assigned.pk), status="IN_PROGRESS",
                   description="Đã cử đội sửa chữa", update_id="crm-1")  # fmt: skip
    req = Request.objects.get(pk=assigned.pk)
    assert req.status == Status.IN_PROGRESS
    update = RequestUpdate.objects.get(pk=body["update_id"])
    assert update.is_public and update.external_id == "crm-1" and update.text == "Đã cử đội sửa chữa"
    post(client, key, service_request_id=str(req.pk), status="fixed", description="Đã thay bóng đèn", update_id="2")
    req = Request.objects.get(pk=req.pk)
    assert req.status == Status.RESOLVED and req.answer == "Đã thay bóng đèn"  # the desk still reviews it
    events = AuditEvent.objects.filter(verb="feedback.request.update_received", target_id=str(req.pk))
    assert events.count() == 2 and {e.data["update_id"] for e in events} == {"crm-1", "2"}
    public = get_json(client, "/servicerequestupdates.json")
    assert "IN_PROGRESS" in [u["status"] for u in public]


def test_comment_only_is_an_internal_note_and_update_id_is_idempotent(client, key_for, agency_b, assigned):
    key = key_for(agency_b)
    first = post(client, key, service_request_id=str(assigned.pk), description="Ghi chú nội bộ", update_id="u-7")
    again = post(client, key, service_request_id=str(assigned.pk), description="Ghi chú nội bộ", update_id="u-7")
    assert first == again
    update = RequestUpdate.objects.get(external_id="u-7")
    assert not update.is_public and update.new_status == ""
    assert AuditEvent.objects.filter(verb="feedback.request.update_received").count() == 1
    assert Request.objects.get(pk=assigned.pk).status == Status.ASSIGNED


def test_not_ours_returns_to_the_desk(client, key_for, agency_b, assigned, province):
    post(client, key_for(agency_b), service_request_id=str(assigned.pk), status="NOT_COUNCILS_RESPONSIBILITY",
         description="Không thuộc thẩm quyền")  # fmt: skip
    req = Request.objects.get(pk=assigned.pk)
    assert req.status == Status.RETURNED and req.organization == province


def test_xml_answer_and_script_is_stored_as_data(client, key_for, agency_b, assigned):
    root = post(client, key_for(agency_b), fmt="xml", service_request_id=str(assigned.pk),
                description='<script>alert("x")</script>')  # fmt: skip
    assert root.tag == "service_request_updates" and root.findtext("request_update/update_id")
    assert RequestUpdate.objects.filter(text='<script>alert("x")</script>').exists()


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"service_request_id": None}, 400),
        ({"service_request_id": "999999"}, 404),
        ({"service_request_id": "abc"}, 404),
        ({"service_request_id": "1" * 40}, 404),
        ({"status": "DUPLICATE"}, 400),
        ({"status": "<b>"}, 400),
        ({"status": "", "description": ""}, 400),
        ({"description": "a" * 4001}, 400),
        ({"updated_datetime": "yesterday"}, 400),
        ({"updated_datetime": "2026-01-01T00:00:00"}, 400),
        ({"update_id": "x" * 65}, 400),
        ({"status": "FIXED", "description": ""}, 400),
        ({"jurisdiction_id": "hanoi.gov.vn"}, 404),
    ],
)
def test_bad_updates_change_nothing(client, key_for, agency_b, assigned, data, status):
    values = {"service_request_id": str(assigned.pk), "status": "IN_PROGRESS", "description": "Đang làm", **data}
    before = RequestUpdate.objects.count()
    assert_errors(post(client, key_for(agency_b), expect=status, **values), status)
    assert RequestUpdate.objects.count() == before
    assert Request.objects.get(pk=assigned.pk).status == Status.ASSIGNED


@pytest.mark.parametrize("key", [None, "", "cok_wrong"])
def test_updates_need_a_valid_key(client, assigned, key):
    data = {"service_request_id": str(assigned.pk), "description": "x"}
    if key is not None:
        data["api_key"] = key
    response = client.post(URL, data)
    assert response.status_code == 403
    assert_errors(json.loads(response.content), 403)


def test_a_key_reaches_only_its_own_agencys_requests(client, key_for, agency_a, agency_b, assigned, submit):
    other_agency = post(client, key_for(agency_a, name="a"), expect=404, service_request_id=str(assigned.pk),
                        description="x")  # fmt: skip
    assert_errors(other_agency, 404)
    at_desk = submit()  # still at the desk: no agency key reaches it
    assert_errors(post(client, key_for(agency_b, name="b"), expect=404, service_request_id=str(at_desk.pk),
                       description="x"), 404)  # fmt: skip
    assert not RequestUpdate.objects.filter(text="x").exists()


def test_a_key_without_a_role_there_is_refused(client, key_for, agency_b, assigned):
    key = key_for(agency_b, role=Role.CITIZEN, name="citizen-key")
    assert_errors(post(client, key, expect=404, service_request_id=str(assigned.pk), description="x"), 404)


def test_province_integrator_reaches_every_agency(client, key_for, province, assigned):
    post(client, key_for(province, name="prov"), service_request_id=str(assigned.pk), status="ACTION_SCHEDULED",
         description="Đã tiếp nhận")  # fmt: skip
    assert Request.objects.get(pk=assigned.pk).status == Status.ACCEPTED


def test_required_jurisdiction_mode(client, settings, simple_category, submit):
    settings.OPEN311_JURISDICTION_ID = "bacninh.gov.vn"
    settings.OPEN311_REQUIRE_JURISDICTION = True
    req = submit()
    for path in (
        "/discovery.json",
        "/services.json",
        f"/services/{simple_category.code}.json",
        "/requests.json",
        f"/requests/{req.pk}.json",
        f"/tokens/{req.tracking_code}.json",
        "/servicerequestupdates.json",
    ):
        assert_errors(get_json(client, path, expect=400), 400)
        assert_errors(get_json(client, path, expect=404, jurisdiction_id="hanoi.gov.vn"), 404)
        assert get_json(client, path, jurisdiction_id="bacninh.gov.vn") is not None
    validate(get_json(client, "/requests.json", jurisdiction_id="bacninh.gov.vn"), "requests.json")
    response = client.post(f"{BASE}/requests.xml", {"service_code": simple_category.code})
    assert response.status_code == 400
    assert ET.fromstring(response.content).findtext("error/code") == "400"  # noqa: S314
