"""Render speed: our burn vs `ffmpeg -vf ass=` on the same ASS vs a plain re-encode (same x264 settings, same run).

10 s 1080×1920 30 fps test source (ffmpeg lavfi, made in a temp dir); captions from the DEV ad ad-en-01's
ground-truth word timings (no ASR). Runs are interleaved round-robin, medians of --runs (≥ 3). Also peak RSS
of the ffmpeg child for a 60 s 1080×1920 render (resource.getrusage(RUSAGE_CHILDREN) in a fresh process).
Writes benchmarks/results/render.json and prints a table.

    .venv/bin/python benchmarks/bench_render.py [--runs 3] [--presets karaoke,pill,pop-in,slide-up]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from captioner.layout import paginate  # noqa: E402
from captioner.media import ffmpeg_exe, probe  # noqa: E402
from captioner.presets import fonts_dir, load_preset  # noqa: E402
from captioner.render.ass import to_ass  # noqa: E402
from captioner.render.burn import EncodeOptions, burn  # noqa: E402
from captioner.types import Word  # noqa: E402

ADS = ROOT.parent / "shared" / "data" / "ads"
X264 = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p"]


def ff(args, cwd=None):
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args], check=True, cwd=cwd)


def make_source(path: Path, seconds: int, w=1080, h=1920, fps=30):
    ff(["-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={fps}:duration={seconds}", "-f", "lavfi", "-i",
        f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "18",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", "-shortest", str(path)])


def words(seconds: float) -> list[Word]:
    """ad-en-01's timed words, repeated to fill `seconds`."""
    src = json.loads((ADS / "ad-en-01" / "words.json").read_text())["words"]
    span = max(w["end"] for w in src) + 0.4
    out, k = [], 0
    while True:
        for w in src:
            s, e = w["start"] + k * span, w["end"] + k * span
            if e > seconds - 0.1:
                return out
            out.append(Word(text=w["text"], start=s, end=e))
        k += 1


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def rss_child(video: Path, preset: str, seconds: int) -> float:
    """Peak RSS (MB) of the ffmpeg child of one burn, measured in a fresh Python process."""
    code = f"""
import resource, sys
sys.path.insert(0, {str(ROOT)!r})
from captioner.layout import paginate
from captioner.media import probe
from captioner.presets import load_preset
from captioner.render.ass import to_ass
from captioner.render.burn import burn
sys.path.insert(0, {str(Path(__file__).parent)!r})
from bench_render import words
info = probe({str(video)!r})
p = load_preset({preset!r})
track = paginate(words({seconds}), p, info.width, info.height, language="en", duration=info.duration)
burn({str(video)!r}, to_ass(track, p), {str(video.with_name('rss.mp4'))!r}, info)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--presets", default="karaoke,classic,pill,pop-in,slide-up,moving-box")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rss-seconds", type=int, default=60)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "render.json"))
    a = ap.parse_args()
    presets = a.presets.split(",")
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        tmp = Path(tmp)
        src = tmp / "src.mp4"
        make_source(src, a.seconds)
        info = probe(src)
        ws = words(a.seconds)
        cases = {}
        for name in presets + ["karaoke+emoji"]:
            p = load_preset(name.split("+")[0])
            wl = ws if "+emoji" not in name else [w.model_copy(update={"text": w.text + ("🔥" if i % 5 == 2 else "")})
                                                   for i, w in enumerate(ws)]
            track = paginate(wl, p, info.width, info.height, language="en", duration=info.duration)
            ass = to_ass(track, p)
            (tmp / f"{name}.ass").write_text(ass, encoding="utf-8")
            cases[name] = (p, ass)
        os.symlink(fonts_dir(), tmp / "fonts")
        jobs = {"plain": lambda: ff(["-i", "src.mp4", *X264, "-c:a", "copy", "plain.mp4"], cwd=tmp)}
        for name, (p, ass) in cases.items():
            if "+emoji" not in name:
                jobs[f"vf_ass:{name}"] = (lambda n=name: ff(["-i", "src.mp4", "-vf", f"ass={n}.ass:fontsdir=fonts:shaping=complex",
                                                             *X264, "-c:a", "copy", "vf.mp4"], cwd=tmp))
            jobs[f"ours:{name}"] = (lambda ass=ass: burn(src, ass, tmp / "ours.mp4", info, EncodeOptions()))
        times: dict[str, list[float]] = {k: [] for k in jobs}
        for r in range(a.runs):
            for k, fn in jobs.items():
                times[k].append(timed(fn))
                print(f"run {r + 1}/{a.runs} {k:28s} {times[k][-1]:6.2f} s", file=sys.stderr)
        med = {k: statistics.median(v) for k, v in times.items()}
        frames = round(info.duration * info.fps)
        rows = []
        for k in jobs:
            tier = cases[k.split(":")[1]][0].tier if ":" in k else "-"
            rows.append({"job": k, "tier": tier, "median_s": round(med[k], 3), "fps": round(frames / med[k], 1),
                         "vs_plain": round(med[k] / med["plain"], 3), "runs_s": [round(x, 3) for x in times[k]]})
        rss_src = tmp / "src60.mp4"
        make_source(rss_src, a.rss_seconds)
        rss = {name: round(rss_child(rss_src, name, a.rss_seconds), 1) for name in ("karaoke", "pop-in")}
    result = {
        "date": time.strftime("%Y-%m-%d %H:%M"), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
        "ffmpeg": ffmpeg_exe(), "source": f"{a.seconds} s 1080x1920 30 fps testsrc2 + AAC", "encoder": " ".join(X264),
        "runs": a.runs, "rows": rows, "peak_rss_mb_60s": rss,
        "goals": {"karaoke/basic vs plain": 1.10, "dynamic vs plain": 1.25, "peak_rss_mb": 1536},
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"{'job':28s} {'tier':8s} {'median s':>9s} {'fps':>7s} {'× plain':>8s}")
    for r in rows:
        print(f"{r['job']:28s} {r['tier']:8s} {r['median_s']:9.2f} {r['fps']:7.1f} {r['vs_plain']:8.3f}")
    print(f"peak RSS of the ffmpeg child, {a.rss_seconds} s 1080x1920: " + ", ".join(f"{k} {v} MB" for k, v in rss.items()))


if __name__ == "__main__":
    main()
