"""``cityops bench-ingest``: values/s of the ingest path beside a raw ``COPY`` of the same rows (PostgreSQL).

Creates throw-away entities under a dedicated organisation-less prefix, measures ``ingest_readings`` in
batches (NGSI-LD/MQTT path: validation + one-statement upsert) and a bare ``COPY`` into a copy of the
observation table, prints both and the ratio (DESIGN.md §7: ≥ 50,000 values/s and ≥ 30 % of COPY), then
removes what it created. Both sides commit once per batch
into a logged, indexed table. Run it against a scratch database, never production.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from cityops.core.db import is_postgres
from cityops.core.models import Organization
from cityops.datahub.ingest import Reading, ingest_readings
from cityops.datahub.models import Entity, Observation


class Command(BaseCommand):
    help = "Benchmark observation ingest against a raw COPY of the same rows (PostgreSQL)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--values", type=int, default=200_000)
        parser.add_argument("--batch", type=int, default=5_000)
        parser.add_argument("--entities", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        if not is_postgres():
            raise CommandError("bench-ingest needs PostgreSQL (DATABASE_URL=postgres://...).")
        organization = Organization.objects.order_by("path").first()
        if organization is None:
            raise CommandError("Create an organisation first (cityops seed-demo).")
        n, batch, count = options["values"], options["batch"], options["entities"]
        prefix = f"urn:ngsi-ld:AirQualityObserved:bench-{int(time.time())}-"
        entities = Entity.objects.bulk_create(
            [
                Entity(organization=organization, entity_id=f"{prefix}{i}", type="AirQualityObserved")
                for i in range(count)
            ]
        )
        start = datetime(2020, 1, 1, tzinfo=UTC)
        readings = [
            Reading(entities[i % count].entity_id, "PM10", (start + timedelta(seconds=i)).isoformat(), float(i % 500))
            for i in range(n)
        ]
        try:
            began = time.perf_counter()
            for offset in range(0, n, batch):
                ingest_readings(readings[offset : offset + batch])
            ingest_rate = n / (time.perf_counter() - began)
            ids = [e.pk for e in entities]
            rows = [(ids[i % count], "PM10", start + timedelta(seconds=i), float(i % 500)) for i in range(n)]
            table = Observation._meta.db_table
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"CREATE TEMPORARY TABLE bench_copy (LIKE {table} INCLUDING ALL) ON COMMIT DROP")
                began = time.perf_counter()
                with cursor.cursor.copy(
                    "COPY bench_copy (entity_id, attribute, observed_at, value) FROM STDIN"
                ) as copy:
                    for row in rows:
                        copy.write_row(row)
                copy_rate = n / (time.perf_counter() - began)
        finally:
            Entity.objects.filter(entity_id__startswith=prefix).delete()
        self.stdout.write(f"ingest path: {ingest_rate:,.0f} values/s  (batches of {batch})")
        self.stdout.write(f"raw COPY:    {copy_rate:,.0f} values/s")
        self.stdout.write(f"ratio:       {ingest_rate / copy_rate:.0%} of COPY (target ≥ 30 %, ≥ 50,000 values/s)")
