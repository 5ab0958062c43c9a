"""Typed data passed between the pipeline stages (pydantic models, one place)."""
from __future__ import annotations

from enum import Enum
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

LANGUAGES = ("en", "de", "fr", "es", "hi", "zh")
"""Languages the whole pipeline (ASR, correction, alignment, fonts) is built and measured for."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Word(_Model):
    """One caption word with its time span (seconds, audio time line) and confidence 0..1."""

    text: str
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    confidence: float = Field(default=1.0, ge=0, le=1)
    # where the spelling came from: "asr" (as recognised), "script" (script spelling adopted,
    # same sound), "corrected" (changed by the correction stage for another reason)
    source: Literal["asr", "script", "corrected"] = "asr"
    # the form the voice said, when it differs from `text` ("forty nine dollars" for "$49")
    spoken: Optional[str] = None
    # how the time was obtained: "asr" (backend word timestamps), "aligned", "interpolated"
    timing: Literal["asr", "aligned", "interpolated"] = "asr"
    # which aligner set an "aligned" time: "phones" (CTC phone model) or "signal" (signal DP + Whisper prior)
    aligner: Optional[Literal["phones", "signal"]] = None
    # how strongly the audio supports this spelling (correction stage: alignment similarity 0..1)
    evidence: Optional[float] = None


class Transcript(_Model):
    """What an ASR backend heard: words (timed when the backend can), language, metadata."""

    text: str
    words: list[Word]
    language: str
    language_probability: Optional[float] = None
    language_detected: bool = False  # True when the language came from detection ("auto")
    backend: str
    duration: float = Field(ge=0)
    speech_duration: Optional[float] = None  # seconds of voice activity, when known
    has_timestamps: bool = True
    prompt_used: bool = False
    notes: list[str] = Field(default_factory=list)
    # why the text looks like a hallucination (loops, more words than the speech holds), after the
    # backend's own retries; empty when it looks sound
    suspicion: list[str] = Field(default_factory=list)


class Severity(str, Enum):
    info = "info"
    warning = "warning"
    error = "error"


class Finding(_Model):
    """Something a human reviewer should know about the captions (QA report entry)."""

    kind: str  # e.g. "no_speech", "price_mismatch", "brand_fixed", "ad_lib", "low_confidence"
    severity: Severity = Severity.info
    message: str
    start: Optional[float] = None
    end: Optional[float] = None
    script_text: Optional[str] = None
    spoken_text: Optional[str] = None
    word_indices: list[int] = Field(default_factory=list)


class CaptionLine(_Model):
    """One rendered line: indices into the track's word list, and its measured width in px."""

    words: list[int]
    width: float = 0.0


class CaptionPage(_Model):
    """One caption event shown on screen: 1–2 lines, a time span that never overlaps the next."""

    start: float
    end: float
    lines: list[CaptionLine]

    @property
    def word_indices(self) -> list[int]:
        return [i for line in self.lines for i in line.words]


class CaptionTrack(_Model):
    """The laid-out captions: the words and how they are grouped into pages and lines."""

    words: list[Word]
    pages: list[CaptionPage]
    width: int
    height: int
    safe_zone: str
    language: str


class Receipt(_Model):
    """What the render costs: flat price per render by preset tier (milli-credits exact)."""

    preset: str
    tier: Literal["karaoke", "basic", "dynamic"]
    credits: float
    millicredits: int
    charged: bool = False
    idempotency_key: Optional[str] = None
    account: Optional[str] = None
    preview: bool = False


class MediaInfo(_Model):
    """What ffprobe-style probing found in an input file (display size: rotation applied)."""

    path: str
    duration: float
    width: int
    height: int
    fps: float
    rotation: int = 0
    has_audio: bool
    video_codec: Optional[str] = None
    audio_codec: Optional[str] = None
    audio_sample_rate: Optional[int] = None
    audio_channels: Optional[int] = None


class CaptionResult(_Model):
    """Everything one `caption()` call produced; the JSON sidecar is this model."""

    video: str
    outputs: dict[str, str]
    language: str
    language_detected: bool = False
    asr_backend: str
    preset: str
    words: list[Word]
    pages: list[CaptionPage]
    findings: list[Finding]
    receipt: Receipt
    media: MediaInfo
    timings: dict[str, float] = Field(default_factory=dict)
    version: str
