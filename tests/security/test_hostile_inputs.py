"""Issue 8's hostile-input corpus, run against every parser, upload, export and HTML page of the product.

The XML corpus lives in ``tests/security/corpus/``; archive bombs are built here (their point is their size
after expansion, which would be silly to commit). Each entry point must answer a clear error, store nothing
and never read a local file, fetch a URL or expand an entity.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cityops.core.choices import Role
from cityops.core.exports import FORMULA_PREFIXES
from cityops.core.models import Attachment
from cityops.core.services.apikeys import apikey_create
from cityops.core.uploads import _WINDOWS_RESERVED
from cityops.datahub import services as datahub_services
from cityops.datahub.models import DatasetRecord
from cityops.documents.models import IncomingDocument

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent / "corpus"
XML_CORPUS = sorted(CORPUS.glob("*.xml"))
PASSWD_MARKERS = ("root:", "/bin/", "daemon:")
INJECTIONS = [line for line in (CORPUS / "csv_injection.txt").read_text("utf-8").splitlines() if line.strip()]


def xlsx_bytes(rows, *, extra: dict[str, bytes] | None = None, replace: dict[str, bytes] | None = None) -> bytes:
    """A real workbook (openpyxl), optionally with parts replaced or extra entries added to its zip."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    if not extra and not replace:
        return buffer.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info.filename)))
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def zip_bomb_xlsx() -> bytes:
    """A valid workbook carrying one entry that expands 1000 times (64 MB of zeros in about 64 kB)."""
    return xlsx_bytes([["Trạm quan trắc"], ["A"]], extra={"xl/media/padding.bin": b"\0" * (64 * 1024 * 1024)})


def many_entries_xlsx() -> bytes:
    return xlsx_bytes([["Trạm quan trắc"], ["A"]], extra={f"xl/x/{n}.xml": b"<a/>" for n in range(2500)})


def assert_no_passwd(text: str) -> None:
    assert not any(marker in text for marker in PASSWD_MARKERS), "a local file leaked into the answer"


@pytest.fixture
def people(province, agency_b, make_member):
    admin = make_member(province, Role.ADMINISTRATOR, username="hostile-admin")
    clerk = make_member(agency_b, Role.CLERK, username="hostile-clerk")
    head = make_member(agency_b, Role.AGENCY_HEAD, username="hostile-head")
    _key, raw = apikey_create(actor=admin, name="hostile", user=clerk, organization=agency_b)
    return {"admin": admin, "clerk": clerk, "head": head, "key": raw}


@pytest.fixture
def dataset(people, agency_b):
    from cityops.datahub.models import Sector

    sector = Sector.objects.create(code="moi-truong", name="Môi trường", domain="environment")
    return datahub_services.dataset_create(
        actor=people["head"], organization=agency_b, sector=sector, title="Quan trắc", domain="environment",
        visibility="private", schema=[{"name": "station", "label": "Trạm quan trắc", "type": "string"}],
    )  # fmt: skip


# --- XML: every parser ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", XML_CORPUS, ids=lambda p: p.name)
def test_edxml_import_refuses_hostile_xml_on_every_door(client, people, agency_b, path):
    data = path.read_bytes()
    # the service
    from django.core.exceptions import ValidationError

    from cityops.documents import services as document_services

    with pytest.raises(ValidationError) as caught:
        document_services.edxml_import(actor=people["clerk"], organization=agency_b, data=data)
    assert_no_passwd(" ".join(caught.value.messages))
    # the API
    response = client.post(
        "/api/v1/documents/incoming/import",
        {"organization": agency_b.pk, "file": SimpleUploadedFile(path.name, data, "application/xml")},
        headers={"X-API-Key": people["key"]},
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["message"]
    assert_no_passwd(response.content.decode())
    # the web form
    client.force_login(people["clerk"])
    page = client.post(
        reverse("documents:incoming_import"),
        {"organization": agency_b.pk, "confidentiality": 0, "file": SimpleUploadedFile(path.name, data)},
    )
    assert page.status_code in (200, 400)
    from django.utils.html import escape

    assert escape(caught.value.messages[0]) in page.content.decode(), "the form does not show the refusal"
    assert_no_passwd(page.content.decode())
    assert "lollollol" not in page.content.decode()
    assert IncomingDocument.objects.count() == 0


@pytest.mark.parametrize("path", XML_CORPUS, ids=lambda p: p.name)
def test_spreadsheet_import_refuses_hostile_xml_inside_the_workbook(dataset, people, path):
    """The worksheet XML of an XLSX replaced by the corpus file: openpyxl parses it with defusedxml."""
    hostile = path.read_bytes()
    content = xlsx_bytes([["Trạm quan trắc"], ["A"]], replace={"xl/worksheets/sheet1.xml": hostile})
    report = datahub_services.dataset_import_xlsx(
        actor=people["head"], dataset=dataset, upload=SimpleUploadedFile("a.xlsx", content)
    )
    assert report.errors, "a hostile workbook was accepted"
    assert_no_passwd(" ".join(str(e) for e in report.errors))
    assert DatasetRecord.objects.filter(dataset=dataset).count() == 0


@pytest.mark.parametrize("path", XML_CORPUS, ids=lambda p: p.name)
def test_document_text_extraction_ignores_hostile_xml_in_office_files(people, agency_b, path):
    from cityops.documents import services as document_services

    word = xlsx_bytes([["x"]])  # any zip; replaced below with a minimal DOCX
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", path.read_bytes())
    word = out.getvalue()
    doc = document_services.incoming_receive(
        actor=people["clerk"], organization=agency_b, data={"sender_name": "X", "subject": "Y"},
        files=[SimpleUploadedFile("x.docx", word)],
    )  # fmt: skip
    doc.refresh_from_db()
    assert_no_passwd(doc.attachment_text)
    assert "lollollol" not in doc.attachment_text


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.wordprocessingml.document.main+xml"/></Types>'
)


@pytest.mark.parametrize("path", XML_CORPUS, ids=lambda p: p.name)
def test_json_and_form_doors_refuse_xml_bodies_without_parsing_them(client, people, path):
    """NGSI-LD takes JSON only and Open311 takes forms only: an XML body is refused, never parsed."""
    data = path.read_bytes()
    ngsi = client.post(
        "/ngsi-ld/v1/entityOperations/upsert", data=data, content_type="application/xml",
        headers={"X-API-Key": people["key"]},
    )  # fmt: skip
    assert 400 <= ngsi.status_code < 500, ngsi.content
    assert_no_passwd(ngsi.content.decode())
    open311 = client.post("/open311/v2/requests.xml", data=data, content_type="text/xml")
    assert 400 <= open311.status_code < 500
    assert_no_passwd(open311.content.decode())
    assert b"lollollol" not in open311.content


# --- Archive bombs and formulas in spreadsheets ---------------------------------------------------------


@pytest.mark.parametrize("build", [zip_bomb_xlsx, many_entries_xlsx], ids=["ratio", "entries"])
def test_spreadsheet_bombs_are_refused_before_expansion(dataset, people, build, client, agency_b):
    content = build()
    report = datahub_services.dataset_import_xlsx(
        actor=people["head"], dataset=dataset, upload=SimpleUploadedFile("bomb.xlsx", content)
    )
    assert report.errors and DatasetRecord.objects.count() == 0
    response = client.post(
        "/api/v1/attachments",
        {"organization": agency_b.pk, "file": SimpleUploadedFile("bomb.xlsx", content)},
        headers={"X-API-Key": people["key"]},
    )
    assert response.status_code == 400, response.content
    assert Attachment.objects.count() == 0


def test_formulas_in_an_imported_workbook_are_never_evaluated_nor_exported_live(client, dataset, people):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Trạm quan trắc"])
    sheet.append(['=WEBSERVICE("http://127.0.0.1:9/x")'])  # a real formula (no cached value)
    for text in INJECTIONS:
        sheet.append([text])
        sheet.cell(row=sheet.max_row, column=1).data_type = "s"  # stored as text that looks like a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = datahub_services.dataset_import_xlsx(
        actor=people["head"], dataset=dataset, upload=SimpleUploadedFile("f.xlsx", buffer.getvalue())
    )
    assert not report.errors
    datahub_services.dataset_records_replace(actor=people["head"], dataset=dataset, rows=report.rows)
    stored = [r.data.get("station") for r in DatasetRecord.objects.filter(dataset=dataset)]
    assert not any("WEBSERVICE" in str(v) for v in stored)  # a formula's text or result is never read
    assert INJECTIONS[0] in stored  # text that merely looks like a formula is kept as data...
    client.force_login(people["head"])
    response = client.get(reverse("datahub:dataset_export", args=[dataset.pk]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert_csv_neutral(text)
    assert "'" + INJECTIONS[0] in text  # ...and leaves as inert text


def assert_csv_neutral(text: str) -> None:
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert not cell.startswith(FORMULA_PREFIXES), f"live formula in an export: {cell!r}"


def assert_xlsx_neutral(content: bytes) -> int:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content))
    checked = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula cell {cell.coordinate}: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(FORMULA_PREFIXES), cell.value
                    checked += cell.value.startswith("'")
    return checked


# --- CSV injection in every export ----------------------------------------------------------------------


@pytest.fixture
def injected_world(world, settings):
    """The matrix's world with formula-looking text in every text field its exports show."""
    from cityops.core.models import AuditEvent  # noqa: F401  (exported below through the audit page)
    from cityops.datahub.models import DatasetRecord as Record
    from cityops.directives.models import Task
    from cityops.documents.models import OutgoingDocument
    from cityops.feedback.models import Request

    payload = INJECTIONS[0]
    Request.objects.filter(pk=world.feedback.pk).update(description=payload, address=INJECTIONS[2])
    Task.objects.filter(pk=world.task.pk).update(title=payload)
    IncomingDocument.objects.filter(pk=world.incoming.pk).update(subject=payload, sender_name=INJECTIONS[3])
    OutgoingDocument.objects.filter(pk=world.outgoing.pk).update(subject=payload)
    Record.objects.create(dataset=world.dataset, row_number=2, data={"station": INJECTIONS[4]})
    world.agency_b.__class__.objects.filter(pk=world.agency_b.pk).update(name=INJECTIONS[1])
    return world


def test_every_csv_and_xlsx_export_neutralises_formulas(client, injected_world, make_member):
    w = injected_world
    admin = make_member(w.province, Role.ADMINISTRATOR, username="export-admin")
    leader = make_member(w.province, Role.LEADER, username="export-leader")
    exports: list[tuple[object, str]] = [
        (w.head_b, reverse("feedback:staff_export", args=["csv"])),
        (w.head_b, reverse("feedback:staff_export", args=["xlsx"])),
        (w.head_b, reverse("datahub:dataset_export", args=[w.dataset.pk])),
        (admin, reverse("core:audit_export")),
        (leader, reverse("directives:statistics") + "?format=xlsx"),
    ]
    from cityops.documents.models import Register

    for register in Register.objects.filter(organization=w.agency_b):
        exports.append((w.head_b, reverse("documents:register_xlsx", args=[register.pk])))
        if register.direction == "in":
            exports.append((w.head_b, reverse("documents:register_tracking_xlsx", args=[register.pk])))
    neutralised = 0
    for user, url in exports:
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if body.startswith(b"PK"):
            neutralised += assert_xlsx_neutral(body)
        else:
            text = body.decode("utf-8-sig")
            assert_csv_neutral(text)
            neutralised += text.count("'=") + text.count("'+") + text.count("'-") + text.count("'@")
    assert neutralised >= 5, "the payloads did not reach the exports: the test would prove nothing"


# --- Oversized bodies -----------------------------------------------------------------------------------


def test_oversized_bodies_get_a_clear_refusal(client, people, settings, simple_category):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    big = "x" * 10_000
    api = client.post(
        "/api/v1/notifications/read", data='{"ids": [1], "pad": "' + big + '"}', content_type="application/json",
        headers={"X-API-Key": people["key"]},
    )  # fmt: skip
    assert api.status_code == 413, api.content
    assert api.json()["error"]["code"] == "too_large" and "2048" in api.json()["error"]["message"]
    form = client.post(reverse("feedback:report"), {"category": simple_category.pk, "description": big})
    assert form.status_code in (400, 413)
    from cityops.feedback.models import Request

    assert Request.objects.count() == 0
    open311 = client.post("/open311/v2/requests.json", {"api_key": people["key"], "description": big})
    assert open311.status_code in (400, 413) and open311.json()[0]["description"]


def test_oversized_upload_is_refused_and_nothing_is_kept(client, people, agency_b, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    response = client.post(
        "/api/v1/attachments",
        {"organization": agency_b.pk, "file": SimpleUploadedFile("big.txt", b"a" * 4096, "text/plain")},
        headers={"X-API-Key": people["key"]},
    )
    assert response.status_code == 400 and response.json()["error"]["message"]
    assert Attachment.objects.count() == 0


# --- Path traversal in file names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("CON.pdf", "_CON.pdf"), ("nul", "_nul"), ("com1.txt.pdf", "_com1.txt.pdf"), ("CONTRACT.pdf", "CONTRACT.pdf"),
     ("../../etc/passwd", "passwd"), ("a\x00b.pdf", "ab.pdf"), ("..\\..\\win.ini", "win.ini")],
)  # fmt: skip
def test_sanitize_filename_windows_reserved_and_paths(raw, clean):
    from cityops.core.uploads import sanitize_filename

    assert sanitize_filename(raw) == clean


def hostile_names() -> list[str]:
    lines = (CORPUS / "filenames.txt").read_text("utf-8").splitlines()
    return [line.replace("\\u0000", "\x00") for line in lines if line.strip()]


@pytest.mark.parametrize("name", hostile_names())
def test_hostile_file_names_are_stored_safely(client, people, agency_b, settings, tmp_path, name):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    response = client.post(
        "/api/v1/attachments",
        {"organization": agency_b.pk, "file": SimpleUploadedFile(name, pdf, "application/pdf")},
        headers={"X-API-Key": people["key"]},
    )
    assert response.status_code in (201, 400), response.content
    for attachment in Attachment.objects.all():
        stored = Path(attachment.file.path).resolve()
        assert stored.is_relative_to(media.resolve()), stored
        assert "/" not in attachment.original_name and "\\" not in attachment.original_name
        assert "\x00" not in attachment.original_name and "\u202e" not in attachment.original_name
        assert not attachment.original_name.startswith(".")
        stem = attachment.original_name.split(".")[0].upper()
        assert stem not in _WINDOWS_RESERVED
        assert name not in str(stored)  # the storage path never comes from the client's name
    written = {p.resolve() for p in tmp_path.rglob("*") if p.is_file()}
    assert all(p.is_relative_to(media.resolve()) for p in written)
    assert not (tmp_path / "etc").exists() and not any("passwd" in str(p) for p in written)
    assert os.path.exists("/etc/passwd")  # untouched (sanity)


# --- Script injection in every text field shown in HTML ---------------------------------------------------

XSS = '<script>alert("xss")</script>"><img src=x onerror=alert(1)>'
XSS_SHORT = '"><img src=x onerror=alert(1)>'
RAW_MARKERS = ("<script>alert", "<img src=x onerror")
# Fields that are identifiers in URLs or machine values, not text people read.
SKIP_FIELDS = {"code", "slug", "language", "password", "username", "email", "timezone", "secret", "token"}
SKIP_SUFFIXES = ("_id", "code", "hash", "token", "key", "sha256", "prefix", "extension", "content_type", "_type")


def _poison_every_text_field() -> int:
    """Write the payload into every free-text column of every CityOps model (bypassing form validation)."""
    from django.apps import apps
    from django.db import DatabaseError, models, transaction

    poisoned = 0
    for model in apps.get_models():
        if not model.__module__.startswith("cityops.") or model._meta.proxy or model.__name__ == "AuditEvent":
            continue
        for field in model._meta.get_fields():
            if not isinstance(field, (models.CharField, models.TextField)) or field.choices or field.unique:
                continue
            if isinstance(field, (models.SlugField, models.EmailField, models.URLField, models.FileField)):
                continue
            if field.name in SKIP_FIELDS or field.name.endswith(SKIP_SUFFIXES) or not field.editable:
                continue
            limit = getattr(field, "max_length", None) or 10_000
            if limit < len(XSS_SHORT):
                continue
            value = XSS if limit >= len(XSS) else XSS_SHORT
            try:
                with transaction.atomic():
                    poisoned += model._default_manager.update(**{field.name: value})
            except DatabaseError:
                continue  # a check constraint on the column: the form would refuse the text anyway
    return poisoned


def _html_pages(client, pages):
    for name, url in pages:
        if name in {"core:logout", "admin:logout", "set_language"}:
            continue
        response = client.get(url, follow=True)
        if response.status_code == 405:
            response = client.post(url, {}, follow=True)
        content_type = response.get("Content-Type", "")
        if response.status_code >= 500:
            yield name, url, f"status {response.status_code}"
        elif content_type.startswith("text/html") and not getattr(response, "streaming", False):
            body = response.content.decode("utf-8", errors="replace")
            for marker in RAW_MARKERS:
                if marker in body:
                    yield name, url, marker
            if "&lt;img src=x onerror" in body or "&lt;script&gt;alert" in body:
                yield name, url, "escaped"


def test_script_injection_is_escaped_on_every_page(client, world, make_member):
    from tests.security.test_authorization_matrix import site_pages

    pages = site_pages(world)
    admin = make_member(world.province, Role.ADMINISTRATOR, username="xss-admin")
    poisoned = _poison_every_text_field()
    assert poisoned > 50, "the payload reached too few records to mean anything"
    problems, shown = [], set()
    for user in (world.head_b, admin, None):
        client.logout()
        if user is not None:
            client.force_login(user)
        for name, url, what in _html_pages(client, pages):
            if what == "escaped":
                shown.add(name)
            else:
                problems.append(f"{user}: {name} {url}: {what}")
    assert not problems, "\n".join(problems)
    assert len(shown) >= 15, f"the payload showed (escaped) on too few pages to mean anything: {sorted(shown)}"
