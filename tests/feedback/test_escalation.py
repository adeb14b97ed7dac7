"""Turning a citizen request into a directives task: permissions, idempotency, links both ways, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cityops.core.choices import Role
from cityops.core.models import AuditEvent
from cityops.directives.models import Directive, Task
from cityops.feedback import services
from cityops.feedback.choices import AuditVerbs
from cityops.feedback.models import Request, RequestUpdate

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk_leader(province, make_member):
    """An IOC desk operator who also directs at the province (the directives' rules need a directing role)."""
    user = make_member(province, Role.IOC_OPERATOR, username="desk-leader")
    from tests.factories import MembershipFactory

    MembershipFactory(user=user, organization=province, role=Role.LEADER)
    return user


@pytest.fixture
def overdue(submit, desk_user, agency_b):
    """A request handled by agency B whose deadline has passed."""
    req = services.request_verify(actor=desk_user, request=submit())
    req = services.request_assign(actor=desk_user, request=req, agency=agency_b)
    Request.objects.filter(pk=req.pk).update(deadline=timezone.now() - dt.timedelta(days=1))
    return Request.objects.get(pk=req.pk)


def act(req):
    return reverse("feedback:staff_act", args=[req.pk])


def escalation_events(req):
    return AuditEvent.objects.filter(verb=AuditVerbs.ESCALATED_TO_TASK, target_id=str(req.pk))


def test_desk_escalates_an_overdue_request_linked_both_ways(client, desk_leader, overdue, agency_b):
    client.force_login(desk_leader)
    page = client.get(reverse("feedback:staff_detail", args=[overdue.pk])).content.decode()
    assert 'data-testid="escalate-form"' in page
    assert f'<option value="{agency_b.pk}" selected>' in page  # lead agency preselected: the current agency
    response = client.post(act(overdue), {"action": "escalate", "lead_agency": agency_b.pk, "text": "Gấp"})
    assert response.status_code == 302
    task = Task.objects.get()
    assert task.organization == agency_b and task.deadline is not None
    assert (task.directive.source_type, task.directive.source_id) == ("feedback.request", str(overdue.pk))
    assert task.directive.source_kind == "citizen_report"
    # feedback → task, with the computed deadline state
    page = client.get(reverse("feedback:staff_detail", args=[overdue.pk])).content.decode()
    assert 'data-testid="linked-tasks"' in page and reverse("directives:task", args=[task.pk]) in page
    assert 'data-testid="state-not_due"' in page or 'data-testid="state-due_soon"' in page
    note = RequestUpdate.objects.filter(request=overdue, is_public=False).latest("id")
    assert reverse("directives:task", args=[task.pk]) in note.text and "Gấp" in note.text
    # task → feedback
    task_page = client.get(reverse("directives:task", args=[task.pk])).content.decode()
    assert reverse("feedback:staff_detail", args=[overdue.pk]) in task_page
    # audited
    event = escalation_events(overdue).get()
    assert event.actor == desk_leader and event.data["new"]["task"] == task.pk


def test_escalating_twice_gives_one_task(desk_leader, overdue):
    first = services.request_escalate_to_task(actor=desk_leader, request=overdue)
    second = services.request_escalate_to_task(actor=desk_leader, request=overdue, note="again")
    assert first.pk == second.pk and Task.objects.count() == 1 and Directive.objects.count() == 1
    assert escalation_events(overdue).count() == 1


def test_default_deadline_counts_working_days(desk_leader, overdue):
    task = services.request_escalate_to_task(actor=desk_leader, request=overdue)
    assert timezone.localtime(task.deadline).date() == services.escalation_default_deadline()


def test_agency_specialist_cannot_escalate(client, staff_b, overdue):
    client.force_login(staff_b)
    page = client.get(reverse("feedback:staff_detail", args=[overdue.pk])).content.decode()
    assert 'data-testid="escalate-form"' not in page
    response = client.post(act(overdue), {"action": "escalate"})
    assert response.status_code in {403, 404}
    assert not Task.objects.exists() and not escalation_events(overdue).exists()


def test_desk_operator_without_a_directing_role_cannot_escalate(desk_user, overdue):
    with pytest.raises(PermissionDenied):
        services.request_escalate_to_task(actor=desk_user, request=overdue)
    assert not Task.objects.exists()


def test_another_agencys_request_is_invisible(client, staff_a, overdue):
    client.force_login(staff_a)
    assert client.get(reverse("feedback:staff_detail", args=[overdue.pk])).status_code == 404
    assert client.post(act(overdue), {"action": "escalate"}).status_code == 404
    assert not Task.objects.exists()


def test_closed_request_is_refused(client, desk_user, desk_leader, submit):
    req = services.request_reject(actor=desk_user, request=submit(), reason="Không thuộc phạm vi")
    client.force_login(desk_leader)
    page = client.get(reverse("feedback:staff_detail", args=[req.pk])).content.decode()
    assert 'data-testid="escalate-form"' not in page
    response = client.post(act(req), {"action": "escalate"})
    assert response.status_code == 400 and 'data-testid="action-error"' in response.content.decode()
    assert not Task.objects.exists() and not escalation_events(req).exists()


def test_bad_deadline_saves_nothing(client, desk_leader, overdue):
    client.force_login(desk_leader)
    updates = RequestUpdate.objects.count()
    for value in ["2000-01-01", "not-a-date"]:
        response = client.post(act(overdue), {"action": "escalate", "deadline": value})
        assert response.status_code == 400 and 'data-testid="action-error"' in response.content.decode()
    with pytest.raises(ValidationError):
        services.request_escalate_to_task(actor=desk_leader, request=overdue, deadline=dt.date(2000, 1, 1))
    assert not Directive.objects.exists() and not Task.objects.exists()
    assert RequestUpdate.objects.count() == updates and not escalation_events(overdue).exists()


def test_note_is_escaped(client, desk_leader, overdue):
    client.force_login(desk_leader)
    client.post(act(overdue), {"action": "escalate", "text": "<script>alert(1)</script>"})
    task = Task.objects.get()
    page = client.get(reverse("feedback:staff_detail", args=[overdue.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    task_page = client.get(reverse("directives:task", args=[task.pk])).content.decode()
    assert "<script>alert(1)</script>" not in task_page


def test_task_page_hides_the_source_link_from_who_cannot_see_the_request(client, desk_leader, overdue, staff_a):
    task = services.request_escalate_to_task(actor=desk_leader, request=overdue)
    task.watchers.add(staff_a)  # sees the task, not agency B's request
    client.force_login(staff_a)
    response = client.get(reverse("directives:task", args=[task.pk]))
    assert response.status_code == 200
    assert reverse("feedback:staff_detail", args=[overdue.pk]) not in response.content.decode()
