"""Alerts → incidents: acknowledge, open from alerts, assign, work the checklist, note, close, escalate; audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cityops.core.models import AuditEvent, LiveEvent, Notification
from cityops.directives.models import Task
from cityops.operations import services
from cityops.operations.choices import AlertStatus, AuditVerbs, IncidentStatus
from cityops.operations.evaluation import evaluate_observations
from cityops.operations.models import Alert, Incident
from tests.operations.conftest import T0, readings

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(rule_a, sensor_a):
    readings(sensor_a, "PM25", [60, 65])
    evaluate_observations(entity_ids=[sensor_a.pk], start=T0, end=T0.replace(hour=9))
    return Alert.objects.get()


def verbs():
    return list(AuditEvent.objects.filter(verb__startswith="operations.").order_by("id").values_list("verb", flat=True))


def test_acknowledge(alert, head_a):
    services.alert_acknowledge(actor=head_a, alert=alert)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by == head_a
    assert AuditVerbs.ALERT_ACKNOWLEDGED in verbs()
    assert LiveEvent.objects.filter(kind="operations.alert", data__status="acknowledged").exists()
    with pytest.raises(ValidationError):
        services.alert_acknowledge(actor=head_a, alert=alert)


def test_acknowledge_refused_to_others(alert, staff_a, head_b, citizen):
    for actor in (staff_a, head_b, citizen, None):
        with pytest.raises(PermissionDenied):
            services.alert_acknowledge(actor=actor, alert=alert)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.FIRING


def test_full_flow_from_alert_to_closed_incident(alert, operator, agency_a, staff_a, flooding_type, ioc):
    incident = services.incident_create(
        actor=operator, organization=ioc, incident_type=flooding_type, alerts=[alert], description="Ngập <b>sâu</b>"
    )
    alert.refresh_from_db()
    assert alert.incident == incident and alert.status == AlertStatus.ACKNOWLEDGED
    assert incident.title == alert.title and incident.severity == "warning"
    assert (incident.latitude, incident.longitude) == (alert.latitude, alert.longitude)
    assert [s.title for s in incident.steps.order_by("position")] == [
        "Xác minh hiện trường",
        "Thông báo đơn vị",
        "Cập nhật cổng thông tin",
    ]
    with pytest.raises(ValidationError):  # the same alert cannot make a second incident
        services.incident_create(actor=operator, organization=ioc, incident_type=flooding_type, alerts=[alert])

    services.incident_assign(actor=operator, incident=incident, agency=agency_a)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.ASSIGNED and incident.assigned_agency == agency_a
    assert Notification.objects.filter(recipient=staff_a, url=incident.get_absolute_url()).exists()

    step1, step2, step3 = incident.steps.order_by("position")
    services.incident_step_set(actor=staff_a, incident=incident, step_id=step1.pk, done=True, note="Sâu 30 cm")
    step1.refresh_from_db()
    assert step1.done_by == staff_a and step1.done_at and step1.note == "Sâu 30 cm"
    services.incident_note(actor=staff_a, incident=incident, text="Đã bơm xong")

    with pytest.raises(ValidationError) as caught:
        services.incident_close(actor=operator, incident=incident, summary="Xong")
    assert "open_steps_reason" in caught.value.message_dict and "Thông báo đơn vị" in str(caught.value)
    services.incident_step_set(actor=staff_a, incident=incident, step_id=step2.pk, done=True)
    incident = services.incident_close(actor=operator, incident=incident, summary="Đã xử lý xong điểm ngập")
    assert incident.status == IncidentStatus.CLOSED and incident.closed_by == operator
    assert incident.open_steps_reason == ""  # only the optional step remained
    with pytest.raises(ValidationError):
        services.incident_step_set(actor=staff_a, incident=incident, step_id=step3.pk, done=True)

    expected = [AuditVerbs.ALERT_ACKNOWLEDGED, AuditVerbs.INCIDENT_CREATED, AuditVerbs.INCIDENT_ASSIGNED,
                AuditVerbs.INCIDENT_STEP, AuditVerbs.INCIDENT_NOTE, AuditVerbs.INCIDENT_STEP,
                AuditVerbs.INCIDENT_CLOSED]  # fmt: skip
    assert [v for v in verbs() if v in expected] == expected
    kinds = list(incident.events.values_list("kind", flat=True))
    assert kinds == ["created", "alert", "assigned", "step", "note", "step", "closed"]
    assert LiveEvent.objects.filter(kind="operations.incident").count() == 5  # created, assigned, 2 steps, closed
    last = LiveEvent.objects.filter(kind="operations.incident").last()
    assert last.data["status"] == "closed" and last.data["lat"] == alert.latitude


def test_close_with_open_required_steps_needs_a_reason(operator, ioc, flooding_type):
    incident = services.incident_create(actor=operator, organization=ioc, incident_type=flooding_type, title="Ngập")
    incident = services.incident_close(
        actor=operator, incident=incident, summary="Báo nhầm", open_steps_reason="Tin báo sai, không có ngập"
    )
    assert incident.is_closed and incident.open_steps_reason == "Tin báo sai, không có ngập"
    event = AuditEvent.objects.get(verb=AuditVerbs.INCIDENT_CLOSED)
    assert len(event.data["open_required_steps"]) == 2


def test_incident_several_alerts_takes_the_worst_severity(operator, ioc, flooding_type, agency_a, head_a, sensor_a):
    from tests.operations.conftest import make_entity, threshold_data

    critical = threshold_data(name="Rất cao", bound=80, clear_bound=70, severity="critical")
    services.rule_create(actor=head_a, organization=agency_a, data=critical)
    services.rule_create(actor=head_a, organization=agency_a, data=threshold_data())
    other = make_entity(agency_a, "tram-a2")
    readings(sensor_a, "PM25", [90])
    readings(other, "PM25", [60])
    evaluate_observations(entity_ids=[sensor_a.pk, other.pk], start=T0, end=T0.replace(hour=9))
    alerts = list(Alert.objects.all())
    assert len(alerts) == 3
    incident = services.incident_create(actor=operator, organization=ioc, incident_type=flooding_type, alerts=alerts)
    assert incident.severity == "critical" and incident.alerts.count() == 3


def test_bad_incident_input(operator, ioc, flooding_type, head_b, alert):
    with pytest.raises(ValidationError) as caught:
        services.incident_create(actor=operator, organization=ioc, incident_type=flooding_type)
    assert "title" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.incident_create(actor=operator, organization=ioc, incident_type=flooding_type, title="x",
                                 latitude="91", longitude="10")  # fmt: skip
    assert "latitude" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.incident_create(actor=operator, organization=ioc, incident_type=flooding_type, title="x",
                                 severity="doom")  # fmt: skip
    assert "severity" in caught.value.message_dict
    with pytest.raises(PermissionDenied):  # agency B may not open incidents in the IOC's name
        services.incident_create(actor=head_b, organization=ioc, incident_type=flooding_type, title="x")
    with pytest.raises(ValidationError):  # nor use agency A's alert
        services.incident_create(actor=head_b, organization=head_b.memberships.get().organization,
                                 incident_type=flooding_type, alerts=[alert])  # fmt: skip
    assert not Incident.objects.exists()


def test_checklist_and_notes_refused_to_other_agencies(operator, ioc, flooding_type, agency_a, head_b, citizen):
    incident = services.incident_create(actor=operator, organization=ioc, incident_type=flooding_type, title="Ngập",
                                        assigned_agency=agency_a)  # fmt: skip
    step = incident.steps.first()
    for actor in (head_b, citizen, None):
        with pytest.raises(PermissionDenied):
            services.incident_step_set(actor=actor, incident=incident, step_id=step.pk, done=True)
        with pytest.raises(PermissionDenied):
            services.incident_note(actor=actor, incident=incident, text="x")
        with pytest.raises(PermissionDenied):
            services.incident_close(actor=actor, incident=incident, summary="x", open_steps_reason="x")
    step.refresh_from_db()
    assert step.done_at is None


def test_step_of_another_incident_is_refused(operator, ioc, flooding_type):
    one = services.incident_create(actor=operator, organization=ioc, incident_type=flooding_type, title="Một")
    two = services.incident_create(actor=operator, organization=ioc, incident_type=flooding_type, title="Hai")
    with pytest.raises(ValidationError):
        services.incident_step_set(actor=operator, incident=one, step_id=two.steps.first().pk, done=True)


def test_escalate_to_directive_task_links_both_ways(leader, province, agency_a, flooding_type):
    incident = services.incident_create(actor=leader, organization=province, incident_type=flooding_type,
                                        title="Ngập kéo dài", assigned_agency=agency_a)  # fmt: skip
    task = services.incident_escalate(actor=leader, incident=incident)
    incident.refresh_from_db()
    assert incident.task_id == task.pk and task.organization == agency_a
    assert (task.directive.source_type, task.directive.source_id) == ("operations.incident", str(incident.pk))
    assert services.incident_escalate(actor=leader, incident=incident).pk == task.pk  # idempotent
    assert Task.objects.count() == 1
    assert AuditEvent.objects.filter(verb=AuditVerbs.INCIDENT_ESCALATED).count() == 1
    from cityops.directives.selectors import source_url

    assert source_url(task.directive, actor=leader) == incident.get_absolute_url()


def test_escalate_needs_an_agency_and_a_directing_role(operator, ioc, flooding_type, agency_a):
    incident = services.incident_create(actor=operator, organization=ioc, incident_type=flooding_type, title="x")
    with pytest.raises(ValidationError) as caught:
        services.incident_escalate(actor=operator, incident=incident)
    assert "lead_agency" in caught.value.message_dict
    with pytest.raises(ValidationError):  # an IOC operator does not direct agencies
        services.incident_escalate(actor=operator, incident=incident, lead_agency=agency_a)
    assert not Task.objects.exists()
