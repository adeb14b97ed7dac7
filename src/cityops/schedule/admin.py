"""Django admin: read-only views of the work calendar; every change goes through the pages and their services.

Private items are listed with their content hidden, since superusers browsing the admin are not the
leader's secretaries.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cityops.schedule.models import Event, FeedToken, Room, SecretaryAssignment


class _ReadOnly(admin.ModelAdmin):
    actions: Any = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Room)
class RoomAdmin(_ReadOnly):
    list_display = ("name", "organization", "capacity", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)


@admin.register(Event)
class EventAdmin(_ReadOnly):
    list_display = ("start", "summary", "leader", "organization", "status", "revision", "is_private")
    list_filter = ("status", "session", "is_private")
    date_hierarchy = "day"
    fields = ("uid", "organization", "leader", "day", "session", "start", "end", "status", "revision",
              "published_at", "last_changed_at", "is_private")  # fmt: skip

    @admin.display(description=_("content"))
    def summary(self, obj: Event) -> str:
        return str(_("(private item)")) if obj.is_private else obj.content[:80]


@admin.register(SecretaryAssignment)
class SecretaryAssignmentAdmin(_ReadOnly):
    list_display = ("leader", "secretary", "organization", "created_at")


@admin.register(FeedToken)
class FeedTokenAdmin(_ReadOnly):
    list_display = ("kind", "prefix", "organization", "created_by", "created_at", "revoked_at", "last_used_at")
    list_filter = ("kind",)
    exclude = ("digest",)
