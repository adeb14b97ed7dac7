"""Fixtures of the dashboard tests: a province with two agencies, people in every staff role, citizen reports
handled by each agency, sensors of each agency with latest values, and live events of each agency."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from cityops.core.choices import Role
from cityops.core.demo_data import JURISDICTION_BBOX
from cityops.core.services import live
from cityops.dashboard import services
from cityops.datahub.ingest import Reading, ingest_readings
from cityops.datahub.models import Entity
from cityops.feedback.models import Category
from cityops.feedback.services import request_assign, request_submit, request_verify

SECRET_B = "Xylophantic"  # appears only in agency B's records: it must never reach agency A's screens


@dataclass
class World:
    province: Any
    agency_a: Any
    agency_b: Any
    leader: Any
    operator: Any
    admin: Any
    head_a: Any
    staff_a: Any
    staff_b: Any
    citizen: Any
    report_a: Any
    report_b: Any
    sensor_a: Any
    sensor_b: Any
    event_a: Any
    event_b: Any


def make_sensor(organization: Any, name: str, lat: float, long: float, aqi: float) -> Entity:
    entity = Entity.objects.create(
        organization=organization, entity_id=f"urn:ngsi-ld:AirQualityObserved:{name}", type="AirQualityObserved",
        latitude=lat, longitude=long, attributes={"name": {"type": "Property", "value": name}},
    )  # fmt: skip
    now = timezone.now().replace(microsecond=0)
    readings = [
        Reading(entity.entity_id, "airQualityIndex", (now - dt.timedelta(minutes=10 * i)).isoformat(), aqi - i)
        for i in range(6)
    ]
    readings.append(Reading(entity.entity_id, "PM25", now.isoformat(), 80.0))
    result = ingest_readings(readings)
    assert not result.rejected, result.rejected
    return entity


@pytest.fixture
def world(province, agency_a, agency_b, make_member, settings) -> World:
    settings.FEEDBACK_JURISDICTION_BBOX = tuple(float(part) for part in JURISDICTION_BBOX.split(","))
    settings.DASHBOARD_SSE_LIFETIME = 0
    operator = make_member(province, Role.IOC_OPERATOR, username="desk")
    category_a = Category.objects.create(
        code="road-damage", name_vi="Hư hỏng mặt đường", name_en="Road damage", kind="problem",
        domain="mobility", default_agency=agency_a, deadline_days=3,
    )  # fmt: skip
    category_b = Category.objects.create(
        code="street-light", name_vi="Đèn đường hỏng", name_en="Street light", kind="problem",
        domain="living", default_agency=agency_b, deadline_hours=8,
    )  # fmt: skip
    report_a = request_submit(actor=None, category=category_a, description="Ổ gà lớn trước cổng chợ",
                              lat="21.180", long="106.070")  # fmt: skip
    report_a = request_assign(actor=operator, request=request_verify(actor=operator, request=report_a), agency=agency_a)
    report_b = request_submit(actor=None, category=category_b, description=f"{SECRET_B} đèn đường hỏng",
                              lat="21.190", long="106.080")  # fmt: skip
    report_b = request_assign(actor=operator, request=request_verify(actor=operator, request=report_b), agency=agency_b)
    sensor_a = make_sensor(agency_a, "tram-a", 21.18, 106.07, 160)
    sensor_b = make_sensor(agency_b, f"{SECRET_B}-tram", 21.19, 106.08, 40)
    services.sensor_latest_refresh(force=True)
    event_a = live.publish(kind="operations.alert", organization=agency_a, title="Cảnh báo ngập tại A",
                           data={"lat": 21.18, "long": 106.07})  # fmt: skip
    event_b = live.publish(kind="operations.alert", organization=agency_b, title=f"{SECRET_B} cảnh báo B")
    return World(
        province=province, agency_a=agency_a, agency_b=agency_b,
        leader=make_member(province, Role.LEADER, username="leader"), operator=operator,
        admin=make_member(province, Role.ADMINISTRATOR, username="admin"),
        head_a=make_member(agency_a, Role.AGENCY_HEAD, username="head-a"),
        staff_a=make_member(agency_a, Role.SPECIALIST, username="staff-a"),
        staff_b=make_member(agency_b, Role.SPECIALIST, username="staff-b"),
        citizen=make_member(province, Role.CITIZEN, username="citizen"),
        report_a=report_a, report_b=report_b, sensor_a=sensor_a, sensor_b=sensor_b, event_a=event_a, event_b=event_b,
    )  # fmt: skip


def sse_body(response) -> str:
    """The whole (bounded) stream as text."""
    return b"".join(response.streaming_content).decode()


def sse_events(body: str) -> list[dict[str, str]]:
    """Parse SSE messages into dicts of their fields (comments dropped)."""
    events = []
    for block in body.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if not line or line.startswith(":"):
                continue
            name, _sep, value = line.partition(":")
            fields[name] = value[1:] if value.startswith(" ") else value
        if "data" in fields:
            events.append(fields)
    return events
