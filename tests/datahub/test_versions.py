"""Dataset versions: each upload a version with diff counts, earlier ones downloadable and restorable; mapping."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from cityops.datahub import selectors, services
from cityops.datahub.models import DatasetRecord, DatasetVersion, ExchangeLogEntry, Sector

pytestmark = pytest.mark.django_db
SCHEMA = [
    {"name": "station", "label": "Trạm", "type": "string", "required": True},
    {"name": "pm10", "label": "PM10", "type": "number"},
]


@pytest.fixture
def head_a(agency_a, make_member):
    return make_member(agency_a, "agency_head", username="v-head-a")


@pytest.fixture
def dataset(head_a, agency_a):
    sector = Sector.objects.create(code="env", name="Môi trường", domain="environment")
    return services.dataset_create(
        actor=head_a, organization=agency_a, sector=sector, title="Quan trắc", domain="environment",
        visibility="shared", schema=SCHEMA,
    )  # fmt: skip


def csv(text: str) -> bytes:
    return text.encode("utf-8")


def test_each_upload_is_a_version_with_diff_counts(dataset, head_a):
    first = services.dataset_import_csv(actor=head_a, dataset=dataset, content=csv("station,pm10\nA,1\nB,2\nC,3\n"))
    second = services.dataset_import_csv(actor=head_a, dataset=dataset, content=csv("station,pm10\nA,1\nB,5\nD,4\n"))
    v1, v2 = first.version, second.version
    assert (v1.number, v1.rows, v1.added, v1.removed) == (1, 3, 3, 0)
    assert (v2.number, v2.rows, v2.added, v2.removed) == (2, 3, 2, 2)  # B changed (1 out, 1 in), C out, D in
    dataset.refresh_from_db()
    assert dataset.current_version_id == v2.pk
    assert DatasetRecord.objects.filter(version=v1).count() == 3  # the earlier version is kept
    current = [r.data["station"] for r in selectors.dataset_records(actor=head_a, dataset=dataset)]
    assert current == ["A", "B", "D"]


def test_roll_back_makes_a_new_current_version(dataset, head_a, client):
    services.dataset_import_csv(actor=head_a, dataset=dataset, content=csv("station,pm10\nA,1\n"))
    services.dataset_import_csv(actor=head_a, dataset=dataset, content=csv("station,pm10\nZ,9\n"))
    client.force_login(head_a)
    response = client.post(f"/datahub/datasets/{dataset.pk}/versions/1/restore/")
    assert response.status_code == 302
    dataset.refresh_from_db()
    v3 = dataset.current_version
    assert (v3.number, v3.restored_from, v3.added, v3.removed) == (3, 1, 1, 1)
    assert [r.data for r in selectors.dataset_records(actor=head_a, dataset=dataset)] == [{"station": "A", "pm10": 1.0}]
    with pytest.raises(ValidationError):  # already current
        services.dataset_version_restore(actor=head_a, dataset=dataset, version=v3)
    page = client.get(f"/datahub/datasets/{dataset.pk}/versions/").content.decode()
    assert page.count('data-testid="version-row"') == 3


def test_earlier_version_is_downloadable_and_the_read_logged(dataset, head_a, client):
    services.dataset_import_csv(actor=head_a, dataset=dataset, content=csv("station,pm10\n=cmd|x,1\n"))
    services.dataset_import_csv(actor=head_a, dataset=dataset, content=csv("station,pm10\nB,2\n"))
    client.force_login(head_a)
    response = client.get(f"/datahub/datasets/{dataset.pk}/versions/1.csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200 and "'=cmd|x" in body and "B" not in body
    entry = ExchangeLogEntry.objects.get()
    assert entry.action == "export_version" and entry.detail == {"version": 1} and entry.rows == 1
    assert client.get(f"/datahub/datasets/{dataset.pk}/versions/9.csv").status_code == 404


def test_other_agency_sees_no_versions_without_a_grant(dataset, head_a, agency_b, make_member, client):
    services.dataset_import_csv(actor=head_a, dataset=dataset, content=csv("station,pm10\nA,1\n"))
    head_b = make_member(agency_b, "agency_head", username="v-head-b")
    assert not selectors.dataset_versions(actor=head_b, dataset=dataset).exists()
    with pytest.raises(Http404):
        selectors.dataset_version_get(actor=head_b, dataset=dataset, number=1)
    client.force_login(head_b)
    assert client.get(f"/datahub/datasets/{dataset.pk}/versions/1.csv").status_code == 404
    assert client.get(f"/datahub/datasets/{dataset.pk}/versions/").status_code == 403
    assert client.post(f"/datahub/datasets/{dataset.pk}/versions/1/restore/").status_code == 404
    assert client.get(f"/api/v1/datahub/datasets/{dataset.pk}/versions").status_code == 403
    with pytest.raises(PermissionDenied):
        services.dataset_version_create(actor=head_b, dataset=dataset, rows=[(2, {"station": "x"})])
    assert DatasetVersion.objects.filter(dataset=dataset).count() == 1


def test_versions_api_lists_diff_counts(dataset, head_a, client):
    services.dataset_import_csv(actor=head_a, dataset=dataset, content=csv("station,pm10\nA,1\n"))
    services.dataset_import_csv(actor=head_a, dataset=dataset, content=csv("station,pm10\nA,1\nB,2\n"))
    client.force_login(head_a)
    body = client.get(f"/api/v1/datahub/datasets/{dataset.pk}/versions").json()
    assert [(v["number"], v["added"], v["removed"], v["current"]) for v in body] == [(2, 1, 0, True), (1, 1, 0, False)]


def test_a_refused_file_makes_no_version(dataset, head_a):
    services.dataset_import_csv(actor=head_a, dataset=dataset, content=csv("station,pm10\nA,1\n"))
    for bad in (b"\xff\xfe\x00garbage", csv("nope,pm10\nA,1\n"), csv(""), b"station,pm10\nA,1\x00\n"):
        report = services.dataset_import_csv(actor=head_a, dataset=dataset, content=bad)
        assert report.errors and report.version is None
    assert DatasetVersion.objects.filter(dataset=dataset).count() == 1


def test_column_mapping_in_the_service(dataset, head_a):
    content = csv("Tên trạm,Bụi,Ghi chú\nA,1,x\nB,2,y\n")
    assert services.dataset_import_csv(actor=head_a, dataset=dataset, content=content).errors
    report = services.dataset_import_csv(
        actor=head_a, dataset=dataset, content=content, mapping={"Tên trạm": "station", "Bụi": "pm10", "Ghi chú": ""}
    )
    assert report.errors == [] and [d for _n, d in report.rows] == [
        {"station": "A", "pm10": 1.0},
        {"station": "B", "pm10": 2.0},
    ]
    hostile = services.dataset_import_csv(
        actor=head_a, dataset=dataset, content=content, mapping={"Tên trạm": "__class__", "Bụi": "pm10", "Ghi chú": ""}
    )
    assert hostile.errors and hostile.version is None
    twice = services.dataset_import_csv(
        actor=head_a, dataset=dataset, content=content, mapping={"Tên trạm": "station", "Bụi": "station", "Ghi chú": ""}
    )
    assert any("twice" in e for e in twice.errors)


def test_column_mapping_step_on_the_page(dataset, head_a, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(head_a)
    upload = SimpleUploadedFile("tram.csv", csv("Tên trạm;Bụi\nA;1,5\n"), content_type="text/csv")
    page = client.post(f"/datahub/datasets/{dataset.pk}/upload/", {"file": upload}).content.decode()
    assert 'data-testid="mapping-form"' in page and "Tên trạm" in page
    token = page.split('name="pending" value="', 1)[1].split('"', 1)[0]
    assert len(list((tmp_path / "datahub-pending").iterdir())) == 1
    response = client.post(
        f"/datahub/datasets/{dataset.pk}/upload/",
        {"pending": token, "header": ["Tên trạm", "Bụi"], "map-0": "station", "map-1": "pm10"},
    )
    assert 'data-testid="upload-summary"' in response.content.decode()
    dataset.refresh_from_db()
    assert dataset.current_version.number == 1
    assert [r.data for r in DatasetRecord.objects.filter(version=dataset.current_version)] == [
        {"station": "A", "pm10": 1.5}
    ]
    assert not list((tmp_path / "datahub-pending").iterdir())  # taken once, then gone
    again = client.post(
        f"/datahub/datasets/{dataset.pk}/upload/",
        {"pending": token, "header": ["Tên trạm", "Bụi"], "map-0": "station", "map-1": "pm10"},
    )
    assert 'data-testid="pending-error"' in again.content.decode()
    traversal = client.post(f"/datahub/datasets/{dataset.pk}/upload/", {"pending": "../../etc/passwd"})
    assert 'data-testid="pending-error"' in traversal.content.decode()


def test_xss_in_dataset_title_and_headers_is_escaped(agency_a, head_a, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    sector = Sector.objects.create(code="x", name="X", domain="environment")
    evil = services.dataset_create(
        actor=head_a, organization=agency_a, sector=sector, title="<script>alert(1)</script>", domain="environment",
        visibility="public", schema=SCHEMA,
    )  # fmt: skip
    client.force_login(head_a)
    for url in ("/datahub/", f"/datahub/datasets/{evil.pk}/", f"/datahub/datasets/{evil.pk}/versions/"):
        page = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    upload = SimpleUploadedFile("x.csv", csv('"<img src=x onerror=alert(1)>",pm10\nA,1\n'), content_type="text/csv")
    page = client.post(f"/datahub/datasets/{evil.pk}/upload/", {"file": upload}).content.decode()
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_private_dataset_is_invisible_everywhere_to_another_agency(agency_a, agency_b, head_a, make_member, client):
    from cityops.core.search import search
    from cityops.core.services.apikeys import apikey_create

    sector = Sector.objects.create(code="p", name="P", domain="environment")
    secret = services.dataset_create(actor=head_a, organization=agency_a, sector=sector, title="Bí mật riêng",
                                     domain="environment", visibility="private", schema=SCHEMA)  # fmt: skip
    services.dataset_import_csv(actor=head_a, dataset=secret, content=csv("station,pm10\nA,1\n"))
    spec_b = make_member(agency_b, "specialist", username="v-spec-b")
    admin_b = make_member(agency_b, "administrator", username="v-admin-b")
    integrator_b = make_member(agency_b, "integrator", username="v-int-b")
    _key, raw = apikey_create(actor=admin_b, name="B", user=integrator_b, organization=agency_b)
    assert search(spec_b, "bi mat") == [] and len(search(head_a, "bi mat")) == 1
    client.force_login(spec_b)
    for url in (
        f"/datahub/datasets/{secret.pk}/", f"/datahub/datasets/{secret.pk}/export.csv",
        f"/datahub/datasets/{secret.pk}/versions/1.csv", f"/api/v1/datahub/datasets/{secret.pk}",
        f"/api/v1/datahub/datasets/{secret.pk}/records", f"/api/v1/datahub/datasets/{secret.pk}/versions",
    ):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert "Bí mật" not in client.get("/datahub/", {"q": "bi mat"}).content.decode()
    assert all(d["id"] != secret.pk for d in client.get("/api/v1/datahub/datasets").json()["items"])
    client.logout()
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get(f"/api/v1/datahub/datasets/{secret.pk}/records", headers=headers).status_code == 404
    assert "Bí mật" not in client.get("/datahub/catalog.jsonld").content.decode()
    assert not ExchangeLogEntry.objects.exists()  # refused reads are not data reads


def test_upgrade_makes_rows_stored_before_versions_version_one(dataset, head_a):
    """The data step of migration 0004 on a database populated before versions existed (the upgrade path)."""
    import importlib

    from django.apps import apps

    services.dataset_import_csv(actor=head_a, dataset=dataset, content=csv("station,pm10\nA,1\nB,2\nC,3\n"))
    # Back to how a pre-0004 database looked: rows with no version, datasets with no current version.
    DatasetRecord.objects.update(version=None)
    type(dataset).objects.filter(pk=dataset.pk).update(current_version=None)
    DatasetVersion.objects.all().delete()
    migration = importlib.import_module("cityops.datahub.migrations.0004_versions_connectors_quality")
    migration._first_versions(apps, None)
    version = DatasetVersion.objects.get()  # one version per dataset, not one per row
    assert (version.dataset_id, version.number, version.rows, version.added) == (dataset.pk, 1, 3, 3)
    assert DatasetRecord.objects.filter(version=version).count() == 3
    dataset.refresh_from_db()
    assert dataset.current_version_id == version.pk
