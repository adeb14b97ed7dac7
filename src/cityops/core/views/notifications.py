"""The notification inbox, notification preferences and the announcements page (component 17)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from cityops.core.choices import Role
from cityops.core.models import Organization
from cityops.core.permissions import NotFoundOrForbidden, org_ids_for_roles
from cityops.core.selectors.notifications import (
    announcement_list,
    notification_get,
    notification_inbox,
    notification_preferences,
)
from cityops.core.services.notifications import (
    MAX_IDS_PER_REQUEST,
    announcement_publish,
    default_preference,
    notification_kinds,
    notification_mark_read,
    notification_preference_set,
    sanitize_announcement_html,
)

__all__ = ["announcements", "notification_preferences_view", "notifications", "notifications_read"]

PAGE_SIZE = 20


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


@login_required
@require_http_methods(["GET", "HEAD"])
def notifications(request: HttpRequest) -> HttpResponse:
    """The person's notifications, unread first, paginated; ``?unread=1`` shows only unread ones."""
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(notification_inbox(user=request.user, unread_only=unread_only), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"page": page, "unread_only": unread_only}
    return render(request, "core/notifications/list.html", context)


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark one, several (``id``) or all (``all=1``) of the person's notifications read.

    With htmx the changed part of the page is sent back; without it the browser returns to the inbox.
    """
    mark_all = request.POST.get("all") == "1"
    raw_ids = request.POST.getlist("id")
    if len(raw_ids) > MAX_IDS_PER_REQUEST:
        return HttpResponseBadRequest(_("Too many notifications at once."))
    try:
        ids = [int(value) for value in raw_ids]
        notification_mark_read(user=request.user, notification_ids=ids, all=mark_all)
    except (ValueError, ValidationError):
        return HttpResponseBadRequest(_("Choose the notifications to mark as read."))
    if _is_htmx(request):
        if not mark_all and len(ids) == 1:
            try:
                item = notification_get(user=request.user, pk=ids[0])
            except NotFoundOrForbidden:  # someone else's or missing: nothing of theirs to show
                return HttpResponse("")
            return render(request, "core/notifications/_item.html", {"n": item})
        page = Paginator(notification_inbox(user=request.user), PAGE_SIZE).get_page(1)
        return render(request, "core/notifications/_list.html", {"page": page})
    messages.success(request, _("Marked as read."))
    return redirect("core:notifications")


class _PreferencesForm(forms.Form):
    """One pair of checkboxes (in the app, by email) per registered kind."""

    def __init__(self, *args: Any, current: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kinds = notification_kinds()
        for kind, label in self.kinds.items():
            pref = current.get(kind)
            self.fields[f"{kind}__in_app"] = forms.BooleanField(
                required=False, label=str(label), initial=pref.in_app if pref else default_preference("in_app")
            )
            self.fields[f"{kind}__email"] = forms.BooleanField(
                required=False, label=str(label), initial=pref.email if pref else default_preference("email")
            )

    def rows(self) -> list[tuple[str, Any, Any, Any]]:
        return [(kind, label, self[f"{kind}__in_app"], self[f"{kind}__email"]) for kind, label in self.kinds.items()]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_preferences_view(request: HttpRequest) -> HttpResponse:
    """Choose, per kind, whether to be told in the application and by email."""
    current = notification_preferences(user=request.user)
    form = _PreferencesForm(request.POST if request.method == "POST" else None, current=current)
    if request.method == "POST" and form.is_valid():
        for kind in form.kinds:
            notification_preference_set(
                user=request.user, kind=kind,
                in_app=form.cleaned_data[f"{kind}__in_app"], email=form.cleaned_data[f"{kind}__email"],
            )  # fmt: skip
        messages.success(request, _("Your notification settings were saved."))
        return redirect("core:notification_preferences")
    return render(request, "core/notifications/preferences.html", {"form": form})


# --- Announcements ----------------------------------------------------------------------------------------

PUBLISHING_ROLES = {Role.AGENCY_HEAD, Role.ADMINISTRATOR}


class AnnouncementForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label=gettext_lazy("Organisation"))
    title = forms.CharField(max_length=255, label=gettext_lazy("Title"))
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=50_000,
        label=pgettext_lazy("announcement", "Text"),
        help_text=gettext_lazy("Paragraphs, bold, italics, lists and links are kept; other formatting is removed."),
    )
    is_public = forms.BooleanField(required=False, label=gettext_lazy("Public (shown to everyone, also citizens)"))

    def __init__(self, *args: Any, organizations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["organization"]).queryset = organizations


def _publishable_organizations(user: Any) -> Any:
    if not getattr(user, "is_authenticated", False):
        return Organization.objects.none()
    ids = org_ids_for_roles(user, PUBLISHING_ROLES)
    orgs = Organization.objects.active()
    return orgs if ids is None else orgs.filter(pk__in=ids)


@require_http_methods(["GET", "HEAD", "POST"])
def announcements(request: HttpRequest) -> HttpResponse:
    """Announcements the visitor may read; agency heads and administrators can publish new ones here."""
    organizations = _publishable_organizations(request.user)
    can_publish = organizations.exists()
    form = None
    if can_publish:
        form = AnnouncementForm(request.POST if request.method == "POST" else None, organizations=organizations)
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                announcement_publish(
                    actor=request.user, organization=form.cleaned_data["organization"],
                    title=form.cleaned_data["title"], body=form.cleaned_data["body"],
                    is_public=form.cleaned_data["is_public"],
                )  # fmt: skip
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, _("The announcement was published."))
                return redirect(reverse("core:announcements"))
    page = Paginator(announcement_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    # Sanitised when written; cleaned again here so a row written any other way cannot carry a script.
    items = [(item, mark_safe(sanitize_announcement_html(item.body))) for item in page.object_list]  # noqa: S308
    return render(request, "core/notifications/announcements.html", {"page": page, "items": items, "form": form})
