"""Preview frames and contact sheets: draw a preset's captions over a plain background, for review and tests."""
from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from ..errors import MediaError
from ..layout import paginate
from ..media import ffmpeg_exe
from ..presets import Preset, list_presets, load_preset
from ..types import CaptionTrack, Word
from .ass import ASSWriter
from .burn import prepare_graph

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
BACKGROUND = "0x3A4A5C"  # a mid blue-grey: white, black and coloured text all stand out on it


def sample_words(language: str) -> list[Word]:
    """A short timed ad line per language (word timings from the espeak-ng synthesizer, see samples/README.md)."""
    path = SAMPLES_DIR / f"{language}.json"
    if not path.is_file():
        raise MediaError(f"no sample words for language {language!r} ({path})")
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Word(text=w["text"], start=w["start"], end=w["end"]) for w in data["words"]]


def render_frames(ass_text: str, width: int, height: int, times: list[float], *, background: str = BACKGROUND,
                  fps: int = 25) -> list[np.ndarray]:
    """Burn `ass_text` over a plain `background` and return the RGB frames at `times` (seconds), one ffmpeg run."""
    frames_idx = sorted({max(0, int(round(t * fps))) for t in times})
    duration = (max(frames_idx) + 2) / fps
    expr = "+".join(f"eq(n,{i})" for i in frames_idx)  # prepare_graph escapes the commas (ffmpeg-python)
    with tempfile.TemporaryDirectory(prefix="captioner-frames-") as tmp:
        inputs, video = prepare_graph(ass_text, Path(tmp), (width, height), post=f"select={expr}")
        cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
               f"color=c={background}:s={width}x{height}:r={fps}:d={duration:.3f}", *inputs, *video,
               "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, timeout=300)
    if proc.returncode != 0:
        raise MediaError(f"rendering preview frames failed: {proc.stderr.decode(errors='replace')[-800:]}")
    size = width * height * 3
    raw = proc.stdout
    got = [np.frombuffer(raw[k * size:(k + 1) * size], np.uint8).reshape(height, width, 3) for k in range(len(raw) // size)]
    if len(got) != len(frames_idx):
        raise MediaError(f"expected {len(frames_idx)} preview frames, got {len(got)}")
    by_index = dict(zip(frames_idx, got))
    return [by_index[max(0, int(round(t * fps)))] for t in times]


def sample_track(preset: Preset, language: str, width: int, height: int, safe_zone: str = "tiktok") -> CaptionTrack:
    words = sample_words(language)
    return paginate(words, preset, width, height, language=language, safe_zone=safe_zone)


def contact_sheet(preset: Preset | str, out_png: str | Path, languages: tuple[str, ...] = ("en", "hi", "zh"),
                  *, width: int = 360, height: int = 640, safe_zone: str = "tiktok") -> Path:
    """One PNG per preset: for each language, the first page at its first and last word (the highlight moves)."""
    preset = load_preset(preset) if isinstance(preset, str) else preset
    tiles = []
    for lang in languages:
        track = sample_track(preset, lang, width, height, safe_zone)
        page = track.pages[0]
        ids = page.word_indices
        t_first = track.words[ids[0]].start + 0.4 * (track.words[ids[0]].end - track.words[ids[0]].start)
        t_last = min(page.end - 0.02, track.words[ids[-1]].start + 0.6 * (track.words[ids[-1]].end - track.words[ids[-1]].start) + 0.3)
        frames = render_frames(ASSWriter(track, preset).render(), width, height, [t_first, t_last])
        tiles.extend((f"{lang} {t:.2f}s", f) for t, f in zip((t_first, t_last), frames))
    label_h = 22
    sheet = Image.new("RGB", (width * len(tiles), height + label_h + 24), (20, 20, 20))
    d = ImageDraw.Draw(sheet)
    d.text((6, 4), f"{preset.name} ({preset.tier}) - {preset.font}", fill=(255, 255, 255))
    for k, (label, f) in enumerate(tiles):
        sheet.paste(Image.fromarray(f), (k * width, 24))
        d.text((k * width + 6, height + 28), label, fill=(200, 200, 200))
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    sheet.save(tmp, format="PNG")
    tmp.replace(out)
    return out


def contact_sheets(folder: str | Path, **kw) -> list[Path]:
    """A contact sheet for every built-in preset into `folder` (`<name>.png`)."""
    return [contact_sheet(p, Path(folder) / f"{p.name}.png", **kw) for p in list_presets()]
