"""The edXML exchange: status messages produced on every state change, sent through a transport with retries,
received back by the sender; update, replacement and recall travelling between two agencies and back."""

from __future__ import annotations

import datetime as dt
import http.server
import io
import socket
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cityops.core.models import Attachment
from cityops.documents import edxml, exchange, services
from cityops.documents.choices import ExchangeState, IncomingStatus, OutgoingStatus
from cityops.documents.models import ExchangeMessage, IncomingDocument
from tests.documents.conftest import sample
from tests.documents.test_pdf_reports import pdf_bytes

pytestmark = pytest.mark.django_db

SAMPLE_ID = "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"


def _statuses(document: IncomingDocument) -> list[str]:
    return list(
        ExchangeMessage.objects.filter(incoming=document, kind="status", direction="out")
        .order_by("id")
        .values_list("status_code", flat=True)
    )


def test_each_state_change_of_an_edxml_document_sends_one_status_message(
    clerk_a, leader_a, specialist_unit_a, unit_a, unit_a2, agency_a, exchange_outbox, django_capture_on_commit_callbacks
):
    agency_a.edxml_code = "000.01.02.H27"
    agency_a.save()
    with django_capture_on_commit_callbacks(execute=True):
        doc = services.edxml_import(actor=clerk_a, organization=agency_a, data=sample("edoc_new.edxml"))
    with django_capture_on_commit_callbacks(execute=True):
        doc = services.incoming_register(actor=clerk_a, document=doc)
        services.incoming_direct(actor=leader_a, document=doc, lead_unit=unit_a, supporting_units=[unit_a2])
        doc = services.incoming_handle(actor=specialist_unit_a, document=doc, note="Đang soạn")
        doc = services.incoming_handle(actor=specialist_unit_a, document=doc, note="Vẫn đang soạn")
        doc = services.incoming_done(actor=leader_a, document=doc)
    # 04 once although two units were assigned; 05 once although handling was recorded twice.
    assert _statuses(doc) == ["01", "03", "04", "05", "06"]
    messages = ExchangeMessage.objects.filter(incoming=doc, kind="status").order_by("id")
    assert {m.state for m in messages} == {ExchangeState.SENT}
    files = sorted(p.name for p in exchange_outbox.iterdir())
    assert len(files) == 5 and not any(name.startswith(".tmp") for name in files)
    for message in messages:
        status = edxml.parse_status((exchange_outbox / message.remote_id).read_bytes()).status
        assert str(status.status_code) == message.status_code
        assert status.sender.organ_id == "000.01.02.H27"
        assert status.response_for.document_id == SAMPLE_ID
        assert message.counterpart_organ_id == "002.00.20.H13"  # the package's sender


def test_returning_a_document_sends_status_02_with_the_reason(clerk_a, agency_a, specialist_unit_a):
    doc = services.edxml_import(actor=clerk_a, organization=agency_a, data=sample("edoc_new.edxml"))
    with pytest.raises(ValidationError):
        services.incoming_reject(actor=clerk_a, document=doc, reason="  ")
    with pytest.raises(Exception):  # noqa: B017 - a specialist may not return documents
        services.incoming_reject(actor=specialist_unit_a, document=doc, reason="Sai nơi nhận")
    doc = services.incoming_reject(actor=clerk_a, document=doc, reason="Gửi nhầm, không thuộc thẩm quyền")
    assert doc.status == IncomingStatus.REJECTED
    message = ExchangeMessage.objects.filter(incoming=doc, status_code="02").get()
    status = edxml.parse_status(message.payload.encode()).status
    assert "Gửi nhầm" in (status.description or "")
    with pytest.raises(ValidationError):
        services.incoming_register(actor=clerk_a, document=doc)


def test_documents_typed_in_by_hand_send_nothing(make_incoming, clerk_a):
    doc = services.incoming_register(actor=clerk_a, document=make_incoming())
    assert not ExchangeMessage.objects.filter(incoming=doc).exists()


# --- transports and retries ---------------------------------------------------------------------------------------


def _queued_message(agency) -> ExchangeMessage:
    return exchange.exchange_queue(
        organization=agency, kind="status", payload=sample("status_inbox_01.edxml"), organ_id="000.00.00.G22"
    )


class _Handler(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    answer = 200

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(type(self).answer)
        self.end_headers()
        self.wfile.write(b"DOC-42")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def exchange_server():
    _Handler.received = []
    _Handler.answer = 200
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_http_transport_posts_to_the_exchange_platform(agency_a, settings, exchange_server):
    settings.DOCUMENTS_EXCHANGE_TRANSPORT = "http"
    settings.DOCUMENTS_EXCHANGE_URL = f"http://127.0.0.1:{exchange_server.server_port}/edoc"
    message = _queued_message(agency_a)
    assert exchange.exchange_send(message.pk) == ExchangeState.SENT
    message.refresh_from_db()
    assert message.remote_id == "DOC-42" and message.attempts == 1 and message.sent_at
    headers, body = _Handler.received[0]
    assert body == sample("status_inbox_01.edxml")
    assert headers["servicetype"] == "status" and headers["messagetype"] == "status"
    # Sending again does nothing: the message is sent already.
    assert exchange.exchange_send(message.pk) == ExchangeState.SENT
    assert len(_Handler.received) == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_failures_are_retried_later_then_given_up(agency_a, settings, exchange_server):
    settings.DOCUMENTS_EXCHANGE_TRANSPORT = "http"
    settings.DOCUMENTS_EXCHANGE_MAX_ATTEMPTS = 3
    settings.DOCUMENTS_EXCHANGE_URL = f"http://127.0.0.1:{exchange_server.server_port}/edoc"
    _Handler.answer = 503
    message = _queued_message(agency_a)
    assert exchange.exchange_send(message.pk) == ExchangeState.QUEUED
    message.refresh_from_db()
    assert message.attempts == 1 and "503" in message.last_error
    assert message.next_attempt_at > timezone.now()
    # Not due yet: the sweep leaves it alone.
    assert exchange.exchange_retry_due() == 0
    later = timezone.now() + dt.timedelta(hours=1)
    settings.DOCUMENTS_EXCHANGE_URL = f"http://127.0.0.1:{_free_port()}/edoc"  # nobody listens
    assert exchange.exchange_retry_due(now=later) == 1
    message.refresh_from_db()
    assert message.attempts == 2 and message.state == ExchangeState.QUEUED and message.last_error.startswith("http:")
    assert exchange.exchange_retry_due(now=later + dt.timedelta(days=1)) == 1
    message.refresh_from_db()
    assert message.state == ExchangeState.FAILED and message.attempts == 3 and message.next_attempt_at is None
    # The platform is back: a message that failed for good is not resent by the sweep.
    _Handler.answer = 200
    assert exchange.exchange_retry_due(now=later + dt.timedelta(days=2)) == 0


def test_air_gapped_deployments_never_use_the_network(agency_a, settings):
    settings.DOCUMENTS_AIR_GAPPED = True
    settings.DOCUMENTS_EXCHANGE_TRANSPORT = "http"
    settings.DOCUMENTS_EXCHANGE_URL = "http://127.0.0.1:9/never"
    message = _queued_message(agency_a)
    assert message.state == ExchangeState.HELD
    assert exchange.exchange_send(message.pk) == ExchangeState.HELD


def test_no_transport_holds_messages_until_one_is_configured(agency_a, settings, exchange_outbox):
    from django.core.management import call_command

    settings.DOCUMENTS_EXCHANGE_TRANSPORT = ""
    message = _queued_message(agency_a)
    assert message.state == ExchangeState.HELD
    call_command("documents_exchange", "--release-held", stdout=io.StringIO())
    message.refresh_from_db()
    assert message.state == ExchangeState.HELD  # still nowhere to send it
    settings.DOCUMENTS_EXCHANGE_TRANSPORT = "outbox"
    out = io.StringIO()
    call_command("documents_exchange", "--release-held", stdout=out)
    assert "held messages queued: 1" in out.getvalue() and "messages attempted: 1" in out.getvalue()
    message.refresh_from_db()
    assert message.state == ExchangeState.SENT and (exchange_outbox / message.remote_id).exists()


def test_unwritable_outbox_is_a_recorded_failure(agency_a, settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.DOCUMENTS_EXCHANGE_OUTBOX = blocker / "outbox"
    message = _queued_message(agency_a)
    assert exchange.exchange_send(message.pk) == ExchangeState.QUEUED
    message.refresh_from_db()
    assert message.last_error.startswith("outbox:") and message.attempts == 1


def test_non_http_url_is_refused(agency_a, settings):
    settings.DOCUMENTS_EXCHANGE_TRANSPORT = "http"
    settings.DOCUMENTS_EXCHANGE_URL = "file:///etc/passwd"
    message = _queued_message(agency_a)
    exchange.exchange_send(message.pk)
    message.refresh_from_db()
    assert "not an http" in message.last_error


# --- the sender's side: status messages received ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("status_inbox_01.edxml", "01"),
        ("status_rejection_02.edxml", "02"),
        ("status_acceptance_03.edxml", "03"),
        ("status_assignment_04.edxml", "04"),
        ("status_processing_05.edxml", "05"),
        ("status_finish_06.edxml", "06"),
        ("status_change-acceptance_15.edxml", "15"),
        ("status_change-rejection_16.edxml", "16"),
    ],
)
def test_the_sender_sees_received_by_whom_and_when(name, code, client, clerk_a, agency_a, make_outgoing):
    doc = services.outgoing_number(actor=clerk_a, document=make_outgoing())
    doc = services.outgoing_issue(actor=clerk_a, document=doc, external=[("000.00.00.H41", "UBND tỉnh Nghệ An")])
    type(doc).objects.filter(pk=doc.pk).update(edxml_document_id=SAMPLE_ID)
    services.edxml_import(actor=clerk_a, organization=agency_a, data=sample(name))
    recipient = doc.recipients.get()
    assert recipient.last_status_code == code
    assert timezone.localtime(recipient.last_status_at).replace(tzinfo=None) == dt.datetime(2015, 9, 20, 11, 8, 36)
    assert ExchangeMessage.objects.filter(outgoing=doc, direction="in", status_code=code).count() == 1
    client.force_login(clerk_a)
    page = client.get(reverse("documents:outgoing_detail", args=[doc.pk]))
    cell = f'data-testid="recipient-status" data-code="{code}"'
    assert cell in page.text and "20/09/2015 11:08" in page.text


def test_status_13_from_the_sender_withdraws_the_incoming_copy(clerk_a, agency_a):
    doc = services.edxml_import(actor=clerk_a, organization=agency_a, data=sample("edoc_update.edxml"))
    services.edxml_import(actor=clerk_a, organization=agency_a, data=sample("status_cancellation_13.edxml"))
    doc.refresh_from_db()
    assert doc.status == IncomingStatus.RECALLED
    assert _statuses(doc)[-1] == "15"  # the receiver agrees and says so


def test_a_status_message_for_another_agencys_document_is_refused(clerk_b, agency_b, make_outgoing, clerk_a):
    doc = services.outgoing_number(actor=clerk_a, document=make_outgoing())
    type(doc).objects.filter(pk=doc.pk).update(edxml_document_id=SAMPLE_ID)
    with pytest.raises(ValidationError):
        services.edxml_import(actor=clerk_b, organization=agency_b, data=sample("status_finish_06.edxml"))


# --- two agencies talking edXML to each other: new, status, update, replacement, recall ---------------------------


@pytest.fixture
def linked_agencies(agency_a, agency_b):
    agency_a.edxml_code = "000.01.02.H27"
    agency_a.save()
    agency_b.edxml_code = "000.01.05.H27"
    agency_b.save()
    return agency_a, agency_b


def _package_to_b(doc, business_type: int) -> bytes:
    message = ExchangeMessage.objects.filter(outgoing=doc, business_type=business_type, direction="out").get()
    assert message.counterpart_organ_id == "000.01.05.H27"
    return message.payload.encode()


def test_update_replacement_and_recall_round_trip(
    linked_agencies, make_outgoing, clerk_a, leader_a, clerk_b, client, exchange_outbox
):
    agency_a, agency_b = linked_agencies
    external = [("000.01.05.H27", "Sở Y tế")]
    doc = make_outgoing(subject="Về việc tổ chức hội nghị", due_date=dt.date(2030, 3, 1))
    services.document_add_attachment(
        actor=leader_a, document=doc, uploaded_file=SimpleUploadedFile("giay-moi.pdf", pdf_bytes("Giấy mời họp"))
    )
    doc = services.outgoing_number(actor=clerk_a, document=doc)
    doc = services.outgoing_issue(actor=clerk_a, document=doc, external=external)

    # B receives the package, registers it; A receives B's status 03.
    received = services.edxml_import(actor=clerk_b, organization=agency_b, data=_package_to_b(doc, 0))
    assert received.attachments().count() == 1
    services.incoming_register(actor=clerk_b, document=received)
    status = ExchangeMessage.objects.filter(incoming=received, status_code="03").get()
    services.edxml_import(actor=clerk_a, organization=agency_a, data=status.payload.encode())
    assert doc.recipients.get().last_status_code == "03"

    # A updates the issued document (business type 2): B's record changes, with the old value audited.
    with pytest.raises(ValidationError):
        services.outgoing_correct(actor=clerk_a, document=doc, data={"subject": "x"}, reason="")
    services.outgoing_correct(
        actor=clerk_a, document=doc, data={"subject": "Về việc tổ chức hội nghị (sửa thời gian)"}, reason="Đổi giờ"
    )
    update = _package_to_b(doc, edxml.BusinessDocType.UPDATE)
    assert edxml.parse_package(update).package.business.business_doc_type == edxml.BusinessDocType.UPDATE
    updated = services.edxml_import(actor=clerk_b, organization=agency_b, data=update)
    assert updated.pk == received.pk
    received.refresh_from_db()
    assert received.subject == "Về việc tổ chức hội nghị (sửa thời gian)"
    assert received.attachments().count() == 1  # the update's file replaced the old one, not added to it

    # A replaces it (business type 3): B's earlier record shows the replacement.
    replacement = services.outgoing_replacement_draft(actor=leader_a, document=doc)
    assert replacement.replaces == doc and replacement.status == OutgoingStatus.DRAFT
    with pytest.raises(ValidationError):
        services.outgoing_replacement_draft(actor=leader_a, document=doc)
    services.document_add_attachment(
        actor=leader_a, document=replacement, uploaded_file=SimpleUploadedFile("moi.pdf", pdf_bytes("Giấy mời mới"))
    )
    replacement = services.outgoing_submit(actor=leader_a, document=replacement)
    replacement = services.outgoing_approve(actor=leader_a, document=replacement)
    replacement = services.outgoing_number(actor=clerk_a, document=replacement)
    replacement = services.outgoing_issue(actor=clerk_a, document=replacement, external=external)
    doc.refresh_from_db()
    assert doc.status == OutgoingStatus.REPLACED
    package = _package_to_b(replacement, edxml.BusinessDocType.REPLACEMENT)
    info = edxml.parse_package(package).package.business.replacement_info
    assert info[0].document_id == doc.edxml_document_id and info[0].organ_ids == ("000.01.05.H27",)
    new = services.edxml_import(actor=clerk_b, organization=agency_b, data=package)
    received.refresh_from_db()
    assert received.status == IncomingStatus.REPLACED and received.replaced_by == new
    client.force_login(clerk_b)
    page = client.get(reverse("documents:incoming_detail", args=[received.pk]))
    assert 'data-testid="replaced-by"' in page.text and reverse("documents:incoming_detail", args=[new.pk]) in page.text

    # A recalls the replacement (business type 1): B's copy is withdrawn and its file can no longer be fetched.
    attachment = new.attachments().get()
    assert client.get(reverse("core:attachment_download", args=[attachment.pk])).status_code == 200
    services.outgoing_recall(actor=clerk_a, document=replacement, reason="Ban hành nhầm")
    revocation = _package_to_b(replacement, edxml.BusinessDocType.REVOCATION)
    assert services.edxml_import(actor=clerk_b, organization=agency_b, data=revocation) == new
    new.refresh_from_db()
    assert new.status == IncomingStatus.RECALLED
    assert client.get(reverse("core:attachment_download", args=[attachment.pk])).status_code == 404
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    # B's agreement (15) reaches A.
    accepted = ExchangeMessage.objects.filter(incoming=new, status_code="15").get()
    services.edxml_import(actor=clerk_a, organization=agency_a, data=accepted.payload.encode())
    assert replacement.recipients.get().last_status_code == "15"


def test_only_issued_documents_can_be_updated_or_replaced(make_outgoing, clerk_a, leader_a):
    doc = services.outgoing_number(actor=clerk_a, document=make_outgoing())
    with pytest.raises(ValidationError):
        services.outgoing_correct(actor=clerk_a, document=doc, data={"subject": "Khác"}, reason="Sửa")
    with pytest.raises(ValidationError):
        services.outgoing_replacement_draft(actor=leader_a, document=doc)


def test_an_update_may_not_set_other_fields(make_outgoing, clerk_a, agency_b):
    doc = services.outgoing_number(actor=clerk_a, document=make_outgoing())
    doc = services.outgoing_issue(actor=clerk_a, document=doc, internal=[agency_b])
    with pytest.raises(ValidationError):
        services.outgoing_correct(actor=clerk_a, document=doc, data={"status": "draft"}, reason="Sửa")
    with pytest.raises(ValidationError):
        services.outgoing_correct(actor=clerk_a, document=doc, data={"subject": doc.subject}, reason="Không đổi")


def test_another_agency_cannot_update_recall_or_replace(make_outgoing, clerk_a, clerk_b, leader_b, agency_b):
    doc = services.outgoing_number(actor=clerk_a, document=make_outgoing())
    doc = services.outgoing_issue(actor=clerk_a, document=doc, internal=[agency_b])
    with pytest.raises(Exception):  # noqa: B017 - PermissionDenied
        services.outgoing_correct(actor=clerk_b, document=doc, data={"subject": "B"}, reason="B")
    with pytest.raises(Exception):  # noqa: B017
        services.outgoing_recall(actor=clerk_b, document=doc, reason="B")
    with pytest.raises(Exception):  # noqa: B017
        services.outgoing_replacement_draft(actor=leader_b, document=doc)


def test_internal_update_and_replacement_reach_the_copies(make_outgoing, clerk_a, leader_a, agency_b):
    doc = services.outgoing_number(actor=clerk_a, document=make_outgoing(subject="Kế hoạch quý I"))
    doc = services.outgoing_issue(actor=clerk_a, document=doc, internal=[agency_b])
    copy = doc.recipients.get().incoming_document
    services.outgoing_correct(
        actor=clerk_a, document=doc, data={"subject": "Kế hoạch quý I (bổ sung)"}, reason="Bổ sung"
    )
    copy.refresh_from_db()
    assert copy.subject == "Kế hoạch quý I (bổ sung)"
    assert doc.recipients.get().last_status_code == "15"
    replacement = services.outgoing_replacement_draft(actor=leader_a, document=doc)
    replacement = services.outgoing_approve(
        actor=leader_a, document=services.outgoing_submit(actor=leader_a, document=replacement)
    )
    replacement = services.outgoing_number(actor=clerk_a, document=replacement)
    replacement = services.outgoing_issue(actor=clerk_a, document=replacement, internal=[agency_b])
    copy.refresh_from_db()
    assert copy.status == IncomingStatus.REPLACED
    assert copy.replaced_by == replacement.recipients.get().incoming_document


def test_exchange_log_page_is_scoped_to_the_agency(client, clerk_a, clerk_b, agency_a):
    services.edxml_import(actor=clerk_a, organization=agency_a, data=sample("edoc_new.edxml"))
    client.force_login(clerk_a)
    page = client.get(reverse("documents:exchange_log"))
    assert page.status_code == 200 and page.text.count('data-testid="exchange-row"') == 2  # received + 01 sent
    client.force_login(clerk_b)
    assert client.get(reverse("documents:exchange_log")).text.count('data-testid="exchange-row"') == 0
