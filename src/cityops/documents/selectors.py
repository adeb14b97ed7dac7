"""Every read of the documents module, scoped by the user's permissions (``for_user``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, CharField, Model, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast
from django.db.models.lookups import Exact

from cityops.core.models import Organization
from cityops.core.permissions import get_for_user
from cityops.core.search import entries_matching, prefix_widens
from cityops.core.text import search_terms
from cityops.documents.models import DocumentType, IncomingDocument, OutgoingDocument, Register
from cityops.documents.permissions import incoming_policy, outgoing_policy, register_policy

__all__ = [
    "SEARCH_COUNT_CAP",
    "SearchResults",
    "document_types",
    "incoming_get",
    "incoming_list",
    "incoming_permissions",
    "organizations_for",
    "outgoing_get",
    "outgoing_list",
    "outgoing_permissions",
    "register_get",
    "register_list",
]


#: A search counts its matches up to this many; past it the list says "more than" this. Counting every match of a
#: broad word ("ke hoach" is in a quarter of the documents) would read that share of the index on every page.
SEARCH_COUNT_CAP = 1000


class SearchResults:
    """A searched document list in the list's order, whose matches are counted only up to ``cap``.

    ``count()`` is exact up to ``cap`` (it is ``cap`` when more match, and ``capped`` is then true). A page is read
    by the plan that suits the number of matches: at most ``cap`` of them are fetched by id (the count read the
    ids, scoped), more by walking the list in its order (an index on it) and checking each row's index entry
    until the page is full, a few hundred rows for a broad word instead of sorting every match.
    Both go through the same permission-scoped queryset as the unfiltered list.
    """

    def __init__(self, scoped: QuerySet, terms: list[str], cap: int | None = None) -> None:
        self.scoped = scoped
        self.terms = terms
        self.cap = SEARCH_COUNT_CAP if cap is None else cap
        self.capped = False
        self._ids: list[int] | None = None

    @property
    def model(self) -> type[Model]:
        return self.scoped.model

    def _visible_matches(self, *, prefix: bool) -> QuerySet:
        """Index rows of visible matches, at most ``cap + 1``, in no order, driven by the word index."""
        label = self.model._meta.label_lower
        visible = (
            self.scoped.order_by()
            # Checked first, on the outer row (a one-time filter on PostgreSQL): only this type's ids are cast.
            .filter(Exact(OuterRef("object_type"), label))
            .filter(pk=Cast(OuterRef("object_id"), BigIntegerField()))
            .values("pk")[:1]
        )
        return (
            entries_matching(self.terms, prefix=prefix)
            .alias(document=Subquery(visible))
            .filter(document__isnull=False)
            .order_by()  # any order: the count stops at the cap
            .values_list("object_id", flat=True)[: self.cap + 1]
        )

    def _match_ids(self) -> list[int]:
        """Ids of the visible matches, up to ``cap``; ``capped`` when there are more. One statement.

        On PostgreSQL whole words are matched first: when they alone pass the cap, the prefix of the last word
        cannot change the answer ("more than"), and the index reads far less without a prefix; only otherwise
        does the same statement go on to match the prefix (a one-time filter skips that part).
        """
        if self._ids is None:
            if prefix_widens(self.terms):
                exact_sql, exact_params = self._visible_matches(prefix=False).query.sql_with_params()
                prefix_sql, prefix_params = self._visible_matches(prefix=True).query.sql_with_params()
                statement = (
                    f"WITH exact AS MATERIALIZED ({exact_sql}) SELECT false, object_id FROM exact "  # noqa: S608
                    f"UNION ALL SELECT true, object_id FROM ({prefix_sql}) AS widened "
                    "WHERE (SELECT count(*) FROM exact) <= %s"
                )
                with connection.cursor() as cursor:
                    cursor.execute(statement, (*exact_params, *prefix_params, self.cap))
                    rows = cursor.fetchall()
                exact = [object_id for widened, object_id in rows if not widened]
                object_ids = exact if len(exact) > self.cap else [object_id for widened, object_id in rows if widened]
            else:
                object_ids = list(self._visible_matches(prefix=True))
            ids = [int(object_id) for object_id in object_ids]
            self.capped = len(ids) > self.cap
            self._ids = ids[: self.cap]
        return self._ids

    def queryset(self) -> QuerySet:
        """All matches as a queryset in list order, shaped by how many there are (see the class)."""
        ids = self._match_ids()
        if not self.capped:
            return self.scoped.filter(pk__in=ids)
        entry = entries_matching(self.terms).filter(
            object_type=self.model._meta.label_lower, object_id=Cast(OuterRef("pk"), CharField())
        )
        return self.scoped.alias(_entry=Subquery(entry.values("pk")[:1])).filter(_entry__isnull=False)

    def count(self) -> int:
        """Matches the user may see, at most ``cap``."""
        return len(self._match_ids())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[Any]:
        return list(self.queryset()[index])

    def __iter__(self) -> Iterator[Any]:
        return iter(self.queryset())


def _filtered(queryset: QuerySet, filters: dict[str, Any] | None) -> QuerySet:
    filters = filters or {}
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("year"):
        try:
            queryset = queryset.filter(created_at__year=int(filters["year"]))
        except (TypeError, ValueError):
            pass
    return queryset


#: Long texts a list never shows (an attachment's text can be 200,000 characters).
LIST_DEFERRED = ("content", "attachment_text")


def _listed(queryset: QuerySet, filters: dict[str, Any] | None, order: tuple[str, ...]) -> Any:
    """The filtered list in its order; with a typed ``q``, its ``SearchResults``.

    The core's folded index makes ``q`` diacritic-insensitive ("quy hoach" finds "quy hoạch").
    """
    listed = _filtered(queryset, filters).defer(*LIST_DEFERRED).order_by(*order)
    terms = search_terms(str((filters or {}).get("q") or "")[:200])
    return SearchResults(listed, terms) if terms else listed


def incoming_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[IncomingDocument] | SearchResults:
    """Incoming documents the actor may see; urgent ones first (they jump the queue), then newest."""
    queryset = IncomingDocument.objects.for_user(actor, "view").select_related("organization", "document_type")
    return _listed(queryset, filters, ("-urgency", "-created_at", "-id"))


def incoming_get(*, actor: Any, id: Any) -> IncomingDocument:  # noqa: A002
    return get_for_user(
        IncomingDocument.objects.select_related("organization", "register", "document_type"), actor, "view", pk=id
    )


def outgoing_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[OutgoingDocument] | SearchResults:
    """Outgoing documents the actor may see, newest first."""
    queryset = OutgoingDocument.objects.for_user(actor, "view").select_related("organization", "document_type")
    return _listed(queryset, filters, ("-created_at", "-id"))


def outgoing_get(*, actor: Any, id: Any) -> OutgoingDocument:  # noqa: A002
    return get_for_user(
        OutgoingDocument.objects.select_related("organization", "register", "document_type", "drafting_unit"),
        actor,
        "view",
        pk=id,
    )


def incoming_permissions(actor: Any, document: IncomingDocument) -> dict[str, bool]:
    """Which actions the actor may offer on this document (the services check again)."""
    return {
        action: incoming_policy.can(actor, action, document) for action in ("register", "direct", "handle", "complete")
    }


def outgoing_permissions(actor: Any, document: OutgoingDocument) -> dict[str, bool]:
    return {
        action: outgoing_policy.can(actor, action, document)
        for action in ("draft", "review", "approve", "number", "issue", "archive")
    }


def organizations_for(actor: Any, policy_action: str, model: type = IncomingDocument) -> QuerySet[Organization]:
    """Organisations where the actor may take ``policy_action`` (to fill a form's choice of agency)."""
    policy = incoming_policy if model is IncomingDocument else outgoing_policy
    from cityops.core.permissions import org_ids_for_roles

    ids = org_ids_for_roles(actor, policy.roles_for(policy_action))
    queryset = Organization.objects.active()
    return queryset if ids is None else queryset.filter(id__in=ids)


def register_list(*, actor: Any) -> QuerySet[Register]:
    return (
        Register.objects.for_user(actor, "view")
        .select_related("organization")
        .order_by("-year", "organization__path", "direction")
    )


def register_get(*, actor: Any, id: Any) -> Register:  # noqa: A002
    return get_for_user(Register.objects.select_related("organization"), actor, "view", pk=id)


def register_rows(register: Register, date_from: Any = None, date_to: Any = None) -> QuerySet:
    """The documents of a register in number order (for printing), optionally those of a date range.

    Incoming documents count by the day they arrived (local time), outgoing ones by their date of issue.
    """
    rows: QuerySet
    if register.direction == "in":
        rows = register.incoming.order_by("arrival_number").select_related("document_type")
        field = "arrival_date__date"
    else:
        rows = register.outgoing.order_by("serial").prefetch_related("recipients").select_related("document_type")
        field = "issued_date"
    if date_from:
        rows = rows.filter(**{f"{field}__gte": date_from})
    if date_to:
        rows = rows.filter(**{f"{field}__lte": date_to})
    return rows


def document_types() -> QuerySet[DocumentType]:
    return DocumentType.objects.filter(is_active=True)


__all__ += ["exchange_log", "handling_statistics", "handling_totals", "register_policy", "register_rows"]


def direction_slip(document: IncomingDocument) -> dict[str, Any]:
    """The phiếu giải quyết văn bản đến (Decree 30 Appendix IV §VII), read off the processing events.

    (1) the agency leader's direction, (2) unit leaders' onward assignments, (3) handlers' reports.
    """
    events = list(document.events.select_related("actor", "assigned_org"))
    directions = list(document.directions.select_related("leader", "lead_unit").prefetch_related("supporting_units"))
    return {
        "document": document,
        "directions": directions,
        "assignments": [e for e in events if e.action == "forwarded"],
        "proposals": [e for e in events if e.action in {"reported", "handled"} and e.note],
    }


def linked_directives(*, actor: Any, document: Any) -> list[dict[str, str]]:
    """Directives that name this document as their source (hook into the directives module, when installed).

    The directives app records ``source_type="documents.incomingdocument"`` and ``source_id``; this reads them
    back through its own permission scope, so nothing is shown that its list would hide.
    """
    from django.apps import apps
    from django.urls import NoReverseMatch, reverse

    try:
        directive_model = apps.get_model("directives", "Directive")
    except LookupError:
        return []
    rows = directive_model.objects.for_user(actor, "view").filter(
        source_type=document._meta.label_lower, source_id=str(document.pk)
    )
    links = []
    for directive in rows.order_by("-id")[:50]:
        try:
            url = reverse("directives:directive", args=[directive.pk])
        except NoReverseMatch:
            url = ""
        links.append({"title": str(directive), "url": url})
    return links


def case_file_list(*, actor: Any) -> QuerySet:
    from cityops.documents.models import CaseFile

    return (
        CaseFile.objects.for_user(actor, "view")
        .select_related("organization", "retention")
        .order_by("-year", "notation")
    )


def case_file_get(*, actor: Any, id: Any) -> Any:  # noqa: A002
    from cityops.documents.models import CaseFile

    return get_for_user(CaseFile.objects.select_related("organization", "retention"), actor, "view", pk=id)


# --- handling statistics ---------------------------------------------------------------------------------------

#: Documents that left the work (returned, recalled, replaced) are not counted as received or pending.
WITHDRAWN = ("rejected", "recalled", "replaced")


@dataclass
class HandlingRow:
    """One agency's figures for a period (Appendix VI III.1.l: statistics of incoming-document handling)."""

    organization_id: int
    organization: str
    received: int = 0
    done_on_time: int = 0
    done_late: int = 0
    overdue: int = 0
    pending: int = 0
    outgoing_sent: int = 0

    @property
    def done(self) -> int:
        return self.done_on_time + self.done_late


def handling_statistics(
    *, actor: Any, date_from: dt.date, date_to: dt.date, today: dt.date | None = None
) -> list[HandlingRow]:
    """Per agency, for documents the actor may see: received in the period, done in it on time or late, still
    open at its end (overdue or pending), outgoing documents issued in it.

    The end of the period is ``date_to`` or today, whichever comes first; a document done after that end was
    open at it. Deadlines are the handling deadline (``due_date``); a document without one is never overdue.
    """
    from django.db.models import Max, Q
    from django.utils import timezone

    end = min(date_to, today or timezone.localdate())
    period_start = timezone.make_aware(dt.datetime.combine(date_from, dt.time.min))
    rows: dict[int, HandlingRow] = {}

    def row(org_id: int, name: str) -> HandlingRow:
        if org_id not in rows:
            rows[org_id] = HandlingRow(organization_id=org_id, organization=name)
        return rows[org_id]

    incoming = (
        IncomingDocument.objects.for_user(actor, "view")
        .exclude(status__in=WITHDRAWN)
        .filter(created_at__date__lte=date_to)
        .annotate(done_at=Max("events__created_at", filter=Q(events__action="done")))
        .filter(Q(done_at__isnull=True) | Q(done_at__gte=period_start))  # finished before the period: not counted
        .values_list("organization_id", "organization__name", "created_at", "due_date", "done_at")
    )
    for org_id, name, created_at, due_date, done_at in incoming.iterator(chunk_size=2000):
        created = timezone.localtime(created_at).date()
        done = timezone.localtime(done_at).date() if done_at else None
        if created < date_from and done is not None and done < date_from:
            continue  # finished before the period: nothing to count
        target = row(org_id, name)
        if date_from <= created <= date_to:
            target.received += 1
        if done is not None and date_from <= done <= date_to:
            if due_date is not None and done > due_date:
                target.done_late += 1
            else:
                target.done_on_time += 1
        if created <= end and (done is None or done > end):
            if due_date is not None and due_date < end:
                target.overdue += 1
            else:
                target.pending += 1
    issued = (
        OutgoingDocument.objects.for_user(actor, "view")
        .filter(issued_at__isnull=False, issued_at__date__gte=date_from, issued_at__date__lte=date_to)
        .values_list("organization_id", "organization__name")
    )
    for org_id, name in issued.iterator(chunk_size=2000):
        row(org_id, name).outgoing_sent += 1
    return sorted(rows.values(), key=lambda r: r.organization)


def handling_totals(rows: list[HandlingRow]) -> HandlingRow:
    """The sum of the rows (the last line of the table)."""
    total = HandlingRow(organization_id=0, organization="")
    for r in rows:
        for name in ("received", "done_on_time", "done_late", "overdue", "pending", "outgoing_sent"):
            setattr(total, name, getattr(total, name) + getattr(r, name))
    return total


def exchange_log(*, actor: Any) -> QuerySet:
    """The exchange log the actor may read (clerks and leaders of the organisation), newest first."""
    from cityops.documents.models import ExchangeMessage

    return (
        ExchangeMessage.objects.for_user(actor, "view")
        .select_related("organization", "incoming", "outgoing")
        .defer("payload")
        .order_by("-created_at", "-id")
    )
