"""The audit table's database guard holds in transactional tests too: only the flush may clear it."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from cityops.core import audit
from cityops.core.models import AuditEvent


@pytest.mark.django_db(transaction=True)
def test_raw_delete_is_refused_outside_the_flush_window(province):
    event = audit.record(verb="test.recorded", organization=province)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk)._raw_delete(AuditEvent.objects.db)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_each_transactional_test_starts_with_an_empty_audit_table(province):
    # The previous test left rows behind; the flush between tests must have removed them (and only it can).
    assert not AuditEvent.objects.filter(verb="test.recorded").exists()
