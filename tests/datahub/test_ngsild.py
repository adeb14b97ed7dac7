"""The NGSI-LD subset: batch upsert, entity and geo queries, temporal queries, ProblemDetails errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from cityops.datahub.models import Entity, Observation

pytestmark = pytest.mark.django_db
BASE = "/ngsi-ld/v1"
ERR = "https://uri.etsi.org/ngsi-ld/errors/"
T0 = datetime(2026, 3, 1, tzinfo=UTC)

# Bắc Ninh centre, a point ~1.1 km north, and one ~30 km away
CENTRE = (21.1861, 106.0763)


def air(ident: str, lat: float, lng: float, pm10: float, at: datetime = T0, **extra) -> dict:
    return {
        "id": f"urn:ngsi-ld:AirQualityObserved:{ident}",
        "type": "AirQualityObserved",
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lng, lat]}},
        "PM10": {"type": "Property", "value": pm10, "unitCode": "GQ", "observedAt": at.isoformat()},
        "airQualityLevel": {"type": "Property", "value": "moderate"},
        "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:d1"},
        "@context": ["https://smartdatamodels.org/context.jsonld"],
        **extra,
    }


def post(client, key, body, content_type="application/json"):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(f"{BASE}/entityOperations/upsert", data=data, content_type=content_type,
                       headers={"Authorization": f"Bearer {key}", "Accept-Language": "en"})  # fmt: skip


def get(client, key, url, **params):
    return client.get(f"{BASE}/{url}", params, headers={"X-API-Key": key, "Accept-Language": "en"})


def assert_problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == ERR + kind and body["status"] == status and body["title"]
    return body


def test_upsert_creates_then_updates_idempotently(client, key_a, agency_a):
    batch = [air("a1", *CENTRE, 40), air("a2", CENTRE[0] + 0.01, CENTRE[1], 55)]
    response = post(client, key_a, batch)
    assert response.status_code == 201, response.content
    assert sorted(response.json()) == [b["id"] for b in batch]
    assert Entity.objects.filter(organization=agency_a).count() == 2
    assert Observation.objects.count() == 2
    again = post(client, key_a, batch, content_type="application/ld+json")
    assert again.status_code == 204
    assert Observation.objects.count() == 2
    detail = get(client, key_a, "entities/urn:ngsi-ld:AirQualityObserved:a1")
    assert detail.status_code == 200
    body = detail.json()
    assert body["PM10"]["value"] == 40 and body["PM10"]["unitCode"] == "GQ"
    assert body["location"]["value"]["coordinates"] == [CENTRE[1], CENTRE[0]]
    assert body["refDevice"]["object"] == "urn:ngsi-ld:Device:d1"
    kv = get(client, key_a, "entities/urn:ngsi-ld:AirQualityObserved:a1", options="keyValues").json()
    assert kv["PM10"] == 40 and kv["airQualityLevel"] == "moderate"


def test_upsert_all_types(client, key_a):
    at = T0.isoformat()
    bodies = [
        {"id": "urn:ngsi-ld:TrafficFlowObserved:t1", "type": "TrafficFlowObserved",
         "intensity": {"type": "Property", "value": 197, "observedAt": at},
         "averageVehicleSpeed": {"type": "Property", "value": 52.6, "unitCode": "KMH", "observedAt": at}},
        {"id": "urn:ngsi-ld:WaterQualityObserved:w1", "type": "WaterQualityObserved",
         "pH": {"type": "Property", "value": 7.1, "observedAt": at}},
        {"id": "urn:ngsi-ld:NoiseLevelObserved:n1", "type": "NoiseLevelObserved",
         "LAeq": {"type": "Property", "value": 61.5, "observedAt": at}},
        {"id": "urn:ngsi-ld:WeatherObserved:m1", "type": "WeatherObserved",
         "dateObserved": {"type": "Property", "value": {"@type": "DateTime", "@value": at}},
         "temperature": {"type": "Property", "value": 28.4}},
    ]  # fmt: skip
    assert post(client, key_a, bodies).status_code == 201
    assert Observation.objects.count() == 5


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        ("{not json", 400, "InvalidRequest"),
        ({"id": "x"}, 400, "BadRequestData"),
        ([], 400, "BadRequestData"),
    ],
)
def test_upsert_invalid_bodies(client, key_a, body, status, kind):
    assert_problem(post(client, key_a, body), status, kind)


def test_upsert_refuses_more_than_1000(client, key_a):
    batch = [air(f"x{i}", *CENTRE, 1) for i in range(1001)]
    assert_problem(post(client, key_a, batch), 400, "BadRequestData")
    assert not Entity.objects.exists()


def test_upsert_wrong_media_type_and_auth(client, key_a):
    assert_problem(post(client, key_a, "a=b", content_type="text/plain"), 415, "InvalidRequest")
    response = client.post(f"{BASE}/entityOperations/upsert", data="[]", content_type="application/json")
    assert_problem(response, 401, "InvalidRequest")
    bad_key = client.get(f"{BASE}/entities", {"type": "AirQualityObserved"}, headers={"X-API-Key": "cok_bad"})
    assert_problem(bad_key, 401, "InvalidRequest")
    assert_problem(client.get(f"{BASE}/entityOperations/upsert", headers={"X-API-Key": key_a}), 405,
                   "OperationNotSupported")  # fmt: skip


def test_upsert_partial_errors_keep_valid_values(client, key_a):
    future = datetime.now(UTC) + timedelta(days=1)
    batch = [
        air("ok", *CENTRE, 40),
        {"id": "not-a-urn", "type": "AirQualityObserved"},
        {"id": "urn:ngsi-ld:Foo:1", "type": "Foo"},
        air("partly", *CENTRE, 10, NO2={"type": "Property", "value": "high", "observedAt": T0.isoformat()},
            SO2={"type": "Property", "value": 3, "observedAt": "2026-03-01T00:00:00"},
            O3={"type": "Property", "value": 3, "observedAt": future.isoformat()},
            speed={"type": "Property", "value": 3, "observedAt": T0.isoformat()},
            CO={"type": "Property", "value": 3, "unitCode": "GQ", "observedAt": T0.isoformat()},
            bogus=5),
        {"id": "urn:ngsi-ld:AirQualityObserved:badloc", "type": "AirQualityObserved",
         "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [500, 1]}}},
    ]  # fmt: skip
    response = post(client, key_a, batch)
    assert response.status_code == 207
    body = response.json()
    assert sorted(body["success"]) == ["urn:ngsi-ld:AirQualityObserved:ok", "urn:ngsi-ld:AirQualityObserved:partly"]
    details = [(e["entityId"], e["error"]["detail"]) for e in body["errors"]]
    assert all(e["error"]["type"] == ERR + "BadRequestData" for e in body["errors"])
    text = json.dumps(details)
    fragments = ["URN", "type must be one of", "NO2", "SO2: The time has no time zone", "out of range",
                 "O3: The time is in the future", "speed: Unknown attribute", "CO: unitCode must be GP",
                 "bogus"]  # fmt: skip
    for fragment in fragments:
        assert fragment in text, fragment
    assert Observation.objects.count() == 2  # PM10 of "ok" and of "partly"


def test_entity_of_another_agency_is_not_overwritten(client, key_a, key_b):
    post(client, key_a, [air("shared-id", *CENTRE, 40)])
    response = post(client, key_b, [air("shared-id", *CENTRE, 99)])
    assert response.status_code == 207
    assert Observation.objects.get().value == 40
    # and B cannot read A's entity either: not found, like a missing one
    assert_problem(get(client, key_b, "entities/urn:ngsi-ld:AirQualityObserved:shared-id"), 404, "ResourceNotFound")
    assert get(client, key_b, "entities", type="AirQualityObserved").json() == []


def test_query_by_type_q_and_geo(client, key_a):
    post(client, key_a, [
        air("centre", *CENTRE, 40),
        air("north", CENTRE[0] + 0.01, CENTRE[1], 80),  # ~1.1 km
        air("far", CENTRE[0] + 0.3, CENTRE[1], 20),  # ~33 km
    ])  # fmt: skip
    ids = lambda r: sorted(e["id"].rsplit(":", 1)[1] for e in r.json())  # noqa: E731
    assert ids(get(client, key_a, "entities", type="AirQualityObserved")) == ["centre", "far", "north"]
    assert ids(get(client, key_a, "entities", type="AirQualityObserved", q="PM10>30")) == ["centre", "north"]
    assert ids(get(client, key_a, "entities", type="AirQualityObserved", q="PM10==30..50")) == ["centre"]
    assert ids(get(client, key_a, "entities", q='airQualityLevel=="moderate";PM10<50')) == ["centre", "far"]
    coords = f"[{CENTRE[1]},{CENTRE[0]}]"
    near = dict(type="AirQualityObserved", geometry="Point", coordinates=coords)
    assert ids(get(client, key_a, "entities", georel="near;maxDistance==500", **near)) == ["centre"]
    assert ids(get(client, key_a, "entities", georel="near;maxDistance==2000", **near)) == ["centre", "north"]
    assert ids(get(client, key_a, "entities", georel="near;minDistance==2000", **near)) == ["far"]
    lat, lng = CENTRE
    square = json.dumps([[[lng - 0.05, lat - 0.05], [lng + 0.05, lat - 0.05], [lng + 0.05, lat + 0.05],
                          [lng - 0.05, lat + 0.05], [lng - 0.05, lat - 0.05]]])  # fmt: skip
    within = get(client, key_a, "entities", georel="within", geometry="Polygon", coordinates=square)
    assert ids(within) == ["centre", "north"]
    limited = get(client, key_a, "entities", type="AirQualityObserved", limit=1, count="true")
    assert len(limited.json()) == 1 and limited["NGSILD-Results-Count"] == "3"


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"type": "AirQualityObserved", "q": "PM10>>3"},
        {"type": "AirQualityObserved", "q": "PM10>3|NO2>1"},
        {"type": "AirQualityObserved", "georel": "near;maxDistance==10", "geometry": "Point", "coordinates": "x"},
        {"type": "AirQualityObserved", "georel": "near", "geometry": "Point", "coordinates": "[1,2]"},
        {"type": "AirQualityObserved", "georel": "intersects", "geometry": "Point", "coordinates": "[1,2]"},
        {"type": "AirQualityObserved", "limit": "5000"},
    ],
)
def test_bad_queries(client, key_a, params):
    assert_problem(get(client, key_a, "entities", **params), 400, "BadRequestData")


def test_temporal_queries(client, key_a):
    batch = [air("ts", *CENTRE, float(i), at=T0 + timedelta(hours=i)) for i in range(10)]
    for body in batch:  # one instant per request, as a sensor would send
        post(client, key_a, [body])
    url = "temporal/entities/urn:ngsi-ld:AirQualityObserved:ts"
    values = lambda r, a="PM10": [p["value"] for p in r.json()[a]]  # noqa: E731
    assert values(get(client, key_a, url)) == [float(i) for i in range(10)]
    assert values(get(client, key_a, url, lastN=3)) == [7.0, 8.0, 9.0]
    at3 = (T0 + timedelta(hours=3)).isoformat()
    at6 = (T0 + timedelta(hours=6)).isoformat()
    assert values(get(client, key_a, url, timerel="after", timeAt=at6)) == [7.0, 8.0, 9.0]
    assert values(get(client, key_a, url, timerel="before", timeAt=at3)) == [0.0, 1.0, 2.0]
    assert values(get(client, key_a, url, timerel="between", timeAt=at3, endTimeAt=at6)) == [3.0, 4.0, 5.0]
    assert values(get(client, key_a, url, timerel="between", timeAt=at3, endTimeAt=at6, lastN=2)) == [4.0, 5.0]
    tv = get(client, key_a, url, options="temporalValues", lastN=1).json()
    assert tv["PM10"]["values"] == [[9.0, (T0 + timedelta(hours=9)).isoformat()]]
    assert_problem(get(client, key_a, url, timerel="during", timeAt=at3), 400, "BadRequestData")
    assert_problem(get(client, key_a, url, timerel="after", timeAt="2026-03-01T00:00:00"), 400, "BadRequestData")
    assert_problem(get(client, key_a, url, timerel="between", timeAt=at6, endTimeAt=at3), 400, "BadRequestData")
    assert_problem(get(client, key_a, url, lastN=0), 400, "BadRequestData")
    assert_problem(get(client, key_a, "temporal/entities/urn:ngsi-ld:X:none"), 404, "ResourceNotFound")


def test_temporal_query_reads_attribute_names_once_each(client, key_a):
    """The attribute list is one row per attribute, not one per reading (the model's ordering is dropped)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(6):
        at = T0 + timedelta(hours=i)
        pm25 = {"type": "Property", "value": 1.0, "observedAt": at.isoformat()}
        post(client, key_a, [air("names", *CENTRE, float(i), at=at, PM25=pm25)])
    url = "temporal/entities/urn:ngsi-ld:AirQualityObserved:names"
    with CaptureQueriesContext(connection) as queries:
        body = get(client, key_a, url, lastN=2).json()
    assert [len(body["PM10"]), len(body["PM25"])] == [2, 2]
    distinct = [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]
    assert len(distinct) == 1 and "observed_at" not in distinct[0].split("FROM")[0]
