"""Log in, log out, two-factor and password pages: parse the form, call a service, render or redirect."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import FormView

from cityops.core.forms import AccountPasswordChangeForm, LoginForm, TwoFactorRemoveForm, TwoFactorTokenForm
from cityops.core.models import User
from cityops.core.services import auth as auth_services

__all__ = [
    "LoginView",
    "LogoutView",
    "PasswordChangeView",
    "TwoFactorRemoveView",
    "TwoFactorSetupView",
    "TwoFactorVerifyView",
    "safe_next_url",
    "set_language_cookie",
]


def safe_next_url(request: HttpRequest, candidate: str | None, default: str | None = None) -> str:
    """``candidate`` if it points into this site, else ``default`` (home): closes open redirects."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or reverse("core:home")


def set_language_cookie(response: HttpResponse, language: str) -> None:
    """Remember the interface language the same way Django's ``set_language`` view does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def signed_in_user(request: HttpRequest) -> User:
    """``request.user`` typed as our User; only called behind LoginRequiredMixin."""
    return cast(User, request.user)


def _has_confirmed_device(user: Any) -> bool:
    from django_otp import user_has_device

    return user_has_device(user, confirmed=True)


def _is_verified(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_verified", lambda: False)())


@method_decorator(never_cache, name="dispatch")
class LoginView(auth_views.LoginView):
    """Username and password; lockout is django-axes' job, the audit trail is ours."""

    template_name = "core/auth/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        response = super().form_valid(form)
        state = auth_services.two_factor_state(user, verified=False)
        auth_services.login_succeeded(user=user, two_factor_pending=state != "ok")
        if state == "must_verify":
            target = reverse("core:two_factor_verify") + "?" + urlencode({"next": self.get_success_url()})
            response = HttpResponseRedirect(target)
        # The person's saved language wins over whatever the log-in page was shown in.
        if getattr(user, "language", "") in dict(settings.LANGUAGES):
            set_language_cookie(response, user.language)
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        username = self.request.POST.get("username", "")
        if getattr(self.request, "axes_locked_out", False):
            reason = "locked_out"
        elif form.has_error("username") or form.has_error("password"):
            reason = "invalid_input"
        elif form.has_error(NON_FIELD_ERRORS, "inactive"):
            reason = "inactive"
        else:
            reason = "invalid_credentials"
        auth_services.login_failed(username=username, reason=reason)
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    """Sign out (POST only, as in Django) after recording who left."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        auth_services.logout_recorded(user=request.user)
        return super().post(request, *args, **kwargs)


@method_decorator(never_cache, name="dispatch")
class TwoFactorVerifyView(LoginRequiredMixin, FormView):
    """The second step of signing in for anyone with an authenticator device."""

    template_name = "core/auth/two_factor_verify.html"
    form_class = TwoFactorTokenForm

    def next_url(self) -> str:
        return safe_next_url(self.request, self.request.POST.get("next") or self.request.GET.get("next"))

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            if _is_verified(request):
                return redirect(self.next_url())
            if not _has_confirmed_device(request.user):
                return redirect("core:two_factor_setup")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["next"] = self.next_url()
        return context

    def form_valid(self, form: TwoFactorTokenForm) -> HttpResponse:
        result = auth_services.two_factor_verify(
            request=self.request, user=signed_in_user(self.request), token=form.cleaned_data["token"]
        )
        if result.ok:
            return redirect(self.next_url())
        form.add_error("token", _token_error(result.reason))
        return self.form_invalid(form)


def _token_error(reason: str) -> str:
    if reason == "throttled":
        return _("Too many wrong codes. Wait a little and try again with a new code.")
    if reason == "no_device":
        return _("There is no authenticator to check this code against. Start the set-up again.")
    return _("The code is not correct or has already been used. Enter the current code from your app.")


@method_decorator(never_cache, name="dispatch")
class TwoFactorSetupView(LoginRequiredMixin, FormView):
    """Enrol an authenticator app: scan the QR code (or type the secret), then confirm with one code."""

    template_name = "core/auth/two_factor_setup.html"
    form_class = TwoFactorTokenForm
    success_url = reverse_lazy("core:account")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and _has_confirmed_device(request.user):
            if not _is_verified(request):
                return redirect("core:two_factor_verify")
            return self.render_to_response({"enrolled": True})
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        device = auth_services.two_factor_enrolment_device(user=signed_in_user(self.request))
        context.update(
            enrolled=False,
            qr_svg=auth_services.two_factor_qr_svg(device),
            secret=auth_services.two_factor_secret(device),
            required=auth_services.requires_two_factor(self.request.user),
        )
        return context

    def form_valid(self, form: TwoFactorTokenForm) -> HttpResponse:
        result = auth_services.two_factor_confirm(
            request=self.request, user=signed_in_user(self.request), token=form.cleaned_data["token"]
        )
        if not result.ok:
            form.add_error("token", _token_error(result.reason))
            return self.form_invalid(form)
        messages.success(self.request, _("Two-factor authentication is on."))
        return super().form_valid(form)


@method_decorator(never_cache, name="dispatch")
class TwoFactorRemoveView(LoginRequiredMixin, FormView):
    """Switch two-factor off (e.g. a lost phone) after typing the password again."""

    template_name = "core/auth/two_factor_remove.html"
    form_class = TwoFactorRemoveForm
    success_url = reverse_lazy("core:account")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated and not _has_confirmed_device(request.user):
            return redirect("core:two_factor_setup")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["required"] = auth_services.requires_two_factor(self.request.user)
        return context

    def form_valid(self, form: Form) -> HttpResponse:
        try:
            auth_services.two_factor_remove(user=signed_in_user(self.request), password=form.cleaned_data["password"])
        except ValidationError as exc:
            form.add_error(None, exc)
            return self.form_invalid(form)
        messages.success(self.request, _("Two-factor authentication is off."))
        return super().form_valid(form)


@method_decorator(never_cache, name="dispatch")
class PasswordChangeView(LoginRequiredMixin, FormView):
    """Change one's own password; this session stays signed in, other sessions end."""

    template_name = "core/account/password_change.html"
    form_class = AccountPasswordChangeForm
    success_url = reverse_lazy("core:account")

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form: AccountPasswordChangeForm) -> HttpResponse:
        try:
            user = auth_services.password_change(
                user=signed_in_user(self.request), new_password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            form.add_error("new_password2", exc)
            return self.form_invalid(form)
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)
