"""Reading a CSV file into a dataset's fields: every refused row reported, nothing guessed silently.

UTF-8 with or without a BOM, comma or semicolon (whichever the header line uses), headers matched to the
dataset's field names or (Vietnamese) labels without regard to case or diacritics. Cells are checked
against the field types; exact duplicate rows are refused. Cells that a spreadsheet would run as a formula
are stored as typed and neutralised when exported (``cityops.core.exports.csv_cell``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dt_time
from typing import Any

from django.utils.translation import gettext as _

from cityops.core.text import fold, nfc
from cityops.datahub.choices import FieldType
from cityops.datahub.models import Dataset

__all__ = [
    "CSV_MAX_BYTES",
    "CsvReport",
    "check_rows",
    "decode_csv",
    "parse_csv",
    "parse_xlsx",
]

CSV_MAX_BYTES = 20 * 1024 * 1024
CSV_MAX_ROWS = 200_000
_TRUE = {"1", "true", "yes", "co", "x", "dung"}
_FALSE = {"0", "false", "no", "khong", "sai", ""}
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d+)?|[.,]\d+)$")


@dataclass
class CsvReport:
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    rejected: list[tuple[int, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the file as a whole cannot be used
    mapping: dict[str, str] = field(default_factory=dict)  # header -> field name
    headers: list[str] = field(default_factory=list)  # the file's header, for the mapping step
    version: Any = None  # the DatasetVersion stored from this report, if any


def _convert(kind: str, text: str) -> Any:
    if kind == FieldType.STRING:
        return text
    if kind in {FieldType.INTEGER, FieldType.NUMBER}:
        compact = text.replace(" ", "")
        if not _NUMBER.match(compact):
            raise ValueError(_("not a number"))
        value = float(compact.replace(",", "."))
        if kind == FieldType.INTEGER:
            if not value.is_integer():
                raise ValueError(_("not a whole number"))
            return int(value)
        return value
    if kind == FieldType.BOOLEAN:
        folded = fold(text)
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        raise ValueError(_("not yes or no"))
    if kind == FieldType.DATE:
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(text, pattern).date().isoformat()  # noqa: DTZ007 -- a date, no time
            except ValueError:
                continue
        raise ValueError(_("not a date (YYYY-MM-DD or DD/MM/YYYY)"))
    try:
        instant = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(_("not an ISO 8601 date and time")) from exc
    if instant.tzinfo is None:
        raise ValueError(_("the time has no time zone"))
    return instant.isoformat()


def decode_csv(content: bytes) -> tuple[str, str]:
    """(text, delimiter) of CSV bytes; ValueError with a reason for bytes that are not a text CSV."""
    if len(content) > CSV_MAX_BYTES:
        raise ValueError(_("The file is larger than %(n)s MB.") % {"n": CSV_MAX_BYTES // (1024 * 1024)})
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(_("The file is not UTF-8 text. Save it as CSV UTF-8.")) from exc
    if "\x00" in text:
        raise ValueError(_("The file is not a text CSV file."))
    text = nfc(text)
    first_line = text.split("\n", 1)[0]
    return text, (";" if first_line.count(";") > first_line.count(",") else ",")


def parse_csv(dataset: Dataset, content: bytes, mapping: dict[str, str] | None = None) -> CsvReport:
    """Check a whole file against the dataset schema; the caller stores ``rows`` if ``errors`` is empty.

    ``mapping`` (header → field name, or "" to skip the column) overrides the automatic header matching.
    """
    report = CsvReport()
    try:
        text, delimiter = decode_csv(content)
    except ValueError as exc:
        report.errors.append(str(exc))
        return report
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return check_rows(dataset, reader, report, mapping=mapping)
    except csv.Error as exc:
        report.errors.append(_("The CSV file cannot be read: %(e)s") % {"e": exc})
        return report


def check_rows(
    dataset: Dataset,
    reader: Iterator[list[str]],
    report: CsvReport | None = None,
    mapping: dict[str, str] | None = None,
) -> CsvReport:
    """Map the header to fields and check every row; shared by CSV and XLSX.

    ``mapping`` sends a header to a field name, or to "" to leave the column out; other headers are
    matched automatically.
    """
    report = report or CsvReport()
    try:
        header = next(reader)
    except StopIteration:
        report.errors.append(_("The file is empty."))
        return report
    fields = {f["name"]: f for f in dataset.schema}
    lookup: dict[str, str] = {}
    for item in dataset.schema:
        lookup[fold(item["name"])] = item["name"]
        lookup[fold(item.get("label") or item["name"])] = item["name"]
    columns: list[str | None] = []
    skipped: set[int] = set()
    report.headers = [nfc(c).strip()[:200] for c in header]
    for position, cell in enumerate(header):
        chosen = (mapping or {}).get(nfc(cell).strip())
        if chosen == "":
            skipped.add(position)
            columns.append(None)
            continue
        name = lookup.get(fold(cell)) if chosen is None else (chosen if chosen in fields else None)
        if name is None:
            report.errors.append(_("Unknown column “%(col)s”.") % {"col": cell.strip()[:100]})
        elif name in report.mapping.values():
            report.errors.append(_("Column “%(col)s” appears twice.") % {"col": cell.strip()[:100]})
        else:
            report.mapping[cell] = name
        columns.append(name)
    if len(header) == len(skipped):
        report.errors.append(_("No column is mapped to a field."))
    missing = [f["label"] for f in dataset.schema if f.get("required") and f["name"] not in columns]
    if missing:
        report.errors.append(_("Required columns are missing: %(cols)s.") % {"cols": ", ".join(missing)})
    if report.errors:
        return report
    seen: dict[tuple[Any, ...], int] = {}
    for line_number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if line_number > CSV_MAX_ROWS + 1:
            report.errors.append(_("The file has more than %(n)s rows.") % {"n": CSV_MAX_ROWS})
            return report
        if len(cells) != len(columns):
            report.rejected.append(
                (line_number, _("expected %(a)s cells, found %(b)s") % {"a": len(columns), "b": len(cells)})
            )
            continue
        data: dict[str, Any] = {}
        problems: list[str] = []
        for name, cell in zip(columns, cells, strict=True):
            if name is None:  # a column the mapping leaves out
                continue
            spec, text = fields[name], cell.strip()
            if not text:
                if spec.get("required"):
                    problems.append(_("%(col)s: required") % {"col": spec["label"]})
                data[name] = None
                continue
            try:
                data[name] = _convert(spec["type"], text)
            except ValueError as exc:
                problems.append(f"{spec['label']}: {exc}")
        if problems:
            report.rejected.append((line_number, "; ".join(problems)))
            continue
        key = tuple(data.get(n) for n in fields)
        if key in seen:
            report.rejected.append((line_number, _("duplicate of row %(n)s") % {"n": seen[key]}))
            continue
        seen[key] = line_number
        report.rows.append((line_number, data))
    return report


def _cell_text(value: Any) -> str:
    """An XLSX cell as the text a CSV would hold, so both go through the same checks."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == dt_time() and value.tzinfo is None else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return nfc(str(value))


def parse_xlsx(dataset: Dataset, upload: Any, mapping: dict[str, str] | None = None) -> CsvReport:
    """The first sheet of an XLSX file, after the core's content checks (type, macros, zip bombs).

    Formulas are never evaluated: the value the spreadsheet saved is read (``data_only``).
    """
    from openpyxl import load_workbook

    from cityops.core.uploads import UploadRejected, inspect_upload

    report = CsvReport()
    try:
        inspection = inspect_upload(upload, max_bytes=CSV_MAX_BYTES)
    except UploadRejected as exc:
        report.errors.append(exc.message)
        return report
    if inspection.extension != ".xlsx":
        report.errors.append(_("The file is not an XLSX workbook."))
        return report
    upload.seek(0)
    try:
        workbook = load_workbook(upload, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for damaged files
        report.errors.append(_("The workbook cannot be read."))
        return report
    try:
        sheet = workbook.worksheets[0]
        rows = ([_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True, max_row=CSV_MAX_ROWS + 2))
        return check_rows(dataset, _trim(rows), report, mapping=mapping)
    finally:
        workbook.close()


def _trim(rows: Iterator[list[str]]) -> Iterator[list[str]]:
    """Drop the empty trailing cells spreadsheets pad rows with, keeping the header's width."""
    width: int | None = None
    for row in rows:
        if width is None:
            while row and row[-1] == "":
                row.pop()
            width = len(row)
        elif len(row) > width and not any(row[width:]):
            row = row[:width]
        yield row
