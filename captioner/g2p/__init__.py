"""Grapheme-to-phoneme: IPA phones for caption words, per language, behind one interface.

    from captioner import g2p
    g2p.phonemize(["Tired", "of", "dull", "skin"], "en")   # -> [["t", "ˈaɪ", "ɚ", "d"], ["ə", "v"], ...]

One phone list per input word (a word may hold several spoken tokens, "forty nine dollars"); the
backend may use the whole sequence as context (French liaison). Words with nothing to pronounce give
``[]``. Phones are IPA strings as the backend writes them (stress marks, length, tie bars included);
``captioner.phones.PhoneModel.tokenize`` maps them onto the acoustic model's tokens.

Backends (each a module in this package with ``NAME``, ``LANGUAGES`` and ``phonemize(words, language)``):

* ``gruut`` (MIT; gruut 2.4 + gruut-lang-en/de/fr/es): lexicon + trained G2P, sentence context — en, de, fr, es.
* ``hindi`` (ours): Devanagari -> IPA rules with schwa deletion — hi.
* ``pinyin`` (ours, on pypinyin, MIT): Han characters -> pinyin (word-level polyphone context) -> IPA — zh.
* ``espeak`` (GPL-3, optional extra ``captioner[espeak]``: espeakng-loader's libespeak-ng 1.52) — all six.

Latin-script words inside hi/zh text (brand names, codes) go to the English backend.
The per-language default and why is in ``DEFAULTS`` below (measured: docs/BENCHMARKS.md "Word alignment").
"""
from __future__ import annotations

import importlib
import re
from typing import Optional, Sequence

# language -> backend used by default (permissive licences only)
DEFAULTS: dict[str, str] = {"en": "gruut", "de": "gruut", "fr": "gruut", "es": "gruut", "hi": "hindi", "zh": "pinyin"}

BACKENDS = ("gruut", "hindi", "pinyin", "espeak")

_LATIN = re.compile(r"[A-Za-z]")
_NATIVE = {"hi": re.compile(r"[\u0900-\u097f]"), "zh": re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")}


def backend(name: str):
    """The backend module `name` (ImportError with an install hint when its package is missing)."""
    if name not in BACKENDS:
        raise ValueError(f"unknown G2P backend {name!r}: one of {', '.join(BACKENDS)}")
    return importlib.import_module(f"{__name__}.{name}_g2p")


def available(name: str) -> bool:
    try:
        return backend(name).available()
    except ImportError:
        return False


def phonemize(words: Sequence[str], language: str, *, backend_name: Optional[str] = None) -> list[list[str]]:
    """IPA phones per word of `words` (spoken forms) in `language` (en, de, fr, es, hi, zh)."""
    lang = (language or "en").lower().split("-")[0]
    name = backend_name or DEFAULTS.get(lang)
    if name is None:
        raise ValueError(f"no G2P for language {language!r}: one of {', '.join(DEFAULTS)}")
    words = [w or "" for w in words]
    out: list[list[str]] = [[] for _ in words]
    native = _NATIVE.get(lang)
    # hi/zh: words in Latin script only (brands, codes) are read as English
    foreign = [i for i, w in enumerate(words) if native is not None and _LATIN.search(w) and not native.search(w)]
    own = [i for i in range(len(words)) if i not in set(foreign)]
    if own:
        res = backend(name).phonemize([words[i] for i in own], lang)
        for i, r in zip(own, res):
            out[i] = r
    if foreign:
        en = DEFAULTS["en"] if name != "espeak" else "espeak"
        res = backend(en).phonemize([words[i] for i in foreign], "en")
        for i, r in zip(foreign, res):
            out[i] = r
    return out
