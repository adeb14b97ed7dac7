"""The ``q`` filter of document lists: without accents, inside the reader's scope, counted exactly up to a cap."""

from __future__ import annotations

import importlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from cityops.core.models import SearchEntry
from cityops.core.search import words_query
from cityops.core.text import search_terms
from cityops.documents import selectors, services
from cityops.documents.choices import Confidentiality


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


# --- whole words, capped counts, pages read by the plan that suits the count --------------------------------------

SUBJECTS = [
    "Về việc quy hoạch khu đô thị mới",
    "Quy hoạch sử dụng đất năm 2026",
    "Báo cáo tình hình thực hiện kế hoạch",
    "Kế hoạch tuyển sinh lớp 10",
    "Hướng dẫn quy trình hoạch toán",
    "Đường giao thông nông thôn",
    "Về việc phòng chống thiên tai",
]
QUERIES = [
    "quy hoach",
    "QUY HOẠCH",
    "quy hoa",  # typing: the last word is the start of a word
    "ke hoach",
    "123/QĐ-UBND",
    "qd ubnd",
    "2026",
    "duong",
    "hoach",
    "khong co",
]


def _reference(actor, query: str) -> list[int]:
    """The ids a search must return, in list order, computed without the index's SQL (every row read in Python)."""
    terms = search_terms(query)
    texts = {
        int(entry.object_id): entry.text
        for entry in SearchEntry.objects.filter(object_type="documents.incomingdocument")
    }

    def matches(text: str) -> bool:
        if connection.vendor != "postgresql":
            return all(term in text for term in terms)  # SQLite: substrings, as before
        words = set(re.findall(r"[^\W_]+", text))
        *whole, last = [w for term in terms for w in term.split("_") if w]
        if not all(w in words for w in whole):
            return False
        return any(w.startswith(last) for w in words) if len(last) > 1 else last in words

    visible = selectors.incoming_list(actor=actor)
    return [doc.pk for doc in visible if matches(texts.get(doc.pk, ""))]


@pytest.fixture
def corpus(make_incoming):
    docs = [make_incoming(subject=subject, number=str(100 + i)) for i, subject in enumerate(SUBJECTS)]
    docs.append(make_incoming(subject="Quyết định về quy hoạch", number="123", notation="QĐ-UBND"))
    docs.append(make_incoming(subject="Công văn khác", number="1234", notation="UBND-VP", urgency=2))
    return docs


@pytest.mark.parametrize("query", QUERIES)
def test_results_equal_a_plain_scan_in_list_order(clerk_a, corpus, query):
    expected = _reference(clerk_a, query)
    found = selectors.incoming_list(actor=clerk_a, filters={"q": query})
    assert [doc.pk for doc in found] == expected
    assert found.count() == len(expected) and not found.capped


@pytest.mark.parametrize("query", ["quy hoach", "ke hoach", "hoach"])
def test_a_capped_search_says_so_and_pages_through_every_match_in_order(clerk_a, corpus, query):
    expected = _reference(clerk_a, query)
    assert len(expected) >= 2
    found = selectors.SearchResults(selectors.incoming_list(actor=clerk_a), search_terms(query), cap=1)
    assert found.count() == 1 and found.capped  # "more than 1"
    pages = [doc.pk for start in range(0, 10, 2) for doc in found[start : start + 2]]
    assert pages == expected


def test_words_query():
    assert words_query(["quy", "hoach"]) == "'quy' & 'hoach':*"
    assert words_query(["quy", "hoach"], prefix=False) == "'quy' & 'hoach'"
    assert words_query(["quy", "h"]) == "'quy' & 'h'"  # one letter: the whole word, not half the index
    assert words_query(["so_1"]) == "'so' & '1'"
    assert words_query([]) == ""


def test_a_search_page_is_a_fixed_number_of_statements(clerk_a, make_incoming):
    def statements(n: int) -> int:
        SearchEntry.objects.all().delete()
        for i in range(n):
            make_incoming(subject=f"Về việc quy hoạch {i}", number=str(i))
        with CaptureQueriesContext(connection) as queries:
            found = selectors.incoming_list(actor=clerk_a, filters={"q": "quy hoach"})
            assert found.count() == n
            assert len(found[0:20]) == n
        return len(queries.captured_queries)

    few, more = statements(2), statements(5)
    assert few == more <= 3  # whole words, the last word as a prefix, the page


def test_capped_api_count_and_pages_past_the_cap(client, clerk_a, corpus, monkeypatch):
    client.force_login(clerk_a)
    expected = _reference(clerk_a, "hoach")
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 2)
    first = client.get("/api/v1/documents/incoming", {"q": "hoach", "page_size": 2}).json()
    assert (first["count"], first["count_capped"], first["pages"]) == (2, True, 1)
    assert [item["id"] for item in first["items"]] == expected[:2]
    second = client.get("/api/v1/documents/incoming", {"q": "hoach", "page_size": 2, "page": 2}).json()
    assert [item["id"] for item in second["items"]] == expected[2:4]  # past the cap: still served
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 1000)
    exact = client.get("/api/v1/documents/incoming", {"q": "hoach", "page_size": 2}).json()
    assert (exact["count"], exact["count_capped"]) == (len(expected), False)
    assert exact["pages"] == -(-len(expected) // 2)
    plain = client.get("/api/v1/documents/incoming").json()
    assert (plain["count"], plain["count_capped"]) == (len(corpus), False)


def test_the_list_page_says_how_many_match_or_that_more_do(client, clerk_a, corpus, monkeypatch):
    client.force_login(clerk_a)
    url = reverse("documents:incoming_list")
    expected = _reference(clerk_a, "quy hoach")

    def said(page: str) -> str:
        return re.search(r'data-testid="search-count">([^<]*)<', page).group(1)

    page = client.get(url, {"q": "quy hoach"}).text
    with translation.override("vi"):
        exact = ngettext("%(counter)s document matches.", "%(counter)s documents match.", len(expected))
        more = gettext(
            "More than %(count)s documents match; only the first %(count)s are listed. Add words to narrow the search."
        )
    assert said(page) == exact % {"counter": len(expected)}
    assert page.count('data-testid="incoming-row"') == len(expected)
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 1)
    assert said(client.get(url, {"q": "quy hoach"}).text) == more % {"count": 1}
    assert 'data-testid="search-count"' not in client.get(url).text


def test_outgoing_search_in_list_order(leader_a, make_outgoing):
    drafts = [make_outgoing(approve=False, subject=f"Về việc quy hoạch vùng {i}") for i in range(3)]
    make_outgoing(approve=False, subject="Về việc tuyển sinh")
    found = selectors.outgoing_list(actor=leader_a, filters={"q": "quy hoach vung"})
    assert [doc.pk for doc in found] == [doc.pk for doc in reversed(drafts)]
    capped = selectors.SearchResults(selectors.outgoing_list(actor=leader_a), ["quy", "hoach"], cap=1)
    assert capped.count() == 1 and capped.capped
    assert [doc.pk for doc in capped[0:3]] == [doc.pk for doc in reversed(drafts)]


def test_another_agencys_confidential_documents_are_never_found(client, clerk_a, leader_a, clerk_b, leader_b, agency_b):
    secret = services.incoming_receive(
        actor=clerk_b,
        organization=agency_b,
        data={
            "sender_name": "Bộ Công an",
            "number": "7",
            "notation": "BCA-MAT",
            "subject": "Kế hoạch bảo vệ Zuquarvex",
            "confidentiality": Confidentiality.TOP_SECRET,
        },
    )
    for actor in (clerk_a, leader_a):
        for query in ("zuquarvex", "ke hoach bao ve", "bca mat", "zuquar"):
            found = selectors.incoming_list(actor=actor, filters={"q": query})
            assert found.count() == 0 and list(found) == []
            capped = selectors.SearchResults(selectors.incoming_list(actor=actor), search_terms(query), cap=0)
            assert list(capped) == []  # the walk through the list applies the same scope
        client.force_login(actor)
        answer = client.get("/api/v1/documents/incoming", {"q": "zuquarvex"})
        assert answer.json()["count"] == 0 and "Zuquarvex" not in answer.text
        assert "Zuquarvex" not in client.get(reverse("documents:incoming_list"), {"q": "zuquarvex"}).text
    # control: its own agency finds it
    assert [doc.pk for doc in selectors.incoming_list(actor=leader_b, filters={"q": "zuquarvex"})] == [secret.pk]


def test_the_search_vector_migration_is_reversible_and_fills_existing_rows(clerk_a, make_incoming):
    if connection.vendor != "postgresql":
        pytest.skip("the word vector exists on PostgreSQL only")
    migration = importlib.import_module("cityops.core.migrations.0004_search_vector")

    def columns() -> set[str]:
        with connection.cursor() as cursor:
            return {c.name for c in connection.introspection.get_table_description(cursor, "core_searchentry")}

    def check_constraints_now() -> None:
        with connection.cursor() as cursor:  # the test's transaction holds deferred checks; ALTER TABLE refuses them
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    check_constraints_now()
    with connection.schema_editor() as editor:
        migration._run(migration.POSTGRES_BACKWARD)(None, editor)
    assert "search_vector" not in columns()
    document = make_incoming(subject="Về việc quy hoạch", number="77", notation="QĐ-UBND")  # written without it
    check_constraints_now()
    with connection.schema_editor() as editor:
        migration._run(migration.POSTGRES_FORWARD)(None, editor)
    assert "search_vector" in columns()
    for query in ("quy hoach", "77/QĐ-UBND", "quy hoa"):
        assert list(selectors.incoming_list(actor=clerk_a, filters={"q": query})) == [document]
