"""Attachments: type from content, refusals, safe names, no orphans, scoped downloads and the API."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import reverse

from cityops.core.choices import AuditVerbs, Role, ScanStatus
from cityops.core.models import Attachment, AuditEvent
from cityops.core.selectors.attachments import attachment_list_for_target
from cityops.core.services.attachments import attachment_create
from cityops.core.uploads import CHUNK_SIZE, UploadRejected, inspect_upload, sanitize_filename

pytestmark = pytest.mark.django_db


# --- Real files, built here -------------------------------------------------------------------------------


def png_bytes() -> bytes:
    """A valid 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def zip_bytes(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
)


def docx_bytes(extra: dict[str, bytes] | None = None) -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": b"<w:document><w:body><w:p>Xin ch\xc3\xa0o</w:p></w:body></w:document>",
            **(extra or {}),
        }
    )


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# --- Fixtures ---------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    settings.ATTACHMENT_VIRUS_SCANNER = ""
    return tmp_path


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def clerk_a(agency_a, make_member):
    return make_member(agency_a, Role.CLERK)


@pytest.fixture
def specialist_b(agency_b, make_member):
    return make_member(agency_b, Role.SPECIALIST)


def rejected_code(excinfo: pytest.ExceptionInfo) -> str:
    return excinfo.value.error_dict["file"][0].code


# --- Inspection: real files accepted ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "mime", "extension"),
    [
        ("ảnh hiện trường.png", png_bytes(), "image/png", ".png"),
        ("Báo cáo.pdf", pdf_bytes(), "application/pdf", ".pdf"),
        (
            "Kế hoạch.docx",
            docx_bytes(),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ".docx",
        ),
        ("bien-ban.odt", odt_bytes(), "application/vnd.oasis.opendocument.text", ".odt"),
        ("ghi chú.txt", "Đường Lý Thái Tổ bị ngập\n".encode(), "text/plain", ".txt"),
        ("so-lieu.csv", "BM,Bắc Ninh,1\n".encode(), "text/csv", ".csv"),  # starts like a BMP, is CSV
        ("photo.JPG", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64, "image/jpeg", ".jpg"),
    ],
)
def test_real_files_are_recognised_by_content(name, content, mime, extension):
    result = inspect_upload(upload(name, content))
    assert (result.content_type, result.extension, result.size) == (mime, extension, len(content))
    assert len(result.sha256) == 64


def test_name_without_extension_gets_the_detected_one():
    assert inspect_upload(upload("scan", pdf_bytes())).original_name == "scan.pdf"


# --- Inspection: refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("cat.jpg", b"this is just text pretending to be a photo\n", "type_mismatch"),
        ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "unsupported_type"),  # exe
        ("chart.png", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "unsupported_type"),  # Linux executable
        ("virus.exe", pdf_bytes(), "unsupported_type"),  # a PDF named .exe is still refused
        ("page.html", b"<html><script>alert(1)</script></html>", "unsupported_type"),
        ("doc.pdf", png_bytes(), "type_mismatch"),  # a real PNG calling itself a PDF
        ("notes.txt", png_bytes(), "type_mismatch"),
        ("legacy.txt", "Hà Nội".encode("utf-16"), "unsupported_type"),  # NUL bytes: not UTF-8 text
        ("latin.csv", "café;1\n".encode("latin-1"), "unsupported_type"),  # invalid UTF-8
        ("bundle.zip", zip_bytes({"a.txt": b"hello"}), "unsupported_type"),
        ("fake.docx", zip_bytes({"word/document.xml": b"<x/>"}), "unsupported_type"),  # no [Content_Types].xml
        ("sheet.xlsx", docx_bytes(), "type_mismatch"),  # a Word file calling itself Excel
        ("macro.docx", docx_bytes({"word/vbaProject.bin": b"\x00" * 10}), "macros"),
        ("broken.docx", b"PK\x03\x04" + b"\x00" * 100, "corrupt"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_refused_files(name, content, code):
    with pytest.raises(UploadRejected) as excinfo:
        inspect_upload(upload(name, content))
    assert excinfo.value.code == code
    assert excinfo.value.message


def test_polyglot_is_stored_and_served_as_what_its_content_is(agency_a, clerk_a, client):
    """A JPEG carrying a script after its image data is a JPEG: stored as .jpg, sent as image/jpeg, nosniff."""
    content = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"<?php system($_GET['c']); ?><script>x</script>"
    attachment = attachment_create(actor=clerk_a, organization=agency_a, uploaded_file=upload("shell.php.jpg", content))
    assert attachment.file.name.endswith(".jpg")
    client.force_login(clerk_a)
    response = client.get(reverse("core:attachment_download", args=[attachment.pk]))
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")


def test_zip_bomb_by_total_size_is_refused():
    bomb = docx_bytes({"word/media/zeros.bin": b"\x00" * (3 * 1024 * 1024)})
    with override_settings(ATTACHMENT_ZIP_MAX_UNCOMPRESSED_BYTES=1024 * 1024, ATTACHMENT_ZIP_MAX_RATIO=10**9):
        with pytest.raises(UploadRejected) as excinfo:
            inspect_upload(upload("bomb.docx", bomb))
    assert excinfo.value.code == "zip_bomb"


def test_zip_bomb_by_compression_ratio_is_refused_with_default_limits():
    bomb = docx_bytes({"word/media/zeros.bin": b"\x00" * (8 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024
    with pytest.raises(UploadRejected) as excinfo:
        inspect_upload(upload("bomb.docx", bomb))
    assert excinfo.value.code == "zip_bomb"


def test_zip_with_too_many_entries_is_refused():
    many = docx_bytes({f"word/part{i}.xml": b"<x/>" for i in range(30)})
    with override_settings(ATTACHMENT_ZIP_MAX_ENTRIES=20):
        with pytest.raises(UploadRejected) as excinfo:
            inspect_upload(upload("many.docx", many))
    assert excinfo.value.code == "zip_bomb"


@override_settings(ATTACHMENT_MAX_BYTES=100)
def test_oversize_file_is_refused():
    with pytest.raises(UploadRejected) as excinfo:
        inspect_upload(upload("big.txt", b"a" * 101))
    assert excinfo.value.code == "too_large"
    assert inspect_upload(upload("ok.txt", b"a" * 100)).size == 100


class EndlessFile(File):
    """A stream of unknown size that counts how much of it was read."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), name="endless.txt")
        self.read_bytes = 0

    @property
    def size(self):  # unknown, as for a streamed request body
        return None

    def seek(self, *args):
        return 0

    def chunks(self, chunk_size=None):
        while True:
            self.read_bytes += CHUNK_SIZE
            yield b"a" * CHUNK_SIZE


@override_settings(ATTACHMENT_MAX_BYTES=3 * CHUNK_SIZE)
def test_size_limit_stops_reading_a_huge_stream_early():
    endless = EndlessFile()
    with pytest.raises(UploadRejected) as excinfo:
        inspect_upload(endless)
    assert excinfo.value.code == "too_large"
    assert endless.read_bytes <= 4 * CHUNK_SIZE


def test_declared_size_over_limit_is_refused_without_reading(settings):
    settings.ATTACHMENT_MAX_BYTES = 10

    class Declared(SimpleUploadedFile):
        def chunks(self, chunk_size=None):  # pragma: no cover - must not be reached
            raise AssertionError("read a file already known to be too large")

    with pytest.raises(UploadRejected):
        inspect_upload(Declared("x.txt", b"a" * 11))


# --- Names --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system32\\evil.pdf", "evil.pdf"),
        ("/var/www/../x.png", "x.png"),
        ("bad\x00name\r\n.txt", "badname.txt"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # right-to-left override removed
        ("Ba\u0301o ca\u0301o.pdf", "Báo cáo.pdf"),  # NFD input stored as NFC
        ("...", "file"),
        ("", "file"),
        ("  .hidden.txt  ", "hidden.txt"),
    ],
)
def test_sanitize_filename(raw, clean):
    assert sanitize_filename(raw) == clean


def test_long_names_are_cut_keeping_the_extension():
    name = sanitize_filename("Báo cáo " * 100 + ".pdf")
    assert len(name) <= 150
    assert name.endswith(".pdf")


# --- Service -----------------------------------------------------------------------------------------------


def test_create_stores_under_a_random_name_and_audits(agency_a, clerk_a, media_root):
    attachment = attachment_create(
        actor=clerk_a, organization=agency_a, uploaded_file=upload("../../secret-plan.pdf", pdf_bytes())
    )
    attachment.refresh_from_db()
    assert attachment.original_name == "secret-plan.pdf"
    assert "secret-plan" not in attachment.file.name
    assert ".." not in attachment.file.name
    assert attachment.file.name.startswith("attachments/") and attachment.file.name.endswith(".pdf")
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(pdf_bytes())
    assert attachment.scan_status == ScanStatus.NOT_SCANNED
    assert attachment.uploaded_by == clerk_a
    assert (media_root / attachment.file.name).read_bytes() == pdf_bytes()
    event = AuditEvent.objects.get(verb=AuditVerbs.ATTACHMENT_UPLOADED)
    assert event.target_id == str(attachment.pk) and event.organization == agency_a
    assert event.data["sha256"] == attachment.sha256


def test_two_uploads_of_the_same_name_get_different_storage_names(agency_a, clerk_a):
    first = attachment_create(actor=clerk_a, organization=agency_a, uploaded_file=upload("a.pdf", pdf_bytes()))
    second = attachment_create(actor=clerk_a, organization=agency_a, uploaded_file=upload("a.pdf", pdf_bytes()))
    assert first.file.name != second.file.name


def test_rejection_is_audited_and_nothing_is_stored(agency_a, clerk_a, media_root):
    with pytest.raises(ValidationError) as excinfo:
        attachment_create(actor=clerk_a, organization=agency_a, uploaded_file=upload("cat.jpg", b"plain text"))
    assert rejected_code(excinfo) == "type_mismatch"
    assert not Attachment.objects.exists()
    assert stored_files(media_root) == []
    event = AuditEvent.objects.get(verb=AuditVerbs.ATTACHMENT_REJECTED)
    assert event.data["reason"] == "type_mismatch" and event.actor == clerk_a


def test_target_is_recorded_and_listed(agency_a, clerk_a, specialist_b):
    attachment = attachment_create(
        actor=clerk_a, organization=agency_a, uploaded_file=upload("a.pdf", pdf_bytes()), target=agency_a
    )
    assert (attachment.target_type, attachment.target_id) == ("core.organization", str(agency_a.pk))
    assert list(attachment_list_for_target(user=clerk_a, target=agency_a)) == [attachment]
    assert list(attachment_list_for_target(user=specialist_b, target=agency_a)) == []


def test_failed_row_save_removes_the_stored_file(agency_a, clerk_a, media_root, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(Attachment, "save", broken_save)
    with pytest.raises(DatabaseError):
        attachment_create(actor=clerk_a, organization=agency_a, uploaded_file=upload("a.pdf", pdf_bytes()))
    assert stored_files(media_root) == []


def test_failed_audit_after_save_removes_the_stored_file(agency_a, clerk_a, media_root, monkeypatch):
    from cityops.core import audit

    real_record = audit.record

    def failing_record(**kwargs):
        if kwargs["verb"] == AuditVerbs.ATTACHMENT_UPLOADED:
            raise DatabaseError("audit table unavailable")
        return real_record(**kwargs)

    monkeypatch.setattr(audit, "record", failing_record)
    with pytest.raises(DatabaseError):
        attachment_create(actor=clerk_a, organization=agency_a, uploaded_file=upload("a.pdf", pdf_bytes()))
    assert stored_files(media_root) == []
    assert not Attachment.objects.exists()


def test_upload_needs_a_staff_role_in_the_organisation(agency_a, agency_b, specialist_b, make_member):
    with pytest.raises(PermissionDenied):
        attachment_create(actor=specialist_b, organization=agency_a, uploaded_file=upload("a.pdf", pdf_bytes()))
    citizen = make_member(agency_a, Role.CITIZEN)
    with pytest.raises(PermissionDenied):
        attachment_create(actor=citizen, organization=agency_a, uploaded_file=upload("a.pdf", pdf_bytes()))
    assert not Attachment.objects.exists()


def test_province_leader_may_upload_for_an_agency(province, agency_a, make_member):
    leader = make_member(province, Role.LEADER)
    attachment = attachment_create(actor=leader, organization=agency_a, uploaded_file=upload("a.pdf", pdf_bytes()))
    assert attachment.organization == agency_a


# --- Virus scanning ----------------------------------------------------------------------------------------

SCANNED: list[bytes] = []


def infected_scanner(file) -> str:
    SCANNED.append(file.read())
    return "infected"


def clean_scanner(file) -> str:
    SCANNED.append(file.read())
    return "clean"


def broken_scanner(file) -> str:
    raise ConnectionError("clamd is down")


def test_infected_file_is_refused_and_not_kept(agency_a, clerk_a, media_root, settings):
    settings.ATTACHMENT_VIRUS_SCANNER = "tests.core.test_attachments.infected_scanner"
    SCANNED.clear()
    with pytest.raises(ValidationError) as excinfo:
        attachment_create(actor=clerk_a, organization=agency_a, uploaded_file=upload("a.pdf", pdf_bytes()))
    assert rejected_code(excinfo) == "infected"
    assert SCANNED == [pdf_bytes()]  # the scanner saw the whole file from the start
    assert stored_files(media_root) == []
    assert not Attachment.objects.exists()
    assert AuditEvent.objects.get(verb=AuditVerbs.ATTACHMENT_REJECTED).data["reason"] == "infected"


def test_clean_and_failed_scans_are_recorded(agency_a, clerk_a, settings):
    settings.ATTACHMENT_VIRUS_SCANNER = "tests.core.test_attachments.clean_scanner"
    clean = attachment_create(actor=clerk_a, organization=agency_a, uploaded_file=upload("a.pdf", pdf_bytes()))
    assert clean.scan_status == ScanStatus.CLEAN
    assert clean.file.read() == pdf_bytes()  # the scan did not leave the file half-read for storage
    settings.ATTACHMENT_VIRUS_SCANNER = "tests.core.test_attachments.broken_scanner"
    failed = attachment_create(actor=clerk_a, organization=agency_a, uploaded_file=upload("b.pdf", pdf_bytes()))
    assert failed.scan_status == ScanStatus.ERROR


# --- Rendering ---------------------------------------------------------------------------------------------


def test_file_name_with_html_is_escaped_when_listed(agency_a, clerk_a):
    attachment = attachment_create(
        actor=clerk_a, organization=agency_a, uploaded_file=upload('<img src=x onerror="alert(1)">.png', png_bytes())
    )
    html = render_to_string("core/attachments/_list.html", {"attachments": [attachment]})
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.png" in html


# --- Download view -----------------------------------------------------------------------------------------


@pytest.fixture
def report(agency_a, clerk_a):
    return attachment_create(
        actor=clerk_a, organization=agency_a, uploaded_file=upload("Báo cáo tháng 5 (bản cuối).pdf", pdf_bytes())
    )


def test_download_sends_the_file_with_safe_headers_and_audits(client, clerk_a, report):
    client.force_login(clerk_a)
    response = client.get(reverse("core:attachment_download", args=[report.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == pdf_bytes()
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20th%C3%A1ng%205%20%28b%E1%BA%A3n%20cu%E1%BB%91i%29.pdf" in disposition
    assert 'filename="Bao cao thang 5 (ban cuoi).pdf"' in disposition
    event = AuditEvent.objects.get(verb=AuditVerbs.ATTACHMENT_DOWNLOADED)
    assert event.actor == clerk_a and event.target_id == str(report.pk)


def test_header_cannot_be_broken_by_the_name(agency_a, clerk_a, client):
    attachment = attachment_create(
        actor=clerk_a, organization=agency_a, uploaded_file=upload('a"; filename="evil.html.pdf', pdf_bytes())
    )
    client.force_login(clerk_a)
    disposition = client.get(reverse("core:attachment_download", args=[attachment.pk]))["Content-Disposition"]
    assert disposition.count("filename=") == 1
    assert 'filename="a__ filename__evil.html.pdf"' in disposition


def test_other_agency_gets_the_same_404_as_for_a_missing_file(client, specialist_b, report):
    client.force_login(specialist_b)
    forbidden = client.get(reverse("core:attachment_download", args=[report.pk]))
    missing = client.get(reverse("core:attachment_download", args=[report.pk + 1000]))
    assert forbidden.status_code == missing.status_code == 404
    assert forbidden.content == missing.content
    assert not AuditEvent.objects.filter(verb=AuditVerbs.ATTACHMENT_DOWNLOADED).exists()


def test_public_file_is_downloadable_by_anyone(client, agency_a, clerk_a, specialist_b):
    public = attachment_create(
        actor=clerk_a, organization=agency_a, uploaded_file=upload("thong-bao.pdf", pdf_bytes()), is_public=True
    )
    assert client.get(reverse("core:attachment_download", args=[public.pk])).status_code == 200
    client.force_login(specialist_b)
    assert client.get(reverse("core:attachment_download", args=[public.pk])).status_code == 200


def test_anonymous_is_sent_to_login_for_private_and_missing_alike(client, report):
    private = client.get(reverse("core:attachment_download", args=[report.pk]))
    missing = client.get(reverse("core:attachment_download", args=[report.pk + 1000]))
    assert private.status_code == missing.status_code == 302
    assert private["Location"].split("?")[0] == missing["Location"].split("?")[0] == reverse("core:login")


def test_download_rejects_writes(client, clerk_a, report):
    client.force_login(clerk_a)
    assert client.post(reverse("core:attachment_download", args=[report.pk])).status_code == 405


# --- API ---------------------------------------------------------------------------------------------------


def test_api_upload_returns_metadata(client, agency_a, clerk_a):
    client.force_login(clerk_a)
    response = client.post(
        "/api/v1/attachments",
        {"organization": agency_a.pk, "file": upload("Kế hoạch.docx", docx_bytes())},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    attachment = Attachment.objects.get()
    assert body["id"] == attachment.pk
    assert body["original_name"] == "Kế hoạch.docx"
    assert body["content_type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert body["size"] == len(docx_bytes())
    assert body["is_public"] is False
    assert body["download_url"] == f"/api/v1/attachments/{attachment.pk}/download"
    assert "file" not in body  # the storage path is never exposed


def test_api_upload_refusals(client, agency_a, agency_b, clerk_a):
    client.force_login(clerk_a)
    fake = client.post("/api/v1/attachments", {"organization": agency_a.pk, "file": upload("x.jpg", b"text")})
    assert fake.status_code == 400
    assert fake.json()["error"]["fields"][0]["field"] == "file"
    no_file = client.post("/api/v1/attachments", {"organization": agency_a.pk})
    assert no_file.status_code == 400
    bad_org = client.post("/api/v1/attachments", {"organization": "abc", "file": upload("a.pdf", pdf_bytes())})
    assert bad_org.status_code == 400
    missing_org = client.post("/api/v1/attachments", {"organization": 10**12, "file": upload("a.pdf", pdf_bytes())})
    assert missing_org.status_code == 404
    other_org = client.post("/api/v1/attachments", {"organization": agency_b.pk, "file": upload("a.pdf", pdf_bytes())})
    assert other_org.status_code == 403
    assert not Attachment.objects.exists()


def test_api_requires_authentication(client, report):
    assert client.get(f"/api/v1/attachments/{report.pk}").status_code == 401
    assert client.get(f"/api/v1/attachments/{report.pk}/download").status_code == 401


def test_api_get_and_download_are_scoped(client, clerk_a, specialist_b, report):
    client.force_login(clerk_a)
    assert client.get(f"/api/v1/attachments/{report.pk}").json()["sha256"] == report.sha256
    download = client.get(f"/api/v1/attachments/{report.pk}/download")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == pdf_bytes()
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "filename*=UTF-8''" in download["Content-Disposition"]
    assert AuditEvent.objects.filter(verb=AuditVerbs.ATTACHMENT_DOWNLOADED).count() == 1

    client.force_login(specialist_b)
    for suffix in ("", "/download"):
        forbidden = client.get(f"/api/v1/attachments/{report.pk}{suffix}")
        missing = client.get(f"/api/v1/attachments/{report.pk + 1000}{suffix}")
        assert forbidden.status_code == missing.status_code == 404
        assert forbidden.json() == missing.json()
    assert AuditEvent.objects.filter(verb=AuditVerbs.ATTACHMENT_DOWNLOADED).count() == 1
