"""Every read of the documents module, scoped by the user's permissions (``for_user``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import BigIntegerField, QuerySet
from django.db.models.functions import Cast

from cityops.core.models import Organization, SearchEntry
from cityops.core.permissions import get_for_user
from cityops.core.text import search_terms
from cityops.documents.models import DocumentType, IncomingDocument, OutgoingDocument, Register
from cityops.documents.permissions import incoming_policy, outgoing_policy, register_policy

__all__ = [
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


def _filtered(queryset: QuerySet, filters: dict[str, Any] | None) -> QuerySet:
    filters = filters or {}
    if filters.get("status"):
        queryset = queryset.filter(status=filters["status"])
    if filters.get("year"):
        try:
            queryset = queryset.filter(created_at__year=int(filters["year"]))
        except (TypeError, ValueError):
            pass
    terms = search_terms(str(filters.get("q") or "")[:200])
    if terms:
        # The core's folded index makes the filter diacritic-insensitive ("quy hoach" finds "quy hoạch").
        entries = SearchEntry.objects.filter(object_type=queryset.model._meta.label_lower)
        for term in terms:
            entries = entries.filter(text__contains=term)
        # A subquery, not a list of ids: every match counts (no cap) and the database joins it with the
        # permission scope and the ordering in one statement.
        queryset = queryset.filter(pk__in=entries.values(doc_id=Cast("object_id", BigIntegerField())))
    return queryset


def incoming_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[IncomingDocument]:
    """Incoming documents the actor may see; urgent ones first (they jump the queue), then newest."""
    queryset = IncomingDocument.objects.for_user(actor, "view").select_related("organization", "document_type")
    return _filtered(queryset, filters).order_by("-urgency", "-created_at", "-id")


def incoming_get(*, actor: Any, id: Any) -> IncomingDocument:  # noqa: A002
    return get_for_user(
        IncomingDocument.objects.select_related("organization", "register", "document_type"), actor, "view", pk=id
    )


def outgoing_list(*, actor: Any, filters: dict[str, Any] | None = None) -> QuerySet[OutgoingDocument]:
    queryset = OutgoingDocument.objects.for_user(actor, "view").select_related("organization", "document_type")
    return _filtered(queryset, filters).order_by("-created_at", "-id")


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
