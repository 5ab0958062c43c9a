"""Script words before the first / after the last caption word that both recogniser passes missed: how often does the
phone model put them back (`pipeline.restore_heard_by_phones`, the edges), and how often a wrong phrase?

Under a music bed that starts with the voice, both passes can miss an ad's opening words ("Kennst du schon" on a
generated German ad, "Endlich gibt es Kaveel Kopfhörer auch bei uns." with the brand on another); the correction stage
then reports them as script words "before the voice-over" and leaves them out. For each generated ad (ground-truth
words), the first words (1–3, and the whole first sentence) and the last words (1–3, and the last sentence) are taken
out; the aligner runs without them, and the product's gate is replayed: filler speech the phone model hears beyond the
first (last) caption word, the words timed by their phones, that speech explained, and the path score at most a margin
below the one with the filler — a margin for the whole phrase, or per word of it. A *decoy* — the same number of
words from the same edge of another ad of the same language — is put in the same place to count wrong restores.

Usage: python benchmarks/bench_restore_edges.py --sets seed101,seed101-m [--limit 8] [--out FILE]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench_align import load_set, spoken_tokens  # noqa: E402

LANGS = ["en", "de", "fr", "es", "hi", "zh"]
MARGINS = (0.0, 2.0, 4.0, 6.0, 8.0, 12.0)


def _sentence_end(tok: str) -> bool:
    t = tok.rstrip("\"'”’»)")
    return bool(t) and t[-1] in ".!?;。！？；।"


def _edge_sizes(toks: list[str], side: str, rng: random.Random) -> list[int]:
    """How many words to take from this edge: 1–3 (one draw) and the whole first / last sentence."""
    n = len(toks)
    if side == "lead":
        sent = next((i + 1 for i, t in enumerate(toks) if _sentence_end(t)), n)
    else:
        ends = [i for i, t in enumerate(toks[:-1]) if _sentence_end(t)]
        sent = n - (ends[-1] + 1) if ends else n
    sizes = {rng.randint(1, 3), sent}
    return sorted(s for s in sizes if 1 <= s <= n - 3)


def gains(sets: list[str], limit: int, seed: int = 7) -> list[dict]:
    from captioner.align import align_words
    from captioner.media import load_audio
    from captioner.types import Word

    rng = random.Random(seed)
    rows = []
    for s in sets:
        ads = load_set(s, LANGS, limit=limit)
        toks_of = {}
        for d, m in ads:
            gt = json.loads((d / m["words"]).read_text())["words"]
            toks_of[m["id"]] = spoken_tokens((d / m["spoken"]).read_text().strip(), gt, m["language"])
        for d, m in ads:
            L = m["language"]
            audio = load_audio(d / m["audio"])
            gt = json.loads((d / m["words"]).read_text())["words"]
            toks = toks_of[m["id"]]
            words = [Word(text=t, start=g["start"], end=g["end"]) for t, g in zip(toks, gt)]
            others = [toks_of[o["id"]] for _, o in ads if o["language"] == L and o["id"] != m["id"]]
            for side in ("lead", "tail"):
                for n in _edge_sizes(toks, side, rng):
                    rest = words[n:] if side == "lead" else words[:-n]
                    base = align_words(audio, rest, L)
                    if side == "lead":
                        spans = [(a, b) for a, b, _ in base.unexplained if b <= base.words[0].start + 0.05]
                    else:
                        spans = [(a, b) for a, b, _ in base.unexplained if a >= base.words[-1].start]
                    pool = [o[:n] if side == "lead" else o[-n:] for o in others if len(o) > n]
                    pool = [p for p in pool if [x.lower() for x in p] != [w.text.lower() for w in (words[:n] if side == "lead" else words[-n:])]]
                    decoy = rng.choice(pool) if pool else None
                    row = {"set": s, "id": m["id"], "language": L, "music": s.endswith("-m"), "side": side, "n": n,
                           "words": " ".join(w.text for w in (words[:n] if side == "lead" else words[-n:])),
                           "decoy_words": " ".join(decoy) if decoy else None, "gate": bool(spans)}
                    true_texts = [w.text for w in (words[:n] if side == "lead" else words[-n:])]
                    for name, texts in (("true", true_texts), ("decoy", decoy)):
                        if texts is None or not spans:
                            continue
                        if side == "lead":
                            t0, t1 = max(0.0, min(a for a, _ in spans)), rest[0].start
                            new = [Word(text=t, start=t0, end=max(t0, t1)) for t in texts]
                            cand, mine = new + rest, range(0, len(new))
                        else:
                            t0, t1 = rest[-1].end, max(rest[-1].end, max(b for _, b in spans))
                            new = [Word(text=t, start=t0, end=t1) for t in texts]
                            cand, mine = rest + new, range(len(rest), len(rest) + len(new))
                        r = align_words(audio, cand, L)
                        row[name] = {"gain": r.log_likelihood - base.log_likelihood,
                                     "phones": all(r.words[i].aligner == "phones" for i in mine) and not set(mine) & set(r.unheard),
                                     "still": any(min(b, d_) - max(a, c) > 0.5 * (b - a) for a, b in spans for c, d_, _ in r.unexplained)}
                    rows.append(row)
                    print(json.dumps(row, ensure_ascii=False), file=sys.stderr, flush=True)
    return rows


def restored(row: dict, name: str, margin: float, per_word: bool) -> bool:
    r = row.get(name)
    m = margin * (row["n"] if per_word else 1)
    return bool(row["gate"] and r and r["phones"] and not r["still"] and r["gain"] > -m)


def report(rows: list[dict]) -> None:
    decoys = [r for r in rows if r.get("decoy")]
    print(f"{len(rows)} edge phrases taken out, {sum(r['gate'] for r in rows)} leave filler speech the gate sees; "
          f"{len(decoys)} decoys tried")
    for per_word in (False, True):
        for m in MARGINS:
            t = sum(restored(r, "true", m, per_word) for r in rows)
            d = sum(restored(r, "decoy", m, per_word) for r in decoys)
            print(f"  margin {m:4.1f} nats {'per word' if per_word else 'in all  '}: true phrases back {t}/{len(rows)}, "
                  f"decoys put in {d}/{len(decoys)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="seed101,seed101-m")
    ap.add_argument("--limit", type=int, default=8, help="ads per language and set")
    ap.add_argument("--replay", help="a results JSON of this script: report its rows again")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "restore_edges.json"))
    a = ap.parse_args()
    if a.replay:
        rows = json.loads(Path(a.replay).read_text())["rows"]
    else:
        rows = gains(a.sets.split(","), a.limit)
        Path(a.out).write_text(json.dumps({"sets": a.sets, "rows": rows}, ensure_ascii=False, indent=1))
    report(rows)
    from captioner.pipeline import RESTORE_EDGE_NATS_PER_WORD as RESTORE_MARGIN_NATS

    per = {}
    for r in rows:
        k = f"{r['language']}{' music' if r['music'] else ''} {r['side']}"
        per.setdefault(k, [0, 0])
        per[k][0] += restored(r, "true", RESTORE_MARGIN_NATS, True)
        per[k][1] += 1
    print(f"  per language and edge ({RESTORE_MARGIN_NATS} nats per word):", ", ".join(f"{k} {x}/{n}" for k, (x, n) in sorted(per.items())))


if __name__ == "__main__":
    main()
