"""Directives from leaders, the tasks they split into, and the history of work on each task.

A task belongs to (is tenant-scoped by) its lead agency: ``Task.organization`` *is* the lead agency, so the
core permission layer narrows tasks by it directly. Supporting agencies, watchers and the directing
organisation widen who may read a task (``permissions.TaskPolicy``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityops.core.choices import Domain
from cityops.core.models import TenantScopedModel, TimeStampedModel
from cityops.core.models.base import TenantQuerySet
from cityops.directives.choices import (
    DeadlineState,
    ExtensionDecision,
    Priority,
    SourceKind,
    TaskStatus,
)
from cityops.directives.deadlines import deadline_state, due_soon_threshold

__all__ = ["DigestSent", "Directive", "ExtensionRequest", "ProgressReport", "Task", "TaskQuerySet", "TaskReminder"]


class Directive(TenantScopedModel):
    """A leader's direction (ý kiến chỉ đạo); ``organization`` is the issuing organisation."""

    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("directing leader")
    )
    source_kind = models.CharField(_("source"), max_length=20, choices=SourceKind.choices)
    source_type = models.CharField(
        _("source record type"), max_length=100, blank=True, help_text=_("app_label.model of the source record.")
    )
    source_id = models.CharField(_("source record id"), max_length=64, blank=True)
    title = models.CharField(_("title"), max_length=500)
    content = models.TextField(_("content"), blank=True)
    domain = models.CharField(_("domain"), max_length=20, choices=Domain.choices, default=Domain.GOVERNANCE)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("directive")
        verbose_name_plural = _("directives")
        indexes = [models.Index(fields=["source_type", "source_id"], name="directives_directive_source")]
        constraints = [
            models.CheckConstraint(
                condition=Q(source_type="", source_id="") | (~Q(source_type="") & ~Q(source_id="")),
                name="directives_directive_source_pair",
            )
        ]

    def __str__(self) -> str:
        return self.title


class TaskQuerySet(TenantQuerySet):
    """Tasks, with the computed deadline state available as an annotation for lists and counts."""

    def with_deadline_state(self, now: dt.datetime | None = None, due_soon_days: int | None = None) -> TaskQuerySet:
        """Annotate ``deadline_state``: the SQL twin of ``deadlines.deadline_state``."""
        now = now or timezone.now()
        threshold = due_soon_threshold(now, due_soon_days)
        state = Case(
            When(status=TaskStatus.CANCELLED, then=Value(DeadlineState.CANCELLED.value)),
            When(
                Q(status=TaskStatus.DONE) & (Q(deadline__isnull=True) | Q(completed_at__lte=models.F("deadline"))),
                then=Value(DeadlineState.DONE_ON_TIME.value),
            ),
            When(status=TaskStatus.DONE, then=Value(DeadlineState.DONE_LATE.value)),
            When(deadline__isnull=True, then=Value(DeadlineState.NO_DEADLINE.value)),
            When(deadline__lt=now, then=Value(DeadlineState.OVERDUE.value)),
            When(deadline__lte=threshold, then=Value(DeadlineState.DUE_SOON.value)),
            default=Value(DeadlineState.NOT_DUE.value),
            output_field=models.CharField(max_length=20),
        )
        return self.annotate(deadline_state=state)


class Task(TenantScopedModel):
    """One piece of a directive, led by one agency (``organization``) with others supporting."""

    directive = models.ForeignKey(
        Directive, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("directive")
    )
    title = models.CharField(_("title"), max_length=500)
    expected_result = models.TextField(_("expected result"), blank=True)
    supporting_agencies = models.ManyToManyField(
        "core.Organization", related_name="+", blank=True, verbose_name=_("supporting agencies")
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name=_("watchers")
    )
    assigner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("assigned by")
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    original_deadline = models.DateTimeField(_("original deadline"), null=True, blank=True)
    priority = models.CharField(_("priority"), max_length=20, choices=Priority.choices, default=Priority.NORMAL)
    status = models.CharField(
        _("status"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.ASSIGNED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    reported_done_at = models.DateTimeField(_("completion reported at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    send_back_reason = models.TextField(_("reason for sending back"), blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    objects = TaskQuerySet.as_manager()  # type: ignore[misc]  # a narrower queryset than the base declares

    class Meta:
        ordering = ["deadline", "-id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [models.Index(fields=["organization", "status"], name="directives_task_org_status")]
        constraints = [
            models.CheckConstraint(condition=Q(progress__gte=0, progress__lte=100), name="directives_task_progress"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def lead_agency(self) -> Any:
        return self.organization

    def current_deadline_state(self, now: dt.datetime | None = None) -> DeadlineState:
        """The computed state of this one task: the annotation when the query made one, else the same rule."""
        annotated = self.__dict__.get("deadline_state")
        if annotated is not None and now is None:
            return DeadlineState(annotated)
        return deadline_state(status=self.status, deadline=self.deadline, completed_at=self.completed_at, now=now)

    @property
    def is_open(self) -> bool:
        return self.status not in (TaskStatus.DONE, TaskStatus.CANCELLED)


class ProgressReport(TimeStampedModel):
    """An agency's report on a task: how far (percentage) and what was done; files attach to it."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="progress_reports", verbose_name=_("task"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    percentage = models.PositiveSmallIntegerField(
        _("progress (%)"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    text = models.TextField(_("report"))
    is_completion = models.BooleanField(_("completion report"), default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(percentage__gte=0, percentage__lte=100), name="directives_progressreport_percentage"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.percentage}%"


class ExtensionRequest(TimeStampedModel):
    """A request to move a task's deadline, and the assigner's decision; rows are never deleted (history)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="extension_requests", verbose_name=_("task"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    previous_deadline = models.DateTimeField(_("deadline when requested"), null=True, blank=True)
    requested_deadline = models.DateTimeField(_("requested deadline"))
    reason = models.TextField(_("reason"))
    decision = models.CharField(
        _("decision"), max_length=10, choices=ExtensionDecision.choices, default=ExtensionDecision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        constraints = [
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(decision="pending"),
                name="directives_extensionrequest_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.requested_deadline:%Y-%m-%d}"


class TaskReminder(models.Model):
    """One reminder or escalation sent for a task and deadline; the unique key makes sending idempotent."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Reminder before the deadline")
        OVERDUE = "overdue", _("Escalation after the deadline")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    deadline = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "kind", "deadline"], name="directives_taskreminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.kind}"


class DigestSent(models.Model):
    """The weekly digest one person received for one ISO week; the unique key makes sending idempotent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.CharField(max_length=8, help_text="ISO year and week, e.g. 2026-W09.")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "week"], name="directives_digestsent_once")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.week}"
