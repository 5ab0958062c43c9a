"""G2P backend: gruut's MIT pronunciation data read directly — lexicon (sqlite) + CRF guesser for unknown words.

The data packages ``gruut-lang-en/de/fr/es`` (MIT) hold ``lexicon.db`` (word -> IPA, several
pronunciations per word) and ``g2p/model.crf`` (a CRFsuite model that tags each letter with its phones).
We read them with ``sqlite3`` and ``python-crfsuite`` (MIT) instead of importing the ``gruut`` package,
which hard-requires ``num2words`` (LGPL-2.1) for its text normaliser — the aligner gets spoken forms
already, so it needs no normaliser. Per word: lower-case (ß -> ss, as the lexicons spell it), whole-word
lookup, else the parts of a hyphenated/apostrophe word, else the CRF. French liaison: when the next word
starts with a vowel and the lexicon lists a variant one phone longer that ends in a linking
consonant (``les`` l e / l ɛ z, ``vingt`` v ɛ̃ / v ɛ̃ t), the variant is used.
The CRF features follow the layout the models were trained with (gruut 2.4 ``g2p.py``): per letter
a bias, the letter, the 3 letters before and after, begin/end flags, strings base64-encoded; labels are
base64 phone groups joined by "|", "_" = no phone.
"""
from __future__ import annotations

import base64
import re
import sqlite3
import threading
import unicodedata
from functools import lru_cache
from importlib import import_module
from pathlib import Path
from typing import Optional, Sequence

NAME = "lexicon"
LANGUAGES = ("en", "de", "fr", "es")
_LOCK = threading.Lock()
_VOWELS = set("aeiouyæøœɑɒɔəɛɜɪʊʌɐɨʉɯɤ")
_LIAISON = {"z", "t", "n", "ʁ", "p", "v"}
_EDGE = re.compile(r"^[\W_]+|[\W_]+$")


def available() -> bool:
    try:
        import pycrfsuite  # noqa: F401

        import_module("gruut_lang_en")
    except ImportError:
        return False
    return True


class _Lang:
    def __init__(self, language: str):
        try:
            pkg = import_module(f"gruut_lang_{language}")
        except ImportError as e:
            raise ImportError(f"the lexicon G2P needs gruut-lang-{language} (pip install gruut-lang-{language})") from e
        d = Path(pkg.get_lang_dir())
        # the packaged database has no index on `word` (a lookup scans 130,000–280,000 rows: ~6 ms, 0.6 s for
        # a 15 s ad's words); an in-memory copy with an index costs ~0.12 s once per language and process
        disk = sqlite3.connect(f"file:{d / 'lexicon.db'}?mode=ro", uri=True)
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        # the index's sort stays in memory too: by default SQLite sorts in temporary files under TMPDIR, and a full
        # /tmp turned every caption job into a traceback ("database or disk is full")
        self.db.execute("PRAGMA temp_store = MEMORY")
        try:
            disk.backup(self.db)
        finally:
            disk.close()
        self.db.execute("CREATE INDEX IF NOT EXISTS captioner_word ON word_phonemes(word, pron_order)")
        import pycrfsuite

        self.crf = pycrfsuite.Tagger()
        self.crf.open(str(d / "g2p" / "model.crf"))

    def prons(self, word: str) -> list[list[str]]:
        rows = self.db.execute("SELECT phonemes FROM word_phonemes WHERE word = ? ORDER BY pron_order", (word,)).fetchall()
        return [r[0].split() for r in rows]

    def guess(self, word: str) -> list[str]:
        w = unicodedata.normalize("NFC", word)
        if not w:
            return []
        feats = [_features(w, i) for i in range(len(w))]
        out = []
        for lab in self.crf.tag(feats):
            for p in base64.b64decode(lab.encode("ascii")).decode().split("|"):
                if p and p != "_":
                    out.append(p)
        return out


def _enc(s: str) -> str:
    return base64.b64encode(s.encode()).decode("ascii")


def _features(w: str, i: int) -> dict:
    f: dict = {"bias": 1.0, "grapheme": _enc(w[i])}
    if i == 0:
        f["begin"] = True
    for j in range(1, 4):
        if i >= j:
            f[f"grapheme-{j}"] = _enc(w[i - j])
        if i < len(w) - j:
            f[f"grapheme+{j}"] = _enc(w[i + j])
    if i == len(w) - 1:
        f["end"] = True
    return f


@lru_cache(maxsize=None)
def _lang(language: str) -> _Lang:
    return _Lang(language)


def _norm(token: str) -> str:
    t = unicodedata.normalize("NFC", token).lower().replace("ß", "ss").replace("’", "'")
    return _EDGE.sub("", t)


def _word(lx: _Lang, token: str) -> list[list[str]]:
    """All pronunciations of one token (the first is the default)."""
    w = _norm(token)
    if not w:
        return [[]]
    p = lx.prons(w)
    if p:
        return p
    parts = [x for x in re.split(r"[-']", w) if x]
    if len(parts) > 1:
        out: list[str] = []
        for part in parts:
            out += (lx.prons(part) or [lx.guess(part)])[0]
        return [out]
    return [lx.guess(w)]


def _starts_with_vowel(ph: Sequence[str]) -> bool:
    if not ph:
        return False
    first = unicodedata.normalize("NFD", ph[0].lstrip("ˈˌ"))
    return bool(first) and first[0] in _VOWELS


def phonemize(words: Sequence[str], language: str) -> list[list[str]]:
    """Phones per word (each word may hold several space-separated tokens)."""
    if language not in LANGUAGES:
        raise ValueError(f"lexicon backend: no language {language!r}")
    with _LOCK:
        lx = _lang(language)
        toks = [(wi, t) for wi, w in enumerate(words) for t in w.split()]
        prons = [_word(lx, t) for _, t in toks]
    chosen = [p[0] for p in prons]
    if language == "fr":
        for k in range(len(toks) - 1):
            if not _starts_with_vowel(chosen[k + 1]):
                continue
            base = chosen[k]
            for alt in prons[k][1:]:
                if len(alt) == len(base) + 1 and alt[0] == base[0] and alt[-1] in _LIAISON:
                    chosen[k] = alt
                    break
    out: list[list[str]] = [[] for _ in words]
    for (wi, _), ph in zip(toks, chosen):
        out[wi] += ph
    return out
