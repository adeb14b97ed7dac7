"""The statistics page from the cache: the same figures, per reader, renewed by every write they count."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cityops.core.choices import Role
from cityops.feedback import services
from cityops.feedback.choices import CLOSED_STATUSES, Status
from cityops.feedback.models import Request
from cityops.feedback.selectors import data_version, statistics, statistics_cached
from tests.factories import MembershipFactory
from tests.feedback.conftest import publish

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def handled(submit, desk_user, staff_b, agency_b):
    done = publish(submit(), desk_user, staff_b, agency_b)
    services.request_rate(actor=None, request=done, score=5)
    late = submit()
    Request.objects.filter(pk=late.pk).update(deadline=timezone.now() - timedelta(days=1))
    return done


def _page(client, user) -> str:
    client.force_login(user)
    return CSRF.sub("", client.get(reverse("feedback:staff_stats")).content.decode())


def test_cached_statistics_equal_the_direct_figures(handled, desk_user, staff_a, staff_b):
    for user in (desk_user, staff_a, staff_b):
        direct = statistics(actor=user)
        direct["by_status"] = [(str(label), n) for label, n in direct["by_status"]]
        assert statistics_cached(actor=user) == direct
        assert statistics_cached(actor=user) == direct  # the second one from the cache


def test_stats_page_is_the_same_with_and_without_the_cache(client, handled, desk_user, settings):
    settings.FEEDBACK_CACHE_SECONDS = 0
    plain = _page(client, desk_user)
    settings.FEEDBACK_CACHE_SECONDS = 60
    assert _page(client, desk_user) == plain and _page(client, desk_user) == plain


def test_a_cached_view_counts_nothing_again(client, handled, desk_user):
    """Once cached, the page reads the reports only through the one version statement (three maxima)."""
    _page(client, desk_user)
    with CaptureQueriesContext(connection) as queries:
        _page(client, desk_user)
    on_reports = [q["sql"] for q in queries.captured_queries if "feedback_r" in q["sql"]]
    assert len(on_reports) == 1 and on_reports[0].count("MAX(") == 3, on_reports


def test_one_agency_never_gets_anothers_cached_figures(handled, staff_a, staff_b):
    assert statistics_cached(actor=staff_b)["total"] == 1
    assert statistics_cached(actor=staff_a)["total"] == 0
    assert statistics_cached(actor=staff_a)["by_agency"] == []
    assert statistics_cached(actor=staff_b)["total"] == 1


def test_writes_show_up_on_the_next_view(submit, handled, desk_user, staff_b, agency_b):
    first = statistics_cached(actor=desk_user)
    assert first["total"] == 2 and first["ratings"] == 1
    new = submit()
    assert statistics_cached(actor=desk_user)["total"] == 3  # a new report
    services.request_verify(actor=desk_user, request=new)
    by_status = dict(statistics_cached(actor=desk_user)["by_status"])
    assert by_status["Đã xác minh"] == 1  # a workflow step
    other = publish(submit(), desk_user, staff_b, agency_b)
    services.request_rate(actor=None, request=other, score=2)
    stats = statistics_cached(actor=desk_user)
    assert stats["ratings"] == 2 and stats["average_rating"] == 3.5  # a rating


def test_a_new_membership_changes_the_key(handled, staff_a, agency_b):
    assert statistics_cached(actor=staff_a)["total"] == 0
    MembershipFactory(user=staff_a, organization=agency_b, role=Role.SPECIALIST)
    from cityops.core.permissions import forget_memberships

    forget_memberships(staff_a)
    assert statistics_cached(actor=staff_a)["total"] == 1


def test_data_version_moves_with_reports_steps_and_ratings(submit, desk_user):
    start = data_version()
    req = submit()
    after_submit = data_version()
    services.request_verify(actor=desk_user, request=req)
    after_step = data_version()
    assert len({start, after_submit, after_step}) == 3


def test_open_deadline_index_names_exactly_the_closed_statuses():
    """The partial index behind the overdue queue and counts must leave out exactly the closed statuses."""
    index = next(i for i in Request._meta.indexes if i.name == "feedback_req_open_deadline")
    _lookup, statuses = index.condition.children[0]
    assert index.condition.negated and set(statuses) == set(CLOSED_STATUSES)


def _statistics_one_query_each(*, actor, since=None, until=None):
    """The figures as they were counted before the per-status pass: one statement per figure."""
    from django.db.models import Avg, Count, F, Q

    from cityops.feedback.models import Rating

    qs = Request.objects.for_user(actor, "view")
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    published = qs.filter(status="published", deadline__isnull=False)
    ratings = Rating.objects.filter(request__in=qs.values("pk")).aggregate(
        n=Count("id"), avg=Avg("score"), satisfied=Count("id", filter=Q(score__gte=4))
    )
    return {
        "ratings": ratings["n"],
        "average_rating": round(ratings["avg"], 2) if ratings["avg"] is not None else None,
        "satisfaction_rate": round(100 * ratings["satisfied"] / ratings["n"], 1) if ratings["n"] else None,
        "total": qs.count(),
        "by_status": [
            (row["status"], row["n"]) for row in qs.values("status").annotate(n=Count("id")).order_by("status")
        ],
        "published": published.count(),
        "on_time": published.filter(closed_at__lte=F("deadline")).count(),
        "overdue": qs.exclude(status__in=CLOSED_STATUSES).filter(deadline__lt=timezone.now()).count(),
    }


def test_per_status_pass_counts_what_one_query_each_counted(submit, desk_user, staff_a, staff_b, agency_b):
    on_time = publish(submit(), desk_user, staff_b, agency_b)
    late = publish(submit(), desk_user, staff_b, agency_b)
    Request.objects.filter(pk=late.pk).update(deadline=late.closed_at - timedelta(hours=1))
    no_deadline = publish(submit(), desk_user, staff_b, agency_b)
    Request.objects.filter(pk=no_deadline.pk).update(deadline=None)
    for _ in range(2):
        overdue = submit()
        Request.objects.filter(pk=overdue.pk).update(deadline=timezone.now() - timedelta(days=1))
    rejected = services.request_reject(actor=desk_user, request=submit(), reason="Sai chỗ")
    Request.objects.filter(pk=rejected.pk).update(deadline=timezone.now() - timedelta(days=1))  # closed: not overdue
    submit()
    services.request_rate(actor=None, request=on_time, score=4)
    services.request_rate(actor=None, request=late, score=2)
    services.request_rate(actor=None, request=no_deadline, score=5)
    labels = dict(Status.choices)
    windows = [(None, None), (timezone.now() - timedelta(hours=1), None), (None, timezone.now() - timedelta(days=1))]
    for user in (desk_user, staff_a, staff_b):
        for since, until in windows:
            stats = statistics(actor=user, since=since, until=until)
            reference = _statistics_one_query_each(actor=user, since=since, until=until)
            reference["by_status"] = [(labels.get(status, status), n) for status, n in reference["by_status"]]
            assert {key: stats[key] for key in reference} == reference
    assert statistics(actor=desk_user)["overdue"] == 2 and statistics(actor=desk_user)["on_time"] == 1
