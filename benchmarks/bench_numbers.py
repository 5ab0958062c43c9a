"""Stress test of the acoustic number check on fresh synthetic ads (not the DEV files).

For each language, N short ads with a randomly drawn price are synthesized with espeak-ng (the DEV set's
synthesizer, same voices and rates); in half of them the voice says another price than the script (one
digit changed, or any other value). The recogniser is left out on purpose: captions fall back to the
script and every price is checked blind (`verify.verify_numbers`) — the hardest case, the one the fr/hi
DEV deviations needed. Reported per language: deviations flagged (and with the exact spoken value), false
flags, prices verified, and the margins.

Needs `espeak-ng` on PATH (apt-get install espeak-ng; test/benchmark-only, not a product dependency).
Usage: python benchmarks/bench_numbers.py [--per-language 10] [--seed 7] [--languages en,de,fr,es,hi,zh]
"""
from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from captioner import numbers as num  # noqa: E402
from captioner.hint import correct  # noqa: E402
from captioner.media import load_audio  # noqa: E402
from captioner.types import Severity, Transcript  # noqa: E402
from captioner.verify import one_digit_changes, verify_numbers  # noqa: E402

VOICES = {"en": ("en", 165), "de": ("de", 165), "fr": ("fr-fr", 165), "es": ("es", 165), "hi": ("hi", 150),
          "zh": ("cmn", 220)}
TEMPLATES = {
    "en": ["Meet {B}, the serum your skin has waited for. Get it today for just {P}. Tap the link below!",
           "{B} keeps your coffee hot all day long. Now only {P} with free shipping. Order yours now!"],
    "de": ["{B} macht deinen Morgen leichter. Jetzt nur {P} im Angebot. Link in der Bio!",
           "Mit {B} schläfst du endlich ruhig. Heute für {P} statt mehr. Jetzt bestellen!"],
    "fr": ["{B}, le soin qui change tout. Seulement {P} cette semaine. Commande maintenant !",
           "Avec {B}, ta cuisine brille sans effort. Le pack à {P} seulement. Profite-en vite !"],
    "es": ["{B}, la crema que te cambia el día. Ahora solo {P} con envío gratis. ¡Pídelo ya!",
           "Con {B} tu café está listo en segundos. Llévatelo por {P} esta semana. ¡Corre!"],
    "hi": ["{B} के साथ पाएँ नई ताज़गी। सिर्फ़ {P} में। अभी ऑर्डर करें!",
           "{B} हेयर ऑयल अब केवल {P} में। आज ही मँगवाएँ!"],
    "zh": ["{B}面霜，让你每天都水润。现在只要{P}，快来抢购！",
           "{B}咖啡机，三十秒出好咖啡。今天下单仅需{P}！"],
}
BRANDS = {"en": ["Velmora", "Quintro", "Brisalo"], "de": ["Morgana", "Feldrix", "Tavona"],
          "fr": ["Luminelle", "Brivane", "Sorélia"], "es": ["Caldora", "Miravio", "Tentela"],
          "hi": ["वेलोरा", "निवाना", "सुरीना"], "zh": ["澜悦", "沐晴", "悠禾"]}
CURRENCY = {"en": "USD", "de": "EUR", "fr": "EUR", "es": "EUR", "hi": "INR", "zh": "CNY"}


def draw_price(rng: random.Random, language: str) -> Decimal:
    if language in ("de", "fr", "es"):
        return Decimal(f"{rng.randint(5, 89)}.{rng.choice(['90', '99', '49', '95', '50'])}")
    if language == "en":
        return Decimal(rng.choice([f"{rng.randint(9, 99)}", f"{rng.randint(9, 99)}.99"]))
    if language == "hi":
        return Decimal(rng.choice([f"{rng.randint(1, 9)}99", f"{rng.randint(1, 2)},{rng.randint(1, 9)}99".replace(",", "")]))
    return Decimal(f"{rng.randint(1, 9)}{rng.randint(1, 9)}9")


def synth(text: str, language: str, wav: Path) -> None:
    voice, rate = VOICES[language]
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(wav), text], check=True,
                   capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-language", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--languages", default="en,de,fr,es,hi,zh")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "numbers.json"))
    a = ap.parse_args()
    if not shutil.which("espeak-ng"):
        sys.exit("espeak-ng is not on PATH: apt-get install espeak-ng")
    rng = random.Random(a.seed)
    t0 = time.perf_counter()
    rows, clips = {}, []
    tmp = Path(tempfile.mkdtemp(prefix="bench-numbers-"))
    for L in a.languages.split(","):
        r = rows.setdefault(L, {"clips": 0, "devs": 0, "flagged": 0, "exact": 0, "false": 0, "verified": 0,
                                "warned": 0, "skipped": 0, "dev_margins": [], "ok_margins": []})
        for k in range(a.per_language):
            script_value = draw_price(rng, L)
            deviate = k % 2 == 1
            spoken_value = script_value
            if deviate:
                pool = one_digit_changes(script_value) if rng.random() < 0.7 else [draw_price(rng, L)]
                pool = [v for v in pool if v != script_value and v > 0] or [script_value + 1]
                spoken_value = rng.choice(pool)
            cur = CURRENCY[L]
            tpl = rng.choice(TEMPLATES[L])
            brand = rng.choice(BRANDS[L])
            written = num.to_written(num.Amount("price", script_value, cur), L)
            said = num.spoken_form(num.Amount("price", spoken_value, cur), L)
            script = tpl.format(B=brand, P=written)
            voice_text = tpl.format(B=brand, P=said)
            wav = tmp / f"{L}-{k}.wav"
            synth(voice_text, L, wav)
            audio = load_audio(wav)
            empty = Transcript(text="", words=[], language=L, backend="none", duration=len(audio) / 16000,
                               speech_duration=len(audio) / 16000)
            words, findings = correct(empty, script, L)
            words, findings = verify_numbers(audio, words, findings, L)
            flags = [f for f in findings if f.kind == "price_mismatch" and f.severity == Severity.error]
            margin = None
            for f in findings:
                m = re.search(r"\(([\d.]+) nats over", f.message) or re.search(r"scores ([\d.]+) nats above", f.message)
                if m:
                    margin = float(m.group(1))
                m = re.search(r"change \(by ([\d.]+) nats", f.message)
                if m:
                    margin = -float(m.group(1))
            shown = [w.text for w in words if num.parse_written(w.text.strip(".,!?;:，。！？ "), L) is not None]
            r["clips"] += 1
            r["skipped"] += any(f.kind == "acoustic_check_skipped" for f in findings)
            if deviate:
                r["devs"] += 1
                r["flagged"] += bool(flags)
                exact = num.to_written(num.Amount("price", spoken_value, cur), L)
                r["exact"] += bool(flags) and any(s.strip(".,!?;:，。！？ ") == exact for s in shown)
                if margin is not None:
                    r["dev_margins"].append(margin)
            else:
                r["false"] += bool(flags)
                r["verified"] += any(f.kind == "claim_verified" for f in findings)
                r["warned"] += any(f.kind == "unverified_claim" for f in findings)
                if margin is not None:
                    r["ok_margins"].append(margin)
            clips.append({"language": L, "script": script, "voice": voice_text, "deviates": deviate,
                          "flagged": bool(flags), "margin": margin, "captions": " ".join(w.text for w in words)})
            print(f"  {L} {k}: script {written} voice {said!r} -> {'FLAG' if flags else 'ok'} margin {margin}",
                  file=sys.stderr, flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nAcoustic number check, blind (no recogniser), fresh espeak-ng ads, seed {a.seed}")
    print(f"{'lang':4} {'clips':>5} {'flagged':>9} {'exact':>7} {'false':>7} {'verified':>9} {'warned':>7} {'skipped':>7}  "
          f"{'deviation margins':>22}  {'honest-price margins':>22}")
    for L, r in rows.items():
        dm = f"{min(r['dev_margins']):+.1f}…{max(r['dev_margins']):+.1f}" if r["dev_margins"] else "—"
        om = f"{min(r['ok_margins']):+.1f}…{max(r['ok_margins']):+.1f}" if r["ok_margins"] else "—"
        n_ok = r["clips"] - r["devs"]
        print(f"{L:4} {r['clips']:5d} {r['flagged']:>4}/{r['devs']:<4} {r['exact']:>3}/{r['devs']:<3} {r['false']:>3}/{n_ok:<3} "
              f"{r['verified']:>4}/{n_ok:<4} {r['warned']:>3}/{n_ok:<3} {r['skipped']:>3}/{r['clips']:<3}  {dm:>22}  {om:>22}")
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d"), "seed": a.seed, "seconds": round(time.perf_counter() - t0, 1),
                               "rows": rows, "clips": clips}, ensure_ascii=False, indent=1))
    print(f"\nwrote {out} in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
