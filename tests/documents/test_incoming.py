"""Incoming documents: receive, register, direct, handle, done; duplicates; the state machine; permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cityops.core.models import AuditEvent
from cityops.core.workdays import deadline_for
from cityops.documents import selectors, services
from cityops.documents.choices import Confidentiality, IncomingStatus, Urgency
from cityops.documents.models import ProcessingEvent
from tests.documents.conftest import PDF

pytestmark = pytest.mark.django_db


def test_receive_register_direct_handle_done(make_incoming, clerk_a, leader_a, specialist_unit_a, unit_a, unit_a2):
    pdf = SimpleUploadedFile("cong-van.pdf", PDF, content_type="application/pdf")
    doc = services.incoming_receive(
        actor=clerk_a,
        organization=clerk_a.memberships.get().organization,
        data={"sender_name": "UBND tỉnh", "number": "12", "notation": "UBND-VX", "subject": "Về việc kiểm tra"},
        files=[pdf],
    )
    assert doc.status == IncomingStatus.RECEIVED
    assert doc.attachments().count() == 1

    doc = services.incoming_register(actor=clerk_a, document=doc)
    assert doc.status == IncomingStatus.REGISTERED
    assert doc.arrival_number == 1
    assert doc.register.year == doc.arrival_date.year

    deadline = dt.date.today() + dt.timedelta(days=7)
    direction = services.incoming_direct(
        actor=leader_a, document=doc, lead_unit=unit_a, supporting_units=[unit_a2], deadline=deadline, opinion="Xử lý"
    )
    doc.refresh_from_db()
    assert doc.status == IncomingStatus.DIRECTED and doc.due_date == deadline
    assert list(direction.supporting_units.all()) == [unit_a2]

    # The lead unit's specialist now sees and handles it.
    assert selectors.incoming_list(actor=specialist_unit_a).filter(pk=doc.pk).exists()
    doc = services.incoming_handle(actor=specialist_unit_a, document=doc, note="Đang xử lý")
    doc = services.incoming_report(actor=specialist_unit_a, document=doc, note="Đã kiểm tra")
    doc = services.incoming_done(actor=leader_a, document=doc, note="Xong")
    assert doc.status == IncomingStatus.DONE
    codes = list(ProcessingEvent.objects.filter(incoming=doc).values_list("status_code", flat=True))
    assert [c for c in codes if c] == ["01", "03", "04", "04", "05", "06"]
    verbs = set(AuditEvent.objects.filter(target_id=str(doc.pk)).values_list("verb", flat=True))
    assert {"documents.incoming.received", "documents.incoming.registered", "documents.incoming.directed"} <= verbs


def test_incoming_numbers_run_per_register(make_incoming, clerk_a):
    numbers = [
        services.incoming_register(actor=clerk_a, document=make_incoming(number=str(i))).arrival_number
        for i in range(3)
    ]
    assert numbers == [1, 2, 3]
    secret = make_incoming(number="99", confidentiality=Confidentiality.SECRET)
    secret = services.incoming_register(actor=clerk_a, document=secret)
    assert secret.arrival_number == 1 and secret.register.is_confidential


def test_duplicate_is_flagged(make_incoming):
    first = make_incoming()
    second = make_incoming()
    assert second.duplicate_of == first
    assert [w["code"] for w in second.import_warnings] == ["duplicate"]
    other = make_incoming(number="16")
    assert other.duplicate_of is None


@pytest.mark.parametrize(
    "step",
    ["direct", "handle", "done", "register_twice"],
)
def test_illegal_transitions_are_refused(step, make_incoming, clerk_a, leader_a, unit_a, specialist_unit_a):
    doc = make_incoming()
    with pytest.raises(ValidationError) as caught:
        if step == "direct":
            services.incoming_direct(actor=leader_a, document=doc, lead_unit=unit_a)
        elif step == "handle":
            services.incoming_register(actor=clerk_a, document=doc)
            services.incoming_handle(actor=leader_a, document=doc)
        elif step == "done":
            services.incoming_done(actor=leader_a, document=doc)
        else:
            services.incoming_register(actor=clerk_a, document=doc)
            services.incoming_register(actor=clerk_a, document=doc)
    assert caught.value.code == "illegal_transition"


def test_roles(make_incoming, clerk_a, leader_a, specialist_unit_a, unit_a, clerk_b):
    doc = make_incoming()
    with pytest.raises(PermissionDenied):
        services.incoming_register(actor=specialist_unit_a, document=doc)
    with pytest.raises(PermissionDenied):
        services.incoming_register(actor=clerk_b, document=doc)
    services.incoming_register(actor=clerk_a, document=doc)
    with pytest.raises(PermissionDenied):
        services.incoming_direct(actor=clerk_a, document=doc, lead_unit=unit_a)
    with pytest.raises(PermissionDenied):
        services.incoming_receive(
            actor=clerk_b, organization=doc.organization, data={"sender_name": "x", "subject": "y"}
        )


def test_direction_units_must_belong_to_the_receiver(make_incoming, clerk_a, leader_a, agency_b):
    doc = services.incoming_register(actor=clerk_a, document=make_incoming())
    with pytest.raises(ValidationError) as caught:
        services.incoming_direct(actor=leader_a, document=doc, lead_unit=agency_b)
    assert "lead_unit" in caught.value.message_dict
    with pytest.raises(ValidationError):
        services.incoming_direct(actor=leader_a, document=doc, lead_unit=doc.organization, deadline=dt.date(2000, 1, 1))


def test_urgent_documents_come_first_and_get_a_short_default_deadline(make_incoming, clerk_a, leader_a, unit_a):
    normal = make_incoming(number="1")
    urgent = make_incoming(number="2", urgency=Urgency.EXPRESS)
    assert list(selectors.incoming_list(actor=clerk_a))[:2] == [urgent, normal]
    urgent = services.incoming_register(actor=clerk_a, document=urgent)
    services.incoming_direct(actor=leader_a, document=urgent, lead_unit=unit_a)
    urgent.refresh_from_db()
    expected = timezone.localtime(deadline_for(timezone.now(), days=services.URGENT_HANDLING_DAYS)).date()
    assert urgent.due_date == expected


def test_confidential_documents_keep_metadata_only(make_incoming, clerk_a, agency_a, settings):
    pdf = SimpleUploadedFile("mat.pdf", PDF, content_type="application/pdf")
    data = {"sender_name": "Bộ Công an", "subject": "Mật", "confidentiality": Confidentiality.SECRET}
    with pytest.raises(ValidationError) as caught:
        services.incoming_receive(actor=clerk_a, organization=agency_a, data=data, files=[pdf])
    assert "29/2018" in caught.value.message_dict["files"][0]
    with pytest.raises(ValidationError):
        services.incoming_receive(actor=clerk_a, organization=agency_a, data={**data, "content": "bí mật"})
    doc = services.incoming_receive(actor=clerk_a, organization=agency_a, data=data)
    assert doc.pk and doc.attachments().count() == 0
    with pytest.raises(ValidationError):
        services.document_add_attachment(actor=clerk_a, document=doc, uploaded_file=pdf)
    settings.DOCUMENTS_AIR_GAPPED = True
    pdf.seek(0)
    services.document_add_attachment(actor=clerk_a, document=doc, uploaded_file=pdf)
    assert doc.attachments().count() == 1


def test_bad_attachment_leaves_nothing_behind(clerk_a, agency_a):
    fake = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00 this is an executable", content_type="application/pdf")
    with pytest.raises(ValidationError):
        services.incoming_receive(
            actor=clerk_a, organization=agency_a, data={"sender_name": "X", "subject": "Y"}, files=[fake]
        )
    assert not selectors.incoming_list(actor=clerk_a).exists()


def test_unknown_field_and_missing_subject_are_refused(clerk_a, agency_a):
    with pytest.raises(ValidationError) as caught:
        services.incoming_receive(actor=clerk_a, organization=agency_a, data={"sender_name": "X", "status": "done"})
    assert "status" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.incoming_receive(actor=clerk_a, organization=agency_a, data={"sender_name": "X"})
    assert "subject" in caught.value.message_dict


def test_reading_is_logged(make_incoming, clerk_a):
    doc = make_incoming()
    services.document_viewed(actor=clerk_a, document=doc)
    assert AuditEvent.objects.filter(verb="documents.document.viewed", target_id=str(doc.pk), actor=clerk_a).exists()


def test_the_same_document_identifier_twice_is_flagged(clerk_a, agency_a, make_incoming):
    from cityops.documents.models import IncomingDocument

    first = make_incoming(number="7", notation="UBND-VP")
    IncomingDocument.objects.filter(pk=first.pk).update(edxml_document_id="000.00.00.H27,2026/01/05,9/UBND-VP")
    from tests.documents.conftest import sample

    data = sample("edoc_new.edxml").replace(
        b"000.00.00.G22,2015/09/30,7816/VPCP-TT\xc4\x90T", b"000.00.00.H27,2026/01/05,9/UBND-VP"
    )
    second = services.edxml_import(actor=clerk_a, organization=agency_a, data=data)
    assert second.duplicate_of == first
    assert "duplicate" in {w["code"] for w in second.import_warnings}
