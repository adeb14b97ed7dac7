"""Choices of the directives app: where a directive comes from, task status, priority, deadline state."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["AuditVerbs", "DeadlineState", "ExtensionDecision", "Priority", "SourceKind", "TaskStatus"]


class SourceKind(models.TextChoices):
    """What prompted the leader to direct."""

    MEETING = "meeting", _("Meeting conclusion")
    DOCUMENT = "document", _("Official document")
    CITIZEN_REPORT = "citizen_report", _("Citizen report")
    INCIDENT = "incident", _("Incident")
    INITIATIVE = "initiative", _("Own initiative")


class TaskStatus(models.TextChoices):
    """Where the work stands; the deadline state is computed separately (``DeadlineState``)."""

    ASSIGNED = "assigned", _("Assigned")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    REPORTED_DONE = "reported_done", _("Reported done")
    DONE = "done", _("Done")
    SENT_BACK = "sent_back", _("Sent back")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = frozenset(
    {
        TaskStatus.ASSIGNED,
        TaskStatus.ACCEPTED,
        TaskStatus.IN_PROGRESS,
        TaskStatus.REPORTED_DONE,
        TaskStatus.SENT_BACK,
    }
)
CLOSED_STATUSES = frozenset({TaskStatus.DONE, TaskStatus.CANCELLED})


class Priority(models.TextChoices):
    """Urgency levels of Decree 30/2020 (thường, khẩn, thượng khẩn, hỏa tốc)."""

    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    VERY_URGENT = "very_urgent", _("Very urgent")
    FLASH = "flash", _("Immediate")


class DeadlineState(models.TextChoices):
    """Computed from status, deadline and completion time; never stored."""

    NOT_DUE = "not_due", _("Not yet due")
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    DONE_ON_TIME = "done_on_time", _("Done on time")
    DONE_LATE = "done_late", _("Done late")
    NO_DEADLINE = "no_deadline", _("No deadline")
    CANCELLED = "cancelled", _("Cancelled")


class ExtensionDecision(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class AuditVerbs:
    """Audit verbs of this app."""

    DIRECTIVE_ISSUED = "directives.directive.issued"
    TASK_CREATED = "directives.task.created"
    TASK_ACCEPTED = "directives.task.accepted"
    TASK_PROGRESS = "directives.task.progress_reported"
    TASK_EXTENSION_REQUESTED = "directives.task.extension_requested"
    TASK_EXTENSION_DECIDED = "directives.task.extension_decided"
    TASK_COMPLETION_REPORTED = "directives.task.completion_reported"
    TASK_CONFIRMED = "directives.task.confirmed"
    TASK_SENT_BACK = "directives.task.sent_back"
    TASK_CANCELLED = "directives.task.cancelled"
    TASK_REMINDED = "directives.task.reminded"
    TASK_ESCALATED = "directives.task.escalated"
