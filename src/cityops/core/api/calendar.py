"""``GET /api/v1/calendar/working-days``: the deadline ``start`` + n working days or hours, and the year's days."""

# No ``from __future__ import annotations``: ninja reads these annotations at runtime.

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from cityops.core import workdays
from cityops.core.api.base import ApiError, error_responses

router = Router(tags=["calendar"])


class WorkingDaysQuery(Schema):
    start: str = Field(
        ..., max_length=40, description="A date (2026-02-13) or a datetime with its offset (2026-02-13T09:00+07:00)."
    )
    days: int | None = Field(None, ge=0, le=workdays.MAX_WORKING_DAYS, description="Working days after start.")
    hours: float | None = Field(None, ge=0, le=workdays.MAX_WORKING_HOURS, description="Working hours from start.")


class DeadlineOut(Schema):
    start: str
    days: int | None
    hours: float | None
    deadline: dt.datetime = Field(..., description="The deadline in UTC.")
    deadline_local: str = Field(..., description="The same moment in Asia/Ho_Chi_Minh (ISO 8601 with offset).")
    deadline_date: dt.date = Field(..., description="The local date of the deadline.")


class DayOut(Schema):
    date: dt.date
    is_working: bool
    reason: str
    name: str


def _parse_start(raw: str) -> dt.date | dt.datetime:
    text = raw.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApiError(
            400, "validation_error", _("The request is not valid; see the fields."),
            fields=[("start", _("Enter a date (YYYY-MM-DD) or a date and time with its UTC offset."))],
        ) from exc  # fmt: skip
    if timezone.is_naive(value):
        raise ApiError(
            400, "validation_error", _("The request is not valid; see the fields."),
            fields=[("start", _("Give the time with its UTC offset, e.g. 2026-02-13T09:00:00+07:00."))],
        )  # fmt: skip
    return value


@router.get(
    "/calendar/working-days",
    response={200: DeadlineOut, **error_responses(400, 401)},
    summary="Deadline after working days or hours",
)
def working_days(request: HttpRequest, params: Query[WorkingDaysQuery]) -> dict:
    """``days``: close of business on the n-th working day after ``start``; ``hours``: working hours counted
    from ``start``. Vietnamese public holidays (lunar ones included) and the administrator's exceptions apply."""
    if (params.days is None) == (params.hours is None):
        raise ApiError(
            400, "validation_error", _("Give exactly one of days or hours."),
            fields=[("days", _("Give exactly one of days or hours."))],
        )  # fmt: skip
    start = _parse_start(params.start)
    try:
        deadline = workdays.deadline_for(start, days=params.days, hours=params.hours)
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "validation_error", _("The deadline cannot be computed for these values."),
                       fields=[("start", str(exc))]) from exc  # fmt: skip
    local = deadline.astimezone(timezone.get_default_timezone())
    return {
        "start": params.start.strip(),
        "days": params.days,
        "hours": params.hours,
        "deadline": deadline,
        "deadline_local": local.isoformat(),
        "deadline_date": local.date(),
    }


@router.get(
    "/calendar/{int:year}/days",
    response={200: list[DayOut], **error_responses(400, 401)},
    summary="Holidays, make-up days and exceptions of a year",
)
def year_days(request: HttpRequest, year: int) -> list:
    """Every day of the year that differs from the plain Monday-to-Friday week."""
    if not (workdays.MIN_YEAR <= year <= workdays.MAX_YEAR):
        raise ApiError(
            400, "validation_error", _("The request is not valid; see the fields."),
            fields=[("year", _("Enter a year between %(a)s and %(b)s.") % {"a": workdays.MIN_YEAR,
                                                                           "b": workdays.MAX_YEAR})],
        )  # fmt: skip
    return [
        {"date": d.date, "is_working": d.is_working, "reason": d.reason, "name": d.name}
        for d in workdays.year_overview(year)
    ]
