"""The working-day calendar every deadline is counted on.

A day is a working day when it is Monday to Friday and not a Vietnamese public holiday (the ``holidays``
package: solar and lunar holidays, days off in lieu and the national make-up Saturdays), unless a
``CalendarDay`` set by the administrator says otherwise (an extra day off, or a make-up working day on a
weekend); the administrator's word wins. Hours are counted inside ``settings.WORKING_HOURS`` in local time
(``Asia/Ho_Chi_Minh``); datetimes go in and come out timezone-aware.

The statutory data is cached per process (it never changes); ``CalendarDay`` rows are read once per call,
or once per request while a request is being served, and that cache is dropped when the services change a
day, so no process ever works from another process's stale copy.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

import holidays
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone, translation

from cityops.core.context import current_request_info

__all__ = [
    "MAX_WORKING_DAYS",
    "MAX_WORKING_HOURS",
    "WorkCalendar",
    "add_working_days",
    "add_working_hours",
    "day_info",
    "deadline_for",
    "invalidate",
    "is_working_day",
    "working_days_between",
    "working_periods",
    "year_overview",
]

# Generous limits: ten years of working days. Anything larger is a typo or an attack, not a deadline.
MAX_WORKING_DAYS = 2_600
MAX_WORKING_HOURS = 20_000
MIN_YEAR = 2000
MAX_YEAR = 2099

Number = int | float


def local_tz() -> dt.tzinfo:
    return timezone.get_default_timezone()


@functools.cache
def _parse_periods(spec: tuple[str, ...]) -> tuple[tuple[dt.time, dt.time], ...]:
    periods: list[tuple[dt.time, dt.time]] = []
    for item in spec:
        try:
            start_s, end_s = item.split("-")
            start = dt.time.fromisoformat(start_s.strip())
            end = dt.time.fromisoformat(end_s.strip())
        except ValueError as exc:
            raise ImproperlyConfigured(f"WORKING_HOURS: cannot read {item!r}; use HH:MM-HH:MM.") from exc
        if end <= start or (periods and start < periods[-1][1]):
            raise ImproperlyConfigured("WORKING_HOURS periods must be increasing and must not overlap.")
        periods.append((start, end))
    if not periods:
        raise ImproperlyConfigured("WORKING_HOURS needs at least one period.")
    return tuple(periods)


def working_periods() -> tuple[tuple[dt.time, dt.time], ...]:
    """The working sessions of a day, e.g. 07:30–11:30 and 13:30–17:30."""
    return _parse_periods(tuple(settings.WORKING_HOURS))


def _holiday_language() -> str:
    """Holiday names in the user's language: Vietnamese unless English is active."""
    return "en_US" if (translation.get_language() or "vi").startswith("en") else "vi"


def _statutory(year: int) -> tuple[dict[dt.date, str], frozenset[dt.date]]:
    return _statutory_in(year, _holiday_language())


@functools.lru_cache(maxsize=128)
def _statutory_in(year: int, language: str) -> tuple[dict[dt.date, str], frozenset[dt.date]]:
    """Public holidays (with days in lieu) and national make-up Saturdays of one year; static data."""
    data = holidays.country_holidays("VN", years=year, language=language)
    days = {day: name for day, name in data.items() if day.year == year}
    makeup = frozenset(day for day in getattr(data, "weekend_workdays", ()) if day.year == year)
    return days, makeup


@dataclass(frozen=True)
class DayInfo:
    """Why a date is or is not a working day."""

    date: dt.date
    is_working: bool
    reason: str  # "weekday", "weekend", "holiday", "calendar_day_off", "calendar_working_day", "makeup_day"
    name: str = ""


def _check_date(day: dt.date) -> None:
    if not (MIN_YEAR <= day.year <= MAX_YEAR):
        raise ValueError(f"Dates must be between {MIN_YEAR} and {MAX_YEAR}.")


@dataclass
class WorkCalendar:
    """One consistent view of the calendar: statutory data plus the ``CalendarDay`` rows, read once per year."""

    _exceptions: dict[int, dict[dt.date, tuple[str, str]]] = field(default_factory=dict)

    def _exceptions_of(self, year: int) -> dict[dt.date, tuple[str, str]]:
        if year not in self._exceptions:
            from cityops.core.models import CalendarDay

            rows = CalendarDay.objects.filter(date__year=year).values_list("date", "kind", "name")
            self._exceptions[year] = {day: (kind, name) for day, kind, name in rows}
        return self._exceptions[year]

    def info(self, day: dt.date) -> DayInfo:
        from cityops.core.models import CalendarDay

        _check_date(day)
        exception = self._exceptions_of(day.year).get(day)
        if exception is not None:
            kind, name = exception
            if kind == CalendarDay.Kind.WORKING_DAY:
                return DayInfo(day, True, "calendar_working_day", name)
            return DayInfo(day, False, "calendar_day_off", name)
        public, makeup = _statutory(day.year)
        if day in public:
            return DayInfo(day, False, "holiday", public[day])
        if day in makeup:
            return DayInfo(day, True, "makeup_day", "")
        if day.weekday() >= 5:
            return DayInfo(day, False, "weekend")
        return DayInfo(day, True, "weekday")

    def is_working_day(self, day: dt.date) -> bool:
        return self.info(day).is_working

    def next_working_day(self, day: dt.date, *, include_self: bool = False) -> dt.date:
        current = day if include_self else day + dt.timedelta(days=1)
        for _ in range(400):  # no year has a whole year off; this bounds a corrupt calendar
            if self.is_working_day(current):
                return current
            current += dt.timedelta(days=1)
        raise ValueError("No working day found within 400 days.")

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after ``day`` (``day`` itself not counted); n=0 gives ``day`` or the next one."""
        _check_count(n, MAX_WORKING_DAYS, "days")
        current = self.next_working_day(day, include_self=True) if n == 0 else day
        for _ in range(n):
            current = self.next_working_day(current)
        return current

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """Working days after ``a`` up to and including ``b``; negative when ``b`` is before ``a``."""
        if b < a:
            return -self.working_days_between(b, a)
        _check_date(a)
        _check_date(b)
        count = 0
        current = a + dt.timedelta(days=1)
        while current <= b:
            if self.is_working_day(current):
                count += 1
            current += dt.timedelta(days=1)
        return count

    def add_working_hours(self, start: dt.datetime, hours: Number) -> dt.datetime:
        """Count ``hours`` of working time from ``start``, skipping lunch, nights, weekends and holidays."""
        _check_aware(start)
        _check_count(hours, MAX_WORKING_HOURS, "hours")
        tz = local_tz()
        local = start.astimezone(tz)
        remaining = dt.timedelta(hours=hours)
        if remaining == dt.timedelta(0):
            return start
        day = local.date()
        cursor = local.replace(tzinfo=None)
        while True:
            if self.is_working_day(day):
                for p_start, p_end in working_periods():
                    begin = dt.datetime.combine(day, p_start)
                    end = dt.datetime.combine(day, p_end)
                    if cursor >= end:
                        continue
                    begin = max(begin, cursor)
                    available = end - begin
                    if remaining <= available:
                        return _aware(begin + remaining, tz)
                    remaining -= available
                    cursor = end
            day = self.next_working_day(day)
            cursor = dt.datetime.combine(day, dt.time.min)

    def end_of_day(self, day: dt.date) -> dt.datetime:
        """The close of business on ``day`` (end of its last working period), timezone-aware."""
        return _aware(dt.datetime.combine(day, working_periods()[-1][1]), local_tz())


def _aware(naive_local: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return naive_local.replace(tzinfo=tz).astimezone(dt.UTC)


def _check_aware(value: dt.datetime) -> None:
    if timezone.is_naive(value):
        raise ValueError("Datetimes must be timezone-aware.")


def _check_count(n: Any, limit: int, unit: str) -> None:
    if isinstance(n, bool) or not isinstance(n, int | float):
        raise TypeError(f"The number of {unit} must be a number.")
    if n != n or n in (float("inf"), float("-inf")):  # NaN or infinite
        raise ValueError(f"The number of {unit} must be finite.")
    if n < 0:
        raise ValueError(f"The number of {unit} cannot be negative.")
    if n > limit:
        raise ValueError(f"The number of {unit} cannot exceed {limit}.")
    if unit == "days" and not isinstance(n, int):
        raise TypeError("The number of days must be a whole number.")


# --- One calendar per call, or per request while one is served ------------------------------------------

_request_calendar: contextvars.ContextVar[tuple[Any, WorkCalendar] | None] = contextvars.ContextVar(
    "cityops_work_calendar", default=None
)


def calendar() -> WorkCalendar:
    """The calendar for this request (shared by every deadline it computes), or a fresh one outside requests."""
    info = current_request_info()
    if info is None:
        return WorkCalendar()
    cached = _request_calendar.get()
    if cached is not None and cached[0] is info:
        return cached[1]
    fresh = WorkCalendar()
    _request_calendar.set((info, fresh))
    return fresh


def invalidate() -> None:
    """Forget the cached exceptions; the calendar services call this after changing a day."""
    _request_calendar.set(None)


def _to_local_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        _check_aware(value)
        return value.astimezone(local_tz()).date()
    if isinstance(value, dt.date):
        return value
    raise TypeError("Expected a date or a datetime.")


def day_info(day: dt.date) -> DayInfo:
    return calendar().info(day)


def year_overview(year: int) -> list[DayInfo]:
    """Every day of ``year`` that differs from the plain week: holidays, make-up days and exceptions."""
    _check_date(dt.date(year, 1, 1))
    cal = calendar()
    day = dt.date(year, 1, 1)
    out = []
    while day.year == year:
        info = cal.info(day)
        if info.reason not in ("weekday", "weekend"):
            out.append(info)
        day += dt.timedelta(days=1)
    return out


def is_working_day(day: dt.date | dt.datetime) -> bool:
    """Whether the (local) date is a working day."""
    return calendar().is_working_day(_to_local_date(day))


def add_working_days(start: dt.date | dt.datetime, n: int) -> dt.date | dt.datetime:
    """The n-th working day after ``start``; a datetime keeps its local time of day and comes back aware (UTC)."""
    cal = calendar()
    if isinstance(start, dt.datetime):
        _check_aware(start)
        local = start.astimezone(local_tz())
        day = cal.add_working_days(local.date(), n)
        return _aware(dt.datetime.combine(day, local.time().replace(tzinfo=None)), local_tz())
    return cal.add_working_days(_to_local_date(start), n)


def working_days_between(a: dt.date | dt.datetime, b: dt.date | dt.datetime) -> int:
    """How many working days lie after ``a`` up to and including ``b`` (negative if ``b`` is earlier)."""
    return calendar().working_days_between(_to_local_date(a), _to_local_date(b))


def add_working_hours(start: dt.datetime, hours: Number) -> dt.datetime:
    """``start`` plus ``hours`` of working time, as an aware UTC datetime."""
    if not isinstance(start, dt.datetime):
        raise TypeError("Working hours are counted from a datetime.")
    return calendar().add_working_hours(start, hours)


def deadline_for(start: dt.date | dt.datetime, *, days: int | None = None, hours: Number | None = None) -> dt.datetime:
    """The deadline of a task started at ``start``: the one function every module uses.

    ``days``: close of business on the n-th working day after the start day ("within 3 working days");
    0 means close of business today, or on the next working day. ``hours``: working hours counted from
    ``start`` (a date counts from the start of that day). Exactly one of the two must be given.
    """
    if (days is None) == (hours is None):
        raise ValueError("Give exactly one of days or hours.")
    cal = calendar()
    if days is not None:
        _check_count(days, MAX_WORKING_DAYS, "days")
        return cal.end_of_day(cal.add_working_days(_to_local_date(start), days))
    assert hours is not None
    if not isinstance(start, dt.datetime):
        start = _aware(dt.datetime.combine(_to_local_date(start), dt.time.min), local_tz())
    return cal.add_working_hours(start, hours)
