"""Who sees and acts on rules, alerts and incidents.

- The IOC desk is province-wide, as for citizen feedback: ``ioc_operator`` anywhere in a province's tree sees
  and acts on every rule, alert and incident of that province.
- Staff of an organisation see the records it owns and those of the units below it; an alert is also seen by
  staff of the unit its data belongs to (``area``), an incident by staff of the agency it is assigned to.
- Acknowledging, opening, assigning, closing and escalating (``act``) need an IOC operator, a leader, an agency
  head or an administrator reaching the owner. Working the checklist and adding notes (``work``) is also open
  to the assigned agency's staff. Rules are managed by IOC operators, agency heads and administrators.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from cityops.core.choices import Role
from cityops.core.models import Organization
from cityops.core.permissions import ALL_STAFF_ROLES, Policy, memberships_of, org_ids_for_roles, register
from cityops.operations.models import Alert, AlertSubscription, Incident, MonitoringRule

__all__ = [
    "ACT_ROLES",
    "DESK_ROLES",
    "RULE_MANAGERS",
    "WORK_ROLES",
    "desk_reaches",
    "desk_roots",
]

DESK_ROLES: frozenset[str] = frozenset({Role.IOC_OPERATOR})
ACT_ROLES: frozenset[str] = frozenset({Role.IOC_OPERATOR, Role.LEADER, Role.AGENCY_HEAD, Role.ADMINISTRATOR})
RULE_MANAGERS: frozenset[str] = frozenset({Role.IOC_OPERATOR, Role.AGENCY_HEAD, Role.ADMINISTRATOR})
WORK_ROLES: frozenset[str] = frozenset({Role.AGENCY_HEAD, Role.SPECIALIST, Role.CLERK})


def _root(path: str) -> str:
    return "/" + path.strip("/").split("/")[0] + "/"


def desk_roots(user: Any) -> set[str] | None:
    """Tree roots (paths) of the provinces where ``user`` is at the IOC desk; None means everywhere."""
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return None
    return {_root(path) for role, path, _id in memberships_of(user) if role in DESK_ROLES and path}


def desk_reaches(user: Any, organization: Organization) -> bool:
    """Whether ``user`` is at the desk of the province ``organization`` belongs to."""
    roots = desk_roots(user)
    return roots is None or any(organization.path.startswith(root) for root in roots)


def _desk_q(user: Any, field: str = "organization") -> Q | None:
    roots = desk_roots(user)
    if roots is None:
        return None
    condition = Q(pk__in=[])
    for root in roots:
        condition |= Q(**{f"{field}__path__startswith": root})
    return condition


class _OperationsPolicy(Policy):
    """Owner subtree by role, plus the province-wide desk, plus ``extra`` fields for reading."""

    view_fields: tuple[str, ...] = ()
    work_fields: tuple[str, ...] = ()

    def scope(self, queryset: QuerySet, user: Any, action: str = "view") -> QuerySet:
        desk = _desk_q(user)
        if desk is None:
            return queryset
        ids = org_ids_for_roles(user, self.roles_for(action))
        if ids is None:
            return queryset
        condition = Q(organization__in=ids) | desk
        if action == "view":
            for field in self.view_fields:
                condition |= Q(**{f"{field}__in": ids})
        if action == "work":
            worker_ids = org_ids_for_roles(user, WORK_ROLES)
            for field in self.work_fields:
                condition |= Q(**{f"{field}__in": worker_ids})
        return queryset.filter(condition)


class RulePolicy(_OperationsPolicy):
    rules = {"view": ALL_STAFF_ROLES, "change": RULE_MANAGERS}


class AlertPolicy(_OperationsPolicy):
    rules = {"view": ALL_STAFF_ROLES, "act": ACT_ROLES}
    view_fields = ("area",)


class IncidentPolicy(_OperationsPolicy):
    rules = {"view": ALL_STAFF_ROLES, "act": ACT_ROLES, "work": ACT_ROLES}
    view_fields = ("assigned_agency",)
    work_fields = ("assigned_agency",)


class SubscriptionPolicy(_OperationsPolicy):
    rules = {"view": ACT_ROLES, "change": ACT_ROLES}


rule_policy = register(MonitoringRule, RulePolicy())
alert_policy = register(Alert, AlertPolicy())
incident_policy = register(Incident, IncidentPolicy())
subscription_policy = register(AlertSubscription, SubscriptionPolicy())
