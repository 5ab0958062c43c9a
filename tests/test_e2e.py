"""End to end through the CLI on the shipped example ad: outputs, sidecars, pixels, audio and duration."""
from __future__ import annotations

import json
import subprocess

import numpy as np
import pysubs2
import pytest
import webvtt

from captioner.layout import safe_box
from captioner.media import ffmpeg_exe, probe

from .conftest import EXAMPLE, normalize_words, run_cli, wer
from .example_ad import price_outcome


def frame_at(video, t: float, w: int, h: int) -> np.ndarray:
    raw = subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-ss", f"{t:.3f}", "-i", str(video), "-frames:v", "1",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3).astype(int)


@pytest.fixture(scope="module")
def captioned(tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "ad.mp4"
    proc = run_cli("caption", str(EXAMPLE / "video.mp4"), "--script", str(EXAMPLE / "script.txt"),
                   "--language", "en", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out, json.loads(out.with_suffix(".json").read_text()), proc


def test_all_outputs_written(captioned):
    out, data, proc = captioned
    for ext in (".mp4", ".ass", ".srt", ".vtt", ".json"):
        assert out.with_suffix(ext).stat().st_size > 0
    assert not list(out.parent.glob(".*.part")), "temporary files left behind"
    assert str(out) in proc.stdout  # tells the user where the outputs are


def test_json_contract(captioned):
    _, data, _ = captioned
    assert data["language"] == "en"
    assert data["words"] and all({"text", "start", "end", "confidence"} <= set(w) for w in data["words"])
    assert all(0 <= w["start"] <= w["end"] <= data["media"]["duration"] + 0.05 for w in data["words"])
    starts = [w["start"] for w in data["words"]]
    assert starts == sorted(starts)
    assert isinstance(data["findings"], list)
    assert data["receipt"] == {**data["receipt"], "preset": "karaoke", "tier": "karaoke", "credits": 0.0}


def test_words_match_the_voice(captioned):
    _, data, _ = captioned
    ref = normalize_words((EXAMPLE / "spoken.txt").read_text(), "en")
    hyp = normalize_words(" ".join(w.get("spoken") or w["text"] for w in data["words"]), "en")
    assert wer(ref, hyp) <= 0.15, (ref, hyp)


def test_spoken_price_never_silently_replaced(captioned):
    """The voice says "forty dollars" where the script says $49: $40 with a `price_mismatch` error, or $49 with a
    `number_disputed` warning naming $40 (tests/example_ad.py) — in the words, on the pages and in the SRT."""
    out, data, _ = captioned
    texts = " ".join(w["text"] for w in data["words"])
    srt = " ".join(e.plaintext for e in pysubs2.load(str(out.with_suffix(".srt"))).events)
    outcome = price_outcome(data["findings"], texts)
    assert price_outcome(data["findings"], srt) == outcome
    shown = "$40" if outcome == "flagged" else "$49"
    k = next(i for i, w in enumerate(data["words"]) if w["text"].strip(".,!?") == shown)
    page = next(p for p in data["pages"] if k in [i for line in p["lines"] for i in line["words"]])
    assert page["start"] <= data["words"][k]["start"] < page["end"]


def test_sidecars_parse(captioned):
    out, data, _ = captioned
    subs = pysubs2.load(str(out.with_suffix(".ass")))
    assert subs.info["PlayResX"] == "720" and subs.info["PlayResY"] == "1280"
    assert len(subs.events) >= len(data["pages"])
    srt = pysubs2.load(str(out.with_suffix(".srt")))
    assert len(srt.events) == len(data["pages"])
    for a, b in zip(srt.events, srt.events[1:]):
        assert a.end <= b.start  # pages never overlap
    cues = webvtt.read(str(out.with_suffix(".vtt")))
    assert len(cues) == len(data["pages"])
    assert any("<00:" in c.raw_text for c in cues)  # word-timed


def test_audio_duration_and_size_preserved(captioned):
    out, data, _ = captioned
    src, dst = probe(EXAMPLE / "video.mp4"), probe(out)
    assert (dst.width, dst.height) == (src.width, src.height)
    assert dst.has_audio and dst.audio_codec == src.audio_codec
    assert abs(dst.duration - src.duration) < 0.1
    assert dst.video_codec == "h264"


def test_highlighted_word_is_on_screen_at_its_time(captioned):
    out, data, _ = captioned
    info = probe(out)
    box = safe_box(info.width, info.height, "tiktok")
    words = data["words"]
    k = next(i for i, w in enumerate(words) if w["end"] - w["start"] > 0.15 and i > 2)
    t = (words[k]["start"] + words[k]["end"]) / 2
    a, b = frame_at(out, t, info.width, info.height), frame_at(EXAMPLE / "video.mp4", t, info.width, info.height)
    yellow = np.array([0xFF, 0xD4, 0x00])
    is_hl = (np.abs(a - yellow).sum(axis=2) < 90) & (np.abs(b - yellow).sum(axis=2) > 150)
    ys, xs = np.nonzero(is_hl)
    assert len(ys) > 150, "no highlighted word on screen at its time"
    assert box.left <= xs.min() and xs.max() <= box.right and box.top <= ys.min() and ys.max() <= box.bottom
    # before the first word nothing is drawn: the frame equals the source up to encoder noise
    t0 = max(0.0, words[0]["start"] - 0.2)
    a0, b0 = frame_at(out, t0, info.width, info.height), frame_at(EXAMPLE / "video.mp4", t0, info.width, info.height)
    assert (np.abs(a0 - b0).sum(axis=2) > 150).sum() < 50


def test_presets_json_lists_karaoke():
    proc = run_cli("presets", "--json")
    assert proc.returncode == 0
    items = json.loads(proc.stdout)
    assert {"name": "karaoke", "tier": "karaoke", "credits": 0.0}.items() <= next(i for i in items if i["name"] == "karaoke").items()


def test_a_voice_the_recogniser_cannot_follow_alone_is_captioned_from_the_script(whisper_model):
    """espeak Hindi: with the script as a prompt Whisper writes clean Hindi (much of it the prompt); without it,
    it writes Urdu. The unprompted witness is deaf here, so the captions follow the script, aligned, with a
    warning — and the changed price (₹499 said "तीन सौ निन्यानबे रुपये") still goes to the judge."""
    from captioner.media import load_audio
    from captioner.pipeline import correct_stage, recognise

    from .conftest import FIXTURES

    audio = load_audio(FIXTURES / "align" / "ad-hi-01" / "audio.flac")
    script = "ग्लोरा फेस वॉश से पाएँ दमकती त्वचा। सिर्फ़ ₹499 में, कोड GLOWRA20 से 20% की छूट। अभी ऑर्डर करें!"
    tr, ref, found = recognise(audio, script, "hi")
    # what the recogniser makes of this voice depends on the CPU's int8 kernels: either clean Hindi from the
    # prompted pass with a deaf witness (Intel MKL), or output in another script, discarded (oneDNN on AMD AVX2)
    deaf_witness = bool(tr.words) and ref is not None and not ref.words and "cannot follow" in ref.notes[-1]
    discarded = not tr.words and any(f.kind == "asr_wrong_language" for f in found)
    assert deaf_witness or discarded, (tr.text, ref, [f.message for f in found])
    words, findings = correct_stage(audio, tr, ref, script, "hi", found)
    kinds = {f.kind for f in findings}
    assert "asr_unreliable" in kinds, [(f.kind, f.message) for f in findings]
    prices = [f for f in findings if f.script_text == "₹499"]
    assert prices and all(f.kind in ("price_mismatch", "number_disputed") for f in prices), [(f.kind, f.message) for f in prices]
    assert "₹499" not in " ".join(w.text for w in words) or any(f.kind == "number_disputed" for f in prices)
