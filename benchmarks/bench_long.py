"""Long ad end to end: a 3-minute-plus 1080×1920 ad with a 450-word script, captioned by the CLI, against a plain
re-encode of the same video measured in the same run — wall time and peak memory (RSS summed over the process
tree, sampled every 50 ms from /proc).

The ad is generated, not taken from DEV: a seeded script of invented brands, prices and claims (no sentence
repeats), voiced by espeak-ng (`apt-get install espeak-ng`; en-us, 150 wpm, 0.35 s between sentences), over a
moving test pattern (1080×1920, 30 fps); seed 14 gives 457 words and 210.8 s. Usage:

    .venv/bin/python benchmarks/bench_long.py --runs 3 [--seed 14] [--words 450]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import ffmpeg, save, table  # noqa: E402

BRANDS = ["Lumewell", "Brewvana", "Zentrik", "Snoozle", "Glimmora", "Trekzo", "Vantory", "Quillo", "Moxera", "Pelliq",
          "Nordune", "Crispa", "Halvoro", "Ossena", "Tavrin", "Juvia", "Kelvo", "Ardeno", "Florix", "Bemmo"]
PRODUCTS = ["serum", "cold brew pods", "earbuds", "sleep spray", "lip oil", "hiking boots", "desk lamp", "notebook",
            "protein bars", "phone case", "rain jacket", "water bottle", "face mask", "yoga mat", "backpack",
            "sunscreen", "coffee grinder", "running socks", "night cream", "travel pillow"]
OPENERS = ["Tired of {pain}?", "Still putting up with {pain}?", "Say goodbye to {pain}.", "Nobody likes {pain}."]
PAINS = ["dull skin", "bitter coffee", "tangled cables", "restless nights", "dry lips", "sore feet", "a messy desk",
         "flat batteries", "soggy snacks", "cold mornings", "slow mornings", "lost keys"]
CLAIMS = ["The {brand} {product} is made to last and feels great from the very first day.",
          "Thousands of happy customers switched to {brand} this year, and they never looked back.",
          "Our {product} uses recycled materials and ships in plastic free packaging.",
          "Every {brand} {product} comes with a thirty day money back guarantee.",
          "Designed by a small team who wanted something better for their own families.",
          "It fits in your bag, works anywhere, and takes less than a minute to set up.",
          "Reviewers call the {brand} {product} the best thing they bought all year."]
OFFERS = ["Right now it is only ${price}, down from ${old}.", "Get yours today for just ${price}.",
          "Use code {code} for {pct}% off your first order.", "Order before Sunday and shipping is free.",
          "Tap the link below to grab yours while stocks last."]


def make_script(seed: int, n_words: int) -> str:
    """A long ad script: product spots of 4–6 sentences, different brands and numbers, no sentence repeated."""
    rng = random.Random(seed)
    sentences: list[str] = []
    seen: set[str] = set()
    while sum(len(s.split()) for s in sentences) < n_words:
        brand, product = rng.choice(BRANDS), rng.choice(PRODUCTS)
        price = rng.randint(9, 149)
        spot = [rng.choice(OPENERS).format(pain=rng.choice(PAINS)),
                f"Meet {brand}, the {product} you did not know you needed."]
        spot += [c.format(brand=brand, product=product) for c in rng.sample(CLAIMS, 2)]
        spot += [o.format(price=price, old=price + rng.choice([10, 20, 30]), code=brand.upper()[:5] + str(rng.randint(10, 40)),
                          pct=rng.choice([10, 15, 20, 25])) for o in rng.sample(OFFERS, 2)]
        for s in spot:
            if s not in seen:
                seen.add(s)
                sentences.append(s)
    return " ".join(sentences)


def voice(script: str, wav: Path, tmp: Path) -> None:
    """espeak-ng, one sentence at a time, joined with 0.35 s pauses (16 kHz mono)."""
    import re

    espeak = shutil.which("espeak-ng")
    if not espeak:
        sys.exit("bench_long.py needs espeak-ng (apt-get install espeak-ng)")
    parts = []
    for i, s in enumerate(re.split(r"(?<=[.!?])\s+", script)):
        p = tmp / f"s{i:03d}.wav"
        subprocess.run([espeak, "-v", "en-us", "-s", "150", "-w", str(p), s], check=True)
        parts.append(p)
    lst = tmp / "list.txt"
    gap = tmp / "gap.wav"
    ffmpeg("-f", "lavfi", "-i", "anullsrc=r=22050:cl=mono", "-t", "0.35", str(gap))
    lst.write_text("".join(f"file '{p}'\nfile '{gap}'\n" for p in parts))
    ffmpeg("-f", "concat", "-safe", "0", "-i", str(lst), "-ar", "16000", "-ac", "1", str(wav))


def tree_rss(pid: int) -> int:
    """RSS in bytes of `pid` and all its descendants (from /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo += [int(x) for x in f.read().split()]
        except (OSError, ValueError):
            continue
    return total


def measure(cmd: list[str]) -> tuple[float, int]:
    """(wall seconds, peak tree RSS in bytes) of a command."""
    peak = [0]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(proc.pid))
            done.wait(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - t
    done.set()
    th.join()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed: {err.decode(errors='replace')[-2000:]}")
    return wall, peak[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--words", type=int, default=450)
    ap.add_argument("--keep", type=Path, help="keep the generated ad and the outputs in this folder")
    a = ap.parse_args()
    from captioner.media import ffmpeg_exe, probe

    tmp = Path(tempfile.mkdtemp(prefix="bench-long-"))
    try:
        script = make_script(a.seed, a.words)
        (tmp / "script.txt").write_text(script + "\n")
        wav = tmp / "voice.wav"
        voice(script, wav, tmp)
        src = tmp / "ad.mp4"
        ffmpeg("-f", "lavfi", "-i", "testsrc2=size=1080x1920:rate=30", "-i", str(wav), "-shortest", "-c:v", "libx264",
               "-preset", "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", str(src))
        info = probe(src)
        n_words = len(script.split())
        print(f"ad: {info.duration:.1f} s, {info.width}×{info.height}, script {n_words} words (seed {a.seed})", flush=True)
        plain_cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(src), "-c:v", "libx264",
                     "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-c:a", "copy", "-movflags", "+faststart",
                     str(tmp / "plain.mp4")]
        cap_cmd = [sys.executable, "-m", "captioner", "caption", str(src), "--script", str(tmp / "script.txt"),
                   "--language", "en", "--out", str(tmp / "out" / "captioned.mp4"), "--quiet"]
        plain, cap = [], []
        for r in range(a.runs):  # interleaved, so both see the same machine load
            plain.append(measure(plain_cmd))
            shutil.rmtree(tmp / "out", ignore_errors=True)
            cap.append(measure(cap_cmd))
            print(f"run {r + 1}: plain {plain[-1][0]:.1f} s / {plain[-1][1] / 2**20:.0f} MB, "
                  f"caption {cap[-1][0]:.1f} s / {cap[-1][1] / 2**20:.0f} MB", flush=True)
        result = json.loads((tmp / "out" / "captioned.json").read_text())
        words = result["words"]
        findings = {}
        for f in result["findings"]:
            findings[f["kind"]] = findings.get(f["kind"], 0) + 1
        med = lambda xs, i: statistics.median(x[i] for x in xs)
        rows = [["plain re-encode (x264 veryfast, crf 20)", f"{med(plain, 0):.1f}", "1.00", f"{med(plain, 1) / 2**20:.0f}"],
                ["captioner caption (karaoke, whisper)", f"{med(cap, 0):.1f}", f"{med(cap, 0) / med(plain, 0):.2f}",
                 f"{max(x[1] for x in cap) / 2**20:.0f}"]]
        print(table(rows, ["", "wall s (median)", "× plain", "peak RSS MB (tree)"]))
        print(f"caption words {len(words)} of {n_words} script words; last word at {words[-1]['start']:.1f} s; "
              f"findings {findings}; stage timings {result['timings']}")
        save("long", {"seed": a.seed, "ad_seconds": info.duration, "size": [info.width, info.height],
                      "script_words": n_words, "caption_words": len(words), "runs": a.runs,
                      "plain": [{"wall_s": round(w, 2), "peak_rss_mb": round(m / 2**20)} for w, m in plain],
                      "caption": [{"wall_s": round(w, 2), "peak_rss_mb": round(m / 2**20)} for w, m in cap],
                      "ratio_median": round(med(cap, 0) / med(plain, 0), 2), "findings": findings,
                      "timings_last_run": result["timings"], "load_average": os.getloadavg()})
        if a.keep:
            a.keep.mkdir(parents=True, exist_ok=True)
            for p in [src, tmp / "script.txt", *(tmp / "out").iterdir()]:
                shutil.copy(p, a.keep / p.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
