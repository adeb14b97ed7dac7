"""The product's own administration pages (``manage/``): organisations, people and their roles.

Thin views: the selectors in ``cityops.core.selectors.management`` decide who sees and changes what, the
forms parse, the services write and audit. Records outside the actor's reach answer 404 whether they exist
or not; a record the actor may see but not change answers 403.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect
from django.shortcuts import render as _render_template
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views import View

from cityops.core.forms_admin import (
    MembershipForm,
    OrganizationForm,
    PasswordSetForm,
    UserCreateForm,
    UserEditForm,
    UserSearchForm,
    apply_errors,
)
from cityops.core.models import Organization, User
from cityops.core.selectors.management import (
    can_change_membership,
    can_edit_user,
    can_manage_organizations,
    can_manage_people,
    get_managed_organization,
    get_removable_membership,
    get_visible_user,
    managed_organizations,
    memberships_by_user,
    people_organizations,
    search_users,
    tree_order,
    visible_users,
)
from cityops.core.services import organizations as services
from cityops.core.text import fold, nfc

__all__ = ["urlpatterns"]

USERS_PER_PAGE = 50


def render(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """Render an administration page; the section menu needs to know whether organisations are offered."""
    context = {"can_manage_organizations": can_manage_organizations(request.user), **(context or {})}
    return _render_template(request, template, context, status=status)


class _ManageView(LoginRequiredMixin, View):
    """Base: logged in, and allowed into this part of the administration pages."""

    section = "people"  # or "organizations"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        allowed = can_manage_organizations if self.section == "organizations" else can_manage_people
        if not allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class IndexView(_ManageView):
    """Entry page of the administration: what this person may manage."""

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        context = {
            "can_manage_organizations": can_manage_organizations(user),
            "organization_count": managed_organizations(user).count() if can_manage_organizations(user) else 0,
            "user_count": visible_users(user).count(),
            "django_admin": user.is_staff,
        }
        return render(request, "core/admin_console/index.html", context)


# --- Organisations --------------------------------------------------------------------------------------


class OrganizationListView(_ManageView):
    section = "organizations"

    def get(self, request: HttpRequest) -> HttpResponse:
        query = nfc(request.GET.get("q", ""))[:100].strip()
        orgs = tree_order(managed_organizations(request.user))
        if query:
            terms = fold(query).split()
            orgs = [
                org
                for org in orgs
                if all(
                    t in fold(f"{org.name} {org.short_name} {org.code} {org.edxml_code} {org.admin_unit_code}")
                    for t in terms
                )
            ]
        return render(request, "core/admin_console/organizations.html", {"organizations": orgs, "q": query})


class OrganizationCreateView(_ManageView):
    section = "organizations"

    def get(self, request: HttpRequest) -> HttpResponse:
        initial = {"parent": request.GET.get("parent"), "kind": "department", "sort_order": 0}
        form = OrganizationForm(actor=request.user, initial=initial)
        return self._render(request, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = OrganizationForm(request.POST, actor=request.user)
        if form.is_valid():
            try:
                org = services.organization_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Organisation “%(name)s” created.") % {"name": org.name})
                return redirect("core:manage_organizations")
        return self._render(request, form, status=400)

    def _render(self, request: HttpRequest, form: OrganizationForm, status: int = 200) -> HttpResponse:
        context = {"form": form, "organization": None}
        return render(request, "core/admin_console/organization_form.html", context, status=status)


class OrganizationEditView(_ManageView):
    section = "organizations"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        org = get_managed_organization(request.user, pk)
        return self._render(request, org, OrganizationForm(actor=request.user, instance=org))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        org = get_managed_organization(request.user, pk)
        form = OrganizationForm(request.POST, actor=request.user, instance=org)
        if form.is_valid():
            changes = form.changes()
            try:
                if changes:
                    services.organization_update(actor=request.user, organization=org, **changes)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Organisation “%(name)s” saved.") % {"name": org.name})
                return redirect("core:manage_organizations")
        return self._render(request, org, form, status=400)

    def _render(
        self, request: HttpRequest, org: Organization, form: OrganizationForm, status: int = 200
    ) -> HttpResponse:
        context = {
            "form": form,
            "organization": org,
            "ancestors": list(org.ancestors()),
            "can_change_status": _may_change_status(request.user, org),
        }
        return render(request, "core/admin_console/organization_form.html", context, status=status)


def _may_change_status(user: Any, org: Organization) -> bool:
    """Only whoever administers the level above deactivates a unit, so nobody switches off their own access."""
    if user.is_superuser:
        return True
    return org.parent_id is not None and managed_organizations(user).filter(pk=org.parent_id).exists()


class OrganizationStatusView(_ManageView):
    """POST ``active=0`` to deactivate a unit, ``active=1`` to reactivate it; units are never deleted."""

    section = "organizations"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        org = get_managed_organization(request.user, pk)
        if not _may_change_status(request.user, org):
            raise PermissionDenied
        active = request.POST.get("active") == "1"
        try:
            services.organization_set_active(actor=request.user, organization=org, active=active)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            text = _("“%(name)s” reactivated.") if active else _("“%(name)s” deactivated.")
            messages.success(request, text % {"name": org.name})
        return redirect("core:manage_organization_edit", pk=org.pk)


# --- People ---------------------------------------------------------------------------------------------


class UserListView(_ManageView):
    def get(self, request: HttpRequest) -> HttpResponse:
        form = UserSearchForm(request.GET or None)
        query, status = "", ""
        if form.is_valid():
            query, status = form.cleaned_data["q"], form.cleaned_data["status"]
        active = {"active": True, "inactive": False}.get(status)
        users = search_users(request.user, query, active=active)
        page = Paginator(users, USERS_PER_PAGE).get_page(request.GET.get("page"))
        by_user = memberships_by_user(request.user, list(page.object_list))
        rows = [(user, by_user.get(user.pk, [])) for user in page.object_list]
        context = {"form": form, "page": page, "rows": rows, "q": query, "status": status}
        return render(request, "core/admin_console/users.html", context)


class UserCreateView(_ManageView):
    def get(self, request: HttpRequest) -> HttpResponse:
        initial = {"organization": request.GET.get("organization"), "role": "specialist"}
        return self._render(request, UserCreateForm(actor=request.user, initial=initial))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = UserCreateForm(request.POST, actor=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                user = services.user_create(
                    actor=request.user,
                    username=data["username"],
                    password=data["password1"] or None,
                    organization=data["organization"],
                    role=data["role"],
                    title=data["title"],
                    full_name=data["full_name"],
                    email=data["email"],
                    phone=data["phone"],
                    job_title=data["job_title"],
                )
            except ValidationError as exc:
                apply_errors(form, _password_errors_to_field(exc, "password1"))
            else:
                messages.success(request, _("Account “%(name)s” created.") % {"name": user.username})
                if not data["password1"]:
                    messages.warning(
                        request,
                        _("The account has no password yet, so nobody can log in with it. Use “Set password” "
                          "below and give the password to the person in a safe way."),
                    )  # fmt: skip
                return redirect("core:manage_user_edit", pk=user.pk)
        return self._render(request, form, status=400)

    def _render(self, request: HttpRequest, form: UserCreateForm, status: int = 200) -> HttpResponse:
        return render(request, "core/admin_console/user_create.html", {"form": form}, status=status)


def _password_errors_to_field(exc: ValidationError, field: str) -> ValidationError:
    if hasattr(exc, "error_dict") and "password" in exc.error_dict:
        errors = dict(exc.error_dict)
        errors[field] = errors.pop("password")
        return ValidationError(errors)
    return exc


class UserEditView(_ManageView):
    """A person's page: profile, roles, password and status. Everyone listed can be viewed; changes need
    ``can_edit_user`` (profile, password, status) or ``can_change_membership`` (roles)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = get_visible_user(request.user, pk)
        initial = {name: getattr(target, name) for name in UserEditForm.base_fields}
        return self._render(request, target, profile_form=UserEditForm(initial=initial))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = get_visible_user(request.user, pk)
        if not can_edit_user(request.user, target):
            raise PermissionDenied
        form = UserEditForm(request.POST)
        if form.is_valid():
            changes = form.changes(target)
            try:
                if changes:
                    services.user_update(actor=request.user, user=target, **changes)
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("core:manage_user_edit", pk=target.pk)
        return self._render(request, target, profile_form=form, status=400)

    def _render(self, request: HttpRequest, target: User, *, status: int = 200, **forms: Any) -> HttpResponse:
        actor = request.user
        editable = can_edit_user(actor, target)
        manageable_ids = set(people_organizations(actor).values_list("id", flat=True))
        memberships = [
            (m, m.organization_id in manageable_ids and can_change_membership(actor, target, m.organization, m.role))
            for m in memberships_by_user(actor, [target]).get(target.pk, [])
        ]
        context = {
            "target": target,
            "editable": editable,
            "memberships": memberships,
            "profile_form": forms.get("profile_form")
            or UserEditForm(initial={n: getattr(target, n) for n in UserEditForm.base_fields}),
            "membership_form": forms.get("membership_form") or MembershipForm(actor=actor, target=target),
            "password_form": forms.get("password_form") or PasswordSetForm(),
            "has_usable_password": target.has_usable_password(),
            "is_self": target.pk == actor.pk,
        }
        return render(request, "core/admin_console/user_edit.html", context, status=status)


class UserPasswordView(UserEditView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return redirect("core:manage_user_edit", pk=pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = get_visible_user(request.user, pk)
        if not can_edit_user(request.user, target) or target.pk == request.user.pk:
            raise PermissionDenied
        form = PasswordSetForm(request.POST)
        if form.is_valid():
            try:
                services.user_set_password(actor=request.user, user=target, password=form.cleaned_data["password1"])
            except ValidationError as exc:
                apply_errors(form, _password_errors_to_field(exc, "password1"))
            else:
                messages.success(request, _("Password set. Give it to the person in a safe way."))
                return redirect("core:manage_user_edit", pk=target.pk)
        return self._render(request, target, password_form=form, status=400)


class UserStatusView(_ManageView):
    """POST ``active=0`` to deactivate an account, ``active=1`` to reactivate it; accounts are never deleted."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = get_visible_user(request.user, pk)
        if not can_edit_user(request.user, target):
            raise PermissionDenied
        active = request.POST.get("active") == "1"
        try:
            services.user_set_active(actor=request.user, user=target, active=active)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            text = _("Account reactivated.") if active else _("Account deactivated: the person can no longer log in.")
            messages.success(request, text)
        return redirect("core:manage_user_edit", pk=target.pk)


class MembershipAddView(UserEditView):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return redirect("core:manage_user_edit", pk=pk)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        target = get_visible_user(request.user, pk)
        form = MembershipForm(request.POST, actor=request.user, target=target)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.membership_grant(
                    actor=request.user, user=target, organization=data["organization"], role=data["role"],
                    title=data["title"],
                )  # fmt: skip
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Role granted."))
                return redirect("core:manage_user_edit", pk=target.pk)
        return self._render(request, target, membership_form=form, status=400)


class MembershipRemoveView(_ManageView):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        membership = get_removable_membership(request.user, pk)
        if not can_change_membership(request.user, membership.user, membership.organization, membership.role):
            raise PermissionDenied
        services.membership_revoke(actor=request.user, membership=membership)
        messages.success(request, _("Role removed."))
        return HttpResponseRedirect(reverse("core:manage_user_edit", args=[membership.user_id]))


urlpatterns = [
    path("", IndexView.as_view(), name="manage_index"),
    path("organizations/", OrganizationListView.as_view(), name="manage_organizations"),
    path("organizations/new/", OrganizationCreateView.as_view(), name="manage_organization_create"),
    path("organizations/<int:pk>/", OrganizationEditView.as_view(), name="manage_organization_edit"),
    path("organizations/<int:pk>/status/", OrganizationStatusView.as_view(), name="manage_organization_status"),
    path("users/", UserListView.as_view(), name="manage_users"),
    path("users/new/", UserCreateView.as_view(), name="manage_user_create"),
    path("users/<int:pk>/", UserEditView.as_view(), name="manage_user_edit"),
    path("users/<int:pk>/password/", UserPasswordView.as_view(), name="manage_user_password"),
    path("users/<int:pk>/status/", UserStatusView.as_view(), name="manage_user_status"),
    path("users/<int:pk>/memberships/", MembershipAddView.as_view(), name="manage_membership_add"),
    path("memberships/<int:pk>/remove/", MembershipRemoveView.as_view(), name="manage_membership_remove"),
]
