"""G2P backend: Hindi in Devanagari -> IPA by rule (ours): letters, matras, nukta, anusvara, schwa deletion.

Hindi spelling is close to phonemic; what the letters do not show is which inherent vowels (schwa)
are silent. Rules: a consonant without a vowel sign or virama carries an inherent ``ə``; the word-final
one is silent (except in a word of one consonant, "न"), and a medial one is silent between a
vowel + consonant and a consonant + vowel (V C _ C V, scanning right to left: "कमरा" kəmraː,
"समझना" səməd͡ʒʱnaː, "दमकती" dəməkt̪iː). Anusvara before a consonant is the nasal of its place; elsewhere it (and
chandrabindu) nasalises the vowel, which the acoustic model does not distinguish, so it is dropped.
"""
from __future__ import annotations

import unicodedata
from typing import Sequence

NAME = "hindi"
LANGUAGES = ("hi",)

_CONS = {
    "क": "k", "ख": "kʰ", "ग": "g", "घ": "gʱ", "ङ": "ŋ",
    "च": "t͡ʃ", "छ": "t͡ʃʰ", "ज": "d͡ʒ", "झ": "d͡ʒʱ", "ञ": "ɲ",
    "ट": "ʈ", "ठ": "ʈʰ", "ड": "ɖ", "ढ": "ɖʱ", "ण": "ɳ",
    "त": "t̪", "थ": "t̪ʰ", "द": "d̪", "ध": "d̪ʱ", "न": "n",
    "प": "p", "फ": "pʰ", "ब": "b", "भ": "bʱ", "म": "m",
    "य": "j", "र": "r", "ल": "l", "व": "ʋ", "श": "ʃ", "ष": "ʂ", "स": "s", "ह": "ɦ", "ळ": "ɭ",
}
_NUKTA = {"क": "q", "ख": "x", "ग": "ɣ", "ज": "z", "फ": "f", "ड": "ɽ", "ढ": "ɽʱ", "य": "j"}
_MATRA = {"ा": "aː", "ि": "ɪ", "ी": "iː", "ु": "ʊ", "ू": "uː", "ृ": "rɪ", "े": "eː", "ै": "ɛː", "ो": "oː", "ौ": "ɔː",
          "ॅ": "æ", "ॉ": "ɔ", "ॆ": "e", "ॊ": "o"}
_VOWEL = {"अ": "ə", "आ": "aː", "इ": "ɪ", "ई": "iː", "उ": "ʊ", "ऊ": "uː", "ऋ": "rɪ", "ए": "eː", "ऐ": "ɛː", "ओ": "oː",
          "औ": "ɔː", "ऑ": "ɔ", "ऍ": "æ", "ऎ": "e", "ऒ": "o"}
_VIRAMA, _NUKTA_SIGN, _ANUSVARA, _CANDRA, _VISARGA = "\u094d", "\u093c", "\u0902", "\u0901", "\u0903"
_PLACE_NASAL = {"k": "ŋ", "g": "ŋ", "t͡ʃ": "ɲ", "d͡ʒ": "ɲ", "ʈ": "ɳ", "ɖ": "ɳ", "p": "m", "b": "m", "m": "m"}
_DIGITS = {str(i): d for i, d in enumerate("शून्य एक दो तीन चार पाँच छह सात आठ नौ".split())}


def available() -> bool:
    return True


def _segments(word: str) -> list[tuple[str, str]]:
    """(kind, ipa) per segment: kind C (consonant), V (vowel), S (inherent schwa), N (nasal), H (visarga)."""
    s = unicodedata.normalize("NFD", word)  # splits precomposed nukta letters (क़ -> क + ़)
    segs: list[tuple[str, str]] = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch in _CONS:
            ipa = _CONS[ch]
            j = i + 1
            if j < len(s) and s[j] == _NUKTA_SIGN:
                ipa = _NUKTA.get(ch, ipa)
                j += 1
            segs.append(("C", ipa))
            if j < len(s) and s[j] in _MATRA:
                segs.append(("V", _MATRA[s[j]]))
                j += 1
            elif j < len(s) and s[j] == _VIRAMA:
                j += 1
            else:
                segs.append(("S", "ə"))
            i = j
            continue
        if ch in _VOWEL:
            segs.append(("V", _VOWEL[ch]))
        elif ch == _ANUSVARA:
            segs.append(("N", "n"))
        elif ch == _CANDRA:
            pass
        elif ch == _VISARGA:
            segs.append(("H", "ɦ"))
        elif ch in _DIGITS:
            for k, ipa in _segments(_DIGITS[ch]):
                segs.append((k, ipa))
        i += 1
    return segs


def word_phones(word: str) -> list[str]:
    segs = _segments(word)
    n_cons = sum(1 for k, _ in segs if k == "C")
    # word-final inherent schwa is silent (unless the word is one consonant)
    if segs and segs[-1][0] == "S" and n_cons > 1:
        segs.pop()
    # medial schwa deletion: V C [ə] C V, right to left (the right context is already final)
    out = list(segs)
    for i in range(len(out) - 3, 1, -1):
        if out[i][0] == "S" and out[i - 1][0] == "C" and out[i - 2][0] in ("V", "S", "N") \
                and out[i + 1][0] == "C" and out[i + 2][0] in ("V", "S"):
            del out[i]
    phones: list[str] = []
    for i, (k, ipa) in enumerate(out):
        if k == "N":
            nxt = out[i + 1] if i + 1 < len(out) else None
            if nxt is None or nxt[0] != "C":
                continue  # nasalised vowel
            base = nxt[1].rstrip("ʰʱ̪")
            ipa = _PLACE_NASAL.get(base, "n")
        phones.append(ipa)
    return phones


def phonemize(words: Sequence[str], language: str = "hi") -> list[list[str]]:
    return [[p for tok in w.split() for p in word_phones(tok)] for w in words]
