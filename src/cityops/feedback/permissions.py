"""Who may see and act on citizen requests.

The IOC desk is province-wide: a person holding ``ioc_operator`` anywhere in the province's tree (at the
province, or in the IOC centre's own unit as in the demo) verifies, assigns and publishes every request of that
province. Agency staff handle the requests assigned to their agency (the request's ``organization``) and any
staff role sees the requests of the organisations it reaches. A signed-in citizen sees their own.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from cityops.core.choices import Role
from cityops.core.models import Organization
from cityops.core.permissions import ALL_STAFF_ROLES, Policy, memberships_of, org_ids_for_roles, register
from cityops.feedback.models import Request

__all__ = ["AGENCY_ROLES", "DESK_ROLES", "RequestPolicy", "desk_reaches", "desk_roots", "request_policy"]

DESK_ROLES: frozenset[str] = frozenset({Role.IOC_OPERATOR})
AGENCY_ROLES: frozenset[str] = frozenset({Role.AGENCY_HEAD, Role.SPECIALIST, Role.CLERK})


def _root(path: str) -> str:
    return "/" + path.strip("/").split("/")[0] + "/"


def desk_roots(user: Any) -> set[str] | None:
    """Tree roots (paths) of the provinces where ``user`` works at the desk; None means everywhere."""
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return None
    return {_root(path) for role, path, _id in memberships_of(user) if role in DESK_ROLES and path}


def desk_reaches(user: Any, organization: Organization) -> bool:
    """Whether ``user`` is at the desk of the province ``organization`` belongs to."""
    roots = desk_roots(user)
    return roots is None or any(organization.path.startswith(root) for root in roots)


def _desk_condition(user: Any) -> Q | None:
    """``None``: everything; an empty-matching Q when the user is at no desk."""
    roots = desk_roots(user)
    if roots is None:
        return None
    condition = Q(pk__in=[])
    for root in roots:
        condition |= Q(organization__path__startswith=root)
    return condition


class RequestPolicy(Policy):
    """Province-wide desk, organisation scope for agencies, plus the citizen's own requests for reads."""

    rules = {
        "view": ALL_STAFF_ROLES,
        "desk": DESK_ROLES,
        "handle": AGENCY_ROLES,
        "change": DESK_ROLES | AGENCY_ROLES,
    }

    def scope(self, queryset: QuerySet, user: Any, action: str = "view") -> QuerySet:
        desk = _desk_condition(user)
        if desk is None:
            return queryset
        if action == "desk":
            return queryset.filter(desk)
        roles = AGENCY_ROLES if action == "change" else self.roles_for(action)
        ids = org_ids_for_roles(user, roles)
        if ids is None:
            return queryset
        condition = Q(organization__in=ids)
        if action in {"view", "change"}:
            # Supporting agencies see the request and add notes; only the lead agency handles it.
            supporting = Request.supporting_agencies.through.objects.filter(organization_id__in=ids)
            condition |= Q(pk__in=supporting.values("request_id")) | desk
        if action == "view" and getattr(user, "is_authenticated", False) and user.is_active:
            condition |= Q(reporter=user)
        return queryset.filter(condition)


request_policy = register(Request, RequestPolicy())
