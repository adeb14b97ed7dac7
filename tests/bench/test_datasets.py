"""The benchmark data generators: the same seed gives the same rows, the sizes are what they say."""

from __future__ import annotations

from datetime import UTC, datetime

from bench.datasets import (
    SCALES,
    SEARCH_QUERIES,
    Sizes,
    document_rows,
    observation_layout,
    observation_lines,
    report_rows,
)

from cityops.core.text import search_terms

ANCHOR = datetime(2026, 6, 1, 12, tzinfo=UTC)
TINY = Sizes(reports=50, observations=2_000, documents=40, entities=10)


def _reports(seed: int, count: int = TINY.reports) -> list[dict[str, object]]:
    return list(
        report_rows(
            seed, count, anchor=ANCHOR, first_id=100, categories=[1, 2, 3], agencies=[10, 11],
            areas=[(20, "Phường Kinh Bắc"), (21, "Xã Tiên Du")], desk=1,
        )
    )  # fmt: skip


def _documents(seed: int) -> list[tuple[str, dict[str, object]]]:
    return list(
        document_rows(
            seed, TINY.documents, anchor=ANCHOR, first_id=7, organizations=[1, 2], places=["Kinh Bắc"],
            document_types=[(1, "Công văn"), (2, "Quyết định")],
        )
    )  # fmt: skip


def test_reports_are_reproducible_by_seed_and_differ_across_seeds() -> None:
    assert _reports(1) == _reports(1)
    assert _reports(1) != _reports(2)


def test_reports_have_the_asked_count_unique_ids_and_codes_and_valid_states() -> None:
    rows = _reports(3, 500)
    assert len(rows) == 500
    assert [r["id"] for r in rows] == list(range(100, 600))
    assert len({r["tracking_code"] for r in rows}) == 500
    for row in rows:
        assert row["created_at"] < ANCHOR  # type: ignore[operator]
        assert row["status"] in {
            "published", "rejected", "duplicate", "submitted", "verified", "assigned", "accepted", "in_progress",
            "resolved",
        }  # fmt: skip
        closed = row["status"] in {"published", "rejected", "duplicate"}
        assert (row["closed_at"] is not None) == closed
        assert row["rating"] is None or (row["status"] == "published" and 1 <= row["rating"] <= 5)  # type: ignore[operator]
        assert len(str(row["tracking_code"])) <= 16


def test_observation_lines_cover_every_series_once_per_step_in_copy_format() -> None:
    entities, steps = observation_layout(TINY)
    assert len(entities) == 10 and steps == TINY.observations // (10 * 5)
    text = "".join(observation_lines(5, TINY, list(range(1, 11)), ANCHOR, chunk=137))
    lines = text.splitlines()
    assert len(lines) == TINY.observations
    keys = {tuple(line.split("\t")[:3]) for line in lines}
    assert len(keys) == len(lines)  # (entity, attribute, time) is unique, as the table requires
    entity, attribute, stamp, value = lines[-1].split("\t")
    assert stamp.endswith("+00") and datetime.fromisoformat(stamp + ":00") < ANCHOR
    assert float(value) >= 0


def test_observation_lines_are_reproducible_and_chunking_does_not_change_them() -> None:
    one = "".join(observation_lines(9, TINY, list(range(10)), ANCHOR, chunk=50))
    two = "".join(observation_lines(9, TINY, list(range(10)), ANCHOR, chunk=5_000))
    assert one == two
    assert one != "".join(observation_lines(10, TINY, list(range(10)), ANCHOR))


def test_documents_are_reproducible_and_split_between_incoming_and_outgoing() -> None:
    rows = _documents(4)
    assert rows == _documents(4)
    assert len(rows) == TINY.documents
    kinds = {kind for kind, _fields in rows}
    assert kinds == {"incoming", "outgoing"}
    for kind, fields in rows:
        assert fields["subject"] and "{" not in str(fields["subject"])
        assert ("sender_name" in fields) == (kind == "incoming")


def test_full_scale_is_the_size_the_issue_asks_for() -> None:
    full = SCALES["full"]
    assert (full.reports, full.observations, full.documents) == (200_000, 10_000_000, 200_000)
    entities, steps = observation_layout(full)
    assert len(entities) * 5 * steps == full.observations


def test_search_queries_include_unaccented_forms() -> None:
    assert all(search_terms(q) for q in SEARCH_QUERIES)
    assert any(q == q.encode("ascii", "ignore").decode() for q in SEARCH_QUERIES)
