"""Django admin for feedback configuration (categories, routing rules) through the services; requests read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cityops.feedback import services
from cityops.feedback.models import Category, Request, ResponseTemplate, RoutingRule


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_vi",
        "kind",
        "domain",
        "default_agency",
        "deadline_days",
        "deadline_hours",
        "is_active",
    ]
    list_filter = ["kind", "domain", "is_active"]
    search_fields = ["code", "name_vi", "name_en"]

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        services.category_save(actor=request.user, category=obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # requests refer to categories: deactivate instead


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "area", "agency"]
    list_filter = ["category"]

    def save_model(self, request: HttpRequest, obj: RoutingRule, form: Any, change: bool) -> None:
        services.routing_rule_save(actor=request.user, rule=obj)


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "category", "is_active", "sort_order"]
    list_filter = ["is_active", "category"]

    def save_model(self, request: HttpRequest, obj: ResponseTemplate, form: Any, change: bool) -> None:
        services.response_template_save(actor=request.user, template=obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead; the audit trail names templates


@admin.register(Request)
class RequestAdmin(admin.ModelAdmin):
    """Read-only: the workflow runs through the staff pages so every step is checked and audited."""

    list_display = ["tracking_code", "category", "status", "organization", "deadline", "created_at"]
    list_filter = ["status", "category"]
    search_fields = ["tracking_code"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
