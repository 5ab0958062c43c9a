"""Recogniser words against the script, arbitrated by the phone model (`pipeline.arbitrate_by_phones`).

Replays `correct(prompted, script, reference=unprompted)` on every recogniser output cached by bench_hint /
bench_numbers ($CAPTIONER_BENCH_CACHE, default ~/.cache/captioner/bench-asr), then the arbitration on the ad's audio,
and reports:
- per arbitrated word run (an insertion the correction stage kept, or a poor match kept as recognised): whether the
  voice really says something the script does not have there (an `ad_lib` deviation of the ad's ground truth,
  overlapping in time) and whether the run was kept or replaced by the script's words;
- the caption word error rate against what the voice says (spoken.txt), caption words in their spoken form, before and
  after the arbitration (no price judge: numbers are not arbitrated, and the judge is not replayed here). "After" is
  the words the aligner then times; speech the aligner reports as not in the captions is not counted as words.

Usage: python benchmarks/bench_arbitrate.py --sets dev,s101,s1212 [--recognise] [--out FILE] [--show]
(a generated set's recogniser outputs are cached by bench_numbers / bench_hint; sets: dev, or sN for seed N)
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from bench_numbers import ads_of  # noqa: E402

def root_of(name: str) -> Path:
    """"dev" (../shared/data) or "sN": the generated set of seed N (docs/GENADS.md)."""
    if name == "dev":
        return HERE.parent.parent / "shared" / "data"
    return Path(f"~/.cache/captioner/genads/seed{name[1:]}").expanduser()


def _norm(t: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", t).lower())


def tokens(text: str, language: str) -> list[str]:
    if language == "zh":
        return [c for c in _norm(text)]
    return [t for t in (_norm(x) for x in text.replace("-", " ").split()) if t]


def wer_counts(hyp: list[str], ref: list[str]) -> int:
    prev = list(range(len(ref) + 1))
    for i, h in enumerate(hyp, 1):
        cur = [i] + [0] * len(ref)
        for j, r in enumerate(ref, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (h != r))
        prev = cur
    return prev[-1]


def cached(audio_path: Path, language: str, script: str) -> dict | None:
    cache = Path(os.environ.get("CAPTIONER_BENCH_CACHE", "~/.cache/captioner/bench-asr")).expanduser()
    for p in (audio_path, Path(os.path.relpath(audio_path, HERE.parent))):  # as bench_hint keyed it
        key = ("recognise-v8", str(p), language, script)
        f = cache / ("r-" + hashlib.sha1(repr(key).encode()).hexdigest()[:16] + ".json")
        if f.is_file():
            return json.loads(f.read_text())
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="dev,s101,s1212")
    ap.add_argument("--out")
    ap.add_argument("--show", action="store_true", help="print every arbitrated run")
    ap.add_argument("--recognise", action="store_true",
                    help="run the product's recogniser (bench_hint.recognise_cached) on ads not cached yet")
    a = ap.parse_args()
    from captioner.align import spoken_form
    from captioner.hint import correct
    from captioner.media import load_audio
    from captioner.pipeline import arbitrate_by_phones
    from captioner.types import Transcript

    rows, ads = [], []
    for name in a.sets.split(","):
        for sub, folder, m in ads_of(root_of(name), {"en", "de", "fr", "es", "hi", "zh"}, 999, "both"):
            script = (folder / m["script"]).read_text(encoding="utf-8")
            audio_path = folder / m["audio"]
            d = cached(audio_path, m["language"], script)
            if d is None and a.recognise:
                from bench_hint import recognise_cached

                os.environ.setdefault("CAPTIONER_BENCH_CACHE", str(Path("~/.cache/captioner/bench-asr").expanduser()))
                recognise_cached(audio_path, m["language"], script)
                d = cached(audio_path, m["language"], script)
            if d is None:
                continue
            L = m["language"]
            meta = json.loads((audio_path.parent / "meta.json").read_text(encoding="utf-8"))
            ref = Transcript.model_validate(d["reference"]) if d["reference"] else None
            words, fs = correct(Transcript.model_validate(d["transcript"]), script, L, reference=ref)
            truth = tokens((audio_path.parent / "spoken.txt").read_text(encoding="utf-8"), L)

            def errors(ws):
                return wer_counts(tokens(" ".join(spoken_form(w, L) for w in ws), L), truth)

            before = errors(words)
            kinds = ("ad_lib", "word_unscripted", "word_mismatch")
            cands = [f for f in fs if f.kind in kinds and f.word_indices]
            after = before
            if cands:
                audio = load_audio(audio_path)
                _al, new, nfs = arbitrate_by_phones(audio, words, fs, L)
                after = errors(new)
                adlibs = [(x["start_s"], x["end_s"]) for x in meta.get("deviations", []) if x["type"] == "ad_lib"]
                # a run may answer several findings (adjacent runs are one): its finding spans theirs
                replaced = [(g.start, g.end) for g in nfs if g.kind in ("word_dropped", "script_restored")]
                for f in cands:
                    real = any(s < (f.end or f.start) + 0.2 and e > f.start - 0.2 for s, e in adlibs)
                    named = any(g.kind in ("ad_lib", "word_dropped") and g.severity == "warning" and g.start is not None
                                and g.start < (f.end or f.start) + 0.2 and (g.end or g.start) > f.start - 0.2 for g in nfs + _al.findings)
                    r = dict(named=named, set=name, ad=audio_path.parent.name, music=sub == "ads-music", lang=L, kind=f.kind.value,
                             words=f.spoken_text, script=f.script_text, real_adlib=real, kept=not any(s0 - 1e-6 <= f.start and (f.end or f.start) <= s1 + 1e-6 for s0, s1 in replaced))
                    rows.append(r)
                    if a.show:
                        print(f"{r['ad']:16} {r['kind']:15} real={int(real)} kept={int(r['kept'])} "
                              f"{r['words']!r} / {r['script']!r}")
            ads.append(dict(set=name, ad=audio_path.parent.name, lang=L, music=sub == "ads-music", n=len(truth),
                            before=before, after=after))
    print("\n| set | ads | arbitrated runs | real ad-lib kept | real ad-lib dropped | not an ad-lib: replaced | not an ad-lib: kept "
          "| caption WER before → after |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name in a.sets.split(",") + ["all"]:
        R = [r for r in rows if name in ("all", r["set"])]
        A = [x for x in ads if name in ("all", x["set"])]
        n = sum(x["n"] for x in A) or 1
        print(f"| {name} | {len(A)} | {len(R)} | {sum(r['real_adlib'] and r['kept'] for r in R)} "
              f"| {sum(r['real_adlib'] and not r['kept'] for r in R)} ({sum(r['real_adlib'] and not r['kept'] and r['named'] for r in R)}) | {sum(not r['real_adlib'] and not r['kept'] for r in R)} "
              f"| {sum(not r['real_adlib'] and r['kept'] for r in R)} "
              f"| {100 * sum(x['before'] for x in A) / n:.2f} % → {100 * sum(x['after'] for x in A) / n:.2f} % |")
    worse = [x for x in ads if x["after"] > x["before"]]
    print(f"\nads with more word errors after: {len(worse)} " + ", ".join(x["ad"] + ("" if not x["music"] else "") for x in worse))
    if a.out:
        Path(a.out).write_text(json.dumps(dict(runs=rows, ads=ads), ensure_ascii=False, indent=0))


if __name__ == "__main__":
    main()
