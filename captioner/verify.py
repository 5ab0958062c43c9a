"""Acoustic check of numbers and prices: which reading of a number does the audio support?

The correction stage compares numbers by what the recogniser heard. That leaves two holes: the recogniser can
mishear a number the voice said as written (espeak "doscientos cincuenta" heard as "150" by both passes), and
for voices it cannot follow at all (espeak French/Hindi) the captions fall back to the script, so a price the
voice changed would go unseen. `verify_numbers` closes both with the Whisper decoder as a judge of competing
readings: each reading is written into the whole caption text (numbers in their spoken form) and scored
teacher-forced against the audio, with the same `ctranslate2` call the aligner uses.

The score of a reading is its pointwise mutual information with the audio, log p(text | audio) −
log p(text | silence), summed over the tokens. The plain likelihood prefers short and common numbers ("dix"
over "trente", "二百六十元" over "二百六十九元"); subtracting the decoder's audio-free prior removes that bias.
Measured on the 27 DEV ads (docs/BENCHMARKS.md, "Acoustic number check"): a deviated price beats the script's
reading by 8.0–13.1 nats; a value said as written never loses to a one-digit change by more than 3.1. On 50
fresh espeak ads checked blind (`benchmarks/bench_numbers.py`, seed 7) honest prices reached +7.5 and most
deviations scored 9–24, hence a flag margin of 8.

Three checks, all in nats of PMI:
- dispute: the recogniser heard X where the script has S. If S beats X by ≥ `overturn_margin`, the audio
  supports the script: the caption keeps S, and a warning (not a silent fix) says what the recogniser heard.
- witness: the prompted pass heard the script's value, the unprompted witness another: the two readings are
  judged the same way (the witness's reading must win by ≥ `flag_margin` to be flagged).
- blind: where the captions fell back to the script (nobody heard the voice), every claim and number is scored
  against every one-digit change of its value. A change that wins by ≥ `flag_margin` is a deviation: the
  caption shows that reading and a mismatch finding (error for prices, percentages, codes) is raised. If the
  script's value wins, the claim is marked verified (info). Only there: where the recogniser follows the voice,
  a one-digit search adds noise (+5.4 nats for a wrong reading on a 15 s English ad) and costs 2–4 s a price.
- gate: where the decoder cannot follow the voice at all (espeak Chinese: ≤ 0.17 nats per token of the caption
  text; every other DEV ad ≥ 0.88), its judgement is noise; findings are then left as they are and say so.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Optional, Sequence

import numpy as np

from . import numbers as num
from .types import Finding, Severity, Word

__all__ = ["VerifyOptions", "Judge", "verify_numbers", "one_digit_changes"]

SAMPLE_RATE = 16000
WINDOW_S = 30.0
MAX_TOKENS = 400
CLAIMS = ("price", "percent", "discount", "code")
_PUNCT = "\"'“”‘’«»„.,!?;:…()[]{}¡¿、，。！？；：（）—–-"


@dataclass
class VerifyOptions:
    """Margins in nats of PMI (measured on the DEV ads; see the module docstring)."""

    flag_margin: float = 8.0  # a one-digit change must win by this much to be flagged as what was said
    overturn_margin: float = 2.0  # the script's reading must beat the recogniser's by this much to be kept
    min_hearing: float = 0.5  # mean PMI per token of the caption text below which the decoder is not a judge


def one_digit_changes(value: Decimal) -> list[Decimal]:
    """Every value that differs from `value` in exactly one digit (no new leading zero)."""
    s = format(value, "f")
    whole = s.split(".")[0]
    out: set[Decimal] = set()
    for i, ch in enumerate(s):
        if not ch.isdigit():
            continue
        for d in "0123456789":
            if d == ch or (i == 0 and d == "0" and len(whole) > 1):
                continue
            out.add(Decimal(s[:i] + d + s[i + 1:]))
    return sorted(out)


def _amount(text: str, language: str) -> Optional[num.Amount]:
    a = num.parse_written(text.strip(_PUNCT + " \u00a0"), language)
    if a is None or a.value is None or a.kind == "date":
        return None
    return a


def _spoken(w: Word, language: str) -> str:
    a = _amount(w.text, language)
    if a is None:
        return w.text
    return w.spoken or num.spoken_form(a, language)


def _join(parts: Sequence[str], language: str) -> str:
    return ("" if language == "zh" else " ").join(p for p in parts if p)


class Judge:
    """Teacher-forced PMI scores of texts against one ≤ 30 s window of audio (Whisper decoder)."""

    _null_cache: dict = {}

    def __init__(self, model, audio: np.ndarray, language: str):
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import pad_or_trim

        self.model = model
        self.language = language
        self._memo: dict[str, tuple[float, int]] = {}
        self.tokenizer = Tokenizer(model.hf_tokenizer, True, task="transcribe", language=language)
        from .align import encode_window

        # encode only the audio there is (+0.5 s), not 30 s of padding: 0.23 s instead of 0.8 s for a 10 s ad;
        # the aligner then reuses this encoder output
        self.enc, self.n_frames = encode_window(model, audio[: int(WINDOW_S * SAMPLE_RATE)])
        width = int(self.enc.shape[1]) * 2
        key = (id(model), width)
        if key not in Judge._null_cache:
            if len(Judge._null_cache) >= 8:
                Judge._null_cache.clear()
            zf = model.feature_extractor(np.zeros(int(WINDOW_S * SAMPLE_RATE), np.float32))
            Judge._null_cache[key] = model.encode(np.ascontiguousarray(pad_or_trim(zf, width), dtype=np.float32))
        self.null = Judge._null_cache[key]

    def tokens(self, text: str) -> list[int]:
        return self.tokenizer.encode(text if self.language == "zh" else " " + text)

    def _logp(self, enc, toks: list[int]) -> np.ndarray:
        res = self.model.model.align(enc, self.tokenizer.sot_sequence, [toks], self.n_frames, median_filter_width=1)[0]
        p = np.asarray(res.text_token_probs, dtype=np.float64)
        return np.log(np.maximum(p, 1e-12))

    def pmi(self, text: str) -> tuple[float, int]:
        """(PMI summed over tokens, number of tokens). Memoised: the caption text with the script's own
        reading is both the gate's text and the script's score."""
        hit = self._memo.get(text)
        if hit is None:
            toks = self.tokens(text)
            if not toks or len(toks) > MAX_TOKENS:
                hit = (float("nan"), len(toks))
            else:
                hit = (float(np.sum(self._logp(self.enc, toks)) - np.sum(self._logp(self.null, toks))), len(toks))
            self._memo[text] = hit
        return hit


@dataclass
class _Target:
    index: int  # word index
    mode: str  # "dispute" | "blind"
    script: num.Amount
    script_text: str
    heard: Optional[num.Amount]
    finding: Optional[Finding]


def _window(words: list[Word], i: int, duration: float) -> tuple[float, float, list[int]]:
    t = words[i].start
    a = max(0.0, min(t - WINDOW_S / 2, duration - WINDOW_S))
    b = min(duration, a + WINDOW_S)
    idx = [k for k, w in enumerate(words) if w.start >= a - 0.05 and w.end <= b + 0.05] if duration > WINDOW_S else list(range(len(words)))
    if i not in idx:
        idx = sorted(set(idx) | {i})
    return a, b, idx


def _targets(words: list[Word], findings: list[Finding], language: str) -> list[_Target]:
    out: dict[int, _Target] = {}
    fallback = any(f.kind == "asr_unreliable" for f in findings) and words and all(w.source == "script" for w in words)
    for f in findings:
        if len(f.word_indices) != 1 or not (0 <= f.word_indices[0] < len(words)):
            continue
        i = f.word_indices[0]
        if f.kind in ("price_mismatch", "number_mismatch") and f.script_text:
            s = _amount(f.script_text, language)
            h = _amount(words[i].text, language)
            if s is not None and h is not None and s.kind == h.kind:
                out[i] = _Target(i, "dispute", s, f.script_text, h, f)
        elif f.kind == "unverified_claim":
            s = _amount(words[i].text, language)
            if s is None:
                continue
            heard = num.primary_value(num.parse_spoken(f.spoken_text, language), like=s) if f.spoken_text else None
            if not fallback and heard is not None and heard.value is not None and heard.value != s.value:
                # the prompted pass heard the script's value, the witness another: judge those two readings
                # (a one-digit search there only adds noise: +5.4 nats for "$10.99" on a 15 s English ad
                # whose voice said $19.99 and whose witness heard "99")
                out[i] = _Target(i, "witness", s, words[i].text.strip(_PUNCT + " "), _with(s, heard.value), f)
            else:  # nobody heard a number here: search every one-digit change
                out[i] = _Target(i, "blind", s, words[i].text.strip(_PUNCT + " "), heard, f)
    if fallback:  # plain numbers of a script fallback are just as unchecked
        for i, w in enumerate(words):
            a = _amount(w.text, language)
            if i not in out and a is not None and a.kind == "number":
                out[i] = _Target(i, "blind", a, w.text.strip(_PUNCT + " "), None, None)
    return [out[k] for k in sorted(out)]


def _with(a: num.Amount, value: Decimal) -> num.Amount:
    return num.Amount(a.kind, value, a.currency, a.prefix, a.date)


def verify_numbers(audio: np.ndarray, words: list[Word], findings: list[Finding], language: str, *,
                   model=None, options: Optional[VerifyOptions] = None) -> tuple[list[Word], list[Finding]]:
    """Check disputed and unverified numbers against the audio. Returns (words, findings), both new lists."""
    opts = options or VerifyOptions()
    findings = [f.model_copy(deep=True) for f in findings]  # messages get amended: never the caller's objects
    targets = _targets(words, findings, language)
    if not targets or language not in ("en", "de", "fr", "es", "hi", "zh"):
        return list(words), list(findings)
    if model is None:
        from .asr.whisper import load_model

        model = load_model()
    words = list(words)
    before = list(words)
    findings = list(findings)
    duration = len(audio) / SAMPLE_RATE
    judges: dict[tuple[int, int], Judge] = {}
    gate_said = False
    for t in targets:
        a, b, idx = _window(words, t.index, duration)
        key = (int(a * 100), int(b * 100))
        if key not in judges:
            clip = audio if duration <= WINDOW_S else audio[int(a * SAMPLE_RATE): int(b * SAMPLE_RATE)]
            judges[key] = Judge(model, clip, language)
        judge = judges[key]
        parts = [_spoken(words[k], language) for k in idx]
        pos = idx.index(t.index)

        def score(amount: num.Amount) -> float:
            p = list(parts)
            p[pos] = num.spoken_form(amount, language)
            return judge.pmi(_join(p, language))[0]

        s_score = score(t.script)
        base, n_tok = judge.pmi(_join(parts, language))
        hearing = base / max(1, n_tok)
        if not math.isfinite(s_score) or not math.isfinite(hearing) or hearing < opts.min_hearing:
            if not gate_said:
                findings.append(Finding(kind="acoustic_check_skipped", severity=Severity.info,
                                        message=f"the decoder cannot follow this voice ({hearing:.2f} nats of evidence per token, "
                                                f"below {opts.min_hearing}): numbers were not checked acoustically"))
                gate_said = True
            continue
        if t.mode == "dispute":
            _dispute(t, words, findings, s_score, score(t.heard), language, opts)
        elif t.mode == "witness":
            _blind(t, words, findings, s_score, [(score(t.heard), t.heard.value)], language, opts, against="witness")
        else:
            cands = {c for c in one_digit_changes(t.script.value)}
            if t.heard is not None and t.heard.kind == t.script.kind and t.heard.value is not None:
                cands.add(t.heard.value)
            cands.discard(t.script.value)
            scored = sorted(((score(_with(t.script, v)), v) for v in cands), key=lambda x: -x[0])
            _blind(t, words, findings, s_score, scored, language, opts)
    if any(a is not b for a, b in zip(words, before)):
        # the low-confidence list named the words as they were recognised; list the final ones
        from .hint import CorrectionOptions, _low_conf

        findings = [f for f in findings if f.kind != "low_confidence"] + _low_conf(words, CorrectionOptions())
    return words, findings


def _dispute(t: _Target, words: list[Word], findings: list[Finding], s_score: float, h_score: float, language: str,
             opts: VerifyOptions) -> None:
    margin = s_score - h_score
    f = t.finding
    if margin < opts.overturn_margin:
        f.message += f" — the acoustic check agrees (the heard reading scores {-margin:+.1f} nats against the script's)"
        return
    w = words[t.index]
    heard = f.spoken_text or w.text
    words[t.index] = w.model_copy(update={"text": _script_word(t, w),
                                          "source": "script", "spoken": num.spoken_form(t.script, language),
                                          "evidence": round(min(1.0, margin / 10.0), 3)})
    findings.remove(f)
    findings.append(Finding(kind="number_disputed", severity=Severity.warning,
                            message=f"the recogniser heard “{heard}” where the script says “{t.script_text}”, but the script's "
                                    f"reading fits the audio better by {margin:.1f} nats: captions keep “{t.script_text}” — "
                                    "listen to it before publishing",
                            start=f.start, end=f.end, script_text=t.script_text, spoken_text=heard, word_indices=[t.index]))


def _script_word(t: _Target, w: Word) -> str:
    trail = w.text[len(w.text.rstrip(_PUNCT)):]
    return t.script_text.rstrip(_PUNCT) + trail


def _blind(t: _Target, words: list[Word], findings: list[Finding], s_score: float, scored: list[tuple[float, Decimal]],
           language: str, opts: VerifyOptions, against: str = "changes") -> None:
    best_score, best = scored[0] if scored else (float("-inf"), None)
    margin = best_score - s_score
    w = words[t.index]
    if best is not None and margin >= opts.flag_margin:
        said = _with(t.script, best)
        written = num.to_written(said, language)
        text = written + w.text[len(w.text.rstrip(_PUNCT)):]
        words[t.index] = w.model_copy(update={"text": text, "source": "corrected", "spoken": num.spoken_form(said, language),
                                              "evidence": round(min(1.0, margin / 20.0), 3)})
        if t.finding is not None:
            findings.remove(t.finding)
        kind = "price_mismatch" if t.script.kind == "price" else "number_mismatch"
        sev = Severity.error if t.script.kind in CLAIMS else Severity.warning
        findings.append(Finding(kind=kind, severity=sev,
                                message=f"the voice says “{num.spoken_form(said, language)}” ({written}) where the script says "
                                        f"“{t.script_text}”: found by the acoustic check ({margin:.1f} nats over the script's "
                                        "reading); captions show what was said",
                                start=w.start, end=w.end, script_text=t.script_text,
                                spoken_text=num.spoken_form(said, language), word_indices=[t.index]))
        return
    if margin <= 0:
        if t.finding is not None:
            findings.remove(t.finding)
        findings.append(Finding(kind="claim_verified", severity=Severity.info,
                                message=f"“{t.script_text}”: the audio supports the script's value over "
                                        + ("every one-digit change" if against == "changes" else
                                           f"what the unprompted pass heard (“{t.finding.spoken_text if t.finding else best}”)")
                                        + f" (by {-margin:.1f} nats)",
                                start=w.start, end=w.end, script_text=t.script_text, word_indices=[t.index]))
        return
    if t.finding is not None:
        t.finding.message += (f" (acoustic check: “{num.to_written(_with(t.script, best), language)}” scores {margin:.1f} nats "
                              "above the script's value — not enough to call it)")
