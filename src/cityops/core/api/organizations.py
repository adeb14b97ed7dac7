"""The organisation directory: ``GET /api/v1/organizations`` and ``GET /api/v1/organizations/{id}``."""

# No ``from __future__ import annotations``: ninja reads these annotations at runtime.

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from cityops.core.api.base import PageNumberPagination, error_responses
from cityops.core.choices import OrganizationKind
from cityops.core.models import Organization
from cityops.core.selectors.organizations import organization_get, organization_list

router = Router(tags=["organizations"])


class OrganizationOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    kind: OrganizationKind
    kind_label: str
    parent_id: int | None
    depth: int
    admin_unit_code: str
    edxml_code: str
    email: str
    phone: str
    address: str
    website: str

    @staticmethod
    def resolve_kind_label(obj: Organization) -> str:
        return str(obj.get_kind_display())


class OrganizationFilter(Schema):
    kind: OrganizationKind | None = Field(None, description="Only units of this kind.")
    parent: int | None = Field(None, ge=1, le=2**53, description="Only direct children of this organisation id.")
    q: str | None = Field(
        None, max_length=100, description="Words in the name, short name or code; accents and case are ignored."
    )


@router.get(
    "/organizations",
    response={200: list[OrganizationOut], **error_responses(400, 401)},
    summary="List organisations",
)
@paginate(PageNumberPagination)
def list_organizations(request: HttpRequest, filters: Query[OrganizationFilter]) -> object:
    """The directory of units, in tree order; every signed-in caller may read it."""
    return organization_list(actor=request.user, kind=filters.kind, parent_id=filters.parent, q=filters.q)


@router.get(
    "/organizations/{int:organization_id}",
    response={200: OrganizationOut, **error_responses(401, 404)},
    summary="One organisation",
)
def get_organization(request: HttpRequest, organization_id: int) -> Organization:
    """One unit by id; inactive and missing ids are both 404."""
    return organization_get(actor=request.user, organization_id=organization_id)
