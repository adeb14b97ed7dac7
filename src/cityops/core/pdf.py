"""Server-side PDF for printable reports: one small builder every module uses, with a font that has Vietnamese.

fpdf2 is pure Python and the DejaVu Sans font ships inside the package, so a PDF looks the same on every machine
and needs no browser, no system fonts and no network.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import TableCellFillMode
from fpdf.fonts import FontFace

from cityops.core.text import nfc

FONT_DIR = Path(__file__).resolve().parent / "data" / "fonts"
FONT = "DejaVu"

# fontTools reports every glyph subset at INFO; that is noise in a server log.
logging.getLogger("fontTools").setLevel(logging.WARNING)


class PdfReport:
    """An A4 report: a title block, headings, paragraphs and tables that break across pages with repeated headers."""

    def __init__(self, *, title: str, subtitle: str = "", landscape: bool = False, issuer: str = "") -> None:
        self.title = nfc(title)
        self._pdf = FPDF(orientation="L" if landscape else "P", unit="mm", format="A4")
        self._pdf.set_title(self.title)
        self._pdf.set_creator("CityOps")
        self._pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self._pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self._pdf.set_auto_page_break(auto=True, margin=15)
        self._pdf.set_margins(15, 15, 15)
        self._generated = timezone.localtime()
        footer_text = _("Generated %(when)s · page") % {"when": self._generated.strftime("%d/%m/%Y %H:%M")}
        pdf = self._pdf

        def footer() -> None:
            pdf.set_y(-12)
            pdf.set_font(FONT, "", 8)
            pdf.set_text_color(110, 110, 110)
            pdf.cell(0, 5, f"{footer_text} {pdf.page_no()}/{{nb}}", align="R")
            pdf.set_text_color(0, 0, 0)

        pdf.footer = footer  # type: ignore[method-assign]
        pdf.add_page()
        if issuer:
            pdf.set_font(FONT, "B", 10)
            pdf.cell(0, 6, nfc(issuer).upper(), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "B", 15)
        pdf.multi_cell(0, 8, self.title, align="C", new_x="LMARGIN", new_y="NEXT")
        if subtitle:
            pdf.set_font(FONT, "", 10)
            pdf.multi_cell(0, 6, nfc(subtitle), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)

    @property
    def generated_at(self) -> datetime:
        return self._generated

    def heading(self, text: str) -> None:
        """A section heading, kept with at least a few lines of what follows."""
        pdf = self._pdf
        if pdf.get_y() > pdf.h - 40:
            pdf.add_page()
        pdf.ln(2)
        pdf.set_font(FONT, "B", 12)
        pdf.multi_cell(0, 7, nfc(text), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def paragraph(self, text: str, *, size: int = 10) -> None:
        self._pdf.set_font(FONT, "", size)
        self._pdf.multi_cell(0, 5.5, nfc(text), new_x="LMARGIN", new_y="NEXT")
        self._pdf.ln(1)

    def facts(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Label–value lines such as 'Status: open', for the head of a record."""
        pdf = self._pdf
        for label, value in pairs:
            pdf.set_font(FONT, "B", 10)
            pdf.cell(55, 5.5, nfc(label))
            pdf.set_font(FONT, "", 10)
            pdf.multi_cell(0, 5.5, nfc(value), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[object]],
        *,
        widths: Sequence[float] | None = None,
        empty_text: str = "",
        size: int = 8,
    ) -> None:
        """A bordered table; long cells wrap, the header row repeats on each page."""
        pdf = self._pdf
        if not rows:
            self.paragraph(empty_text or _("Nothing to show."), size=size + 1)
            return
        pdf.set_font(FONT, "", size)
        with pdf.table(
            col_widths=tuple(widths) if widths else None,
            line_height=size * 0.6,
            headings_style=FontFace(family=FONT, emphasis="BOLD", fill_color=(220, 226, 234)),
            cell_fill_mode=TableCellFillMode.ROWS,
            cell_fill_color=(242, 242, 242),
            repeat_headings=1,
        ) as table:
            header = table.row()
            for text in headers:
                header.cell(nfc(str(text)))
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(nfc("" if value is None else str(value)))
        pdf.ln(2)

    def output(self) -> bytes:
        return bytes(self._pdf.output())
