"""Phone-level acoustic model: IPA phone log-probabilities every 20 ms, CTC forced alignment and scoring.

The model is the 4.7 MB phone CTC network that ships inside the PyPI package ``hama`` 1.7.0
(Apache-2.0, numpy only, its own native engine ``libhama``; ``assets/asr_waveform.hama``). hama has no
public API for its log-probabilities, so this is the one module that reaches into its session
(``ASRModel().session.run(["log_probs", "out_lengths"], ...)``); the version is pinned in
pyproject.toml and checked at load time (``ModelError`` when it differs or the engine is missing).

API (all times in 20 ms frames of the emission matrix; ``FRAME_S`` converts to seconds)::

    m = phones.load()                          # cached PhoneModel
    logp = m.emissions(audio16k)               # [T, V] float32 log-probabilities, 20 ms frames
    ids = m.tokenize(["t", "ˈaɪ", "ɚ", "d"])    # IPA phones -> model token ids
    spans = m.forced_align(logp, [ids_w1, ids_w2, ...], filler=True)   # -> Alignment
    s = m.score(logp, ids, t0, t1)             # CTC log-likelihood of ids over frames [t0, t1), normalised

Method and measured facts:

* **Emissions.** The network takes the raw 16 kHz waveform and emits one frame per 320 samples
  (20 ms) over 191 tokens (IPA phones incl. multi-character ones, ``<wb>`` word boundary, ``<blank>``
  last). Audio over ``WINDOW_S`` (30 s) is run in windows that overlap by ``2 * OVERLAP_S``; each
  window contributes only its middle part (cut in the middle of the overlap), so every frame has at
  least ``OVERLAP_S`` (2 s) of context on both sides.
* **Token inventory.** Although the inventory lists 189 symbols, the network only ever emits about
  45 of them: the English phone set (``ɹ ɝ oʊ eɪ aɪ t͡ʃ ...``) plus ``a e o ɾ β``. Measured on the 24
  espeak DEV ads + the real speech clips (23,856 frames): every other token (Korean tense stops,
  ``ja``/``wa`` glide-vowel tokens, tone letters, most diacritics, ``ʁ x ç y ø œ ɡ``) never wins a
  frame and its highest posterior anywhere is < 0.35. ``tokenize`` therefore maps IPA onto the live
  set only (``LIVE_TOKENS``): longest match over the live tokens (tie bars ignored: ``tʃ`` = ``t͡ʃ``),
  stress/length/tone/syllable marks dropped, glide+vowel tokens never used (``ja`` -> ``j a``), and
  every other symbol through ``NEAREST`` (a table of the nearest live phone by place/manner/height,
  e.g. ``ʁ -> ɹ``, ``y -> u``, ``ɡ -> g``, ``ç -> h``, aspiration/breathiness dropped).
* **Forced alignment** (``forced_align``): CTC Viterbi over the concatenated word token sequences
  (blank optional between tokens, required between identical neighbours). Between words (and before
  the first / after the last) there is a gap with a state emitting blank or ``<wb>`` and, with ``filler=True``, a *filler*
  state that emits the best live token of the frame at a cost of ``filler_penalty`` nats per
  frame, so speech the text cannot explain (an inserted phrase) is absorbed by fillers instead of
  being stretched over script words. With ``skip_penalty`` set, a word may also be skipped
  (cost: the penalty per token of the word, plus ``skip_run_penalty`` once per run of consecutive skipped
  words); a skipped word gets ``start = end = None``.
  Per word the result gives start/end frames (first/last frame of its tokens: CTC spikes, so the end
  is the last *spike* — see align.py for end times) and a confidence (below).
* **Scores.** ``score`` = CTC forward log-likelihood of the tokens over the frames minus the
  free-decoding log-likelihood of the same frames (the best unconstrained path, ``sum_t max_v``),
  divided by the number of frames: 0 means the text explains the frames as well as anything can,
  and it is comparable across spans of different length. ``phone_bonus`` adds that many nats per
  token before the division (short readings win raw CTC comparisons because blanks are cheap).
  A word's confidence in ``forced_align`` is ``exp`` of the same per-frame log-ratio for the Viterbi
  path over the word's frames (one frame of margin each side), so 1.0 = the free decoder agrees.
"""
from __future__ import annotations

import functools
import hashlib
import os
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from .errors import ModelError
from .memo import SharedMemo

HAMA_VERSION = "1.7.0"
SAMPLE_RATE = 16000
HOP = 320  # samples per output frame (hama: 160-sample STFT hop, subsampled by 2)
FRAME_S = HOP / SAMPLE_RATE  # 0.02 s
WINDOW_S = 20.0  # longest audio run through the network at once (cost per second grows with it)
OVERLAP_S = 1.0  # context kept on each side of a window's cut
EMISSIONS_CACHE = 4  # emissions kept per model (a batch worker captions one voice-over at a time)

# Tokens the network actually emits (see the module docstring for how this was measured). Everything
# else in its inventory is mapped through NEAREST.
LIVE_TOKENS = (
    "n t i l ɪ s ə ɹ k ɔ d m æ f ɛ ɑ oʊ p ɝ z u eɪ w ð aɪ v j h b a ʌ ʃ o θ g ŋ aʊ ʊ t͡ʃ e d͡ʒ ɔɪ ɾ ʒ β"
).split()

# Nearest live phone for IPA symbols the network does not emit ("" = drop). Multi-character keys are
# matched before single characters.
NEAREST: dict[str, str] = {
    # consonants
    "ɡ": "g", "r": "ɹ", "ʁ": "ɹ", "ʀ": "ɹ", "ɻ": "ɹ", "ɽ": "ɾ", "ɹ̩": "ɝ",
    "x": "h", "χ": "h", "ç": "h", "ħ": "h", "ɦ": "h", "ʕ": "h",
    "ɣ": "g", "ʝ": "j", "ʎ": "j", "ɲ": "n j", "ɳ": "n", "ɴ": "ŋ", "ɱ": "m",
    "ɥ": "w", "ɰ": "w", "ʍ": "w", "ʋ": "v", "ɸ": "f",
    "ɖ": "d", "ʈ": "t", "ɗ": "d", "ɓ": "b", "c": "k", "ɟ": "g", "q": "k", "ʔ": "",
    "ɭ": "l", "ɫ": "l", "ɬ": "l", "ɮ": "l", "ʟ": "l",
    "ʂ": "ʃ", "ɕ": "ʃ", "ʐ": "ʒ", "ʑ": "ʒ", "ʒ": "ʒ",
    "ts": "t s", "dz": "d z", "pf": "p f",
    "tɕ": "t͡ʃ", "tʂ": "t͡ʃ", "dʑ": "d͡ʒ", "dʐ": "d͡ʒ", "ʈʂ": "t͡ʃ", "ɖʐ": "d͡ʒ",
    # vowels
    "y": "u", "ʏ": "ʊ", "ø": "ə", "œ": "ɛ", "ɶ": "a", "ɐ": "ə", "ɜ": "ɝ", "ɚ": "ɝ", "ɞ": "ʌ",
    "ɒ": "ɑ", "ɤ": "ə", "ɯ": "u", "ɨ": "ɪ", "ʉ": "u", "ɵ": "ə", "ɘ": "ə", "ᵻ": "ɪ", "ᵊ": "ə",
    "ä": "a", "ã": "ɑ", "ẽ": "ɛ", "ĩ": "i", "õ": "o", "ũ": "u", "à": "a", "å": "o", "ì": "i", "ǐ": "i",
    "ñ": "n j",
}

_DROP = set("ˈˌ.ːˑ‿͜-'|‖ ") | set("˥˦˧˨˩꜔") | set("0123456789¹²³⁴⁵⁰⁻")
_DROP_MARKS = set("ʰʱʲʷˀˤ˞")  # aspiration, breathy voice, palatalised, labialised, ...
_TIE = "\u0361"


class PhoneModelError(ModelError):
    """The phone model (hama) is missing, the wrong version, or its engine cannot run here."""


@dataclass
class WordSpan:
    """Where one word of a forced alignment sits (frames of the emission matrix; None when skipped)."""

    start: Optional[int]  # first frame of the word's first token
    end: Optional[int]  # last frame of the word's last token (inclusive)
    confidence: float  # exp(per-frame log-ratio of the forced path to free decoding) in 0..1
    score: float  # the per-frame log-ratio itself (nats/frame, <= ~0)
    n_tokens: int

    @property
    def skipped(self) -> bool:
        return self.start is None


@dataclass
class FillerSpan:
    """Frames of one inter-word gap that the filler state absorbed: speech the text does not explain."""

    start: int  # first filler frame of the gap
    end: int  # one past its last filler frame
    after_word: int  # index of the word before it (-1: before the first word)
    phones: str  # what the free decoder hears there (IPA tokens, space separated)


@dataclass
class Alignment:
    """Result of ``PhoneModel.forced_align``: one WordSpan per word, the filler runs and the path score."""

    words: list[WordSpan]
    fillers: list[FillerSpan] = field(default_factory=list)
    log_likelihood: float = 0.0  # Viterbi path score (nats)
    free_log_likelihood: float = 0.0  # free decoding of the same frames (nats)


def _check_hama():
    try:
        import importlib.metadata as md

        version = md.version("hama")
    except Exception:
        raise PhoneModelError(f"the phone model needs the 'hama' package ({HAMA_VERSION}): pip install hama=={HAMA_VERSION}")
    if version != HAMA_VERSION:
        raise PhoneModelError(f"hama {version} is installed but captioner is built against hama {HAMA_VERSION} "
                              f"(private model API): pip install hama=={HAMA_VERSION}")
    try:
        from hama import _engine
        from hama.asr import ASRModel
    except Exception as e:  # pragma: no cover - broken install
        raise PhoneModelError(f"cannot import hama ({e}): reinstall with pip install --force-reinstall hama=={HAMA_VERSION}")
    if not _engine.available():
        raise PhoneModelError("hama's native engine (libhama) is missing for this platform: the phone model cannot run here")
    return ASRModel


def _strip_tie(s: str) -> str:
    return s.replace(_TIE, "")


class PhoneModel:
    """hama's phone CTC model: emissions, IPA tokenizer, CTC forced alignment and scoring."""

    def __init__(self):
        ASRModel = _check_hama()
        try:
            m = ASRModel()
        except Exception as e:
            raise PhoneModelError(f"cannot load hama's phone model ({e}): reinstall hama=={HAMA_VERSION}")
        self._m = m
        self.tokens: list[str] = list(m.decoder_tokens)
        self.blank: int = int(m.blank_id)
        self.word_boundary: int = self.tokens.index("<wb>")
        self._in = (m._waveform_input_name, m._waveform_lengths_input_name)
        self._out = (m._log_probs_output_name, m._out_lengths_output_name)
        self.live = [self.tokens.index(t) for t in LIVE_TOKENS]
        self._key_to_id = {_strip_tie(self.tokens[i]): i for i in self.live}
        self._maxlen = max(len(k) for k in self._key_to_id)
        self._near = {k: v for k, v in NEAREST.items()}
        self._near_maxlen = max(len(k) for k in self._near)
        self._speech = np.array(self.live, dtype=np.int64)  # what a filler frame may emit
        self._cache = SharedMemo(EMISSIONS_CACHE)

    # ------------------------------------------------------------------ emissions

    def _run(self, audio: np.ndarray) -> np.ndarray:
        wav = np.ascontiguousarray(audio, dtype=np.float32).reshape(1, -1)
        lp, ln = self._m.session.run(list(self._out), {self._in[0]: wav, self._in[1]: np.array([wav.shape[1]], dtype=np.int64)})
        n = int(np.asarray(ln).reshape(-1)[0])
        return np.asarray(lp[0, :n], dtype=np.float32)

    def emissions(self, audio16k: np.ndarray, *, window_s: float = None, workers: int = None) -> np.ndarray:
        """Log-probabilities [T, V] (20 ms frames, T = ceil(len/320)) of 16 kHz mono float audio.

        Audio longer than `window_s` (default WINDOW_S) is cut into equal windows that overlap by
        2 x OVERLAP_S; the windows run on `workers` threads (default: 2 when the machine has them; the
        engine is single-threaded and its cost per second grows with the window length).

        The last few results are kept, keyed by a hash of the samples: the price judge and the aligner ask for
        the same audio's emissions one after the other (1.2 s for a 15 s ad on this machine's cores; hashing
        the samples costs ~1 ms). The array returned is read-only.
        """
        audio = np.clip(np.asarray(audio16k, dtype=np.float32).reshape(-1), -1.0, 1.0)
        key = (hashlib.blake2b(np.ascontiguousarray(audio).tobytes(), digest_size=16).digest(), window_s)

        def compute() -> np.ndarray:
            lp = self._emissions(audio, window_s, workers)
            lp.flags.writeable = False
            return lp

        return self._cache.get(key, compute)  # a `prefetch` of the same samples under way: waited for

    def prefetch(self, audio16k: np.ndarray) -> threading.Thread:
        """Start computing `emissions(audio16k)` on a background thread and return it; a later `emissions` call
        on the same samples waits for that result instead of computing it again. The pipeline starts this before
        the recogniser runs: the engine is single-threaded and overlaps with the recogniser's decoding."""

        def run():
            try:
                self.emissions(audio16k)
            except Exception:  # the caller that needs the emissions computes them again and sees the error
                pass

        t = threading.Thread(target=run, name="phone-emissions", daemon=True)
        t.start()
        return t

    def clear_cache(self) -> None:
        """Forget the kept emissions (benchmarks time a fresh ad this way)."""
        self._cache.clear()

    def _emissions(self, audio: np.ndarray, window_s: float = None, workers: int = None) -> np.ndarray:
        if audio.size < HOP:
            audio = np.concatenate([audio, np.zeros(HOP - audio.size, np.float32)])
        total = int(np.ceil(audio.size / HOP))
        win = int((window_s or WINDOW_S) * SAMPLE_RATE) // HOP  # frames per window
        ov = int(OVERLAP_S * SAMPLE_RATE) // HOP
        n_win = 1 if total <= win else int(np.ceil((total - 2 * ov) / (win - 2 * ov)))
        if n_win == 1:
            return self._fit(self._run(audio), total)
        core = int(np.ceil(total / n_win))  # frames each window delivers
        spans = []
        for k in range(n_win):
            f0, f1 = k * core, min(total, (k + 1) * core)
            a, b = max(0, f0 - ov), min(total, f1 + ov)
            spans.append((f0, f1, a, b))
        n_workers = workers or min(2, os.cpu_count() or 1)

        def one(span):
            f0, f1, a, b = span
            lp = self._fit(self._run(audio[a * HOP: b * HOP]), b - a)
            return lp[f0 - a: f1 - a]

        if n_workers > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(n_workers) as ex:  # ctypes releases the GIL during the engine call
                parts = list(ex.map(one, spans))
        else:
            parts = [one(sp) for sp in spans]
        return np.concatenate(parts)[:total]

    def _fit(self, lp: np.ndarray, n: int) -> np.ndarray:
        """Pad (with the last frame) or trim the network's output to exactly n frames."""
        if lp.shape[0] >= n:
            return lp[:n]
        pad = np.repeat(lp[-1:] if lp.shape[0] else self._silence_row(), n - lp.shape[0], axis=0)
        return np.concatenate([lp, pad])

    def _silence_row(self) -> np.ndarray:
        row = np.full((1, len(self.tokens)), -30.0, dtype=np.float32)
        row[0, self.blank] = 0.0
        return row

    # ------------------------------------------------------------------ tokens

    def tokenize(self, phones: Sequence[str]) -> list[int]:
        """Model token ids for a list of IPA phones (longest match on live tokens; see NEAREST)."""
        ids: list[int] = []
        for ph in phones:
            ids += self._tokenize_one(ph)
        return ids

    def _tokenize_one(self, phone: str) -> list[int]:
        s = unicodedata.normalize("NFC", phone)
        s = "".join(ch for ch in s if ch not in _DROP and ch not in _DROP_MARKS)
        s = _strip_tie(s)
        out: list[int] = []
        i = 0
        while i < len(s):
            hit = None
            # a nearest-table entry as long as or longer than a live match wins (ts -> t s, tɕ -> t͡ʃ)
            for L in range(min(self._near_maxlen, len(s) - i), 0, -1):
                if s[i:i + L] in self._near:
                    hit = ("near", L)
                    break
            for L in range(min(self._maxlen, len(s) - i), 0, -1):
                if s[i:i + L] in self._key_to_id:
                    if hit is None or L > hit[1]:
                        hit = ("live", L)
                    break
            if hit is None:
                ch = s[i]
                base = unicodedata.normalize("NFD", ch)
                if len(base) > 1 and base[0] != ch:  # precomposed letter + diacritic: try the bare letter
                    out += self._tokenize_one(base[0])
                # combining marks and unknown symbols are dropped
                i += 1
                continue
            kind, L = hit
            piece = s[i:i + L]
            if kind == "live":
                out.append(self._key_to_id[piece])
            else:
                for p in self._near[piece].split():
                    out.append(self._key_to_id[_strip_tie(p)])
            i += L
        return out

    def token_text(self, ids: Sequence[int]) -> str:
        return " ".join(self.tokens[i] for i in ids)

    # ------------------------------------------------------------------ alignment

    def forced_align(
        self,
        logp: np.ndarray,
        words: Sequence[Sequence[int]],
        *,
        filler: bool = False,
        filler_penalty: float = 4.0,
        skip_penalty: Optional[float] | Sequence[Optional[float]] = None,
        skip_run_penalty: float = 0.0,
        t0: int = 0,
        t1: Optional[int] = None,
        bands: Optional[Sequence[Optional[tuple[int, int]]]] = None,
    ) -> Alignment:
        """CTC Viterbi alignment of `words` (token id lists) to frames [t0, t1) of `logp`.

        bands: per word, None or the (first, last) absolute frame its tokens may occupy (a recogniser heard it
          there, give or take); a word outside its band can only be skipped.

        filler: allow filler states between words (speech the text cannot explain), each filler frame
          costing `filler_penalty` nats on top of the best non-blank token's log-probability.
        skip_penalty: when set, a word may be left out at `skip_penalty` nats per token (script text
          with no audio); otherwise every word gets at least one frame per token. A list gives one
          value per word (None: that word cannot be skipped). skip_run_penalty: extra nats for each run of
          consecutive skipped words (so one long run beats scattered single skips).
        Frames in the result are absolute (t0 included). A word with no tokens (nothing to pronounce) or
        skipped gets start = end = None (tell them apart by ``n_tokens``). When no alignment exists (fewer
        frames than tokens and no skips allowed) every word is None and ``log_likelihood`` is -inf.
        """
        T_all = logp.shape[0]
        t1 = T_all if t1 is None else min(t1, T_all)
        lp = np.asarray(logp[t0:t1], dtype=np.float32)
        T = lp.shape[0]
        words = [list(w) for w in words]
        sp = list(skip_penalty) if isinstance(skip_penalty, (list, tuple)) else [skip_penalty] * len(words)
        if len(sp) != len(words):
            raise ValueError("skip_penalty: one value (or None) per word")
        G = _Graph(words, self.blank, filler, sp, float(skip_run_penalty))
        if T == 0 or G.n_tok == 0:
            return Alignment(words=[WordSpan(None, None, 0.0, float("-inf"), len(w)) for w in words])
        speech = lp[:, self._speech]
        best_nonblank = speech.max(axis=1)
        best_nb_arg = self._speech[speech.argmax(axis=1)]
        gap_id = np.where(lp[:, self.word_boundary] > lp[:, self.blank], self.word_boundary, self.blank)
        gap_emit = lp[np.arange(T), gap_id]
        lo = hi = None
        if bands is not None and any(b is not None for b in bands):
            lo, hi = np.full(G.S, -1, dtype=np.int64), np.full(G.S, T + 1, dtype=np.int64)
            for wi, b in enumerate(bands):
                if b is not None:
                    st = G.word_of == wi
                    lo[st], hi[st] = b[0] - t0, b[1] - t0
        path, total = G.viterbi(lp, best_nonblank - filler_penalty, gap_emit, lo, hi)
        if path is None:
            return Alignment(words=[WordSpan(None, None, 0.0, float("-inf"), len(w)) for w in words],
                             log_likelihood=float("-inf"), free_log_likelihood=float(lp.max(axis=1).sum()))
        free = lp.max(axis=1)
        spans = []
        for wi, w in enumerate(words):
            fr = np.flatnonzero(G.word_of[path] == wi)
            if fr.size == 0:
                spans.append(WordSpan(None, None, 0.0, float("-inf"), len(w)))
                continue
            a, b = int(fr[0]), int(fr[-1])
            lo, hi = max(0, a - 1), min(T, b + 2)
            st = path[lo:hi]
            emit = lp[np.arange(lo, hi), G.emit_id(st, best_nb_arg[lo:hi], gap_id[lo:hi])]
            s = float((emit.sum() - free[lo:hi].sum()) / max(1, hi - lo))
            spans.append(WordSpan(a + t0, b + t0, float(np.exp(s)), s, len(w)))
        fillers = []
        # filler frames are CTC spikes with gap blanks between them: one FillerSpan per gap, from its
        # first to its last filler frame
        isf = G.is_filler[path]
        gap = G.gap_of[path]
        for g in np.unique(gap[isf]):
            fr = np.flatnonzero(isf & (gap == g))
            a, b = int(fr[0]), int(fr[-1]) + 1
            ph = []
            for t in fr:
                k = int(best_nb_arg[t])
                if not ph or ph[-1] != k or t - 1 not in fr:
                    ph.append(k)
            fillers.append(FillerSpan(a + t0, b + t0, int(g) - 1, self.token_text(ph)))
        return Alignment(words=spans, fillers=fillers, log_likelihood=float(total), free_log_likelihood=float(free.sum()))

    def score(self, logp: np.ndarray, token_ids: Sequence[int], t0: int = 0, t1: Optional[int] = None, *,
              phone_bonus: float = 0.0) -> float:
        """Per-frame log-ratio of the CTC likelihood of `token_ids` over frames [t0, t1) to free decoding.

        (log P_ctc(tokens | frames) + phone_bonus * len(tokens) - sum_t max_v logp[t, v]) / (t1 - t0).
        -inf when the span has fewer frames than the tokens need.
        """
        t1 = logp.shape[0] if t1 is None else min(t1, logp.shape[0])
        lp = np.asarray(logp[t0:t1], dtype=np.float64)
        T = lp.shape[0]
        if T == 0:
            return float("-inf")
        ll = ctc_log_likelihood(lp, list(token_ids), self.blank)
        return float((ll + phone_bonus * len(token_ids) - lp.max(axis=1).sum()) / T)

    def free_decode(self, logp: np.ndarray, t0: int = 0, t1: Optional[int] = None) -> list[tuple[int, int]]:
        """Greedy CTC decoding of frames [t0, t1): (frame, token id) per emitted non-blank token."""
        t1 = logp.shape[0] if t1 is None else t1
        am = logp[t0:t1].argmax(axis=1)
        out = []
        prev = -1
        for t, k in enumerate(am):
            k = int(k)
            if k != prev and k != self.blank and k != self.word_boundary:
                out.append((t + t0, k))
            prev = k
        return out


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    if mask.size == 0:
        return []
    d = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def ctc_log_likelihood(lp: np.ndarray, ids: list[int], blank: int) -> float:
    """log P(ids | lp) under CTC (forward algorithm, sum over all alignments)."""
    T = lp.shape[0]
    if not ids:
        return float(lp[:, blank].sum())
    ext = [blank]
    for k in ids:
        ext += [k, blank]
    ext = np.array(ext)
    S = len(ext)
    skip = np.zeros(S, bool)
    skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])
    NEG = -1e30
    alpha = np.full(S, NEG)
    alpha[0] = lp[0, ext[0]]
    if S > 1:
        alpha[1] = lp[0, ext[1]]
    for t in range(1, T):
        a1 = np.concatenate([[NEG], alpha[:-1]])
        a2 = np.where(skip, np.concatenate([[NEG, NEG], alpha[:-2]]), NEG)
        alpha = np.logaddexp(np.logaddexp(alpha, a1), a2) + lp[t, ext]
    tail = alpha[-2:] if S > 1 else alpha[-1:]
    out = float(np.logaddexp.reduce(tail))
    return out if out > NEG / 2 else float("-inf")


class _Graph:
    """State graph for CTC forced alignment with inter-word gaps (blank [+ filler]) and optional word skips.

    States, in order: gap 0 (blank, [filler]), word 0 tokens with blanks between them, gap 1 ([skip state],
    blank, [filler]), word 1, ..., gap N. A skip state of gap i means "word i-1 was left out": entered from gap
    i-1 (a new run of skipped words: run penalty + per-token penalty) or from the skip state of gap i-1 (the
    run goes on: per-token penalty only). Predecessors are padded with -1.
    """

    def __init__(self, words: list[list[int]], blank: int, filler: bool, skip_penalty: list[Optional[float]],
                 run_penalty: float = 0.0):
        ids, word_of, gap_of, is_filler, is_blank = [], [], [], [], []
        preds: list[list[tuple[int, float]]] = []

        def add(tok, w, g, fil, blk, pr):
            ids.append(tok)
            word_of.append(w)
            gap_of.append(g)
            is_filler.append(fil)
            is_blank.append(blk)
            preds.append(pr)
            return len(ids) - 1

        self.starts, self.finals = [], []
        prev_exits: list[int] = []  # states from which the next word / gap may be entered
        prev_gap: list[int] = []  # the gap states before the current word (for skips)
        n_tok = 0
        at_start = True  # no word with tokens placed yet: its first token may start the path
        prev_skip: Optional[int] = None  # the skip state of the previous gap
        for wi in range(len(words) + 1):
            # gap wi
            sp = skip_penalty[wi - 1] if wi > 0 else None
            skip_state = None
            if sp is not None:
                cost = -float(sp) * len(words[wi - 1])
                skip_state = add(-3, -1, wi, False, True, [])
                preds[skip_state] = [(skip_state, 0.0)] + [(g, cost - run_penalty) for g in prev_gap]
                if prev_skip is not None:
                    preds[skip_state].append((prev_skip, cost))
            gb = add(-3, -1, wi, False, True, [])  # -3: blank or the model's word-boundary token
            preds[gb] = [(gb, 0.0)] + [(s, 0.0) for s in prev_exits]
            gap_states = [gb]
            if filler:
                gf = add(-2, -1, wi, True, False, [])
                preds[gf] = [(gf, 0.0), (gb, 0.0)] + [(s, 0.0) for s in prev_exits]
                preds[gb].append((gf, 0.0))
                gap_states.append(gf)
            if skip_state is not None:
                for g in gap_states:
                    preds[g].append((skip_state, 0.0))
            if wi == 0:
                self.starts += gap_states
            if wi == len(words):
                self.finals += gap_states + prev_exits + ([skip_state] if skip_state is not None else [])
                break
            w = words[wi]
            entries = gap_states + prev_exits + ([skip_state] if skip_state is not None else [])
            prev_skip = skip_state
            if not w:  # nothing to pronounce: the next gap/word is entered from this gap and the same exits
                prev_gap = gap_states
                prev_exits = prev_exits + gap_states
                continue
            last = None
            for j, k in enumerate(w):
                n_tok += 1
                if j == 0:
                    s = add(k, wi, -1, False, False, [])
                    preds[s] = [(s, 0.0)] + [(e, 0.0) for e in entries if ids[e] != k or is_blank[e] or is_filler[e]]
                    if at_start:
                        self.starts.append(s)
                        at_start = False
                else:
                    b = add(blank, wi, -1, False, True, [(last, 0.0)])
                    preds[b].append((b, 0.0))
                    s = add(k, wi, -1, False, False, [])
                    preds[s] = [(s, 0.0), (b, 0.0)] + ([(last, 0.0)] if ids[last] != k else [])
                last = s
            prev_gap = gap_states
            prev_exits = [last]
        # a word entered straight from the previous word's last token must differ from it (CTC)
        self.n_tok = n_tok
        S = len(ids)
        K = max(len(p) for p in preds)
        self.pred = np.full((K, S), -1, dtype=np.int64)
        self.pcost = np.full((K, S), -np.inf)
        for s, pr in enumerate(preds):
            for k, (p, c) in enumerate(pr):
                self.pred[k, s] = p
                self.pcost[k, s] = c
        self.ids = np.array(ids)
        self.word_of = np.array(word_of + [-1])[:S]
        self.gap_of = np.array(gap_of)
        self.is_filler = np.array(is_filler)
        self.is_blank = np.array(is_blank)
        self.S = S

    def emit_id(self, states: np.ndarray, best_nb: np.ndarray, gap_id: np.ndarray) -> np.ndarray:
        ids = self.ids[states]
        return np.where(ids == -2, best_nb, np.where(ids == -3, gap_id, ids))

    def viterbi(self, lp: np.ndarray, filler_emit: np.ndarray, gap_emit: np.ndarray, lo: Optional[np.ndarray] = None,
                hi: Optional[np.ndarray] = None) -> tuple[np.ndarray, float]:
        """Best state path; `lo` / `hi` (per state, frames): where a state may be occupied (None: anywhere)."""
        T = lp.shape[0]
        S = self.S
        tok = np.where(self.ids >= 0, self.ids, 0)
        fil = self.ids == -2
        gap = self.ids == -3
        NEG = -1e30
        emit0 = lp[0, tok].astype(np.float64)
        emit0[fil] = filler_emit[0]
        emit0[gap] = gap_emit[0]
        delta = np.full(S, NEG)
        delta[self.starts] = emit0[self.starts]
        if lo is not None:
            delta[(lo > 0) | (hi < 0)] = NEG
        back = np.zeros((T, S), dtype=np.int8)
        valid = self.pred >= 0
        predc = np.where(valid, self.pred, 0)
        pcost = np.where(valid, self.pcost, NEG)
        for t in range(1, T):
            cand = delta[predc] + pcost  # [K, S]
            k = cand.argmax(axis=0)
            best = cand[k, np.arange(S)]
            e = lp[t, tok].astype(np.float64)
            e[fil] = filler_emit[t]
            e[gap] = gap_emit[t]
            delta = best + e
            if lo is not None:
                delta[(lo > t) | (hi < t)] = NEG
            back[t] = k
        fin = np.array(self.finals)
        s = int(fin[np.argmax(delta[fin])])
        total = float(delta[s])
        if total < NEG / 2:  # no path: more tokens than frames and no skips allowed
            return None, float("-inf")
        path = np.empty(T, dtype=np.int64)
        for t in range(T - 1, -1, -1):
            path[t] = s
            if t:
                s = int(self.pred[back[t, s], s])
        return path, total


@functools.lru_cache(maxsize=1)
def load() -> PhoneModel:
    """The process-wide PhoneModel (loaded once, ~0.1 s)."""
    return PhoneModel()
