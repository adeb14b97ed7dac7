"""Directives and tasks in global search; hits are re-checked through the same selectors as the lists."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cityops.core.search import SearchProvider, register
from cityops.directives.models import Directive, Task

register(
    SearchProvider(
        model=Directive,
        fields=["title", "content", "organization__name"],
        title=lambda d: d.title,
        url=lambda d: f"/directives/{d.pk}/",
        visible_to=lambda user: Directive.objects.for_user(user, "view"),
        summary=lambda d: d.organization.name,
        label=_("Directives"),
        queryset=lambda: Directive.objects.select_related("organization"),
    )
)
register(
    SearchProvider(
        model=Task,
        fields=["title", "expected_result", "organization__name", "directive__title"],
        title=lambda t: t.title,
        url=lambda t: f"/directives/tasks/{t.pk}/",
        visible_to=lambda user: Task.objects.for_user(user, "view"),
        summary=lambda t: t.organization.name,
        label=_("Tasks"),
        queryset=lambda: Task.objects.select_related("organization", "directive"),
    )
)
