"""G2P backend: Mandarin — Han characters -> pinyin (pypinyin, MIT; word-level polyphone context) -> IPA (our table).

Tones are not kept: the acoustic model has no tones. Initials and finals follow the standard pinyin
-> IPA correspondence (e.g. j q x = tɕ tɕʰ ɕ, zh ch sh r = ʈʂ ʈʂʰ ʂ ʐ, "i" after z c s / zh ch sh r
= ɨ, ü = y). Digits in a word are read one by one (the aligner passes spoken forms, so they are rare).
"""
from __future__ import annotations

import re
from typing import Sequence

NAME = "pinyin"
LANGUAGES = ("zh",)

_INITIALS = {
    "zh": "ʈʂ", "ch": "ʈʂʰ", "sh": "ʂ", "b": "p", "p": "pʰ", "m": "m", "f": "f", "d": "t", "t": "tʰ", "n": "n",
    "l": "l", "g": "k", "k": "kʰ", "h": "x", "j": "tɕ", "q": "tɕʰ", "x": "ɕ", "r": "ʐ", "z": "ts", "c": "tsʰ",
    "s": "s",
}
_FINALS = {
    "a": "a", "o": "o", "e": "ɤ", "i": "i", "u": "u", "v": "y", "ai": "aɪ", "ei": "eɪ", "ao": "aʊ", "ou": "oʊ",
    "an": "a n", "en": "ə n", "ang": "a ŋ", "eng": "ə ŋ", "ong": "ʊ ŋ", "er": "ɚ",
    "ia": "j a", "ie": "j ɛ", "iao": "j aʊ", "iu": "j oʊ", "ian": "j ɛ n", "in": "i n", "iang": "j a ŋ",
    "ing": "i ŋ", "iong": "j ʊ ŋ", "ua": "w a", "uo": "w o", "uai": "w aɪ", "ui": "w eɪ", "uan": "w a n",
    "un": "w ə n", "uang": "w a ŋ", "ueng": "w ə ŋ", "ve": "ɥ ɛ", "ue": "ɥ ɛ", "van": "ɥ ɛ n", "vn": "y n",
    "ê": "ɛ", "m": "m", "n": "n", "ng": "ŋ",
}
# syllables written with y/w (no initial)
_YW = {
    "yi": "i", "ya": "j a", "yo": "j o", "ye": "j ɛ", "yao": "j aʊ", "you": "j oʊ", "yan": "j ɛ n", "yin": "i n",
    "yang": "j a ŋ", "ying": "i ŋ", "yong": "j ʊ ŋ", "yu": "y", "yue": "ɥ ɛ", "yuan": "ɥ ɛ n", "yun": "y n",
    "wu": "u", "wa": "w a", "wo": "w o", "wai": "w aɪ", "wei": "w eɪ", "wan": "w a n", "wen": "w ə n",
    "wang": "w a ŋ", "weng": "w ə ŋ",
}
_DIGITS = "零一二三四五六七八九"
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def available() -> bool:
    try:
        import pypinyin  # noqa: F401
    except ImportError:
        return False
    return True


def syllable_ipa(syl: str) -> list[str]:
    """IPA phones of one toneless pinyin syllable ("zhong" -> ["ʈʂ", "ʊ", "ŋ"]); [] if not pinyin."""
    s = syl.lower().replace("ü", "v").replace("u:", "v")
    s = re.sub(r"[1-5]$", "", s)
    if s in _YW:
        return _YW[s].split()
    for ini in ("zh", "ch", "sh"):
        if s.startswith(ini):
            init, fin = ini, s[len(ini):]
            break
    else:
        init, fin = (s[0], s[1:]) if s and s[0] in _INITIALS and s not in _FINALS else ("", s)
    if init in ("j", "q", "x") and fin.startswith("u"):
        fin = "v" + fin[1:]
    if fin == "i" and init in ("z", "c", "s", "zh", "ch", "sh", "r"):
        body = ["ɨ"]
    elif fin in _FINALS:
        body = _FINALS[fin].split()
    else:
        return []
    return ([_INITIALS[init]] if init else []) + body


def phonemize(words: Sequence[str], language: str = "zh") -> list[list[str]]:
    """Phones per word; the Han characters of all words are read as one text (polyphones: 行 xing/hang)."""
    from pypinyin import Style, lazy_pinyin

    texts = ["".join(_DIGITS[int(ch)] if ch.isdigit() and ch.isascii() else ch for ch in w) for w in words]
    han = "".join(ch for t in texts for ch in t if _HAN.match(ch))
    syls = lazy_pinyin(han, style=Style.TONE3, neutral_tone_with_five=True, v_to_u=False) if han else []
    if len(syls) != len(han):  # pypinyin kept something as one item: read word by word
        syls = [s for t in texts for piece in re.findall(_HAN.pattern + "+", t)
                for s in lazy_pinyin(piece, style=Style.TONE3, neutral_tone_with_five=True, v_to_u=False)]
    k = 0
    out = []
    for t in texts:
        phones: list[str] = []
        for piece in re.findall(r"[\u3400-\u9fff\uf900-\ufaff]|[A-Za-z]+", t):
            if _HAN.match(piece):
                phones += syllable_ipa(syls[k]) if k < len(syls) else []
                k += 1
            else:  # pinyin typed in Latin letters
                phones += syllable_ipa(piece)
        out.append(phones)
    return out
