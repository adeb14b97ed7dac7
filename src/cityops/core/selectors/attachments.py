"""Permission-scoped reads of attachments."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import QuerySet

from cityops.core.models import Attachment
from cityops.core.permissions import get_for_user

__all__ = ["attachment_get", "attachment_list", "attachment_list_for_target"]


def attachment_list(*, user: Any) -> QuerySet[Attachment]:
    """Every attachment ``user`` may see: their organisations' files, public files and their own uploads."""
    return Attachment.objects.for_user(user, "view").select_related("organization")


def attachment_get(*, user: Any, pk: Any) -> Attachment:
    """One attachment ``user`` may see; missing and forbidden raise the same ``NotFoundOrForbidden``."""
    return get_for_user(Attachment.objects.select_related("organization"), user, "view", pk=pk)


def attachment_list_for_target(*, user: Any, target: models.Model) -> QuerySet[Attachment]:
    """The files attached to one record that ``user`` may see, oldest first (the order they were added)."""
    return (
        attachment_list(user=user)
        .filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        .order_by("created_at", "id")
    )
