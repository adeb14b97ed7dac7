"""Load the benchmark data sets into the bench database, once per seed and size (PostgreSQL only).

The database is migrated, the demo province is loaded with the project's own ``seed_demo`` (organisations,
accounts, feedback categories, indicators), then the bulk data goes in with ``COPY``: citizen reports and
their ratings, sensors and their observations (secondary indexes and constraints are dropped during the copy
and rebuilt after, the usual way to bulk-load PostgreSQL), documents and their search-index rows (written by
the documents module's own search providers, so the folded text is exactly what the product would store).

A marker table ``bench_dataset`` records the seed, the sizes, the generator version and the anchor hour. A
later run with the same values reuses the database as it is; anything else drops the database and loads
anew, so a half-finished load is never mistaken for a complete one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from bench.datasets import Sizes, anchor_hour, document_rows, observation_layout, observation_lines, report_rows

__all__ = ["DATASET_VERSION", "Dataset", "ensure_dataset", "reset_if_stale"]

# Bump when a generator changes, so cached databases made by the old one are rebuilt.
DATASET_VERSION = 1
MARKER = "bench_dataset"


@dataclass(frozen=True)
class Dataset:
    seed: int
    sizes: Sizes
    anchor: datetime
    load_seconds: float
    loaded_now: bool


def _admin_url(url: str) -> tuple[str, str]:
    """(URL of the server's ``postgres`` database, name of the bench database)."""
    base, _sep, name = url.rpartition("/")
    return f"{base}/postgres", name.split("?")[0]


def _marker(url: str) -> dict[str, Any] | None:
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(
                f"SELECT seed, reports, observations, documents, entities, version, anchor, load_seconds "  # noqa: S608
                f"FROM {MARKER} ORDER BY loaded_at DESC LIMIT 1"
            ).fetchone()
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return None
    if row is None:
        return None
    keys = ("seed", "reports", "observations", "documents", "entities", "version", "anchor", "load_seconds")
    return dict(zip(keys, row, strict=True))


def reset_if_stale(url: str, seed: int, sizes: Sizes) -> dict[str, Any] | None:
    """The marker when the database already holds this data set; otherwise a fresh empty database and None."""
    marker = _marker(url)
    wanted = {
        "seed": seed,
        "reports": sizes.reports,
        "observations": sizes.observations,
        "documents": sizes.documents,
        "entities": sizes.entities,
        "version": DATASET_VERSION,
    }
    if marker is not None and all(marker[k] == v for k, v in wanted.items()):
        return marker
    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return None


# --- COPY helpers -------------------------------------------------------------------------------------------


def _defaults(model: Any) -> list[tuple[str, str, Any]]:
    """(attname, column, fallback) for every concrete column, the fallback being what a new instance holds."""
    from django.db import models

    columns = []
    for field in model._meta.concrete_fields:
        if field.has_default():
            fallback = field.get_default()
        elif field.null:
            fallback = None
        elif isinstance(field, models.CharField | models.TextField):
            fallback = ""
        else:
            fallback = None
        if isinstance(field, models.JSONField):
            fallback = json.dumps(fallback if fallback is not None else {})
        columns.append((field.attname, field.column, fallback))
    return columns


def copy_rows(model: Any, rows: Iterable[dict[str, Any]], *, with_pk: bool = True) -> int:
    """COPY dicts of attribute values into the model's table; missing attributes take the model's default.

    ``with_pk=False`` leaves the primary key to its sequence.
    """
    from django.db import connection

    columns = [c for c in _defaults(model) if with_pk or c[0] != model._meta.pk.attname]
    names = ", ".join(f'"{column}"' for _a, column, _f in columns)
    count = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {model._meta.db_table} ({names}) FROM STDIN") as copy:  # noqa: S608
            for row in rows:
                copy.write_row(tuple(row.get(attname, fallback) for attname, _c, fallback in columns))
                count += 1
    return count


def _bump_sequence(model: Any) -> None:
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"  # noqa: S608
        )


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return int(model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


class _WithoutIndexes:
    """Drop a table's indexes and constraints for a bulk COPY and rebuild them after (in that order)."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.constraints: list[tuple[str, str, str]] = []
        self.indexes: list[str] = []

    def __enter__(self) -> _WithoutIndexes:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f', 'c')",
                [self.table],
            )
            self.constraints = list(cursor.fetchall())
            owned = {name for name, _t, _d in self.constraints}
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [self.table])
            self.indexes = [definition for name, definition in cursor.fetchall() if name not in owned]
            for name, _kind, _definition in sorted(self.constraints, key=lambda c: c[1] != "f"):
                cursor.execute(f'ALTER TABLE {self.table} DROP CONSTRAINT "{name}"')
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = %s",
                [self.table],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, *exc: object) -> None:
        from django.db import connection

        if exc[0] is not None:
            return  # the marker is not written, so the next run starts from a new database
        with connection.cursor() as cursor:
            for name, _kind, definition in sorted(self.constraints, key=lambda c: c[1] == "f"):
                cursor.execute(f'ALTER TABLE {self.table} ADD CONSTRAINT "{name}" {definition}')
            for definition in self.indexes:
                cursor.execute(definition)


# --- The data sets ------------------------------------------------------------------------------------------


def _load_reports(seed: int, sizes: Sizes, anchor: datetime, log: Any) -> None:
    from cityops.core.models import Organization
    from cityops.feedback.models import Category, Rating, Request
    from cityops.feedback.selectors import public_areas
    from cityops.feedback.services import desk_organization

    categories = list(Category.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
    agencies = sorted({c.default_agency_id for c in Category.objects.all() if c.default_agency_id})
    areas = list(public_areas().values_list("id", "name"))
    desk = desk_organization()
    if not agencies:
        agencies = list(Organization.objects.filter(parent=desk).values_list("id", flat=True)[:10])
    ratings: list[dict[str, Any]] = []
    first_id = _next_id(Request)

    def rows() -> Iterator[dict[str, Any]]:
        for row in report_rows(
            seed, sizes.reports, anchor=anchor, first_id=first_id, categories=categories,
            agencies=agencies, areas=areas, desk=desk.pk,
        ):  # fmt: skip
            score = row.pop("rating")
            if score is not None:
                ratings.append({"request_id": row["id"], "score": score, "created_at": row["closed_at"]})
            yield row

    started = time.perf_counter()
    count = copy_rows(Request, rows())
    first_rating = _next_id(Rating)
    copy_rows(Rating, ({"id": i, **r} for i, r in enumerate(ratings, start=first_rating)))
    _bump_sequence(Request)
    _bump_sequence(Rating)
    log(f"  reports: {count:,} (+{len(ratings):,} ratings) in {time.perf_counter() - started:.0f} s")


def _load_observations(seed: int, sizes: Sizes, anchor: datetime, log: Any) -> None:
    from django.db import connection

    from cityops.core.models import Organization
    from cityops.datahub.models import Entity, Observation

    started = time.perf_counter()
    layout, steps = observation_layout(sizes)
    owners = list(
        Organization.objects.filter(kind__in=("commune", "ward"), is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    ) or [Organization.objects.order_by("path").values_list("id", flat=True)[0]]
    entities = Entity.objects.bulk_create(
        [
            Entity(
                organization_id=owners[i % len(owners)], entity_id=entity_id, type=kind,
                latitude=21.0 + (i % 50) / 100, longitude=105.95 + (i // 50 % 50) / 80,
            )
            for i, (entity_id, kind) in enumerate(layout)
        ]
    )  # fmt: skip
    table = Observation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 2")
        with _WithoutIndexes(table):
            with cursor.cursor.copy(f"COPY {table} (entity_id, attribute, observed_at, value) FROM STDIN") as copy:  # noqa: S608
                for chunk in observation_lines(seed, sizes, [e.pk for e in entities], anchor):
                    copy.write(chunk)
            log(f"  observations copied in {time.perf_counter() - started:.0f} s; rebuilding indexes")
        cursor.execute("RESET maintenance_work_mem")
    log(
        f"  observations: {len(entities) * 5 * steps:,} ({len(entities)} sensors × 5 attributes × {steps} steps) "
        f"in {time.perf_counter() - started:.0f} s"
    )


def _load_documents(seed: int, sizes: Sizes, anchor: datetime, log: Any) -> None:
    from cityops.core.models import Organization, SearchEntry
    from cityops.core.search import provider_for
    from cityops.documents.models import DocumentType, IncomingDocument, OutgoingDocument

    started = time.perf_counter()
    agencies = list(
        Organization.objects.filter(is_active=True, kind__in=("province", "department", "agency"))
        .order_by("id")
        .values_list("id", flat=True)
    ) or list(Organization.objects.order_by("id").values_list("id", flat=True)[:20])
    orgs = Organization.objects.in_bulk(agencies)
    places = list(Organization.objects.filter(kind__in=("commune", "ward")).values_list("name", flat=True)[:200])
    types = list(DocumentType.objects.order_by("id").values_list("id", "name"))
    incoming: list[dict[str, Any]] = []
    outgoing: list[dict[str, Any]] = []
    first = max(_next_id(IncomingDocument), _next_id(OutgoingDocument))
    for kind, fields in document_rows(
        seed, sizes.documents, anchor=anchor, first_id=first, organizations=agencies,
        places=places or ["Kinh Bắc"], document_types=types,
    ):  # fmt: skip
        (incoming if kind == "incoming" else outgoing).append(fields)
    copy_rows(IncomingDocument, incoming)
    copy_rows(OutgoingDocument, outgoing)
    _bump_sequence(IncomingDocument)
    _bump_sequence(OutgoingDocument)

    def entries() -> Iterator[dict[str, Any]]:
        for model, rows in ((IncomingDocument, incoming), (OutgoingDocument, outgoing)):
            provider = provider_for(model._meta.label_lower)
            assert provider is not None
            concrete = {f.attname for f in model._meta.concrete_fields}
            for row in rows:
                obj = model(**{k: v for k, v in row.items() if k in concrete})
                obj.organization = orgs[row["organization_id"]]
                values = provider.entry_values(obj)
                yield {"object_type": provider.object_type, "object_id": str(row["id"]), **values,
                       "updated_at": row["updated_at"]}  # fmt: skip

    SearchEntry.objects.filter(object_type__startswith="documents.").delete()
    count = copy_rows(SearchEntry, entries(), with_pk=False)
    log(
        f"  documents: {len(incoming):,} incoming + {len(outgoing):,} outgoing, {count:,} search rows "
        f"in {time.perf_counter() - started:.0f} s"
    )


def ensure_dataset(url: str, seed: int, sizes: Sizes, log: Any = print) -> Dataset:
    """Reuse the loaded data set, or load it (Django must be set up on ``url``'s database)."""
    from django.core.management import call_command
    from django.db import connection

    marker = reset_if_stale(url, seed, sizes)
    call_command("migrate", verbosity=0)
    if marker is not None:
        log(
            f"data set cached (seed {seed}, loaded in {marker['load_seconds']:.0f} s, "
            f"anchor {marker['anchor']:%Y-%m-%d %H:%M}Z)"
        )
        return Dataset(seed, sizes, marker["anchor"], float(marker["load_seconds"]), False)
    from cityops.core.services.demo import seed_demo

    log(
        f"loading data set (seed {seed}: {sizes.reports:,} reports, {sizes.observations:,} observations, "
        f"{sizes.documents:,} documents)…"
    )
    started = time.perf_counter()
    anchor = anchor_hour()
    seed_demo()
    log(f"  demo province in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
    _load_reports(seed, sizes, anchor, log)
    _load_observations(seed, sizes, anchor, log)
    _load_documents(seed, sizes, anchor, log)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        seconds = time.perf_counter() - started
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER} (seed integer, reports integer, observations bigint, "
            "documents integer, entities integer, version integer, anchor timestamptz, load_seconds double precision, "
            "loaded_at timestamptz DEFAULT now())"
        )
        cursor.execute(
            f"INSERT INTO {MARKER} (seed, reports, observations, documents, entities, version, anchor, load_seconds) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [
                seed,
                sizes.reports,
                sizes.observations,
                sizes.documents,
                sizes.entities,
                DATASET_VERSION,
                anchor,
                seconds,
            ],
        )
    log(f"data set loaded in {seconds:.0f} s")
    return Dataset(seed, sizes, anchor, seconds, True)
