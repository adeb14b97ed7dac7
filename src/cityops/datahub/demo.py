"""Demo data of the data hub: sectors, three datasets (public, shared, private), sensors and a day of readings.

Catalog writes go through ``cityops.datahub.services`` (audited, indexed); the readings go through the one
ingest path (``ingest.ingest_readings``), then the hourly and daily rollups are filled so charts have data.
Idempotent: nothing is created when the marker dataset (the public one) already exists; sectors are
looked up by code first.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from cityops.core.choices import Domain, Role, Visibility
from cityops.core.models import Organization
from cityops.datahub import services
from cityops.datahub.choices import RollupPeriod, UpdateFrequency
from cityops.datahub.ingest import Reading, ingest_readings
from cityops.datahub.models import Dataset, Sector
from cityops.datahub.rollups import rollup_fill

if TYPE_CHECKING:
    from cityops.core.services.demo import DemoSeedResult

__all__ = ["seed_demo"]

SECTORS: tuple[tuple[str, str, str], ...] = (
    ("giao-thong", "Giao thông vận tải", Domain.MOBILITY),
    ("xay-dung-do-thi", "Xây dựng và phát triển đô thị", Domain.LIVING),
    ("tai-nguyen-moi-truong", "Tài nguyên và môi trường", Domain.ENVIRONMENT),
)

PUBLIC_TITLE = "Danh mục các tuyến đường tỉnh trên địa bàn tỉnh Bắc Ninh"
ROADS_CSV = """ma_tuyen,ten_tuyen,chieu_dai_km,diem_dau,diem_cuoi
ĐT.276,Đường tỉnh 276,21.5,Phường Từ Sơn,Xã Yên Phong
ĐT.277,Đường tỉnh 277,18.2,Phường Từ Sơn,Xã Tam Giang
ĐT.282,Đường tỉnh 282,34.6,Phường Kinh Bắc,Xã Gia Bình
ĐT.286,Đường tỉnh 286,27.9,Phường Vũ Ninh,Xã Yên Phong
ĐT.295,Đường tỉnh 295,12.4,Phường Đồng Nguyên,Xã Tiên Du
"""

# (entity id, type, owner code, lat, long, baseline values)
SENSORS: tuple[tuple[str, str, str, float, float, dict[str, float]], ...] = (
    ("urn:ngsi-ld:AirQualityObserved:bn-kinh-bac", "AirQualityObserved", "bn-snnmt-qtmt", 21.1835, 106.0760,
     {"PM25": 38.0, "PM10": 62.0, "NO2": 28.0, "airQualityIndex": 85.0}),
    ("urn:ngsi-ld:AirQualityObserved:bn-kcn-que-vo", "AirQualityObserved", "bn-snnmt-qtmt", 21.1480, 106.1590,
     {"PM25": 46.0, "PM10": 75.0, "NO2": 34.0, "airQualityIndex": 102.0}),
    ("urn:ngsi-ld:TrafficFlowObserved:bn-ql1a-tu-son", "TrafficFlowObserved", "bn-ioc", 21.1205, 105.9712,
     {"intensity": 1450.0, "averageVehicleSpeed": 42.0, "occupancy": 0.35}),
    ("urn:ngsi-ld:TrafficFlowObserved:bn-ly-thai-to", "TrafficFlowObserved", "bn-ioc", 21.1810, 106.0690,
     {"intensity": 820.0, "averageVehicleSpeed": 31.0, "occupancy": 0.28}),
    ("urn:ngsi-ld:WaterQualityObserved:bn-song-cau", "WaterQualityObserved", "bn-snnmt-qtmt", 21.2010, 106.0830,
     {"pH": 7.2, "turbidity": 18.0, "O2": 6.1, "temperature": 22.5}),
)  # fmt: skip


def _sectors(actor: Any) -> dict[str, Sector]:
    sectors = {s.code: s for s in Sector.objects.filter(code__in=[code for code, _name, _domain in SECTORS])}
    for code, name, domain in SECTORS:
        if code not in sectors:
            sectors[code] = services.sector_create(actor=actor, code=code, name=name, domain=domain)
    return sectors


def _daily_shape(attribute: str, hour: int) -> float:
    """A plausible daily curve: rush hours for traffic and dust, a midday peak for temperature."""
    rush = math.exp(-((hour - 7.5) ** 2) / 3) + math.exp(-((hour - 17.5) ** 2) / 3)
    if attribute in {"intensity", "occupancy", "PM25", "PM10", "NO2", "airQualityIndex"}:
        return 0.55 + 0.8 * rush
    if attribute == "averageVehicleSpeed":
        return 1.2 - 0.45 * rush
    if attribute == "temperature":
        return 1.0 + 0.12 * math.sin((hour - 9) / 24 * 2 * math.pi)
    return 1.0 + 0.03 * math.sin(hour / 24 * 2 * math.pi)


def _readings(now: dt.datetime) -> list[Reading]:
    last_hour = now.replace(minute=0, second=0, microsecond=0)
    readings = []
    for step in range(24, 0, -1):
        instant = last_hour - dt.timedelta(hours=step - 1)
        local_hour = timezone.localtime(instant).hour
        for entity_id, _type, _owner, _lat, _long, baseline in SENSORS:
            for attribute, base in baseline.items():
                value = round(base * _daily_shape(attribute, local_hour), 2)
                readings.append(Reading(entity_id, attribute, instant.isoformat(), value))
    return readings


def seed_demo(result: DemoSeedResult) -> None:
    users = result.users_by_role
    administrator, head = users[Role.ADMINISTRATOR], users[Role.AGENCY_HEAD]
    sectors = _sectors(administrator)
    if Dataset.objects.filter(title=PUBLIC_TITLE).exists():
        return
    agency = Organization.objects.get(code="bn-so-xay-dung")
    roads = services.dataset_create(
        actor=head, organization=agency, sector=sectors["giao-thong"], title=PUBLIC_TITLE, domain=Domain.MOBILITY,
        visibility=Visibility.PUBLIC, update_frequency=UpdateFrequency.YEARLY, tags=["giao thông", "đường tỉnh"],
        description="Danh mục, chiều dài và điểm đầu, điểm cuối các tuyến đường tỉnh do Sở Xây dựng quản lý.",
        schema=[
            {"name": "ma_tuyen", "label": "Mã tuyến", "type": "string", "required": True},
            {"name": "ten_tuyen", "label": "Tên tuyến", "type": "string", "required": True},
            {"name": "chieu_dai_km", "label": "Chiều dài", "type": "number", "unit": "km"},
            {"name": "diem_dau", "label": "Điểm đầu", "type": "string"},
            {"name": "diem_cuoi", "label": "Điểm cuối", "type": "string"},
        ],
    )  # fmt: skip
    services.dataset_import_csv(actor=head, dataset=roads, content=ROADS_CSV.encode())
    lights = services.dataset_create(
        actor=head, organization=agency, sector=sectors["xay-dung-do-thi"], domain=Domain.LIVING,
        title="Hiện trạng hệ thống chiếu sáng công cộng đô thị", visibility=Visibility.SHARED,
        update_frequency=UpdateFrequency.MONTHLY, tags=["chiếu sáng", "hạ tầng đô thị"],
        description="Số tủ điện, số bóng đèn và tỷ lệ đèn LED theo phường; chia sẻ cho các cơ quan được cấp quyền.",
        schema=[
            {"name": "phuong_xa", "label": "Phường, xã", "type": "string", "required": True},
            {"name": "so_bong_den", "label": "Số bóng đèn", "type": "integer"},
            {"name": "ty_le_led", "label": "Tỷ lệ đèn LED", "type": "number", "unit": "%"},
        ],
    )  # fmt: skip
    services.dataset_create(
        actor=head, organization=agency, sector=sectors["xay-dung-do-thi"], domain=Domain.LIVING,
        title="Kế hoạch duy tu, sửa chữa công trình hạ tầng năm 2026 (dự thảo nội bộ)",
        visibility=Visibility.PRIVATE, update_frequency=UpdateFrequency.IRREGULAR, tags=["kế hoạch"],
        description="Dự thảo danh mục công trình duy tu, chỉ dùng nội bộ Sở Xây dựng.",
    )  # fmt: skip

    # The IOC asks for the shared lighting data; the Sở Xây dựng grants it for a year.
    ioc = Organization.objects.get(code="bn-ioc")
    grant = services.access_request(
        actor=administrator, dataset=lights, requesting_organization=ioc,
        purpose="Hiển thị hiện trạng chiếu sáng trên bản đồ điều hành của Trung tâm IOC.",
    )  # fmt: skip
    services.access_decide(
        actor=head, grant=grant, approve=True, expires_at=timezone.now() + dt.timedelta(days=365),
        note="Đồng ý chia sẻ phục vụ điều hành.",
    )  # fmt: skip

    owners = {org.code: org for org in Organization.objects.filter(code__in={s[2] for s in SENSORS})}
    for owner_code, owner in owners.items():
        entities = [
            {"entity_id": entity_id, "type": kind, "latitude": lat, "longitude": long,
             "attributes": {"name": {"type": "Property", "value": entity_id.rsplit(":", 1)[-1]}}}
            for entity_id, kind, code, lat, long, _baseline in SENSORS if code == owner_code
        ]  # fmt: skip
        services.entities_upsert(actor=administrator, organization=owner, entities=entities)
    ingest_readings(_readings(timezone.now()))
    rollup_fill(RollupPeriod.HOUR)
    rollup_fill(RollupPeriod.DAY)
