"""Deadline states, computed in Python and in SQL alike, over a seeded history around Tết 2026."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cityops.directives.choices import DeadlineState, TaskStatus
from cityops.directives.deadlines import deadline_from_date, deadline_state, due_soon_threshold, overdue_working_days
from cityops.directives.models import Task
from cityops.directives.selectors import deadline_counts, statistics_by_agency, statistics_by_assigner

pytestmark = pytest.mark.django_db

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def local(y, m, d, hh=9, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=HCM)


def test_tet_2026_due_soon_counts_working_days_only():
    # Thursday 12 Feb 2026; Tết holidays Mon 16 – Fri 20 Feb, weekends around them.
    now = local(2026, 2, 12, 10)
    threshold = due_soon_threshold(now, 3)  # Fri 13, Mon 23, Tue 24
    assert threshold.astimezone(HCM).date() == dt.date(2026, 2, 24)
    kwargs = {"status": TaskStatus.IN_PROGRESS, "completed_at": None, "now": now, "soon_threshold": threshold}
    assert deadline_state(deadline=deadline_from_date(dt.date(2026, 2, 23)), **kwargs) == DeadlineState.DUE_SOON
    assert deadline_state(deadline=deadline_from_date(dt.date(2026, 2, 25)), **kwargs) == DeadlineState.NOT_DUE
    # Friday 13 Feb's deadline passed: on Tuesday 24 Feb it is two working days late (23 and 24), not eleven.
    assert overdue_working_days(deadline_from_date(dt.date(2026, 2, 13)), local(2026, 2, 24, 10)) == 2


def test_deadline_is_close_of_business_of_its_day():
    deadline = deadline_from_date(dt.date(2026, 2, 13))
    assert deadline.astimezone(HCM).date() == dt.date(2026, 2, 13)
    assert deadline_state(
        status=TaskStatus.IN_PROGRESS, deadline=deadline, completed_at=None, now=local(2026, 2, 13, 16)
    ) in (DeadlineState.DUE_SOON, DeadlineState.NOT_DUE)
    assert (
        deadline_state(status=TaskStatus.IN_PROGRESS, deadline=deadline, completed_at=None, now=local(2026, 2, 14, 8))
        == DeadlineState.OVERDUE
    )


# (deadline date or None, status, completed_at local or None, expected at NOW)
NOW = local(2026, 3, 2, 9)  # Monday 2 March 2026
HISTORY = [
    (dt.date(2026, 2, 13), TaskStatus.DONE, local(2026, 2, 13, 15), DeadlineState.DONE_ON_TIME),
    (dt.date(2026, 2, 13), TaskStatus.DONE, local(2026, 2, 23, 10), DeadlineState.DONE_LATE),
    (dt.date(2026, 2, 27), TaskStatus.IN_PROGRESS, None, DeadlineState.OVERDUE),
    (dt.date(2026, 2, 27), TaskStatus.REPORTED_DONE, None, DeadlineState.OVERDUE),
    (dt.date(2026, 3, 4), TaskStatus.ACCEPTED, None, DeadlineState.DUE_SOON),
    (dt.date(2026, 3, 20), TaskStatus.ASSIGNED, None, DeadlineState.NOT_DUE),
    (None, TaskStatus.IN_PROGRESS, None, DeadlineState.NO_DEADLINE),
    (None, TaskStatus.DONE, local(2026, 2, 25, 10), DeadlineState.DONE_ON_TIME),
    (dt.date(2026, 2, 20), TaskStatus.CANCELLED, None, DeadlineState.CANCELLED),
]


@pytest.fixture
def history(issue, agency_a, agency_b):
    """The HISTORY rows for agency A, and two more for agency B (one late, one overdue), with real dates."""
    tasks = issue(*([agency_a] * len(HISTORY) + [agency_b, agency_b]))
    rows = HISTORY + [
        (dt.date(2026, 1, 30), TaskStatus.DONE, local(2026, 2, 23, 8), DeadlineState.DONE_LATE),
        (dt.date(2026, 2, 13), TaskStatus.SENT_BACK, None, DeadlineState.OVERDUE),
    ]
    for task, (day, status, completed, _expected) in zip(tasks, rows, strict=True):
        Task.objects.filter(pk=task.pk).update(
            assigned_at=local(2026, 1, 20), deadline=deadline_from_date(day) if day else None, status=status,
            completed_at=completed,
        )  # fmt: skip
    return [(t.pk, row[3]) for t, row in zip(tasks, rows, strict=True)]


def test_annotation_matches_pure_function_on_seeded_history(history):
    annotated = {t.pk: t for t in Task.objects.with_deadline_state(now=NOW, due_soon_days=3)}
    threshold = due_soon_threshold(NOW, 3)
    for pk, expected in history:
        task = annotated[pk]
        assert task.deadline_state == expected, (pk, task.status, task.deadline)
        assert (
            deadline_state(
                status=task.status,
                deadline=task.deadline,
                completed_at=task.completed_at,
                now=NOW,
                soon_threshold=threshold,
            )  # fmt: skip
            == expected
        )


def test_official_counts_come_from_the_data(history, leader, agency_a, agency_b):
    counts = deadline_counts(Task.objects.with_deadline_state(now=NOW, due_soon_days=3))
    assert counts == {
        "not_due": 1, "due_soon": 1, "overdue": 3, "done_on_time": 2, "done_late": 2, "no_deadline": 1,
        "cancelled": 1,
    }  # fmt: skip
    by_agency = {row.label: row for row in statistics_by_agency(actor=leader, now=NOW)}
    a, b = by_agency["Sở Xây dựng"], by_agency["Sở Y tế"]
    assert (a.total, a.done_on_time, a.done_late, a.open_in_time, a.overdue, a.no_deadline) == (8, 2, 1, 2, 2, 1)
    assert (b.total, b.done_on_time, b.done_late, b.open_in_time, b.overdue) == (2, 0, 1, 0, 1)
    assert a.on_time_rate == pytest.approx(66.7)
    # Ranking: the agency with fewer late and overdue tasks first.
    assert [r.label for r in statistics_by_agency(actor=leader, now=NOW)] == ["Sở Y tế", "Sở Xây dựng"]
    (by_leader,) = statistics_by_assigner(actor=leader, now=NOW)
    assert by_leader.total == 10 and by_leader.done == 4 and by_leader.overdue == 3


def test_statistics_period_filters_by_assignment_date(history, leader):
    assert statistics_by_agency(actor=leader, start=dt.date(2026, 2, 1), now=NOW) == []
    rows = statistics_by_agency(actor=leader, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31), now=NOW)
    assert sum(r.total for r in rows) == 10


def test_statistics_are_scoped(history, head_b):
    rows = statistics_by_agency(actor=head_b, now=NOW)
    assert [r.label for r in rows] == ["Sở Y tế"]


def test_sql_and_python_agree_on_every_combination(issue, agency_a):
    """Every status × deadline (none, past, today, within and beyond the due-soon window) × completion time."""
    now = local(2026, 2, 12, 10)
    deadlines = [None, *(deadline_from_date(d) for d in (
        dt.date(2026, 2, 11), dt.date(2026, 2, 12), dt.date(2026, 2, 13), dt.date(2026, 2, 23), dt.date(2026, 2, 24),
        dt.date(2026, 2, 25), dt.date(2026, 3, 31),
    ))]  # fmt: skip
    completions = [None, local(2026, 2, 10, 9), local(2026, 2, 12, 17), local(2026, 2, 26, 9)]
    combos = [(s, d, c) for s in TaskStatus.values for d in deadlines for c in completions]
    tasks = [t for start in range(0, len(combos), 50) for t in issue(*([agency_a] * len(combos[start : start + 50])))]
    for task, (status, deadline, completed) in zip(tasks, combos, strict=True):
        Task.objects.filter(pk=task.pk).update(
            status=status, deadline=deadline, completed_at=completed, assigned_at=local(2026, 1, 5)
        )
    threshold = due_soon_threshold(now, 3)
    for task in Task.objects.with_deadline_state(now=now, due_soon_days=3):
        expected = deadline_state(
            status=task.status, deadline=task.deadline, completed_at=task.completed_at, now=now,
            soon_threshold=threshold,
        )  # fmt: skip
        assert task.deadline_state == expected, (task.status, task.deadline, task.completed_at)
