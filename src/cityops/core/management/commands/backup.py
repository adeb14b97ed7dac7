"""``cityops backup <dir-or-archive>``: the database and every file under MEDIA_ROOT in one tar.gz.

The archive holds ``manifest.json`` (format, CityOps version, time, database vendor, applied migrations per
app, every member with its SHA-256), ``database.json`` and ``media/<path>`` for each file.

The database is written as Django's serialised rows of every model (primary keys kept, no natural keys) on
both vendors, with full-precision times (Django's own JSON encoder cuts them to milliseconds). It gives an
exact round trip on SQLite and on PostgreSQL alike, also restores into the other vendor, needs no client tools
matching the server version (``pg_dump``/``pg_restore`` would, and a raw SQLite file copy only suits SQLite), and
lets ``restore`` check the migration state and clear the append-only audit table through
``audit_maintenance()``. The rows and the file list are read inside one transaction: REPEATABLE READ on
PostgreSQL, one read transaction (a snapshot, thanks to WAL) on SQLite. For very large PostgreSQL databases
use ``pg_dump`` (see docs/operations.md).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from uuid import UUID

from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils.duration import duration_iso_string
from django.utils.translation import gettext as _

FORMAT = "cityops-backup-1"
MANIFEST = "manifest.json"
DATABASE = "database.json"
MEDIA_PREFIX = "media/"


class FullPrecisionEncoder(json.JSONEncoder):
    """Like DjangoJSONEncoder, but keeps microseconds (Django's encoder cuts times to milliseconds)."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime | date | time):
            return o.isoformat()
        if isinstance(o, timedelta):
            return duration_iso_string(o)
        if isinstance(o, Decimal | UUID):
            return str(o)
        return super().default(o)


def cityops_version() -> str:
    try:
        return version("cityops")
    except PackageNotFoundError:
        return "unknown"


def backed_up_models() -> list[type[models.Model]]:
    """Every concrete, managed model with its own table (proxies and unmanaged models are skipped)."""
    return [
        model
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy and not model._meta.swapped
    ]


def applied_migrations() -> dict[str, list[str]]:
    """Applied migrations per app, as recorded in the database being read."""
    state: dict[str, list[str]] = {}
    for app_label, name in MigrationRecorder(connection).applied_migrations():
        state.setdefault(app_label, []).append(name)
    return {app: sorted(names) for app, names in sorted(state.items())}


def serialized_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for model in backed_up_models():
        queryset = model._base_manager.using(connection.alias).order_by(model._meta.pk.name)
        rows.extend(serializers.serialize("python", queryset.iterator(chunk_size=2000)))
    return rows


def media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(archive-relative name, path) of every regular file under MEDIA_ROOT; symlinks are not followed."""
    if not root.is_dir():
        return
    for directory, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(directory) / filename
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def archive_path(target: str) -> Path:
    path = Path(target)
    if path.is_dir() or target.endswith(("/", os.sep)):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        return path / f"cityops-backup-{stamp}.tar.gz"
    return path


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(mtime)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


@contextmanager
def snapshot() -> Iterator[None]:
    """One consistent read of the whole database, without blocking writers.

    PostgreSQL: a READ ONLY transaction at REPEATABLE READ. SQLite: a deferred read transaction, which in WAL
    mode sees one snapshot and takes no write lock (``atomic()`` would start ``BEGIN IMMEDIATE`` here).
    Inside an existing transaction (tests) that transaction is the snapshot.
    """
    if connection.in_atomic_block:
        yield
    elif connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
    else:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("ROLLBACK")


class Command(BaseCommand):
    help = "Write the database and every file under MEDIA_ROOT into one verified archive (tar.gz)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "target",
            help="A directory (a dated archive is created in it) or the path of the .tar.gz archive to write.",
        )

    def handle(self, *args: Any, target: str, **options: Any) -> None:
        if settings.STORAGES["default"]["BACKEND"] != "django.core.files.storage.FileSystemStorage":
            raise CommandError(
                _("Files are not on the local disk (S3 storage): back them up with bucket versioning instead.")
            )
        path = archive_path(target)
        if path.exists():
            raise CommandError(_("%(path)s already exists; choose another name.") % {"path": path})
        if not path.parent.is_dir():
            raise CommandError(_("The directory %(path)s does not exist.") % {"path": path.parent})
        media_root = Path(settings.MEDIA_ROOT)
        now = datetime.now(UTC)
        handle, temporary = tempfile.mkstemp(prefix=".cityops-backup-", suffix=".tmp", dir=path.parent)
        os.close(handle)
        try:
            with snapshot():
                rows = serialized_rows()
                migrations = applied_migrations()
                files = list(media_files(media_root))
                database = json.dumps(rows, cls=FullPrecisionEncoder, ensure_ascii=False).encode()
                entries: dict[str, dict[str, Any]] = {
                    DATABASE: {"sha256": hashlib.sha256(database).hexdigest(), "size": len(database)}
                }
                with tarfile.open(temporary, "w:gz") as archive:
                    _add_bytes(archive, DATABASE, database, now.timestamp())
                    for name, file_path in files:
                        member = MEDIA_PREFIX + name
                        try:
                            data = file_path.read_bytes()  # attachments are bounded by ATTACHMENT_MAX_BYTES
                        except FileNotFoundError:  # deleted since it was listed: no row can need it any more
                            continue
                        _add_bytes(archive, member, data, file_path.stat().st_mtime)
                        entries[member] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                    manifest = {
                        "format": FORMAT,
                        "version": cityops_version(),
                        "created": now.isoformat(),
                        "database_vendor": connection.vendor,
                        "database_format": "django-python-rows-json",
                        "migrations": migrations,
                        "rows": len(rows),
                        "files": entries,
                    }
                    _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=2).encode(), now.timestamp())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.stdout.write(
            self.style.SUCCESS(
                _("Backup written to %(path)s: %(rows)d database rows, %(files)d files.")
                % {"path": path, "rows": len(rows), "files": len(entries) - 1}
            )
        )
