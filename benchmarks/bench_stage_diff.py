"""Which full ads' captions change when one function of `captioner.pipeline` is taken from another revision.

The alignment stage (`pipeline.align_stage`) runs twice per ad on the same corrected words — once with the function as
it is now, once with its source from `--rev` — using cached recogniser passes (`bench_hint.recognise_cached`, the cache
`bench_numbers` fills), so only that function's effect is compared. Used to measure the harm of a cut-down rule on full
ads, where it should change nothing (docs/BENCHMARKS.md, "Cut-downs III").

Usage: python benchmarks/bench_stage_diff.py --rev a6b2c99 --function drop_unspoken_runs ../shared/data /tmp/g3141
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("CAPTIONER_BENCH_CACHE", os.path.expanduser("~/.cache/captioner/bench-asr"))

from bench_hint import recognise_cached  # noqa: E402
from bench_numbers import ads_of  # noqa: E402

from captioner import pipeline  # noqa: E402
from captioner.media import load_audio  # noqa: E402


def old_function(rev: str, name: str):
    src = subprocess.run(["git", "-C", str(HERE.parent), "show", f"{rev}:captioner/pipeline.py"], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(rf"^def {name}\(.*?(?=^def |^class |^# |\Z)", src, re.S | re.M)
    if m is None:
        raise SystemExit(f"{name} not found in captioner/pipeline.py at {rev}")
    ns = dict(vars(pipeline))
    exec(m.group(0), ns)
    return ns[name]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rev", required=True)
    ap.add_argument("--function", required=True, help="a top-level function of captioner/pipeline.py")
    ap.add_argument("data", nargs="+", help="folders holding ads/ (and ads-music/)")
    a = ap.parse_args()
    old, new = old_function(a.rev, a.function), getattr(pipeline, a.function)
    for root in a.data:
        n = diff = 0
        for sub, folder, m in ads_of(Path(root), {"en", "de", "fr", "es", "hi", "zh"}, 100, "both"):
            L = m["language"]
            script = (folder / m["script"]).read_text(encoding="utf-8")
            P, R, F, _ = recognise_cached(folder / m["audio"], L, script)
            audio = load_audio(folder / m["audio"])
            words, findings = pipeline.correct_stage(audio, P, R, script, L, list(F))
            if not words:
                continue
            out = {}
            for tag, fn in (("old", old), ("new", new)):
                setattr(pipeline, a.function, fn)
                w2, _ = pipeline.align_stage(audio, list(words), list(findings), L, speech_s=P.speech_duration, reference=R)
                out[tag] = [(w.text, round(w.start, 2), round(w.end, 2)) for w in w2]
            setattr(pipeline, a.function, new)
            n += 1
            if out["old"] != out["new"]:
                diff += 1
                print("DIFF", sub, m["id"], "\n  old", out["old"], "\n  new", out["new"], flush=True)
        print(f"{root}: {n} ads, captions differ on {diff}", flush=True)


if __name__ == "__main__":
    main()
