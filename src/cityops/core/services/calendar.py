"""Writes to the working-day calendar: the administrator's extra days off and make-up working days."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cityops.core import audit, workdays
from cityops.core.choices import AuditVerbs, Role
from cityops.core.models import CalendarDay
from cityops.core.permissions import user_has_role
from cityops.core.text import nfc

__all__ = ["calendar_day_remove", "calendar_day_set", "can_manage_calendar"]


def can_manage_calendar(user: Any) -> bool:
    """Only administrators change the calendar: it moves every deadline in the province."""
    return bool(getattr(user, "is_authenticated", False)) and user_has_role(user, {Role.ADMINISTRATOR})


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValidationError({"date": _("Give a date, not a date and time.")})
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValidationError({"date": _("Enter a valid date (YYYY-MM-DD).")}) from exc


@transaction.atomic
def calendar_day_set(*, actor: Any, date: dt.date | str, kind: str, name: str) -> CalendarDay:
    """Mark a date as an extra day off or a make-up working day (replacing any earlier mark on that date)."""
    if not can_manage_calendar(actor):
        raise PermissionDenied(_("Only administrators can change the working calendar."))
    day = _parse_date(date)
    if not (workdays.MIN_YEAR <= day.year <= workdays.MAX_YEAR):
        raise ValidationError(
            {"date": _("The date must be between %(a)s and %(b)s.") % {"a": workdays.MIN_YEAR, "b": workdays.MAX_YEAR}}
        )
    if kind not in CalendarDay.Kind.values:
        raise ValidationError({"kind": _("Choose an extra day off or a make-up working day.")})
    name = nfc(name or "").strip()
    existing = CalendarDay.objects.select_for_update().filter(date=day).first()
    before = audit.snapshot(existing, ["date", "kind", "name"]) if existing else None
    entry = existing or CalendarDay(date=day)
    entry.kind = kind
    entry.name = name
    entry.full_clean()
    entry.save()
    audit.record(
        verb=AuditVerbs.CALENDAR_DAY_SET,
        actor=actor,
        target=entry,
        data={"old": before, "new": audit.snapshot(entry, ["date", "kind", "name"])},
    )
    workdays.invalidate()
    transaction.on_commit(workdays.invalidate)
    return entry


@transaction.atomic
def calendar_day_remove(*, actor: Any, date: dt.date | str) -> None:
    """Take a date's exception away so the statutory calendar applies again."""
    if not can_manage_calendar(actor):
        raise PermissionDenied(_("Only administrators can change the working calendar."))
    day = _parse_date(date)
    entry = CalendarDay.objects.select_for_update().filter(date=day).first()
    if entry is None:
        raise ValidationError({"date": _("There is no exception on this date.")})
    audit.record(
        verb=AuditVerbs.CALENDAR_DAY_REMOVED,
        actor=actor,
        target=entry,
        data={"old": audit.snapshot(entry, ["date", "kind", "name"])},
    )
    entry.delete()
    workdays.invalidate()
    transaction.on_commit(workdays.invalidate)
