"""Background jobs: reminders before a task's deadline and escalation after it.

Each job takes a task id and is idempotent: a ``TaskReminder`` row (unique per task, kind and deadline) is
claimed before anyone is told, so running the job twice, or from two workers, tells people once. An approved
extension moves the deadline, so the new deadline gets its own reminder and escalation.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from cityops.core import audit, workdays
from cityops.core.choices import Role
from cityops.core.models import Membership, User
from cityops.core.services.notifications import notify, register_kind
from cityops.directives.choices import OPEN_STATUSES, AuditVerbs, DeadlineState, TaskStatus
from cityops.directives.models import DigestSent, Task, TaskReminder
from cityops.directives.selectors import deadline_counts
from cityops.directives.services import DEADLINE_KIND, _agency_contacts, _notify

__all__ = [
    "due_reminders",
    "escalate_overdue_task",
    "remind_task",
    "send_due_reminders",
    "send_weekly_digest",
    "send_weekly_digests",
]


def _claim(task_obj: Task, kind: str) -> bool:
    if task_obj.deadline is None:
        return False
    try:
        with transaction.atomic():
            TaskReminder.objects.create(task=task_obj, kind=kind, deadline=task_obj.deadline)
    except IntegrityError:
        return False
    return True


@task()
def remind_task(task_id: int) -> bool:
    """Remind the lead agency that a task is due soon; True when a reminder was sent now."""
    with transaction.atomic():
        obj = Task.objects.with_deadline_state().select_related("organization").filter(pk=task_id).first()
        if obj is None or obj.deadline_state != DeadlineState.DUE_SOON:  # type: ignore[attr-defined]
            return False
        if not _claim(obj, TaskReminder.Kind.DUE_SOON):
            return False
        audit.record(verb=AuditVerbs.TASK_REMINDED, target=obj, data={"deadline": obj.deadline})
        _notify(
            obj, [*_agency_contacts(obj.organization), *obj.watchers.all()],
            _("Due soon: %(title)s") % {"title": obj.title}, kind=DEADLINE_KIND,
        )  # fmt: skip
    return True


@task()
def escalate_overdue_task(task_id: int) -> bool:
    """Tell the assigner and the lead agency that a task is overdue; True when the escalation was sent now."""
    with transaction.atomic():
        obj = Task.objects.with_deadline_state().select_related("organization", "assigner").filter(pk=task_id).first()
        if obj is None or obj.deadline_state != DeadlineState.OVERDUE:  # type: ignore[attr-defined]
            return False
        if not _claim(obj, TaskReminder.Kind.OVERDUE):
            return False
        audit.record(verb=AuditVerbs.TASK_ESCALATED, target=obj, data={"deadline": obj.deadline})
        _notify(
            obj, [obj.assigner, *_agency_contacts(obj.organization), *obj.watchers.all()],
            _("Overdue: %(title)s") % {"title": obj.title}, kind=DEADLINE_KIND,
        )  # fmt: skip
    return True


def due_reminders(now: dt.datetime | None = None) -> tuple[list[int], list[int]]:
    """Ids of open tasks needing a reminder and an escalation that have not had one for this deadline."""
    now = now or timezone.now()
    open_tasks = Task.objects.with_deadline_state(now=now).filter(status__in=OPEN_STATUSES - {TaskStatus.REPORTED_DONE})

    def sent(kind: str) -> Exists:
        return Exists(TaskReminder.objects.filter(task=OuterRef("pk"), kind=kind, deadline=OuterRef("deadline")))

    soon = open_tasks.filter(deadline_state=DeadlineState.DUE_SOON).exclude(sent(TaskReminder.Kind.DUE_SOON))
    late = open_tasks.filter(deadline_state=DeadlineState.OVERDUE).exclude(sent(TaskReminder.Kind.OVERDUE))
    return list(soon.values_list("pk", flat=True)), list(late.values_list("pk", flat=True))


def send_due_reminders(now: dt.datetime | None = None) -> tuple[int, int]:
    """Queue the reminders and escalations that are due; what the management command and schedulers call."""
    soon, late = due_reminders(now)
    for pk in soon:
        remind_task.enqueue(task_id=pk)
    for pk in late:
        escalate_overdue_task.enqueue(task_id=pk)
    return len(soon), len(late)


DIGEST_KIND = "directives.digest"
register_kind(DIGEST_KIND, gettext_lazy("Weekly digest of tasks"))
DIGEST_MAX_LINES = 20


def iso_week(now: dt.datetime | None = None) -> str:
    """The local ISO week, e.g. "2026-W09": the idempotency key of the weekly digest."""
    year, week, _day = (now or timezone.now()).astimezone(workdays.local_tz()).isocalendar()
    return f"{year}-W{week:02d}"


@task()
def send_weekly_digest(user_id: int, week: str) -> bool:
    """Tell an agency head or leader where the open tasks they lead or directed stand; once per week."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    led = Task.objects.for_user(user, "work").values("pk")
    directed = Task.objects.for_user(user, "direct").values("pk")
    tasks = (
        Task.objects.filter(Q(pk__in=led) | Q(pk__in=directed), status__in=OPEN_STATUSES)
        .with_deadline_state()
        .select_related("organization")
    )
    counts = deadline_counts(tasks)
    total = sum(counts.values())
    if total == 0:
        return False
    try:
        with transaction.atomic():
            DigestSent.objects.create(user=user, week=week)
            overdue = tasks.filter(deadline_state=DeadlineState.OVERDUE).order_by("deadline")[:DIGEST_MAX_LINES]
            with translation.override(user.language or settings.LANGUAGE_CODE):
                title = _("Tasks this week: %(open)d open, %(overdue)d overdue, %(soon)d due soon") % {
                    "open": total, "overdue": counts[DeadlineState.OVERDUE], "soon": counts[DeadlineState.DUE_SOON],
                }  # fmt: skip
                body = "\n".join(f"- {t.title} ({t.organization.name})" for t in overdue)
            notify(recipients=[user], kind=DIGEST_KIND, title=title, body=body, url="/directives/tasks/")
    except IntegrityError:
        return False
    return True


def send_weekly_digests(now: dt.datetime | None = None) -> int:
    """Queue this week's digest for every active agency head and leader (each is sent once per week)."""
    week = iso_week(now)
    user_ids = (
        Membership.objects.filter(role__in=[Role.AGENCY_HEAD, Role.LEADER], user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
    ids = sorted(set(user_ids))
    for pk in ids:
        send_weekly_digest.enqueue(user_id=pk, week=week)
    return len(ids)
