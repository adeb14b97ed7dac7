"""Registers and the direction slip as PDF: the text is read back with pypdf; periods, access and bad input."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cityops.core.models import AuditEvent
from cityops.core.pdf import PdfReport
from cityops.documents import services
from cityops.documents.models import IncomingDocument

pytestmark = pytest.mark.django_db


def pdf_bytes(text: str, pages: int = 1) -> bytes:
    """A real PDF (made with the project's own PDF builder) holding ``text`` on each page."""
    report = PdfReport(title="Tài liệu kiểm thử")
    for index in range(pages):
        if index:
            report._pdf.add_page()
        report.paragraph(text)
    return report.output()


def pdf_text(data: bytes) -> str:
    """The PDF's text with all whitespace (table cells wrap) reduced to single spaces."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _registered(make_incoming, clerk_a, subject: str, arrived: dt.datetime) -> IncomingDocument:
    doc = services.incoming_register(actor=clerk_a, document=make_incoming(subject=subject, number=subject[-2:]))
    IncomingDocument.objects.filter(pk=doc.pk).update(arrival_date=arrived)
    return doc


def test_incoming_register_pdf_for_a_period(client, clerk_a, make_incoming):
    year = timezone.localdate().year
    tz = timezone.get_current_timezone()
    _registered(make_incoming, clerk_a, "Về việc đầu năm 01", dt.datetime(year, 1, 5, 9, tzinfo=tz))
    doc = _registered(make_incoming, clerk_a, "Về việc chỉnh trang đô thị 02", dt.datetime(year, 2, 10, 9, tzinfo=tz))
    client.force_login(clerk_a)
    url = reverse("documents:register_pdf", args=[doc.register_id])
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Content-Type"] == "application/pdf"
    text = pdf_text(whole.content)
    assert f"SỔ ĐĂNG KÝ VĂN BẢN ĐẾN NĂM {year}" in text
    assert "Ngày đến" in text and "Số đến" in text and "Tác giả" in text
    assert "đầu năm" in text and "chỉnh trang" in text
    february = client.get(url, {"date_from": f"{year}-02-01", "date_to": f"{year}-02-28"})
    text = pdf_text(february.content)
    assert "chỉnh trang" in text and "đầu năm" not in text
    assert f"Từ ngày 01/02/{year} đến ngày 28/02/{year}" in text
    assert (
        PdfReader(io.BytesIO(february.content)).pages[0].mediabox.width
        > PdfReader(io.BytesIO(february.content)).pages[0].mediabox.height
    )  # landscape
    assert AuditEvent.objects.filter(verb="documents.register.exported").count() == 2


def test_outgoing_register_pdf_and_tracking_pdf(client, clerk_a, make_outgoing, make_incoming, agency_b):
    out = services.outgoing_number(actor=clerk_a, document=make_outgoing(subject="Về việc kế hoạch năm"))
    services.outgoing_issue(actor=clerk_a, document=out, internal=[agency_b])
    client.force_login(clerk_a)
    text = pdf_text(client.get(reverse("documents:register_pdf", args=[out.register_id])).content)
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐI" in text and out.code in text and "Sở Y tế" in text
    incoming = services.incoming_register(actor=clerk_a, document=make_incoming(subject="Về việc theo dõi"))
    tracking = client.get(reverse("documents:register_tracking_pdf", args=[incoming.register_id]))
    assert "SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN" in pdf_text(tracking.content)
    # An outgoing register has no tracking register.
    assert client.get(reverse("documents:register_tracking_pdf", args=[out.register_id])).status_code == 404


@pytest.mark.parametrize(
    "query",
    [{"date_from": "2026-02-30"}, {"date_from": "2026-03-01", "date_to": "2026-02-01"}, {"date_to": "<script>"}],
)
def test_a_bad_period_is_refused(client, clerk_a, make_incoming, query):
    doc = services.incoming_register(actor=clerk_a, document=make_incoming())
    client.force_login(clerk_a)
    assert client.get(reverse("documents:register_pdf", args=[doc.register_id]), query).status_code == 400


def test_another_agency_cannot_print_the_register(client, clerk_a, clerk_b, make_incoming):
    doc = services.incoming_register(actor=clerk_a, document=make_incoming())
    client.force_login(clerk_b)
    assert client.get(reverse("documents:register_pdf", args=[doc.register_id])).status_code == 404
    assert client.get(reverse("documents:register_tracking_pdf", args=[doc.register_id])).status_code == 404
    client.logout()
    assert client.get(reverse("documents:register_pdf", args=[doc.register_id])).status_code == 302


def test_direction_slip_pdf(client, clerk_a, leader_a, unit_a, unit_a2, specialist_unit_a, make_incoming):
    doc = services.incoming_register(actor=clerk_a, document=make_incoming(subject="Về việc <b>thử</b>"))
    services.incoming_direct(
        actor=leader_a, document=doc, lead_unit=unit_a, supporting_units=[unit_a2], opinion="Giao phòng tham mưu"
    )
    services.incoming_report(actor=specialist_unit_a, document=doc, note="Đề xuất trả lời bằng công văn")
    client.force_login(clerk_a)
    response = client.get(reverse("documents:incoming_slip_pdf", args=[doc.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "PHIẾU GIẢI QUYẾT VĂN BẢN ĐẾN" in text
    assert "Phòng Quản lý xây dựng" in text and "Phòng Kế hoạch" in text
    assert "Giao phòng tham mưu" in text and "Đề xuất trả lời bằng công văn" in text
    assert "<b>thử</b>" in text  # printed as text, never interpreted


def test_slip_pdf_of_another_agency_is_not_found(client, clerk_b, make_incoming):
    doc = make_incoming()
    client.force_login(clerk_b)
    assert client.get(reverse("documents:incoming_slip_pdf", args=[doc.pk])).status_code == 404


def test_register_list_carries_the_period_to_the_pdf_links(client, clerk_a, make_incoming):
    doc = services.incoming_register(actor=clerk_a, document=make_incoming())
    client.force_login(clerk_a)
    page = client.get(reverse("documents:register_list"), {"date_from": "2026-01-01", "date_to": "2026-03-31"})
    link = reverse("documents:register_pdf", args=[doc.register_id])
    assert f"{link}?date_from=2026-01-01&amp;date_to=2026-03-31" in page.text
    page = client.get(reverse("documents:register_list"), {"date_from": "bad"})
    assert page.status_code == 200 and f'href="{link}"' in page.text
