"""Server-side PDF: Vietnamese text survives, long tables break across pages, hostile text stays text."""

from __future__ import annotations

import io

import pypdf

from cityops.core.pdf import PdfReport


def _text(data: bytes) -> tuple[int, str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_vietnamese_text_is_in_the_pdf():
    report = PdfReport(title="Báo cáo tình hình", subtitle="Ngày 25/11/2026", issuer="UBND tỉnh Bắc Ninh")
    report.heading("Sự cố đang mở")
    report.facts([("Trạng thái", "Đang xử lý")])
    report.paragraph("Ngập úng tại phường Kinh Bắc")
    data = report.output()
    assert data.startswith(b"%PDF-")
    pages, text = _text(data)
    assert pages == 1
    for expected in ("UBND TỈNH BẮC NINH", "Báo cáo tình hình", "Sự cố đang mở", "Đang xử lý", "Kinh Bắc"):
        assert expected in text


def test_long_tables_continue_on_new_pages_with_their_header():
    report = PdfReport(title="Sổ đăng ký", landscape=True)
    rows = [[i, "Đèn đường hỏng ở phường Đại Phúc " * 4, None] for i in range(120)]
    report.table(["Số", "Trích yếu", "Ghi chú"], rows, widths=(20, 200, 50))
    pages, text = _text(report.output())
    assert pages > 2
    assert text.count("Trích yếu") == pages
    assert "119" in text


def test_empty_tables_say_so_and_script_is_plain_text():
    report = PdfReport(title="<script>alert(1)</script>")
    report.table(["A"], [], empty_text="Không có dữ liệu")
    _, text = _text(report.output())
    assert "Không có dữ liệu" in text
    assert "<script>alert(1)</script>" in text
