"""Full-text search over the text of attached PDFs: found without diacritics, bounded, and never failing an upload
for an encrypted, broken or hostile PDF."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader, PdfWriter

from cityops.core import search
from cityops.documents import fulltext, services
from cityops.documents.models import IncomingDocument
from tests.documents.test_pdf_reports import pdf_bytes

pytestmark = pytest.mark.django_db


def _receive(clerk, agency, data: bytes, name: str = "van-ban.pdf") -> IncomingDocument:
    doc = services.incoming_receive(
        actor=clerk,
        organization=agency,
        data={"sender_name": "UBND phường Kinh Bắc", "subject": "Báo cáo tháng"},
        files=[SimpleUploadedFile(name, data)],
    )
    doc.refresh_from_db()
    return doc


def test_words_inside_an_attached_pdf_are_found_without_diacritics(clerk_a, clerk_b, agency_a, client):
    doc = _receive(clerk_a, agency_a, pdf_bytes("Chỉnh trang vỉa hè đường Nguyễn Đăng Đạo"))
    assert doc.attachments().count() == 1
    assert "vỉa hè" in doc.attachment_text
    assert str(doc.pk) in {hit.object_id for hit in search.search(clerk_a, "chinh trang via he nguyen dang dao")}
    assert search.search(clerk_b, "chinh trang via he") == []  # another agency finds nothing
    client.force_login(clerk_a)
    listing = client.get("/documents/incoming/", {"q": "dang dao"})
    assert listing.text.count('data-testid="incoming-row"') == 1


def test_a_pdf_added_later_is_searched_too(clerk_a, agency_a, make_incoming):
    doc = make_incoming(subject="Công văn")
    services.document_add_attachment(
        actor=clerk_a, document=doc, uploaded_file=SimpleUploadedFile("phu-luc.pdf", pdf_bytes("Phụ lục kinh phí"))
    )
    assert str(doc.pk) in {hit.object_id for hit in search.search(clerk_a, "phu luc kinh phi")}


def _encrypted(data: bytes, password: str) -> bytes:
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(data)))
    writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("password", ["mat-khau", ""], ids=["password", "empty-password"])
def test_an_encrypted_pdf_is_kept_but_not_read(clerk_a, agency_a, password):
    doc = _receive(clerk_a, agency_a, _encrypted(pdf_bytes("Nội dung bí mật"), password))
    assert doc.attachments().count() == 1
    assert doc.attachment_text == ""


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        b"%PDF-1.7\n" + b"\x00\xff" * 5000,
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 1 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",  # loops on itself
    ],
    ids=["empty", "garbage", "self-reference"],
)
def test_a_broken_pdf_is_kept_without_text(clerk_a, agency_a, data):
    doc = _receive(clerk_a, agency_a, data)
    assert doc.attachments().count() == 1
    assert doc.attachment_text == ""


def test_reading_stops_at_the_page_and_length_budgets():
    data = pdf_bytes("Trang có nội dung dài " * 20, pages=5)
    one_page = fulltext.pdf_text(io.BytesIO(data), max_pages=1)
    every_page = fulltext.pdf_text(io.BytesIO(data))
    assert 0 < len(one_page) < len(every_page)
    assert len(fulltext.pdf_text(io.BytesIO(data), max_chars=50)) == 50
    assert fulltext.pdf_text(io.BytesIO(data), max_seconds=-1) == ""
