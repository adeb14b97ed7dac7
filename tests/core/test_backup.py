"""``cityops backup`` / ``cityops restore``: an exact round trip of every row and file; hostile archives refused."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.core import serializers
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.color import no_style
from django.db import connection
from django.utils import translation

from cityops.core import audit
from cityops.core.choices import Role
from cityops.core.db import audit_maintenance
from cityops.core.management.commands.backup import FullPrecisionEncoder, backed_up_models
from cityops.core.models import Attachment, AuditEvent
from cityops.core.services.attachments import attachment_create
from cityops.directives import services as directives
from cityops.directives.services import TaskSpec
from tests.core.test_attachments import pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_messages():
    """The assertions read the commands' messages in English; the product's default language is Vietnamese."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.ATTACHMENT_VIRUS_SCANNER = ""
    return root


@pytest.fixture
def seeded(province, agency_a, agency_b, make_member, media_root):
    leader = make_member(province, Role.LEADER, full_name="Nguyễn Văn An")
    clerk = make_member(agency_a, Role.CLERK)
    attachment_create(
        actor=clerk,
        organization=agency_a,
        uploaded_file=SimpleUploadedFile("báo cáo.pdf", pdf_bytes(), content_type="application/pdf"),
    )
    attachment_create(
        actor=clerk,
        organization=agency_a,
        uploaded_file=SimpleUploadedFile("ảnh.png", png_bytes(), content_type="image/png"),
    )
    directives.directive_issue(
        actor=leader,
        organization=province,
        title="Khắc phục ngập úng",
        content="Kết luận cuộc họp giao ban",
        source_kind="meeting",
        tasks=[TaskSpec(title="Nạo vét cống", lead_agency=agency_a), TaskSpec(title="Y tế", lead_agency=agency_b)],
    )
    audit.record(verb="update", actor=leader, target=province, data={"note": "đã kiểm tra"})
    (media_root / "unreferenced").mkdir()
    (media_root / "unreferenced" / "note.txt").write_bytes(b"not referenced by any row\n")
    assert Attachment.objects.count() == 2
    assert AuditEvent.objects.count() >= 3
    return leader


def snapshot() -> dict[str, Any]:
    """Every row of every model, as serialised dicts with full-precision values."""
    rows = {
        model._meta.label: serializers.serialize("python", model._base_manager.order_by(model._meta.pk.name))
        for model in backed_up_models()
    }
    return json.loads(json.dumps(rows, cls=FullPrecisionEncoder))


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def wipe_database() -> None:
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with audit_maintenance(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for statement in connection.ops.sql_flush(no_style(), tables, reset_sequences=True):
            cursor.execute(statement)


def make_backup(tmp_path: Path) -> Path:
    out = io.StringIO()
    call_command("backup", str(tmp_path) + "/", stdout=out)
    archives = list(tmp_path.glob("cityops-backup-*.tar.gz"))
    assert len(archives) == 1
    assert "Backup written" in out.getvalue()
    return archives[0]


def read_archive(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as archive:
        return {m.name: archive.extractfile(m).read() for m in archive.getmembers()}  # type: ignore[union-attr]


def write_archive(path: Path, members: dict[str, bytes], extra: list[tarfile.TarInfo] = ()) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for info in extra:
            archive.addfile(info)
    return path


def test_manifest_lists_database_and_every_file_with_checksums(seeded, media_root, tmp_path):
    archive = make_backup(tmp_path)
    members = read_archive(archive)
    manifest = json.loads(members["manifest.json"])
    assert manifest["format"] == "cityops-backup-1"
    assert manifest["database_vendor"] == connection.vendor
    assert "core" in manifest["migrations"] and manifest["created"]
    expected = {"database.json"} | {f"media/{name}" for name in files(media_root)}
    assert set(manifest["files"]) == expected == set(members) - {"manifest.json"}
    for name, entry in manifest["files"].items():
        assert entry["sha256"] == hashlib.sha256(members[name]).hexdigest()
    assert "media/unreferenced/note.txt" in manifest["files"]


def test_round_trip_into_a_wiped_database_is_exact(seeded, media_root, tmp_path):
    before_rows, before_files = snapshot(), files(media_root)
    archive = make_backup(tmp_path)
    wipe_database()
    for path in media_root.rglob("*"):
        if path.is_file():
            path.unlink()
    assert not AuditEvent.objects.exists()
    out = io.StringIO()
    call_command("restore", str(archive), stdout=out)
    assert snapshot() == before_rows
    assert files(media_root) == before_files
    assert "Restored" in out.getvalue()
    # Sequences continue after the restored keys.
    audit.record(verb="update", actor=seeded, target=seeded)


def test_restore_over_changed_data_needs_force_and_then_replaces_it(seeded, media_root, tmp_path, agency_a):
    before_rows, before_files = snapshot(), files(media_root)
    archive = make_backup(tmp_path)
    audit.record(verb="update", actor=seeded, target=agency_a)
    agency_a.name = "Đổi tên"
    agency_a.save()
    with pytest.raises(CommandError, match="already holds data"):
        call_command("restore", str(archive))
    assert snapshot() != before_rows
    call_command("restore", str(archive), "--force", stdout=io.StringIO())
    assert snapshot() == before_rows
    assert files(media_root) == before_files


def _hostile(tmp_path: Path, archive: Path, change: str) -> Path:
    members = read_archive(archive)
    manifest = json.loads(members["manifest.json"])
    extra: list[tarfile.TarInfo] = []
    if change == "traversal":
        members["media/../../escaped.txt"] = b"x"
    elif change == "absolute":
        members[str(tmp_path / "absolute.txt")] = b"x"
    elif change == "symlink":
        link = tarfile.TarInfo("media/link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        extra.append(link)
    elif change == "hardlink":
        link = tarfile.TarInfo("media/hard")
        link.type, link.linkname = tarfile.LNKTYPE, "database.json"
        extra.append(link)
    elif change == "tampered":
        name = next(n for n in members if n.startswith("media/attachments/"))
        members[name] = members[name] + b"tampered"
    elif change == "unlisted":
        members["media/extra.txt"] = b"not in the manifest"
    elif change == "migrations":
        manifest["migrations"]["core"] = [*manifest["migrations"]["core"], "9999_from_the_future"]
    elif change == "format":
        manifest["format"] = "something-else"
    if change in {"migrations", "format"}:
        members["manifest.json"] = json.dumps(manifest).encode()
    return write_archive(tmp_path / f"hostile-{change}.tar.gz", members, extra)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("traversal", "unsafe path"),
        ("absolute", "unsafe path"),
        ("symlink", "not a regular file"),
        ("hardlink", "not a regular file"),
        ("tampered", "checksum mismatch"),
        ("unlisted", "do not match its manifest"),
        ("migrations", "different migration state"),
        ("format", "not a CityOps backup manifest"),
    ],
)
def test_hostile_archives_are_refused_with_nothing_changed(seeded, media_root, tmp_path, change, message):
    (tmp_path / "out").mkdir()
    archive = make_backup(tmp_path / "out")
    wipe_database()  # an empty database: only the archive's faults can refuse it
    before_rows, before_files = snapshot(), files(media_root)
    hostile = _hostile(tmp_path, archive, change)
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(hostile), "--force")
    assert snapshot() == before_rows
    assert files(media_root) == before_files
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path.parent / "escaped.txt").exists()
    assert not list(media_root.parent.glob(".cityops-restore-*"))


def test_backup_refuses_to_overwrite(seeded, tmp_path):
    archive = make_backup(tmp_path)
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(archive))
