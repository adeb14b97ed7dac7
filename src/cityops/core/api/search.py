"""``GET /api/v1/search``: the global search, the same permission-scoped hits as the search page."""

# No ``from __future__ import annotations``: ninja reads these annotations at runtime.

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from cityops.core import search
from cityops.core.api.base import ApiError, error_responses
from cityops.core.text import fold, nfc, search_terms

router = Router(tags=["search"])


class SearchFilter(Schema):
    q: str = Field("", max_length=search.MAX_QUERY_LENGTH, description="Words to find; accents and case ignored.")
    types: str = Field(
        "", max_length=500, description="Comma-separated types to search, e.g. core.organization,core.user."
    )
    limit: int = Field(20, ge=1, le=search.MAX_LIMIT, description="At most this many hits (and per type).")


class SearchHitOut(Schema):
    type: str
    id: str
    title: str
    summary: str
    url: str
    label: str


class SearchGroupOut(Schema):
    type: str
    label: str
    count: int = Field(..., description="How many records of this type the caller may see match.")


class SearchOut(Schema):
    query: str
    count: int = Field(..., description="Matches the caller may see, over every type.")
    groups: list[SearchGroupOut]
    items: list[SearchHitOut]


def _types(raw: str) -> list[str] | None:
    wanted = [part.strip().lower() for part in raw.split(",") if part.strip()]
    if not wanted:
        return None
    unknown = sorted({t for t in wanted if search.provider_for(t) is None})
    if unknown:
        known = ", ".join(sorted(p.object_type for p in search.providers()))
        raise ApiError(
            400,
            "validation_error",
            _("Unknown search type. Known types: %(known)s.") % {"known": known},
            fields=[("types", _("Unknown type: %(types)s.") % {"types": ", ".join(unknown)[:200]})],
        )
    return wanted


@router.get("/search", response={200: SearchOut, **error_responses(400, 401)}, summary="Search everything")
def search_everything(request: HttpRequest, filters: Query[SearchFilter]) -> dict:
    """Hits over every type the caller may see (or those in ``types``), best first, with a count per type."""
    query = nfc(filters.q).strip()
    object_types = _types(filters.types)
    groups = search.search_grouped(request.user, query, per_type=filters.limit, object_types=object_types)
    terms = search_terms(query)
    first = terms[0] if terms else ""
    hits = [hit for group in groups for hit in group.hits]
    hits.sort(key=lambda hit: (first not in fold(hit.title), fold(hit.title)))
    return {
        "query": query,
        "count": sum(group.total for group in groups),
        "groups": [{"type": g.object_type, "label": g.label, "count": g.total} for g in groups],
        "items": [
            {"type": h.object_type, "id": h.object_id, "title": h.title, "summary": h.summary, "url": h.url,
             "label": h.label}
            for h in hits[: filters.limit]
        ],
    }  # fmt: skip
