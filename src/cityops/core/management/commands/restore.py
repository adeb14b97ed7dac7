"""``cityops restore <archive>``: put back a ``cityops backup`` archive (database rows and MEDIA_ROOT files).

Everything is checked before anything changes: member names (no absolute paths, no ``..``, only regular
files: no symlinks, links or devices), the manifest's format, every member's SHA-256, and that the archive's
migration state equals this code's and this database's. A database that already holds data is refused unless
``--force``. The rows are then replaced in one transaction (the append-only audit table is cleared inside
``audit_maintenance()``) and the files are written under MEDIA_ROOT.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

from cityops.core.db import audit_maintenance
from cityops.core.management.commands.backup import (
    DATABASE,
    FORMAT,
    MANIFEST,
    MEDIA_PREFIX,
    applied_migrations,
    backed_up_models,
)

# Reference rows that ``migrate`` itself creates (content types, permissions, data migrations); a database
# holding only these counts as empty. A new data migration not listed here only makes restore ask for --force.
MIGRATE_CREATED = {
    "contenttypes.ContentType",
    "auth.Permission",
    "datahub.IndicatorDefinition",
    "documents.DocumentType",
    "documents.RetentionRule",
}


def _safe_member_name(member: tarfile.TarInfo) -> str:
    """The member's name if it is a plain file at a safe relative path; otherwise refuse the archive."""
    name = member.name
    if not member.isfile():
        raise CommandError(_("Refused: archive member %(name)s is not a regular file.") % {"name": name})
    path = PurePosixPath(name)
    if not name or name.startswith(("/", "\\")) or path.is_absolute() or ".." in path.parts or "\\" in name:
        raise CommandError(_("Refused: archive member %(name)s has an unsafe path.") % {"name": name})
    if ":" in path.parts[0] or "\x00" in name or name != path.as_posix():
        raise CommandError(_("Refused: archive member %(name)s has an unsafe path.") % {"name": name})
    if name not in {MANIFEST, DATABASE} and not (name.startswith(MEDIA_PREFIX) and len(path.parts) > 1):
        raise CommandError(_("Refused: unexpected archive member %(name)s.") % {"name": name})
    return name


def code_migrations() -> dict[str, list[str]]:
    """Migrations this code defines per app (the state a restore must match)."""
    executor = MigrationExecutor(connection)
    state: dict[str, list[str]] = {}
    for app_label, name in executor.loader.graph.nodes:
        state.setdefault(app_label, []).append(name)
    return {app: sorted(names) for app, names in sorted(state.items())}


def tables_with_data() -> list[str]:
    """Models holding rows other than the reference rows migrations create."""
    return [
        model._meta.label
        for model in backed_up_models()
        if model._meta.label not in MIGRATE_CREATED and model._base_manager.exists()
    ]


class Command(BaseCommand):
    help = "Restore a backup archive made by `cityops backup` (database and files); checks it first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", help="The .tar.gz archive written by `cityops backup`.")
        parser.add_argument("--force", action="store_true", help="Replace the data of a database that is not empty.")

    def handle(self, *args: Any, archive: str, force: bool, **options: Any) -> None:
        path = Path(archive)
        if not path.is_file():
            raise CommandError(_("No archive at %(path)s.") % {"path": path})
        media_root = Path(settings.MEDIA_ROOT)
        media_root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".cityops-restore-", dir=media_root.parent) as staging:
            manifest, database, files = self._read_and_verify(path, Path(staging))
            self._check_migrations(manifest)
            holding = [] if force else tables_with_data()
            if holding:
                raise CommandError(
                    _(
                        "Refused: the database already holds data (%(models)s). "
                        "Use --force to replace it with the backup."
                    )
                    % {"models": ", ".join(holding[:5]) + (", …" if len(holding) > 5 else "")}
                )
            rows = json.loads(database)
            with audit_maintenance(), transaction.atomic():
                self._replace_rows(rows)
            for name in files:
                target = media_root / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(Path(staging) / name, target)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Restored %(rows)d database rows and %(files)d files from the backup of %(created)s "
                    "(%(vendor)s, CityOps %(version)s)."
                )
                % {
                    "rows": len(rows),
                    "files": len(files),
                    "created": manifest.get("created", "?"),
                    "vendor": manifest.get("database_vendor", "?"),
                    "version": manifest.get("version", "?"),
                }
            )
        )

    def _read_and_verify(self, path: Path, staging: Path) -> tuple[dict[str, Any], bytes, list[str]]:
        """Check names, manifest and checksums; stage the files. Nothing outside ``staging`` is written."""
        try:
            archive = tarfile.open(path, "r:gz")
        except (tarfile.TarError, OSError) as exc:
            raise CommandError(
                _("Refused: %(path)s is not a backup archive (%(error)s).") % {"path": path, "error": exc}
            ) from exc
        with archive:
            members: dict[str, tarfile.TarInfo] = {}
            for member in archive.getmembers():
                name = _safe_member_name(member)
                if name in members:
                    raise CommandError(_("Refused: archive member %(name)s appears twice.") % {"name": name})
                members[name] = member
            if MANIFEST not in members:
                raise CommandError(_("Refused: the archive has no manifest."))
            manifest_file = archive.extractfile(members[MANIFEST])
            try:
                manifest = json.loads(manifest_file.read() if manifest_file else b"")
            except ValueError as exc:
                raise CommandError(_("Refused: the manifest is not valid JSON.")) from exc
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                raise CommandError(
                    _("Refused: the manifest is not a CityOps backup manifest (%(format)s).") % {"format": FORMAT}
                )
            listed = manifest.get("files")
            if not isinstance(listed, dict) or DATABASE not in listed:
                raise CommandError(_("Refused: the manifest lists no database."))
            if set(listed) != set(members) - {MANIFEST}:
                raise CommandError(_("Refused: the archive's members do not match its manifest."))
            database = b""
            files: list[str] = []
            for name, member in members.items():
                if name == MANIFEST:
                    continue
                source = archive.extractfile(member)
                data = source.read() if source else b""
                expected = listed[name]
                if not isinstance(expected, dict) or hashlib.sha256(data).hexdigest() != expected.get("sha256"):
                    raise CommandError(_("Refused: checksum mismatch for %(name)s.") % {"name": name})
                if name == DATABASE:
                    database = data
                else:
                    relative = name.removeprefix(MEDIA_PREFIX)
                    target = staging / relative
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                    files.append(relative)
        return manifest, database, files

    def _check_migrations(self, manifest: dict[str, Any]) -> None:
        in_archive = manifest.get("migrations")
        in_code = code_migrations()
        if in_archive != in_code:
            apps = sorted(
                app
                for app in set(in_code) | set(in_archive if isinstance(in_archive, dict) else {})
                if not isinstance(in_archive, dict) or in_archive.get(app) != in_code.get(app)
            )
            raise CommandError(
                _(
                    "Refused: the backup was made with a different migration state (apps: %(apps)s). "
                    "Restore it with the CityOps version that made it (%(version)s)."
                )
                % {"apps": ", ".join(apps), "version": manifest.get("version", "?")}
            )
        if applied_migrations() != in_code:
            raise CommandError(_("Refused: this database is not fully migrated. Run `cityops migrate` first."))

    def _replace_rows(self, rows: list[dict[str, Any]]) -> None:
        """Clear every table and load the rows; primary keys are kept and sequences moved past them."""
        tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
        statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=True, allow_cascade=False)
        postgres = connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            if postgres:  # TRUNCATE refuses tables with deferred checks pending in this transaction
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for statement in statements:
                cursor.execute(statement)
            if postgres:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        try:
            for obj in serializers.deserialize("python", rows):
                obj.save()
        except serializers.base.DeserializationError as exc:
            raise CommandError(_("Refused: the database rows could not be read (%(error)s).") % {"error": exc}) from exc
        connection.check_constraints()
        reset = connection.ops.sequence_reset_sql(no_style(), backed_up_models())
        with connection.cursor() as cursor:
            for statement in reset:
                cursor.execute(statement)
