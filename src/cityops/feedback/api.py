"""The feedback API router, mounted under /api/v1/feedback: the staff queue and one request.

Open311 (the public, standard API) lives at /open311/v2/ in ``open311.py``; this router is for CityOps
clients acting as a person (session or API key), scoped exactly like the staff pages.
"""

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from cityops.core.api.base import PageNumberPagination, error_responses
from cityops.feedback import selectors

router = Router(tags=["feedback"])


class RequestOut(Schema):
    id: int
    tracking_code: str
    category: str = Field(..., alias="category.code")
    status: str
    organization: str = Field(..., alias="organization.name")
    description: str
    lat: float | None
    long: float | None
    address: str
    deadline: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class QueueFilters(Schema):
    status: str = Field("open", max_length=20, description="open, overdue, all or one workflow status")
    category: str = Field("", max_length=64)


@router.get("/requests", response={200: list[RequestOut], **error_responses(400, 401)})
@paginate(PageNumberPagination)
def request_list(request: HttpRequest, filters: Query[QueueFilters]):  # type: ignore[type-arg]
    """The caller's queue (desk, agency or own requests), earliest deadline first."""
    return selectors.request_list(actor=request.user, filters=filters.dict())


@router.get("/requests/{request_id}", response={200: RequestOut, **error_responses(401, 404)})
def request_get(request: HttpRequest, request_id: int):  # type: ignore[no-untyped-def]
    """One request the caller may see (404 for missing and forbidden alike)."""
    return selectors.request_get(actor=request.user, pk=request_id)
