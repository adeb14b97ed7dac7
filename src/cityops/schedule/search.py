"""Schedule items in global search; hits are re-checked through the same scope as the weekly page."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cityops.core.search import SearchProvider, register
from cityops.schedule.models import Event

__all__ = ["events_visible_to"]


def events_visible_to(user: Any) -> QuerySet:
    """What the weekly pages would show the person (private items only to the leader and secretaries)."""
    return Event.objects.for_user(user, "view")


def _summary(event: Event) -> str:
    start = timezone.localtime(event.start)
    return f"{start:%H:%M %d/%m/%Y} · {event.leader} · {event.get_status_display()}"


register(
    SearchProvider(
        model=Event,
        fields=("content", "location", "room__name", "leader__full_name", "accompanying_staff"),
        title=lambda e: e.content.splitlines()[0][:200] if e.content else "",
        url=lambda e: reverse("schedule:event", args=[e.pk]),
        visible_to=events_visible_to,
        summary=_summary,
        label=_("Schedule items"),
        queryset=lambda: Event.objects.select_related("leader", "room"),
    )
)
