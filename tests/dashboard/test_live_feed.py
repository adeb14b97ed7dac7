"""The live feed over Server-Sent Events: resume after Last-Event-ID, no duplicates, no leaks, bad ids."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from cityops.core.models import LiveEvent
from cityops.core.services import live
from cityops.dashboard import stream as sse_stream
from cityops.dashboard.stream import format_event, parse_last_id
from tests.dashboard.conftest import SECRET_B, sse_body, sse_events

pytestmark = pytest.mark.django_db


def stream(client, **headers):
    response = client.get(reverse("dashboard:events"), **headers)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    assert response["Cache-Control"].startswith("no-cache")
    return sse_body(response)


def test_events_after_last_event_id_in_order_without_duplicates(client, world):
    client.force_login(world.leader)
    start = world.event_a.pk
    later = [
        live.publish(kind="operations.incident", organization=world.province, title=f"Sự cố {i}") for i in range(3)
    ]
    body = stream(client, HTTP_LAST_EVENT_ID=str(start))
    assert body.startswith("retry: ")
    ids = [int(e["id"]) for e in sse_events(body)]
    assert ids == sorted(set(ids))
    assert start not in ids and world.event_b.pk in ids
    assert ids[-3:] == [e.pk for e in later]
    # Resuming from the last one delivered gives nothing again.
    assert sse_events(stream(client, HTTP_LAST_EVENT_ID=str(ids[-1]))) == []


def test_a_resumed_stream_misses_nothing_written_while_disconnected(client, world):
    """A client that lost the connection (or a restarted server) resumes after the last id it saw."""
    client.force_login(world.leader)
    first = stream(client, HTTP_LAST_EVENT_ID="0")
    seen = [int(e["id"]) for e in sse_events(first)]
    gap = [live.publish(kind="feedback.request", organization=world.province, title=f"Phản ánh {i}") for i in range(2)]
    resumed = [int(e["id"]) for e in sse_events(stream(client, HTTP_LAST_EVENT_ID=str(seen[-1])))]
    assert resumed == [e.pk for e in gap]


def test_fresh_client_starts_from_now_and_query_after_works(client, world):
    client.force_login(world.leader)
    body = stream(client)
    assert sse_events(body) == []
    assert f"id: {LiveEvent.objects.order_by('-id').first().pk}" in body  # where "now" is, for the reconnect
    events = sse_events(stream(client, QUERY_STRING=f"after={world.event_a.pk - 1}"))
    assert [int(e["id"]) for e in events][0] == world.event_a.pk


def test_agency_staff_get_only_their_agencys_events(client, world):
    client.force_login(world.staff_a)
    body = stream(client, HTTP_LAST_EVENT_ID="0")
    ids = [int(e["id"]) for e in sse_events(body)]
    assert world.event_a.pk in ids
    assert world.event_b.pk not in ids
    assert SECRET_B not in body
    # Citizen reports arrive at the provincial desk: not agency A's to see.
    assert not any(json.loads(e["data"])["kind"] == "feedback.request" for e in sse_events(body))


@pytest.mark.parametrize("bad", ["abc", "-5", "1e9", "١٢", "9" * 40, "1; DROP TABLE", "<script>", " ", "0x10", "3.5"])
def test_malformed_last_event_id_starts_from_now(client, world, bad):
    client.force_login(world.leader)
    body = stream(client, HTTP_LAST_EVENT_ID=bad)
    assert sse_events(body) == []
    assert body.startswith("retry: ")


def test_parse_last_id_prefers_the_header_then_the_query():
    assert parse_last_id("12", "5") == 12
    assert parse_last_id("x", "5") == 5
    assert parse_last_id(None, None) is None
    assert parse_last_id("99999999999999999999", None) is None


def test_event_data_cannot_break_out_of_json_or_markup(world):
    event = live.publish(
        kind="feedback.request", organization=world.province, title="</script><b>x</b>\n\ndata: injected",
        url="//evil.example/", data={"lat": "NaN", "long": "x", "status": "<i>"},
    )  # fmt: skip
    message = format_event(event)
    assert message.count("\n\n") == 1 and message.endswith("\n\n")
    assert "<" not in message and ">" not in message
    payload = json.loads(message.split("data: ", 1)[1])
    assert payload["title"].startswith("</script>")
    assert payload["url"] == "" and payload["lat"] is None and payload["long"] is None


def test_submitting_a_citizen_report_publishes_to_the_feed(client, world):
    from cityops.feedback.models import Category
    from cityops.feedback.services import request_submit

    client.force_login(world.operator)
    after = LiveEvent.objects.order_by("-id").first().pk
    report = request_submit(actor=None, category=Category.objects.get(code="road-damage"),
                            description="Nắp cống bị vỡ", lat="21.1855", long="106.0701")  # fmt: skip
    events = sse_events(stream(client, HTTP_LAST_EVENT_ID=str(after)))
    assert len(events) == 1
    payload = json.loads(events[0]["data"])
    assert payload["kind"] == "feedback.request" and "Nắp cống bị vỡ" in payload["title"]
    assert payload["lat"] == pytest.approx(21.1855) and payload["long"] == pytest.approx(106.0701)
    assert payload["url"] == reverse("feedback:staff_detail", args=[report.pk])
    assert payload["status"] == "submitted" and payload["category"] == "road-damage"


def test_a_rolled_back_submission_publishes_nothing(world):
    from django.core.exceptions import ValidationError

    from cityops.feedback.models import Category
    from cityops.feedback.services import request_submit

    before = LiveEvent.objects.count()
    with pytest.raises(ValidationError):
        request_submit(actor=None, category=Category.objects.get(code="road-damage"), description="  ",
                       lat="21.18", long="106.07")  # fmt: skip
    assert LiveEvent.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_stream_under_asgi_yields_the_same_events(world):
    """The async stream reads the database in a thread, so it needs committed rows (a transactional test)."""
    import asyncio

    from asgiref.sync import sync_to_async
    from django.db import connections

    from cityops.dashboard.stream import stream_async

    async def collect() -> str:
        body = "".join([chunk async for chunk in stream_async(world.leader, 0)])
        await sync_to_async(connections.close_all)()  # the thread's connection, so the test database can go
        return body

    body = asyncio.run(collect())
    ids = [int(e["id"]) for e in sse_events(body)]
    assert world.event_a.pk in ids and world.event_b.pk in ids


class _FakeConnection:
    def __init__(self, options: dict, in_atomic_block: bool) -> None:
        self.settings_dict = {"OPTIONS": options}
        self.in_atomic_block = in_atomic_block
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


@pytest.mark.parametrize(
    ("options", "in_atomic_block", "closed"),
    [({"pool": {"max_size": 4}}, False, 1), ({}, False, 0), ({"pool": {"max_size": 4}}, True, 0)],
)
def test_a_sleeping_wsgi_stream_hands_its_pooled_connection_back(monkeypatch, options, in_atomic_block, closed):
    """Between reads a feed holds no pooled connection, so open dashboards cannot starve other requests."""
    fake = _FakeConnection(options, in_atomic_block)
    monkeypatch.setattr(sse_stream, "connection", fake)
    sse_stream._release_connection()
    assert fake.closed == closed
