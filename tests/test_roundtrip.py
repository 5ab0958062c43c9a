"""Editing round-trip and imported captions, end to end through the CLI: SRT/VTT/ASS/JSON captions aligned to the
audio (karaoke kept), an edited word in OUT.json re-rendered and seen in the frame, billed once, edits validated."""
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from captioner.billing import Ledger
from captioner.media import ffmpeg_exe
from captioner.render.contact import render_frames

from .conftest import FIXTURES, caption_from_truth, ffmpeg, run_cli

AD = FIXTURES / "align" / "ad-en-02"  # espeak ad, words.json = the synthesizer's word onsets (ground truth)
BG = "0x3A4A5C"
W, H = 360, 640


@pytest.fixture(scope="module")
def ad(tmp_path_factory):
    """A flat-background 360x640 video with the ad's voice-over, and its true word onsets."""
    d = tmp_path_factory.mktemp("rt")
    video = d / "ad.mp4"
    ffmpeg("-f", "lavfi", "-i", f"color=c={BG}:s={W}x{H}:r=25", "-i", str(AD / "audio.flac"), "-shortest",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(video))
    truth = json.loads((AD / "words.json").read_text(encoding="utf-8"))["words"]
    return d, video, truth


def srt_time(t):
    ms = int(round(t * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def cues(truth, shift=0.0):
    """The ad's words in three cues, with cue times deliberately off by `shift` seconds."""
    groups = [(0, 11), (11, 21), (21, len(truth))]
    return [(truth[a]["start"] + shift, truth[b - 1]["end"] + shift, " ".join(w["text"] for w in truth[a:b])) for a, b in groups]


def frame_at(video: Path, t: float) -> np.ndarray:
    out = subprocess.run([ffmpeg_exe(), "-v", "error", "-ss", f"{t:.3f}", "-i", str(video), "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(out, np.uint8).reshape(H, W, 3).astype(np.int16)


def onsets_close(result_words, truth, tol=0.12):
    """Onset errors against the truth's words; a caption word may hold several of them (a number said in words,
    "nineteen ninety nine", is one caption word, as in a script): its onset is its first truth word's."""
    firsts, k = [], 0
    for w in result_words:
        firsts.append(truth[k] if k < len(truth) else None)
        k += len(w["text"].split())
    errs = [abs(w["start"] - t["start"]) for w, t in zip(result_words, firsts) if t is not None]
    return k == len(truth) and len(errs) == len(result_words) and float(np.median(errs)) < tol, errs


@pytest.mark.parametrize("fmt", ["srt", "vtt", "ass"])
def test_imported_captions_are_aligned_to_the_audio_and_keep_karaoke(ad, fmt):
    d, video, truth = ad
    path = d / f"cues.{fmt}"
    cs = cues(truth, shift=0.4)  # the file's timing is off: the audio decides
    if fmt == "srt":
        path.write_text("\n".join(f"{k + 1}\n{srt_time(a)} --> {srt_time(b)}\n{text}\n" for k, (a, b, text) in enumerate(cs)))
    elif fmt == "vtt":  # word-timed WebVTT
        body = []
        for a, b, text in cs:
            ws = text.split()
            body.append(f"{srt_time(a).replace(',', '.')} --> {srt_time(b).replace(',', '.')}\n"
                        + ws[0] + "".join(f" <{srt_time(a + 0.3 * (k + 1)).replace(',', '.')}>{w}" for k, w in enumerate(ws[1:])) + "\n")
        path.write_text("WEBVTT\n\n" + "\n".join(body))
    else:  # ASS karaoke (\k in centiseconds)
        def t(x):
            cs_ = int(round(x * 100))
            return f"{cs_ // 360000}:{cs_ // 6000 % 60:02d}:{cs_ // 100 % 60:02d}.{cs_ % 100:02d}"
        events = "\n".join(f"Dialogue: 0,{t(a)},{t(b)},Default,,0,0,0,,"
                           + "".join("{\\k30}" + w + " " for w in text.split()).strip() for a, b, text in cs)
        path.write_text("[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize, PrimaryColour, "
                        "SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, "
                        "Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\nStyle: Default,Arial,"
                        "20,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1\n\n[Events]\n"
                        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n" + events + "\n")
    out = d / f"imp-{fmt}.mp4"
    r = run_cli("caption", str(video), "--captions", str(path), "--language", "en", "--out", str(out))
    assert r.returncode == 0, r.stderr
    res = json.loads(out.with_suffix(".json").read_text())
    ok, errs = onsets_close(res["words"], truth)
    assert ok, f"{fmt}: onset errors {errs}"
    assert " ".join(w["text"] for w in res["words"]) == " ".join(w["text"] for w in truth)
    assert len(res["pages"]) == 3  # one page per cue
    assert any(f["kind"] == "captions_imported" for f in res["findings"])
    assert res["asr_backend"] == "captions"
    # karaoke: word-timed VTT out, and the ASS has one slice per word
    vtt = out.with_suffix(".vtt").read_text()
    assert vtt.count("<00:") >= len(res["words"]) - 3


def test_edit_a_word_rerender_shows_it_and_is_charged_once(ad, tmp_path):
    d, video, truth = ad
    src = d / "imp-json-src.json"
    src.write_text(json.dumps({"words": [{"text": w["text"], "start": w["start"], "end": w["end"]} for w in truth]}))
    first = tmp_path / "a.mp4"
    r = run_cli("caption", str(video), "--captions", str(src), "--language", "en", "--out", str(first), "--preset", "classic")
    assert r.returncode == 0, r.stderr
    data = json.loads(first.with_suffix(".json").read_text())
    assert [w["id"] for w in data["words"]] == [f"w{k + 1}" for k in range(len(truth))]  # stable ids
    k = next(i for i, w in enumerate(data["words"]) if w["text"] == "Brewvana")
    data["words"][k]["text"] = "WOLKORA"  # the reviewer fixes a word
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data))

    ledger = tmp_path / "ledger.sqlite3"
    assert run_cli("credits", "add", "5", "--account", "acme", "--ledger", str(ledger)).returncode == 0
    second = tmp_path / "b.mp4"
    args = ("render", "--from", str(edited), "--out", str(second), "--account", "acme", "--ledger", str(ledger))
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    res = json.loads(second.with_suffix(".json").read_text())
    assert res["words"][k]["text"] == "WOLKORA" and res["words"][k]["id"] == f"w{k + 1}"
    assert res["receipt"]["charged"] and res["receipt"]["credits"] == 0.4
    assert [w["id"] for w in res["words"]] == [w["id"] for w in data["words"]]
    # the frame shows the new word: the burned frame matches libass drawing the edited line, not the old one
    page = next(p for p in res["pages"] if k in [i for ln in p["lines"] for i in ln["words"]])
    t = (page["start"] + page["end"]) / 2
    got = frame_at(second, t)
    new_ref, old_ref = render_frames(second.with_suffix(".ass").read_text(), W, H, [t])[0], \
        render_frames(first.with_suffix(".ass").read_text(), W, H, [t])[0]
    diff_new = np.abs(got - new_ref.astype(np.int16)).mean()
    diff_old = np.abs(got - old_ref.astype(np.int16)).mean()
    assert np.abs(new_ref.astype(np.int16) - old_ref.astype(np.int16)).max() > 100  # the two words look different
    assert diff_new < 0.5 * diff_old, (diff_new, diff_old)
    # the same edit again is not charged again; the ledger holds one charge
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    lg = Ledger(ledger)
    assert lg.balance("acme") == 4600  # 5 credits - 0.4, in milli-credits
    # a further edit is a new render: charged again
    data["words"][k]["text"] = "ZENTRIK"
    edited.write_text(json.dumps(data))
    assert run_cli(*args).returncode == 0
    assert Ledger(ledger).balance("acme") == 4200


def test_bad_edits_are_refused_with_one_line_and_nothing_written(ad, tmp_path):
    d, video, truth = ad
    src = tmp_path / "w.json"
    src.write_text(json.dumps({"words": [{"text": w["text"], "start": w["start"], "end": w["end"]} for w in truth]}))
    first = tmp_path / "a.mp4"
    assert run_cli("caption", str(video), "--captions", str(src), "--language", "en", "--out", str(first)).returncode == 0
    base = json.loads(first.with_suffix(".json").read_text())
    cases = {
        "backwards": lambda d_: d_["words"][3].update(start=0.1),
        "past the end": lambda d_: d_["words"][-1].update(end=99.0),
        "ends before start": lambda d_: d_["words"][2].update(end=d_["words"][2]["start"] - 0.2),
        "no text": lambda d_: d_["words"][1].update(text="  "),
        "overlapping pages": lambda d_: d_["pages"][0].update(end=d_["pages"][1]["start"] + 0.5),
        "a 500-character word": lambda d_: d_["words"][4].update(text="A" * 500),  # its page shrank to a thin line
    }
    for what, edit in cases.items():
        data = json.loads(json.dumps(base))
        edit(data)
        e = tmp_path / "e.json"
        e.write_text(json.dumps(data))
        out = tmp_path / "o.mp4"
        r = run_cli("render", "--from", str(e), "--out", str(out))
        assert r.returncode == 2, (what, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and "word" in r.stderr or "page" in r.stderr, r.stderr
        assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".o.")]
    # markup in an edited word is text, never an ASS override
    data = json.loads(json.dumps(base))
    data["words"][0]["text"] = "{\\pos(0,0)}I\\N"
    e = tmp_path / "m.json"
    e.write_text(json.dumps(data))
    out = tmp_path / "m.mp4"
    r = run_cli("render", "--from", str(e), "--out", str(out))  # its sidecar would overwrite the edited JSON itself
    assert r.returncode == 2 and "would overwrite the input" in r.stderr
    out = tmp_path / "m2.mp4"
    assert run_cli("render", "--from", str(e), "--out", str(out)).returncode == 0
    assert "\\pos(0,0)" not in out.with_suffix(".ass").read_text()
    # words added: paginated again, said so
    data = json.loads(json.dumps(base))
    data["words"].insert(5, {"text": "really", "start": data["words"][4]["end"], "end": data["words"][4]["end"] + 0.01})
    e.write_text(json.dumps(data))
    assert run_cli("render", "--from", str(e), "--out", str(out)).returncode == 0
    res = json.loads(out.with_suffix(".json").read_text())
    assert any(f["kind"] == "edit_repaginated" for f in res["findings"])
    assert len({w["id"] for w in res["words"]}) == len(res["words"])


def test_findings_survive_an_edit_and_strict_still_refuses(ad, tmp_path):
    """`render --from` dropped every finding: a price error in the JSON vanished on the round trip and `--strict` let
    it through. Now the JSON's findings are carried to the words they name (found by id after an edit), a finding
    whose words were deleted goes with them, and the page QA is made again."""
    d, video, truth = ad
    data = caption_from_truth(video, truth, tmp_path, tmp_path / "a.mp4")
    k = next(i for i, w in enumerate(data["words"]) if w["text"] == "Brewvana")
    # as the price judge writes it on a caption render (an older JSON: indices only, no ids)
    data["findings"].append({"kind": "price_mismatch", "severity": "error", "message": "“$19.99”: the voice says 19.29",
                             "script_text": "$19.99", "spoken_text": "$19.29", "word_indices": [k + 3]})
    data["findings"].append({"kind": "ad_lib", "severity": "warning", "message": "the voice says “so”",
                             "word_indices": [1]})
    target = data["words"][k + 3]["id"]
    del data["words"][1]  # the reviewer deletes the ad-lib's word: its finding goes with it
    data["pages"] = []
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(data))
    out = tmp_path / "b.mp4"
    r = run_cli("render", "--from", str(edited), "--out", str(out), "--strict")
    assert r.returncode == 7 and "price_mismatch" in r.stderr, r.stderr
    assert not out.exists()
    r = run_cli("render", "--from", str(edited), "--out", str(out))
    assert r.returncode == 0, r.stderr
    res = json.loads(out.with_suffix(".json").read_text())
    pm = next(f for f in res["findings"] if f["kind"] == "price_mismatch")
    assert pm["word_ids"] == [target] and res["words"][pm["word_indices"][0]]["id"] == target
    assert not any(f["kind"] == "ad_lib" for f in res["findings"])


def _srt(cues_: list[tuple[float, float, str]]) -> str:
    return "\n".join(f"{k + 1}\n{srt_time(a)} --> {srt_time(b)}\n{t}\n" for k, (a, b, t) in enumerate(cues_))


def test_imported_captions_are_checked_against_the_voice(ad, tmp_path):
    """A caption file's words are the user's text, like a script: a cue the voice never says was squeezed into the
    audio with only page-timing warnings, and another ad's captions rendered with none. Now: the unsaid cue is named
    (`script_unspoken`), and a file that does not fit the voice is an error (`script_mismatch`)."""
    d, video, truth = ad
    c = cues(truth)
    extra = tmp_path / "extra.srt"
    extra.write_text(_srt(c[:2] + [(c[1][1], c[1][1] + 0.3, "Buy two get one free!")] + c[2:]))
    out = tmp_path / "x.mp4"
    r = run_cli("caption", str(video), "--captions", str(extra), "--language", "en", "--out", str(out))
    assert r.returncode == 0, r.stderr
    fs = json.loads(out.with_suffix(".json").read_text())["findings"]
    assert any(f["kind"] == "script_unspoken" and "Buy two get one free!" in f["message"] for f in fs), fs
    assert not any(f["kind"] == "script_mismatch" for f in fs)
    other = tmp_path / "other.srt"
    words = "Tired of dull skin? Lumewell Glow Serum is just $49 today. Use code GLOW20 for 20% off. Tap the link below!".split()
    t0, t1 = truth[0]["start"], truth[-1]["end"]
    step = (t1 - t0) / 3
    other.write_text(_srt([(t0 + k * step, t0 + (k + 1) * step, " ".join(words[k * 7:(k + 1) * 7])) for k in range(3)]))
    out2 = tmp_path / "y.mp4"
    r = run_cli("caption", str(video), "--captions", str(other), "--language", "en", "--out", str(out2))
    assert r.returncode == 0, r.stderr
    fs = json.loads(out2.with_suffix(".json").read_text())["findings"]
    assert any(f["kind"] == "script_mismatch" and f["severity"] == "error" for f in fs), [f["kind"] for f in fs]
    r = run_cli("caption", str(video), "--captions", str(other), "--language", "en", "--out", str(tmp_path / "z.mp4"), "--strict")
    assert r.returncode == 7 and not (tmp_path / "z.mp4").exists()


def test_prices_in_imported_captions_are_judged_against_the_voice(ad, tmp_path):
    """An SRT saying "$29.99" over a voice saying "nineteen ninety nine" rendered with no finding (a silent wrong
    price through the import path). Its numbers now go to the price judge, the acoustic witnesses alone (no
    recogniser runs on an import): the error names the file and the captions show what was said; the honest
    file raises no error."""
    d, video, truth = ad
    c = cues(truth)  # the words as said: written as a script writes them
    c[1] = (c[1][0], c[1][1], c[1][2].replace("twelve", "12").replace("nineteen ninety nine", "$19.99"))
    assert "$19.99" in c[1][2], c
    wrong = tmp_path / "wrong.srt"
    wrong.write_text(_srt(c[:1] + [(c[1][0], c[1][1], c[1][2].replace("$19.99", "$29.99"))] + c[2:]))
    out = tmp_path / "w.mp4"
    r = run_cli("caption", str(video), "--captions", str(wrong), "--language", "en", "--out", str(out))
    assert r.returncode == 0, r.stderr
    res = json.loads(out.with_suffix(".json").read_text())
    # an error naming the file: shown as said (two witnesses agree) or the file's value ruled out
    pm = [f for f in res["findings"] if f["kind"] in ("price_mismatch", "number_disputed")]
    assert pm and pm[0]["severity"] == "error" and "wrong.srt" in pm[0]["message"], [(f["kind"], f["message"]) for f in res["findings"]]
    assert "$19.99" in pm[0]["message"]
    assert not any(f["kind"] == "low_confidence" for f in res["findings"])
    r = run_cli("caption", str(video), "--captions", str(wrong), "--language", "en", "--out", str(tmp_path / "s.mp4"),
                "--on-mismatch", "fail")
    assert r.returncode != 0 and not (tmp_path / "s.mp4").exists()
    honest = tmp_path / "honest.srt"
    honest.write_text(_srt(c))
    out = tmp_path / "h.mp4"
    r = run_cli("caption", str(video), "--captions", str(honest), "--language", "en", "--out", str(out))
    assert r.returncode == 0, r.stderr
    res = json.loads(out.with_suffix(".json").read_text())
    assert not any(f["severity"] == "error" for f in res["findings"]), res["findings"]
    assert "$19.99" in [w["text"] for w in res["words"]]
