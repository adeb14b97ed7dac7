"""The one table ``make bench`` prints: figure, budget, measured, same-run baseline, ratio."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TIME_UNITS", "Row", "format_number", "ratio", "render_table"]

TIME_UNITS = frozenset({"ms", "s"})


@dataclass(frozen=True)
class Row:
    """One figure. ``measured``/``baseline`` are numbers in ``unit``; None when not measured (see ``note``)."""

    figure: str
    budget: str
    measured: float | None
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    note: str = ""


def format_number(value: float | None, unit: str) -> str:
    """Thousands separators for rates, one decimal for milliseconds and megabytes."""
    if value is None:
        return "—"
    if unit in {"ms", "MB", "s"}:
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.0f}"
    return f"{text} {unit}"


def ratio(measured: float | None, baseline: float | None, unit: str = "") -> str:
    """A rate as a percentage of its baseline (higher is better); a time as a multiple of it (lower is better).

    "—" when either is missing or the baseline is zero.
    """
    if measured is None or baseline is None or baseline == 0:
        return "—"
    if unit in TIME_UNITS:
        return f"{measured / baseline:,.1f}×"
    return f"{100 * measured / baseline:,.0f} %"


def render_table(rows: list[Row]) -> str:
    """A fixed-width text table (also valid Markdown), one line per figure."""
    header = ("Figure", "Budget (DESIGN §7)", "Measured", "Baseline (same run)", "Ratio", "Note")
    lines = [
        (
            row.figure,
            row.budget,
            format_number(row.measured, row.unit),
            (f"{format_number(row.baseline, row.unit)} ({row.baseline_label})" if row.baseline is not None else "—"),
            ratio(row.measured, row.baseline, row.unit),
            row.note,
        )
        for row in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]

    def line(cells: tuple[str, ...]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    separator = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), separator, *(line(cells) for cells in lines)])
