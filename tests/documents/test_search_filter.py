"""The ``q`` filter of document lists: every match counts (no cap), without accents, inside the reader's scope."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from cityops.core.models import SearchEntry
from cityops.documents import selectors


def test_q_finds_without_accents_and_counts_every_match(clerk_a, make_incoming):
    wanted = [make_incoming(subject=f"Về việc quy hoạch khu đô thị số {i}", number=str(100 + i)) for i in range(3)]
    make_incoming(subject="Về việc tuyển sinh lớp 10", number="200")
    found = selectors.incoming_list(actor=clerk_a, filters={"q": "quy hoach do thi"})
    assert found.count() == 3
    assert set(found) == set(wanted)
    assert selectors.incoming_list(actor=clerk_a, filters={"q": "QUY HOẠCH"}).count() == 3
    assert selectors.incoming_list(actor=clerk_a, filters={"q": "khong co"}).count() == 0


def test_q_is_one_statement_with_the_scope(clerk_a, make_incoming):
    make_incoming(subject="Về việc quy hoạch")
    with CaptureQueriesContext(connection) as queries:
        rows = list(selectors.incoming_list(actor=clerk_a, filters={"q": "quy hoach"}))
    assert len(rows) == 1
    selects = [q["sql"] for q in queries.captured_queries if "core_searchentry" in q["sql"]]
    assert len(selects) == 1 and "documents_incomingdocument" in selects[0]


def test_q_never_reaches_another_agencys_documents(clerk_a, clerk_b, make_incoming):
    make_incoming(subject="Về việc quy hoạch vùng tỉnh")
    assert selectors.incoming_list(actor=clerk_b, filters={"q": "quy hoach"}).count() == 0
    assert selectors.incoming_list(actor=clerk_a, filters={"q": "quy hoach"}).count() == 1


def test_index_rows_of_other_types_or_odd_ids_do_not_match(clerk_a, make_incoming):
    document = make_incoming(subject="Về việc quy hoạch")
    SearchEntry.objects.create(
        object_type="documents.outgoingdocument", object_id=str(document.pk + 1000), title="x", text="quy hoach"
    )
    found = selectors.incoming_list(actor=clerk_a, filters={"q": "quy hoach"})
    assert list(found) == [document]
