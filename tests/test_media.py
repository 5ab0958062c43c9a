"""media: probing (size, fps, rotation, audio), audio extraction, and the one-pass encode."""
from __future__ import annotations

import numpy as np
import pytest

from captioner.errors import InputError
from captioner.layout import paginate
from captioner.media import load_audio, probe, speech_timestamps
from captioner.presets import load_preset
from captioner.render.ass import to_ass
from captioner.render.burn import burn
from captioner.types import Word

from .conftest import EXAMPLE, ffmpeg, make_video


def test_probe_example():
    info = probe(EXAMPLE / "video.mp4")
    assert (info.width, info.height, info.fps, info.rotation) == (720, 1280, 30.0, 0)
    assert info.has_audio and info.audio_codec == "aac" and 9.5 < info.duration < 10.0


def test_load_audio_is_16k_mono():
    a = load_audio(EXAMPLE / "video.mp4")
    assert a.dtype == np.float32 and a.ndim == 1
    assert abs(len(a) / 16000 - 9.74) < 0.1
    spans = speech_timestamps(a)
    assert spans and spans[0][0] > 0.2  # 0.30 s of silence before the voice


def test_rotation_is_honoured(tmp_path):
    rot = tmp_path / "rot.mp4"
    ffmpeg("-display_rotation", "90", "-i", str(EXAMPLE / "video.mp4"), "-c", "copy", str(rot))
    info = probe(rot)
    assert info.rotation == 90 and (info.width, info.height) == (1280, 720)
    words = [Word(text="Hello", start=0.5, end=1.0), Word(text="world", start=1.0, end=1.5)]
    track = paginate(words, load_preset("karaoke"), info.width, info.height, duration=info.duration)
    out = tmp_path / "o.mp4"
    burn(rot, to_ass(track, load_preset("karaoke")), out, info)
    o = probe(out)
    assert (o.width, o.height, o.rotation) == (1280, 720, 0)  # frames upright, captions laid out for them
    assert abs(o.duration - info.duration) < 0.1 and o.has_audio


def test_probe_rejects_audio_only_and_garbage(tmp_path):
    with pytest.raises(InputError, match="no video stream"):
        probe(EXAMPLE.parent.parent / "tests" / "fixtures" / "media" / "ad-es-01" / "audio.flac")
    g = tmp_path / "g.mp4"
    g.write_bytes(b"\x00" * 4096)
    with pytest.raises(InputError, match="corrupt"):
        probe(g)


def test_odd_frame_size_and_no_audio_encode(tmp_path):
    v = make_video(tmp_path / "odd.mp4", seconds=1, size="322x570")
    info = probe(v)
    out = tmp_path / "o.mp4"
    track = paginate([], load_preset("karaoke"), info.width, info.height)
    burn(v, to_ass(track, load_preset("karaoke")), out, info)
    assert probe(out).width == 322 and not probe(out).has_audio


def _combing(path, rows: int = 60) -> float:
    """Mean luma step between neighbouring lines in the top `rows` of every frame: a moving edge whose two fields
    are woven into one frame makes teeth (large steps); a progressive picture of a vertical bar has none."""
    import av

    with av.open(str(path)) as c:
        frames = [f.to_ndarray(format="gray")[:rows].astype(np.float64) for f in c.decode(video=0)]
    return float(np.mean([np.abs(np.diff(f, axis=0)).mean() for f in frames])), len(frames)


def test_an_interlaced_picture_is_deinterlaced(tmp_path):
    """A field-coded (interlaced) export was burned and written as progressive frames with its two fields woven
    together: every movement combed, under the captions too. The render deinterlaces it (bwdif), frame for frame."""
    src = tmp_path / "il.mp4"
    # a white bar crossing a black picture at 600 px/s, 50 fields/s woven into 25 frames/s (top field first)
    ffmpeg("-f", "lavfi", "-i", "color=black:s=320x240:r=50[bg];color=white:s=40x240:r=50[fg];"
           "[bg][fg]overlay=x='mod(t*600,280)':y=0", "-f", "lavfi", "-i", "sine=f=440:r=16000", "-t", "2",
           "-vf", "tinterlace=interleave_top,fieldorder=tff", "-c:v", "libx264", "-flags", "+ildct+ilme",
           "-x264opts", "tff=1", "-c:a", "aac", "-shortest", str(src))
    info = probe(src)
    assert info.interlaced == "tff" and info.fps == 25.0
    woven, n = _combing(src)
    assert woven > 10 and n == 50
    words = [Word(text="Hello", start=0.2, end=0.8), Word(text="world", start=0.8, end=1.5)]
    track = paginate(words, load_preset("karaoke"), info.width, info.height, duration=info.duration)
    out = tmp_path / "o.mp4"
    burn(src, to_ass(track, load_preset("karaoke")), out, info)
    o = probe(out)
    assert not o.interlaced and o.fps == 25.0 and abs(o.duration - info.duration) < 0.1
    combed, m = _combing(out)
    assert m == n and combed < 0.1 * woven, (combed, woven)
    assert probe(EXAMPLE / "video.mp4").interlaced is None


def test_ffmpeg_failure_reason_is_not_encoder_statistics():
    from captioner.media import _reason

    stderr = ("Input #0, mov,mp4 from 'a.mp4':\n[out#0/mp4 @ 0x1] Error muxing a packet\n"
              "[libx264 @ 0x2] frame I:1     Avg QP:20.00  size: 12345\n[libx264 @ 0x2] kb/s:722.54\n"
              "[aac @ 0x3] Qavg: 14337.901\nConversion failed!\n")
    assert _reason(stderr) == "[out#0/mp4 @ 0x1] Error muxing a packet"


def test_file_size_limit_during_the_encode_is_an_output_error(tmp_path):
    """`ulimit -f` (RLIMIT_FSIZE) kills ffmpeg with SIGXFSZ mid-encode: the user is told which folder, not x264 stats."""
    import resource
    import subprocess
    import sys

    code = ("import sys\nfrom captioner.errors import OutputError\nfrom captioner.media import probe\n"
            "from captioner.render.burn import burn\nfrom captioner.presets import load_preset\n"
            "from captioner.render.ass import to_ass\nfrom captioner.layout import paginate\n"
            f"v = {str(EXAMPLE / 'video.mp4')!r}\ninfo = probe(v)\n"
            "ass = to_ass(paginate([], load_preset('karaoke'), info.width, info.height), load_preset('karaoke'))\n"
            f"try:\n    burn(v, ass, {str(tmp_path / 'o.mp4')!r}, info)\nexcept OutputError as e:\n"
            "    print(e); sys.exit(5)\n")

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))

    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, preexec_fn=limit, timeout=300)
    assert proc.returncode == 5, proc.stderr[-2000:]
    assert "File too large" in proc.stdout and str(tmp_path) in proc.stdout and "libx264" not in proc.stdout


def test_a_voice_over_track_that_starts_late_is_heard_late(tmp_path):
    """The audio track of the example ad moved 0.9 s into the file (`-itsoffset`): decoded on its own its first sample
    was at 0, and every caption came 0.9 s before the voice. Now the samples are in the picture's time line."""
    late = tmp_path / "late.mp4"
    ffmpeg("-i", str(EXAMPLE / "video.mp4"), "-itsoffset", "0.9", "-i", str(EXAMPLE / "video.mp4"), "-map", "0:v",
           "-map", "1:a", "-c", "copy", str(late))
    a, b = load_audio(EXAMPLE / "video.mp4"), load_audio(late)
    assert float(np.max(np.abs(b[: int(0.85 * 16000)]))) == 0.0
    onset = lambda x: int(np.argmax(np.abs(x) > 0.05)) / 16000  # noqa: E731
    assert onset(b) - onset(a) == pytest.approx(0.9, abs=0.005)


def test_every_audio_track_goes_through_the_burn(tmp_path):
    """A second audio track (another language, a commentary) was dropped silently: only the first one was mapped."""
    import av

    two = tmp_path / "two.mp4"
    ffmpeg("-i", str(EXAMPLE / "video.mp4"), "-f", "lavfi", "-i", "sine=frequency=440:duration=9", "-map", "0:v", "-map",
           "0:a", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest", str(two))
    info = probe(two)
    out = tmp_path / "out.mp4"
    words = [Word(text="Hello", start=0.5, end=1.0)]
    track = paginate(words, load_preset("karaoke"), info.width, info.height, language="en", duration=info.duration)
    burn(two, to_ass(track, load_preset("karaoke")), out, info)
    with av.open(str(out)) as c:
        assert len([s for s in c.streams if s.type == "audio"]) == 2


def test_a_one_frame_per_second_video_is_captioned_at_a_frame_rate_speech_needs(tmp_path):
    """A 1 fps video (a slideshow, a still image with a voice-over): words were snapped to whole seconds — zero-length
    words, 10 ms pages on top of each other. Now it is rendered at 25 fps, each picture held, and said so."""
    import json

    from .conftest import caption_from_truth

    slow = tmp_path / "slow.mp4"
    ffmpeg("-i", str(EXAMPLE / "video.mp4"), "-vf", "fps=1", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy", str(slow))
    assert probe(slow).fps == pytest.approx(1.0)
    truth = json.loads((EXAMPLE / "words.json").read_text())["words"]
    out = tmp_path / "o.mp4"
    res = caption_from_truth(slow, truth, tmp_path, out)
    assert probe(out).fps == pytest.approx(25.0) and res["media"]["fps"] == pytest.approx(25.0)
    assert any(f["kind"] == "frame_rate_raised" for f in res["findings"])
    assert all(w["end"] - w["start"] >= 0.039 for w in res["words"])
    pages = res["pages"]
    assert all(b["start"] >= a["end"] - 1e-6 for a, b in zip(pages, pages[1:]))
    assert all(p["end"] - p["start"] >= 0.039 for p in pages)


def test_opus_audio_of_a_webm_ad_is_reencoded_to_aac(tmp_path):
    """A .webm ad (VP9 + Opus): its Opus was copied into the MP4, which QuickTime, older Safari and ad platforms do not
    play. Audio other than AAC and MP3 is re-encoded to AAC."""
    src = tmp_path / "ad.webm"
    ffmpeg("-f", "lavfi", "-i", "color=c=navy:s=320x240:r=25", "-f", "lavfi", "-i", "sine=f=440:r=48000", "-t", "1",
           "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus", str(src))
    info = probe(src)
    assert info.audio_codec == "opus"
    out = tmp_path / "o.mp4"
    burn(src, to_ass(paginate([], load_preset("karaoke"), info.width, info.height), load_preset("karaoke")), out, info)
    o = probe(out)
    assert o.audio_codec == "aac" and abs(o.duration - info.duration) < 0.1


@pytest.mark.parametrize("size", ["2x2", "8x640"])
def test_a_picture_too_small_for_captions_is_refused(tmp_path, size):
    """A 2×2 (or 8 px wide) "video" was padded and rendered — no letter fits, billed like any render. From 16 px on it
    renders with a `frame_too_small` warning (tests/test_messages.py)."""
    v = make_video(tmp_path / f"tiny-{size}.mp4", seconds=1, size=size)
    with pytest.raises(InputError, match=r"too small to carry captions.*at least 16 px"):
        probe(v)
    assert probe(make_video(tmp_path / "ok.mp4", seconds=1, size="16x28")).width == 16
