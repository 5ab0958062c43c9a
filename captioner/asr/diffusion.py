"""Diffusion ASR backend: Whisper encoder → projector → DiffusionGemma + LoRA denoising a canvas seeded from the script or noise."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..errors import InputError, ModelError
from ..types import Transcript, Word
from . import SAMPLE_RATE, ASROptions
from .diffusion_layout import REAL_MODEL_HINT, check_layout
from .diffusion_seed import CANVAS_SEEDS, DEFAULT_NUMBER_MARGIN, DEFAULT_RENOISE


def _require_torch():
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
        import peft  # noqa: F401
    except ImportError as e:
        raise ModelError(f"the diffusion backend needs torch, transformers and peft ({e.name} is missing): "
                         "pip install 'captioner[diffusion]'") from e


RANDOM_STEPS = 8  # the published recipe: 8 passes ≈ best accuracy from a random canvas
# From a script-seeded canvas: 4 passes matched or beat 8 random ones on the held-apart generated clips
# (benchmarks/bench_diffusion_seed.py, docs/DIFFUSION.md), at half the decoder cost.
SEEDED_STEPS = 4


@dataclass
class _Chunk:
    clip: int
    audio: np.ndarray
    prompt: list[int]
    init: Optional[list[int]] = None  # script-seeded start canvas; None: random
    seed: int = 0
    steps: int = RANDOM_STEPS
    text: str = ""
    passes: int = 0


class DiffusionBackend:
    """`--asr diffusion`: loads local folders only (never downloads); see docs/DIFFUSION.md for the layout.

    model_dir: DiffusionGemma folder (config.json, tokenizer.json, model*.safetensors) or $CAPTIONER_DIFFUSION_MODEL.
    adapter_dir: adapter folder (adapter_config.json, adapter_model.safetensors, projector.safetensors,
        audio_config.json) or $CAPTIONER_ADAPTER.
    whisper_dir: transformers Whisper folder or $CAPTIONER_WHISPER; for adapters trained on the CTranslate2
        encoder ("whisper-ct2") it may be omitted and the shipped Whisper base serves.
    canvas_seed: "script" (default) — when a script is given (and use_prompt), the canvas starts from the
        script's spoken form with every number re-drawn and a `renoise` fraction of the rest re-drawn
        (diffusion_seed.py); "random" — always from uniform random tokens.
    steps: denoising passes; None: 8 from a random canvas, 4 from a script-seeded one. adaptive=True stops
        early when stable and confident (≤ max_steps).
    canvas: canvas length in tokens (default: the adapter's trained canvas, 192 for the published recipe;
        must not exceed it).
    """

    name = "diffusion"

    def __init__(self, model_dir: Optional[str] = None, adapter_dir: Optional[str] = None,
                 whisper_dir: Optional[str] = None, device: str = "auto", steps: Optional[int] = None,
                 canvas: Optional[int] = None, seed: Optional[int] = None, adaptive: bool = False, max_steps: int = 48,
                 batch_size: int = 16, threads: int = 0, check_memory: bool = True, canvas_seed: str = "script",
                 renoise: float = DEFAULT_RENOISE, number_margin: int = DEFAULT_NUMBER_MARGIN,
                 keep_confirmed: bool = True):
        if (steps is not None and steps < 1) or max_steps < 1:
            raise InputError(f"diffusion steps must be ≥ 1 (got {steps})")
        if canvas is not None and canvas < 8:
            raise InputError(f"diffusion canvas must be ≥ 8 tokens (got {canvas})")
        if batch_size < 1:
            raise InputError("batch_size must be ≥ 1")
        if canvas_seed not in CANVAS_SEEDS:
            raise InputError(f"--diffusion-seed must be one of {', '.join(CANVAS_SEEDS)}, not {canvas_seed!r}")
        if not 0.0 <= renoise <= 1.0:
            raise InputError(f"renoise must be between 0 and 1 (got {renoise})")
        if number_margin < 0:
            raise InputError(f"number_margin must be ≥ 0 (got {number_margin})")
        # file checks first: they need no torch and name everything missing at once
        self._dirs = check_layout(model_dir, adapter_dir, whisper_dir)[:3]
        _require_torch()
        self.device_name = device
        self.steps, self.canvas, self.seed = steps, canvas, seed
        self.adaptive, self.max_steps, self.batch_size = adaptive, max_steps, batch_size
        self.canvas_seed, self.renoise, self.number_margin = canvas_seed, renoise, number_margin
        self.keep_confirmed = keep_confirmed
        self.threads = threads
        self.check_memory = check_memory
        self._asr = None
        self._lock = threading.Lock()

    # loading -----------------------------------------------------------------------------------
    @property
    def model(self):
        """The loaded DiffusionASR (loaded on first use)."""
        with self._lock:
            if self._asr is None:
                import torch

                from .diffusion_model import load_diffusion_asr

                if self.threads:
                    torch.set_num_threads(self.threads)
                asr = load_diffusion_asr(*self._dirs, device=self.device_name, check_memory=self.check_memory)
                self.canvas = self.canvas or asr.cfg.canvas_length
                if self.canvas > asr.cfg.canvas_length:
                    raise InputError(f"canvas {self.canvas} exceeds the adapter's trained canvas "
                                     f"{asr.cfg.canvas_length}; use --diffusion-canvas ≤ {asr.cfg.canvas_length}")
                asr.canvas_length = self.canvas
                self._asr = asr
            return self._asr

    def steps_for(self, seeded: bool) -> int:
        if self.steps is not None:
            return self.steps
        return SEEDED_STEPS if seeded else RANDOM_STEPS

    def _sampler(self, steps: int, seeded: bool = False):
        from .diffusion_sampler import SamplerConfig

        return SamplerConfig(steps=steps, adaptive=self.adaptive, max_steps=self.max_steps,
                             keep_confirmed=seeded and self.keep_confirmed)

    # transcription -----------------------------------------------------------------------------
    def transcribe(self, audio: np.ndarray, options: ASROptions) -> Transcript:
        return self.transcribe_many([audio], [options])[0]

    def transcribe_batch(self, audios: Sequence[np.ndarray], options: ASROptions) -> list[Transcript]:
        """Transcribe several clips with the same options (one batched decode)."""
        return self.transcribe_many(audios, [options] * len(audios))

    def transcribe_many(self, audios: Sequence[np.ndarray], options: Sequence[ASROptions]) -> list[Transcript]:
        """Transcribe several clips, each with its own options (language, script, seed), in batched decodes.

        Every ≤30 s chunk of every clip is denoised together with the others that share its step count and
        seed (script-seeded chunks and random ones form separate batches: their step counts differ), in
        batches of batch_size. A clip decodes to the same text alone or inside any batch.
        """
        from .diffusion_model import chunk_audio
        from .diffusion_seed import split_for_chunks, spoken_script

        if len(options) != len(audios):
            raise InputError(f"transcribe_many got {len(audios)} clips but {len(options)} options")
        arrays = []
        for a, o in zip(audios, options):
            if o.language == "auto":
                raise InputError("the diffusion backend needs a pinned language (--language xx); it does not detect")
            a = np.asarray(a, dtype=np.float32)
            if a.ndim != 1:
                raise InputError(f"audio must be mono 1-D float32 at 16 kHz, got shape {a.shape}")
            if not np.isfinite(a).all():
                raise InputError("audio contains NaN or infinite samples")
            arrays.append(a)
        asr = self.model
        chunks: list[_Chunk] = []
        notes: list[list[str]] = []
        used_script: list[bool] = []
        for i, (a, o) in enumerate(zip(arrays, options)):
            script = o.script if (o.use_prompt and o.script and o.script.strip()) else None
            seed = int(self.seed if self.seed is not None else o.seed)
            n = []
            if script and not asr.cfg.trained_with_script and self.canvas_seed == "random":
                n.append("script not put in the prompt: this adapter was not trained with one (out of distribution)")
            if asr.cfg.languages and o.language not in asr.cfg.languages:
                n.append(f"adapter trained on {', '.join(asr.cfg.languages)}; language {o.language} is untested")
            prompt = asr.prompt_ids(o.language, script if asr.cfg.trained_with_script else None)
            parts = chunk_audio(a) if len(a) else [a]
            spoken = None
            if script and self.canvas_seed == "script":
                spoken = spoken_script(script, o.language, asr.cfg.transcript_style)
                if not spoken.words:
                    spoken = None
            ranges = split_for_chunks(spoken, [len(p) for p in parts]) if spoken else [None] * len(parts)
            seeded_any = False
            for k, (part, rng) in enumerate(zip(parts, ranges)):
                c = _Chunk(i, part, prompt, seed=seed, steps=self.steps_for(False))
                if rng is not None:
                    text, spans = spoken.text_and_spans(*rng, noisy_head=k > 0, noisy_tail=k < len(parts) - 1)
                    sc = asr.seed_canvas(text, spans, self.renoise, seed, self.number_margin) if text else None
                    if sc is None and text:
                        n.append(f"script part of chunk {k + 1} does not fit the {asr.canvas_length}-token canvas: "
                                 "decoded from a random canvas")
                    elif sc is not None:
                        c.init, c.steps = sc.ids, self.steps_for(True)
                        seeded_any = True
                        n.append(f"canvas seeded from the script: {sc.script_tokens} tokens, {sc.number_tokens} in "
                                 f"number spans (re-drawn), {self.renoise:.0%} of the rest re-drawn")
                chunks.append(c)
            if len(parts) > 1:
                n.append(f"audio of {len(a) / SAMPLE_RATE:.1f} s decoded as {len(parts)} windows of ≤30 s"
                         + (" (script split across them in proportion to time)" if seeded_any else ""))
            notes.append(n)
            used_script.append(bool(script) and (seeded_any or asr.cfg.trained_with_script))
        t0 = time.perf_counter()
        self._decode(asr, chunks)
        elapsed = time.perf_counter() - t0
        out = []
        for i, a in enumerate(arrays):
            mine = [c for c in chunks if c.clip == i]
            text = " ".join(c.text for c in mine if c.text)
            words = [Word(text=w, start=0.0, end=0.0, timing="asr") for w in text.split()]
            n = notes[i] + [f"diffusion: {max(c.passes for c in mine)} denoising passes, canvas {asr.canvas_length}, "
                            f"{len(chunks)} chunk(s) of {len(arrays)} clip(s) decoded in {elapsed:.2f} s"]
            out.append(Transcript(text=text, words=words, language=options[i].language, backend=self.name,
                                  duration=len(a) / SAMPLE_RATE, has_timestamps=False, prompt_used=used_script[i],
                                  notes=n))
        return out

    def _decode(self, asr, chunks: list["_Chunk"]) -> None:
        """Denoise the chunks in batches of chunks that share (seeded or not, steps, seed); fills text/passes."""
        import torch

        groups: dict[tuple, list[_Chunk]] = {}
        for c in chunks:
            groups.setdefault((c.init is not None, c.steps, c.seed), []).append(c)
        for (seeded, steps, seed), group in groups.items():
            sampler = self._sampler(steps, seeded)
            for j in range(0, len(group), self.batch_size):
                part = group[j : j + self.batch_size]
                frames = asr.encoder([c.audio for c in part])
                gen = torch.Generator().manual_seed(seed)  # fresh per batch: a chunk's draws never depend on its batch
                ids, passes = asr.decode_frames(frames, [c.prompt for c in part], sampler, gen,
                                                init=[c.init for c in part] if seeded else None)
                for c, x in zip(part, ids):
                    c.text, c.passes = asr.detokenize(x), passes


__all__ = ["DiffusionBackend", "REAL_MODEL_HINT", "RANDOM_STEPS", "SEEDED_STEPS"]
