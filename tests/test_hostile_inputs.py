"""Hostile but realistic inputs (issue 14): long ads, bad manifests/presets, bad media, hostile script text.

Every case uses real files, the bundled ffmpeg and, where the case needs it, the shipped Whisper model.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from captioner.errors import CaptionerError
from captioner.media import SAMPLE_RATE, load_audio

from .conftest import EXAMPLE, FIXTURES, make_video, run_cli

LONG = FIXTURES / "long"


# --- long ads: Whisper's 448 decoder positions -----------------------------------------------------

def _long_ad_parts() -> list[tuple[np.ndarray, str]]:
    parts = [(load_audio(EXAMPLE / "video.mp4"), (EXAMPLE / "script.txt").read_text()),
             (load_audio(FIXTURES / "media" / "ad-en-02" / "audio.flac"),
              (FIXTURES / "media" / "ad-en-02" / "script.txt").read_text())]
    for ad in ("ad-en-03", "ad-en-p01", "ad-en-04", "ad-en-p02"):
        parts.append((load_audio(LONG / ad / "audio.flac"), (LONG / ad / "script.txt").read_text()))
    parts.append((load_audio(LONG / "jfk.flac"), "And so, my fellow Americans, ask not what your country can do for you, "
                                                  "ask what you can do for your country."))
    return parts


def write_wav(path: Path, audio: np.ndarray) -> Path:
    import soundfile

    soundfile.write(str(path), audio, SAMPLE_RATE, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def long_ad(tmp_path_factory) -> tuple[Path, str, float]:
    """A ~68 s English ad with a ~140-word script: seven voice-overs joined (fixture audio, no TTS needed)."""
    parts = _long_ad_parts()
    gap = np.zeros(int(0.4 * SAMPLE_RATE), np.float32)
    audio = np.concatenate([x for a, _ in parts for x in (a, gap)])
    script = "\n".join(s.strip() for _, s in parts)
    d = tmp_path_factory.mktemp("long")
    video = make_video(d / "long.mp4", write_wav(d / "long.wav", audio), size="360x640", fps=15)
    return video, script, len(audio) / SAMPLE_RATE


def test_long_script_on_short_audio(whisper_model):
    """A 240-word script on 19 s of audio crashed with "ValueError: … exceeds the max_length … 448"."""
    from captioner.asr import ASROptions, get_backend

    parts = _long_ad_parts()
    audio = np.concatenate([parts[0][0], parts[1][0]])
    script = " ".join(s for _, s in parts) * 2
    assert len(script.split()) > 240
    tr = get_backend("whisper").transcribe(audio, ASROptions(language="en", script=script,
                                                             hotwords=["Lumewell", "Brewvana", "GLOW20"]))
    assert len(tr.words) >= 30 and tr.words[-1].end <= len(audio) / SAMPLE_RATE + 0.05
    assert any("cut to its tail" in n for n in tr.notes)


def test_one_500_character_word(whisper_model):
    """One 500-character word in the script (and so among the hotwords) crashed the recogniser; now it is left out."""
    from captioner.pipeline import transcribe_and_correct

    parts = _long_ad_parts()
    audio = np.concatenate([parts[0][0], parts[1][0]])
    giant = "Super" + "a" * 495
    script = parts[0][1].strip() + " " + giant + " " + parts[1][1].strip()
    transcript, words, findings = transcribe_and_correct(audio, script, "en")
    assert len(words) >= 35
    assert not any(giant in w.text for w in words)
    assert {"Lumewell", "Brewvana"} <= {w.text.strip(".,!?") for w in words}


@pytest.mark.slow
def test_60s_ad_with_140_word_script_captions_end_to_end(long_ad, tmp_path):
    video, script, seconds = long_ad
    assert seconds > 60 and len(script.split()) >= 135
    (tmp_path / "script.txt").write_text(script)
    out = tmp_path / "out" / "long.mp4"
    proc = run_cli("caption", str(video), "--script", str(tmp_path / "script.txt"), "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = json.loads(out.with_suffix(".json").read_text())
    words = [w["text"] for w in data["words"]]
    assert len(words) >= 130  # 142 in the script; the voice skips none
    assert words[0] == "Tired" and " ".join(words[-8:]) == "ask what you can do for your country."
    assert data["words"][-1]["start"] > seconds - 6
    assert all(a["start"] <= b["start"] for a, b in zip(data["words"], data["words"][1:]))
    for brand in ("Lumewell", "Brewvana", "Zentrik", "Snoozle", "Glimmora"):
        assert any(brand in w for w in words), brand
    from captioner.media import probe

    # the JSON reports the input's real duration (ffmpeg's -shortest lets the test picture outlast the audio a little)
    assert abs(data["media"]["duration"] - probe(video).duration) < 0.01 and data["media"]["duration"] >= seconds - 0.1


# --- manifests and presets: bounded loading ----------------------------------------------------------

BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f'{c}: &{c} [{",".join(["*" + p] * 9)}]\n' for p, c in zip("abcdefgh", "bcdefghi"))


def _one_clean_line(proc, code: int, *needles: str) -> str:
    err = proc.stderr.strip()
    assert proc.returncode == code, proc.stderr[-2000:]
    assert "Traceback" not in err and "RecursionError" not in err and "MemoryError" not in err, err[-2000:]
    for n in needles:
        assert n.lower() in err.lower(), err
    return err


def _manifest_dir(tmp_path: Path, body: str, name: str = "m.yaml") -> Path:
    (tmp_path / "v.mp4").write_bytes((EXAMPLE / "video.mp4").read_bytes())
    m = tmp_path / name
    m.write_text(body)
    return m


def test_yaml_alias_bomb_manifest_is_refused_quickly(tmp_path):
    """496 bytes that expand to 9⁹ values took 3.1 GB and died with MemoryError, printing the expanded value."""
    import time

    assert len(BOMB) < 600
    m = _manifest_dir(tmp_path, BOMB + "variants: [{output: a, video: v.mp4, preset: *i}]\n")
    t = time.perf_counter()
    proc = run_cli("batch", str(m), "--ledger", str(tmp_path / "l.sqlite3"), "--no-progress")
    assert time.perf_counter() - t < 60
    err = _one_clean_line(proc, 2, "aliases")
    assert err.count("lol") == 0 and len(err) < 1000
    assert not (tmp_path / "out").exists()


def test_alias_bomb_preset_is_refused(tmp_path):
    p = tmp_path / "bomb.yaml"
    p.write_text(BOMB + "name: bomb\ntier: basic\n")
    proc = run_cli("caption", str(EXAMPLE / "video.mp4"), "--preset", str(p), "--out", str(tmp_path / "o" / "a.mp4"))
    err = _one_clean_line(proc, 2, "aliases")
    assert "lol" not in err and not (tmp_path / "o").exists()


def test_a_few_aliases_for_shared_defaults_still_work(tmp_path):
    from captioner.batch import load_manifest

    m = _manifest_dir(tmp_path, "base: &base {video: v.mp4, language: en, preset: boxed}\n"
                                "variants:\n  - {<<: *base, output: a}\n  - {<<: *base, output: b}\n")
    with pytest.raises(CaptionerError, match="base"):  # an unknown top-level field, reported as such: not a crash
        load_manifest(m)
    m.write_text("defaults: &d {language: en}\nvariants:\n  - {output: a, video: v.mp4, preset: boxed}\n")
    assert [v.output for v in load_manifest(m).variants] == ["a"]


@pytest.mark.parametrize("fmt", ["yaml-flow", "yaml-block", "toml", "json-preset"])
def test_deep_nesting_is_a_clear_error_not_recursion(tmp_path, fmt):
    out = tmp_path / "o"
    if fmt == "json-preset":
        p = tmp_path / "deep.json"
        p.write_text('{"name": "x", "tier": "basic", "animation": ' + "[" * 20_000 + "]" * 20_000 + "}")
        proc = run_cli("caption", str(EXAMPLE / "video.mp4"), "--preset", str(p), "--out", str(out / "a.mp4"))
    else:
        if fmt == "yaml-flow":
            body, name = "variants: " + "[" * 20_000 + "]" * 20_000 + "\n", "m.yaml"
        elif fmt == "yaml-block":
            body, name = "variants:\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(300)), "m.yaml"
        else:
            body, name = "variants = " + "[" * 20_000 + "]" * 20_000 + "\n", "m.toml"
        m = _manifest_dir(tmp_path, body, name)
        proc = run_cli("batch", str(m), "--ledger", str(tmp_path / "l.sqlite3"), "--no-progress")
    _one_clean_line(proc, 2, "nested deeper than")
    assert not out.exists() and not (tmp_path / "out").exists()


def test_oversized_manifest_and_preset_are_refused_unread(tmp_path):
    m = _manifest_dir(tmp_path, "variants: []\n# " + "x" * (2 << 20) + "\n")
    proc = run_cli("batch", str(m), "--ledger", str(tmp_path / "l.sqlite3"), "--no-progress")
    _one_clean_line(proc, 2, "larger than 1024 KiB")
    p = tmp_path / "big.json"
    p.write_text('{"name": "big", "tier": "basic", "description": "' + "x" * (100 << 10) + '"}')
    proc = run_cli("caption", str(EXAMPLE / "video.mp4"), "--preset", str(p), "--out", str(tmp_path / "o" / "a.mp4"))
    _one_clean_line(proc, 2, "larger than 64 KiB")


def test_safeload_limits_directly(tmp_path):
    from captioner.safeload import DataFileError, load_file, loads

    with pytest.raises(DataFileError, match="contains itself"):
        loads("a: &a [1, *a]", "yaml")
    with pytest.raises(DataFileError, match="not text"):
        loads("1: x\n", "yaml")
    wide = "a: &a [" + ",".join(["1"] * 20_000) + "]\nb: [*a, *a, *a, *a, *a, *a]\n"
    with pytest.raises(DataFileError, match="more than 100,000 values"):
        loads(wide, "yaml")
    u16 = tmp_path / "m.yaml"
    u16.write_text("variants: []\n", encoding="utf-16")
    with pytest.raises(DataFileError, match="UTF-16"):
        load_file(u16, (".yaml",), what="manifest")
    latin = tmp_path / "p.json"
    latin.write_bytes('{"description": "café"}'.encode("latin-1"))
    with pytest.raises(DataFileError, match=r"not UTF-8 .*0xe9"):
        load_file(latin, (".json",), what="preset file")
    assert loads("d: &d {x: 1}\nv: [{<<: *d, y: 2}]", "yaml") == {"d": {"x": 1}, "v": [{"x": 1, "y": 2}]}


# --- script text: markup, invisible characters, encodings --------------------------------------------

BIDI_AND_ZW = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u200b\u2060\ufeff"


def test_text_cleaning_rules():
    from captioner.text import clean_script, clean_text

    assert clean_text("off.\u202e Tap\u200b the\u2066 link\u2069") == "off. Tap the link"
    assert clean_text("Lu\u200bme\u00adwell\u200d") == "Lumewell"
    # ZWJ/ZWNJ stay where a script shapes with them, and inside emoji sequences
    assert clean_text("क्\u200dष") == "क्\u200dष" and clean_text("मे\u200cरा") == "मे\u200cरा"
    assert clean_text("👩\u200d💻 a\u200db") == "👩\u200d💻 ab"
    assert clean_text("e\u0301") == "é"  # NFC
    c = clean_script(r"{\an8}Get the {\b1}Brewvana{\b0} pods now\Nand {\pos(10,20)}save\h20%! {Sale}")
    assert c.text == "Get the Brewvana pods now and save 20%! Sale"
    assert r"{\b1}" in c.markup and r"\N" in c.markup
    assert clean_script("<b>Bold</b> <font color=red>claims</font>").text == "Bold claims"


def test_ass_escaping_of_user_text():
    from captioner.render.ass import WORD_JOINER, escape_text

    e = escape_text(r"{\fs300}BIG\N{\p1}m 0 0\h}" + "\u202e")
    assert "{\\" not in e.replace("\\{\\" + WORD_JOINER, "")  # every brace escaped, every backslash defused
    assert "\\N" not in e and "\\h" not in e and "\u202e" not in e
    assert e.count("\\{") == 2 and e.count("\\}") == 3


def test_markup_and_invisible_characters_in_a_script(tmp_path, whisper_model):
    """ASS markup reached the recogniser raw (the words vanished); bidi controls and zero-width characters reached
    SRT/VTT/JSON/ASS (`off.\\u202e` reverses what follows in players)."""
    from captioner.asr import ASROptions
    from captioner.asr.whisper import WhisperBackend
    from captioner.pipeline import caption

    plain = (EXAMPLE / "script.txt").read_text().strip()
    hostile = (r"{\an8}Tired of {\b1}dull{\b0} skin?\N{\pos(10,20)}" + "Lume\u200bwell Glow Serum is just $49 today.\u202e "
               "Use code GLOW20 for 20%\u2066 off.\u202c Tap the link\u200f below!")
    # the recogniser gets the same clean text the captions use
    seen = []
    be = WhisperBackend()
    orig = be.prompt_for
    be.prompt_for = lambda *a, **k: seen.append(k.get("text") or " ".join(a[1])) or orig(*a, **k)
    be.transcribe(load_audio(EXAMPLE / "video.mp4"), ASROptions(language="en", script=hostile))
    assert seen and seen[0] == plain.replace("\n", " ")
    out = tmp_path / "o" / "a.mp4"
    res = caption(EXAMPLE / "video.mp4", hostile, out=out, language="en", preset="karaoke")
    words = [w.text for w in res.words]
    assert {"Tired", "dull", "Lumewell"} <= {w.strip("?.,!") for w in words}, words
    assert not any(f.kind == "script_skipped" for f in res.findings), [f.message for f in res.findings]
    assert any(f.kind == "script_markup_stripped" for f in res.findings)
    for ext in ("srt", "vtt", "json", "ass"):
        text = out.with_suffix("." + ext).read_text(encoding="utf-8")
        if ext == "json":
            text = json.dumps(json.loads(text)["words"], ensure_ascii=False)
        bad = sorted({hex(ord(c)) for c in text if c in BIDI_AND_ZW})
        assert not bad, (ext, bad)
        assert "\\b1" not in text and "pos(10,20)" not in text and "\\an8" not in text


def test_script_encodings(tmp_path):
    from captioner.errors import InputError
    from captioner.hint import load_script

    text = "Tired of dull skin? Lumewell Glow Serum — just 49 €.\n"
    for enc in ("utf-16", "utf-32", "utf-8-sig"):  # BOM-marked: read correctly
        p = tmp_path / f"s-{enc}.txt"
        p.write_bytes(text.encode(enc))
        assert load_script(p) == text
    p = tmp_path / "s16le.txt"
    p.write_bytes(text.encode("utf-16-le"))  # no BOM
    with pytest.raises(InputError, match="UTF-16 text without a byte-order mark"):
        load_script(p)
    p = tmp_path / "cp1252.txt"
    p.write_bytes(text.replace("—", "-").encode("cp1252"))
    with pytest.raises(InputError, match="not UTF-8 .*Windows-1252"):
        load_script(p)
    # at the CLI: one line, before any heavy work, nothing written
    out = tmp_path / "o"
    proc = run_cli("caption", str(EXAMPLE / "video.mp4"), "--script", str(tmp_path / "s16le.txt"), "--out", str(out / "a.mp4"))
    err = _one_clean_line(proc, 2, "UTF-16")
    assert "latin1" not in err and not out.exists()


# --- bad media ---------------------------------------------------------------------------------------

from .conftest import ffmpeg  # noqa: E402

SCRIPT = str(EXAMPLE / "script.txt")


def _caption_cli(video: Path, out: Path, *extra: str):
    return run_cli("caption", str(video), "--script", SCRIPT, "--out", str(out), *extra)


def test_truncated_mp4_fails_clearly_instead_of_a_short_render(tmp_path):
    """The first 30 % of an mp4 "succeeded": 2.9 s of output for a 9.8 s input, the JSON said 9.8 s, no finding."""
    import time

    data = (EXAMPLE / "video.mp4").read_bytes()
    bad = tmp_path / "cut.mp4"
    bad.write_bytes(data[: int(len(data) * 0.3)])
    out = tmp_path / "o"
    t = time.perf_counter()
    proc = _caption_cli(bad, out / "a.mp4", "--account", "acme", "--ledger", str(tmp_path / "l.sqlite3"))
    err = _one_clean_line(proc, 2, "truncated", "9.8 s", "2.9 s")
    assert time.perf_counter() - t < 30 and len(err.splitlines()) == 1
    assert not out.exists()


def test_one_frame_video_and_short_picture_are_refused(tmp_path):
    audio = FIXTURES / "media" / "ad-en-02" / "audio.flac"
    frame = tmp_path / "frame.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=360x640:rate=30", "-frames:v", "1", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(frame))
    one = tmp_path / "one.mp4"
    ffmpeg("-i", str(frame), "-i", str(audio), "-map", "0:v", "-map", "1:a", "-c:v", "copy", "-c:a", "aac", str(one))
    short = tmp_path / "short.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=360x640:rate=30:duration=3", "-i", str(audio),
           "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(short))
    for v, shown in ((one, "0.03 s"), (short, "3.00 s")):
        out = tmp_path / ("o-" + v.stem)
        proc = _caption_cli(v, out / "a.mp4")
        _one_clean_line(proc, 2, "picture", shown, "never be seen")
        assert not out.exists()


def test_audio_only_file_with_cover_art_is_refused_early(tmp_path):
    import time

    cover = tmp_path / "cover.png"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:size=300x300", "-frames:v", "1", str(cover))
    m4a = tmp_path / "ad.m4a"
    ffmpeg("-i", str(FIXTURES / "media" / "ad-en-02" / "audio.flac"), "-i", str(cover), "-map", "0:a", "-map", "1:v",
           "-c:a", "aac", "-c:v", "png", "-disposition:v:0", "attached_pic", str(m4a))
    out = tmp_path / "o"
    t = time.perf_counter()
    proc = _caption_cli(m4a, out / "a.mp4")
    err = _one_clean_line(proc, 2, "audio only", "cover art")
    assert time.perf_counter() - t < 30 and "ffmpeg" not in err
    assert not out.exists()


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 400 kB tmpfs: the sidecars fit, the encoded video does not."""
    import subprocess

    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip()}): needs root with CAP_SYS_ADMIN")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_full_disk_during_the_encode_names_the_folder(tiny_disk):
    out = tiny_disk / "a.mp4"
    proc = _caption_cli(EXAMPLE / "video.mp4", out)
    err = _one_clean_line(proc, 5, "No space left on device", f"free space in {tiny_disk}")
    assert "libx264" not in err and "kb/s" not in err
    assert list(tiny_disk.iterdir()) == []  # nothing half-written, no hidden .part files


def test_intact_media_passes_the_new_checks():
    from captioner.media import probe, stream_ends

    for v in (EXAMPLE / "video.mp4", FIXTURES / "media" / "ad-de-03" / "video.mp4"):
        info, ends = probe(v), stream_ends(v)
        assert abs(info.duration - ends["video"]) < 0.05 and abs(ends["video"] - ends["audio"]) < 0.1


def test_a_file_damaged_in_the_middle_is_refused_not_mistimed(tmp_path):
    """A video whose middle bytes were overwritten decoded "fine" with dozens of audio packets dropped: the captions
    after them came early, a page showed for 0.01 s, and it was charged. Now the damage is named and nothing is
    rendered; a valid file of the same kind passes."""
    import random

    from captioner.errors import InputError
    from captioner.media import decode_errors, load_audio

    from .hostile import make_clip

    good = make_clip(tmp_path / "good.mp4", seconds=4.2)
    load_audio(good)  # no decode errors
    data = bytearray(good.read_bytes())
    rng = random.Random(7)
    a, b = len(data) // 3, len(data) * 2 // 3
    data[a:b] = bytes(rng.randrange(256) for _ in range(b - a))
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(bytes(data))
    with pytest.raises(InputError, match="is damaged: ffmpeg could not decode"):
        load_audio(bad)
    log = ("[aac @ 0x1] decode_pce: Input buffer exhausted\n[aist#0:1/aac @ 0x2] [dec:aac @ 0x3] Error submitting packet "
           "to decoder: Invalid data found when processing input\n[h264 @ 0x4] error while decoding MB 9 31\n"
           "[h264 @ 0x4] concealing 247 DC, 247 AC, 247 MV errors in P frame\nframe=  10 fps=0.0")
    assert len(decode_errors(log)) == 3


def test_unreadable_files_are_named_for_what_they_are(tmp_path):
    """A cut-off MP4 whose index sits at the end, a text file and a PNG named .mp4 got "cannot read … (InvalidDataError:
    [Errno 1094995529] …)" and "has no duration": now what the file is and what to do."""
    from captioner.errors import InputError
    from captioner.media import probe

    from .conftest import ffmpeg
    from .hostile import make_clip

    good = make_clip(tmp_path / "good.mp4", seconds=2.0)
    moov_end = tmp_path / "moov_end.mp4"
    ffmpeg("-i", str(good), "-c", "copy", "-movflags", "-faststart", str(moov_end))
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(moov_end.read_bytes()[: moov_end.stat().st_size * 9 // 10])
    with pytest.raises(InputError, match="index .* is missing or cut off"):
        probe(cut)
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n")
    with pytest.raises(InputError, match="is a text file, not a video"):
        probe(text)
    png = tmp_path / "still.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:size=64x64", "-frames:v", "1", "-f", "image2", "-c:v", "png", str(png))
    with pytest.raises(InputError, match="is a still image"):
        probe(png)


def test_script_with_one_sentence_per_line_prompts_like_one_line(whisper_model):
    """A script saved on Windows with one sentence per line (BOM, CRLF): the prompted pass stopped after the first
    line — the recogniser's words covered 4.0 s of 8.4 s of speech and the ad was captioned "asr_unreliable". The
    prompt joins the lines, so the file's layout changes nothing."""
    from captioner.hint import load_script
    from captioner.pipeline import transcribe_and_correct

    ad = FIXTURES / "media" / "ad-en-02"
    audio = load_audio(ad / "audio.flac")
    flat = (ad / "script.txt").read_text().strip()
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "script.txt"
        path.write_bytes(b"\xef\xbb\xbf" + flat.replace(". ", ".\r\n").encode() + b"\r\n")
        lined = load_script(path)
    assert lined.strip().count("\n") == 2 and "\r" not in lined
    _, words_flat, found_flat = transcribe_and_correct(audio, flat, "en")
    _, words_lined, found_lined = transcribe_and_correct(audio, lined, "en")
    assert not any(f.kind == "asr_unreliable" for f in found_flat + found_lined)
    assert [w.text for w in words_lined] == [w.text for w in words_flat]
    assert [w.source for w in words_lined] == [w.source for w in words_flat]
