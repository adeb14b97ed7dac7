"""Reads of the live feed, scoped to what the reader may see."""

from __future__ import annotations

from typing import Any

from cityops.core.models import LiveEvent

MAX_BATCH = 200


def events_after(*, user: Any, last_id: int, kinds: list[str] | None = None, limit: int = MAX_BATCH) -> list[LiveEvent]:
    """Events with an id above ``last_id`` that the user may see, oldest first, at most ``limit``."""
    queryset = LiveEvent.objects.for_user(user).filter(id__gt=max(last_id, 0)).select_related("organization")
    if kinds:
        queryset = queryset.filter(kind__in=kinds)
    return list(queryset.order_by("id")[: max(1, min(limit, MAX_BATCH))])


def latest_id() -> int:
    """The newest event id, so a fresh client starts from now rather than replaying the week."""
    last = LiveEvent.objects.order_by("-id").values_list("id", flat=True).first()
    return int(last or 0)
