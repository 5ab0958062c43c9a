"""Careless users get one clear line that says what is wrong and how to fix it (found by probing the CLI, 2026-12-02):
each case here used to be silently accepted, misleading, or worded for another problem."""
from __future__ import annotations

import json
import shutil

import pytest
import yaml

from .conftest import EXAMPLE, caption_from_truth, ffmpeg, run_cli


def test_batch_output_names(tmp_path):
    from captioner.batch import ManifestError, load_manifest

    shutil.copy(EXAMPLE / "video.mp4", tmp_path / "ad.mp4")
    doc = {"defaults": {"video": "ad.mp4", "language": "en"},
           "variants": [{"output": "hook-a.mp4", "preset": "classic"}, {"output": "-rf", "preset": "classic"},
                        {"output": "x"}]}
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(ManifestError) as e:
        load_manifest(tmp_path / "m.yaml")
    msg = str(e.value)
    assert "starting with a letter or digit, at most 100 characters" in msg  # the real rules, not "letters, digits"
    assert msg.count("(x)") == 1 and "'presets' is empty" not in msg  # one missing preset is one problem
    doc["variants"] = doc["variants"][:1]
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(doc))
    m = load_manifest(tmp_path / "m.yaml")
    assert m.variants[0].output == "hook-a" and m.variants[0].out.name == "hook-a.mp4"  # not hook-a.mp4.mp4


def test_credits_commands(tmp_path):
    r = run_cli("credits", "balance", "--ledger", str(tmp_path / "typo" / "l.sqlite3"))
    assert r.returncode == 2 and "no ledger at" in r.stderr and not (tmp_path / "typo").exists()
    led = tmp_path / "l.sqlite3"
    assert run_cli("credits", "add", "1", "--ledger", str(led)).returncode == 0
    for n in ("0", "-5"):
        r = run_cli("credits", "history", "-n", n, "--ledger", str(led))
        assert r.returncode == 2 and "--limit must be 1 or more" in r.stderr
    r = run_cli("credits", "add", "1", "--account", "a" * 5000, "--ledger", str(led))
    assert r.returncode == 2 and "at most 200 characters" in r.stderr and "(5000 characters)" in r.stderr


def test_caption_options_that_do_not_apply_and_files_that_are_not_scripts(tmp_path):
    v = EXAMPLE / "video.mp4"
    r = run_cli("caption", str(v), "--steps", "-3", "--out", str(tmp_path / "o.mp4"))
    assert r.returncode == 2 and "--steps is an option of the diffusion backend" in r.stderr
    big = tmp_path / "big.txt"
    big.write_text("word " * 40_000)
    r = run_cli("caption", str(v), "--script", str(big), "--out", str(tmp_path / "o.mp4"))
    assert r.returncode == 2 and "an ad script is at most 100 KB" in r.stderr
    r = run_cli("preview", str(v), "--preset", "classic", "--seconds", "0", "--out", str(tmp_path / "p.mp4"))
    assert r.returncode != 0 and "0.5–10 s" in r.stderr and "at most 10 s" not in r.stderr
    r = run_cli("caption", str(v), "--font", "x.ttf", "--out", str(tmp_path / "o.mp4"))
    assert r.returncode != 0
    from captioner.errors import PresetError
    from captioner.presets import load_preset

    with pytest.raises(PresetError, match="fraction of the frame's shorter side"):
        load_preset("classic", font_size=100000)


def test_a_tiny_video_is_captioned_with_a_warning(tmp_path):
    tiny = tmp_path / "tiny.mp4"
    ffmpeg("-i", str(EXAMPLE / "video.mp4"), "-vf", "scale=16:16", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy",
           str(tiny))
    truth = json.loads((EXAMPLE / "words.json").read_text())["words"]
    fs = caption_from_truth(tiny, truth, tmp_path, tmp_path / "o.mp4")["findings"]
    assert any(f["kind"] == "frame_too_small" and "16×16" in f["message"] for f in fs)
