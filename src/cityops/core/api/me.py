"""``GET /api/v1/me``: who the caller is and which roles they hold where."""

# No ``from __future__ import annotations``: ninja reads these annotations at runtime.

from typing import Literal, cast

from django.http import HttpRequest
from ninja import Router, Schema

from cityops.core.api.base import error_responses
from cityops.core.models import User
from cityops.core.selectors.accounts import own_memberships

router = Router(tags=["me"])


class OrganizationRef(Schema):
    id: int
    code: str
    name: str
    kind: str


class MembershipOut(Schema):
    role: str
    role_label: str
    title: str
    is_primary: bool
    organization: OrganizationRef


class MeOut(Schema):
    id: int
    username: str
    full_name: str
    display_name: str
    email: str
    language: str
    is_superuser: bool
    is_service_account: bool
    auth_method: Literal["api_key", "session"]
    api_key_prefix: str | None
    memberships: list[MembershipOut]


@router.get("/me", response={200: MeOut, **error_responses(401)}, summary="The signed-in caller")
def me(request: HttpRequest) -> dict:
    """Lets a client (the web UI or an integrator) learn its own identity and reach without guessing."""
    user = cast(User, request.user)  # the default auth guarantees a signed-in user
    api_key = getattr(request, "api_key", None)
    memberships = own_memberships(user=user)
    return {
        "id": user.pk,
        "username": user.username,
        "full_name": user.full_name,
        "display_name": user.display_name,
        "email": user.email,
        "language": user.language,
        "is_superuser": user.is_superuser,
        "is_service_account": user.is_service_account,
        "auth_method": "api_key" if api_key is not None else "session",
        "api_key_prefix": api_key.prefix if api_key is not None else None,
        "memberships": [
            {
                "role": m.role,
                "role_label": str(m.get_role_display()),
                "title": m.title,
                "is_primary": m.is_primary,
                "organization": m.organization,
            }
            for m in memberships
        ],
    }
