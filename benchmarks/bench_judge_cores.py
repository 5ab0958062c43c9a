"""The price judge on shared cores: its time on one ad alone and with other judges running at once, shipped layout
against the layout before it (anchor) in the same run.

Layouts:
  before   the judge's numpy (OpenBLAS) at numpy's own thread count (all cores), its audio and silence scorings one
           after the other, the process unaware of the others (what 2026-12-01's code did)
  shipped  `verify._score_pair`: one BLAS thread per scoring, the two scorings side by side where the process has two
           cores or more (`cpu.share`)
  worker   shipped, in processes told their share of the cores (`cpu.set_share(cores // procs)`), as `captioner
           batch` pool workers and `captioner serve --workers N` processes are

Each run starts `--procs` fresh processes at once on the same ad (recogniser output from bench_hint's cache; the
models are loaded and the phone emissions computed before the clock starts) and prints each process's judge time.

  python benchmarks/bench_judge_cores.py --ad ~/.cache/captioner/genads/seed1717/ads/g1717-hi-04 [--procs 1,2] [--out F]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def one(ad: Path, layout: str, procs: int) -> None:
    """In a child process: recognise (cached), correct, load the models, then time `verify_numbers`."""
    os.environ.setdefault("CAPTIONER_BENCH_CACHE", str(Path("~/.cache/captioner/bench-asr").expanduser()))
    from bench_hint import recognise_cached

    from captioner import cpu, verify
    from captioner.asr.whisper import load_judge_model
    from captioner.hint import correct
    from captioner.media import load_audio
    from captioner.phones import load as load_phones
    from captioner.pipeline import hotwords

    if layout == "worker":
        cpu.set_share(cpu.share_of(procs))
    if layout == "before":
        def sequential(wa, wb, start, seqs):
            return wa.score(start, seqs), wb.score(start, seqs)

        verify._score_pair = sequential
        import contextlib

        cpu.blas = lambda n: contextlib.nullcontext()
    meta = json.loads((ad / "meta.json").read_text())
    L, script = meta["language"], (ad / "script.txt").read_text(encoding="utf-8")
    P, R, pre, _ = recognise_cached(ad / "audio.flac", L, script)
    audio = load_audio(ad / "audio.flac")
    words, fixes = correct(P, script, L, on_mismatch="flag", terms=hotwords(script), reference=R)
    load_judge_model()
    load_phones().emissions(audio)
    t = time.perf_counter()
    _, findings = verify.verify_numbers(audio, words, list(pre) + fixes, L, reference=R)
    dt = time.perf_counter() - t
    verdicts = sorted(f"{f.kind}:{f.script_text}" for f in findings if f.kind in (
        "claim_verified", "price_mismatch", "number_disputed", "number_mismatch", "unverified_claim"))
    print(json.dumps({"seconds": round(dt, 2), "verdicts": verdicts}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ad", required=True)
    ap.add_argument("--procs", default="1,2")
    ap.add_argument("--layouts", default="before,shipped,worker")
    ap.add_argument("--out")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        one(Path(a.ad).expanduser(), a.child[0], int(a.child[1]))
        return
    rows = []
    for n in [int(x) for x in a.procs.split(",")]:
        for layout in a.layouts.split(","):
            if layout == "worker" and n == 1:
                continue  # one worker's share is the whole machine: the shipped layout
            ps = [subprocess.Popen([sys.executable, __file__, "--ad", a.ad, "--child", layout, str(n)],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for _ in range(n)]
            outs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in ps]
            secs = [o["seconds"] for o in outs]
            rows.append({"procs": n, "layout": layout, "seconds": secs, "verdicts": outs[0]["verdicts"]})
            print(f"{n} process(es) at once, {layout:8}: judge {', '.join(f'{s:.1f}' for s in secs)} s"
                  f"   {outs[0]['verdicts']}", flush=True)
    same = len({json.dumps(r["verdicts"]) for r in rows}) == 1
    print("verdicts the same in every layout:", same)
    if a.out:
        Path(a.out).write_text(json.dumps({"ad": a.ad, "cores": os.cpu_count(), "rows": rows, "same_verdicts": same},
                                          indent=1))


if __name__ == "__main__":
    main()
