"""Verify the language of a text: writing system for hi/zh (and other scripts), function words for Latin ones.

No model and no dependency: a transcript or ad script is short, and the pipeline only has to answer
"is this the pinned language?" for en, de, fr, es, hi, zh. Latin-script languages are told apart by their
most frequent function words plus a few orthographic cues (ß/ä/ö/ü, ñ/¿/¡, ç/œ/è/ê, apostrophe elision);
hi is Devanagari, zh is Han; Cyrillic, Arabic, kana and Hangul are recognised as "other" languages.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Optional

from .types import Finding, Severity

__all__ = ["detect_language", "check_language", "script_language_mismatch"]

_STOP = {
    "en": "the and to of a in is it you that for on with this your are be at as or not have just now get our all from "
          "by my we can will so do off only today free day out up more one no use code tap link order",
    "de": "der die das und ist nicht ein eine mit zu den dem sich auf für von es du ich sie wir im auch nur jetzt dir "
          "dich bei mehr noch aus wie so heute oder hier einen einem deine dein kostenlos",
    "fr": "le la les et est un une des du de pour pas que qui dans en au avec sur ce ta ton tes vous nous il elle plus "
          "ne se sa son mais tout toute aux cette votre maintenant seulement",
    "es": "el la los las y es un una de del que en por con para no se su lo al más tu te muy pero como ya este esta "
          "ahora solo hoy sin todo toda",
    "it": "il lo la gli le e di che per non un una con del della sono è anche più questo ma come ti",
    "pt": "o os as e de que não um uma com para do da em no na por você mais muito está isso são",
    "nl": "de het een en van is dat niet op te zijn met voor je ik er maar ook nu dit wat",
}
_STOP_SETS = {k: set(v.split()) for k, v in _STOP.items()}
_CUES = {
    "de": re.compile(r"[ßäöü]|sch|ung\b|chen\b|lich\b", re.I),
    "fr": re.compile(r"[çœèêëîôû]|\b[ldjcmnst]'|eau|aux\b", re.I),
    "es": re.compile(r"[ñ¿¡]|ción\b|[áíóú]", re.I),
    "en": re.compile(r"\bth|ing\b|\b\w+'s\b|ght\b|\bw", re.I),
}

_SCRIPTS = (
    ("hi", lambda c: "\u0900" <= c <= "\u097f"),
    ("zh", lambda c: "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf"),
    ("ja", lambda c: "\u3040" <= c <= "\u30ff"),
    ("ko", lambda c: "\uac00" <= c <= "\ud7af"),
    ("ru", lambda c: "\u0400" <= c <= "\u04ff"),
    ("ar", lambda c: "\u0600" <= c <= "\u06ff"),
    ("latin", lambda c: c.isalpha() and c < "\u0250"),
)


def _script_counts(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for c in text:
        for name, test in _SCRIPTS:
            if test(c):
                counts[name] = counts.get(name, 0) + 1
                break
        else:
            if c.isalpha() or unicodedata.category(c).startswith("M"):
                counts["other"] = counts.get("other", 0) + 1  # Gurmukhi, Tibetan … (a looping decoder's debris)
    if counts.get("ja") and counts.get("zh"):  # kana present: Japanese, Han are kanji
        counts["ja"] += counts.pop("zh")
    return counts


def detect_language(text: str) -> tuple[str, float]:
    """Most likely language of `text` and a confidence 0..1 ("unknown", 0.0 when there is too little text)."""
    text = unicodedata.normalize("NFC", re.sub(r"\{[^}]*\}", " ", text or ""))
    counts = _script_counts(text)
    total = sum(counts.values())
    if total == 0:
        return "unknown", 0.0
    top, n = max(counts.items(), key=lambda kv: kv[1])
    if top != "latin":
        return top, round(n / total, 3)
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", text.lower())
    if not words:
        return "unknown", 0.0
    scores = {}
    for lang, stops in _STOP_SETS.items():
        hits = sum(1 for w in words if w in stops or w.split("'")[-1] in stops or w.split("'")[0] + "'" in ("l'", "d'", "j'", "c'", "m'", "n'", "s'", "t'") and lang == "fr")
        cue = _CUES.get(lang)
        bonus = 0.5 * len(cue.findall(text)) if cue else 0.0
        scores[lang] = hits + bonus
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    (best, s1), (_, s2) = ranked[0], ranked[1]
    if s1 <= 0:
        return "unknown", 0.0
    margin = (s1 - s2) / s1
    evidence = min(1.0, s1 / max(3.0, 0.25 * len(words)))
    return best, round(max(0.0, min(1.0, 0.5 * margin + 0.5 * evidence)), 3)


def check_language(text: str, expected: str) -> tuple[bool, str, float]:
    """(ok, detected, confidence): is `text` in the `expected` language?

    ok is True when the detected language is the expected one, or when the text is too short or too
    ambiguous to say otherwise (confidence < 0.35 for Latin languages); a different writing system
    (Devanagari vs Latin vs Han) is always decisive.
    """
    if expected in ("hi", "zh"):
        # a Devanagari/Han language: most letters must be in its writing system (brand names and codes in
        # Latin are fine, "GLOWRA20 ੇ ੇ ੇ" is not)
        counts = _script_counts(unicodedata.normalize("NFC", text or ""))
        total = sum(counts.values())
        if total >= 3 and counts.get(expected, 0) < 0.5 * total:
            top = max(counts.items(), key=lambda kv: kv[1])[0]
            return False, top, round(1 - counts.get(expected, 0) / total, 3)
    detected, conf = detect_language(text)
    if detected == "unknown":
        return True, detected, conf
    if detected == expected:
        return True, detected, conf
    exp_latin = expected not in ("hi", "zh", "ja", "ko", "ru", "ar")
    det_latin = detected not in ("hi", "zh", "ja", "ko", "ru", "ar", "other")
    if exp_latin and det_latin:
        n_words = len(re.findall(r"\w+", text))
        if conf < 0.35 or n_words < 4:
            return True, detected, conf
        return False, detected, conf
    if expected in ("hi", "zh") and detected == "latin":
        return False, detected, conf
    return False, detected, conf


def script_language_mismatch(script: str, audio_language: str) -> Optional[Finding]:
    """A warning finding when the ad script is written in another language than the audio, else None."""
    if not script or not script.strip():
        return None
    # numbers with their signs ("2M+", "-20 %"), words with digits in them and promo codes say nothing about language
    text = re.sub(r"[#+\-−]?[A-Za-z]*\d[\d.,]*[A-Za-z%+×★]*|[A-Z]{2,}\d*|(?<!\S)[%€$₹¥£+]+(?!\S)", " ", script)
    ok, detected, conf = check_language(text, audio_language)
    if ok:
        return None
    return Finding(kind="script_language_mismatch", severity=Severity.warning,
                   message=f"the script looks like {detected!r} (confidence {conf:.2f}) but the audio language is "
                           f"{audio_language!r}: spelling corrections from it are unlikely to match — check the script file")
