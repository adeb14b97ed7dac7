"""Per-request facts (user, IP, request id) that services need for audit without taking a request."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestInfo:
    ip_address: str | None
    request_id: str


_current: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar("cityops_request", default=None)


def set_request_info(info: RequestInfo | None) -> contextvars.Token:
    """Called by middleware at the start of each request."""
    return _current.set(info)


def reset_request_info(token: contextvars.Token) -> None:
    _current.reset(token)


def current_request_info() -> RequestInfo | None:
    """The request being served, or None in a worker or a shell."""
    return _current.get()
