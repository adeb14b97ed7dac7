"""Handling statistics per agency and period, checked against a seeded history; scoped to what the reader sees."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from cityops.core.models import AuditEvent
from cityops.documents import selectors, services
from cityops.documents.models import IncomingDocument, OutgoingDocument, ProcessingEvent

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year - 1
START, END = dt.date(YEAR, 3, 1), dt.date(YEAR, 3, 31)


def _at(month: int, day: int) -> dt.datetime:
    return dt.datetime(YEAR, month, day, 9, 30, tzinfo=timezone.get_current_timezone())


def _incoming(make, *, created, due=None, done=None, status=None, **data) -> IncomingDocument:
    doc = make(**data)
    IncomingDocument.objects.filter(pk=doc.pk).update(
        created_at=_at(*created), due_date=dt.date(YEAR, *due) if due else None, status=status or "in_progress"
    )
    if done:
        event = ProcessingEvent.objects.create(incoming=doc, action="done", status_code="06")
        ProcessingEvent.objects.filter(pk=event.pk).update(created_at=_at(*done))
        IncomingDocument.objects.filter(pk=doc.pk).update(status="done")
    return doc


@pytest.fixture
def history(make_incoming, make_outgoing, clerk_a, clerk_b, agency_b):
    make = make_incoming
    docs = {
        "on_time": _incoming(make, created=(3, 3), due=(3, 10), done=(3, 8)),
        "late": _incoming(make, created=(3, 4), due=(3, 6), done=(3, 9)),
        "overdue": _incoming(make, created=(3, 5), due=(3, 12)),
        "pending": _incoming(make, created=(3, 20), due=(4, 10)),
        "earlier_done_late": _incoming(make, created=(2, 20), due=(2, 25), done=(3, 2)),
        "finished_before": _incoming(make, created=(2, 1), due=(2, 20), done=(2, 10)),
        "returned": _incoming(make, created=(3, 6), status="rejected"),
        "done_after_period": _incoming(make, created=(3, 7), due=(3, 15), done=(4, 5)),
        "next_period": _incoming(make, created=(4, 2)),
    }
    issued = services.outgoing_number(actor=clerk_a, document=make_outgoing())
    issued = services.outgoing_issue(actor=clerk_a, document=issued, internal=[agency_b])
    OutgoingDocument.objects.filter(pk=issued.pk).update(issued_at=_at(3, 15))
    later = services.outgoing_number(actor=clerk_a, document=make_outgoing())
    later = services.outgoing_issue(actor=clerk_a, document=later, internal=[agency_b])
    OutgoingDocument.objects.filter(pk=later.pk).update(issued_at=_at(4, 2))
    # The internal deliveries are agency B's received documents: one in March, one in April.
    for outgoing, month in ((issued, 3), (later, 4)):
        IncomingDocument.objects.filter(source_outgoing=outgoing).update(created_at=_at(month, 16))
    return docs


def _row(rows, organization):
    return next(r for r in rows if r.organization_id == organization.pk)


def test_figures_match_the_seeded_history(history, clerk_a, agency_a):
    rows = selectors.handling_statistics(actor=clerk_a, date_from=START, date_to=END)
    assert [r.organization_id for r in rows] == [agency_a.pk]  # agency B's records are not visible to A's clerk
    row = _row(rows, agency_a)
    assert (row.received, row.done_on_time, row.done_late, row.overdue, row.pending, row.outgoing_sent) == (
        5, 1, 2, 2, 1, 1,
    )  # fmt: skip
    total = selectors.handling_totals(rows)
    assert total.received == 5 and total.done == 3


def test_an_open_period_end_is_today(history, clerk_a, agency_a):
    # Seen from 20 March, the document due on 15 March and done on 5 April is overdue, the one due in April pending.
    rows = selectors.handling_statistics(actor=clerk_a, date_from=START, date_to=END, today=dt.date(YEAR, 3, 20))
    row = _row(rows, agency_a)
    assert (row.overdue, row.pending) == (2, 1)
    rows = selectors.handling_statistics(actor=clerk_a, date_from=START, date_to=END, today=dt.date(YEAR, 3, 11))
    row = _row(rows, agency_a)
    # On 11 March nothing open had passed its deadline; the April-due one did not exist yet.
    assert (row.overdue, row.pending) == (0, 2)


def test_each_agency_counts_only_what_it_may_see(history, clerk_b, agency_b, specialist_unit_a, unit_a, leader_a):
    rows = selectors.handling_statistics(actor=clerk_b, date_from=START, date_to=END)
    assert [(r.organization_id, r.received, r.pending, r.outgoing_sent) for r in rows] == [(agency_b.pk, 1, 1, 0)]
    # A specialist of a unit sees only what was assigned to the unit.
    assert selectors.handling_statistics(actor=specialist_unit_a, date_from=START, date_to=END) == []
    pending = history["pending"]
    ProcessingEvent.objects.create(incoming=pending, action="directed", assigned_org=unit_a, assignment_role="lead")
    rows = selectors.handling_statistics(actor=specialist_unit_a, date_from=START, date_to=END)
    assert [(r.received, r.pending) for r in rows] == [(1, 1)]


def test_statistics_page_and_xlsx(history, client, clerk_a, agency_a):
    client.force_login(clerk_a)
    query = {"date_from": START.isoformat(), "date_to": END.isoformat()}
    page = client.get(reverse("documents:statistics"), query)
    assert page.status_code == 200
    assert f'data-organization="{agency_a.pk}"' in page.text
    assert '<td data-testid="received">5</td>' in page.text and '<td data-testid="done-late">2</td>' in page.text
    response = client.get(reverse("documents:statistics_xlsx"), query)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[4] == [agency_a.name, 5, 1, 2, 2, 1, 1]
    assert values[5] == ["Tổng cộng", 5, 1, 2, 2, 1, 1]
    assert AuditEvent.objects.filter(verb="documents.statistics.exported").count() == 1


def test_bad_periods(history, client, clerk_a):
    client.force_login(clerk_a)
    reversed_period = {"date_from": END.isoformat(), "date_to": START.isoformat()}
    page = client.get(reverse("documents:statistics"), reversed_period)
    assert page.status_code == 200 and 'data-testid="form-errors"' in page.text
    assert client.get(reverse("documents:statistics_xlsx"), reversed_period).status_code == 400
    assert client.get(reverse("documents:statistics_xlsx"), {"date_from": "'; DROP TABLE"}).status_code == 400
    # Dates no time zone conversion can hold (found by the schema fuzzer): refused, never a server error.
    for far in ({"date_from": "0001-01-01", "date_to": "0001-01-01"}, {"date_from": START, "date_to": "9999-12-31"}):
        assert client.get(reverse("documents:statistics_xlsx"), far).status_code == 400
        assert client.get(reverse("documents:statistics"), far).status_code == 200
        assert client.get("/api/v1/documents/statistics", far).status_code == 400


def test_statistics_need_a_sign_in(client):
    assert client.get(reverse("documents:statistics")).status_code == 302
    assert client.get(reverse("documents:statistics_xlsx")).status_code == 302


def test_statistics_api(history, client, clerk_a, clerk_b, agency_a):
    client.force_login(clerk_a)
    response = client.get("/api/v1/documents/statistics", {"date_from": START, "date_to": END})
    assert response.status_code == 200
    assert response.json() == [
        {"organization_id": agency_a.pk, "organization": agency_a.name, "received": 5, "done_on_time": 1,
         "done_late": 2, "overdue": 2, "pending": 1, "outgoing_sent": 1},
    ]  # fmt: skip
    assert client.get("/api/v1/documents/statistics", {"date_from": END, "date_to": START}).status_code == 400
    assert client.get("/api/v1/documents/statistics", {"date_from": "x", "date_to": END}).status_code in {400, 422}
    client.force_login(clerk_b)
    rows = client.get("/api/v1/documents/statistics", {"date_from": START, "date_to": END}).json()
    assert [row["organization_id"] for row in rows] != [agency_a.pk]
    client.logout()
    assert client.get("/api/v1/documents/statistics", {"date_from": START, "date_to": END}).status_code == 401


def test_statistics_page_defaults_to_this_month(client, clerk_a, make_incoming, agency_a):
    make_incoming()
    client.force_login(clerk_a)
    page = client.get(reverse("documents:statistics"))
    assert page.status_code == 200 and '<td data-testid="received">1</td>' in page.text
    today = timezone.localdate()
    assert today.replace(day=1).strftime("%d/%m/%Y") in page.text
