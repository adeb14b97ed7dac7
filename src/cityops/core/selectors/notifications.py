"""Reads of a person's own notifications and preferences, and of the announcements they may see."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from cityops.core.models import Announcement, Notification, NotificationPreference
from cityops.core.permissions import ALL_STAFF_ROLES, NotFoundOrForbidden, memberships_of, org_ids_for_roles

__all__ = [
    "announcement_list",
    "notification_get",
    "notification_inbox",
    "notification_list",
    "notification_preferences",
    "notification_unread_count",
]


def notification_list(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """A person sees only notifications addressed to them."""
    if not getattr(user, "is_authenticated", False):
        return Notification.objects.none()
    qs = Notification.objects.filter(recipient=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def notification_inbox(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """The person's notifications for the inbox page: unread first, then newest first."""
    return notification_list(user=user, unread_only=unread_only).order_by(
        F("read_at").asc(nulls_first=True), "-created_at", "-id"
    )


def notification_get(*, user: Any, pk: Any) -> Notification:
    """One of the person's own notifications; someone else's answers exactly like a missing one."""
    try:
        return notification_list(user=user).get(pk=int(pk))
    except (Notification.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFoundOrForbidden from exc


def notification_unread_count(*, user: Any) -> int:
    return notification_list(user=user, unread_only=True).count()


def notification_preferences(*, user: Any) -> dict[str, NotificationPreference]:
    """The person's saved choices by kind (kinds without a row use the defaults)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    return {p.kind: p for p in NotificationPreference.objects.filter(user=user)}


def announcement_list(*, user: Any) -> QuerySet[Announcement]:
    """Published announcements ``user`` may read, newest first.

    Public ones are for everyone. Internal ones reach the staff of the publishing organisation's subtree
    (a notice of the province reaches every agency) and those who hold a staff role above it.
    """
    published = Announcement.objects.filter(published_at__isnull=False, published_at__lte=timezone.now())
    published = published.select_related("organization").order_by("-published_at", "-id")
    reach = org_ids_for_roles(user, ALL_STAFF_ROLES)
    if reach is None:
        return published
    own_chain: set[int] = set()
    for role, path, _org_id in memberships_of(user):
        if role in ALL_STAFF_ROLES:
            own_chain.update(int(part) for part in path.strip("/").split("/") if part)
    return published.filter(Q(is_public=True) | Q(organization__in=reach) | Q(organization_id__in=own_chain))
