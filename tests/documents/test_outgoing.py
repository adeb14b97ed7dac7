"""Outgoing documents: draft → review → approve → number → issue → archive; numbering rules; delivery."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from cityops.core.models import Organization
from cityops.documents import edxml, selectors, services
from cityops.documents.choices import Confidentiality, IncomingStatus, OutgoingStatus, ReceivedVia
from cityops.documents.models import IncomingDocument, OutgoingDocument, Register
from tests.documents.conftest import PDF


@pytest.mark.django_db
def test_numbering_leading_zero_notation_and_identifier(make_outgoing, clerk_a, agency_a):
    agency_a.edxml_code = "000.01.02.H27"
    agency_a.save()
    first = services.outgoing_number(actor=clerk_a, document=make_outgoing())
    second = services.outgoing_number(actor=clerk_a, document=make_outgoing())
    assert (first.number, second.number) == ("01", "02")
    assert first.notation == "QĐ-SXD"
    assert first.code == "01/QĐ-SXD"
    assert first.edxml_document_id == f"000.01.02.H27,{first.issued_date:%Y/%m/%d},01/QĐ-SXD"
    assert first.register.year == first.issued_date.year


@pytest.mark.django_db
def test_numbers_above_nine_and_cong_van_notation(make_outgoing, clerk_a, letter_type, unit_a):
    register = Register.objects.create(
        organization=unit_a.parent, name="Sổ đi", direction="out", year=dt.date.today().year, last_number=9
    )
    doc = services.outgoing_number(
        actor=clerk_a, document=make_outgoing(document_type=letter_type, drafting_unit=unit_a)
    )
    assert doc.register == register
    assert doc.number == "10"
    assert doc.notation == "SXD-PQLXD"


@pytest.mark.django_db
def test_each_year_and_secret_documents_have_their_own_series(make_outgoing, clerk_a, agency_a):
    Register.objects.create(organization=agency_a, name="2020", direction="out", year=2020, last_number=41)
    normal = services.outgoing_number(actor=clerk_a, document=make_outgoing())
    secret = services.outgoing_number(actor=clerk_a, document=make_outgoing(confidentiality=Confidentiality.SECRET))
    assert normal.number == "01" and secret.number == "01"
    assert secret.register.is_confidential and not normal.register.is_confidential


@pytest.mark.django_db
def test_workflow_refuses_illegal_steps_and_wrong_roles(make_outgoing, clerk_a, leader_a, specialist_unit_a, agency_a):
    draft = make_outgoing(approve=False)
    for step, actor in ((services.outgoing_approve, leader_a), (services.outgoing_archive, clerk_a)):
        with pytest.raises(ValidationError) as caught:
            step(actor=actor, document=draft)
        assert caught.value.code == "illegal_transition"
    with pytest.raises(ValidationError):
        services.outgoing_number(actor=clerk_a, document=draft)
    with pytest.raises(PermissionDenied):
        services.outgoing_number(actor=leader_a, document=make_outgoing())
    submitted = services.outgoing_submit(actor=leader_a, document=draft)
    with pytest.raises(PermissionDenied):
        services.outgoing_approve(actor=specialist_unit_a, document=submitted)
    returned = services.outgoing_return(actor=leader_a, document=submitted, note="Sửa lại")
    assert returned.status == OutgoingStatus.DRAFT


@pytest.mark.django_db
def test_issue_delivers_internally_and_builds_edxml_for_external(make_outgoing, clerk_a, clerk_b, agency_b, leader_a):
    doc = make_outgoing()
    services.document_add_attachment(
        actor=leader_a, document=doc, uploaded_file=SimpleUploadedFile("qd.pdf", PDF, content_type="application/pdf")
    )
    doc = services.outgoing_number(actor=clerk_a, document=doc)
    with pytest.raises(ValidationError):
        services.outgoing_issue(actor=clerk_a, document=doc)
    doc = services.outgoing_issue(
        actor=clerk_a, document=doc, internal=[agency_b], external=[("000.00.00.G22", "Văn phòng Chính phủ")]
    )
    assert doc.status == OutgoingStatus.ISSUED
    delivered = selectors.incoming_list(actor=clerk_b).get()
    assert delivered.received_via == ReceivedVia.INTERNAL and delivered.status == IncomingStatus.RECEIVED
    assert (delivered.number, delivered.notation, delivered.subject) == (doc.number, doc.notation, doc.subject)
    assert delivered.attachments().count() == 1
    external = doc.recipients.get(delivery="edxml")
    parsed = edxml.parse_package(external.package.encode())
    assert parsed.package.header.code.notation == doc.notation
    assert parsed.package.header.to[0].organ_id == "000.00.00.G22"
    doc = services.outgoing_archive(actor=clerk_a, document=doc)
    assert doc.status == OutgoingStatus.ARCHIVED


@pytest.mark.django_db
def test_confidential_draft_refuses_files(agency_a, leader_a, decision_type):
    pdf = SimpleUploadedFile("mat.pdf", PDF, content_type="application/pdf")
    with pytest.raises(ValidationError) as caught:
        services.outgoing_draft(
            actor=leader_a,
            organization=agency_a,
            files=[pdf],
            data={"document_type": decision_type, "subject": "Mật", "confidentiality": Confidentiality.TOP_SECRET},
        )
    assert "files" in caught.value.message_dict
    assert not OutgoingDocument.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_numbering_never_shares_a_number(make_outgoing, clerk_a):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL; SQLite serialises writers as a whole.")
    documents = [make_outgoing() for _ in range(8)]
    barrier = threading.Barrier(len(documents))
    errors: list[BaseException] = []

    def number(document: OutgoingDocument) -> None:
        try:
            barrier.wait()
            services.outgoing_number(actor=clerk_a, document=document)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=number, args=(doc,)) for doc in documents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(OutgoingDocument.objects.values_list("serial", flat=True))
    assert numbers == list(range(1, 9))
    assert Register.objects.get().last_number == 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_incoming_registration_never_shares_a_number(make_incoming, clerk_a):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks need PostgreSQL; SQLite serialises writers as a whole.")
    documents = [make_incoming(number=str(i)) for i in range(6)]
    barrier = threading.Barrier(len(documents))
    errors: list[BaseException] = []

    def register(document: IncomingDocument) -> None:
        try:
            barrier.wait()
            services.incoming_register(actor=clerk_a, document=document)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(doc,)) for doc in documents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(IncomingDocument.objects.values_list("arrival_number", flat=True)) == list(range(1, 7))


@pytest.mark.django_db
def test_agency_abbreviation_prefers_short_name(agency_a):
    assert services.agency_abbreviation(agency_a) == "SXD"
    agency_a.short_name = "SXD-BN"
    assert services.agency_abbreviation(agency_a) == "SXD-BN"
    assert services.agency_abbreviation(Organization(name="Ủy ban nhân dân tỉnh", code="x")) == "UBNDT"


@pytest.mark.django_db
def test_recall_freezes_internal_copies_and_offers_a_revocation_package(make_outgoing, clerk_a, clerk_b, agency_b):
    from cityops.core import search

    doc = services.outgoing_number(actor=clerk_a, document=make_outgoing(subject="Thông báo lịch họp giao ban"))
    doc = services.outgoing_issue(actor=clerk_a, document=doc, internal=[agency_b], external=[("000.00.00.G22", "")])
    assert search.search(clerk_b, "lich hop giao ban")
    with pytest.raises(ValidationError):
        services.outgoing_recall(actor=clerk_a, document=doc, reason="")
    doc = services.outgoing_recall(actor=clerk_a, document=doc, reason="Sai thời gian họp")
    assert doc.status == OutgoingStatus.RECALLED
    copy = IncomingDocument.objects.get(source_outgoing=doc)
    assert copy.status == IncomingStatus.RECALLED
    assert search.search(clerk_b, "lich hop giao ban") == []
    assert doc.recipients.get(delivery="internal").last_status_code == "15"
    package = edxml.parse_package(
        services.outgoing_edxml_package(doc, business_type=edxml.BusinessDocType.REVOCATION, reason="Sai thời gian họp")
    ).package
    assert package.business.business_doc_type == edxml.BusinessDocType.REVOCATION
    assert package.business.business_doc_reason == "Sai thời gian họp"
    with pytest.raises(ValidationError):
        services.outgoing_recall(actor=clerk_a, document=doc, reason="again")


@pytest.mark.django_db
def test_draft_changes_are_kept_as_versions(make_outgoing, leader_a, clerk_b, letter_type):
    draft = make_outgoing(approve=False, subject="Dự thảo lần 1")
    draft = services.outgoing_update(
        actor=leader_a, document=draft, data={"subject": "Dự thảo lần 2", "document_type": letter_type}, note="Sửa"
    )
    versions = list(draft.versions.order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].snapshot["subject"] == "Dự thảo lần 1" and versions[1].snapshot["subject"] == "Dự thảo lần 2"
    assert draft.type_name == "Công văn"
    with pytest.raises(ValidationError):
        services.outgoing_update(actor=leader_a, document=draft, data={"status": "issued"})
    with pytest.raises(PermissionDenied):
        services.outgoing_update(actor=clerk_b, document=draft, data={"subject": "x"})
    submitted = services.outgoing_submit(actor=leader_a, document=draft)
    with pytest.raises(ValidationError) as caught:
        services.outgoing_update(actor=leader_a, document=submitted, data={"subject": "Muộn"})
    assert caught.value.code == "illegal_transition"
