"""Every read of the feedback center, scoped by the user (staff queue, citizen's own, public list)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from cityops.core.models import Organization
from cityops.core.permissions import NotFoundOrForbidden, get_for_user, memberships_of
from cityops.core.text import search_terms
from cityops.feedback.choices import CLOSED_STATUSES, PUBLIC_STATUS_GROUPS, PUBLIC_STATUSES, Kind, Status
from cityops.feedback.models import Category, Request, RequestUpdate, RoutingRule

__all__ = [
    "cached_for_actor",
    "category_get_by_code",
    "category_list",
    "data_version",
    "joinable_request_get",
    "public_request_list",
    "request_get",
    "request_get_by_code",
    "request_history",
    "request_list",
    "request_tasks",
    "routing_suggestion",
    "scope_key",
    "statistics_cached",
]

T = TypeVar("T")


def category_list(*, include_inactive: bool = False) -> QuerySet[Category]:
    """Categories offered to citizens and Open311 clients (they are public by nature)."""
    qs = Category.objects.all()
    return qs if include_inactive else qs.filter(is_active=True)


def category_get_by_code(code: str) -> Category | None:
    return Category.objects.filter(code=code, is_active=True).first()


def request_list(*, actor: Any, filters: dict[str, Any] | None = None, action: str = "view") -> QuerySet[Request]:
    """The staff queue (or a citizen's own requests), oldest deadline first."""
    filters = filters or {}
    qs = Request.objects.for_user(actor, action).select_related("category", "organization")
    status = filters.get("status")
    if status == "open":
        qs = qs.exclude(status__in=CLOSED_STATUSES)
    elif status == "overdue":
        qs = qs.exclude(status__in=CLOSED_STATUSES).filter(deadline__lt=timezone.now())
    elif status in Status.values:
        qs = qs.filter(status=status)
    if filters.get("category"):
        qs = qs.filter(category__code=filters["category"])
    return qs.order_by("deadline", "id")


def request_get(*, actor: Any, pk: Any, action: str = "view") -> Request:
    """One request the user may take ``action`` on; missing and forbidden look the same."""
    qs = Request.objects.select_related("category", "organization", "reporter", "duplicate_of")
    return get_for_user(qs, actor, action, pk=pk)


def request_get_for_merge(*, actor: Any, code: str) -> Request | None:
    """The original a desk operator names by tracking code, among the requests their desk reaches (else None)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    return Request.objects.for_user(actor, "desk").filter(tracking_code=code).first()


def request_tasks(*, actor: Any, request: Request) -> QuerySet[Any]:
    """Directives tasks made from this request that the actor may see, with their computed deadline state."""
    from cityops.directives.selectors import tasks_for_source

    return tasks_for_source(actor=actor, source_type="feedback.request", source_id=request.pk)


def request_get_by_code(code: str) -> Request | None:
    """The request behind a tracking code; the code is the citizen's proof of ownership."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    return Request.objects.select_related("category", "organization").filter(tracking_code=code).first()


def request_history(request: Request, *, include_internal: bool) -> QuerySet[RequestUpdate]:
    qs = request.updates.select_related("author", "organization")
    return qs if include_internal else qs.filter(is_public=True)


AREA_KINDS = ("district", "commune", "ward", "special_zone")


def public_areas() -> QuerySet[Organization]:
    """Communes, wards (and former districts) a citizen can name as the place of a report."""
    return Organization.objects.filter(is_active=True, kind__in=AREA_KINDS).order_by("name", "id")


def public_request_list(
    *,
    category: str = "",
    area: Any = None,
    since: dt.datetime | None = None,
    status: str = "",
    query: str = "",
    answered_only: bool = False,
) -> QuerySet[Request]:
    """Reports the desk has let through, for the public list and map (no reporter data ever leaves through it).

    ``status`` is a public group (received, being handled, answered); ``query`` matches every word of the
    description, address or category name regardless of diacritics and case (the folded search index).
    """
    statuses = PUBLIC_STATUS_GROUPS.get(status, PUBLIC_STATUSES)
    if answered_only:
        statuses = statuses & {Status.PUBLISHED}
    qs = (
        Request.objects.filter(status__in=statuses)
        .exclude(category__kind=Kind.BUSINESS)
        .select_related("category", "organization", "area")
    )
    if category:
        qs = qs.filter(category__code=category)
    if area is not None:
        qs = qs.filter(area__path__startswith=area.path)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    terms = search_terms(query[:200])
    if terms:
        from django.db.models import CharField
        from django.db.models.functions import Cast

        from cityops.core.models import SearchEntry

        rows = SearchEntry.objects.filter(object_type="feedback.request")
        for term in terms:
            rows = rows.filter(text__contains=term)
        qs = qs.annotate(_sid=Cast("pk", output_field=CharField())).filter(_sid__in=rows.values("object_id"))
    return qs.order_by("-updated_at", "-id")


def routing_suggestion(request: Request) -> Organization | None:
    """The agency the routing rules suggest: the nearest rule up the area's tree, else the category default."""
    if request.area_id is not None:
        area = request.area
        assert area is not None
        ids = [int(part) for part in area.path.strip("/").split("/") if part]
        rules = {
            r.area_id: r
            for r in RoutingRule.objects.filter(category=request.category, area_id__in=ids).select_related("agency")
        }
        for area_id in reversed(ids):
            if area_id in rules:
                return rules[area_id].agency
    return request.category.default_agency


def request_attachments(request: Request, *, public_only: bool) -> QuerySet[Any]:
    """Files of a request and of its updates; the caller has already been allowed to see the request."""
    from django.db.models import Q

    from cityops.core.models import Attachment

    update_ids = [str(pk) for pk in request.updates.values_list("pk", flat=True)]
    qs = Attachment.objects.filter(
        Q(target_type="feedback.request", target_id=str(request.pk))
        | Q(target_type="feedback.requestupdate", target_id__in=update_ids)
    ).order_by("created_at", "id")
    return qs.filter(is_public=True) if public_only else qs


def assignable_agencies(*, actor: Any) -> QuerySet[Organization]:
    """Units the desk may forward to: active units under the desk user's reach, the desk itself excluded."""
    from django.db.models import Q

    from cityops.feedback.permissions import desk_roots

    qs = Organization.objects.filter(is_active=True, parent__isnull=False)
    roots = desk_roots(actor)
    if roots is not None:
        condition = Q(pk__in=[])
        for root in roots:
            condition |= Q(path__startswith=root)
        qs = qs.filter(condition)
    return qs.order_by("name", "id")


# --- Duplicates -------------------------------------------------------------------------------------------

DUPLICATE_RADIUS_M = 300
DUPLICATE_DAYS = 60
DUPLICATE_STATUSES = (
    Status.VERIFIED, Status.ASSIGNED, Status.ACCEPTED, Status.RETURNED, Status.IN_PROGRESS, Status.RESOLVED,
    Status.REOPENED,
)  # fmt: skip


def _words(text: str) -> set[str]:
    return {w for w in search_terms(text, max_terms=60) if len(w) > 1}


def duplicate_candidates(
    *,
    category: Category,
    lat: Any,
    long: Any,
    text: str = "",
    include_unverified: bool = False,
    exclude_pk: int | None = None,
    limit: int = 5,
) -> list[Request]:
    """Open requests of the same category within ``DUPLICATE_RADIUS_M``, most similar text first.

    Citizens see only requests the desk has verified (unverified text is not public); the desk sees all.
    """
    import math
    from decimal import Decimal, InvalidOperation

    if not include_unverified and category.kind == Kind.BUSINESS:
        return []  # business feedback is not shown to other citizens
    try:
        y, x = float(Decimal(str(lat))), float(Decimal(str(long)))
    except (InvalidOperation, ValueError, TypeError):
        return []
    if not (math.isfinite(y) and math.isfinite(x) and -90 <= y <= 90 and -180 <= x <= 180):
        return []
    dy = DUPLICATE_RADIUS_M / 111_320
    dx = dy / max(math.cos(math.radians(y)), 0.01)
    statuses = (*DUPLICATE_STATUSES, Status.SUBMITTED) if include_unverified else DUPLICATE_STATUSES
    qs = Request.objects.filter(
        category=category,
        status__in=statuses,
        created_at__gte=timezone.now() - dt.timedelta(days=DUPLICATE_DAYS),
        lat__range=(Decimal(str(round(y - dy, 6))), Decimal(str(round(y + dy, 6)))),
        long__range=(Decimal(str(round(x - dx, 6))), Decimal(str(round(x + dx, 6)))),
    ).select_related("category")
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    candidates = list(qs.order_by("-created_at")[:50])
    words = _words(text)

    def score(req: Request) -> float:
        other = _words(req.description)
        return len(words & other) / len(words | other) if words and other else 0.0

    candidates.sort(key=lambda r: (-score(r), -r.created_at.timestamp()))
    return candidates[:limit]


# --- Statistics -------------------------------------------------------------------------------------------


def statistics(*, actor: Any, since: dt.datetime | None = None, until: dt.datetime | None = None) -> dict[str, Any]:
    """Counts by status, category and agency, on-time and satisfaction rates, over what the actor may see."""
    from django.db.models import Count, F, Q, Sum

    qs = Request.objects.for_user(actor, "view")
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    labels = dict(Status.choices)
    now = timezone.now()
    # One pass per status gives the total, the published and on-time answers, the overdue count and the
    # ratings (one per request at most, so the join adds no rows).
    per_status = list(
        qs.values("status")
        .annotate(
            n=Count("id"),
            with_deadline=Count("id", filter=Q(deadline__isnull=False)),
            on_time=Count("id", filter=Q(deadline__isnull=False, closed_at__lte=F("deadline"))),
            overdue=Count("id", filter=Q(deadline__lt=now)),
            rated=Count("rating"),
            score_sum=Sum("rating__score"),
            satisfied=Count("rating", filter=Q(rating__score__gte=4)),
        )
        .order_by("status")
    )
    by_status = [(labels.get(row["status"], row["status"]), row["n"]) for row in per_status]
    published_row = next((row for row in per_status if row["status"] == Status.PUBLISHED), None)
    done = published_row["with_deadline"] if published_row else 0
    on_time = published_row["on_time"] if published_row else 0
    overdue = sum(row["overdue"] for row in per_status if row["status"] not in CLOSED_STATUSES)
    by_category = list(
        qs.values("category__code", "category__name_vi").annotate(n=Count("id")).order_by("-n", "category__code")
    )
    by_agency = list(qs.values("organization__name").annotate(n=Count("id")).order_by("-n", "organization__name"))
    by_area = list(qs.values("area__name").annotate(n=Count("id")).order_by("-n", "area__name"))
    rated = sum(row["rated"] for row in per_status)
    score_sum = sum(row["score_sum"] or 0 for row in per_status)
    satisfied = sum(row["satisfied"] for row in per_status)
    return {
        "total": sum(row["n"] for row in per_status),
        "by_status": by_status,
        "by_category": by_category,
        "by_agency": by_agency,
        "by_area": by_area,
        "published": done,
        "on_time": on_time,
        "on_time_rate": round(100 * on_time / done, 1) if done else None,
        "overdue": overdue,
        "ratings": rated,
        "average_rating": round(score_sum / rated, 2) if rated else None,
        "satisfaction_rate": round(100 * satisfied / rated, 1) if rated else None,
    }


EXPORT_HEADER = (
    "tracking_code", "created_at", "category", "status", "agency", "deadline", "closed_at", "on_time",
    "lat", "long", "address", "rating",
)  # fmt: skip


def export_rows(*, actor: Any) -> Any:
    """Rows of the staff export (no reporter identity: exports travel further than the screen)."""
    tz = timezone.get_default_timezone()
    qs = (
        Request.objects.for_user(actor, "view")
        .select_related("category", "organization", "rating")
        .order_by("created_at", "id")
    )
    yield list(EXPORT_HEADER)
    for req in qs.iterator(chunk_size=2000):
        rating = getattr(req, "rating", None) if hasattr(req, "rating") else None
        yield [
            req.tracking_code,
            req.created_at.astimezone(tz).isoformat(timespec="seconds"),
            req.category.code,
            req.status,
            req.organization.name,
            req.deadline.astimezone(tz).isoformat(timespec="seconds") if req.deadline else "",
            req.closed_at.astimezone(tz).isoformat(timespec="seconds") if req.closed_at else "",
            "" if not req.closed_at or not req.deadline else ("yes" if req.closed_at <= req.deadline else "no"),
            str(req.lat) if req.lat is not None else "",
            str(req.long) if req.long is not None else "",
            req.address,
            str(rating.score) if rating else "",
        ]


def response_templates(request: Request) -> QuerySet[Any]:
    """Active templates for the request's category and for every category."""
    from django.db.models import Q

    from cityops.feedback.models import ResponseTemplate

    return ResponseTemplate.objects.filter(Q(category=request.category) | Q(category__isnull=True), is_active=True)


def joinable_request_get(pk: Any) -> Request:
    """A report a citizen may say "me too" on (verified and still open); anything else is simply not found."""
    try:
        return Request.objects.exclude(category__kind=Kind.BUSINESS).get(pk=int(pk), status__in=DUPLICATE_STATUSES)
    except (Request.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise NotFoundOrForbidden from exc


def request_followers(request: Request) -> QuerySet[Any]:
    """Who follows a request (joiners, merged reporters): the desk's view only, never shown to agencies."""
    return request.followers.select_related("user", "merged_from")


def request_merges(request: Request) -> QuerySet[Any]:
    """Reports merged into this one (still merged), for the desk's request page."""
    from cityops.feedback.models import Merge

    return Merge.objects.filter(original=request, undone_at__isnull=True).select_related("request")


def request_for_integrator(*, api_key: Any, request_id: str) -> Request | None:
    """The request an API key may post updates to; anything else (unknown or another agency's) is None."""
    from cityops.feedback.services import integrator_reaches

    if not request_id.isdigit() or len(request_id) > 18:
        return None
    req = Request.objects.select_related("organization", "category").filter(pk=int(request_id)).first()
    if req is None or not integrator_reaches(api_key, req):
        return None
    return req


def kept_media(ids: list[int]) -> QuerySet[Any]:
    """Files kept from a refused report form that are still waiting for their report."""
    from cityops.core.models import Attachment
    from cityops.feedback.services import KEPT_TARGET

    return Attachment.objects.filter(pk__in=ids, target_type=KEPT_TARGET).order_by("id")


# --- Cached scoped reads -----------------------------------------------------------------------------------


def data_version() -> str:
    """A token that changes with every new report, workflow step (each one writes a ``RequestUpdate``) and rating.

    Three primary-key maxima, one statement: cheap enough to read on every view, so a cached figure is
    replaced as soon as anything it counts has changed, in every process. What only time changes (a report
    passing its deadline) is bounded by ``FEEDBACK_CACHE_SECONDS`` instead.
    """
    from cityops.feedback.models import Rating

    tables = [connection.ops.quote_name(model._meta.db_table) for model in (Request, RequestUpdate, Rating)]
    # Table names come from the models' metadata (quoted), never from input.
    sql = "SELECT " + ", ".join(f"(SELECT MAX(id) FROM {table})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return "-".join(str(value or 0) for value in row)


def scope_key(actor: Any) -> str:
    """Everything the feedback policy reads about ``actor``: the person, superuser status and memberships.

    Two people share nothing through the cache: the key names the person (staff also see the reports they
    filed themselves), and a change of role or organisation gives a new key at once.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "anonymous"
    raw = repr((actor.pk, bool(actor.is_superuser), bool(actor.is_active), sorted(memberships_of(actor))))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def cached_for_actor(name: str, *, actor: Any, parts: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """``compute()`` for this reader, kept for ``FEEDBACK_CACHE_SECONDS`` under the reader's scope, ``parts``
    (language, filters: whatever else changes the answer) and the current ``data_version``."""
    seconds = settings.FEEDBACK_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    key = f"feedback:{name}:{scope_key(actor)}:{digest}:{data_version()}"
    found = cache.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = compute()
    cache.set(key, value, seconds)
    return value


def statistics_cached(*, actor: Any) -> dict[str, Any]:
    """The statistics page's figures (all time) for ``actor``, from the cache when nothing has changed.

    Labels are made text in the reader's language (part of the key), so the cached value holds no lazy strings.
    """
    from django.utils.translation import get_language

    def compute() -> dict[str, Any]:
        stats = statistics(actor=actor)
        stats["by_status"] = [(str(label), n) for label, n in stats["by_status"]]
        return stats

    return cached_for_actor("statistics", actor=actor, parts=(get_language(),), compute=compute)
