"""Datasets in global search: found by title, description and tags, re-checked against the catalog's scoping."""

from __future__ import annotations

from django.urls import reverse

from cityops.core.search import SearchProvider, register
from cityops.datahub.models import Dataset

register(
    SearchProvider(
        model=Dataset,
        fields=["title", "description", "tags", "sector__name", "organization__name"],
        title=lambda d: d.title,
        url=lambda d: reverse("datahub:dataset", args=[d.pk]),
        visible_to=lambda user: Dataset.objects.for_user(user, "view"),
        summary=lambda d: d.description[:200],
        queryset=lambda: Dataset.objects.select_related("sector", "organization"),
    )
)
