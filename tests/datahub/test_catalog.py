"""Catalog and sharing: visibility, access requests and grants with expiry, exchange reads logged, CSV upload."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from cityops.core.services.apikeys import apikey_create
from cityops.datahub import selectors, services
from cityops.datahub.models import AccessGrant, DatasetRecord, ExchangeLogEntry, Sector

pytestmark = pytest.mark.django_db
SCHEMA = [
    {"name": "station", "label": "Trạm quan trắc", "type": "string", "required": True},
    {"name": "pm10", "label": "Bụi PM10", "type": "number", "unit": "µg/m³", "required": True},
    {"name": "count", "label": "Số mẫu", "type": "integer"},
    {"name": "day", "label": "Ngày", "type": "date"},
    {"name": "ok", "label": "Đạt", "type": "boolean"},
]


def current_rows(dataset):
    """Rows of the dataset's current version (earlier versions are kept beside it)."""
    dataset.refresh_from_db()
    return DatasetRecord.objects.filter(version_id=dataset.current_version_id).order_by("row_number")


@pytest.fixture
def sector(db):
    return Sector.objects.create(code="moi-truong", name="Môi trường", domain="environment")


@pytest.fixture
def head_a(agency_a, make_member):
    return make_member(agency_a, "agency_head", username="head-a")


@pytest.fixture
def head_b(agency_b, make_member):
    return make_member(agency_b, "agency_head", username="head-b")


@pytest.fixture
def spec_a(agency_a, make_member):
    return make_member(agency_a, "specialist", username="spec-a")


@pytest.fixture
def datasets(head_b, agency_b, sector):
    made = {}
    for visibility in ("public", "shared", "private"):
        made[visibility] = services.dataset_create(
            actor=head_b, organization=agency_b, sector=sector, title=f"Chất lượng không khí {visibility}",
            domain="environment", visibility=visibility, schema=SCHEMA, tags=["không khí"],
        )  # fmt: skip
        services.dataset_records_replace(
            actor=head_b, dataset=made[visibility], rows=[(2, {"station": "Từ Sơn", "pm10": 41.0})]
        )
    return made


def api_key_for(user, organization, admin):
    return apikey_create(actor=admin, name="k", user=user, organization=organization)[1]


def test_catalog_visibility(datasets, spec_a, head_b):
    titles = lambda user, **f: sorted(d.visibility for d in selectors.dataset_list(actor=user, filters=f))  # noqa: E731
    assert titles(spec_a) == ["public", "shared"]
    assert titles(head_b) == ["private", "public", "shared"]
    assert titles(spec_a, q="chat luong khong khi") == ["public", "shared"]  # diacritic-insensitive
    assert titles(spec_a, visibility="shared") == ["shared"]
    with pytest.raises(Http404):
        selectors.dataset_get(actor=spec_a, id=datasets["private"].pk)
    facets = selectors.dataset_facets(selectors.dataset_list(actor=spec_a))
    assert {f["visibility"]: f["n"] for f in facets["visibility"]} == {"public": 1, "shared": 1}


def test_read_needs_a_grant_and_expired_grant_is_denied(client, datasets, spec_a, head_a, head_b, agency_a):
    client.force_login(spec_a)
    shared = datasets["shared"]
    url = f"/api/v1/datahub/datasets/{shared.pk}/records"
    assert client.get(url).status_code == 403
    assert client.get(f"/api/v1/datahub/datasets/{datasets['private'].pk}/records").status_code == 404
    public = client.get(f"/api/v1/datahub/datasets/{datasets['public'].pk}/records")
    assert public.status_code == 200 and public.json()["items"] == [{"station": "Từ Sơn", "pm10": 41.0}]

    grant = services.access_request(actor=spec_a, dataset=shared, requesting_organization=agency_a, purpose="Báo cáo")
    with pytest.raises(PermissionDenied):  # only the owner decides
        services.access_decide(actor=head_a, grant=grant, approve=True, expires_at=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError):  # a grant always expires
        services.access_decide(actor=head_b, grant=grant, approve=True)
    services.access_decide(actor=head_b, grant=grant, approve=True, expires_at=timezone.now() + timedelta(days=30))
    response = client.get(url)
    assert response.status_code == 200 and response.json()["count"] == 1
    entry = ExchangeLogEntry.objects.filter(dataset=shared).get()
    assert entry.actor == spec_a and entry.organization == agency_a and entry.rows == 1

    # a private dataset becomes readable to the grantee too, but only while the grant lasts
    AccessGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(url).status_code == 403
    assert services.grants_expire() == 1
    assert AccessGrant.objects.get(pk=grant.pk).status == "expired"
    assert services.verify_exchange_log().ok


def test_refused_request_and_bad_requests(datasets, spec_a, head_b, agency_a, agency_b):
    with pytest.raises(ValidationError):
        services.access_request(actor=spec_a, dataset=datasets["public"], requesting_organization=agency_a, purpose="x")
    with pytest.raises(ValidationError):
        services.access_request(actor=spec_a, dataset=datasets["shared"], requesting_organization=agency_a, purpose=" ")
    with pytest.raises(PermissionDenied):  # cannot ask in another agency's name
        services.access_request(actor=spec_a, dataset=datasets["shared"], requesting_organization=agency_b,
                                purpose="x")  # fmt: skip
    grant = services.access_request(actor=spec_a, dataset=datasets["shared"], requesting_organization=agency_a,
                                    purpose="Thống kê")  # fmt: skip
    services.access_decide(actor=head_b, grant=grant, approve=False, note="Không phù hợp")
    assert not selectors.dataset_can_read(actor=spec_a, dataset=datasets["shared"])
    with pytest.raises(ValidationError):
        services.access_decide(actor=head_b, grant=grant, approve=True, expires_at=timezone.now() + timedelta(days=1))


def test_api_request_and_decision(client, datasets, spec_a, head_b, agency_a):
    client.force_login(spec_a)
    response = client.post(f"/api/v1/datahub/datasets/{datasets['shared'].pk}/access-requests",
                           {"organization": agency_a.pk, "purpose": "Điều hành"},
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 201, response.content
    grant_id = response.json()["id"]
    client.force_login(head_b)
    expires = (timezone.now() + timedelta(days=7)).isoformat()
    decided = client.post(f"/api/v1/datahub/access-requests/{grant_id}/decision",
                          {"approve": True, "expires_at": expires}, content_type="application/json")  # fmt: skip
    assert decided.status_code == 200 and decided.json()["status"] == "granted"
    client.force_login(spec_a)
    listing = client.get("/api/v1/datahub/datasets", {"visibility": "shared"}).json()
    assert [d["visibility"] for d in listing["items"]] == ["shared"]
    assert client.get(f"/api/v1/datahub/datasets/{datasets['shared'].pk}/records").status_code == 200


def upload(head_b, dataset, text: str, bom: bool = False):
    content = (("\ufeff" if bom else "") + text).encode("utf-8")
    return services.dataset_import_csv(actor=head_b, dataset=dataset, content=content)


def test_csv_upload_vietnamese_headers_semicolons_bom(datasets, head_b):
    dataset = datasets["private"]
    report = upload(head_b, dataset, bom=True, text=(
        "TRAM QUAN TRAC;Bụi PM10;Số mẫu;Ngày;Đạt\n"
        "Bắc Ninh;41,5;24;2026-01-02;có\n"
        "Từ Sơn;abc;24;2026-01-02;có\n"  # not a number
        "Quế Võ;30;2.5;02/01/2026;không\n"  # not a whole number
        ";30;1;;\n"  # required station missing
        "=cmd|' /C calc'!A0;12;1;31/02/2026;x\n"  # impossible date
        "Yên Phong;=1+1;1;;\n"  # formula in a number field
        "Bắc Ninh;41,5;24;2026-01-02;có\n"  # duplicate of line 2
        "Thuận Thành;20\n"  # too few cells
        "@SUM(1);15;;;\n"  # stored as text, neutralised on export
    ))  # fmt: skip
    assert report.errors == []
    assert report.mapping["TRAM QUAN TRAC"] == "station"
    rejected = dict(report.rejected)
    assert set(rejected) == {3, 4, 5, 6, 7, 8, 9}
    assert "not a number" in rejected[3] and "whole number" in rejected[4] and "required" in rejected[5]
    assert "date" in rejected[6] and "not a number" in rejected[7] and "duplicate of row 2" in rejected[8]
    assert "expected 5 cells" in rejected[9]
    stored = list(current_rows(dataset).values_list("data", flat=True))
    assert stored == [
        {"station": "Bắc Ninh", "pm10": 41.5, "count": 24, "day": "2026-01-02", "ok": True},
        {"station": "@SUM(1)", "pm10": 15.0, "count": None, "day": None, "ok": None},
    ]


def test_csv_comma_and_export_neutralises_formulas(client, datasets, head_b):
    dataset = datasets["private"]
    report = upload(head_b, dataset, 'station,pm10\n"=HYPERLINK(""http://x"")",1\n+cmd,2\n-3,3\n')
    assert report.errors == [] and len(report.rows) == 3
    client.force_login(head_b)
    response = client.get(f"/datahub/datasets/{dataset.pk}/export.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["Trạm quan trắc", "Bụi PM10"]
    assert [r[0] for r in rows[1:]] == ['\'=HYPERLINK("http://x")', "'+cmd", "'-3"]
    assert ExchangeLogEntry.objects.get(dataset=dataset).action == "export_csv"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"tram;gio\nA;1\n", "Unknown column"),
        ("Số mẫu\n1\n".encode(), "Required columns are missing"),
        ("station,pm10\nTrạm,1\n".encode("utf-16"), "not UTF-8"),
        (b"station,pm10\nTr\xe1m,1\n", "not UTF-8"),  # Latin-1 / TCVN3-style bytes
        (b"", "empty"),
        (b"station,station\n", "twice"),
    ],
)
def test_csv_file_level_errors_store_nothing(datasets, head_b, content, fragment):
    dataset = datasets["private"]
    report = services.dataset_import_csv(actor=head_b, dataset=dataset, content=content)
    assert any(fragment in e for e in report.errors), report.errors
    assert current_rows(dataset).count() == 1  # the previous rows are untouched


def test_csv_upload_refused_to_other_agencies(datasets, spec_a):
    with pytest.raises(PermissionDenied):
        services.dataset_import_csv(actor=spec_a, dataset=datasets["public"], content=b"station,pm10\nA,1\n")


def test_pages(client, datasets, spec_a, head_b):
    client.force_login(spec_a)
    index = client.get("/datahub/", {"q": "khong khi"})
    assert index.status_code == 200
    assert index.content.decode().count('data-testid="catalog-row"') == 2
    detail = client.get(f"/datahub/datasets/{datasets['shared'].pk}/")
    assert detail.status_code == 200 and b"access-request-form" in detail.content
    assert client.get(f"/datahub/datasets/{datasets['private'].pk}/").status_code == 404
    assert client.get(f"/datahub/datasets/{datasets['shared'].pk}/export.csv").status_code == 403
    assert client.get(f"/datahub/datasets/{datasets['shared'].pk}/upload/").status_code == 404
    client.force_login(head_b)
    page = client.get(f"/datahub/datasets/{datasets['private'].pk}/upload/")
    assert page.status_code == 200
    from django.core.files.uploadedfile import SimpleUploadedFile

    posted = client.post(f"/datahub/datasets/{datasets['private'].pk}/upload/",
                         {"file": SimpleUploadedFile("a.csv", b"station;pm10\nA;x\nB;2\n")})  # fmt: skip
    assert posted.status_code == 200 and b"upload-rejected" in posted.content


def test_publish_page(client, head_b, spec_a, sector, agency_b):
    client.force_login(head_b)
    assert client.get("/datahub/datasets/new/").status_code == 200
    bad = client.post("/datahub/datasets/new/", {
        "organization": agency_b.pk, "title": "X", "sector": sector.pk, "domain": "environment",
        "visibility": "shared", "licence": "CC-BY-4.0", "update_frequency": "daily",
        "fields_text": "1bad; Tên; string",
    })  # fmt: skip
    assert bad.status_code == 200 and "fields_text" in bad.context["form"].errors
    assert not selectors.dataset_list(actor=head_b, filters={"q": "X"}).filter(title="X").exists()
    response = client.post("/datahub/datasets/new/", {
        "organization": agency_b.pk, "title": "Trạm đo mưa", "sector": sector.pk, "domain": "environment",
        "visibility": "shared", "licence": "CC-BY-4.0", "update_frequency": "daily", "tags": "mưa, nước",
        "fields_text": "station; Trạm; string; ; yes\nrain; Lượng mưa; number; mm; có",
    })  # fmt: skip
    assert response.status_code == 302
    dataset = selectors.dataset_list(actor=head_b, filters={"q": "tram do mua"}).get()
    assert dataset.schema[1] == {"name": "rain", "label": "Lượng mưa", "type": "number", "unit": "mm", "required": True}
    assert dataset.tags == ["mưa", "nước"]
    client.force_login(spec_a)  # A may publish for A only: B is not offered
    page = client.get("/datahub/datasets/new/")
    assert page.status_code == 200 and "Sở Y tế" not in page.content.decode()


def test_dcat_catalog_lists_public_datasets_only(client, datasets):
    response = client.get("/datahub/catalog.jsonld")  # open data: no sign-in
    assert response.status_code == 200 and response["Content-Type"] == "application/ld+json"
    body = response.json()
    assert body["@type"] == "dcat:Catalog"
    assert [d["dct:title"] for d in body["dcat:dataset"]] == ["Chất lượng không khí public"]
    item = body["dcat:dataset"][0]
    assert item["dct:publisher"]["foaf:name"] == "Sở Y tế" and item["dcat:keyword"] == ["không khí"]


def test_ngsild_body_over_the_upload_limit(client, key_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post("/ngsi-ld/v1/entityOperations/upsert", data="[" + " " * 2000 + "]",
                           content_type="application/json", headers={"X-API-Key": key_a})  # fmt: skip
    assert response.status_code == 413 and response["Content-Type"] == "application/problem+json"


def test_global_search_finds_visible_datasets_only(datasets, spec_a, head_b):
    from cityops.core.search import search

    assert sorted(h.title for h in search(spec_a, "khong khi")) == [
        "Chất lượng không khí public",
        "Chất lượng không khí shared",
    ]
    assert len(search(head_b, "khong khi")) == 3


def xlsx_bytes(rows) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_upload(datasets, head_b):
    from datetime import date

    from django.core.files.uploadedfile import SimpleUploadedFile

    dataset = datasets["private"]
    content = xlsx_bytes([
        ["Trạm quan trắc", "Bụi PM10", "Số mẫu", "Ngày", "Đạt"],
        ["Bắc Ninh", 41.5, 24, date(2026, 1, 2), True],
        ["Từ Sơn", "nhiều", 24, None, None],
        ["Quế Võ", "=1+1", None, None, None],
    ])  # fmt: skip
    report = services.dataset_import_xlsx(actor=head_b, dataset=dataset, upload=SimpleUploadedFile("a.xlsx", content))
    assert report.errors == []
    assert [line for line, _reason in report.rejected] == [3, 4]
    assert list(current_rows(dataset).values_list("data", flat=True)) == [
        {"station": "Bắc Ninh", "pm10": 41.5, "count": 24, "day": "2026-01-02", "ok": True}
    ]
    not_xlsx = services.dataset_import_xlsx(
        actor=head_b, dataset=dataset, upload=SimpleUploadedFile("a.xlsx", b"station,pm10\nA,1\n")
    )
    assert not_xlsx.errors and current_rows(dataset).count() == 1


def test_xlsx_bomb_refused(datasets, head_b):
    import zipfile

    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    report = services.dataset_import_xlsx(
        actor=head_b, dataset=datasets["private"], upload=SimpleUploadedFile("bomb.xlsx", buffer.getvalue())
    )
    assert report.errors and current_rows(datasets["private"]).count() == 1
