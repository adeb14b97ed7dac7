"""The person's own account page: profile, language, password and two-factor links, memberships."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.generic import FormView

from cityops.core.forms import ProfileForm
from cityops.core.selectors.accounts import own_memberships, own_two_factor_devices
from cityops.core.services import auth as auth_services
from cityops.core.views.auth import set_language_cookie, signed_in_user

__all__ = ["AccountView"]


class AccountView(LoginRequiredMixin, FormView):
    """Edit one's own profile; saving the language also switches the interface to it."""

    template_name = "core/account/account.html"
    form_class = ProfileForm

    def get_initial(self) -> dict[str, Any]:
        user = signed_in_user(self.request)
        return {"full_name": user.full_name, "phone": user.phone, "language": user.language}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            memberships=own_memberships(user=user),
            two_factor_devices=own_two_factor_devices(user=user),
            two_factor_required=auth_services.requires_two_factor(user),
        )
        return context

    def form_valid(self, form: ProfileForm) -> HttpResponse:
        try:
            user = auth_services.profile_update(user=signed_in_user(self.request), **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self.form_invalid(form)
        translation.activate(user.language)
        messages.success(self.request, _("Your profile has been saved."))
        response = redirect("core:account")
        set_language_cookie(response, user.language)
        return response
