"""Forms of the core pages: signing in, two-factor codes, the person's own account.

Forms only parse and validate input; the writes happen in ``cityops.core.services``.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from cityops.core.text import nfc

__all__ = [
    "PASSWORD_MAX_LENGTH",
    "AccountPasswordChangeForm",
    "LoginForm",
    "ProfileForm",
    "TwoFactorRemoveForm",
    "TwoFactorTokenForm",
]

# Long enough for any pass phrase, short enough that hashing it cannot be used to burn CPU.
PASSWORD_MAX_LENGTH = 1024
_TOKEN_RE = re.compile(r"[0-9]{6}")  # ASCII digits only: \d would also accept other scripts' digits
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 .()\-]{5,30}$")


class LoginForm(AuthenticationForm):
    """Django's log-in form with NFC usernames and a bounded password length."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django sets the username's max_length after the field is built, so its validator is missing: add it,
        # so a 10,000-character "username" is a form error and never reaches the database or the lockout table.
        username = cast(forms.CharField, self.fields["username"])
        username.validators.append(MaxLengthValidator(username.max_length))

    def clean_username(self) -> str:
        """Keyboards send Vietnamese letters composed or decomposed; both must name the same account."""
        return nfc(self.cleaned_data["username"]).strip()


class TwoFactorTokenForm(forms.Form):
    """A six-digit code from an authenticator app; spaces typed between the digits are ignored."""

    token = forms.CharField(
        label=_("Six-digit code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*", "autofocus": True}
        ),
    )

    def clean_token(self) -> str:
        token = re.sub(r"\s+", "", self.cleaned_data["token"])
        if not _TOKEN_RE.fullmatch(token):
            raise forms.ValidationError(_("Enter the six digits shown in your authenticator app."), code="format")
        return token


class TwoFactorRemoveForm(forms.Form):
    """Removing two-factor needs the password again, so a session left open cannot switch it off."""

    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=PASSWORD_MAX_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class AccountPasswordChangeForm(PasswordChangeForm):
    """Django's password change form with bounded lengths on every field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("old_password", "new_password1", "new_password2"):
            cast(forms.CharField, self.fields[name]).max_length = PASSWORD_MAX_LENGTH
            self.fields[name].validators.append(MaxLengthValidator(PASSWORD_MAX_LENGTH))


class ProfileForm(forms.Form):
    """What a person may change about themself: name, phone, language."""

    full_name = forms.CharField(label=_("Full name"), max_length=255, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)

    def clean_full_name(self) -> str:
        value = nfc(self.cleaned_data["full_name"]).strip()
        if any(ch in value for ch in "<>"):
            raise forms.ValidationError(_("The name cannot contain < or >."), code="invalid")
        if any(ord(ch) < 32 for ch in value):
            raise forms.ValidationError(_("The name cannot contain control characters."), code="invalid")
        return value

    def clean_phone(self) -> str:
        value = nfc(self.cleaned_data["phone"]).strip()
        if value and not _PHONE_RE.fullmatch(value):
            raise forms.ValidationError(
                _("Enter a phone number of digits, optionally starting with + (for example 0222 3822 456)."),
                code="invalid",
            )
        return value
