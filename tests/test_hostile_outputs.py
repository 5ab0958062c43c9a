"""A hostile but realistic user against the outputs: clashes with inputs, failed commits, signals, stale temp
files, junk left in place of an output, odd frame sizes. Real ffmpeg, real Whisper (once), real SQLite."""
from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from captioner import job as jobmod
from captioner.billing import Ledger, file_sha256
from captioner.errors import InputError, OutputError
from captioner.job import run_job
from captioner.media import probe
from captioner.pipeline import caption_job
from captioner.presets import presets_dir

from .hostile import SCRIPT, alive, cli, default_signals, make_clip, names, one_line_error, processes_mentioning, recognised, wait_until

SIDECARS = (".mp4", ".ass", ".srt", ".vtt", ".json")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "ad.mp4")


@pytest.fixture(scope="module")
def heard(clip):
    return recognised(clip)


def snapshot(out: Path) -> dict[str, bytes]:
    return {ext: out.with_suffix(ext).read_bytes() for ext in SIDECARS}


# -- data loss: an output or sidecar that is an input -------------------------------------------------------

def test_caption_sidecar_over_the_preset_file_is_refused(clip, tmp_path):
    brand = tmp_path / "brand.json"
    brand.write_text((presets_dir() / "karaoke.json").read_text().replace('"karaoke"', '"brand"', 1))
    before = brand.read_bytes()
    proc = cli("caption", str(clip), "--preset", str(brand), "--out", str(tmp_path / "brand.mp4"))
    one_line_error(proc, 2, "would overwrite the input preset file")
    assert brand.read_bytes() == before and names(tmp_path) == ["brand.json"]


def test_caption_sidecar_over_the_script_is_refused(clip, tmp_path):
    script = tmp_path / "promo.srt"
    script.write_text(SCRIPT)
    proc = cli("caption", str(clip), "--script", str(script), "--out", str(tmp_path / "promo.mp4"))
    one_line_error(proc, 2, "would overwrite the input script")
    assert script.read_text() == SCRIPT and names(tmp_path) == ["promo.srt"]


def test_caption_sidecar_over_the_ledger_is_refused(clip, tmp_path):
    proc = cli("caption", str(clip), "--account", "acme", "--ledger", str(tmp_path / "books.json"),
               "--out", str(tmp_path / "books.mp4"))
    one_line_error(proc, 2, "would overwrite the input ledger")
    assert names(tmp_path) == []


def _batch_project(tmp_path: Path, clip: Path, variants: list[dict], output_dir: str = "out") -> Path:
    (tmp_path / "cuts").mkdir()
    shutil.copy(clip, tmp_path / "cuts" / "a.mp4")
    (tmp_path / "promo.srt").write_text(SCRIPT)
    (tmp_path / "brand.json").write_text((presets_dir() / "karaoke.json").read_text().replace('"karaoke"', '"brand"', 1))
    doc = {"output_dir": output_dir, "defaults": {"language": "en", "preset": "karaoke"}, "variants": variants}
    (tmp_path / "batch.yaml").write_text(yaml.safe_dump(doc))
    return tmp_path / "batch.yaml"


def test_batch_variant_over_its_own_input_video_is_refused(clip, tmp_path):
    """docs/BATCH.md's own pattern, with output_dir = the videos' folder: the render would replace its source."""
    manifest = _batch_project(tmp_path, clip, [{"output": "a", "video": "cuts/a.mp4"}], output_dir="cuts")
    before = (tmp_path / "cuts" / "a.mp4").read_bytes()
    db = tmp_path / "l.sqlite3"
    proc = cli("batch", str(manifest), "--ledger", str(db), "--no-progress")
    assert proc.returncode == 2, proc.stderr
    assert "variants[0] (a): output" in proc.stderr and "would overwrite the input video" in proc.stderr
    assert "Traceback" not in proc.stderr and "nothing was rendered or charged" in proc.stderr
    assert (tmp_path / "cuts" / "a.mp4").read_bytes() == before
    assert names(tmp_path / "cuts") == ["a.mp4"]  # no lock folder, no report: refused before anything
    assert not db.exists() or Ledger(db).history("default") == []


def test_batch_sidecars_over_script_preset_or_report_are_refused(clip, tmp_path):
    manifest = _batch_project(tmp_path, clip, [
        {"output": "promo", "video": "cuts/a.mp4", "script": "promo.srt"},  # promo.srt = the script
        {"output": "brand", "video": "cuts/a.mp4", "preset": "brand.json"},  # brand.json = the preset file
        {"output": "batch-report", "video": "cuts/a.mp4"},  # its JSON sidecar = the batch report
        {"output": "batch", "video": "cuts/a.mp4"},  # batch.yaml is not a sidecar: allowed
    ], output_dir=".")
    from captioner.batch import ManifestError, load_manifest

    with pytest.raises(ManifestError) as ei:
        load_manifest(manifest)
    problems = ei.value.problems
    assert any("(promo): output" in p and "promo.srt would overwrite the input script" in p for p in problems), problems
    assert any("(brand): output" in p and "brand.json would overwrite the input preset" in p for p in problems), problems
    assert any("(batch-report): output name 'batch-report' is taken by the batch's own files" in p for p in problems)
    assert len(problems) == 3, problems


# -- data loss: a failed commit keeps the previous outputs ---------------------------------------------------

def test_failed_rename_keeps_the_previous_complete_outputs_and_charges_nothing(clip, heard, tmp_path, monkeypatch):
    out = tmp_path / "out" / "ad.mp4"
    ledger = Ledger(tmp_path / "l.sqlite3")
    ledger.top_up("acme", 5000)
    run_job(caption_job(clip, SCRIPT, out=out, account="acme", ledger=str(ledger.path)), ledger=ledger, asr=heard)
    before, balance = snapshot(out), ledger.balance("acme")
    real = os.replace

    def replace(src, dst):  # the disk fills up as the last output (the JSON) is moved into place
        if str(src).endswith(".part") and Path(dst).name == "ad.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(jobmod.os, "replace", replace)
    with pytest.raises(OutputError, match="No space left on device.*previous outputs were kept"):
        run_job(caption_job(clip, SCRIPT, out=out, preset="bounce", account="acme", ledger=str(ledger.path)),
                ledger=ledger, asr=heard)
    monkeypatch.setattr(jobmod.os, "replace", real)
    assert snapshot(out) == before  # every previous output back, byte for byte
    assert names(out.parent) == sorted(out.with_suffix(e).name for e in SIDECARS)  # no .part, no .old
    assert ledger.balance("acme") == balance and ledger.available("acme") == balance  # the charge was undone
    assert [e.tier for e in ledger.history("acme") if e.kind == "charge"] == ["karaoke"]


def test_an_output_that_is_a_folder_is_refused_before_any_work(clip, tmp_path):
    (tmp_path / "ad.vtt").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        run_job(caption_job(clip, SCRIPT, out=tmp_path / "ad.mp4"))
    assert names(tmp_path) == ["ad.vtt"]


# -- interrupts ----------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_during_caption_leaves_no_temporary_files(clip, tmp_path, sig):
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "captioner", "caption", str(clip), "--out", str(out / "ad.mp4")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals)
    try:
        # wait until the render is writing its temporary files, then signal the process (not its group)
        assert wait_until(lambda: any(n.endswith(".part") for n in names(out)), 120, 0.02), proc.poll()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + sig, err
    assert f"interrupted ({signal.Signals(sig).name})" in err and "Traceback" not in err
    assert names(out) == [], "temporary files left behind"
    assert wait_until(lambda: not processes_mentioning(str(out)), 5), "an ffmpeg child outlived the interrupted run"


def test_stale_temporary_files_are_removed_at_the_next_start(clip, heard, tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    out = tmp_path / "ad.mp4"
    stale = [f".ad.mp4.{gone.pid}-0badc0de.part", f".ad.json.{gone.pid}-0badc0de.part"]
    mine = f".ad.srt.{os.getpid()}-0badc0de.part"  # a live process's: not touched
    other = f".other.mp4.{gone.pid}-0badc0de.part"  # not this job's name: not touched
    for n in stale + [mine, other]:
        (tmp_path / n).write_bytes(b"half-written")
    run_job(caption_job(clip, SCRIPT, out=out), asr=heard)
    assert names(tmp_path) == sorted([mine, other] + [out.with_suffix(e).name for e in SIDECARS])


# -- a re-run is checked against what was charged ---------------------------------------------------------------

def test_junk_or_an_edited_sidecar_in_place_of_an_output_is_rendered_again_not_charged_again(clip, heard, tmp_path):
    out = tmp_path / "ad.mp4"
    ledger = Ledger(tmp_path / "l.sqlite3")
    ledger.top_up("acme", 1000)

    def again():
        t = time.perf_counter()
        r = run_job(caption_job(clip, SCRIPT, out=out, preset="bounce", account="acme", ledger=str(ledger.path)),
                    ledger=ledger, asr=heard)
        return r, time.perf_counter() - t

    first, _ = again()
    key = first.receipt.idempotency_key
    assert first.receipt.charged and first.receipt.millicredits == 800 and ledger.balance("acme") == 200
    recorded = ledger.recorded_outputs(key)
    assert recorded == {str(out.with_suffix(e).resolve()): file_sha256(out.with_suffix(e)) for e in SIDECARS}
    # an unchanged re-run: nothing rendered, the receipt from the ledger
    mtime = out.stat().st_mtime_ns
    skipped, _ = again()
    later = first.receipt.model_copy(update={"charged_earlier": True})  # the ledger's charge, made by the first run
    assert not first.receipt.charged_earlier
    assert out.stat().st_mtime_ns == mtime and skipped.receipt == later
    # the video replaced by junk: detected, rendered again, charged once
    out.write_bytes(b"\x00junk" * 100)
    redone, _ = again()
    assert probe(out).duration > 4 and redone.receipt == later
    assert ledger.balance("acme") == 200 and len([e for e in ledger.history("acme") if e.kind == "charge"]) == 1
    assert ledger.outputs_intact(key, [out.with_suffix(e) for e in SIDECARS])
    # the JSON sidecar edited by hand (a word and the receipt): no crash, rendered again, not charged again
    data = json.loads(out.with_suffix(".json").read_text())
    data["words"][0]["text"] = "EDITED"
    data["receipt"]["millicredits"] = 0
    out.with_suffix(".json").write_text(json.dumps(data))
    fixed, _ = again()
    saved = json.loads(out.with_suffix(".json").read_text())
    assert saved["words"][0]["text"] != "EDITED" and saved["receipt"]["millicredits"] == 800
    assert fixed.receipt == later and ledger.balance("acme") == 200
    # not even parseable JSON
    out.with_suffix(".json").write_text("{broken")
    again()
    assert json.loads(out.with_suffix(".json").read_text())["receipt"]["charged"] is True
    assert len([e for e in ledger.history("acme") if e.kind == "charge"]) == 1


# -- frame sizes ---------------------------------------------------------------------------------------------------

def test_odd_frame_size_is_padded_to_even_and_captioned(heard, tmp_path):
    """321×571: yuv420p needs even sides, so the burn pads (the branch the 322×570 test never reached)."""
    odd = make_clip(tmp_path / "odd.mp4", size="321x571", codec=["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p"])
    src = probe(odd)
    assert (src.width, src.height) == (321, 571)
    out = tmp_path / "out.mp4"
    result = run_job(caption_job(odd, SCRIPT, out=out), asr=heard)
    info = probe(out)
    assert (info.width, info.height) == (322, 572) and info.has_audio and abs(info.duration - src.duration) < 0.15
    assert result.media.width == 321 and result.words
    import numpy as np

    from captioner.media import ffmpeg_exe

    w = result.words[len(result.words) // 2]
    t = (w.start + w.end) / 2

    def frame(path, size):
        raw = subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1",
                              "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"], capture_output=True, check=True).stdout
        return np.frombuffer(raw, np.uint8).reshape(size[1], size[0]).astype(int)

    a, b = frame(out, (322, 572))[:571, :321], frame(odd, (321, 571))
    assert (np.abs(a - b) > 60).sum() > 300, "no captions drawn on the odd-sized frame"


def test_a_users_own_file_at_an_output_name_is_never_replaced(clip, heard, tmp_path):
    """A hand-made "final.srt" (or "final.json") next to the video was replaced by the render's without a word. Only
    captioner's own earlier outputs are replaced (its JSON sidecar lists them, or the ledger recorded them)."""
    out = tmp_path / "final.mp4"
    mine = out.with_suffix(".srt")
    mine.write_text("1\n00:00:00,000 --> 00:00:01,000\nmy hand-made subtitles\n")
    proc = cli("caption", str(clip), "--script", str(_script(tmp_path)), "--out", str(out))
    one_line_error(proc, 2, str(mine), "was not written by captioner", "nothing was rendered or charged")
    assert mine.read_text().endswith("my hand-made subtitles\n") and not out.exists()
    mine.unlink()
    run_job(caption_job(clip, SCRIPT, out=out), asr=heard)  # our own outputs, replaced by a re-render
    run_job(caption_job(clip, SCRIPT, out=out, preset="bounce"), asr=heard)
    assert json.loads(out.with_suffix(".json").read_text())["preset"] == "bounce"
    # a free preview written over that render is refused, naming it as a render (it said "not written by captioner")
    before = out.read_bytes()
    proc = cli("preview", str(clip), "--out", str(out), "--preset", "classic")
    one_line_error(proc, 2, "is a captioner render", "a preview never replaces a render")
    assert out.read_bytes() == before
    # a batch names every variant whose output a user's file holds, before any work
    (tmp_path / "b").mkdir()
    manifest = _batch_project(tmp_path / "b", clip, [{"output": "a", "video": "cuts/a.mp4"},
                                                      {"output": "b", "video": "cuts/a.mp4"}], output_dir="out")
    (tmp_path / "b" / "out").mkdir()
    (tmp_path / "b" / "out" / "a.json").write_text('{"mine": true}')
    (tmp_path / "b" / "out" / "b.vtt").write_text("WEBVTT\n")
    proc = cli("batch", str(manifest), "--ledger", str(tmp_path / "l.sqlite3"), "--no-progress")
    assert proc.returncode == 2 and "a.json exists and was not written" in proc.stderr and "b.vtt exists" in proc.stderr, proc.stderr
    assert (tmp_path / "b" / "out" / "a.json").read_text() == '{"mine": true}'


def _script(tmp_path: Path) -> Path:
    p = tmp_path / "script.txt"
    p.write_text(SCRIPT)
    return p


def test_an_output_folder_that_refuses_writes_is_named_before_any_work(clip, tmp_path):
    """`--out /sys/out.mp4` as root: os.access() said writable, the recognition ran (10 s) and the render then failed
    naming "/sys/out.ass". A real test write in the folder refuses it at once (exit 5), naming the folder."""
    import os
    import tempfile
    import time

    try:  # a folder this user cannot write in, whatever os.access() says (/sys is mounted read-only on Linux)
        fd, probe = tempfile.mkstemp(dir="/sys")
        os.close(fd)
        os.unlink(probe)
        pytest.skip("/sys is writable here")
    except OSError:
        pass
    t = time.monotonic()
    proc = cli("caption", str(clip), "--script", str(_script(tmp_path)), "--out", "/sys/out.mp4")
    one_line_error(proc, 5, "output folder /sys is not writable")
    assert time.monotonic() - t < 10
