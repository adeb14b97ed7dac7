"""Sending a stored attachment to a browser: the one way every page and API serves a file."""

from __future__ import annotations

import logging
import unicodedata
from urllib.parse import quote

from django.http import FileResponse, Http404

from cityops.core.models import Attachment

__all__ = ["content_disposition", "download_response"]

logger = logging.getLogger(__name__)


def _ascii_fallback(name: str) -> str:
    """An ASCII approximation of ``name`` for clients that ignore ``filename*`` ("Báo cáo.pdf" → "Bao cao.pdf")."""
    value = name.replace("đ", "d").replace("Đ", "D")
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = "".join(ch if ch.isalnum() or ch in " .-_()" else "_" for ch in value).strip(" .")
    return value or "download"


def content_disposition(name: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the exact UTF-8 ``filename*`` (RFC 6266 / RFC 5987).

    Both parts are built only from safe characters, so no name can break out of the header.
    """
    encoded = quote(name, safe="")
    return f"attachment; filename=\"{_ascii_fallback(name)}\"; filename*=UTF-8''{encoded}"


def download_response(attachment: Attachment) -> FileResponse:
    """The file as a download with its detected type; browsers must not sniff it or render it inline."""
    try:
        handle = attachment.file.storage.open(str(attachment.file.name), "rb")
    except FileNotFoundError as exc:
        logger.error("Attachment %s has no stored file %s", attachment.pk, attachment.file.name)
        raise Http404 from exc
    content_type = attachment.content_type
    if content_type.startswith("text/") and "charset" not in content_type:
        content_type = f"{content_type}; charset=utf-8"
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition(attachment.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=0" if attachment.is_public else "private, no-store"
    return response
