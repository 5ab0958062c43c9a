"""CaptionClip: a MoviePy clip that draws a caption track over a MoviePy user's own edit (`captioner[moviepy]`).

Many ad generators are built on MoviePy; they can composite our captions like any clip:

    from moviepy.editor import VideoFileClip, CompositeVideoClip      # MoviePy 1.x (2.x: from moviepy import …)
    from captioner.moviepy_clip import CaptionClip

    edit = VideoFileClip("edit.mp4")
    captions = CaptionClip.from_json("out/ad.json", preset="karaoke")  # words/pages of a `captioner caption` run
    CompositeVideoClip([edit, captions]).write_videofile("final.mp4")

The frames are drawn by libass inside the bundled ffmpeg — the same ASS script, fonts and colour emoji as our own
burn, so a CaptionClip looks exactly like `captioner caption`'s output. libass in ffmpeg blends onto opaque frames
(it leaves an alpha channel untouched), so each frame is drawn twice, over black and over white, by two ffmpeg
processes streaming in step, and the clip's mask is recovered by difference matting: alpha = 1 − (white − black)/255,
colour = black / alpha — exact for libass's linear blending, up to rounding. Frames are read in order and cached;
a seek backwards or far ahead restarts both processes at that time (`setpts`, so libass sees the right clock).

Our own exports keep the one-pass libass burn: DESIGN measured MoviePy per-frame compositing at 7.5 fps against
47–51 fps for the burn (4–5× slower); a CaptionClip is for users who composite in MoviePy anyway. Works with
MoviePy 1.0.3 (what pip resolves beside our pillow pin) and the MoviePy 2 API.
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Optional

import numpy as np

from .errors import InputError, MediaError
from .presets import Preset, load_preset
from .render.burn import prepare_graph
from .types import CaptionTrack

try:  # MoviePy 1.x and 2.x both keep VideoClip here
    from moviepy.video.VideoClip import VideoClip
except ImportError as e:  # pragma: no cover - the extra is not installed
    raise ImportError("CaptionClip needs MoviePy: pip install 'captioner[moviepy]'") from e


class _Matte:
    """Two ffmpeg processes drawing the ASS over black and over white; frame n → (rgb uint8, alpha float32)."""

    def __init__(self, ass_text: str, width: int, height: int, fps: float, duration: float):
        self.ass_text, self.w, self.h, self.fps, self.duration = ass_text, width, height, fps, duration
        self.tmp = tempfile.TemporaryDirectory(prefix="captioner-clip-")
        self.procs: list[subprocess.Popen] = []
        self.next = 0  # index of the frame the processes produce next
        self.cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def _start(self, n: int) -> None:
        from .media import ffmpeg_exe

        self.close_procs()
        t0 = n / self.fps
        length = max(1.0 / self.fps, self.duration - t0 + 1.0 / self.fps)
        for bg in ("black", "white"):
            folder = Path(self.tmp.name, f"{bg}-{n}")
            folder.mkdir()
            extra, video = prepare_graph(self.ass_text, folder, (self.w, self.h), pre=f"setpts=PTS+{t0:.6f}/TB")
            cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i",
                   f"color=c={bg}:s={self.w}x{self.h}:r={self.fps}:d={length:.6f},format=rgb24", *extra, *video,
                   "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]  # no frames added for the shifted start
            self.procs.append(subprocess.Popen(cmd, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE))
        self.next = n

    def frame(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        n = max(0, n)
        if n in self.cache:
            return self.cache[n]
        if not self.procs or n < self.next or n > self.next + 2 * self.fps:
            self._start(n)
        size = self.w * self.h * 3
        while self.next <= n:
            raw = [p.stdout.read(size) for p in self.procs]
            if any(len(r) < size for r in raw):
                if self.next == 0 or n == self.next:
                    err = b"".join(p.stderr.read() or b"" for p in self.procs).decode(errors="replace")
                    if err.strip():
                        raise MediaError(f"drawing captions for MoviePy failed: {err[-400:]}")
                blank = (np.zeros((self.h, self.w, 3), np.uint8), np.zeros((self.h, self.w), np.float32))
                self.cache = {n: blank}
                return blank
            black = np.frombuffer(raw[0], np.uint8).reshape(self.h, self.w, 3).astype(np.float32)
            white = np.frombuffer(raw[1], np.uint8).reshape(self.h, self.w, 3).astype(np.float32)
            alpha = np.clip(1.0 - (white - black).mean(axis=2) / 255.0, 0.0, 1.0)
            rgb = np.where(alpha[..., None] > 1e-3, black / np.maximum(alpha[..., None], 1e-3), 0.0)
            self.cache = {self.next: (np.clip(rgb + 0.5, 0, 255).astype(np.uint8), alpha.astype(np.float32))}
            self.next += 1
        return self.cache[n]

    def close_procs(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            for s in (p.stdout, p.stderr):
                if s:
                    s.close()
        self.procs = []

    def close(self) -> None:
        self.close_procs()
        self.tmp.cleanup()


class CaptionClip(VideoClip):
    """A MoviePy clip of a caption track (size = the track's frame), with a mask: composite it over any clip."""

    def __init__(self, track: CaptionTrack, preset: Preset | str = "karaoke", *, fps: float = 30.0,
                 duration: Optional[float] = None):
        from .render.ass import ASSWriter

        preset = load_preset(preset) if isinstance(preset, str) else preset
        if duration is None:
            duration = max((p.end for p in track.pages), default=0.0)
        if duration <= 0:
            raise InputError("a CaptionClip needs a duration: the track has no pages, pass duration=")
        self.track, self.preset = track, preset
        self._matte = _Matte(ASSWriter(track, preset).render(), track.width, track.height, fps, duration)

        def rgb(t):
            return self._matte.frame(self._index(t))[0]

        def alpha(t):
            return self._matte.frame(self._index(t))[1]

        super().__init__(rgb, False, duration)  # positional: make_frame/ismask (1.x) = frame_function/is_mask (2.x)
        self.fps = fps
        self.size = (track.width, track.height)
        self.mask = VideoClip(alpha, True, duration)
        self.mask.size = self.size
        self.mask.fps = fps

    def _index(self, t) -> int:
        return int(np.floor(float(t) * self._matte.fps + 1e-6))

    @classmethod
    def from_json(cls, path: str, preset: Preset | str | None = None, *, size: Optional[tuple[int, int]] = None,
                  safe_zone: str = "tiktok", fps: Optional[float] = None) -> "CaptionClip":
        """The captions of a `captioner caption` JSON sidecar (its words, pages and frame size, or `size`)."""
        from .edit import load_result
        from .qa import track_of

        result = load_result(path)
        track = track_of(result).model_copy(update={"safe_zone": safe_zone})
        if size is not None:
            track = track.model_copy(update={"width": int(size[0]), "height": int(size[1])})
        return cls(track, preset or result.preset, fps=fps or result.media.fps or 30.0, duration=result.media.duration)

    @classmethod
    def from_words(cls, words, size: tuple[int, int], preset: Preset | str = "karaoke", *, language: str = "en",
                   safe_zone: str = "tiktok", terms=(), fps: float = 30.0, duration: Optional[float] = None) -> "CaptionClip":
        """Lay timed `captioner.types.Word`s out for a frame of `size` and draw them."""
        from .layout import paginate

        preset = load_preset(preset) if isinstance(preset, str) else preset
        track = paginate(list(words), preset, int(size[0]), int(size[1]), language=language, safe_zone=safe_zone,
                         duration=duration, terms=terms, fps=fps)
        return cls(track, preset, fps=fps, duration=duration)

    def close(self):
        self._matte.close()
        try:
            super().close()
        except AttributeError:  # pragma: no cover - MoviePy 1.x clips without close()
            pass


__all__ = ["CaptionClip"]
