"""Demo data of the documents module: incoming documents at the Văn phòng UBND tỉnh and an outgoing draft.

Everything goes through ``cityops.documents.services`` (audited, indexed, with processing events). The
documents are typed in by hand (no edXML file is needed). Idempotent: nothing is created when the marker
document (the first subject below) already exists.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from cityops.core.choices import Role
from cityops.core.models import Organization
from cityops.core.workdays import deadline_for, is_working_day
from cityops.documents import services
from cityops.documents.models import DocumentType, IncomingDocument

if TYPE_CHECKING:
    from cityops.core.services.demo import DemoSeedResult

__all__ = ["seed_demo"]

# (type code, number, notation, days before today, sender code, sender, subject, signer, urgency, direct?)
INCOMING: tuple[tuple[str, str, str, int, str, str, str, str, int, bool], ...] = (
    ("cong-van", "4512", "BXD-HTKT", 3, "000.00.00.G13", "Bộ Xây dựng",
     "V/v triển khai Kế hoạch chuyển đổi số ngành xây dựng và phát triển đô thị thông minh năm 2026",
     "Thứ trưởng Nguyễn Văn Sinh", 1, True),
    ("to-trinh", "215", "TTr-SXD", 1, "000.00.05.H24", "Sở Xây dựng",
     "Đề nghị phê duyệt danh mục duy tu, sửa chữa đường tỉnh và hệ thống chiếu sáng công cộng quý I",
     "Giám đốc Hoàng Văn Bình", 1, False),
    ("cong-dien", "12", "CĐ-TTg", 0, "000.00.00.G01", "Thủ tướng Chính phủ",
     "Về việc chủ động ứng phó với mưa lớn, ngập úng đô thị và bảo đảm an toàn công trình",
     "Phó Thủ tướng Trần Hồng Hà", 2, False),
)  # fmt: skip

OUTGOING_SUBJECT = "Báo cáo kết quả vận hành thử nghiệm Trung tâm Điều hành đô thị thông minh tỉnh"


def _working_days_before(days: int) -> dt.date:
    """The ``days``-th working day before today (today itself for 0)."""
    day = timezone.localdate()
    while days > 0:
        day -= dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def seed_demo(result: DemoSeedResult) -> None:
    if IncomingDocument.objects.filter(subject=INCOMING[0][6]).exists():
        return
    users = result.users_by_role
    clerk, leader = users[Role.CLERK], users[Role.LEADER]
    office = Organization.objects.get(code="bn-vp-ubnd")
    lead_unit = Organization.objects.get(code="bn-vp-ubnd-kinh-te")
    support_unit = Organization.objects.get(code="bn-vp-ubnd-tong-hop")
    types = {t.code: t for t in DocumentType.objects.filter(code__in=["cong-van", "to-trinh", "cong-dien", "bao-cao"])}
    for type_code, number, notation, days_ago, organ_id, sender, subject, signer, urgency, direct in INCOMING:
        data: dict[str, Any] = {
            "document_type": types.get(type_code), "number": number, "notation": notation,
            "issued_date": _working_days_before(days_ago), "place": "Hà Nội" if organ_id.endswith("G13")
            or organ_id.endswith("G01") else "Bắc Ninh", "subject": subject, "signer_name": signer,
            "urgency": urgency, "page_amount": 3, "sender_organ_id": organ_id, "sender_name": sender,
        }  # fmt: skip
        document = services.incoming_receive(actor=clerk, organization=office, data=data)
        document = services.incoming_register(actor=clerk, document=document)
        if direct:
            deadline = timezone.localtime(deadline_for(timezone.now(), days=7)).date()
            services.incoming_direct(
                actor=leader, document=document, lead_unit=lead_unit, supporting_units=[support_unit],
                deadline=deadline,
                opinion="Giao Phòng Kinh tế chủ trì, phối hợp Sở Xây dựng, Sở Khoa học và Công nghệ tham mưu "
                "kế hoạch triển khai, báo cáo UBND tỉnh trước thời hạn.",
            )  # fmt: skip

    specialist = users[Role.SPECIALIST]
    agency = Organization.objects.get(code="bn-so-xay-dung")
    services.outgoing_draft(
        actor=specialist, organization=agency,
        data={
            "document_type": types.get("bao-cao"), "subject": OUTGOING_SUBJECT, "place": "Bắc Ninh",
            "content": "Tổng hợp kết quả tiếp nhận, xử lý phản ánh hiện trường và tình hình hạ tầng giao thông, "
            "chiếu sáng đô thị trong tháng; đề xuất nhiệm vụ trọng tâm tháng tới.",
            "signer_position": "Giám đốc", "signer_name": "Hoàng Văn Bình",
            "recipients_text": "UBND tỉnh; Văn phòng UBND tỉnh; Trung tâm IOC tỉnh; Lưu: VT, QLXD.",
        },
    )  # fmt: skip
