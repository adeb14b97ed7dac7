"""The schedule API router, mounted at /api/v1/schedule: read the items a caller may see.

Writes stay in the web UI for now (the form shows conflict warnings a client would also need to show).
"""

# No ``from __future__ import annotations``: ninja reads these annotations at runtime.

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from cityops.core.api.base import PageNumberPagination, error_responses
from cityops.schedule import selectors
from cityops.schedule.choices import EventStatus, Session
from cityops.schedule.models import Event

router = Router(tags=["schedule"])


class EventOut(Schema):
    id: int
    uid: str
    organization_id: int
    leader_id: int
    leader_name: str
    day: date
    session: Session
    start: datetime
    end: datetime
    content: str
    location: str
    room: str | None
    participant_ids: list[int]
    participating_agency_ids: list[int]
    preparing_agency_id: int | None
    accompanying_staff: str
    is_private: bool
    status: EventStatus
    revision: int
    last_changed_at: datetime

    @staticmethod
    def resolve_uid(obj: Event) -> str:
        return obj.ical_uid

    @staticmethod
    def resolve_leader_name(obj: Event) -> str:
        return str(obj.leader)

    @staticmethod
    def resolve_room(obj: Event) -> str | None:
        return obj.room.name if obj.room else None

    @staticmethod
    def resolve_participant_ids(obj: Event) -> list[int]:
        return [p.pk for p in obj.participants.all()]

    @staticmethod
    def resolve_participating_agency_ids(obj: Event) -> list[int]:
        return [a.pk for a in obj.participating_agencies.all()]


class EventFilter(Schema):
    week: str | None = Field(None, pattern=r"^\d{4}-W\d{1,2}$", description="ISO week, e.g. 2026-W48 (default: now).")
    organization: int | None = Field(None, ge=1, le=2**53, description="Only this organisation's items.")
    leader: int | None = Field(None, ge=1, le=2**53, description="Only items this person presides or attends.")
    published_only: bool = Field(False, description="Leave out drafts.")


@router.get("/events", response={200: list[EventOut], **error_responses(400, 401)}, summary="Items of a week")
@paginate(PageNumberPagination)
def list_events(request: HttpRequest, filters: Query[EventFilter]) -> object:
    """The week's items the caller may see (published ones, drafts of their organisations, their private ones)."""
    from cityops.core.models import Organization, User

    organization = Organization.objects.filter(pk=filters.organization).first() if filters.organization else None
    leader = User.objects.filter(pk=filters.leader).first() if filters.leader else None
    if (filters.organization and organization is None) or (filters.leader and leader is None):
        return Event.objects.none()
    return selectors.event_list(
        actor=request.user, start_day=selectors.week_start(filters.week), organization=organization,
        leader=leader, published_only=filters.published_only,
    )  # fmt: skip


@router.get("/events/{int:event_id}", response={200: EventOut, **error_responses(401, 404)}, summary="One item")
def get_event(request: HttpRequest, event_id: int) -> Event:
    """One item; missing and hidden items are both 404."""
    return selectors.event_get(actor=request.user, pk=event_id)
