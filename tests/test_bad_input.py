"""Bad input → one clear line on stderr, non-zero exit, and nothing half-written in the output folder."""
from __future__ import annotations

import json

import pytest

from captioner.errors import InputError, MediaError
from captioner.media import probe

from .conftest import EXAMPLE, FIXTURES, ffmpeg, make_video, run_cli
from .example_ad import price_outcome

SCRIPT = str(EXAMPLE / "script.txt")


def assert_clean_failure(proc, out_dir, *needles, code=None):
    assert proc.returncode != 0
    if code is not None:
        assert proc.returncode == code, proc.stderr
    err = proc.stderr.strip()
    assert err.startswith("captioner: error:") and "Traceback" not in err, err
    assert len(err.splitlines()) == 1, err
    for n in needles:
        assert n.lower() in err.lower(), err
    if out_dir.exists():
        assert list(out_dir.iterdir()) == [], f"left behind: {list(out_dir.iterdir())}"


def test_missing_file(tmp_path):
    out = tmp_path / "out"
    proc = run_cli("caption", str(tmp_path / "nope.mp4"), "--script", SCRIPT, "--out", str(out / "a.mp4"))
    assert_clean_failure(proc, out, "not found", code=2)


def test_empty_file(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    out = tmp_path / "out"
    proc = run_cli("caption", str(tmp_path / "empty.mp4"), "--script", SCRIPT, "--out", str(out / "a.mp4"))
    assert_clean_failure(proc, out, "0 bytes", code=2)


def test_corrupt_video(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes((EXAMPLE / "video.mp4").read_bytes()[:3000])  # truncated: header but no media data
    out = tmp_path / "out"
    proc = run_cli("caption", str(bad), "--script", SCRIPT, "--out", str(out / "a.mp4"))
    assert_clean_failure(proc, out)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video at all\n" * 100)
    proc = run_cli("caption", str(junk), "--script", SCRIPT, "--out", str(out / "a.mp4"))
    assert_clean_failure(proc, out, "corrupt")


def test_video_without_audio(tmp_path):
    v = make_video(tmp_path / "silent_track.mp4", seconds=2)
    assert not probe(v).has_audio
    out = tmp_path / "out"
    proc = run_cli("caption", str(v), "--script", SCRIPT, "--out", str(out / "a.mp4"))
    assert_clean_failure(proc, out, "no audio stream", code=2)


def test_silent_audio_gives_valid_video_without_captions(tmp_path):
    wav = tmp_path / "silence.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "3", str(wav))
    v = make_video(tmp_path / "quiet.mp4", wav, seconds=3)
    out = tmp_path / "out" / "a.mp4"
    proc = run_cli("caption", str(v), "--script", SCRIPT, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["words"] == [] and data["pages"] == []
    assert any(f["kind"] == "no_speech" for f in data["findings"])
    info = probe(out)
    assert info.has_audio and abs(info.duration - 3.0) < 0.15


def test_music_without_a_voice_gives_valid_video_without_captions(tmp_path):
    """A music bed and no voice (a template before the voice-over was added): no words are made up from the music,
    the script is not captioned onto it, and the render still succeeds."""
    import numpy as np
    import soundfile as sf

    sr, secs = 16000, 8.0
    t = np.arange(int(sr * secs)) / sr
    rng = np.random.default_rng(7)
    bed = np.zeros_like(t)
    for k, b0 in enumerate(np.arange(0.0, secs, 0.5)):  # a chord every half second, a kick, hi-hat noise
        seg = (t >= b0) & (t < b0 + 0.5)
        tt = t[seg] - b0
        root = (110.0, 146.8, 164.8, 130.8)[k % 4]
        bed[seg] += sum(np.sin(2 * np.pi * root * m * tt) / m for m in (1, 1.25, 1.5, 2)) * np.exp(-3 * tt)
        bed[seg] += np.sin(2 * np.pi * 55 * tt) * np.exp(-25 * tt) + 0.2 * rng.standard_normal(seg.sum()) * np.exp(-40 * tt)
    wav = tmp_path / "bed.wav"
    sf.write(wav, (0.8 * bed / np.abs(bed).max()).astype(np.float32), sr)
    v = make_video(tmp_path / "music.mp4", wav, seconds=secs)
    out = tmp_path / "out" / "a.mp4"
    proc = run_cli("caption", str(v), "--script", SCRIPT, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["words"] == [] and data["pages"] == [], data["words"]
    assert any(f["kind"] == "no_speech" for f in data["findings"])
    assert abs(probe(out).duration - secs) < 0.15


@pytest.mark.parametrize("lang", ["xx", "english", ""])
def test_unknown_language(tmp_path, lang):
    out = tmp_path / "out"
    proc = run_cli("caption", str(EXAMPLE / "video.mp4"), "--script", SCRIPT, "--language", lang, "--out", str(out / "a.mp4"))
    assert_clean_failure(proc, out, "language", code=2)


def test_unknown_preset(tmp_path):
    out = tmp_path / "out"
    proc = run_cli("caption", str(EXAMPLE / "video.mp4"), "--script", SCRIPT, "--preset", "sparkles", "--out", str(out / "a.mp4"))
    assert_clean_failure(proc, out, "unknown preset", code=2)


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    proc = run_cli("caption", str(EXAMPLE / "video.mp4"), "--script", SCRIPT, "--out", str(blocker / "sub" / "a.mp4"))
    assert_clean_failure(proc, tmp_path / "nothing", "output folder", code=5)
    assert blocker.read_text() == "a file where a folder should be"


def test_output_must_not_overwrite_input(tmp_path):
    v = tmp_path / "v.mp4"
    v.write_bytes((EXAMPLE / "video.mp4").read_bytes())
    proc = run_cli("caption", str(v), "--script", SCRIPT, "--out", str(v))
    assert proc.returncode == 2 and "overwrite the input" in proc.stderr
    assert v.read_bytes() == (EXAMPLE / "video.mp4").read_bytes()


def test_failure_midway_leaves_nothing(tmp_path, monkeypatch):
    """A render that dies after the sidecars were started leaves no partial file behind."""
    import captioner.job as job
    import captioner.pipeline as pl

    def boom(*a, **k):
        raise MediaError("ffmpeg failed while burning captions: simulated")

    monkeypatch.setattr(job, "burn", boom)
    out = tmp_path / "out"
    with pytest.raises(MediaError):
        pl.caption(FIXTURES / "media" / "ad-de-03" / "video.mp4", "Mit dem Sanftel", out=out / "a.mp4", language="de")
    assert list(out.iterdir()) == []


def test_api_rejects_unknown_option(tmp_path):
    import captioner.pipeline as pl

    with pytest.raises(InputError):
        pl.caption(EXAMPLE / "video.mp4", None, out=tmp_path / "a.mp4", colour="red")


def test_phase_inverted_channel_is_heard_and_reported(tmp_path):
    """One channel phase-inverted against the other (a miswired microphone): the mono mix cancels the voice. The
    captions are made from one channel, the words are the script's, and a warning says the mix is broken."""
    v = tmp_path / "antiphase.mp4"
    ffmpeg("-i", str(EXAMPLE / "video.mp4"), "-af", "pan=stereo|c0=c0|c1=-1*c0", "-c:v", "copy", "-c:a", "aac",
           "-b:a", "192k", str(v))
    from captioner.media import load_audio, speech_duration

    mixed = load_audio(EXAMPLE / "video.mp4")
    notes: list[str] = []
    heard = load_audio(v, notes=notes)
    assert len(notes) == 1 and "phase-inverted" in notes[0]
    assert speech_duration(heard) > 0.8 * speech_duration(mixed)
    out = tmp_path / "out" / "a.mp4"
    proc = run_cli("caption", str(v), "--script", SCRIPT, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.with_suffix(".json").read_text())
    assert [f["kind"] for f in data["findings"]].count("audio_channels_cancel") == 1
    assert "no_speech" not in [f["kind"] for f in data["findings"]]
    said = " ".join(w["text"] for w in data["words"])
    assert "Lumewell" in said and "GLOW20" in said, said
    price_outcome(data["findings"], said)  # $40 flagged, or $49 disputed: the example ad's price, judged (tests/example_ad.py)
    # re-burning from the caption file (no recogniser) aligns to the same channel and says so too
    again = tmp_path / "out" / "b.mp4"
    proc = run_cli("caption", str(v), "--captions", str(out.with_suffix(".srt")), "--language", "en", "--out", str(again))
    assert proc.returncode == 0, proc.stderr
    data2 = json.loads(again.with_suffix(".json").read_text())
    assert [f["kind"] for f in data2["findings"]].count("audio_channels_cancel") == 1
    first = {w["text"]: w["start"] for w in data["words"]}
    price = next(t for t in first if t.startswith("$"))  # $40 or $49, whichever the judge put on screen
    assert abs(next(w["start"] for w in data2["words"] if w["text"] == price) - first[price]) < 0.1


def test_ordinary_stereo_and_mono_decode_as_ffmpeg_mixes_them(tmp_path):
    """Ordinary files (mono, stereo with different channels) give ffmpeg's own -ac 1 samples, bit for bit."""
    import numpy as np

    from captioner.media import load_audio, run_ffmpeg

    st = tmp_path / "stereo.mp4"  # two different channels: the voice left, the voice delayed and quieter right
    ffmpeg("-i", str(EXAMPLE / "video.mp4"), "-af", "pan=stereo|c0=c0|c1=0.5*c0,adelay=0|120", "-c:v", "copy",
           "-c:a", "aac", str(st))
    for f in (EXAMPLE / "video.mp4", st):
        ref = np.frombuffer(run_ffmpeg(["-i", str(f), "-vn", "-map", "0:a:0", "-ac", "1", "-ar", "16000", "-f", "f32le",
                                        "-acodec", "pcm_f32le", "pipe:1"], "reference").stdout, np.float32)
        notes: list[str] = []
        got = load_audio(f, notes=notes)
        assert notes == [] and got.shape == ref.shape and np.array_equal(got, ref)


def test_silent_first_audio_track_with_the_voice_on_another_is_refused(tmp_path):
    """Two audio tracks, the first digitally silent: captions would follow the silent track (no_speech) and the output
    would carry it. Refused before any work, naming the track with sound and how to fix the file."""
    v = tmp_path / "two.mp4"
    ffmpeg("-i", str(EXAMPLE / "video.mp4"), "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-map", "0:v",
           "-map", "1:a", "-map", "0:a", "-c:v", "copy", "-c:a", "aac", "-shortest", str(v))
    out = tmp_path / "out"
    proc = run_cli("caption", str(v), "--script", SCRIPT, "--out", str(out / "a.mp4"))
    assert_clean_failure(proc, out, "first audio track", "track 2", "-map 0:a:1", code=2)


def test_telephone_band_audio_keeps_every_script_word(tmp_path):
    """An 8 kHz mono voice-over (a phone recording): both recogniser passes miss "Serum" on it. The phone model hears
    the word where the script has it, so it stays in the captions instead of a skipped word plus an ad-lib."""
    v = tmp_path / "phone.mp4"
    ffmpeg("-i", str(EXAMPLE / "video.mp4"), "-c:v", "copy", "-c:a", "aac", "-ar", "8000", "-ac", "1", str(v))
    out = tmp_path / "out" / "a.mp4"
    proc = run_cli("caption", str(v), "--script", SCRIPT, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.with_suffix(".json").read_text())
    said = [w["text"] for w in data["words"]]
    assert said[4:7] == ["Lumewell", "Glow", "Serum"], said
    kinds = [f["kind"] for f in data["findings"]]
    assert "script_skipped" not in kinds and "ad_lib" not in kinds, data["findings"]


def test_audio_shorter_than_the_script_can_fill(tmp_path):
    """The example ad cut to its first 4 s (voice and picture), with its whole 21-word script: the captions are what was
    said, corrected against the script (brand spelling), the price is judged — never a price on screen that differs
    from the script without a finding — and the script's unspoken rest is reported. Before, a script this much longer
    than the voice made the captions the raw recogniser words, "$40." shown with no finding."""
    v = tmp_path / "cut.mp4"
    ffmpeg("-i", str(EXAMPLE / "video.mp4"), "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(v))
    out = tmp_path / "out" / "a.mp4"
    proc = run_cli("caption", str(v), "--script", SCRIPT, "--language", "en", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.with_suffix(".json").read_text())
    said = [w["text"] for w in data["words"]]
    kinds = [f["kind"] for f in data["findings"]]
    assert "asr_unreliable" not in kinds and "script_unspoken" in kinds, data["findings"]
    assert said[:9] == "Tired of dull skin? Lumewell Glow Serum is just".split(), said
    prices = [k for k, w in enumerate(data["words"]) if w["text"].startswith("$")]
    assert prices, said
    for k in prices:
        judged = [f for f in data["findings"] if k in (f.get("word_indices") or [])
                  and f["kind"] in ("claim_verified", "number_disputed", "price_mismatch")]
        assert judged, (said[k], data["findings"])
        if said[k].rstrip(".,!") != "$49":
            assert any(f["severity"] == "error" for f in judged), data["findings"]


def test_a_chinese_voice_cut_short_is_captioned(tmp_path):
    """DEV's zh ad cut to its first 4 s, with its whole script: no captions at all came out (the recogniser's output
    was discarded as hallucinated, and a script far longer than the voice made the captions "the recognised words")."""
    from captioner.media import load_audio
    from captioner.pipeline import transcribe_and_correct

    cut = tmp_path / "cut.wav"
    ffmpeg("-i", str(FIXTURES / "align" / "ad-zh-01" / "audio.flac"), "-t", "4", "-ar", "16000", "-ac", "1", str(cut))
    script = (FIXTURES / "render" / "ad-zh-01.script.txt").read_text(encoding="utf-8").strip()
    _, words, findings = transcribe_and_correct(load_audio(cut), script, "zh")
    text = "".join(w.text for w in words)
    why = (text, [(f.kind, f.message) for f in findings])
    assert "精华液，28天肌肤焕亮" in text, why
    # the recogniser's int8 output differs by CPU: on an AMD EPYC the prompted pass opened with the script's closing
    # "8折优惠！" (an echo of its prompt, "confirmed" by the witness's garble) and the captions began with it
    assert not text.startswith("8"), why
    assert text[:5] == "悦澜精华液" or any(f.kind == "script_unspoken" and "before" in f.message for f in findings), why
    assert any(f.kind == "script_unspoken" for f in findings), why


def test_a_script_in_another_language_captions_what_was_said(tmp_path):
    """The German variant's script given with the English voice-over (a careless batch): the render goes through,
    the captions are the English the recogniser heard — never German words under English speech — and the JSON
    says why."""
    de = tmp_path / "skript.txt"
    de.write_text("Mit dem Wolkora Kissen schläfst du endlich durch. Jetzt nur 39,99 € statt 59,99 €. Link in der Bio!\n",
                  encoding="utf-8")
    out = tmp_path / "out" / "a.mp4"
    proc = run_cli("caption", str(EXAMPLE / "video.mp4"), "--script", str(de), "--language", "en", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.with_suffix(".json").read_text())
    kinds = [f["kind"] for f in data["findings"]]
    assert "script_language_mismatch" in kinds and "asr_unreliable" in kinds, kinds
    said = " ".join(w["text"] for w in data["words"]).lower()
    assert "tired" in said and "link below" in said, said
    assert not {"kissen", "schläfst", "jetzt", "bio!"} & set(said.split()), said
    assert "price_mismatch" not in kinds  # no price of the wrong script is "caught" in the English audio


def test_another_videos_script_in_the_same_language_is_an_error(tmp_path):
    """The script of another English ad given with the example (a mixed-up variant): the recogniser matched 5 % of
    it, and for voices it cannot follow the captions follow the script — here another product and another price on
    screen. The phone alignment finds most of the speech outside that text: an error-level `script_mismatch`, so
    `--strict` refuses it; with the example's own script there is none."""
    other = tmp_path / "other.txt"
    other.write_text("I switched to Brewvana cold brew pods and never looked back. Get 12 pods for $19.99 with free "
                     "shipping. Order now!\n", encoding="utf-8")
    out = tmp_path / "out" / "a.mp4"
    proc = run_cli("caption", str(EXAMPLE / "video.mp4"), "--script", str(other), "--language", "en", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.with_suffix(".json").read_text())
    bad = [f for f in data["findings"] if f["kind"] == "script_mismatch"]
    assert len(bad) == 1 and bad[0]["severity"] == "error" and "another video" in bad[0]["message"], data["findings"]
    strict = run_cli("caption", str(EXAMPLE / "video.mp4"), "--script", str(other), "--language", "en", "--strict",
                     "--out", str(tmp_path / "out" / "b.mp4"))
    assert strict.returncode == 7 and "another video" in strict.stderr, strict.stderr
    assert not (tmp_path / "out" / "b.mp4").exists()


def test_script_mismatch_rule():
    from captioner.pipeline import SCRIPT_MISMATCH_FRACTION, script_mismatch
    from captioner.types import Finding, Severity, Word

    words = [Word(text=f"w{i}", start=i, end=i + 0.5, source="script") for i in range(10)]
    adlib = lambda a, b: Finding(kind="ad_lib", severity=Severity.warning, message="", start=a, end=b)  # noqa: E731
    unsaid = Finding(kind="script_unspoken", severity=Severity.warning, message="", word_indices=[0, 1, 2])
    assert script_mismatch(words, [adlib(0, 1.0), unsaid], speech_s=8.0) is None  # an ad-lib and a skipped line
    assert script_mismatch(words, [adlib(0, 4.0)], speech_s=8.0).severity == Severity.error  # half the speech
    many = Finding(kind="script_unspoken", severity=Severity.warning, message="", word_indices=list(range(6)))
    assert script_mismatch(words, [many], speech_s=8.0) is not None  # most of the text unsaid
    asr = [w.model_copy(update={"source": "asr"}) for w in words]
    assert script_mismatch(asr, [adlib(0, 8.0)], speech_s=8.0) is None  # the recogniser's own words
    assert 0.28 < SCRIPT_MISMATCH_FRACTION <= 0.6


def test_a_render_without_captions_is_not_charged(tmp_path):
    """A silent voice-over with a paid preset: the video is delivered without captions (as above), and the price of a
    captioned render is not charged (it was: 0.4 credits for a video with no caption on it)."""
    wav = tmp_path / "silence.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo", "-t", "3", str(wav))
    v = make_video(tmp_path / "quiet.mp4", wav, seconds=3)
    ledger = tmp_path / "l.sqlite3"
    assert run_cli("credits", "add", "1", "--account", "acme", "--ledger", str(ledger)).returncode == 0
    out = tmp_path / "out" / "a.mp4"
    proc = run_cli("caption", str(v), "--script", SCRIPT, "--out", str(out), "--preset", "classic", "--account", "acme",
                   "--ledger", str(ledger))
    assert proc.returncode == 0, proc.stderr
    assert "not charged" in proc.stdout
    data = json.loads(out.with_suffix(".json").read_text())
    assert data["words"] == [] and data["receipt"]["charged"] is False
    assert any(f["kind"] == "not_charged" for f in data["findings"])
    from captioner.billing import Ledger

    led = Ledger(ledger)
    assert led.balance("acme") == 1000 and led.available("acme") == 1000  # nothing charged, no hold left


def test_a_very_quiet_voice_over_is_judged_like_an_ordinary_one(tmp_path):
    """The example ad 40 dB down: its changed price went from an error showing the spoken $40 to a warning keeping the
    script's $49 (the recogniser's and the judge's features are not level-invariant). Analysed raised, it is judged as
    at its usual level, and the quiet mix is reported."""
    quiet = tmp_path / "quiet.mp4"
    ffmpeg("-i", str(EXAMPLE / "video.mp4"), "-af", "volume=-40dB", "-c:v", "copy", "-c:a", "aac", str(quiet))
    out = tmp_path / "q.mp4"
    proc = run_cli("caption", str(quiet), "--script", str(EXAMPLE / "script.txt"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.with_suffix(".json").read_text())
    kinds = {f["kind"]: f for f in data["findings"]}
    assert "audio_quiet" in kinds and "dBFS" in kinds["audio_quiet"]["message"]
    assert kinds["price_mismatch"]["severity"] == "error" and "$40" in [w["text"].strip(".,") for w in data["words"]]
