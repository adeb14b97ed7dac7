"""Request-wide middleware: request context for audit, and two-factor enforcement per role."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from cityops.core.context import RequestInfo, reset_request_info, set_request_info


def client_ip(request: HttpRequest) -> str | None:
    """The client's address; a proxy's X-Forwarded-For is trusted only when configured.

    With ``TRUSTED_PROXY_COUNT`` = n the address is the n-th entry from the right: our own proxies append
    there, while entries further left come from the client and may be forged.
    """
    from django.conf import settings

    hops = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if hops > 0:
        entries = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(entries) >= hops:
            return entries[-hops][:64] or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Makes the client IP and a request id available to services for audit events."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request.META.get("HTTP_X_REQUEST_ID", "")[:64] or uuid.uuid4().hex
        token = set_request_info(RequestInfo(ip_address=client_ip(request), request_id=request_id))
        try:
            response = self.get_response(request)
        finally:
            reset_request_info(token)
        response["X-Request-ID"] = request_id
        return response


class TwoFactorEnforcementMiddleware:
    """Sends people who have an authenticator to verify, and people whose role requires one to enrol,
    before any page. API and standards paths are exempt: they authenticate with tokens, not sessions."""

    EXEMPT_PREFIXES = ("/static/", "/api/", "/open311/", "/ngsi-ld/", "/i18n/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from cityops.core.services.auth import two_factor_state

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(self.EXEMPT_PREFIXES):
            verified = bool(getattr(user, "is_verified", lambda: False)())
            state = two_factor_state(user, verified=verified)
            if state != "ok":
                target = self._target(request, state)
                if target is not None:
                    if request.headers.get("HX-Request"):
                        # htmx would swap the redirected page into a fragment; ask it to navigate instead.
                        response = HttpResponse(status=204)
                        response["HX-Redirect"] = target
                        return response
                    return redirect(target)
        return self.get_response(request)

    @staticmethod
    def _target(request: HttpRequest, state: str) -> str | None:
        """Where to send the person, or None when the page they asked for is part of the way through."""
        verify = reverse("core:two_factor_verify")
        setup = reverse("core:two_factor_setup")
        always = {reverse("core:logout")}
        if state == "must_verify":
            if request.path in always or request.path == verify:
                return None
            return f"{verify}?{urlencode({'next': request.get_full_path()})}"
        if request.path in always or request.path in {setup, verify}:
            return None
        return setup
