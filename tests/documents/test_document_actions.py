"""Pages for the new steps (return to sender, update after issue, replacement, recall) and the recall of files:
a withdrawn copy's files cannot be fetched by a direct link; hostile, oversized and unauthorised input."""

from __future__ import annotations

import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cityops.core.models import Attachment, AuditEvent
from cityops.documents import services
from cityops.documents.choices import IncomingStatus, OutgoingStatus
from cityops.documents.models import ExchangeMessage, IncomingDocument, OutgoingDocument
from tests.documents.conftest import sample
from tests.documents.test_pdf_reports import pdf_bytes
from tests.documents.test_views import LAUGHS, XXE

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued_with_file(make_outgoing, clerk_a, leader_a, agency_b) -> OutgoingDocument:
    doc = make_outgoing(approve=False, subject="Về việc họp giao ban")
    services.document_add_attachment(
        actor=leader_a, document=doc, uploaded_file=SimpleUploadedFile("giay-moi.pdf", pdf_bytes("Giấy mời"))
    )
    doc = services.outgoing_approve(actor=leader_a, document=services.outgoing_submit(actor=leader_a, document=doc))
    doc = services.outgoing_number(actor=clerk_a, document=doc)
    return services.outgoing_issue(actor=clerk_a, document=doc, internal=[agency_b])


def test_a_recalled_copy_s_files_are_refused_by_direct_link(
    client, issued_with_file, clerk_a, clerk_b, django_capture_on_commit_callbacks
):
    copy = issued_with_file.recipients.get().incoming_document
    attachment = copy.attachments().get()
    stored = attachment.file.path
    url = reverse("core:attachment_download", args=[attachment.pk])
    client.force_login(clerk_b)
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        services.outgoing_recall(actor=clerk_a, document=issued_with_file, reason="Sai thành phần")
    assert client.get(url).status_code == 404
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not os.path.exists(stored)  # the bytes are gone too (Art. 18.4: the copy is destroyed)
    copy.refresh_from_db()
    assert copy.status == IncomingStatus.RECALLED and copy.attachment_text == ""
    destroyed = AuditEvent.objects.get(verb="documents.incoming.files_destroyed", target_id=str(copy.pk))
    assert destroyed.data["files"][0]["name"] == "giay-moi.pdf" and destroyed.data["files"][0]["sha256"]
    # The sender keeps its own (frozen) file.
    own = issued_with_file.attachments().get()
    client.force_login(clerk_a)
    assert client.get(reverse("core:attachment_download", args=[own.pk])).status_code == 200
    page = client.get(reverse("documents:incoming_detail", args=[copy.pk]))
    assert page.status_code == 404  # agency A never sees B's copy
    client.force_login(clerk_b)
    page = client.get(reverse("documents:incoming_detail", args=[copy.pk]))
    assert 'data-testid="recalled"' in page.text and "giay-moi.pdf" not in page.text


def test_return_to_sender_page(client, clerk_a, agency_a):
    doc = services.edxml_import(actor=clerk_a, organization=agency_a, data=sample("edoc_new.edxml"))
    client.force_login(clerk_a)
    url = reverse("documents:incoming_action", args=[doc.pk, "reject"])
    client.post(url, {"note": ""})
    doc.refresh_from_db()
    assert doc.status == IncomingStatus.RECEIVED  # no reason, nothing done
    client.post(url, {"note": "<script>alert(1)</script> gửi nhầm"})
    doc.refresh_from_db()
    assert doc.status == IncomingStatus.REJECTED
    page = client.get(reverse("documents:incoming_detail", args=[doc.pk]))
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


def test_other_agencies_and_specialists_cannot_return_a_document(client, clerk_a, clerk_b, specialist_unit_a, agency_a):
    doc = services.edxml_import(actor=clerk_a, organization=agency_a, data=sample("edoc_new.edxml"))
    url = reverse("documents:incoming_action", args=[doc.pk, "reject"])
    client.force_login(clerk_b)
    assert client.post(url, {"note": "x"}).status_code == 404
    client.force_login(specialist_unit_a)
    assert client.post(url, {"note": "x"}).status_code in {403, 404}
    doc.refresh_from_db()
    assert doc.status == IncomingStatus.RECEIVED


def test_update_and_replacement_pages(client, issued_with_file, clerk_a, leader_a, clerk_b):
    doc = issued_with_file
    client.force_login(clerk_a)
    page = client.get(reverse("documents:outgoing_detail", args=[doc.pk]))
    assert 'data-testid="correct-form"' in page.text
    url = reverse("documents:outgoing_action", args=[doc.pk, "correct"])
    client.post(url, {"subject": "Về việc họp giao ban (đổi phòng)", "reason": ""})
    doc.refresh_from_db()
    assert doc.subject == "Về việc họp giao ban"  # no reason: refused
    client.post(url, {"subject": "Về việc họp giao ban (đổi phòng)", "reason": "Đổi phòng họp"})
    doc.refresh_from_db()
    assert doc.subject == "Về việc họp giao ban (đổi phòng)"
    assert doc.recipients.get().incoming_document.subject == doc.subject
    # Another agency's clerk cannot post the update.
    client.force_login(clerk_b)
    assert client.post(url, {"subject": "B", "reason": "B"}).status_code == 404
    client.force_login(leader_a)
    response = client.post(reverse("documents:outgoing_action", args=[doc.pk, "replace"]))
    draft = OutgoingDocument.objects.get(replaces=doc)
    assert response.status_code == 302 and response.url == reverse("documents:outgoing_detail", args=[draft.pk])
    assert 'data-testid="replaces"' in client.get(response.url).text


def test_status_messages_are_refused_when_hostile_or_oversized(clerk_a, agency_a, make_outgoing, settings):
    doc = services.outgoing_number(actor=clerk_a, document=make_outgoing())
    OutgoingDocument.objects.filter(pk=doc.pk).update(edxml_document_id="000.00.00.G22,2015/09/30,7816/VPCP-TTĐT")
    status_xxe = sample("status_finish_06.edxml").replace(
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    )
    for data in (XXE, LAUGHS, status_xxe):
        with pytest.raises(ValidationError):
            services.edxml_import(actor=clerk_a, organization=agency_a, data=data)
    settings.DOCUMENTS_EDXML_MAX_BYTES = 512
    with pytest.raises(ValidationError):
        services.edxml_import(actor=clerk_a, organization=agency_a, data=sample("status_finish_06.edxml"))
    with pytest.raises(ValidationError):
        services.edxml_import(actor=clerk_a, organization=agency_a, data=sample("edoc_update.edxml"))
    assert doc.recipients.count() == 0 and not IncomingDocument.objects.exists()
    assert not ExchangeMessage.objects.exists()


def test_the_api_import_records_status_messages(client, clerk_a, agency_a, make_outgoing):
    doc = services.outgoing_number(actor=clerk_a, document=make_outgoing())
    doc = services.outgoing_issue(actor=clerk_a, document=doc, external=[("000.00.00.H41", "Nghệ An")])
    OutgoingDocument.objects.filter(pk=doc.pk).update(edxml_document_id="000.00.00.G22,2015/09/30,7816/VPCP-TTĐT")
    client.force_login(clerk_a)
    upload = SimpleUploadedFile("s.edxml", sample("status_acceptance_03.edxml"), content_type="application/xml")
    response = client.post("/api/v1/documents/incoming/import", {"organization": agency_a.pk, "file": upload})
    assert response.status_code == 201 and response.json() == {"kind": "status", "incoming": None, "status_code": "03"}
    assert doc.recipients.get().last_status_code == "03"


def test_recalled_documents_stay_out_of_the_work(issued_with_file, clerk_a, clerk_b):
    copy = issued_with_file.recipients.get().incoming_document
    services.outgoing_recall(actor=clerk_a, document=issued_with_file, reason="Thu hồi")
    copy.refresh_from_db()
    with pytest.raises(ValidationError):
        services.incoming_register(actor=clerk_b, document=copy)
    assert issued_with_file.__class__.objects.get(pk=issued_with_file.pk).status == OutgoingStatus.RECALLED


def test_the_api_shows_the_recipients_last_status(client, issued_with_file, clerk_a, clerk_b):
    copy = issued_with_file.recipients.get().incoming_document
    services.incoming_register(actor=clerk_b, document=copy)
    client.force_login(clerk_a)
    body = client.get(f"/api/v1/documents/outgoing/{issued_with_file.pk}").json()
    assert body["recipients"][0]["last_status_code"] == "03" and body["recipients"][0]["last_status_at"]
    client.force_login(clerk_b)
    assert client.get(f"/api/v1/documents/outgoing/{issued_with_file.pk}").status_code == 404


def test_a_reply_is_drafted_from_the_incoming_document_and_answers_it_in_edxml(
    client, clerk_a, leader_a, clerk_b, agency_a, decision_type
):
    incoming = services.edxml_import(actor=clerk_a, organization=agency_a, data=sample("edoc_new.edxml"))
    client.force_login(leader_a)
    page = client.get(reverse("documents:incoming_detail", args=[incoming.pk]))
    assert 'data-testid="draft-reply"' in page.text
    url = reverse("documents:outgoing_new") + f"?reply_to={incoming.pk}"
    assert 'data-testid="reply-to"' in client.get(url).text
    response = client.post(
        url, {"organization": agency_a.pk, "document_type": decision_type.pk, "subject": "Trả lời", "urgency": 0,
              "confidentiality": 0},
    )  # fmt: skip
    reply = OutgoingDocument.objects.get(subject="Trả lời")
    assert response.status_code == 302 and reply.reply_to == incoming
    reply = services.outgoing_approve(actor=leader_a, document=services.outgoing_submit(actor=leader_a, document=reply))
    reply = services.outgoing_number(actor=clerk_a, document=reply)
    reply = services.outgoing_issue(actor=clerk_a, document=reply, external=[("002.00.20.H13", "UBND xã Hòa Tiến")])
    from cityops.documents import edxml

    answered = edxml.parse_package(reply.recipients.get().package.encode()).package.header.response_for
    assert answered[0].document_id == incoming.edxml_document_id and answered[0].code == incoming.code
    page = client.get(reverse("documents:incoming_detail", args=[incoming.pk]))
    assert reply.code in page.text
    # Another agency cannot draft a reply to it (nor learn that it exists).
    client.force_login(clerk_b)
    assert client.get(url).status_code in {403, 404}
