#!/usr/bin/env python
"""Compile every locale/*/LC_MESSAGES/django.po to .mo with polib (no GNU gettext needed at build time)."""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "src" / "cityops" / "locale"


def main() -> int:
    problems = 0
    for po_path in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/django.po")):
        catalog = polib.pofile(str(po_path))
        missing = [e.msgid for e in catalog if not e.obsolete and not e.translated()]
        fuzzy = [e.msgid for e in catalog if "fuzzy" in e.flags]
        catalog.save_as_mofile(str(po_path.with_suffix(".mo")))
        print(f"{po_path.relative_to(LOCALE_DIR)}: {len(catalog)} entries, {len(missing)} untranslated, {len(fuzzy)} fuzzy")
        problems += len(missing) + len(fuzzy)
    return 1 if problems and "--strict" in sys.argv else 0


if __name__ == "__main__":
    raise SystemExit(main())
