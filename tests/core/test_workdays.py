"""Working days and hours on the Vietnamese calendar, with real 2025–2026 dates."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cityops.core import workdays
from cityops.core.choices import AuditVerbs, Role
from cityops.core.models import AuditEvent, CalendarDay
from cityops.core.services.calendar import calendar_day_remove, calendar_day_set
from cityops.core.workdays import (
    add_working_days,
    add_working_hours,
    deadline_for,
    is_working_day,
    working_days_between,
)

pytestmark = pytest.mark.django_db

VN = ZoneInfo("Asia/Ho_Chi_Minh")
D = dt.date


def local(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=VN)


# --- Days ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        D(2026, 1, 1),  # Tết Dương lịch
        D(2026, 2, 16),  # 29 tháng Chạp (last day of Ất Tỵ)
        D(2026, 2, 17),  # Mùng 1 Tết Bính Ngọ
        D(2026, 2, 20),  # Mùng 4
        D(2026, 4, 27),  # Giỗ Tổ Hùng Vương (10/3 lunar is Sunday 26/4) observed on Monday
        D(2026, 4, 30),
        D(2026, 5, 1),
        D(2026, 8, 31),  # day off swapped with Saturday 22/8
        D(2026, 9, 1),
        D(2026, 9, 2),
        D(2025, 4, 7),  # Hùng Kings' day 2025 (10/3 lunar) on a Monday
        D(2025, 1, 29),  # Tết Ất Tỵ
    ],
)
def test_public_holidays_are_not_working_days(day):
    assert not is_working_day(day)
    assert workdays.day_info(day).reason == "holiday"


def test_weekends_off_weekdays_on():
    assert is_working_day(D(2026, 3, 10))  # Tuesday
    assert not is_working_day(D(2026, 3, 14))  # Saturday
    assert not is_working_day(D(2026, 3, 15))  # Sunday


def test_national_makeup_saturday_is_a_working_day():
    # The government swapped Monday 31/8/2026 with Saturday 22/8/2026 (package data).
    assert is_working_day(D(2026, 8, 22))
    assert workdays.day_info(D(2026, 8, 22)).reason == "makeup_day"


def test_tet_2026_break_runs_from_14_to_22_february():
    # The announced break (Sat 14/2 – Sun 22/2/2026) is five statutory days plus two weekends.
    off = [D(2026, 2, 14) + dt.timedelta(days=i) for i in range(9)]
    assert not any(is_working_day(day) for day in off)
    assert is_working_day(D(2026, 2, 13))
    assert is_working_day(D(2026, 2, 23))
    # A document received on Friday 13/2 with one working day to answer is due on Monday 23/2.
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 23)
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 23)) == 1


def test_reunification_and_labour_day_2026():
    # Wednesday 29/4 + 1 working day skips Thu 30/4, Fri 1/5 and the weekend.
    assert add_working_days(D(2026, 4, 29), 1) == D(2026, 5, 4)


def test_national_day_2026_with_swap():
    # Friday 21/8 + 1 → Saturday 22/8 (make-up); then 31/8, 1/9, 2/9 are off.
    assert add_working_days(D(2026, 8, 21), 1) == D(2026, 8, 22)
    assert add_working_days(D(2026, 8, 28), 1) == D(2026, 9, 3)


def test_hung_kings_day_2026_observed_monday():
    assert not is_working_day(D(2026, 4, 26))
    assert add_working_days(D(2026, 4, 24), 1) == D(2026, 4, 28)


def test_zero_days_means_today_or_next_working_day():
    assert add_working_days(D(2026, 3, 10), 0) == D(2026, 3, 10)
    assert add_working_days(D(2026, 3, 14), 0) == D(2026, 3, 16)


def test_working_days_between_is_signed_and_consistent():
    start = D(2026, 4, 20)
    for n in (1, 3, 5, 10, 40):
        assert working_days_between(start, add_working_days(start, n)) == n
    assert working_days_between(D(2026, 4, 30), D(2026, 4, 20)) == -working_days_between(D(2026, 4, 20), D(2026, 4, 30))
    assert working_days_between(start, start) == 0


@pytest.mark.parametrize("bad", [-1, -100, workdays.MAX_WORKING_DAYS + 1, 10**12])
def test_negative_or_huge_day_counts_refused(bad):
    with pytest.raises(ValueError):
        add_working_days(D(2026, 1, 5), bad)
    with pytest.raises(ValueError):
        deadline_for(D(2026, 1, 5), days=bad)


@pytest.mark.parametrize("bad", [1.5, "3", None, True])
def test_non_integer_day_counts_refused(bad):
    with pytest.raises(TypeError):
        add_working_days(D(2026, 1, 5), bad)


def test_dates_out_of_supported_range_refused():
    with pytest.raises(ValueError):
        is_working_day(D(1900, 1, 1))
    with pytest.raises(ValueError):
        add_working_days(D(2099, 12, 30), 10)


def test_naive_datetimes_refused():
    with pytest.raises(ValueError):
        add_working_hours(dt.datetime(2026, 3, 10, 9, 0), 1)
    with pytest.raises(ValueError):
        is_working_day(dt.datetime(2026, 3, 10, 9, 0))


def test_datetime_days_keep_local_time_and_return_utc():
    start = local(2026, 2, 13, 9, 15)
    result = add_working_days(start, 1)
    assert result.tzinfo == dt.UTC
    assert result.astimezone(VN) == local(2026, 2, 23, 9, 15)


def test_local_date_of_a_utc_datetime_is_used():
    # 20:00 UTC on Friday 13/3 is already Saturday 14/3 in Hà Nội.
    assert not is_working_day(dt.datetime(2026, 3, 13, 20, 0, tzinfo=dt.UTC))
    assert is_working_day(dt.datetime(2026, 3, 13, 9, 0, tzinfo=dt.UTC))


# --- Hours -----------------------------------------------------------------------------------------------


def test_hours_within_a_session():
    assert add_working_hours(local(2026, 3, 10, 8, 0), 2).astimezone(VN) == local(2026, 3, 10, 10, 0)


def test_hours_cross_lunch():
    # 10:30 + 2h: one hour until 11:30, one more from 13:30.
    assert add_working_hours(local(2026, 3, 10, 10, 30), 2).astimezone(VN) == local(2026, 3, 10, 14, 30)


def test_hours_cross_overnight():
    # 16:30 + 3h: 1h today, 2h tomorrow morning.
    assert add_working_hours(local(2026, 3, 10, 16, 30), 3).astimezone(VN) == local(2026, 3, 11, 9, 30)


def test_hours_cross_a_weekend():
    # Friday 13/3 16:00 + 4h: 1.5h Friday, 2.5h Monday 16/3 from 07:30.
    assert add_working_hours(local(2026, 3, 13, 16, 0), 4).astimezone(VN) == local(2026, 3, 16, 10, 0)


def test_hours_end_exactly_at_close_of_session():
    assert add_working_hours(local(2026, 3, 10, 9, 30), 2).astimezone(VN) == local(2026, 3, 10, 11, 30)
    assert add_working_hours(local(2026, 3, 10, 7, 30), 8).astimezone(VN) == local(2026, 3, 10, 17, 30)


def test_hours_starting_outside_working_time():
    # Saturday night: counting starts Monday 07:30.
    assert add_working_hours(local(2026, 3, 14, 22, 0), 1).astimezone(VN) == local(2026, 3, 16, 8, 30)
    # During lunch: counting starts at 13:30.
    assert add_working_hours(local(2026, 3, 10, 12, 0), 0.5).astimezone(VN) == local(2026, 3, 10, 14, 0)
    # Early morning.
    assert add_working_hours(local(2026, 3, 10, 5, 0), 1).astimezone(VN) == local(2026, 3, 10, 8, 30)


def test_hours_skip_tet():
    # Friday 13/2/2026 17:00 + 1h: 30 min on Friday, the rest on Monday 23/2.
    assert add_working_hours(local(2026, 2, 13, 17, 0), 1).astimezone(VN) == local(2026, 2, 23, 8, 0)


def test_hours_return_utc_aware():
    result = add_working_hours(local(2026, 3, 10, 8, 0), 1)
    assert result.tzinfo == dt.UTC
    assert result == dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("bad", [-1, -0.5, workdays.MAX_WORKING_HOURS + 1, float("nan"), float("inf")])
def test_bad_hours_refused(bad):
    with pytest.raises(ValueError):
        add_working_hours(local(2026, 3, 10, 8, 0), bad)


def test_zero_hours_returns_start():
    start = local(2026, 3, 10, 8, 0)
    assert add_working_hours(start, 0) == start


# --- deadline_for ----------------------------------------------------------------------------------------


def test_deadline_in_days_is_close_of_business():
    due = deadline_for(local(2026, 2, 13, 10, 0), days=1)
    assert due.astimezone(VN) == local(2026, 2, 23, 17, 30)
    assert deadline_for(D(2026, 3, 10), days=0).astimezone(VN) == local(2026, 3, 10, 17, 30)


def test_deadline_in_hours():
    assert deadline_for(local(2026, 3, 13, 16, 0), hours=4).astimezone(VN) == local(2026, 3, 16, 10, 0)
    # A date counts from the start of that day.
    assert deadline_for(D(2026, 3, 10), hours=8).astimezone(VN) == local(2026, 3, 10, 17, 30)


def test_deadline_needs_exactly_one_unit():
    with pytest.raises(ValueError):
        deadline_for(D(2026, 3, 10))
    with pytest.raises(ValueError):
        deadline_for(D(2026, 3, 10), days=1, hours=1)


# --- Administrator's exceptions --------------------------------------------------------------------------


@pytest.fixture
def admin(province, make_member):
    return make_member(province, Role.ADMINISTRATOR)


def test_extra_day_off_and_makeup_saturday(admin):
    # Suppose the province gives Friday 2/1/2026 off and makes Saturday 10/1/2026 a working day.
    assert is_working_day(D(2026, 1, 2))
    assert not is_working_day(D(2026, 1, 10))
    calendar_day_set(actor=admin, date=D(2026, 1, 2), kind=CalendarDay.Kind.DAY_OFF, name="Nghỉ bù Tết Dương lịch")
    calendar_day_set(actor=admin, date="2026-01-10", kind=CalendarDay.Kind.WORKING_DAY, name="Làm bù")
    assert not is_working_day(D(2026, 1, 2))
    assert is_working_day(D(2026, 1, 10))
    assert workdays.day_info(D(2026, 1, 10)).reason == "calendar_working_day"
    # Wednesday 31/12/2025 + 1 → Monday 5/1 (1/1 holiday, 2/1 extra day off, weekend)
    assert add_working_days(D(2025, 12, 31), 1) == D(2026, 1, 5)
    # Friday 9/1 + 1 → Saturday 10/1 (make-up)
    assert add_working_days(D(2026, 1, 9), 1) == D(2026, 1, 10)
    verbs = list(AuditEvent.objects.filter(verb=AuditVerbs.CALENDAR_DAY_SET).values_list("target_id", flat=True))
    assert len(verbs) == 2

    calendar_day_remove(actor=admin, date=D(2026, 1, 2))
    assert is_working_day(D(2026, 1, 2))
    assert AuditEvent.objects.filter(verb=AuditVerbs.CALENDAR_DAY_REMOVED).count() == 1


def test_setting_a_day_twice_replaces_it(admin):
    calendar_day_set(actor=admin, date=D(2026, 6, 1), kind=CalendarDay.Kind.DAY_OFF, name="A")
    calendar_day_set(actor=admin, date=D(2026, 6, 1), kind=CalendarDay.Kind.WORKING_DAY, name="B")
    assert CalendarDay.objects.get(date=D(2026, 6, 1)).name == "B"
    assert CalendarDay.objects.count() == 1


def test_exception_can_make_a_holiday_a_working_day(admin):
    calendar_day_set(actor=admin, date=D(2026, 11, 24), kind=CalendarDay.Kind.WORKING_DAY, name="Trực")
    assert is_working_day(D(2026, 11, 24))


def test_cache_is_invalidated_within_a_request(admin):
    from cityops.core.context import RequestInfo, reset_request_info, set_request_info

    token = set_request_info(RequestInfo(ip_address=None, request_id="r1"))
    try:
        assert is_working_day(D(2026, 6, 2))
        calendar_day_set(actor=admin, date=D(2026, 6, 2), kind=CalendarDay.Kind.DAY_OFF, name="X")
        assert not is_working_day(D(2026, 6, 2))
    finally:
        reset_request_info(token)


def test_only_administrators_change_the_calendar(agency_a, make_member):
    for role in (Role.AGENCY_HEAD, Role.LEADER, Role.SPECIALIST, Role.CITIZEN):
        user = make_member(agency_a, role)
        with pytest.raises(PermissionDenied):
            calendar_day_set(actor=user, date=D(2026, 6, 1), kind=CalendarDay.Kind.DAY_OFF, name="x")
        with pytest.raises(PermissionDenied):
            calendar_day_remove(actor=user, date=D(2026, 6, 1))
    with pytest.raises(PermissionDenied):
        calendar_day_set(actor=None, date=D(2026, 6, 1), kind=CalendarDay.Kind.DAY_OFF, name="x")
    assert CalendarDay.objects.count() == 0


@pytest.mark.parametrize(
    "date,kind,name",
    [
        ("2026-13-45", CalendarDay.Kind.DAY_OFF, "x"),
        ("not a date", CalendarDay.Kind.DAY_OFF, "x"),
        ("1800-01-01", CalendarDay.Kind.DAY_OFF, "x"),
        ("2026-06-01", "holiday", "x"),
        ("2026-06-01", CalendarDay.Kind.DAY_OFF, ""),
        ("2026-06-01", CalendarDay.Kind.DAY_OFF, "x" * 300),
    ],
)
def test_bad_calendar_input_rejected_without_writing(admin, date, kind, name):
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        calendar_day_set(actor=admin, date=date, kind=kind, name=name)
    assert CalendarDay.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_removing_a_missing_day_is_an_error(admin):
    with pytest.raises(ValidationError):
        calendar_day_remove(actor=admin, date=D(2026, 6, 1))


def test_names_are_nfc(admin):
    import unicodedata

    entry = calendar_day_set(
        actor=admin, date=D(2026, 6, 3), kind=CalendarDay.Kind.DAY_OFF, name=unicodedata.normalize("NFD", "Nghỉ lễ")
    )
    assert entry.name == unicodedata.normalize("NFC", "Nghỉ lễ")


# --- Calendar page ---------------------------------------------------------------------------------------

CAL = "/calendar/"


def test_calendar_page_lists_holidays_and_exceptions(client, admin):
    calendar_day_set(actor=admin, date=D(2026, 1, 2), kind=CalendarDay.Kind.DAY_OFF, name="Nghỉ bù <b>Tết</b>")
    client.force_login(admin)
    response = client.get(CAL, {"year": "2026"})
    assert response.status_code == 200
    body = response.content.decode()
    for day in ("2026-02-17", "2026-04-27", "2026-09-02", "2026-08-22"):
        assert f'data-testid="calendar-holiday" data-date="{day}"' in body, day
    assert 'data-testid="calendar-exception" data-date="2026-01-02"' in body
    assert "<b>Tết</b>" not in body and "&lt;b&gt;Tết&lt;/b&gt;" in body
    assert 'data-testid="calendar-form"' in body


@pytest.mark.parametrize("year", ["abc", "1800", "99999999999999999999", "-1", ""])
def test_calendar_page_bad_year_falls_back(client, admin, year):
    client.force_login(admin)
    assert client.get(CAL, {"year": year}).status_code == 200


def test_calendar_page_add_and_remove(client, admin):
    client.force_login(admin)
    response = client.post(CAL, {"action": "set", "date": "2026-01-10", "kind": "working_day", "name": "Làm bù"})
    assert response.status_code == 302
    assert is_working_day(D(2026, 1, 10))
    response = client.post(CAL, {"action": "remove", "date": "2026-01-10"})
    assert response.status_code == 302
    assert not is_working_day(D(2026, 1, 10))
    assert AuditEvent.objects.filter(verb=AuditVerbs.CALENDAR_DAY_REMOVED).count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"action": "set", "date": "2026-13-45", "kind": "day_off", "name": "x"},
        {"action": "set", "date": "1800-01-01", "kind": "day_off", "name": "x"},
        {"action": "set", "date": "2026-06-01", "kind": "bogus", "name": "x"},
        {"action": "set", "date": "2026-06-01", "kind": "day_off", "name": ""},
        {"action": "set", "date": "2026-06-01", "kind": "day_off", "name": "x" * 300},
    ],
)
def test_calendar_page_bad_input(client, admin, data):
    client.force_login(admin)
    response = client.post(CAL, data)
    assert response.status_code == 400
    assert 'data-testid="calendar-error"' in response.content.decode()
    assert CalendarDay.objects.count() == 0


def test_calendar_page_remove_bad_or_missing_date(client, admin):
    client.force_login(admin)
    assert client.post(CAL, {"action": "remove", "date": "nope"}).status_code == 302
    assert client.post(CAL, {"action": "remove", "date": "2026-06-01"}).status_code == 302


def test_calendar_page_read_only_for_others(client, agency_a, make_member):
    head = make_member(agency_a, Role.AGENCY_HEAD)
    client.force_login(head)
    body = client.get(CAL).content.decode()
    assert 'data-testid="calendar-form"' not in body
    response = client.post(CAL, {"action": "set", "date": "2026-06-01", "kind": "day_off", "name": "x"})
    assert response.status_code == 403
    assert CalendarDay.objects.count() == 0


def test_calendar_page_requires_login(client):
    assert client.get(CAL).status_code == 302


# --- Calendar API ----------------------------------------------------------------------------------------

API = "/api/v1/calendar/working-days"


def test_api_deadline_in_days(client, admin):
    client.force_login(admin)
    response = client.get(API, {"start": "2026-02-13", "days": 1})
    assert response.status_code == 200
    data = response.json()
    assert data["deadline_date"] == "2026-02-23"
    assert data["deadline_local"] == "2026-02-23T17:30:00+07:00"
    assert dt.datetime.fromisoformat(data["deadline"].replace("Z", "+00:00")) == local(2026, 2, 23, 17, 30)


def test_api_deadline_in_hours(client, admin):
    client.force_login(admin)
    data = client.get(API, {"start": "2026-03-13T16:00:00+07:00", "hours": 4}).json()
    assert data["deadline_local"] == "2026-03-16T10:00:00+07:00"
    # 09:00 UTC is 16:00 in Hà Nội; two hours run past 17:30 into Monday.
    data = client.get(API, {"start": "2026-03-13T09:00:00Z", "hours": 2}).json()
    assert data["deadline_local"] == "2026-03-16T08:00:00+07:00"


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-02-13"},
        {"start": "2026-02-13", "days": 1, "hours": 1},
        {"start": "2026-02-13", "days": -1},
        {"start": "2026-02-13", "days": 10**9},
        {"start": "2026-02-13", "days": "abc"},
        {"start": "2026-02-13", "hours": -2},
        {"start": "2026-13-45", "days": 1},
        {"start": "2026-02-13T09:00:00", "hours": 1},
        {"start": "<script>", "days": 1},
        {"start": "1800-01-01", "days": 1},
        {"start": "x" * 100, "days": 1},
        {"days": 1},
    ],
)
def test_api_bad_input_is_400(client, admin, params):
    client.force_login(admin)
    response = client.get(API, params)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"


def test_api_requires_auth(client):
    assert client.get(API, {"start": "2026-02-13", "days": 1}).status_code == 401


def test_api_year_days(client, admin):
    calendar_day_set(actor=admin, date=D(2026, 1, 10), kind=CalendarDay.Kind.WORKING_DAY, name="Làm bù")
    client.force_login(admin)
    data = client.get("/api/v1/calendar/2026/days").json()
    by_date = {d["date"]: d for d in data}
    assert by_date["2026-02-17"]["reason"] == "holiday" and not by_date["2026-02-17"]["is_working"]
    assert by_date["2026-01-10"]["reason"] == "calendar_working_day" and by_date["2026-01-10"]["is_working"]
    assert by_date["2026-08-22"]["reason"] == "makeup_day"
    assert client.get("/api/v1/calendar/1800/days").status_code == 400


def test_holiday_names_follow_the_language():
    from django.utils import translation

    with translation.override("vi"):
        assert "Tết" in workdays.day_info(D(2026, 2, 17)).name
    with translation.override("en"):
        assert workdays.day_info(D(2026, 2, 17)).name == "Lunar New Year"
