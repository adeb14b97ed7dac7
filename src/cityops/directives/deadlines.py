"""The deadline state of a task, computed (never stored) the same way in Python and in SQL.

A deadline is stored as the close of business of its day (``workdays.WorkCalendar.end_of_day``). A task is
*overdue* once that moment has passed and it is not done; *due soon* when the deadline falls within
``DIRECTIVES_DUE_SOON_WORKING_DAYS`` working days of today (holidays and weekends do not count); done tasks are
*on time* when the completion was reported by the deadline. The official report counts (Báo cáo
1270/BC-TCTTTg: completed on time/late, not completed within deadline/overdue) are counts of these states.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from cityops.core import workdays
from cityops.directives.choices import DeadlineState, TaskStatus

__all__ = [
    "deadline_from_date",
    "deadline_state",
    "due_soon_days",
    "due_soon_threshold",
    "overdue_working_days",
]


def due_soon_days() -> int:
    """How many working days before the deadline a task counts as due soon (setting, default 3)."""
    value = settings.DIRECTIVES_DUE_SOON_WORKING_DAYS
    return max(0, int(value))


def deadline_from_date(day: dt.date) -> dt.datetime:
    """The stored deadline of a task due on ``day``: close of business that day, aware, UTC."""
    return workdays.calendar().end_of_day(day)


def due_soon_threshold(now: dt.datetime | None = None, days: int | None = None) -> dt.datetime:
    """Deadlines up to this moment are due soon: close of business ``days`` working days after today."""
    now = now or timezone.now()
    days = due_soon_days() if days is None else days
    today = now.astimezone(workdays.local_tz()).date()
    cal = workdays.calendar()
    return cal.end_of_day(cal.add_working_days(today, days))


def deadline_state(
    *,
    status: str,
    deadline: dt.datetime | None,
    completed_at: dt.datetime | None,
    now: dt.datetime | None = None,
    soon_threshold: dt.datetime | None = None,
) -> DeadlineState:
    """The pure rule; ``TaskQuerySet.with_deadline_state`` is the same rule in SQL (tested to agree)."""
    now = now or timezone.now()
    if status == TaskStatus.CANCELLED:
        return DeadlineState.CANCELLED
    if status == TaskStatus.DONE:
        if deadline is None or (completed_at is not None and completed_at <= deadline):
            return DeadlineState.DONE_ON_TIME
        return DeadlineState.DONE_LATE
    if deadline is None:
        return DeadlineState.NO_DEADLINE
    if deadline < now:
        return DeadlineState.OVERDUE
    threshold = soon_threshold if soon_threshold is not None else due_soon_threshold(now)
    if deadline <= threshold:
        return DeadlineState.DUE_SOON
    return DeadlineState.NOT_DUE


def overdue_working_days(deadline: dt.datetime | None, now: dt.datetime | None = None) -> int:
    """Working days past the deadline day (0 when not past), for the "N working days late" badges."""
    if deadline is None:
        return 0
    now = now or timezone.now()
    if now <= deadline:
        return 0
    return max(0, workdays.working_days_between(deadline, now))
