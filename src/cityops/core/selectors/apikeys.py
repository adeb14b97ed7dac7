"""Permission-scoped reads of API keys: an administrator sees the keys of the organisations they administer."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from cityops.core.choices import Role
from cityops.core.models import ApiKey
from cityops.core.permissions import NotFoundOrForbidden, Policy

__all__ = ["apikey_get", "apikey_list", "apikey_policy"]

# Keys are not a TenantScopedModel (no ``for_user`` manager), so their policy is applied here directly.
apikey_policy = Policy(rules={"view": {Role.ADMINISTRATOR}, "revoke": {Role.ADMINISTRATOR}})


def apikey_list(*, actor: Any, active_only: bool = False) -> QuerySet[ApiKey]:
    """Keys of every organisation ``actor`` administers (all of them for a superuser), newest first."""
    if not getattr(actor, "is_authenticated", False):
        return ApiKey.objects.none()
    qs = apikey_policy.scope(ApiKey.objects.select_related("user", "organization", "created_by"), actor, "view")
    if active_only:
        qs = qs.filter(revoked_at__isnull=True).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
    return qs


def apikey_get(*, actor: Any, key_id: Any, action: str = "view") -> ApiKey:
    """One key ``actor`` administers; ``NotFoundOrForbidden`` whether it is missing or someone else's."""
    if not getattr(actor, "is_authenticated", False):
        raise NotFoundOrForbidden
    qs = apikey_policy.scope(ApiKey.objects.select_related("user", "organization"), actor, action)
    try:
        return qs.get(pk=key_id)
    except (ApiKey.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFoundOrForbidden from exc
