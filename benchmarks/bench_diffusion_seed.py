"""Script-seeded vs random canvas on a tiny diffusion ASR model that really hears, on held-apart clips.

Data (generated, never the DEV set): short English ad lines "<Brand> <product>, <lead> $<price>." voiced with
espeak-ng (seeded). Training clips draw brand, product, lead and price from the grammar; 30 % carry an ad-lib
("trust me", "no way", …) that their script lacks, 20 % a script whose price differs from the voice.
Held-apart clips are lines never voiced in training (brand, product, lead and price combined anew; every
price value was voiced in other lines), in four conditions:
  match    — the script is what is said;
  price    — the script's price differs from the spoken one (how often does the output carry the spoken price,
             how often the script's?);
  adlib    — the voice adds an ad-lib the script lacks (does it appear?);
  newprice — as match, but the price value itself was never voiced in training (its number words were).

Model: the recipe of examples/diffusion_hears.py — a frozen random tiny DiffusionGemma (real architecture),
the shipped Whisper-base encoder (frozen, real speech features), a trained projector (×8) + LoRA, denoising
loss + CTC on the projector (0.3, `captioner train`'s default; exploratory runs before this one, whose results
were not kept, found the toy memorising its training lines without it). Two adapters are trained on the same clips: the published noise only (t ~ U(0,1)), and the same plus
script-seeded canvases (`TrainConfig.seeded_p`). Each is decoded through the public `DiffusionBackend` from
random and script-seeded canvases at several step counts (clip k with decode seed k mod --decode-seeds); a
re-noise × keep-confirmed sweep picks the setting on the tuning set (--tune-seed); the report set (--seed) is
generated fresh and not tuned on. Measured 2026-11-29 (defaults, --threads 1, ≈ 15–20 min on the shared 2-core
machine): see docs/BENCHMARKS.md.

    python benchmarks/bench_diffusion_seed.py [--seed 6] [--tune-seed 5] [--train 160] [--test 20]
        [--train-steps 1500] [--threads 1]

Needs espeak-ng on PATH (apt-get install espeak-ng; benchmark-only). Writes benchmarks/results/diffusion_seed.json.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from captioner import numbers as num  # noqa: E402

BRANDS = ["Velmora", "Quintro", "Brisalo", "Tavona", "Caldora", "Miravio"]
PRODUCTS = ["serum", "blender", "headphones", "candle", "backpack", "lamp"]
LEADS = ["now only", "just", "today for", "on sale for"]
ADLIBS = ["trust me", "no way", "seriously", "oh wow"]
# price values held apart: never voiced in training; every word of theirs occurs in other training prices
HELD_PRICES = [23, 37, 46, 58, 64, 72, 81, 95]
TRAIN_PRICES = [p for p in range(11, 100) if p not in HELD_PRICES and p % 10 != 0] + [20, 30, 40, 50, 60, 70, 80, 90]
VOICE, RATE = "en-us", 165
CONDITIONS = ("match", "price", "adlib", "newprice")
CACHE = Path(tempfile.gettempdir()) / "captioner-bench-diffusion-seed"


@dataclass
class Clip:
    script: str  # as the marketer wrote it
    spoken: str  # what the voice says (lower case, numbers in words): the target
    condition: str = "train"
    price_spoken: str = ""
    price_script: str = ""
    adlib: str = ""
    core: str = ""  # the line without its ad-lib: what makes two clips "the same line"
    audio: np.ndarray = field(default=None, repr=False)


def words(price: int) -> str:
    return num.verbalize(f"${price}", "en")


def make_clip(rng: random.Random, prices: list[int], condition: str, script_prices: list[int]) -> Clip:
    b, p, lead = rng.choice(BRANDS), rng.choice(PRODUCTS), rng.choice(LEADS)
    price = rng.choice(prices)
    script_price = price
    if condition == "price":
        script_price = rng.choice([x for x in script_prices if x != price])
    parts = [b.lower(), p, *lead.split(), *words(price).split()]
    adlib = ""
    if condition == "adlib":
        adlib = rng.choice(ADLIBS)
        at = rng.choice([0, 2, len(parts)])  # before, after the product, at the end
        parts[at:at] = adlib.split()
    script = f"{b} {p}, {lead} ${script_price}."
    core = " ".join([b.lower(), p, *lead.split(), *words(price).split()])
    return Clip(script, " ".join(parts), condition, words(price), words(script_price), adlib, core)


def synth(text: str) -> np.ndarray:
    """espeak-ng → 16 kHz mono float32, cached by text."""
    from captioner.media import load_audio

    CACHE.mkdir(parents=True, exist_ok=True)
    wav = CACHE / (hashlib.sha1(f"{VOICE}|{RATE}|{text}".encode()).hexdigest()[:16] + ".wav")
    if not wav.is_file():
        subprocess.run(["espeak-ng", "-v", VOICE, "-s", str(RATE), "-w", str(wav), text], check=True,
                       capture_output=True)
    return load_audio(wav)


def corpus(seed: int, n_train: int, n_test: int, seen: set | None = None) -> tuple[list[Clip], list[Clip]]:
    """Training clips, then held-apart test clips: n_test per condition, none of whose (brand, product, lead,
    price) lines was voiced in training; 'newprice' clips also use price values never voiced in training."""
    rng = random.Random(seed)
    train = []
    for _ in range(n_train):
        u = rng.random()
        cond = "adlib" if u < 0.3 else "price" if u < 0.5 else "match"
        c = make_clip(rng, TRAIN_PRICES, cond, TRAIN_PRICES)
        c.condition = "train"
        train.append(c)
    seen = set(seen or ()) | {c.core for c in train}
    test = []
    for cond in CONDITIONS:
        n = 0
        while n < n_test:
            c = make_clip(rng, HELD_PRICES if cond == "newprice" else TRAIN_PRICES, "match" if cond == "newprice" else cond,
                          TRAIN_PRICES)
            if c.core in seen:
                continue
            c.condition = cond
            seen.add(c.core)
            test.append(c)
            n += 1
    return train, test


def word_accuracy(ref: str, hyp: str) -> float:
    """Share of the reference words found, in order, in the hypothesis (1 − deletions − substitutions)."""
    import difflib

    sm = difflib.SequenceMatcher(None, ref.split(), hyp.split(), autojunk=False)
    return sum(b.size for b in sm.get_matching_blocks()) / max(1, len(ref.split()))


class CachedEncoder:
    """Wraps the frozen encoder: each clip's features are computed once (kept on disk across runs, float16)."""

    def __init__(self, enc):
        self.enc, self.memo = enc, {}
        self.dim, self.frames, self.n_mels = enc.dim, enc.frames, enc.n_mels
        self.folder = CACHE / "features"
        self.folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, chunks):
        import torch

        keys = [hashlib.sha1(np.ascontiguousarray(c).tobytes()).hexdigest()[:20] for c in chunks]
        for k in keys:
            if k not in self.memo and (self.folder / f"{k}.npy").is_file():
                self.memo[k] = torch.from_numpy(np.load(self.folder / f"{k}.npy"))
        todo = [(k, c) for k, c in zip(keys, chunks) if k not in self.memo]
        for i in range(0, len(todo), 8):
            part = todo[i : i + 8]
            out = self.enc([c for _, c in part])
            for (k, _), f in zip(part, out):
                self.memo[k] = f.half()
                np.save(self.folder / f"{k}.npy", self.memo[k].numpy())
        return torch.stack([self.memo[k].float() for k in keys])


def ends(text: str, tail: str) -> bool:
    return f" {text}".endswith(f" {tail}")


def evaluate(backend, test: list[Clip], mode: str, steps: int, renoise: float, confirm: bool = True, seeds: int = 4) -> dict:
    """Decode every clip (clip k with decode seed k mod `seeds`: the seed also draws which script positions
    are re-noised, and one seed for all clips would give every clip the same pattern — on a 16-token canvas
    with seed 0, renoise 0.3 and 0.5 even re-draw the same 6 positions) and score each condition."""
    from captioner.asr import ASROptions

    backend.canvas_seed, backend.steps, backend.renoise, backend.keep_confirmed = mode, steps, renoise, confirm
    t0 = time.perf_counter()
    outs = backend.transcribe_many([c.audio for c in test], [ASROptions(language="en", script=c.script, seed=k % seeds) for k, c in enumerate(test)])
    dt = time.perf_counter() - t0
    res = {"decode_s": round(dt, 3)}
    for cond in CONDITIONS:
        rows = [(c, o.text) for c, o in zip(test, outs) if c.condition == cond]
        if not rows:
            continue
        r = {"n": len(rows), "exact": sum(t == c.spoken for c, t in rows),
             "word_acc": round(sum(word_accuracy(c.spoken, t) for c, t in rows) / len(rows), 3)}
        if cond in ("price", "newprice"):
            r["spoken_price"] = sum(ends(t, c.price_spoken) for c, t in rows)
        if cond == "price":
            r["script_price"] = sum(ends(t, c.price_script) for c, t in rows)
        if cond == "adlib":
            r["adlib_heard"] = sum(f" {c.adlib} " in f" {t} " for c, t in rows)
        res[cond] = r
    res["examples"] = [{"condition": c.condition, "script": c.script, "spoken": c.spoken, "decoded": o.text}
                       for c, o in list(zip(test, outs))[:: max(1, len(test) // 9)]]
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=6, help="held-apart report set (not tuned on)")
    ap.add_argument("--tune-seed", type=int, default=5, help="training clips + the tuning set")
    ap.add_argument("--train", type=int, default=160)
    ap.add_argument("--test", type=int, default=20, help="held-apart clips per condition")
    ap.add_argument("--train-steps", type=int, default=1500)
    ap.add_argument("--steps", default="1,2,4,8,16")
    ap.add_argument("--renoise", default="0.1,0.3,0.5")
    ap.add_argument("--seeded-p", type=float, default=0.5)
    ap.add_argument("--w-ctc", type=float, default=0.3)
    ap.add_argument("--subsample", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--decode-seeds", type=int, default=4, help="clip k decodes with seed k mod this")
    ap.add_argument("--only", choices=["both", "plain", "seeded"], default="both")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "diffusion_seed.json"))
    a = ap.parse_args(argv)
    if not shutil.which("espeak-ng"):
        sys.exit("espeak-ng is not on PATH: apt-get install espeak-ng")
    import torch

    from captioner.asr.diffusion import DiffusionBackend
    from captioner.asr.diffusion_toy import build_tiny_backbone
    from captioner.asr.diffusion_train import Example, TrainConfig, new_adapter, train

    torch.set_num_threads(a.threads)
    train_clips, tune = corpus(a.tune_seed, a.train, a.test)
    _, report = corpus(a.seed, 0, a.test, seen={c.core for c in train_clips + tune})
    t0 = time.perf_counter()
    for c in train_clips + tune + report:
        c.audio = synth(c.spoken)
    print(f"synthesized {len(train_clips) + len(tune) + len(report)} clips in {time.perf_counter() - t0:.0f} s", flush=True)
    steps = [int(x) for x in a.steps.split(",")]
    renoises = [float(x) for x in a.renoise.split(",")]
    result = {"args": vars(a), "date": time.strftime("%Y-%m-%d %H:%M"), "runs": {}}
    texts = [c.spoken for c in train_clips + tune + report] + ["dollars"]
    runs = {"plain": 0.0, "seeded": a.seeded_p}
    if a.only != "both":
        runs = {a.only: runs[a.only]}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        build_tiny_backbone(tmp / "model", texts, seed=0, hidden=a.hidden, layers=a.layers)
        shared_encoder = None
        for name, seeded_p in runs.items():
            asr = new_adapter(tmp / "model", None, encoder_type="whisper-ct2", subsample=a.subsample,
                              projector_hidden=256, languages=["en"], device="cpu", seed=0)
            if shared_encoder is None:
                shared_encoder = CachedEncoder(asr.encoder)
                t1 = time.perf_counter()
                everything = train_clips + tune + report
                for i in range(0, len(everything), 16):
                    shared_encoder([c.audio for c in everything[i : i + 16]])
                print(f"encoder features of {len(everything)} clips ready in {time.perf_counter() - t1:.0f} s", flush=True)
            asr.encoder = shared_encoder
            examples = [Example(c.audio, c.spoken, "en", c.script) for c in train_clips]
            cfg = TrainConfig(steps=a.train_steps, eval_every=0, log_every=100, w_ar=0.0, w_ctc=a.w_ctc, batch_size=8,
                              seeded_p=seeded_p, seed=0)
            res = train(asr, examples, tmp / f"adapter-{name}", cfg, log=lambda s: print(name, s, flush=True))
            backend = DiffusionBackend(tmp / "model", tmp / f"adapter-{name}", None, device="cpu", canvas=16)
            backend.model.encoder = shared_encoder
            run = {"train_seconds": round(res.seconds, 1), "train_steps": res.steps, "train_exact": res.exact,
                   "train_total": res.total, "seeded_p": seeded_p, "tune": {}, "report": {}}
            # tuning set: re-noise fraction × keeping confirmed seed tokens, at the seeded default of 4 passes
            sweep = {}
            for r in renoises:
                for confirm in (True, False):
                    ev = evaluate(backend, tune, "script", 4, r, confirm, a.decode_seeds)
                    sweep[(r, confirm)] = ev
                    print(name, "tune renoise", r, "confirm", confirm, {k: ev[k] for k in CONDITIONS}, flush=True)
            score = lambda k: (sum(sweep[k][c]["exact"] for c in CONDITIONS), sum(sweep[k][c]["word_acc"] for c in CONDITIONS))
            best = max(sweep, key=score)
            run["tune"] = {"sweep": [{"renoise": r, "keep_confirmed": cf, **{c: sweep[(r, cf)][c] for c in CONDITIONS}}
                                     for (r, cf) in sweep],
                           "best_renoise": best[0], "best_keep_confirmed": best[1]}
            for mode in ("random", "script"):
                for st in steps:
                    ev = evaluate(backend, report, mode, st, best[0], best[1], a.decode_seeds)
                    run["report"][f"{mode}-{st}"] = ev
                    print(name, "report", mode, st, {k: ev[k] for k in (*CONDITIONS, "decode_s")}, flush=True)
            result["runs"][name] = run
            Path(a.out).parent.mkdir(parents=True, exist_ok=True)
            Path(a.out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print_tables(result)
    return 0


def print_tables(result: dict) -> None:
    for name, run in result["runs"].items():
        t = run["tune"]
        print(f"\n### adapter trained {'with' if run['seeded_p'] else 'without'} script-seeded canvases "
              f"(seeded_p={run['seeded_p']}, {run['train_steps']} steps, {run['train_seconds']:.0f} s; chosen on the "
              f"tuning set: renoise {t['best_renoise']}, keep confirmed {t['best_keep_confirmed']})")
        print("| canvas | steps | match: exact | word acc. | price: exact | spoken price | script price | ad-lib: exact | "
              "ad-lib heard | new price values: exact | spoken price | decode (s) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for key, ev in run["report"].items():
            mode, s = key.rsplit("-", 1)
            m, p, d, q = ev["match"], ev["price"], ev["adlib"], ev["newprice"]
            print(f"| {mode} | {s} | {m['exact']}/{m['n']} | {m['word_acc']:.2f} | {p['exact']}/{p['n']} | "
                  f"{p['spoken_price']}/{p['n']} | {p['script_price']}/{p['n']} | {d['exact']}/{d['n']} | "
                  f"{d['adlib_heard']}/{d['n']} | {q['exact']}/{q['n']} | {q['spoken_price']}/{q['n']} | {ev['decode_s']:.2f} |")


if __name__ == "__main__":
    raise SystemExit(main())
