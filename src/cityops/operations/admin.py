"""Django admin: incident types and their SOP steps are configured here (audited); the rest is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cityops.core import audit
from cityops.operations.choices import AuditVerbs
from cityops.operations.models import Alert, Incident, IncidentType, MonitoringRule, OutboundMessage, SopStep


class SopStepInline(admin.TabularInline):
    model = SopStep
    extra = 1
    fields = ("position", "title", "is_required", "guidance")


@admin.register(IncidentType)
class IncidentTypeAdmin(admin.ModelAdmin):
    """Standard operating procedures: an ordered checklist per incident type, copied onto each new incident."""

    list_display = ("name", "code", "default_severity", "is_active")
    list_filter = ("is_active", "default_severity")
    search_fields = ("name", "code")
    inlines = [SopStepInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        audit.record(
            verb=AuditVerbs.INCIDENT_TYPE_SAVED, actor=request.user, target=obj,
            data={"code": obj.code, "steps": [[s.position, s.title, s.is_required] for s in obj.steps.all()]},
        )  # fmt: skip


class _ReadOnly(admin.ModelAdmin):
    """Changes go through the pages and the services (validation, audit, live feed)."""

    actions: Any = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MonitoringRule)
class MonitoringRuleAdmin(_ReadOnly):
    list_display = ("name", "kind", "severity", "organization", "is_enabled")
    list_filter = ("kind", "severity", "is_enabled")


@admin.register(Alert)
class AlertAdmin(_ReadOnly):
    list_display = ("title", "severity", "status", "occurrences", "last_seen_at")
    list_filter = ("status", "severity")


@admin.register(Incident)
class IncidentAdmin(_ReadOnly):
    list_display = ("title", "incident_type", "severity", "status", "assigned_agency", "created_at")
    list_filter = ("status", "severity")


@admin.register(OutboundMessage)
class OutboundMessageAdmin(_ReadOnly):
    list_display = ("channel", "address", "status", "gateway", "created_at")
    list_filter = ("status", "channel")
