"""Rollups: hourly and local-day buckets, resumable by fill state, re-run safe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from cityops.datahub.ingest import Reading, ingest_readings
from cityops.datahub.models import Entity, FillState, Rollup
from cityops.datahub.rollups import rollup_fill, rollup_refill

pytestmark = pytest.mark.django_db
E = "urn:ngsi-ld:WeatherObserved:w-1"
T0 = datetime(2026, 1, 1, 17, 0, tzinfo=UTC)  # 00:00 on 2 January in Hà Nội


@pytest.fixture
def series(agency_a):
    Entity.objects.create(organization=agency_a, entity_id=E, type="WeatherObserved")
    # three days of a reading every 20 minutes: 20, 21, 22 in each hour
    readings = [
        Reading(E, "temperature", (T0 + timedelta(minutes=20 * i)).isoformat(), 20.0 + i % 3) for i in range(3 * 72)
    ]
    assert ingest_readings(readings).stored == 216


def test_hourly_and_daily(series):
    now = T0 + timedelta(days=3, minutes=5)
    assert rollup_fill("hour", now=now) == 72
    hour = Rollup.objects.filter(period="hour").first()
    assert (hour.count, hour.min, hour.max, hour.avg) == (3, 20.0, 22.0, 21.0)
    assert rollup_fill("day", now=now) == 3
    days = list(Rollup.objects.filter(period="day").values_list("start", "count"))
    assert days[0] == (T0, 72)  # local midnight, stored in UTC
    assert rollup_fill("hour", now=now) == 0  # nothing new
    assert Rollup.objects.count() == 75


def test_resumes_from_fill_state(series):
    now = T0 + timedelta(days=3)
    assert rollup_fill("hour", now=now, max_windows=1) == 24  # stopped after the first window
    assert FillState.objects.get(kind="hour").filled_until == T0 + timedelta(days=1)
    assert rollup_fill("hour", now=now) == 48
    assert Rollup.objects.filter(period="hour").count() == 72


def test_late_data_refill(series):
    now = T0 + timedelta(days=3)
    rollup_fill("hour", now=now)
    ingest_readings([Reading(E, "temperature", (T0 + timedelta(minutes=5)).isoformat(), 50.0)])
    rollup_refill("hour", since=T0)
    rollup_fill("hour", now=now)
    first = Rollup.objects.get(period="hour", start=T0)
    assert (first.count, first.max) == (4, 50.0)
    call_command("rollup")
