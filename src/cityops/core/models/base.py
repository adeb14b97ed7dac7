"""Abstract bases: timestamps, and the tenant-scoped model every agency-owned record inherits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, cast

from django.db import models

if TYPE_CHECKING:
    from cityops.core.models.users import User


class TimeStampedModel(models.Model):
    """Adds created/updated times."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TenantQuerySet(models.QuerySet):
    """A queryset that knows how to narrow itself to what one user may see or do."""

    def for_user(self, user: User | Any, action: str = "view") -> Self:
        """Scope by the model's policy; the one entry point for every permission-scoped read."""
        from cityops.core.permissions import policy_for

        return cast(Self, policy_for(self.model).scope(self, user, action))


class TenantScopedModel(TimeStampedModel):
    """A record owned by one organisation; reads go through ``objects.for_user``."""

    organization = models.ForeignKey(
        "core.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="organization"
    )

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True
