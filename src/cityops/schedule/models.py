"""Leaders' work calendar: meeting rooms, schedule items, secretaries and iCalendar feed tokens.

Times are stored in UTC; ``day`` and ``session`` are the local (Asia/Ho_Chi_Minh) day and half-day of the
start, kept as columns because the weekly page groups and filters by them.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cityops.core.models import TenantScopedModel
from cityops.schedule.choices import EventStatus, FeedKind, Session

MAX_CONTENT_LENGTH = 2000


class Room(TenantScopedModel):
    """A meeting room an organisation books; it can never hold two items at the same time."""

    name = models.CharField(_("name"), max_length=255)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organization_id", "name", "id"]
        verbose_name = _("meeting room")
        verbose_name_plural = _("meeting rooms")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="schedule_room_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Event(TenantScopedModel):
    """One item of a leader's schedule (a meeting, a visit, a reception…), owned by an organisation."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    source_uid = models.CharField(_("imported UID"), max_length=255, blank=True)
    series = models.UUIDField(_("series"), null=True, blank=True, db_index=True, editable=False)
    recurrence = models.CharField(_("repeat rule"), max_length=255, blank=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="schedule_events_led",
        verbose_name=_("presiding leader"),
    )  # fmt: skip
    day = models.DateField(_("day"), db_index=True)
    session = models.CharField(_("session"), max_length=16, choices=Session.choices)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    content = models.TextField(_("content"), max_length=MAX_CONTENT_LENGTH)
    location = models.CharField(_("location"), max_length=255, blank=True)
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="events", verbose_name=_("meeting room")
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="schedule_invitations", verbose_name=_("participants")
    )
    participating_agencies = models.ManyToManyField(
        "core.Organization", blank=True, related_name="+", verbose_name=_("participating agencies")
    )
    preparing_agency = models.ForeignKey(
        "core.Organization", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("preparing agency"),
    )  # fmt: skip
    accompanying_staff = models.CharField(_("accompanying staff"), max_length=500, blank=True)
    is_private = models.BooleanField(_("private"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=EventStatus.choices, default=EventStatus.DRAFT)
    revision = models.PositiveIntegerField(_("published revision"), default=0)
    published_at = models.DateTimeField(_("first published"), null=True, blank=True)
    last_changed_at = models.DateTimeField(_("last changed"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["start", "id"]
        verbose_name = _("schedule item")
        verbose_name_plural = _("schedule items")
        indexes = [
            models.Index(fields=["organization", "day"], name="schedule_event_org_day"),
            models.Index(fields=["leader", "start"], name="schedule_event_leader_start"),
            models.Index(fields=["room", "start"], name="schedule_event_room_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="schedule_event_end_after_start"),
        ]

    def __str__(self) -> str:
        return self.content[:80]

    @property
    def ical_uid(self) -> str:
        return f"{self.uid}@cityops"


class SecretaryAssignment(TenantScopedModel):
    """A person who keeps a leader's calendar: sees private items and, unless view-only, creates, edits and
    publishes items on the leader's behalf."""

    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schedule_secretaries",
        verbose_name=_("leader"),
    )  # fmt: skip
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schedule_leaders_served",
        verbose_name=_("secretary"),
    )  # fmt: skip
    can_edit = models.BooleanField(
        _("may edit"), default=True,
        help_text=_("Off: the secretary sees the leader's calendar, private items included, but changes nothing."),
    )  # fmt: skip

    class Meta:
        ordering = ["leader_id", "secretary_id"]
        verbose_name = _("secretary")
        verbose_name_plural = _("secretaries")
        constraints = [
            models.UniqueConstraint(fields=["leader", "secretary"], name="schedule_secretary_unique_pair"),
            models.CheckConstraint(condition=~Q(leader=F("secretary")), name="schedule_secretary_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.secretary} → {self.leader}"


class FeedToken(TenantScopedModel):
    """The secret in a subscription address; only its SHA-256 digest is stored, and it can be revoked."""

    kind = models.CharField(_("kind"), max_length=16, choices=FeedKind.choices)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("person"),
    )  # fmt: skip
    agency = models.ForeignKey(
        "core.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("agency"),
    )  # fmt: skip
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("meeting room")
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="person", person__isnull=False, agency__isnull=True, room__isnull=True)
                    | Q(kind="agency", person__isnull=True, agency__isnull=False, room__isnull=True)
                    | Q(kind="room", person__isnull=True, agency__isnull=True, room__isnull=False)
                ),
                name="schedule_feedtoken_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.prefix}…"

    @property
    def target(self) -> object:
        return self.person or self.agency or self.room
