"""The demo's citizen reports: a realistic spread of kinds, endings, agencies, communes and deadlines."""

from __future__ import annotations

import pytest
from django.db.models import F
from django.test import Client
from django.utils import timezone

from cityops.core.services.demo import seed_demo
from cityops.feedback.choices import CLOSED_STATUSES, Status
from cityops.feedback.models import Merge, Rating, Request

pytestmark = pytest.mark.django_db


def test_feedback_demo_is_a_realistic_spread():
    seed_demo()
    statuses = set(Request.objects.values_list("status", flat=True))
    assert {Status.REJECTED, Status.MERGED, Status.REOPENED, Status.PUBLISHED, Status.ACCEPTED} <= statuses
    assert set(Request.objects.values_list("category__kind", flat=True)) == {"problem", "recommendation", "business"}
    assert Request.objects.values("area").distinct().count() >= 8
    assert Request.objects.values("organization").distinct().count() >= 4
    overdue = Request.objects.exclude(status__in=CLOSED_STATUSES).filter(deadline__lt=timezone.now())
    assert overdue.count() >= 3
    assert {r.score for r in Rating.objects.all()} >= {2, 4, 5}
    assert Merge.objects.filter(undone_at__isnull=True).count() == 1
    assert Request.objects.filter(status=Status.PUBLISHED).exclude(closed_at__lte=F("deadline")).exists()
    count = Request.objects.count()
    seed_demo()
    assert Request.objects.count() == count
    body = Client().get("/feedback/", {"status": "handling", "q": "TAP KET thi chung"}).content.decode()
    assert "tồn đọng ở điểm tập kết" in body
