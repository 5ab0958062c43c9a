"""ASR backends behind one interface: `get_backend(name).transcribe(audio, options) -> Transcript`."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Protocol, runtime_checkable

import numpy as np

from ..errors import InputError
from ..types import Transcript

SAMPLE_RATE = 16000


@dataclass
class ASROptions:
    """What every backend receives besides the audio.

    language: ISO 639-1 code to pin, or "auto" to detect once (the result is recorded).
    script: the ad script as written (a hint: prompt/hotwords for Whisper, prompt text for diffusion).
    hotwords: terms to bias towards (brand names), usually taken from the script.
    """

    language: str = "en"
    script: Optional[str] = None
    hotwords: list[str] = field(default_factory=list)
    use_prompt: bool = True
    seed: int = 0
    extra: dict = field(default_factory=dict)


@runtime_checkable
class ASRBackend(Protocol):
    """A speech recogniser. Audio is 16 kHz mono float32 in [-1, 1]."""

    name: str

    def transcribe(self, audio: np.ndarray, options: ASROptions) -> Transcript: ...


BACKENDS = ("whisper", "diffusion")


def get_backend(name: str, **kwargs) -> ASRBackend:
    """Build the backend called `name` ("whisper" is the embedded default)."""
    if name == "whisper":
        from .whisper import WhisperBackend

        return WhisperBackend(**kwargs)
    if name == "diffusion":
        from .diffusion import DiffusionBackend

        return DiffusionBackend(**kwargs)
    raise InputError(f"unknown ASR backend {name!r}: use one of {', '.join(BACKENDS)}")
