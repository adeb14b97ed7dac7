"""API keys, for administrators: ``GET/POST /api/v1/api-keys`` and ``DELETE /api/v1/api-keys/{id}``.

Managing keys needs the web session: a request authenticated by an API key cannot create or revoke keys,
so a leaked key cannot mint new keys that would outlive its own revocation.
"""

# No ``from __future__ import annotations``: ninja reads these annotations at runtime.

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from cityops.core.api.base import ApiError, PageNumberPagination, error_responses
from cityops.core.models import ApiKey, Organization, User
from cityops.core.selectors.apikeys import apikey_get, apikey_list
from cityops.core.services.apikeys import apikey_create, apikey_revoke, can_manage_apikeys

router = Router(tags=["api keys"])


class KeyOrganizationOut(Schema):
    id: int
    code: str
    name: str


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    user: str = Field(..., description="Username the key acts as.")
    organization: KeyOrganizationOut
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    is_active: bool

    @staticmethod
    def resolve_user(obj: ApiKey) -> str:
        return obj.user.username


class ApiKeyIn(Schema):
    name: str = Field(..., min_length=1, max_length=120)
    user_id: int = Field(..., ge=1, le=2**53, description="The account the key acts as.")
    organization_id: int = Field(..., ge=1, le=2**53)
    expires_at: datetime | None = Field(None, description="When the key stops working; never when empty.")


class ApiKeyCreatedOut(Schema):
    key: ApiKeyOut
    secret: str = Field(..., description="The full key. It is shown only in this answer: store it now.")


def _require_session_admin(request: HttpRequest) -> None:
    if getattr(request, "api_key", None) is not None:
        raise ApiError(403, "session_required", _("API keys can be managed only from a signed-in session."))
    if not can_manage_apikeys(request.user):
        raise ApiError(403, "permission_denied", _("Only administrators can manage API keys."))


@router.get("/api-keys", response={200: list[ApiKeyOut], **error_responses(400, 401, 403)}, summary="List API keys")
@paginate(PageNumberPagination)
def list_api_keys(request: HttpRequest, active: bool = False) -> object:
    """Keys of the organisations the caller administers (never their secrets)."""
    _require_session_admin(request)
    return apikey_list(actor=request.user, active_only=active)


@router.post(
    "/api-keys",
    response={201: ApiKeyCreatedOut, **error_responses(400, 401, 403)},
    summary="Create an API key (the secret is shown once)",
)
def create_api_key(request: HttpRequest, payload: ApiKeyIn) -> Status[dict]:
    """Issue a key for an integrator account of an organisation the caller administers."""
    _require_session_admin(request)
    organization = Organization.objects.filter(pk=payload.organization_id, is_active=True).first()
    if organization is None:
        raise ApiError(400, "validation_error", _("The request is not valid; see the fields."),
                       [("organization_id", _("No such organisation."))])  # fmt: skip
    user = User.objects.filter(pk=payload.user_id).first()
    if user is None:
        raise ApiError(400, "validation_error", _("The request is not valid; see the fields."),
                       [("user_id", _("No such account."))])  # fmt: skip
    api_key, secret = apikey_create(
        actor=request.user, name=payload.name, user=user, organization=organization, expires_at=payload.expires_at
    )
    return Status(201, {"key": api_key, "secret": secret})


@router.delete(
    "/api-keys/{int:key_id}", response={204: None, **error_responses(401, 403, 404)}, summary="Revoke an API key"
)
def revoke_api_key(request: HttpRequest, key_id: int) -> Status[None]:
    """Stop a key at once; revoking twice is harmless. Someone else's key is 404, like a missing one."""
    _require_session_admin(request)
    apikey_revoke(actor=request.user, api_key=apikey_get(actor=request.user, key_id=key_id, action="revoke"))
    return Status(204, None)
