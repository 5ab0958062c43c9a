"""Force-align the final caption words to the audio: phone-level CTC alignment, signal DP + Whisper prior as fallback.

Entry points: ``align(audio, words, language) -> list[Word]`` and ``align_words(...) -> AlignResult`` (the
same words plus findings: script words with no audio, speech no word explains). Measurements behind
every constant: docs/BENCHMARKS.md ("Word alignment"); tuned on generated ads (benchmarks/genads.py,
seed 101), reported on seed 202 and DEV.

**Phone aligner (default; ``captioner.phones``, hama's 4.7 MB phone CTC model).**

1. Every word is said in its spoken form (``word.spoken``, else ``numbers.verbalize``: "$49" ->
   "forty nine dollars", else the text), split into units (Chinese: characters); the units of the whole
   text go through ``captioner.g2p`` (sentence context) and the phones onto the model's tokens.
2. Emissions every 20 ms (audio over 20 s in overlapping windows), then one CTC Viterbi over all words
   with a blank/``<wb>`` gap and a *filler* state between words (``filler_penalty`` nats per spike).
   Two passes for words with no audio: the first may leave out any word (``skip_penalty`` per token,
   ``skip_run_penalty`` per run); only runs of >= 2 words and >= ``min_unheard_tokens`` tokens may stay
   out in the second (single short words are more often badly modelled than unsaid).
3. Onset = first spike of the word's first token minus the model's lag for that token
   (``ONSET_LAG_S``, fitted once on seed 101; 80 ms for tokens not in the table). End = where the
   sound after the last spike stops before a pause (a quiet run >= ``pause_s``), else the next onset
   (connected speech). Under a bed or noise (loudest vs quietest 10 ms frames < ``bed_range_db`` apart:
   the DEV music ads are 18-35 dB, clean ads 107 dB) quiet frames stop marking pauses: there a word
   whose next spike is more than ``pause_gap_s`` away ends ``end_tail_s`` after its last spike, else
   at the next onset (fitted on seed 101 under music: end error 51 ms with the next onset -> 25 ms).
4. Confidence = exp(per-frame log-ratio of the forced path to free decoding over the word). Words below
   ``min_score`` (-3 nats/frame: 58 % of such words were > 50 ms off on seed 101, 5 % of the rest) are
   re-aligned by the signal aligner between their confident neighbours; ``Word.aligner`` says which
   aligner timed a word.
5. Findings: an unheard run -> ``script_unspoken`` (warning; the words stay in the captions, interpolated
   in the gap, confidence 0.1 — never dropped, never squeezed); filler speech >= ``min_ad_lib_s`` with
   >= ``min_ad_lib_phones`` phones -> ``ad_lib`` (warning, with its time span and what the model hears);
   in clean audio also a voiced stretch >= ``min_voiced_gap_s`` between two words' spikes where the filler
   hears any phone (``_voiced_gaps``: blanks had covered most of an ad-lib); the word before it ends there.

**Signal aligner (``align_signal``; the fallback, and the aligner when hama is unavailable).**

1. The same units, each with a duration weight (an estimate of its syllables).
2. Signal: 10 ms frame energy. Silent runs of >= ``pause_s`` are *pauses*; they (and the lead-in and
   tail silence) are cut out of a compressed "speech time line", so no word can start in a pause,
   absorb leading silence or stretch into a pause.
3. Prior: the shipped Whisper model's cross-attention alignment (``ctranslate2`` ``Whisper.align``)
   of the given text, per window of <= 30 s (audio cut at pauses), encoded with a context that is
   only as long as the window (5x faster than padding to 30 s, measured almost as accurate).
4. A dynamic programme places the unit boundaries on the speech time line, minimising
   duration misfit (log ratio to the expected length) + boundary cost (boundaries like quiet frames
   and pause junctions; units must not contain a pause) + distance to the Whisper prior (weighted by
   how much the window's alignment can be trusted: Whisper cannot read every voice).
5. Units are collapsed back into the input words; texts are never changed; a word that has nothing
   to pronounce (an emoji, a lone dash) is interpolated between its neighbours with low confidence.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from . import numbers
from .types import Finding, Word

SAMPLE_RATE = 16000
HOP = 160  # 10 ms frames for the DP
FRAME_S = HOP / SAMPLE_RATE
WHISPER_FPS = 50.0  # Whisper encoder frames per second (cross-attention resolution)
MAX_WINDOW_S = 30.0  # audio up to this long is aligned in one window
LONG_WINDOW_S = 20.0  # longer audio: windows of at most this, cut at pauses (encoder cost grows faster than linear)
MAX_TEXT_TOKENS = 400  # decoder positions left for the text (448 minus the prompt, with margin)


@dataclass
class AlignOptions:
    """Tunables of the aligner (defaults chosen on the DEV ads, see docs/BENCHMARKS.md ("Word alignment"))."""

    pause_s: float = 0.12  # a silent run at least this long is a pause (shorter: a stop closure)
    silence_db: float = 40.0  # frames quieter than peak - silence_db (or the noise floor + 10 dB) are silent
    prior_bias_s: float = 0.04  # Whisper's cross-attention onsets come early: shift the prior by this
    prior_sigma_s: float = 0.08
    prior_weight: float = 1.0  # scaled by the window's trust in [0, 1]
    prior_cap: float = 4.0  # cap of the squared z-score, so one lost word cannot drag the rest
    duration_weight: float = 1.0
    boundary_weight: float = 1.5
    pause_inside_penalty: float = 4.0
    punct_weight: float = 3.0  # a word ending a sentence (clause: 60 %) should end at a pause
    valley_frames: int = 10  # >0: boundary cost relative to the loudest frame within +-valley_frames
    full_context: bool = False  # pad every window to 30 s before encoding (slower, ~same accuracy)


# --------------------------------------------------------------------------------------------
# spoken units


_PUNCT_EDGES = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")


def _verbalize(token: str, language: str) -> Optional[str]:
    """The spoken form of a written number/price/code via captioner.numbers, if that module exists."""
    try:
        from . import numbers  # type: ignore
    except Exception:
        return None
    fn = getattr(numbers, "verbalize", None)
    if fn is None:
        return None
    try:
        out = fn(token, language)
    except Exception:
        return None
    return out if isinstance(out, str) and out.strip() else None


def spoken_form(word: Word, language: str) -> str:
    """What the voice said for `word`: word.spoken, else the verbalized number/price, else the text."""
    if word.spoken and word.spoken.strip():
        return word.spoken.strip()
    text = word.text.strip()
    said = numbers.SAID_SYMBOLS.get(text.strip(".,;:!?\"'()"), {}).get((language or "en").split("-")[0])
    if said:  # "&" is said "and"
        return said
    if text.startswith("/") and len(text) > 2 and text[1].isalpha():
        # a price's per-unit tail ("/month"): the slash is said as the language's "a", "pro", "par"
        lang = (language or "en").split("-")[0]
        return f"{numbers.PER_UNIT_WORDS.get(lang, ('',))[0]} {text[1:]}".strip()
    if any(ch.isdigit() for ch in text) or any(unicodedata.category(ch) == "Sc" for ch in text) or "%" in text:
        v = _verbalize(text, language)
        if v is None:
            core = _PUNCT_EDGES.sub("", text)
            # keep currency signs and % which the edge strip removes
            core = text.strip(".,;:!?\"'()[]«»“”‘’¡¿。，、！？：；") or core
            v = _verbalize(core, language) if core != text else None
        if v is None:  # what a recogniser writes apart or runs together: "20 %", "blo20"
            try:
                v = numbers.verbalize_pieces(text, language)
            except ValueError:
                v = None
        if v:
            return v
    return text


def _clean(unit: str) -> str:
    return _PUNCT_EDGES.sub("", unit)


def _units_of(spoken: str, language: str) -> list[str]:
    """Split a spoken form into alignment units (whitespace tokens; Han characters one by one)."""
    out: list[str] = []
    for tok in spoken.split():
        tok = _clean(tok)
        if not tok:
            continue
        if _HAN.search(tok):
            buf = ""
            for ch in tok:
                if _HAN.match(ch):
                    if buf and _clean(buf):
                        out.append(_clean(buf))
                    buf = ""
                    out.append(ch)
                elif unicodedata.category(ch)[0] in "LN":
                    buf += ch
                else:
                    if buf and _clean(buf):
                        out.append(_clean(buf))
                    buf = ""
            if buf and _clean(buf):
                out.append(_clean(buf))
        else:
            out.append(tok)
    return out


_VOWELS = set("aeiouy")
_SENTENCE_END = set(".!?…。！？।॥")
_CLAUSE_END = set(",;:，；：、—–")


def _punct_strength(text: str) -> float:
    """How strongly the text implies a pause after the word: 1 sentence end, 0.6 clause, 0 none."""
    tail = text.rstrip("\"'”’»)]）」』 ")
    if not tail:
        return 0.0
    if tail[-1] in _SENTENCE_END:
        return 1.0
    if tail[-1] in _CLAUSE_END:
        return 0.6
    return 0.0


def syllable_weight(unit: str) -> float:
    """Rough spoken length of a unit in syllable-like units (any script the pipeline supports)."""
    han = len(_HAN.findall(unit))
    if han:
        return float(han) + 0.5 * sum(ch.isdigit() for ch in unit)
    deva = [ch for ch in unit if "\u0900" <= ch <= "\u097f"]
    if deva:
        syl = 0.0
        for i, ch in enumerate(unit):
            o = ord(ch)
            if 0x0904 <= o <= 0x0914:  # independent vowel
                syl += 1
            elif 0x0915 <= o <= 0x0939 or 0x0958 <= o <= 0x095F:  # consonant
                nxt = unit[i + 1] if i + 1 < len(unit) else ""
                if nxt != "\u094d":  # not part of a conjunct
                    syl += 1
        # word-final schwa deletion: a final bare consonant adds less than a syllable
        if unit and (0x0915 <= ord(unit[-1]) <= 0x0939):
            syl -= 0.5
        return max(0.7, syl)
    base = unicodedata.normalize("NFKD", unit.lower())
    letters = [ch for ch in base if ch.isalpha()]
    groups = 0
    prev = False
    for ch in letters:
        v = ch in _VOWELS
        if v and not prev:
            groups += 1
        prev = v
    digits = sum(ch.isdigit() for ch in unit)
    cons = sum(1 for ch in letters if ch not in _VOWELS)
    if not letters and not digits:
        return 0.0
    return max(0.7, groups + 0.12 * cons + 1.5 * digits)


# --------------------------------------------------------------------------------------------
# signal


@dataclass
class _Signal:
    db: np.ndarray  # per 10 ms frame, dB re full scale
    silent: np.ndarray  # bool per frame
    level: np.ndarray  # 0..1 loudness above the silence threshold
    thr_db: float
    low_db: float = -200.0  # the noise floor + 6 dB: where a sound rises out of silence


def _frame_db(audio: np.ndarray, hop: int = HOP) -> np.ndarray:
    n = len(audio) // hop
    if n == 0:
        return np.zeros(0)
    fr = audio[: n * hop].astype(np.float64).reshape(n, hop)
    ms = np.mean(fr * fr, axis=1)
    return 10 * np.log10(ms + 1e-12)


def _signal(audio: np.ndarray, opts: AlignOptions) -> _Signal:
    db = _frame_db(audio)
    if db.size == 0:
        return _Signal(db, np.zeros(0, bool), np.zeros(0), 0.0)
    peak = float(np.percentile(db, 99.5))
    floor = float(np.percentile(db, 5))  # the quietest frames: digital silence, room noise
    if peak < -75.0:  # nothing audible at all
        return _Signal(db, np.ones(db.size, bool), np.zeros(db.size), peak, peak)
    thr = max(peak - opts.silence_db, min(floor + 10.0, peak - 15.0))
    silent = db < thr
    level = np.clip((db - thr) / max(1e-6, peak - thr), 0.0, 1.0)
    low = max(floor + 6.0, peak - 65.0)
    return _Signal(db, silent, level, thr, min(low, thr))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index runs where mask is True."""
    if mask.size == 0:
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


# --------------------------------------------------------------------------------------------
# Whisper cross-attention prior


@dataclass
class _Prior:
    start: np.ndarray  # per unit, seconds (nan when none)
    end: np.ndarray
    prob: np.ndarray  # per unit, mean token probability (0 when none)
    trust: np.ndarray  # per unit, trust of its window in [0, 1]


def _whisper_language(language: str) -> str:
    lang = (language or "en").lower().split("-")[0]
    return "zh" if lang in ("cmn", "yue") else lang


def _tokens_for(tokenizer, units: Sequence[str], language: str) -> tuple[list[int], list[int]]:
    toks: list[int] = []
    bounds: list[int] = []
    nospace = language in ("zh", "ja", "th", "lo", "my", "yue")
    for i, u in enumerate(units):
        bounds.append(len(toks))
        piece = u if (nospace and _HAN.search(u)) else (" " + u if (i or not nospace) else u)
        toks += tokenizer.encode(piece)
    bounds.append(len(toks))
    return toks, bounds


_ENCODED: dict = {}


def encode_window(model, audio: np.ndarray, full_context: bool = False):
    """Whisper encoder output for `audio` (<= 30 s) and its number of mel frames.

    Only as much context as there is audio (+0.5 s), in whole encoder frames, unless `full_context` (30 s).
    The last few results are kept (keyed by the samples themselves): the acoustic number check and the
    aligner encode the same ad, and the encoder is most of their cost (0.3 s for 15 s on 2 cores).
    """
    import hashlib

    from faster_whisper.transcribe import pad_or_trim

    audio = np.ascontiguousarray(audio, dtype=np.float32)
    key = (id(model), full_context, len(audio), hashlib.blake2b(audio.tobytes(), digest_size=16).digest())
    hit = _ENCODED.get(key)
    if hit is not None:
        return hit
    feats = model.feature_extractor(audio)
    n_frames = max(1, min(int(feats.shape[-1]), 3000))
    width = 3000 if full_context else min(3000, int(math.ceil((n_frames + 50) / 2.0)) * 2)
    enc = model.encode(np.ascontiguousarray(pad_or_trim(feats, width), dtype=np.float32))
    if len(_ENCODED) >= 4:
        _ENCODED.pop(next(iter(_ENCODED)))
    _ENCODED[key] = (enc, n_frames)
    return enc, n_frames


def _align_window(model, tokenizer, audio: np.ndarray, units: Sequence[str], language: str, opts: AlignOptions):
    """Cross-attention alignment of `units` to `audio` (<= 30 s). Returns (starts, ends, probs) in seconds."""
    enc, n_frames = encode_window(model, audio, opts.full_context)
    toks, bounds = _tokens_for(tokenizer, units, language)
    res = model.model.align(enc, tokenizer.sot_sequence, [toks], n_frames, median_filter_width=7)[0]
    al = np.asarray(res.alignments, dtype=np.int64)
    if al.size == 0:
        nan = np.full(len(units), np.nan)
        return nan, nan.copy(), np.zeros(len(units))
    ti, fi = al[:, 0], al[:, 1]
    jumps = np.concatenate([[True], np.diff(ti) != 0])
    jt = fi[jumps] / WHISPER_FPS
    if len(jt) < len(toks) + 1:
        jt = np.concatenate([jt, np.full(len(toks) + 1 - len(jt), jt[-1] if len(jt) else 0.0)])
    probs = np.asarray(res.text_token_probs, dtype=np.float64)
    b = np.asarray(bounds)
    starts = jt[b[:-1]]
    ends = jt[b[1:]]
    up = np.array([float(np.mean(probs[b[i]: b[i + 1]])) if b[i + 1] > b[i] else 0.0 for i in range(len(units))])
    return starts, ends, up


def _window_trust(starts: np.ndarray, ends: np.ndarray, probs: np.ndarray, sig: _Signal, t0: float) -> float:
    """How far the window's cross-attention alignment agrees with the signal, 0..1.

    Whisper cannot read some voices (espeak Chinese: median token probability <= 0.015 and onsets
    seconds off, where every other DEV language has a median >= 0.08). Measured without ground
    truth: the median probability of the given tokens, times the fraction of onsets on sound.
    """
    ok = np.isfinite(starts)
    if not ok.any() or sig.silent.size == 0:
        return 0.0
    n = sig.silent.size
    idx = np.clip(((starts[ok] + t0 + 0.06) / FRAME_S).astype(int), 0, n - 1)  # onsets + typical lag
    on_sound = float(np.mean(~sig.silent[idx]))
    reads = float(np.clip((np.median(probs) - 0.03) / 0.07, 0.0, 1.0))
    return float(np.clip((on_sound - 0.5) / 0.4, 0.0, 1.0)) * reads


def _plan_windows(sig: _Signal, total_s: float, pauses: list[tuple[int, int]]) -> list[tuple[float, float]]:
    """One window up to 30 s; longer audio in <= 20 s windows cut at the middle of the longest pause."""
    if total_s <= MAX_WINDOW_S:
        return [(0.0, total_s)]
    windows = []
    t0 = 0.0
    mids = [((a + b) / 2) * FRAME_S for a, b in pauses]
    lens = [(b - a) * FRAME_S for a, b in pauses]
    while total_s - t0 > LONG_WINDOW_S:
        lo, hi = t0 + 0.5 * LONG_WINDOW_S, t0 + LONG_WINDOW_S - 0.5
        cands = [(lens[i], m) for i, m in enumerate(mids) if lo <= m <= hi]
        cut = max(cands)[1] if cands else t0 + LONG_WINDOW_S - 1.0
        windows.append((t0, cut))
        t0 = cut
    windows.append((t0, total_s))
    return windows


# --------------------------------------------------------------------------------------------
# dynamic programme on the speech time line


def _dp(
    weights: np.ndarray,
    keep: np.ndarray,
    junction: np.ndarray,
    level: np.ndarray,
    prior: Optional[np.ndarray],
    prior_w: np.ndarray,
    opts: AlignOptions,
    punct: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Boundaries b[0]=0 <= ... <= b[N]=C on the compressed time line (indices of kept frames).

    weights: expected relative length per unit (0: zero-length unit, placed at the next boundary).
    keep: indices (real frames) of the kept frames; junction[c]: a pause lies just before kept frame c.
    level: 0..1 loudness of kept frames. prior: per unit the prior onset in compressed frames (nan: none).
    """
    C = len(keep)
    N = len(weights)
    pos = np.flatnonzero(weights > 0)
    M = len(pos)
    bounds_m = np.zeros(M + 1, dtype=np.int64)
    if M == 0 or C == 0:
        out = np.zeros(N + 1, dtype=np.int64)
        out[-1] = C
        return out
    w = weights[pos]
    if C < M:  # fewer frames than units: spread evenly
        bounds_m = np.round(np.linspace(0, C, M + 1)).astype(np.int64)
    else:
        rate = C / float(np.sum(w))
        expected = np.maximum(1.0, w * rate)
        # boundary cost at kept frame c (boundary just before c)
        if opts.valley_frames > 0 and C > 2:
            k = opts.valley_frames
            pad = np.pad(level, k, mode="edge")
            win = np.lib.stride_tricks.sliding_window_view(pad, 2 * k + 1).max(axis=1)
            level = level / np.maximum(win, 0.05)
        lv = np.concatenate([[0.0], level, [0.0]])
        bcost = opts.boundary_weight * np.minimum(lv[:-1], lv[1:])[: C + 1]  # min(level[c-1], level[c])
        jmask = np.zeros(C + 1, bool)
        jmask[: len(junction)] = junction
        bcost[jmask] = 0.0
        bcost[0] = 0.0
        bcost[C] = 0.0
        jpre = np.cumsum(np.concatenate([[0], jmask[1:].astype(np.int64)]))  # jpre[c] = junctions in [1, c]
        INF = 1e18
        D = np.full((M + 1, C + 1), INF)
        back = np.zeros((M + 1, C + 1), dtype=np.int32)
        D[0, 0] = 0.0
        cidx = np.arange(C + 1)
        cum = np.concatenate([[0.0], np.cumsum(expected)]) * (C / max(1.0, float(np.sum(expected))))
        halfwidth = max(400.0, 0.25 * C)  # search band around the expected position (long audio)
        for m in range(M):
            e = expected[m]
            dmax = int(min(C, max(8 * e, e + 150)))
            lo = max(1, int(cum[m + 1] - halfwidth))
            hi = C if m == M - 1 else min(C, int(cum[m + 1] + halfwidth))
            lo = min(lo, hi)
            prev = D[m]
            # prior cost of this unit starting at c0 (evaluated at the start of the unit)
            start_cost = prev
            if prior is not None and np.isfinite(prior[pos[m]]) and prior_w[pos[m]] > 0:
                z = (cidx - prior[pos[m]]) * FRAME_S / opts.prior_sigma_s
                start_cost = prev + opts.prior_weight * prior_w[pos[m]] * np.minimum(z * z, opts.prior_cap)
            best_b = np.full(hi - lo + 1, INF)
            arg_b = np.zeros(hi - lo + 1, dtype=np.int32)
            for d in range(1, dmax + 1):
                s1 = hi - d
                if s1 < 0:
                    break
                s0 = max(0, lo - d)
                off = s0 + d - lo
                cand = start_cost[s0 : s1 + 1] + opts.duration_weight * math.log(d / e) ** 2
                if d > 1:  # junctions strictly inside (c0, c0 + d): a pause inside the unit
                    inside = jpre[s0 + d - 1 : s1 + d] - jpre[s0 : s1 + 1]
                    cand = cand + opts.pause_inside_penalty * (inside > 0)
                tgt = best_b[off:]
                better = cand < tgt
                tgt[better] = cand[better]
                arg_b[off:][better] = d
            best = np.full(C + 1, INF)
            arg = np.zeros(C + 1, dtype=np.int32)
            best[lo : hi + 1] = best_b + bcost[lo : hi + 1]
            arg[lo : hi + 1] = arg_b
            if punct is not None and punct[pos[m]] > 0:
                pen = opts.punct_weight * punct[pos[m]] * (~jmask[lo : hi + 1])
                if hi == C:
                    pen[-1] = 0.0
                best[lo : hi + 1] += pen
            D[m + 1] = best
            back[m + 1] = arg
        # trace back from C
        c = C
        for m in range(M, 0, -1):
            bounds_m[m] = c
            d = int(back[m, c])
            if d <= 0:  # unreachable (should not happen): spread the rest
                bounds_m[1 : m + 1] = np.round(np.linspace(0, c, m + 1)[1:]).astype(np.int64)
                break
            c -= d
        bounds_m[0] = 0
        bounds_m[M] = C
    # expand to all units: zero-weight units sit at the boundary of the next positive unit
    out = np.zeros(N + 1, dtype=np.int64)
    k = 0
    for i in range(N):
        out[i] = bounds_m[k]
        if weights[i] > 0:
            k += 1
    out[N] = C
    return out


# --------------------------------------------------------------------------------------------
# public API


def _has_times(words: Sequence[Word]) -> bool:
    return any(w.end > 0 for w in words)


def align_signal(
    audio: np.ndarray,
    words: list[Word],
    language: str,
    *,
    model=None,
    options: Optional[AlignOptions] = None,
    use_whisper: bool = True,
) -> list[Word]:
    """The signal DP + Whisper prior aligner (the fallback of `align`); same words, same order, texts kept.

    model: a faster_whisper.WhisperModel (default: the shipped Whisper base, loaded once).
    Input times are only used to place words into 30 s windows when the audio is longer.
    """
    opts = options or AlignOptions()
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    duration = len(audio) / SAMPLE_RATE
    if not words:
        return []
    lang = _whisper_language(language)

    # 1. units
    unit_text: list[str] = []
    unit_word: list[int] = []
    for wi, w in enumerate(words):
        us = _units_of(spoken_form(w, lang), lang)
        if not us:
            unit_text.append("")
            unit_word.append(wi)
        for u in us:
            unit_text.append(u)
            unit_word.append(wi)
    weights = np.array([syllable_weight(u) if u else 0.0 for u in unit_text])
    N = len(unit_text)
    punct = np.zeros(N)
    for wi, w in enumerate(words):
        last = max(i for i in range(N) if unit_word[i] == wi)
        punct[last] = _punct_strength(w.text)

    # 2. signal
    sig = _signal(audio, opts)
    T = sig.db.size
    min_pause = max(1, int(round(opts.pause_s / FRAME_S)))
    silent_runs = _runs(sig.silent)
    pauses = [(a, b) for a, b in silent_runs if (b - a) >= min_pause or a == 0 or b == T]
    keepmask = np.ones(T, bool)
    for a, b in pauses:
        keepmask[a:b] = False
    keep = np.flatnonzero(keepmask)
    C = len(keep)
    junction = np.zeros(C + 1, bool)
    if C:
        gaps = np.flatnonzero(np.diff(keep) > 1) + 1
        junction[gaps] = True

    # 3. prior from Whisper, per window
    prior_c = np.full(N, np.nan)
    prior_w = np.zeros(N)
    uprob = np.zeros(N)
    if use_whisper and C and np.any(weights > 0):
        try:
            prior_c, prior_w, uprob = _whisper_prior(audio, words, unit_text, unit_word, weights, lang, sig, pauses,
                                                     keep, model, opts)
        except ImportError:
            pass

    # 4. DP
    b = _dp(weights, keep, junction, sig.level[keep] if C else np.zeros(0), prior_c, prior_w, opts, punct)

    # 5. back to real time, collapse units into words
    if C:
        starts_u = np.array([keep[min(c, C - 1)] * FRAME_S for c in b[:-1]])
        ends_u = np.array([(keep[max(c, 1) - 1] + 1) * FRAME_S for c in b[1:]])
        prev_end = np.concatenate([[0.0], ends_u[:-1]])
        starts_u = np.array([_refine_onset(audio, s, sig, prev_end[i]) if (b[i] == 0 or junction[b[i]]) else s
                             for i, s in enumerate(starts_u)])
    else:
        grid = np.linspace(0, duration, N + 1)
        starts_u, ends_u = grid[:-1], grid[1:]
    ends_u = np.maximum(ends_u, starts_u)

    out: list[Word] = []
    n_words = len(words)
    for wi in range(n_words):
        idx = [i for i in range(N) if unit_word[i] == wi]
        real = [i for i in idx if weights[i] > 0]
        s = float(starts_u[idx[0]])
        e = float(ends_u[real[-1]]) if real else s
        if real and C and N <= C:
            p = float(np.mean(uprob[real])) if np.any(prior_w[real] > 0) else 0.0
            tr = float(np.mean(prior_w[real]))
            agree = 1.0
            if np.any(np.isfinite(prior_c[real[:1]])) and tr > 0:
                dz = abs(b[real[0]] - prior_c[real[0]]) * FRAME_S
                agree = float(np.exp(-dz / 0.15))
            conf = 0.45 + 0.3 * tr * agree + 0.25 * min(1.0, p * 2)
            timing = "aligned"
        else:
            conf = 0.1
            timing = "interpolated"
        out.append(words[wi].model_copy(update=dict(start=s, end=e, confidence=float(np.clip(conf, 0, 1)), timing=timing,
                                                    aligner="signal" if timing == "aligned" else None)))
    return _finalise(out, duration)


def _refine_onset(audio: np.ndarray, t: float, sig: _Signal, earliest: float) -> float:
    """Onset after a pause at 2 ms resolution.

    The pause edge is where the sound crosses the silence threshold (peak - 40 dB); a word's first
    sound (a voicing bar, aspiration, a soft fricative) starts quieter. Walk back from the edge while
    the 2 ms energy stays above a low threshold (floor + 6 dB, at least peak - 65 dB), <= 80 ms.
    """
    a = max(0, int((max(earliest, t - 0.08)) * SAMPLE_RATE))
    b = min(len(audio), int((t + 0.02) * SAMPLE_RATE))
    if b - a < 64:
        return t
    db = _frame_db(audio[a:b], 32)
    over = np.flatnonzero(db >= sig.thr_db)
    if over.size == 0:
        return t
    k = int(over[0])
    while k > 0 and db[k - 1] >= sig.low_db:
        k -= 1
    return (a + k * 32) / SAMPLE_RATE


def _whisper_prior(audio, words, unit_text, unit_word, weights, lang, sig, pauses, keep, model, opts):
    from faster_whisper.tokenizer import Tokenizer

    if model is None:
        from .asr.whisper import load_model

        model = load_model()
    N = len(unit_text)
    prior_c = np.full(N, np.nan)
    prior_w = np.zeros(N)
    uprob = np.zeros(N)
    duration = len(audio) / SAMPLE_RATE
    tokenizer = Tokenizer(model.hf_tokenizer, True, task="transcribe", language=lang)
    windows = _plan_windows(sig, duration, pauses)
    # which units go into which window
    if len(windows) == 1:
        groups = [[i for i in range(N) if weights[i] > 0]]
    else:
        if _has_times(words):
            utime = np.array([words[unit_word[i]].start for i in range(N)])
        else:  # a first, prior-free pass of the DP tells roughly where each unit is
            C = len(keep)
            junction = np.zeros(C + 1, bool)
            gaps = np.flatnonzero(np.diff(keep) > 1) + 1
            junction[gaps] = True
            b0 = _dp(weights, keep, junction, sig.level[keep], None, np.zeros(N), opts)
            utime = np.array([keep[min(c, C - 1)] * FRAME_S for c in b0[:-1]])
        groups = []
        for k, (t0, t1) in enumerate(windows):
            last = k == len(windows) - 1
            groups.append([i for i in range(N) if weights[i] > 0 and utime[i] >= (t0 if k else -1) and (last or utime[i] < t1)])
    keep_real = keep * FRAME_S
    for (t0, t1), g in zip(windows, groups):
        if not g:
            continue
        toks, _ = _tokens_for(tokenizer, [unit_text[i] for i in g], lang)
        if len(toks) > MAX_TEXT_TOKENS:
            continue  # more text than the decoder takes in 30 s (> 400 tokens): signal-only DP there
        a, bb = int(t0 * SAMPLE_RATE), int(t1 * SAMPLE_RATE)
        st, en, pr = _align_window(model, tokenizer, audio[a:bb], [unit_text[i] for i in g], lang, opts)
        trust = _window_trust(st, en, pr, sig, t0)
        for j, i in enumerate(g):
            if not np.isfinite(st[j]):
                continue
            t_real = t0 + st[j] + opts.prior_bias_s
            # to compressed frames: the first kept frame at or after t_real
            c = int(np.searchsorted(keep_real, t_real - FRAME_S / 2))
            prior_c[i] = c
            prior_w[i] = trust * (0.5 + 0.5 * min(1.0, pr[j] / 0.3))
            uprob[i] = pr[j]
    return prior_c, prior_w, uprob


def _finalise(words: list[Word], duration: float) -> list[Word]:
    """Monotonic, inside the audio, end >= start, no overlap with the next word (times to 0.1 ms, never past the end)."""
    last = math.floor(duration * 1e4) / 1e4
    out = []
    prev_start = 0.0
    for w in words:
        s = min(round(max(w.start, prev_start, 0.0), 4), last)
        e = min(round(max(w.end, s), 4), last)
        out.append((s, e))
        prev_start = s
    res = []
    for i, (w, (s, e)) in enumerate(zip(words, out)):
        if i + 1 < len(out):
            e = min(e, max(s, out[i + 1][0]))
        res.append(w.model_copy(update=dict(start=s, end=e)))
    return res


def snap_to_frames(words: Sequence[Word], fps: float) -> list[Word]:
    """Round times to the video frame grid for rendering: monotonic, each word >= 1 frame where room allows.

    Starts round to the nearest frame; ends round to the nearest frame but never before start + 1
    frame, and never past the next word's (snapped) start.
    """
    if fps <= 0:
        raise ValueError("fps must be positive")
    starts = []
    prev = 0
    for w in words:
        f = max(prev, int(round(w.start * fps)))
        starts.append(f)
        prev = f
    res = []
    for i, w in enumerate(words):
        s = starts[i]
        e = max(int(round(w.end * fps)), s + 1)
        if i + 1 < len(words):
            e = max(s, min(e, starts[i + 1]))  # two words in one frame: the first gets zero length
        res.append(w.model_copy(update=dict(start=s / fps, end=e / fps)))
    return res


# --------------------------------------------------------------------------------------------
# phone aligner (the default): CTC forced alignment with hama's phone model


# The phone model's onset lag per word-initial token (seconds), fitted once on the generated TUNING ads
# (seed 101, clean + music bed, 6,264 words): the median of (spike frame - true onset) per token, shrunk
# towards the overall median with a weight of 20 words (`python benchmarks/bench_align.py --fit-lag
# seed101,seed101-m`). Mean |error| 22.3 ms with one constant (80 ms), 19.6 ms with the table (in sample;
# 2-fold across ads: 20.8 -> 18.6 ms on the clean half). Other tokens use `PhoneOptions.lag_s`.
ONSET_LAG_S = {
    "a": 0.076, "aɪ": 0.082, "aʊ": 0.079, "b": 0.069, "d": 0.073, "d͡ʒ": 0.083, "e": 0.077, "eɪ": 0.079, "f": 0.09,
    "g": 0.056, "h": 0.092, "i": 0.102, "j": 0.077, "k": 0.089, "l": 0.077, "m": 0.08, "n": 0.067, "o": 0.082,
    "oʊ": 0.076, "p": 0.083, "s": 0.098, "t": 0.073, "t͡ʃ": 0.1, "u": 0.102, "v": 0.092, "w": 0.084, "z": 0.08,
    "æ": 0.076, "ð": 0.069, "ɑ": 0.075, "ɔ": 0.077, "ɔɪ": 0.079, "ə": 0.072, "ɛ": 0.072, "ɝ": 0.085, "ɪ": 0.064,
    "ɹ": 0.071, "ʃ": 0.088, "ʊ": 0.071, "ʌ": 0.081, "ʒ": 0.073, "θ": 0.09,
}


@dataclass
class PhoneOptions:
    """Tunables of the phone aligner, chosen on the generated TUNING ads (seed 101; see the module docstring)."""

    lag_s: float = 0.08  # constant onset lag (least mean |error| on seed 101); ONSET_LAG_S refines it per token
    per_token_lag: bool = True
    filler_penalty: float = 0.5  # nats per filler spike (speech the words cannot explain)
    skip_penalty: Optional[float] = 4.0  # nats per token to leave a word unheard (None: never)
    skip_run_penalty: float = 16.0  # nats per run of unheard words
    skip_filler_penalty: float = 1.0  # the filler penalty of the first (skip-finding) pass
    min_unheard_tokens: int = 6  # an unheard run must have >= 2 words and this many tokens
    min_score: float = -3.0  # per-frame log-ratio to free decoding below which a word falls back to the signal DP
    bed_range_db: float = 40.0  # loudest vs quietest frames closer than this: a bed/noise (music ads 18-35 dB, clean 107)
    pause_gap_s: float = 0.2  # last spike to the next onset longer than this: a pause (no quiet frames needed)
    end_tail_s: float = 0.12  # a word ends this long after its last spike before such a pause
    min_ad_lib_s: float = 0.2  # filler speech shorter than this is not reported (seed 101: 0.15–0.25 found the most ad-libs with no false finding)
    min_ad_lib_phones: int = 4
    # clean audio: a voiced stretch this long between one word's last spike (+ voiced_tail_s, the sound of its last
    # phone) and the next word's first spike, where the phone model hears at least one phone no word explains, is
    # speech the captions leave out (seed 101, clean: other gaps <= 0.29 s voiced, ad-libs >= 0.48 s)
    min_voiced_gap_s: float = 0.4
    voiced_tail_s: float = 0.1
    max_cells: int = 60_000_000  # frames x states per Viterbi; longer audio is aligned in chunks
    # a word the recogniser timed stays within this many seconds of where it heard it (None: anywhere). A voice-over
    # said twice (a looped video) had the script's last words aligned into the second loop, 9 s from where both passes
    # heard them. Legitimate moves measured on DEV (562 words) and seed 2424 (1,445): at most 1.1 s and 3.3 s (a German
    # opening the recogniser timed at 0 s); twice the larger.
    asr_band_s: Optional[float] = 6.0


@dataclass
class AlignResult:
    """`align_words` output: the timed words, the findings, and which aligner timed how many words."""

    words: list[Word]
    findings: list[Finding]
    by_phones: int = 0
    by_signal: int = 0
    interpolated: int = 0
    unheard: list[int] = field(default_factory=list)  # word indices the alignment found no audio for
    unexplained: list[tuple[float, float, str]] = field(default_factory=list)  # (start, end, phones) of filler speech
    log_likelihood: float = float("nan")  # the phone alignment's Viterbi path score (nats; nan without the phone model)

    def merge_into(self, findings: list[Finding]) -> list[Finding]:
        """`findings` + this stage's findings, leaving out an ad-lib / unspoken-script finding that an earlier stage
        already reported for an overlapping time span."""
        out = list(findings)
        for f in self.findings:
            dup = f.start is not None and any(
                g.kind == f.kind and g.start is not None and g.end is not None and g.start < (f.end or f.start) + 0.2
                and g.end > f.start - 0.2 for g in findings)
            if not dup:
                out.append(f)
        return out


def align(
    audio: np.ndarray,
    words: list[Word],
    language: str,
    *,
    model=None,
    options: Optional[AlignOptions] = None,
    use_whisper: bool = True,
    use_phones: bool = True,
    phone_options: Optional[PhoneOptions] = None,
) -> list[Word]:
    """Time every word of `words` in `audio` (16 kHz mono float32); same words, same order, texts kept.

    The phone model times the words it is confident about; the rest (and everything, when the phone
    model is unavailable or `use_phones` is False) go to the signal DP + Whisper prior (`align_signal`).
    Use `align_words` to also get the findings (unheard words, unexplained speech).
    """
    return align_words(audio, words, language, model=model, options=options, use_whisper=use_whisper,
                       use_phones=use_phones, phone_options=phone_options).words


def _word_units(words: Sequence[Word], lang: str) -> list[list[str]]:
    return [_units_of(spoken_form(w, lang), lang) for w in words]


def phone_ids(pm, words: Sequence[Word], language: str) -> list[list[int]]:
    """Model token ids per word: spoken forms -> G2P (whole sequence as context) -> tokens."""
    from . import g2p

    lang = _whisper_language(language)
    units = _word_units(words, lang)
    flat = [u for us in units for u in us]
    ph = g2p.phonemize(flat, lang) if flat else []
    out, k = [], 0
    for us in units:
        ids: list[int] = []
        for p in ph[k:k + len(us)]:
            ids += pm.tokenize(p)
        k += len(us)
        out.append(ids)
    return out


def text_fit(audio: np.ndarray, words: Sequence[Word], language: str, pm=None) -> float:
    """How well a text explains the audio, by the phone model: the log-ratio (nats) of its forced alignment's path
    score (with the filler for speech it leaves out) to free decoding of the same frames (0 = as well as anything
    could; about -0.2 to -0.6 nats per 20 ms frame for the words a voice says, lower for a text it does not say).
    Words go anywhere (their times are not used). -inf when the phone model cannot run."""
    return text_fit_heard(audio, words, language, pm, cut_tail=False)[0]


def text_fit_heard(audio: np.ndarray, words: Sequence[Word], language: str, pm=None,
                   cut_tail: bool = True) -> tuple[float, int]:
    """`text_fit`, and how many of the words it covers. `cut_tail`: words after the last one the alignment places
    (a run it leaves unheard at the end: the audio stops before them) are not charged — the fit is that of the words
    before them, and the count says how many. A cut-down given its full ad's script (a 8.4 s cut of a 15 s German ad)
    paid the unheard run's skip price (4 nats per phone) per script word and lost to the recogniser's garble by 11.7
    nats per word: "the script does not fit the voice", captions uncorrected."""
    from .errors import ModelError
    from .phones import load

    if not words:
        return float("-inf"), 0
    try:
        pm = pm or load()
    except ModelError:
        return float("-inf"), len(words)
    lang = _whisper_language(language)
    plain = [Word(text=w.text, start=0.0, end=0.0, spoken=w.spoken) for w in words]
    ids = phone_ids(pm, plain, lang)
    lp = pm.emissions(np.asarray(audio, dtype=np.float32).reshape(-1))
    popts = PhoneOptions(asr_band_s=None)
    al = _phone_alignment(pm, lp, ids, audio, plain, lang, popts)
    n = len(plain)
    if cut_tail:
        placed = [k for k, w in enumerate(al.words) if w.start is not None]
        last = placed[-1] + 1 if placed else 0
        if 0 < last < n and all(al.words[k].skipped for k in range(last, n)):
            n = last
            al = _phone_alignment(pm, lp, ids[:n], audio, plain[:n], lang, popts)
    return float(al.log_likelihood - al.free_log_likelihood), n


def _bands(words: Sequence[Word], popts: PhoneOptions) -> Optional[list[Optional[tuple[int, int]]]]:
    """Per word, the phone frames it may occupy: within `asr_band_s` of where a recogniser heard it (words with the
    recogniser's own timestamps; a script word or a word without times may go anywhere)."""
    if popts.asr_band_s is None:
        return None
    F = FRAME_S * 2
    out = [(int(math.floor((w.start - popts.asr_band_s) / F)), int(math.ceil((w.end + popts.asr_band_s) / F)))
           if w.timing == "asr" and w.end > w.start else None for w in words]
    return out if any(b is not None for b in out) else None


def _phone_alignment(pm, lp: np.ndarray, ids: list[list[int]], audio, words, lang, popts: PhoneOptions):
    """Forced alignment over the whole audio, or in chunks cut at pauses when it is too long for one Viterbi."""
    T = lp.shape[0]
    states = 2 * sum(len(x) for x in ids) + 2 * (len(ids) + 1)
    bands = _bands(words, popts)
    if T * states <= popts.max_cells:
        return _two_pass(pm, lp, ids, popts, bands=bands)
    from .phones import Alignment

    # rough word times from the signal DP (no Whisper) place words into chunks of ~30 s cut at pauses
    rough = align_signal(audio, list(words), lang, use_whisper=False)
    sig = _signal(audio, AlignOptions())
    quiet = sig.silent
    n_chunks = int(math.ceil(T * states / popts.max_cells)) + 1
    step = T / n_chunks
    cuts = [0]
    for c in range(1, n_chunks):
        target = int(c * step)  # phone frames
        lo, hi = max(cuts[-1] + 1, target - 250), min(T - 1, target + 250)
        best = target
        best_len = -1
        # the longest silent run near the target (10 ms signal frames -> 20 ms phone frames)
        for a, b in _runs(quiet[lo * 2: hi * 2]):
            if b - a > best_len:
                best_len, best = b - a, lo + (a + b) // 4
        cuts.append(best)
    cuts.append(T)
    words_out, fillers = [None] * len(ids), []
    ll = free = 0.0
    starts = np.array([w.start for w in rough]) / FRAME_S / 2  # phone frames
    for a, b in zip(cuts[:-1], cuts[1:]):
        idx = [i for i in range(len(ids)) if (starts[i] >= a or a == 0) and (starts[i] < b or b == T)]
        if not idx:
            continue
        sub = _two_pass(pm, lp, [ids[i] for i in idx], popts, t0=a, t1=b, bands=[bands[i] for i in idx] if bands else None)
        for i, sp in zip(idx, sub.words):
            words_out[i] = sp
        fillers += [f.__class__(f.start, f.end, idx[0] + f.after_word if f.after_word >= 0 else idx[0] - 1, f.phones)
                    for f in sub.fillers]
        ll += sub.log_likelihood
        free += sub.free_log_likelihood
    from .phones import WordSpan

    words_out = [w if w is not None else WordSpan(None, None, 0.0, float("-inf"), len(ids[i])) for i, w in enumerate(words_out)]
    return Alignment(words=words_out, fillers=fillers, log_likelihood=ll, free_log_likelihood=free)


# a recogniser-timed word whose band contradicts the text's order may be left unheard (see `_two_pass`); off only to
# measure the change (benchmarks)
_BAND_ORDER_SKIPS = True


def _two_pass(pm, lp, ids, popts: PhoneOptions, t0: int = 0, t1: Optional[int] = None, bands=None):
    """Unheard words: a first pass may skip any word; only runs of >= 2 words and >= min_unheard_tokens
    tokens stay skipped in the second pass (single short words are too often just badly modelled)."""
    kw = dict(filler=True, filler_penalty=popts.filler_penalty, t0=t0, t1=t1, bands=bands)
    if popts.skip_penalty is None:
        return pm.forced_align(lp, ids, **kw)
    first = pm.forced_align(lp, ids, skip_penalty=popts.skip_penalty, skip_run_penalty=popts.skip_run_penalty,
                            **{**kw, "filler_penalty": popts.skip_filler_penalty})
    cand = [k for k, w in enumerate(first.words) if w.skipped and ids[k]]
    keep = [run for run in _index_runs(cand) if len(run) >= 2 and sum(len(ids[k]) for k in run) >= popts.min_unheard_tokens]
    # a word a recogniser timed, skipped alone, whose band lies clear of the gap its placed neighbours leave, cannot sit
    # there (no threshold: the order of the text and the band contradict each other). Forced, it pushed every word after
    # it past its band: a German cut-down whose prompted pass matched the ad-lib "ich liebe es" at 15.5 s to the
    # script's "Es" (of "Es gibt 12 Farben", said at 2.1 s) drew "12 Farben. Heute 129 € statt 195 €" 6 s late.
    if bands is not None and _BAND_ORDER_SKIPS:
        kept = {k for run in keep for k in run}
        placed = [j for j, w in enumerate(first.words) if w.start is not None]
        for k in cand:
            if k in kept or bands[k] is None:
                continue
            before = [j for j in placed if j < k]
            after = [j for j in placed if j > k]
            lo = first.words[before[-1]].end if before else t0
            hi = first.words[after[0]].start if after else (lp.shape[0] if t1 is None else t1)
            if bands[k][1] < lo or bands[k][0] > hi:
                keep.append([k])
    if not keep:
        second = pm.forced_align(lp, ids, **kw)
        return second if np.isfinite(second.log_likelihood) else first  # too short for the text: keep the skips
    allowed = {k for run in keep for k in run}
    second = pm.forced_align(lp, ids, skip_penalty=[popts.skip_penalty if k in allowed else None for k in range(len(ids))],
                             skip_run_penalty=popts.skip_run_penalty, **kw)
    return second if np.isfinite(second.log_likelihood) else first


def align_words(
    audio: np.ndarray,
    words: list[Word],
    language: str,
    *,
    model=None,
    options: Optional[AlignOptions] = None,
    use_whisper: bool = True,
    use_phones: bool = True,
    phone_options: Optional[PhoneOptions] = None,
) -> AlignResult:
    """`align`, plus findings: words with no audio (`script_unspoken`) and speech no word explains (`ad_lib`)."""
    from .types import Finding, Severity

    opts = options or AlignOptions()
    popts = phone_options or PhoneOptions()
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    duration = len(audio) / SAMPLE_RATE
    findings: list[Finding] = []
    if not words:
        return AlignResult([], findings)
    lang = _whisper_language(language)
    pm = None
    if use_phones:
        from .errors import ModelError
        from .phones import load

        try:
            pm = load()
        except ModelError as e:
            findings.append(Finding(kind="aligner_fallback", severity=Severity.info,
                                    message=f"word timing by the signal aligner only: {e}"))
    if pm is None:
        out = align_signal(audio, words, lang, model=model, options=opts, use_whisper=use_whisper)
        return AlignResult(out, findings, by_signal=sum(w.aligner == "signal" for w in out),
                           interpolated=sum(w.timing == "interpolated" for w in out))

    ids = phone_ids(pm, words, lang)
    lp = pm.emissions(audio)
    al = _phone_alignment(pm, lp, ids, audio, words, lang, popts)
    sig = _signal(audio, opts)
    N = len(words)
    F = FRAME_S * 2  # phone frame length (s)
    kind = []  # per word: "phones", "fallback", "unheard", "empty"
    for i, sp in enumerate(al.words):
        if not ids[i]:
            kind.append("empty")
        elif sp.skipped:
            kind.append("unheard")
        elif sp.score >= popts.min_score:
            kind.append("phones")
        else:
            kind.append("fallback")
    start = np.full(N, np.nan)
    last = np.full(N, np.nan)  # end of the last spike
    conf = np.zeros(N)
    for i, sp in enumerate(al.words):
        if kind[i] == "phones":
            lag = ONSET_LAG_S.get(pm.tokens[ids[i][0]], popts.lag_s) if popts.per_token_lag else popts.lag_s
            start[i] = max(0.0, sp.start * F - lag)
            last[i] = max(start[i], (sp.end + 1) * F - popts.lag_s)
            conf[i] = sp.confidence
    # fallback: runs of unconfident words go to the signal aligner between their confident neighbours
    i = 0
    while i < N:
        if kind[i] != "fallback":
            i += 1
            continue
        j = i
        while j < N and kind[j] in ("fallback", "empty"):
            j += 1
        prev = next((k for k in range(i - 1, -1, -1) if kind[k] == "phones"), None)
        nxt = next((k for k in range(j, N) if kind[k] == "phones"), None)
        a = last[prev] if prev is not None else 0.0
        b = start[nxt] if nxt is not None else duration
        seg = audio[int(a * SAMPLE_RATE): int(b * SAMPLE_RATE)]
        if len(seg) >= HOP * 4:
            sub = align_signal(seg, [words[k] for k in range(i, j)], lang, model=model, options=opts,
                               use_whisper=use_whisper)
            for k, w in zip(range(i, j), sub):
                if kind[k] == "fallback":
                    start[k], last[k], conf[k] = a + w.start, a + w.end, min(w.confidence, 0.6)
                    kind[k] = "signal" if w.timing == "aligned" else "fallback"
        i = j
    # ends: where the sound after the last spike stops before a pause; under a bed that never falls quiet, the
    # last spike + a tail when the next spike is far; else the next word's onset
    ends = np.full(N, np.nan)
    timed = [k for k in range(N) if kind[k] in ("phones", "signal")]
    # a music bed (or noise) within bed_range_db of the voice's peak: quiet frames no longer mark every pause
    bed = sig.db.size > 0 and float(np.percentile(sig.db, 99.5) - np.percentile(sig.db, 5)) < popts.bed_range_db
    for n, k in enumerate(timed):
        nxt_start = start[timed[n + 1]] if n + 1 < len(timed) else duration
        if kind[k] == "signal":
            ends[k] = min(last[k], nxt_start)
            continue
        if bed:  # a bed/noise: quiet frames do not mark pauses; a long way to the next spike does
            ends[k] = min(last[k] + popts.end_tail_s, nxt_start) if nxt_start - last[k] > popts.pause_gap_s else nxt_start
        else:  # the sound stops before the next word (a pause, or the end), else connected speech
            ends[k] = min(_sound_end(sig, last[k], nxt_start, opts.pause_s), nxt_start)
    # findings and placement of words without a time of their own
    out: list[Word] = []
    unheard = [k for k in range(N) if kind[k] == "unheard"]
    for k in range(N):
        if kind[k] in ("phones", "signal"):
            out.append(words[k].model_copy(update=dict(start=float(start[k]), end=float(max(ends[k], start[k])),
                                                       confidence=float(np.clip(conf[k], 0, 1)), timing="aligned",
                                                       aligner="phones" if kind[k] == "phones" else "signal")))
        else:
            out.append(None)  # type: ignore[arg-type]
    _interpolate(out, words, duration)
    for run in _index_runs(unheard):
        a, b = out[run[0]].start, out[run[-1]].end
        text = " ".join(words[k].text for k in run)
        findings.append(Finding(kind="script_unspoken", severity=Severity.warning,
                                message=f"“{text}” was not heard in the audio (phone alignment): kept in the captions between "
                                        f"{a:.2f} and {b:.2f} s — check the voice-over",
                                start=round(a, 3), end=round(b, 3), script_text=text, word_indices=list(run)))
    unexplained = []
    for f in al.fillers:
        a, b = max(0.0, f.start * F - popts.lag_s), max(0.0, f.end * F - popts.lag_s)
        if b - a < popts.min_ad_lib_s or len(f.phones.split()) < popts.min_ad_lib_phones:
            continue
        unexplained.append((round(a, 3), round(b, 3), f.phones))
        findings.append(Finding(kind="ad_lib", severity=Severity.warning,
                                message=f"speech at {a:.2f}–{b:.2f} s is not in the captions (the phone model hears "
                                        f"/{f.phones}/): listen and add it to the script or the captions",
                                start=round(a, 3), end=round(b, 3), spoken_text=f"/{f.phones}/"))
    if not bed:
        for k, a, b, phones in _voiced_gaps(al, sig, popts, unexplained):
            unexplained.append((round(a, 3), round(b, 3), phones))
            if out[k].end > a:  # the word before it stops sounding where the unexplained speech starts
                out[k] = out[k].model_copy(update=dict(end=float(max(out[k].start, a))))
            findings.append(Finding(kind="ad_lib", severity=Severity.warning,
                                    message=f"speech at {a:.2f}–{b:.2f} s, between “{words[k].text}” and the next caption "
                                            f"word, is not in the captions (the phone model hears /{phones}/ there): listen "
                                            "and add it to the script or the captions",
                                    start=round(a, 3), end=round(b, 3), spoken_text=f"/{phones}/"))
    res = _finalise(out, duration)
    return AlignResult(res, findings, by_phones=kind.count("phones"), by_signal=kind.count("signal"),
                       interpolated=sum(w.timing == "interpolated" for w in res), unheard=unheard, unexplained=unexplained,
                       log_likelihood=float(al.log_likelihood))


def _voiced_gaps(al, sig: _Signal, popts: PhoneOptions, reported: list[tuple[float, float, str]]):
    """Speech between two timed words that the filler state did not claim as such (clean audio only): from one word's
    last spike (+ ``voiced_tail_s``) to the next word's first spike, at least ``min_voiced_gap_s`` of voiced frames
    and at least one filler phone the phone model hears there. The Viterbi path may let blanks cover most of an
    ad-lib (a CTC model spikes briefly; seed 404: the 1.5 s "我自己也在用" left three filler phones, under the size an
    ``ad_lib`` needs alone) — the energy and the phone model together say it is speech. Yields (index of the word
    before, start s, end s, phones heard)."""
    F = FRAME_S * 2
    timed = [(k, sp) for k, sp in enumerate(al.words) if sp.start is not None]
    for (k, a), (_, b) in zip(timed, timed[1:]):
        lo = (a.end + 1) * F - popts.lag_s + popts.voiced_tail_s
        hi = b.start * F - popts.lag_s
        if hi - lo < popts.min_voiced_gap_s or any(min(y, hi) - max(x, lo) > 0 for x, y, _ in reported):
            continue
        i0, i1 = max(0, int(lo / FRAME_S)), min(sig.silent.size, int(hi / FRAME_S))
        voiced = float(np.count_nonzero(~sig.silent[i0:i1])) * FRAME_S
        heard = [f.phones for f in al.fillers if min((f.end + 1) * F - popts.lag_s, hi) - max(f.start * F - popts.lag_s, lo) > 0]
        if voiced >= popts.min_voiced_gap_s and heard:
            yield k, max(0.0, lo), hi, " ".join(heard)


def _sound_end(sig: _Signal, t0: float, t_next: float, pause_s: float) -> float:
    """Where the word whose last spike is at t0 stops sounding: the start of the first quiet run after t0
    that is a pause (>= pause_s) or lasts until the next word's onset t_next; t_next when there is none
    (connected speech, or a music bed that never falls quiet). A stop closure inside the word is shorter."""
    n = sig.silent.size
    a = max(0, int(t0 / FRAME_S))
    b = min(n, int(math.ceil(t_next / FRAME_S)))
    if b <= a:
        return t_next
    need = max(1, int(round(pause_s / FRAME_S)))
    for r0, r1 in _runs(sig.silent[a:b]):
        if r1 - r0 >= need or a + r1 >= b:
            return max(t0, (a + r0) * FRAME_S)
    return t_next


def _index_runs(idx: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for k in idx:
        if runs and runs[-1][-1] == k - 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return runs


def _interpolate(out: list, words: Sequence[Word], duration: float) -> None:
    """Fill the words without a time (None) evenly between their timed neighbours; low confidence."""
    N = len(out)
    k = 0
    while k < N:
        if out[k] is not None:
            k += 1
            continue
        j = k
        while j < N and out[j] is None:
            j += 1
        a = out[k - 1].end if k > 0 else 0.0
        b = out[j].start if j < N else duration
        b = max(a, b)
        grid = np.linspace(a, b, j - k + 1)
        for n, m in enumerate(range(k, j)):
            out[m] = words[m].model_copy(update=dict(start=float(grid[n]), end=float(grid[n + 1]), confidence=0.1,
                                                     timing="interpolated", aligner=None))
        k = j
