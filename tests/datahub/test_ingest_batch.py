"""The batch write path of NGSI-LD upserts and MQTT batches: what it stores, and how many statements it costs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cityops.core.models import AuditEvent
from cityops.datahub.ingest import Reading, ingest_readings
from cityops.datahub.models import Connector, Entity, Observation

pytestmark = pytest.mark.django_db
URL = "/ngsi-ld/v1/entityOperations/upsert"
AQ = "urn:ngsi-ld:AirQualityObserved:"
T0 = datetime(2026, 3, 1, tzinfo=UTC)
T1 = T0 + timedelta(minutes=10)
ATTRIBUTES = ("PM25", "PM10", "NO2", "O3", "CO")


def post(client, key, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json",
                       headers={"X-API-Key": key, "Accept-Language": "en"})  # fmt: skip


def prop(value, at=T0, **extra):
    return {"type": "Property", "value": value, "observedAt": at.isoformat(), **extra}


def point(lat, lng):
    return {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lng, lat]}}


def stored_entities():
    return sorted(
        Entity.objects.values_list("entity_id", "organization_id", "type", "latitude", "longitude", "attributes")
    )


def stored_observations():
    return sorted(Observation.objects.values_list("entity__entity_id", "attribute", "observed_at", "value"))


def test_mixed_batch_stores_the_same_rows(client, key_a, agency_a, agency_b):
    """Updates, new entities, a foreign entity, a repeated id and refused values in one request."""
    mine = Entity.objects.create(
        organization=agency_a, entity_id=AQ + "old", type="AirQualityObserved", latitude=21.0, longitude=106.0,
        attributes={"airQualityLevel": {"type": "Property", "value": "good"},
                    "PM10": {"type": "Property", "value": 10.0, "unitCode": "GQ", "observedAt": T0.isoformat()}},
    )  # fmt: skip
    Observation.objects.create(entity=mine, attribute="PM10", observed_at=T0, value=10.0)
    theirs = Entity.objects.create(
        organization=agency_b, entity_id=AQ + "theirs", type="AirQualityObserved", attributes={"x": 1}
    )
    future = datetime.now(UTC) + timedelta(days=1)
    body = [
        {"id": AQ + "old", "type": "AirQualityObserved", "PM10": prop(41), "NO2": prop(12.5, T1),
         "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:d1"}},
        {"id": AQ + "new", "type": "AirQualityObserved", "location": point(21.18, 106.07), "PM25": prop(8),
         "O3": prop(3, future), "CO": prop(0.4, unitCode="GQ"), "airQualityLevel": {"type": "Property", "value": "ok"}},
        {"id": AQ + "theirs", "type": "AirQualityObserved", "PM10": prop(99)},
        {"id": "not-a-urn", "type": "AirQualityObserved"},
        {"id": AQ + "new", "type": "AirQualityObserved", "PM10": prop(20, T1), "PM25": prop(9)},
        {"id": "urn:ngsi-ld:WeatherObserved:w1", "type": "WeatherObserved",
         "dateObserved": {"type": "Property", "value": {"@type": "DateTime", "@value": T1.isoformat()}},
         "temperature": {"type": "Property", "value": 28.5}, "windSpeed": prop("calm")},
    ]  # fmt: skip
    response = post(client, key_a, body)

    assert response.status_code == 207, response.content
    answer = response.json()
    assert answer["success"] == [AQ + "old", AQ + "new", "urn:ngsi-ld:WeatherObserved:w1"]
    assert [(e["entityId"], e["error"]["detail"]) for e in answer["errors"]] == [
        (AQ + "new", "O3: The time is in the future."),
        (AQ + "new", "CO: unitCode must be GP"),
        ("not-a-urn", "id must be a URN of the form urn:ngsi-ld:<Type>:<id>"),
        ("urn:ngsi-ld:WeatherObserved:w1", "windSpeed: The value is not a number."),
        (AQ + "theirs", "The entity belongs to another organisation."),
    ]
    a, b = agency_a.pk, agency_b.pk
    assert stored_entities() == [
        # a repeated id merges attributes; its other fields are the later occurrence's (no location here)
        (AQ + "new", a, "AirQualityObserved", None, None, {
            "airQualityLevel": {"type": "Property", "value": "ok"},
            "PM25": {"type": "Property", "value": 9.0, "unitCode": "GQ", "observedAt": T0.isoformat()},
            "PM10": {"type": "Property", "value": 20.0, "unitCode": "GQ", "observedAt": T1.isoformat()}}),
        (AQ + "old", a, "AirQualityObserved", 21.0, 106.0, {
            "airQualityLevel": {"type": "Property", "value": "good"},
            "PM10": {"type": "Property", "value": 41.0, "unitCode": "GQ", "observedAt": T0.isoformat()},
            "NO2": {"type": "Property", "value": 12.5, "unitCode": "GQ", "observedAt": T1.isoformat()},
            "refDevice": {"type": "Relationship", "object": "urn:ngsi-ld:Device:d1"}}),
        (AQ + "theirs", b, "AirQualityObserved", None, None, {"x": 1}),
        ("urn:ngsi-ld:WeatherObserved:w1", a, "WeatherObserved", None, None, {
            "dateObserved": {"type": "Property", "value": {"@type": "DateTime", "@value": T1.isoformat()}},
            "temperature": {"type": "Property", "value": 28.5, "unitCode": "CEL", "observedAt": T1.isoformat()}}),
    ]  # fmt: skip
    assert stored_observations() == [
        (AQ + "new", "PM10", T1, 20.0),
        (AQ + "new", "PM25", T0, 9.0),  # the later of the two values for the same instant
        (AQ + "old", "NO2", T1, 12.5),
        (AQ + "old", "PM10", T0, 41.0),  # overwritten
        ("urn:ngsi-ld:WeatherObserved:w1", "temperature", T1, 28.5),
    ]
    assert not Observation.objects.filter(entity=theirs).exists()
    event = AuditEvent.objects.get(verb="datahub.entities.upserted")
    assert event.organization_id == a and event.data == {"created": 2, "updated": 1}
    status = Connector.objects.get(kind=Connector.Kind.NGSILD)
    assert (status.organization_id, status.last_rows_stored, status.last_rows_rejected) == (a, 5, 5)
    assert status.total_rows == 5


def test_created_flags_and_second_request(client, key_a):
    body = [{"id": AQ + f"s{i}", "type": "AirQualityObserved", "PM10": prop(i)} for i in range(3)]
    first = post(client, key_a, body)
    assert first.status_code == 201 and sorted(first.json()) == sorted(e["id"] for e in body)
    body.append({"id": AQ + "s9", "type": "AirQualityObserved", "PM10": prop(9)})
    second = post(client, key_a, body)
    assert second.status_code == 201 and second.json() == [AQ + "s9"]
    assert post(client, key_a, body).status_code == 204
    assert Observation.objects.count() == 4


def test_only_foreign_entities_give_errors_not_a_write(client, key_a, key_b):
    assert post(client, key_a, [{"id": AQ + "x", "type": "AirQualityObserved", "PM10": prop(1)}]).status_code == 201
    response = post(client, key_b, [{"id": AQ + "x", "type": "AirQualityObserved", "PM10": prop(2)}])
    assert response.status_code == 207
    assert response.json()["success"] == []
    assert Observation.objects.get().value == 1


def test_a_key_that_may_not_write_is_refused_except_for_foreign_ids(client, key_b, agency_a, admin_a, make_member):
    """A key whose holder may not change entities gets 403 for its own ids; ids of others are answered as such."""
    from cityops.core.services.apikeys import apikey_create

    clerk = make_member(agency_a, "clerk", username="dh-clerk-a")
    _key, reader_key = apikey_create(actor=admin_a, name="Reader A", user=clerk, organization=agency_a)
    assert post(client, key_b, [{"id": AQ + "b1", "type": "AirQualityObserved", "PM10": prop(1)}]).status_code == 201
    mine = post(client, reader_key, [{"id": AQ + "a1", "type": "AirQualityObserved", "PM10": prop(2)}])
    assert mine.status_code == 403
    mixed = post(client, reader_key, [{"id": AQ + "a1", "type": "AirQualityObserved", "PM10": prop(2)},
                                      {"id": AQ + "b1", "type": "AirQualityObserved", "PM10": prop(3)}])  # fmt: skip
    assert mixed.status_code == 403
    foreign = post(client, reader_key, [{"id": AQ + "b1", "type": "AirQualityObserved", "PM10": prop(3)}])
    assert foreign.status_code == 207
    assert foreign.json()["errors"][0]["error"]["detail"] == "The entity belongs to another organisation."
    assert list(Entity.objects.values_list("entity_id", flat=True)) == [AQ + "b1"]
    assert list(Observation.objects.values_list("value", flat=True)) == [1.0]


def _batch(entities: int, counter: int, prefix: str = "q") -> list[dict]:
    at = T0 + timedelta(seconds=counter)
    return [
        {
            "id": f"{AQ}{prefix}{i}",
            "type": "AirQualityObserved",
            **{a: prop(i + k + 0.5, at) for k, a in enumerate(ATTRIBUTES)},
        }
        for i in range(entities)
    ]


def _statements(client, key, body) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = post(client, key, body)
    assert response.status_code in (201, 204), response.content
    return len(queries.captured_queries)


def test_statements_per_request_do_not_grow_with_the_batch(client, key_a):
    """New entities, then updates: the same number of statements for 10 entities as for 40 (or 200 on PostgreSQL)."""
    from cityops.core.db import is_postgres

    sizes = (10, 40, 200) if is_postgres() else (10, 40)
    _statements(client, key_a, _batch(1, 0, "warm-up"))  # the first request also creates the status row
    created = [_statements(client, key_a, _batch(n, 0, f"c{n}-")) for n in sizes]
    updated = [_statements(client, key_a, _batch(n, 1, f"c{n}-")) for n in sizes]
    assert len(set(created)) == 1, created
    assert len(set(updated)) == 1, updated
    assert Observation.objects.count() == 2 * 5 * sum(sizes) + 5


def test_mqtt_batches_cost_the_same_statements_whatever_their_size(agency_a):
    Entity.objects.bulk_create(
        [Entity(organization=agency_a, entity_id=f"{AQ}m{i}", type="AirQualityObserved") for i in range(100)]
    )

    def statements(n: int, counter: int) -> int:
        at = (T0 + timedelta(seconds=counter)).isoformat()
        readings = [Reading(f"{AQ}m{i % 100}", ATTRIBUTES[i // 100], at, float(i)) for i in range(n)]
        with CaptureQueriesContext(connection) as queries:
            assert ingest_readings(readings).stored == n
        return len(queries.captured_queries)

    assert statements(20, 0) == statements(200, 1) == statements(500, 2)


def test_status_row_update_never_relaxes_a_callers_commit(agency_a):
    """The status row's commit may skip the disk wait, but only when it is its own transaction."""
    from cityops.core.db import is_postgres
    from cityops.datahub.connectors import push_status_record

    push_status_record(kind=Connector.Kind.MQTT, name="p/#", per_org={agency_a.pk: (5, 1, T0)})
    push_status_record(kind=Connector.Kind.MQTT, name="p/#", per_org={agency_a.pk: (3, 0, T1)})
    status = Connector.objects.get(kind=Connector.Kind.MQTT, name="p/#")
    assert (status.total_rows, status.last_rows_stored, status.last_rows_rejected, status.last_observed_at) == (
        8,
        3,
        0,
        T1,
    )
    if is_postgres():  # the test runs inside a transaction: a caller's, whose setting must stay as it was
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"


def test_deleting_an_entity_deletes_its_values(agency_a):
    """Values written by the ingest path go with their entity (none is left to break rollups)."""
    kept = Entity.objects.create(
        organization=agency_a, entity_id="urn:ngsi-ld:AirQualityObserved:kept", type="AirQualityObserved"
    )
    gone = Entity.objects.create(
        organization=agency_a, entity_id="urn:ngsi-ld:AirQualityObserved:gone", type="AirQualityObserved"
    )
    result = ingest_readings(
        [
            Reading(entity.entity_id, "PM10", (T0 + timedelta(minutes=m)).isoformat(), float(m))
            for entity in (kept, gone)
            for m in range(3)
        ]
    )
    assert result.stored == 6
    gone.delete()
    assert set(Observation.objects.values_list("entity_id", flat=True)) == {kept.pk}
    assert Observation.objects.count() == 3


def test_the_batch_memo_changes_no_answer():
    """Entities of one batch share parsed times; every refusal still reads as it does without the memo."""
    from django.utils import timezone

    from cityops.datahub.ngsild import _parse_entity

    stamp = "2026-03-01T08:00:00+07:00"
    batch = [
        {"id": f"urn:ngsi-ld:AirQualityObserved:m{n}", "type": "AirQualityObserved",
         "PM10": {"type": "Property", "value": value, "observedAt": stamp},
         "NO2": {"type": "Property", "value": 12, "observedAt": stamp, **extra}}
        for n, (value, extra) in enumerate([
            (41.5, {}), (True, {}), ("high", {"unitCode": "XYZ"}), (float("inf"), {}), (40, {"unitCode": "GQ"}),
        ])
    ]  # fmt: skip
    now = timezone.now()
    memo: dict = {}
    with_memo = [_parse_entity(raw, now, memo) for raw in batch]
    alone = [_parse_entity(raw, now) for raw in batch]
    assert with_memo == alone
    assert memo  # the batch did share its work
    errors = [e for _fields, _readings, errs in with_memo for e in errs]
    assert any(e.startswith("PM10:") and "not a number" in e for e in errors)
    assert any(e.startswith("NO2: unitCode must be") for e in errors)
