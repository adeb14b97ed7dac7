"""Category suggestion learned from past classifications, and the desk's reclassification."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cityops.core.models import AuditEvent
from cityops.feedback import services
from cityops.feedback.classify import suggest_category, train
from cityops.feedback.models import Category

pytestmark = pytest.mark.django_db


@pytest.fixture
def garbage(db, agency_a):
    return Category.objects.create(code="garbage", name_vi="Rác thải", default_agency=agency_a, deadline_days=2)


@pytest.fixture
def history(submit, desk_user, simple_category, garbage):
    texts = {
        simple_category: ["Đèn đường không sáng", "Bóng đèn đường bị hỏng", "Đèn chiếu sáng tắt cả đêm"],
        garbage: ["Rác thải đổ bừa bãi", "Bãi rác bốc mùi hôi", "Rác chưa được thu gom"],
    }
    for category, items in texts.items():
        for text in items:
            services.request_verify(actor=desk_user, request=submit(category=category, description=text))


def test_suggestion_learns_from_history_and_ignores_diacritics(history, simple_category, garbage):
    model = train()
    assert suggest_category("den duong o ngo 3 khong sang", model=model) == simple_category
    assert suggest_category("Rác thải ven sông", model=model) == garbage
    assert suggest_category("", model=model) is None


def test_no_suggestion_without_history(db, simple_category):
    assert suggest_category("đèn đường hỏng") is None


def test_unverified_reports_do_not_teach(submit, simple_category, garbage):
    for _ in range(5):
        submit(category=garbage, description="đèn đường hỏng")
    assert suggest_category("đèn đường hỏng") is None


def test_desk_reclassifies_and_page_suggests(client, history, submit, desk_user, staff_a, simple_category, garbage):
    req = submit(category=simple_category, description="Rác thải đầy ngõ")
    client.force_login(desk_user)
    page = client.get(reverse("feedback:staff_detail", args=[req.pk])).content.decode()
    assert 'data-testid="suggested-category"' in page and garbage.name_vi in page
    with pytest.raises(PermissionDenied):
        services.request_classify(actor=staff_a, request=req, category=garbage)
    client.post(reverse("feedback:staff_act", args=[req.pk]), {"action": "classify", "category": garbage.pk})
    req.refresh_from_db()
    assert req.category == garbage
    assert AuditEvent.objects.filter(verb="feedback.request.classified", target_id=str(req.pk)).exists()
    response = client.post(reverse("feedback:staff_act", args=[req.pk]), {"action": "classify", "category": "x"})
    assert response.status_code == 400


def test_no_reclassification_after_forwarding(submit, desk_user, agency_b, garbage):
    req = services.request_verify(actor=desk_user, request=submit())
    req = services.request_assign(actor=desk_user, request=req, agency=agency_b)
    with pytest.raises(ValidationError):
        services.request_classify(actor=desk_user, request=req, category=garbage)
