"""Django admin for the dashboard's configuration: indicator targets through the service (audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cityops.dashboard import services
from cityops.dashboard.models import AreaBoundary, IndicatorTarget


@admin.register(IndicatorTarget)
class IndicatorTargetAdmin(admin.ModelAdmin):
    list_display = ["indicator", "target", "headline", "sort_order"]
    list_filter = ["headline"]

    def save_model(self, request: HttpRequest, obj: IndicatorTarget, form: Any, change: bool) -> None:
        saved = services.indicator_target_set(
            actor=request.user, indicator=obj.indicator, target=obj.target, headline=obj.headline,
            sort_order=obj.sort_order,
        )  # fmt: skip
        obj.pk = saved.pk


@admin.register(AreaBoundary)
class AreaBoundaryAdmin(admin.ModelAdmin):
    """Read-only: outlines come from ``cityops dashboard-boundaries`` (checked) or the demo."""

    list_display = ["organization", "source", "updated_at"]
    list_filter = ["source"]
    readonly_fields = ["organization", "source", "west", "south", "east", "north", "label_lat", "label_long"]
    exclude = ["geometry"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
