"""Benchmark of the script-hint correction stage against the raw Whisper backend, in the same run.

Per language on ../shared/data/ads (CAPTIONER_DATA overrides the data folder):
  brand    - brand-term occurrences of the script spelled exactly as in the script in the captions
  dev      - deliberate deviations (meta.json) flagged by a price_mismatch/number_mismatch/ad_lib finding
  unver    - deviations at least covered by an "unverified_claim" / "asr_unreliable" warning
  false    - deviation-type findings that match no deliberate deviation
  follow   - caption words equal to the expected words where the voice followed the script
and WER on ../shared/data/speech with no script (the stage must not hurt).

Rows: raw = prompted Whisper output as captions; hint = the product's correction stage
(pipeline.correct_stage: correct(prompted, script, reference=unprompted) + the acoustic number check);
hint-text = the same without the acoustic check; hint-1pass = correct(prompted, script) without the witness.
ASR transcripts are cached per run (and on disk in $CAPTIONER_BENCH_CACHE if set).
Usage: python benchmarks/bench_hint.py [--ads-only] [--ids ad-en-01,...]
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from captioner import numbers as num  # noqa: E402
from captioner.asr import ASROptions  # noqa: E402
from captioner.hint import correct, script_tokens  # noqa: E402
from captioner.language import check_language  # noqa: E402
from captioner.types import Transcript  # noqa: E402

DATA = Path(os.environ.get("CAPTIONER_DATA", ROOT.parent / "shared" / "data"))
ADS = DATA / "ads" if (DATA / "ads").is_dir() else DATA
SPEECH = DATA / "speech"
ACOUSTIC_KINDS = {"price_mismatch", "number_mismatch", "number_disputed", "claim_verified", "unverified_claim", "acoustic_check_skipped"}
DEV_KINDS = {"price_mismatch", "number_mismatch", "ad_lib"}
PUNCT = ".,!?;:()[]\"'«»¡¿…，。！？；：、（）“”‘’—–-\u00a0 "

_backend = None
_cache: dict[tuple, Transcript] = {}


def transcribe(audio_path: Path, language: str, script: str | None, hotwords: list[str]) -> tuple[Transcript, float]:
    global _backend
    key = (str(audio_path), language, script, tuple(hotwords))
    disk = os.environ.get("CAPTIONER_BENCH_CACHE")
    fname = None
    if disk:
        import hashlib
        fname = Path(disk) / (hashlib.sha1(repr(key).encode()).hexdigest()[:16] + ".json")
        if fname.is_file() and key not in _cache:
            _cache[key] = Transcript.model_validate_json(fname.read_text())
    if key in _cache:
        return _cache[key], 0.0
    from captioner.asr.whisper import WhisperBackend
    from captioner.media import load_audio

    _backend = _backend or WhisperBackend(cpu_threads=2)
    t = time.perf_counter()
    tr = _backend.transcribe(load_audio(audio_path), ASROptions(language=language, script=script, hotwords=hotwords))
    dt = time.perf_counter() - t
    _cache[key] = tr
    if fname:
        fname.parent.mkdir(parents=True, exist_ok=True)
        fname.write_text(tr.model_dump_json())
    return tr, dt


def recognise_cached(audio_path: Path, language: str, script: str):
    """Exactly what the product runs: pipeline.recognise (prompted pass, language check, unprompted witness)."""
    import hashlib

    from captioner.media import load_audio
    from captioner.pipeline import recognise
    from captioner.types import Finding

    key = ("recognise-v8", str(audio_path), language, script)
    disk = os.environ.get("CAPTIONER_BENCH_CACHE")
    fname = Path(disk) / ("r-" + hashlib.sha1(repr(key).encode()).hexdigest()[:16] + ".json") if disk else None
    sha = hashlib.sha1(Path(audio_path).read_bytes()).hexdigest() if fname else None
    # v8 changed only the path where the prompted pass came out in another language and was re-run without the
    # prompt (that re-run now gets the hallucination check and is its own witness): a v7 entry that did not take
    # that path is still exact
    old = Path(disk) / ("r-" + hashlib.sha1(repr(("recognise-v7",) + key[1:]).encode()).hexdigest()[:16] + ".json") if disk else None
    if fname and not fname.is_file() and old is not None and old.is_file():
        d = json.loads(old.read_text())
        if not any("re-ran pinned without the prompt" in n for n in d["transcript"].get("notes", [])):
            fname.write_text(old.read_text())
    if fname and fname.is_file():
        d = json.loads(fname.read_text())
        if d.get("audio_sha1", sha) == sha:  # a regenerated audio file is transcribed again
            ref = Transcript.model_validate(d["reference"]) if d["reference"] else None
            return Transcript.model_validate(d["transcript"]), ref, [Finding.model_validate(f) for f in d["findings"]], 0.0
    t = time.perf_counter()
    tr, ref, fnd = recognise(load_audio(audio_path), script, language)
    dt = time.perf_counter() - t
    if fname:
        fname.parent.mkdir(parents=True, exist_ok=True)
        fname.write_text(json.dumps({"audio_sha1": sha, "transcript": tr.model_dump(mode="json"),
                                     "reference": ref.model_dump(mode="json") if ref else None,
                                     "findings": [f.model_dump(mode="json") for f in fnd]}))
    return tr, ref, fnd, dt


def norm(w: str) -> str:
    return unicodedata.normalize("NFC", w.strip(PUNCT)).lower()


def expected_words(script: str, meta: dict, language: str) -> tuple[list[str], set[int]]:
    """Script tokens with the deliberate deviations applied (what correct captions show); deviation positions."""
    toks, _ = script_tokens(script, language)
    toks = [t for t in toks if norm(t)]
    dev_pos: set[int] = set()
    for d in meta.get("deviations", []):
        if d["type"] == "price_mismatch":
            for i, t in enumerate(toks):
                if norm(t) == norm(d["script_text"]):
                    said = num.primary_value(num.parse_spoken(d["spoken_text"], language), num.parse_written(d["script_text"], language))
                    toks[i] = num.to_written(said, language)
                    dev_pos.add(i)
        elif d["type"] == "ad_lib":
            # insert after the script token that ends at or before the deviation's char position
            pos = d["script_char_span"][0]
            before = script[:pos]
            n_before = len([t for t in script_tokens(before, language)[0] if norm(t)])
            toks.insert(n_before, d["spoken_text"])
            dev_pos = {p + 1 if p >= n_before else p for p in dev_pos} | {n_before}
    return toks, dev_pos


def follow_accuracy(caption: list[str], expected: list[str], dev_pos: set[int], language: str) -> tuple[int, int]:
    if language == "zh":  # characters
        cap = [c for w in caption for c in norm(w) if c.strip()]
        exp, dpos = [], set()
        for i, w in enumerate(expected):
            for c in norm(w):
                if i in dev_pos:
                    dpos.add(len(exp))
                exp.append(c)
    else:
        cap = [norm(w) for w in caption if norm(w)]
        exp, dpos = [norm(w) for w in expected], dev_pos
    sm = difflib.SequenceMatcher(None, exp, cap, autojunk=False)
    ok = sum(b.size for b in sm.get_matching_blocks())
    ok -= sum(1 for b in sm.get_matching_blocks() for k in range(b.size) if b.a + k in dpos)
    return ok, len(exp) - len(dpos)


def brand_hits(caption: list[str], script: str, terms: list[str], language: str = "en") -> tuple[int, int]:
    text = ("" if language == "zh" else " ").join(w.strip(PUNCT) for w in caption)
    hit = tot = 0
    for t in terms:
        n = script.count(t)
        tot += n
        pat = re.escape(t) if language == "zh" else r"(?<![\w])" + re.escape(t) + r"(?![\w])"
        hit += min(n, len(re.findall(pat, text)))
    return hit, tot


def score_flags(findings, meta) -> dict:
    devs = meta.get("deviations", [])
    flags = [f for f in findings if f.kind in DEV_KINDS]
    warn = [f for f in findings if f.kind in ("unverified_claim", "asr_unreliable")]

    def hits(f, d):
        if d.get("start_s") is not None and f.start is not None:
            return min(f.end or f.start, d["end_s"] + 0.5) - max(f.start, d["start_s"] - 0.5) > 0
        spoken = norm(d["spoken_text"] or "")
        return bool(spoken) and (spoken in norm(f.spoken_text or "") or norm(f.spoken_text or "") in spoken) or (
            d.get("script_text") and norm(d["script_text"]) == norm(f.script_text or ""))

    found = sum(1 for d in devs if any(hits(f, d) for f in flags))
    covered = sum(1 for d in devs if any(hits(f, d) for f in flags) or any(
        f.kind == "asr_unreliable" or (f.script_text and d.get("script_text") and norm(f.script_text) == norm(d["script_text"])) for f in warn))
    false = sum(1 for f in flags if not any(hits(f, d) for d in devs))
    return {"devs": len(devs), "found": found, "covered": covered, "false": false}


def wer(ref: list[str], hyp: list[str]) -> tuple[int, int]:
    d = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, d[0] = d[0], i
        for j, h in enumerate(hyp, 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
            prev, d[j] = d[j], cur
    return d[len(hyp)], len(ref)


def run_ads(ids: list[str] | None) -> dict:
    rows = {}
    per_ad = []
    for line in open(ADS / "manifest.jsonl", encoding="utf-8"):
        m = json.loads(line)
        if ids and m["id"] not in ids:
            continue
        meta = json.loads((ADS / m["meta"]).read_text(encoding="utf-8"))
        script = (ADS / m["script"]).read_text(encoding="utf-8")
        L = m["language"]
        audio = ADS / m["audio"]
        from captioner.media import load_audio
        from captioner.pipeline import correct_stage, hotwords

        P, R, pre, t1 = recognise_cached(audio, L, script)
        t2 = 0.0
        terms = hotwords(script)  # what the product derives from the script (no ground-truth brand list)
        exp, dev_pos = expected_words(script, meta, L)
        variants = {"raw": (P.words, [])}
        t = time.perf_counter()
        w, f = correct_stage(load_audio(audio), P, R, script, L, pre)  # the product's path (incl. acoustic check)
        variants["hint"] = (w, f)
        t_hint = time.perf_counter() - t
        w, f = correct(P, script, L, terms=terms, reference=R)
        variants["hint-text"] = (w, pre + f)
        w1, f1 = correct(P, script, L, terms=terms)
        variants["hint-1pass"] = (w1, pre + f1)
        lang_ok = check_language(P.text, L)[0] and P.language == L
        for name, (words, findings) in variants.items():
            cap = [w.text for w in words]
            b = brand_hits(cap, script, meta["brand_terms"], L)
            fo = follow_accuracy(cap, exp, dev_pos, L)
            fl = score_flags(findings, meta) if name != "raw" else {"devs": len(meta.get("deviations", [])), "found": 0, "covered": 0, "false": 0}
            r = rows.setdefault((L, name), {"ads": 0, "brand": [0, 0], "follow": [0, 0], "devs": 0, "found": 0, "covered": 0, "false": 0, "lang_ok": 0})
            r["ads"] += 1
            r["brand"][0] += b[0]; r["brand"][1] += b[1]
            r["follow"][0] += fo[0]; r["follow"][1] += fo[1]
            for k in ("devs", "found", "covered", "false"):
                r[k] += fl[k]
            r["lang_ok"] += int(lang_ok)
            per_ad.append({"id": m["id"], "variant": name, "brand": b, "follow": fo, "flags": fl,
                           "caption": " ".join(cap), "findings": [f.kind for f in findings], **({"messages": [f"{f.kind} [{f.severity.value}]: {f.message}" for f in findings if f.kind in ACOUSTIC_KINDS]} if name == "hint" else {})})
        print(f"  {m['id']}: asr {t1:.1f}+{t2:.1f} s, hint {1000 * t_hint:.0f} ms", file=sys.stderr)
    return {"rows": rows, "per_ad": per_ad}


def run_speech() -> dict:
    res = {}
    if not (SPEECH / "manifest.jsonl").is_file():
        return res
    for line in open(SPEECH / "manifest.jsonl", encoding="utf-8"):
        m = json.loads(line)
        L = m["language"]
        tr, _ = transcribe(SPEECH / m["audio"], L, None, [])
        hint_words, _ = correct(tr, None, L)
        ref = [norm(w) for w in m["reference"].split() if norm(w)]
        for name, words in (("raw", tr.words), ("hint", hint_words)):
            hyp = [norm(x) for w in words for x in w.text.split() if norm(x)]
            e, n = wer(ref, hyp)
            r = res.setdefault((L, name), [0, 0])
            r[0] += e; r[1] += n
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ads-only", action="store_true")
    ap.add_argument("--ids", default="")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "hint.json"))
    a = ap.parse_args()
    t0 = time.perf_counter()
    ads = run_ads([x for x in a.ids.split(",") if x] or None)
    speech = {} if a.ads_only else run_speech()
    pct = lambda x, y: f"{100 * x / y:5.1f}%" if y else "   — "  # noqa: E731
    print(f"\nScript-hint correction vs raw Whisper base (same run), data: {ADS}")
    print(f"{'lang':4} {'variant':10} {'ads':>3} {'brand':>7} {'follow':>7} {'dev flagged':>11} {'covered':>7} {'false':>5} {'lang ok':>7}")
    table = []
    for (L, name), r in sorted(ads["rows"].items()):
        print(f"{L:4} {name:10} {r['ads']:3d} {pct(*r['brand']):>7} {pct(*r['follow']):>7} "
              f"{r['found']:>4}/{r['devs']:<6} {r['covered']:>4}/{r['devs']:<2} {r['false']:5d} {r['lang_ok']:>4}/{r['ads']}")
        table.append({"language": L, "variant": name, **r})
    wer_rows = []
    if speech:
        print(f"\n{'lang':4} {'WER raw':>8} {'WER hint':>9}  (speech/, no script)")
        for L in sorted({k[0] for k in speech}):
            raw, hint = speech[(L, "raw")], speech[(L, "hint")]
            print(f"{L:4} {pct(*raw):>8} {pct(*hint):>9}")
            wer_rows.append({"language": L, "wer_raw": raw[0] / raw[1], "wer_hint": hint[0] / hint[1], "ref_words": raw[1]})
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "seconds": round(time.perf_counter() - t0, 1),
                               "ads": table, "speech_wer": wer_rows, "per_ad": ads["per_ad"]}, ensure_ascii=False, indent=1))
    print(f"\nwrote {out} in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
