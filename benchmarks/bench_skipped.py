"""A script line the voice skips: is it left out of the captions (reported), and is a line the voice says never
left out? (`pipeline.drop_unspoken_runs`, with `drop_unheard_tail` for the end.)

Runs the product's stage (`pipeline.transcribe_and_correct`: both recogniser passes, correction, the price judge,
phone alignment) on every ad of a set and reads the findings against the generator's labels:
  * skipped lines (`skipped_phrase` ads): `left out` — none of the sentence's words is drawn and a `script_unspoken`
    finding names it; `drawn, reported` — drawn, with a finding; `missed` — drawn, no finding;
  * false drops: a script word the voice says that is not in the captions because a `script_unspoken` finding
    "left out of the captions" took it (in any ad; in a skipped-line ad, any word outside the skipped sentence);
  * stacked words: caption words shorter than 20 ms (a word drawn for no time at all).

    python benchmarks/bench_skipped.py --data /tmp/g3133 [--languages hi,zh] [--limit 8] [--music both]
    python benchmarks/bench_skipped.py --data ../shared/data
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_numbers import ads_of  # noqa: E402
from common import save  # noqa: E402

LEFT_OUT = "left out of the captions"


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


def run_ad(folder: Path, m: dict) -> dict:
    from captioner.media import load_audio
    from captioner.pipeline import transcribe_and_correct

    L = m["language"]
    meta = json.loads((folder / m["meta"]).read_text(encoding="utf-8"))
    script = (folder / m["script"]).read_text(encoding="utf-8")
    audio = load_audio(folder / m["audio"])
    _, words, findings = transcribe_and_correct(audio, script, L)
    skips = [d for d in meta.get("deviations", []) if d["type"] == "script_unspoken"]
    drawn = _key("".join(w.text for w in words))
    out = {"id": m["id"], "condition": m.get("condition"), "skipped": [], "false_drops": [],
           "stacked": [w.text for w in words if w.end - w.start < 0.02]}
    left = [f for f in findings if f.kind == "script_unspoken" and LEFT_OUT in f.message]
    for d in skips:
        k = _key(d["script_text"])
        named = any(f.kind in ("script_unspoken", "script_skipped") and f.script_text and
                    (k in _key(f.script_text) or _key(f.script_text) in k) for f in findings)
        out["skipped"].append("left out" if k not in drawn and named else "drawn, reported" if named else "missed")
    for f in left:
        k = _key(f.script_text or "")
        if not any(k and (k in _key(d["script_text"]) or _key(d["script_text"]) in k) for d in skips):
            out["false_drops"].append(f.script_text)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="a folder holding ads/ (and ads-music/), e.g. a genads seed")
    ap.add_argument("--languages", default="en,de,fr,es,hi,zh")
    ap.add_argument("--limit", type=int, default=100, help="ads per language and condition folder")
    ap.add_argument("--music", default="both", choices=("both", "clean", "music"))
    ap.add_argument("--name", default=None, help="results/skipped_<name>.json (default: the data folder's name)")
    a = ap.parse_args()
    root = Path(a.data).expanduser().resolve()
    rows, t0 = [], time.time()
    for sub, folder, m in ads_of(root, set(a.languages.split(",")), a.limit, a.music):
        r = run_ad(folder, m)
        r["set"] = sub
        rows.append(r)
        if r["skipped"] or r["false_drops"] or r["stacked"]:
            print(f"  {sub}/{m['id']}: skipped {r['skipped']} false drops {r['false_drops']} stacked {r['stacked']}",
                  flush=True)
    by_lang: dict[str, dict] = {}
    for r in rows:
        L = next(x for x in r["id"].split("-") if x in ("en", "de", "fr", "es", "hi", "zh"))
        b = by_lang.setdefault(L, {"ads": 0, "skipped": 0, "left_out": 0, "drawn_reported": 0, "missed": 0,
                                   "false_drops": 0, "ads_with_stacked_words": 0})
        b["ads"] += 1
        b["skipped"] += len(r["skipped"])
        b["left_out"] += r["skipped"].count("left out")
        b["drawn_reported"] += r["skipped"].count("drawn, reported")
        b["missed"] += r["skipped"].count("missed")
        b["false_drops"] += len(r["false_drops"])
        b["ads_with_stacked_words"] += bool(r["stacked"])
    total = {k: sum(b[k] for b in by_lang.values()) for k in next(iter(by_lang.values()))} if by_lang else {}
    for L, b in sorted(by_lang.items()):
        print(f"{L}: {b}")
    print(f"all: {total}  ({time.time() - t0:.0f} s)")
    save(f"skipped_{a.name or root.name}", {"data": str(root), "music": a.music, "by_language": by_lang, "total": total,
                                           "ads": rows})


if __name__ == "__main__":
    main()
