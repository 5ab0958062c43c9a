"""Where the phone model's first-token posterior sits against the true word onset, per voice (espeak vs Piper).

For every word the phone aligner times (hama's CTC model, the shipped G2P, the shipped Viterbi), four estimates of
the onset from the posterior of the word's first token around its first Viterbi frame: the first frame (what
``captioner.align`` uses), the posterior peak, the rising edge at half the peak, the posterior centroid. Prints,
per group (language, voice, clean/music), each estimator's median lag against the truth and the mean |error| left
with one lag fitted on all espeak words. Used to ask whether a better reading of the spike fixes the Piper voice's
early onsets (docs/BENCHMARKS.md, "Piper onsets"); nothing in the product is tuned by it.

    python benchmarks/bench_onset_lag.py --sets seed1301,seed1301-m --langs en
    python benchmarks/bench_onset_lag.py --sets seed101,seed101-m --limit 8
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_align import LANGS, load_set, spoken_tokens  # noqa: E402
from captioner import align as A  # noqa: E402
from captioner.media import load_audio  # noqa: E402
from captioner.phones import FRAME_S, load  # noqa: E402
from captioner.types import Word  # noqa: E402

W0, W1 = 6, 10  # posterior frames kept before / after the first Viterbi frame


def collect(sets: list[str], langs: list[str], limit: int) -> list[dict]:
    pm, popts, rows = load(), A.PhoneOptions(), []
    for name in sets:
        for d, m in load_set(name, langs, limit):
            lang = m["language"]
            audio = load_audio(d / m["audio"])
            gt = json.loads((d / m["words"]).read_text(encoding="utf-8"))["words"]
            spoken = (d / m["spoken"]).read_text(encoding="utf-8").strip()
            words = [Word(text=x, start=0, end=0) for x in spoken_tokens(spoken, gt, lang)]
            ids = A.phone_ids(pm, words, lang)
            lp = pm.emissions(audio)
            al = A._phone_alignment(pm, lp, ids, audio, words, lang, popts)
            lpp = np.pad(lp, ((W0, W1), (0, 0)), constant_values=-30.0)
            for i, sp in enumerate(al.words):
                if not ids[i] or sp.skipped or sp.score < popts.min_score:
                    continue
                win = lpp[sp.start: sp.start + W0 + W1]
                rows.append(dict(group=(lang, m.get("tts", "espeak"), "music" if name.endswith("-m") or name == "music" else "clean"),
                                 f0=sp.start, tok=np.exp(win[:, ids[i][0]]), truth=gt[i]["start"]))
            print(f"  {m['id']}", file=sys.stderr, flush=True)
    return rows


def estimates(r: dict) -> dict[str, float]:
    p, f0, c = r["tok"], r["f0"], W0
    pk = c - 1 + int(np.argmax(p[c - 1: c + 4]))
    h, j = 0.5 * p[pk], pk
    while j > 0 and p[j - 1] >= h:
        j -= 1
    edge = j - 1 + (h - p[j - 1]) / max(1e-9, p[j] - p[j - 1]) if j > 0 else float(j)
    lo, hi = c - 3, c + 6
    w = p[lo:hi]
    cen = float(np.sum(w * np.arange(lo, hi)) / max(1e-9, w.sum()))
    return {"first frame": f0 * FRAME_S, "peak": (f0 + pk - c) * FRAME_S, "edge at half peak": (f0 + edge - c) * FRAME_S,
            "centroid": (f0 + cen - c) * FRAME_S}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="seed101,seed101-m,seed1301,seed1301-m")
    ap.add_argument("--langs", default=",".join(LANGS))
    ap.add_argument("--limit", type=int, default=8, help="ads per language and set")
    a = ap.parse_args()
    rows = collect(a.sets.split(","), a.langs.split(","), a.limit)
    for r in rows:
        r["est"] = estimates(r)
    groups = sorted({r["group"] for r in rows})
    espeak = [r for r in rows if r["group"][1] == "espeak"] or rows
    print("estimator | lag fitted on espeak | per group: median lag ms / mean |error| ms with that lag")
    for name in rows[0]["est"]:
        lag = float(np.median([r["est"][name] - r["truth"] for r in espeak]))
        cells = []
        for g in groups:
            d = np.array([r["est"][name] - r["truth"] for r in rows if r["group"] == g])
            cells.append(f"{g[0]}/{g[1]}/{g[2]} {np.median(d) * 1000:.0f}/{np.mean(np.abs(d - lag)) * 1000:.1f}")
        print(f"{name:18} | {lag * 1000:5.0f} | " + "  ".join(cells))


if __name__ == "__main__":
    main()
