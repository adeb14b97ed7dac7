"""Every read of the work calendar, scoped by ``for_user`` (the public page and feeds by their own rule)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from cityops.core.choices import Role
from cityops.core.models import Organization, User
from cityops.core.permissions import ALL_STAFF_ROLES, get_for_user, org_ids_for_roles, user_has_role
from cityops.schedule.choices import EventStatus, FeedKind
from cityops.schedule.models import Event, FeedToken, Room, SecretaryAssignment
from cityops.schedule.permissions import LEADER_ROLES, leaders_served_by
from cityops.schedule.services import feed_token_digest

__all__ = [
    "FEED_FUTURE",
    "FEED_PAST",
    "event_get",
    "event_list",
    "feed_events",
    "feed_people",
    "feed_token_list",
    "feed_token_resolve",
    "leader_choices",
    "managed_organizations",
    "organization_choices",
    "public_week",
    "room_choices",
    "room_list",
    "secretary_list",
    "week_organizations",
    "week_start",
    "week_summary",
]

FEED_PAST = timedelta(days=92)
FEED_FUTURE = timedelta(days=400)
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
_WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{1,2})$")


def week_start(raw: Any = None) -> date:
    """Monday of the ISO week ``YYYY-Www`` (what ``<input type=week>`` sends), or of this week."""
    match = _WEEK_PATTERN.match(str(raw or ""))
    if match and 2000 <= int(match.group(1)) <= 2100:
        try:
            return date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
        except ValueError:
            pass
    today = timezone.localdate()
    return today - timedelta(days=today.weekday())


def _with_relations(qs: QuerySet) -> QuerySet:
    return qs.select_related("leader", "room", "preparing_agency", "organization").prefetch_related(
        "participants", "participating_agencies"
    )


def event_list(
    *,
    actor: Any,
    start_day: date,
    days: int = 7,
    organization: Organization | None = None,
    leader: Any = None,
    published_only: bool = False,
) -> QuerySet:
    """Items of a week the actor may see, optionally one organisation's or one leader's."""
    qs = Event.objects.for_user(actor, "view").filter(day__gte=start_day, day__lt=start_day + timedelta(days=days))
    if organization is not None:
        qs = qs.filter(organization=organization)
    if leader is not None:
        qs = qs.filter(Q(leader=leader) | Q(participants=leader)).distinct()
    if published_only:
        qs = qs.filter(status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED], revision__gt=0)
    return _with_relations(qs).order_by("start", "id")


def event_get(*, actor: Any, pk: Any, action: str = "view") -> Event:
    """One item, or ``NotFoundOrForbidden`` for missing and hidden alike."""
    return get_for_user(_with_relations(Event.objects.all()), actor, action, pk=pk)


def public_week(*, organization: Organization, start_day: date) -> QuerySet:
    """The published, non-private items of one organisation: the page provinces post on their portals.

    It needs no sign-in, so it does not start from ``for_user``: the published-and-not-private filter is
    the whole rule.
    """
    return _with_relations(
        Event.objects.filter(
            organization=organization, is_private=False, revision__gt=0,
            status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED],
            day__gte=start_day, day__lt=start_day + timedelta(days=7),
        )
    ).order_by("start", "id")  # fmt: skip


def organization_choices(actor: Any) -> QuerySet:
    """Organisations whose schedule the actor can add to: by role, or as a leader or a secretary."""
    ids = org_ids_for_roles(actor, ALL_STAFF_ROLES)
    qs = Organization.objects.filter(is_active=True)
    if ids is None:
        return qs
    served = SecretaryAssignment.objects.filter(secretary_id=actor.pk).values("organization_id")
    return qs.filter(Q(pk__in=ids) | Q(pk__in=served))


def leader_choices(actor: Any) -> QuerySet:
    """Leaders whose schedule the actor keeps or may see: the actor, their leaders, leaders of their units."""
    ids = org_ids_for_roles(actor, ALL_STAFF_ROLES)
    qs = User.objects.filter(is_active=True, memberships__role__in=LEADER_ROLES)
    if ids is not None:
        qs = qs.filter(Q(memberships__organization_id__in=ids) | Q(pk=actor.pk) | Q(pk__in=leaders_served_by(actor)))
    return qs.distinct().order_by("full_name", "username")


def room_choices(actor: Any) -> QuerySet:
    """Active rooms the actor can book: those of their organisations and of the organisations above them."""
    ids = org_ids_for_roles(actor, ALL_STAFF_ROLES)
    qs = Room.objects.filter(is_active=True).select_related("organization")
    if ids is None:
        return qs
    orgs = Organization.objects.filter(pk__in=ids)
    ancestor_ids: set[int] = set()
    for path in orgs.values_list("path", flat=True)[:500]:
        ancestor_ids.update(int(part) for part in path.strip("/").split("/") if part)
    served = SecretaryAssignment.objects.filter(secretary_id=actor.pk).values("organization_id")
    return qs.filter(Q(organization_id__in=ancestor_ids) | Q(organization_id__in=served))


def feed_token_list(*, actor: Any) -> QuerySet:
    """The feeds the actor created or that show the actor's own calendar."""
    return (
        FeedToken.objects.filter(Q(created_by_id=actor.pk) | Q(person_id=actor.pk))
        .select_related("person", "agency", "room")
        .order_by("-created_at", "id")
    )


def feed_token_resolve(raw: str) -> FeedToken | None:
    """The live token behind a subscription address, or None (unknown, revoked, or its creator lost access)."""
    if not _TOKEN_PATTERN.match(raw or ""):
        return None
    token = (
        FeedToken.objects.filter(digest=feed_token_digest(raw), revoked_at__isnull=True)
        .select_related("created_by", "person", "agency", "room__organization")
        .first()
    )
    if token is None or not token.created_by.is_active:
        return None
    creator = token.created_by
    if token.kind == FeedKind.PERSON and token.person is not None:
        if not token.person.is_active:
            return None
        keeps = SecretaryAssignment.objects.filter(leader=token.person, secretary=creator).exists()
        if creator.pk != token.person_id and not keeps:
            return None
    elif token.kind == FeedKind.AGENCY and token.agency is not None:
        if not user_has_role(creator, ALL_STAFF_ROLES, token.agency):
            return None
    elif token.kind == FeedKind.ROOM and token.room is not None:
        if not user_has_role(creator, ALL_STAFF_ROLES, token.room.organization):
            return None
    return token


def feed_events(token: FeedToken) -> QuerySet:
    """What a feed carries: published (and cancelled-after-publication) items in a bounded window.

    A person's feed holds the items they preside (private ones included: only they and their secretaries
    can create that feed) and the non-private items they are invited to. Agency and room feeds never hold
    private items.
    """
    now = timezone.now()
    qs = Event.objects.filter(
        status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED], revision__gt=0,
        start__gte=now - FEED_PAST, start__lt=now + FEED_FUTURE,
    )  # fmt: skip
    if token.kind == FeedKind.PERSON:
        qs = qs.filter(Q(leader_id=token.person_id) | Q(participants=token.person_id, is_private=False))
    elif token.kind == FeedKind.AGENCY:
        qs = qs.filter(is_private=False).filter(
            Q(organization_id=token.agency_id)
            | Q(participating_agencies=token.agency_id)
            | Q(preparing_agency_id=token.agency_id)
        )
    else:
        qs = qs.filter(is_private=False, room=token.room)
    return _with_relations(qs.distinct()).order_by("start", "id")[:2000]


def feed_people(actor: Any) -> QuerySet:
    """Whose personal feed the actor may create: their own, and that of each leader they keep."""
    return User.objects.filter(Q(pk=actor.pk) | Q(pk__in=leaders_served_by(actor))).order_by("full_name", "username")


ADDED_GRACE = timedelta(hours=1)


def week_summary(events: Any) -> dict[str, Any]:
    """How often the week's published schedule was adjusted and when it last changed ("Điều chỉnh lần N").

    Each published item also gets ``change``: what a reader of the first publication of the week would find
    different — ``added`` (published more than an hour after the week's first publication), ``changed``
    (revised since), ``cancelled``, or "" — so the page and the PDF can mark them.
    """
    published = [e for e in events if e.revision > 0]
    first = min((e.published_at for e in published if e.published_at), default=None)
    counts = {"added": 0, "changed": 0, "cancelled": 0}
    for event in events:
        change = ""
        if event.revision > 0:
            if event.status == EventStatus.CANCELLED:
                change = "cancelled"
            elif first is not None and event.published_at and event.published_at > first + ADDED_GRACE:
                change = "added"
            elif event.revision > 1:
                change = "changed"
        event.change = change
        if change:
            counts[change] += 1
    return {
        "adjustments": sum(e.revision - 1 for e in published),
        "last_changed": max((e.last_changed_at for e in published), default=None),
        "first_published": first,
        **counts,
    }


def managed_organizations(actor: Any) -> QuerySet:
    """Organisations whose rooms and secretaries the actor manages (agency heads and administrators)."""
    ids = org_ids_for_roles(actor, {Role.AGENCY_HEAD, Role.ADMINISTRATOR})
    qs = Organization.objects.filter(is_active=True)
    return qs if ids is None else qs.filter(pk__in=ids)


def room_list(*, actor: Any) -> QuerySet:
    """Rooms the actor may see (their organisations' and those below)."""
    return Room.objects.for_user(actor, "view").select_related("organization").order_by("organization__path", "name")


def secretary_list(*, actor: Any) -> QuerySet:
    """Delegations the actor manages, or that concern the actor as leader or secretary."""
    mine = Q(leader_id=actor.pk) | Q(secretary_id=actor.pk)
    managed = SecretaryAssignment.objects.for_user(actor, "change").values("pk")
    return (
        SecretaryAssignment.objects.filter(mine | Q(pk__in=managed))
        .select_related("leader", "secretary", "organization")
        .order_by("organization__path", "leader__full_name", "secretary__full_name")
    )


def week_organizations(actor: Any) -> QuerySet:
    """Organisations whose weekly page the actor may open: their own and those above (published items are
    public information), so a commune official can read the province leadership's week."""
    own = organization_choices(actor)
    ids: set[int] = set()
    for path in own.values_list("path", flat=True)[:500]:
        ids.update(int(part) for part in path.strip("/").split("/") if part)
    return Organization.objects.filter(is_active=True).filter(Q(pk__in=own.values("pk")) | Q(pk__in=ids))
