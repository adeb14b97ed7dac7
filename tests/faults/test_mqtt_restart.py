"""The MQTT broker restarted while sensors stream at QoS 1: the data hub's consumer resumes its persistent
session and every published value is stored exactly once (re-deliveries land on the idempotent upsert).

A private ``mosquitto`` with persistence in a temporary directory, on a free port; the shared broker is never
touched.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cityops.datahub.models import Entity, Observation
from cityops.datahub.mqtt import MqttIngestor
from tests.faults.servers import PrivateMosquitto

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists(),
                       reason="mosquitto is not installed"),
]  # fmt: skip

ENTITY = "urn:ngsi-ld:AirQualityObserved:fault-mqtt"
T0 = datetime(2026, 4, 1, tzinfo=UTC)
N = 400


@pytest.fixture
def broker():
    root = Path(tempfile.mkdtemp(prefix="cityops-fault-mqtt-"))
    server = PrivateMosquitto(root)
    server.start()
    try:
        yield server
    finally:
        server.close()
        shutil.rmtree(root, ignore_errors=True)


def reading(i: int) -> str:
    return json.dumps({"observedAt": (T0 + timedelta(minutes=i)).isoformat(), "PM10": float(i)})


def publish(broker: PrivateMosquitto, topic: str, indexes: range) -> None:
    """Publish at QoS 1 and wait for every PUBACK (the broker has the message)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"fault-pub-{uuid.uuid4().hex[:8]}")
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        infos = [client.publish(topic, reading(i), qos=1) for i in indexes]
        for info in infos:
            info.wait_for_publish(timeout=20)
            assert info.is_published()
    finally:
        client.disconnect()
        client.loop_stop()


def test_broker_restart_during_streaming_stores_every_value_once(broker, agency_a):
    Entity.objects.create(organization=agency_a, entity_id=ENTITY, type="AirQualityObserved")
    run = uuid.uuid4().hex[:8]
    prefix, client_id = f"fault-{run}", f"cityops-fault-{run}"
    topic = f"{prefix}/{ENTITY}/attrs"
    first = MqttIngestor(url=broker.url, client_id=client_id, topic_prefix=prefix)
    first.start()  # creates the persistent session and its subscription before anything is published
    first.stop()
    consumer = MqttIngestor(url=broker.url, client_id=client_id, topic_prefix=prefix, batch_size=50, batch_seconds=0.3)
    errors: list[BaseException] = []

    def streaming() -> None:
        try:
            publish(broker, topic, range(0, N // 2))
            broker.restart()  # SIGTERM: the broker saves sessions and queued messages, then starts again
            publish(broker, topic, range(N // 2, N))
        except BaseException as exc:  # noqa: BLE001  (reported by the main thread)
            errors.append(exc)

    producer = threading.Thread(target=streaming)
    producer.start()
    stats = consumer.run(max_seconds=60, until=lambda s: Observation.objects.count() >= N and not producer.is_alive())
    producer.join(timeout=60)
    assert not errors, errors
    values = sorted(Observation.objects.filter(entity__entity_id=ENTITY).values_list("value", flat=True))
    assert values == [float(i) for i in range(N)], f"stored {len(values)} of {N}; consumer stats {stats}"
    # Nothing is left unacknowledged: a new run of the same session receives nothing more.
    time.sleep(0.2)
    again = MqttIngestor(url=broker.url, client_id=client_id, topic_prefix=prefix, batch_seconds=0.2)
    assert again.run(max_seconds=1.5).messages == 0
