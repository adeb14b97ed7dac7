"""Full-text search over the text of attached DOCX files, diacritic-insensitive, and safe against hostile XML."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cityops.core import search
from cityops.documents import services

pytestmark = pytest.mark.django_db

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
)


def docx_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": b"<Relationships/>", **entries}.items():
            archive.writestr(name, data)
    return buffer.getvalue()


W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _docx(body: bytes) -> SimpleUploadedFile:
    xml = b"<w:document " + W + b"><w:body>" + body + b"</w:body></w:document>"
    return SimpleUploadedFile("van-ban.docx", docx_bytes({"word/document.xml": xml}))


def test_words_inside_an_attached_docx_are_found(clerk_a, clerk_b, agency_a):
    upload = _docx("<w:p><w:r><w:t>Chỉnh trang vỉa hè phường Kinh Bắc</w:t></w:r></w:p>".encode())
    doc = services.incoming_receive(
        actor=clerk_a,
        organization=agency_a,
        data={"sender_name": "UBND phường", "subject": "Báo cáo"},
        files=[upload],
    )
    doc.refresh_from_db()
    assert "vỉa hè" in doc.attachment_text
    assert str(doc.pk) in {hit.object_id for hit in search.search(clerk_a, "via he kinh bac")}
    assert search.search(clerk_b, "via he kinh bac") == []


def test_hostile_xml_inside_a_docx_is_ignored(clerk_a, agency_a):
    body = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><w:document ' + W + b">&e;</w:document>"
    upload = SimpleUploadedFile("x.docx", docx_bytes({"word/document.xml": body}))
    doc = services.incoming_receive(
        actor=clerk_a, organization=agency_a, data={"sender_name": "X", "subject": "Y"}, files=[upload]
    )
    doc.refresh_from_db()
    assert doc.attachment_text == ""
