"""Grapheme-to-phoneme: IPA phones for caption words, per language, behind one interface.

    from captioner import g2p
    g2p.phonemize(["Tired", "of", "dull", "skin"], "en")   # -> [["t", "ˈaɪ", "ɚ", "d"], ["ə", "v"], ...]

One phone list per input word (a word may hold several spoken tokens, "forty nine dollars"); the
backend may use the whole sequence as context (French liaison, Mandarin polyphones). Words with
nothing to pronounce give ``[]``. Phones are IPA strings as the backend writes them (stress marks,
length, tie bars included); ``captioner.phones.PhoneModel.tokenize`` maps them onto the acoustic
model's tokens. Latin-script words inside hi/zh text (brand names, codes) are read as English.

Backends (each a module ``<name>_g2p`` with ``LANGUAGES``, ``available()`` and ``phonemize(words, language)``):

* ``lexicon`` (en, de, fr, es): gruut's MIT lexicons + CRF models (packages ``gruut-lang-*``) read with
  sqlite3 + python-crfsuite, French liaison from the lexicon's variants. Same phones as the ``gruut``
  package (identical alignment figures on seed 101), without its LGPL ``num2words`` dependency.
* ``hindi`` (hi): our Devanagari rules with schwa deletion.
* ``pinyin`` (zh): pypinyin (MIT) for the readings + our pinyin -> IPA table.
* ``espeak`` (all six): libespeak-ng 1.52 from ``espeakng-loader`` — GPL-3, only with the optional
  extra ``pip install 'captioner[espeak]'``.

Decision (docs/BENCHMARKS.md "Word alignment"; `python benchmarks/bench_align.py --tune seed101,seed101-m
--g2p default,espeak --g2p-only`): onset error of the phone aligner on the generated TUNING ads (seed 101,
16 ads per language, clean / under a music bed, one common lag per G2P) —

    mean ms      en         de         fr         es         hi         zh
    permissive   15.8/16.9  23.7/23.0  20.0/24.2  19.5/21.0  21.0/27.9  21.0/21.6
    espeak 1.52  15.8/16.8  22.8/23.3  18.5/20.6  19.0/20.1  21.2/23.7  20.2/22.3

The permissive backends are the default everywhere. espeak is used, when installed, only where it
helped by >= 1 ms on the clean or the music set and was not worse on the other: French (liaison,
1.5 / 3.6 ms) and Hindi (4.2 ms under music). ``ESPEAK_PREFERRED`` lists them.
"""
from __future__ import annotations

import importlib
import re
from typing import Optional, Sequence

# language -> backend used by default (permissive licences only)
DEFAULTS: dict[str, str] = {"en": "lexicon", "de": "lexicon", "fr": "lexicon", "es": "lexicon", "hi": "hindi", "zh": "pinyin"}
# languages where espeak 1.52, when installed (GPL extra), measurably beat the default (see above)
ESPEAK_PREFERRED = ("fr", "hi")

BACKENDS = ("lexicon", "hindi", "pinyin", "espeak")

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


def choose(language: str) -> str:
    """The backend `phonemize` uses for `language` when none is named."""
    lang = (language or "en").lower().split("-")[0]
    if lang not in DEFAULTS:
        raise ValueError(f"no G2P for language {language!r}: one of {', '.join(DEFAULTS)}")
    if lang in ESPEAK_PREFERRED and available("espeak"):
        return "espeak"
    return DEFAULTS[lang]


def phonemize(words: Sequence[str], language: str, *, backend_name: Optional[str] = None) -> list[list[str]]:
    """IPA phones per word of `words` (spoken forms) in `language` (en, de, fr, es, hi, zh)."""
    lang = (language or "en").lower().split("-")[0]
    name = backend_name or choose(lang)
    words = [w or "" for w in words]
    out: list[list[str]] = [[] for _ in words]
    native = _NATIVE.get(lang)
    # hi/zh: words in Latin script only (brands, codes) are read as English
    foreign = {i for i, w in enumerate(words) if native is not None and _LATIN.search(w) and not native.search(w)}
    own = [i for i in range(len(words)) if i not in foreign]
    if own:
        res = backend(name).phonemize([words[i] for i in own], lang)
        for i, r in zip(own, res):
            out[i] = r
    if foreign:
        en = "espeak" if name == "espeak" else DEFAULTS["en"]
        res = backend(en).phonemize([words[i] for i in sorted(foreign)], "en")
        for i, r in zip(sorted(foreign), res):
            out[i] = r
    return out
