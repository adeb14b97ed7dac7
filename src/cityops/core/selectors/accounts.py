"""Reads of a person's own account: their memberships of organisations and their two-factor devices."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from cityops.core.models import Membership

__all__ = ["own_memberships", "own_two_factor_devices"]


def own_memberships(*, user: Any) -> QuerySet[Membership]:
    """The roles a person holds in active organisations: a person always sees their own, nobody else's."""
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user, organization__is_active=True)
        .select_related("organization")
        .order_by("-is_primary", "organization__path", "role")
    )


def own_two_factor_devices(*, user: Any) -> list[Any]:
    """The person's confirmed authenticator devices (names only are shown, never secrets)."""
    from django_otp import devices_for_user

    if not getattr(user, "is_authenticated", False):
        return []
    return list(devices_for_user(user, confirmed=True))
