"""Burn an ASS script into the frames with the static ffmpeg's libass, encoding once (H.264, audio kept).

Colour emoji recorded in the script (Comment events, see `ass.EmojiPlacement`) are overlaid as PNG
stickers in the same filter graph, so it stays one decode → burn → encode pass. The filter graph and the
command line are built with ffmpeg-python (Apache-2.0), which escapes filter arguments (the emoji overlays'
`enable='between(t,a,b)'`, paths) instead of our own string joining; the command is the same one ffmpeg ran
before, so the speed is the same (`benchmarks/bench_render.py`: ours vs `ffmpeg -vf ass=` vs a plain re-encode,
docs/BENCHMARKS.md). ffmpeg-python only builds the arguments; `media.run_ffmpeg` runs the bundled binary."""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import MediaError
from ..media import DAMAGED_LINES, captioned_handler, damaged_message, decode_errors, run_ffmpeg
from ..presets import fonts_dir
from ..types import MediaInfo

# audio copied into the MP4 as it is: AAC and MP3, which every player and ad platform plays. Anything else is
# re-encoded to AAC — an MP4 may carry Opus, FLAC, ALAC or AC-3, but a .webm ad's Opus copied into the MP4 had no
# sound in QuickTime and older Safari, and ad platforms ask for AAC
_MP4_AUDIO = {"aac", "mp3"}


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


MAIN = "MAIN"  # placeholder for the main input in graphs whose caller supplies that input itself


def _video_chain(main, ass_text: str, tmp: Path, frame: tuple[int, int], *, scale_to: tuple[int, int] | None,
                 pre: str | None, post: str | None, deinterlace: str | None = None):
    """The video stream: [deinterlace] → [pre] → [scale] → libass → [pad to even] → one overlay per emoji sticker →
    [post]. `deinterlace` ("tff"/"bff", the probe's field order): bwdif on every frame, one frame out per frame in
    (same frame rate). Every frame and the parity are given: the pixel-format conversion ffmpeg puts in front of the
    chain drops the frames' interlaced flags, and bwdif set to deinterlace only flagged frames then passed all of them
    through woven (measured with ffmpeg's idet: 50 of 50 frames still combed)."""
    import ffmpeg

    from .ass import parse_emoji_comments
    from .emoji import make_stickers

    size = scale_to or frame
    v = main.video
    if deinterlace:
        v = v.filter("bwdif", mode="send_frame", parity=deinterlace, deint="all")
    if pre:
        name, _, arg = pre.partition("=")
        v = v.filter(name, arg) if arg else v.filter(name)
    if scale_to:
        v = v.filter("scale", scale_to[0], scale_to[1])
    v = v.filter("ass", "captions.ass", fontsdir="fonts", shaping="complex")
    if size[0] % 2 or size[1] % 2:
        v = v.filter("pad", "ceil(iw/2)*2", "ceil(ih/2)*2")  # yuv420p needs even dimensions
    for st in make_stickers(parse_emoji_comments(ass_text), Path(tmp), size):
        v = ffmpeg.overlay(v, ffmpeg.input(st.path.name), x=st.x, y=st.y, eof_action="repeat",
                           enable=f"between(t,{st.start:.3f},{st.end:.3f})")
    if post:
        name, _, arg = post.partition("=")
        v = v.filter(name, arg) if arg else v.filter(name)
    return v


def prepare_graph(ass_text: str, tmp: Path, frame: tuple[int, int], *, scale_to: tuple[int, int] | None = None,
                  extra_fonts_dir: str | None = None, post: str | None = None,
                  pre: str | None = None) -> tuple[list[str], list[str]]:
    """Write the script, fonts and emoji stickers into `tmp`; return (extra ffmpeg inputs, output args for video)
    for a caller that supplies the main input (input 0) itself. `pre`/`post`: one filter ("name=args") before the
    burn / after it. Paths in the graph are plain names relative to `tmp`: ffmpeg must run with cwd=tmp."""
    import ffmpeg

    Path(tmp, "captions.ass").write_text(ass_text, encoding="utf-8")
    link_fonts(Path(tmp, "fonts"), Path(extra_fonts_dir) if extra_fonts_dir else None)
    main = ffmpeg.input(MAIN)
    v = _video_chain(main, ass_text, Path(tmp), frame, scale_to=scale_to, pre=pre, post=post)
    args = ffmpeg.output(v, "OUT").get_args()
    # ['-i', MAIN, (-i sticker)…, '-filter_complex', graph, '-map', label, 'OUT']
    k = args.index("-filter_complex")
    return args[2:k], args[k:-1]


def audio_tracks(video: str | os.PathLike) -> int:
    """How many audio tracks the file has (1 when it cannot be read here: the first one is mapped as before)."""
    from ..media import _audio_streams

    return max(1, _audio_streams(Path(video))[0])


def burn(video: str | os.PathLike, ass_text: str, out_path: str | os.PathLike, info: MediaInfo,
         options: EncodeOptions | None = None, *, max_seconds: float | None = None, scale_to: tuple[int, int] | None = None,
         extra_fonts_dir: str | None = None, fps_to: float | None = None) -> None:
    """Decode → libass burn (+ emoji overlays) → encode in one ffmpeg pass. `out_path` is written completely or not at all by the caller."""
    import ffmpeg

    o = options or EncodeOptions()
    with tempfile.TemporaryDirectory(prefix="captioner-burn-") as tmp:
        Path(tmp, "captions.ass").write_text(ass_text, encoding="utf-8")
        link_fonts(Path(tmp, "fonts"), Path(extra_fonts_dir) if extra_fonts_dir else None)
        main = ffmpeg.input(str(Path(video).resolve()), **({"t": f"{max_seconds:.3f}"} if max_seconds else {}))
        v = _video_chain(main, ass_text, Path(tmp), (info.width, info.height), scale_to=scale_to,
                         pre=f"fps={fps_to:g}" if fps_to else None, post=None, deinterlace=info.interlaced)
        opts = {"c:v": "libx264", "preset": o.preset, "crf": o.crf, "pix_fmt": "yuv420p", "fps_mode": "passthrough",
                "map_metadata": 0, "movflags": "+faststart", "f": "mp4",
                "metadata:s:v:0": f"handler_name={captioned_handler(ass_text)}"}  # probe() knows a captioned output
        if o.threads:
            opts["threads"] = o.threads
        streams = [v]
        if info.has_audio:
            # every audio track goes through (a second language, a commentary track), copied where MP4 carries it as is
            tracks = audio_tracks(video)
            streams.append(main["a?"] if tracks > 1 else main["a:0?"])
            if info.audio_codec in _MP4_AUDIO and not max_seconds and tracks == 1:
                opts["c:a"] = "copy"
            else:
                opts.update({"c:a": "aac", "b:a": o.audio_bitrate})
        args = ffmpeg.output(*streams, str(Path(out_path).resolve()), **opts).get_args()
        proc = run_ffmpeg(args, f"burning captions into {video}", cwd=tmp, output=out_path)
        errors = decode_errors(proc.stderr)
        if len(errors) >= DAMAGED_LINES:  # the picture lost frames (the audio was decoded clean, or it would not get here)
            raise MediaError(damaged_message(Path(video), "video", errors))
