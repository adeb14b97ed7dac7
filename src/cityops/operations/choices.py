"""Choices of monitoring and incidents: rule kinds, comparison operators, severities, statuses, audit verbs."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "OPEN_ALERT_STATUSES",
    "SEVERITY_RANK",
    "AlertStatus",
    "AuditVerbs",
    "IncidentEventKind",
    "IncidentStatus",
    "Operator",
    "RuleKind",
    "RuleSource",
    "Severity",
]


class RuleKind(models.TextChoices):
    """What a rule watches."""

    THRESHOLD = "threshold", _("Threshold")
    RATE = "rate", _("Rate of change")
    NO_DATA = "no_data", _("No data")
    REPORT_CLUSTER = "report_cluster", _("Cluster of citizen reports")


class RuleSource(models.TextChoices):
    """Where a threshold rule reads its values."""

    OBSERVATION = "observation", _("Sensor observations")
    INDICATOR = "indicator", _("Indicator values")


class Operator(models.TextChoices):
    """The comparison of a value with the rule's bound; never free text, never evaluated as code."""

    GT = "gt", ">"
    GTE = "gte", "≥"
    LT = "lt", "<"
    LTE = "lte", "≤"


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


SEVERITY_RANK: dict[str, int] = {Severity.INFO: 1, Severity.WARNING: 2, Severity.CRITICAL: 3}


class AlertStatus(models.TextChoices):
    FIRING = "firing", _("Firing")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


OPEN_ALERT_STATUSES: frozenset[str] = frozenset({AlertStatus.FIRING, AlertStatus.ACKNOWLEDGED})


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ASSIGNED = "assigned", _("Assigned to an agency")
    CLOSED = "closed", _("Closed")


class IncidentEventKind(models.TextChoices):
    """The entries of an incident's timeline."""

    CREATED = "created", _("Created")
    NOTE = "note", _("Note")
    ASSIGNED = "assigned", _("Assigned")
    STEP = "step", _("Step done")
    STEP_REOPENED = "step_reopened", _("Step reopened")
    ALERT = "alert", _("Alert linked")
    ESCALATED = "escalated", _("Escalated to a task")
    CLOSED = "closed", _("Closed")


class AuditVerbs:
    RULE_CREATED = "operations.rule.created"
    RULE_UPDATED = "operations.rule.updated"
    RULE_DELETED = "operations.rule.deleted"
    ALERT_OPENED = "operations.alert.opened"
    ALERT_RESOLVED = "operations.alert.resolved"
    ALERT_ACKNOWLEDGED = "operations.alert.acknowledged"
    INCIDENT_CREATED = "operations.incident.created"
    INCIDENT_UPDATED = "operations.incident.updated"
    INCIDENT_ASSIGNED = "operations.incident.assigned"
    INCIDENT_STEP = "operations.incident.step_checked"
    INCIDENT_STEP_REOPENED = "operations.incident.step_reopened"
    INCIDENT_NOTE = "operations.incident.noted"
    INCIDENT_CLOSED = "operations.incident.closed"
    INCIDENT_ESCALATED = "operations.incident.escalated"
    INCIDENT_TYPE_SAVED = "operations.incident_type.saved"
    SUBSCRIPTION_SAVED = "operations.subscription.saved"
    SUBSCRIPTION_DELETED = "operations.subscription.deleted"
