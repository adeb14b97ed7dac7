"""Data-quality flags (out of range, stuck, stale) on pages and in the API; retention pruning keeps rollups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from cityops.core.models import AuditEvent
from cityops.datahub import services
from cityops.datahub.ingest import Reading, ingest_readings
from cityops.datahub.models import (
    DatasetVersion,
    Entity,
    EntityTypeRetention,
    FillState,
    Observation,
    Rollup,
    Sector,
)
from cityops.datahub.quality import entity_quality, prune_retention
from cityops.datahub.rollups import rollup_fill

pytestmark = pytest.mark.django_db
AQ = "urn:ngsi-ld:AirQualityObserved:q-1"


@pytest.fixture
def sensor(agency_a):
    return Entity.objects.create(organization=agency_a, entity_id=AQ, type="AirQualityObserved")


def feed(values, *, attribute="PM10", start=None, step=timedelta(minutes=15)):
    start = start or timezone.now() - step * len(values)
    ingest_readings([Reading(AQ, attribute, (start + step * i).isoformat(), v) for i, v in enumerate(values)])


def flags(entity):
    return {s.attribute: s.flags for s in entity_quality(entity)}


def test_healthy_series_has_no_flags(sensor):
    feed([10.0, 12.0, 11.0, 13.0, 12.5, 14.0, 15.0])
    assert flags(sensor) == {"PM10": []}


def test_out_of_range_stuck_and_stale(sensor):
    feed([10.0, 3000.0])  # PM10 over 2,000 µg/m³ is not a real reading
    feed([55.0] * 7, attribute="relativeHumidity")  # the same value for 1.5 hours
    feed([20.0], attribute="NO2", start=timezone.now() - timedelta(hours=5))
    found = flags(sensor)
    assert found["PM10"] == ["out_of_range"]
    assert found["relativeHumidity"] == ["stuck"]
    assert found["NO2"] == ["stale"]


def test_a_few_equal_values_are_not_stuck(sensor):
    feed([55.0] * 3)
    assert flags(sensor) == {"PM10": []}


def test_flags_on_pages_and_api_are_scoped(sensor, client, make_member, agency_a, agency_b, key_a, key_b):
    feed([10.0, -5.0])
    client.force_login(make_member(agency_a, "specialist", username="q-spec-a"))
    page = client.get("/datahub/sensors/").content.decode()
    assert 'data-flag="out_of_range"' in page and AQ in page
    detail = client.get(f"/datahub/sensors/{sensor.pk}/").content.decode()
    assert 'data-flag="out_of_range"' in detail
    api = client.get(f"/api/v1/datahub/entities/{AQ}/quality", headers={"Authorization": f"Bearer {key_a}"})
    assert api.status_code == 200 and api.json()["series"][0]["flags"] == ["out_of_range"]

    other = client.get(f"/api/v1/datahub/entities/{AQ}/quality", headers={"Authorization": f"Bearer {key_b}"})
    assert other.status_code == 404
    client.force_login(make_member(agency_b, "specialist", username="q-spec-b"))
    assert client.get(f"/datahub/sensors/{sensor.pk}/").status_code == 404
    assert AQ not in client.get("/datahub/sensors/").content.decode()
    client.force_login(make_member(agency_a, "citizen", username="q-citizen"))
    assert client.get("/datahub/sensors/").status_code == 403


def test_retention_prunes_raw_observations_but_keeps_rollups(sensor):
    old = datetime(2026, 1, 1, 0, 30, tzinfo=UTC)
    feed([1.0, 2.0, 3.0], start=old, step=timedelta(hours=1))
    feed([4.0], start=timezone.now() - timedelta(minutes=1))
    EntityTypeRetention.objects.create(entity_type="AirQualityObserved", keep_days=30)
    assert prune_retention() == {"observations": 0, "versions": 0}  # nothing rolled up yet: nothing goes
    rollup_fill("hour")
    rollup_fill("day")
    rollups_before = Rollup.objects.count()
    assert rollups_before > 0
    done = prune_retention()
    assert done["observations"] == 3
    assert list(Observation.objects.values_list("value", flat=True)) == [4.0]
    assert Rollup.objects.count() == rollups_before
    assert AuditEvent.objects.filter(verb="datahub.observations.pruned").exists()


def test_pruning_never_passes_the_daily_rollup(sensor):
    start = timezone.now() - timedelta(days=40)
    feed([1.0, 2.0], start=start, step=timedelta(days=5))
    EntityTypeRetention.objects.create(entity_type="AirQualityObserved", keep_days=1)
    FillState.objects.create(kind="day", filled_until=start + timedelta(days=1))
    assert prune_retention()["observations"] == 1  # only what the day rollup already covers


def test_dataset_keeps_its_last_versions(agency_a, make_member):
    head = make_member(agency_a, "agency_head", username="q-head")
    sector = Sector.objects.create(code="s", name="S", domain="environment")
    dataset = services.dataset_create(actor=head, organization=agency_a, sector=sector, title="T",
                                      domain="environment", visibility="private",
                                      schema=[{"name": "a", "type": "integer"}])  # fmt: skip
    for n in range(4):
        services.dataset_records_replace(actor=head, dataset=dataset, rows=[(2, {"a": n})])
    dataset.keep_versions = 2
    dataset.save()
    assert prune_retention()["versions"] == 2
    assert sorted(DatasetVersion.objects.values_list("number", flat=True)) == [3, 4]
    dataset.refresh_from_db()
    assert dataset.current_version.number == 4


def test_retention_task_runs(sensor):
    from cityops.datahub.tasks import prune_retention_task

    assert prune_retention_task.enqueue().return_value == {"observations": 0, "versions": 0}
