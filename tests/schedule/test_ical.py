"""iCalendar feeds read by the independent ``icalendar`` parser, and import of good, bad, huge and hostile files."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from icalendar import Calendar

from cityops.schedule import ical, services
from cityops.schedule.models import Event
from tests.schedule.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_window(monkeypatch):
    """Feeds cover a window around now; the fixtures' week (late November 2026) must be inside it."""
    monkeypatch.setattr(timezone, "now", lambda: at(0, 7))


def _feed(client, raw):
    response = client.get(f"/schedule/feeds/{raw}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def _summaries(cal):
    return {str(e["SUMMARY"]): e for e in cal.walk("VEVENT")}


@pytest.fixture
def published(make_event, office_clerk, secretary, room, vice_chairman, agency_a):
    public = services.event_publish(
        actor=office_clerk,
        event=make_event(content="Họp UBND tỉnh", room=room, participants=[vice_chairman],
                         participating_agencies=[agency_a]),
    )  # fmt: skip
    private = services.event_publish(
        actor=secretary, event=make_event(actor=secretary, content="Việc riêng", room=None, is_private=True,
                                          start=at(1, 8), end=at(1, 9)),
    )  # fmt: skip
    private_room = services.event_publish(
        actor=secretary, event=make_event(actor=secretary, content="Gặp riêng", room=room, is_private=True,
                                          start=at(2, 8), end=at(2, 9)),
    )  # fmt: skip
    draft = make_event(content="Bản nháp", start=at(3, 8), end=at(3, 9))
    return {"public": public, "private": private, "private_room": private_room, "draft": draft}


def test_leader_feed_has_own_items_with_private_ones(client, published, chairman):
    _token, raw = services.feed_token_create(actor=chairman, kind="person", person=chairman)
    cal = _feed(client, raw)
    events = _summaries(cal)
    assert set(events) == {"Họp UBND tỉnh", "Việc riêng", "Gặp riêng"}
    item = events["Họp UBND tỉnh"]
    assert str(item["UID"]) == f"{published['public'].uid}@cityops"
    assert int(item["SEQUENCE"]) == 1
    assert item.decoded("DTSTART") == at(0, 8)
    assert item.decoded("DTSTART").utcoffset() == timedelta(0)
    assert "Phòng họp số 1" in str(item["LOCATION"])
    assert str(events["Việc riêng"]["CLASS"]) == "PRIVATE"
    # Stable UID across revisions; SEQUENCE follows the revision.
    services.event_update(actor=chairman, event=published["public"], start=at(0, 9), end=at(0, 10),
                          content="Họp UBND tỉnh", room=None)  # fmt: skip
    item = _summaries(_feed(client, raw))["Họp UBND tỉnh"]
    assert str(item["UID"]) == f"{published['public'].uid}@cityops" and int(item["SEQUENCE"]) == 2


def test_participant_sees_invitation_in_own_feed(client, published, vice_chairman):
    _token, raw = services.feed_token_create(actor=vice_chairman, kind="person", person=vice_chairman)
    assert set(_summaries(_feed(client, raw))) == {"Họp UBND tỉnh"}


def test_agency_and_room_feeds_never_hold_private_items(client, published, room, clerk_a, agency_a, office_clerk):
    _t, raw = services.feed_token_create(actor=clerk_a, kind="agency", agency=agency_a)
    assert set(_summaries(_feed(client, raw))) == {"Họp UBND tỉnh"}
    _t, raw = services.feed_token_create(actor=office_clerk, kind="room", room=room)
    assert set(_summaries(_feed(client, raw))) == {"Họp UBND tỉnh"}


def test_cancelled_item_stays_as_cancelled(client, published, office_clerk):
    services.event_cancel(actor=office_clerk, event=published["public"])
    _t, raw = services.feed_token_create(actor=office_clerk, kind="agency", agency=published["public"].organization)
    item = _summaries(_feed(client, raw))["Họp UBND tỉnh"]
    assert str(item["STATUS"]) == "CANCELLED" and int(item["SEQUENCE"]) == 2


def test_revoked_and_unknown_tokens_are_404(client, published, chairman):
    token, raw = services.feed_token_create(actor=chairman, kind="person", person=chairman)
    services.feed_token_revoke(actor=chairman, token=token)
    assert client.get(f"/schedule/feeds/{raw}.ics").status_code == 404
    assert client.get("/schedule/feeds/" + "x" * 43 + ".ics").status_code == 404
    assert client.get("/schedule/feeds/%2e%2e%2fsecret.ics").status_code == 404


def test_feed_of_a_secretary_stops_when_the_delegation_ends(client, published, chairman, secretary):
    _t, raw = services.feed_token_create(actor=secretary, kind="person", person=chairman)
    assert _feed(client, raw)
    services.secretary_remove(actor=chairman, assignment=chairman.schedule_secretaries.get())
    assert client.get(f"/schedule/feeds/{raw}.ics").status_code == 404


GOOD = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Test//EN\r
BEGIN:VEVENT\r
UID:abc-1@example\r
DTSTAMP:20261120T000000Z\r
DTSTART;TZID=Asia/Ho_Chi_Minh:20261124T083000\r
DTEND;TZID=Asia/Ho_Chi_Minh:20261124T100000\r
SUMMARY:Ho\u0323p ba\u0300n ke\u0302\u0301 hoa\u0323ch\r
LOCATION:Hội trường A\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:abc-2@example\r
DTSTAMP:20261120T000000Z\r
DTSTART:20261125T070000Z\r
DURATION:PT2H\r
SUMMARY:Tiếp dân\r
RRULE:FREQ=WEEKLY;COUNT=3\r
END:VEVENT\r
END:VCALENDAR\r
""".encode()


def test_import_good_file_creates_drafts_nfc(province, chairman, secretary):
    result = services.events_import(actor=secretary, organization=province, leader=chairman, data=GOOD)
    assert len(result.events) == 2
    first, second = sorted(result.events, key=lambda e: e.start)
    assert first.content == "Họp bàn kế hoạch" and first.start == at(1, 8, 30) and first.status == "draft"
    assert first.location == "Hội trường A"
    assert second.start == at(2, 14) and second.end == at(2, 16)
    # The weekly rule with COUNT=3 became three occurrences of one series.
    assert result.occurrences == 4
    series = Event.objects.filter(series=second.series).order_by("start")
    assert [e.start for e in series] == [at(2, 14), at(9, 14), at(16, 14)]
    assert {e.recurrence for e in series} == {"FREQ=WEEKLY;COUNT=3"}
    # The same file again adds nothing.
    again = services.events_import(actor=secretary, organization=province, leader=chairman, data=GOOD)
    assert again.events == [] and Event.objects.count() == 4


@pytest.mark.parametrize(
    "data",
    [
        b"not a calendar at all",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n",
        b"\xff\xfe\x00B\x00E",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:no start\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    ],
)
def test_malformed_files_are_refused_and_nothing_is_saved(province, chairman, secretary, data):
    with pytest.raises(ValidationError):
        services.events_import(actor=secretary, organization=province, leader=chairman, data=data)
    assert not Event.objects.exists()


def test_one_bad_item_saves_nothing(province, chairman, secretary):
    bad = GOOD.replace(b"END:VCALENDAR\r\n", b"") + (
        b"BEGIN:VEVENT\r\nUID:bad\r\nDTSTART:20261126T100000Z\r\nDTEND:20261126T090000Z\r\n"
        b"SUMMARY:ends before it starts\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    with pytest.raises(ValidationError) as exc:
        services.events_import(actor=secretary, organization=province, leader=chairman, data=bad)
    assert "3" in " ".join(exc.value.messages)
    assert not Event.objects.exists()


def test_huge_files_and_too_many_items_are_refused(province, chairman, secretary):
    huge = b"BEGIN:VCALENDAR\r\n" + b"X-PAD:" + b"a" * (ical.MAX_IMPORT_BYTES + 10) + b"\r\nEND:VCALENDAR\r\n"
    with pytest.raises(ValidationError) as exc:
        services.events_import(actor=secretary, organization=province, leader=chairman, data=huge)
    assert exc.value.code == "too_large"
    one = b"BEGIN:VEVENT\r\nDTSTART:20261126T010000Z\r\nSUMMARY:x\r\nEND:VEVENT\r\n"
    many = b"BEGIN:VCALENDAR\r\n" + one * (ical.MAX_IMPORT_EVENTS + 1) + b"END:VCALENDAR\r\n"
    with pytest.raises(ValidationError) as exc:
        services.events_import(actor=secretary, organization=province, leader=chairman, data=many)
    assert exc.value.code == "too_many"
    assert not Event.objects.exists()


HOSTILE = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:evil\r\nDTSTART:20261123T020000Z\r\n"
    b"DTEND:20261123T030000Z\r\nSUMMARY:<script>alert(1)</script><img src=x onerror=alert(2)>\r\n"
    b'LOCATION:"><b>bold</b>\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'
)


def test_hostile_text_is_stored_as_text_and_rendered_escaped(client, province, chairman, secretary):
    result = services.events_import(actor=secretary, organization=province, leader=chairman, data=HOSTILE)
    event = result.events[0]
    assert event.content.startswith("<script>")
    client.force_login(secretary)
    for url in ["/schedule/?week=2026-W48", f"/schedule/events/{event.pk}/", "/schedule/print/?week=2026-W48"]:
        body = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in body and "<img src=x" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "<b>bold</b>" not in body


def test_import_page_shows_a_clear_error(client, province, chairman, secretary):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(secretary)
    response = client.post(
        "/schedule/import/",
        {"organization": province.pk, "leader": chairman.pk,
         "file": SimpleUploadedFile("x.ics", b"BEGIN:VCALENDAR\r\nnonsense", content_type="text/calendar")},
    )  # fmt: skip
    assert response.status_code == 400
    assert b'data-testid="error-file"' in response.content
    assert not Event.objects.exists()
    response = client.post(
        "/schedule/import/",
        {"organization": province.pk, "leader": chairman.pk,
         "file": SimpleUploadedFile("x.ics", GOOD, content_type="text/calendar")},
    )  # fmt: skip
    assert response.status_code == 302 and Event.objects.count() == 4


def test_attendees_name_the_chair_people_agencies_and_room(client, published, chairman):
    _t, raw = services.feed_token_create(actor=chairman, kind="person", person=chairman)
    item = _summaries(_feed(client, raw))["Họp UBND tỉnh"]
    attendees = item.get("ATTENDEE")
    kinds = {(str(a.params.get("CUTYPE")), str(a.params.get("ROLE"))) for a in attendees}
    assert ("INDIVIDUAL", "CHAIR") in kinds and ("INDIVIDUAL", "REQ-PARTICIPANT") in kinds
    assert ("GROUP", "REQ-PARTICIPANT") in kinds and ("ROOM", "NON-PARTICIPANT") in kinds
    assert str(item["ORGANIZER"].params["CN"]) == "Nguyễn Văn Chủ Tịch"


def test_feed_read_stamps_last_use(client, published, chairman):
    token, raw = services.feed_token_create(actor=chairman, kind="person", person=chairman)
    _feed(client, raw)
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize(
    "dtstart",
    [b"DTSTART:99991231T230000Z", b"DTSTART:00010101T000000Z", b"DTSTART;VALUE=PERIOD:20261124T083000Z/PT1H"],
)
def test_out_of_range_and_odd_starts_are_clear_errors(province, chairman, secretary, dtstart):
    data = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n" + dtstart + b"\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    with pytest.raises(ValidationError):
        services.events_import(actor=secretary, organization=province, leader=chairman, data=data)
    assert not Event.objects.exists()


def test_repeated_properties_and_whole_days(province, chairman, secretary):
    data = (
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261124\r\nSUMMARY:first\r\nSUMMARY:second\r\n"
        b"BEGIN:VALARM\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    event = services.events_import(actor=secretary, organization=province, leader=chairman, data=data).events[0]
    assert event.content == "first" and event.start == at(1, 0) and event.end == at(2, 0)
