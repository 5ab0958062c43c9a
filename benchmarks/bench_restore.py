"""Script words both recogniser passes missed: how many does the phone model put back, and how often a wrong word?

For each generated ad (ground-truth words), `--per-ad` words are taken out of the captions at random (seeded), as the
correction stage leaves them when neither pass wrote them; the aligner runs without them, and the product's gate
(`pipeline.restore_heard_by_phones`) is replayed: filler speech between the neighbours, the words timed by their phones,
that speech explained, and the path score at most RESTORE_MARGIN_NATS below the one with the filler. A *decoy* — another
word of the same language, about as long — is put in the same place to count wrong restores.

Usage: python benchmarks/bench_restore.py --sets seed404,seed404-m [--per-ad 3] [--limit 6] [--out FILE]
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


def gains(sets: list[str], per_ad: int, limit: int, seed: int = 5) -> list[dict]:
    from captioner.align import align_words
    from captioner.media import load_audio
    from captioner.types import Word

    rng = random.Random(seed)
    rows = []
    for s in sets:
        ads = load_set(s, LANGS, limit=limit)
        vocab: dict[str, list[str]] = {}
        for d, m in ads:
            vocab.setdefault(m["language"], []).extend(g["text"] for g in json.loads((d / m["words"]).read_text())["words"])
        for d, m in ads:
            L = m["language"]
            audio = load_audio(d / m["audio"])
            gt = json.loads((d / m["words"]).read_text())["words"]
            toks = spoken_tokens((d / m["spoken"]).read_text().strip(), gt, L)
            words = [Word(text=t, start=g["start"], end=g["end"]) for t, g in zip(toks, gt)]
            cand = [i for i in range(1, len(words) - 1) if len(words[i].text.strip(".,!?")) >= (1 if L == "zh" else 4)]
            for i in rng.sample(cand, min(per_ad, len(cand))):
                rest = words[:i] + words[i + 1:]
                base = align_words(audio, rest, L)
                lo, hi = base.words[i - 1].start, base.words[i].start + 0.05
                spans = [(a, b) for a, b, _ in base.unexplained if a >= lo and b <= hi]
                n = len(words[i].text)
                pool = [v for v in vocab[L] if abs(len(v) - n) <= 1 and v.strip(".,!?").lower() != words[i].text.strip(".,!?").lower()]
                row = {"set": s, "id": m["id"], "language": L, "music": s.endswith("-m"), "word": words[i].text,
                       "decoy_word": rng.choice(pool) if pool else None, "gate": bool(spans)}
                for name, text in (("true", words[i].text), ("decoy", row["decoy_word"])):
                    if text is None:
                        continue
                    r = align_words(audio, rest[:i] + [Word(text=text, start=rest[i - 1].end, end=rest[i].start)] + rest[i:], L)
                    row[name] = {"gain": r.log_likelihood - base.log_likelihood,
                                 "phones": r.words[i].aligner == "phones" and i not in r.unheard,
                                 "still": any(min(b, d_) - max(a, c) > 0.5 * (b - a) for a, b in spans for c, d_, _ in r.unexplained)}
                rows.append(row)
                print(row, file=sys.stderr, flush=True)
    return rows


def restored(row: dict, name: str, margin: float) -> bool:
    r = row.get(name)
    return bool(row["gate"] and r and r["phones"] and not r["still"] and r["gain"] > -margin)


def main() -> None:
    from captioner.pipeline import RESTORE_MARGIN_NATS

    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="seed404,seed404-m")
    ap.add_argument("--per-ad", type=int, default=3)
    ap.add_argument("--limit", type=int, default=6, help="ads per language and set")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "restore.json"))
    a = ap.parse_args()
    rows = gains(a.sets.split(","), a.per_ad, a.limit)
    decoys = [r for r in rows if r.get("decoy")]
    print(f"{len(rows)} missed words, {sum(r['gate'] for r in rows)} leave filler speech the gate sees; {len(decoys)} decoys")
    for m in sorted({0.0, 2.0, 4.0, RESTORE_MARGIN_NATS, 8.0}):
        t = sum(restored(r, "true", m) for r in rows)
        d = sum(restored(r, "decoy", m) for r in decoys)
        print(f"  margin {m:4.1f} nats{' (shipped)' if m == RESTORE_MARGIN_NATS else '          '}: true words back {t}/{len(rows)}, decoys put in {d}/{len(decoys)}")
    per = {}
    for r in rows:
        k = r["language"] + (" music" if r["music"] else "")
        per.setdefault(k, [0, 0])
        per[k][0] += restored(r, "true", RESTORE_MARGIN_NATS)
        per[k][1] += 1
    print("  per language (shipped margin):", ", ".join(f"{k} {x}/{n}" for k, (x, n) in sorted(per.items())))
    Path(a.out).write_text(json.dumps({"sets": a.sets, "margin": RESTORE_MARGIN_NATS, "rows": rows}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
