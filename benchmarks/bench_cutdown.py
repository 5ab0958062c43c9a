"""Cut-downs: a video cut short of its script (a 6 s edit of a 15 s ad, given the full ad's script).

Each ad of a set is cut (`--mode`, seeded by the ad's id): `after-price` (default) 0.25–1.0 s after its first price
ends, so the price is whole in the clip and the script goes on past the cut; `anywhere` at 40–90 % of the ad (mid-word,
mid-price, in a pause); `late-start` without its first 1.5–4 s. The product's stage runs on the clip
(`pipeline.transcribe_and_correct`: both recogniser passes, correction, the price judge, phone alignment) with the
full script. Read against the generator's labels:
  * every price in the clip — honest (said as written) or changed (said otherwise):
      - `caught`: a changed price shown as said, with a `price_mismatch` error;
      - `disputed`: the script's value shown with a warning or error on it (`number_disputed`, `unverified_claim`, …);
      - `silent wrong`: a value the voice did not say shown with no warning or error on it;
      - `shown wrong`: an honest price shown as another value (with or without a finding);
      - `missing`: no caption word shows a number of the price's kind there; `other`: a flagged value nobody said;
  * unsaid words drawn: caption words beyond the words the voice says in the clip (a price, percentage or code counted
    as one word; script words after the cut
    drawn in its last instant), and caption words shorter than 20 ms;
  * a price the clip cuts (`partial: …`): honest is the script's value with a finding on it, or no price; a value
    the clip's half of the price suggests, shown as if complete, is `partial: other value`;
  * `fallback`: the captions fell back to the script (`asr_unreliable`); `script_mismatch`: the ad's own script called
    another video's (a false alarm: the captions are then the recogniser's words, uncorrected).

    python benchmarks/bench_cutdown.py --data /tmp/g3141 [--languages en,de] [--limit 4] [--music both] [--mode anywhere] [--name X]
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


def clip_span(m: dict, prices: list, duration: float, mode: str) -> tuple[float, float] | None:
    """The clip's [start, end) in the ad, seeded by the ad's id and the mode."""
    rng = random.Random(f"{m['id']}/{mode}")
    if mode == "after-price":
        cut = prices[0]["end_s"] + rng.uniform(0.25, 1.0)
        return (0.0, cut) if cut < duration - 0.5 else None  # nothing of the script is left after the cut otherwise
    if mode == "anywhere":  # an edit that ends wherever it ends: mid-word, mid-price, in a pause
        return 0.0, rng.uniform(0.4, 0.9) * duration
    if mode == "late-start":  # the opening is cut away; the clip runs to the end
        return rng.uniform(1.5, 4.0), duration
    raise ValueError(mode)


def _judge_price(p: dict, words, findings, L: str, ss: float, to: float) -> dict:
    written = Decimal(str(p["value"]))
    spoken = Decimal(str(p.get("spoken_value") or p["value"]))
    changed = spoken != written
    p0, p1 = p["start_s"] - ss, p["end_s"] - ss
    partial = p["start_s"] < ss or p["end_s"] > to
    # the caption word showing the price: a number of the price's kind over the price's time, the most overlap first
    kind = _kind(p["written"], L)
    near = [i for i, w in enumerate(words) if w.end > p0 - 0.3 and w.start < p1 + 0.3
            and _value(w.text, L) is not None and _kind(w.text, L) == kind]
    shown = None
    flagged = error = False
    if near:
        i = max(near, key=lambda k: min(words[k].end, p1) - max(words[k].start, p0))
        shown = _value(words[i].text, L)
        on = [f for f in findings if i in (f.word_indices or []) and f.kind in WARN]
        flagged = bool(on)
        error = any(f.kind == "price_mismatch" for f in on)
    if partial:  # the clip cuts the price: only the script's value (flagged) or no price is honest
        if shown is None:
            outcome = "partial: not shown"
        elif shown == written and flagged:
            outcome = "partial: script's, flagged"
        elif shown == written:
            outcome = "partial: script's, unflagged"
        elif flagged:
            outcome = "partial: other value, flagged"
        else:
            outcome = "partial: other value, silent"
    elif shown is None:
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
    return {"written": str(written), "spoken": str(spoken), "changed": changed, "partial": partial,
            "shown": None if shown is None else str(shown), "outcome": outcome}


def run_ad(folder: Path, m: dict, mode: str = "after-price") -> dict | None:
    from captioner.media import SAMPLE_RATE, load_audio
    from captioner.pipeline import transcribe_and_correct

    L = m["language"]
    meta = json.loads((folder / m["meta"]).read_text(encoding="utf-8"))
    gt = json.loads((folder / m["words"]).read_text(encoding="utf-8"))["words"] if m.get("words") else None
    prices = [p for p in meta.get("prices", []) if p.get("start_s") is not None]
    if not prices or gt is None:
        return None
    audio = load_audio(folder / m["audio"])
    span = clip_span(m, prices, len(audio) / SAMPLE_RATE, mode)
    if span is None:
        return None
    ss, to = span
    clip = audio[int(ss * SAMPLE_RATE): int(to * SAMPLE_RATE)]
    script = (folder / m["script"]).read_text(encoding="utf-8")
    _, words, findings = transcribe_and_correct(clip, script, L)
    # words the voice says in the clip (a word cut by an edge counts when 50 ms or more of it is in)
    said_words = [w for w in gt if w["start"] < to - 0.05 and w["end"] > ss + 0.05]
    # a price, percentage or code is one caption word however many words say it: said words counted that way
    group = {}
    for key in ("prices", "percentages", "promo_codes", "numbers"):
        for k, c in enumerate(meta.get(key) or []):
            for i in c.get("word_indices") or []:
                group[i] = (key, k)
    said_units = len({group.get(w["i"], ("w", w["i"])) for w in said_words})
    judged = [_judge_price(p, words, findings, L, ss, to) for p in prices if p["start_s"] < to and p["end_s"] > ss]
    first = judged[0] if judged else {"written": None, "spoken": None, "changed": False, "partial": False,
                                      "shown": None, "outcome": "none in clip"}
    return {"id": m["id"], "language": L, "mode": mode, "ss_s": round(ss, 2), "cut_s": round(to, 2),
            "changed": first["changed"], "written": first["written"], "spoken": first["spoken"],
            "shown": first["shown"], "outcome": first["outcome"], "prices": judged,
            "caption_words": len(words), "said_words": len(said_words),
            "unsaid_drawn": max(0, len(words) - said_units),
            "said_missing": max(0, said_units - len(words)),
            "squeezed": sum(w.end - w.start < 0.02 for w in words),
            "fallback": any(f.kind == "asr_unreliable" for f in findings),
            "findings": sorted({f.kind for f in findings}),
            "captions": [[w.text, round(w.start, 2), round(w.end, 2)] for w in words],
            "said": " ".join(w["text"] for w in said_words),
            "messages": [f"{f.severity.value} {f.kind}: {f.message}" for f in findings]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="a folder holding ads/ (and ads-music/), e.g. a genads seed")
    ap.add_argument("--languages", default="en,de,fr,es,hi,zh")
    ap.add_argument("--limit", type=int, default=100, help="ads per language and condition folder")
    ap.add_argument("--music", default="both", choices=("both", "clean", "music"))
    ap.add_argument("--mode", default="after-price", choices=("after-price", "anywhere", "late-start"),
                    help="where the clip is cut (see the module docstring)")
    ap.add_argument("--name", default=None, help="results/cutdown_<name>.json (default: the data folder's name)")
    a = ap.parse_args()
    root = Path(a.data).expanduser().resolve()
    rows, t0 = [], time.time()
    for sub, folder, m in ads_of(root, set(a.languages.split(",")), a.limit, a.music):
        r = run_ad(folder, m, a.mode)
        if r is None:
            continue
        r["set"] = sub
        rows.append(r)
        print(f"  {sub}/{r['id']}: clip {r['ss_s']}–{r['cut_s']} s, "
              + "; ".join(f"{'changed' if q['changed'] else 'honest'} {q['written']}→{q['spoken']} shown {q['shown']}: "
                          f"{q['outcome']}" for q in r["prices"])
              + f"; unsaid drawn {r['unsaid_drawn']}, said missing {r['said_missing']}, squeezed "
              f"{r['squeezed']}{', fallback' if r['fallback'] else ''}", flush=True)
    keys = ("ads", "prices", "changed", "caught", "disputed", "silent wrong", "honest", "shown wrong", "missing", "ok",
            "other", "partial: not shown", "partial: script's, flagged", "partial: script's, unflagged",
            "partial: other value, flagged", "partial: other value, silent",
            "unsaid_drawn", "ads_with_unsaid", "said_missing", "squeezed", "fallback", "script_mismatch")
    by_lang: dict[str, dict] = {}
    for r in rows:
        b = by_lang.setdefault(r["language"], dict.fromkeys(keys, 0))
        b["ads"] += 1
        for q in r["prices"]:
            b["prices"] += 1
            if not q["partial"]:
                b["changed" if q["changed"] else "honest"] += 1
            b[q["outcome"]] += 1
        b["unsaid_drawn"] += r["unsaid_drawn"]
        b["ads_with_unsaid"] += r["unsaid_drawn"] > 0
        b["said_missing"] += r["said_missing"]
        b["squeezed"] += r["squeezed"]
        b["fallback"] += r["fallback"]
        b["script_mismatch"] += "script_mismatch" in r["findings"]  # the ad's own script: a false alarm
    total = {k: sum(b[k] for b in by_lang.values()) for k in keys}
    for L, b in sorted(by_lang.items()):
        print(f"{L}: " + ", ".join(f"{k} {v}" for k, v in b.items() if v))
    print("all: " + ", ".join(f"{k} {v}" for k, v in total.items() if v) + f"  ({time.time() - t0:.0f} s)")
    save(f"cutdown_{a.name or root.name}", {"data": str(root), "music": a.music, "mode": a.mode,
                                           "by_language": by_lang, "total": total, "ads": rows})


if __name__ == "__main__":
    main()
