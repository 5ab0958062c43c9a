"""Fit and replay the price judge's decision on stored evidence (no re-scoring).

`bench_numbers.py --evidence DIR` keeps, per ad, every case the judge gathered (`verify.gather`: the readings
and what each witness says of them); its `--out` JSON has the truth per price (the value the voice said).
From those two this script

1. **fits** the posterior rule's weights (`VerifyOptions.post_weights`): a conditional logit over each
   case's candidate readings, softmax of w · f(x), f = (verify.FEATURES against the script's reading, 1 for
   the script's own reading), by Newton's method with a small L2 penalty, on the cases whose truth is among
   the readings;
2. **measures the witnesses' margins**: for every case of the set, how far the Whisper decoder (PMI) and the
   phone model (CTC) put their favourite wrong reading ahead of the truth; the margin is the `--quantile` of
   that spread (a witness counts for a reading only when it prefers it by more than this);
3. **chooses the thresholds** `post_flag` / `post_verify` on the same set: no silent wrong price, no honest
   price shown wrong, no other value shown, then the most changed prices caught, then the fewest warnings;
4. **replays** the product's decision (`verify.decide`) with any settings on any set: `--eval`;
5. **chooses the showing level** `post_flag` alone (`--choose-flag`, repeatable: a pool of sets, the other settings
   as shipped): the lowest level at which values shown that the voice did not say stay within the issue's 1 %
   tolerance — changed prices shown with another value ≤ 1 % of the changed prices, honest prices shown wrong
   ≤ 1 % of the honest ones — and no more silent prices than at the strictest level.

Fit on the TUNING set only (seed 101); evaluate on others. Usage:

  python benchmarks/bench_numbers_judge.py --fit seed101=~/.cache/captioner/bench-evidence/seed101:/work/numbers_seed101_base.json \
      --eval seed202=~/.cache/captioner/bench-evidence/seed202:benchmarks/results/numbers_seed202_full.json
"""
from __future__ import annotations

import argparse
import json
import math
import pickle
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from captioner import verify  # noqa: E402


def load_set(spec: str) -> tuple[str, list[dict]]:
    """NAME=EVIDENCE_DIR:RESULTS_JSON -> (name, [{id, language, case, truth, deviates, kind}])."""
    name, rest = spec.split("=", 1)
    ev, res = rest.rsplit(":", 1)
    ev_dir = Path(ev).expanduser()
    d = json.loads(Path(res).expanduser().read_text(encoding="utf-8"))
    out = []
    for ad in d["per_ad"]:
        f = ev_dir / f"{ad['id']}.pkl"
        if not f.is_file():
            continue
        cases, _ = pickle.loads(f.read_bytes())
        used: set[int] = set()
        for p in ad["prices"]:
            sv = Decimal(p["script"])
            for k, c in enumerate(cases):
                if k in used or c.script.value != sv:
                    continue
                used.add(k)
                out.append({"id": ad["id"], "language": ad["language"], "case": c, "truth": Decimal(p["said"]),
                            "deviates": bool(p["deviates"]), "kind": p["kind"]})
                break
    return name, out


def groups_of(recs: list[dict], opts: verify.VerifyOptions) -> list[tuple[np.ndarray, int]]:
    out = []
    for rec in recs:
        c = rec["case"]
        c._opts = opts
        judged = verify._judged(c)  # the readings the posterior is over (not the neighbours added to check a verdict)
        t = c.reading(rec["truth"])
        if t is None or t not in judged or len(judged) < 2:
            continue
        out.append((np.array(verify.posterior_features(c, opts)), judged.index(t)))
    return out


def loglik(groups, w: np.ndarray) -> float:
    total = 0.0
    for X, k in groups:
        z = X @ w
        total += z[k] - (z.max() + math.log(np.exp(z - z.max()).sum()))
    return total


def choose_clip(recs: list[dict], opts: verify.VerifyOptions, clips=(5.0, 10.0, 20.0, 40.0)) -> float:
    """The clip of the PMI/CTC features with the best 2-fold cross-validated likelihood (folds by ad)."""
    ids = sorted({r["id"].removesuffix("-m") for r in recs})
    fold = {a: i % 2 for i, a in enumerate(ids)}
    best = None
    for clip in clips:
        o = replace(opts, post_clip=clip)
        ll = 0.0
        for f in (0, 1):
            train = [r for r in recs if fold[r["id"].removesuffix("-m")] != f]
            test = [r for r in recs if fold[r["id"].removesuffix("-m")] == f]
            w = fit_weights(train, o, quiet=True)
            ll += loglik(groups_of(test, o), w)
        print(f"  clip {clip:4.0f} nats: cross-validated log-likelihood {ll:.1f}")
        if best is None or ll > best[0]:
            best = (ll, clip)
    return best[1]


def fit_weights(recs: list[dict], opts: verify.VerifyOptions, l2: float = 1.0, quiet: bool = False) -> np.ndarray:
    groups = groups_of(recs, opts)

    def loss(w: np.ndarray) -> float:
        return 0.5 * l2 * float(w @ w) - loglik(groups, w)

    w = np.zeros(len(verify.POST_FEATURES))
    cur = loss(w)
    for _ in range(200):  # Newton's method with step halving (the classes are nearly separable)
        g = l2 * w
        H = l2 * np.eye(len(w))
        for X, k in groups:
            z = X @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            mu = p @ X
            g = g - (X[k] - mu)
            H = H + (X * p[:, None]).T @ X - np.outer(mu, mu)
        step = np.linalg.solve(H, g)
        t = 1.0
        while t > 1e-6 and loss(w - t * step) > cur:
            t /= 2
        w = w - t * step
        new = loss(w)
        if cur - new < 1e-9:
            break
        cur = new
    if quiet:
        return w
    print(f"conditional logit on {len(groups)} cases with the truth among the readings "
          f"(of {len(recs)}): weights {dict(zip(verify.POST_FEATURES, np.round(w, 3).tolist()))}")
    return w


def spreads(recs: list[dict], opts: verify.VerifyOptions) -> dict[str, list[float]]:
    """Per acoustic witness: how far its favourite wrong reading is ahead of the truth, per case (<= 0: the
    witness put the truth first)."""
    out = {"whisper": [], "phones": []}
    for rec in recs:
        c = rec["case"]
        c._opts = opts
        t = c.reading(rec["truth"])
        if t is None:
            continue
        for name, votes, attr in (("whisper", c.whisper_votes, "pmi"), ("phones", c.phone_votes, "ctc")):
            if not votes or not math.isfinite(getattr(t, attr)):
                continue
            wrong = [getattr(r, attr) for r in c.readings if r is not t and math.isfinite(getattr(r, attr))]
            if wrong:
                out[name].append(max(wrong) - getattr(t, attr))
    return out


def replay(recs: list[dict], opts: verify.VerifyOptions, verbose: bool = False) -> dict:
    o = {"honest": 0, "honest_wrong": 0, "honest_disputed": 0, "honest_rejected": 0, "honest_verified": 0, "changed": 0,
         "caught": 0, "rejected": 0, "other_value": 0, "disputed": 0, "silent": 0, "by_lang": {}}
    for rec in recs:
        if rec["kind"] != "price":
            continue
        c = rec["case"]
        v = verify.decide(c, opts)
        bl = o["by_lang"].setdefault(rec["language"], {"changed": 0, "caught": 0, "honest": 0, "honest_wrong": 0, "silent": 0})
        truth = rec["truth"]
        if not rec["deviates"]:
            o["honest"] += 1
            bl["honest"] += 1
            if v.kind == "mismatch" and v.value != truth:
                o["honest_wrong"] += 1
                bl["honest_wrong"] += 1
            o["honest_disputed"] += v.kind == "disputed"
            o["honest_rejected"] += v.kind == "rejected"
            o["honest_verified"] += v.kind == "verified"
        else:
            o["changed"] += 1
            bl["changed"] += 1
            if v.kind == "mismatch" and v.value == truth:
                o["caught"] += 1
                bl["caught"] += 1
            elif v.kind == "mismatch":
                o["other_value"] += 1
            elif v.kind == "rejected":
                o["rejected"] += 1
            elif v.kind == "disputed":
                o["disputed"] += 1
            else:
                o["silent"] += 1
                bl["silent"] += 1
        bad = (v.kind == "mismatch" and v.value != truth) or (v.kind == "verified" and truth != c.script.value)
        if verbose and (bad or (rec["deviates"] and v.kind != "mismatch")):
            has = c.reading(truth) is not None
            print(f"    {'!!' if bad else '  '} {rec['id']:14s} script {c.script.value} said {truth} ({'in' if has else 'NOT in'} "
                  f"readings): {v.kind} {v.value} p={v.probability:.3f} {v.witnesses}")
    return o


def without_neighbours(recs: list[dict]) -> list[dict]:
    """The same evidence without the one-digit neighbours `gather` adds before verifying (the judge before
    `VerifyOptions.verify_neighbours`)."""
    import copy

    out = []
    for rec in recs:
        c = copy.copy(rec["case"])
        c.readings = [r for r in c.readings if not getattr(r, "neighbour", False)]
        out.append({**rec, "case": c})
    return out


FLAG_LEVELS = (0.99, 0.95, 0.9, 0.85, 0.82, 0.8, 0.78, 0.75, 0.72, 0.7, 0.65, 0.6, 0.5)


def choose_flag(sets: list[tuple[str, list[dict]]], base: verify.VerifyOptions, tolerance: float = 0.01) -> float:
    """The lowest `post_flag` whose pooled replay keeps values shown wrong within `tolerance` (changed prices shown
    with another value, of the changed; honest prices shown wrong, of the honest) and adds no silent price."""
    rows = []
    for level in FLAG_LEVELS:
        o = replace(base, post_flag=level)
        per = [replay(recs, o) for _, recs in sets]
        tot = {k: sum(r[k] for r in per) for k in ("changed", "caught", "other_value", "honest", "honest_wrong", "silent",
                                                    "rejected", "disputed")}
        rows.append((level, tot, per))
    strict_silent = rows[0][1]["silent"]
    chosen = FLAG_LEVELS[0]
    print(f"post_flag on the pool {' + '.join(n for n, _ in sets)} (other settings as shipped; tolerance {tolerance:.0%}):")
    for level, t, per in rows:
        ok = (t["other_value"] <= tolerance * t["changed"] and t["honest_wrong"] <= tolerance * t["honest"]
              and t["silent"] <= strict_silent)
        if ok:
            chosen = min(chosen, level)
        print(f"  {level:.2f}: caught {t['caught']}/{t['changed']}, other value {t['other_value']}, honest shown wrong "
              f"{t['honest_wrong']}/{t['honest']}, silent {t['silent']}, rejected {t['rejected']}, disputed {t['disputed']}"
              f" {'ok' if ok else 'over'} | per set caught/other: " + ", ".join(f"{n} {r['caught']}/{r['other_value']}"
                                                                        for (n, _), r in zip(sets, per)))
    print(f"chosen: post_flag {chosen} (the lowest level within tolerance; shipped {base.post_flag})")
    return chosen


def line(name: str, r: dict) -> str:
    return (f"{name}: changed {r['changed']}: caught {r['caught']}, rejected {r['rejected']}, other value {r['other_value']}, "
            f"disputed {r['disputed']}, SILENT {r['silent']} | honest {r['honest']}: shown wrong {r['honest_wrong']}, "
            f"rejected {r['honest_rejected']}, disputed {r['honest_disputed']}, verified {r['honest_verified']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit", action="append", default=[],
                    help="NAME=EVIDENCE_DIR:RESULTS_JSON of the TUNING set (repeatable: merged, each ad once)")
    ap.add_argument("--eval", action="append", default=[], help="NAME=EVIDENCE_DIR:RESULTS_JSON to replay on (repeatable)")
    ap.add_argument("--choose-flag", action="append", default=[],
                    help="NAME=EVIDENCE_DIR:RESULTS_JSON of a set in the pool post_flag is chosen on (repeatable)")
    ap.add_argument("--quantile", type=float, default=0.9, help="witness margin: this quantile of its wrong-ahead-of-truth spread")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    base = verify.VerifyOptions()
    settings = {"shipped": base, "pairwise (first judge)": replace(base, rule="pairwise")}
    if a.choose_flag:
        choose_flag([load_set(spec) for spec in a.choose_flag], base)
    if a.fit:
        name, recs, seen = "", [], set()
        for spec in a.fit:
            n, rs = load_set(spec)
            name = name or n
            recs += [r for r in rs if r["id"] not in seen]
            seen |= {r["id"] for r in rs}
        base = replace(base, post_clip=choose_clip(recs, base))
        w = fit_weights(recs, base)
        sp = spreads(recs, base)
        mw = float(np.quantile(sp["whisper"], a.quantile)) if sp["whisper"] else 0.0
        mp = float(np.quantile(sp["phones"], a.quantile)) if sp["phones"] else 0.0
        print(f"witness spreads on {name} (wrong favourite ahead of the truth, nats): whisper n={len(sp['whisper'])} "
              f"q50 {np.quantile(sp['whisper'], .5):.1f} q90 {np.quantile(sp['whisper'], .9):.1f} q95 {np.quantile(sp['whisper'], .95):.1f}; "
              f"phones n={len(sp['phones'])} q50 {np.quantile(sp['phones'], .5):.1f} q90 {np.quantile(sp['phones'], .9):.1f} "
              f"q95 {np.quantile(sp['phones'], .95):.1f} -> margins {mw:.2f} / {mp:.2f}")
        best = None
        frontier: dict[int, tuple] = {}
        qs = sorted({0.5, 0.75, a.quantile})
        for qw in qs:
            for qp in qs:
                mw, mp = float(np.quantile(sp["whisper"], qw)), float(np.quantile(sp["phones"], qp))
                for pf, pv, nh in ((pf, pv, nh) for pf in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
                                   for pv in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99) for nh in (False, True)):
                    if True:
                        o = replace(base, rule="posterior", post_weights=tuple(float(x) for x in w), post_flag=pf,
                                    post_verify=pv, margin_whisper=mw, margin_phones=mp, need_heard=nh)
                        r = replay(recs, o)
                        bad = r["silent"] + r["honest_wrong"] + r["other_value"]
                        key = (bad, -r["caught"], r["disputed"] + r["honest_disputed"], -nh, -pf, -pv, -qw, -qp)
                        if best is None or key < best[0]:
                            best = (key, o, r)
                        if bad not in frontier or key < frontier[bad][0]:
                            frontier[bad] = (key, o, r, qw, qp)
        print("trade-off on the fitting set (wrong values shown -> most caught):")
        for bad, (key, o, r, qw, qp) in sorted(frontier.items()):
            print(f"  {bad:2d} wrong: caught {r['caught']}/{r['changed']} (flag {o.post_flag}, verify {o.post_verify}, need heard {o.need_heard}, margins q{qw} "
                  f"{o.margin_whisper:.1f} / q{qp} {o.margin_phones:.1f}); honest verified {r['honest_verified']}/{r['honest']}")
        _, o, r = best
        print(f"chosen on {name}: post_flag {o.post_flag} post_verify {o.post_verify} need_heard {o.need_heard} post_clip {o.post_clip} margins {o.margin_whisper:.2f} / "
              f"{o.margin_phones:.2f}\n  post_weights={tuple(round(x, 4) for x in o.post_weights)}")
        settings["fitted"] = o
        print(line(f"  {name} (fitted)", r))
    if a.fit:
        print("error-level disputes by post_reject on the fitting set (not fitted: 0.05 is the shipped level):")
        for pr in (0.001, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5):
            r = replay(recs, replace(settings["fitted"], post_reject=pr))
            print(f"  post_reject {pr:5}: changed caught {r['caught']} + rejected {r['rejected']} of {r['changed']}; "
                  f"honest rejected {r['honest_rejected']} of {r['honest']}")
    sets = [("+".join(f.split("=")[0] for f in a.fit), recs)] if a.fit else []
    for spec in sets + a.eval:
        name, recs = load_set(spec) if isinstance(spec, str) else spec
        variants = list(settings.items())
        if any(getattr(r, "neighbour", False) for rec in recs for r in rec["case"].readings):
            variants.append(("no neighbour check", base))
        for sname, o in variants:
            r = replay(without_neighbours(recs) if sname == "no neighbour check" else recs, o,
                       verbose=a.verbose and sname == "shipped")
            print(line(f"{name:8s} {sname:24s}", r))
            print("    by language:", {L: f"caught {b['caught']}/{b['changed']} honest wrong {b['honest_wrong']}/{b['honest']}"
                                       for L, b in sorted(r["by_lang"].items())})


if __name__ == "__main__":
    main()
