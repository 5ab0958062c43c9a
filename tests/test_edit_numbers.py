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
