"""Fixtures of the work calendar: a provincial leader, a secretary, the office clerk, a meeting room."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cityops.core.choices import Role
from cityops.schedule import services

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A local time in the week of Monday 23 November 2026 (day 0 = Monday)."""
    return datetime(2026, 11, 23, hour, minute, tzinfo=HCM) + timedelta(days=day)


@pytest.fixture
def chairman(province, make_member):
    return make_member(province, Role.LEADER, username="chu.tich", full_name="Nguyễn Văn Chủ Tịch")


@pytest.fixture
def vice_chairman(province, make_member):
    return make_member(province, Role.LEADER, username="pho.chu.tich", full_name="Trần Thị Phó")


@pytest.fixture
def secretary(province, chairman, make_member):
    user = make_member(province, Role.SPECIALIST, username="thu.ky", full_name="Lê Thư Ký")
    services.secretary_assign(actor=chairman, organization=province, leader=chairman, secretary=user)
    return user


@pytest.fixture
def office_clerk(province, make_member):
    return make_member(province, Role.CLERK, username="van.phong", full_name="Phạm Văn Phòng")


@pytest.fixture
def province_admin(province, make_member):
    return make_member(province, Role.ADMINISTRATOR, username="quan.tri")


@pytest.fixture
def head_a(agency_a, make_member):
    return make_member(agency_a, Role.AGENCY_HEAD, username="giam.doc.a", full_name="Giám đốc Sở Xây dựng")


@pytest.fixture
def clerk_a(agency_a, make_member):
    return make_member(agency_a, Role.CLERK, username="clerk.a")


@pytest.fixture
def clerk_b(agency_b, make_member):
    return make_member(agency_b, Role.CLERK, username="clerk.b")


@pytest.fixture
def head_b(agency_b, make_member):
    return make_member(agency_b, Role.AGENCY_HEAD, username="giam.doc.b")


@pytest.fixture
def room(province, province_admin):
    return services.room_create(actor=province_admin, organization=province, name="Phòng họp số 1", capacity=40)


@pytest.fixture
def make_event(province, chairman, office_clerk):
    """Create an item (through the service) with sensible defaults."""

    def make(**overrides):
        values = {
            "actor": office_clerk,
            "organization": province,
            "leader": chairman,
            "start": at(0, 8),
            "end": at(0, 10),
            "content": "Họp giao ban",
        }
        values.update(overrides)
        return services.event_create(**values).event

    return make


@pytest.fixture(autouse=True)
def _english_messages():
    """Service messages are asserted in their English source text, whatever the catalogue holds."""
    from django.utils import translation

    with translation.override("en"):
        yield
