"""Read-only Django admin for directives and tasks: every change goes through the services and the pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cityops.directives.models import Directive, ExtensionRequest, ProgressReport, Task


class _ReadOnly(admin.ModelAdmin):
    """Looked at by administrators; writes would bypass validation, audit and notifications."""

    actions: Any = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Directive)
class DirectiveAdmin(_ReadOnly):
    list_display = ("title", "organization", "leader", "source_kind", "issued_at")
    list_filter = ("source_kind", "domain")
    search_fields = ("title",)


@admin.register(Task)
class TaskAdmin(_ReadOnly):
    list_display = ("title", "organization", "assigner", "status", "deadline", "progress")
    list_filter = ("status", "priority")
    search_fields = ("title",)


@admin.register(ProgressReport)
class ProgressReportAdmin(_ReadOnly):
    list_display = ("task", "author", "percentage", "is_completion", "created_at")


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(_ReadOnly):
    list_display = ("task", "requested_by", "requested_deadline", "decision", "decided_by")
