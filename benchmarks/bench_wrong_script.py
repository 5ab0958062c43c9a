"""Another ad's script (same language) given with a voice-over: is it caught, and is an ad's own script never taken for
another? (`pipeline._script_not_this_voice`, issue 13 "careless users").

For every ad of a set: its own script (every language: a `script_mismatch` there is a false alarm) and the script of
another ad of the same language and set (en, de, es: the languages whose voices the shipped Whisper base follows;
caught = the captions are the recogniser's words with a `script_mismatch` error instead of the wrong script). The
recogniser passes are the product's (`pipeline.recognise`, cached like `bench_numbers.py`: the first run of a set with
other ads' scripts transcribes each ad again with that prompt).

    python benchmarks/bench_wrong_script.py --data ~/.cache/captioner/genads/seed2424 --limit 3
    python benchmarks/bench_wrong_script.py --data ../shared/data --limit 4
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("CAPTIONER_BENCH_CACHE", str(Path("~/.cache/captioner/bench-asr").expanduser()))

from bench_hint import recognise_cached  # noqa: E402
from bench_numbers import ads_of  # noqa: E402


def judge(folder: Path, m: dict, script: str) -> tuple[bool, bool]:
    """(the correction stage fell back to the script, the script was found not to be this voice's)."""
    from captioner.hint import correct
    from captioner.media import load_audio
    from captioner.pipeline import _script_not_this_voice, hotwords

    L = m["language"]
    P, R, _, _ = recognise_cached(folder / m["audio"], L, script)
    words, fixes = correct(P, script, L, on_mismatch="flag", terms=hotwords(script), reference=R)
    fb = any(f.kind == "asr_unreliable" for f in fixes) and bool(words) and all(w.source == "script" for w in words)
    return fb, fb and _script_not_this_voice(load_audio(folder / m["audio"]), words, fixes, [P, R], L) is not None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="../shared/data")
    ap.add_argument("--limit", type=int, default=100, help="ads per language and sub-set (clean / music)")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    t0 = time.perf_counter()
    ads = list(ads_of(Path(a.data).expanduser(), {"en", "de", "fr", "es", "hi", "zh"}, a.limit, "both"))
    rows = []
    for k, (sub, folder, m) in enumerate(ads):
        own = (folder / m["script"]).read_text(encoding="utf-8")
        fb, alarm = judge(folder, m, own)
        row = {"id": m["id"], "language": m["language"], "own_fallback": fb, "own_false_alarm": alarm}
        others = [x for x in ads if x[2]["language"] == m["language"] and x[2]["id"].split("-m")[0] != m["id"].split("-m")[0]]
        if m["language"] in ("en", "de", "es") and others:
            o = others[k % len(others)]
            row["other"] = o[2]["id"]
            row["other_fallback"], row["other_caught"] = judge(folder, m, (o[1] / o[2]["script"]).read_text(encoding="utf-8"))
        rows.append(row)
        print(f"  {m['id']:16s} own: {'FALSE ALARM' if alarm else 'ok'}"
              + (f"   with {row['other']}'s script: {'caught' if row['other_caught'] else 'MISSED'}" if "other" in row else ""),
              file=sys.stderr, flush=True)
    own_fb = sum(r["own_fallback"] for r in rows)
    false = sum(r["own_false_alarm"] for r in rows)
    wrong = [r for r in rows if "other" in r]
    caught = sum(r["other_caught"] for r in wrong)
    print(f"{a.data}: own scripts {len(rows)} ads, {own_fb} script fallbacks, {false} false alarms; "
          f"another ad's script (en/de/es) {caught} of {len(wrong)} caught")
    if a.out:
        Path(a.out).write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "data": a.data, "limit": a.limit,
                                           "seconds": round(time.perf_counter() - t0), "own_false_alarms": false,
                                           "own_fallbacks": own_fb, "other_caught": caught, "other_total": len(wrong),
                                           "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
