"""Diffusion ASR backend: Whisper encoder → projector → DiffusionGemma + LoRA denoising a fixed canvas (no timestamps)."""
from __future__ import annotations

import threading
import time
from typing import Optional, Sequence

import numpy as np

from ..errors import InputError, ModelError
from ..types import Transcript, Word
from . import SAMPLE_RATE, ASROptions
from .diffusion_layout import REAL_MODEL_HINT, check_layout


def _require_torch():
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
        import peft  # noqa: F401
    except ImportError as e:
        raise ModelError(f"the diffusion backend needs torch, transformers and peft ({e.name} is missing): "
                         "pip install 'captioner[diffusion]'") from e


class DiffusionBackend:
    """`--asr diffusion`: loads local folders only (never downloads); see docs/DIFFUSION.md for the layout.

    model_dir: DiffusionGemma folder (config.json, tokenizer.json, model*.safetensors) or $CAPTIONER_DIFFUSION_MODEL.
    adapter_dir: adapter folder (adapter_config.json, adapter_model.safetensors, projector.safetensors,
        audio_config.json) or $CAPTIONER_ADAPTER.
    whisper_dir: transformers Whisper folder or $CAPTIONER_WHISPER; for adapters trained on the CTranslate2
        encoder ("whisper-ct2") it may be omitted and the shipped Whisper base serves.
    steps: fixed denoising passes (default 8); adaptive=True stops early when stable and confident (≤ max_steps).
    canvas: canvas length in tokens (default: the adapter's trained canvas, 192 for the published recipe;
        must not exceed it).
    """

    name = "diffusion"

    def __init__(self, model_dir: Optional[str] = None, adapter_dir: Optional[str] = None,
                 whisper_dir: Optional[str] = None, device: str = "auto", steps: int = 8, canvas: Optional[int] = None,
                 seed: Optional[int] = None, adaptive: bool = False, max_steps: int = 48, batch_size: int = 16,
                 threads: int = 0, check_memory: bool = True):
        if steps < 1 or max_steps < 1:
            raise InputError(f"diffusion steps must be ≥ 1 (got {steps})")
        if canvas is not None and canvas < 8:
            raise InputError(f"diffusion canvas must be ≥ 8 tokens (got {canvas})")
        if batch_size < 1:
            raise InputError("batch_size must be ≥ 1")
        # file checks first: they need no torch and name everything missing at once
        self._dirs = check_layout(model_dir, adapter_dir, whisper_dir)[:3]
        _require_torch()
        self.device_name = device
        self.steps, self.canvas, self.seed = steps, canvas, seed
        self.adaptive, self.max_steps, self.batch_size = adaptive, max_steps, batch_size
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

    def _sampler(self):
        from .diffusion_sampler import SamplerConfig

        return SamplerConfig(steps=self.steps, adaptive=self.adaptive, max_steps=self.max_steps)

    # transcription -----------------------------------------------------------------------------
    def transcribe(self, audio: np.ndarray, options: ASROptions) -> Transcript:
        return self.transcribe_batch([audio], options)[0]

    def transcribe_batch(self, audios: Sequence[np.ndarray], options: ASROptions) -> list[Transcript]:
        """Transcribe several clips; all their ≤30 s chunks are denoised together (batches of batch_size)."""
        import torch

        from .diffusion_model import chunk_audio

        if options.language == "auto":
            raise InputError("the diffusion backend needs a pinned language (--language xx); it does not detect")
        arrays = []
        for a in audios:
            a = np.asarray(a, dtype=np.float32)
            if a.ndim != 1:
                raise InputError(f"audio must be mono 1-D float32 at 16 kHz, got shape {a.shape}")
            if not np.isfinite(a).all():
                raise InputError("audio contains NaN or infinite samples")
            arrays.append(a)
        asr = self.model
        script = options.script if (options.use_prompt and options.script) else None
        notes = []
        if script and not asr.cfg.trained_with_script:
            notes.append("script hint given to the prompt, but this adapter was not trained with one (little effect expected)")
        if asr.cfg.languages and options.language not in asr.cfg.languages:
            notes.append(f"adapter trained on {', '.join(asr.cfg.languages)}; language {options.language} is untested")
        chunks, owner = [], []
        for i, a in enumerate(arrays):
            parts = chunk_audio(a) if len(a) else [a]
            chunks += parts
            owner += [i] * len(parts)
        prompt = asr.prompt_ids(options.language, script)
        seed = self.seed if self.seed is not None else options.seed
        gen = torch.Generator().manual_seed(int(seed))
        sampler = self._sampler()
        texts: list[str] = []
        passes = 0
        t0 = time.perf_counter()
        for i in range(0, len(chunks), self.batch_size):
            group = chunks[i : i + self.batch_size]
            frames = asr.encoder(group)
            ids, steps = asr.decode_frames(frames, [prompt] * len(group), sampler, gen)
            passes = max(passes, steps)
            texts += [asr.detokenize(x) for x in ids]
        elapsed = time.perf_counter() - t0
        out = []
        for i, a in enumerate(arrays):
            mine = [t for t, o in zip(texts, owner) if o == i]
            text = " ".join(t for t in mine if t)
            words = [Word(text=w, start=0.0, end=0.0, timing="asr") for w in text.split()]
            n_notes = list(notes)
            if len(mine) > 1:
                n_notes.append(f"audio of {len(a) / SAMPLE_RATE:.1f} s decoded as {len(mine)} windows of ≤30 s")
            n_notes.append(f"diffusion: {passes} denoising passes, canvas {asr.canvas_length}, batch of {len(chunks)} "
                           f"chunk(s) in {elapsed:.2f} s")
            out.append(Transcript(text=text, words=words, language=options.language, backend=self.name,
                                  duration=len(a) / SAMPLE_RATE, has_timestamps=False, prompt_used=bool(script),
                                  notes=n_notes))
        return out


__all__ = ["DiffusionBackend", "REAL_MODEL_HINT"]
