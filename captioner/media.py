"""Media I/O at the edges: probe a video, extract 16 kHz mono audio, run the bundled static ffmpeg."""
from __future__ import annotations

import math
import os
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .errors import InputError, MediaError
from .types import MediaInfo

SAMPLE_RATE = 16000


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """The static ffmpeg inside imageio-ffmpeg (has libass, HarfBuzz, FriBidi, libx264); $CAPTIONER_FFMPEG overrides."""
    env = os.environ.get("CAPTIONER_FFMPEG")
    if env:
        return env
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(args: Sequence[str], what: str, timeout: Optional[float] = None, cwd: Optional[str] = None) -> subprocess.CompletedProcess:
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        raise MediaError(f"ffmpeg timed out while {what}") from e
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise MediaError(f"ffmpeg failed while {what}: {' | '.join(tail)}")
    return proc


def check_input_file(path: str | os.PathLike, kind: str = "video") -> Path:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{kind} file not found: {p}")
    if not p.is_file():
        raise InputError(f"{kind} path is not a file: {p}")
    if p.stat().st_size == 0:
        raise InputError(f"{kind} file is empty (0 bytes): {p}")
    if not os.access(p, os.R_OK):
        raise InputError(f"{kind} file is not readable: {p}")
    return p


def _rotation(container, stream) -> int:
    """Display rotation in degrees (0/90/180/270): the display matrix of the first frame, else the rotate tag."""
    try:
        for frame in container.decode(stream):
            return int(round(getattr(frame, "rotation", 0) or 0)) % 360
    except Exception:  # undecodable first frame: fall back to the legacy tag
        pass
    try:
        return int(float((stream.metadata or {}).get("rotate", 0))) % 360
    except ValueError:
        return 0


def probe(path: str | os.PathLike) -> MediaInfo:
    """Duration, display size (rotation applied), fps, rotation and audio presence of a media file."""
    import av

    p = check_input_file(path)
    try:
        with av.open(str(p)) as c:
            vs = next((s for s in c.streams if s.type == "video"), None)
            aus = next((s for s in c.streams if s.type == "audio"), None)
            if vs is None:
                raise InputError(f"no video stream in {p}: pass a video file (mp4, mov, webm …)")
            w, h = vs.codec_context.width, vs.codec_context.height
            if not w or not h:
                raise InputError(f"cannot read the video frame size of {p}: the file looks corrupt")
            rate = vs.average_rate or vs.guessed_rate or vs.base_rate
            fps = float(rate) if rate else 30.0
            if c.duration is not None:
                duration = c.duration / 1_000_000
            elif vs.duration is not None and vs.time_base:
                duration = float(vs.duration * vs.time_base)
            else:
                duration = 0.0
            rot = _rotation(c, vs)
            if rot in (90, 270):
                w, h = h, w
            info = MediaInfo(
                path=str(p), duration=round(duration, 3), width=w, height=h, fps=round(fps, 3), rotation=rot,
                has_audio=aus is not None, video_codec=vs.codec_context.name,
                audio_codec=aus.codec_context.name if aus else None,
                audio_sample_rate=aus.codec_context.sample_rate if aus else None,
                audio_channels=aus.codec_context.channels if aus else None,
            )
    except InputError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, StopIteration) as e:
        raise InputError(f"cannot read {p} as a video ({type(e).__name__}: {e}): the file is corrupt or not a media file") from e
    if info.duration <= 0 or math.isnan(info.duration):
        raise InputError(f"{p} has no duration: the file is corrupt or truncated")
    return info


def load_audio(path: str | os.PathLike, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Decode the first audio stream to mono float32 at `sr` Hz with ffmpeg."""
    p = check_input_file(path, "audio")
    proc = run_ffmpeg(["-i", str(p), "-vn", "-map", "0:a:0", "-ac", "1", "-ar", str(sr), "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1"],
                      f"extracting audio from {p}")
    audio = np.frombuffer(proc.stdout, dtype=np.float32).copy()
    return audio


def speech_timestamps(audio: np.ndarray, sr: int = SAMPLE_RATE, min_silence_ms: int = 300) -> list[tuple[float, float]]:
    """Voice-activity spans in seconds (Silero VAD shipped with faster-whisper)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if audio.size == 0 or float(np.max(np.abs(audio))) < 1e-4:
        return []
    opts = VadOptions(min_silence_duration_ms=min_silence_ms, speech_pad_ms=30)
    ts = get_speech_timestamps(audio, opts, sampling_rate=sr)
    return [(t["start"] / sr, t["end"] / sr) for t in ts]


def speech_duration(audio: np.ndarray, sr: int = SAMPLE_RATE) -> float:
    return float(sum(e - s for s, e in speech_timestamps(audio, sr)))
