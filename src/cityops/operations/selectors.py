"""Every read of monitoring and incidents, starting from ``for_user`` so nobody sees more than the policy allows."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from cityops.core.models import Organization, User
from cityops.core.permissions import ALL_STAFF_ROLES, get_for_user, org_ids_for_roles, policy_for
from cityops.core.text import fold, nfc
from cityops.operations.choices import OPEN_ALERT_STATUSES, AlertStatus, IncidentStatus
from cityops.operations.models import (
    Alert,
    AlertSubscription,
    Incident,
    IncidentEvent,
    IncidentType,
    MonitoringRule,
)
from cityops.operations.permissions import ACT_ROLES, RULE_MANAGERS, desk_roots

__all__ = [
    "alert_counts",
    "alert_get",
    "alert_list",
    "can",
    "incident_get",
    "incident_list",
    "incident_timeline",
    "incident_type_list",
    "organizations_for",
    "province_agencies",
    "rule_get",
    "rule_list",
    "subscription_list",
]


def can(user: Any, action: str, obj: Any) -> bool:
    """Whether ``user`` may take ``action`` on this record (for showing buttons; services check again)."""
    return policy_for(type(obj)).can(user, action, obj)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def alert_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[Alert]:
    """Alerts the actor may see; filters: severity, status ("open" for firing or acknowledged), rule, area."""
    filters = filters or {}
    queryset = Alert.objects.for_user(actor, "view").select_related("rule", "organization", "area", "entity")
    severity = filters.get("severity")
    if severity:
        queryset = queryset.filter(severity=severity)
    status = filters.get("status")
    if status == "open":
        queryset = queryset.filter(status__in=OPEN_ALERT_STATUSES)
    elif status in AlertStatus.values:
        queryset = queryset.filter(status=status)
    rule = _int(filters.get("rule"))
    if rule:
        queryset = queryset.filter(rule_id=rule)
    area = _int(filters.get("area"))
    if area:
        org = Organization.objects.filter(pk=area).first()
        if org is None:
            return queryset.none()
        queryset = queryset.filter(Q(area__path__startswith=org.path) | Q(organization__path__startswith=org.path))
    return queryset.order_by("-last_seen_at", "-id")


def alert_get(*, actor: Any, pk: Any, action: str = "view") -> Alert:
    return get_for_user(
        Alert.objects.select_related("rule", "organization", "area", "entity", "incident", "acknowledged_by"),
        actor, action, pk=pk,
    )  # fmt: skip


def alert_counts(queryset: QuerySet[Alert]) -> dict[str, int]:
    """Open alerts by severity (for the list header and the dashboard widget)."""
    counts = {"info": 0, "warning": 0, "critical": 0}
    rows = queryset.filter(status__in=OPEN_ALERT_STATUSES).order_by().values("severity").annotate(n=Count("pk"))
    for row in rows:
        counts[row["severity"]] = row["n"]
    return counts


def incident_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[Incident]:
    """Incidents the actor may see; filters: status ("open" for not closed), severity, type, agency, q."""
    filters = filters or {}
    queryset = Incident.objects.for_user(actor, "view").select_related("incident_type", "organization",
                                                                       "assigned_agency")  # fmt: skip
    status = filters.get("status")
    if status == "open":
        queryset = queryset.exclude(status=IncidentStatus.CLOSED)
    elif status in IncidentStatus.values:
        queryset = queryset.filter(status=status)
    if filters.get("severity"):
        queryset = queryset.filter(severity=filters["severity"])
    incident_type = _int(filters.get("type"))
    if incident_type:
        queryset = queryset.filter(incident_type_id=incident_type)
    agency = _int(filters.get("agency"))
    if agency:
        queryset = queryset.filter(assigned_agency_id=agency)
    q = fold(nfc(str(filters.get("q") or ""))).strip()[:200]
    if q:
        ids = [pk for pk, title in queryset.values_list("pk", "title")[:5000] if q in fold(title)]
        queryset = queryset.filter(pk__in=ids)
    return queryset.order_by("-created_at", "-id")


def incident_get(*, actor: Any, pk: Any, action: str = "view") -> Incident:
    return get_for_user(
        Incident.objects.select_related("incident_type", "organization", "assigned_agency", "opened_by", "closed_by"),
        actor, action, pk=pk,
    )  # fmt: skip


def incident_timeline(incident: Incident) -> QuerySet[IncidentEvent]:
    """The timeline of an incident already fetched through ``incident_get``."""
    return incident.events.select_related("actor").order_by("created_at", "id")


def incident_type_list(*, include_inactive: bool = False) -> QuerySet[IncidentType]:
    queryset = IncidentType.objects.prefetch_related("steps")
    return queryset if include_inactive else queryset.filter(is_active=True)


def rule_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[MonitoringRule]:
    filters = filters or {}
    queryset = MonitoringRule.objects.for_user(actor, "view").select_related("organization", "area", "entity")
    if filters.get("kind"):
        queryset = queryset.filter(kind=filters["kind"])
    if filters.get("enabled") in {"1", "0"}:
        queryset = queryset.filter(is_enabled=filters["enabled"] == "1")
    return queryset.annotate(open_alerts=Count("alerts", filter=Q(alerts__status__in=OPEN_ALERT_STATUSES))).order_by(
        "name", "id"
    )


def rule_get(*, actor: Any, pk: Any, action: str = "view") -> MonitoringRule:
    return get_for_user(MonitoringRule.objects.select_related("organization", "area", "entity"), actor, action, pk=pk)


def subscription_list(*, actor: Any) -> QuerySet[AlertSubscription]:
    """The actor's own subscriptions and the role subscriptions they may manage."""
    own = Q(user=actor) if getattr(actor, "is_authenticated", False) else Q(pk__in=[])
    managed = AlertSubscription.objects.for_user(actor, "change").filter(user__isnull=True).values("pk")
    return (
        AlertSubscription.objects.filter(own | Q(pk__in=managed))
        .select_related("organization", "user")
        .order_by("organization__path", "id")
    )


def organizations_for(*, actor: Any, purpose: str) -> QuerySet[Organization]:
    """Organisations the actor may pick: owners of rules ("rules"), of incidents ("act"), areas to follow ("follow")."""
    roles = {"rules": RULE_MANAGERS, "act": ACT_ROLES, "follow": ALL_STAFF_ROLES}[purpose]
    queryset = Organization.objects.filter(is_active=True).order_by("path")
    ids = org_ids_for_roles(actor, roles)
    if ids is None:
        return queryset
    condition = Q(pk__in=ids)
    for root in desk_roots(actor) or ():
        condition |= Q(path__startswith=root)
    return queryset.filter(condition)


def province_agencies(*, actor: Any) -> QuerySet[Organization]:
    """Agencies an incident may be assigned to: the active units of the provinces the actor acts in."""
    roots = {"/" + o.path.strip("/").split("/")[0] + "/" for o in organizations_for(actor=actor, purpose="act")}
    condition = Q(pk__in=[])
    for root in roots:
        condition |= Q(path__startswith=root)
    return Organization.objects.filter(condition, is_active=True).order_by("path")


def people(*, ids: list[int]) -> QuerySet[User]:
    return User.objects.filter(pk__in=ids)
