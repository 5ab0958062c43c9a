"""Burn an ASS script into the frames with the static ffmpeg's libass, encoding once (H.264, audio kept)."""
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


def burn(video: str | os.PathLike, ass_text: str, out_path: str | os.PathLike, info: MediaInfo,
         options: EncodeOptions | None = None, *, max_seconds: float | None = None, scale_to: tuple[int, int] | None = None,
         extra_fonts_dir: str | None = None) -> None:
    """Decode → libass burn → encode in one ffmpeg pass. `out_path` is written completely or not at all by the caller."""
    o = options or EncodeOptions()
    with tempfile.TemporaryDirectory(prefix="captioner-burn-") as tmp:
        # ffmpeg's filter syntax reserves : , ; [ ] ' \ — run in a scratch folder with plain names instead of escaping
        Path(tmp, "captions.ass").write_text(ass_text, encoding="utf-8")
        os.symlink(extra_fonts_dir or fonts_dir(), Path(tmp, "fonts"))
        vf = []
        if scale_to:
            vf.append(f"scale={scale_to[0]}:{scale_to[1]}")
        vf.append("ass=captions.ass:fontsdir=fonts:shaping=complex")
        if (scale_to or (info.width, info.height))[0] % 2 or (scale_to or (info.width, info.height))[1] % 2:
            vf.append("pad=ceil(iw/2)*2:ceil(ih/2)*2")  # yuv420p needs even dimensions
        args = ["-i", str(Path(video).resolve())]
        if max_seconds:
            args = ["-t", f"{max_seconds:.3f}"] + args
        args += ["-map", "0:v:0", "-map", "0:a:0?", "-vf", ",".join(vf), "-c:v", "libx264", "-preset", o.preset,
                 "-crf", str(o.crf), "-pix_fmt", "yuv420p", "-fps_mode", "passthrough"]
        if o.threads:
            args += ["-threads", str(o.threads)]
        if info.has_audio:
            if info.audio_codec in _MP4_AUDIO and not max_seconds:
                args += ["-c:a", "copy"]
            else:
                args += ["-c:a", "aac", "-b:a", o.audio_bitrate]
        args += ["-map_metadata", "0", "-movflags", "+faststart", "-f", "mp4", str(Path(out_path).resolve())]
        run_ffmpeg(args, f"burning captions into {video}", cwd=tmp)
