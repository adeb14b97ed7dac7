"""The documents API router, mounted under /api/v1/ by ``cityops.api``.

``GET /api/v1/documents/incoming``, ``GET .../incoming/{id}``, ``POST .../incoming/import`` (an edXML
file: a document package becomes an incoming document, a status message is recorded), ``GET
/documents/outgoing``, ``GET /documents/outgoing/{id}`` (with its recipients' last status), ``GET
/documents/statistics?date_from=&date_to=``. Every read of one document is written to the access log.
"""

# No ``from __future__ import annotations``: ninja reads these annotations at runtime.

from datetime import date, datetime

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from cityops.core.api.base import ApiError, CappedPageNumberPagination, error_responses
from cityops.core.models import Organization
from cityops.core.permissions import NotFoundOrForbidden
from cityops.documents import selectors, services
from cityops.documents.forms import PERIOD_FIRST_DAY, PERIOD_LAST_DAY, edxml_max_bytes
from cityops.documents.models import IncomingDocument, OutgoingDocument

router = Router(tags=["documents"])

MAX_ID = 2**53


class WarningOut(Schema):
    code: str
    message: str


class DocumentOut(Schema):
    id: int
    organization_id: int
    code: str
    number: str
    notation: str
    issued_date: date | None
    place: str
    type_name: str
    subject: str
    signer_competence: str
    signer_position: str
    signer_name: str
    urgency: int
    confidentiality: int
    page_amount: int | None
    due_date: date | None
    edxml_document_id: str
    status: str
    created_at: datetime


class IncomingOut(DocumentOut):
    sender_organ_id: str
    sender_name: str
    arrival_number: int | None
    arrival_date: datetime | None
    received_via: str
    duplicate_of_id: int | None
    import_warnings: list[WarningOut]


class RecipientOut(Schema):
    name: str
    organ_id: str
    delivery: str
    last_status_code: str
    last_status_at: datetime | None
    last_status_note: str


class OutgoingOut(DocumentOut):
    serial: int | None
    issued_at: datetime | None
    replaces_id: int | None


class OutgoingDetailOut(OutgoingOut):
    recipients: list[RecipientOut]

    @staticmethod
    def resolve_recipients(obj: OutgoingDocument) -> list:
        return list(obj.recipients.all())


class StatisticsIn(Schema):
    date_from: date
    date_to: date


class StatisticsRowOut(Schema):
    organization_id: int
    organization: str
    received: int
    done_on_time: int
    done_late: int
    overdue: int
    pending: int
    outgoing_sent: int


class DocumentFilter(Schema):
    q: str = ""
    status: str = ""


class ImportIn(Schema):
    organization: int
    confidentiality: int = 0


class ImportOut(Schema):
    kind: str
    incoming: IncomingOut | None = None
    status_code: str | None = None


@router.get("/incoming", response={200: list[IncomingOut], **error_responses(400, 401)})
@paginate(CappedPageNumberPagination)
def list_incoming(request: HttpRequest, filters: Query[DocumentFilter]) -> object:
    """Incoming documents the caller may see, urgent ones first; ``q`` searches number, notation, subject, sender.

    A search counts its matches up to ``selectors.SEARCH_COUNT_CAP``; ``count_capped`` says when more match.
    """
    return selectors.incoming_list(actor=request.user, filters=filters.dict())


@router.get("/incoming/{int:document_id}", response={200: IncomingOut, **error_responses(401, 404)})
def get_incoming(request: HttpRequest, document_id: int) -> IncomingDocument:
    """One incoming document (the read is logged)."""
    document = selectors.incoming_get(actor=request.user, id=document_id)
    services.document_viewed(actor=request.user, document=document)
    return document


@router.post(
    "/incoming/import",
    response={201: ImportOut, **error_responses(400, 401, 403, 404)},
    summary="Import an edXML package or status message",
)
def import_edxml(request: HttpRequest, data: Form[ImportIn], file: File[UploadedFile]) -> Status:
    """Multipart ``file`` + ``organization`` (+ ``confidentiality`` 0-3). Hostile or broken XML is a 400."""
    if not 1 <= data.organization <= MAX_ID:
        raise NotFoundOrForbidden
    try:
        organization = Organization.objects.get(pk=data.organization, is_active=True)
    except Organization.DoesNotExist as exc:
        raise NotFoundOrForbidden from exc
    if file.size is not None and file.size > edxml_max_bytes():
        raise ApiError(400, "validation_error", "The file is too large.", [("file", "The file is too large.")])
    if data.confidentiality not in (0, 1, 2, 3):
        raise ApiError(400, "validation_error", "Unknown confidentiality.", [("confidentiality", "0-3")])
    result = services.edxml_import(
        actor=request.user, organization=organization, data=file.read(), confidentiality=data.confidentiality
    )
    if isinstance(result, IncomingDocument):
        return Status(201, {"kind": "incoming", "incoming": result})
    return Status(201, {"kind": "status", "status_code": result.status_code})


@router.get("/outgoing", response={200: list[OutgoingOut], **error_responses(400, 401)})
@paginate(CappedPageNumberPagination)
def list_outgoing(request: HttpRequest, filters: Query[DocumentFilter]) -> object:
    """Outgoing documents the caller may see, newest first; ``q`` searches as for incoming ones (capped count)."""
    return selectors.outgoing_list(actor=request.user, filters=filters.dict())


@router.get("/outgoing/{int:document_id}", response={200: OutgoingDetailOut, **error_responses(401, 404)})
def get_outgoing(request: HttpRequest, document_id: int) -> OutgoingDocument:
    """One outgoing document with its recipients' last status (code, time, description); the read is logged."""
    document = selectors.outgoing_get(actor=request.user, id=document_id)
    services.document_viewed(actor=request.user, document=document)
    return document


@router.get("/statistics", response={200: list[StatisticsRowOut], **error_responses(400, 401)})
def statistics(request: HttpRequest, period: Query[StatisticsIn]) -> object:
    """Handling statistics per agency for a period (at most ten years), over the documents the caller may see."""
    if (
        period.date_from > period.date_to
        or (period.date_to - period.date_from).days > 3660
        or not PERIOD_FIRST_DAY <= period.date_from <= period.date_to <= PERIOD_LAST_DAY
    ):
        raise ApiError(400, "validation_error", "Check the period.", [("date_from", "Check the period.")])
    return selectors.handling_statistics(actor=request.user, date_from=period.date_from, date_to=period.date_to)
