"""A seeded history of tasks: the statistics (page, XLSX, PDF) match the deadline states computed task by task,
and a small hand-counted part pins the rule itself."""

from __future__ import annotations

import datetime as dt
import io
import random
from collections import Counter

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from cityops.core.choices import Role
from cityops.directives import selectors, services
from cityops.directives.choices import DeadlineState, TaskStatus
from cityops.directives.deadlines import deadline_from_date, deadline_state, due_soon_threshold
from cityops.directives.models import Task
from cityops.directives.services import TaskSpec

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)  # Wednesday 25/11/2026, 17:00 local


@pytest.fixture
def second_leader(province, make_member):
    return make_member(province, Role.LEADER, username="pho.chu.tich", full_name="Ngô Phó Chủ Tịch")


def _seed(leaders, agencies, *, count: int, seed: int) -> list[Task]:
    """Issue tasks through the services, work some to completion, then move their dates into the past."""
    rng = random.Random(seed)
    tasks: list[Task] = []
    for n in range(count):
        leader = rng.choice(leaders)
        agency = rng.choice(agencies)
        directive = services.directive_issue(
            actor=leader, organization=agency.parent, title=f"Chỉ đạo {n}",
            tasks=[TaskSpec(title=f"Nhiệm vụ {n}", lead_agency=agency,
                            deadline=timezone.localdate() + dt.timedelta(days=60))],
        )  # fmt: skip
        task = directive.tasks.get()
        assigned = NOW - dt.timedelta(days=rng.randint(20, 120))
        deadline_day = rng.choice(
            [None, (NOW - dt.timedelta(days=rng.randint(1, 15))).date(), (NOW + dt.timedelta(days=1)).date(),
             (NOW + dt.timedelta(days=rng.randint(10, 40))).date()]
        )  # fmt: skip
        deadline = deadline_from_date(deadline_day) if deadline_day else None
        fate = rng.choice(["open", "done_early", "done_late", "cancelled", "reported"])
        status, completed = TaskStatus.ACCEPTED, None
        if fate in {"done_early", "done_late"}:
            status = TaskStatus.DONE
            base = deadline or NOW
            completed = base - dt.timedelta(hours=5) if fate == "done_early" else base + dt.timedelta(days=2)
            completed = min(completed, NOW)
        elif fate == "cancelled":
            status = TaskStatus.CANCELLED
        elif fate == "reported":
            status = TaskStatus.REPORTED_DONE
        Task.objects.filter(pk=task.pk).update(
            assigned_at=assigned, deadline=deadline, original_deadline=deadline, status=status, completed_at=completed
        )
        task.refresh_from_db()
        tasks.append(task)
    return tasks


def _expected(tasks: list[Task], key: str) -> dict[int, Counter]:
    threshold = due_soon_threshold(NOW)
    out: dict[int, Counter] = {}
    for task in tasks:
        state = deadline_state(
            status=task.status, deadline=task.deadline, completed_at=task.completed_at, now=NOW,
            soon_threshold=threshold,
        )  # fmt: skip
        if state == DeadlineState.CANCELLED:
            continue
        counter = out.setdefault(getattr(task, key), Counter())
        counter["total"] += 1
        counter[state.value] += 1
    return out


def _as_counter(row: selectors.StatsRow) -> Counter:
    return Counter(
        {
            "total": row.total,
            "done_on_time": row.done_on_time,
            "done_late": row.done_late,
            "overdue": row.overdue,
            "no_deadline": row.no_deadline,
        }
    )


def test_statistics_match_computed_states_on_a_seeded_history(leader, second_leader, agency_a, agency_b, province):
    tasks = _seed([leader, second_leader], [agency_a, agency_b], count=60, seed=20261125)
    assert len({t.status for t in tasks}) >= 4  # the seed gives a real mix
    for key, rows in (
        ("organization_id", selectors.statistics_by_agency(actor=leader, now=NOW)),
        ("assigner_id", selectors.statistics_by_assigner(actor=leader, now=NOW)),
    ):
        expected = _expected(tasks, key)
        assert {r.key for r in rows} == set(expected)
        for row in rows:
            want = expected[row.key]
            got = _as_counter(row)
            for name in ("total", "done_on_time", "done_late", "overdue", "no_deadline"):
                assert got[name] == want[name], (key, row.label, name)
            assert row.open_in_time == want["not_due"] + want["due_soon"]
            assert row.total == row.done + row.open
        # The ranking: fewest overdue or late first.
        penalties = [r.overdue + r.done_late for r in rows]
        assert penalties == sorted(penalties)


def test_hand_counted_history(leader, agency_a, province):
    """Five tasks whose states are known by reading them: the counts must be exactly these."""
    specs = [
        # (deadline day, status, completed)
        (dt.date(2026, 11, 20), TaskStatus.DONE, dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)),  # on time
        (dt.date(2026, 11, 20), TaskStatus.DONE, dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)),  # late
        (dt.date(2026, 11, 24), TaskStatus.IN_PROGRESS, None),  # overdue (yesterday)
        (dt.date(2026, 11, 26), TaskStatus.ACCEPTED, None),  # due soon: in time
        (None, TaskStatus.ACCEPTED, None),  # no deadline
        (dt.date(2026, 11, 20), TaskStatus.CANCELLED, None),  # not counted
    ]
    directive = services.directive_issue(
        actor=leader, organization=province, title="Giao ban",
        tasks=[TaskSpec(title=f"Việc {i}", lead_agency=agency_a) for i in range(len(specs))],
    )  # fmt: skip
    for task, (day, status, completed) in zip(directive.tasks.order_by("id"), specs, strict=True):
        Task.objects.filter(pk=task.pk).update(
            assigned_at=NOW - dt.timedelta(days=30), deadline=deadline_from_date(day) if day else None,
            status=status, completed_at=completed,
        )  # fmt: skip
    (row,) = selectors.statistics_by_agency(actor=leader, now=NOW)
    assert (row.total, row.done_on_time, row.done_late, row.open_in_time, row.overdue, row.no_deadline) == (
        5, 1, 1, 1, 1, 1,
    )  # fmt: skip
    assert row.on_time_rate == 50.0 and row.overdue_rate == 40.0


def test_xlsx_and_pdf_carry_the_same_numbers(client, leader, second_leader, agency_a, agency_b, province, monkeypatch):
    tasks = _seed([leader, second_leader], [agency_a, agency_b], count=25, seed=7)
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    rows = selectors.statistics_by_agency(actor=leader, now=NOW)
    client.force_login(leader)
    book = load_workbook(io.BytesIO(client.get("/directives/statistics/", {"format": "xlsx"}).content))
    sheet_rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in sheet_rows] == [
        (r.label, r.total, r.done_on_time, r.done_late, r.open_in_time, r.overdue, r.no_deadline) for r in rows
    ]
    response = client.get("/directives/statistics/", {"format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Sở Xây dựng" in text and "Sở Y tế" in text and "Lê Văn Lãnh" in text and "Ngô Phó Chủ Tịch" in text
    counted = [t for t in tasks if t.status != TaskStatus.CANCELLED]
    total_line = " ".join(str(sum(getattr(r, n) for r in rows)) for n in ("total", "done_on_time", "done_late"))
    assert total_line in text and str(len(counted)) in text


def test_statistics_pdf_is_scoped_to_the_reader(client, issue, agency_a, agency_b, staff_b, leader):
    issue(agency_a, title="Việc của Sở Xây dựng")
    client.force_login(staff_b)
    response = client.get("/directives/statistics/", {"format": "pdf"})
    assert response.status_code == 200
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages).split())
    assert "Sở Xây dựng" not in text and "Lê Văn Lãnh" not in text
    # Bad period input is ignored, not an error; anonymous callers are sent to sign in.
    assert client.get("/directives/statistics/", {"format": "pdf", "start": "<script>"}).status_code == 200
    client.logout()
    assert client.get("/directives/statistics/", {"format": "pdf"}).status_code == 302
