"""The calibration-data generator (benchmarks/genads*.py): spoken forms, and two real ads end to end.

The spoken-form tests need nothing extra. The generation test synthesizes with libespeak-ng 1.52 from the
`bench` extra (espeakng-loader, GPL-3, benchmark-only); without it the test is skipped with that reason
(CI installs the extra: see docs/GENADS.md).
"""
from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import genads_lang as gl  # noqa: E402


@pytest.mark.parametrize("lang,value,canonical", [
    ("en", "49", "forty nine dollars"),
    ("en", "19.99", "nineteen ninety nine"),
    ("de", "39.99", "neununddreißig Euro neunundneunzig"),
    ("de", "1299", "tausendzweihundertneunundneunzig Euro"),
    ("fr", "24.90", "vingt quatre euros quatre vingt dix"),
    ("fr", "71", "soixante et onze euros"),
    ("fr", "80", "quatre vingts euros"),
    ("fr", "281", "deux cent quatre vingt un euros"),
    ("es", "29.99", "veintinueve euros con noventa y nueve"),
    ("es", "21", "veintiún euros"),
    ("es", "100", "cien euros"),
    ("hi", "499", "चार सौ निन्यानबे रुपये"),
    ("hi", "1299", "बारह सौ निन्यानबे रुपये"),
    ("hi", "2999", "उनतीस सौ निन्यानबे रुपये"),
    ("zh", "199", "一百九十九元"),
    ("zh", "59.9", "五十九块九"),
    ("zh", "269", "二百六十九元"),
    ("zh", "2999", "两千九百九十九元"),
    ("zh", "119", "一百一十九元"),
    ("zh", "109", "一百零九元"),
])
def test_canonical_price_readings(lang, value, canonical):
    assert gl.LANGS[lang].price(Decimal(value)) == canonical


@pytest.mark.parametrize("lang,value,variant", [
    ("en", "19.99", "nineteen dollars and ninety nine cents"),
    ("de", "39.99", "neununddreißig neunundneunzig"),
    ("de", "1299", "zwölfhundertneunundneunzig Euro"),
    ("fr", "29.90", "vingt neuf euros et quatre vingt dix centimes"),
    ("es", "91.45", "noventa y uno con cuarenta y cinco"),
    ("hi", "2999", "दो हज़ार नौ सौ निन्यानबे रुपये"),
    ("zh", "269", "两百六十九元"),
    ("zh", "59.9", "五十九点九元"),
])
def test_spoken_variants(lang, value, variant):
    assert variant in gl.LANGS[lang].price_variants(Decimal(value))


def test_hindi_table_and_french_tens():
    assert gl.HI_0_99[99] == "निन्यानबे" and gl.HI_0_99[49] == "उनचास" and gl.HI_0_99[79] == "उन्यासी"
    assert [gl.fr_card(n) for n in (70, 77, 90, 91)] == ["soixante dix", "soixante dix sept", "quatre vingt dix",
                                                         "quatre vingt onze"]
    assert gl.zh_card(10) == "十" and gl.zh_card(110) == "一百一十" and gl.zh_card(1010) == "一千零一十"


def test_cross_check_with_captioner_numbers():
    """Two independent implementations agree on every cardinal 0..9999 and on the prices; where the
    product's reading differs it must be one of the legitimate variants (zh 二千 vs 两千)."""
    from captioner.numbers import number_to_words, verbalize

    for lang, L in gl.LANGS.items():
        wrong = [n for n in range(10000) if L.card(n) != number_to_words(n, lang)]
        assert wrong == [], (lang, wrong[:5])
        for v in ("49", "19.99", "1299", "129", "8.50", "2999", "59.9", "269", "71", "80"):
            d = Decimal(v)
            product = verbalize(L.written_price(d), lang)
            assert product == L.price(d) or product in L.price_variants(d), (lang, v, product)


def test_generate_two_ads(tmp_path):
    pytest.importorskip("espeakng_loader", reason="needs the bench extra: pip install -e '.[bench]'")
    pytest.importorskip("pypinyin", reason="needs the bench extra")
    import soundfile as sf

    import genads

    out = tmp_path / "set"
    taken: set[str] = set()
    m1 = genads.generate_ad(out, "de", 5, 1, "price_one_digit", False, taken)
    m2 = genads.generate_ad(out, "zh", 5, 2, "ad_lib", False, taken)
    genads.generate_music_twin(out, m1, 10)
    genads._write_manifests(out)

    rows = [json.loads(x) for x in (out / "ads" / "manifest.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["g5-de-01", "g5-zh-02"]
    for meta in (m1, m2):
        d = out / "ads" / meta["id"]
        audio, sr = sf.read(str(d / "audio.flac"), dtype="float64")
        info = sf.info(str(d / "audio.flac"))
        assert sr == 16000 and info.channels == 1 and info.subtype == "PCM_16"
        assert abs(20 * np.log10(np.abs(audio).max()) + 1.0) < 0.05  # -1 dBFS peak
        assert np.abs(audio[:4000]).max() < 0.01  # the 0.30 s lead-in is silent (FFT resampling ripple only)
        assert abs(len(audio) / sr - meta["duration_s"]) < 0.002
        spoken = (d / "spoken.txt").read_text().rstrip("\n")
        words = json.loads((d / "words.json").read_text())["words"]
        starts = [w["start"] for w in words]
        assert starts[0] == pytest.approx(0.30, abs=0.002)
        assert all(b > a for a, b in zip(starts, starts[1:]))
        assert all(0 <= w["start"] <= w["end"] <= meta["duration_s"] for w in words)
        assert all(spoken[w["char_start"]:w["char_end"]] == w["text"] for w in words)
        # the speech ends with the last word and is followed by 0.50 s of silence
        assert meta["duration_s"] - words[-1]["end"] == pytest.approx(0.50, abs=0.01)
        for p in meta["prices"]:
            assert spoken[slice(*p["spoken_char_span"])] == p["spoken"]
            assert (d / "script.txt").read_text()[slice(*p["script_char_span"])] == p["written"]
            covered = " ".join(words[i]["text"] for i in p["word_indices"])
            assert covered.replace(" ", "") == p["spoken"].replace(" ", "")

    # the drawn conditions are in the data
    changed = [p for p in m1["prices"] if p["deviates"]]
    assert len(changed) == 1 and changed[0]["spoken"] != changed[0]["expected_spoken"]
    a, b = changed[0]["value"], changed[0]["spoken_value"]
    assert len(a) == len(b) and sum(x != y for x, y in zip(a, b)) == 1  # one digit
    assert [x["type"] for x in m1["deviations"]] == ["price_mismatch"]
    adl = [x for x in m2["deviations"] if x["type"] == "ad_lib"]
    assert len(adl) == 1 and adl[0]["spoken_text"] not in (out / "ads" / m2["id"] / "script.txt").read_text()
    assert adl[0]["start_s"] < adl[0]["end_s"]

    # the music twin: same time line, the bed at the recorded speech-to-music ratio
    mm = json.loads((out / "ads-music" / "g5-de-01-m" / "meta.json").read_text())
    assert mm["music_snr_db"] == 10 and mm["source_id"] == "g5-de-01"
    clean, _ = sf.read(str(out / "ads" / "g5-de-01" / "audio.flac"), dtype="float64")
    mixed, _ = sf.read(str(out / "ads-music" / "g5-de-01-m" / "audio.flac"), dtype="float64")
    assert len(mixed) == len(clean)
    a0, a1 = (int(t * 16000) for t in mm["music"]["snr_span_s"])
    voice = clean[a0:a1] * 10 ** (mm["music"]["speech_gain_db"] / 20)
    music = mixed[a0:a1] - voice
    snr = 20 * np.log10(np.sqrt(np.mean(voice ** 2)) / np.sqrt(np.mean(music ** 2)))
    assert snr == pytest.approx(10, abs=0.3)  # 16-bit rounding of both files

    # deterministic: the same seed gives byte-identical files; an existing ad is kept (cached)
    out2 = tmp_path / "again"
    genads.generate_ad(out2, "de", 5, 1, "price_one_digit", False, set())
    for name in ("audio.flac", "words.json", "meta.json", "spoken.txt", "script.txt"):
        assert (out / "ads/g5-de-01" / name).read_bytes() == (out2 / "ads/g5-de-01" / name).read_bytes()
    mtime = (out / "ads/g5-de-01/audio.flac").stat().st_mtime_ns
    genads.generate_ad(out, "de", 5, 1, "price_one_digit", False, set())
    assert (out / "ads/g5-de-01/audio.flac").stat().st_mtime_ns == mtime


def test_fluidsynth_bed():
    """The GM renderer (benchmark-only apt packages fluidsynth + fluid-soundfont-gm) renders the same
    arrangement deterministically at 16 kHz."""
    import genads_music as gm

    if not gm.fluidsynth_available():
        pytest.skip("needs apt packages fluidsynth and fluid-soundfont-gm (benchmark-only)")
    a, info = gm.compose(2024, 3.0, "fluidsynth")
    b, _ = gm.compose(2024, 3.0, "fluidsynth")
    assert len(a) == 48000 and np.array_equal(a, b) and np.abs(a).max() == pytest.approx(1.0)
    assert "FluidR3_GM" in info["engine"] and info["instruments"]["bass"].startswith("GM ")
    n, _ = gm.compose(2024, 3.0, "numpy")
    assert len(n) == 48000 and not np.allclose(n, a)


def test_plans_are_balanced():
    """Conditions cycle within a language; music twins balance SNRs and, within each SNR, the renderers."""
    import collections

    import genads

    plan = genads.plan(101, "de", 16, 4)
    counts = collections.Counter(c for _, c, _ in plan)
    assert set(counts) == set(genads.CONDITIONS) and max(counts.values()) - min(counts.values()) <= 1
    assert not any(p for *_, p in plan)  # Piper only for English
    assert [i for i, _, p in genads.plan(101, "en", 16, 4) if p] == [4, 8, 12, 16]
    metas = [{"id": f"x{i}", "condition": c} for i, c, _ in plan]
    mp = genads.music_plan(101, "de", metas, "all", "mixed")
    assert len(mp) == 16
    snr = collections.Counter(s for s, _ in mp.values())
    assert max(snr.values()) - min(snr.values()) <= 1
    for level in genads.SNRS_DB:
        eng = collections.Counter(e for s, e in mp.values() if s == level)
        assert abs(eng["numpy"] - eng["fluidsynth"]) <= 1
    assert len(genads.music_plan(101, "de", metas, "half", "numpy")) == 8


def test_espeak_synthesis_does_not_depend_on_history():
    """The same utterance gives the same samples whatever ran before (libespeak-ng keeps state between
    utterances and breathy variants draw libc rand(): each ad is synthesized in a fresh, seeded child)."""
    pytest.importorskip("espeakng_loader", reason="needs the bench extra: pip install -e '.[bench]'")
    import ctypes

    from genads_tts import synth_fresh

    text = "Jetzt nur neunundvierzig Euro."
    a = synth_fresh(text, "de+Reed", 160, 40, 60)
    synth_fresh("yong4 le5 hao3", "cmn-latn-pinyin+f5", 220)
    libc = ctypes.CDLL(None)
    libc.srand(777)
    libc.rand()
    b = synth_fresh(text, "de+Reed", 160, 40, 60)
    assert np.array_equal(a.samples, b.samples) and a.words == b.words
