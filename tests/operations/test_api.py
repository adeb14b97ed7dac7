"""The /api/v1/operations API: alerts, incidents and rules through the same selectors and services as the pages."""

from __future__ import annotations

import json

import pytest

from cityops.core.services.apikeys import apikey_create
from cityops.operations import services
from cityops.operations.evaluation import evaluate_observations
from cityops.operations.models import Alert, Incident, MonitoringRule
from tests.operations.conftest import T0, readings, threshold_data

pytestmark = pytest.mark.django_db
BASE = "/api/v1/operations"


def post(client, url, data, method="post"):
    return getattr(client, method)(url, data=json.dumps(data), content_type="application/json")


@pytest.fixture
def alerts(rule_a, sensor_a, sensor_b, head_b, agency_b):
    services.rule_create(actor=head_b, organization=agency_b, data=threshold_data(name="Quy tắc B"))
    readings(sensor_a, "PM25", [70, 71])
    readings(sensor_b, "PM25", [80])
    evaluate_observations(entity_ids=[sensor_a.pk, sensor_b.pk], start=T0, end=T0.replace(hour=9))
    return Alert.objects.get(rule=rule_a), Alert.objects.get(rule__name="Quy tắc B")


def test_requires_credentials(client, alerts):
    for method, url in (("get", f"{BASE}/alerts"), ("get", f"{BASE}/rules"), ("post", f"{BASE}/incidents")):
        response = getattr(client, method)(url)
        assert response.status_code == 401 and "error" in response.json()


def test_alert_list_detail_ack_and_isolation(client, alerts, head_a):
    alert_a, alert_b = alerts
    client.force_login(head_a)
    body = client.get(f"{BASE}/alerts").json()
    assert [a["id"] for a in body["items"]] == [alert_a.pk] and body["items"][0]["occurrences"] == 2
    assert client.get(f"{BASE}/alerts/{alert_b.pk}").status_code == 404
    assert client.post(f"{BASE}/alerts/{alert_b.pk}/acknowledge").status_code == 404
    response = client.post(f"{BASE}/alerts/{alert_a.pk}/acknowledge")
    assert response.status_code == 200 and response.json()["status"] == "acknowledged"
    response = client.post(f"{BASE}/alerts/{alert_a.pk}/acknowledge")
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"
    assert client.get(f"{BASE}/alerts?status=bogus").status_code == 400
    assert client.get(f"{BASE}/alerts?severity=doom").status_code == 400
    assert client.get(f"{BASE}/alerts?page_size=100000").status_code == 400


def test_incident_create_update_and_isolation(client, alerts, head_a, head_b, agency_a, flooding_type):
    alert_a, alert_b = alerts
    client.force_login(head_a)
    payload = {"organization_id": agency_a.pk, "incident_type": "ngap-ung", "alert_ids": [alert_a.pk]}
    response = post(client, f"{BASE}/incidents", payload)
    assert response.status_code == 201, response.json()
    incident = response.json()
    assert incident["alert_ids"] == [alert_a.pk] and len(incident["steps"]) == 3
    assert post(client, f"{BASE}/incidents", {**payload, "alert_ids": [alert_b.pk]}).status_code == 404
    assert post(client, f"{BASE}/incidents", {**payload, "incident_type": "x", "alert_ids": []}).status_code == 400
    response = post(client, f"{BASE}/incidents", {**payload, "alert_ids": [], "title": "<b>x</b>", "latitude": 200,
                                                  "longitude": 1})  # fmt: skip
    assert response.status_code == 400 and response.json()["error"]["fields"][0]["field"] == "latitude"
    response = post(client, f"{BASE}/incidents/{incident['id']}", {"severity": "critical", "title": "Ngập"}, "patch")
    assert response.status_code == 200 and response.json()["severity"] == "critical"
    client.force_login(head_b)
    assert client.get(f"{BASE}/incidents/{incident['id']}").status_code == 404
    assert post(client, f"{BASE}/incidents/{incident['id']}", {"title": "hack"}, "patch").status_code == 404
    assert client.get(f"{BASE}/incidents").json()["count"] == 0
    assert Incident.objects.get().title == "Ngập"


def test_rules_crud(client, head_a, agency_a, agency_b, staff_a):
    client.force_login(head_a)
    data = {**threshold_data(), "organization_id": agency_a.pk}
    response = post(client, f"{BASE}/rules", data)
    assert response.status_code == 201, response.json()
    rule_id = response.json()["id"]
    bad = post(client, f"{BASE}/rules", {**data, "clear_bound": 90})
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "clear_bound"
    bad = post(client, f"{BASE}/rules", {**data, "bound": "1+1"})
    assert bad.status_code == 400
    bad = post(client, f"{BASE}/rules", {**data, "entity_id": "urn:ngsi-ld:AirQualityObserved:none"})
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "entity"
    assert post(client, f"{BASE}/rules", {**data, "organization_id": agency_b.pk}).status_code == 403
    response = post(client, f"{BASE}/rules/{rule_id}", {"bound": 70, "clear_bound": 60}, "patch")
    assert response.status_code == 200 and response.json()["bound"] == 70
    assert client.get(f"{BASE}/rules").json()["count"] == 1
    client.force_login(staff_a)
    assert client.get(f"{BASE}/rules/{rule_id}").status_code == 200
    assert post(client, f"{BASE}/rules/{rule_id}", {"bound": 1}, "patch").status_code == 404
    assert client.delete(f"{BASE}/rules/{rule_id}").status_code == 404
    client.force_login(head_a)
    assert client.delete(f"{BASE}/rules/{rule_id}").status_code == 204
    assert not MonitoringRule.objects.exists()


def test_api_key_of_an_integrator_sees_nothing(client, alerts, agency_a, make_member):
    admin = make_member(agency_a, "administrator", username="adm")
    integrator = make_member(agency_a, "integrator", username="int")
    _key, raw = apikey_create(actor=admin, name="k", user=integrator, organization=agency_a)
    response = client.get(f"{BASE}/alerts", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200 and response.json()["count"] == 0
