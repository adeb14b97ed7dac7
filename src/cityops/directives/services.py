"""Every write of the directives app: issuing, working and closing tasks.

Each function validates, writes inside one transaction, records the audit event, refreshes the search index and
tells the people concerned (``notify``: in-app rows now, email after commit). Status changes follow
``TRANSITIONS``; anything else is refused with a clear error and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityops.core import audit, search, workdays
from cityops.core.choices import Domain, Role
from cityops.core.models import Membership, Organization, User
from cityops.core.services.attachments import attachment_create
from cityops.core.services.notifications import notify, register_kind
from cityops.core.text import nfc
from cityops.directives.choices import (
    OPEN_STATUSES,
    AuditVerbs,
    ExtensionDecision,
    Priority,
    SourceKind,
    TaskStatus,
)
from cityops.directives.deadlines import deadline_from_date
from cityops.directives.models import Directive, ExtensionRequest, ProgressReport, Task
from cityops.directives.permissions import (
    DIRECTING_ROLES,
    WORKING_ROLES,
    can_direct,
    can_direct_task,
    can_work_task,
)

__all__ = [
    "MAX_TASKS_PER_DIRECTIVE",
    "TRANSITIONS",
    "TaskSpec",
    "directive_issue",
    "task_accept",
    "task_cancel",
    "task_confirm",
    "task_create_from",
    "task_decide_extension",
    "task_report_completion",
    "task_report_progress",
    "task_request_extension",
    "task_send_back",
]

NOTIFY_KIND = "task"
DEADLINE_KIND = "directives.deadline"
register_kind(DEADLINE_KIND, gettext_lazy("Task deadline reminders and escalations"))

MAX_TASKS_PER_DIRECTIVE = 50
MAX_FILES_PER_REPORT = 10
MAX_TEXT = 20_000
MAX_DEADLINE_YEARS = 10
_SOURCE_TYPE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")

# Which status each action leads from and to.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({TaskStatus.ASSIGNED}), TaskStatus.ACCEPTED),
    "progress": (
        frozenset({TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS, TaskStatus.SENT_BACK}),
        TaskStatus.IN_PROGRESS,
    ),
    "report_done": (
        frozenset({TaskStatus.ACCEPTED, TaskStatus.IN_PROGRESS, TaskStatus.SENT_BACK}),
        TaskStatus.REPORTED_DONE,
    ),
    "confirm": (frozenset({TaskStatus.REPORTED_DONE}), TaskStatus.DONE),
    "send_back": (frozenset({TaskStatus.REPORTED_DONE}), TaskStatus.SENT_BACK),
    "cancel": (frozenset(OPEN_STATUSES), TaskStatus.CANCELLED),
}


@dataclass
class TaskSpec:
    """One task of a directive being issued."""

    title: str
    lead_agency: Organization
    deadline: dt.date | None = None
    supporting_agencies: Sequence[Organization] = field(default_factory=tuple)
    watchers: Sequence[User] = field(default_factory=tuple)
    priority: str = Priority.NORMAL
    expected_result: str = ""


# --- helpers ------------------------------------------------------------------------------------------------


def _clean_text(value: Any, name: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    text = nfc(str(value or "")).strip()
    if required and not text:
        raise ValidationError({name: _("This field is required.")})
    if len(text) > limit:
        raise ValidationError({name: _("This text is too long (at most %(limit)d characters).") % {"limit": limit}})
    return text


def _local_today(now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(workdays.local_tz()).date()


def _clean_deadline(value: Any, *, assigned_at: dt.datetime, name: str = "deadline") -> dt.datetime | None:
    """A deadline date (or None): not before the assignment day, at most ten years ahead."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        value = value.astimezone(workdays.local_tz()).date()
    if not isinstance(value, dt.date):
        raise ValidationError({name: _("Enter a valid date.")})
    assigned_day = _local_today(assigned_at)
    if value < assigned_day:
        raise ValidationError({name: _("The deadline cannot be before the assignment date.")})
    if value.year > assigned_day.year + MAX_DEADLINE_YEARS:
        raise ValidationError({name: _("The deadline is too far in the future.")})
    return deadline_from_date(value)


def _lock(task: Task) -> Task:
    """Re-read the task under a row lock so two people acting at once cannot both change it."""
    return Task.objects.select_for_update().select_related("directive", "organization").get(pk=task.pk)


def _check_transition(task: Task, action: str) -> str:
    allowed, target = TRANSITIONS[action]
    if task.status not in allowed:
        raise ValidationError(
            {"status": _("This cannot be done to a task that is “%(status)s”.") % {"status": task.get_status_display()}}
        )
    return target


def _agency_contacts(organization: Organization) -> list[User]:
    """The heads of an agency, or its staff when it has no head on record."""
    base = Membership.objects.filter(organization=organization, user__is_active=True)
    heads = User.objects.filter(pk__in=base.filter(role=Role.AGENCY_HEAD).values("user_id"))
    if heads.exists():
        return list(heads)
    return list(User.objects.filter(pk__in=base.filter(role__in=WORKING_ROLES).values("user_id")))


def _task_url(task: Task) -> str:
    return f"/directives/tasks/{task.pk}/"


def _notify(task: Task, recipients: Iterable[User], title: str, body: str = "", kind: str = NOTIFY_KIND) -> None:
    notify(
        recipients=recipients, kind=kind, title=title, body=body, url=_task_url(task), organization=task.organization
    )


def _directors(task: Task) -> list[User]:
    return [task.assigner, *task.watchers.all()]


def _workers(task: Task) -> list[User]:
    return [*_agency_contacts(task.organization), *task.watchers.all()]


def _audit(task: Task, verb: str, actor: Any, old: dict[str, Any], new: dict[str, Any], **extra: Any) -> None:
    audit.record(verb=verb, actor=actor, target=task, data={"old": old, "new": new, **extra})


def _attach(actor: Any, task: Task, report: ProgressReport, files: Sequence[Any]) -> None:
    if len(files) > MAX_FILES_PER_REPORT:
        raise ValidationError({"files": _("Attach at most %(n)d files.") % {"n": MAX_FILES_PER_REPORT}})
    for uploaded in files:
        attachment_create(actor=actor, organization=task.organization, uploaded_file=uploaded, target=report)


# --- issuing ------------------------------------------------------------------------------------------------


def _check_task_spec(actor: Any, spec: TaskSpec, index: int, assigned_at: dt.datetime) -> dict[str, Any]:
    prefix = f"tasks.{index}."
    title = _clean_text(spec.title, prefix + "title", required=True, limit=500)
    lead = spec.lead_agency
    if not isinstance(lead, Organization) or not lead.is_active:
        raise ValidationError({prefix + "lead_agency": _("Choose an active lead agency.")})
    if not can_direct(actor, lead):
        raise ValidationError(
            {prefix + "lead_agency": _("You may not give tasks to “%(agency)s”.") % {"agency": lead.name}}
        )
    supporting = list(dict.fromkeys(spec.supporting_agencies))
    for org in supporting:
        if org.pk == lead.pk:
            raise ValidationError({prefix + "supporting_agencies": _("The lead agency cannot also support.")})
        if not org.is_active or not can_direct(actor, org):
            raise ValidationError(
                {prefix + "supporting_agencies": _("You may not give tasks to “%(agency)s”.") % {"agency": org.name}}
            )
    if spec.priority not in Priority.values:
        raise ValidationError({prefix + "priority": _("Choose one of the allowed values.")})
    return {
        "title": title,
        "lead": lead,
        "supporting": supporting,
        "watchers": [u for u in dict.fromkeys(spec.watchers) if u.is_active],
        "priority": spec.priority,
        "expected_result": _clean_text(spec.expected_result, prefix + "expected_result"),
        "deadline": _clean_deadline(spec.deadline, assigned_at=assigned_at, name=prefix + "deadline"),
    }


def _clean_source(source_kind: str, source_type: str, source_id: Any) -> tuple[str, str]:
    source_type = (source_type or "").strip().lower()
    source_id = str(source_id or "").strip()
    if source_kind not in SourceKind.values:
        raise ValidationError({"source_kind": _("Choose one of the allowed values.")})
    if bool(source_type) != bool(source_id):
        raise ValidationError({"source_id": _("Give both the type and the id of the source record, or neither.")})
    if source_type:
        if not _SOURCE_TYPE.match(source_type) or len(source_type) > 100 or len(source_id) > 64:
            raise ValidationError({"source_type": _("The source record reference is not valid.")})
        try:
            model = apps.get_model(source_type)
        except (LookupError, ValueError):
            model = None  # a module not installed here; keep the reference as given
        if model is not None and not model._default_manager.filter(pk=source_id).exists():
            raise ValidationError({"source_id": _("The source record does not exist.")})
    return source_type, source_id


def directive_issue(
    *,
    actor: Any,
    organization: Organization,
    title: str,
    tasks: Sequence[TaskSpec],
    content: str = "",
    source_kind: str = SourceKind.INITIATIVE,
    source_type: str = "",
    source_id: Any = "",
    domain: str = Domain.GOVERNANCE,
) -> Directive:
    """Issue a directive in ``organization``'s name and give its tasks to the agencies (all or nothing)."""
    if not getattr(actor, "is_authenticated", False) or not user_has_directing_role(actor, organization):
        raise PermissionDenied(_("Only a leader or agency head of this organisation may issue directives."))
    if not tasks:
        raise ValidationError({"tasks": _("Give the directive at least one task.")})
    if len(tasks) > MAX_TASKS_PER_DIRECTIVE:
        raise ValidationError({"tasks": _("At most %(n)d tasks per directive.") % {"n": MAX_TASKS_PER_DIRECTIVE}})
    if domain not in Domain.values:
        raise ValidationError({"domain": _("Choose one of the allowed values.")})
    clean_title = " ".join(_clean_text(title, "title", required=True, limit=500).split())
    clean_content = _clean_text(content, "content")
    source_type, source_id = _clean_source(source_kind, source_type, source_id)
    now = timezone.now()
    specs = [_check_task_spec(actor, spec, i, now) for i, spec in enumerate(tasks)]

    with transaction.atomic():
        directive = Directive(
            organization=organization, leader=actor, source_kind=source_kind, source_type=source_type,
            source_id=source_id, title=clean_title, content=clean_content, domain=domain, issued_at=now,
        )  # fmt: skip
        directive.full_clean()
        directive.save()
        audit.record(
            verb=AuditVerbs.DIRECTIVE_ISSUED, actor=actor, target=directive,
            data={"title": clean_title, "source_kind": source_kind, "source_type": source_type,
                  "source_id": source_id, "tasks": len(specs)},
        )  # fmt: skip
        search.index(directive)
        for spec in specs:
            task = Task(
                organization=spec["lead"], directive=directive, title=spec["title"],
                expected_result=spec["expected_result"], assigner=actor, assigned_at=now,
                deadline=spec["deadline"], original_deadline=spec["deadline"], priority=spec["priority"],
            )  # fmt: skip
            task.full_clean()
            task.save()
            task.supporting_agencies.set(spec["supporting"])
            task.watchers.set(spec["watchers"])
            audit.record(
                verb=AuditVerbs.TASK_CREATED, actor=actor, target=task,
                data={"directive": directive.pk, "lead_agency": spec["lead"].pk,
                      "supporting_agencies": [o.pk for o in spec["supporting"]],
                      "deadline": task.deadline, "priority": task.priority},
            )  # fmt: skip
            search.index(task)
            people = _agency_contacts(spec["lead"])
            for org in spec["supporting"]:
                people += _agency_contacts(org)
            _notify(task, [*people, *spec["watchers"]], _("New task: %(title)s") % {"title": task.title})
    return directive


def user_has_directing_role(user: Any, organization: Organization) -> bool:
    """Whether ``user`` may issue directives in ``organization``'s name."""
    from cityops.core.permissions import user_has_role

    return user_has_role(user, DIRECTING_ROLES, organization)


def _issuing_organization_for(actor: Any, lead_agency: Organization) -> Organization | None:
    """The nearest organisation at or above ``lead_agency`` where ``actor`` directs."""
    candidates = Organization.objects.filter(
        pk__in=Membership.objects.filter(user=actor, role__in=DIRECTING_ROLES, organization__is_active=True).values(
            "organization_id"
        )
    )
    best = None
    for org in candidates:
        if lead_agency.is_within(org) and (best is None or org.depth > best.depth):
            best = org
    if best is None and getattr(actor, "is_superuser", False):
        return lead_agency
    return best


def task_create_from(
    *,
    actor: Any,
    source_type: str,
    source_id: Any,
    title: str,
    lead_agency: Organization,
    deadline: dt.date | None,
    content: str = "",
    source_kind: str | None = None,
    supporting_agencies: Sequence[Organization] = (),
    priority: str = Priority.URGENT,
    expected_result: str = "",
    domain: str = Domain.GOVERNANCE,
) -> Task:
    """Turn another module's record (an overdue citizen report, an incident) into a task in one step.

    The directive carries the generic source reference, so the task links back to the record and
    ``selectors.tasks_for_source`` finds the task from it. Repeating the call while a task for that record
    is still open returns that task instead of creating a second one.
    """
    source_type = (source_type or "").strip().lower()
    if not source_type or not str(source_id or "").strip():
        raise ValidationError({"source_id": _("Give the type and the id of the source record.")})
    if source_kind is None:
        source_kind = {"feedback": SourceKind.CITIZEN_REPORT, "operations": SourceKind.INCIDENT}.get(
            source_type.split(".")[0], SourceKind.INITIATIVE
        )
    existing = (
        Task.objects.filter(
            directive__source_type=source_type, directive__source_id=str(source_id).strip(), status__in=OPEN_STATUSES
        )
        .order_by("-id")
        .first()
    )
    if existing is not None and can_direct_task(actor, existing):
        return existing
    organization = _issuing_organization_for(actor, lead_agency) if isinstance(lead_agency, Organization) else None
    if organization is None:
        raise ValidationError(
            {"lead_agency": _("You may not give tasks to “%(agency)s”.") % {"agency": getattr(lead_agency, "name", "")}}
        )
    directive = directive_issue(
        actor=actor, organization=organization, title=title, content=content, source_kind=source_kind,
        source_type=source_type, source_id=source_id, domain=domain,
        tasks=[TaskSpec(title=title, lead_agency=lead_agency, deadline=deadline, priority=priority,
                        supporting_agencies=supporting_agencies, expected_result=expected_result)],
    )  # fmt: skip
    return directive.tasks.get()


# --- working a task --------------------------------------------------------------------------------------------


def _require_work(actor: Any, task: Task) -> None:
    if not can_work_task(actor, task):
        raise PermissionDenied(_("Only staff of the lead agency may do this."))


def _require_direct(actor: Any, task: Task) -> None:
    if not can_direct_task(actor, task):
        raise PermissionDenied(_("Only the assigner or a leader of the directing organisation may do this."))


def task_accept(*, actor: Any, task: Task) -> Task:
    """The lead agency takes the task on (tiếp nhận)."""
    with transaction.atomic():
        task = _lock(task)
        _require_work(actor, task)
        old = task.status
        task.status = _check_transition(task, "accept")
        task.accepted_at = timezone.now()
        task.full_clean()
        task.save(update_fields=["status", "accepted_at", "updated_at"])
        _audit(task, AuditVerbs.TASK_ACCEPTED, actor, {"status": old}, {"status": task.status})
        _notify(task, _directors(task), _("Task accepted: %(title)s") % {"title": task.title})
    return task


def _clean_percentage(value: Any) -> int:
    if isinstance(value, bool):
        raise ValidationError({"percentage": _("Enter a whole number from 0 to 100.")})
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"percentage": _("Enter a whole number from 0 to 100.")}) from None
    if isinstance(value, float) and value != number:
        raise ValidationError({"percentage": _("Enter a whole number from 0 to 100.")})
    if not 0 <= number <= 100:
        raise ValidationError({"percentage": _("Enter a whole number from 0 to 100.")})
    return number


def task_report_progress(
    *, actor: Any, task: Task, percentage: Any, text: str, files: Sequence[Any] = ()
) -> ProgressReport:
    """Record how far the lead agency has got; the task's percentage follows the latest report."""
    percentage = _clean_percentage(percentage)
    text = _clean_text(text, "text", required=True)
    with transaction.atomic():
        task = _lock(task)
        _require_work(actor, task)
        old = {"status": task.status, "progress": task.progress}
        task.status = _check_transition(task, "progress")
        task.progress = percentage
        task.full_clean()
        task.save(update_fields=["status", "progress", "updated_at"])
        report = ProgressReport(task=task, author=actor, percentage=percentage, text=text)
        report.full_clean()
        report.save()
        _attach(actor, task, report, files)
        _audit(task, AuditVerbs.TASK_PROGRESS, actor, old, {"status": task.status, "progress": percentage},
               report=report.pk, files=len(files))  # fmt: skip
        _notify(
            task, _directors(task), _("Progress on %(title)s: %(pct)d%%") % {"title": task.title, "pct": percentage}
        )
    return report


def task_request_extension(*, actor: Any, task: Task, requested_deadline: Any, reason: str) -> ExtensionRequest:
    """Ask the assigner for a later deadline; one open request at a time, never on a closed task."""
    reason = _clean_text(reason, "reason", required=True)
    with transaction.atomic():
        task = _lock(task)
        _require_work(actor, task)
        if task.status not in OPEN_STATUSES:
            raise ValidationError({"status": _("A closed task cannot be extended.")})
        if task.extension_requests.filter(decision=ExtensionDecision.PENDING).exists():
            raise ValidationError({"requested_deadline": _("A request for more time is already waiting.")})
        new_deadline = _clean_deadline(requested_deadline, assigned_at=task.assigned_at, name="requested_deadline")
        if new_deadline is None:
            raise ValidationError({"requested_deadline": _("This field is required.")})
        if new_deadline < timezone.now() or (task.deadline is not None and new_deadline <= task.deadline):
            raise ValidationError(
                {"requested_deadline": _("The new deadline must be later than the current one and not in the past.")}
            )
        request = ExtensionRequest(
            task=task, requested_by=actor, previous_deadline=task.deadline, requested_deadline=new_deadline,
            reason=reason,
        )  # fmt: skip
        request.full_clean()
        request.save()
        _audit(task, AuditVerbs.TASK_EXTENSION_REQUESTED, actor, {"deadline": task.deadline},
               {"requested_deadline": new_deadline}, extension=request.pk)  # fmt: skip
        _notify(task, _directors(task), _("More time requested: %(title)s") % {"title": task.title}, reason)
    return request


def task_decide_extension(
    *, actor: Any, extension: ExtensionRequest, approve: bool, note: str = ""
) -> ExtensionRequest:
    """The assigner approves (the deadline moves) or refuses a request; the request stays as history."""
    note = _clean_text(note, "decision_note")
    if not isinstance(approve, bool):
        raise ValidationError({"decision": _("Choose approve or refuse.")})
    with transaction.atomic():
        task = _lock(extension.task)
        _require_direct(actor, task)
        extension = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
        if extension.decision != ExtensionDecision.PENDING:
            raise ValidationError({"decision": _("This request has already been decided.")})
        if task.status not in OPEN_STATUSES:
            raise ValidationError({"status": _("A closed task cannot be extended.")})
        extension.decision = ExtensionDecision.APPROVED if approve else ExtensionDecision.REFUSED
        extension.decided_by = actor
        extension.decided_at = timezone.now()
        extension.decision_note = note
        extension.full_clean()
        extension.save()
        old_deadline = task.deadline
        if approve:
            task.deadline = extension.requested_deadline
            task.full_clean()
            task.save(update_fields=["deadline", "updated_at"])
        _audit(task, AuditVerbs.TASK_EXTENSION_DECIDED, actor, {"deadline": old_deadline},
               {"deadline": task.deadline}, extension=extension.pk, decision=extension.decision)  # fmt: skip
        title = (_("More time approved: %(title)s") if approve else _("More time refused: %(title)s")) % {
            "title": task.title
        }
        _notify(task, [*_workers(task), extension.requested_by], title, note)
    return extension


def task_report_completion(*, actor: Any, task: Task, text: str, files: Sequence[Any] = ()) -> ProgressReport:
    """The lead agency reports the work done; the assigner then confirms it or sends it back."""
    text = _clean_text(text, "text", required=True)
    with transaction.atomic():
        task = _lock(task)
        _require_work(actor, task)
        old = {"status": task.status, "progress": task.progress}
        task.status = _check_transition(task, "report_done")
        task.progress = 100
        task.reported_done_at = timezone.now()
        task.full_clean()
        task.save(update_fields=["status", "progress", "reported_done_at", "updated_at"])
        report = ProgressReport(task=task, author=actor, percentage=100, text=text, is_completion=True)
        report.full_clean()
        report.save()
        _attach(actor, task, report, files)
        _audit(task, AuditVerbs.TASK_COMPLETION_REPORTED, actor, old, {"status": task.status, "progress": 100},
               report=report.pk)  # fmt: skip
        _notify(task, _directors(task), _("Reported done: %(title)s") % {"title": task.title}, text[:500])
    return report


def task_confirm(*, actor: Any, task: Task) -> Task:
    """The assigner accepts the reported result; the task counts as completed when it was reported."""
    with transaction.atomic():
        task = _lock(task)
        _require_direct(actor, task)
        old = task.status
        task.status = _check_transition(task, "confirm")
        now = timezone.now()
        task.completed_at = task.reported_done_at or now
        task.closed_at = now
        task.full_clean()
        task.save(update_fields=["status", "completed_at", "closed_at", "updated_at"])
        _audit(task, AuditVerbs.TASK_CONFIRMED, actor, {"status": old},
               {"status": task.status, "completed_at": task.completed_at})  # fmt: skip
        search.index(task)
        _notify(task, _workers(task), _("Completion confirmed: %(title)s") % {"title": task.title})
    return task


def task_send_back(*, actor: Any, task: Task, reason: str) -> Task:
    """The assigner finds the result not good enough: the agency works on (thực hiện lại)."""
    reason = _clean_text(reason, "reason", required=True)
    with transaction.atomic():
        task = _lock(task)
        _require_direct(actor, task)
        old = task.status
        task.status = _check_transition(task, "send_back")
        task.reported_done_at = None
        task.send_back_reason = reason
        task.full_clean()
        task.save(update_fields=["status", "reported_done_at", "send_back_reason", "updated_at"])
        _audit(task, AuditVerbs.TASK_SENT_BACK, actor, {"status": old}, {"status": task.status}, reason=reason)
        _notify(task, _workers(task), _("Sent back: %(title)s") % {"title": task.title}, reason)
    return task


def task_cancel(*, actor: Any, task: Task, reason: str) -> Task:
    """The assigner withdraws a task; it leaves the statistics (state "cancelled")."""
    reason = _clean_text(reason, "reason", required=True)
    with transaction.atomic():
        task = _lock(task)
        _require_direct(actor, task)
        old = task.status
        task.status = _check_transition(task, "cancel")
        task.closed_at = timezone.now()
        task.cancel_reason = reason
        task.full_clean()
        task.save(update_fields=["status", "closed_at", "cancel_reason", "updated_at"])
        ExtensionRequest.objects.filter(task=task, decision=ExtensionDecision.PENDING).update(
            decision=ExtensionDecision.REFUSED, decided_by=actor, decided_at=task.closed_at,
            decision_note=_("The task was cancelled."),
        )  # fmt: skip
        _audit(task, AuditVerbs.TASK_CANCELLED, actor, {"status": old}, {"status": task.status}, reason=reason)
        search.index(task)
        _notify(task, _workers(task), _("Task cancelled: %(title)s") % {"title": task.title}, reason)
    return task


def open_tasks_q() -> Q:
    """Tasks still being worked on."""
    return Q(status__in=OPEN_STATUSES)
