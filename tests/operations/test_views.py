"""Pages: who may open them, tenant isolation (404 like a missing record), XSS escaped, forms refuse bad input."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityops.core.models import AuditEvent
from cityops.operations import services
from cityops.operations.choices import AlertStatus, AuditVerbs
from cityops.operations.evaluation import evaluate_observations
from cityops.operations.models import Alert, Incident, MonitoringRule
from tests.operations.conftest import T0, make_entity, readings, threshold_data

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def world(agency_a, agency_b, head_a, head_b, sensor_a, sensor_b, flooding_type):
    """Agency A and agency B each with a rule, a firing alert and an incident."""
    rule_a = services.rule_create(actor=head_a, organization=agency_a, data=threshold_data(name=f"Quy tắc A {XSS}"))
    rule_b = services.rule_create(actor=head_b, organization=agency_b, data=threshold_data(name="Quy tắc B bí mật"))
    readings(sensor_a, "PM25", [90])
    readings(sensor_b, "PM25", [90])
    evaluate_observations(entity_ids=[sensor_a.pk, sensor_b.pk], start=T0, end=T0.replace(hour=9))
    alert_a, alert_b = Alert.objects.get(rule=rule_a), Alert.objects.get(rule=rule_b)
    incident_a = services.incident_create(actor=head_a, organization=agency_a, incident_type=flooding_type,
                                          title=f"Sự cố A {XSS}", description=XSS)  # fmt: skip
    incident_b = services.incident_create(actor=head_b, organization=agency_b, incident_type=flooding_type,
                                          title="Sự cố B bí mật", alerts=[alert_b])  # fmt: skip
    return {"rule_a": rule_a, "rule_b": rule_b, "alert_a": alert_a, "alert_b": alert_b, "incident_a": incident_a,
            "incident_b": incident_b}  # fmt: skip


def pages(w):
    return [
        reverse("operations:index"), reverse("operations:incidents"), reverse("operations:rules"),
        reverse("operations:incident_types"), reverse("operations:subscriptions"),
        reverse("operations:alert", args=[w["alert_a"].pk]), reverse("operations:incident", args=[w["incident_a"].pk]),
        reverse("operations:rule", args=[w["rule_a"].pk]),
        reverse("operations:rule", args=[w["rule_a"].pk]) + "?preview=1",
        reverse("operations:rule_create"), reverse("operations:incident_create"),
        reverse("operations:rule_edit", args=[w["rule_a"].pk]),
    ]  # fmt: skip


def test_owner_sees_everything_escaped(client, world, head_a):
    client.force_login(head_a)
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body, url
        assert "bí mật" not in body, url
    body = client.get(reverse("operations:incident", args=[world["incident_a"].pk])).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body


def test_other_agency_gets_404_everywhere(client, world, head_b):
    client.force_login(head_b)
    for name, obj in (("operations:alert", "alert_a"), ("operations:incident", "incident_a"),
                      ("operations:rule", "rule_a"), ("operations:rule_edit", "rule_a")):  # fmt: skip
        assert client.get(reverse(name, args=[world[obj].pk])).status_code == 404, name
    for url in (reverse("operations:alert_ack", args=[world["alert_a"].pk]),
                reverse("operations:rule_toggle", args=[world["rule_a"].pk]),
                reverse("operations:incident_action", args=[world["incident_a"].pk, "close"])):  # fmt: skip
        assert client.post(url, {"summary": "x", "open_steps_reason": "x"}).status_code == 404, url
    for url in (reverse("operations:index") + "?status=", reverse("operations:incidents") + "?status=",
                reverse("operations:rules")):  # fmt: skip
        body = client.get(url).content.decode()
        assert "Quy tắc A" not in body and "Sự cố A" not in body and "tram-a" not in body
        assert "bí mật" in body or url.endswith("rules") or "Sự cố B" in body or "tram-b" in body
    world["alert_a"].refresh_from_db()
    world["incident_a"].refresh_from_db()
    assert world["alert_a"].status == AlertStatus.FIRING and not world["incident_a"].is_closed
    assert world["rule_a"].is_enabled


def test_desk_sees_both_agencies(client, world, operator):
    client.force_login(operator)
    body = client.get(reverse("operations:index")).content.decode()
    assert "tram-a" in body and "tram-b" in body
    assert client.get(reverse("operations:incident", args=[world["incident_b"].pk])).status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "citizen"])
def test_no_page_for_anonymous_or_citizens(client, world, who, citizen):
    if who == "citizen":
        client.force_login(citizen)
    for url in pages(world):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        if who == "anonymous":
            assert response["Location"].startswith(reverse("core:login"))
        assert "Sự cố A" not in response.content.decode()


def test_specialist_sees_but_may_not_act(client, world, staff_a):
    client.force_login(staff_a)
    assert client.get(reverse("operations:alert", args=[world["alert_a"].pk])).status_code == 200
    response = client.post(reverse("operations:alert_ack", args=[world["alert_a"].pk]))
    assert response.status_code == 403
    assert client.get(reverse("operations:rule_create")).status_code == 403
    assert client.get(reverse("operations:incident_create")).status_code == 403


def test_ack_and_incident_from_alert_page(client, world, head_a, flooding_type, agency_a):
    client.force_login(head_a)
    alert = world["alert_a"]
    assert client.post(reverse("operations:alert_ack", args=[alert.pk])).status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    response = client.post(reverse("operations:incident_create"), {
        "alerts": [alert.pk], "organization": agency_a.pk, "incident_type": flooding_type.pk, "title": "",
        "severity": "", "description": "", "latitude": "", "longitude": "",
    })  # fmt: skip
    incident = Incident.objects.get(alerts=alert)
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()


def test_incident_page_actions(client, world, head_a, agency_a):
    client.force_login(head_a)
    incident = world["incident_a"]
    url = lambda action: reverse("operations:incident_action", args=[incident.pk, action])  # noqa: E731
    step = incident.steps.order_by("position").first()
    assert client.post(url("step"), {"step": step.pk, "done": "1", "note": XSS}).status_code == 302
    assert client.post(url("note"), {"text": XSS}).status_code == 302
    assert client.post(url("note"), {"text": ""}).status_code == 400
    assert client.post(url("assign"), {"agency": "999999"}).status_code == 400
    assert client.post(url("step"), {"step": "abc", "done": "1"}).status_code == 302  # refused with a message
    response = client.post(url("close"), {"summary": "Xong", "open_steps_reason": ""})
    assert response.status_code == 400 and 'data-testid="error-open_steps_reason"' in response.content.decode()
    incident.refresh_from_db()
    assert not incident.is_closed
    assert client.post(url("close"), {"summary": "Xong", "open_steps_reason": "Báo nhầm"}).status_code == 302
    incident.refresh_from_db()
    assert incident.is_closed
    body = client.get(incident.get_absolute_url()).content.decode()
    assert "<script>alert" not in body and XSS not in body
    assert AuditEvent.objects.filter(verb=AuditVerbs.INCIDENT_CLOSED, target_id=str(incident.pk)).exists()


def test_rule_form_refuses_bad_input_and_previews(client, head_a, agency_a, sensor_a):
    client.force_login(head_a)
    base = {"organization": agency_a.pk, "name": "Bụi", "kind": "threshold", "severity": "warning",
            "source": "observation", "entity_type": "AirQualityObserved", "attribute": "PM25", "operator": "gt",
            "bound": "__import__('os').system('id')", "clear_bound": "40", "window_minutes": "", "radius_m": "",
            "for_minutes": "", "is_enabled": "on"}  # fmt: skip
    response = client.post(reverse("operations:rule_create"), base)
    assert response.status_code == 400 and 'data-testid="error-bound"' in response.content.decode()
    response = client.post(reverse("operations:rule_create"), {**base, "bound": "50", "clear_bound": "60"})
    assert response.status_code == 400 and 'data-testid="error-clear_bound"' in response.content.decode()
    assert not MonitoringRule.objects.exists()
    readings(sensor_a, "PM25", [30, 60])
    response = client.post(reverse("operations:rule_create"), {**base, "bound": "50", "preview": "1"})
    assert response.status_code == 200 and 'data-testid="preview"' in response.content.decode()
    assert not MonitoringRule.objects.exists()
    response = client.post(reverse("operations:rule_create"), {**base, "bound": "50"})
    rule = MonitoringRule.objects.get()
    assert response.status_code == 302 and rule.bound == 50 and rule.organization == agency_a


def test_rule_form_refuses_other_agency_owner(client, head_a, agency_b):
    client.force_login(head_a)
    response = client.post(reverse("operations:rule_create"), {"organization": agency_b.pk, "name": "x",
                                                               "kind": "threshold"})  # fmt: skip
    assert response.status_code == 400 and not MonitoringRule.objects.exists()


def test_subscriptions_page(client, head_a, agency_a):
    client.force_login(head_a)
    response = client.post(reverse("operations:subscriptions"), {"organization": agency_a.pk, "role": "specialist",
                                                                 "min_severity": "critical"})  # fmt: skip
    assert response.status_code == 302
    body = client.get(reverse("operations:subscriptions")).content.decode()
    assert "Specialist" in body or "Chuyên viên" in body
    assert make_entity is not None


def test_rule_form_lists_only_own_sensors(client, head_a, sensor_a, sensor_b, operator):
    client.force_login(head_a)
    body = client.get(reverse("operations:rule_create")).content.decode()
    assert "tram-a" in body and "tram-b" not in body
    client.force_login(operator)
    body = client.get(reverse("operations:rule_create")).content.decode()
    assert "tram-a" in body and "tram-b" in body  # the desk watches the whole province
