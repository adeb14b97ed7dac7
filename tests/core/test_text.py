"""Vietnamese text handling: NFC on input, folding for search (accents, đ/Đ, case, punctuation)."""

from __future__ import annotations

import unicodedata

import pytest

from cityops.core.text import fold, nfc, search_terms

NFC = "NFC"
NFD = "NFD"


def nfd(text: str) -> str:
    return unicodedata.normalize(NFD, text)


# --- nfc -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Hỏa tốc", "Thượng khẩn", "Quyết định", "Đường Nguyễn Trãi", "ỹ ự ặ ẩ ộ"])
def test_nfc_makes_decomposed_input_identical(text):
    decomposed = nfd(text)
    assert decomposed != text  # the two really are different bytes
    assert nfc(decomposed) == text
    assert nfc(text) == text


def test_nfc_is_idempotent_and_keeps_ascii():
    assert nfc("QĐ-UBND 123/2026") == "QĐ-UBND 123/2026"
    assert nfc(nfc(nfd("Hỏa tốc"))) == "Hỏa tốc"
    assert nfc("") == ""


def test_nfc_composes_combining_marks_in_either_order():
    # "ệ" typed as e + dot below + circumflex, or e + circumflex + dot below, is one character after NFC.
    assert nfc("e\u0323\u0302") == "ệ"
    assert nfc("e\u0302\u0323") == "ệ"


# --- fold ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,folded",
    [
        ("Đường", "duong"),
        ("đường", "duong"),
        ("ĐƯỜNG", "duong"),
        ("Sở Xây dựng", "so xay dung"),
        ("văn bản", "van ban"),
        ("VĂN BẢN", "van ban"),
        ("Hỏa tốc, Thượng khẩn", "hoa toc, thuong khan"),
        ("Ủy ban nhân dân tỉnh Bắc Ninh", "uy ban nhan dan tinh bac ninh"),
        ("ăâêôơư ĂÂÊÔƠƯ", "aaeoou aaeoou"),
        ("àáảãạ ằắẳẵặ ầấẩẫậ", "aaaaa aaaaa aaaaa"),
        ("ỳýỷỹỵ", "yyyyy"),
        ("QĐ-UBND", "qd-ubnd"),
        ("", ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize("text", ["Đường", "Sở Xây dựng", "Hỏa tốc", "Nguyễn Thị Ánh", "Quyết định"])
def test_fold_same_for_nfc_and_nfd(text):
    assert fold(nfd(text)) == fold(text)


def test_fold_handles_d_with_stroke_which_unicodedata_does_not():
    # U+0110/U+0111 have no decomposition, so naive "strip combining marks" keeps them.
    assert unicodedata.normalize(NFD, "đ") == "đ"
    assert fold("đ") == "d" and fold("Đ") == "d"


def test_fold_collapses_whitespace_and_trims():
    assert fold("  Sở \t Xây\n\ndựng  ") == "so xay dung"
    assert fold("a\u00a0b") == "a b"  # no-break space


def test_fold_keeps_punctuation_and_digits():
    assert fold("Số 12/2026/NĐ-CP") == "so 12/2026/nd-cp"


def test_fold_is_idempotent():
    for text in ("Đường Lý Thái Tổ", "VĂN BẢN", nfd("Hỏa tốc")):
        assert fold(fold(text)) == fold(text)


def test_fold_eth_lookalike():
    assert fold("Ðường") == "duong"


def test_fold_drops_zero_width_characters():
    assert fold("van\u200bban") == "vanban"


# --- search_terms ----------------------------------------------------------------------------------------


def test_terms_are_folded_words_without_punctuation():
    assert search_terms("Sở Xây dựng!") == ["so", "xay", "dung"]
    assert search_terms("QĐ-UBND, 12/2026") == ["qd", "ubnd", "12", "2026"]


def test_terms_from_nfd_equal_terms_from_nfc():
    assert search_terms(nfd("Thượng khẩn")) == search_terms("Thượng khẩn") == ["thuong", "khan"]


def test_terms_are_unique_and_in_order():
    assert search_terms("văn bản VĂN BẢN van") == ["van", "ban"]


def test_terms_are_capped():
    words = " ".join(f"w{i}" for i in range(20))
    assert search_terms(words) == [f"w{i}" for i in range(8)]
    assert len(search_terms(words, max_terms=3)) == 3


@pytest.mark.parametrize("query", ["", "   ", "%", "%%% ???", "'\";--", "<>", "()"])
def test_punctuation_only_gives_no_terms(query):
    assert search_terms(query) == []


def test_hostile_input_keeps_only_words():
    assert search_terms("<script>alert(1)</script>") == ["script", "alert", "1"]
    assert search_terms("'; DROP TABLE x; --") == ["drop", "table", "x"]


def test_underscore_is_part_of_a_word():
    # Search escapes LIKE wildcards, so an underscore reaching the database is matched literally.
    assert search_terms("a_b") == ["a_b"]
