"""Cut-downs: a video cut short of its script (a 6 s edit of a 15 s ad, given the full ad's script).

Each ad of a set is cut a little after its first price ends (seeded: 0.25–1.0 s after the price's last word, so the
price is whole in the clip and the script goes on past the cut), and the product's stage runs on the clip
(`pipeline.transcribe_and_correct`: both recogniser passes, correction, the price judge, phone alignment) with the
full script. Read against the generator's labels:
  * the first price — honest (said as written) or changed (said otherwise):
      - `caught`: a changed price shown as said, with a `price_mismatch` error;
      - `disputed`: the script's value shown with a warning or error on it (`number_disputed`, `unverified_claim`, …);
      - `silent wrong`: a value the voice did not say shown with no warning or error on it;
      - `shown wrong`: an honest price shown as another value (with or without a finding);
      - `missing`: no caption word shows a number of the price's kind there; `other`: a flagged value nobody said;
  * unsaid words drawn: caption words beyond the words the voice says in the clip (script words after the cut
    drawn in its last instant), and caption words shorter than 20 ms;
  * `fallback`: the captions fell back to the script (`asr_unreliable`).

    python benchmarks/bench_cutdown.py --data /tmp/g3141 [--languages en,de] [--limit 4] [--music both] [--name X]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_numbers import ads_of  # noqa: E402
from common import save  # noqa: E402

WARN = ("price_mismatch", "number_disputed", "unverified_claim", "number_rejected", "claim_unverified", "word_mismatch")


def _value(text: str, language: str):
    from captioner.verify import _amount

    a = _amount(text, language)
    return a.value if a is not None else None


def _kind(text: str, language: str):
    from captioner.verify import _amount

    a = _amount(text, language)
    return a.kind if a is not None else None


def run_ad(folder: Path, m: dict) -> dict | None:
    from captioner.media import SAMPLE_RATE, load_audio
    from captioner.pipeline import transcribe_and_correct

    L = m["language"]
    meta = json.loads((folder / m["meta"]).read_text(encoding="utf-8"))
    gt = json.loads((folder / m["words"]).read_text(encoding="utf-8"))["words"] if m.get("words") else None
    prices = [p for p in meta.get("prices", []) if p.get("start_s") is not None]
    if not prices or gt is None:
        return None
    p = prices[0]
    rng = random.Random(m["id"])
    cut = p["end_s"] + rng.uniform(0.25, 1.0)
    audio = load_audio(folder / m["audio"])
    if cut >= len(audio) / SAMPLE_RATE - 0.5:
        return None  # nothing of the script is left after the cut
    clip = audio[: int(cut * SAMPLE_RATE)]
    script = (folder / m["script"]).read_text(encoding="utf-8")
    _, words, findings = transcribe_and_correct(clip, script, L)
    said_words = [w for w in gt if w["start"] < cut - 0.05]
    written = Decimal(str(p["value"]))
    spoken = Decimal(str(p.get("spoken_value") or p["value"]))
    changed = spoken != written
    # the caption word showing the price: a number of the price's kind over the price's time, the most overlap first
    kind = _kind(p["written"], L)
    near = [i for i, w in enumerate(words) if w.end > p["start_s"] - 0.3 and w.start < p["end_s"] + 0.3
            and _value(w.text, L) is not None and _kind(w.text, L) == kind]
    shown = None
    flagged = error = False
    if near:
        i = max(near, key=lambda k: min(words[k].end, p["end_s"]) - max(words[k].start, p["start_s"]))
        shown = _value(words[i].text, L)
        on = [f for f in findings if i in (f.word_indices or []) and f.kind in WARN]
        flagged = bool(on)
        error = any(f.kind == "price_mismatch" for f in on)
    if shown is None:
        outcome = "missing"
    elif changed and shown == spoken and error:
        outcome = "caught"
    elif shown != spoken and not flagged:
        outcome = "silent wrong"
    elif not changed and shown != written:
        outcome = "shown wrong"
    elif flagged and shown == written:
        outcome = "disputed"
    elif shown == spoken:
        outcome = "ok"
    else:
        outcome = "other"  # a value nobody wrote or said, flagged
    return {"id": m["id"], "language": L, "cut_s": round(cut, 2), "changed": changed, "written": str(written),
            "spoken": str(spoken), "shown": None if shown is None else str(shown), "outcome": outcome,
            "caption_words": len(words), "said_words": len(said_words),
            "unsaid_drawn": max(0, len(words) - len(said_words)),
            "squeezed": sum(w.end - w.start < 0.02 for w in words),
            "fallback": any(f.kind == "asr_unreliable" for f in findings),
            "findings": sorted({f.kind for f in findings}),
            "captions": [[w.text, round(w.start, 2), round(w.end, 2)] for w in words],
            "messages": [f"{f.severity.value} {f.kind}: {f.message}" for f in findings]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="a folder holding ads/ (and ads-music/), e.g. a genads seed")
    ap.add_argument("--languages", default="en,de,fr,es,hi,zh")
    ap.add_argument("--limit", type=int, default=100, help="ads per language and condition folder")
    ap.add_argument("--music", default="both", choices=("both", "clean", "music"))
    ap.add_argument("--name", default=None, help="results/cutdown_<name>.json (default: the data folder's name)")
    a = ap.parse_args()
    root = Path(a.data).expanduser().resolve()
    rows, t0 = [], time.time()
    for sub, folder, m in ads_of(root, set(a.languages.split(",")), a.limit, a.music):
        r = run_ad(folder, m)
        if r is None:
            continue
        r["set"] = sub
        rows.append(r)
        print(f"  {sub}/{r['id']}: cut {r['cut_s']} s, {'changed' if r['changed'] else 'honest'} {r['written']}→"
              f"{r['spoken']}, shown {r['shown']}: {r['outcome']}; unsaid drawn {r['unsaid_drawn']}, squeezed "
              f"{r['squeezed']}{', fallback' if r['fallback'] else ''}", flush=True)
    keys = ("ads", "changed", "caught", "disputed", "silent wrong", "honest", "shown wrong", "missing", "ok", "other",
            "unsaid_drawn", "ads_with_unsaid", "squeezed", "fallback")
    by_lang: dict[str, dict] = {}
    for r in rows:
        b = by_lang.setdefault(r["language"], dict.fromkeys(keys, 0))
        b["ads"] += 1
        b["changed" if r["changed"] else "honest"] += 1
        b[r["outcome"]] += 1
        b["unsaid_drawn"] += r["unsaid_drawn"]
        b["ads_with_unsaid"] += r["unsaid_drawn"] > 0
        b["squeezed"] += r["squeezed"]
        b["fallback"] += r["fallback"]
    total = {k: sum(b[k] for b in by_lang.values()) for k in keys}
    for L, b in sorted(by_lang.items()):
        print(f"{L}: {b}")
    print(f"all: {total}  ({time.time() - t0:.0f} s)")
    save(f"cutdown_{a.name or root.name}", {"data": str(root), "music": a.music, "by_language": by_lang,
                                           "total": total, "ads": rows})


if __name__ == "__main__":
    main()
