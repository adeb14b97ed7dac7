"""Vietnamese text handling: NFC on the way in, diacritic folding for search."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "nfc", "search_terms"]

_SPACES = re.compile(r"\s+")
_NON_WORD = re.compile(r"[^\w\s]", re.UNICODE)


def nfc(value: str) -> str:
    """Normalise to NFC so the same word typed on two keyboards is stored as the same bytes."""
    return unicodedata.normalize("NFC", value)


# đ/Đ, and the look-alike Ð/ð (Eth) that legacy TCVN3/VNI converters produce for them, fold to d.
_D_LIKE = str.maketrans({"đ": "d", "Đ": "d", "Ð": "d", "ð": "d"})


def fold(value: str) -> str:
    """Lower-case, strip diacritics (đ becomes d) and collapse spaces, so "Đường" matches "duong".

    Zero-width and other invisible format characters (category Cf) are dropped too: text pasted from
    word processors often carries them inside words.
    """
    decomposed = unicodedata.normalize("NFD", value.translate(_D_LIKE))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) not in {"Mn", "Cf"})
    return _SPACES.sub(" ", stripped.casefold()).strip()


def search_terms(query: str, *, max_terms: int = 8) -> list[str]:
    """Split a typed query into folded words, ignoring punctuation; capped so a query stays cheap."""
    words = _NON_WORD.sub(" ", fold(nfc(query))).split()
    unique: list[str] = []
    for word in words:
        if word not in unique:
            unique.append(word)
    return unique[:max_terms]
