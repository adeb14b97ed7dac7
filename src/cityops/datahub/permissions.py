"""Who may see and change the hub's records.

Datasets: the owner's staff see and manage theirs; any staff member sees the catalog entry of a public
or shared dataset; a private one is visible outside the owner only through an active grant. Reading the
*data* (``read``) needs ownership, a public dataset, or an active grant: sharing is denied by default.
Entities: the owning agency's integrators write them; staff of the agency and above read them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from cityops.core.choices import Role, Visibility
from cityops.core.permissions import ALL_STAFF_ROLES, Policy, memberships_of, org_ids_for_roles, register
from cityops.datahub.choices import GrantStatus
from cityops.datahub.models import AccessGrant, Connector, Dataset, Entity, ExchangeLogEntry, IndicatorValue

DATASET_MANAGERS = frozenset({Role.AGENCY_HEAD, Role.SPECIALIST, Role.ADMINISTRATOR})
GRANT_DECIDERS = frozenset({Role.AGENCY_HEAD, Role.ADMINISTRATOR})
READERS = ALL_STAFF_ROLES | {Role.INTEGRATOR}


def active_grant_q(user: Any, prefix: str = "") -> Q | None:
    """Datasets the user's agencies hold a live grant for; None for a superuser (everything)."""
    ids = org_ids_for_roles(user, READERS)
    if ids is None:
        return None
    grants = AccessGrant.objects.filter(
        requesting_organization__in=ids, status=GrantStatus.GRANTED, expires_at__gt=timezone.now()
    ).values("dataset_id")
    return Q(**{f"{prefix}pk__in": grants})


class DatasetPolicy(Policy):
    """Adds catalog visibility and grants to the owner scoping."""

    def scope(self, queryset: QuerySet, user: Any, action: str = "view") -> QuerySet:
        if action not in {"view", "read"}:
            return super().scope(queryset, user, action)
        owned = org_ids_for_roles(user, READERS)
        if owned is None:
            return queryset
        if not any(role in READERS for role, _path, _id in memberships_of(user)):
            return queryset.none()
        granted = active_grant_q(user)
        assert granted is not None
        if action == "view":
            open_q = Q(visibility__in=[Visibility.PUBLIC, Visibility.SHARED])
        else:
            open_q = Q(visibility=Visibility.PUBLIC)
        return queryset.filter(Q(organization__in=owned) | open_q | granted)


register(
    Dataset,
    DatasetPolicy(rules={"view": READERS, "read": READERS, "change": DATASET_MANAGERS, "decide": GRANT_DECIDERS}),
)
register(
    AccessGrant,
    Policy(rules={"view": ALL_STAFF_ROLES, "decide": GRANT_DECIDERS, "request": DATASET_MANAGERS}),
)
register(
    Entity,
    Policy(rules={"view": READERS, "change": frozenset({Role.INTEGRATOR, Role.ADMINISTRATOR, Role.IOC_OPERATOR})}),
)
register(
    Connector,
    Policy(rules={"view": READERS, "change": frozenset({Role.AGENCY_HEAD, Role.INTEGRATOR, Role.ADMINISTRATOR})}),
)
# Manual indicator values: staff enter them for their unit; the unit's head (or administrator) approves.
register(
    IndicatorValue,
    Policy(
        rules={
            "view": ALL_STAFF_ROLES,
            "enter": frozenset({Role.AGENCY_HEAD, Role.SPECIALIST, Role.ADMINISTRATOR}),
            "approve": GRANT_DECIDERS,
        },
        org_field="area",
    ),
)
EXCHANGE_LOG_READERS = frozenset({Role.AGENCY_HEAD, Role.ADMINISTRATOR, Role.LEADER})


def exchange_log_visible(user: Any) -> QuerySet[ExchangeLogEntry]:
    """Entries about the user's agencies' datasets or reads by those agencies; all for a superuser.

    The log has no organisation of its own (an entry involves two), so it is scoped here by hand.
    """
    ids = org_ids_for_roles(user, EXCHANGE_LOG_READERS)
    if ids is None:
        return ExchangeLogEntry.objects.all()
    owned = Dataset.objects.filter(organization__in=ids).values("pk")
    return ExchangeLogEntry.objects.filter(Q(dataset_id__in=owned) | Q(organization_id__in=ids))
