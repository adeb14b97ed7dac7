"""Forms of the administration pages (``manage/``). They parse and check input; services do the writes.

Choices are narrowed to what the acting person may manage, so a forged POST naming another agency's unit
fails validation like any other bad value.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cityops.core.choices import OrganizationKind, Role
from cityops.core.models import Organization, User
from cityops.core.selectors.management import (
    can_change_membership,
    grantable_roles,
    managed_organizations,
    people_organizations,
)
from cityops.core.services.organizations import clean_admin_unit_code, clean_edxml_code
from cityops.core.text import nfc

__all__ = [
    "MembershipForm",
    "OrganizationForm",
    "PasswordSetForm",
    "UserCreateForm",
    "UserEditForm",
    "UserSearchForm",
    "apply_errors",
]


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form: to its field when the form has one, else to the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class OrganizationChoiceField(forms.ModelChoiceField):
    """Organisations shown indented by their depth in the tree."""

    def label_from_instance(self, obj: Organization) -> str:
        return f"{'— ' * obj.depth}{obj.name}"


class _NfcCharField(forms.CharField):
    def to_python(self, value: Any) -> str:
        return nfc(super().to_python(value) or "")


class OrganizationForm(forms.Form):
    """Create or edit an organisation; the parent list holds only the units the actor administers."""

    name = _NfcCharField(label=_("Name"), max_length=255)
    short_name = _NfcCharField(label=_("Short name"), max_length=64, required=False)
    code = forms.SlugField(
        label=_("Code"), max_length=64, help_text=_("Stable identifier: Latin letters, digits and hyphens.")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=OrganizationKind.choices)
    parent = OrganizationChoiceField(label=_("Parent organisation"), queryset=Organization.objects.none())
    admin_unit_code = forms.CharField(label=_("Administrative unit code"), max_length=16, required=False)
    edxml_code = forms.CharField(
        label=_("edXML organisation code"), max_length=13, required=False, help_text=_("In the form 000.00.00.H00.")
    )
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    address = _NfcCharField(label=_("Address"), max_length=255, required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    sort_order = forms.IntegerField(label=_("Sort order"), min_value=0, max_value=1_000_000, initial=0)

    def __init__(self, *args: Any, actor: Any, instance: Organization | None = None, **kwargs: Any) -> None:
        self.actor = actor
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(instance, name) for name in self.base_fields if name != "parent"}
            kwargs["initial"]["parent"] = instance.parent_id
        super().__init__(*args, **kwargs)
        choices = managed_organizations(actor).order_by("path")
        if instance is not None:
            choices = choices.exclude(path__startswith=instance.path)
        parent_field = cast(forms.ModelChoiceField, self.fields["parent"])
        parent_field.queryset = choices
        parent_field.required = not getattr(actor, "is_superuser", False)
        if instance is not None and instance.parent_id and not choices.filter(pk=instance.parent_id).exists():
            # The actor's own top unit: its place in the tree belongs to whoever administers the level above.
            parent_field.queryset = Organization.objects.filter(pk=instance.parent_id)
            parent_field.disabled = True
        elif instance is not None and instance.parent_id is None:
            parent_field.queryset = Organization.objects.none()
            parent_field.disabled = True
            parent_field.required = False

    def clean_edxml_code(self) -> str:
        return clean_edxml_code(self.cleaned_data.get("edxml_code", ""))

    def clean_admin_unit_code(self) -> str:
        return clean_admin_unit_code(self.cleaned_data.get("admin_unit_code", ""))

    def changes(self) -> dict[str, Any]:
        """The cleaned values that differ from the instance (all of them for a new organisation)."""
        data = dict(self.cleaned_data)
        if self.instance is None:
            return data
        changed: dict[str, Any] = {}
        for name, value in data.items():
            if name == "parent":
                if not self.fields["parent"].disabled and (value.pk if value else None) != self.instance.parent_id:
                    changed["parent"] = value
            elif getattr(self.instance, name) != value:
                changed[name] = value
        return changed


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("active", _("Active")), ("inactive", _("Deactivated"))],
    )


class _RoleInOrganizationMixin:
    """Checks that the actor may grant the chosen role in the chosen organisation."""

    actor: Any
    target: User | None = None

    def _check_role(self, cleaned: dict[str, Any]) -> None:
        organization, role = cleaned.get("organization"), cleaned.get("role")
        if organization is None or not role:
            return
        if role not in grantable_roles(self.actor, organization):
            self.add_error("role", _("You cannot grant this role in this organisation."))  # type: ignore[attr-defined]
        elif self.target is not None and not can_change_membership(self.actor, self.target, organization, role):
            self.add_error(None, _("You cannot change the roles of this person."))  # type: ignore[attr-defined]


class UserCreateForm(_RoleInOrganizationMixin, forms.Form):
    """A new account with its first role; leave the password empty to set it later."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @.+-_ only."),
    )
    full_name = _NfcCharField(label=_("Full name"), max_length=255)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    job_title = _NfcCharField(label=_("Job title"), max_length=255, required=False)
    organization = OrganizationChoiceField(label=_("Organisation"), queryset=Organization.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    title = _NfcCharField(label=_("Position"), max_length=255, required=False)
    password1 = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to create the account without a password and set one later."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        required=False,
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        self.actor = actor
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["organization"]).queryset = (
            people_organizations(actor).filter(is_active=True).order_by("path")
        )

    def clean_username(self) -> str:
        username = nfc(self.cleaned_data["username"]).strip()
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("This username is already taken."))
        return username

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password1", "") != cleaned.get("password2", ""):
            self.add_error("password2", _("The two passwords differ."))
        self._check_role(cleaned)
        return cleaned


class UserEditForm(forms.Form):
    full_name = _NfcCharField(label=_("Full name"), max_length=255)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    job_title = _NfcCharField(label=_("Job title"), max_length=255, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=list(User._meta.get_field("language").choices or []))

    def changes(self, user: User) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if getattr(user, name) != value}


class MembershipForm(_RoleInOrganizationMixin, forms.Form):
    organization = OrganizationChoiceField(label=_("Organisation"), queryset=Organization.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    title = _NfcCharField(label=_("Position"), max_length=255, required=False)

    def __init__(self, *args: Any, actor: Any, target: User, **kwargs: Any) -> None:
        self.actor = actor
        self.target = target
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["organization"]).queryset = (
            people_organizations(actor).filter(is_active=True).order_by("path")
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._check_role(cleaned)
        return cleaned


class PasswordSetForm(forms.Form):
    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        max_length=128,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return cleaned
