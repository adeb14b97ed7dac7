"""Drill-down pages (domain, area, agency, sensor), the sensors' latest values, and bounded reads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cityops.dashboard import bands, services
from cityops.dashboard.models import SensorLatest
from cityops.datahub.ingest import Reading, ingest_readings
from tests.dashboard.conftest import SECRET_B

pytestmark = pytest.mark.django_db


def test_domain_pages_and_unknown_domain(client, world):
    client.force_login(world.leader)
    for code in ("economy", "environment"):
        response = client.get(reverse("dashboard:domain", kwargs={"code": code}))
        assert response.status_code == 200 and 'data-testid="domain-indicators"' in response.content.decode()
    assert client.get(reverse("dashboard:domain", kwargs={"code": "nope"})).status_code == 404


def test_agency_page_counts_and_isolation(client, world):
    type(world.report_a).objects.filter(pk=world.report_a.pk).update(deadline=timezone.now() - dt.timedelta(hours=1))
    client.force_login(world.head_a)
    response = client.get(reverse("dashboard:agency", kwargs={"pk": world.agency_a.pk}))
    assert response.status_code == 200
    body = response.content.decode()
    assert world.report_a.tracking_code in body
    assert client.get(reverse("dashboard:agency", kwargs={"pk": world.agency_b.pk})).status_code == 404
    listing = client.get(reverse("dashboard:agencies")).content.decode()
    assert world.agency_a.name in listing and world.agency_b.name not in listing


def test_area_page_shows_only_visible_reports(client, world):
    from tests.factories import OrganizationFactory

    ward = OrganizationFactory(parent=world.province, kind="ward", name="Phường Vũ Ninh")
    type(world.report_b).objects.filter(pk=world.report_b.pk).update(area=ward)
    type(world.report_a).objects.filter(pk=world.report_a.pk).update(area=ward)
    client.force_login(world.staff_a)
    body = client.get(reverse("dashboard:area", kwargs={"pk": ward.pk})).content.decode()
    assert world.report_a.tracking_code in body and world.report_b.tracking_code not in body and SECRET_B not in body
    assert client.get(reverse("dashboard:area", kwargs={"pk": world.agency_a.pk})).status_code == 404


def test_sensor_page_draws_the_series_with_thresholds(client, world):
    client.force_login(world.leader)
    url = reverse("dashboard:sensor", kwargs={"pk": world.sensor_a.pk})
    body = client.get(url + "?attribute=PM25&hours=abc").content.decode()
    assert '<svg class="chart"' in body and 'class="threshold"' in body and "QCVN 05:2023" in body
    assert "style=" not in body.split('<figure class="chart-box"')[1].split("</figure>")[0]
    body = client.get(url + "?attribute=<script>").content.decode()
    assert "<script>" not in body.split('<figure class="chart-box"')[1]


def test_sensor_of_another_agency_is_not_found(client, world):
    client.force_login(world.staff_a)
    assert client.get(reverse("dashboard:sensor", kwargs={"pk": world.sensor_b.pk})).status_code == 404
    assert client.get(reverse("dashboard:sensor", kwargs={"pk": 999999})).status_code == 404


def test_latest_values_follow_new_observations(world):
    now = timezone.now().replace(microsecond=0)
    ingest_readings(
        [Reading(world.sensor_a.entity_id, "airQualityIndex", (now + dt.timedelta(seconds=1)).isoformat(), 42)]
    )
    assert services.sensor_latest_refresh() == 0  # refreshed moments ago by the fixture: not yet again
    assert services.sensor_latest_refresh(force=True) == 1
    row = SensorLatest.objects.get(entity=world.sensor_a, attribute="airQualityIndex")
    assert row.value == 42
    # An older reading arriving late does not replace the latest one.
    ingest_readings(
        [Reading(world.sensor_a.entity_id, "airQualityIndex", (now - dt.timedelta(hours=5)).isoformat(), 400)]
    )
    services.sensor_latest_refresh(force=True)
    assert SensorLatest.objects.get(pk=row.pk).value == 42


def test_overview_and_layers_never_read_the_observation_table(client, world):
    client.force_login(world.leader)
    services.sensor_latest_refresh(force=True)
    from cityops.dashboard.models import RefreshState

    RefreshState.objects.update(refreshed_at=timezone.now())  # a refresh just ran
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("dashboard:index")).status_code == 200
        for key in ("areas", "reports", "sensors"):
            assert client.get(reverse("dashboard:layer", kwargs={"key": key})).status_code == 200
    observation_table = "datahub_observation"
    assert not [q["sql"] for q in captured.captured_queries if f'"{observation_table}"' in q["sql"]]
    assert len(captured.captured_queries) < 120


@pytest.mark.parametrize(
    "attribute,value,band", [("airQualityIndex", 50, "good"), ("airQualityIndex", 51, "moderate"),
                             ("airQualityIndex", 301, "hazardous"), ("PM25", 80, "exceeded"), ("PM25", 47, "watch"),
                             ("PM25", 10, "ok"), ("pH", 5.5, "exceeded"), ("averageVehicleSpeed", 12, "exceeded"),
                             ("temperature", 30, "ok"), ("PM25", None, "no_data")],
)  # fmt: skip
def test_bands(attribute, value, band):
    assert bands.judge(attribute, value).key == band
