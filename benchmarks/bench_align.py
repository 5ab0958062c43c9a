"""Benchmark captioner.align: word onset/end error against the synthesizer's ground truth, OLD vs NEW aligner.

Methods, in the same run, on the same audio and the same (time-less) spoken words:
  * ``old``: ``align_signal`` — signal DP + Whisper cross-attention prior (the aligner before the phone model);
  * ``new``: ``align`` — CTC forced alignment with hama's phone model, falling back to ``old`` for words it is
    not confident about (the share of words each aligner timed is reported).
Data sets (``--sets``, comma separated):
  * ``dev`` = ``$CAPTIONER_DATA/ads`` (or ../shared/data/ads), ``music`` = ``…/ads-music`` (DEV twins under a bed);
  * ``seedN`` / ``seedN-m`` = generated ads of benchmarks/genads.py in ``~/.cache/captioner/genads/seedN/ads`` /
    ``…/ads-music`` (seed 101 = TUNING, seed 202 = REPORT; never tune on the report seed).
Speed: aligner seconds / audio seconds over each set (one run per ad; the machine is shared, so compare the two
methods of the same run), and CPU seconds (all threads) per audio second, which the other jobs on the machine
disturb less. ``--fit-lag SETS`` fits the phone model's constant onset lag on those sets (mean |error|
over a 5 ms grid) and prints it — done once on seed 101. ``--speech`` compares onsets on real speech
(``speech/``: FLEURS en/de/fr/es, JFK) with pocketsphinx (en; ``pip install pocketsphinx==5.1.1``) and between
the two aligners. Writes benchmarks/results/align.json and prints tables.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
import unicodedata
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from captioner.align import PhoneOptions, align_signal, align_words  # noqa: E402
from captioner.media import load_audio  # noqa: E402
from captioner.types import Word  # noqa: E402

LANGS = ["en", "de", "fr", "es", "hi", "zh"]
GOALS = {"clean": (20.0, 60.0), "music": (30.0, 100.0)}


def data_dir() -> Path:
    return Path(os.environ.get("CAPTIONER_DATA") or (ROOT / ".." / "shared" / "data")).resolve()


def set_dir(name: str) -> Path:
    if name == "dev":
        return data_dir() / "ads"
    if name == "music":
        return data_dir() / "ads-music"
    m = re.fullmatch(r"seed(\d+)(-m)?", name)
    if not m:
        raise SystemExit(f"unknown set {name!r}: dev, music, seedN, seedN-m")
    return Path.home() / ".cache" / "captioner" / "genads" / f"seed{m.group(1)}" / ("ads-music" if m.group(2) else "ads")


def is_music(name: str) -> bool:
    return name == "music" or name.endswith("-m")


def spoken_tokens(spoken: str, gt: list[dict], language: str) -> list[str]:
    """One token per ground-truth word, with the punctuation that follows it in spoken.txt."""
    out = []
    for j, g in enumerate(gt):
        b = g["char_end"]
        nxt = gt[j + 1]["char_start"] if j + 1 < len(gt) else len(spoken)
        while b < nxt and not spoken[b].isspace() and (language != "zh" or not spoken[b].isalnum()):
            b += 1
        out.append(spoken[g["char_start"]: b])
    return out


def _norm(t: str) -> str:
    t = unicodedata.normalize("NFKC", t).lower()
    return re.sub(r"[\W_]+", "", t)


def load_set(name: str, langs: list[str], limit: int = 0):
    d = set_dir(name)
    mf = d / "manifest.jsonl"
    if not mf.exists():
        raise SystemExit(f"{mf} is missing: generate it (python benchmarks/genads.py --seed N ...)")
    ads = []
    counts: dict[str, int] = {}
    for line in mf.read_text().splitlines():
        if not line.strip():
            continue
        m = json.loads(line)
        if m["language"] not in langs or not m.get("words"):
            continue
        if limit and counts.get(m["language"], 0) >= limit:
            continue
        counts[m["language"]] = counts.get(m["language"], 0) + 1
        ads.append((d, m))
    return ads


def stats(err_s):
    e = np.abs(np.asarray(err_s, dtype=float)) * 1000
    if e.size == 0:
        return None
    return {"n": int(e.size), "mean_ms": round(float(e.mean()), 1), "median_ms": round(float(np.median(e)), 1),
            "p95_ms": round(float(np.percentile(e, 95)), 1), "within_50ms_pct": round(float(np.mean(e <= 50) * 100), 1),
            "bias_ms": round(float(np.median(err_s) * 1000), 1)}


def run_ad(d: Path, m: dict, methods: list[str], popts: PhoneOptions | None = None):
    lang = m["language"]
    audio = load_audio(d / m["audio"])
    gt = json.loads((d / m["words"]).read_text(encoding="utf-8"))["words"]
    spoken = (d / m["spoken"]).read_text(encoding="utf-8").strip()
    texts = spoken_tokens(spoken, gt, lang)
    words = [Word(text=x, start=0, end=0) for x in texts]
    gs = np.array([g["start"] for g in gt])
    ge = np.array([g["end"] for g in gt])
    res = {"dur": len(audio) / 16000, "gs": gs, "ge": ge}
    for meth in methods:
        t = time.perf_counter()
        c = time.process_time()
        if meth == "old":
            out = align_signal(audio, words, lang)
            info = {}
        else:
            r = align_words(audio, words, lang, phone_options=popts)
            out = r.words
            info = {"phones": r.by_phones, "signal": r.by_signal, "interp": r.interpolated,
                    "findings": [f.kind for f in r.findings]}
        res[meth] = {"t": time.perf_counter() - t, "cpu": time.process_time() - c, "s": np.array([w.start for w in out]), "e": np.array([w.end for w in out]),
                     "info": info}
    return res


def bench_sets(sets: list[str], langs: list[str], limit: int):
    result = {}
    for name in sets:
        ads = load_set(name, langs, limit)
        groups = langs + [l + "/piper" for l in langs]  # Piper ads (natural voice, en only) scored apart
        per = {l: {k: {"on": [], "end": [], "t": 0.0, "cpu": 0.0} for k in ("old", "new")} for l in groups}
        audio_s = {l: 0.0 for l in groups}
        used = {l: {"phones": 0, "signal": 0, "interp": 0} for l in groups}
        notes = {l: {} for l in groups}
        print(f"\n== {name}: {len(ads)} ads from {set_dir(name)}", flush=True)
        for d, m in ads:
            lang = m["language"] + ("/piper" if m.get("tts") == "piper" else "")
            r = run_ad(d, m, ["old", "new"])
            audio_s[lang] += r["dur"]
            for k in ("old", "new"):
                per[lang][k]["on"] += list(r[k]["s"] - r["gs"])
                per[lang][k]["end"] += list(r[k]["e"] - r["ge"])
                per[lang][k]["t"] += r[k]["t"]
                per[lang][k]["cpu"] += r[k]["cpu"]
            for k in ("phones", "signal", "interp"):
                used[lang][k] += r["new"]["info"][k]
            for f in r["new"]["info"]["findings"]:
                notes[lang][f] = notes[lang].get(f, 0) + 1
            print(f"  {m['id']}: {len(r['gs'])} words, old {r['old']['t']:.2f} s, new {r['new']['t']:.2f} s for "
                  f"{r['dur']:.1f} s; new: {r['new']['info']['phones']} phones / {r['new']['info']['signal']} signal / "
                  f"{r['new']['info']['interp']} interpolated; onset mean old "
                  f"{np.mean(np.abs(r['old']['s'] - r['gs'])) * 1000:.0f} ms, new {np.mean(np.abs(r['new']['s'] - r['gs'])) * 1000:.0f} ms",
                  flush=True)
        goal = GOALS["music" if is_music(name) else "clean"]
        out = {"dir": str(set_dir(name)), "goal_mean_p95_ms": goal, "languages": {}}
        for lang in groups:
            if not audio_s[lang]:
                continue
            r = {}
            for k in ("old", "new"):
                r[k] = {"onset": stats(per[lang][k]["on"]), "end": stats(per[lang][k]["end"]),
                        "rtf": round(per[lang][k]["t"] / audio_s[lang], 4),
                        "cpu_rtf": round(per[lang][k]["cpu"] / audio_s[lang], 4)}
            on = r["new"]["onset"]
            r["new"]["words_by"] = used[lang]
            r["new"]["findings"] = notes[lang]
            r["goal_met"] = bool(on["mean_ms"] <= goal[0] and on["p95_ms"] <= goal[1])
            out["languages"][lang] = r
        tot_a = sum(audio_s.values())
        out["rtf"] = {k: round(sum(per[l][k]["t"] for l in groups) / max(tot_a, 1e-9), 4) for k in ("old", "new")}
        out["cpu_rtf"] = {k: round(sum(per[l][k]["cpu"] for l in groups) / max(tot_a, 1e-9), 4) for k in ("old", "new")}
        result[name] = out
        print_set(name, out)
    return result


def print_set(name: str, out: dict):
    goal = out["goal_mean_p95_ms"]
    print(f"\n{name}  (goal: onset mean <= {goal[0]:.0f} ms, p95 <= {goal[1]:.0f} ms)")
    hdr = (f"{'lang':8} {'aligner':7} {'n':>4} | {'onset mean':>10} {'median':>6} {'p95':>5} {'<=50ms':>6} {'bias':>5} | "
           f"{'end mean':>8} {'p95':>5} | {'RTF':>6} | words by phones/signal/interp | goal")
    print(hdr)
    print("-" * len(hdr))
    for lang, r in out["languages"].items():
        for k in ("old", "new"):
            on, en = r[k]["onset"], r[k]["end"]
            by = r[k].get("words_by")
            byt = f"{by['phones']}/{by['signal']}/{by['interp']}" if by else ""
            g = ("met" if r["goal_met"] else "MISSED") if k == "new" else ""
            print(f"{lang:8} {k:7} {on['n']:4} | {on['mean_ms']:10.1f} {on['median_ms']:6.1f} {on['p95_ms']:5.0f} "
                  f"{on['within_50ms_pct']:5.1f}% {on['bias_ms']:5.0f} | {en['mean_ms']:8.1f} {en['p95_ms']:5.0f} | "
                  f"{r[k]['rtf']:6.3f} | {byt:>30} | {g}")
    print(f"RTF over the set (wall, shared machine): old {out['rtf']['old']:.3f}, new {out['rtf']['new']:.3f}; "
          f"CPU seconds per audio second (all threads): old {out['cpu_rtf']['old']:.3f}, new {out['cpu_rtf']['new']:.3f}")


def fit_lag(sets: list[str], langs: list[str], limit: int):
    """The phone model's onset lag, fitted once: a constant (least mean |error| on a 5 ms grid) and one value per
    word-initial token (its median error, shrunk towards the overall median with a weight of 20 words)."""
    from captioner.align import PhoneOptions, phone_ids
    from captioner.phones import FRAME_S, load

    pm = load()
    popts = PhoneOptions()
    errs, toks = [], []
    for name in sets:
        for d, m in load_set(name, langs, limit):
            lang = m["language"]
            gt = json.loads((d / m["words"]).read_text(encoding="utf-8"))["words"]
            spoken = (d / m["spoken"]).read_text(encoding="utf-8").strip()
            words = [Word(text=x, start=0, end=0) for x in spoken_tokens(spoken, gt, lang)]
            cached = Path(f"/tmp/h13a_lp/{name}/{m['id']}.npy")
            lp = np.load(cached).astype(np.float32) if cached.exists() else pm.emissions(load_audio(d / m["audio"]))
            ids = phone_ids(pm, words, lang)
            al = pm.forced_align(lp, ids, filler=True, filler_penalty=popts.filler_penalty)
            for k, w in enumerate(al.words):
                if w.start is not None and ids[k]:
                    errs.append(w.start * FRAME_S - gt[k]["start"])
                    toks.append(pm.tokens[ids[k][0]])
    e = np.asarray(errs)
    grid = np.arange(0.0, 0.16, 0.005)
    cost = [float(np.mean(np.abs(e - g))) for g in grid]
    const = float(grid[int(np.argmin(cost))])
    base = float(np.median(e))
    table = {}
    for t in sorted(set(toks)):
        v = e[[k for k, x in enumerate(toks) if x == t]]
        table[t] = round((len(v) * float(np.median(v)) + 20 * base) / (len(v) + 20), 3)
    per = np.array([table[t] for t in toks])
    print(f"fitted on {','.join(sets)} ({e.size} words): constant lag {const * 1000:.0f} ms (mean |err| {min(cost) * 1000:.1f} ms); "
          f"per first token: mean |err| {np.mean(np.abs(e - per)) * 1000:.1f} ms (in sample)")
    print("ONSET_LAG_S = " + json.dumps(table, ensure_ascii=False))
    return {"sets": sets, "lag_s": const, "n": int(e.size), "per_token": table}


def speech_check():
    """Real speech: pocketsphinx vs old/new (en), and new vs old (all clips). No ground truth."""
    d = data_dir() / "speech"
    try:
        from pocketsphinx import Decoder
    except ImportError:
        Decoder = None
    rows, ps_old, ps_new, new_old = [], [], [], []
    for line in (d / "manifest.jsonl").read_text().splitlines():
        m = json.loads(line)
        lang = m["language"]
        audio = load_audio(d / m["audio"])
        words = [w for w in re.sub(r"[^\w' ]+", " ", m["reference"].lower()).split() if w]
        ws = [Word(text=w, start=0, end=0) for w in words]
        old = align_signal(audio, ws, lang)
        t = time.perf_counter()
        r = align_words(audio, ws, lang)
        tn = time.perf_counter() - t
        new = r.words
        row = {"id": m["id"], "language": lang, "n": len(words), "new_rtf": round(tn / (len(audio) / 16000), 3),
               "new_by_phones": r.by_phones, "new_by_signal": r.by_signal}
        dno = np.array([a.start - b.start for a, b in zip(new, old)])
        new_old += list(dno)
        row["new_vs_old_median_abs_ms"] = round(float(np.median(np.abs(dno)) * 1000), 1)
        if lang == "en" and Decoder is not None:
            dec = Decoder(samprate=16000, bestpath=False)
            pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
            try:
                dec.set_align_text(" ".join(words))
                dec.start_utt()
                dec.process_raw(pcm, full_utt=True)
                dec.end_utt()
                seg = [(s.word, s.start_frame / 100.0) for s in dec.seg() if s.word not in ("<s>", "</s>", "<sil>", "(NULL)")]
            except Exception as e:  # a word missing from the dictionary, ...
                row["pocketsphinx"] = f"error: {str(e)[:80]}"
                seg = None
            if seg is not None and len(seg) == len(words):
                po = [o.start - t for o, (_, t) in zip(old, seg)]
                pn = [o.start - t for o, (_, t) in zip(new, seg)]
                ps_old += po
                ps_new += pn
                row["ps_vs_old_median_abs_ms"] = round(float(np.median(np.abs(po)) * 1000), 1)
                row["ps_vs_new_median_abs_ms"] = round(float(np.median(np.abs(pn)) * 1000), 1)
            elif seg is not None:
                row["pocketsphinx"] = f"returned {len(seg)} of {len(words)} words"
        rows.append(row)
        print(" ", row, flush=True)

    def agg(x):
        a = np.abs(np.asarray(x)) * 1000
        return None if a.size == 0 else {"n": int(a.size), "median_abs_ms": round(float(np.median(a)), 1),
                                         "p90_abs_ms": round(float(np.percentile(a, 90)), 1),
                                         "within_50ms_pct": round(float(np.mean(a <= 50) * 100), 1),
                                         "median_signed_ms": round(float(np.median(x) * 1000), 1)}

    out = {"clips": rows, "new_vs_old": agg(new_old), "pocketsphinx_vs_old_en": agg(ps_old),
           "pocketsphinx_vs_new_en": agg(ps_new), "pocketsphinx": "installed" if Decoder else "not installed"}
    print("real speech:", json.dumps({k: v for k, v in out.items() if k != "clips"}))
    return out


# --------------------------------------------------------------------------------------------
# tuning (run on the TUNING seed only): lag, fallback threshold, filler/skip penalties, G2P choice


def _script_variant(spoken: str, gt: list[dict], meta: dict, language: str):
    """The words a script-following caption would give the aligner for this ad: the spoken tokens without the
    ad-lib, with the skipped sentence put back. Returns (tokens, gt index per token or -1, ad-lib spans (s),
    indices of the inserted skipped tokens)."""
    toks = spoken_tokens(spoken, gt, language)
    idx = list(range(len(toks)))
    adlib, skipped = [], []
    for dv in meta.get("deviations", []):
        if dv["type"] == "ad_lib" and dv.get("word_indices"):
            drop = set(dv["word_indices"])
            keep = [k for k in range(len(toks)) if k not in drop]
            toks, idx = [toks[k] for k in keep], [idx[k] for k in keep]
            adlib.append((dv["start_s"], dv["end_s"]))
        elif dv["type"] == "script_unspoken":
            pos = dv["spoken_char_span"][0]
            at = next((n for n, k in enumerate(idx) if k >= 0 and gt[k]["char_start"] >= pos), len(toks))
            phrase = list(dv["script_text"]) if language == "zh" else dv["script_text"].split()
            phrase = [x for x in phrase if _norm(x)]
            toks = toks[:at] + phrase + toks[at:]
            idx = idx[:at] + [-1] * len(phrase) + idx[at:]
            skipped.append(list(range(at, at + len(phrase))))
    return toks, idx, adlib, skipped


def tune(sets: list[str], langs: list[str], limit: int, backends: list[str], unscripted: bool = True):
    """Grid figures on the tuning sets (emissions computed once per ad)."""
    from captioner.phones import FRAME_S, load

    pm = load()
    cache = []
    for name in sets:
        for d, m in load_set(name, langs, limit):
            lang = m["language"]
            audio = load_audio(d / m["audio"])
            gt = json.loads((d / m["words"]).read_text(encoding="utf-8"))["words"]
            meta = json.loads((d / m["meta"]).read_text(encoding="utf-8"))
            spoken = (d / m["spoken"]).read_text(encoding="utf-8").strip()
            toks = spoken_tokens(spoken, gt, lang)
            cached = Path(f"/tmp/h13a_lp/{name}/{m['id']}.npy")
            lp = np.load(cached).astype(np.float32) if cached.exists() else pm.emissions(audio)
            ids = {}
            for b in backends:
                try:
                    ids[b] = phone_ids_backend(pm, toks, lang, b)
                except (ImportError, ValueError):  # not installed / no such language in that backend
                    pass
            sv = _script_variant(spoken, gt, meta, lang)
            sids = phone_ids_backend(pm, sv[0], lang, backends[0])
            cache.append(dict(name=name, id=m["id"], lang=lang, lp=lp, gs=np.array([g["start"] for g in gt]), ids=ids,
                              cond=meta.get("condition", "dev"), script=sv, sids=sids, music=is_music(name)))
            print(f"  cached {m['id']} ({name})", flush=True)
    out = {}
    # 1. lag and G2P: onset errors with lag 0, per backend
    grid = np.arange(0.0, 0.16, 0.005)
    for b in backends:
        errs, scores, per = [], [], {}
        for c in cache:
            if b not in c["ids"]:
                continue
            al = pm.forced_align(c["lp"], c["ids"][b], filler=True, filler_penalty=PhoneOptions().filler_penalty)
            st = np.array([w.start * FRAME_S if w.start is not None else np.nan for w in al.words])
            e = st - c["gs"]
            errs += list(e)
            scores += [w.score for w in al.words]
            per.setdefault((c["lang"], c["music"]), []).extend(list(e))
        e = np.asarray(errs)
        ok = np.isfinite(e)
        cost = [float(np.mean(np.abs(e[ok] - g))) for g in grid]
        lag = float(grid[int(np.argmin(cost))])
        print(f"\nG2P {b}: best common lag {lag * 1000:.0f} ms over {ok.sum()} words")
        rows = {}
        for (lang, mus), le in sorted(per.items()):
            le = np.asarray(le)
            a = np.abs(le[np.isfinite(le)] - lag) * 1000
            rows[f"{lang}{'-m' if mus else ''}"] = {"mean_ms": round(float(a.mean()), 1), "p95_ms": round(float(np.percentile(a, 95)), 1)}
            print(f"  {lang}{' music' if mus else '      '}: mean {a.mean():5.1f} ms, p95 {np.percentile(a, 95):5.0f} ms")
        out[f"g2p_{b}"] = {"lag_s": lag, "by_language": rows}
        if b == backends[0]:
            sc = np.asarray(scores)[ok]
            ae = np.abs(e[ok] - lag)
            print("  word score vs onset error (default G2P):")
            qs = []
            for lo, hi in [(-99, -4), (-4, -3), (-3, -2), (-2, -1.5), (-1.5, -1), (-1, -0.5), (-0.5, 1)]:
                sel = (sc >= lo) & (sc < hi)
                if sel.any():
                    qs.append({"score": [lo, hi], "n": int(sel.sum()), "mean_ms": round(float(ae[sel].mean() * 1000), 1),
                               "over_50ms_pct": round(float(np.mean(ae[sel] > 0.05) * 100), 1)})
                    print(f"    score [{lo}, {hi}): n {sel.sum():4d}, mean {ae[sel].mean() * 1000:6.1f} ms, "
                          f"> 50 ms {np.mean(ae[sel] > 0.05) * 100:5.1f} %")
            out["score_vs_error"] = qs
    if not unscripted:
        return out
    # 2. unscripted speech on the script-following text: ad-libs (filler speech in a gap) and skipped phrases
    print("\nunscripted speech (script text vs voice): filler penalty; skip penalty and the shortest unheard run")
    res = []
    for fp in (0.0, 0.25, 0.5, 1.0):
        for mins in (0.3, 0.5):
            hit_a = n_a = fa_ads = n_ads = 0
            for c in cache:
                al = pm.forced_align(c["lp"], c["sids"], filler=True, filler_penalty=fp)
                spans = [(f.start * FRAME_S - 0.08, f.end * FRAME_S - 0.08) for f in al.fillers
                         if (f.end - f.start) * FRAME_S >= mins and len(f.phones.split()) >= 4]
                adlib = c["script"][2]
                false = [x for x in spans if not any(x[0] < b + 0.1 and x[1] > a - 0.1 for a, b in adlib)]
                fa_ads += bool(false)
                n_ads += 1
                for a, b in adlib:
                    n_a += 1
                    hit_a += any(x[0] < b + 0.1 and x[1] > a - 0.1 for x in spans)
            r = {"filler_penalty": fp, "min_ad_lib_s": mins, "ad_lib_found": f"{hit_a}/{n_a}", "ads_with_false_ad_lib": f"{fa_ads}/{n_ads}"}
            res.append(r)
            print(f"  filler {fp:3.1f} min {mins:.1f} s: ad-lib found {hit_a}/{n_a}, ads with a false ad-lib {fa_ads}/{n_ads}", flush=True)
    for sp, run, min_tok in [(sp, run, mt) for sp in (2.0, 3.0, 4.0) for run in (0.0, 8.0, 16.0) for mt in (6, 8)]:
        if True:
            hit_s = n_s = fa_ads = n_ads = fa_words = 0
            for c in cache:
                sk = unheard_runs(pm, c["lp"], c["sids"], sp, min_tok, run)
                truth = {k for run in c["script"][3] for k in run if c["sids"][k]}
                fa_ads += bool(sk - truth)
                fa_words += len(sk - truth)
                n_ads += 1
                for skipped_run in c["script"][3]:
                    said = [k for k in skipped_run if c["sids"][k]]
                    if said:
                        n_s += 1
                        hit_s += len(set(said) & sk) >= 0.5 * len(said)
            r = {"skip_penalty": sp, "skip_run_penalty": run, "min_unheard_tokens": min_tok, "skipped_found": f"{hit_s}/{n_s}",
                 "ads_with_false_unheard": f"{fa_ads}/{n_ads}", "false_unheard_words": fa_words}
            res.append(r)
            print(f"  skip {sp:3.1f} per run {run:4.1f}, run >= {min_tok:2d} tokens: skipped phrase found {hit_s}/{n_s}, ads with false unheard words "
                  f"{fa_ads}/{n_ads} ({fa_words} words)", flush=True)
    out["unscripted"] = res
    return out


def unheard_runs(pm, lp, ids, skip_penalty: float, min_tokens: int, run_penalty: float = 0.0) -> set:
    """Words a skip-enabled alignment leaves out, kept only in runs of >= 2 words and >= min_tokens tokens."""
    from captioner.align import _index_runs

    al = pm.forced_align(lp, ids, filler=True, filler_penalty=PhoneOptions().filler_penalty, skip_penalty=skip_penalty,
                         skip_run_penalty=run_penalty)
    cand = [k for k, w in enumerate(al.words) if w.skipped and ids[k]]
    out = set()
    for run in _index_runs(cand):
        if len(run) >= 2 and sum(len(ids[k]) for k in run) >= min_tokens:
            out |= set(run)
    return out


def unscripted(sets: list[str], langs: list[str], limit: int):
    """The aligner's unscripted-speech findings on script-following text (``align_words``, shipped settings):
    ad-libs reported (an ``ad_lib`` finding overlapping the ad-lib's time span), skipped phrases reported (a
    ``script_unspoken`` finding holding >= half of the phrase's words), and ads with a false finding."""
    from captioner.align import align_words

    out = {}
    for name in sets:
        hit_a = n_a = hit_s = n_s = false_ads = n_ads = 0
        per_lang: dict[str, list[int]] = {}
        for d, m in load_set(name, langs, limit):
            lang = m["language"]
            gt = json.loads((d / m["words"]).read_text(encoding="utf-8"))["words"]
            meta = json.loads((d / m["meta"]).read_text(encoding="utf-8"))
            spoken = (d / m["spoken"]).read_text(encoding="utf-8").strip()
            toks, idx, adlib, skipped = _script_variant(spoken, gt, meta, lang)
            r = align_words(load_audio(d / m["audio"]), [Word(text=t, start=0, end=0) for t in toks], lang)
            ad = [f for f in r.findings if f.kind == "ad_lib"]
            un = [f for f in r.findings if f.kind == "script_unspoken"]
            found_a = [any(f.start < b + 0.1 and f.end > a - 0.1 for f in ad) for a, b in adlib]
            truth = {k for run in skipped for k in run}
            found_s = [len(set(run) & {k for f in un for k in f.word_indices}) >= 0.5 * len(run) for run in skipped]
            false = [f for f in ad if not any(f.start < b + 0.1 and f.end > a - 0.1 for a, b in adlib)] + \
                    [f for f in un if not set(f.word_indices) & truth]
            hit_a += sum(found_a)
            n_a += len(adlib)
            hit_s += sum(found_s)
            n_s += len(skipped)
            false_ads += bool(false)
            n_ads += 1
            pl = per_lang.setdefault(lang, [0, 0, 0, 0, 0, 0])
            pl[0] += sum(found_a); pl[1] += len(adlib); pl[2] += sum(found_s); pl[3] += len(skipped)
            pl[4] += bool(false); pl[5] += 1
            if false or not all(found_a) or not all(found_s):
                print(f"  {m['id']}: ad-lib {found_a}, skipped {found_s}, false {[(f.kind, f.start, f.end) for f in false]}",
                      flush=True)
        out[name] = {"ad_lib_found": f"{hit_a}/{n_a}", "skipped_found": f"{hit_s}/{n_s}",
                     "ads_with_a_false_finding": f"{false_ads}/{n_ads}",
                     "by_language": {l: {"ad_lib": f"{v[0]}/{v[1]}", "skipped": f"{v[2]}/{v[3]}", "false_ads": f"{v[4]}/{v[5]}"}
                                     for l, v in per_lang.items()}}
        print(f"{name}: ad-libs reported {hit_a}/{n_a}, skipped phrases reported {hit_s}/{n_s}, ads with a false "
              f"finding {false_ads}/{n_ads}; {json.dumps(out[name]['by_language'], ensure_ascii=False)}", flush=True)
    return out


def phone_ids_backend(pm, toks: list[str], lang: str, backend: str) -> list[list[int]]:
    from captioner import g2p
    from captioner.align import _units_of, _whisper_language

    lang = _whisper_language(lang)
    units = [_units_of(t, lang) for t in toks]
    flat = [u for us in units for u in us]
    ph = g2p.phonemize(flat, lang, backend_name=backend)
    out, k = [], 0
    for us in units:
        ids = []
        for p in ph[k:k + len(us)]:
            ids += pm.tokenize(p)
        k += len(us)
        out.append(ids)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="dev,music,seed202,seed202-m")
    ap.add_argument("--langs", default=",".join(LANGS))
    ap.add_argument("--limit", type=int, default=0, help="at most this many ads per language and set (0: all)")
    ap.add_argument("--fit-lag", default="", help="sets to fit the phone model's lag on (e.g. seed101,seed101-m)")
    ap.add_argument("--tune", default="", help="tuning figures on these sets (TUNING seed only, e.g. seed101,seed101-m)")
    ap.add_argument("--g2p", default="", help="with --tune: G2P backends to compare (default first, e.g. default,espeak)")
    ap.add_argument("--g2p-only", action="store_true", help="with --tune: only the G2P / lag / score figures")
    ap.add_argument("--unscripted", default="", help="unscripted-speech findings on these sets (script-following text)")
    ap.add_argument("--permissive-only", action="store_true",
                    help="never use espeak for G2P, even where it is installed and preferred (fr, hi)")
    ap.add_argument("--speech", action="store_true", help="real-speech agreement (pocketsphinx en, old vs new)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "align.json"))
    args = ap.parse_args(argv)
    langs = args.langs.split(",")
    result = {"date": str(date.today()), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
              "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
              "command": "python benchmarks/bench_align.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    from captioner import g2p

    if args.permissive_only:
        g2p.ESPEAK_PREFERRED = ()
    result["g2p"] = {lang: g2p.choose(lang) for lang in langs}
    print("G2P per language:", result["g2p"])
    align_signal(np.zeros(16000, np.float32), [Word(text="warm", start=0, end=0)], "en")  # load the models once
    align_words(np.zeros(16000, np.float32), [Word(text="warm", start=0, end=0)], "en")
    if args.tune:
        backends = [b for b in (args.g2p or "default").split(",")]
        backends = [None if b == "default" else b for b in backends]
        result["tune"] = tune(args.tune.split(","), langs, args.limit, backends, not args.g2p_only)
    if args.fit_lag:
        result["fit_lag"] = fit_lag(args.fit_lag.split(","), langs, args.limit)
    if args.sets:
        result["sets"] = bench_sets(args.sets.split(","), langs, args.limit)
    if args.unscripted:
        result["unscripted"] = unscripted(args.unscripted.split(","), langs, args.limit)
    if args.speech:
        result["speech"] = speech_check()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    os.replace(tmp, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
