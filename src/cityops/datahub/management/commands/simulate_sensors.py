"""``cityops simulate-sensors``: realistic readings for the demo province, so the dashboard moves.

Registers a few sensors of each Smart Data Model type around the province's centre (owned by the
organisation given by ``--organization``, the province root by default) and sends readings every
``--interval`` seconds over MQTT (the production path), or straight into the ingest path (``--via direct``,
no broker needed). Values follow a daily pattern plus noise: PM2.5 peaks in the morning and evening rush,
traffic speed drops in the rush hours, temperature peaks mid-afternoon.
"""

from __future__ import annotations

import json
import math
import random
import time
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from cityops.core.models import Organization
from cityops.datahub.ingest import Reading, ingest_readings
from cityops.datahub.services import entities_upsert

CENTRE = (21.1861, 106.0763)  # Bắc Ninh; only the demo's default, override with --lat/--lng


def _rush(hour: float) -> float:
    """0..1, highest around 07:30 and 17:30 local time."""
    return max(math.exp(-((hour - 7.5) ** 2) / 2), math.exp(-((hour - 17.5) ** 2) / 2))


def readings_for(kind: str, at: datetime, rng: random.Random) -> dict[str, float]:
    local = timezone.localtime(at)
    hour = local.hour + local.minute / 60
    rush = _rush(hour)
    warm = math.cos((hour - 15) / 24 * 2 * math.pi)
    if kind == "AirQualityObserved":
        pm25 = 25 + 45 * rush + rng.gauss(0, 5)
        return {"PM25": max(1, pm25), "PM10": max(2, pm25 * 1.6 + rng.gauss(0, 6)), "NO2": max(1, 20 + 30 * rush)}
    if kind == "TrafficFlowObserved":
        return {
            "averageVehicleSpeed": max(5, 45 - 25 * rush + rng.gauss(0, 3)),
            "intensity": max(0, round(300 + 900 * rush + rng.gauss(0, 40))),
            "occupancy": min(1, max(0, 0.2 + 0.6 * rush + rng.gauss(0, 0.05))),
        }
    if kind == "WaterQualityObserved":
        return {"pH": 7.2 + rng.gauss(0, 0.1), "turbidity": max(0, 8 + rng.gauss(0, 2)), "temperature": 26 + 2 * warm}
    if kind == "NoiseLevelObserved":
        return {"LAeq": 55 + 15 * rush + rng.gauss(0, 2)}
    return {"temperature": 27 + 5 * warm + rng.gauss(0, 0.5), "relativeHumidity": min(100, 75 - 10 * warm)}


class Command(BaseCommand):
    help = "Publish realistic sensor readings for the demo (over MQTT, or straight into the ingest path)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--via", choices=["mqtt", "direct"], default="mqtt")
        parser.add_argument("--organization", help="Code of the owning organisation (default: the root).")
        parser.add_argument("--per-type", type=int, default=4)
        parser.add_argument("--interval", type=float, default=10.0)
        parser.add_argument("--rounds", type=int, default=0, help="Stop after this many rounds (0: run until stopped).")
        parser.add_argument("--topic-prefix", default="cityops")
        parser.add_argument("--lat", type=float, default=CENTRE[0])
        parser.add_argument("--lng", type=float, default=CENTRE[1])
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        queryset = Organization.objects.order_by("path")
        if options["organization"]:
            queryset = queryset.filter(code=options["organization"])
        organization = queryset.first()
        if organization is None:
            raise CommandError("No such organisation; run cityops seed-demo first.")
        rng = random.Random(options["seed"])  # noqa: S311 -- simulated data, not security
        kinds = ["AirQualityObserved", "TrafficFlowObserved", "WaterQualityObserved", "NoiseLevelObserved",
                 "WeatherObserved"]  # fmt: skip
        sensors: list[tuple[str, str]] = []
        fields = []
        for kind in kinds:
            for n in range(options["per_type"]):
                entity_id = f"urn:ngsi-ld:{kind}:sim-{organization.code}-{n + 1}"
                lat = options["lat"] + rng.uniform(-0.08, 0.08)
                lng = options["lng"] + rng.uniform(-0.08, 0.08)
                sensors.append((entity_id, kind))
                fields.append({"entity_id": entity_id, "type": kind, "latitude": lat, "longitude": lng})
        entities_upsert(actor=None, organization=organization, entities=fields, system=True)
        client = None
        if options["via"] == "mqtt":
            import paho.mqtt.client as mqtt
            from paho.mqtt.enums import CallbackAPIVersion

            url = urlparse(settings.MQTT_URL)
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"cityops-simulator-{organization.code}")
            client.connect(url.hostname or "127.0.0.1", url.port or 1883)
            client.loop_start()
        done = 0
        try:
            while options["rounds"] == 0 or done < options["rounds"]:
                now = timezone.now()
                batch: list[Reading] = []
                for entity_id, kind in sensors:
                    values = readings_for(kind, now, rng)
                    if client is not None:
                        payload = json.dumps({"observedAt": now.isoformat(), **values})
                        client.publish(f"{options['topic_prefix']}/{entity_id}/attrs", payload, qos=1)
                    else:
                        batch.extend(Reading(entity_id, k, now.isoformat(), v) for k, v in values.items())
                if batch:
                    ingest_readings(batch)
                done += 1
                self.stdout.write(f"round {done}: {len(sensors)} sensors at {timezone.localtime(now):%H:%M:%S}")
                if options["rounds"] == 0 or done < options["rounds"]:
                    time.sleep(options["interval"])
        except KeyboardInterrupt:
            pass
        finally:
            if client is not None:
                client.disconnect()
                client.loop_stop()
