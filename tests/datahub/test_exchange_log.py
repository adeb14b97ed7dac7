"""The exchange log: each entry chained to the previous by hash; raw SQL edits are detected."""

from __future__ import annotations

import importlib
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from cityops.datahub.models import Dataset, ExchangeLogEntry, Sector
from cityops.datahub.services import GENESIS_HASH, entry_hash, exchange_log_append, verify_exchange_log

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(agency_a):
    sector = Sector.objects.create(code="env", name="Môi trường", domain="environment")
    return Dataset.objects.create(organization=agency_a, sector=sector, title="Quan trắc", domain="environment")


def fill(dataset, agency_b, n=5):
    return [exchange_log_append(actor=None, organization=agency_b, dataset=dataset, rows=i,
                                detail={"note": "đọc"}) for i in range(n)]  # fmt: skip


def test_chain_links_each_entry(dataset, agency_b):
    entries = fill(dataset, agency_b)
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.hash
    for entry in ExchangeLogEntry.objects.all():
        assert entry.hash == entry_hash(entry.prev_hash, entry)
    report = verify_exchange_log()
    assert report.ok and report.checked == 5
    call_command("verify_exchange_log")


def test_entries_refuse_update_and_delete(dataset, agency_b):
    entry = fill(dataset, agency_b, 1)[0]
    entry.rows = 99
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()


@contextmanager
def guard_dropped():
    """What someone with DDL rights could do: drop the triggers (restored afterwards)."""
    guard = importlib.import_module("cityops.datahub.migrations.0005_exchange_log_append_only")
    vendor = "POSTGRES" if connection.vendor == "postgresql" else "SQLITE"
    with connection.cursor() as cursor:
        for statement in getattr(guard, f"{vendor}_BACKWARD"):
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for statement in getattr(guard, f"{vendor}_FORWARD"):
                cursor.execute(statement)


@pytest.mark.parametrize(
    "sql",
    ["UPDATE {t} SET rows = 1000 WHERE id = %s", "DELETE FROM {t} WHERE id = %s"],
)
def test_database_refuses_raw_update_and_delete(dataset, agency_b, sql):
    entries = fill(dataset, agency_b, 2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.format(t=ExchangeLogEntry._meta.db_table), [entries[0].pk])
    assert ExchangeLogEntry.objects.get(pk=entries[0].pk).rows == 0
    assert verify_exchange_log().ok


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_database_refuses_truncate(dataset, agency_b):
    fill(dataset, agency_b, 1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {ExchangeLogEntry._meta.db_table} CASCADE")
    assert ExchangeLogEntry.objects.count() == 1


def test_tampering_via_raw_sql_is_reported(dataset, agency_b):
    entries = fill(dataset, agency_b)
    table = ExchangeLogEntry._meta.db_table
    with guard_dropped(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET rows = 1000 WHERE id = %s", [entries[2].pk])  # noqa: S608
    report = verify_exchange_log()
    assert report.problems == [(entries[2].pk, "content")]
    with pytest.raises(CommandError):
        call_command("verify_exchange_log")


def test_removed_entry_breaks_the_link(dataset, agency_b):
    entries = fill(dataset, agency_b)
    with guard_dropped(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {ExchangeLogEntry._meta.db_table} WHERE id = %s", [entries[1].pk])  # noqa: S608
    assert verify_exchange_log().problems == [(entries[2].pk, "link")]
