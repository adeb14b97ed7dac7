"""Disk full on upload: a clear error, and neither an Attachment row nor a stored (or half-written) file."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cityops.core.choices import Role
from cityops.core.models import Attachment, AuditEvent
from cityops.core.services.apikeys import apikey_create
from cityops.feedback.models import Request
from tests.feedback.conftest import LAT, LONG, png_bytes

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def full_disk(settings, tmp_path, monkeypatch):
    """The storage writes part of the file, then the disk is full (as a real ENOSPC mid-write would)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    original = FileSystemStorage._save

    def save(self, name, content):
        path = Path(self.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(FileSystemStorage, "_save", save)
    yield tmp_path / "media"
    monkeypatch.setattr(FileSystemStorage, "_save", original)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_api_upload_on_a_full_disk(client, full_disk, province, agency_a, make_member):
    admin = make_member(province, Role.ADMINISTRATOR, username="df-admin")
    clerk = make_member(agency_a, Role.CLERK, username="df-clerk")
    _key, raw = apikey_create(actor=admin, name="df", user=clerk, organization=agency_a)
    response = client.post(
        "/api/v1/attachments",
        {"organization": agency_a.pk, "file": SimpleUploadedFile("a.pdf", PDF, "application/pdf")},
        headers={"X-API-Key": raw, "Accept-Language": "en"},
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert any("storage is full or unavailable" in f["message"] for f in error["fields"]), error
    assert Attachment.objects.count() == 0
    assert not AuditEvent.objects.filter(verb="core.attachment.uploaded").exists()
    assert stored_files(full_disk) == [], "a half-written file was left behind"


def test_citizen_report_with_photo_on_a_full_disk_saves_nothing(client, full_disk, simple_category):
    data = {"category": simple_category.pk, "description": "Ổ gà", "lat": LAT, "long": LONG,
            "photos": [SimpleUploadedFile("p.png", png_bytes(), "image/png")]}  # fmt: skip
    response = client.post(reverse("feedback:report"), data, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "storage is full or unavailable" in response.content.decode()
    assert "Ổ gà" in response.content.decode()  # the citizen's text comes back in the form
    assert Request.objects.count() == 0 and Attachment.objects.count() == 0
    assert stored_files(full_disk) == []


def test_after_the_disk_has_room_again_the_upload_works(client, settings, tmp_path, province, agency_a, make_member):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    admin = make_member(province, Role.ADMINISTRATOR, username="df-admin2")
    clerk = make_member(agency_a, Role.CLERK, username="df-clerk2")
    _key, raw = apikey_create(actor=admin, name="df2", user=clerk, organization=agency_a)
    response = client.post(
        "/api/v1/attachments",
        {"organization": agency_a.pk, "file": SimpleUploadedFile("a.pdf", PDF, "application/pdf")},
        headers={"X-API-Key": raw},
    )
    assert response.status_code == 201
    assert len(stored_files(tmp_path / "media")) == 1
