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


def test_exchange_log_page_shows_each_agency_its_side(client, dataset, agency_a, agency_b, make_member, province):
    from tests.factories import OrganizationFactory

    agency_c = OrganizationFactory(name="Sở Tài chính", code="so-tai-chinh", kind="department", parent=province)
    other = Dataset.objects.create(organization=agency_c, sector=dataset.sector, title="<i>Ngân sách</i>",
                                   domain="economy")  # fmt: skip
    exchange_log_append(actor=None, organization=agency_b, dataset=dataset, rows=7)  # B reads A's dataset
    exchange_log_append(actor=None, organization=agency_c, dataset=other, rows=3)  # C reads its own

    client.force_login(make_member(agency_a, "agency_head", username="x-head-a"))
    page = client.get("/datahub/exchange-log/").content.decode()
    assert page.count('data-testid="exchange-row"') == 1 and "Quan trắc" in page and "Sở Y tế" in page

    client.force_login(make_member(agency_b, "agency_head", username="x-head-b"))
    page = client.get("/datahub/exchange-log/").content.decode()
    assert page.count('data-testid="exchange-row"') == 1 and "Ngân sách" not in page

    client.force_login(make_member(agency_c, "agency_head", username="x-head-c"))
    page = client.get("/datahub/exchange-log/").content.decode()
    assert page.count('data-testid="exchange-row"') == 1 and "&lt;i&gt;Ngân sách&lt;/i&gt;" in page
    assert "Quan trắc" not in client.get(f"/datahub/exchange-log/?dataset={dataset.pk}").content.decode()

    client.force_login(make_member(agency_a, "specialist", username="x-spec-a"))
    assert client.get("/datahub/exchange-log/").status_code == 403
    client.force_login(make_member(agency_a, "citizen", username="x-citizen"))
    assert client.get("/datahub/exchange-log/").status_code == 403
