"""Benchmark: a 20-variant batch of one 15 s ad (three tiers) vs 20 plain re-encodes of the same clip, same run.

Both sides use the same process pool (workers = CPU count unless --workers) and the same x264 settings
(veryfast, CRF 20, audio copied); the batch side goes through the product's job path (`batch.run_batch` →
`job.RenderJob` per variant: transcribe + correct + align once with Whisper base, lay out, burn, sidecars,
thumbnails, report, a charge per variant in a real SQLite ledger before its outputs are moved into place).
The batch runs twice per repetition: each variant decoded and burned on its own (`share_decode=False`), and
variants of one source sharing one decode (`share_decode=True`: one ffmpeg process feeding several
encoders, `render.multi`). Each repetition starts from empty output folders (ASR is not cached between
repetitions); the three sides run in a rotating order.

    .venv/bin/python benchmarks/bench_batch.py [--repeats 3] [--size 720x1280] [--workers N]

Prints a table and writes benchmarks/results/batch.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "ads"
FALLBACK = ROOT / "tests" / "fixtures" / "media"
PRESETS_DIR = ROOT / "tests" / "fixtures" / "batch"
TIERS = ["karaoke", "basic-test.yaml", "dynamic-test.yaml"]


def ffmpeg(*args: str) -> None:
    from captioner.media import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make_clip(out: Path, ad: Path, size: str, seconds: float = 15.0) -> None:
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30:duration={seconds}", "-i", str(ad / "audio.flac"),
           "-filter_complex", "[1:a]apad[a]", "-map", "0:v", "-map", "[a]", "-t", str(seconds),
           "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", str(out))


def plain_encode(args: tuple[str, str]) -> float:
    """The anchor: decode + encode with the batch's x264 settings, no captions (audio copied, like the burn)."""
    src, dst = args
    t = time.perf_counter()
    ffmpeg("-i", src, "-map", "0:v:0", "-map", "0:a:0?", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
           "-pix_fmt", "yuv420p", "-c:a", "copy", "-movflags", "+faststart", dst)
    return time.perf_counter() - t


def cpu_seconds() -> float:
    """User + system CPU of this process and every descendant reaped so far (pool workers and their ffmpeg:
    Linux adds a waited-for child's own reaped children to it). A load-independent second figure."""
    import resource

    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def run_anchor(clip: Path, folder: Path, n: int, workers: int) -> tuple[float, float]:
    folder.mkdir(parents=True, exist_ok=True)
    t, cpu = time.perf_counter(), cpu_seconds()
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(plain_encode, [(str(clip), str(folder / f"plain{i:02d}.mp4")) for i in range(n)]))
    return time.perf_counter() - t, cpu_seconds() - cpu


def run_batch_once(clip: Path, script: Path, folder: Path, n: int, workers: int, language: str,
                   share_decode: bool) -> tuple[float, dict]:
    from captioner.batch import run_batch
    from captioner.billing import Ledger

    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(clip, folder / "ad.mp4")
    shutil.copy(script, folder / "script.txt")
    for f in PRESETS_DIR.glob("*.yaml"):
        shutil.copy(f, folder / f.name)
    doc = {"output_dir": "out", "defaults": {"video": "ad.mp4", "script": "script.txt", "language": language},
           "variants": [{"output": f"v{i:02d}", "preset": TIERS[i % 3]} for i in range(n)]}
    (folder / "batch.yaml").write_text(yaml.safe_dump(doc))
    ledger = Ledger(folder / "ledger.sqlite3")
    ledger.top_up("bench", 1000 * n)
    t, cpu = time.perf_counter(), cpu_seconds()
    res = run_batch(folder / "batch.yaml", ledger=ledger, account="bench", workers=workers, progress=False,
                    share_decode=share_decode)
    wall, cpu = time.perf_counter() - t, cpu_seconds() - cpu
    if not res.ok:
        raise SystemExit(f"batch failed: {[(v.output, v.error) for v in res.variants if v.error]}")
    return wall, {"cpu_s": round(cpu, 2), "timings": res.timings, "charged_millicredits": res.charged_millicredits,
                  "quote_millicredits": res.quote_millicredits, "asr_computed": res.asr_computed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--variants", type=int, default=20)
    ap.add_argument("--size", default="720x1280")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--ad", default="ad-en-02")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "batch.json"))
    a = ap.parse_args()
    from captioner.distributed import default_workers

    workers = a.workers or default_workers()
    ad = DATA / a.ad if (DATA / a.ad).is_dir() else FALLBACK / a.ad
    language = json.loads((ad / "meta.json").read_text())["language"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        tmp = Path(tmp)
        clip = tmp / "clip.mp4"
        make_clip(clip, ad, a.size)
        sides = ["anchor", "batch", "shared"]
        for r in range(a.repeats):
            # rotate the order so no side always runs on a warmer (or busier) machine
            order = sides[r % 3:] + sides[:r % 3]
            row = {}
            for side in order:
                if side == "anchor":
                    row["anchor_s"], row["anchor_cpu_s"] = run_anchor(clip, tmp / f"anchor{r}", a.variants, workers)
                else:
                    row[f"{side}_s"], row[side] = run_batch_once(clip, ad / "script.txt", tmp / f"{side}{r}", a.variants,
                                                                 workers, language, share_decode=side == "shared")
                shutil.rmtree(tmp / f"{side}{r}", ignore_errors=True)
            row["ratio"] = row["batch_s"] / row["anchor_s"]
            row["ratio_shared"] = row["shared_s"] / row["anchor_s"]
            row["cpu_ratio"] = row["batch"]["cpu_s"] / row["anchor_cpu_s"]
            row["cpu_ratio_shared"] = row["shared"]["cpu_s"] / row["anchor_cpu_s"]
            row["loadavg"] = round(os.getloadavg()[0], 2)
            rows.append(row)
            print(f"run {r + 1}: batch {row['batch_s']:.1f} s (ratio {row['ratio']:.3f}), shared decode {row['shared_s']:.1f} s "
                  f"(ratio {row['ratio_shared']:.3f}), {a.variants} plain re-encodes {row['anchor_s']:.1f} s; CPU ratios "
                  f"{row['cpu_ratio']:.3f} / {row['cpu_ratio_shared']:.3f}; "
                  f"asr {row['batch'].get('timings', {}).get('asr', 0):.1f} / {row['shared'].get('timings', {}).get('asr', 0):.1f} s; "
                  f"load {row['loadavg']}", flush=True)
            write_json(a, workers, rows)  # after every run: a partial result survives an interrupted benchmark
    med, out = write_json(a, workers, rows)
    load = os.getloadavg()
    print()
    print(f"| {a.variants} variants, 15 s {a.size} | median of {a.repeats} | per output |")
    print("|---|---:|---:|")
    print(f"| batch, one decode per variant (ASR once + {a.variants} renders + ledger) | {med['batch_s']:.1f} s | "
          f"{med['batch_s'] / a.variants:.2f} s |")
    print(f"| batch, variants of one source share one decode | {med['shared_s']:.1f} s | {med['shared_s'] / a.variants:.2f} s |")
    print(f"| {a.variants} plain re-encodes (anchor) | {med['anchor_s']:.1f} s | {med['anchor_s'] / a.variants:.2f} s |")
    print(f"| ratio, one decode per variant (goal ≤ 1.10) | {med['ratio']:.3f} | |")
    print(f"| ratio, shared decode (goal ≤ 1.10) | {med['ratio_shared']:.3f} | |")
    print(f"| CPU-time ratio, one decode per variant / shared decode | {med['cpu_ratio']:.3f} / {med['cpu_ratio_shared']:.3f} | |")
    print(f"wrote {a.out}; load average at end {load[0]:.2f} on {os.cpu_count()} cores (shared machine)")


def write_json(a, workers: int, rows: list[dict]) -> tuple[dict, dict]:
    med = {k: statistics.median(r[k] for r in rows)
           for k in ("batch_s", "shared_s", "anchor_s", "ratio", "ratio_shared", "cpu_ratio", "cpu_ratio_shared")}
    load = os.getloadavg()
    out = {"benchmark": "batch", "date": time.strftime("%Y-%m-%d %H:%M"), "machine": platform.platform(),
           "cpus": os.cpu_count(), "workers": workers, "loadavg_at_end": [round(x, 2) for x in load],
           "clip": {"ad": a.ad, "seconds": 15.0, "size": a.size, "fps": 30}, "variants": a.variants,
           "encoder": "libx264 veryfast crf 20, audio copy", "path": "batch.run_batch → job.RenderJob per variant",
           "runs": rows, "runs_done": len(rows), "repeats": a.repeats, "median": med,
           "goal_ratio": 1.10, "meets_goal": min(med["ratio"], med["ratio_shared"]) <= 1.10}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1))
    return med, out


if __name__ == "__main__":
    sys.exit(main())
