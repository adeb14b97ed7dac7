"""Demo data of the schedule module: a meeting room and the Chairman's published schedule for two weeks.

Everything goes through ``cityops.schedule.services`` (audited, indexed, participants told). The dates
follow the current week, so the demo always shows this week and the next. Idempotent: nothing is created
when the demo meeting room already exists.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.utils import timezone

from cityops.core.choices import Role
from cityops.core.models import Organization
from cityops.core.workdays import is_working_day, local_tz
from cityops.schedule import services
from cityops.schedule.models import Room

if TYPE_CHECKING:
    from cityops.core.services.demo import DemoSeedResult

__all__ = ["seed_demo"]

ROOM_NAME = "Phòng họp số 1 - Trụ sở UBND tỉnh"

# (week 0 = this week, 1 = next; weekday 0 = Monday; start "HH:MM"; hours; content; location or room;
#  preparing agency code; participating agency codes)
ITEMS: tuple[tuple[int, int, str, float, str, str, str, tuple[str, ...]], ...] = (
    (0, 0, "08:00", 1.5, "Giao ban lãnh đạo UBND tỉnh đầu tuần", "room", "bn-vp-ubnd", ()),
    (0, 1, "14:00", 2.5, "Họp nghe báo cáo tình hình vận hành Trung tâm Điều hành đô thị thông minh tỉnh",
     "Trung tâm IOC tỉnh, số 10 Phù Đổng Thiên Vương", "bn-ioc", ("bn-so-kh-cn", "bn-so-xay-dung")),
    (0, 2, "08:30", 3.0, "Kiểm tra tiến độ dự án đường vành đai 4 đoạn qua tỉnh Bắc Ninh",
     "Hiện trường dự án, phường Từ Sơn", "bn-so-xay-dung", ("bn-bqlda-gt-nn",)),
    (0, 3, "14:00", 2.0, "Tiếp công dân định kỳ tháng", "Trụ sở Tiếp công dân tỉnh", "bn-thanh-tra", ()),
    (0, 4, "08:00", 3.5, "Phiên họp thường kỳ UBND tỉnh tháng", "room", "bn-vp-ubnd",
     ("bn-so-tai-chinh", "bn-so-xay-dung", "bn-so-nn-mt")),
    (1, 0, "08:00", 1.5, "Giao ban lãnh đạo UBND tỉnh đầu tuần", "room", "bn-vp-ubnd", ()),
    (1, 1, "09:00", 2.0, "Làm việc với Ban Quản lý các khu công nghiệp về thu hút đầu tư",
     "Ban Quản lý các khu công nghiệp tỉnh", "bn-bql-kcn", ("bn-tt-xtdt",)),
    (1, 3, "14:00", 2.5, "Hội nghị trực tuyến về chuyển đổi số và phát triển đô thị thông minh", "room",
     "bn-so-kh-cn", ("bn-ioc", "bn-so-kh-cn")),
)  # fmt: skip


def _local(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=local_tz())


def seed_demo(result: DemoSeedResult) -> None:
    if Room.objects.filter(organization=result.province, name=ROOM_NAME).exists():
        return
    users = result.users_by_role
    leader, clerk, administrator = users[Role.LEADER], users[Role.CLERK], users[Role.ADMINISTRATOR]
    province = result.province
    room = services.room_create(actor=administrator, organization=province, name=ROOM_NAME, capacity=60)
    # The office clerk keeps the Chairman's calendar.
    services.secretary_assign(actor=leader, organization=province, leader=leader, secretary=clerk)
    agencies = {org.code: org for org in Organization.objects.filter(code__startswith="bn-")}
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    for week, weekday, start, hours, content, place, preparing, participating in ITEMS:
        day = monday + dt.timedelta(days=7 * week + weekday)
        if not is_working_day(day):
            continue
        begin = _local(day, start)
        saved = services.event_create(
            actor=clerk, organization=province, leader=leader, start=begin,
            end=begin + dt.timedelta(hours=hours), content=content,
            location="" if place == "room" else place, room=room if place == "room" else None,
            preparing_agency=agencies.get(preparing),
            participating_agencies=[agencies[code] for code in participating if code in agencies],
            participants=[users[Role.AGENCY_HEAD]] if "bn-so-xay-dung" in participating else [],
            accompanying_staff="LĐVP: Đ/c Chánh Văn phòng UBND tỉnh",
        )  # fmt: skip
        services.event_publish(actor=clerk, event=saved.event)
    # A recurring item: the Chairman's regular citizen reception, every Thursday afternoon for eight weeks.
    thursday = monday + dt.timedelta(days=3)
    series = services.event_create(
        actor=clerk, organization=province, leader=leader, start=_local(thursday, "14:00"),
        end=_local(thursday, "16:30"), content="Tiếp công dân định kỳ của Chủ tịch UBND tỉnh",
        location="Trụ sở Tiếp công dân tỉnh", preparing_agency=agencies.get("bn-vp-ubnd"),
        recurrence="FREQ=WEEKLY;COUNT=8",
    )  # fmt: skip
    services.event_publish(actor=clerk, event=series.event, whole_series=True)
