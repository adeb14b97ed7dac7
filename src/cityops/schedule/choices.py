"""Choices of the leaders' work calendar."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["AuditVerbs", "EventStatus", "FeedKind", "Session"]


class Session(models.TextChoices):
    """The half-day (buổi) a schedule groups items by; evening covers after-hours items."""

    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")
    EVENING = "evening", _("Evening")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", _("Cancelled")


class FeedKind(models.TextChoices):
    """Whose items an iCalendar feed carries."""

    PERSON = "person", _("A leader's (or participant's) own calendar")
    AGENCY = "agency", _("An agency's calendar")
    ROOM = "room", _("A meeting room's bookings")


class AuditVerbs:
    ROOM_CREATED = "schedule.room.created"
    SECRETARY_ASSIGNED = "schedule.secretary.assigned"
    SECRETARY_REMOVED = "schedule.secretary.removed"
    EVENT_CREATED = "schedule.event.created"
    EVENT_UPDATED = "schedule.event.updated"
    EVENT_PUBLISHED = "schedule.event.published"
    EVENT_CANCELLED = "schedule.event.cancelled"
    EVENTS_IMPORTED = "schedule.event.imported"
    FEED_CREATED = "schedule.feed.created"
    FEED_REVOKED = "schedule.feed.revoked"
