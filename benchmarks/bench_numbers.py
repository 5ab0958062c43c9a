"""Price judge on generated ads (or DEV), through the product's path: recognise → correct → verify (→ align).

Reads a set laid out like ../shared/data/ads (+ ads-music): the generated TUNING set (seed 101) to fit and
choose settings, the REPORT set (seed 202) to report, never the other way round (docs/GENADS.md). Per ad:
`pipeline.recognise` (prompted pass + unprompted witness, cached on disk in $CAPTIONER_BENCH_CACHE), then
`pipeline.correct_stage` (`hint.correct` + `verify.verify_numbers`), then, when the aligner offers it,
`align.align_words` (its unexplained-speech findings count for ad-libs).

Per language, over every price of every ad (clean and music twin):
  honest        prices the voice said as written: shown wrong (another value, or missing) / false errors /
                false rejections (f.rej: the right value shown, but an error-level dispute raised on it)
  changed       prices the voice changed: caught (error finding AND the caption shows the spoken value),
                rejected (error-level dispute: the judge is sure the script's value was not said, not sure
                enough which value was; caption keeps the script's value), disputed (warning, caption keeps
                the script's value), silent (no error and no warning: a
                wrong price shown as checked or unchecked — must be 0), flagged with another value
  ad-libs       handled: an ad_lib finding over the ad-lib, or its words in the captions
  skipped       script sentences the voice skipped that were reported (script_skipped / script_unspoken)
  judge s/ad    time of the price judge (verify_numbers) per ad, median and max
Other claims (percentages, promo codes) are counted the same way in `claims`.

Calibration (TUNING set only): `--dump FILE` writes every witness's evidence for every claim, with extra
readings (the true value, one-digit changes, the phone model's best readings under several phone bonuses),
and `--fit FILE` fits the logistic weights of `verify.FEATURES` on such a dump and prints the thresholds
that keep the set free of silent wrong prices and wrong values shown.

Usage:
  python benchmarks/bench_numbers.py --data ~/.cache/captioner/genads/seed202 [--languages en,de] [--limit N]
  python benchmarks/bench_numbers.py --data ~/.cache/captioner/genads/seed101 --dump /tmp/evidence101.jsonl
  python benchmarks/bench_numbers.py --fit /tmp/evidence101.jsonl
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from captioner import numbers as num  # noqa: E402
from captioner import verify  # noqa: E402
from captioner.types import Severity  # noqa: E402

PUNCT = ".,!?;:()[]\"'«»¡¿…，。！？；：、（）“”‘’—–-।॥\u00a0\u202f "
CLAIM_LISTS = ("percentages", "promo_codes")


def _norm(t: str) -> str:
    return (t or "").replace("\u00a0", " ").replace("\u202f", " ").strip(PUNCT)


def ads_of(root: Path, languages: set[str], limit: int, music: str):
    subs = {"both": ("ads", "ads-music"), "clean": ("ads",), "music": ("ads-music",)}[music]
    for sub in subs:
        man = root / sub / "manifest.jsonl"
        if not man.is_file():
            continue
        n: dict[str, int] = {}
        for line in open(man, encoding="utf-8"):
            m = json.loads(line)
            L = m["language"]
            if L not in languages or n.get(L, 0) >= limit:
                continue
            n[L] = n.get(L, 0) + 1
            yield sub, root / sub, m


def truths(meta: dict, language: str) -> list[dict]:
    """Every claim of the script with its written form, its value and the value the voice said."""
    out = []
    for key in ("prices",) + CLAIM_LISTS:
        for p in meta.get(key, []):
            a = num.parse_written(p["written"], language)
            if a is None or a.value is None:
                continue
            said = a.value
            if p.get("spoken_value") is not None:
                said = Decimal(str(p["spoken_value"]))
            elif p.get("deviates"):
                c = num.primary_value(num.parse_spoken(p["spoken"], language), like=a)
                said = c.value if c is not None else None
            out.append({"kind": "price" if key == "prices" else "claim", "written": p["written"], "amount": a,
                        "said": said, "deviates": bool(p.get("deviates")) and said != a.value, "start": p.get("start_s")})
    return out


def locate(t: dict, words, findings, used: set[int], language: str):
    """The caption word that carries script claim `t` (by its findings, else by its text)."""
    w = _norm(t["written"])
    for f in findings:
        if f.word_indices and _norm(f.script_text or "") == w and f.word_indices[0] not in used:
            return f.word_indices[0]
    for i, x in enumerate(words):
        if i not in used and _norm(x.text) == w:
            return i
    return None


def judge_prices(meta, words, findings, language) -> list[dict]:
    used: set[int] = set()
    out = []
    for t in truths(meta, language):
        i = locate(t, words, findings, used, language)
        r = {"kind": t["kind"], "written": t["written"], "script": str(t["amount"].value), "said": str(t["said"]),
             "deviates": t["deviates"], "index": i}
        if i is None:
            r.update(outcome="missing", shown=None)
            out.append(r)
            continue
        used.add(i)
        a = num.parse_written(_norm(words[i].text), language)
        shown = a.value if a is not None else None
        at = [f for f in findings if i in f.word_indices]
        err = any(f.severity == Severity.error and f.kind in ("price_mismatch", "number_mismatch") for f in at)
        warn = any(f.kind in ("number_disputed", "unverified_claim") for f in at)
        # the judge rejected the script's value (a dispute raised to an error) without a sure other value to show
        rejected = any(f.kind == "number_disputed" and f.severity == Severity.error for f in at)
        ok_value = shown == t["said"]
        if not t["deviates"]:
            outcome = "ok" if ok_value and not err else ("false_error" if err else "shown_wrong")
            if outcome == "ok" and rejected:
                outcome = "false_reject"
            elif outcome == "ok" and warn:
                outcome = "ok_disputed"
        else:
            if err and ok_value:
                outcome = "caught"
            elif err:
                outcome = "flagged_other_value"
            elif rejected:
                outcome = "rejected"
            elif warn:
                outcome = "disputed"
            elif ok_value:
                outcome = "shown_unflagged"  # the spoken value, but no error: not caught
            else:
                outcome = "silent"
        r.update(outcome=outcome, shown=str(shown), findings=[f.kind for f in at])
        out.append(r)
    return out


def adlibs(meta, words, findings) -> tuple[int, int, int, int]:
    devs = [d for d in meta.get("deviations", []) if d["type"] == "ad_lib"]
    skips = [d for d in meta.get("deviations", []) if d["type"] == "script_unspoken"]
    cap = " ".join(_norm(w.text).lower() for w in words)
    handled = 0
    for d in devs:
        # named: an ad-lib finding, or a recogniser word dropped with a warning (`pipeline.arbitrate_by_phones`)
        hit = any((f.kind == "ad_lib" or (f.kind == "word_dropped" and f.severity == "warning")) and f.start is not None and min(f.end or f.start, d["end_s"] + 0.5) - max(f.start, d["start_s"] - 0.5) > 0
                  for f in findings)
        said = [_norm(x).lower() for x in (d["spoken_text"] or "").split() if _norm(x)]
        inside = bool(said) and " ".join(said) in cap
        handled += bool(hit or inside)
    reported = sum(1 for _ in skips if any(f.kind in ("script_skipped", "script_unspoken") for f in findings))
    return handled, len(devs), reported, len(skips)


def run_eval(a) -> None:
    from bench_hint import recognise_cached
    from captioner.media import load_audio
    from captioner.pipeline import correct_stage

    from captioner.pipeline import align_stage

    rows: dict[str, dict] = {}
    per_ad = []
    t_start = time.perf_counter()
    for sub, folder, m in ads_of(Path(a.data).expanduser(), set(a.languages.split(",")), a.limit, a.music):
        L = m["language"]
        meta = json.loads((folder / m["meta"]).read_text(encoding="utf-8"))
        script = (folder / m["script"]).read_text(encoding="utf-8")
        audio_path = folder / m["audio"]
        P, R, pre, _ = recognise_cached(audio_path, L, script)
        audio = load_audio(audio_path)
        t = time.perf_counter()
        if a.evidence:
            # pipeline.correct_stage, with the judge's evidence (verify.gather) kept on disk: re-running with other
            # weights or thresholds only re-decides (verify.apply_verdicts); delete the folder when gather changes
            import pickle

            from captioner.hint import correct
            from captioner.pipeline import hotwords

            words, fixes = correct(P, script, L, on_mismatch="flag", terms=hotwords(script), reference=R)
            findings = [f.model_copy(deep=True) for f in pre + fixes]
            ev = Path(a.evidence).expanduser() / f"{m['id']}.pkl"
            if ev.is_file():
                cases, t_gather = pickle.loads(ev.read_bytes())
            else:
                cases = verify.gather(audio, words, findings, L, reference=R, options=judge_options(a))
                t_gather = time.perf_counter() - t
                ev.parent.mkdir(parents=True, exist_ok=True)
                ev.write_bytes(pickle.dumps((cases, t_gather)))
            words, findings = verify.apply_verdicts(cases, words, findings, L, judge_options(a))
            t_judge = t_gather
        else:
            words, findings = correct_stage(audio, P, R, script, L, pre)
            t_judge = time.perf_counter() - t
        if a.align and words:  # the product's alignment stage (+ script words the phone model hears, merged findings)
            words, findings = align_stage(audio, words, findings, L)
        prices = judge_prices(meta, words, findings, L)
        al = adlibs(meta, words, findings)
        r = rows.setdefault(L, {"ads": 0, "music": 0, "price": {}, "claim": {}, "adlib": [0, 0], "skip": [0, 0], "judge_s": []})
        r["ads"] += 1
        r["music"] += sub == "ads-music"
        for p in prices:
            key = ("changed:" if p["deviates"] else "honest:") + p["outcome"]
            r[p["kind"]][key] = r[p["kind"]].get(key, 0) + 1
        r["adlib"][0] += al[0]
        r["adlib"][1] += al[1]
        r["skip"][0] += al[2]
        r["skip"][1] += al[3]
        r["judge_s"].append(t_judge)
        per_ad.append({"id": m["id"], "language": L, "condition": meta.get("condition"), "prices": prices,
                       "adlib": al, "judge_s": round(t_judge, 2), "caption": " ".join(w.text for w in words),
                       "findings": [f"{f.kind} [{f.severity.value}] {f.message}" for f in findings
                                    if f.kind in ("price_mismatch", "number_mismatch", "number_disputed", "claim_verified",
                                                  "unverified_claim", "ad_lib", "script_skipped", "script_unspoken")]})
        bad = [p for p in prices if p["outcome"] in ("silent", "shown_wrong", "false_error", "missing", "flagged_other_value")]
        print(f"  {m['id']:16s} judge {t_judge:5.1f} s  " + "  ".join(f"{p['written']}→{p['outcome']}" for p in prices)
              + ("   <<< " + ", ".join(f"{p['written']} shown {p['shown']} said {p['said']}" for p in bad) if bad else ""),
              file=sys.stderr, flush=True)
    print_table(rows, a)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "data": str(a.data), "seconds": round(time.perf_counter() - t_start),
                               "rows": rows, "per_ad": per_ad}, ensure_ascii=False, indent=1, default=str))
    print(f"\nwrote {out}")


def judge_options(a) -> "verify.VerifyOptions":
    """The shipped judge settings with the decision rule and any `--option NAME=VALUE` overrides."""
    import ast
    import dataclasses

    kw = {"rule": a.rule}
    for item in a.option:
        name, _, value = item.partition("=")
        if name not in {f.name for f in dataclasses.fields(verify.VerifyOptions)}:
            raise SystemExit(f"--option: no judge setting named {name!r}")
        try:
            kw[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            kw[name] = value
    return verify.VerifyOptions(**kw)


def _count(d: dict, prefix: str, *names) -> int:
    return sum(d.get(prefix + n, 0) for n in names)


def print_table(rows: dict, a) -> None:
    print(f"\nPrice judge through the product's path — data {a.data} ({a.music})")
    print(f"{'lang':4} {'ads':>4} {'music':>5} | {'honest':>6} {'wrong':>6} {'false':>6} {'f.rej':>5} {'disp':>5} | {'changed':>7} "
          f"{'caught':>7} {'rejected':>8} {'disputed':>8} {'silent':>6} {'other':>6} | {'ad-libs':>8} {'skips':>6} | "
          f"{'judge s/ad med/max':>18}")
    tot: dict[str, int] = {}
    for L, r in rows.items():
        d = r["price"]
        hon = _count(d, "honest:", "ok", "ok_disputed", "shown_wrong", "false_error", "false_reject", "missing")
        wrong = _count(d, "honest:", "shown_wrong", "missing", "false_error")
        ch = _count(d, "changed:", "caught", "rejected", "disputed", "silent", "flagged_other_value", "shown_unflagged", "missing")
        js = r["judge_s"]
        print(f"{L:4} {r['ads']:4d} {r['music']:5d} | {hon:6d} {wrong:6d} {_count(d, 'honest:', 'false_error'):6d} "
              f"{_count(d, 'honest:', 'false_reject'):5d} {_count(d, 'honest:', 'ok_disputed'):5d} | {ch:7d} "
              f"{_count(d, 'changed:', 'caught'):7d} {_count(d, 'changed:', 'rejected'):8d} {_count(d, 'changed:', 'disputed'):8d} "
              f"{_count(d, 'changed:', 'silent', 'shown_unflagged', 'missing'):6d} {_count(d, 'changed:', 'flagged_other_value'):6d} | "
              f"{r['adlib'][0]:>3}/{r['adlib'][1]:<4} {r['skip'][0]:>2}/{r['skip'][1]:<3} | "
              f"{statistics.median(js) if js else 0:8.2f} {max(js) if js else 0:8.2f}")
        for k, v in d.items():
            tot[k] = tot.get(k, 0) + v
    print("claims (percentages, promo codes):",
          {L: {k: v for k, v in r["claim"].items()} for L, r in rows.items()})


# ------------------------------------------------------------------------------------------------
# calibration dump and fit (TUNING set only)

BONUSES = (0.0, 1.5, 3.0)


def run_dump(a) -> None:
    from bench_hint import recognise_cached
    from captioner.hint import correct
    from captioner.media import load_audio
    from captioner.pipeline import hotwords

    out = open(Path(a.dump).expanduser(), "w", encoding="utf-8")
    opts = verify.VerifyOptions(proposals=0, phone_bonus=0.0, window_words=a.window)
    for sub, folder, m in ads_of(Path(a.data).expanduser(), set(a.languages.split(",")), a.limit, a.music):
        L = m["language"]
        meta = json.loads((folder / m["meta"]).read_text(encoding="utf-8"))
        script = (folder / m["script"]).read_text(encoding="utf-8")
        P, R, pre, _ = recognise_cached(folder / m["audio"], L, script)
        audio = load_audio(folder / m["audio"])
        t0 = time.perf_counter()
        words, fixes = correct(P, script, L, terms=hotwords(script) if script else None, reference=R)
        findings = pre + fixes
        cases = verify._cases(words, findings, L, R, opts)
        ctx = verify._AdContext(audio, words, L, None, None, opts)
        for c in cases:
            ctx.spoken[c.index] = num.spoken_form(c.script, L)
        tr = truths(meta, L)
        used: set[int] = set()
        truth_at = {}
        for t in tr:
            i = locate(t, words, findings, used, L)
            if i is not None:
                used.add(i)
                truth_at[i] = t
        for c in cases:
            t = truth_at.get(c.index)
            if t is None or t["said"] is None:
                continue
            vals = {c.script.value, t["said"]} | (set(verify.one_digit_changes(c.script.value)) if a.one_digit else set())
            for v in (c.prompted, c.unprompted):
                if v is not None:
                    vals.add(v)
            readings = {v: verify.Reading(v, num.spoken_form(verify._with(c.script, v), L)) for v in vals if v >= 0}
            for v, who in ((c.prompted, "prompted"), (c.unprompted, "unprompted")):
                if v in readings:
                    readings[v].heard.add(who)
            readings[c.script.value].heard.add("script")
            for r in readings.values():
                if r.heard:
                    r.alts = num.spoken_variants(verify._with(c.script, r.value), L)[1:]
            sp = words[c.index].spoken
            if sp and c.prompted == c.script.value and not any(ch.isdigit() for ch in sp):
                readings[c.script.value].alts.append(sp)
            c.readings = list(readings.values())
            # phone grammar: the best readings under each bonus join the Whisper-scored set
            grid_rank = {}
            ph = ctx.phones
            if ph is not None and ctx.span_frames(c.index) is not None:
                i = c.index
                prev, nxt = verify._neighbour(words, i, -1), verify._neighbour(words, i, 1)
                spans = [ctx.span_frames(k) for k in (prev, i, nxt) if k is not None]
                spans = [s for s in spans if s is not None]
                own = ctx.span_frames(i) or (min(s[0] for s in spans), max(s[1] for s in spans))
                f0, f1 = max(0, own[0] - 6), min(ph.logp.shape[0], own[1] + 6)
                left = right = []
                grid = verify._grammar(c.script)
                spk = [num.spoken_form(verify._with(c.script, v), L) for v in grid]
                ph.prefetch(spk)
                seqs = [ph.ids(x) for x in spk]
                ll = ph.loglik(f0, f1, seqs)
                import numpy as np

                n = np.array([len(s) for s in seqs])
                for b in BONUSES:
                    sc = ll + b * n
                    order = np.argsort(-sc)
                    top = [grid[k] for k in order[:8]]
                    fine = verify._cents(c.script, top[:4])
                    if fine:
                        fseq = [ph.ids(num.spoken_form(verify._with(c.script, v), L)) for v in fine]
                        fl = ph.loglik(f0, f1, [left + s + right for s in fseq]) + b * np.array([len(s) for s in fseq])
                        allv = grid + fine
                        allsc = np.concatenate([sc, fl])
                        order = np.argsort(-allsc)
                        ranked = []
                        for k in order:
                            if allv[k] not in ranked:
                                ranked.append(allv[k])
                            if len(ranked) >= 12:
                                break
                    else:
                        ranked = [grid[k] for k in order[:12]]
                    for r_, v in enumerate(ranked):
                        grid_rank.setdefault(str(b), {})[str(v)] = r_
                        if r_ < 8 and v not in readings and v >= 0:
                            readings[v] = verify.Reading(v, num.spoken_form(verify._with(c.script, v), L))
                c.readings = list(readings.values())
            verify._phone_scores(ctx, c, opts)
            verify._whisper_scores(ctx, c, opts)
            rec = {"id": m["id"], "music": sub == "ads-music", "language": L, "kind": c.script.kind,
                   "script": str(c.script.value), "said": str(t["said"]), "deviates": t["deviates"],
                   "prompted": str(c.prompted) if c.prompted is not None else None,
                   "unprompted": str(c.unprompted) if c.unprompted is not None else None,
                   "fallback": c.fallback, "hearing": c.hearing, "phone_fit": c.phone_fit, "grid_rank": grid_rank,
                   "readings": [{"value": str(r.value), "heard": sorted(r.heard), "pmi": r.pmi, "ctc": r.ctc, "phones": r.phones}
                                for r in c.readings]}
            out.write(json.dumps(rec) + "\n")
            out.flush()
        print(f"  {m['id']}: {len(cases)} cases, {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    out.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(Path("~/.cache/captioner/genads/seed202")))
    ap.add_argument("--languages", default="en,de,fr,es,hi,zh")
    ap.add_argument("--limit", type=int, default=16, help="ads per language and folder (clean / music)")
    ap.add_argument("--music", choices=("both", "clean", "music"), default="both")
    ap.add_argument("--no-align", dest="align", action="store_false", help="skip the aligner's ad-lib findings")
    ap.add_argument("--dump", help="write the calibration evidence (TUNING set) to this JSONL file")
    ap.add_argument("--fit", help="fit the judge's weights on a dump (see bench_numbers_fit.py)")
    ap.add_argument("--window", type=int, default=verify.VerifyOptions().window_words, help="dump: Whisper window (words each side)")
    ap.add_argument("--one-digit", action="store_true", help="dump: also score every one-digit change of the script's value")
    ap.add_argument("--rule", default=verify.VerifyOptions().rule, choices=("posterior", "pairwise"),
                    help="with --evidence: the judge's decision rule (the shipped one by default)")
    ap.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                    help="with --evidence: a judge setting (verify.VerifyOptions) other than the shipped one, for gathering and deciding; repeatable")
    ap.add_argument("--evidence", help="keep the judge's evidence per ad in this folder (re-decide without re-scoring)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "numbers.json"))
    from common import apply_judge_compute, judge_compute_option

    judge_compute_option(ap)
    a = ap.parse_args()
    apply_judge_compute(a.judge_compute, a.judge_engine)
    os.environ.setdefault("CAPTIONER_BENCH_CACHE", str(Path("~/.cache/captioner/bench-asr").expanduser()))
    if a.fit:
        from bench_numbers_fit import fit

        fit(a.fit)
    elif a.dump:
        run_dump(a)
    else:
        run_eval(a)


if __name__ == "__main__":
    main()
