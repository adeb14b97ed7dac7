"""Fixtures of the documents tests: two agencies with a clerk, a leader and a unit each; sample edXML files."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

import pytest

from cityops.core.choices import Role
from cityops.documents import services
from cityops.documents.models import DocumentType
from tests.factories import OrganizationFactory

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "edxml"

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture(autouse=True)
def exchange_outbox(settings, tmp_path):
    """Every test sends edXML into its own outbox directory (never the deployment's)."""
    settings.DOCUMENTS_EXCHANGE_TRANSPORT = "outbox"
    settings.DOCUMENTS_EXCHANGE_OUTBOX = tmp_path / "outbox"
    return tmp_path / "outbox"


@pytest.fixture
def unit_a(agency_a):
    return OrganizationFactory(name="Phòng Quản lý xây dựng", code="sxd-qlxd", kind="unit", parent=agency_a)


@pytest.fixture
def unit_a2(agency_a):
    return OrganizationFactory(name="Phòng Kế hoạch", code="sxd-kh", kind="unit", parent=agency_a)


@pytest.fixture
def clerk_a(agency_a, make_member):
    return make_member(agency_a, Role.CLERK, full_name="Trần Thị Văn Thư")


@pytest.fixture
def leader_a(agency_a, make_member):
    return make_member(agency_a, Role.AGENCY_HEAD, full_name="Lê Văn Giám Đốc")


@pytest.fixture
def specialist_unit_a(unit_a, make_member):
    return make_member(unit_a, Role.SPECIALIST, full_name="Phạm Chuyên Viên")


@pytest.fixture
def specialist_unit_a2(unit_a2, make_member):
    return make_member(unit_a2, Role.SPECIALIST, full_name="Hoàng Kế Hoạch")


@pytest.fixture
def clerk_b(agency_b, make_member):
    return make_member(agency_b, Role.CLERK, full_name="Ngô Văn Thư B")


@pytest.fixture
def leader_b(agency_b, make_member):
    return make_member(agency_b, Role.AGENCY_HEAD)


@pytest.fixture
def document_types(db):
    """The seeded types; seeded again when a transactional test's flush has removed the migration's rows."""
    if not DocumentType.objects.filter(code="quyet-dinh").exists():
        from django.apps import apps

        import_module("cityops.documents.migrations.0002_seed_document_types").seed(apps, None)
    return DocumentType.objects.all()


@pytest.fixture
def decision_type(document_types):
    return document_types.get(code="quyet-dinh")


@pytest.fixture
def letter_type(document_types):
    return document_types.get(code="cong-van")


@pytest.fixture
def make_incoming(clerk_a, agency_a):
    def make(**data):
        values = {"sender_name": "Văn phòng Chính phủ", "number": "15", "notation": "VPCP-TTĐT", "subject": "V/v thử"}
        values.update(data)
        return services.incoming_receive(actor=clerk_a, organization=agency_a, data=values)

    return make


@pytest.fixture
def make_outgoing(agency_a, specialist_unit_a, leader_a, clerk_a, decision_type):
    """An outgoing document taken through draft, review and approval (ready to number)."""

    def make(*, approve: bool = True, **data):
        values = {"document_type": decision_type, "subject": "Về việc phê duyệt kế hoạch"}
        values.update(data)
        doc = services.outgoing_draft(actor=leader_a, organization=agency_a, data=values)
        if approve:
            doc = services.outgoing_submit(actor=leader_a, document=doc)
            doc = services.outgoing_approve(actor=leader_a, document=doc)
        return doc

    return make
