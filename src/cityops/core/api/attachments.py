"""Attachments: ``POST /api/v1/attachments``, ``GET /api/v1/attachments/{id}`` and ``.../download``."""

# No ``from __future__ import annotations``: ninja reads these annotations at runtime.

from datetime import datetime

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from cityops.core.api.base import error_responses
from cityops.core.downloads import download_response
from cityops.core.models import Attachment, Organization
from cityops.core.permissions import NotFoundOrForbidden
from cityops.core.selectors.attachments import attachment_get
from cityops.core.services.attachments import attachment_create, attachment_record_download

router = Router(tags=["attachments"])

MAX_ID = 2**53


class AttachmentOut(Schema):
    id: int
    organization_id: int
    original_name: str
    content_type: str
    size: int
    sha256: str
    scan_status: str
    is_public: bool
    created_at: datetime
    download_url: str

    @staticmethod
    def resolve_download_url(obj: Attachment) -> str:
        from django.urls import reverse

        return reverse("api:download_attachment", kwargs={"attachment_id": obj.pk})


class AttachmentIn(Schema):
    organization: int
    is_public: bool = False


@router.post(
    "/attachments",
    response={201: AttachmentOut, **error_responses(400, 401, 403, 404)},
    summary="Upload a file",
)
def upload_attachment(request: HttpRequest, data: Form[AttachmentIn], file: File[UploadedFile]) -> Status:
    """Store a file for an organisation (multipart: ``organization``, ``file``, optional ``is_public``).

    The type is detected from the content; a file whose name claims another type, an empty or too large
    file, a disguised executable or a zip bomb is refused with 400. Uploading needs a staff role in the
    organisation; an organisation that does not exist answers 404.
    """
    if not 1 <= data.organization <= MAX_ID:
        raise NotFoundOrForbidden
    try:
        organization = Organization.objects.get(pk=data.organization, is_active=True)
    except Organization.DoesNotExist as exc:
        raise NotFoundOrForbidden from exc
    attachment = attachment_create(
        actor=request.user, organization=organization, uploaded_file=file, is_public=data.is_public
    )
    return Status(201, attachment)


@router.get(
    "/attachments/{int:attachment_id}",
    response={200: AttachmentOut, **error_responses(401, 404)},
    summary="One attachment's details",
)
def get_attachment(request: HttpRequest, attachment_id: int) -> Attachment:
    """Metadata of a file the caller may see; missing and forbidden are the same 404."""
    return attachment_get(user=request.user, pk=attachment_id)


@router.get(
    "/attachments/{int:attachment_id}/download",
    response={200: None, **error_responses(401, 404)},
    summary="Download an attachment",
    url_name="download_attachment",
)
def download_attachment(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    """The file's bytes with its detected content type, as a download; audited."""
    attachment = attachment_get(user=request.user, pk=attachment_id)
    response = download_response(attachment)
    attachment_record_download(actor=request.user, attachment=attachment)
    return response
