"""Deadline extensions, reminders before the deadline and escalation after it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cityops.core.choices import Role
from cityops.core.models import AuditEvent, Notification
from cityops.feedback import services
from cityops.feedback.models import Request

pytestmark = pytest.mark.django_db


@pytest.fixture
def handled(submit, desk_user, staff_b, agency_b):
    req = services.request_verify(actor=desk_user, request=submit())
    req = services.request_assign(actor=desk_user, request=req, agency=agency_b)
    return services.request_accept(actor=staff_b, request=req)


def test_extension_asked_by_agency_and_granted_by_desk(handled, desk_user, staff_b):
    later = handled.deadline + timedelta(days=3)
    with pytest.raises(ValidationError):
        services.request_extension_ask(actor=staff_b, request=handled, until=handled.deadline, reason="x")
    with pytest.raises(ValidationError):
        services.request_extension_ask(actor=staff_b, request=handled, until=later, reason=" ")
    with pytest.raises(PermissionDenied):
        services.request_extension_ask(actor=desk_user, request=handled, until=later, reason="Chờ vật tư")
    req = services.request_extension_ask(actor=staff_b, request=handled, until=later, reason="Chờ vật tư")
    with pytest.raises(PermissionDenied):
        services.request_extension_decide(actor=staff_b, request=req, approve=True)
    req = services.request_extension_decide(actor=desk_user, request=req, approve=True)
    assert req.deadline == later and req.extension_until is None
    with pytest.raises(ValidationError):
        services.request_extension_decide(actor=desk_user, request=req, approve=True)
    assert AuditEvent.objects.filter(verb="feedback.request.extension_decided").count() == 1


def test_extension_refused_keeps_the_deadline(handled, desk_user, staff_b):
    before = handled.deadline
    req = services.request_extension_ask(actor=staff_b, request=handled, until=before + timedelta(days=1), reason="Mưa")
    req = services.request_extension_decide(actor=desk_user, request=req, approve=False)
    assert req.deadline == before and req.extension_until is None


def test_extension_through_the_page(client, handled, staff_b, desk_user):
    client.force_login(staff_b)
    act = reverse("feedback:staff_act", args=[handled.pk])
    until = timezone.localtime(handled.deadline + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(act, {"action": "extend", "until": "garbage", "text": "x"}).status_code == 400
    assert client.post(act, {"action": "extend", "until": until, "text": "Chờ vật tư"}).status_code == 302
    client.force_login(desk_user)
    assert 'data-testid="extension"' in client.get(reverse("feedback:staff_detail", args=[handled.pk])).content.decode()
    client.post(act, {"action": "approve_extension"})
    assert Request.objects.get(pk=handled.pk).extension_until is None


def test_sweep_reminds_then_escalates_once(
    handled, agency_b, staff_b, desk_user, make_member, django_capture_on_commit_callbacks
):
    head = make_member(agency_b, Role.AGENCY_HEAD, username="head-b")
    seen: list[int] = []
    services.OVERDUE_HOOKS.append(seen.append)
    try:
        Request.objects.filter(pk=handled.pk).update(deadline=timezone.now() + timedelta(hours=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert services.deadlines_sweep() == {"reminded": 1, "escalated": 0}
            assert services.deadlines_sweep() == {"reminded": 0, "escalated": 0}
        assert Notification.objects.filter(recipient=staff_b, kind="feedback.deadline").count() == 1
        Request.objects.filter(pk=handled.pk).update(deadline=timezone.now() - timedelta(minutes=1))
        with django_capture_on_commit_callbacks(execute=True):
            assert services.deadlines_sweep() == {"reminded": 0, "escalated": 1}
            assert services.deadlines_sweep() == {"reminded": 0, "escalated": 0}
        assert Notification.objects.filter(recipient=head, kind="feedback.deadline").count() == 2  # reminded, escalated
        assert Notification.objects.filter(recipient=desk_user, kind="feedback.deadline").count() == 1
        assert seen == [handled.pk]
    finally:
        services.OVERDUE_HOOKS.remove(seen.append)


def test_closed_requests_are_never_swept(submit, desk_user):
    req = services.request_reject(actor=desk_user, request=submit(), reason="Không hợp lệ")
    Request.objects.filter(pk=req.pk).update(deadline=timezone.now() - timedelta(days=1))
    assert services.deadlines_sweep() == {"reminded": 0, "escalated": 0}


def test_command(capsys, db):
    call_command("feedback_deadlines")
    assert "reminded=0 escalated=0" in capsys.readouterr().out
