"""MQTT connector: sensor readings from a broker into the one ingest path, without loss.

Topics are ``<prefix>/<entity id>/attrs`` with a JSON payload: an object of attribute values sharing one
``observedAt`` (``{"observedAt": "...", "PM10": 41.5, "NO2": {"value": 12, "observedAt": "..."}}``) or a
list of such objects. Messages are taken at QoS 1 in a persistent session (MQTT 5, a fixed client id and
a session that outlives the connection), so the broker keeps what arrives while the consumer is down.
Acknowledgements are sent only after the batch holding the message is committed: a crash before the
commit makes the broker send the message again, and the idempotent upsert absorbs the repeat. Batches
close at ``batch_size`` values or ``batch_seconds``, whichever comes first. A payload that is not JSON, or
not of that shape, is logged, counted as rejected and acknowledged (sending it again would not fix it).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlparse

import paho.mqtt.client as mqtt
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from cityops.datahub.ingest import IngestResult, Reading, ingest_readings

__all__ = ["IngestStats", "MqttIngestor", "parse_message"]

logger = logging.getLogger("cityops.datahub.mqtt")

SESSION_EXPIRY_SECONDS = 7 * 24 * 3600
RECEIVE_MAXIMUM = 65535  # lets the broker send a whole batch before we acknowledge any of it


@dataclass
class IngestStats:
    messages: int = 0
    values: int = 0
    stored: int = 0
    rejected: int = 0
    batches: int = 0


def parse_message(topic: str, payload: bytes, prefix: str) -> list[Reading]:
    """Readings of one message; ValueError says why the message as a whole is unusable."""
    head, _sep, rest = topic.partition("/")
    entity_id, _sep, tail = rest.rpartition("/")
    if head != prefix or tail != "attrs" or not entity_id:
        raise ValueError(f"unexpected topic {topic!r}")
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("payload is not JSON") from exc
    items = body if isinstance(body, list) else [body]
    readings: list[Reading] = []
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("payload must be an object or a list of objects")
        default_time = item.get("observedAt")
        for name, raw in item.items():
            if name == "observedAt":
                continue
            if isinstance(raw, dict):
                readings.append(Reading(entity_id, name, raw.get("observedAt", default_time), raw.get("value")))
            else:
                readings.append(Reading(entity_id, name, default_time, raw))
    return readings


class MqttIngestor:
    """One consumer process; ``run`` blocks until stopped, a time limit, or ``until(stats)`` is true."""

    def __init__(
        self,
        *,
        url: str | None = None,
        client_id: str = "cityops-ingest",
        topic_prefix: str = "cityops",
        batch_size: int = 5000,
        batch_seconds: float = 1.0,
    ) -> None:
        self.url = urlparse(url or settings.MQTT_URL)
        self.prefix = topic_prefix
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.stats = IngestStats()
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.subscribed = threading.Event()
        self.stop_event = threading.Event()
        self.disconnected = threading.Event()
        self.barrier = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5, manual_ack=True
        )
        if self.url.username:
            self.client.username_pw_set(unquote(self.url.username), unquote(self.url.password or ""))
        if self.url.scheme == "mqtts":
            self.client.tls_set()
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.client.on_unsubscribe = lambda *args: self.barrier.set()

    # Network thread callbacks: they only hand messages over; the database is touched in ``run``'s thread.
    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            logger.error("MQTT connection refused: %s", reason)
            return
        logger.info("MQTT connected (session present: %s)", flags.session_present)
        client.subscribe(f"{self.prefix}/+/attrs", qos=1)

    def _on_subscribe(self, client: mqtt.Client, userdata: Any, mid: int, reasons: Any, properties: Any) -> None:
        self.subscribed.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self.disconnected.set()
        if reason.is_failure:
            logger.warning("MQTT disconnected (%s); reconnecting", reason)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        # Parsed here, on the network thread, so it overlaps with the main thread's wait on the database.
        parsed: list[Reading] | ValueError
        try:
            parsed = parse_message(message.topic, bytes(message.payload), self.prefix)
        except ValueError as exc:
            parsed = exc
        self.inbox.put((message.mid, message.qos, message.topic, parsed))

    def start(self, timeout: float = 10.0) -> None:
        """Connect and wait for the subscription, so nothing published afterwards is missed."""
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = SESSION_EXPIRY_SECONDS
        properties.ReceiveMaximum = RECEIVE_MAXIMUM
        self.client.connect(
            self.url.hostname or "127.0.0.1",
            self.url.port or (8883 if self.url.scheme == "mqtts" else 1883),
            keepalive=30,
            clean_start=False,
            properties=properties,
        )
        self.client.loop_start()
        if not self.subscribed.wait(timeout):
            self.client.loop_stop()
            raise ConnectionError("MQTT subscription was not confirmed in time")

    def stop(self) -> None:
        """Disconnect, keeping the session on the broker so the next start resumes.

        A round trip first (an UNSUBSCRIBE of a topic never subscribed, answered in order after the
        acknowledgements): closing the socket while the broker still has unread acknowledgements can
        make it drop them and send those messages again on the next start.
        """
        if self.client.is_connected():
            self.barrier.clear()
            self.client.unsubscribe(f"{self.prefix}/$barrier")
            self.barrier.wait(5)
        self.disconnected.clear()
        self.client.disconnect()
        self.disconnected.wait(5)
        self.client.loop_stop()

    def run(
        self,
        *,
        max_seconds: float | None = None,
        until: Callable[[IngestStats], bool] | None = None,
    ) -> IngestStats:
        """Consume until stopped; each batch is stored, then its messages are acknowledged."""
        self.start()
        deadline = time.monotonic() + max_seconds if max_seconds is not None else None
        try:
            while not self.stop_event.is_set():
                if deadline is not None and time.monotonic() >= deadline:
                    break
                if until is not None and until(self.stats):
                    break
                self._one_batch(deadline)
        finally:
            self.stop()
        return self.stats

    def _store(self, readings: list[Reading]) -> IngestResult:
        """Write one batch, retrying while the database is unreachable; unacknowledged messages wait."""
        while True:
            if not connection.in_atomic_block:
                close_old_connections()
            try:
                return ingest_readings(readings)
            except (InterfaceError, OperationalError):
                if connection.in_atomic_block or self.stop_event.is_set():
                    raise
                logger.exception("Database unavailable; retrying the batch in 2 s")
                connection.close()
                time.sleep(2)

    def _report_status(self, result: IngestResult) -> None:
        """Update the connector status page; a failure here never holds back acknowledgements."""
        from cityops.datahub.connectors import push_status_record
        from cityops.datahub.models import Connector

        try:
            push_status_record(kind=Connector.Kind.MQTT, name=f"{self.prefix}/#", per_org=result.per_org)
        except (InterfaceError, OperationalError):
            logger.exception("Could not record the MQTT connector status")

    def _one_batch(self, deadline: float | None) -> None:
        acks: list[tuple[int, int]] = []
        readings: list[Reading] = []
        rejected = 0
        started = time.monotonic()
        while len(readings) < self.batch_size:
            wait = self.batch_seconds - (time.monotonic() - started)
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
            if wait <= 0:
                break
            try:
                mid, qos, topic, content = self.inbox.get(timeout=wait)
            except queue.Empty:
                break
            self.stats.messages += 1
            acks.append((mid, qos))
            try:
                if isinstance(content, ValueError):
                    raise content
                readings.extend(content if isinstance(content, list) else parse_message(topic, content, self.prefix))
            except ValueError as exc:
                rejected += 1
                logger.warning("MQTT message on %s rejected: %s", topic, exc)
        if readings:
            result = self._store(readings)
            self.stats.values += len(readings)
            self.stats.stored += result.stored
            rejected += len(result.rejected)
            for rejection in result.rejected[:20]:
                logger.warning(
                    "MQTT value rejected: %s %s: %s", rejection.entity, rejection.attribute, rejection.reason
                )
            self.stats.batches += 1
            self._report_status(result)
        self.stats.rejected += rejected
        for mid, qos in acks:  # only now, after the commit
            self.client.ack(mid, qos)
