"""Rate limits on the public doors (sign-in, citizen reports, Open311 POST, tracking-code lookups).

One mechanism for all of them: fixed-window counters in the Django cache (``CACHE_URL``), so every web
process shares them, keyed by scope and client (address by default). Limits come from ``RATE_LIMITS``
(``{scope: (count, window_seconds)}``, each one overridable by an environment variable). A request over the
limit is refused before the view runs, so nothing is saved beyond it; the answer is 429 with ``Retry-After``.

``rate_limited(scope)`` wraps a view: by default every request of the listed methods counts; with
``count_status`` only answers with one of those statuses count (e.g. 404s of tracking-code lookups, so a
citizen reloading their own page is never blocked while someone guessing codes is).
"""

from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Callable, Collection
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

__all__ = [
    "RateLimited",
    "check",
    "configured_limit",
    "hit",
    "now",
    "rate_limited",
    "too_many_requests",
]

ViewFunc = Callable[..., HttpResponseBase]
Responder = Callable[..., HttpResponseBase]


class RateLimited(Exception):
    """The client used up ``scope`` for this window; ``retry_after`` is in whole seconds (at least 1)."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(scope, retry_after)
        self.scope = scope
        self.retry_after = retry_after


def now() -> float:
    """The clock the counters use (seconds); tests replace it to move time without sleeping."""
    return time.time()


def configured_limit(scope: str) -> tuple[int, int] | None:
    """``(count, window_seconds)`` for ``scope``, or None when limits are off or the scope has none."""
    if not getattr(settings, "RATE_LIMIT_ENABLED", True):
        return None
    value = getattr(settings, "RATE_LIMITS", {}).get(scope)
    if not value:
        return None
    count, window = int(value[0]), int(value[1])
    if count <= 0 or window <= 0:
        return None
    return count, window


def _key(scope: str, ident: str, bucket: int) -> str:
    digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"cityops:rl:{scope}:{digest}:{bucket}"


Limit = tuple[int, int]


def _window(scope: str, limit: Limit | None = None) -> tuple[int, int, int, float] | None:
    limit = limit or configured_limit(scope)
    if limit is None or limit[0] <= 0 or limit[1] <= 0:
        return None
    count, window = limit
    moment = now()
    bucket = int(moment // window)
    retry_after = max(1, math.ceil((bucket + 1) * window - moment))
    return count, window, bucket, retry_after


def check(scope: str, ident: str, limit: Limit | None = None) -> None:
    """Raise ``RateLimited`` if ``ident`` has already used up ``scope`` in this window (counts nothing).

    ``limit`` (count, window seconds) is for caps a module sets itself; without it ``RATE_LIMITS`` decides.
    """
    state = _window(scope, limit)
    if state is None:
        return
    count, _window_seconds, bucket, retry_after = state
    used = cache.get(_key(scope, ident, bucket), 0)
    if int(used) >= count:
        raise RateLimited(scope, int(retry_after))


def hit(scope: str, ident: str, limit: Limit | None = None) -> None:
    """Count one use of ``scope`` by ``ident``; raise ``RateLimited`` when it goes over the limit."""
    state = _window(scope, limit)
    if state is None:
        return
    count, window, bucket, retry_after = state
    key = _key(scope, ident, bucket)
    cache.add(key, 0, timeout=window + 5)  # the counter outlives its window by a little, then expires
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        used = 1
    if used > count:
        raise RateLimited(scope, int(retry_after))


def client_ident(request: HttpRequest) -> str:
    """The client's address as the middleware sees it (X-Forwarded-For only behind a trusted proxy)."""
    from cityops.core.middleware import client_ip

    return client_ip(request) or "unknown"


def _count_quietly(scope: str, ident: str) -> None:
    try:
        hit(scope, ident)
    except RateLimited:
        pass  # this answer is already given; the next request is refused by ``check``


def too_many_requests(request: HttpRequest, exc: RateLimited, **_kwargs: Any) -> HttpResponse:
    """The page shown when a limit is hit: 429, ``Retry-After`` and a message in the page's language."""
    minutes = max(1, math.ceil(exc.retry_after / 60))
    response = render(request, "core/rate_limited.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def rate_limited(
    scope: str,
    *,
    methods: Collection[str] = ("POST",),
    count_status: Collection[int] | None = None,
    respond: Responder = too_many_requests,
) -> Callable[[ViewFunc], ViewFunc]:
    """Limit a view per client address; ``respond(request, exc, **view_kwargs)`` builds the refusal."""
    wanted = {method.upper() for method in methods}

    def decorate(view: ViewFunc) -> ViewFunc:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method not in wanted:
                return view(request, *args, **kwargs)
            ident = client_ident(request)
            try:
                if count_status is None:
                    hit(scope, ident)
                else:
                    check(scope, ident)
            except RateLimited as exc:
                return respond(request, exc, **kwargs)
            try:
                response = view(request, *args, **kwargs)
            except Http404:
                if count_status is not None and 404 in count_status:
                    _count_quietly(scope, ident)
                raise
            if count_status is not None and response.status_code in count_status:
                _count_quietly(scope, ident)
            return response

        return wrapped

    return decorate
