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
    today = timezone.localdate()
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
    for doc in register_rows(register).prefetch_related("events__assigned_org"):
        events = list(doc.events.all())
        lead = [e.assigned_org.name for e in events if e.assignment_role == "lead" and e.assigned_org_id]
        support = sorted({e.assigned_org.name for e in events if e.assignment_role == "support" and e.assigned_org_id})
        done = [e.created_at for e in events if e.action == "done"]
        done_at = done[-1] if done else None
        row = [
            doc.arrival_number, _date(doc.arrival_date), doc.code, doc.sender_name, doc.subject,
            lead[-1] if lead else "", ", ".join(support), _date(doc.due_date), _date(done_at),
            _tracking_state(doc, done_at, today),
        ]  # fmt: skip
        sheet.append([spreadsheet_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
