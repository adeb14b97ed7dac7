"""Open311 GeoReport v2 conformance: schemas, both formats, the spec's errors, filters and extensions."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from xml.etree import ElementTree as ET  # noqa: S405  (parsing our own output in tests)

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource

from cityops.feedback import services
from cityops.feedback.models import Request
from tests.feedback.conftest import LAT, LONG, png_bytes

pytestmark = pytest.mark.django_db

SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "open311-schemas"
BASE = "/open311/v2"


def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        resources.append(
            (path.name, Resource.from_contents(json.loads(path.read_text()), default_specification=_draft()))
        )
    return Registry().with_resources(resources)


def _draft():
    from referencing.jsonschema import DRAFT7

    return DRAFT7


def validate(body, schema_name: str) -> None:
    schema = json.loads((SCHEMAS / schema_name).read_text())
    validator = Draft7Validator(schema, registry=_registry(), format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, [e.message for e in errors]


def get_json(client, url, expect=200, **params):
    response = client.get(BASE + url, params)
    assert response.status_code == expect, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content.decode("utf-8"))


def get_xml(client, url, expect=200, **params):
    response = client.get(BASE + url, params)
    assert response.status_code == expect, response.content
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(text)  # noqa: S314
    assert "}" not in root.tag  # no namespace
    return root


def assert_errors(body, status):
    assert isinstance(body, list) and body
    for error in body:
        assert set(error) == {"code", "description"}
        assert error["code"] == status and error["description"]


@pytest.fixture
def post(client, api_key, simple_category):
    def send(status=200, fmt="json", **data):
        values = {"api_key": api_key, "service_code": simple_category.code, "lat": LAT, "long": LONG,
                  "description": "Đèn đường hỏng ở phường Kinh Bắc"}  # fmt: skip
        values.update(data)
        values = {k: v for k, v in values.items() if v is not None}
        response = client.post(f"{BASE}/requests.{fmt}", values)
        assert response.status_code == status, response.content
        if fmt == "json":
            return json.loads(response.content.decode("utf-8"))
        return ET.fromstring(response.content)  # noqa: S314

    return send


def test_discovery_both_formats(client):
    body = get_json(client, "/discovery.json")
    assert body["contact"] and body["key_service"] and body["changeset"]
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["type"] == "production" and "text/xml" in endpoint["formats"]
    assert dt.datetime.fromisoformat(endpoint["changeset"]) <= timezone.now()
    root = get_xml(client, "/discovery.xml")
    assert root.tag == "discovery" and root.findtext("contact") == body["contact"]
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]


def test_services_validate_and_match_in_both_formats(client, category, simple_category):
    body = get_json(client, "/services.json")
    validate(body, "services.json")
    assert {s["service_code"] for s in body} == {"road-damage", "street-light"}
    assert {s["service_code"]: s["metadata"] for s in body} == {"road-damage": True, "street-light": False}
    root = get_xml(client, "/services.xml")
    assert root.tag == "services" and len(root.findall("service")) == len(body)
    assert {s.findtext("metadata") for s in root} == {"true", "false"}


def test_single_service_is_still_a_list(client, simple_category):
    body = get_json(client, "/services.json")
    assert isinstance(body, list) and len(body) == 1
    assert len(get_xml(client, "/services.xml").findall("service")) == 1


def test_service_definition(client, category):
    body = get_json(client, "/services/road-damage.json")
    validate(body, "service-definition.json")
    assert body["service_code"] == "road-damage"
    orders = [a["order"] for a in body["attributes"]]
    assert len(set(orders)) == len(orders) and all(o > 0 for o in orders)
    size = body["attributes"][0]
    assert size["datatype"] == "singlevaluelist" and [v["key"] for v in size["values"]] == ["small", "large"]
    root = get_xml(client, "/services/road-damage.xml")
    assert root.tag == "service_definition" and root.findtext("service_code") == "road-damage"
    assert len(root.findall("attributes/attribute")) == 4
    assert root.find("attributes/attribute/values/value/key").text == "small"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_definition_is_404(client, fmt):
    response = client.get(f"{BASE}/services/nope.{fmt}")
    assert response.status_code == 404
    if fmt == "json":
        assert_errors(json.loads(response.content), 404)
    else:
        root = ET.fromstring(response.content)  # noqa: S314
        assert root.tag == "errors" and root.findtext("error/code") == "404"


def test_post_creates_and_reads_back_vietnamese_text(client, post, province):
    text = "Đèn đường hỏng ở phường Kinh Bắc, gần chợ — «khẩn»"
    (created,) = post(description=text)
    assert set(created) >= {"service_request_id"} and "token" not in created
    req = Request.objects.get(pk=created["service_request_id"])
    assert req.organization == province and req.channel == "open311" and req.reporter is None
    body = get_json(client, f"/requests/{req.pk}.json")
    validate(body, "requests.json")
    assert len(body) == 1 and body[0]["description"] == text and body[0]["status"] == "open"
    root = get_xml(client, f"/requests/{req.pk}.xml")
    assert root.tag == "service_requests" and root.findtext("request/description") == text


def test_post_xml_answer(post):
    root = post(fmt="xml")
    assert root.tag == "service_requests" and root.findtext("request/service_request_id")


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("key", [None, "", "cok_wrong", "cok_aaaaaaaaaaaa_" + "A" * 40])
def test_post_without_valid_key_is_403(client, simple_category, key, fmt):
    data = {"service_code": simple_category.code, "lat": LAT, "long": LONG, "description": "x"}
    if key is not None:
        data["api_key"] = key
    response = client.post(f"{BASE}/requests.{fmt}", data)
    assert response.status_code == 403
    if fmt == "json":
        assert_errors(json.loads(response.content), 403)
    else:
        assert ET.fromstring(response.content).findtext("error/code") == "403"  # noqa: S314
    assert Request.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"service_code": ""}, 400),
        ({"service_code": "unknown"}, 404),
        ({"lat": None, "long": None}, 400),
        ({"long": None}, 400),
        ({"lat": "abc"}, 400),
        ({"lat": "95", "long": "106"}, 400),
        ({"lat": "10.77", "long": "106.70"}, 400),
        ({"description": "a" * 4001}, 400),
        ({"email": "nope"}, 400),
        ({"jurisdiction_id": "other.gov.vn"}, 404),
    ],
)
def test_post_bad_input(post, data, status):
    assert_errors(post(status=status, **data), status)
    assert Request.objects.count() == 0


def test_location_alternatives_and_empty_optionals(post):
    assert post(lat=None, long=None, address_string="Số 1 Lý Thái Tổ, Bắc Ninh")[0]["service_request_id"]
    assert post(lat=None, long=None, address_id="BN-000123")[0]["service_request_id"]
    assert post(email="", device_id="", first_name="")[0]["service_request_id"]


def test_post_attributes(post, category):
    body = post(status=400, service_code="road-damage")
    assert any("attribute[size]" in e["description"] for e in body)
    assert_errors(post(status=400, service_code="road-damage", **{"attribute[size]": "huge"}), 400)
    (created,) = post(
        service_code="road-damage", **{"attribute[size]": "small", "attribute[lanes][]": ["left", "right"]}
    )
    assert Request.objects.get(pk=created["service_request_id"]).attributes == {
        "size": "small",
        "lanes": ["left", "right"],
    }


def test_post_media_upload_and_fake_image(post):
    photo = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
    assert post(**{"media[]": photo})[0]["service_request_id"]
    fake = SimpleUploadedFile("b.jpg", b"not an image at all", content_type="image/jpeg")
    assert_errors(post(status=400, **{"media[]": fake}), 400)
    assert Request.objects.count() == 1


def test_script_in_text_is_data_not_markup(client, post):
    (created,) = post(description='<script>alert("x")</script> ổ gà')
    root = get_xml(client, f"/requests/{created['service_request_id']}.xml")
    assert root.findtext("request/description") == '<script>alert("x")</script> ổ gà'
    raw = client.get(f"{BASE}/requests/{created['service_request_id']}.xml").content.decode()
    assert "<script>" not in raw


@pytest.fixture
def three(submit, desk_user):
    a, b, c = submit(), submit(), submit()
    services.request_reject(actor=desk_user, request=c, reason="Trùng lặp nội dung")
    return a, b, c


def test_requests_list_filters(client, three, simple_category):
    a, b, c = three
    body = get_json(client, "/requests.json")
    validate(body, "requests.json")
    assert [r["service_request_id"] for r in body] == [str(c.pk), str(b.pk), str(a.pk)]
    assert {r["status"] for r in body} == {"open", "closed"}
    closed = get_json(client, "/requests.json", status="closed")
    assert [r["service_request_id"] for r in closed] == [str(c.pk)] and closed[0]["status_notes"]
    assert len(get_json(client, "/requests.json", status="open,closed")) == 3
    assert get_json(client, "/requests.json", service_code="nope") == []
    assert len(get_json(client, "/requests.json", service_code=f"x,{simple_category.code}")) == 3
    # A list of ids overrides every other filter.
    ids = get_json(client, "/requests.json", service_request_id=f"{a.pk},{c.pk}", status="open", service_code="x")
    assert {r["service_request_id"] for r in ids} == {str(a.pk), str(c.pk)}
    assert len(get_xml(client, "/requests.xml").findall("request")) == 3


def test_privacy_no_reporter_fields(client, submit, citizen):
    submit(actor=citizen, contact_email="dan@example.vn", contact_phone="0912345678", contact_name="Nguyễn Dân")
    raw = client.get(f"{BASE}/requests.json?extensions=true").content.decode()
    for secret in ("dan@example.vn", "0912345678", "Nguyễn Dân", "email", "phone", "first_name", "device_id"):
        assert secret not in raw
    assert Request.objects.get().tracking_code not in raw


def test_dates(client, three, monkeypatch):
    a, _b, _c = three
    old = timezone.now() - dt.timedelta(days=120)
    Request.objects.filter(pk=a.pk).update(created_at=old)
    assert len(get_json(client, "/requests.json")) == 2  # default: the last 90 days
    start = (old - dt.timedelta(days=1)).isoformat()
    end = (old + dt.timedelta(days=1)).isoformat()
    body = get_json(client, "/requests.json", start_date=start, end_date=end)
    assert [r["service_request_id"] for r in body] == [str(a.pk)]
    too_long = (old + dt.timedelta(days=91)).isoformat()
    assert_errors(get_json(client, "/requests.json", expect=400, start_date=start, end_date=too_long), 400)
    assert_errors(get_json(client, "/requests.json", expect=400, start_date="2026-01-01T00:00:00"), 400)
    assert_errors(get_json(client, "/requests.json", expect=400, start_date="yesterday"), 400)
    assert_errors(get_json(client, "/requests.json", expect=400, status="pending"), 400)


def test_paging_extension(client, three):
    first = get_json(client, "/requests.json", page_size=2)
    second = get_json(client, "/requests.json", page_size=2, page=2)
    assert len(first) == 2 and len(second) == 1
    assert not {r["service_request_id"] for r in first} & {r["service_request_id"] for r in second}
    assert get_json(client, "/requests.json", page=5) == []
    for bad in ({"page_size": "0"}, {"page_size": "1001"}, {"page": "x"}):
        assert_errors(get_json(client, "/requests.json", expect=400, **bad), 400)


def test_extensions_add_detail_without_changing_core_output(client, three):
    a, _b, c = three
    plain = get_json(client, f"/requests/{c.pk}.json")
    extended = get_json(client, f"/requests/{c.pk}.json", extensions="true")
    validate(extended, "requests.json")
    assert extended[0]["detailed_status"] == "REJECTED"
    assert [n["type"] for n in extended[0]["notes"]] == ["submitted", "rejected"]
    assert {k: v for k, v in extended[0].items() if k in plain[0]} == plain[0]


def test_updated_after(client, three):
    a, b, c = three
    Request.objects.filter(pk=a.pk).update(updated_at=timezone.now() - dt.timedelta(days=10))
    after = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert {r["service_request_id"] for r in get_json(client, "/requests.json", updated_after=after)} == {
        str(b.pk),
        str(c.pk),
    }


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize("rid", ["999999", "abc", "1" * 30])
def test_unknown_request_is_404(client, rid, fmt):
    response = client.get(f"{BASE}/requests/{rid}.{fmt}")
    assert response.status_code == 404


def test_tokens(client, submit):
    req = submit()
    body = get_json(client, f"/tokens/{req.tracking_code}.json")
    assert body == [{"service_request_id": str(req.pk), "token": req.tracking_code}]
    assert_errors(get_json(client, "/tokens/NOPE.json", expect=404), 404)


def test_jurisdiction(client, simple_category, settings):
    settings.OPEN311_JURISDICTION_ID = "bacninh.gov.vn"
    assert get_json(client, "/services.json", jurisdiction_id="bacninh.gov.vn")
    assert_errors(get_json(client, "/services.json", expect=404, jurisdiction_id="hanoi.gov.vn"), 404)
    assert get_json(client, "/services.json", jurisdiction_id="")  # empty is the same as absent


def test_unreadable_multipart_body_is_400_not_500(client, api_key):
    response = client.generic(
        "POST", f"{BASE}/requests.json", b"--x\r\nbroken", content_type="multipart/form-data; boundary="
    )
    assert response.status_code in {400, 403}
    assert_errors(json.loads(response.content), response.status_code)


def test_flooding_from_one_key_is_429(post, settings):
    settings.FEEDBACK_RATE_LIMIT_PER_KEY = 1
    post()
    body = post(status=429)
    assert body[0]["code"] == 429 and body[0]["description"]
    assert Request.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"service_code": "street-light"', "application/json"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>', "text/xml"),
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_bodies_get_spec_errors_never_500(client, api_key, body, content_type):
    response = client.generic("POST", f"{BASE}/requests.json", body, content_type=content_type,
                              headers={"X-API-Key": api_key})  # fmt: skip
    assert response.status_code == 400
    assert_errors(json.loads(response.content), 400)
    assert Request.objects.count() == 0


def test_huge_upload_is_refused_whole(post, settings):
    settings.ATTACHMENT_MAX_BYTES = 1000
    big = SimpleUploadedFile("big.png", png_bytes() + b"\x00" * 5000, content_type="image/png")
    assert_errors(post(status=400, **{"media[]": big}), 400)
    assert Request.objects.count() == 0


def test_get_with_unsupported_format_or_method(client):
    assert client.get(f"{BASE}/services.html").status_code == 404
    assert client.delete(f"{BASE}/requests.json").status_code == 405


def test_fixmystreet_request_updates(client, submit, desk_user, staff_b, agency_b):
    req = services.request_verify(actor=desk_user, request=submit())
    req = services.request_assign(actor=desk_user, request=req, agency=agency_b)
    services.request_accept(actor=staff_b, request=req)  # internal: not listed
    body = get_json(client, "/servicerequestupdates.json")
    assert [u["status"] for u in body] == ["FOR_TRIAGE", "OPEN", "ACTION_SCHEDULED"]
    assert len({u["update_id"] for u in body}) == 3 and {u["service_request_id"] for u in body} == {str(req.pk)}
    root = get_xml(client, "/servicerequestupdates.xml")
    assert root.tag == "service_requests_updates" and len(root.findall("request_update")) == 3
    old = (timezone.now() - dt.timedelta(days=200)).isoformat()
    assert_errors(get_json(client, "/servicerequestupdates.json", expect=400, start_date=old), 400)
