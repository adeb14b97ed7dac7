"""Template context shared by every page: the component menu and the unread notification count."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from cityops.core.navigation import components


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        from cityops.core.selectors.notifications import notification_unread_count

        unread = notification_unread_count(user=user)
    return {"nav_components": components(), "unread_notifications": unread}
