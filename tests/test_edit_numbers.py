"""`render --from` with a reviewer's edits, through the CLI on the example ad (real audio, the shipped models): a price
changed by hand is judged against the voice again (it was rendered with the old verdict, "captions show what was
said", and no error), an untouched price keeps its verdict, and a captioned output given back as the video is refused
(the new captions were drawn over the old ones)."""
from __future__ import annotations

import json

import pytest

from captioner.media import probe

from .conftest import EXAMPLE, run_cli


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    d = tmp_path_factory.mktemp("edit")
    out = d / "base.mp4"
    r = run_cli("caption", str(EXAMPLE / "video.mp4"), "--script", str(EXAMPLE / "script.txt"), "-o", str(out))
    assert r.returncode == 0, r.stderr
    data = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    k = next(i for i, w in enumerate(data["words"]) if w["text"] == "$40")  # the voice says "forty" for the script's $49
    assert any(f["kind"] == "price_mismatch" and f["word_ids"] == [data["words"][k]["id"]] for f in data["findings"])
    return d, out, data, k


def test_a_price_edited_by_hand_is_judged_against_the_voice(base, tmp_path):
    d, out, data, k = base
    edited = json.loads(json.dumps(data))
    edited["words"][k]["text"] = "$39"
    src = tmp_path / "edited.json"
    src.write_text(json.dumps(edited), encoding="utf-8")
    r = run_cli("render", "--from", str(src), "-o", str(tmp_path / "e.mp4"))
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    wid = res["words"][k]["id"]
    mine = [f for f in res["findings"] if wid in (f.get("word_ids") or [])]
    assert not any(f["kind"] == "price_mismatch" for f in mine)  # the old verdict on "$40" went with the edit
    bad = [f for f in mine if f["kind"] in ("number_disputed", "price_mismatch") and f["severity"] == "error"]
    assert bad and "$39" in bad[0]["message"] and "edited.json" in bad[0]["message"], mine
    # --strict refuses it, like any price error
    s = run_cli("render", "--from", str(src), "-o", str(tmp_path / "s.mp4"), "--strict")
    assert s.returncode == 7 and not (tmp_path / "s.mp4").exists()


def test_an_edit_that_leaves_the_prices_alone_keeps_their_verdicts(base, tmp_path):
    d, out, data, k = base
    edited = json.loads(json.dumps(data))
    j = next(i for i, w in enumerate(edited["words"]) if w["text"].strip(".,!") == "Lumewell")
    edited["words"][j]["text"] = "LUMEWELL"
    src = tmp_path / "edited.json"
    src.write_text(json.dumps(edited), encoding="utf-8")
    r = run_cli("render", "--from", str(src), "-o", str(tmp_path / "e.mp4"))
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    judged = lambda fs: sorted((f["kind"], f["message"]) for f in fs if f["kind"] in  # noqa: E731
                               ("price_mismatch", "number_disputed", "claim_verified"))
    assert judged(res["findings"]) == judged(data["findings"])
    assert res["words"][k]["text"] == "$40"
    # qa draws its stills from the rendered video: on the edited JSON (still naming base.mp4) they would show the old
    # captions, so it is refused and pointed at `render --from`; on the new render's JSON, and on an unedited one, it runs
    r = run_cli("qa", str(src), "-o", str(tmp_path / "stale.qa.html"))
    assert r.returncode == 2 and "no longer matches the captions burned into base.mp4" in r.stderr, r.stderr
    assert "render --from" in r.stderr and not (tmp_path / "stale.qa.html").exists()
    for js in (tmp_path / "e.json", out.with_suffix(".json")):
        r = run_cli("qa", str(js), "-o", str(tmp_path / f"{js.stem}-ok.qa.html"))
        assert r.returncode == 0, r.stderr


def test_the_burned_video_names_its_captions(base):
    from captioner.edit import load_result
    from captioner.types import caption_fingerprint

    d, out, data, k = base
    res = load_result(out.with_suffix(".json"))
    info = probe(out)
    assert info.captioned and info.caption_tag == caption_fingerprint(res.words, res.pages)
    assert probe(EXAMPLE / "video.mp4").caption_tag is None


def test_a_captioned_output_given_back_as_the_video_is_refused(base, tmp_path):
    d, out, data, k = base
    assert probe(out).captioned and not probe(EXAMPLE / "video.mp4").captioned
    src = tmp_path / "edited.json"
    src.write_text(json.dumps(data), encoding="utf-8")
    r = run_cli("render", "--from", str(src), "--video", str(out), "-o", str(tmp_path / "twice.mp4"))
    assert r.returncode == 2 and "already has captions burned in" in r.stderr, r.stderr
    assert not (tmp_path / "twice.mp4").exists()
    r = run_cli("caption", str(out), "--script", str(EXAMPLE / "script.txt"), "-o", str(tmp_path / "again.mp4"))
    assert r.returncode == 2 and "already has captions burned in" in r.stderr, r.stderr


def test_a_bad_edit_is_named_in_one_line_by_render_and_qa(base, tmp_path):
    """`qa` on an edited JSON with one bad value exited 5 (the output-folder code) with a pydantic dump; `render --from`
    called it "not a captioner JSON sidecar". Both now name the value (exit 2); deleted pages are paginated again; an
    .srt given to `render --from` points to `caption --captions`."""
    d, out, data, k = base
    neg = json.loads(json.dumps(data))
    neg["words"][3]["start"] = -1
    (tmp_path / "neg.json").write_text(json.dumps(neg), encoding="utf-8")
    (tmp_path / "cut.json").write_text(json.dumps(data)[:500], encoding="utf-8")
    for cmd in (("qa",), ("render", "--from")):
        r = run_cli(*cmd, str(tmp_path / "neg.json"), *(("-o", str(tmp_path / "n.mp4")) if cmd[0] == "render" else ()))
        assert r.returncode == 2 and "words.3.start (word 4" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
        r = run_cli(*cmd, str(tmp_path / "cut.json"), *(("-o", str(tmp_path / "c.mp4")) if cmd[0] == "render" else ()))
        assert r.returncode == 2 and "not valid JSON" in r.stderr, r.stderr
    r = run_cli("render", "--from", str(out.with_suffix(".srt")), "-o", str(tmp_path / "s.mp4"))
    assert r.returncode == 2 and "--captions" in r.stderr, r.stderr
    nopages = json.loads(json.dumps(data))
    del nopages["pages"]
    (tmp_path / "nopages.json").write_text(json.dumps(nopages), encoding="utf-8")
    r = run_cli("render", "--from", str(tmp_path / "nopages.json"), "-o", str(tmp_path / "np.mp4"))
    assert r.returncode == 0, r.stderr
    res = json.loads((tmp_path / "np.mp4").with_suffix(".json").read_text(encoding="utf-8"))
    assert res["pages"] and any(f["kind"] == "edit_repaginated" for f in res["findings"])


def test_a_relative_video_path_and_early_refusals(base, tmp_path):
    """The JSON names the video as `caption` was given it (relative to that folder): `render --from` run from another
    folder found no video. A `--captions` render whose output would replace its own caption file was refused only
    after the alignment (33 s); `qa --out` into a new folder failed after drawing the stills."""
    import shutil
    import subprocess
    import sys

    d, out, data, k = base
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(EXAMPLE / "video.mp4", work / "video.mp4")
    rel = json.loads(json.dumps(data))
    rel["video"] = "video.mp4"
    (work / "edited.json").write_text(json.dumps(rel), encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "captioner", "render", "--from", str(work / "edited.json"), "-o",
                        str(work / "again.mp4")], cwd=str(tmp_path), capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    srt = out.with_suffix(".srt")
    import time

    t = time.monotonic()
    r = run_cli("caption", str(EXAMPLE / "video.mp4"), "--captions", str(srt), "--language", "en", "-o", str(out))
    assert r.returncode == 2 and "would overwrite the input captions" in r.stderr and time.monotonic() - t < 15, r.stderr
    r = run_cli("qa", str(work / "again.json"), "--out", str(tmp_path / "new" / "folder" / "r.html"))
    assert r.returncode == 0 and (tmp_path / "new" / "folder" / "r.html").is_file(), r.stderr
