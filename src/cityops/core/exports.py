"""Cells for CSV and XLSX exports that a spreadsheet will not run as formulas (OWASP "CSV injection").

Every export in the product goes through these two functions, so the rule lives in one place.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FORMULA_PREFIXES", "csv_cell", "spreadsheet_cell"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """Text a spreadsheet would read as a formula gets a leading quote; numbers and dates pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_cell(value: Any) -> str:
    """The text of one CSV cell, neutralised like ``spreadsheet_cell`` (CSV has no types: all is text)."""
    return spreadsheet_cell("" if value is None else str(value))
