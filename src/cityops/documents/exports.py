"""The registers (sổ đăng ký văn bản đến / đi) as XLSX, with the columns of Decree 30 Appendix IV.

Column headings are the official Vietnamese ones: the printed register is a legal form, not UI text.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from cityops.core.exports import spreadsheet_cell
from cityops.documents.models import Register
from cityops.documents.selectors import register_rows

INCOMING_COLUMNS = [
    ("Ngày đến", 12), ("Số đến", 8), ("Tác giả", 28), ("Số, ký hiệu văn bản", 20), ("Ngày tháng văn bản", 12),
    ("Tên loại và trích yếu nội dung", 50), ("Đơn vị hoặc người nhận", 24), ("Ngày chuyển", 12), ("Ký nhận", 12),
    ("Ghi chú", 20),
]  # fmt: skip
OUTGOING_COLUMNS = [
    ("Số, ký hiệu văn bản", 20), ("Ngày tháng văn bản", 12), ("Tên loại và trích yếu nội dung", 50),
    ("Người ký", 22), ("Nơi nhận văn bản", 30), ("Đơn vị, người nhận bản lưu", 20), ("Số lượng bản", 8),
    ("Ngày chuyển", 12), ("Ký nhận", 12), ("Ghi chú", 20),
]  # fmt: skip


def _date(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "hour"):
        value = timezone.localtime(value)
    return value.strftime("%d/%m/%Y")


def _incoming_row(doc: Any) -> list[Any]:
    events = list(doc.events.all())
    assigned = [e.assigned_org.name for e in events if e.assigned_org_id and e.assignment_role == "lead"]
    moved = [e for e in events if e.action == "directed"]
    notes = "Mật" if doc.is_confidential else ""
    return [
        _date(doc.arrival_date), doc.arrival_number, doc.sender_name, doc.code, _date(doc.issued_date),
        f"{doc.type_name}: {doc.subject}" if doc.type_name else doc.subject, ", ".join(assigned),
        _date(moved[0].created_at) if moved else "", "", notes,
    ]  # fmt: skip


def _outgoing_row(doc: Any) -> list[Any]:
    recipients = [r.name for r in doc.recipients.all()] or [doc.recipients_text]
    signer = " ".join(part for part in (doc.signer_position, doc.signer_name) if part)
    return [
        doc.code, _date(doc.issued_date), f"{doc.type_name}: {doc.subject}", signer, "; ".join(recipients),
        doc.drafting_unit.name if doc.drafting_unit_id else "", doc.issued_amount or "", _date(doc.issued_at), "",
        "Mật" if doc.is_confidential else "",
    ]  # fmt: skip


def register_xlsx(register: Register) -> bytes:
    """The whole register, one document per row in number order."""
    incoming = register.direction == "in"
    columns = INCOMING_COLUMNS if incoming else OUTGOING_COLUMNS
    title = "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" if incoming else "SỔ ĐĂNG KÝ VĂN BẢN ĐI"
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(register.year)
    sheet.append([spreadsheet_cell(register.organization.name)])
    sheet.append([f"{title} NĂM {register.year}" + (" (MẬT)" if register.is_confidential else "")])
    sheet["A2"].font = Font(bold=True, size=13)
    sheet.append([])
    sheet.append([name for name, _width in columns])
    sheet.append([f"({i})" for i in range(1, len(columns) + 1)])
    for index, (_name, width) in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=4, column=index).column_letter].width = width
        sheet.cell(row=4, column=index).font = Font(bold=True)
        sheet.cell(row=4, column=index).alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    rows = register_rows(register)
    if incoming:
        rows = rows.prefetch_related("events__assigned_org")
    for doc in rows:
        sheet.append([spreadsheet_cell(v) for v in (_incoming_row(doc) if incoming else _outgoing_row(doc))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


TRACKING_COLUMNS = [
    ("Số đến", 8), ("Ngày đến", 12), ("Số, ký hiệu văn bản", 20), ("Tác giả", 26), ("Trích yếu nội dung", 45),
    ("Đơn vị chủ trì", 24), ("Đơn vị phối hợp", 24), ("Hạn giải quyết", 12), ("Ngày hoàn thành", 12),
    ("Tình trạng", 16),
]  # fmt: skip


def _tracking_state(doc: Any, done_at: Any, today: Any) -> str:
    if doc.status == "done":
        if doc.due_date and done_at and timezone.localtime(done_at).date() > doc.due_date:
            return "Hoàn thành quá hạn"
        return "Hoàn thành đúng hạn"
    if doc.due_date and doc.due_date < today:
        return "Chưa hoàn thành, quá hạn"
    return "Đang giải quyết" if doc.status in {"directed", "in_progress"} else "Chưa phân công"


def tracking_xlsx(register: Register) -> bytes:
    """Sổ theo dõi giải quyết văn bản đến: who leads each document, its deadline, and whether it was met.

    Decree 30 names this register without fixing its columns; these follow the direction slip and the
    on-time / overdue split of official task reports.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(register.year)
    sheet.append([spreadsheet_cell(register.organization.name)])
    sheet.append([f"SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN NĂM {register.year}"])
    sheet["A2"].font = Font(bold=True, size=13)
    sheet.append([])
    sheet.append([name for name, _width in TRACKING_COLUMNS])
    for index, (_name, width) in enumerate(TRACKING_COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=4, column=index).column_letter].width = width
        sheet.cell(row=4, column=index).font = Font(bold=True)
    for row in _tracking_rows(register):
        sheet.append([spreadsheet_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- PDF -------------------------------------------------------------------------------------------------------

INCOMING_PDF_WIDTHS = (20, 12, 34, 26, 20, 62, 34, 20, 16, 23)
OUTGOING_PDF_WIDTHS = (26, 20, 60, 30, 40, 26, 13, 20, 16, 16)
TRACKING_PDF_WIDTHS = (12, 20, 26, 32, 50, 30, 30, 20, 20, 27)


def _period(date_from: Any, date_to: Any) -> str:
    if date_from and date_to:
        return f"Từ ngày {_date(date_from)} đến ngày {_date(date_to)}"
    if date_from:
        return f"Từ ngày {_date(date_from)}"
    if date_to:
        return f"Đến ngày {_date(date_to)}"
    return ""


def register_pdf(register: Register, date_from: Any = None, date_to: Any = None) -> bytes:
    """The register (Appendix IV columns) on landscape A4, for a date range or the whole year."""
    from cityops.core.pdf import PdfReport

    incoming = register.direction == "in"
    columns = INCOMING_COLUMNS if incoming else OUTGOING_COLUMNS
    title = "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" if incoming else "SỔ ĐĂNG KÝ VĂN BẢN ĐI"
    title = f"{title} NĂM {register.year}" + (" (MẬT)" if register.is_confidential else "")
    report = PdfReport(
        title=title, subtitle=_period(date_from, date_to), landscape=True, issuer=register.organization.name
    )
    rows = register_rows(register, date_from, date_to)
    if incoming:
        rows = rows.prefetch_related("events__assigned_org")
    table = [_incoming_row(doc) if incoming else _outgoing_row(doc) for doc in rows]
    report.table(
        [name for name, _width in columns],
        table,
        widths=INCOMING_PDF_WIDTHS if incoming else OUTGOING_PDF_WIDTHS,
        empty_text="Không có văn bản trong thời gian này.",
    )
    return report.output()


def _tracking_rows(register: Register, date_from: Any = None, date_to: Any = None) -> list[list[Any]]:
    today = timezone.localdate()
    rows = []
    for doc in register_rows(register, date_from, date_to).prefetch_related("events__assigned_org"):
        events = list(doc.events.all())
        lead = [e.assigned_org.name for e in events if e.assignment_role == "lead" and e.assigned_org_id]
        support = sorted({e.assigned_org.name for e in events if e.assignment_role == "support" and e.assigned_org_id})
        done = [e.created_at for e in events if e.action == "done"]
        done_at = done[-1] if done else None
        rows.append([
            doc.arrival_number, _date(doc.arrival_date), doc.code, doc.sender_name, doc.subject,
            lead[-1] if lead else "", ", ".join(support), _date(doc.due_date), _date(done_at),
            _tracking_state(doc, done_at, today),
        ])  # fmt: skip
    return rows


def tracking_pdf(register: Register, date_from: Any = None, date_to: Any = None) -> bytes:
    """Sổ theo dõi giải quyết văn bản đến on landscape A4 (same columns as the XLSX)."""
    from cityops.core.pdf import PdfReport

    report = PdfReport(
        title=f"SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN NĂM {register.year}",
        subtitle=_period(date_from, date_to),
        landscape=True,
        issuer=register.organization.name,
    )
    report.table(
        [name for name, _width in TRACKING_COLUMNS],
        _tracking_rows(register, date_from, date_to),
        widths=TRACKING_PDF_WIDTHS,
        empty_text="Không có văn bản trong thời gian này.",
    )
    return report.output()


def slip_pdf(slip: dict[str, Any]) -> bytes:
    """Phiếu giải quyết văn bản đến (Appendix IV §VII) from ``selectors.direction_slip``."""
    from cityops.core.pdf import PdfReport

    doc = slip["document"]
    report = PdfReport(title="PHIẾU GIẢI QUYẾT VĂN BẢN ĐẾN", issuer=doc.organization.name)
    report.facts([
        ("Tên loại", doc.type_name or ""), ("Số, ký hiệu", doc.code or ""), ("Ngày tháng", _date(doc.issued_date)),
        ("Cơ quan ban hành", doc.sender_name), ("Trích yếu", doc.subject),
        ("Số đến", f"{doc.arrival_number or '—'} ({_date(doc.arrival_date)})"),
    ])  # fmt: skip
    report.heading("1. Ý kiến của lãnh đạo cơ quan, tổ chức")
    if not slip["directions"]:
        report.paragraph("—")
    for direction in slip["directions"]:
        supporting = ", ".join(u.name for u in direction.supporting_units.all())
        report.facts([
            ("Đơn vị chủ trì", direction.lead_unit.name), ("Đơn vị phối hợp", supporting),
            ("Thời hạn giải quyết", _date(direction.deadline)), ("Ý kiến", direction.opinion),
            ("Người cho ý kiến", f"{direction.leader.display_name}, {_date(direction.created_at)}"),
        ])  # fmt: skip
    report.heading("2. Ý kiến của lãnh đạo đơn vị")
    lines = [f"{e.assigned_org.name}: {e.note} ({_event_by(e)})" for e in slip["assignments"] if e.assigned_org_id]
    report.paragraph("\n".join(lines) or "—")
    report.heading("3. Ý kiến đề xuất của người giải quyết")
    report.paragraph("\n".join(f"{e.note} ({_event_by(e)})" for e in slip["proposals"]) or "—")
    return report.output()


def _event_by(event: Any) -> str:
    who = event.actor.display_name if event.actor_id else ""
    return f"{who}, {_date(event.created_at)}".strip(", ")


STATISTICS_COLUMNS = [
    ("Cơ quan, đơn vị", 40), ("Văn bản đến trong kỳ", 14), ("Đã giải quyết đúng hạn", 14),
    ("Đã giải quyết quá hạn", 14), ("Chưa giải quyết, quá hạn", 14), ("Chưa giải quyết, trong hạn", 14),
    ("Văn bản đi đã phát hành", 14),
]  # fmt: skip


def _statistics_values(row: Any) -> list[Any]:
    return [row.received, row.done_on_time, row.done_late, row.overdue, row.pending, row.outgoing_sent]


def statistics_xlsx(rows: list[Any], total: Any, date_from: Any, date_to: Any) -> bytes:
    """Báo cáo tình hình giải quyết văn bản: one line per agency and a total (Appendix VI I.V)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Thống kê"
    sheet.append(["BÁO CÁO TÌNH HÌNH GIẢI QUYẾT VĂN BẢN"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([_period(date_from, date_to)])
    sheet.append([])
    sheet.append([name for name, _width in STATISTICS_COLUMNS])
    for index, (_name, width) in enumerate(STATISTICS_COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=4, column=index).column_letter].width = width
        sheet.cell(row=4, column=index).font = Font(bold=True)
        sheet.cell(row=4, column=index).alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        sheet.append([spreadsheet_cell(row.organization), *_statistics_values(row)])
    sheet.append(["Tổng cộng", *_statistics_values(total)])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


CASE_FILE_ITEM_COLUMNS = (
    ("Số TT", 12), ("Số, ký hiệu văn bản", 30), ("Ngày tháng văn bản", 24), ("Tác giả văn bản", 40),
    ("Trích yếu nội dung văn bản", 123), ("Số trang", 16), ("Ghi chú", 22),
)  # fmt: skip
CASE_FILE_COLUMNS = (
    ("Số, ký hiệu hồ sơ", 30), ("Tiêu đề hồ sơ", 95), ("Thời gian bắt đầu", 26), ("Thời gian kết thúc", 26),
    ("Thời hạn bảo quản", 34), ("Số lượng văn bản", 22), ("Ghi chú", 34),
)  # fmt: skip


def case_file_items_pdf(case_file: Any) -> bytes:
    """Mục lục văn bản trong hồ sơ (Appendix VI I.V): the documents of one case file in order."""
    from cityops.core.pdf import PdfReport

    report = PdfReport(
        title="MỤC LỤC VĂN BẢN TRONG HỒ SƠ",
        subtitle=f"Hồ sơ số {case_file.notation}: {case_file.title}",
        landscape=True,
        issuer=case_file.organization.name,
    )
    rows = []
    for item in case_file.items.select_related("incoming", "outgoing", "outgoing__organization"):
        doc = item.document
        author = doc.sender_name if item.incoming_id else doc.organization.name
        rows.append([item.ordinal, doc.code, _date(doc.issued_date), author, doc.subject, doc.page_amount or "", ""])
    report.table(
        [name for name, _width in CASE_FILE_ITEM_COLUMNS],
        rows,
        widths=[width for _name, width in CASE_FILE_ITEM_COLUMNS],
        empty_text="Hồ sơ chưa có văn bản.",
    )
    return report.output()


def case_files_pdf(case_files: Any, year: int) -> bytes:
    """Mục lục hồ sơ of a year (Appendix VI I.V): every case file the reader may see."""
    from cityops.core.pdf import PdfReport

    report = PdfReport(title=f"MỤC LỤC HỒ SƠ NĂM {year}", landscape=True)
    rows = [
        [
            f.notation,
            f.title,
            _date(f.start_date),
            _date(f.end_date),
            "Vĩnh viễn" if f.retention.years is None else f"{f.retention.years} năm",
            f.items.count(),
            f.organization.name,
        ]  # fmt: skip
        for f in case_files
    ]
    report.table(
        [name for name, _width in CASE_FILE_COLUMNS],
        rows,
        widths=[width for _name, width in CASE_FILE_COLUMNS],
        empty_text="Không có hồ sơ.",
    )
    return report.output()
