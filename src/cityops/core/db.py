"""Database helpers that differ by vendor, kept behind small functions.

The audit table refuses UPDATE and DELETE at the database level. The only way round it is
``audit_maintenance()``, used by the retention purge and by the test suite's database flush.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver

__all__ = ["audit_maintenance", "is_postgres"]

_sqlite_audit_unlocked = False


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@receiver(connection_created)
def _register_sqlite_functions(sender: Any, connection: Any, **kwargs: Any) -> None:
    """SQLite triggers call ``cityops_audit_locked()``; a connection without it cannot change audit rows."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "cityops_audit_locked", 0, lambda: 0 if _sqlite_audit_unlocked else 1, deterministic=False
        )


@contextmanager
def audit_maintenance() -> Iterator[None]:
    """Allow deleting audit rows for the duration (retention purge, test flush). Never used by the product UI."""
    global _sqlite_audit_unlocked
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET cityops.audit_maintenance = 'on'")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET cityops.audit_maintenance")
    else:
        _sqlite_audit_unlocked = True
        try:
            yield
        finally:
            _sqlite_audit_unlocked = False
