"""Case files (hồ sơ): retention as data, order numbers, closing and the archive deposit date, isolation."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cityops.documents import services
from cityops.documents.models import RetentionRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(db):
    if not RetentionRule.objects.exists():
        from importlib import import_module

        from django.apps import apps

        import_module("cityops.documents.migrations.0004_seed_retention_rules").seed(apps, None)
    return RetentionRule.objects.all()


def test_case_file_numbers_documents_and_closes(clerk_a, agency_a, make_incoming, make_outgoing, rules):
    case_file = services.case_file_create(
        actor=clerk_a,
        organization=agency_a,
        title="Hồ sơ cấp phép xây dựng",
        notation="01.QLXD",
        retention=rules.get(code="10-nam"),
    )
    incoming, outgoing = make_incoming(), make_outgoing()
    first = services.case_file_add(actor=clerk_a, case_file=case_file, document=incoming)
    second = services.case_file_add(actor=clerk_a, case_file=case_file, document=outgoing)
    assert (first.ordinal, second.ordinal) == (1, 2) and second.document == outgoing
    with pytest.raises(ValidationError):
        services.case_file_add(actor=clerk_a, case_file=case_file, document=incoming)
    closed = services.case_file_close(actor=clerk_a, case_file=case_file)
    today = timezone.localdate()
    assert closed.end_date == today and closed.deposit_due.year == today.year + 1
    with pytest.raises(ValidationError) as caught:
        services.case_file_add(actor=clerk_a, case_file=closed, document=make_incoming(number="2"))
    assert caught.value.code == "illegal_transition"


def test_short_retention_is_not_deposited(clerk_a, agency_a, rules):
    short = RetentionRule.objects.create(code="2-nam", name="2 năm", years=2)
    case_file = services.case_file_create(
        actor=clerk_a, organization=agency_a, title="Tạm", notation="99", retention=short
    )
    assert services.case_file_close(actor=clerk_a, case_file=case_file).deposit_due is None


def test_other_agency_cannot_file_or_open(clerk_a, clerk_b, agency_a, make_incoming, rules):
    case_file = services.case_file_create(
        actor=clerk_a, organization=agency_a, title="A", notation="01", retention=rules.first()
    )
    with pytest.raises(PermissionDenied):
        services.case_file_add(actor=clerk_b, case_file=case_file, document=make_incoming())
    with pytest.raises(PermissionDenied):
        services.case_file_create(
            actor=clerk_b, organization=agency_a, title="B", notation="02", retention=rules.first()
        )


def test_case_file_pages(client, clerk_a, clerk_b, agency_a, make_incoming, rules):
    from django.urls import reverse

    doc = make_incoming(subject="Hồ sơ dự án nhà ở xã hội")
    client.force_login(clerk_a)
    response = client.post(
        reverse("documents:case_file_list"),
        {
            "organization": agency_a.pk,
            "notation": "05.KH",
            "title": "Dự án nhà ở xã hội",
            "retention": rules.first().pk,
        },
    )
    assert response.status_code == 302
    detail = response.url
    client.post(detail, {"kind": "incoming", "document": doc.pk})
    page = client.get(detail).text
    assert page.count('data-testid="case-file-item"') == 1 and "Hồ sơ dự án nhà ở xã hội" in page
    client.post(detail, {"action": "close"})
    assert 'data-testid="case-file-close"' not in client.get(detail).text
    client.force_login(clerk_b)
    assert client.get(detail).status_code == 404
    assert 'data-testid="case-file-row"' not in client.get(reverse("documents:case_file_list")).text


def test_deposit_reminder_is_sent_once_thirty_days_ahead(
    clerk_a, leader_a, clerk_b, agency_a, rules, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from cityops.core.models import Notification
    from cityops.documents.models import CaseFile

    case_file = services.case_file_create(
        actor=clerk_a,
        organization=agency_a,
        title="Hồ sơ quy hoạch",
        notation="02.QH",
        retention=rules.get(code="10-nam"),
    )
    case_file = services.case_file_close(actor=clerk_a, case_file=case_file)
    due = case_file.deposit_due
    assert services.case_file_deposit_reminders(today=due - timedelta(days=31)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.case_file_deposit_reminders(today=due - timedelta(days=30)) == 1
    assert services.case_file_deposit_reminders(today=due) == 0  # once only
    assert CaseFile.objects.get(pk=case_file.pk).deposit_reminded_at is not None
    reminded = set(Notification.objects.values_list("recipient_id", flat=True))
    assert {clerk_a.pk, leader_a.pk} <= reminded and clerk_b.pk not in reminded


def test_catalogues_print_as_pdf(client, clerk_a, clerk_b, agency_a, make_incoming, rules):
    from django.urls import reverse

    from tests.documents.test_pdf_reports import pdf_text

    case_file = services.case_file_create(
        actor=clerk_a,
        organization=agency_a,
        title="Hồ sơ cấp phép",
        notation="03.CP",
        retention=rules.get(code="10-nam"),
    )
    services.case_file_add(actor=clerk_a, case_file=case_file, document=make_incoming(subject="Về việc cấp phép"))
    client.force_login(clerk_a)
    items = client.get(reverse("documents:case_file_items_pdf", args=[case_file.pk]))
    assert items.status_code == 200 and items["Content-Type"] == "application/pdf"
    text = pdf_text(items.content)
    assert "MỤC LỤC VĂN BẢN TRONG HỒ SƠ" in text and "Về việc cấp phép" in text and "Văn phòng Chính phủ" in text
    listing = pdf_text(client.get(reverse("documents:case_files_pdf"), {"year": case_file.year}).content)
    assert "03.CP" in listing and "10 năm" in listing
    assert client.get(reverse("documents:case_files_pdf"), {"year": "20x6"}).status_code == 400
    client.force_login(clerk_b)
    assert client.get(reverse("documents:case_file_items_pdf", args=[case_file.pk])).status_code == 404
    assert "03.CP" not in pdf_text(client.get(reverse("documents:case_files_pdf"), {"year": case_file.year}).content)
