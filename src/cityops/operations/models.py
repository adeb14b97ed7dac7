"""Monitoring rules, their per-series state, alerts, incidents with their SOP checklist, and alert subscriptions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cityops.core.choices import Role
from cityops.core.models import TenantScopedModel, TimeStampedModel
from cityops.operations.choices import (
    AlertStatus,
    IncidentEventKind,
    IncidentStatus,
    Operator,
    RuleKind,
    RuleSource,
    Severity,
)

__all__ = [
    "Alert",
    "AlertSubscription",
    "EvaluatorClaim",
    "Incident",
    "IncidentEvent",
    "IncidentStep",
    "IncidentType",
    "MonitoringRule",
    "OutboundMessage",
    "RuleState",
    "SopStep",
]


class MonitoringRule(TenantScopedModel):
    """A rule an agency (``organization``) keeps on data: it opens alerts and resolves them with hysteresis.

    Every part of the condition is a structured field (operator, bound, attribute…); nothing is ever parsed or
    evaluated as code. ``area`` narrows the data watched to a subtree of organisations (entities they own,
    reports located or handled there); ``bound`` is the trigger, ``clear_bound`` the value the series must get
    back to before the alert resolves, ``for_minutes`` how long a condition must hold before it counts.
    """

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind.choices)
    source = models.CharField(_("source"), max_length=20, choices=RuleSource.choices, default=RuleSource.OBSERVATION)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    area = models.ForeignKey(
        "core.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("area")
    )
    entity_type = models.CharField(_("entity type"), max_length=100, blank=True)
    entity = models.ForeignKey(
        "datahub.Entity", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("sensor")
    )
    attribute = models.CharField(_("attribute"), max_length=100, blank=True)
    indicator = models.ForeignKey(
        "datahub.IndicatorDefinition", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("indicator"),
    )  # fmt: skip
    category = models.ForeignKey(
        "feedback.Category", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("report category"),
    )  # fmt: skip
    operator = models.CharField(_("comparison"), max_length=4, choices=Operator.choices, blank=True)
    bound = models.FloatField(_("trigger bound"), null=True, blank=True)
    clear_bound = models.FloatField(_("clear bound"), null=True, blank=True)
    window_minutes = models.PositiveIntegerField(_("window (minutes)"), null=True, blank=True)
    radius_m = models.PositiveIntegerField(_("radius (metres)"), null=True, blank=True)
    for_minutes = models.PositiveIntegerField(_("minimum duration (minutes)"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_evaluated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("monitoring rule")
        verbose_name_plural = _("monitoring rules")
        indexes = [models.Index(fields=["is_enabled", "kind"], name="operations_rule_enabled_kind")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("operations:rule", kwargs={"pk": self.pk})

    @property
    def upward(self) -> bool:
        """True when a higher value is the bad side (> or ≥)."""
        return self.operator in {Operator.GT, Operator.GTE}


class RuleState(models.Model):
    """Where one series (a sensor, an area's indicator) stands for one rule, so evaluation resumes exactly."""

    rule = models.ForeignKey(MonitoringRule, on_delete=models.CASCADE, related_name="states")
    series_key = models.CharField(max_length=100)
    pending_since = models.DateTimeField(null=True, blank=True)
    clear_since = models.DateTimeField(null=True, blank=True)
    last_observed_at = models.DateTimeField(null=True, blank=True)
    last_value = models.FloatField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rule_id", "series_key"]
        constraints = [models.UniqueConstraint(fields=["rule", "series_key"], name="operations_rulestate_unique")]

    def __str__(self) -> str:
        return f"{self.rule_id}/{self.series_key}"


class Alert(TenantScopedModel):
    """A rule's condition holding for one series: one open alert per (rule, series), however many breaches.

    ``organization`` is the rule's owner; ``area`` the unit the data belongs to (a sensor's owner, a report's
    commune), so the agency concerned sees it too.
    """

    rule = models.ForeignKey(MonitoringRule, on_delete=models.PROTECT, related_name="alerts")
    series_key = models.CharField(max_length=100)
    entity = models.ForeignKey("datahub.Entity", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    area = models.ForeignKey("core.Organization", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    status = models.CharField(_("status"), max_length=14, choices=AlertStatus.choices, default=AlertStatus.FIRING)
    title = models.CharField(_("title"), max_length=255)
    value = models.FloatField(_("last value"), null=True, blank=True)
    peak_value = models.FloatField(_("worst value"), null=True, blank=True)
    occurrences = models.PositiveIntegerField(_("occurrences"), default=1)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    incident = models.ForeignKey(
        "operations.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "series_key"],
                condition=Q(status__in=[AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED]),
                name="operations_alert_one_open_per_series",
            )
        ]
        indexes = [models.Index(fields=["status", "severity"], name="operations_alert_status_sev")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("operations:alert", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status != AlertStatus.RESOLVED


class IncidentType(TimeStampedModel):
    """A kind of incident (flooding, fire…) with its standard operating procedure: the ordered ``steps``."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    default_severity = models.CharField(
        _("default severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("incident type")
        verbose_name_plural = _("incident types")

    def __str__(self) -> str:
        return self.name


class SopStep(models.Model):
    """One step of a standard operating procedure."""

    incident_type = models.ForeignKey(IncidentType, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("step"), max_length=300)
    guidance = models.TextField(_("guidance"), blank=True)
    is_required = models.BooleanField(_("required"), default=True)

    class Meta:
        ordering = ["incident_type_id", "position", "id"]
        verbose_name = _("procedure step")
        verbose_name_plural = _("procedure steps")
        constraints = [
            models.UniqueConstraint(fields=["incident_type", "position"], name="operations_sopstep_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class Incident(TenantScopedModel):
    """Something being handled: opened from alerts (or by hand), assigned to an agency, worked through its SOP.

    ``organization`` owns the incident (the operator's unit); ``assigned_agency`` does the work on the ground.
    """

    title = models.CharField(_("title"), max_length=255)
    incident_type = models.ForeignKey(
        IncidentType, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("incident type")
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    status = models.CharField(_("status"), max_length=10, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    description = models.TextField(_("description"), blank=True)
    assigned_agency = models.ForeignKey(
        "core.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("assigned agency"),
    )  # fmt: skip
    assigned_at = models.DateTimeField(null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = models.TextField(_("closing summary"), blank=True)
    open_steps_reason = models.TextField(_("why required steps were left open"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    task_id = models.PositiveBigIntegerField(_("directive task"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [models.Index(fields=["status", "created_at"], name="operations_incident_status")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("operations:incident", kwargs={"pk": self.pk})

    @property
    def is_closed(self) -> bool:
        return self.status == IncidentStatus.CLOSED


class IncidentStep(models.Model):
    """A step of the incident's procedure, copied from its type when the incident opened, checked by someone."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(_("step"), max_length=300)
    guidance = models.TextField(_("guidance"), blank=True)
    is_required = models.BooleanField(_("required"), default=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=1000, blank=True)

    class Meta:
        ordering = ["incident_id", "position", "id"]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class IncidentEvent(models.Model):
    """One line of the incident's timeline (notes and what happened), newest last."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=IncidentEventKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["incident_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind}"


class AlertSubscription(TenantScopedModel):
    """Who is told about alerts of an area (``organization`` and below) at or above a severity.

    Either one person (``user``) or everyone holding ``role`` in ``organization``. In-app and email follow each
    person's notification preferences for the "alert" kind; ``by_sms`` also sends a text through the gateway.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("person"),
    )  # fmt: skip
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    min_severity = models.CharField(
        _("minimum severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    by_sms = models.BooleanField(_("also by SMS"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organization_id", "id"]
        verbose_name = _("alert subscription")
        verbose_name_plural = _("alert subscriptions")
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(role="")) | (Q(user__isnull=True) & ~Q(role="")),
                name="operations_alertsubscription_user_or_role",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user or self.get_role_display()} @ {self.organization_id} ≥ {self.min_severity}"


class OutboundMessage(models.Model):
    """A text sent (or to send) through the SMS/Zalo gateway; the default gateway only records it here."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        LOGGED = "logged", _("Recorded (no gateway)")
        FAILED = "failed", _("Failed")

    channel = models.CharField(max_length=10, default="sms")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    address = models.CharField(max_length=64)
    text = models.CharField(max_length=480)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    gateway = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=500, blank=True)
    alert = models.ForeignKey(Alert, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} → {self.address}: {self.status}"


class EvaluatorClaim(models.Model):
    """When a periodic evaluation last ran, so several workers and the ingest hook run it once a minute at most."""

    name = models.CharField(max_length=50, unique=True)
    last_run_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
