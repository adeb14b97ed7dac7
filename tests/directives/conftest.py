"""Fixtures of the directives tests: a provincial leader, two agencies with heads and staff, a helper to issue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cityops.core.choices import Role
from cityops.directives import services
from cityops.directives.services import TaskSpec


@pytest.fixture
def leader(province, make_member):
    return make_member(province, Role.LEADER, username="lanh.dao.tinh", full_name="Lê Văn Lãnh")


@pytest.fixture
def head_a(agency_a, make_member):
    return make_member(agency_a, Role.AGENCY_HEAD, username="gd.xaydung", full_name="Trần Giám Đốc")


@pytest.fixture
def staff_a(agency_a, make_member):
    return make_member(agency_a, Role.SPECIALIST, username="cv.xaydung", full_name="Phạm Chuyên Viên")


@pytest.fixture
def head_b(agency_b, make_member):
    return make_member(agency_b, Role.AGENCY_HEAD, username="gd.yte", full_name="Đỗ Giám Đốc")


@pytest.fixture
def staff_b(agency_b, make_member):
    return make_member(agency_b, Role.SPECIALIST, username="cv.yte", full_name="Vũ Chuyên Viên")


def in_days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


@pytest.fixture
def issue(province, leader):
    """Issue a directive by the provincial leader with one task per given agency; returns the tasks."""

    def make(*agencies, deadline=None, actor=None, title="Khắc phục ngập úng", **task_fields):
        directive = services.directive_issue(
            actor=actor or leader,
            organization=province,
            title=title,
            content="Kết luận cuộc họp giao ban",
            source_kind="meeting",
            tasks=[
                TaskSpec(title=f"{title} — {a.name}", lead_agency=a, deadline=deadline, **task_fields) for a in agencies
            ],
        )
        return list(directive.tasks.order_by("id"))

    return make


@pytest.fixture(autouse=True)
def _english():
    """Service messages are checked in their English source form, whatever the catalogue holds."""
    from django.utils import translation

    with translation.override("en"):
        yield
