"""Benchmark captioner.align: word onset/end error against the synthesizer's ground truth, per language.

Anchors in the same run, on the same audio:
  * ``fw-words``: raw faster-whisper word timestamps (transcribe, language pinned, the spoken text as
    initial prompt, word_timestamps=True), matched to the ground-truth words by text (only the
    words it recognised are scored; the count is reported);
  * ``xattn``: the raw cross-attention alignment of the *known* text (faster-whisper's
    ``find_alignment`` on a 30 s padded window) — what Whisper alone gives a forced aligner;
  * ``ours``: ``captioner.align.align`` on words without any times.
Speed: ``align`` seconds / audio seconds (median of --repeats runs), next to faster-whisper's
transcribe real-time factor measured in the same run.
Optional: ``--sphinx`` compares onsets with pocketsphinx forced alignment on the real English speech
in ``speech/`` (no ground truth there; median disagreement) — needs ``pip install pocketsphinx``.

Data: ``$CAPTIONER_DATA`` or ``../shared/data`` (relative to the repository). Writes
benchmarks/results/align.json and prints a table.
"""
from __future__ import annotations

import argparse
import difflib
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

from captioner.align import align  # noqa: E402
from captioner.media import load_audio  # noqa: E402
from captioner.types import Word  # noqa: E402

LANGS = ["en", "de", "fr", "es", "hi", "zh"]


def data_dir() -> Path:
    return Path(os.environ.get("CAPTIONER_DATA") or (ROOT / ".." / "shared" / "data")).resolve()


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


def fw_words(model, audio, language, prompt):
    """Raw faster-whisper word timestamps, split into characters for zh (the ground-truth unit)."""
    segs, _ = model.transcribe(audio, language=language, task="transcribe", beam_size=5, word_timestamps=True,
                               initial_prompt=prompt, condition_on_previous_text=False, vad_filter=False)
    out = []
    for s in segs:
        for w in s.words or []:
            t = _norm(w.word)
            if not t:
                continue
            if language == "zh":  # spread the word's span over its characters
                n = len(t)
                for k, ch in enumerate(t):
                    out.append((ch, w.start + (w.end - w.start) * k / n, w.start + (w.end - w.start) * (k + 1) / n))
            else:
                out.append((t, w.start, w.end))
    return out


def match(hyp, gt_texts):
    """Indices (hyp, gt) of words matched by text (difflib on normalised tokens)."""
    a = [h[0] for h in hyp]
    b = [_norm(t) for t in gt_texts]
    sm = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    pairs = []
    for blk in sm.get_matching_blocks():
        for k in range(blk.size):
            pairs.append((blk.a + k, blk.b + k))
    return pairs


def xattn(model, audio, texts, language):
    """Raw cross-attention alignment of the known words (30 s padded window), per word start/end."""
    from faster_whisper.tokenizer import Tokenizer
    from faster_whisper.transcribe import pad_or_trim

    tok = Tokenizer(model.hf_tokenizer, True, task="transcribe", language=language)
    feats = model.feature_extractor(audio)
    n = min(feats.shape[-1], 3000)
    enc = model.encode(pad_or_trim(feats))
    toks, bounds = [], []
    for i, t in enumerate(texts):
        bounds.append(len(toks))
        toks += tok.encode(t if language == "zh" else " " + t)
    bounds.append(len(toks))
    res = model.model.align(enc, tok.sot_sequence, [toks], n, median_filter_width=7)[0]
    al = np.asarray(res.alignments)
    jumps = np.concatenate([[True], np.diff(al[:, 0]) != 0])
    jt = al[:, 1][jumps] / 50.0
    jt = np.concatenate([jt, np.full(max(0, len(toks) + 1 - len(jt)), jt[-1])])
    b = np.asarray(bounds)
    return jt[b[:-1]], jt[b[1:]]


def stats(err_s):
    e = np.abs(np.asarray(err_s)) * 1000
    if e.size == 0:
        return None
    return {"n": int(e.size), "mean_ms": round(float(e.mean()), 1), "median_ms": round(float(np.median(e)), 1),
            "p95_ms": round(float(np.percentile(e, 95)), 1), "within_50ms_pct": round(float(np.mean(e <= 50) * 100), 1),
            "bias_ms": round(float(np.median(err_s) * 1000), 1)}


def sphinx_check(model_dir_hint=None):
    """Median |onset difference| between our aligner and pocketsphinx on the real English speech."""
    try:
        from pocketsphinx import Decoder
    except ImportError:
        return {"skipped": "pocketsphinx is not installed (pip install pocketsphinx)"}
    d = data_dir() / "speech"
    rows = []
    diffs_all = []
    for line in (d / "manifest.jsonl").read_text().splitlines():
        m = json.loads(line)
        if m["language"] != "en":
            continue
        audio = load_audio(d / m["audio"])
        words = [w for w in re.sub(r"[^\w' ]+", " ", m["reference"].lower()).split() if w]
        dec = Decoder(samprate=16000, bestpath=False)
        pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
        try:
            dec.set_align_text(" ".join(words))
            dec.start_utt()
            dec.process_raw(pcm, full_utt=True)
            dec.end_utt()
            seg = [(s.word, s.start_frame / 100.0) for s in dec.seg() if s.word not in ("<s>", "</s>", "<sil>", "(NULL)")]
        except Exception as e:  # a word missing from the dictionary, …
            rows.append({"id": m["id"], "error": str(e)[:120]})
            continue
        ours = align(audio, [Word(text=w, start=0, end=0) for w in words], "en")
        sw = [re.sub(r"\(\d+\)$", "", w) for w, _ in seg]
        if len(sw) != len(words):
            rows.append({"id": m["id"], "error": f"pocketsphinx returned {len(sw)} of {len(words)} words"})
            continue
        diffs = [o.start - t for o, (_, t) in zip(ours, seg)]
        diffs_all += diffs
        rows.append({"id": m["id"], "n": len(diffs), "median_abs_ms": round(float(np.median(np.abs(diffs)) * 1000), 1),
                     "median_signed_ms": round(float(np.median(diffs) * 1000), 1)})
    out = {"clips": rows}
    if diffs_all:
        a = np.abs(diffs_all) * 1000
        out.update(n=len(a), median_abs_ms=round(float(np.median(a)), 1), p90_abs_ms=round(float(np.percentile(a, 90)), 1),
                   median_signed_ms=round(float(np.median(diffs_all) * 1000), 1))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--langs", default=",".join(LANGS))
    ap.add_argument("--repeats", type=int, default=3, help="align runs per ad for the speed median")
    ap.add_argument("--no-anchor", action="store_true", help="skip the faster-whisper transcribe anchor")
    ap.add_argument("--sphinx", action="store_true", help="pocketsphinx cross-check on real English speech")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "align.json"))
    args = ap.parse_args(argv)

    from captioner.asr.whisper import load_model

    model = load_model()
    ads = data_dir() / "ads"
    manifest = [json.loads(x) for x in (ads / "manifest.jsonl").read_text().splitlines() if x.strip()]
    langs = args.langs.split(",")
    per = {l: {k: {"on": [], "end": []} for k in ("ours", "xattn", "fw")} for l in langs}
    speed = {l: {"audio_s": 0.0, "align_s": 0.0, "fw_s": 0.0} for l in langs}
    fw_counts = {l: [0, 0] for l in langs}
    align(np.zeros(16000, np.float32), [Word(text="warm", start=0, end=0)], "en")  # load the model once
    for m in manifest:
        if m["language"] not in langs or not m.get("words"):
            continue
        lang = m["language"]
        audio = load_audio(ads / m["audio"])
        gtj = json.loads((ads / m["words"]).read_text(encoding="utf-8"))
        gt = gtj["words"]
        spoken = (ads / m["spoken"]).read_text(encoding="utf-8").strip()
        texts = spoken_tokens(spoken, gt, lang)
        gs = np.array([g["start"] for g in gt])
        ge = np.array([g["end"] for g in gt])
        dur = len(audio) / 16000
        times = []
        for _ in range(max(1, args.repeats)):
            t = time.perf_counter()
            out = align(audio, [Word(text=x, start=0, end=0) for x in texts], lang)
            times.append(time.perf_counter() - t)
        speed[lang]["audio_s"] += dur
        speed[lang]["align_s"] += float(np.median(times))
        per[lang]["ours"]["on"] += list(np.array([w.start for w in out]) - gs)
        per[lang]["ours"]["end"] += list(np.array([w.end for w in out]) - ge)
        xs, xe = xattn(model, audio, [_norm(t) or t for t in texts] if lang != "zh" else [g["text"] for g in gt], lang)
        per[lang]["xattn"]["on"] += list(xs - gs)
        per[lang]["xattn"]["end"] += list(xe - ge)
        if not args.no_anchor:
            t = time.perf_counter()
            hyp = fw_words(model, audio, lang, spoken)
            speed[lang]["fw_s"] += time.perf_counter() - t
            pairs = match(hyp, texts if lang != "zh" else [g["text"] for g in gt])
            fw_counts[lang][0] += len(pairs)
            fw_counts[lang][1] += len(gt)
            per[lang]["fw"]["on"] += [hyp[i][1] - gs[j] for i, j in pairs]
            per[lang]["fw"]["end"] += [hyp[i][2] - ge[j] for i, j in pairs]
        print(f"  {m['id']}: {len(gt)} words, align {np.median(times):.2f} s for {dur:.1f} s", flush=True)

    result = {"date": str(date.today()), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared)",
              "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
              "data": str(data_dir()), "languages": {}}
    print()
    hdr = f"{'lang':4} {'method':7} {'n':>4} | {'onset mean':>10} {'median':>6} {'p95':>5} {'<=50ms':>6} {'bias':>5} | {'end mean':>8} {'median':>6} {'p95':>5} {'<=50ms':>6}"
    print(hdr)
    print("-" * len(hdr))
    for lang in langs:
        r = {}
        for k in ("ours", "xattn", "fw"):
            on, en = stats(per[lang][k]["on"]), stats(per[lang][k]["end"])
            r[k] = {"onset": on, "end": en}
            if on:
                print(f"{lang:4} {k:7} {on['n']:4} | {on['mean_ms']:10.1f} {on['median_ms']:6.1f} {on['p95_ms']:5.0f} {on['within_50ms_pct']:5.1f}% {on['bias_ms']:5.0f} | "
                      f"{en['mean_ms']:8.1f} {en['median_ms']:6.1f} {en['p95_ms']:5.0f} {en['within_50ms_pct']:5.1f}%")
        if fw_counts[lang][1]:
            r["fw"]["matched_words"] = f"{fw_counts[lang][0]}/{fw_counts[lang][1]}"
        sp = speed[lang]
        r["speed"] = {"audio_s": round(sp["audio_s"], 2), "align_s": round(sp["align_s"], 2),
                      "align_rtf": round(sp["align_s"] / max(sp["audio_s"], 1e-9), 3),
                      "fw_transcribe_rtf": round(sp["fw_s"] / max(sp["audio_s"], 1e-9), 3) if sp["fw_s"] else None}
        r["goal_met"] = bool(r["ours"]["onset"] and r["ours"]["onset"]["mean_ms"] <= 25 and r["ours"]["onset"]["p95_ms"] <= 80)
        result["languages"][lang] = r
    print()
    print(f"{'lang':4} {'fw matched':>10} {'align RTF':>9} {'fw transcribe RTF':>17} {'goal (mean<=25, p95<=80)':>25}")
    for lang in langs:
        r = result["languages"][lang]
        print(f"{lang:4} {r['fw'].get('matched_words', '-'):>10} {r['speed']['align_rtf']:9.3f} {str(r['speed']['fw_transcribe_rtf']):>17} {('met' if r['goal_met'] else 'MISSED'):>25}")
    tot_a = sum(speed[l]["audio_s"] for l in langs)
    tot_t = sum(speed[l]["align_s"] for l in langs)
    result["align_rtf_all"] = round(tot_t / max(tot_a, 1e-9), 3)
    print(f"\nalign RTF over all ads: {result['align_rtf_all']:.3f} (goal <= 0.1); load average {result['load_average']}")
    if args.sphinx:
        result["pocketsphinx_en_speech"] = sphinx_check()
        print("pocketsphinx cross-check (real English speech):", json.dumps({k: v for k, v in result["pocketsphinx_en_speech"].items() if k != "clips"}))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    os.replace(tmp, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
