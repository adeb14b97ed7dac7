"""iCalendar (RFC 5545): subscription feeds out, ``.ics`` files in.

Feeds write every time in UTC (``DTSTART:20261125T013000Z``), which RFC 5545 allows and every client reads,
and name the display zone in ``X-WR-TIMEZONE``; no VTIMEZONE is then needed. UIDs are the item's stable UUID,
``SEQUENCE`` is its published revision, and a cancelled item stays in the feed with ``STATUS:CANCELLED`` so
subscribed clients drop it.

Import is a pure parser: it returns plain values or raises one ``ValidationError`` for the whole file; the
service saves all the items or none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from cityops.core.text import nfc
from cityops.schedule.choices import EventStatus
from cityops.schedule.models import Event

__all__ = ["MAX_IMPORT_BYTES", "MAX_IMPORT_EVENTS", "ParsedEvent", "feed_calendar", "parse_ics"]

MAX_IMPORT_BYTES = 1_000_000
MAX_IMPORT_EVENTS = 500
MIN_YEAR = 2000
MAX_YEAR = 2100
PRODID = "-//CityOps//Work calendar//VI"
UTC = ZoneInfo("UTC")


def _attendee(user: Any, role: str) -> Any:
    from icalendar import vCalAddress

    address = vCalAddress(f"mailto:{user.email}" if user.email else f"urn:cityops:user:{user.pk}")
    address.params["CN"] = str(user)
    address.params["ROLE"] = role
    address.params["CUTYPE"] = "INDIVIDUAL"
    return address


def feed_calendar(events: Iterable[Event], *, name: str, show_private: bool) -> bytes:
    """The VCALENDAR of ``events``; private items appear only where ``show_private`` (a person's own feed)."""
    from icalendar import Calendar, vCalAddress
    from icalendar import Event as VEvent

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", nfc(name))
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    now = timezone.now().astimezone(UTC)
    for event in events:
        if event.is_private and not show_private:
            continue
        item = VEvent()
        item.add("uid", event.ical_uid)
        item.add("dtstamp", now)
        item.add("dtstart", event.start.astimezone(UTC))
        item.add("dtend", event.end.astimezone(UTC))
        item.add("summary", event.content.splitlines()[0][:255] if event.content else "")
        details = [event.content]
        if event.preparing_agency:
            details.append(_("Preparing agency: %(agency)s") % {"agency": event.preparing_agency})
        if event.accompanying_staff:
            details.append(_("Accompanying: %(staff)s") % {"staff": event.accompanying_staff})
        agencies = ", ".join(str(a) for a in event.participating_agencies.all())
        if agencies:
            details.append(_("Agencies: %(agencies)s") % {"agencies": agencies})
        item.add("description", "\n".join(details))
        location = ", ".join(part for part in [str(event.room or ""), event.location] if part)
        if location:
            item.add("location", location)
        item.add("sequence", event.revision)
        item.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
        item.add("class", "PRIVATE" if event.is_private else "PUBLIC")
        item.add("last-modified", event.last_changed_at.astimezone(UTC))
        item.add("created", event.created_at.astimezone(UTC))
        organizer = vCalAddress(
            f"mailto:{event.leader.email}" if event.leader.email else f"urn:cityops:user:{event.leader_id}"
        )
        organizer.params["CN"] = str(event.leader)
        item.add("organizer", organizer)
        item.add("attendee", _attendee(event.leader, "CHAIR"))
        for person in event.participants.all():
            item.add("attendee", _attendee(person, "REQ-PARTICIPANT"))
        for agency in event.participating_agencies.all():
            group = vCalAddress(f"urn:cityops:organization:{agency.pk}")
            group.params.update({"CN": str(agency), "CUTYPE": "GROUP", "ROLE": "REQ-PARTICIPANT"})
            item.add("attendee", group)
        if event.room is not None:
            room = vCalAddress(f"urn:cityops:room:{event.room_id}")
            room.params.update({"CN": event.room.name, "CUTYPE": "ROOM", "ROLE": "NON-PARTICIPANT"})
            item.add("attendee", room)
        cal.add_component(item)
    return cal.to_ical()


@dataclass(frozen=True)
class ParsedEvent:
    uid: str
    start: datetime
    end: datetime
    content: str
    location: str
    recurring: bool
    rule: str = ""
    exceptions: tuple[date, ...] = ()
    recurrence_id: date | None = None

    @property
    def key(self) -> str:
        """What identifies the item on a second import: the UID, plus the day of a moved occurrence."""
        if self.recurrence_id is None:
            return self.uid
        return f"{self.uid};RECURRENCE-ID={self.recurrence_id:%Y%m%d}"[:255]


def _as_datetime(value: Any, field: str, index: int) -> tuple[datetime, bool]:
    """A timezone-aware datetime, and whether the value was a whole day (DATE)."""
    local = ZoneInfo(settings.TIME_ZONE)
    if isinstance(value, datetime):
        return (value if timezone.is_aware(value) else value.replace(tzinfo=local)), False
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), tzinfo=local), True
    raise ValidationError(_("Item %(n)d: %(field)s is not a date or a date and time.") % {"n": index, "field": field})


def parse_ics(data: bytes) -> list[ParsedEvent]:
    """Read the VEVENTs of an ``.ics`` file, refusing anything too big, too many or not iCalendar."""
    from icalendar import Calendar

    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)d kB.") % {"size": MAX_IMPORT_BYTES // 1000}, code="too_large"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(_("The file is not UTF-8 text."), code="encoding") from exc
    if "BEGIN:VCALENDAR" not in text.upper():
        raise ValidationError(_("This is not an iCalendar (.ics) file."), code="malformed")
    if text.upper().count("BEGIN:VEVENT") > MAX_IMPORT_EVENTS:
        raise ValidationError(
            _("The file holds more than %(max)d items.") % {"max": MAX_IMPORT_EVENTS}, code="too_many"
        )
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ValidationError(_("The iCalendar file could not be read: it is malformed."), code="malformed") from exc
    parsed: list[ParsedEvent] = []
    for calendar in calendars:
        for index, component in enumerate(calendar.walk("VEVENT"), start=len(parsed) + 1):
            parsed.append(_parse_event(component, index))
    if not parsed:
        raise ValidationError(_("The file holds no events."), code="empty")
    if len(parsed) > MAX_IMPORT_EVENTS:
        raise ValidationError(
            _("The file holds more than %(max)d items.") % {"max": MAX_IMPORT_EVENTS}, code="too_many"
        )
    return parsed


def _text(component: Any, name: str) -> str:
    """A text property as NFC text; a property given twice keeps its first value."""
    value = component.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return nfc(str(value or "")).strip()


def _parse_event(component: Any, index: int) -> ParsedEvent:
    try:
        raw_start = component.decoded("DTSTART")
    except (KeyError, ValueError, TypeError) as exc:
        raise ValidationError(_("Item %(n)d has no valid start (DTSTART).") % {"n": index}, code="malformed") from exc
    start, whole_day = _as_datetime(raw_start, "DTSTART", index)
    if not MIN_YEAR <= start.year <= MAX_YEAR:
        raise ValidationError(
            _("Item %(n)d starts outside the years %(min)d–%(max)d.") % {"n": index, "min": MIN_YEAR, "max": MAX_YEAR},
            code="malformed",
        )
    try:
        if "DTEND" in component:
            end, _whole = _as_datetime(component.decoded("DTEND"), "DTEND", index)
        elif "DURATION" in component:
            duration = component.decoded("DURATION")
            if not isinstance(duration, timedelta):
                raise ValueError
            end = start + duration
        else:
            end = start + (timedelta(days=1) if whole_day else timedelta(hours=1))
    except (KeyError, ValueError, TypeError, OverflowError) as exc:
        raise ValidationError(_("Item %(n)d has no valid end (DTEND).") % {"n": index}, code="malformed") from exc
    summary = _text(component, "SUMMARY")
    description = _text(component, "DESCRIPTION")
    if not summary and not description:
        raise ValidationError(_("Item %(n)d has no title (SUMMARY).") % {"n": index}, code="malformed")
    content = summary if not description or description == summary else f"{summary}\n{description}"
    rule, exceptions, recurrence_id = _recurrence(component, index)
    return ParsedEvent(
        uid=_text(component, "UID")[:255],
        start=start,
        end=end,
        content=content,
        location=_text(component, "LOCATION")[:255],
        recurring="RRULE" in component or "RDATE" in component,
        rule=rule,
        exceptions=exceptions,
        recurrence_id=recurrence_id,
    )


def _local_day(value: Any) -> date:
    if isinstance(value, datetime):
        aware = value if timezone.is_aware(value) else value.replace(tzinfo=ZoneInfo(settings.TIME_ZONE))
        return aware.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    if isinstance(value, date):
        return value
    raise ValueError("not a date")


def _recurrence(component: Any, index: int) -> tuple[str, tuple[date, ...], date | None]:
    """The item's RRULE (checked: a hostile rule refuses the file), EXDATE days and RECURRENCE-ID day."""
    from cityops.schedule.recurrence import MAX_EXCEPTIONS, normalise_rule

    rule = ""
    raw_rule = component.get("RRULE")
    if raw_rule is not None:
        if isinstance(raw_rule, list):
            raise ValidationError(_("Item %(n)d has more than one repeat rule.") % {"n": index}, code="malformed")
        try:
            text = raw_rule.to_ical().decode("utf-8", "replace")
            rule = normalise_rule(text)
        except ValidationError as exc:
            raise ValidationError(
                _("Item %(n)d: %(error)s") % {"n": index, "error": " ".join(exc.messages)}, code="recurrence"
            ) from exc
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValidationError(_("Item %(n)d has a repeat rule that cannot be read.") % {"n": index}) from exc
    days: list[date] = []
    raw_ex = component.get("EXDATE")
    try:
        for prop in raw_ex if isinstance(raw_ex, list) else ([raw_ex] if raw_ex is not None else []):
            for value in getattr(prop, "dts", []):
                days.append(_local_day(value.dt))
                if len(days) > MAX_EXCEPTIONS:
                    raise ValidationError(_("Item %(n)d has too many exception days.") % {"n": index})
        recurrence_id = _local_day(component.decoded("RECURRENCE-ID")) if "RECURRENCE-ID" in component else None
    except (ValueError, TypeError, KeyError) as exc:
        raise ValidationError(_("Item %(n)d has an exception day that cannot be read.") % {"n": index}) from exc
    return rule, tuple(days), recurrence_id
