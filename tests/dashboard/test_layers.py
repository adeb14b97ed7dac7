"""Map layers as GeoJSON: validity, per-reader scoping, and refusal of malformed or hostile parameters."""

from __future__ import annotations

import math

import pytest
from django.urls import reverse

from cityops.dashboard import services
from cityops.dashboard.demo import PROVINCE_OUTLINE
from cityops.dashboard.models import AreaBoundary
from tests.dashboard.conftest import SECRET_B
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def layer(client, key, query=""):
    return client.get(reverse("dashboard:layer", kwargs={"key": key}) + query)


def assert_valid_geojson(data):
    assert data["type"] == "FeatureCollection"
    for feature in data["features"]:
        assert feature["type"] == "Feature" and isinstance(feature["properties"], dict)
        geometry = feature["geometry"]
        if geometry["type"] == "Point":
            x, y = geometry["coordinates"]
            assert -180 <= x <= 180 and -90 <= y <= 90 and math.isfinite(x) and math.isfinite(y)
        else:
            assert geometry["type"] in ("Polygon", "MultiPolygon")
            ring = geometry["coordinates"][0]
            assert ring[0] == ring[-1] and len(ring) >= 4


def test_every_layer_answers_valid_geojson(client, world):
    units = [OrganizationFactory(parent=world.province, kind="commune", admin_unit_code=f"0{i}") for i in range(5)]
    services.boundaries_generate(units=units, outline=PROVINCE_OUTLINE)
    client.force_login(world.leader)
    for key in ("areas", "reports", "sensors"):
        response = layer(client, key)
        assert response.status_code == 200 and response["Content-Type"] == "application/json"
        assert_valid_geojson(response.json())
    assert len(layer(client, "areas").json()["features"]) == 5


def test_leader_sees_both_agencies_reports_and_sensors(client, world):
    client.force_login(world.leader)
    reports = {f["properties"]["title"] for f in layer(client, "reports").json()["features"]}
    assert {world.report_a.tracking_code, world.report_b.tracking_code} <= reports
    sensors = layer(client, "sensors").json()["features"]
    assert len(sensors) == 2


def test_agency_staff_see_only_their_agencys_markers(client, world):
    client.force_login(world.staff_a)
    reports = layer(client, "reports").json()["features"]
    assert [f["properties"]["title"] for f in reports] == [world.report_a.tracking_code]
    sensors = layer(client, "sensors")
    assert [f["id"] for f in sensors.json()["features"]] == [f"sensor-{world.sensor_a.pk}"]
    assert SECRET_B not in reports.__repr__() + sensors.content.decode()


def test_sensor_colours_follow_vn_aqi_bands(client, world):
    client.force_login(world.leader)
    by_id = {f["id"]: f["properties"] for f in layer(client, "sensors").json()["features"]}
    a, b = by_id[f"sensor-{world.sensor_a.pk}"], by_id[f"sensor-{world.sensor_b.pk}"]
    assert a["value"] == 160 and a["band"] == "bad" and a["colour"] == "#ff0000"
    assert b["value"] == 40 and b["band"] == "good" and b["colour"] == "#00e400"


def test_bbox_filters_points(client, world):
    client.force_login(world.leader)
    inside_a = layer(client, "reports", "?bbox=106.06,21.17,106.075,21.185").json()["features"]
    assert [f["properties"]["title"] for f in inside_a] == [world.report_a.tracking_code]
    assert layer(client, "sensors", "?bbox=100,10,101,11").json()["features"] == []


@pytest.mark.parametrize(
    "query",
    [
        "?bbox=1,2,3", "?bbox=a,b,c,d", "?bbox=106,21,105,22", "?bbox=-200,0,10,10", "?bbox=nan,0,1,1",
        "?bbox=inf,0,1,1", "?bbox=0,0,180,80", "?bbox=1,1,1,1", "?bbox=" + ",".join(["1"] * 300),
        "?bbox=%3Cscript%3E", "?days=0", "?days=-1", "?days=abc", "?days=99999", "?indicator=../../etc",
        "?indicator=%27%20OR%201%3D1", "?indicator=" + "a" * 60, "?x=" + "y" * 3000,
    ],
)  # fmt: skip
def test_malformed_or_hostile_parameters_are_refused(client, world, query):
    client.force_login(world.leader)
    response = layer(client, "reports", query)
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_unknown_layer_is_not_found(client, world):
    client.force_login(world.leader)
    assert layer(client, "nope").status_code == 404
    assert client.get("/dashboard/layers/..%2F..%2Fsettings.geojson").status_code == 404


def test_choropleth_colours_units_by_an_indicator(client, world):
    from datetime import date

    from cityops.datahub.indicators import indicator_value_set
    from cityops.datahub.models import IndicatorDefinition

    units = [OrganizationFactory(parent=world.province, kind="ward", admin_unit_code=f"1{i}") for i in range(5)]
    services.boundaries_generate(units=units, outline=PROVINCE_OUTLINE)
    pm25 = IndicatorDefinition.objects.get(code="env-01")
    for i, unit in enumerate(units):
        indicator_value_set(actor=world.admin, indicator=pm25, area=unit, period_start=date(2026, 10, 1), value=20 + i)
    client.force_login(world.leader)
    features = layer(client, "areas", "?indicator=env-01").json()["features"]
    colours = {f["properties"]["title"]: f["properties"]["colour"] for f in features}
    values = {f["properties"]["title"]: f["properties"]["value"] for f in features}
    assert set(values.values()) == {20, 21, 22, 23, 24}
    # Lower PM2.5 is better: the cleanest unit is green, the worst red.
    assert colours[units[0].name] == "#1a9641" and colours[units[4].name] == "#d7191c"
    assert all(f["properties"]["generated"] for f in features)
    assert AreaBoundary.objects.count() == 5


@pytest.mark.parametrize("key", ["operations.incidents", "../etc", "", "a b", "x" * 65, "<script>"])
def test_registry_refuses_keys_that_cannot_be_part_of_a_url(key):
    from cityops.dashboard import registry

    with pytest.raises(ValueError):
        registry.register_layer(registry.MapLayer(key=key, label="x", features=lambda user, params: []))
    with pytest.raises(ValueError):
        registry.register_widget(registry.Widget(key=key, label="x", template="x.html", context=lambda r: None))
    assert registry.layer(key) is None and registry.widget(key) is None
