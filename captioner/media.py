"""Media I/O at the edges: probe a video, extract 16 kHz mono audio, run the bundled static ffmpeg."""
from __future__ import annotations

import math
import os
import re
import signal
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .errors import InputError, MediaError, OutputError
from .types import MediaInfo

SAMPLE_RATE = 16000
ATTACHED_PIC = 1024  # AV_DISPOSITION_ATTACHED_PIC: a stream that is cover art
# Tolerances of the truncation and short-picture checks. Intact files measured here: header duration minus the
# last packet's end 0.00–0.03 s (the example ad, DEV videos, ffmpeg-made test videos); audio ends 0.00–0.05 s
# after the picture (AAC priming/padding). A truncated ad loses seconds, a one-frame video all but 1/fps.
TRUNCATION_TOLERANCE_S = 0.5
PICTURE_SHORTFALL_S = 1.0
# the shorter side of the smallest picture any caption can be drawn into: below it no letter has room for its strokes
# (a 1×1 "video" was padded to 2×2, rendered and billed). From here to the preset's legible size a render goes through
# with a `frame_too_small` warning (`job.MIN_GLYPH_PX`)
MIN_PICTURE_PX = 16


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """The static ffmpeg inside imageio-ffmpeg (has libass, HarfBuzz, FriBidi, libx264); $CAPTIONER_FFMPEG overrides."""
    env = os.environ.get("CAPTIONER_FFMPEG")
    if env:
        return env
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


# ffmpeg's text for an operating-system error while writing → what the user can do (errno names in brackets)
_WRITE_ERRORS = (
    ("No space left on device", "No space left on device: free space in {folder} (or write --out elsewhere) and retry"),
    ("Disk quota exceeded", "Disk quota exceeded: free space in {folder} (or write --out elsewhere) and retry"),
    ("File too large", "File too large for {folder} (a file-size limit, ulimit -f, or the file system's): "
                       "write --out elsewhere"),
    ("Read-only file system", "{folder} is on a read-only file system: write --out elsewhere"),
)
# lines of ffmpeg's stderr that are statistics, not the reason it failed
_NOISE = re.compile(r"^\[(libx264|aac) @|^\s*(frame|size)=|Conversion failed|^\s+|video:\d+\S* audio:")


def _reason(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip() and not _NOISE.search(ln)]
    errors = [ln for ln in lines if re.search(r"error|invalid|fail|cannot|unable|not found|denied", ln, re.I)]
    return " | ".join((errors or lines)[-3:])[:600]


def run_ffmpeg(args: Sequence[str], what: str, timeout: Optional[float] = None, cwd: Optional[str] = None,
               output: Optional[str | os.PathLike] = None) -> subprocess.CompletedProcess:
    """Run the bundled ffmpeg. A failure raises MediaError with ffmpeg's reason (not its encoder statistics); a
    write failure of `output` (full disk, quota, file-size limit) raises OutputError naming the folder to free."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        raise MediaError(f"ffmpeg timed out while {what}") from e
    except OSError as e:
        raise MediaError(f"cannot run ffmpeg ({ffmpeg_exe()}): {e.strerror or e}") from e
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace")
        if output is not None:
            folder = Path(output).resolve().parent
            for needle, message in _WRITE_ERRORS:
                if needle in err:
                    raise OutputError(message.format(folder=folder))
            if proc.returncode == -signal.SIGXFSZ:
                raise OutputError(_WRITE_ERRORS[2][1].format(folder=folder))
        raise MediaError(f"ffmpeg failed while {what}: {_reason(err) or f'exit status {proc.returncode}'}")
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


def _is_cover(stream) -> bool:
    """An attached picture (cover art of an m4a/mp3), not a video track."""
    return bool(int(stream.disposition or 0) & ATTACHED_PIC)


def stream_ends(path: str | os.PathLike) -> dict[str, float]:
    """Where the video and the audio really end, in seconds: the last packet's end per stream, read by demuxing the
    whole file (no decoding). A truncated file ends where its data ends, whatever its header says."""
    import av

    ends: dict[str, float] = {}
    with av.open(str(path)) as c:
        wanted = {s.index: s.type for s in c.streams if s.type in ("video", "audio") and not _is_cover(s)}
        try:
            for pkt in c.demux():
                kind = wanted.get(pkt.stream.index)
                if kind is None or pkt.pts is None or pkt.time_base is None:
                    continue
                end = float((pkt.pts + (pkt.duration or 0)) * pkt.time_base)
                ends[kind] = max(ends.get(kind, 0.0), end)
        except (av.error.FFmpegError, OSError):  # damaged data: what was read so far is what can be used
            pass
        starts = [float(s.start_time * s.time_base) for s in c.streams
                  if s.index in wanted and s.start_time is not None and s.time_base is not None]
    offset = min(starts) if starts else 0.0
    return {k: round(v - offset, 3) for k, v in ends.items()}


def probe(path: str | os.PathLike) -> MediaInfo:
    """Duration, display size (rotation applied), fps, rotation and audio presence of a media file.

    Refused with an InputError, before any heavy work: files without a video track (audio-only files, whose only
    picture is cover art, included); truncated files (the data ends more than TRUNCATION_TOLERANCE_S, or 5 %,
    before the duration the header claims: captioning the readable part would bill a render of a different ad);
    a picture that ends more than PICTURE_SHORTFALL_S before the audio (a one-frame video, a cut picture:
    captions for the rest of the voice-over would never be seen); a picture smaller than MIN_PICTURE_PX on its
    shorter side.
    """
    import av

    p = check_input_file(path)
    try:
        with av.open(str(p)) as c:
            videos = [s for s in c.streams if s.type == "video"]
            vs = next((s for s in videos if not _is_cover(s)), None)
            aus = next((s for s in c.streams if s.type == "audio"), None)
            if vs is None and videos and aus is not None:
                raise InputError(f"{p} is audio only (its only picture is cover art): captions are burned into a "
                                 "video — pass the ad's video file (mp4, mov, webm …)")
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
            if min(w, h) < MIN_PICTURE_PX:
                raise InputError(f"the picture of {p} is {w}×{h} px: too small to carry captions (the shorter side "
                                 f"needs at least {MIN_PICTURE_PX} px, legible ones far more; ads are usually 720×1280 or 1080×1920) — pass the "
                                 "full-size export")
            info = MediaInfo(
                path=str(p), duration=round(duration, 3), width=w, height=h, fps=round(fps, 3), rotation=rot,
                has_audio=aus is not None, video_codec=vs.codec_context.name,
                audio_codec=aus.codec_context.name if aus else None,
                audio_sample_rate=aus.codec_context.sample_rate if aus else None,
                audio_channels=aus.codec_context.channels if aus else None,
                interlaced=_FIELD_FIRST.get(_field_order(vs)),
                captioned=str((vs.metadata or {}).get("handler_name", "")).startswith(CAPTIONED_MARK),
                caption_tag=caption_tag(str((vs.metadata or {}).get("handler_name", ""))),
            )
        ends = stream_ends(p)
    except InputError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, StopIteration) as e:
        raise InputError(unreadable_message(p)) from e
    if info.duration <= 0 or math.isnan(info.duration):
        kind = _magic(p)
        if kind in _STILLS or info.video_codec in ("png", "mjpeg", "bmp", "gif", "webp", "tiff"):
            raise InputError(f"{p} is a still image ({kind or info.video_codec}), not a video: make a video of it with the "
                             f"voice-over first, e.g. ffmpeg -loop 1 -i {p.name} -i voice.wav -shortest -c:v libx264 "
                             "-pix_fmt yuv420p ad.mp4")
        raise InputError(f"{p} has no duration: the file is corrupt or truncated")
    real = max(ends.values(), default=0.0)
    if info.duration - real > max(TRUNCATION_TOLERANCE_S, 0.05 * info.duration):
        raise InputError(f"{p} is truncated or damaged: its header says {info.duration:.1f} s but only {real:.1f} s "
                         "can be read — re-export or copy the complete file and retry")
    v_end, a_end = ends.get("video"), ends.get("audio")
    if v_end is not None and a_end is not None and a_end - v_end > PICTURE_SHORTFALL_S:
        lead = audio_lead(p)
        late = f" (its audio track starts {lead:.2f} s after the picture)" if lead >= 0.05 else ""
        raise InputError(f"the picture of {p} ends at {v_end:.2f} s but its audio runs to {a_end:.1f} s{late}: captions after "
                         f"{v_end:.2f} s would never be seen — re-export it so the picture lasts as long as the voice-over")
    return info


# A mix of two channels keeps at least half the level of the louder one unless they are anti-correlated (equal
# uncorrelated channels: 0.71; one channel silent: 0.5; one channel phase-inverted: ~0). Below this, the mix
# cancels the voice: a physical bound, not a fitted threshold.
CANCEL_RATIO = 0.35
SILENT_PEAK = 1e-4  # peak sample level below which a track carries no sound at all (digital silence, -80 dBFS)


# ffmpeg's words for a packet or frame it could not decode (a file damaged in the middle: bytes overwritten, a bad copy)
_DECODE_ERROR = re.compile(r"Error submitting packet to decoder|error while decoding|Invalid data found when processing input|"
                           r"corrupt decoded frame|concealing \d+ DC")
# this many such lines in one decode: the stream is damaged, not one odd packet (the probe files of 2026-12-02: 0 in every
# valid file, 31–45 in an audio track half overwritten with random bytes, 3 in a video with one damaged frame run)
DAMAGED_LINES = 3


def decode_errors(stderr: bytes | str) -> list[str]:
    """ffmpeg's decode-error lines in its log."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    return [ln.strip() for ln in text.splitlines() if _DECODE_ERROR.search(ln)]


def damaged_message(p: Path, what: str, errors: list[str]) -> str:
    first = re.sub(r"^\[[^]]*\]\s*(\[[^]]*\]\s*)*", "", errors[0])[:100]
    return (f"the {what} of {p} is damaged: ffmpeg could not decode {len(errors)} of its packets (first: {first}) — "
            f"{'the captions would be mistimed' if what == 'audio' else 'frames would be lost'}; re-export the video or "
            f"copy the complete file (nothing was {'rendered' if what == 'audio' else 'delivered'} or charged)")


_STILLS = ("PNG image", "JPEG image", "GIF image", "WebP image", "BMP image", "TIFF image")


def _magic(p: Path) -> Optional[str]:
    """What a file's first bytes say it is, for a message (None: nothing we name)."""
    try:
        with open(p, "rb") as f:
            head = f.read(4096)
    except OSError:
        return None
    for sig, name in ((b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"), (b"GIF8", "GIF image"),
                      (b"%PDF", "PDF document"), (b"PK\x03\x04", "ZIP archive"), (b"BM", "BMP image"),
                      (b"II*\x00", "TIFF image"), (b"MM\x00*", "TIFF image")):
        if head.startswith(sig):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP image"
    if len(head) >= 8 and head[4:8] == b"ftyp":
        return "MP4/MOV"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text file" if text and sum(c.isprintable() or c in "\r\n\t" for c in text) > 0.95 * len(text) else None


def unreadable_message(p: Path) -> str:
    """Why a file cannot be opened as a video, in the user's terms, with what to do."""
    kind = _magic(p)
    if kind == "MP4/MOV":
        return (f"cannot read {p} as a video: it starts as an MP4/MOV but its index (the 'moov' box, often at the end) is "
                "missing or cut off — an incomplete copy or download, or a file still being written; copy or re-export the "
                "complete file")
    if kind is not None:
        return f"{p} is a {kind}, not a video: give the ad's video file (mp4, mov, webm, mkv …)"
    return f"cannot read {p} as a video: the file is corrupt or not a media file — re-export it or copy the complete file"


def _decode(p: Path, sr: int, track: int, channels: int) -> np.ndarray:
    proc = run_ffmpeg(["-i", str(p), "-vn", "-map", f"0:a:{track}", "-ac", str(channels), "-ar", str(sr), "-f", "f32le",
                       "-acodec", "pcm_f32le", "pipe:1"], f"extracting audio from {p}")
    errors = decode_errors(proc.stderr)
    if len(errors) >= DAMAGED_LINES:  # decoded, but with packets dropped: every caption after them would be early
        raise InputError(damaged_message(p, "audio", errors))
    return np.frombuffer(proc.stdout, dtype=np.float32).copy()


# the handler name of the video track of every video captioner burns captions into: a captioned output given back as
# the input (`render --from OUT.json --video OUT.mp4`) drew the new captions over the old ones ("$39" over "$40")
CAPTIONED_MARK = "captioner: captions burned in"


def captioned_handler(ass_text: str) -> str:
    """The burned video track's name: `CAPTIONED_MARK` and the captions' fingerprint from the ASS header
    (`types.caption_fingerprint`, "; captions 1a2b3c4d5e6f"), for `qa` to tell whether a JSON is still what was burned."""
    m = re.search(r"^; captions ([0-9a-f]{12})$", ass_text[:2000], re.M)
    return f"{CAPTIONED_MARK} [{m.group(1)}]" if m else CAPTIONED_MARK


def caption_tag(handler_name: str) -> Optional[str]:
    """The fingerprint `captioned_handler` wrote into a track name, else None."""
    m = re.match(re.escape(CAPTIONED_MARK) + r" \[([0-9a-f]{12})\]", handler_name or "")
    return m.group(1) if m else None


def captioned_message(p) -> str:
    return (f"{p} already has captions burned in by captioner (it is a captioned output): caption the original video "
            "instead — new captions would be drawn over the old ones")


# libavcodec's AVFieldOrder: 0 unknown, 1 progressive, then (coded first, shown first): TT, BB, TB (top coded, bottom
# shown first), BT
_FIELD_FIRST = {2: "tff", 3: "bff", 4: "bff", 5: "tff"}


def _field_order(vs) -> int:
    """The stream's coded field order (libavcodec's AVFieldOrder; 0 where PyAV cannot say)."""
    try:
        return int(vs.codec_context.field_order or 0)
    except (AttributeError, TypeError, ValueError):
        return 0


def _audio_streams(p: Path) -> tuple[int, int]:
    """(number of audio streams, channels of the first one); (1, 1) when the container cannot be read here."""
    import av

    try:
        with av.open(str(p)) as c:
            aus = [s for s in c.streams if s.type == "audio"]
            return len(aus), (int(aus[0].codec_context.channels or 1) if aus else 1)
    except (av.error.FFmpegError, OSError, ValueError):
        return 1, 1


def audio_lead(p: Path) -> float:
    """Seconds from the file's start to its first audio sample, in the time line ffmpeg gives the picture (each stream's
    start time minus the earliest one's): a voice-over whose track starts 0.9 s into the video is heard 0.9 s in, but
    decoded on its own its first sample is at 0 — every caption would come 0.9 s early. 0 when it cannot be read."""
    import av

    try:
        with av.open(str(p)) as c:
            starts = {}
            for s in c.streams:
                if s.type in ("video", "audio") and not _is_cover(s) and s.start_time is not None and s.time_base:
                    starts.setdefault(s.type, float(s.start_time * s.time_base))
    except (av.error.FFmpegError, OSError, ValueError):
        return 0.0
    if "audio" not in starts:
        return 0.0
    return max(0.0, starts["audio"] - min(starts.values()))


_VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi")


def check_voice_track(path: str | os.PathLike, first: Optional[np.ndarray] = None, sr: int = SAMPLE_RATE) -> None:
    """A file with several audio tracks whose first one is digitally silent while another has sound: InputError naming
    the track (the captions and the output would follow the silent one). `first`: the first track, already decoded.
    The service runs it at upload, the CLI when the audio is decoded."""
    p = Path(path)
    streams, _ = _audio_streams(p)
    if streams < 2:
        return
    first = _decode(p, sr, 0, 1) if first is None else first
    if first.size and float(np.max(np.abs(first))) >= SILENT_PEAK:
        return
    for k in range(1, streams):
        other = _decode(p, sr, k, 1)
        if other.size and float(np.max(np.abs(other))) >= SILENT_PEAK:
            raise InputError(f"the first audio track of {p} is silent but audio track {k + 1} has sound: the captions and "
                             f"the output would follow the silent track — re-export with the voice-over first, e.g. "
                             f"ffmpeg -i {p.name} -map 0:v -map 0:a:{k} -c copy voice-first{p.suffix if p.suffix.lower() in _VIDEO_SUFFIXES else '.mp4'}")


def load_audio(path: str | os.PathLike, sr: int = SAMPLE_RATE, notes: Optional[list[str]] = None) -> np.ndarray:
    """Decode the first audio stream to mono float32 at `sr` Hz with ffmpeg, in the picture's time line: a track that
    starts later than the file (`audio_lead`) gets that much silence in front.

    A file with two channels or more is also decoded as stereo to check the mix: when one channel is phase-inverted
    against the other (a miswired microphone or a bad export) the mono mix cancels the voice — the recogniser would
    hear nothing, and a phone's mono speaker plays the ad nearly silent. Then the louder channel alone is used and a
    note appended to `notes` says so; otherwise the samples are ffmpeg's own mono mix, bit for bit (the recogniser's
    int8 decoder and the tests' fixtures depend on them). A first audio track that is digitally silent while another
    track has sound is refused with an InputError naming the track (the output would carry the silent track).
    """
    p = check_input_file(path, "audio")
    mono = _decode(p, sr, 0, 1)
    streams, channels = _audio_streams(p)
    if channels >= 2 and mono.size:
        st = _decode(p, sr, 0, 2)
        st = st[: st.size // 2 * 2].reshape(-1, 2)
        rms = np.sqrt(np.mean(np.square(st, dtype=np.float64), axis=0))
        loud = int(np.argmax(rms))
        # ffmpeg's stereo-to-mono mix is (L + R) / sqrt(2): two channels that are not anti-correlated keep at least
        # sqrt(2) / 2 of the louder one's level in it
        if rms[loud] > 0 and float(np.sqrt(np.mean(np.square(mono, dtype=np.float64)))) < CANCEL_RATIO * np.sqrt(2) * rms[loud]:
            if notes is not None:
                side = ("left", "right")[loud]
                notes.append(f"the audio's two channels cancel each other when mixed to mono (one of them is phase-inverted): "
                             f"the captions were made from the {side} channel alone, but a phone's mono speaker plays this ad "
                             f"nearly silent — fix the mix (invert one channel) before publishing")
            mono = st[:, loud] * np.float32(np.sqrt(2))  # the level the channel would have in an ordinary mix
    if streams > 1:
        check_voice_track(p, mono, sr)
    lead = audio_lead(p)
    if lead >= 0.5 / sr:  # silence where the track has not started: sample 0 is the picture's time 0
        mono = np.concatenate([np.zeros(int(round(lead * sr)), np.float32), mono])
    return np.ascontiguousarray(mono, dtype=np.float32)


# A voice-over whose loudest sample is under this (-20 dBFS) is analysed raised to QUIET_TARGET_PEAK (-1 dBFS, where
# the DEV and generated ads sit): the recogniser's log-mel features and the judge's scores are not level-invariant (the
# example ad at -40 dB: its changed "$49" went from an error with the spoken $40 to a warning keeping $49).
QUIET_PEAK = 0.1
QUIET_TARGET_PEAK = 0.891


def raise_quiet(audio: np.ndarray) -> tuple[np.ndarray, Optional[float]]:
    """(audio to analyse, the gain in dB applied) — unchanged (None) unless it is quiet but not silent."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak >= QUIET_PEAK or peak < SILENT_PEAK:
        return audio, None
    gain = QUIET_TARGET_PEAK / peak
    return (audio * np.float32(gain)).astype(np.float32), 20 * math.log10(gain)


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
