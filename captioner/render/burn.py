"""Burn an ASS script into the frames with the static ffmpeg's libass, encoding once (H.264, audio kept).

Colour emoji recorded in the script (Comment events, see `ass.EmojiPlacement`) are overlaid as PNG
stickers in the same filter graph, so it stays one decode → burn → encode pass."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..media import run_ffmpeg
from ..presets import fonts_dir
from ..types import MediaInfo

# audio codecs an MP4 carries as-is; anything else is re-encoded to AAC
_MP4_AUDIO = {"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"}


@dataclass
class EncodeOptions:
    """x264 settings: `veryfast` at CRF 20 is the default (≈ visually lossless for UGC, encoder-bound speed)."""

    preset: str = "veryfast"
    crf: int = 20
    threads: int = 0  # 0 = ffmpeg decides
    audio_bitrate: str = "192k"


def link_fonts(folder: Path, source: Path | None = None) -> None:
    """Fill `folder` with links to the caption fonts libass should load (not the 11 MB colour emoji font,
    which libass cannot draw and would read into memory at start-up)."""
    folder.mkdir(exist_ok=True)
    for f in sorted(Path(source or fonts_dir()).iterdir()):
        if f.suffix.lower() in (".ttf", ".otf") and not f.name.startswith("NotoColorEmoji"):
            os.symlink(f.resolve(), folder / f.name)


def prepare_graph(ass_text: str, tmp: Path, frame: tuple[int, int], *, scale_to: tuple[int, int] | None = None,
                  extra_fonts_dir: str | None = None, post: str | None = None) -> tuple[list[str], list[str]]:
    """Write the script, fonts and emoji stickers into `tmp`; return (extra ffmpeg inputs, output args for video).

    ffmpeg's filter syntax reserves : , ; [ ] ' \\ — the graph refers to plain names relative to `tmp`,
    so ffmpeg must run with cwd=tmp."""
    from .ass import parse_emoji_comments
    from .emoji import make_stickers, overlay_graph

    Path(tmp, "captions.ass").write_text(ass_text, encoding="utf-8")
    link_fonts(Path(tmp, "fonts"), Path(extra_fonts_dir) if extra_fonts_dir else None)
    size = scale_to or frame
    vf = []
    if scale_to:
        vf.append(f"scale={scale_to[0]}:{scale_to[1]}")
    vf.append("ass=captions.ass:fontsdir=fonts:shaping=complex")
    if size[0] % 2 or size[1] % 2:
        vf.append("pad=ceil(iw/2)*2:ceil(ih/2)*2")  # yuv420p needs even dimensions
    placements = parse_emoji_comments(ass_text)
    if not placements:
        return [], ["-map", "0:v:0", "-vf", ",".join(vf + ([post] if post else []))]
    stickers = make_stickers(placements, Path(tmp), size)
    inputs = []
    for s in stickers:
        inputs += ["-i", s.path.name]
    graph, label = overlay_graph(",".join(vf), stickers, first_input=1)
    if post:
        graph += f";{label}{post}[final]"
        label = "[final]"
    return inputs, ["-filter_complex", graph, "-map", label]


def burn(video: str | os.PathLike, ass_text: str, out_path: str | os.PathLike, info: MediaInfo,
         options: EncodeOptions | None = None, *, max_seconds: float | None = None, scale_to: tuple[int, int] | None = None,
         extra_fonts_dir: str | None = None) -> None:
    """Decode → libass burn (+ emoji overlays) → encode in one ffmpeg pass. `out_path` is written completely or not at all by the caller."""
    o = options or EncodeOptions()
    with tempfile.TemporaryDirectory(prefix="captioner-burn-") as tmp:
        extra_inputs, video_args = prepare_graph(ass_text, Path(tmp), (info.width, info.height), scale_to=scale_to,
                                                 extra_fonts_dir=extra_fonts_dir)
        args = ["-i", str(Path(video).resolve())]
        if max_seconds:
            args = ["-t", f"{max_seconds:.3f}"] + args
        args += extra_inputs
        args += video_args + ["-map", "0:a:0?", "-c:v", "libx264", "-preset", o.preset,
                              "-crf", str(o.crf), "-pix_fmt", "yuv420p", "-fps_mode", "passthrough"]
        if o.threads:
            args += ["-threads", str(o.threads)]
        if info.has_audio:
            if info.audio_codec in _MP4_AUDIO and not max_seconds:
                args += ["-c:a", "copy"]
            else:
                args += ["-c:a", "aac", "-b:a", o.audio_bitrate]
        args += ["-map_metadata", "0", "-movflags", "+faststart", "-f", "mp4", str(Path(out_path).resolve())]
        run_ffmpeg(args, f"burning captions into {video}", cwd=tmp, output=out_path)
