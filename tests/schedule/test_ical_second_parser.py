"""The feeds read by a second, independent iCalendar parser (``ics``, a dev dependency), recurring series included.

``tests/schedule/test_ical.py`` reads them with ``icalendar``; a feed that only one library accepts is not a
standard feed.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from cityops.schedule import services
from tests.schedule.conftest import at

ics = pytest.importorskip("ics", reason="the ics package is a dev dependency")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_window(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: at(0, 7))


def _read(client, raw: str):
    response = client.get(f"/schedule/feeds/{raw}.ics")
    assert response.status_code == 200
    return ics.Calendar(response.content.decode("utf-8"))


def test_second_parser_reads_person_agency_and_room_feeds(client, make_event, office_clerk, secretary, chairman,
                                                          room, vice_chairman, agency_a, clerk_a):  # fmt: skip
    public = services.event_publish(
        actor=office_clerk,
        event=make_event(content="Họp Ủy ban; bàn về \"ngập úng\", phường A\\B", room=room,
                         participants=[vice_chairman], participating_agencies=[agency_a]),
    )  # fmt: skip
    services.event_publish(actor=secretary, event=make_event(actor=secretary, content="Việc riêng", is_private=True,
                                                             start=at(1, 8), end=at(1, 9)))  # fmt: skip
    series = services.event_create(
        actor=office_clerk, organization=public.organization, leader=chairman, start=at(2, 14), end=at(2, 15),
        content="Tiếp công dân định kỳ", recurrence="FREQ=WEEKLY;COUNT=3",
    )  # fmt: skip
    services.event_publish(actor=office_clerk, event=series.event, whole_series=True)
    services.event_cancel(actor=office_clerk, event=public)

    _t, raw = services.feed_token_create(actor=chairman, kind="person", person=chairman)
    events = {e.uid: e for e in _read(client, raw).events}
    assert len(events) == 5
    item = events[public.ical_uid]
    assert item.name == 'Họp Ủy ban; bàn về "ngập úng", phường A\\B'
    assert item.begin.datetime == at(0, 8) and item.end.datetime == at(0, 10)
    assert item.status == "CANCELLED"
    assert "Phòng họp số 1" in item.location
    private = [e for e in events.values() if e.name == "Việc riêng"]
    assert len(private) == 1 and private[0].classification == "PRIVATE"
    weekly = sorted((e for e in events.values() if e.name == "Tiếp công dân định kỳ"), key=lambda e: e.begin)
    assert [e.begin.datetime for e in weekly] == [at(2, 14), at(9, 14), at(16, 14)]

    _t, raw = services.feed_token_create(actor=clerk_a, kind="agency", agency=agency_a)
    assert {e.name for e in _read(client, raw).events} == {'Họp Ủy ban; bàn về "ngập úng", phường A\\B'}
    _t, raw = services.feed_token_create(actor=office_clerk, kind="room", room=room)
    assert "Việc riêng" not in {e.name for e in _read(client, raw).events}
