"""MQTT ingest against the real broker: QoS 1, persistent session resumed, each value stored once."""

from __future__ import annotations

import json
import socket
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
import pytest
from django.conf import settings
from django.core.management import call_command
from paho.mqtt.enums import CallbackAPIVersion

from cityops.datahub.models import Connector, Entity, Observation
from cityops.datahub.mqtt import MqttIngestor, parse_message

pytestmark = pytest.mark.django_db
BROKER = urlparse(settings.MQTT_URL)
HOST, PORT = BROKER.hostname or "127.0.0.1", BROKER.port or 1883


def broker_up() -> bool:
    try:
        socket.create_connection((HOST, PORT), timeout=1).close()
    except OSError:
        return False
    return True


needs_broker = pytest.mark.skipif(not broker_up(), reason=f"no MQTT broker at {HOST}:{PORT} (MQTT_URL)")
ENTITY = "urn:ngsi-ld:AirQualityObserved:mqtt-1"
T0 = datetime(2026, 2, 1, tzinfo=UTC)


def test_parse_message_shapes():
    readings = parse_message(f"p/{ENTITY}/attrs", b'{"observedAt": "2026-01-01T00:00:00Z", "PM10": 1, '
                             b'"NO2": {"value": 2, "observedAt": "2026-01-01T00:01:00Z"}}', "p")  # fmt: skip
    assert [(r.entity, r.attribute, r.observed_at, r.value) for r in readings] == [
        (ENTITY, "PM10", "2026-01-01T00:00:00Z", 1),
        (ENTITY, "NO2", "2026-01-01T00:01:00Z", 2),
    ]
    for topic, payload in [(f"p/{ENTITY}/attrs", b"not json"), (f"p/{ENTITY}/attrs", b"[1]"),
                           (f"q/{ENTITY}/attrs", b"{}"), ("p/attrs", b"{}")]:  # fmt: skip
        with pytest.raises(ValueError):
            parse_message(topic, payload, "p")


def publish_all(messages: list[tuple[str, bytes]]) -> None:
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"cityops-test-pub-{uuid.uuid4().hex[:8]}")
    publisher.connect(HOST, PORT)
    publisher.loop_start()
    try:
        infos = [publisher.publish(topic, payload, qos=1) for topic, payload in messages]
        for info in infos:
            info.wait_for_publish(timeout=10)
            assert info.is_published()
    finally:
        publisher.disconnect()
        publisher.loop_stop()


def forget_session(client_id: str) -> None:
    cleaner = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    cleaner.connect(HOST, PORT, clean_start=True)
    cleaner.disconnect()


@needs_broker
def test_messages_published_while_down_are_stored_exactly_once(agency_a):
    Entity.objects.create(organization=agency_a, entity_id=ENTITY, type="AirQualityObserved")
    run = uuid.uuid4().hex[:10]
    client_id, prefix = f"cityops-test-{run}", f"cityops-test-{run}"
    topic = f"{prefix}/{ENTITY}/attrs"
    first = MqttIngestor(client_id=client_id, topic_prefix=prefix)
    first.start()  # creates the persistent session and its subscription
    first.stop()
    try:
        n = 300
        good = [
            (topic, json.dumps({"observedAt": (T0 + timedelta(minutes=i)).isoformat(), "PM10": float(i)}).encode())
            for i in range(n)
        ]
        extra = [
            *good[:10],  # re-sent: must not duplicate
            (topic, b"\x00not json"),
            (topic, json.dumps({"observedAt": T0.isoformat(), "speed": 3}).encode()),
        ]
        publish_all(good + extra)  # while no consumer is connected
        second = MqttIngestor(client_id=client_id, topic_prefix=prefix, batch_size=100, batch_seconds=0.5)
        stats = second.run(max_seconds=30, until=lambda s: s.messages >= n + len(extra))
        assert stats.messages == n + len(extra)
        assert Observation.objects.count() == n
        assert sorted(Observation.objects.values_list("value", flat=True)) == [float(i) for i in range(n)]
        assert stats.rejected == 2
        assert stats.batches >= 3  # batched by size, never one write per value
        status = Connector.objects.get(kind="mqtt", organization=agency_a)  # the connector status page's row
        assert status.name == f"{prefix}/#" and status.total_rows >= n and status.last_success_at is not None
        # Everything was acknowledged: a new run receives nothing more.
        third = MqttIngestor(client_id=client_id, topic_prefix=prefix, batch_seconds=0.2)
        assert third.run(max_seconds=1.5).messages == 0
    finally:
        forget_session(client_id)


@needs_broker
def test_command_runs_for_a_bounded_time(capsys):
    run = uuid.uuid4().hex[:10]
    try:
        call_command("ingest_mqtt", client_id=f"cityops-test-{run}", topic_prefix=f"t-{run}", max_seconds=0.5)
        assert "messages=0" in capsys.readouterr().out
    finally:
        forget_session(f"cityops-test-{run}")


def test_acknowledged_only_after_the_batch_is_written(agency_a, monkeypatch):
    """Acknowledgements leave after the batch's transaction has ended; a failed write acknowledges nothing."""
    from django.db import IntegrityError, connection

    import cityops.datahub.mqtt as mqtt_module

    Entity.objects.create(organization=agency_a, entity_id=ENTITY, type="AirQualityObserved")
    ingestor = MqttIngestor(client_id=f"cityops-unit-{uuid.uuid4().hex[:8]}", topic_prefix="p", batch_seconds=0.05)
    depth = len(connection.atomic_blocks)  # the test's own transaction
    acks: list[tuple[int, int, int]] = []

    def ack(mid: int, qos: int) -> None:
        acks.append((mid, Observation.objects.count(), len(connection.atomic_blocks)))

    monkeypatch.setattr(ingestor.client, "ack", ack)

    def message(mid: int) -> tuple[int, int, str, bytes]:
        body = {"observedAt": (T0 + timedelta(minutes=mid)).isoformat(), "PM10": float(mid)}
        return mid, 1, f"p/{ENTITY}/attrs", json.dumps(body).encode()

    for mid in (1, 2, 3):
        ingestor.inbox.put(message(mid))
    ingestor._one_batch(None)
    assert acks == [(1, 3, depth), (2, 3, depth), (3, 3, depth)]

    def failing(*args, **kwargs):
        raise IntegrityError("write failed")

    monkeypatch.setattr(mqtt_module, "ingest_readings", failing)
    for mid in (4, 5):
        ingestor.inbox.put(message(mid))
    with pytest.raises(IntegrityError):
        ingestor._one_batch(None)
    assert [mid for mid, _n, _d in acks] == [1, 2, 3]  # 4 and 5 stay unacknowledged: the broker sends them again
