"""The Vietnamese catalogue: complete, compiled, faithful to the source strings, and used by the pages.

Vietnamese is the default language, so an untranslated, fuzzy or stale entry shows English (or a broken
sentence) to every user. These tests read the committed ``django.po``/``django.mo`` with polib; only the
completeness check against the code needs GNU gettext (``xgettext``), and it runs ``makemessages`` on a
copy of the package so the committed catalogue is never touched.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "src" / "cityops"
LC_MESSAGES = PACKAGE_DIR / "locale" / "vi" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

# printf-style placeholders as Python's %-operator reads them: %(name)s, %s, %d, %.2f, %%.
PERCENT_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsa%]")
BRACE_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:[.\[][^{}]*)?(?:![rsa])?(?::[^{}]*)?\}|\{\d*\}")
HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
HTML_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#\d+|#x[0-9A-Fa-f]+);")
# Tone marks on the "old" (Nghị định 30 / most state documents) positions: hóa, khóa, thủy, not hoá, khoá, thuỷ.
NEW_STYLE_TONE = re.compile(r"(?:o[áàảãạ]|o[éèẻẽẹ]|(?<![qQ])u[ýỳỷỹỵ])(?!\w)")
# Product names and codes that are written the same in Vietnamese.
SAME_IN_BOTH_LANGUAGES: set[str] = set()


def key(entry: polib.POEntry | polib.MOEntry) -> tuple[str | None, str, str | None]:
    return (entry.msgctxt or None, entry.msgid, entry.msgid_plural or None)


def edges(text: str) -> tuple[str, str]:
    """The whitespace a string starts and ends with (a prompt's trailing space, a block's newline)."""
    stripped = text.strip()
    if not stripped:
        return (text, "")
    start = text.index(stripped)
    return (text[:start], text[start + len(stripped) :])


def translations(entry: polib.POEntry | polib.MOEntry) -> list[str]:
    """Every msgstr of an entry; plural entries have exactly one form in Vietnamese."""
    if entry.msgid_plural:
        return [entry.msgstr_plural[index] for index in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


@pytest.fixture(scope="module")
def entries(catalogue: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in catalogue if not entry.obsolete]


def test_header_names_vietnamese_with_one_plural_form(catalogue: polib.POFile) -> None:
    assert catalogue.metadata["Language"] == "vi"
    assert catalogue.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    assert catalogue.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert not catalogue.metadata_is_fuzzy


def test_every_entry_is_translated_and_not_fuzzy(entries: list[polib.POEntry]) -> None:
    assert len(entries) > 400
    untranslated = [entry.msgid for entry in entries if not entry.translated()]
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
    assert untranslated == []
    assert fuzzy == []


def test_plural_entries_have_exactly_one_form(entries: list[polib.POEntry]) -> None:
    for entry in entries:
        if entry.msgid_plural:
            assert list(entry.msgstr_plural) == [0], entry.msgid
            assert entry.msgstr_plural[0].strip(), entry.msgid


def test_committed_mo_matches_po(entries: list[polib.POEntry]) -> None:
    assert MO_PATH.exists(), "run scripts/compile_messages.py and commit django.mo"
    compiled = polib.mofile(str(MO_PATH))
    expected = {key(entry): translations(entry) for entry in entries if entry.translated()}
    actual = {key(entry): translations(entry) for entry in compiled if entry.msgid}
    stale = sorted(k[1] for k in expected.keys() - actual.keys())
    extra = sorted(k[1] for k in actual.keys() - expected.keys())
    assert stale == [], "django.mo lacks these entries: run scripts/compile_messages.py"
    assert extra == [], "django.mo has entries the .po no longer has: run scripts/compile_messages.py"
    differing = sorted(k[1] for k in expected if expected[k] != actual[k])
    assert differing == [], "django.mo is older than django.po: run scripts/compile_messages.py"
    assert compiled.metadata.get("Plural-Forms") == "nplurals=1; plural=0;"


@pytest.mark.parametrize(
    ("pattern", "what"),
    [(PERCENT_PLACEHOLDER, "%-placeholders"), (BRACE_PLACEHOLDER, "{}-placeholders")],
)
def test_placeholders_are_kept(entries: list[polib.POEntry], pattern: re.Pattern[str], what: str) -> None:
    problems = []
    for entry in entries:
        if pattern is PERCENT_PLACEHOLDER and "python-format" not in entry.flags:
            # Without the flag Django does not %-format the string, so a literal % is just text.
            continue
        wanted = Counter(pattern.findall(entry.msgid))
        if entry.msgid_plural:
            # The single Vietnamese form must work for the singular and the plural call alike.
            wanted |= Counter(pattern.findall(entry.msgid_plural))
        for text in translations(entry):
            if Counter(pattern.findall(text)) != wanted:
                problems.append((entry.msgid, text))
    assert problems == [], f"{what} differ between msgid and msgstr"


def test_placeholders_are_recognised() -> None:
    """The check above would be empty if the patterns missed the forms the code uses."""
    assert PERCENT_PLACEHOLDER.findall("%(name)s has %d of %s, 100%%") == ["%(name)s", "%d", "%s", "%%"]
    assert BRACE_PLACEHOLDER.findall("{name} {0} {count:d} {}") == ["{name}", "{0}", "{count:d}", "{}"]


def test_html_tags_entities_and_edge_whitespace_are_kept(entries: list[polib.POEntry]) -> None:
    problems = []
    for entry in entries:
        for text in translations(entry):
            if Counter(HTML_TAG.findall(entry.msgid)) != Counter(HTML_TAG.findall(text)):
                problems.append(("tags", entry.msgid))
            if Counter(HTML_ENTITY.findall(entry.msgid)) != Counter(HTML_ENTITY.findall(text)):
                problems.append(("entities", entry.msgid))
            if edges(text) != edges(entry.msgid):
                problems.append(("leading or trailing whitespace", entry.msgid))
    assert problems == []


def test_translations_are_nfc(entries: list[polib.POEntry]) -> None:
    not_nfc = [text for entry in entries for text in translations(entry) if unicodedata.normalize("NFC", text) != text]
    assert not_nfc == []


def test_tone_marks_follow_one_convention(entries: list[polib.POEntry]) -> None:
    """khóa, hóa, thủy everywhere: mixing khóa and khoá looks careless and breaks exact-text search."""
    mixed = [text for entry in entries for text in translations(entry) if NEW_STYLE_TONE.search(text)]
    assert mixed == []


def test_no_entry_is_left_in_english(entries: list[polib.POEntry]) -> None:
    """A msgstr equal to its msgid is almost always a copy-paste; only names and codes may stay the same."""
    same = {entry.msgid for entry in entries if entry.msgstr == entry.msgid and re.search(r"[a-z]{3}", entry.msgid)}
    assert same - SAME_IN_BOTH_LANGUAGES == set()


def test_catalogue_covers_every_string_in_the_code(tmp_path: Path) -> None:
    """Run makemessages on a copy of the package; every msgid it extracts must be in the committed catalogue."""
    if shutil.which("xgettext") is None or shutil.which("msgmerge") is None:
        pytest.skip("GNU gettext (xgettext, msgmerge) is not installed; cannot extract strings from the code")
    copy = tmp_path / "src" / "cityops"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "locale"))
    locale_dir = copy / "locale"
    locale_dir.mkdir()
    env = {
        **os.environ,
        "CITYOPS_TESTING": "1",
        "DJANGO_SETTINGS_MODULE": "cityops.settings",
        # makemessages writes to LOCALE_PATHS[0]: point it at the copy, never at the committed catalogue.
        "CITYOPS_LOCALE_DIR": str(locale_dir),
    }
    command = [sys.executable, "-m", "django", "makemessages", "-l", "vi", "--no-obsolete"]
    command += ["--ignore", ".venv/*", "--ignore", "tests/*"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    fresh_path = locale_dir / "vi" / "LC_MESSAGES" / "django.po"
    assert fresh_path.exists(), result.stdout + result.stderr
    fresh = polib.pofile(str(fresh_path))
    assert len(fresh) > 400, "makemessages found too few strings; is the copy complete?"
    committed = {key(entry) for entry in polib.pofile(str(PO_PATH)) if not entry.obsolete}
    missing = sorted(entry.msgid for entry in fresh if key(entry) not in committed)
    assert missing == [], (
        f"{len(missing)} strings in the code are missing from the catalogue, e.g. {missing[:5]}: run "
        "`CITYOPS_TESTING=1 cityops makemessages -l vi --ignore '.venv/*' --ignore 'tests/*' --no-obsolete`, "
        "translate them and run scripts/compile_messages.py"
    )


def expected_vietnamese(msgid: str) -> str:
    entry = polib.pofile(str(PO_PATH)).find(msgid)
    assert entry is not None and entry.msgstr and entry.msgstr != msgid
    return entry.msgstr


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "cookie", "language"),
    [
        ({}, None, "vi"),  # Vietnamese is the default
        ({"HTTP_ACCEPT_LANGUAGE": "vi"}, None, "vi"),
        ({"HTTP_ACCEPT_LANGUAGE": "vi-VN,vi;q=0.9,en;q=0.5"}, None, "vi"),
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, None, "en"),
        ({"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}, None, "en"),
        ({"HTTP_ACCEPT_LANGUAGE": "en"}, "vi", "vi"),  # the cookie beats the browser
        ({"HTTP_ACCEPT_LANGUAGE": "vi"}, "en", "en"),
    ],
)
def test_login_page_speaks_the_chosen_language(client, headers, cookie, language) -> None:
    if cookie:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = cookie
    response = client.get("/login/", **headers)
    assert response.status_code == 200
    assert response.headers["Content-Language"] == language
    page = response.content.decode()
    title, field = "Log in to CityOps", "Username"
    if language == "vi":
        assert expected_vietnamese(title) in page
        assert expected_vietnamese(field) in page
        assert title not in page
    else:
        assert title in page
        assert field in page
        assert expected_vietnamese(title) not in page
