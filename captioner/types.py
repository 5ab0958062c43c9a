"""Typed data passed between the pipeline stages (pydantic models, one place)."""
from __future__ import annotations

from enum import Enum
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

try:
    from enum import StrEnum
except ImportError:  # Python 3.10
    class StrEnum(str, Enum):
        """A str whose value is its name (enum.StrEnum from 3.11)."""

        def __str__(self) -> str:
            return str(self.value)

        __format__ = str.__format__

LANGUAGES = ("en", "de", "fr", "es", "hi", "zh")
"""Languages the whole pipeline (ASR, correction, alignment, fonts) is built and measured for."""


# -- fixed vocabularies: one definition each, validated once where they enter (options, manifests, presets) --

class Tier(StrEnum):
    """Price tiers (flat per render, see billing.PRICES_MILLI); a preset's tier follows what it does."""

    karaoke = "karaoke"
    basic = "basic"
    dynamic = "dynamic"


class Backend(StrEnum):
    """ASR backends."""

    whisper = "whisper"
    diffusion = "diffusion"


class SafeZone(StrEnum):
    """Platform UI areas the captions keep clear of (layout.SAFE_ZONES holds the fractions)."""

    tiktok = "tiktok"
    reels = "reels"
    shorts = "shorts"
    all = "all"
    none = "none"


class OnMismatch(StrEnum):
    """A spoken price/number that differs from the script: flag it (caption what was said) or fail (exit 7)."""

    flag = "flag"
    fail = "fail"


class FindingKind(StrEnum):
    """Every kind of QA finding the stages report. A new kind is added here (tests/test_job.py checks that every
    `kind="…"` literal in the package is listed)."""

    # recognition (pipeline.recognise)
    language_detected = "language_detected"
    asr_wrong_language = "asr_wrong_language"
    asr_hallucination = "asr_hallucination"
    asr_unreliable = "asr_unreliable"
    no_speech = "no_speech"
    not_charged = "not_charged"
    audio_channels_cancel = "audio_channels_cancel"
    audio_quiet = "audio_quiet"
    # script-hint correction (hint.py)
    empty_script = "empty_script"
    script_markup_stripped = "script_markup_stripped"
    script_language_mismatch = "script_language_mismatch"
    script_mismatch = "script_mismatch"
    script_skipped = "script_skipped"
    script_unspoken = "script_unspoken"
    script_restored = "script_restored"
    duplicate_dropped = "duplicate_dropped"
    prompt_echo_dropped = "prompt_echo_dropped"
    ad_lib = "ad_lib"
    word_unscripted = "word_unscripted"
    word_dropped = "word_dropped"
    word_mismatch = "word_mismatch"
    brand_fixed = "brand_fixed"
    spelling_fixed = "spelling_fixed"
    price_mismatch = "price_mismatch"
    number_mismatch = "number_mismatch"
    unverified_claim = "unverified_claim"
    low_confidence = "low_confidence"
    correction_summary = "correction_summary"
    # acoustic number check (verify.py)
    number_disputed = "number_disputed"
    claim_verified = "claim_verified"
    acoustic_check_skipped = "acoustic_check_skipped"
    # alignment (align.py)
    aligner_fallback = "aligner_fallback"
    # rendering
    missing_glyphs = "missing_glyphs"
    frame_rate_raised = "frame_rate_raised"
    frame_too_small = "frame_too_small"
    # caption QA per page (qa.py)
    qa_split_unit = "qa_split_unit"
    qa_reading_speed = "qa_reading_speed"
    qa_voice_too_fast = "qa_voice_too_fast"
    qa_too_short = "qa_too_short"
    qa_too_long = "qa_too_long"
    qa_gap = "qa_gap"
    qa_line_length = "qa_line_length"
    qa_line_end = "qa_line_end"
    # editing round-trip and imported captions (edit.py)
    edit_repaginated = "edit_repaginated"
    captions_imported = "captions_imported"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Word(_Model):
    """One caption word with its time span (seconds, audio time line) and confidence 0..1."""

    text: str
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    confidence: float = Field(default=1.0, ge=0, le=1)
    # stable id in the JSON sidecar ("w1", "w2", …): kept through edits and re-renders (`captioner render --from`)
    id: Optional[str] = None
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

    kind: FindingKind
    severity: Severity = Severity.info
    message: str
    start: Optional[float] = None
    end: Optional[float] = None
    script_text: Optional[str] = None
    spoken_text: Optional[str] = None
    word_indices: list[int] = Field(default_factory=list)
    # the same words by their stable ids (written by the render): `captioner render --from` finds them after an edit
    word_ids: list[str] = Field(default_factory=list)


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


class CaptionUnit(_Model):
    """Words start..end-1 that belong together (a price, a promo code with its lead-in, a brand term …): the
    layout never splits one while another break fits; presets may emphasise some kinds."""

    kind: str
    start: int
    end: int


def caption_fingerprint(words: list["Word"], pages: list[CaptionPage]) -> str:
    """12 hex digits naming the captions (every word's text and times, every page's span and lines, to the ms): the
    render writes it into the burned video's track name, so `qa` can tell a JSON edited after the render."""
    import hashlib
    import json

    data = ([[w.text, round(w.start, 3), round(w.end, 3)] for w in words],
            [[round(p.start, 3), round(p.end, 3), [list(ln.words) for ln in p.lines]] for p in pages])
    return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode("utf-8")).hexdigest()[:12]


class CaptionTrack(_Model):
    """The laid-out captions: the words and how they are grouped into pages and lines."""

    words: list[Word]
    pages: list[CaptionPage]
    width: int
    height: int
    safe_zone: str
    language: str
    units: list[CaptionUnit] = Field(default_factory=list)
    terms: list[str] = Field(default_factory=list)  # the script's brand terms the layout kept whole


class Receipt(_Model):
    """What the render costs: flat price per render by preset tier (milli-credits exact)."""

    preset: str
    tier: Tier
    credits: float
    millicredits: int
    charged: bool = False
    idempotency_key: Optional[str] = None
    account: Optional[str] = None
    preview: bool = False
    # the charge was made by an earlier run with the same idempotency key (a retry or rerun): not charged again
    charged_earlier: bool = False


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
    # the picture is coded as fields (broadcast/camera exports), "tff"/"bff" (the field shown first): the render
    # deinterlaces it (bwdif), since the MP4 it writes is progressive and woven fields comb on every movement
    interlaced: Optional[Literal["tff", "bff"]] = None
    # the picture already carries captions burned by captioner (its video track's handler name says so)
    captioned: bool = False
    caption_tag: Optional[str] = None  # the burned captions' fingerprint (`caption_fingerprint`), when captioner wrote it


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
    terms: list[str] = Field(default_factory=list)  # brand terms kept whole and emphasised (from the script)
    timings: dict[str, float] = Field(default_factory=dict)
    version: str
