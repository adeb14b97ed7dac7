"""Django admin for the documents module's configurable data (document types, retention rules).

Saves go through ``services.reference_data_save`` (validated, audited); documents themselves are read-only here:
they change only through their workflow.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cityops.documents import services
from cityops.documents.models import DocumentType, ExchangeMessage, IncomingDocument, OutgoingDocument, RetentionRule


class ReferenceDataAdmin(admin.ModelAdmin):
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.reference_data_save(actor=request.user, instance=obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DocumentType)
class DocumentTypeAdmin(ReferenceDataAdmin):
    list_display = ("name", "abbreviation", "edxml_type", "edxml_type_detail", "is_active", "sort_order")
    list_filter = ("is_active",)
    search_fields = ("name", "code", "abbreviation")


@admin.register(RetentionRule)
class RetentionRuleAdmin(ReferenceDataAdmin):
    list_display = ("name", "years", "legal_basis", "is_active")
    search_fields = ("name", "code", "legal_basis")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(IncomingDocument)
class IncomingDocumentAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "organization", "arrival_number", "status", "created_at")
    list_filter = ("status", "urgency", "confidentiality")


@admin.register(OutgoingDocument)
class OutgoingDocumentAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "organization", "status", "issued_date")
    list_filter = ("status", "confidentiality")


@admin.register(ExchangeMessage)
class ExchangeMessageAdmin(ReadOnlyAdmin):
    """The exchange log, for operators chasing a delivery (retries run by themselves)."""

    list_display = ("created_at", "organization", "direction", "kind", "status_code", "counterpart_organ_id", "state")
    list_filter = ("direction", "kind", "state")
    search_fields = ("document_id", "counterpart_organ_id", "counterpart_name")
