"""The caller's notifications: ``GET /api/v1/notifications`` and ``POST /api/v1/notifications/read``."""

# No ``from __future__ import annotations``: ninja reads these annotations at runtime.

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from pydantic import StrictInt

from cityops.core.api.base import PageNumberPagination, error_responses
from cityops.core.selectors.notifications import notification_inbox
from cityops.core.services.notifications import MAX_IDS_PER_REQUEST, notification_mark_read

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    organization_id: int | None
    created_at: datetime
    read_at: datetime | None


class NotificationFilter(Schema):
    unread: bool = Field(False, description="Only notifications not yet read.")


class MarkReadIn(Schema):
    ids: list[StrictInt] = Field(
        default_factory=list,
        max_length=MAX_IDS_PER_REQUEST,
        description=f"Ids of the caller's notifications to mark read (at most {MAX_IDS_PER_REQUEST}).",
    )
    all: bool = Field(False, description="Mark every unread notification of the caller read.")


class MarkReadOut(Schema):
    updated: int


@router.get(
    "/notifications",
    response={200: list[NotificationOut], **error_responses(400, 401)},
    summary="My notifications",
)
@paginate(PageNumberPagination)
def list_notifications(request: HttpRequest, filters: Query[NotificationFilter]) -> Any:
    """The caller's own notifications, unread first and then newest first."""
    return notification_inbox(user=request.user, unread_only=filters.unread)


@router.post(
    "/notifications/read",
    response={200: MarkReadOut, **error_responses(400, 401)},
    summary="Mark notifications read",
)
def mark_notifications_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, int]:
    """Mark some (``ids``) or all (``all: true``) of the caller's notifications read.

    Ids that are not the caller's are ignored exactly like ids that do not exist; ``updated`` counts the
    notifications that changed.
    """
    updated = notification_mark_read(user=request.user, notification_ids=payload.ids, all=payload.all)
    return {"updated": updated}
