"""The live feed as Server-Sent Events.

Each event's SSE ``id`` is the ``LiveEvent`` id, so a browser that reconnects (after the bounded lifetime of a
connection, a network drop or a server restart) sends ``Last-Event-ID`` and gets exactly what it missed, from
whichever process answers. A comment line every ``HEARTBEAT`` seconds keeps proxies from closing an idle
connection; after ``DASHBOARD_SSE_LIFETIME`` seconds the server ends the response so no worker is held for ever,
and the browser reconnects by itself after the ``retry`` delay.

Under WSGI (``cityops serve``, and the test client) the stream is a plain generator: each open feed holds one of
the server's threads and, between its reads, gives its database connection back to the pool, so a wall of
dashboards does not use up the connections other requests need. Under ASGI (``cityops serve --interface
asgi``) it is an async generator that waits with ``asyncio.sleep`` and reads the database in a thread.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.utils import timezone

from cityops.core.models import LiveEvent
from cityops.core.selectors.live import MAX_BATCH, events_after, latest_id

__all__ = ["HEARTBEAT", "POLL", "event_payload", "format_event", "parse_last_id", "stream_async", "stream_sync"]

POLL = 1.0
HEARTBEAT = 15.0
RETRY_MS = 1000
MAX_ID_DIGITS = 18  # below 2**63: anything longer is not an id this database gave out


def lifetime() -> float:
    return float(getattr(settings, "DASHBOARD_SSE_LIFETIME", 55))


def heartbeat() -> float:
    return float(getattr(settings, "DASHBOARD_SSE_HEARTBEAT", HEARTBEAT))


def parse_last_id(*candidates: str | None) -> int | None:
    """The first well-formed non-negative id among the candidates (header first, then query); None if none."""
    for raw in candidates:
        if raw is None:
            continue
        text = raw.strip()
        if text.isascii() and text.isdigit() and len(text) <= MAX_ID_DIGITS:
            return int(text)
    return None


def _coordinate(value: Any, limit: float) -> float | None:
    """A finite number within ±limit (numbers may arrive as text from a Decimal), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) and -limit <= number <= limit else None


def event_payload(event: LiveEvent) -> dict[str, Any]:
    """What the browser receives for one event (the same shape the page renders on load)."""
    data = event.data if isinstance(event.data, dict) else {}
    lat, long = _coordinate(data.get("lat"), 90), _coordinate(data.get("long"), 180)
    return {
        "id": event.pk,
        "kind": event.kind,
        "title": event.title,
        "url": event.url if event.url.startswith("/") and not event.url.startswith("//") else "",
        "organization": event.organization.name if event.organization_id else "",
        "time": timezone.localtime(event.created_at).strftime("%H:%M:%S"),
        "created_at": event.created_at.isoformat(),
        "lat": lat,
        "long": long,
        "status": str(data.get("status", ""))[:40],
        "category": str(data.get("category", ""))[:120],
    }


def format_event(event: LiveEvent) -> str:
    """One SSE message; ``<``, ``>`` and ``&`` are escaped in the JSON so no consumer can mistake it for markup."""
    body = json.dumps(event_payload(event), ensure_ascii=False)
    body = body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f"id: {event.pk}\ndata: {body}\n\n"


def _prelude(last_id: int) -> str:
    # The first id line tells a client that connected without one where "now" was.
    return f"retry: {RETRY_MS}\nid: {last_id}\n: connected\n\n"


def _fetch(user: Any, last_id: int) -> list[LiveEvent]:
    return events_after(user=user, last_id=last_id)


def _release_connection() -> None:
    """Hand a pooled connection back while the stream sleeps (without a pool there is nothing to hand back)."""
    if connection.settings_dict.get("OPTIONS", {}).get("pool") and not connection.in_atomic_block:
        connection.close()


def stream_sync(user: Any, last_id: int | None) -> Iterator[str]:
    """The stream for WSGI servers and the test client."""
    start = time.monotonic()
    cursor = latest_id() if last_id is None else last_id
    yield _prelude(cursor)
    beat = start
    while True:
        while True:
            batch = _fetch(user, cursor)
            for event in batch:
                cursor = event.pk
                yield format_event(event)
            if len(batch) < MAX_BATCH:
                break
        now = time.monotonic()
        if now - start >= lifetime():
            return
        if now - beat >= heartbeat():
            beat = now
            yield ": heartbeat\n\n"
        _release_connection()
        time.sleep(POLL)


async def stream_async(user: Any, last_id: int | None) -> AsyncIterator[str]:
    """The stream under ASGI: the event loop waits, a thread reads the database."""
    start = time.monotonic()
    cursor = await sync_to_async(latest_id)() if last_id is None else last_id
    yield _prelude(cursor)
    beat = start
    fetch = sync_to_async(_fetch)
    while True:
        while True:
            batch = await fetch(user, cursor)
            for event in batch:
                cursor = event.pk
                yield format_event(event)
            if len(batch) < MAX_BATCH:
                break
        now = time.monotonic()
        if now - start >= lifetime():
            return
        if now - beat >= heartbeat():
            beat = now
            yield ": heartbeat\n\n"
        await asyncio.sleep(POLL)
