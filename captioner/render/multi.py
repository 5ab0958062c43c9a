"""Burn several caption scripts into one source video with one decode: one ffmpeg process, one encoder per output.

Batch variants often share a source video (one cut, several looks). Burning them one by one decodes the source
once per variant; here the decoded frames are split inside one filter graph, each branch gets its own libass
filter, and each output its own x264 encoder with the same settings as `burn.burn` — the outputs are what the
single burn makes. Measured with `benchmarks/bench_batch.py` (docs/BENCHMARKS.md). Scripts with colour emoji
(extra overlay inputs) are burned alone (`can_share`).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Sequence

from ..media import captioned_handler, run_ffmpeg
from ..types import MediaInfo
from .burn import _MP4_AUDIO, EncodeOptions, audio_tracks, link_fonts

MAX_OUTPUTS = 8  # encoders per process: each x264 instance holds its own lookahead (~40–80 MB at 720×1280)


def can_share(ass_text: str) -> bool:
    """True when the script needs no extra inputs (colour emoji stickers are overlaid from PNG inputs)."""
    from .ass import parse_emoji_comments

    return not parse_emoji_comments(ass_text)


def burn_many(video: str | os.PathLike, renders: Sequence[tuple[str, str | os.PathLike, EncodeOptions]],
              info: MediaInfo) -> None:
    """Decode `video` once and write each (ass_text, out_path, options) as its own complete MP4 (caller renames)."""
    if not renders:
        return
    with tempfile.TemporaryDirectory(prefix="captioner-burn-many-") as tmp:
        link_fonts(Path(tmp, "fonts"))
        branches = []
        for k, (ass_text, _, _) in enumerate(renders):
            Path(tmp, f"c{k}.ass").write_text(ass_text, encoding="utf-8")
            chain = f"ass=c{k}.ass:fontsdir=fonts:shaping=complex"
            if info.width % 2 or info.height % 2:
                chain += ",pad=ceil(iw/2)*2:ceil(ih/2)*2"  # yuv420p needs even dimensions
            branches.append(f"[s{k}]{chain}[o{k}]")
        # an interlaced picture is deinterlaced once, before the split (as `burn` does for one render)
        dein = f"bwdif=mode=send_frame:parity={info.interlaced}:deint=all," if info.interlaced else ""
        split = f"[0:v]{dein}split={len(renders)}" + "".join(f"[s{k}]" for k in range(len(renders)))
        args = ["-i", str(Path(video).resolve()), "-filter_complex", ";".join([split, *branches])]
        tracks = audio_tracks(video)  # every audio track goes through, as in `burn`
        for k, (ass_text, out_path, o) in enumerate(renders):
            args += ["-map", f"[o{k}]", "-map", "0:a?" if tracks > 1 else "0:a:0?", "-c:v", "libx264", "-preset", o.preset,
                     "-crf", str(o.crf), "-pix_fmt", "yuv420p", "-fps_mode", "passthrough"]
            if o.threads:
                args += ["-threads", str(o.threads)]
            if info.has_audio:
                args += (["-c:a", "copy"] if info.audio_codec in _MP4_AUDIO and tracks == 1
                         else ["-c:a", "aac", "-b:a", o.audio_bitrate])
            args += ["-map_metadata", "0", "-metadata:s:v:0", f"handler_name={captioned_handler(ass_text)}", "-movflags", "+faststart",
                     "-f", "mp4", str(Path(out_path).resolve())]
        run_ffmpeg(args, f"burning {len(renders)} caption variants into {video}", cwd=tmp)
