"""The table ``make bench`` prints: numbers, ratios and layout (no timing is measured here)."""

from __future__ import annotations

from bench.profile import summarise
from bench.report import Row, format_number, ratio, render_table


def test_rates_are_a_percentage_of_their_baseline() -> None:
    assert ratio(15_000, 50_000, "values/s") == "30 %"
    assert ratio(1_234, 1_000, "req/s") == "123 %"


def test_times_are_a_multiple_of_their_baseline() -> None:
    assert ratio(30.0, 10.0, "ms") == "3.0×"


def test_missing_or_zero_baselines_give_a_dash() -> None:
    assert ratio(None, 10, "req/s") == "—"
    assert ratio(10, None, "req/s") == "—"
    assert ratio(10, 0, "req/s") == "—"


def test_numbers_are_formatted_by_unit() -> None:
    assert format_number(51234.4, "values/s") == "51,234 values/s"
    assert format_number(12.345, "ms") == "12.3 ms"
    assert format_number(None, "ms") == "—"


def test_table_has_one_aligned_line_per_figure_and_shows_the_baseline() -> None:
    rows = [
        Row("Open311 GET", "≥ 1,000 req/s", 1500.0, "req/s", 3000.0, "bare endpoint", "p99 40 ms"),
        Row("Dashboard: page", "p95 < 300 ms", None, "ms", note="not built yet"),
    ]
    lines = render_table(rows).splitlines()
    assert len(lines) == 4
    assert len({len(line) for line in lines}) == 1
    assert "1,500 req/s" in lines[2] and "3,000 req/s (bare endpoint)" in lines[2] and "50 %" in lines[2]
    assert "not built yet" in lines[3] and "—" in lines[3]


def test_profile_summary_counts_own_and_inclusive_samples() -> None:
    text = (
        "process 1;main (a.py:1);view (cityops/x.py:2);query (db.py:3) 30\nprocess 1;main (a.py:1);idle (b.py:4) 10\n"
    )
    summary = summarise(text, only="cityops")
    assert "40 samples" in summary
    assert "75.0 %  query (db.py:3)" in summary
    assert "75.0 %  view (cityops/x.py:2)" in summary
    assert summarise("") == "no samples"
