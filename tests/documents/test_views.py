"""Pages and API of the documents module: forms, actions, registers as XLSX, hostile and oversized input."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from cityops.core.models import AuditEvent
from cityops.documents import services
from cityops.documents.choices import Confidentiality, IncomingStatus
from cityops.documents.models import IncomingDocument
from tests.documents.conftest import PDF, sample

pytestmark = pytest.mark.django_db

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><x>&xxe;</x></edXML>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&lol3;</edXML>"""
WRONG_NS = sample("edoc_update.edxml").replace(b"http://www.mic.gov.vn/TBT/QCVN_102_2016", b"http://www.go.vn/eDoc")


def _import(client, organization, data, name="goi-tin.edxml", **extra):
    upload = SimpleUploadedFile(name, data, content_type="application/xml")
    return client.post(
        reverse("documents:incoming_import"),
        {"organization": organization.pk, "file": upload, "confidentiality": 0, **extra},
    )


def test_index_resolves_and_lists(client, clerk_a, make_incoming):
    make_incoming(subject="Về việc lập quy hoạch")
    client.force_login(clerk_a)
    response = client.get(reverse("documents:index"))
    assert response.status_code == 200
    assert "Về việc lập quy hoạch" in response.text
    assert (
        client.get(reverse("documents:incoming_list"), {"q": "quy hoach"}).text.count('data-testid="incoming-row"') == 1
    )
    assert client.get(reverse("documents:outgoing_list")).status_code == 200


def test_import_form_creates_the_document_and_detail_logs_the_read(client, clerk_a, agency_a):
    client.force_login(clerk_a)
    response = _import(client, agency_a, sample("edoc_new.edxml"))
    doc = IncomingDocument.objects.get()
    assert response.status_code == 302 and response.url == reverse("documents:incoming_detail", args=[doc.pk])
    page = client.get(response.url)
    assert "VPCP-TTĐT" in page.text and 'data-testid="import-warnings"' in page.text
    assert AuditEvent.objects.filter(verb="documents.document.viewed", target_id=str(doc.pk)).count() == 1


@pytest.mark.parametrize(
    ("data", "needle"),
    [(XXE, "entit"), (LAUGHS, "entit"), (WRONG_NS, "namespace"), (b"", ""), (b"\x00\x01binary", "")],
    ids=["xxe", "billion-laughs", "wrong-namespace", "empty", "binary"],
)
def test_hostile_or_broken_edxml_is_refused_with_a_clear_error(client, clerk_a, agency_a, data, needle):
    client.force_login(clerk_a)
    response = _import(client, agency_a, data)
    assert response.status_code == 200
    assert 'data-testid="error-file"' in response.text
    assert needle in response.text.lower()
    assert not IncomingDocument.objects.exists()


def test_oversized_edxml_is_refused_before_reading(client, clerk_a, agency_a, settings):
    settings.DOCUMENTS_EDXML_MAX_BYTES = 1024
    client.force_login(clerk_a)
    response = _import(client, agency_a, sample("status.edxml") + b" " * 2048)
    assert 'data-testid="error-file"' in response.text
    assert not IncomingDocument.objects.exists()


def test_attachment_that_lies_about_its_type_is_refused(client, clerk_a, agency_a):
    client.force_login(clerk_a)
    fake = SimpleUploadedFile("bao-cao.pdf", b"<html><script>alert(1)</script></html>", content_type="application/pdf")
    response = client.post(
        reverse("documents:incoming_new"),
        {
            "organization": agency_a.pk,
            "sender_name": "UBND xã",
            "subject": "Báo cáo",
            "urgency": 0,
            "confidentiality": 0,
            "attached_files": fake,
        },
    )
    assert response.status_code == 200 and 'data-testid="error-attached_files"' in response.text
    assert not IncomingDocument.objects.exists()


def test_confidential_form_explains_why_files_are_refused(client, clerk_a, agency_a):
    client.force_login(clerk_a)
    upload = SimpleUploadedFile("mat.pdf", PDF, content_type="application/pdf")
    response = client.post(
        reverse("documents:incoming_new"),
        {
            "organization": agency_a.pk,
            "sender_name": "Bộ Quốc phòng",
            "subject": "Mật",
            "urgency": 0,
            "confidentiality": Confidentiality.SECRET,
            "attached_files": upload,
        },
    )
    assert "29/2018/QH14" in response.text
    assert not IncomingDocument.objects.exists()


def test_workflow_through_the_pages(client, clerk_a, leader_a, unit_a, make_incoming):
    doc = make_incoming()
    client.force_login(clerk_a)
    client.post(reverse("documents:incoming_action", args=[doc.pk, "register"]))
    doc.refresh_from_db()
    assert doc.status == IncomingStatus.REGISTERED and doc.arrival_number == 1
    # A clerk cannot direct: the service refuses (403), nothing changes.
    assert (
        client.post(reverse("documents:incoming_action", args=[doc.pk, "direct"]), {"lead_unit": unit_a.pk}).status_code
        == 403
    )
    client.force_login(leader_a)
    client.post(
        reverse("documents:incoming_action", args=[doc.pk, "direct"]), {"lead_unit": unit_a.pk, "opinion": "Giao"}
    )
    doc.refresh_from_db()
    assert doc.status == IncomingStatus.DIRECTED
    # An illegal step comes back as a message, not an error page.
    response = client.post(reverse("documents:incoming_action", args=[doc.pk, "register"]), follow=True)
    assert response.status_code == 403 or "cannot become" in response.text


def test_other_agency_gets_404(client, clerk_b, make_incoming):
    doc = make_incoming()
    client.force_login(clerk_b)
    assert client.get(reverse("documents:incoming_detail", args=[doc.pk])).status_code == 404
    assert client.post(reverse("documents:incoming_action", args=[doc.pk, "register"])).status_code == 404


def test_registers_export_as_xlsx_with_official_columns(client, clerk_a, make_incoming, make_outgoing):
    doc = services.incoming_register(actor=clerk_a, document=make_incoming(subject='=HYPERLINK("x")'))
    out = services.outgoing_number(actor=clerk_a, document=make_outgoing())
    client.force_login(clerk_a)
    response = client.get(reverse("documents:register_list"))
    assert response.text.count('data-testid="register-row"') == 2
    sheet = load_workbook(
        io.BytesIO(client.get(reverse("documents:register_xlsx", args=[doc.register_id])).content)
    ).active
    assert [c.value for c in sheet[4]][:4] == ["Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu văn bản"]
    assert sheet["B6"].value == 1
    assert sheet["F6"].value == '\'=HYPERLINK("x")'  # never a live formula
    out_sheet = load_workbook(
        io.BytesIO(client.get(reverse("documents:register_xlsx", args=[out.register_id])).content)
    ).active
    assert out_sheet["A4"].value == "Số, ký hiệu văn bản" and out_sheet["A6"].value == out.code
    assert AuditEvent.objects.filter(verb="documents.register.exported").count() == 2


def test_outgoing_pages_and_edxml_download(client, leader_a, clerk_a, decision_type, agency_a):
    client.force_login(leader_a)
    response = client.post(
        reverse("documents:outgoing_new"),
        {
            "organization": agency_a.pk,
            "document_type": decision_type.pk,
            "subject": "Quyết định thành lập tổ công tác",
            "urgency": 0,
            "confidentiality": 0,
        },
    )
    assert response.status_code == 302
    pk = int(response.url.rstrip("/").split("/")[-1])
    for action in ("submit", "approve"):
        client.post(reverse("documents:outgoing_action", args=[pk, action]))
    client.force_login(clerk_a)
    client.post(reverse("documents:outgoing_action", args=[pk, "number"]))
    page = client.get(reverse("documents:outgoing_detail", args=[pk]))
    assert "01/QĐ-SXD" in page.text
    download = client.get(reverse("documents:outgoing_edxml", args=[pk]))
    assert download.status_code == 200 and b"01" in download.content and download["X-Content-Type-Options"] == "nosniff"


def test_api_list_get_and_import(client, clerk_a, clerk_b, agency_a):
    client.force_login(clerk_a)
    upload = SimpleUploadedFile("a.edxml", sample("received-2025-10-a.edxml"))
    response = client.post("/api/v1/documents/incoming/import", {"organization": agency_a.pk, "file": upload})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "incoming" and body["incoming"]["number"] == "202545"
    doc_id = body["incoming"]["id"]
    listing = client.get("/api/v1/documents/incoming").json()
    assert listing["count"] == 1 and listing["items"][0]["sender_name"] == "Đơn vị test vxp 3"
    assert client.get(f"/api/v1/documents/incoming/{doc_id}").json()["import_warnings"][0]["code"] == "null-literal"
    bad = client.post(
        "/api/v1/documents/incoming/import", {"organization": agency_a.pk, "file": SimpleUploadedFile("x.edxml", XXE)}
    )
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "file"
    client.force_login(clerk_b)
    assert client.get(f"/api/v1/documents/incoming/{doc_id}").status_code == 404
    assert client.get("/api/v1/documents/incoming").json()["count"] == 0
    forbidden = client.post(
        "/api/v1/documents/incoming/import",
        {"organization": agency_a.pk, "file": SimpleUploadedFile("a.edxml", b"<x/>")},
    )
    assert forbidden.status_code == 403


def test_direction_slip_is_built_from_the_events(
    client, clerk_a, leader_a, unit_a, unit_a2, specialist_unit_a, make_incoming
):
    doc = services.incoming_register(actor=clerk_a, document=make_incoming())
    services.incoming_direct(
        actor=leader_a, document=doc, lead_unit=unit_a, supporting_units=[unit_a2], opinion="Giao Phòng QLXD chủ trì"
    )
    services.incoming_forward(actor=specialist_unit_a, document=doc, unit=unit_a2, note="Phối hợp số liệu")
    services.incoming_report(actor=specialist_unit_a, document=doc, note="Đề xuất trả lời bằng công văn")
    client.force_login(leader_a)
    page = client.get(reverse("documents:incoming_slip", args=[doc.pk])).text
    assert "PHIẾU GIẢI QUYẾT VĂN BẢN ĐẾN" in page
    assert "Giao Phòng QLXD chủ trì" in page and "Phối hợp số liệu" in page and "Đề xuất trả lời" in page
    assert page.count('data-testid="slip-direction"') == 1


def test_directives_naming_the_document_are_linked(client, leader_a, agency_a, make_incoming):
    from django.apps import apps

    doc = make_incoming()
    directive_model = apps.get_model("directives", "Directive")
    directive_model.objects.create(
        organization=agency_a,
        leader=leader_a,
        source_kind="document",
        source_type="documents.incomingdocument",
        source_id=str(doc.pk),
        title="Triển khai nội dung công văn",
    )
    client.force_login(leader_a)
    page = client.get(reverse("documents:incoming_detail", args=[doc.pk])).text
    assert 'data-testid="linked-directives"' in page and "Triển khai nội dung công văn" in page


def test_recall_through_the_page_serves_the_revocation_package(client, clerk_a, agency_b, make_outgoing):
    from cityops.documents import edxml

    doc = services.outgoing_number(actor=clerk_a, document=make_outgoing())
    services.outgoing_issue(actor=clerk_a, document=doc, internal=[agency_b])
    client.force_login(clerk_a)
    client.post(reverse("documents:outgoing_action", args=[doc.pk, "recall"]), {"note": "Nhầm nơi nhận"})
    doc.refresh_from_db()
    assert doc.status == "recalled"
    package = edxml.parse_package(client.get(reverse("documents:outgoing_edxml", args=[doc.pk])).content).package
    assert package.business.business_doc_type == edxml.BusinessDocType.REVOCATION
    assert package.business.business_doc_reason == "Nhầm nơi nhận"


def test_tracking_register_shows_lead_unit_deadline_and_state(client, clerk_a, leader_a, unit_a, make_incoming):
    import datetime as dt

    doc = services.incoming_register(actor=clerk_a, document=make_incoming())
    services.incoming_direct(
        actor=leader_a, document=doc, lead_unit=unit_a, deadline=dt.date.today() + dt.timedelta(days=3)
    )
    services.incoming_done(actor=leader_a, document=doc)
    client.force_login(clerk_a)
    content = client.get(reverse("documents:register_tracking_xlsx", args=[doc.register_id])).content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet["A4"].value == "Số đến" and sheet["F5"].value == unit_a.name
    assert sheet["J5"].value == "Hoàn thành đúng hạn"


def test_editing_a_draft_through_the_page_adds_a_version(client, leader_a, make_outgoing, decision_type):
    draft = make_outgoing(approve=False, subject="Bản đầu")
    client.force_login(leader_a)
    assert client.get(reverse("documents:outgoing_edit", args=[draft.pk])).status_code == 200
    response = client.post(
        reverse("documents:outgoing_edit", args=[draft.pk]),
        {
            "document_type": decision_type.pk,
            "subject": "Bản sửa",
            "urgency": 0,
            "confidentiality": 0,
            "note": "Góp ý",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("documents:outgoing_detail", args=[draft.pk])).text
    assert 'data-testid="versions"' in page and "Bản sửa" in page and "Góp ý" in page
