"""Citizen requests in global search (staff see what their queue shows)."""

from __future__ import annotations

from django.urls import reverse

from cityops.core.search import SearchProvider, register
from cityops.feedback.models import Request

register(
    SearchProvider(
        model=Request,
        fields=["tracking_code", "description", "address", "category__name_vi", "category__name_en"],
        title=lambda r: f"{r.tracking_code} · {r.category.name_vi}",
        url=lambda r: reverse("feedback:staff_detail", args=[r.pk]),
        visible_to=lambda user: Request.objects.for_user(user, "view"),
        summary=lambda r: r.description[:200],
        queryset=lambda: Request.objects.select_related("category"),
    )
)
