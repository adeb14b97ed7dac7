"""Reproducible benchmark data: the same seed and sizes always give the same rows (relative to an anchor time).

Pure Python with no database or Django import, so the generators are tested on their own
(``tests/bench/test_datasets.py``). Each generator takes a ``random.Random`` seeded from the run's seed and a
per-data-set salt, so changing the size of one data set never changes the rows of another.

Times are offsets back from ``anchor`` (the hour the data set was loaded, stored in the marker table): the
rows are identical for a given seed and anchor, and the data always looks recent to the product (Open311's
90-day default window, "latest values" on a dashboard).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = [
    "OBSERVATION_STEP",
    "SCALES",
    "SEARCH_QUERIES",
    "Sizes",
    "document_rows",
    "observation_layout",
    "observation_lines",
    "report_rows",
    "rng_for",
]

# Five attributes per Smart Data Model type (all in ``datahub.smartmodels.UNITS``), with a plausible level
# and daily swing, so rollups and indicators have something to chew on.
SENSOR_TYPES: dict[str, tuple[tuple[str, float, float], ...]] = {
    "AirQualityObserved": (("PM25", 35, 15), ("PM10", 55, 20), ("NO2", 30, 10), ("O3", 60, 25), ("CO", 0.8, 0.3)),
    "TrafficFlowObserved": (
        ("intensity", 400, 300), ("occupancy", 0.3, 0.2), ("averageVehicleSpeed", 35, 10),
        ("averageHeadwayTime", 4, 2), ("averageVehicleLength", 4.5, 0.5),
    ),
    "WaterQualityObserved": (("pH", 7.2, 0.3), ("temperature", 27, 3), ("turbidity", 8, 4), ("O2", 6, 1.5),
                             ("conductivity", 300, 60)),
    "NoiseLevelObserved": (("LAeq", 62, 8), ("LAmax", 78, 10), ("LAmin", 45, 5), ("LAeq_d", 64, 6),
                           ("LAeq_n", 52, 5)),
    "WeatherObserved": (("temperature", 26, 5), ("relativeHumidity", 78, 12), ("atmosphericPressure", 1008, 4),
                        ("precipitation", 2, 2), ("windSpeed", 3, 2)),
}  # fmt: skip
OBSERVATION_STEP = timedelta(minutes=15)


@dataclass(frozen=True)
class Sizes:
    """How much data one scale loads; ``entities`` sensors share the observations evenly."""

    reports: int
    observations: int
    documents: int
    entities: int


SCALES: dict[str, Sizes] = {
    "full": Sizes(reports=200_000, observations=10_000_000, documents=200_000, entities=1_000),
    "small": Sizes(reports=20_000, observations=500_000, documents=20_000, entities=100),
}

# Document search queries, half typed without diacritics: every one must find the same as its accented form.
SEARCH_QUERIES: tuple[str, ...] = (
    "quy hoach", "quy hoạch sử dụng đất", "ngan sach", "giải phóng mặt bằng", "chuyen doi so", "phòng chống",
    "duong giao thong", "xây dựng nông thôn mới", "tuyen sinh", "đầu tư công", "ve sinh moi truong",
    "kế hoạch", "bao cao", "thien tai", "an toàn thực phẩm", "cai cach hanh chinh",
)  # fmt: skip

_SUBJECTS = (
    "Về việc triển khai kế hoạch quy hoạch sử dụng đất năm {year} tại {place}",
    "Báo cáo tình hình thực hiện dự toán ngân sách nhà nước quý {q} năm {year}",
    "Về việc đẩy nhanh tiến độ giải phóng mặt bằng dự án đường giao thông {place}",
    "Kế hoạch chuyển đổi số và phát triển chính quyền số năm {year}",
    "Về việc tăng cường công tác phòng chống thiên tai, tìm kiếm cứu nạn mùa mưa bão {year}",
    "Hướng dẫn tuyển sinh vào lớp 10 trung học phổ thông năm học {year}-{next}",
    "Về việc thực hiện Chương trình mục tiêu quốc gia xây dựng nông thôn mới tại {place}",
    "Báo cáo kết quả giải ngân vốn đầu tư công {month} tháng đầu năm {year}",
    "Về việc bảo đảm an toàn thực phẩm trong dịp Tết Nguyên đán {year}",
    "Kế hoạch cải cách hành chính giai đoạn {year}-{plus5}",
    "Về việc tổ chức tổng vệ sinh môi trường, thu gom rác thải tại {place}",
    "Thông báo kết luận của Chủ tịch UBND tỉnh về tình hình kinh tế - xã hội tháng {month}",
    "Về việc phê duyệt chủ trương đầu tư dự án khu đô thị mới {place}",
    "Báo cáo công tác thanh tra, giải quyết khiếu nại, tố cáo quý {q} năm {year}",
    "Về việc điều chỉnh giá đất cụ thể để tính bồi thường tại {place}",
    "Kế hoạch kiểm tra công tác phòng cháy chữa cháy tại các cơ sở sản xuất, kinh doanh",
)
_SENDERS = (
    ("000.00.01.H08", "Văn phòng Chính phủ"), ("000.00.00.G12", "Bộ Tài chính"), ("000.00.00.G22", "Bộ Xây dựng"),
    ("000.00.00.G16", "Bộ Nông nghiệp và Môi trường"), ("000.00.00.G15", "Bộ Nội vụ"),
    ("000.00.00.G09", "Bộ Giáo dục và Đào tạo"), ("000.00.00.G25", "Bộ Khoa học và Công nghệ"),
)  # fmt: skip
_NOTATIONS = ("QĐ-UBND", "CV-UBND", "KH-UBND", "BC-UBND", "TB-UBND", "HD-SXD", "CV-STC", "QĐ-STNMT")
_REPORT_TEXTS = (
    "Mặt đường {place} bị sụt lún, có ổ gà sâu, xe máy đi qua rất nguy hiểm vào buổi tối.",
    "Đèn chiếu sáng công cộng trên tuyến đường {place} không sáng đã nhiều đêm.",
    "Sau mưa lớn khu vực {place} ngập sâu, nước rút chậm do cống thoát nước bị tắc.",
    "Rác thải sinh hoạt tồn đọng ở điểm tập kết {place} chưa được thu gom, bốc mùi hôi.",
    "Nhiều hộ kinh doanh lấn chiếm vỉa hè tại {place}, người đi bộ phải xuống lòng đường.",
    "Khói và mùi khét từ khu vực đốt phế liệu gần {place} xuất hiện vào chiều tối.",
    "Nước máy tại {place} có màu vàng đục và mùi lạ, người dân không dám sử dụng.",
    "Xe tải chở vật liệu xây dựng chạy tốc độ cao qua {place}, làm rơi vãi đất cát ra đường.",
    "Đề nghị bố trí thêm cây xanh và ghế đá tại khu vui chơi {place}.",
)
# The demo province's bounding box (south, west, north, east), where reports are placed.
BBOX = (20.95, 105.90, 21.55, 106.75)


def rng_for(seed: int, salt: str) -> random.Random:
    """A generator for one data set: the same seed and salt always give the same sequence."""
    return random.Random(f"{seed}:{salt}")  # noqa: S311 - test data, not secrets


def _at(anchor: datetime, rng: random.Random, days: float) -> datetime:
    """A time within ``days`` before ``anchor``, to the second."""
    return anchor - timedelta(seconds=int(rng.random() * days * 86_400) + 60)


# --- Observations -------------------------------------------------------------------------------------------


def observation_layout(sizes: Sizes) -> tuple[list[tuple[str, str]], int]:
    """The sensors ([(NGSI-LD id, type)]) and how many 15-minute steps each attribute gets."""
    types = list(SENSOR_TYPES)
    entities = [
        (f"urn:ngsi-ld:{types[i % len(types)]}:bench-{i:05d}", types[i % len(types)]) for i in range(sizes.entities)
    ]
    steps = max(1, sizes.observations // (sizes.entities * 5))
    return entities, steps


def observation_lines(
    seed: int, sizes: Sizes, entity_pks: Sequence[int], anchor: datetime, *, chunk: int = 200_000
) -> Iterator[str]:
    """COPY text (entity_id, attribute, observed_at, value) in chunks, oldest step first, as sensors send them.

    ``entity_pks`` are the database ids of ``observation_layout``'s entities, in the same order.
    """
    rng = rng_for(seed, "observations")
    entities, steps = observation_layout(sizes)
    series = []
    for (_eid, kind), pk in zip(entities, entity_pks, strict=True):
        for attribute, level, swing in SENSOR_TYPES[kind]:
            series.append((f"{pk}\t{attribute}\t", level * (0.8 + 0.4 * rng.random()), swing))
    start = anchor - OBSERVATION_STEP * steps
    lines: list[str] = []
    rand = rng.random
    for step in range(steps):
        instant = start + OBSERVATION_STEP * step
        stamp = instant.strftime("%Y-%m-%d %H:%M:%S+00")
        daily = math.sin(2 * math.pi * (instant.hour * 60 + instant.minute) / 1440)
        for head, level, swing in series:
            lines.append(f"{head}{stamp}\t{max(0.0, level + swing * (daily + rand() - 0.5)):.3f}\n")
        if len(lines) >= chunk:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


# --- Citizen reports ----------------------------------------------------------------------------------------

# (status, share): most reports are closed and published, as after a year of operation.
_REPORT_STATUSES = (
    ("published", 0.55), ("rejected", 0.05), ("duplicate", 0.03), ("submitted", 0.06), ("verified", 0.05),
    ("assigned", 0.08), ("accepted", 0.06), ("in_progress", 0.08), ("resolved", 0.04),
)  # fmt: skip
_CLOSED = {"published", "rejected", "duplicate"}


def _pick(rng: random.Random, shares: Sequence[tuple[str, float]]) -> str:
    roll = rng.random()
    for value, share in shares:
        roll -= share
        if roll < 0:
            return value
    return shares[-1][0]


def report_rows(
    seed: int,
    count: int,
    *,
    anchor: datetime,
    first_id: int,
    categories: Sequence[int],
    agencies: Sequence[int],
    areas: Sequence[tuple[int, str]],
    desk: int,
) -> Iterator[dict[str, object]]:
    """Citizen requests over the last year (ids from ``first_id``); ``areas`` are (ward id, ward name)."""
    rng = rng_for(seed, "reports")
    south, west, north, east = BBOX
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    for index in range(count):
        created = _at(anchor, rng, 365)
        status = _pick(rng, _REPORT_STATUSES)
        area_id, area_name = areas[rng.randrange(len(areas))]
        deadline = created + timedelta(days=rng.choice((2, 3, 5, 7, 10)))
        closed = created + timedelta(hours=rng.randrange(4, 24 * 12)) if status in _CLOSED else None
        updated = closed or created + timedelta(hours=rng.randrange(0, 72))
        yield {
            "id": first_id + index,
            "tracking_code": "BN" + "".join(alphabet[rng.randrange(32)] for _ in range(10)),
            "category_id": categories[rng.randrange(len(categories))],
            "organization_id": desk if status in {"submitted", "verified"} else agencies[rng.randrange(len(agencies))],
            "description": rng.choice(_REPORT_TEXTS).format(place=area_name),
            "lat": f"{south + (north - south) * rng.random():.6f}",
            "long": f"{west + (east - west) * rng.random():.6f}",
            "address": area_name,
            "area_id": area_id,
            "channel": rng.choice(("web", "web", "web", "open311", "staff")),
            "status": status,
            "answer": "Đơn vị đã xử lý xong và báo cáo kết quả." if status == "published" else "",
            "deadline": deadline,
            "closed_at": closed,
            "created_at": created,
            "updated_at": updated,
            "rating": rng.randrange(1, 6) if status == "published" and rng.random() < 0.4 else None,
        }


# --- Documents ----------------------------------------------------------------------------------------------


def document_rows(
    seed: int,
    count: int,
    *,
    anchor: datetime,
    first_id: int,
    organizations: Sequence[int],
    places: Sequence[str],
    document_types: Sequence[tuple[int, str]],
) -> Iterator[tuple[str, dict[str, object]]]:
    """("incoming" | "outgoing", fields) — seven in ten incoming, as at a provincial office."""
    rng = rng_for(seed, "documents")
    for index in range(count):
        created = _at(anchor, rng, 3 * 365)
        year = created.year
        subject = rng.choice(_SUBJECTS).format(
            year=year, next=year + 1, plus5=year + 5, q=rng.randrange(1, 5), month=rng.randrange(1, 13),
            place=rng.choice(places),
        )  # fmt: skip
        type_id, type_name = document_types[rng.randrange(len(document_types))] if document_types else (None, "")
        fields: dict[str, object] = {
            "id": first_id + index,
            "organization_id": organizations[rng.randrange(len(organizations))],
            "document_type_id": type_id,
            "type_name": type_name,
            "number": str(rng.randrange(1, 3000)),
            "notation": rng.choice(_NOTATIONS),
            "issued_date": created.date(),
            "place": "Bắc Ninh",
            "subject": subject,
            "urgency": 0 if rng.random() < 0.9 else 1,
            "created_at": created,
            "updated_at": created,
        }
        if rng.random() < 0.7:
            organ_id, sender = rng.choice(_SENDERS)
            fields.update(
                sender_organ_id=organ_id, sender_name=sender, received_via=rng.choice(("edxml", "upload")),
                status=rng.choice(("received", "registered", "directed", "in_progress", "done", "done")),
                arrival_date=created,
            )  # fmt: skip
            yield "incoming", fields
        else:
            fields.update(status=rng.choice(("draft", "issued", "issued", "archived")), issued_at=created)
            yield "outgoing", fields


def anchor_hour(now: datetime | None = None) -> datetime:
    """The anchor of a new data set: the current hour (UTC)."""
    now = now or datetime.now(UTC)
    return now.replace(minute=0, second=0, microsecond=0)
