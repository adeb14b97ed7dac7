"""Reminders before the deadline and escalation after it: each sent once per deadline, however often run."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from cityops.core.models import AuditEvent, Notification
from cityops.directives import services, tasks
from cityops.directives.models import Task, TaskReminder
from tests.directives.conftest import in_days

pytestmark = pytest.mark.django_db


def test_due_soon_reminder_sent_once(issue, agency_a, head_a, leader):
    (soon,) = issue(agency_a, deadline=in_days(1))
    issue(agency_a, deadline=in_days(60))
    assert tasks.send_due_reminders() == (1, 0)
    assert tasks.send_due_reminders() == (0, 0)
    assert tasks.remind_task.call(task_id=soon.pk) is False  # already sent
    assert TaskReminder.objects.filter(task=soon, kind="due_soon").count() == 1
    assert Notification.objects.filter(recipient=head_a, kind="directives.deadline").count() == 1


def test_overdue_escalation_sent_once_then_again_after_an_extension(issue, agency_a, head_a, staff_a, leader):
    (task,) = issue(agency_a, deadline=in_days(5))
    past = timezone.now() - dt.timedelta(days=3)
    Task.objects.filter(pk=task.pk).update(deadline=past)
    call_command("directives_reminders")
    call_command("directives_reminders")
    assert Notification.objects.filter(recipient=leader, kind="directives.deadline").count() == 1
    assert AuditEvent.objects.filter(verb="directives.task.escalated").count() == 1
    # A new deadline (extension approved) that also passes is escalated again, once.
    Task.objects.filter(pk=task.pk).update(deadline=past + dt.timedelta(days=1))
    assert tasks.send_due_reminders() == (0, 1)
    assert tasks.send_due_reminders() == (0, 0)
    assert Notification.objects.filter(recipient=leader, kind="directives.deadline").count() == 2


def test_done_and_cancelled_tasks_are_left_alone(issue, agency_a, staff_a, leader):
    (task,) = issue(agency_a, deadline=in_days(5))
    services.task_cancel(actor=leader, task=task, reason="Thôi")
    Task.objects.filter(pk=task.pk).update(deadline=timezone.now() - dt.timedelta(days=2))
    assert tasks.send_due_reminders() == (0, 0)
    assert tasks.escalate_overdue_task.call(task_id=task.pk) is False
    assert tasks.remind_task.call(task_id=999999) is False


def test_weekly_digest_once_per_week_for_heads_and_leaders(issue, agency_a, agency_b, head_a, head_b, staff_a, leader):
    (task,) = issue(agency_a, deadline=in_days(30))
    Task.objects.filter(pk=task.pk).update(deadline=timezone.now() - dt.timedelta(days=2))
    assert tasks.send_weekly_digests() == 3  # the leader and both heads are asked
    assert tasks.send_weekly_digests() == 3
    digests = Notification.objects.filter(kind="directives.digest")
    # Only those with open tasks get one (head_b has none), each once this week.
    assert sorted(digests.values_list("recipient_id", flat=True)) == sorted([leader.pk, head_a.pk])
    assert digests.get(recipient=head_a).body.startswith("- Khắc phục")
    assert not digests.filter(recipient=staff_a).exists()
    # Next week it is sent again.
    assert tasks.send_weekly_digest.call(user_id=head_a.pk, week="2099-W01") is True
    assert tasks.send_weekly_digest.call(user_id=head_a.pk, week="2099-W01") is False


def test_digest_command_option(issue, agency_a, head_a):
    issue(agency_a, deadline=in_days(30))
    call_command("directives_reminders", "--digest")
    assert Notification.objects.filter(kind="directives.digest", recipient=head_a).count() == 1
