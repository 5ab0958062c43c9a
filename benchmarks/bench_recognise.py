"""The recogniser stage through the product's path, per ad: time and word errors of each pass and of the captions.

Per ad of a set laid out like ../shared/data (`ads/` + `ads-music/`, or a generated seed): `pipeline.recognise`
(prompted pass, language check, unprompted witness; nothing cached) then `pipeline.correct_stage` (correction +
price judge). Word errors are edit distances to `spoken.txt` (what the voice said; numbers as words, zh by
character: `genads_check.normalise`), for the prompted pass, the witness and the captions. One JSON line per ad.

To compare two versions of the code, run this file from the newer checkout with `--code` pointing at each
checkout in turn (the benchmark's own helpers come from this checkout, the captioner package from `--code`),
then `--compare BEFORE.jsonl AFTER.jsonl` prints the table of docs/BENCHMARKS.md ("Remnant windows"):

  git worktree add /tmp/before 2db7920
  python benchmarks/bench_recognise.py --code /tmp/before --data ../shared/data --out /tmp/before.jsonl
  python benchmarks/bench_recognise.py --data ../shared/data --out /tmp/after.jsonl
  python benchmarks/bench_recognise.py --compare /tmp/before.jsonl /tmp/after.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("en", "de", "fr", "es", "hi", "zh")


def run(a) -> None:
    code = str(Path(a.code).resolve()) if a.code else str(ROOT)
    sys.path.insert(0, code)
    import captioner

    if not captioner.__file__.startswith(code):
        raise SystemExit(f"captioner was imported from {captioner.__file__}, not {code}")
    from captioner.asr.whisper import load_model
    from captioner.media import load_audio
    from captioner.pipeline import correct_stage, recognise

    sys.path.insert(1, str(ROOT / "benchmarks"))
    from bench_numbers import ads_of
    from genads_check import edit_distance, normalise

    model = load_model()
    out = open(a.out, "w", encoding="utf-8")
    for _, folder, m in ads_of(Path(a.data).expanduser(), set(a.languages.split(",")), a.limit, a.music):
        L = m["language"]
        audio = load_audio(folder / m["audio"])
        script = (folder / m["script"]).read_text(encoding="utf-8")
        spoken = normalise((folder / m["spoken"]).read_text(encoding="utf-8"), L, True)
        model.encode.clear()  # every ad from scratch: no encoder window reused from the previous ad
        t = time.perf_counter()
        tr, ref, found = recognise(audio, script, L)
        dt = time.perf_counter() - t
        words, findings = correct_stage(audio, tr, ref, script, L, found)
        caption = " ".join(w.text for w in words)

        def err(text: str) -> int:
            return edit_distance(spoken, normalise(text, L, True))

        rec = {"id": m["id"], "language": L, "words": len(spoken), "asr_s": round(dt, 2), "err_prompted": err(tr.text),
               "err_witness": err(ref.text) if ref is not None and ref.words else None, "err_caption": err(caption),
               "prompted": tr.text, "caption": caption,
               "findings": sorted(f.kind.value for f in findings if f.severity.value != "info")}
        out.write(json.dumps(rec, ensure_ascii=False) + "\n")
        out.flush()
        print(f"{m['id']:16s} ASR {dt:5.2f} s  prompted errors {rec['err_prompted']:3d}  caption errors {rec['err_caption']:3d} "
              f"of {len(spoken)}", flush=True)


def compare(before: str, after: str) -> None:
    def load(p: str) -> dict:
        return {r["id"]: r for r in map(json.loads, open(p, encoding="utf-8"))}

    b, n = load(before), load(after)
    ids = [i for i in n if i in b]
    agg: dict[str, list] = defaultdict(lambda: [0, 0.0, 0.0, 0, 0, 0, 0])
    for i in ids:
        x = agg[n[i]["language"]]
        for k, v in enumerate((1, b[i]["asr_s"], n[i]["asr_s"], b[i]["err_prompted"], n[i]["err_prompted"],
                               b[i]["err_caption"], n[i]["err_caption"])):
            x[k] += v
    print(f"{len(ids)} ads, {sum(n[i]['words'] for i in ids)} spoken words\n")
    print("| lang | ads | ASR s before → after | prompted-pass word errors | caption word errors |")
    print("|---|---:|---|---|---|")
    tot = [0, 0.0, 0.0, 0, 0, 0, 0]
    for L in LANGS:
        x = agg.get(L)
        if not x:
            continue
        tot = [p + q for p, q in zip(tot, x)]
        print(f"| {L} | {x[0]} | {x[1]:.1f} → {x[2]:.1f} | {x[3]} → {x[4]} | {x[5]} → {x[6]} |")
    print(f"| all | {tot[0]} | **{tot[1]:.1f} → {tot[2]:.1f}** | {tot[3]} → {tot[4]} | {tot[5]} → {tot[6]} |\n")
    for i in ids:
        if b[i]["err_caption"] != n[i]["err_caption"] or (b[i]["findings"] is not None and b[i]["findings"] != n[i]["findings"]):
            print(f"  {i}: caption errors {b[i]['err_caption']} → {n[i]['err_caption']}; findings {b[i]['findings']} → {n[i]['findings']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--languages", default=",".join(LANGS))
    ap.add_argument("--limit", type=int, default=99, help="ads per language and folder (clean / music)")
    ap.add_argument("--music", choices=("both", "clean", "music"), default="both")
    ap.add_argument("--code", help="a checkout of captioner to measure (default: this one)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "recognise.jsonl"))
    ap.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    a = ap.parse_args()
    if a.compare:
        compare(*a.compare)
    else:
        run(a)


if __name__ == "__main__":
    main()
