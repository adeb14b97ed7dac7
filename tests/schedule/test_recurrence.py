"""Recurring items: rules checked and bounded, occurrences booked like single items, series published or ended."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cityops.core.models import AuditEvent, Notification
from cityops.core.permissions import NotFoundOrForbidden
from cityops.schedule import recurrence, services
from cityops.schedule.choices import EventStatus
from cityops.schedule.models import Event
from tests.schedule.conftest import at

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=SECONDLY",  # the classic bomb: one item a second, no end
        "FREQ=MINUTELY;COUNT=5",
        "FREQ=HOURLY",
        "FREQ=WEEKLY;COUNT=999999999",
        "FREQ=DAILY;BYSECOND=1,2,3",
        "FREQ=WEEKLY;INTERVAL=0",
        "FREQ=WEEKLY;UNTIL=tomorrow",
        "FREQ=WEEKLY;COUNT=3;UNTIL=20270101",
        "FREQ=WEEKLY;BYDAY=XX",
        "FREQ=MONTHLY;BYMONTHDAY=40",
        "FREQ=WEEKLY;FREQ=DAILY",
        "INTERVAL=2",
        "FREQ=WEEKLY;" + "BYDAY=MO;" * 40,
        "FREQ=WEEKLY<script>",
    ],
)
def test_hostile_or_unsupported_rules_are_refused(rule):
    with pytest.raises(ValidationError) as exc:
        recurrence.expand(rule, at(0, 8))
    assert "recurrence" in exc.value.message_dict


def test_open_ended_rule_is_cut_at_the_limit():
    daily = recurrence.expand("FREQ=DAILY", at(0, 8))
    assert daily.truncated and len(daily.starts) == recurrence.MAX_OCCURRENCES
    weekly = recurrence.expand("RRULE:freq=weekly", at(0, 8))
    assert weekly.truncated and weekly.starts[-1] <= at(0, 8) + recurrence.HORIZON


def test_bounded_rule_beyond_the_limits_is_refused_not_cut():
    with pytest.raises(ValidationError):
        recurrence.expand("FREQ=DAILY;UNTIL=20290101", at(0, 8))
    with pytest.raises(ValidationError):  # every occurrence excluded
        recurrence.expand("FREQ=DAILY;COUNT=2", at(0, 8), exceptions=[date(2026, 11, 23), date(2026, 11, 24)])


def test_weekly_rule_with_exceptions_keeps_local_time():
    result = recurrence.expand("FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261209", at(0, 8), exceptions=[date(2026, 11, 25)])
    assert result.starts == [at(0, 8), at(7, 8), at(9, 8), at(14, 8), at(16, 8)]
    assert not result.truncated


def test_build_rule_from_the_form_choices():
    assert recurrence.build_rule(freq="weekly", interval=2, count=4) == "FREQ=WEEKLY;INTERVAL=2;COUNT=4"
    assert recurrence.build_rule(freq="MONTHLY", until=date(2027, 3, 1)) == "FREQ=MONTHLY;UNTIL=20270301T235959"
    assert recurrence.build_rule(freq="") == ""


def test_recurring_item_becomes_a_series_of_drafts(make_event, office_clerk, province, chairman):
    saved = services.event_create(
        actor=office_clerk, organization=province, leader=chairman, start=at(0, 8), end=at(0, 9),
        content="Giao ban tuần", recurrence="FREQ=WEEKLY;COUNT=4", exceptions=[date(2026, 12, 7)],
    )  # fmt: skip
    assert saved.occurrences == 3
    series = list(Event.objects.filter(series=saved.event.series).order_by("start"))
    assert [e.start for e in series] == [at(0, 8), at(7, 8), at(21, 8)]
    assert all(e.status == EventStatus.DRAFT and e.session == "morning" for e in series)
    assert AuditEvent.objects.filter(verb="schedule.event.created").count() == 3
    assert len({e.uid for e in series}) == 3


def test_room_clash_on_any_occurrence_refuses_the_whole_series(make_event, office_clerk, province, chairman, room):
    make_event(room=room, start=at(14, 8, 30), end=at(14, 9, 30), content="Đã đặt phòng")
    with pytest.raises(ValidationError) as exc:
        services.event_create(
            actor=office_clerk, organization=province, leader=chairman, start=at(0, 8), end=at(0, 9),
            content="Giao ban", room=room, recurrence="FREQ=WEEKLY;COUNT=4",
        )  # fmt: skip
    assert "07/12/2026" in " ".join(exc.value.message_dict["room"])
    assert Event.objects.count() == 1  # nothing half-saved


def test_person_conflicts_are_checked_on_every_occurrence(make_event, office_clerk, province, chairman, vice_chairman):
    make_event(leader=vice_chairman, start=at(14, 8), end=at(14, 9), content="Tiếp khách quốc tế")
    saved = services.event_create(
        actor=office_clerk, organization=province, leader=chairman, start=at(0, 8), end=at(0, 9),
        content="Giao ban", participants=[vice_chairman], recurrence="FREQ=WEEKLY;COUNT=3",
    )  # fmt: skip
    assert saved.occurrences == 3
    assert len(saved.warnings) == 1 and "07/12/2026" in saved.warnings[0] and "Tiếp khách" in saved.warnings[0]


def test_open_ended_series_warns_where_it_stops(office_clerk, province, chairman):
    saved = services.event_create(
        actor=office_clerk, organization=province, leader=chairman, start=at(0, 8), end=at(0, 9),
        content="Giao ban", recurrence="FREQ=WEEKLY",
    )  # fmt: skip
    assert saved.occurrences == 105
    assert any("without an end" in w for w in saved.warnings)


def test_publish_series_sends_one_invitation_and_cancel_following(office_clerk, province, chairman, vice_chairman):
    saved = services.event_create(
        actor=office_clerk, organization=province, leader=chairman, start=at(0, 8), end=at(0, 9),
        content="Giao ban", participants=[vice_chairman], recurrence="FREQ=WEEKLY;COUNT=4",
    )  # fmt: skip
    services.event_publish(actor=office_clerk, event=saved.event, whole_series=True)
    series = Event.objects.filter(series=saved.event.series).order_by("start")
    assert [e.status for e in series] == [EventStatus.PUBLISHED] * 4
    assert Notification.objects.filter(recipient=vice_chairman, kind="schedule").count() == 1
    third = series[2]
    services.event_cancel(actor=office_clerk, event=third, following=True)
    assert [(e.status, e.revision) for e in Event.objects.filter(series=saved.event.series).order_by("start")] == [
        (EventStatus.PUBLISHED, 1), (EventStatus.PUBLISHED, 1), (EventStatus.CANCELLED, 2), (EventStatus.CANCELLED, 2),
    ]  # fmt: skip
    assert Notification.objects.filter(recipient=vice_chairman, kind="schedule").count() == 2


def test_other_agency_cannot_end_a_series(agency_a, head_a, clerk_a, clerk_b):
    saved = services.event_create(
        actor=clerk_a, organization=agency_a, leader=head_a, start=at(0, 8), end=at(0, 9), content="Nội bộ",
        recurrence="FREQ=DAILY;COUNT=3",
    )  # fmt: skip
    with pytest.raises(NotFoundOrForbidden):
        services.event_cancel(actor=clerk_b, event=saved.event, following=True)
    with pytest.raises(NotFoundOrForbidden):
        services.event_publish(actor=clerk_b, event=saved.event, whole_series=True)
    assert not Event.objects.filter(status=EventStatus.CANCELLED).exists()


def test_form_creates_a_weekly_series(client, office_clerk, province, chairman):
    client.force_login(office_clerk)
    data = {
        "organization": province.pk, "leader": chairman.pk, "day": "2026-11-23", "start_time": "08:00",
        "end_time": "09:00", "content": "Giao ban", "repeat": "WEEKLY", "repeat_count": "3",
        "repeat_except": "30/11/2026",
    }  # fmt: skip
    response = client.post("/schedule/events/new/", data)
    assert response.status_code == 302
    assert list(Event.objects.order_by("start").values_list("day", flat=True)) == [
        date(2026, 11, 23),
        date(2026, 12, 7),
    ]
    bad = {**data, "repeat_except": "not-a-date", "content": "Khác"}
    response = client.post("/schedule/events/new/", bad)
    assert response.status_code == 400 and Event.objects.count() == 2
    both = {**data, "repeat_until": "2026-12-31", "content": "Khác"}
    assert client.post("/schedule/events/new/", both).status_code == 400 and Event.objects.count() == 2


RECURRING = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Test//EN\r
BEGIN:VEVENT\r
UID:weekly@example\r
DTSTAMP:20261120T000000Z\r
DTSTART;TZID=Asia/Ho_Chi_Minh:20261123T080000\r
DTEND;TZID=Asia/Ho_Chi_Minh:20261123T090000\r
SUMMARY:Giao ban\r
RRULE:FREQ=WEEKLY;UNTIL=20261221T235959Z\r
EXDATE;TZID=Asia/Ho_Chi_Minh:20261207T080000\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:weekly@example\r
DTSTAMP:20261120T000000Z\r
RECURRENCE-ID;TZID=Asia/Ho_Chi_Minh:20261130T080000\r
DTSTART;TZID=Asia/Ho_Chi_Minh:20261201T140000\r
DTEND;TZID=Asia/Ho_Chi_Minh:20261201T150000\r
SUMMARY:Giao ban (dời sang thứ Ba)\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_import_expands_a_recurring_event_with_exceptions_and_a_moved_occurrence(province, chairman, secretary):
    result = services.events_import(actor=secretary, organization=province, leader=chairman, data=RECURRING.encode())
    starts = list(Event.objects.order_by("start").values_list("start", flat=True))
    # 23/11, (30/11 moved to 01/12 14:00), (07/12 excepted), 14/12, 21/12
    assert starts == [at(0, 8), at(8, 14), at(21, 8), at(28, 8)]
    assert result.occurrences == 4
    again = services.events_import(actor=secretary, organization=province, leader=chairman, data=RECURRING.encode())
    assert again.occurrences == 0 and Event.objects.count() == 4


@pytest.mark.parametrize(
    "rule",
    ["FREQ=SECONDLY", "FREQ=DAILY;COUNT=100000", "FREQ=YEARLY;BYWEEKNO=1", "FREQ=DAILY;UNTIL=20990101"],
)
def test_import_of_a_rule_bomb_is_refused_whole(province, chairman, secretary, rule):
    data = RECURRING.replace("RRULE:FREQ=WEEKLY;UNTIL=20261221T235959Z", f"RRULE:{rule}").encode()
    with pytest.raises(ValidationError) as exc:
        services.events_import(actor=secretary, organization=province, leader=chairman, data=data)
    assert "Item 1" in " ".join(exc.value.messages)
    assert not Event.objects.exists()


def test_import_page_refuses_a_rule_bomb(client, province, chairman, secretary):
    client.force_login(secretary)
    data = RECURRING.replace("FREQ=WEEKLY;UNTIL=20261221T235959Z", "FREQ=SECONDLY").encode()
    response = client.post(
        "/schedule/import/",
        {"organization": province.pk, "leader": chairman.pk,
         "file": SimpleUploadedFile("x.ics", data, content_type="text/calendar")},
    )  # fmt: skip
    assert response.status_code == 400 and b'data-testid="error-file"' in response.content
    assert not Event.objects.exists()


def test_import_of_many_long_series_is_refused_before_anything_is_written(province, chairman, secretary):
    one = (
        "BEGIN:VEVENT\r\nUID:s{n}@example\r\nDTSTAMP:20261120T000000Z\r\n"
        "DTSTART;TZID=Asia/Ho_Chi_Minh:20261123T080000\r\nDURATION:PT30M\r\nSUMMARY:Chuỗi {n}\r\n"
        "RRULE:FREQ=DAILY;COUNT=250\r\nEND:VEVENT\r\n"
    )
    data = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//T//EN\r\n" + "".join(one.format(n=n) for n in range(10))
    data += "END:VCALENDAR\r\n"
    with pytest.raises(ValidationError) as exc:
        services.events_import(actor=secretary, organization=province, leader=chairman, data=data.encode())
    assert "import it in parts" in " ".join(exc.value.messages)
    assert not Event.objects.exists() and not AuditEvent.objects.filter(verb="schedule.event.created").exists()
