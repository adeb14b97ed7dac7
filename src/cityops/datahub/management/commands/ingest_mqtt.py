"""``cityops ingest-mqtt``: the MQTT ingest process (run one per client id under systemd)."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand

from cityops.datahub.mqtt import MqttIngestor


class Command(BaseCommand):
    help = "Subscribe to sensor topics (<prefix>/<entity id>/attrs, QoS 1) and store readings in batches."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--client-id", default="cityops-ingest", help="Fixed id: the broker keeps its session.")
        parser.add_argument("--topic-prefix", default="cityops")
        parser.add_argument("--batch-size", type=int, default=5000, help="Values per write (default 5000).")
        parser.add_argument("--batch-seconds", type=float, default=1.0, help="Longest wait before a write.")
        parser.add_argument("--max-seconds", type=float, default=None, help="Stop after this long (tests, cron).")

    def handle(self, *args: Any, **options: Any) -> None:
        ingestor = MqttIngestor(
            client_id=options["client_id"],
            topic_prefix=options["topic_prefix"],
            batch_size=options["batch_size"],
            batch_seconds=options["batch_seconds"],
        )
        signal.signal(signal.SIGTERM, lambda *_: ingestor.stop_event.set())
        try:
            stats = ingestor.run(max_seconds=options["max_seconds"])
        except KeyboardInterrupt:
            stats = ingestor.stats
        self.stdout.write(
            f"messages={stats.messages} values={stats.values} stored={stats.stored} "
            f"rejected={stats.rejected} batches={stats.batches}"
        )
