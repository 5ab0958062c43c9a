"""A hostile but realistic user against `captioner batch`: bad --workers, Ctrl-C / SIGTERM midway, kill -9 of the
driver alone. Real process pool, real ffmpeg, real SQLite ledger; ASR computed once and cached for the module."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from captioner.batch import CACHE_DIR, assign_keys, load_manifest
from captioner.billing import Ledger
from captioner.job import output_paths
from captioner.media import probe

from .hostile import SCRIPT, alive, children_of, cli, default_signals, make_clip, one_line_error, signal_state, wait_until

PRESETS = ["karaoke", "classic", "bounce", "pop-in"]
N = 24  # with 2 workers and shared decode: 2 rounds of 2 chunks of 6, so a round is still to come at the first charge


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("batch-media")
    make_clip(d / "ad.mp4", seconds=4.2, size="360x640")
    (d / "script.txt").write_text(SCRIPT)
    return d


def project(tmp: Path, media: Path, n: int = N) -> Path:
    shutil.copy(media / "ad.mp4", tmp / "ad.mp4")
    shutil.copy(media / "script.txt", tmp / "script.txt")
    doc = {"output_dir": "out", "defaults": {"video": "ad.mp4", "script": "script.txt", "language": "en"},
           "variants": [{"output": f"v{i}", "preset": PRESETS[i % len(PRESETS)]} for i in range(n)]}
    (tmp / "batch.yaml").write_text(yaml.safe_dump(doc))
    return tmp / "batch.yaml"


@pytest.fixture(scope="module")
def asr_cache(tmp_path_factory, media) -> Path:
    """One real batch of one variant: its ASR cache serves every later project (same audio, script, language)."""
    tmp = tmp_path_factory.mktemp("seed")
    manifest = project(tmp, media, n=1)
    r = cli("batch", str(manifest), "--no-progress", "--no-thumbnails", env={"CAPTIONER_LEDGER": str(tmp / "l.sqlite3")})
    assert r.returncode == 0, r.stderr
    return tmp / "out" / CACHE_DIR


def seeded(tmp: Path, media: Path, cache: Path) -> Path:
    manifest = project(tmp, media)
    (tmp / "out" / CACHE_DIR).mkdir(parents=True)
    for f in cache.glob("asr-*.json"):
        shutil.copy(f, tmp / "out" / CACHE_DIR / f.name)
    return manifest


def charges(ledger: Ledger) -> list:
    return [e for e in ledger.history("default") if e.kind == "charge"]


def start(manifest: Path, db: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "captioner", "batch", str(manifest), "--no-progress", "--workers", "2",
                             *extra], env={**os.environ, "CAPTIONER_LEDGER": str(db)}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=default_signals)


def audit(manifest: Path, ledger: Ledger) -> tuple[int, int]:
    """Every output in place is complete and paid for (its files have the hashes its charge recorded); no temp
    files anywhere. Returns (complete variants, variants with no output at all)."""
    m = load_manifest(manifest)
    assign_keys(m)
    complete = absent = 0
    for v in m.variants:
        paths = list(output_paths(v.out).values())
        present = [p for p in paths if p.exists()]
        if not present:
            absent += 1
            continue
        assert ledger.outputs_intact(v.key, paths), f"{v.output}: outputs in place without a matching charge"
        complete += 1
    leftovers = [p for p in (manifest.parent / "out").rglob("*") if p.name.endswith((".part", ".old"))]
    assert not leftovers, leftovers
    return complete, absent


@pytest.mark.parametrize("value", ["-1", "0", "65", "two"])
def test_bad_worker_counts_are_one_clear_line(tmp_path, media, value):
    manifest = project(tmp_path, media, n=1)
    r = cli("batch", str(manifest), "--workers", value, "--ledger", str(tmp_path / "l.sqlite3"))
    if value == "two":  # not an integer at all: the command-line parser's usage error
        assert r.returncode == 2 and "Traceback" not in r.stderr
        return
    one_line_error(r, 2, "--workers must be a whole number from 1 to 64")
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
@pytest.mark.parametrize("sig,extra", [(signal.SIGINT, ()), (signal.SIGTERM, ("--no-shared-decode",)),
                                       (signal.SIGHUP, ())])
def test_interrupt_stops_promptly_and_leaves_no_uncharged_outputs(tmp_path, media, asr_cache, sig, extra):
    manifest = seeded(tmp_path, media, asr_cache)
    db = tmp_path / "l.sqlite3"
    ledger = Ledger(db)
    ledger.top_up("default", 30_000)
    proc = start(manifest, db, *extra)
    try:
        assert wait_until(lambda: len(charges(ledger)) >= 1 or proc.poll() is not None, 120), "no render finished"
        assert proc.poll() is None, "the batch ended before it could be interrupted"
        family = children_of(proc.pid)
        assert family, "no pool workers?"
        state = signal_state(proc.pid)
        t = time.perf_counter()
        proc.send_signal(sig)  # the driver only, as a terminal's Ctrl-C reaches a foreground job's leader
        _, err = proc.communicate(timeout=30)
        stopped = time.perf_counter() - t
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + sig, f"{err}\ndriver's signals when {sig.name} was sent: {state}"
    assert "Traceback" not in err
    assert stopped < 5, f"took {stopped:.1f} s to stop"
    assert wait_until(lambda: not any(alive(p) for p in family), 5), "workers or their ffmpeg outlived the batch"
    complete, absent = audit(manifest, ledger)
    assert complete == len(charges(ledger)) and complete + absent == N and absent > 0
    assert ledger.available("default") == ledger.balance("default")  # no hold left behind


@pytest.mark.slow
def test_kill_9_of_the_driver_kills_its_workers_and_nothing_renders_unpaid(tmp_path, media, asr_cache):
    manifest = seeded(tmp_path, media, asr_cache)
    db = tmp_path / "l.sqlite3"
    ledger = Ledger(db)
    ledger.top_up("default", 30_000)
    proc = start(manifest, db)
    try:
        assert wait_until(lambda: len(charges(ledger)) >= 1 or proc.poll() is not None, 120)
        assert proc.poll() is None
        family = children_of(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)  # the driver alone: its workers are not in its process group
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert wait_until(lambda: not any(alive(p) for p in family), 3), "workers survived their driver"
    out = tmp_path / "out"
    listing = sorted((p.name, p.stat().st_mtime_ns) for p in out.iterdir() if p.is_file())
    n_charged = len(charges(ledger))
    time.sleep(2.0)
    assert sorted((p.name, p.stat().st_mtime_ns) for p in out.iterdir() if p.is_file()) == listing, "rendering went on"
    assert len(charges(ledger)) == n_charged and n_charged < N
    for name, _ in listing:  # whatever is in place is complete; only hidden temp files may be half-written
        if name.endswith(".mp4") and not name.startswith("."):
            assert probe(out / name).duration > 4
    # the re-run finishes the rest, charges each variant once, and sweeps the dead run's temp files
    r = cli("batch", str(manifest), "--no-progress", "--workers", "2", env={"CAPTIONER_LEDGER": str(db)})
    assert r.returncode == 0, r.stderr
    cs = charges(ledger)
    assert len(cs) == N and len({c.idempotency_key for c in cs}) == N
    assert audit(manifest, ledger) == (N, 0)
    assert ledger.available("default") == ledger.balance("default")


def test_a_file_named_thumbs_in_the_output_folder_is_named_before_any_work(tmp_path, media):
    manifest = project(tmp_path, media, n=1)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "thumbs").write_text("mine")
    r = cli("batch", str(manifest), "--no-progress", env={"CAPTIONER_LEDGER": str(tmp_path / "l.sqlite3")})
    assert r.returncode == 2 and "thumbs is a file" in r.stderr and "--no-thumbnails" in r.stderr
    assert (tmp_path / "out" / "thumbs").read_text() == "mine"


def test_every_unusable_video_is_named_before_any_work(tmp_path, media):
    """A truncated file, a text file named .mp4, an empty file and a video without audio among the variants: one
    manifest error naming each (as `caption` would), before any audio is decoded, hashed or charged — it was a raw
    ffmpeg error about the first one (exit 3), or a transcription wasted before the render failed."""
    manifest = project(tmp_path, media, n=1)
    ad = (tmp_path / "ad.mp4").read_bytes()
    (tmp_path / "half.mp4").write_bytes(ad[: len(ad) // 2])
    (tmp_path / "text.mp4").write_text("not a video\n")
    (tmp_path / "zero.mp4").write_bytes(b"")
    from .conftest import ffmpeg

    ffmpeg("-i", str(tmp_path / "ad.mp4"), "-an", "-c:v", "copy", str(tmp_path / "mute.mp4"))
    doc = yaml.safe_load(manifest.read_text())
    doc["variants"] += [{"output": n, "video": f"{n}.mp4", "preset": "classic"} for n in ("half", "text", "zero", "mute")]
    manifest.write_text(yaml.safe_dump(doc))
    t = time.monotonic()
    r = cli("batch", str(manifest), "--no-progress", env={"CAPTIONER_LEDGER": str(tmp_path / "l.sqlite3")})
    assert r.returncode == 2, r.stderr
    assert "4 problems" in r.stderr and "nothing was rendered or charged" in r.stderr
    for n, why in (("half", ("truncated", "corrupt", "cut off")), ("text", ("text file, not a video",)), ("zero", ("empty",)),
                   ("mute", ("no audio stream",))):
        assert any(f"variant {n}:" in line and any(w in line for w in why) for line in r.stderr.splitlines()), (n, r.stderr)
    assert time.monotonic() - t < 30 and not (tmp_path / "out").exists()
    q = cli("quote", str(manifest), "--account", "default", env={"CAPTIONER_LEDGER": str(tmp_path / "l.sqlite3")})
    assert q.returncode == 2 and "variant mute:" in q.stderr


def test_manifest_media_and_script_problems_are_named_in_one_error(tmp_path, media):
    """A mistyped field in one variant, a folder given as another's video, a video without audio and a script in
    Latin-1: one error naming all four — it took three runs (the manifest's problems first, then the media, then
    the script at hashing), and the folder was reported "file not found" although it is there."""
    manifest = project(tmp_path, media, n=1)
    from .conftest import ffmpeg

    ffmpeg("-i", str(tmp_path / "ad.mp4"), "-an", "-c:v", "copy", str(tmp_path / "mute.mp4"))
    (tmp_path / "clips").mkdir()
    (tmp_path / "latin1.txt").write_bytes("Café crème für 4,99 EUR".encode("latin-1"))
    doc = yaml.safe_load(manifest.read_text())
    doc["variants"] += [{"output": "typo", "video": "ad.mp4", "preset": "classic", "langauge": "en"},
                        {"output": "folder", "video": "clips", "preset": "classic"},
                        {"output": "mute", "video": "mute.mp4", "preset": "classic"},
                        {"output": "latin", "video": "ad.mp4", "script": "latin1.txt", "preset": "classic"}]
    manifest.write_text(yaml.safe_dump(doc))
    r = cli("batch", str(manifest), "--no-progress", env={"CAPTIONER_LEDGER": str(tmp_path / "l.sqlite3")})
    assert r.returncode == 2, r.stderr
    err = r.stderr
    assert "unknown field 'langauge'" in err and "'clips' is a folder, not a file" in err, err
    assert any("variant mute:" in ln and "no audio stream" in ln for ln in err.splitlines()), err
    assert any("variant latin:" in ln and "UTF-8" in ln for ln in err.splitlines()), err
    assert "nothing was rendered or charged" in err and not (tmp_path / "out").exists()
