"""Helpers shared by the benchmark scripts: data paths, test media, timing, result files."""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("CAPTIONER_DATA", ROOT.parent / "shared" / "data"))
RESULTS = ROOT / "benchmarks" / "results"


def ffmpeg(*args: str) -> None:
    from captioner.media import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def timed(fn, runs: int = 3) -> tuple[float, list[float]]:
    """Median wall time of `runs` calls (and all of them)."""
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), ts


def timed_rounds(fns: dict, runs: int = 3) -> dict[str, list[float]]:
    """Wall times of every function, interleaved: round after round, each function once per round, so that a
    machine whose speed drifts (a shared VM) slows every side alike; compare within a round (`round_ratios`)."""
    ts: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(runs):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            ts[k].append(time.perf_counter() - t)
    return ts


def round_ratios(ts: dict[str, list[float]], a: str, b: str) -> list[float]:
    """a's time over b's, round by round (see `timed_rounds`)."""
    return [x / y for x, y in zip(ts[a], ts[b])]


def machine() -> dict:
    return {"cpus": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%d")}


def save(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    p = RESULTS / f"{name}.json"
    p.write_text(json.dumps({"machine": machine(), **payload}, indent=1))
    return p


def table(rows: list[list], header: list[str]) -> str:
    cols = [header] + [[str(c) for c in r] for r in rows]
    w = [max(len(r[i]) for r in cols) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(r)) + " |"
    return "\n".join([line(header), "|" + "|".join("-" * (x + 2) for x in w) + "|"] + [line(r) for r in cols[1:]])


def judge_compute_option(ap) -> None:
    """`--judge-compute` / `--judge-engine`: the price judge's Whisper numerics and engine for this run (default: the
    shipped `whisper.JUDGE_COMPUTE_TYPE` and `JUDGE_ENGINE`; int8 = the recogniser's model, the judge before
    2026-11-30, whose scores depend on the CPU's int8 kernels; engine "ctranslate2" = one `Whisper.align` request
    per reading, the float32 judge before `whisper_scorer`). Apply them with `apply_judge_compute`."""
    ap.add_argument("--judge-compute", default=None, choices=("float32", "int8", "int8_float32"),
                    help="the price judge's Whisper numerics (default: the shipped whisper.JUDGE_COMPUTE_TYPE; int8 = "
                         "the judge before 2026-11-30, whose scores depend on the CPU's int8 kernels)")
    ap.add_argument("--judge-engine", default=None, choices=("numpy", "ctranslate2"),
                    help="the float32 judge's engine (default: the shipped whisper.JUDGE_ENGINE, numpy; ctranslate2 = "
                         "one Whisper.align request per reading)")


def apply_judge_compute(value, engine=None) -> None:
    from captioner.asr import whisper

    if value:
        whisper.JUDGE_COMPUTE_TYPE = value
    if engine:
        whisper.JUDGE_ENGINE = engine
