"""Django admin registrations of the core. Each block belongs to the area that owns the model.

The admin is a technical back office for staff. Writes still go through the services, so organisation
paths, memberships and the audit trail stay right whichever screen made the change; records that are
history (audit events, notifications, attachments, API keys) are read-only here.
"""

from __future__ import annotations

import contextvars
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cityops.core.models import (
    Announcement,
    ApiKey,
    Attachment,
    AuditEvent,
    CalendarDay,
    Membership,
    Notification,
    Organization,
    RolePolicy,
    User,
)
from cityops.core.services import organizations as org_services

admin.site.site_header = _("CityOps administration")
admin.site.site_title = "CityOps"
admin.site.index_title = _("Technical administration")


class _ReadOnlyAdmin(admin.ModelAdmin):
    """History is looked at, never edited: no add, change or delete for anyone, superusers included."""

    actions: Any = None

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Organisations: saved through organization_create / organization_update ----------------------------


def _formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class OrganizationAdminForm(forms.ModelForm):
    """Checks the codes and the tree shape before the service is called, so errors show on the form."""

    class Meta:
        model = Organization
        formfield_callback = _formfield
        fields = (
            "name", "short_name", "code", "kind", "parent", "sort_order", "is_active", "admin_unit_code",
            "edxml_code", "email", "phone", "address", "website",
        )  # fmt: skip

    def clean_edxml_code(self) -> str:
        return org_services.clean_edxml_code(self.cleaned_data.get("edxml_code", ""))

    def clean_admin_unit_code(self) -> str:
        return org_services.clean_admin_unit_code(self.cleaned_data.get("admin_unit_code", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        instance = self.instance if self.instance.pk else None
        try:
            org_services.validate_parent(instance, cleaned.get("parent"), cleaned.get("kind", ""))
        except ValidationError as exc:
            self.add_error("parent", exc.messages)
        if instance is not None and instance.parent_id is None and cleaned.get("is_active") is False:
            self.add_error("is_active", _("The root of the tree cannot be deactivated."))
        return cleaned


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    form = OrganizationAdminForm
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("indented_name", "code", "kind", "admin_unit_code", "edxml_code", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "short_name", "code", "edxml_code", "admin_unit_code")
    ordering = ("path",)
    list_per_page = 200
    autocomplete_fields = ("parent",)
    readonly_fields = ("path", "depth", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("name", "short_name", "code", "kind", "parent", "sort_order", "is_active")}),
        (_("Codes"), {"fields": ("admin_unit_code", "edxml_code")}),
        (_("Contact"), {"fields": ("email", "phone", "address", "website")}),
        (_("Tree"), {"fields": ("path", "depth", "created_at", "updated_at")}),
    )

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj: Organization) -> str:
        return format_html('<span style="padding-left:{}em">{}</span>', obj.depth * 1.5, obj.name)

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        fields = set(org_services.ORGANIZATION_FIELDS) | {"name", "code", "parent"}
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data if name in fields}
            saved = org_services.organization_update(actor=request.user, organization=obj, **changes)
        else:
            values = {name: form.cleaned_data[name] for name in fields if name in form.cleaned_data}
            saved = org_services.organization_create(actor=request.user, **values)
        for field in Organization._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False

    def has_delete_permission(self, request: HttpRequest, obj: Organization | None = None) -> bool:
        # Records and the audit trail refer to organisations: they are deactivated, never deleted.
        return False


# --- People and memberships: saved through the organisation services -----------------------------------

_admin_actor: contextvars.ContextVar[Any] = contextvars.ContextVar("cityops_admin_actor", default=None)


class AuditedPasswordChangeForm(AdminPasswordChangeForm):
    """The admin's "change password" form, saved (and audited) through ``user_admin_save``."""

    def save(self, commit: bool = True) -> User:
        user = super().save(commit=False)
        if commit:
            org_services.user_admin_save(actor=_admin_actor.get(), user=user, changed=["password"], created=False)
        return user


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    fields = ("organization", "role", "title", "is_primary")
    autocomplete_fields = ("organization",)


def _save_memberships(request: HttpRequest, formset: Any, user: User) -> None:
    for membership in formset.deleted_objects:
        org_services.membership_revoke(actor=request.user, membership=membership)
    for membership in formset.new_objects:
        granted = org_services.membership_grant(
            actor=request.user, user=user, organization=membership.organization, role=membership.role,
            title=membership.title, is_primary=membership.is_primary,
        )  # fmt: skip
        membership.pk = granted.pk
    for membership, _changed in formset.changed_objects:
        org_services.membership_update(
            actor=request.user, membership=membership, role=membership.role, title=membership.title,
            is_primary=membership.is_primary,
        )  # fmt: skip


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    change_password_form = AuditedPasswordChangeForm
    inlines = (MembershipInline,)
    list_display = ("username", "full_name", "email", "is_active", "is_staff", "is_service_account")
    list_filter = ("is_active", "is_staff", "is_superuser", "is_service_account", "memberships__role")
    search_fields = ("username", "full_name", "email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            pgettext_lazy("admin section", "Person"),
            {"fields": ("full_name", "first_name", "last_name", "email", "phone", "job_title", "language")},
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_service_account", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "full_name", "email", "usable_password", "password1", "password2"),
            },
        ),
    )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        changed = ["password" if name in {"password1", "usable_password"} else name for name in form.changed_data]
        org_services.user_admin_save(actor=request.user, user=obj, changed=changed, created=not change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is Membership:
            formset.save(commit=False)
            _save_memberships(request, formset, form.instance)
        else:
            super().save_formset(request, form, formset, change)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:  # noqa: A002
        token = _admin_actor.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _admin_actor.reset(token)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # Records name the people who made them: accounts are deactivated, never deleted.
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role", "title", "is_primary", "created_at")
    list_filter = ("role", "is_primary")
    search_fields = ("user__username", "user__full_name", "organization__name", "organization__code")
    autocomplete_fields = ("user", "organization")
    list_select_related = ("user", "organization")

    def get_readonly_fields(self, request: HttpRequest, obj: Membership | None = None) -> tuple[str, ...]:
        return ("user", "organization") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Membership, form: Any, change: bool) -> None:
        if change:
            org_services.membership_update(
                actor=request.user, membership=obj, role=obj.role, title=obj.title, is_primary=obj.is_primary
            )
        else:
            granted = org_services.membership_grant(
                actor=request.user, user=obj.user, organization=obj.organization, role=obj.role, title=obj.title,
                is_primary=obj.is_primary,
            )  # fmt: skip
            obj.pk = granted.pk
            obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        org_services.membership_revoke(actor=request.user, membership=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.select_related("user", "organization"):
            org_services.membership_revoke(actor=request.user, membership=membership)


# --- Working calendar: saved through the calendar services ---------------------------------------------


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    search_fields = ("name",)
    date_hierarchy = "date"

    def get_readonly_fields(self, request: HttpRequest, obj: CalendarDay | None = None) -> tuple[str, ...]:
        return ("date",) if obj is not None else ()

    def _may_change(self, request: HttpRequest) -> bool:
        from cityops.core.services.calendar import can_manage_calendar

        return can_manage_calendar(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._may_change(request)

    def has_change_permission(self, request: HttpRequest, obj: CalendarDay | None = None) -> bool:
        return self._may_change(request)

    def has_delete_permission(self, request: HttpRequest, obj: CalendarDay | None = None) -> bool:
        return self._may_change(request)

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        from cityops.core.services.calendar import calendar_day_set

        saved = calendar_day_set(actor=request.user, date=obj.date, kind=obj.kind, name=obj.name)
        obj.pk = saved.pk
        obj._state.adding = False

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        from cityops.core.services.calendar import calendar_day_remove

        calendar_day_remove(actor=request.user, date=obj.date)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        for day in queryset:
            self.delete_model(request, day)


# --- Notifications (read-only) and announcements (published through the service) ----------------------


@admin.register(Notification)
class NotificationAdmin(_ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "title", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("title", "recipient__username")
    list_select_related = ("recipient",)
    date_hierarchy = "created_at"


class AnnouncementAdminForm(forms.ModelForm):
    class Meta:
        model = Announcement
        fields = ("organization", "title", "body", "is_public")


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    """New announcements are published (sanitised, audited, staff notified) by ``announcement_publish``;
    published ones are not rewritten here, because people were already notified of their text."""

    form = AnnouncementAdminForm
    list_display = ("title", "organization", "is_public", "published_at", "created_by")
    list_filter = ("is_public",)
    search_fields = ("title",)
    autocomplete_fields = ("organization",)
    list_select_related = ("organization", "created_by")

    def has_change_permission(self, request: HttpRequest, obj: Announcement | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Announcement | None = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Announcement, form: Any, change: bool) -> None:
        from cityops.core.services.notifications import announcement_publish

        saved = announcement_publish(
            actor=request.user, organization=obj.organization, title=obj.title, body=obj.body, is_public=obj.is_public
        )
        for field in Announcement._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False


# --- API keys: the list only; the secret is never stored, revocation goes through the service ----------


@admin.register(ApiKey)
class ApiKeyAdmin(_ReadOnlyAdmin):
    list_display = ("prefix", "name", "user", "organization", "created_at", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "user__username")
    list_select_related = ("user", "organization")
    fields = ("prefix", "name", "user", "organization", "created_by", "created_at", "expires_at", "revoked_at",
              "last_used_at")  # fmt: skip
    actions = ("revoke",)

    @admin.action(description=_("Revoke the selected API keys"), permissions=["view"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        from cityops.core.services.apikeys import apikey_revoke

        revoked = 0
        for api_key in queryset.select_related("organization", "user"):
            try:
                apikey_revoke(actor=request.user, api_key=api_key)
                revoked += 1
            except PermissionDenied as exc:
                self.message_user(request, f"{api_key}: {exc}", messages.ERROR)
        if revoked:
            self.message_user(request, _("%(count)d API key(s) revoked.") % {"count": revoked}, messages.SUCCESS)


# --- Audit trail and attachments: strictly read-only ----------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(_ReadOnlyAdmin):
    list_display = ("at", "actor_label", "verb", "target_repr", "organization", "ip_address")
    list_filter = ("verb",)
    search_fields = ("verb", "actor_label", "target_repr", "target_id", "request_id")
    list_select_related = ("organization",)
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(_ReadOnlyAdmin):
    list_display = ("original_name", "organization", "content_type", "size", "scan_status", "uploaded_by", "created_at")
    list_filter = ("scan_status", "is_public")
    search_fields = ("original_name", "sha256")
    list_select_related = ("organization", "uploaded_by")
    fields = ("original_name", "organization", "content_type", "extension", "size", "sha256", "scan_status",
              "uploaded_by", "target_type", "target_id", "is_public", "created_at")  # fmt: skip


# --- Role policies (two-factor per role): writes go through cityops.core.services.auth.role_policy_set ---
@admin.register(RolePolicy)
class RolePolicyAdmin(admin.ModelAdmin):
    """Administrators switch two-factor on or off per role; every change is audited by the service."""

    list_display = ("role", "require_two_factor", "updated_at")
    list_editable = ("require_two_factor",)
    list_filter = ("require_two_factor",)
    ordering = ("role",)

    def get_readonly_fields(self, request: HttpRequest, obj: RolePolicy | None = None) -> tuple[str, ...]:
        return ("role",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: RolePolicy, form: Any, change: bool) -> None:
        from cityops.core.services.auth import role_policy_set

        saved = role_policy_set(actor=request.user, role=obj.role, require_two_factor=obj.require_two_factor)
        obj.pk = saved.pk
        obj.created_at = saved.created_at
        obj.updated_at = saved.updated_at

    def has_delete_permission(self, request: HttpRequest, obj: RolePolicy | None = None) -> bool:
        # A policy is switched off, never deleted, so its history in the audit log stays attached to a row.
        return False
