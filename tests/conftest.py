"""Shared test helpers: paths, a WER scorer, and small real media made with the bundled ffmpeg."""
from __future__ import annotations

import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLE = ROOT / "examples" / "ad-en-01"


def ffmpeg(*args: str) -> None:
    from captioner.media import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make_video(out: Path, audio: Path | None = None, *, seconds: float | None = None, size: str = "360x640",
               fps: int = 30, extra: list[str] | None = None) -> Path:
    """A real H.264 test video: a moving test pattern, optionally with `audio` as AAC."""
    args = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}" + (f":duration={seconds}" if seconds else "")]
    if audio:
        args += ["-i", str(audio), "-shortest", "-c:a", "aac", "-b:a", "96k"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", *(extra or []), str(out)]
    ffmpeg(*args)
    return out


def caption_from_truth(video: Path, truth: list[dict], tmp: Path, out: Path, *extra: str) -> dict:
    """`caption VIDEO --captions` with ground-truth words (no ASR): the result JSON (the run must succeed)."""
    import json

    src = tmp / f"truth-{out.stem}.json"
    src.write_text(json.dumps({"words": [{"text": w["text"], "start": w["start"], "end": w["end"]} for w in truth]}))
    r = run_cli("caption", str(video), "--captions", str(src), "--language", "en", "--out", str(out), *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(out.with_suffix(".json").read_text())


def normalize_words(text: str, language: str) -> list[str]:
    """Lower-case, strip punctuation, spell digits out in `language` (Whisper writes $49, spoken.txt says forty nine)."""
    from captioner.numbers import verbalize

    out = []
    for tok in text.split():
        spoken = verbalize(tok.strip(".,!?¡¿;:"), language) if any(c.isdigit() for c in tok) else None
        for t in (spoken or tok).split():
            t = "".join(c for c in unicodedata.normalize("NFKC", t.lower()) if c.isalnum() or c in "'-")
            t = t.replace("-", " ")
            out.extend(t.split())
    return out


def wer(ref: list[str], hyp: list[str]) -> float:
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
            prev, d[j] = d[j], cur
    return d[len(hyp)] / max(1, len(ref))


def run_cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "captioner", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def whisper_model():
    from captioner.asr.whisper import load_model

    return load_model()
