"""A few seconds of a web process's memory for public answers that every caller gets alike.

The Open311 lists are polled by apps and aggregators with the same few queries; building each answer again
costs a database round trip and a thousand Python objects, while keeping it for ``PUBLIC_CACHE_SECONDS``
costs one dictionary lookup. The answer never depends on who asks (these views read no user and set no
cookie), only on the URL and the language, which together are the key. Every process keeps its own copy.
When an answer expires, one request builds the new one while the others still get the expired one, so a
busy list is never built by every thread at once; an answer is therefore at most ``PUBLIC_CACHE_SECONDS``
plus one build old. Clients are told the age limit by ``Cache-Control``.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import translation

__all__ = ["MAX_BODY_BYTES", "MAX_ENTRIES", "clear", "public_microcache"]

MAX_ENTRIES = 512  # distinct URLs kept per process; the least recently stored goes first
MAX_BODY_BYTES = 2 * 1024 * 1024  # larger answers are served fresh every time

_lock = threading.Lock()
_entries: OrderedDict[tuple[str, str], tuple[float, bytes, str]] = OrderedDict()
_building: set[tuple[str, str]] = set()  # keys one request is building now


def clear() -> None:
    """Forget every kept answer (tests, and settings changes at run time)."""
    with _lock:
        _entries.clear()
        _building.clear()


def _keepable(response: HttpResponseBase) -> bool:
    return (
        response.status_code == 200
        and isinstance(response, HttpResponse)
        and not response.cookies
        and len(response.content) <= MAX_BODY_BYTES
    )


def _answer(kept: tuple[float, bytes, str], max_age: int) -> HttpResponse:
    _expires, body, content_type = kept
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = f"public, max-age={max_age}"
    return response


def public_microcache(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Serve a GET from memory while its answer is younger than ``PUBLIC_CACHE_SECONDS``.

    Only for views whose answer depends on nothing but the URL and the language: never one that reads the
    user, a session or a header.
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        seconds = int(settings.PUBLIC_CACHE_SECONDS)
        if seconds <= 0 or request.method != "GET":
            return view(request, *args, **kwargs)
        key = (request.get_full_path(), translation.get_language() or "")
        now = time.monotonic()
        kept = _entries.get(key)
        if kept is not None and kept[0] > now:
            return _answer(kept, max(1, int(kept[0] - now)))
        with _lock:
            if kept is not None and key in _building:
                return _answer(kept, 0)  # expired, and another request is building its successor
            _building.add(key)
        try:
            response = view(request, *args, **kwargs)
            if _keepable(response):
                assert isinstance(response, HttpResponse)
                with _lock:
                    _entries[key] = (now + seconds, response.content, response["Content-Type"])
                    _entries.move_to_end(key)
                    while len(_entries) > MAX_ENTRIES:
                        _entries.popitem(last=False)
                response["Cache-Control"] = f"public, max-age={seconds}"
            return response
        finally:
            with _lock:
                _building.discard(key)

    return wrapped
