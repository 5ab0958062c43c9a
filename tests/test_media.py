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
