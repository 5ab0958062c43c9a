"""Soak: 40 billed renders from 4 processes over 2 accounts, some processes SIGKILLed at random points, then
re-run. Afterwards the ledger equals the sum of the quotes of the complete outputs, every output is complete
(and paid for) or absent, and no process is left over. Every render goes through `job.run_job` and a real SQLite
ledger shared by the processes; recognition is done once (real Whisper) and handed to each job, and the clip is
short and small, so the whole test fits in about a minute on 2 cores."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from captioner.billing import Ledger, price_millicredits
from captioner.job import output_paths
from captioner.media import probe
from captioner.pipeline import caption_job
from captioner.presets import load_preset

from .hostile import make_clip, processes_mentioning, recognised, wait_until

RENDERS, PROCESSES, ACCOUNTS = 40, 4, ("north", "south")
PRESETS = ["karaoke", "classic", "bounce", "pop-in", "boxed"]
SEED = int(os.environ.get("CAPTIONER_SOAK_SEED", "14"))
SCRIPT = "I switched to Brewvana cold brew."  # what the 2.2 s clip says

WORKER = r'''
import json, sys
from pathlib import Path
from captioner.billing import Ledger
from captioner.job import AsrOutcome, run_job
from captioner.pipeline import caption_job

clip, asr_file, ledger_path, script, plan = sys.argv[1:]
heard = AsrOutcome.model_validate_json(Path(asr_file).read_text())
ledger = Ledger(ledger_path)
for j in json.loads(plan):
    run_job(caption_job(Path(clip), script, out=j["out"], preset=j["preset"], account=j["account"], ledger=ledger_path),
            ledger=ledger, asr=heard)
    print("done", j["i"], flush=True)
'''


def jobs(out: Path) -> list[dict]:
    return [{"i": i, "out": str(out / f"r{i:02d}.mp4"), "preset": PRESETS[i % len(PRESETS)],
             "account": ACCOUNTS[(i // PROCESSES) % 2]} for i in range(RENDERS)]


def quote(j: dict) -> int:
    return price_millicredits(load_preset(j["preset"]).billed_tier)


def launch(tmp: Path, clip: Path, asr_file: Path, ledger: Path, plan: list[dict]) -> list[subprocess.Popen]:
    procs = []
    for p in range(PROCESSES):
        mine = [j for j in plan if j["i"] % PROCESSES == p]
        procs.append(subprocess.Popen([sys.executable, "-c", WORKER, str(clip), str(asr_file), str(ledger), SCRIPT,
                                       json.dumps(mine)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                      cwd=tmp))
    return procs


def count_done(proc: subprocess.Popen, done: list[int], i: int) -> None:
    """Counts the worker's finished renders as it reports them (and drains its stderr so it never blocks)."""
    drain = threading.Thread(target=proc.stderr.read, daemon=True)
    drain.start()
    for line in proc.stdout:
        if line.startswith("done"):
            done[i] += 1


def final_files_are_whole(out: Path) -> None:
    """No file under a final name is ever half-written (each one arrived by rename)."""
    for p in out.iterdir():
        if p.name.startswith("."):
            continue
        if p.suffix == ".mp4":
            assert probe(p).duration > 1.5, p
        elif p.suffix == ".json":
            json.loads(p.read_text())


@pytest.mark.slow
def test_soak_killed_processes_then_rerun(tmp_path):
    t_start = time.perf_counter()
    clip = make_clip(tmp_path / "ad.mp4", seconds=2.2, size="180x320")
    heard = recognised(clip, SCRIPT)
    asr_file = tmp_path / "heard.json"
    asr_file.write_text(heard.model_dump_json())
    out = tmp_path / "out"
    db = tmp_path / "ledger.sqlite3"
    ledger = Ledger(db)
    for a in ACCOUNTS:
        ledger.top_up(a, 100_000)
    plan = jobs(out)
    rng = random.Random(SEED)

    # two rounds in which some processes are SIGKILLed at random points (mid-render, mid-charge, mid-commit …).
    # A kill point is drawn relative to the victim's own progress (after its k-th finished render, plus a random
    # part of a render), not in wall-clock seconds: the test means the same on a slow laptop and a fast CI box.
    killed = 0
    for _ in range(2):
        procs = launch(tmp_path, clip, asr_file, db, plan)
        done = [0] * PROCESSES
        readers = [threading.Thread(target=count_done, args=(p, done, i), daemon=True) for i, p in enumerate(procs)]
        for t in readers:
            t.start()
        per_process = RENDERS // PROCESSES
        victims = {v: (rng.randint(0, per_process - 3), rng.uniform(0.0, 0.25))
                   for v in rng.sample(range(PROCESSES), 2)}
        armed: dict[int, float] = {}
        while any(p.poll() is None for p in procs):
            for v, (k, delay) in list(victims.items()):
                if done[v] >= k:
                    armed[v] = time.time() + delay
                    del victims[v]
            for v, when in list(armed.items()):
                if time.time() >= when:
                    if procs[v].poll() is None:
                        procs[v].send_signal(signal.SIGKILL)
                        killed += 1
                    del armed[v]
            time.sleep(0.01)
        for t in readers:
            t.join(10)
        final_files_are_whole(out)
        # invariant even right after kills: whatever output is in place was paid for, with these exact bytes
        for j in plan:
            paths = list(output_paths(j["out"]).values())
            if all(p.exists() for p in paths):
                key = caption_job(clip, SCRIPT, out=j["out"], preset=j["preset"],
                                  account=j["account"], ledger=str(db)).billing_key()
                assert ledger.outputs_intact(key, paths), (j, "complete outputs without a matching charge")
    assert killed >= 2, "the soak must kill some processes"

    # the re-run: every process to completion
    procs = launch(tmp_path, clip, asr_file, db, plan)
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err[-2000:]
    charges = [e for a in ACCOUNTS for e in ledger.history(a) if e.kind == "charge"]
    assert len(charges) == RENDERS and len({c.idempotency_key for c in charges}) == RENDERS  # each charged once
    for a in ACCOUNTS:
        complete = [j for j in plan if j["account"] == a]
        for j in complete:
            paths = list(output_paths(j["out"]).values())
            key = caption_job(clip, SCRIPT, out=j["out"], preset=j["preset"],
                              account=a, ledger=str(db)).billing_key()
            assert ledger.outputs_intact(key, paths), j
        assert 100_000 - ledger.balance(a) == sum(quote(j) for j in complete)  # the ledger = the quotes
        assert ledger.available(a) == ledger.balance(a)  # no live hold
    assert not [p.name for p in out.iterdir() if p.name.startswith(".")], "temporary files left behind"
    assert wait_until(lambda: not processes_mentioning(str(tmp_path)), 5), "stray processes"
    print(f"\nsoak: {RENDERS} renders, {killed} SIGKILLs, {time.perf_counter() - t_start:.1f} s")
    assert time.perf_counter() - t_start < 120
