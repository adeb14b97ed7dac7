"""Every write of the work calendar: rooms, secretaries, schedule items, publication, feed tokens, import.

Conflicts are handled as the tracker threads of calendar products ask: a person booked twice gets a
**warning** (leaders are often double-booked on purpose and a deputy goes), a meeting room booked twice is
**refused**. The room check locks the room row first, so two bookings racing for the same slot are
serialised by the database and the second one sees the first.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityops.core import audit, search
from cityops.core.choices import Role
from cityops.core.models import Membership, Organization, User
from cityops.core.permissions import ALL_STAFF_ROLES, user_has_role
from cityops.core.services.notifications import notify, register_kind
from cityops.core.text import nfc
from cityops.schedule.choices import AuditVerbs, EventStatus, FeedKind, Session
from cityops.schedule.models import MAX_CONTENT_LENGTH, Event, FeedToken, Room, SecretaryAssignment
from cityops.schedule.permissions import EDIT_ROLES, EVENT_POLICY, LEADER_ROLES
from cityops.schedule.recurrence import expand as recurrence_expand
from cityops.schedule.recurrence import normalise_rule as recurrence_normalise

__all__ = [
    "MAX_DURATION",
    "NOTIFICATION_KIND",
    "Imported",
    "Saved",
    "agency_conflicts",
    "can_create_event",
    "can_edit_event",
    "event_cancel",
    "event_create",
    "event_publish",
    "event_update",
    "events_import",
    "feed_token_create",
    "feed_token_digest",
    "feed_token_revoke",
    "feed_token_touch",
    "local_session",
    "person_conflicts",
    "room_create",
    "secretary_assign",
    "secretary_remove",
]

NOTIFICATION_KIND = "schedule"
register_kind(NOTIFICATION_KIND, gettext_lazy("Work calendar invitations and changes"))

MAX_DURATION = timedelta(days=7)
MAX_PARTICIPANTS = 200
MAX_WARNINGS = 30
MAX_IMPORT_OCCURRENCES = 2000
FEED_TOUCH_RESOLUTION = timedelta(minutes=5)
_EVENT_FIELDS = [
    "organization_id", "leader_id", "day", "session", "start", "end", "content", "location", "room_id",
    "preparing_agency_id", "accompanying_staff", "is_private", "status", "revision",
]  # fmt: skip


def _local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_session(start: datetime) -> str:
    """The half-day an item belongs to by its local start time: before noon, before 18:00, or evening."""
    hour = start.astimezone(_local_tz()).hour
    if hour < 12:
        return Session.MORNING
    return Session.AFTERNOON if hour < 18 else Session.EVENING


def _clean_text(value: Any, *, multiline: bool = False) -> str:
    """NFC, no control characters (a pasted or imported text may carry them), trimmed."""
    text = nfc(str(value or ""))
    keep = {"\n"} if multiline else set()
    text = "".join(ch if (ch in keep or ch == "\t" or ord(ch) >= 32) and ord(ch) != 127 else " " for ch in text)
    text = text.replace("\t", " ")
    if multiline:
        return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()
    return " ".join(text.split())


@dataclass
class Saved:
    """A saved item (the first occurrence of a series) and the conflict warnings the person should read (never a
    reason to refuse)."""

    event: Event
    warnings: list[str] = field(default_factory=list)
    occurrences: int = 1


# --- Who may do what ---------------------------------------------------------------------------------------


def _is_secretary(actor: Any, leader: Any, *, editing: bool = True) -> bool:
    qs = SecretaryAssignment.objects.filter(leader_id=leader.pk, secretary_id=actor.pk)
    return (qs.filter(can_edit=True) if editing else qs).exists()


def can_create_event(actor: Any, organization: Organization, leader: Any) -> bool:
    """Clerks, heads and administrators of the organisation, the leader, or one of the leader's secretaries."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if actor.pk == leader.pk or _is_secretary(actor, leader):
        return True
    return user_has_role(actor, EDIT_ROLES, organization)


def can_edit_event(actor: Any, event: Event) -> bool:
    """Whether ``actor`` may change this item (private items: only the leader and the secretaries)."""
    return EVENT_POLICY.can(actor, "change", event)


def _require_edit(actor: Any, event: Event) -> None:
    if not can_edit_event(actor, event):
        # The same answer as for an item that does not exist, so nothing leaks about private items.
        from cityops.core.permissions import NotFoundOrForbidden

        raise NotFoundOrForbidden


# --- Rooms and secretaries ------------------------------------------------------------------------------------


def room_create(*, actor: Any, organization: Organization, name: str, capacity: int | None = None) -> Room:
    """Agency heads and administrators register the meeting rooms of their organisation."""
    if not user_has_role(actor, {Role.AGENCY_HEAD, Role.ADMINISTRATOR}, organization):
        raise PermissionDenied(_("You may not manage the meeting rooms of this organisation."))
    with transaction.atomic():
        room = Room(organization=organization, name=_clean_text(name), capacity=capacity)
        room.full_clean()
        room.save()
        audit.record(verb=AuditVerbs.ROOM_CREATED, actor=actor, target=room, data={"new": audit.snapshot(room)})
    return room


def secretary_assign(
    *, actor: Any, organization: Organization, leader: User, secretary: User, can_edit: bool = True
) -> SecretaryAssignment:
    """The leader, or a head or administrator of the organisation, names who keeps the leader's calendar;
    ``can_edit=False`` gives read access only (private items included)."""
    allowed = actor.pk == leader.pk or user_has_role(actor, {Role.AGENCY_HEAD, Role.ADMINISTRATOR}, organization)
    if not allowed:
        raise PermissionDenied(_("You may not name secretaries for this leader."))
    if not user_has_role(leader, LEADER_ROLES, organization):
        raise ValidationError({"leader": _("This person is not a leader of the organisation.")})
    if not secretary.is_active or secretary.is_service_account:
        raise ValidationError({"secretary": _("Choose an active person.")})
    with transaction.atomic():
        assignment = SecretaryAssignment(
            organization=organization, leader=leader, secretary=secretary, can_edit=bool(can_edit)
        )
        assignment.full_clean()
        assignment.save()
        audit.record(
            verb=AuditVerbs.SECRETARY_ASSIGNED, actor=actor, target=assignment,
            data={"leader": leader.pk, "secretary": secretary.pk, "can_edit": assignment.can_edit},
        )  # fmt: skip
    return assignment


def secretary_remove(*, actor: Any, assignment: SecretaryAssignment) -> None:
    """End a delegation; from then on the person no longer sees the leader's private items."""
    allowed = actor.pk == assignment.leader_id or user_has_role(
        actor, {Role.AGENCY_HEAD, Role.ADMINISTRATOR}, assignment.organization
    )
    if not allowed:
        raise PermissionDenied(_("You may not change this leader's secretaries."))
    with transaction.atomic():
        audit.record(
            verb=AuditVerbs.SECRETARY_REMOVED, actor=actor, target=assignment,
            data={"leader": assignment.leader_id, "secretary": assignment.secretary_id},
        )  # fmt: skip
        assignment.delete()


# --- Conflicts ------------------------------------------------------------------------------------------------


def _overlapping(start: datetime, end: datetime, exclude_pk: int | None, exclude_series: Any = None) -> Any:
    qs = Event.objects.exclude(status=EventStatus.CANCELLED).filter(start__lt=end, end__gt=start)
    if exclude_series is not None:
        qs = qs.exclude(series=exclude_series)
    return qs.exclude(pk=exclude_pk) if exclude_pk else qs


def _check_room(room: Room | None, start: datetime, end: datetime, exclude_pk: int | None) -> None:
    """Refuse a second booking of a room; call inside the transaction, it locks the room row."""
    if room is None:
        return
    locked = Room.objects.select_for_update().get(pk=room.pk)
    if not locked.is_active:
        raise ValidationError({"room": _("This meeting room is no longer in use.")})
    clash = _overlapping(start, end, exclude_pk).filter(room_id=room.pk).order_by("start").first()
    if clash is not None:
        local = clash.start.astimezone(_local_tz())
        clash_end = clash.end.astimezone(_local_tz())
        raise ValidationError(
            {
                "room": _("%(room)s is already booked from %(start)s to %(end)s on %(day)s.")
                % {
                    "room": room.name,
                    "start": local.strftime("%H:%M"),
                    "end": clash_end.strftime("%H:%M"),
                    "day": local.strftime("%d/%m/%Y"),
                }
            }
        )


def person_conflicts(
    *,
    actor: Any,
    start: datetime,
    end: datetime,
    people: Iterable[User],
    exclude_pk: int | None = None,
    exclude_series: Any = None,
) -> list[str]:
    """Warnings for each person already booked at that time; private clashes are named only to those allowed."""
    by_pk: dict[int, User] = {p.pk: p for p in people if p is not None}
    if not by_pk:
        return []
    clashes = (
        _overlapping(start, end, exclude_pk, exclude_series)
        .filter(Q(leader_id__in=by_pk) | Q(participants__in=by_pk))
        .distinct()
        .prefetch_related("participants")
        .order_by("start", "id")[:20]
    )
    visible = set(
        Event.objects.for_user(actor, "view").filter(pk__in=[c.pk for c in clashes]).values_list("pk", flat=True)
    )
    warnings: list[str] = []
    for clash in clashes:
        involved = {clash.leader_id} | {p.pk for p in clash.participants.all()}
        local = clash.start.astimezone(_local_tz())
        what = clash.content[:80] if clash.pk in visible else _("an item you cannot see")
        for pk in sorted(involved & set(by_pk)):
            warnings.append(
                _("%(person)s is already booked at %(time)s on %(day)s: %(what)s")
                % {
                    "person": by_pk[pk],
                    "time": local.strftime("%H:%M"),
                    "day": local.strftime("%d/%m/%Y"),
                    "what": what,
                }
            )
    return warnings


def agency_conflicts(
    *,
    actor: Any,
    start: datetime,
    end: datetime,
    agencies: Iterable[Organization],
    exclude_pk: int | None = None,
    exclude_series: Any = None,
) -> list[str]:
    """Warnings for each participating agency already invited elsewhere at that time (it may have to send two
    people); only clashes the actor may see are named, and private items never count."""
    by_pk: dict[int, Organization] = {a.pk: a for a in agencies if a is not None}
    if not by_pk:
        return []
    clashes = (
        Event.objects.for_user(actor, "view")
        .filter(pk__in=_overlapping(start, end, exclude_pk, exclude_series).filter(is_private=False).values("pk"))
        .filter(participating_agencies__in=by_pk)
        .distinct()
        .prefetch_related("participating_agencies")
        .order_by("start", "id")[:20]
    )
    warnings: list[str] = []
    for clash in clashes:
        local = clash.start.astimezone(_local_tz())
        for pk in sorted({a.pk for a in clash.participating_agencies.all()} & set(by_pk)):
            warnings.append(
                _("%(agency)s is already invited at %(time)s on %(day)s: %(what)s")
                % {
                    "agency": by_pk[pk],
                    "time": local.strftime("%H:%M"),
                    "day": local.strftime("%d/%m/%Y"),
                    "what": clash.content[:80],
                }
            )
    return warnings


# --- Schedule items ---------------------------------------------------------------------------------------------


def _validate_times(start: Any, end: Any) -> tuple[datetime, datetime]:
    errors: dict[str, str] = {}
    if not isinstance(start, datetime):
        errors["start"] = _("Enter the start date and time.")
    if not isinstance(end, datetime):
        errors["end"] = _("Enter the end date and time.")
    if errors:
        raise ValidationError(errors)
    if timezone.is_naive(start):
        start = start.replace(tzinfo=_local_tz())
    if timezone.is_naive(end):
        end = end.replace(tzinfo=_local_tz())
    if not 2000 <= start.year <= 2100:
        raise ValidationError({"start": _("Choose a date between the years 2000 and 2100.")})
    if end <= start:
        raise ValidationError({"end": _("The end must be after the start.")})
    if end - start > MAX_DURATION:
        raise ValidationError({"end": _("An item lasts at most seven days.")})
    return start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))


def _validate_people(participants: Iterable[User]) -> list[User]:
    people = list({p.pk: p for p in participants}.values())
    if len(people) > MAX_PARTICIPANTS:
        raise ValidationError({"participants": _("Invite at most %(max)d people.") % {"max": MAX_PARTICIPANTS}})
    if any(not p.is_active or p.is_service_account for p in people):
        raise ValidationError({"participants": _("Invite only active people.")})
    return people


def _validate_room(room: Room | None, organization: Organization) -> None:
    if room is not None and not organization.is_within(room.organization):
        raise ValidationError({"room": _("Choose a meeting room of this organisation or one above it.")})


def _apply(event: Event, values: dict[str, Any]) -> None:
    start, end = _validate_times(values["start"], values["end"])
    session = values.get("session") or local_session(start)
    if session not in Session.values:
        raise ValidationError({"session": _("Choose morning, afternoon or evening.")})
    content = _clean_text(values.get("content"), multiline=True)
    if len(content) > MAX_CONTENT_LENGTH:
        raise ValidationError({"content": _("The content is too long.")})
    event.start, event.end, event.session = start, end, session
    event.day = start.astimezone(_local_tz()).date()
    event.content = content
    event.location = _clean_text(values.get("location"))
    event.accompanying_staff = _clean_text(values.get("accompanying_staff"))
    event.room = values.get("room")
    event.preparing_agency = values.get("preparing_agency")
    event.is_private = bool(values.get("is_private"))
    _validate_room(event.room, event.organization)


def _save(event: Event, participants: list[User], agencies: Iterable[Organization]) -> None:
    event.full_clean()
    event.save()
    event.participants.set(participants)
    event.participating_agencies.set(list(agencies))
    search.index(event)


def _full_snapshot(event: Event) -> dict[str, Any]:
    data = audit.snapshot(event, _EVENT_FIELDS)
    data["participants"] = sorted(event.participants.values_list("pk", flat=True))
    data["participating_agencies"] = sorted(event.participating_agencies.values_list("pk", flat=True))
    return data


def event_create(
    *,
    actor: Any,
    organization: Organization,
    leader: User,
    start: datetime,
    end: datetime,
    content: str,
    location: str = "",
    room: Room | None = None,
    session: str = "",
    participants: Iterable[User] = (),
    participating_agencies: Iterable[Organization] = (),
    preparing_agency: Organization | None = None,
    accompanying_staff: str = "",
    is_private: bool = False,
    source_uid: str = "",
    recurrence: str = "",
    exceptions: Iterable[date] = (),
) -> Saved:
    """Add a draft item to a leader's schedule; the secretary or the office acts on the leader's behalf.

    With a ``recurrence`` rule (RRULE) every occurrence becomes its own draft item of one series, each checked
    for room bookings (any clash refuses the whole series) and person conflicts; ``exceptions`` are days left out.
    """
    if not can_create_event(actor, organization, leader):
        raise PermissionDenied(_("You may not add items to this leader's schedule."))
    if not leader.is_active or not user_has_role(leader, LEADER_ROLES, organization):
        raise ValidationError({"leader": _("The presiding leader must be a leader of the organisation.")})
    people = _validate_people(participants)
    participating_agencies = list(participating_agencies)
    values = dict(
        start=start, end=end, content=content, location=location, room=room, session=session,
        preparing_agency=preparing_agency, accompanying_staff=accompanying_staff, is_private=is_private,
    )  # fmt: skip
    first = Event(organization=organization, leader=leader)
    _apply(first, values)  # validates the first occurrence before a rule is expanded
    rule = recurrence_normalise(recurrence)
    starts = [first.start]
    truncated = False
    if rule:
        expansion = recurrence_expand(rule, first.start, exceptions=exceptions)
        starts, truncated = expansion.starts, expansion.truncated
    duration = first.end - first.start
    series = uuid.uuid4() if rule else None
    events: list[Event] = []
    with transaction.atomic():
        for occurrence_start in starts:
            event = Event(
                organization=organization, leader=leader, status=EventStatus.DRAFT, created_by=actor,
                updated_by=actor, last_changed_at=timezone.now(), source_uid=_clean_text(source_uid)[:255],
                series=series, recurrence=rule,
            )  # fmt: skip
            _apply(event, {**values, "start": occurrence_start, "end": occurrence_start + duration})
            _check_room(event.room, event.start, event.end, None)
            _save(event, people, participating_agencies)
            audit.record(
                verb=AuditVerbs.EVENT_CREATED, actor=actor, target=event,
                data={"new": _full_snapshot(event), "on_behalf_of": leader.pk if leader.pk != actor.pk else None},
            )  # fmt: skip
            events.append(event)
    warnings: list[str] = []
    for event in events:
        warnings += person_conflicts(
            actor=actor, start=event.start, end=event.end, people=[leader, *people], exclude_pk=event.pk,
            exclude_series=series,
        )  # fmt: skip
        warnings += agency_conflicts(
            actor=actor, start=event.start, end=event.end, agencies=participating_agencies, exclude_pk=event.pk,
            exclude_series=series,
        )  # fmt: skip
        if len(warnings) > MAX_WARNINGS:
            break
    if truncated:
        warnings.append(
            _("The item repeats without an end; occurrences were created until %(day)s.")
            % {"day": events[-1].day.strftime("%d/%m/%Y")}
        )
    return Saved(events[0], warnings[:MAX_WARNINGS], occurrences=len(events))


def event_update(
    *,
    actor: Any,
    event: Event,
    start: datetime,
    end: datetime,
    content: str,
    location: str = "",
    room: Room | None = None,
    session: str = "",
    participants: Iterable[User] = (),
    participating_agencies: Iterable[Organization] = (),
    preparing_agency: Organization | None = None,
    accompanying_staff: str = "",
    is_private: bool = False,
) -> Saved:
    """Change an item; a published one stays published with the next revision, and participants are told."""
    _require_edit(actor, event)
    if event.status == EventStatus.CANCELLED:
        raise ValidationError(_("A cancelled item cannot be changed."))
    people = _validate_people(participants)
    participating_agencies = list(participating_agencies)
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event.pk)
        before = _full_snapshot(event)
        values = dict(
            start=start, end=end, content=content, location=location, room=room, session=session,
            preparing_agency=preparing_agency, accompanying_staff=accompanying_staff, is_private=is_private,
        )  # fmt: skip
        _apply(event, values)
        _check_room(event.room, event.start, event.end, event.pk)
        event.updated_by = actor
        event.last_changed_at = timezone.now()
        if event.status == EventStatus.PUBLISHED:
            event.revision += 1
        _save(event, people, participating_agencies)
        after = _full_snapshot(event)
        audit.record(verb=AuditVerbs.EVENT_UPDATED, actor=actor, target=event, data={"old": before, "new": after})
        if event.status == EventStatus.PUBLISHED:
            _tell(event, actor, _("Schedule changed: %(content)s"))
    warnings = person_conflicts(
        actor=actor, start=event.start, end=event.end, people=[event.leader, *people], exclude_pk=event.pk
    )
    warnings += agency_conflicts(
        actor=actor, start=event.start, end=event.end, agencies=participating_agencies, exclude_pk=event.pk
    )
    return Saved(event, warnings)


def _series_members(event: Event, *, from_start: bool) -> list[Event]:
    """The occurrences of ``event``'s series (locked), or just the item when it stands alone."""
    if event.series is None:
        return [Event.objects.select_for_update().get(pk=event.pk)]
    qs = Event.objects.select_for_update().filter(series=event.series, organization_id=event.organization_id)
    if from_start:
        qs = qs.filter(start__gte=event.start)
    return list(qs.order_by("start", "id"))


def event_publish(*, actor: Any, event: Event, whole_series: bool = False) -> Event:
    """Make a draft public (revision 1) and send the invitations; ``whole_series`` publishes every draft
    occurrence of a recurring item with a single invitation."""
    _require_edit(actor, event)
    with transaction.atomic():
        members = _series_members(event, from_start=False) if whole_series else _series_members_one(event)
        drafts = [m for m in members if m.status == EventStatus.DRAFT]
        if not drafts or (not whole_series and members[0].status != EventStatus.DRAFT):
            raise ValidationError(_("Only a draft can be published."))
        now = timezone.now()
        for item in drafts:
            item.status = EventStatus.PUBLISHED
            item.revision += 1
            item.published_at = item.published_at or now
            item.last_changed_at = now
            item.updated_by = actor
            item.full_clean()
            item.save()
            search.index(item)
            on_behalf_of = item.leader_id if item.leader_id != actor.pk else None
            audit.record(
                verb=AuditVerbs.EVENT_PUBLISHED, actor=actor, target=item,
                data={"revision": item.revision, "on_behalf_of": on_behalf_of},
            )  # fmt: skip
        template = _("Invitation: %(content)s")
        if len(drafts) > 1:
            template = _("Invitation (%(count)d occurrences): %(content)s").replace("%(count)d", str(len(drafts)))
        _tell(drafts[0], actor, template)
    return next((d for d in drafts if d.pk == event.pk), drafts[0])


def _series_members_one(event: Event) -> list[Event]:
    return [Event.objects.select_for_update().get(pk=event.pk)]


def event_cancel(*, actor: Any, event: Event, following: bool = False) -> Event:
    """Cancel an item; a published one keeps showing as cancelled (with the next revision) so readers see it.

    ``following`` cancels this occurrence and every later one of its series (a recurring meeting that ends).
    """
    _require_edit(actor, event)
    with transaction.atomic():
        members = _series_members(event, from_start=True) if following else _series_members_one(event)
        if members[0].pk == event.pk and members[0].status == EventStatus.CANCELLED:
            raise ValidationError(_("This item is already cancelled."))
        told: Event | None = None
        count = 0
        for item in members:
            if item.status == EventStatus.CANCELLED or not can_edit_event(actor, item):
                continue
            was_published = item.status == EventStatus.PUBLISHED
            item.status = EventStatus.CANCELLED
            if was_published:
                item.revision += 1
                told = told or item
            item.last_changed_at = timezone.now()
            item.updated_by = actor
            item.full_clean()
            item.save()
            search.index(item)
            count += 1
            audit.record(
                verb=AuditVerbs.EVENT_CANCELLED, actor=actor, target=item, data={"was_published": was_published}
            )
        if told is not None:
            template = _("Cancelled: %(content)s")
            if count > 1:
                template = _("Cancelled (%(count)d occurrences): %(content)s").replace("%(count)d", str(count))
            _tell(told, actor, template)
    event.refresh_from_db()
    return event


def _tell(event: Event, actor: Any, template: str) -> None:
    """Invite (or update) participants and the heads of the agencies taking part; never for private items."""
    if event.is_private:
        return
    agencies = [*event.participating_agencies.all(), *([event.preparing_agency] if event.preparing_agency else [])]
    heads = User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.filter(organization__in=agencies, role=Role.AGENCY_HEAD).values("user_id"),
    )
    recipients = {u.pk: u for u in [*event.participants.all(), *heads, event.leader] if u.pk != actor.pk}
    local = event.start.astimezone(_local_tz())
    notify(
        recipients=recipients.values(), kind=NOTIFICATION_KIND,
        title=template % {"content": event.content[:120]},
        body=f"{local:%H:%M %d/%m/%Y} · {event.room or event.location}",
        url=reverse("schedule:event", args=[event.pk]), organization=event.organization,
    )  # fmt: skip


# --- Feed tokens ----------------------------------------------------------------------------------------------


def feed_token_digest(raw: str) -> str:
    """Tokens carry ~256 random bits, so a plain SHA-256 digest is enough to store them."""
    return hashlib.sha256(raw.encode("ascii", "replace")).hexdigest()


def _first_org(user: User) -> Organization | None:
    membership = Membership.objects.filter(user=user, organization__is_active=True).select_related("organization")
    first = membership.order_by("-is_primary", "organization__path").first()
    return first.organization if first else None


def feed_token_create(
    *,
    actor: Any,
    kind: str,
    person: User | None = None,
    agency: Organization | None = None,
    room: Room | None = None,
) -> tuple[FeedToken, str]:
    """A new subscription address; the secret is returned once and only its digest is kept."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    organization: Organization | None
    if kind == FeedKind.PERSON and person is not None:
        if person.pk != actor.pk and not _is_secretary(actor, person, editing=False):
            raise PermissionDenied(_("You may create a feed only of your own calendar or a leader's you keep."))
        organization = _first_org(person)
        agency = room = None
    elif kind == FeedKind.AGENCY and agency is not None:
        if not user_has_role(actor, ALL_STAFF_ROLES, agency):
            raise PermissionDenied(_("You may create a feed only of an agency you work in."))
        organization, person, room = agency, None, None
    elif kind == FeedKind.ROOM and room is not None:
        if not user_has_role(actor, ALL_STAFF_ROLES, room.organization):
            raise PermissionDenied(_("You may create a feed only of a room of your organisation."))
        organization, person, agency = room.organization, None, None
    else:
        raise ValidationError({"kind": _("Choose what the feed shows.")})
    if organization is None:
        raise ValidationError({"person": _("This person belongs to no organisation.")})
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = FeedToken(
            organization=organization, kind=kind, person=person, agency=agency, room=room,
            digest=feed_token_digest(raw), prefix=raw[:8], created_by=actor,
        )  # fmt: skip
        token.full_clean()
        token.save()
        audit.record(
            verb=AuditVerbs.FEED_CREATED, actor=actor, target=token, data={"kind": kind, "prefix": token.prefix}
        )
    return token, raw


def feed_token_touch(token: FeedToken) -> None:
    """Note when a feed was last read (at most every few minutes), so unused addresses can be spotted.

    Not audited: calendar clients poll all day and the trail would drown in reads.
    """
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > FEED_TOUCH_RESOLUTION:
        FeedToken.objects.filter(pk=token.pk).update(last_used_at=now)


def feed_token_revoke(*, actor: Any, token: FeedToken) -> FeedToken:
    """Stop a subscription address from working (its creator, or the person the feed is about)."""
    if actor.pk not in {token.created_by_id, token.person_id} and not actor.is_superuser:
        raise PermissionDenied(_("You may not revoke this feed."))
    with transaction.atomic():
        token = FeedToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at", "updated_at"])
            audit.record(verb=AuditVerbs.FEED_REVOKED, actor=actor, target=token, data={"prefix": token.prefix})
    return token


# --- Import -----------------------------------------------------------------------------------------------------


@dataclass
class Imported:
    """The draft items created from a file and what the person should check."""

    events: list[Event]
    warnings: list[str] = field(default_factory=list)
    occurrences: int = 0


def events_import(*, actor: Any, organization: Organization, leader: User, data: bytes) -> Imported:
    """Turn an ``.ics`` file into draft items of a leader's schedule: all of them, or none and a clear error.

    Items already imported (same UID in the same organisation) are skipped, so importing a file twice does
    not duplicate it. A recurring item (RRULE with EXDATE) becomes a series of occurrences, bounded like one
    entered in the form; an occurrence moved in the file (RECURRENCE-ID) replaces the one of its day.
    """
    from cityops.schedule import ical

    if not can_create_event(actor, organization, leader):
        raise PermissionDenied(_("You may not add items to this leader's schedule."))
    parsed = ical.parse_ics(data)
    moved: dict[str, set[date]] = {}
    for item in parsed:
        if item.uid and item.recurrence_id is not None:
            moved.setdefault(item.uid, set()).add(item.recurrence_id)
    planned = 0
    for index, item in enumerate(parsed, start=1):
        if item.rule and item.recurrence_id is None:
            try:
                exceptions = [*item.exceptions, *moved.get(item.uid, set())]
                planned += len(recurrence_expand(item.rule, item.start, exceptions=exceptions).starts)
            except ValidationError as exc:
                raise ValidationError(
                    _("Item %(n)d: %(error)s") % {"n": index, "error": " ".join(exc.messages)}
                ) from exc
        else:
            planned += 1
        if planned > MAX_IMPORT_OCCURRENCES:
            raise ValidationError(
                _("The file would add more than %(max)d items; import it in parts.") % {"max": MAX_IMPORT_OCCURRENCES}
            )
    result = Imported(events=[])
    seen = set(
        Event.objects.filter(organization=organization, source_uid__in=[p.key for p in parsed if p.key]).values_list(
            "source_uid", flat=True
        )
    )
    with transaction.atomic():
        for index, item in enumerate(parsed, start=1):
            if item.key and item.key in seen:
                result.warnings.append(_("Item %(n)d was imported before and was skipped.") % {"n": index})
                continue
            if item.key:
                seen.add(item.key)
            rule = item.rule if item.recurrence_id is None else ""
            try:
                saved = event_create(
                    actor=actor, organization=organization, leader=leader, start=item.start, end=item.end,
                    content=item.content, location=item.location, source_uid=item.key, recurrence=rule,
                    exceptions=[*item.exceptions, *moved.get(item.uid, set())] if rule else (),
                )  # fmt: skip
            except ValidationError as exc:
                raise ValidationError(
                    _("Item %(n)d: %(error)s") % {"n": index, "error": " ".join(exc.messages)}
                ) from exc
            if item.recurring and not rule and item.recurrence_id is None:
                result.warnings.append(_("Item %(n)d repeats; only its first occurrence was imported.") % {"n": index})
            result.events.append(saved.event)
            result.occurrences += saved.occurrences
            result.warnings.extend(saved.warnings)
        audit.record(
            verb=AuditVerbs.EVENTS_IMPORTED, actor=actor, organization=organization,
            data={"count": result.occurrences, "leader": leader.pk},
        )  # fmt: skip
    return result
