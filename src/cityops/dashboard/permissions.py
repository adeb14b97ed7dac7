"""Who may use the dashboard: every official (citizens and integrators are refused); administrators also set
the default board of each role and the indicator targets. What each reader sees inside it comes from the
selectors of the modules it draws from (feedback, data hub, the live feed), scoped by their own policies."""

from __future__ import annotations

from typing import Any

from cityops.core.choices import Role
from cityops.core.permissions import ALL_STAFF_ROLES, user_has_role

__all__ = ["ADMIN_ROLES", "VIEW_ROLES", "can_configure", "can_view"]

VIEW_ROLES: frozenset[str] = ALL_STAFF_ROLES
ADMIN_ROLES: frozenset[str] = frozenset({Role.ADMINISTRATOR})


def can_view(user: Any) -> bool:
    """Officials only: the dashboard shows internal data."""
    return user_has_role(user, VIEW_ROLES)


def can_configure(user: Any) -> bool:
    """Default boards per role are an administrator's choice."""
    return user_has_role(user, ADMIN_ROLES)
