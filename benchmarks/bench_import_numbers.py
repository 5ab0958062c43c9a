"""Prices in an imported caption file (`captioner caption VIDEO --captions FILE`): judged against the voice.

For every ad of a set, two caption files are written from its script (one SRT cue per sentence, spread over the
voice): **as scripted** (a changed price is then wrong in the file: the judge must say so, never let it through)
and **as said** (every changed price written as the voice says it: the judge must not raise an error on it). Each
file goes through the product's import check (`edit.check_imported`: alignment, the script-mismatch check, the
price judge with the acoustic witnesses alone, since no recogniser runs on an import) and every price, percentage
and code is scored like `bench_numbers.py` scores the captions of the full pipeline.

    python benchmarks/bench_import_numbers.py --data ../shared/data --out benchmarks/results/import_numbers_dev.json
    python benchmarks/bench_import_numbers.py --data ~/.cache/captioner/genads/seed2424 --limit 3 --music both
"""
from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_numbers import ads_of, judge_prices, truths  # noqa: E402
from captioner import numbers as num  # noqa: E402

_SENT = re.compile(r"(?<=[.!?।])\s+|(?<=[。！？])")


def _srt_time(t: float) -> str:
    ms = int(round(t * 1000))
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def write_srt(path: Path, text: str, start: float, end: float) -> None:
    """One cue per sentence, spread over [start, end] by length (the import aligns the words itself)."""
    parts = [p.strip() for p in _SENT.split(text.strip()) if p.strip()]
    total = sum(len(p) for p in parts) or 1
    t, cues = start, []
    for k, p in enumerate(parts, 1):
        d = (end - start) * len(p) / total
        cues.append(f"{k}\n{_srt_time(t)} --> {_srt_time(t + d)}\n{p}\n")
        t += d
    path.write_text("\n".join(cues), encoding="utf-8")


def as_said(meta: dict, script: str, language: str) -> tuple[str, dict]:
    """The script with every changed claim written as the voice says it, and a meta in which none deviates."""
    meta = copy.deepcopy(meta)
    text = script
    for t in truths(meta, language):
        if not t["deviates"] or t["said"] is None:
            continue
        a = t["amount"]
        said = num.to_written(num.Amount(a.kind, t["said"], a.currency, a.prefix, a.date), language, like=t["written"])
        text = text.replace(t["written"], said, 1)
        for key in ("prices", "percentages", "promo_codes", "numbers"):
            for p in meta.get(key, []):
                if p.get("written") == t["written"] and p.get("deviates"):
                    p["written"], p["deviates"] = said, False
    return text, meta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--languages", default="en,de,fr,es,hi,zh")
    ap.add_argument("--limit", type=int, default=100, help="ads per language and sub-set")
    ap.add_argument("--music", default="both", choices=("both", "clean", "music"))
    ap.add_argument("--out", default="benchmarks/results/import_numbers.json")
    a = ap.parse_args()

    from captioner.edit import check_imported, import_words, read_captions
    from captioner.media import load_audio

    counts: dict[str, dict[str, int]] = {"as_scripted": {}, "as_said": {}}
    per_ad = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for sub, folder, m in ads_of(Path(a.data).expanduser(), set(a.languages.split(",")), a.limit, a.music):
            L = m["language"]
            meta = json.loads((folder / m["meta"]).read_text(encoding="utf-8"))
            script = (folder / m["script"]).read_text(encoding="utf-8")
            audio = load_audio(folder / m["audio"])
            s0, s1 = 0.3, len(audio) / 16000 - 0.3
            said_text, said_meta = as_said(meta, script, L)
            row = {"id": m["id"], "language": L}
            for which, text, mt in (("as_scripted", script, meta), ("as_said", said_text, said_meta)):
                if which == "as_said" and text == script:
                    continue  # nothing changed in this ad: the same file as above
                srt = Path(tmp) / f"{m['id']}.{which}.srt"
                write_srt(srt, text, s0, s1)
                words, _ = import_words(read_captions(srt, L), L)
                t = time.perf_counter()
                words, findings = check_imported(audio, words, L, srt.name)
                prices = judge_prices(mt, words, findings, L)
                for p in prices:
                    key = ("changed:" if p["deviates"] else "honest:") + p["outcome"]
                    counts[which][key] = counts[which].get(key, 0) + 1
                row[which] = {"seconds": round(time.perf_counter() - t, 2), "prices": prices}
                print(f"  {m['id']:16s} {which:11s} " + "  ".join(f"{p['written']}→{p['outcome']}" for p in prices),
                      file=sys.stderr, flush=True)
            per_ad.append(row)
    print("\noutcomes per price, percentage and code (honest: the file's value is what the voice says):")
    for which, c in counts.items():
        print(f"  {which}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "data": a.data, "limit": a.limit, "music": a.music,
                               "seconds": round(time.perf_counter() - t0), "counts": counts, "per_ad": per_ad},
                              ensure_ascii=False, indent=1, default=str))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
