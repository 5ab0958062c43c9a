"""Benchmark: the preset gallery cold (empty folder) and warm (cached), end to end through the CLI, with anchors.

Same run, same machine:
  * cold: `python -m captioner.previews_cli previews --out EMPTY` (fresh process: imports, every preset
    rendered, index.html), workers=2 (default) — medians of --repeats runs, each into an empty folder;
  * anchor: the same cold build with workers=1 (sequential), to show what the pool buys;
  * warm: the same command again on a filled folder (fresh process: cache checks by size + SHA-256, page);
    also the in-process API call (`build_gallery`) without interpreter start-up;
  * one corrupt cache entry: a truncated preview, detected and re-rendered;
  * format choice: one preview (karaoke / basic / dynamic preset) encoded from the same ASS as animated WebP
    (what we ship), H.264 MP4 and GIF — time and bytes.

    .venv/bin/python benchmarks/bench_previews.py [--repeats 3] [--warm-repeats 5] [--language en]

Prints a table and writes benchmarks/results/previews.json.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import ROOT, machine, save, table  # noqa: E402


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed_process(cmd: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall time and CPU time (user + sys of the process and its ffmpeg children) of one command."""
    c, t = _child_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    return time.perf_counter() - t, _child_cpu() - c, proc


def cli_gallery(out: Path, language: str, workers: int) -> tuple[float, float, dict]:
    """Wall and CPU seconds of one CLI run in a fresh interpreter, and its JSON summary."""
    wall, cpu, proc = timed_process([sys.executable, "-m", "captioner.previews_cli", "previews", "--out", str(out),
                                     "--language", language, "--workers", str(workers), "--json"])
    if proc.returncode != 0:
        raise SystemExit(f"previews failed: {proc.stderr}")
    return wall, cpu, json.loads(proc.stdout)


def format_choice(tmp: Path, repeats: int) -> list[dict]:
    """Encode the same captioned frames as animated WebP, MP4 (x264) and GIF; median time and size."""
    from captioner.layout import font_chain, paginate
    from captioner.media import run_ffmpeg
    from captioner.presets import list_presets
    from captioner.previews import PreviewOptions, background_source, sample_words
    from captioner.render.ass import to_ass

    o = PreviewOptions()
    words = sample_words("en", o.seconds)
    presets = list_presets()
    picks = [next(p for p in presets if p.tier == t) for t in ("karaoke", "basic", "dynamic") if any(p.tier == t for p in presets)]
    dyn = [p for p in presets if p.tier == "dynamic" and p.animation.type in ("pop", "bounce", "zoom")]
    if dyn:
        picks[-1] = dyn[0]  # the busiest kind of preview
    encoders = {
        f"webp (animated, q{o.quality}, level {o.compression_level}; shipped)": [
            "-c:v", "libwebp_anim", "-quality", str(o.quality), "-compression_level", str(o.compression_level), "-loop", "0", "-f", "webp"],
        "webp (animated, q70, level 1)": ["-c:v", "libwebp_anim", "-quality", "70", "-compression_level", "1", "-loop", "0", "-f", "webp"],
        "mp4 (x264 veryfast, crf 26)": ["-c:v", "libx264", "-preset", "veryfast", "-crf", "26", "-pix_fmt", "yuv420p",
                                        "-movflags", "+faststart", "-f", "mp4"],
        "gif (palettegen + paletteuse)": None,
    }
    rows = []
    n = int(round(o.seconds * o.fps))
    # the shipped drawing: backdrop drawn once and repeated, libass with only the preset's faces
    draw = f"trim=end_frame=1,loop=loop={n - 1}:size=1,format=rgb24,ass=c.ass:fontsdir=fonts:shaping=complex"
    for preset in picks:
        work = tmp / f"fmt-{preset.name}"
        (work / "fonts").mkdir(parents=True)
        for face in font_chain(preset):
            os.symlink(face, work / "fonts" / face.name)
        track = paginate(words, preset, o.width, o.height, language="en", safe_zone=o.safe_zone, duration=o.seconds)
        (work / "c.ass").write_text(to_ass(track, preset), encoding="utf-8")
        base = ["-threads", "1", "-filter_threads", "1", "-f", "lavfi", "-i", background_source(o)]
        for name, enc in encoders.items():
            out = work / "out.bin"
            if enc is None:
                args = base + ["-filter_complex", f"[0:v]{draw},split[a][b];[a]palettegen[p];[b][p]paletteuse",
                               "-loop", "0", "-f", "gif", str(out)]
            else:
                args = base + ["-vf", draw, *enc, str(out)]
            ts, cpus = [], []
            for _ in range(repeats):
                c, t = _child_cpu(), time.perf_counter()
                run_ffmpeg(args, f"format benchmark {name}", cwd=str(work))
                ts.append(time.perf_counter() - t)
                cpus.append(_child_cpu() - c)
            rows.append({"preset": preset.name, "tier": preset.tier, "format": name, "median_s": round(statistics.median(ts), 3),
                         "median_cpu_s": round(statistics.median(cpus), 3), "runs_s": [round(x, 3) for x in ts],
                         "bytes": out.stat().st_size})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="cold runs (workers=2); median reported")
    ap.add_argument("--warm-repeats", type=int, default=5)
    ap.add_argument("--language", default="en")
    ap.add_argument("--skip-sequential", action="store_true", help="skip the workers=1 anchor (saves ~30 s)")
    args = ap.parse_args()

    from captioner.previews import PreviewOptions, build_gallery

    load_before = loadavg()
    res: dict = {"language": args.language, "options": PreviewOptions().fingerprint(), "load_before": load_before}
    with tempfile.TemporaryDirectory(prefix="bench-previews-") as tmp:
        tmp = Path(tmp)
        cold, cold_cpu, internal, n = [], [], [], 0
        for i in range(args.repeats):
            wall, cpu, summary = cli_gallery(tmp / f"cold{i}", args.language, 2)
            assert summary["counts"]["built"] == len(summary["presets"]), summary["counts"]
            cold.append(wall)
            cold_cpu.append(cpu)
            internal.append(summary["seconds"])
            n = len(summary["presets"])
        res["presets"] = n
        res["cold_cli_s"] = [round(x, 3) for x in cold]
        res["cold_cli_cpu_s"] = [round(x, 3) for x in cold_cpu]
        res["cold_internal_s"] = internal

        if not args.skip_sequential:
            wall, cpu, summary = cli_gallery(tmp / "seq", args.language, 1)
            res["cold_sequential_cli_s"] = round(wall, 3)
            res["cold_sequential_cli_cpu_s"] = round(cpu, 3)

        warm, warm_cpu = [], []
        for _ in range(args.warm_repeats):
            wall, cpu, summary = cli_gallery(tmp / "cold0", args.language, 2)
            assert summary["counts"]["cached"] == n, summary["counts"]
            warm.append(wall)
            warm_cpu.append(cpu)
        res["warm_cli_s"] = [round(x, 3) for x in warm]
        res["warm_cli_cpu_s"] = [round(x, 3) for x in warm_cpu]
        # anchor for the warm CLI: what starting Python with the CLI's own imports costs, doing nothing
        floor, floor_cpu = [], []
        for _ in range(args.warm_repeats):
            wall, cpu, _ = timed_process([sys.executable, "-c", "import typer, pydantic, yaml"])
            floor.append(wall)
            floor_cpu.append(cpu)
        res["python_typer_pydantic_import_s"] = [round(x, 3) for x in floor]
        res["python_typer_pydantic_import_cpu_s"] = [round(x, 3) for x in floor_cpu]
        api = []
        for _ in range(args.warm_repeats):
            r = build_gallery(tmp / "cold0", args.language)
            assert r.counts["cached"] == n
            api.append(r.seconds)
        res["warm_api_s"] = api

        victim = Path(summary["presets"][0]["animated"])
        victim.write_bytes(victim.read_bytes()[:64])
        wall, cpu, summary = cli_gallery(tmp / "cold0", args.language, 2)
        assert summary["counts"]["rebuilt"] == 1, summary["counts"]
        res["one_corrupt_entry_cli_s"] = round(wall, 3)
        res["one_corrupt_entry_cli_cpu_s"] = round(cpu, 3)

        media = tmp / "cold0" / "media"
        res["gallery_bytes"] = {"webp": sum(p.stat().st_size for p in media.glob("*.webp")),
                                "png": sum(p.stat().st_size for p in media.glob("*.png")),
                                "index.html": (tmp / "cold0" / "index.html").stat().st_size}
        res["formats"] = format_choice(tmp, 3)
    res["load_after"] = loadavg()

    med = statistics.median
    runs = lambda xs, f="{:.2f}": " / ".join(f.format(x) for x in xs)  # noqa: E731
    rows = [
        [f"cold, {n} presets, workers=2 (CLI, fresh process)", f"{med(cold):.2f}", f"{med(cold_cpu):.2f}", runs(cold), "≤ 30 s"],
        ["  of which inside build_gallery()", f"{med(internal):.2f}", "", runs(internal), ""],
    ]
    if "cold_sequential_cli_s" in res:
        rows.append(["cold, workers=1 (anchor)", f"{res['cold_sequential_cli_s']:.2f}", f"{res['cold_sequential_cli_cpu_s']:.2f}",
                     f"pool speed-up ×{res['cold_sequential_cli_s'] / med(cold):.2f}", ""])
    rows += [
        ["warm (CLI, fresh process)", f"{med(warm):.2f}", f"{med(warm_cpu):.2f}", runs(warm), "≤ 1 s"],
        ["  anchor: python -c 'import typer, pydantic, yaml'", f"{med(floor):.2f}", f"{med(floor_cpu):.2f}", runs(floor), ""],
        ["warm (build_gallery() in process)", f"{med(api):.3f}", "", runs(api, "{:.3f}"), ""],
        ["one corrupt entry rebuilt (CLI)", f"{res['one_corrupt_entry_cli_s']:.2f}", f"{res['one_corrupt_entry_cli_cpu_s']:.2f}", "", ""],
    ]
    print(f"\nPreset gallery — {machine()} — load average before {load_before}, after {res['load_after']}")
    print(table(rows, ["run", "median wall s", "median CPU s", "runs (wall s)", "goal"]))
    gb = res["gallery_bytes"]
    print(f"gallery size: {gb['webp'] / 1e6:.2f} MB WebP + {gb['png'] / 1e6:.2f} MB PNG + {gb['index.html'] / 1e3:.0f} kB html\n")
    print(table([[f["preset"], f["format"], f"{f['median_s']:.2f}", f"{f['median_cpu_s']:.2f}", f"{f['bytes'] / 1e3:.1f}"]
                 for f in res["formats"]],
                ["preset", "format (same ASS, 360x640, 2.8 s @ 20 fps)", "median wall s", "median CPU s", "kB"]))
    path = save("previews", res)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
