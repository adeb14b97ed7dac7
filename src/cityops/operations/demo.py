"""Demo data of monitoring: incident types with their procedures, rules on the demo sensors and citizen reports,
the alerts those rules raise on the last day's readings, subscriptions, and one open flooding incident.

Everything goes through the services (validated, audited). Idempotent: nothing is created when the marker
incident type (flooding) already exists.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from cityops.core.choices import Role
from cityops.core.models import Organization
from cityops.datahub.models import Entity
from cityops.feedback.models import Category
from cityops.operations import services
from cityops.operations.evaluation import evaluate_observations, evaluate_periodic
from cityops.operations.models import IncidentType, SopStep

if TYPE_CHECKING:
    from cityops.core.services.demo import DemoSeedResult

__all__ = ["INCIDENT_TYPES", "seed_demo"]

# (code, name, default severity, description, [(step, required)])
INCIDENT_TYPES: tuple[tuple[str, str, str, str, tuple[tuple[str, bool], ...]], ...] = (
    ("ngap-ung", "Ngập úng đô thị", "critical", "Ngập sâu trên đường phố, khu dân cư sau mưa lớn hoặc triều cường.", (
        ("Xác minh vị trí, độ sâu và phạm vi ngập qua camera, cảm biến hoặc tổ công tác tại chỗ", True),
        ("Thông báo cho đơn vị thoát nước và UBND xã, phường sở tại", True),
        ("Bố trí biển cảnh báo, người hướng dẫn phân luồng giao thông tại điểm ngập", True),
        ("Vận hành máy bơm lưu động, khơi thông cửa thu, hố ga", True),
        ("Cập nhật thông tin cho người dân trên cổng thông tin và mạng xã hội", False),
        ("Kiểm tra sau khi nước rút, ghi nhận thiệt hại và nguyên nhân", True),
    )),
    ("o-nhiem-khong-khi", "Sự cố môi trường — ô nhiễm không khí", "warning",
     "Chỉ số chất lượng không khí vượt ngưỡng tại trạm quan trắc hoặc phản ánh về khói, bụi, mùi.", (
        ("Kiểm tra số liệu trạm quan trắc và thiết bị đo (loại trừ lỗi cảm biến)", True),
        ("Xác định nguồn phát thải nghi vấn (khu công nghiệp, đốt phế phẩm, công trình xây dựng)", True),
        ("Thông báo Sở Nông nghiệp và Môi trường, cử đoàn kiểm tra hiện trường", True),
        ("Khuyến cáo người dân hạn chế hoạt động ngoài trời khi AQI ở mức kém trở lên", False),
        ("Lập biên bản, đề xuất xử lý vi phạm nếu có", True),
    )),
    ("chay", "Cháy, nổ", "critical", "Cháy nhà dân, cơ sở sản xuất, kho bãi hoặc phương tiện.", (
        ("Xác nhận tin báo, chuyển ngay cho lực lượng Cảnh sát PCCC và CNCH (114)", True),
        ("Điều phối cấp cứu y tế (115) nếu có người bị nạn", True),
        ("Phân luồng giao thông, mở đường cho xe chữa cháy", True),
        ("Theo dõi diễn biến qua camera, cập nhật cho lãnh đạo", True),
        ("Tổng hợp thiệt hại sau khi dập tắt đám cháy", True),
    )),
    ("su-co-giao-thong", "Sự cố giao thông", "warning",
     "Tai nạn, ùn tắc kéo dài, hư hỏng mặt đường hoặc đèn tín hiệu.", (
        ("Xác minh sự cố qua camera giao thông và cảm biến lưu lượng", True),
        ("Thông báo Cảnh sát giao thông và Sở Xây dựng", True),
        ("Điều chỉnh chu kỳ đèn tín hiệu, phân luồng từ xa", False),
        ("Thông tin trên bảng điện tử và ứng dụng giao thông", False),
        ("Xác nhận giao thông trở lại bình thường", True),
    )),
)  # fmt: skip


def _incident_types(actor: Any) -> dict[str, IncidentType]:
    found = {}
    for code, name, severity, description, steps in INCIDENT_TYPES:
        incident_type, created = IncidentType.objects.get_or_create(
            code=code, defaults={"name": name, "default_severity": severity, "description": description}
        )
        if created:
            SopStep.objects.bulk_create(
                SopStep(incident_type=incident_type, position=n, title=title, is_required=required)
                for n, (title, required) in enumerate(steps, start=1)
            )
        found[code] = incident_type
    return found


def _rules(operator: Any, owner: Organization, province: Organization) -> None:
    common = {"area": province, "is_enabled": True}
    air = {"kind": "threshold", "source": "observation", "entity_type": "AirQualityObserved"}
    specs: list[dict[str, Any]] = [
        {
            **common,
            **air,
            "name": "Chỉ số AQI trên 100 (mức kém)",
            "attribute": "airQualityIndex",
            "operator": "gt",
            "bound": 100,
            "clear_bound": 90,
            "severity": "warning",
            "description": "AQI trên 100: nhóm nhạy cảm bị ảnh hưởng; kiểm tra nguồn phát thải quanh trạm.",
        },
        {
            **common,
            **air,
            "name": "Bụi mịn PM2.5 trên 25 µg/m³ (AQI từ mức trung bình)",
            "attribute": "PM25",
            "operator": "gt",
            "bound": 25,
            "clear_bound": 20,
            "severity": "warning",
            "description": "Vượt mục tiêu trung gian IT-4 của WHO (25 µg/m³).",
        },
        {
            **common,
            **air,
            "name": "Bụi mịn PM2.5 vượt 50 µg/m³ (QCVN 05:2023/BTNMT)",
            "attribute": "PM25",
            "operator": "gt",
            "bound": 50,
            "clear_bound": 40,
            "for_minutes": 10,
            "severity": "critical",
            "description": "Vượt giới hạn trung bình 24 giờ của quy chuẩn quốc gia, kéo dài từ 10 phút.",
        },
        {
            **common,
            "kind": "rate",
            "entity_type": "TrafficFlowObserved",
            "attribute": "averageVehicleSpeed",
            "name": "Tốc độ giao thông giảm đột ngột",
            "operator": "lte",
            "bound": -20,
            "clear_bound": -5,
            "window_minutes": 15,
            "severity": "warning",
            "description": "Tốc độ trung bình giảm hơn 20 km/h trong 15 phút: nghi có ùn tắc hoặc tai nạn.",
        },
        {
            **common,
            "kind": "no_data",
            "entity_type": "AirQualityObserved",
            "window_minutes": 90,
            "name": "Trạm quan trắc không khí mất tín hiệu",
            "severity": "info",
            "description": "Không nhận được số liệu trong 90 phút.",
        },
    ]
    flooding = Category.objects.filter(code="flooding").first()
    if flooding is not None:
        specs.append(
            {**common, "kind": "report_cluster", "category": flooding, "operator": "gte", "bound": 5, "clear_bound": 1,
             "radius_m": 500, "window_minutes": 60, "severity": "critical",
             "name": "Nhiều phản ánh ngập úng tại một khu vực",
             "description": "Từ 5 phản ánh ngập úng trong bán kính 500 m trong vòng 60 phút."}
        )  # fmt: skip
    for data in specs:
        services.rule_create(actor=operator, organization=owner, data=data)


def seed_demo(result: DemoSeedResult) -> None:
    users = result.users_by_role
    operator, leader = users[Role.IOC_OPERATOR], users[Role.LEADER]
    if IncidentType.objects.filter(code="ngap-ung").exists():
        return
    types = _incident_types(users[Role.ADMINISTRATOR])
    ioc = Organization.objects.get(code="bn-ioc")
    province = result.province
    _rules(operator, ioc, province)

    now = timezone.now()
    entity_ids = list(Entity.objects.values_list("pk", flat=True))
    if entity_ids:
        evaluate_observations(entity_ids=entity_ids, start=now - dt.timedelta(hours=25), end=now, now=now)
    evaluate_periodic(now=now)

    services.subscription_create(actor=operator, organization=province, role=Role.IOC_OPERATOR,
                                 min_severity="warning")  # fmt: skip
    services.subscription_create(actor=leader, organization=province, min_severity="critical")

    construction = Organization.objects.filter(code="bn-so-xay-dung").first()
    incident = services.incident_create(
        actor=operator, organization=ioc, incident_type=types["ngap-ung"],
        title="Ngập sâu tại ngã tư Lý Thánh Tông, phường Từ Sơn",
        description="Camera giám sát và người dân báo ngập 30–40 cm sau mưa lớn; nước rút chậm do cống tắc.",
        latitude=21.1178, longitude=105.9621, assigned_agency=construction,
    )  # fmt: skip
    for step in incident.steps.order_by("position")[:2]:
        services.incident_step_set(actor=operator, incident=incident, step_id=step.pk, done=True,
                                   note="Đã thực hiện theo quy trình.")  # fmt: skip
    services.incident_note(actor=operator, incident=incident, text="Đã đề nghị Công ty thoát nước cử tổ bơm lưu động.")
