"""What every CityOps API endpoint shares: authentication, the error body, and pagination.

Authentication
    Every endpoint requires a signed-in caller unless it says ``auth=None``. ``default_auth`` accepts, in
    order, an API key (``Authorization: Bearer cok_…`` or ``X-API-Key: cok_…``) or the web session. A
    request that presents a key which is wrong, revoked or expired is refused with 401 at once (it does
    not fall back to the session). Session requests that change something (POST, PUT, PATCH, DELETE)
    must carry the CSRF token (``X-CSRFToken`` header), as in the web UI; API-key requests need none.
    A session whose two-factor check is still pending cannot use the API either (the two-factor
    middleware leaves ``/api/`` alone, so the check is made here).

Errors
    Every error has one shape, ``ErrorOut``::

        {"error": {"code": "validation_error", "message": "...", "fields": [{"field": "name", "message": "..."}]}}

    ``code`` is a stable machine-readable string; ``message`` is translated for the caller's language.
    All bad input answers **400** (``validation_error``), whether ninja rejected the schema, a service
    raised Django's ``ValidationError`` or a pagination parameter is out of range: one status for "fix
    your request" keeps clients simple (400 ``invalid_body`` when the body is not JSON at all).
    401 ``not_authenticated`` / ``invalid_api_key`` /
    ``two_factor_required``, 403 ``permission_denied`` / ``csrf_failed``, 404 ``not_found`` (the same
    body for a missing record and one the caller may not see), 429 ``throttled``, 500 ``server_error``
    (generic message; the exception is logged, never shown).

Pagination
    ``@paginate(PageNumberPagination)`` reads ``page`` (from 1) and ``page_size`` (default
    ``API_DEFAULT_PAGE_SIZE``, at most ``API_MAX_PAGE_SIZE``) and answers
    ``{"items": [...], "count": N, "page": p, "page_size": s, "pages": n}``. A ``page_size`` above the
    maximum, or a non-number, is a 400 error rather than silently clamped, so a client never believes it
    has everything when it has not. A page past the last one is not an error: it is empty.
    ``CappedPageNumberPagination`` is the same for lists that count only up to a cap (searches): it adds
    ``count_capped``, true when more rows exist than ``count`` says (``count`` and ``pages`` are then lower
    bounds, and pages past them are still served).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import PaginationBase
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from cityops.core.services.apikeys import apikey_authenticate, apikey_touch

__all__ = [
    "ApiError",
    "ApiKeyAuth",
    "CappedPageNumberPagination",
    "ErrorBody",
    "ErrorOut",
    "FieldError",
    "PageNumberPagination",
    "SessionAuth",
    "default_auth",
    "error_response",
    "error_responses",
    "install_error_handlers",
]

logger = logging.getLogger("cityops.api")


# --- Error body ----------------------------------------------------------------------------------------


class FieldError(Schema):
    field: str | None = Field(None, description="The input field at fault; null when the whole request is.")
    message: str


class ErrorBody(Schema):
    code: str = Field(..., description="Stable machine-readable code, e.g. validation_error, not_found.")
    message: str = Field(..., description="Human-readable explanation in the caller's language.")
    fields: list[FieldError] = Field(default_factory=list)


class ErrorOut(Schema):
    """The body of every error answer."""

    error: ErrorBody


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """``response=`` entries documenting error answers, e.g. ``{200: Out, **error_responses(400, 404)}``."""
    return dict.fromkeys(statuses, ErrorOut)


class ApiError(HttpError):
    """An error an endpoint raises on purpose, with its own machine code and optional field errors."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        fields: Iterable[tuple[str | None, str]] = (),
    ) -> None:
        super().__init__(status_code, message)
        self.code = code
        self.fields = list(fields)


_STATUS_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "throttled",
}


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    *,
    status: int,
    code: str,
    message: str,
    fields: Iterable[tuple[str | None, str]] = (),
) -> HttpResponse:
    """Render the one error shape; used by every handler below."""
    body = {
        "error": {
            "code": code,
            "message": str(message),
            "fields": [{"field": field, "message": str(text)} for field, text in fields],
        }
    }
    return api.create_response(request, body, status=status)


_PYDANTIC_MESSAGES = {
    "missing": lambda: _("This field is required."),
    "int_parsing": lambda: _("Enter a whole number."),
    "int_type": lambda: _("Enter a whole number."),
    "bool_parsing": lambda: _("Enter true or false."),
    "float_parsing": lambda: _("Enter a number."),
    "string_too_long": lambda: _("This value is too long."),
    "string_too_short": lambda: _("This value is too short."),
    "greater_than_equal": lambda: _("This value is too small."),
    "less_than_equal": lambda: _("This value is too large."),
    "enum": lambda: _("Choose one of the allowed values."),
    "literal_error": lambda: _("Choose one of the allowed values."),
    "json_invalid": lambda: _("The request body is not valid JSON."),
    "uuid_parsing": lambda: _("Enter a valid identifier."),
    "datetime_parsing": lambda: _("Enter a valid date and time."),
    "datetime_from_date_parsing": lambda: _("Enter a valid date and time."),
    "date_parsing": lambda: _("Enter a valid date."),
}
_LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file"}


def _ninja_field(error: dict[str, Any], request: HttpRequest) -> str | None:
    """``["body", "payload", "name"]`` → ``"name"``; ``["query", "page"]`` → ``"page"``."""
    loc = [str(part) for part in error.get("loc", ())]
    if loc and loc[0] in _LOCATIONS:
        source = loc.pop(0)
        # A body parameter is wrapped in the view's argument name; callers know only the JSON keys.
        if source in {"body", "form"} and len(loc) > 1:
            loc.pop(0)
    return ".".join(loc) or None


def _ninja_message(error: dict[str, Any]) -> str:
    custom = _PYDANTIC_MESSAGES.get(str(error.get("type", "")))
    if custom is not None:
        return custom()
    message = str(error.get("msg", "")) or _("This value is not valid.")
    return message.removeprefix("Value error, ")


def install_error_handlers(api: NinjaAPI) -> None:
    """Register the handlers that give every error the ``ErrorOut`` shape."""

    def on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        fields = [(_ninja_field(error, request), _ninja_message(error)) for error in exc.errors]
        return error_response(
            api, request, status=400, code="validation_error",
            message=_("The request is not valid; see the fields."), fields=fields,
        )  # fmt: skip

    def on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        fields: list[tuple[str | None, str]] = []
        if hasattr(exc, "error_dict"):
            for name, messages in exc.message_dict.items():
                key = None if name == NON_FIELD_ERRORS else name
                fields.extend((key, message) for message in messages)
            message = _("The request is not valid; see the fields.")
        else:
            messages = exc.messages
            message = " ".join(messages) if messages else _("The request is not valid.")
        return error_response(api, request, status=400, code="validation_error", message=message, fields=fields)

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, ApiError):
            return error_response(
                api, request, status=exc.status_code, code=exc.code, message=exc.message, fields=exc.fields
            )
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.message
        if isinstance(exc, AuthenticationError):
            message = _("Authentication required: sign in or send an API key.")
        elif exc.status_code == 403 and exc.message == "CSRF check Failed":
            code, message = "csrf_failed", _("The CSRF token is missing or wrong.")
        elif isinstance(exc, Throttled):
            message = _("Too many requests from this address; try again later.")
        elif exc.status_code == 400 and exc.message.startswith("Cannot parse request body"):
            code, message = "invalid_body", _("The request body could not be read; send valid JSON.")
        response = error_response(api, request, status=exc.status_code, code=code, message=message)
        if isinstance(exc, Throttled) and exc.wait:
            response["Retry-After"] = str(math.ceil(exc.wait))
        return response

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        # Never echo the exception text: it could tell a forbidden record from a missing one.
        return error_response(api, request, status=404, code="not_found", message=_("Not found."))

    def on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        message = str(exc) or _("You do not have permission to do this.")
        return error_response(api, request, status=403, code="permission_denied", message=message)

    def on_unreadable_body(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
        if isinstance(exc, RequestDataTooBig):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            message = _("The request body is larger than the limit of %(n)s bytes.") % {"n": limit}
            return error_response(api, request, status=413, code="too_large", message=message)
        if isinstance(exc, TooManyFieldsSent):
            return error_response(api, request, status=400, code="invalid_body", message=_("Too many fields."))
        message = _("The request could not be read.")
        return error_response(api, request, status=400, code="invalid_body", message=message)

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("Unhandled error in API %s %s", request.method, request.path, exc_info=exc)
        return error_response(
            api, request, status=500, code="server_error",
            message=_("Something went wrong on our side. The error has been logged."),
        )  # fmt: skip

    handlers: list[tuple[type[Exception], Any]] = [
        (Exception, on_unexpected),
        (NinjaValidationError, on_ninja_validation),
        (DjangoValidationError, on_django_validation),
        (HttpError, on_http_error),
        (Http404, on_not_found),
        (PermissionDenied, on_permission_denied),
        (SuspiciousOperation, on_unreadable_body),  # oversized or malformed bodies: 413/400, never 500
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


@csrf_exempt  # answers only 404: nothing to protect, and a 403 HTML page would break the API's error shape
def unmatched_path(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """An /api/v1/ path that no operation matches (e.g. a word where an id goes): the API's 404, not HTML."""
    from django.http import JsonResponse

    body = {"error": {"code": "not_found", "message": str(_("Not found.")), "fields": []}}
    return JsonResponse(body, status=404)


# --- Authentication ------------------------------------------------------------------------------------


class ApiKeyAuth(HttpBearer):
    """An integrator's API key, sent as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

    On success ``request.user`` is the key's user and ``request.api_key`` the key. A key that is
    presented but not valid raises 401 ``invalid_api_key`` straight away.
    """

    openapi_description = "API key: `Authorization: Bearer cok_…` (or the `X-API-Key: cok_…` header)."

    def __call__(self, request: HttpRequest) -> Any:
        raw = request.headers.get("X-API-Key")
        if raw is None:
            header = request.headers.get("Authorization")
            if not header:
                return None
            scheme, _sep, token = header.partition(" ")
            if scheme.lower() != "bearer":
                return None
            raw = token
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from cityops.core import ratelimit

        ident = ratelimit.client_ident(request)
        try:
            ratelimit.check("api_key", ident)  # wrong keys are counted per address: no guessing keys
        except ratelimit.RateLimited as exc:
            raise Throttled(exc.retry_after) from exc
        api_key = apikey_authenticate(token)
        if api_key is None:
            try:
                ratelimit.hit("api_key", ident)
            except ratelimit.RateLimited:
                pass  # this answer is already a 401; the next attempt gets the 429
            raise ApiError(401, "invalid_api_key", _("The API key is not valid, has expired or was revoked."))
        apikey_touch(api_key)
        request.user = api_key.user
        request.api_key = api_key  # type: ignore[attr-defined]
        return api_key.user


class SessionAuth(APIKeyCookie):
    """The web session, with Django's CSRF protection on unsafe methods and the two-factor check."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = "The web session cookie (the CSRF token is required on POST, PUT, PATCH, DELETE)."

    def __init__(self, csrf: bool = True) -> None:
        super().__init__(csrf=csrf)

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # checked before CSRF so an anonymous POST is "401 sign in", not "403 CSRF"
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request) is not None:
            raise ApiError(403, "csrf_failed", _("The CSRF token is missing or wrong."))
        return self.authenticate(request, request.COOKIES.get(self.param_name))

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        from cityops.core.services.auth import two_factor_state

        user = request.user
        verified = bool(getattr(user, "is_verified", lambda: False)())
        if two_factor_state(user, verified=verified) != "ok":
            raise ApiError(401, "two_factor_required", _("Complete two-factor sign-in in the web UI first."))
        return user


def default_auth() -> list[Any]:
    """The NinjaAPI's default ``auth=``: an API key, else the web session."""
    return [ApiKeyAuth(), SessionAuth(csrf=True)]


# --- Pagination ----------------------------------------------------------------------------------------

MAX_PAGE_NUMBER = 1_000_000


class PageNumberPagination(PaginationBase):
    """``?page=&page_size=`` pagination with a hard maximum page size (see the module docstring)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE_NUMBER, description="Page number, from 1.")
        page_size: int = Field(
            settings.API_DEFAULT_PAGE_SIZE,
            ge=1,
            le=settings.API_MAX_PAGE_SIZE,
            description=f"Items per page, at most {settings.API_MAX_PAGE_SIZE}.",
        )

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        page_size: int
        pages: int

    def paginate_queryset(
        self, queryset: QuerySet | list[Any], pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        """Slice one page; the count is taken once, on the database when given a queryset."""
        page_size = pagination.page_size
        count = self._items_count(queryset)  # type: ignore[arg-type]
        offset = (pagination.page - 1) * page_size
        items = list(queryset[offset : offset + page_size]) if offset < count else []
        return {
            "items": items,
            "count": count,
            "page": pagination.page,
            "page_size": page_size,
            "pages": math.ceil(count / page_size) if count else 0,
        }


class CappedPageNumberPagination(PageNumberPagination):
    """Page numbers for a list whose ``count()`` stops at a cap and says so with a ``capped`` attribute.

    A plain queryset is counted exactly, as by ``PageNumberPagination``, and gets ``count_capped: false``.
    """

    class Output(PageNumberPagination.Output):
        count_capped: bool = Field(
            False, description="True when more items match than `count`: `count` and `pages` are lower bounds."
        )

    def paginate_queryset(
        self, queryset: QuerySet | Any, pagination: PageNumberPagination.Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        """One page; the count is the list's own (capped or not), past it only when the list said it is capped."""
        page_size = pagination.page_size
        count = queryset.count()
        capped = bool(getattr(queryset, "capped", False))
        offset = (pagination.page - 1) * page_size
        items = list(queryset[offset : offset + page_size]) if offset < count or capped else []
        return {
            "items": items,
            "count": count,
            "count_capped": capped,
            "page": pagination.page,
            "page_size": page_size,
            "pages": math.ceil(count / page_size) if count else 0,
        }
