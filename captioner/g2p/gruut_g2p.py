"""G2P backend: gruut 2.4 (MIT) with its en/de/fr/es lexicons and trained G2P, whole-sequence context."""
from __future__ import annotations

import re
import unicodedata
from typing import Sequence

NAME = "gruut"
LANGUAGES = ("en", "de", "fr", "es")
_LANG = {"en": "en-us", "de": "de-de", "fr": "fr-fr", "es": "es-es"}
_CAPS = re.compile(r"^[A-ZÄÖÜÉÈÀÁÍÓÚÑ]{4,}$")
_VOWEL = re.compile(r"[AEIOUYÄÖÜÉÈÀÁÍÓÚ]")


def available() -> bool:
    try:
        import gruut  # noqa: F401
    except ImportError:
        return False
    return True


def _key(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def _prepare(word: str) -> str:
    # an all-caps word that can be read (>= 4 letters, has a vowel) is read, not spelled: "GLOW" -> "glow"
    return " ".join(t.lower() if _CAPS.match(t) and _VOWEL.search(t) else t for t in word.split())


def _run(text: str, language: str) -> list[tuple[str, list[str]]]:
    from gruut import sentences

    out = []
    for sent in sentences(text, lang=_LANG[language]):
        for w in sent:
            if w.is_spoken and w.phonemes:
                out.append((w.text, list(w.phonemes)))
    return out


def phonemize(words: Sequence[str], language: str) -> list[list[str]]:
    """Phones per word; the words are read as one text (liaison, homographs), mapped back by spelling."""
    if language not in LANGUAGES:
        raise ValueError(f"gruut backend: no language {language!r}")
    prepared = [_prepare(w) for w in words]
    res = _run(" ".join(p for p in prepared if p.strip()), language)
    out: list[list[str]] = []
    k = 0
    for p in prepared:
        want = _key(p)
        if not want:
            out.append([])
            continue
        got, phones = "", []
        while k < len(res) and len(got) < len(want):
            got += _key(res[k][0])
            phones += res[k][1]
            k += 1
        if got != want:  # gruut rewrote the text (numbers, abbreviations): read each word on its own
            return [[ph for _, ps in _run(p, language) for ph in ps] if _key(p) else [] for p in prepared]
        out.append(phones)
    return out
