"""How well the price judge's posterior ranks the truth on a set's stored evidence, and what its policy does there.

For each NAME=EVIDENCE_DIR:RESULTS_JSON (as in `bench_numbers_judge.py`):
- 2-fold cross-validation by ad of the posterior's weights: of the changed prices, how often the truth is among the
  judged readings and how often it is the posterior's first reading (weights fitted on the other fold); of the honest
  prices, how often the script's own reading comes first;
- the product's decision replayed (`verify.decide`) with the shipped weights, and with weights refitted on the whole set
  (in sample: an upper bound, not a report figure).

Used to compare two ways of gathering the same ads' evidence, e.g. the shipped judge against one that also scores every
one-digit change of the script's value as an ordinary reading:

  python benchmarks/bench_numbers.py --data ~/.cache/captioner/genads/seed101 --no-align \\
      --evidence ~/.cache/captioner/bench-evidence/seed101-od --option one_digit=True --out /tmp/numbers_seed101_od.json
  python benchmarks/bench_numbers_cv.py seed101=~/.cache/captioner/bench-evidence/seed101-lp:/tmp/numbers_seed101_od.json \\
      seed101-od=~/.cache/captioner/bench-evidence/seed101-od:/tmp/numbers_seed101_od.json --one-digit seed101-od
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_numbers_judge as J  # noqa: E402
from bench_numbers_judge import verify  # noqa: E402


def cross_validated(recs: list[dict], base: verify.VerifyOptions) -> dict:
    ids = sorted({r["id"].removesuffix("-m") for r in recs})  # an ad and its music twin stay in one fold
    fold = {a: i % 2 for i, a in enumerate(ids)}
    n = {"changed": 0, "among": 0, "first": 0, "honest": 0, "honest_first": 0}
    for f in (0, 1):
        train = [r for r in recs if fold[r["id"].removesuffix("-m")] != f]
        o = replace(base, post_weights=tuple(J.fit_weights(train, base, quiet=True)))
        for r in recs:
            if fold[r["id"].removesuffix("-m")] != f or r["kind"] != "price":
                continue
            c = r["case"]
            c._opts = o
            t = c.reading(r["truth"])
            among = t is not None and t in verify._judged(c)
            first = among and verify.posterior(c, o)[0][0] is t
            if r["deviates"]:
                n["changed"] += 1
                n["among"] += among
                n["first"] += first
            else:
                n["honest"] += 1
                n["honest_first"] += first
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", help="NAME=EVIDENCE_DIR:RESULTS_JSON")
    ap.add_argument("--one-digit", action="append", default=[], metavar="NAME",
                    help="this set was gathered with VerifyOptions(one_digit=True): replay it so")
    a = ap.parse_args()
    for spec in a.sets:
        name, recs = J.load_set(spec)
        base = replace(verify.VerifyOptions(), one_digit=name in a.one_digit)
        n = cross_validated(recs, base)
        print(f"{name}: changed prices {n['changed']}: truth among the readings {n['among']}, first (2-fold CV) {n['first']} | "
              f"honest {n['honest']}: the script's reading first (CV) {n['honest_first']}")
        prices = [r for r in recs if r["kind"] == "price"]
        print(J.line("  shipped weights", J.replay(prices, base)))
        refit = replace(base, post_weights=tuple(J.fit_weights(recs, base, quiet=True)))
        print(J.line("  refitted on this set (in sample)", J.replay(prices, refit)))


if __name__ == "__main__":
    main()
