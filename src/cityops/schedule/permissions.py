"""Who may see and change schedule items.

* Published, non-private items are what provinces post on their portals: every signed-in person sees them.
* Drafts (and items cancelled before publication) are seen by the staff of the owning organisation's subtree.
* Private items are seen and changed only by their presiding leader and the leader's secretaries — not by the
  organisation's clerks, administrators or anyone else (superusers excepted, as everywhere).
* Changing a non-private item: clerks, agency heads and administrators of the owning subtree, and the leader
  and secretaries.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from cityops.core.choices import Role
from cityops.core.permissions import ALL_STAFF_ROLES, Policy, org_ids_for_roles, register
from cityops.schedule.choices import EventStatus
from cityops.schedule.models import Event, FeedToken, Room, SecretaryAssignment

__all__ = ["EDIT_ROLES", "EVENT_POLICY", "LEADER_ROLES", "EventPolicy", "leaders_served_by"]

EDIT_ROLES = frozenset({Role.CLERK, Role.AGENCY_HEAD, Role.ADMINISTRATOR})
LEADER_ROLES = frozenset({Role.LEADER, Role.AGENCY_HEAD})


def leaders_served_by(user: Any, *, editing: bool = False) -> QuerySet:
    """Ids of the leaders whose calendar ``user`` keeps (as a subquery); ``editing``: only where they may edit."""
    qs = SecretaryAssignment.objects.filter(secretary_id=getattr(user, "pk", None))
    if editing:
        qs = qs.filter(can_edit=True)
    return qs.values("leader_id")


class EventPolicy(Policy):
    """Organisation scope for drafts, everyone for published items, leader and secretaries for private ones."""

    def scope(self, queryset: QuerySet, user: Any, action: str = "view") -> QuerySet:
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return queryset.none()
        if user.is_superuser:
            return queryset
        own = Q(leader_id=user.pk) | Q(leader_id__in=leaders_served_by(user, editing=action != "view"))
        ids = org_ids_for_roles(user, self.roles_for(action))
        by_org = Q(organization_id__in=ids) if ids is not None else Q()
        condition = own | (by_org & Q(is_private=False))
        if action == "view":
            condition |= Q(is_private=False, status=EventStatus.PUBLISHED)
            condition |= Q(is_private=False, status=EventStatus.CANCELLED, revision__gt=0)
        return queryset.filter(condition)


EVENT_POLICY = register(Event, EventPolicy(rules={"view": ALL_STAFF_ROLES, "change": EDIT_ROLES}))
register(Room, Policy(rules={"view": ALL_STAFF_ROLES, "change": {Role.AGENCY_HEAD, Role.ADMINISTRATOR}}))
register(SecretaryAssignment, Policy(rules={"view": ALL_STAFF_ROLES, "change": {Role.AGENCY_HEAD, Role.ADMINISTRATOR}}))
register(FeedToken, Policy(rules={"view": {Role.ADMINISTRATOR}, "change": {Role.ADMINISTRATOR}}))
