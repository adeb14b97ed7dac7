"""Recurring schedule items (RFC 5545 ``RRULE``/``EXDATE``), expanded into ordinary items when saved.

A weekly briefing is stored as one row per occurrence sharing a ``series`` id, so the weekly page, the PDF,
the feeds, the conflict checks and the room block treat every occurrence like any other item, and one
occurrence can be moved or cancelled on its own. Because rules come from forms, the API and imported files,
they are checked before dateutil sees them: only DAILY/WEEKLY/MONTHLY/YEARLY with a small set of parts, and
the expansion stops at ``MAX_OCCURRENCES`` items and ``HORIZON`` days, so a hostile rule (``FREQ=SECONDLY``
without ``COUNT``, ``COUNT=999999999``) is refused or cut short and can never explode.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

__all__ = ["HORIZON", "MAX_OCCURRENCES", "Expansion", "build_rule", "expand", "normalise_rule"]

MAX_OCCURRENCES = 260
HORIZON = timedelta(days=732)
MAX_RULE_LENGTH = 255
MAX_EXCEPTIONS = 400
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_ALLOWED_PARTS = {
    "DAILY": {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST"},
    "WEEKLY": {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST"},
    "MONTHLY": {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYSETPOS", "WKST"},
    "YEARLY": {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "WKST"},
}
_PART = re.compile(r"^[A-Z]+=[A-Z0-9,+\-]+$")
_DAY = re.compile(r"^[+-]?([1-9]|[1-4][0-9]|5[0-3])?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL = re.compile(r"^\d{8}(T\d{6}Z?)?$")


def _error(message: str) -> ValidationError:
    return ValidationError({"recurrence": message}, code="recurrence")


def _int_list(value: str, low: int, high: int) -> None:
    for item in value.split(","):
        if not re.fullmatch(r"[+-]?\d{1,3}", item) or not low <= abs(int(item)) <= high or int(item) == 0:
            raise _error(_("The repeat rule has a value out of range: %(value)s.") % {"value": value})


def normalise_rule(text: str) -> str:
    """The rule in upper case without the ``RRULE:`` prefix, or a ``ValidationError`` naming what is wrong."""
    rule = "".join(str(text or "").split()).upper()
    if rule.startswith("RRULE:"):
        rule = rule[len("RRULE:") :]
    if not rule:
        return ""
    if len(rule) > MAX_RULE_LENGTH:
        raise _error(_("The repeat rule is too long."))
    parts: dict[str, str] = {}
    for part in rule.split(";"):
        if not _PART.match(part):
            raise _error(_("The repeat rule is not valid."))
        key, value = part.split("=", 1)
        if key in parts:
            raise _error(_("The repeat rule names %(part)s twice.") % {"part": key})
        parts[key] = value
    freq = parts.get("FREQ")
    if freq not in FREQUENCIES:
        raise _error(_("An item can repeat daily, weekly, monthly or yearly only."))
    unknown = set(parts) - _ALLOWED_PARTS[freq]
    if unknown:
        raise _error(
            _("The repeat rule uses parts that are not supported: %(parts)s.") % {"parts": ", ".join(sorted(unknown))}
        )
    if "COUNT" in parts and "UNTIL" in parts:
        raise _error(_("A repeat rule gives an end date or a count, not both."))
    if "INTERVAL" in parts and (not parts["INTERVAL"].isdigit() or not 1 <= int(parts["INTERVAL"]) <= 366):
        raise _error(_("The repeat interval must be between 1 and 366."))
    if "COUNT" in parts and (not parts["COUNT"].isdigit() or not 1 <= int(parts["COUNT"]) <= MAX_OCCURRENCES):
        raise _error(_("An item repeats at most %(max)d times.") % {"max": MAX_OCCURRENCES})
    if "UNTIL" in parts and not _UNTIL.match(parts["UNTIL"]):
        raise _error(_("The repeat end date is not valid."))
    for day in parts.get("BYDAY", "").split(",") if "BYDAY" in parts else []:
        if not _DAY.match(day):
            raise _error(_("The repeat days are not valid."))
    if "BYMONTHDAY" in parts:
        _int_list(parts["BYMONTHDAY"], 1, 31)
    if "BYMONTH" in parts:
        _int_list(parts["BYMONTH"], 1, 12)
    if "BYSETPOS" in parts:
        _int_list(parts["BYSETPOS"], 1, 366)
    if "WKST" in parts and parts["WKST"] not in {"MO", "TU", "WE", "TH", "FR", "SA", "SU"}:
        raise _error(_("The repeat rule is not valid."))
    return ";".join(f"{key}={value}" for key, value in parts.items())


def build_rule(*, freq: str, interval: int = 1, until: date | None = None, count: int | None = None) -> str:
    """The RRULE a form's simple choices mean (daily, weekly or monthly; every N; until a day or N times)."""
    if not freq:
        return ""
    parts = [f"FREQ={freq.upper()}"]
    if interval and interval > 1:
        parts.append(f"INTERVAL={int(interval)}")
    if until is not None:
        parts.append(f"UNTIL={until:%Y%m%d}T235959")
    elif count:
        parts.append(f"COUNT={int(count)}")
    return normalise_rule(";".join(parts))


@dataclass(frozen=True)
class Expansion:
    """The local start times of the occurrences, and whether an open-ended rule was cut at the limit."""

    starts: list[datetime]
    truncated: bool


def expand(rule: str, start: datetime, *, exceptions: Iterable[date] = ()) -> Expansion:
    """Occurrence starts of ``rule`` from ``start`` (local wall-clock time), skipping the ``exceptions`` days.

    A rule with an end (COUNT/UNTIL) must fit within ``MAX_OCCURRENCES`` and ``HORIZON``, or it is refused;
    a rule without one is cut there and ``truncated`` says so.
    """
    from dateutil.rrule import rrulestr

    rule = normalise_rule(rule)
    skip = set(exceptions)
    if len(skip) > MAX_EXCEPTIONS:
        raise _error(_("Give at most %(max)d exception days.") % {"max": MAX_EXCEPTIONS})
    tz = ZoneInfo(settings.TIME_ZONE)
    local = start.astimezone(tz).replace(tzinfo=None)
    bounded = "COUNT=" in rule or "UNTIL=" in rule
    until_part = re.search(r"UNTIL=(\d{8})(T(\d{6})Z?)?", rule)
    if until_part:
        rule = rule.replace(until_part.group(0), f"UNTIL={until_part.group(1)}T{until_part.group(3) or '235959'}")
    try:
        rr = rrulestr(f"RRULE:{rule}", dtstart=local)
    except (ValueError, TypeError, OverflowError) as exc:
        raise _error(_("The repeat rule is not valid.")) from exc
    horizon = local + HORIZON
    starts: list[datetime] = []
    truncated = False
    for candidate in rr:  # lazy: stops at the first limit reached
        if candidate > horizon or len(starts) >= MAX_OCCURRENCES:
            truncated = True
            break
        if candidate.date() not in skip:
            starts.append(candidate.replace(tzinfo=tz))
    if truncated and bounded:
        raise _error(
            _("The repeat rule gives more than %(max)d items or ends more than two years ahead; shorten it.")
            % {"max": MAX_OCCURRENCES}
        )
    if not starts:
        raise _error(_("The repeat rule gives no occurrence."))
    return Expansion(starts=starts, truncated=truncated)
