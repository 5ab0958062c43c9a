"""Checks a generated set (or DEV) the way a listener would: word-onset sanity and Whisper base WER.

1. Onsets (no ASR): before every word onset that follows a pause (the previous word ends ≥ 30 ms earlier),
   the audio must be near-silent (-45 dB) over the 20 ms ending 2 ms before the onset (rounding) and sound must start within 120 ms
   after it (a stop closure is silent for up to ~60 ms at normal rates, longer at slow rates).
   Reports violations, and the median / 90th percentile delay from onset to the first loud 1 ms frame
   (-30 dB re the loudest 5 ms frame).
2. Recognition: Whisper base (faster-whisper int8, language pinned, beam 5, no prompt, as the DEV README
   did) transcribes each ad; WER against spoken.txt, raw and with numbers normalised (digits written by
   Whisper are verbalised with benchmarks/genads_lang.py before comparing). zh is scored by characters
   (CER). This is an ear-proxy: it says whether the voice is intelligible speech in the right language,
   comparable to DEV; it is not a target.

3. `--zh-voice-compare`: espeak-ng 1.52 `cmn` reading Han text vs `cmn-latn-pinyin` reading pypinyin's
   pinyin, same texts, Whisper base CER for each (is 1.52's Mandarin right?).

Usage: python benchmarks/genads_check.py DIR [DIR ...] [--languages en,de,es] [--no-asr] [--limit N]
       (DIR: a folder with manifest.jsonl, e.g. ~/.cache/captioner/genads/seed101/ads or ../shared/data/ads)
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from genads_lang import LANGS  # noqa: E402

_STRIP = ".,!?;:¡¿\"'«»()—–…।॥，。！？、：；“”"


def onset_check(ad_dir: Path) -> dict:
    import soundfile as sf

    x, sr = sf.read(str(ad_dir / "audio.flac"), dtype="float64")
    words = json.loads((ad_dir / "words.json").read_text())["words"]
    f5 = int(0.005 * sr)
    ref = float(np.sqrt(np.mean(x[: len(x) // f5 * f5].reshape(-1, f5) ** 2, axis=1)).max())
    f1 = int(0.001 * sr)
    e1 = np.sqrt(np.mean(x[: len(x) // f1 * f1].reshape(-1, f1) ** 2, axis=1))
    loud = e1 > ref * 10 ** (-30 / 20)
    quiet = e1 < ref * 10 ** (-45 / 20)
    delays, bad = [], []
    for k, w in enumerate(words):
        prev_end = words[k - 1]["end"] if k else 0.0
        if w["start"] - prev_end < 0.030:
            continue
        i = int(round(w["start"] * 1000))
        before_quiet = bool(quiet[max(0, i - 22):max(0, i - 2)].all())  # onsets are rounded to 1 ms
        nz = np.nonzero(loud[i:i + 400])[0]
        delay = int(nz[0]) if len(nz) else 999
        delays.append(delay)
        if not before_quiet or delay > 120:
            bad.append({"word": w["text"], "start": w["start"], "quiet_before": before_quiet, "delay_ms": delay})
    return {"checked": len(delays), "delays": delays, "bad": bad}


def _num_words(tok: str, lang: str) -> str:
    """Whisper's digits -> spoken words (approximate: canonical readings)."""
    L = LANGS[lang]
    t = tok
    pct = t.endswith("%")
    cur = any(c in t for c in "$€₹¥")
    t = t.strip("$€₹¥%")
    if lang in ("de", "fr", "es"):
        t = t.replace(".", "").replace(",", ".")
    else:
        t = t.replace(",", "")
    try:
        v = Decimal(t)
    except InvalidOperation:
        return tok
    if pct:
        return L.percent(int(v)) if v == int(v) else tok
    if cur or v != int(v):
        return L.price(v) if cur else " ".join(L.card(int(p)) for p in t.split("."))
    return L.card(int(v))


def normalise(text: str, lang: str, numbers: bool) -> list[str]:
    toks = []
    for raw in text.split():
        if numbers and any(c.isdigit() for c in raw):
            raw = _num_words(raw.strip(_STRIP), lang)
        for t in raw.split():
            t = t.strip(_STRIP).lower().replace("-", " ")
            toks += [x for x in t.split() if x]
    if lang == "zh":
        return [c for c in "".join(toks)]
    return toks


def edit_distance(a: list[str], b: list[str]) -> int:
    d = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(b)]


def zh_voice_compare(ads_dir: Path, limit: int) -> dict:
    """Ear-proxy for espeak-ng 1.52's Mandarin: the zh spoken texts of a set voiced (a) from pinyin with
    cmn-latn-pinyin (what genads uses) and (b) from the Han text with `cmn`, both plain voice at 220 wpm,
    transcribed by Whisper base (language zh, beam 5); CER against spoken.txt for each."""
    from genads import zh_pinyin
    from genads_music import resample
    from genads_tts import synth_fresh

    from captioner.asr.whisper import load_model

    model = load_model()
    rows = [json.loads(x) for x in (ads_dir / "manifest.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r["language"] == "zh"][:limit]
    out = {}
    for name in ("cmn-latn-pinyin", "cmn"):
        err = ref_n = 0
        for r in rows:
            spoken = (ads_dir / r["id"] / "spoken.txt").read_text().strip()
            text = zh_pinyin(spoken)[0] if name == "cmn-latn-pinyin" else spoken
            syn = synth_fresh(text, name, 220)
            audio = resample(syn.samples.astype(np.float64) / 32768.0, syn.sample_rate).astype(np.float32)
            segs, _ = model.transcribe(audio, language="zh", task="transcribe", beam_size=5,
                                       condition_on_previous_text=False)
            hyp = "".join(sg.text for sg in segs)
            ref = normalise(spoken, "zh", False)
            ref_n += len(ref)
            err += edit_distance(ref, normalise(hyp, "zh", True))
        out[name] = {"ads": len(rows), "cer_pct": round(100 * err / max(ref_n, 1), 1)}
        print("zh voice", name, out[name], flush=True)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("dirs", nargs="+", type=Path)
    ap.add_argument("--languages", default="en,de,fr,es,hi,zh")
    ap.add_argument("--no-asr", action="store_true")
    ap.add_argument("--limit", type=int, default=0, help="at most N ads per language and folder")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--zh-voice-compare", action="store_true",
                    help="only compare espeak 1.52 cmn (Han input) vs cmn-latn-pinyin on DIR's zh texts")
    a = ap.parse_args()
    if a.zh_voice_compare:
        res = zh_voice_compare(a.dirs[0], a.limit or 8)
        if a.json:
            a.json.write_text(json.dumps(res, indent=1))
        return 0
    langs = a.languages.split(",")
    model = None
    if not a.no_asr:
        from captioner.asr.whisper import load_model

        model = load_model()
    from captioner.media import load_audio

    report = {}
    for d in a.dirs:
        rows = [json.loads(x) for x in (d / "manifest.jsonl").read_text().splitlines()]
        per: dict = {}
        for r in rows:
            lang = r["language"]
            if lang not in langs:
                continue
            st = per.setdefault(lang, {"ads": 0, "ref": 0, "err_raw": 0, "err_num": 0, "delays": [], "bad": [],
                                       "checked": 0, "asr_s": 0.0, "audio_s": 0.0})
            if a.limit and st["ads"] >= a.limit:
                continue
            st["ads"] += 1
            ad = d / r["id"]
            if r.get("words") and "music_snr_db" not in r:  # the onset check needs the clean voice
                oc = onset_check(ad)
                st["delays"] += oc["delays"]
                st["checked"] += oc["checked"]
                st["bad"] += [{"id": r["id"], **b} for b in oc["bad"]]
            if model is not None:
                spoken = (ad / "spoken.txt").read_text().strip()
                t0 = time.time()
                segs, _ = model.transcribe(load_audio(ad / "audio.flac"), language=lang, task="transcribe",
                                           beam_size=5, condition_on_previous_text=False)
                hyp = " ".join(s.text for s in segs)
                st["asr_s"] += time.time() - t0
                st["audio_s"] += r["duration_s"]
                ref_raw = normalise(spoken, lang, False)
                st["ref"] += len(ref_raw)
                e_raw = edit_distance(ref_raw, normalise(hyp, lang, False))
                e_num = edit_distance(ref_raw, normalise(hyp, lang, True))
                st["err_raw"] += e_raw
                st["err_num"] += e_num
                st.setdefault("samples", []).append({"id": r["id"], "voice": r["voice"], "ref_words": len(ref_raw),
                                                     "wer_numbers_normalised_pct": round(100 * e_num / len(ref_raw), 1),
                                                     "hyp": hyp})
        out = {}
        for lang, st in sorted(per.items()):
            o = {"ads": st["ads"], "onsets_checked": st["checked"], "onset_violations": len(st["bad"])}
            if st["delays"]:
                dl = sorted(st["delays"])
                o["sound_after_onset_ms_median"] = statistics.median(dl)
                o["sound_after_onset_ms_p90"] = dl[int(0.9 * (len(dl) - 1))]
            if model is not None and st["ref"]:
                o["wer_raw_pct"] = round(100 * st["err_raw"] / st["ref"], 1)
                o["wer_numbers_normalised_pct"] = round(100 * st["err_num"] / st["ref"], 1)
                o["unit"] = "char" if lang == "zh" else "word"
            out[lang] = o
            print(d, lang, json.dumps(o, ensure_ascii=False), flush=True)
        report[str(d)] = {"summary": out, "violations": {k: v["bad"][:20] for k, v in per.items()},
                          "per_ad": {k: v.get("samples", []) for k, v in per.items()}}
    if a.json:
        a.json.write_text(json.dumps(report, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
