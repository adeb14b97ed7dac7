"""Alert notifications by role, area and severity; in-app, email and the SMS gateway (a fake one here)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from cityops.core.choices import Role
from cityops.core.models import Notification
from cityops.operations import services
from cityops.operations.evaluation import evaluate_observations
from cityops.operations.gateways import RecordingGateway, get_gateway
from cityops.operations.models import OutboundMessage
from tests.operations.conftest import T0, readings, threshold_data

pytestmark = pytest.mark.django_db

SENT: list[tuple[str, str]] = []


class FakeSmsGateway:
    delivers = True

    def send(self, recipient: str, text: str) -> str:
        if recipient == "+84999999999":
            raise ConnectionError("provider down")
        SENT.append((recipient, text))
        return "ref-1"


@pytest.fixture(autouse=True)
def _fake_gateway(settings):
    settings.OPERATIONS_SMS_GATEWAY = "tests.operations.test_notifications.FakeSmsGateway"
    SENT.clear()


def fire(sensor, bound_rule):
    readings(sensor, "PM25", [99])
    evaluate_observations(entity_ids=[sensor.pk], start=T0, end=T0.replace(hour=9))


def test_role_area_and_severity_decide_who_is_told(
    agency_a, agency_b, province, head_a, staff_a, head_b, leader, operator, sensor_a, rule_a, make_member,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    services.subscription_create(actor=head_a, organization=agency_a, role=Role.SPECIALIST, min_severity="warning",
                                 by_sms=True)  # fmt: skip
    services.subscription_create(actor=leader, organization=province, min_severity="critical")  # severity too high
    services.subscription_create(actor=head_b, organization=agency_b, min_severity="info")  # another area
    services.subscription_create(actor=operator, organization=province, min_severity="info", by_sms=True)
    staff_a.phone = "+84911111111"
    staff_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        fire(sensor_a, rule_a)
    told = set(Notification.objects.filter(kind="alert").values_list("recipient__username", flat=True))
    assert told == {staff_a.username, operator.username}
    assert sorted(a for a, _t in SENT) == ["+84900000001", "+84911111111"]
    assert all("PM2.5 cao" in text for _a, text in SENT)
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert OutboundMessage.objects.first().gateway.endswith("FakeSmsGateway")


def test_people_who_may_not_see_the_alert_are_not_told(agency_a, agency_b, head_b, make_member, sensor_a, rule_a,
                                                       head_a):  # fmt: skip
    # A role subscription on agency A covering a person who also belongs to agency B only through the subscription
    # owner's mistake cannot exist: role subscriptions reach only members of that organisation, and each is checked.
    services.subscription_create(actor=head_a, organization=agency_a, role=Role.CLERK, min_severity="info")
    clerk_b = make_member(agency_b, Role.CLERK, username="clerk-b")
    fire(sensor_a, rule_a)
    assert not Notification.objects.filter(recipient=clerk_b).exists()
    with pytest.raises(PermissionDenied):
        services.subscription_create(actor=head_b, organization=agency_a, min_severity="info")
    with pytest.raises(PermissionDenied):
        services.subscription_create(actor=head_b, organization=agency_a, role=Role.SPECIALIST)


def test_failed_sms_is_recorded_not_lost(agency_a, head_a, sensor_a, rule_a, django_capture_on_commit_callbacks):
    head_a.phone = "+84999999999"
    head_a.save()
    services.subscription_create(actor=head_a, organization=agency_a, min_severity="info", by_sms=True)
    with django_capture_on_commit_callbacks(execute=True):
        fire(sensor_a, rule_a)
    message = OutboundMessage.objects.get()
    assert message.status == "failed" and "provider down" in message.error
    assert services.outbound_send(message_ids=[message.pk]) == 0  # not re-sent by a replay


def test_default_gateway_records_only(settings, agency_a, head_a, sensor_a, rule_a, django_capture_on_commit_callbacks):
    settings.OPERATIONS_SMS_GATEWAY = "cityops.operations.gateways.RecordingGateway"
    assert isinstance(get_gateway(), RecordingGateway)
    services.subscription_create(actor=head_a, organization=agency_a, min_severity="info", by_sms=True)
    with django_capture_on_commit_callbacks(execute=True):
        fire(sensor_a, rule_a)
    message = OutboundMessage.objects.get()
    assert (message.status, message.address) == ("logged", head_a.phone)


def test_not_a_gateway_is_refused(settings):
    settings.OPERATIONS_SMS_GATEWAY = "cityops.operations.models.Alert"
    with pytest.raises(TypeError):
        get_gateway()


def test_subscription_input(agency_a, head_a, citizen):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.subscription_create(actor=head_a, organization=agency_a, min_severity="everything")
    with pytest.raises(ValidationError):
        services.subscription_create(actor=head_a, organization=agency_a, role=Role.CITIZEN)
    with pytest.raises(PermissionDenied):
        services.subscription_create(actor=citizen, organization=agency_a)
    assert threshold_data()["name"]
