"""Reference data is changed by administrators only, with an audit event."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from cityops.core.choices import Role
from cityops.core.models import AuditEvent
from cityops.documents import services

pytestmark = pytest.mark.django_db


def test_reference_data_is_saved_by_administrators_only(decision_type, clerk_a, province, make_member):
    decision_type.edxml_type_detail = 7
    with pytest.raises(PermissionDenied):
        services.reference_data_save(actor=clerk_a, instance=decision_type)
    admin = make_member(province, Role.ADMINISTRATOR)
    services.reference_data_save(actor=admin, instance=decision_type)
    decision_type.refresh_from_db()
    assert decision_type.edxml_type_detail == 7
    assert AuditEvent.objects.filter(verb="documents.documenttype.saved", actor=admin).exists()


def test_admin_pages_load(admin_client, decision_type):
    assert admin_client.get("/admin/documents/documenttype/").status_code == 200
    assert admin_client.get(f"/admin/documents/documenttype/{decision_type.pk}/change/").status_code == 200
    assert admin_client.get("/admin/documents/incomingdocument/").status_code == 200
    assert admin_client.get("/admin/documents/exchangemessage/").status_code == 200
