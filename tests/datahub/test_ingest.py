"""The one ingest path: idempotent bulk upsert, and every refused row reported with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from cityops.datahub.ingest import Reading, ingest_readings
from cityops.datahub.models import Entity, Observation

pytestmark = pytest.mark.django_db

AQ = "urn:ngsi-ld:AirQualityObserved:bn-001"


@pytest.fixture
def sensor(agency_a):
    return Entity.objects.create(organization=agency_a, entity_id=AQ, type="AirQualityObserved")


def batch(n: int = 50) -> list[Reading]:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [Reading(AQ, "PM10", (start + timedelta(minutes=i)).isoformat(), 20.0 + i) for i in range(n)] + [
        Reading(AQ, "NO2", start.isoformat(), 41)
    ]


def test_same_batch_twice_gives_same_rows(sensor):
    first = ingest_readings(batch())
    assert first.stored == 51 and first.rejected == []
    rows = sorted(Observation.objects.values_list("attribute", "observed_at", "value"))
    second = ingest_readings(batch())
    assert second.stored == 51
    assert sorted(Observation.objects.values_list("attribute", "observed_at", "value")) == rows
    assert Observation.objects.count() == 51


def test_resent_value_overwrites(sensor):
    at = "2026-01-01T00:00:00+07:00"
    ingest_readings([Reading(AQ, "PM10", at, 10)])
    ingest_readings([Reading(AQ, "PM10", at, 12.5), Reading(AQ, "PM10", at, 13.5)])
    assert list(Observation.objects.values_list("value", flat=True)) == [13.5]


def test_rejects_with_reasons_and_keeps_valid_rows(sensor):
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    soon = (timezone.now() + timedelta(minutes=2)).isoformat()
    readings = [
        Reading(AQ, "PM10", "2026-01-01T00:00:00Z", 30),  # ok
        Reading(AQ, "PM10", future, 30),
        Reading(AQ, "PM10", "2026-01-01T01:00:00", 30),  # no time zone
        Reading(AQ, "PM10", "yesterday", 30),
        Reading(AQ, "PM10", "2026-01-01T02:00:00Z", "30"),  # text, not a number
        Reading(AQ, "PM10", "2026-01-01T03:00:00Z", True),
        Reading(AQ, "PM10", "2026-01-01T04:00:00Z", float("nan")),
        Reading(AQ, "speed", "2026-01-01T05:00:00Z", 1),  # not in the type's units table
        Reading("urn:ngsi-ld:AirQualityObserved:nope", "PM10", "2026-01-01T00:00:00Z", 1),
        Reading(AQ, "PM10", soon, 31),  # within the clock-skew tolerance
    ]
    result = ingest_readings(readings)
    assert result.stored == 2
    reasons = {r.index: r.reason for r in result.rejected}
    assert set(reasons) == {1, 2, 3, 4, 5, 6, 7, 8}
    assert "future" in reasons[1]
    assert "time zone" in reasons[2]
    assert "ISO 8601" in reasons[3]
    assert "number" in reasons[4] and "number" in reasons[5] and "finite" in reasons[6]
    assert "Unknown attribute" in reasons[7]
    assert "Unknown entity" in reasons[8]
    assert Observation.objects.count() == 2


def test_foreign_entities_refused_when_scoped(sensor, agency_b):
    result = ingest_readings([Reading(AQ, "PM10", "2026-01-01T00:00:00Z", 1)], organization_ids={agency_b.pk})
    assert result.stored == 0 and "Unknown entity" in result.rejected[0].reason


def test_bench_command(agency_a, capsys):
    from django.core.management import CommandError, call_command

    from cityops.core.db import is_postgres

    if not is_postgres():
        with pytest.raises(CommandError):
            call_command("bench_ingest", values=10)
        return
    call_command("bench_ingest", values=500, batch=100, entities=5)
    out = capsys.readouterr().out
    assert "ingest path:" in out and "raw COPY:" in out
    assert not Entity.objects.filter(entity_id__contains=":bench-").exists()
