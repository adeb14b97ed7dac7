"""Duplicate suggestions, statistics and exports."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cityops.core.models import AuditEvent
from cityops.feedback import services
from cityops.feedback.models import Request
from cityops.feedback.selectors import duplicate_candidates, statistics
from tests.feedback.conftest import publish

pytestmark = pytest.mark.django_db


def test_duplicates_same_category_nearby_similar_text_first(submit, desk_user, simple_category, category):
    near_same = services.request_verify(actor=desk_user, request=submit(description="Đèn đường hỏng ở ngõ 5"))
    near_other = services.request_verify(actor=desk_user, request=submit(description="Cột điện nghiêng"))
    services.request_verify(actor=desk_user, request=submit(lat="21.30", long="106.30"))  # far away
    unverified = submit(description="Đèn đường hỏng ở ngõ 5 nữa")
    found = duplicate_candidates(category=simple_category, lat="21.1862", long="106.0761", text="den duong hong ngo 5")
    assert found[:2] == [near_same, near_other] and unverified not in found
    desk_view = duplicate_candidates(
        category=simple_category, lat="21.186", long="106.076", text="", include_unverified=True
    )
    assert unverified in desk_view
    assert duplicate_candidates(category=category, lat="21.186", long="106.076") == []
    assert duplicate_candidates(category=simple_category, lat="nan", long="x") == []


def test_duplicates_fragment_is_public_and_escaped(client, submit, desk_user, simple_category):
    shown = services.request_verify(actor=desk_user, request=submit(description="<b>Đèn</b> hỏng"))
    url = reverse("feedback:duplicates")
    body = client.get(url, {"category": simple_category.pk, "lat": "21.186", "long": "106.076"}).content.decode()
    assert 'data-testid="duplicate-suggestions"' in body and "&lt;b&gt;" in body and "<b>" not in body
    assert shown.tracking_code not in body  # tracking codes are secrets
    for params in ({"category": "abc"}, {"category": "1" * 40}, {}, {"category": simple_category.pk, "lat": "x"}):
        assert client.get(url, params).status_code == 200


def test_desk_sees_candidates_on_the_request_page(client, submit, desk_user):
    first = services.request_verify(actor=desk_user, request=submit())
    second = submit()
    client.force_login(desk_user)
    body = client.get(reverse("feedback:staff_detail", args=[second.pk])).content.decode()
    assert 'data-testid="duplicate-candidates"' in body and first.tracking_code in body


def test_statistics(submit, desk_user, staff_a, staff_b, agency_b):
    on_time = publish(submit(), desk_user, staff_b, agency_b)
    late = publish(submit(), desk_user, staff_b, agency_b)
    Request.objects.filter(pk=late.pk).update(deadline=late.closed_at - timedelta(hours=1))
    overdue = submit()
    Request.objects.filter(pk=overdue.pk).update(deadline=timezone.now() - timedelta(days=1))
    services.request_rate(actor=None, request=on_time, score=5)
    services.request_rate(actor=None, request=late, score=2)
    stats = statistics(actor=desk_user)
    assert stats["total"] == 3 and stats["published"] == 2 and stats["on_time"] == 1
    assert stats["on_time_rate"] == 50.0 and stats["overdue"] == 1
    assert stats["satisfaction_rate"] == 50.0 and stats["average_rating"] == 3.5
    assert statistics(actor=staff_a)["total"] == 0  # agency A sees none of agency B's
    assert statistics(actor=staff_b)["total"] == 2
    assert stats["by_area"] == [{"area__name": None, "n": 3}]


def test_stats_page_and_exports(client, submit, desk_user, staff_a):
    submit(address='=HYPERLINK("http://evil")', contact_email="dan@example.vn")
    client.force_login(desk_user)
    page = client.get(reverse("feedback:staff_stats")).content.decode()
    assert 'data-testid="stat-total"' in page and page.count('data-testid="stats-area"') == 1
    title = page[page.index("<title>") : page.index("</title>")]
    assert "<table" not in title and ("Feedback statistics" in title or "Thống kê" in title)
    assert "<table" not in page[: page.index("</head>")]  # the tables are in the body only
    response = client.get(reverse("feedback:staff_export", args=["csv"]))
    text = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "tracking_code" and len(rows) == 2
    assert rows[1][10].startswith("'=") and "dan@example.vn" not in text
    response = client.get(reverse("feedback:staff_export", args=["xlsx"]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 2 and sheet.cell(1, 1).value == "tracking_code"
    assert client.get(reverse("feedback:staff_export", args=["pdf"])).status_code == 404
    assert AuditEvent.objects.filter(verb="feedback.request.exported").count() == 2
    client.force_login(staff_a)
    response = client.get(reverse("feedback:staff_export", args=["csv"]))
    assert len(b"".join(response.streaming_content).decode().strip().splitlines()) == 1  # header only


def test_stats_need_a_staff_role(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("feedback:staff_stats")).status_code == 403
    assert client.get(reverse("feedback:staff_export", args=["csv"])).status_code == 403


def test_citizen_joins_an_existing_report_once(client, submit, desk_user, simple_category):
    existing = services.request_verify(actor=desk_user, request=submit())
    unverified = submit()
    body = client.get(
        reverse("feedback:duplicates"), {"category": simple_category.pk, "lat": "21.186", "long": "106.076"}
    ).content.decode()
    assert f'data-testid="join-{existing.pk}"' in body and f"join-{unverified.pk}" not in body
    url = reverse("feedback:join", args=[existing.pk])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # the same browser again: not counted
    existing.refresh_from_db()
    assert existing.joined_count == 1
    assert AuditEvent.objects.filter(verb="feedback.request.joined", target_id=str(existing.pk)).count() == 1
    # An unverified report answers exactly like a missing one: nobody learns it exists.
    assert client.post(reverse("feedback:join", args=[unverified.pk])).status_code == 404
    assert Request.objects.get(pk=unverified.pk).joined_count == 0
    assert client.post(reverse("feedback:join", args=[999999])).status_code == 404
    assert client.get(url).status_code == 405
    client.force_login(desk_user)
    page = client.get(reverse("feedback:staff_detail", args=[existing.pk])).content.decode()
    assert 'data-testid="joined"' in page
