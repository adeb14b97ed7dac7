"""Text of attached files for full-text search: DOCX, ODT and plain text, read with the standard library.

PDF text needs a PDF library the project does not ship yet, so PDFs are searched by their metadata only.
Reading is bounded (entry size, total text), and XML is parsed with defusedxml, so a hostile file cannot
exhaust memory or expand entities.
"""

from __future__ import annotations

import zipfile
from typing import Any

from defusedxml import ElementTree

from cityops.core.text import nfc
from cityops.core.uploads import ODF_TEXT, OOXML_WORD, TEXT_CSV, TEXT_PLAIN

MAX_XML_BYTES = 20 * 1024 * 1024
MAX_TEXT_CHARS = 200_000
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
            elif attachment.content_type in {TEXT_PLAIN, TEXT_CSV}:
                text = handle.read(MAX_TEXT_CHARS * 4).decode("utf-8", errors="ignore")
            else:
                return ""
    except Exception:  # noqa: BLE001 - an unreadable file is simply not searchable by content
        return ""
    return nfc(" ".join(text.split()))[:MAX_TEXT_CHARS]
