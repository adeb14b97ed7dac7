"""Fixtures of the monitoring tests: an IOC desk, two agencies with sensors, rules, and a reading helper."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from cityops.core.choices import Role
from cityops.datahub.models import Entity, Observation
from cityops.operations import services
from cityops.operations.models import IncidentType, SopStep
from tests.factories import OrganizationFactory

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def ioc(province):
    return OrganizationFactory(name="Trung tâm IOC", code="ioc", kind="department", parent=province)


@pytest.fixture
def operator(ioc, make_member):
    """An IOC operator: the province-wide desk."""
    return make_member(ioc, Role.IOC_OPERATOR, username="desk", phone="+84900000001")


@pytest.fixture
def head_a(agency_a, make_member):
    return make_member(agency_a, Role.AGENCY_HEAD, username="head-a", phone="+84900000002")


@pytest.fixture
def staff_a(agency_a, make_member):
    return make_member(agency_a, Role.SPECIALIST, username="staff-a")


@pytest.fixture
def head_b(agency_b, make_member):
    return make_member(agency_b, Role.AGENCY_HEAD, username="head-b")


@pytest.fixture
def leader(province, make_member):
    return make_member(province, Role.LEADER, username="leader")


@pytest.fixture
def citizen(province, make_member):
    return make_member(province, Role.CITIZEN, username="citizen")


def make_entity(org, name, kind="AirQualityObserved", lat=21.18, lon=106.07):
    return Entity.objects.create(
        organization=org, entity_id=f"urn:ngsi-ld:{kind}:{name}", type=kind, latitude=lat, longitude=lon,
        attributes={"name": {"type": "Property", "value": name}},
    )  # fmt: skip


@pytest.fixture
def sensor_a(agency_a):
    return make_entity(agency_a, "tram-a")


@pytest.fixture
def sensor_b(agency_b):
    return make_entity(agency_b, "tram-b", lat=21.10, lon=106.10)


def readings(entity, attribute, values, *, start=T0, step_minutes=1):
    """Store values one minute apart from ``start``; returns the time after the last."""
    at = start
    for value in values:
        Observation.objects.update_or_create(
            entity=entity, attribute=attribute, observed_at=at, defaults={"value": value}
        )
        at += dt.timedelta(minutes=step_minutes)
    return at


def threshold_data(**overrides):
    data = {
        "name": "PM2.5 cao", "kind": "threshold", "source": "observation", "severity": "warning",
        "entity_type": "AirQualityObserved", "attribute": "PM25", "operator": "gt", "bound": 50,
        "clear_bound": 40,
    }  # fmt: skip
    data.update(overrides)
    return data


@pytest.fixture
def rule_a(head_a, agency_a):
    return services.rule_create(actor=head_a, organization=agency_a, data=threshold_data())


@pytest.fixture
def flooding_type():
    incident_type = IncidentType.objects.create(code="ngap-ung", name="Ngập úng", default_severity="critical")
    SopStep.objects.create(incident_type=incident_type, position=1, title="Xác minh hiện trường", is_required=True)
    SopStep.objects.create(incident_type=incident_type, position=2, title="Thông báo đơn vị", is_required=True)
    SopStep.objects.create(incident_type=incident_type, position=3, title="Cập nhật cổng thông tin", is_required=False)
    return incident_type


def now():
    return timezone.now()
