"""The datahub API router, mounted under /api/v1/ by ``cityops.api``: catalog, the exchange, and grants.

Reading rows (``/datasets/{id}/records``) is the exchange: it needs ownership, a public dataset or an
active grant, and every read is appended to the hash-chained exchange log (who, which dataset, how many).
"""

import math
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from cityops.core.api.base import PageNumberPagination, error_responses
from cityops.core.models import Organization
from cityops.core.permissions import NotFoundOrForbidden, memberships_of
from cityops.datahub import selectors, services
from cityops.datahub.choices import ExchangeAction

router = Router(tags=["datahub"])


class DatasetOut(Schema):
    id: int
    title: str
    description: str
    domain: str
    visibility: str
    sector: str = Field(..., alias="sector.code")
    owner: int = Field(..., alias="organization_id")
    owner_name: str = Field(..., alias="organization.name")
    schema_fields: list[dict[str, Any]] = Field(..., alias="schema")
    licence: str
    update_frequency: str
    tags: list[str]
    updated_at: datetime


class CatalogFilters(Schema):
    q: str | None = Field(None, max_length=200)
    domain: str | None = None
    sector: str | None = None
    owner: int | None = Field(None, ge=1, le=2**53)
    visibility: str | None = None


class RecordsOut(Schema):
    items: list[dict[str, Any]]
    count: int
    page: int
    page_size: int
    pages: int


class AccessRequestIn(Schema):
    organization: int
    purpose: str = Field(..., max_length=2000)


class DecisionIn(Schema):
    approve: bool
    expires_at: datetime | None = None
    note: str = Field("", max_length=2000)


class GrantOut(Schema):
    id: int
    dataset: int = Field(..., alias="dataset_id")
    requesting_organization: int = Field(..., alias="requesting_organization_id")
    purpose: str
    status: str
    expires_at: datetime | None


@router.get("/datasets", response=list[DatasetOut])
@paginate(PageNumberPagination)
def dataset_list(request: HttpRequest, filters: Query[CatalogFilters]) -> Any:
    return selectors.dataset_list(actor=request.user, filters=filters.dict())


@router.get("/datasets/{dataset_id}", response={200: DatasetOut, **error_responses(404)})
def dataset_detail(request: HttpRequest, dataset_id: int) -> Any:
    return selectors.dataset_get(actor=request.user, id=dataset_id)


@router.get("/datasets/{dataset_id}/records", response={200: RecordsOut, **error_responses(400, 403, 404)})
def dataset_records(
    request: HttpRequest,
    dataset_id: int,
    page: int = Query(1, ge=1, le=1_000_000),
    page_size: int = Query(settings.API_DEFAULT_PAGE_SIZE, ge=1, le=settings.API_MAX_PAGE_SIZE),
) -> Any:
    """One page of rows; logged in the exchange log whatever the caller's relation to the dataset."""
    dataset = selectors.dataset_get(actor=request.user, id=dataset_id)
    if not selectors.dataset_can_read(actor=request.user, dataset=dataset):
        raise PermissionDenied(_("Your agency has no active grant for this dataset."))
    records = selectors.dataset_records(actor=request.user, dataset=dataset)
    count = records.count()
    offset = (page - 1) * page_size
    items = [r.data for r in records[offset : offset + page_size]] if offset < count else []
    api_key = getattr(request, "api_key", None)
    found = memberships_of(request.user)
    reader = api_key.organization if api_key is not None else None
    if reader is None and found:
        reader = Organization.objects.filter(pk=found[0][2]).first()
    services.exchange_log_append(
        actor=request.user,
        organization=reader,
        dataset=dataset,
        action=ExchangeAction.READ_RECORDS,
        rows=len(items),
        detail={"page": page, "page_size": page_size},
    )
    return {
        "items": items,
        "count": count,
        "page": page,
        "page_size": page_size,
        "pages": math.ceil(count / page_size) if count else 0,
    }


@router.post("/datasets/{dataset_id}/access-requests", response={201: GrantOut, **error_responses(400, 403, 404)})
def access_request(request: HttpRequest, dataset_id: int, payload: AccessRequestIn) -> Any:
    dataset = selectors.dataset_get(actor=request.user, id=dataset_id)
    organization = selectors.requesting_organizations(actor=request.user).filter(pk=payload.organization).first()
    if organization is None:
        raise NotFoundOrForbidden
    grant = services.access_request(
        actor=request.user, dataset=dataset, requesting_organization=organization, purpose=payload.purpose
    )
    return Status(201, grant)


@router.post("/access-requests/{grant_id}/decision", response={200: GrantOut, **error_responses(400, 403, 404)})
def access_decide(request: HttpRequest, grant_id: int, payload: DecisionIn) -> Any:
    grant = selectors.grant_get(actor=request.user, id=grant_id)
    return services.access_decide(
        actor=request.user, grant=grant, approve=payload.approve, expires_at=payload.expires_at, note=payload.note
    )


class VersionOut(Schema):
    number: int
    created_at: datetime
    source: str
    rows: int
    rejected: int
    added: int
    removed: int
    restored_from: int | None
    current: bool


@router.get("/datasets/{dataset_id}/versions", response={200: list[VersionOut], **error_responses(403, 404)})
def dataset_versions(request: HttpRequest, dataset_id: int) -> Any:
    """Versions of a dataset with their diff counts; needs the right to read its rows."""
    dataset = selectors.dataset_get(actor=request.user, id=dataset_id)
    if not selectors.dataset_can_read(actor=request.user, dataset=dataset):
        raise PermissionDenied(_("Your agency has no active grant for this dataset."))
    return [
        {
            **{f: getattr(v, f) for f in VersionOut.model_fields if f != "current"},
            "current": v.pk == dataset.current_version_id,
        }
        for v in selectors.dataset_versions(actor=request.user, dataset=dataset)
    ]


class ConnectorOut(Schema):
    id: int
    kind: str
    name: str
    organization: int = Field(..., alias="organization_id")
    dataset: int | None = Field(None, alias="dataset_id")
    url: str
    format: str
    interval_minutes: int
    enabled: bool
    next_run_at: datetime | None
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_error: str
    last_rows_in: int
    last_rows_stored: int
    last_rows_rejected: int
    last_observed_at: datetime | None
    total_rows: int


@router.get("/connectors", response=list[ConnectorOut])
@paginate(PageNumberPagination)
def connector_list(request: HttpRequest) -> Any:
    """Status of the connectors of the caller's agencies (the auth header value is never returned)."""
    return selectors.connector_list(actor=request.user)


class SeriesQualityOut(Schema):
    attribute: str
    latest_value: float | None
    latest_at: datetime | None
    flags: list[str]


class EntityQualityOut(Schema):
    id: str
    type: str
    series: list[SeriesQualityOut]


@router.get("/entities/{entity_id}/quality", response={200: EntityQualityOut, **error_responses(404)})
def entity_quality(request: HttpRequest, entity_id: str) -> Any:
    """Data-quality flags of each series of a sensor (``out_of_range``, ``stuck``, ``stale``)."""
    from cityops.datahub.models import Entity
    from cityops.datahub.quality import entity_quality as compute

    entity = Entity.objects.for_user(request.user, "view").filter(entity_id=entity_id).first()
    if entity is None:
        raise NotFoundOrForbidden
    return {"id": entity.entity_id, "type": entity.type, "series": [s.as_dict() for s in compute(entity)]}
