"""Text of attached files for full-text search: PDF (pypdf), DOCX, ODT and plain text.

Reading is bounded (entry size, pages, seconds, total text), XML is parsed with defusedxml, and a PDF that is
encrypted, broken or hostile simply yields no text: a file that cannot be read is never a failed upload.
"""

from __future__ import annotations

import logging
import time
import zipfile
from typing import Any

from defusedxml import ElementTree

from cityops.core.text import nfc
from cityops.core.uploads import ODF_TEXT, OOXML_WORD, TEXT_CSV, TEXT_PLAIN

MAX_XML_BYTES = 20 * 1024 * 1024
MAX_TEXT_CHARS = 200_000
MAX_PDF_PAGES = 300
MAX_PDF_SECONDS = 10.0
PDF = "application/pdf"

# pypdf reports every repair of a damaged file as a warning; that is noise in a server log.
logging.getLogger("pypdf").setLevel(logging.ERROR)
_WORD_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _xml_text(data: bytes, paragraph_tags: set[str]) -> str:
    root = ElementTree.fromstring(data, forbid_dtd=True)
    parts: list[str] = []
    for element in root.iter():
        if element.text and not element.tag.endswith("}instrText"):
            parts.append(element.text)
        if element.tag in paragraph_tags:
            parts.append("\n")
    return "".join(parts)


def _zip_member(file: Any, name: str) -> bytes | None:
    with zipfile.ZipFile(file) as archive:
        try:
            info = archive.getinfo(name)
        except KeyError:
            return None
        if info.file_size > MAX_XML_BYTES:
            return None
        with archive.open(info) as member:
            return member.read(MAX_XML_BYTES + 1)[:MAX_XML_BYTES]


def pdf_text(
    file: Any, *, max_pages: int = MAX_PDF_PAGES, max_seconds: float = MAX_PDF_SECONDS, max_chars: int = MAX_TEXT_CHARS
) -> str:
    """Text of a PDF's first pages, stopping at the page, time or length budget; "" for encrypted or broken files.

    Encrypted PDFs are not opened even when the empty password would work: their owner meant them closed.
    """
    from pypdf import PdfReader

    started = time.monotonic()
    try:
        reader = PdfReader(file, strict=False)
        if reader.is_encrypted:
            return ""
        parts: list[str] = []
        total = 0
        for index, page in enumerate(reader.pages):
            if index >= max_pages or total >= max_chars or time.monotonic() - started > max_seconds:
                break
            text = page.extract_text() or ""
            parts.append(text)
            total += len(text)
    except Exception:  # noqa: BLE001 - pypdf raises many kinds of error on hostile files; none may fail an upload
        return ""
    return "\n".join(parts)[:max_chars]


def extract_text(attachment: Any) -> str:
    """Searchable text of one core attachment ("" when its type has none we can read, or it cannot be read)."""
    try:
        with attachment.file.open("rb") as handle:
            if attachment.content_type == OOXML_WORD:
                data = _zip_member(handle, "word/document.xml")
                text = _xml_text(data, {f"{_WORD_NS}p"}) if data else ""
            elif attachment.content_type == ODF_TEXT:
                data = _zip_member(handle, "content.xml")
                text = _xml_text(data, set()) if data else ""
            elif attachment.content_type == PDF:
                text = pdf_text(handle)
            elif attachment.content_type in {TEXT_PLAIN, TEXT_CSV}:
                text = handle.read(MAX_TEXT_CHARS * 4).decode("utf-8", errors="ignore")
            else:
                return ""
    except Exception:  # noqa: BLE001 - an unreadable file is simply not searchable by content
        return ""
    return nfc(" ".join(text.split()))[:MAX_TEXT_CHARS]
