"""The schedule API router, mounted at /api/v1/schedule: read the items a caller may see, and create, change,
publish and cancel them with the same services (and so the same permission, conflict and room rules) as the
pages. Conflict warnings for people come back in ``warnings``; a double-booked room is a 400 on ``room``.
"""

# No ``from __future__ import annotations``: ninja reads these annotations at runtime.

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from cityops.core.api.base import PageNumberPagination, error_responses
from cityops.schedule import selectors, services
from cityops.schedule.choices import EventStatus, Session
from cityops.schedule.models import MAX_CONTENT_LENGTH, Event
from cityops.schedule.recurrence import MAX_EXCEPTIONS, MAX_RULE_LENGTH

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


class EventChangeIn(Schema):
    start: datetime = Field(..., description="Start; a time without offset is read as Asia/Ho_Chi_Minh.")
    end: datetime
    content: str = Field(..., min_length=1, max_length=MAX_CONTENT_LENGTH)
    location: str = Field("", max_length=255)
    room: int | None = Field(None, ge=1, le=2**53, description="Meeting room id; a double booking is refused.")
    session: Session | None = None
    participant_ids: list[int] = Field(default_factory=list, max_length=200)
    participating_agency_ids: list[int] = Field(default_factory=list, max_length=200)
    preparing_agency_id: int | None = Field(None, ge=1, le=2**53)
    accompanying_staff: str = Field("", max_length=500)
    is_private: bool = False


class EventCreateIn(EventChangeIn):
    organization: int = Field(..., ge=1, le=2**53)
    leader: int = Field(..., ge=1, le=2**53)
    recurrence: str = Field("", max_length=MAX_RULE_LENGTH, description="RRULE, e.g. FREQ=WEEKLY;COUNT=10.")
    exceptions: list[date] = Field(default_factory=list, max_length=MAX_EXCEPTIONS, description="Days left out.")


class EventSavedOut(Schema):
    event: EventOut
    occurrences: int
    warnings: list[str]


class PublishIn(Schema):
    whole_series: bool = Field(False, description="Publish every draft occurrence of a recurring item.")


class CancelIn(Schema):
    following: bool = Field(False, description="Also cancel the later occurrences of a recurring item.")


def _resolve(request: HttpRequest, payload: EventChangeIn) -> dict[str, object]:
    """Ids to records the caller may use; an unknown or unusable id is a 400 on its field."""
    from cityops.core.models import Organization, User

    values: dict[str, object] = {
        "start": payload.start, "end": payload.end, "content": payload.content, "location": payload.location,
        "session": payload.session.value if payload.session else "", "accompanying_staff": payload.accompanying_staff,
        "is_private": payload.is_private,
    }  # fmt: skip
    errors: dict[str, str] = {}
    room = None
    if payload.room is not None:
        room = selectors.room_choices(request.user).filter(pk=payload.room).first()
        if room is None:
            errors["room"] = _("Choose a meeting room you may book.")
    people = list(User.objects.filter(pk__in=set(payload.participant_ids), is_active=True))
    if len(people) != len(set(payload.participant_ids)):
        errors["participant_ids"] = _("Invite only active people.")
    active = Organization.objects.filter(is_active=True)
    agencies = list(active.filter(pk__in=set(payload.participating_agency_ids)))
    if len(agencies) != len(set(payload.participating_agency_ids)):
        errors["participating_agency_ids"] = _("Unknown agency.")
    preparing = None
    if payload.preparing_agency_id is not None:
        preparing = active.filter(pk=payload.preparing_agency_id).first()
        if preparing is None:
            errors["preparing_agency_id"] = _("Unknown agency.")
    if errors:
        raise ValidationError(errors)
    values.update(room=room, participants=people, participating_agencies=agencies, preparing_agency=preparing)
    return values


def _saved(request: HttpRequest, saved: services.Saved) -> dict[str, object]:
    event = selectors.event_get(actor=request.user, pk=saved.event.pk)
    return {"event": event, "occurrences": saved.occurrences, "warnings": saved.warnings}


@router.post("/events", response={201: EventSavedOut, **error_responses(400, 401, 403)}, summary="Add a draft item")
def create_event(request: HttpRequest, payload: EventCreateIn) -> Status[dict[str, object]]:
    """Add a draft item (or a recurring series) to a leader's schedule, as the pages do."""
    from cityops.core.models import Organization, User

    organization = selectors.organization_choices(request.user).filter(pk=payload.organization).first()
    leader = User.objects.filter(pk=payload.leader).first()
    if organization is None and not Organization.objects.filter(pk=payload.organization).exists():
        raise ValidationError({"organization": _("Unknown organisation.")})
    if leader is None:
        raise ValidationError({"leader": _("Unknown leader.")})
    organization = organization or Organization.objects.get(pk=payload.organization)
    saved = services.event_create(
        actor=request.user, organization=organization, leader=leader, recurrence=payload.recurrence,
        exceptions=payload.exceptions, **_resolve(request, payload),  # type: ignore[arg-type]
    )  # fmt: skip
    return Status(201, _saved(request, saved))


@router.put(
    "/events/{int:event_id}", response={200: EventSavedOut, **error_responses(400, 401, 404)}, summary="Change an item"
)
def update_event(request: HttpRequest, event_id: int, payload: EventChangeIn) -> dict[str, object]:
    """Change one item (one occurrence of a series); a published one gets the next revision."""
    event = selectors.event_get(actor=request.user, pk=event_id, action="change")
    saved = services.event_update(actor=request.user, event=event, **_resolve(request, payload))  # type: ignore[arg-type]
    return _saved(request, saved)


@router.post(
    "/events/{int:event_id}/publish", response={200: EventOut, **error_responses(400, 401, 404)}, summary="Publish"
)
def publish_event(request: HttpRequest, event_id: int, payload: PublishIn) -> Event:
    """Publish a draft (or every draft of its series) and send the invitations."""
    event = selectors.event_get(actor=request.user, pk=event_id, action="change")
    services.event_publish(actor=request.user, event=event, whole_series=payload.whole_series)
    return selectors.event_get(actor=request.user, pk=event_id)


@router.post(
    "/events/{int:event_id}/cancel", response={200: EventOut, **error_responses(400, 401, 404)}, summary="Cancel"
)
def cancel_event(request: HttpRequest, event_id: int, payload: CancelIn) -> Event:
    """Cancel an item (and, with ``following``, the later occurrences of its series)."""
    event = selectors.event_get(actor=request.user, pk=event_id, action="change")
    services.event_cancel(actor=request.user, event=event, following=payload.following)
    return selectors.event_get(actor=request.user, pk=event_id)
