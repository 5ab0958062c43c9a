"""Tests for captioner.align: forced alignment of caption words to audio (fixtures: tests/fixtures/align)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from captioner.align import PhoneOptions, align, align_signal, align_words, snap_to_frames, spoken_form, syllable_weight
from captioner.types import Word

FIX = Path(__file__).parent / "fixtures" / "align"
SR = 16000


def _load(ad: str):
    import soundfile as sf

    audio, sr = sf.read(FIX / ad / "audio.flac", dtype="float32")
    assert sr == SR
    gt = json.loads((FIX / ad / "words.json").read_text(encoding="utf-8"))["words"]
    return audio, gt


def _clip(ad: str, i: int) -> np.ndarray:
    """Samples of word i of an ad, cut at its ground-truth [start, end)."""
    audio, gt = _load(ad)
    return audio[int(gt[i]["start"] * SR): int(gt[i]["end"] * SR)]


def _find(ad: str, text: str, nth: int = 0) -> int:
    _, gt = _load(ad)
    hits = [k for k, w in enumerate(gt) if w["text"].lower() == text.lower()]
    return hits[nth]


def _build(pieces, lead: float = 0.3, tail: float = 0.5, noise_db: float | None = None, seed: int = 0):
    """Concatenate (word text, samples, silence after) pieces; returns audio, texts, onsets, ends."""
    parts = [np.zeros(int(lead * SR), np.float32)]
    t = lead
    onsets, ends, texts = [], [], []
    for text, samples, gap in pieces:
        onsets.append(t)
        t += len(samples) / SR
        ends.append(t)
        texts.append(text)
        parts.append(samples)
        parts.append(np.zeros(int(gap * SR), np.float32))
        t += int(gap * SR) / SR
    parts.append(np.zeros(int(tail * SR), np.float32))
    audio = np.concatenate(parts).astype(np.float32)
    if noise_db is not None:
        rng = np.random.default_rng(seed)
        audio = audio + (10 ** (noise_db / 20) * rng.standard_normal(len(audio))).astype(np.float32)
    return audio, texts, np.array(onsets), np.array(ends)


def _words(texts):
    return [Word(text=t, start=0.0, end=0.0, confidence=0.5) for t in texts]


def _gt_words(ad: str):
    """The spoken tokens of an ad (with their punctuation), as the aligner would receive them."""
    spoken = (FIX / ad / "spoken.txt").read_text(encoding="utf-8").strip()
    _, gt = _load(ad)
    out = []
    for j, g in enumerate(gt):
        b = g["char_end"]
        nxt = gt[j + 1]["char_start"] if j + 1 < len(gt) else len(spoken)
        while b < nxt and not spoken[b].isspace() and not (ad.startswith("ad-zh") and spoken[b].isalnum()):
            b += 1
        out.append(spoken[g["char_start"]: b])
    return out


def _check_invariants(out, words, duration):
    assert len(out) == len(words)
    assert [w.text for w in out] == [w.text for w in words]
    for a, b in zip(out, out[1:]):
        assert a.start <= b.start
        assert a.end <= b.start + 1e-6
    for w in out:
        assert 0.0 <= w.start <= w.end <= duration + 1e-6
        assert 0.0 <= w.confidence <= 1.0
        assert w.timing in ("aligned", "interpolated")


# --------------------------------------------------------------------------------------------


def test_word_by_word_clip_with_known_gaps():
    ad = "ad-en-02"
    _, gt = _load(ad)
    picks = ["switched", "cold", "brew", "pods", "never", "looked", "twelve", "free", "shipping"]
    gaps = [0.25, 0.0, 0.4, 0.0, 0.3, 0.6, 0.0, 0.35, 0.0]
    pieces = [(t, _clip(ad, _find(ad, t)), g) for t, g in zip(picks, gaps)]
    audio, texts, onsets, ends = _build(pieces, lead=0.8)
    out = align(audio, _words(texts), "en")
    _check_invariants(out, _words(texts), len(audio) / SR)
    err = np.abs(np.array([w.start for w in out]) - onsets)
    # words after an inserted pause start at their first sound; boundaries inside connected speech
    # are harder (measured on the DEV ads: mean 23-33 ms for en/de/fr/es)
    after_pause = np.array([True] + [g > 0 for g in gaps[:-1]])
    assert np.max(err[after_pause]) < 0.06, err
    assert np.mean(err) < 0.05, err
    assert np.max(err) < 0.15, err
    # ends are clamped at the inserted pauses: never stretched into the silence
    for w, e, g in zip(out, ends, gaps):
        if g >= 0.25:
            assert abs(w.end - e) < 0.06, (w.text, w.end, e)
    assert all(w.timing == "aligned" for w in out)


def test_price_aligns_in_spoken_form_and_maps_back():
    forty = _clip("ad-en-01", _find("ad-en-01", "forty"))
    i_nine = _find("ad-en-03", "nine")  # "seventy nine dollars"
    nine = _clip("ad-en-03", i_nine)
    dollars = _clip("ad-en-03", i_nine + 1)
    only = _clip("ad-en-03", _find("ad-en-03", "only"))
    today = _clip("ad-en-01", _find("ad-en-01", "today"))
    pieces = [("only", only, 0.3), ("forty", forty, 0.0), ("nine", nine, 0.0), ("dollars", dollars, 0.35), ("today", today, 0.0)]
    audio, _, onsets, ends = _build(pieces)
    words = [
        Word(text="Only", start=0, end=0),
        Word(text="$49", start=0, end=0, spoken="forty nine dollars"),
        Word(text="today!", start=0, end=0),
    ]
    out = align(audio, words, "en")
    _check_invariants(out, words, len(audio) / SR)
    assert [w.text for w in out] == ["Only", "$49", "today!"]
    price = out[1]
    assert price.spoken == "forty nine dollars"
    assert abs(price.start - onsets[1]) < 0.06
    assert abs(price.end - ends[3]) < 0.06
    assert abs(out[2].start - onsets[4]) < 0.06
    assert price.timing == "aligned"


def test_spoken_form_prefers_spoken_and_falls_back_to_text():
    assert spoken_form(Word(text="$49", start=0, end=0, spoken="forty nine dollars"), "en") == "forty nine dollars"
    # without a spoken form: numbers.verbalize when the module exists, else the text itself
    got = spoken_form(Word(text="$49", start=0, end=0), "en")
    assert got == "$49" or "forty" in got
    assert spoken_form(Word(text="hello,", start=0, end=0), "en") == "hello,"
    assert syllable_weight("悦澜") == 2
    assert syllable_weight("🔥") == 0


@pytest.mark.parametrize("noise_db", [None, -60.0])
def test_leading_silence_not_absorbed(noise_db):
    audio, gt = _load("ad-en-01")
    lead = 2.0
    audio = np.concatenate([np.zeros(int(lead * SR), np.float32), audio])
    if noise_db is not None:
        rng = np.random.default_rng(1)
        audio = audio + (10 ** (noise_db / 20) * rng.standard_normal(len(audio))).astype(np.float32)
    texts = _gt_words("ad-en-01")
    out = align(audio, _words(texts), "en")
    _check_invariants(out, _words(texts), len(audio) / SR)
    # "Tired" opens with a silent stop closure (~50 ms) that no aligner can see after a pause
    assert abs(out[0].start - (gt[0]["start"] + lead)) < 0.07, out[0]
    # the first word keeps a word-like length instead of swallowing 2 s of silence
    assert out[0].end - out[0].start < 0.6
    onset_err = np.abs(np.array([w.start for w in out]) - (np.array([g["start"] for g in gt]) + lead))
    assert np.median(onset_err) < 0.04


def test_45_second_clip_aligns_across_windows():
    texts, onsets = [], []
    parts, t = [], 0.0
    for ad in ["ad-en-01", "ad-en-02", "ad-en-03", "ad-en-04", "ad-en-01"]:
        audio, gt = _load(ad)
        parts.append(audio)
        texts += _gt_words(ad)
        onsets += [t + g["start"] for g in gt]
        t += len(audio) / SR
    audio = np.concatenate(parts)
    assert len(audio) / SR > 45
    words = _words(texts)
    out = align(audio, words, "en")
    _check_invariants(out, words, len(audio) / SR)
    err = np.abs(np.array([w.start for w in out]) - np.array(onsets))
    assert np.median(err) < 0.04, np.median(err)
    assert np.percentile(err, 90) < 0.15
    # words after 30 s are aligned as well as the first ones (the second window works)
    late = np.array(onsets) > 31
    assert late.sum() > 20 and np.median(err[late]) < 0.05
    assert sum(w.timing == "aligned" for w in out) == len(out)


def test_times_from_asr_are_not_needed():
    audio, gt = _load("ad-en-04")
    texts = _gt_words("ad-en-04")
    bare = align(audio, _words(texts), "en")
    # misleading input times (e.g. a backend that got them wrong) must not change the result
    shifted = [Word(text=t, start=g["start"] + 0.3, end=g["end"] + 0.3, timing="asr") for t, g in zip(texts, gt)]
    out = align(audio, shifted, "en")
    assert [(w.start, w.end) for w in out] == [(w.start, w.end) for w in bare]
    err = np.abs(np.array([w.start for w in bare]) - np.array([g["start"] for g in gt]))
    assert np.mean(err) < 0.05


def test_chinese_multi_character_words():
    audio, gt = _load("ad-zh-01")
    # group the per-character ground truth into words of 1-3 characters, punctuation attached
    spoken = (FIX / "ad-zh-01" / "spoken.txt").read_text(encoding="utf-8").strip()
    groups = [[0, 1], [2, 3, 4], [5, 6, 7], [8], [9, 10], [11, 12]]
    k = 13
    while k < len(gt):
        groups.append(list(range(k, min(k + 2, len(gt)))))
        k += 2
    words = []
    for g in groups:
        a, b = gt[g[0]]["char_start"], gt[g[-1]]["char_end"]
        while b < len(spoken) and not spoken[b].isalnum():
            b += 1
        words.append(Word(text=spoken[a:b], start=0, end=0))
    out = align(audio, words, "zh")
    _check_invariants(out, words, len(audio) / SR)
    err = np.abs(np.array([w.start for w in out]) - np.array([gt[g[0]]["start"] for g in groups]))
    assert np.median(err) < 0.08, err
    assert out[0].start < 0.4  # the first word starts at the voice, not at 0


def test_hindi_aligns():
    audio, gt = _load("ad-hi-01")
    texts = _gt_words("ad-hi-01")
    out = align(audio, _words(texts), "hi")
    _check_invariants(out, _words(texts), len(audio) / SR)
    err = np.abs(np.array([w.start for w in out]) - np.array([g["start"] for g in gt]))
    assert np.median(err) < 0.04 and np.mean(err) < 0.08, err


def test_unalignable_word_is_interpolated_not_dropped():
    audio, gt = _load("ad-en-04")
    texts = _gt_words("ad-en-04")
    texts.insert(3, "🔥")
    words = _words(texts)
    out = align(audio, words, "en")
    _check_invariants(out, words, len(audio) / SR)
    fire = out[3]
    assert fire.text == "🔥" and fire.timing == "interpolated" and fire.confidence <= 0.2
    assert out[2].start <= fire.start <= out[4].start


def test_silent_audio_still_times_every_word():
    audio = np.zeros(3 * SR, np.float32)
    words = _words(["nothing", "to", "hear"])
    out = align(audio, words, "en", use_whisper=False)
    _check_invariants(out, words, 3.0)
    assert all(w.timing == "interpolated" and w.confidence <= 0.2 for w in out)
    assert align(audio, [], "en") == []


def test_signal_only_fallback_is_reasonable():
    audio, gt = _load("ad-en-03")
    texts = _gt_words("ad-en-03")
    out = align(audio, _words(texts), "en", use_whisper=False)
    _check_invariants(out, _words(texts), len(audio) / SR)
    err = np.abs(np.array([w.start for w in out]) - np.array([g["start"] for g in gt]))
    assert np.median(err) < 0.08


def test_snap_to_frames():
    words = [
        Word(text="a", start=0.31, end=0.52),
        Word(text="b", start=0.52, end=0.53),  # shorter than a frame
        Word(text="c", start=0.533, end=0.9),
        Word(text="d", start=1.2, end=1.21),
    ]
    fps = 30.0
    out = snap_to_frames(words, fps)
    assert [w.text for w in out] == ["a", "b", "c", "d"]
    for w in out:
        assert abs(w.start * fps - round(w.start * fps)) < 1e-9
        assert abs(w.end * fps - round(w.end * fps)) < 1e-9
        assert w.end >= w.start
    for a, b in zip(out, out[1:]):
        assert a.start <= b.start and a.end <= b.start + 1e-9
    assert out[3].end - out[3].start == pytest.approx(1 / fps)  # at least one frame where there is room
    with pytest.raises(ValueError):
        snap_to_frames(words, 0)


# --------------------------------------------------------------------------------------------
# the phone aligner (hama's phone CTC model) on real audio


def _music(seconds: float, seed: int = 3) -> np.ndarray:
    """A synthetic music bed: chords of decaying harmonics every 0.5 s, a kick and hi-hat noise bursts."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    out = np.zeros(n)
    beat = int(0.5 * SR)
    for k, b0 in enumerate(range(0, n, beat)):
        seg = slice(b0, min(n, b0 + beat))
        tt = t[seg] - t[b0]
        root = [110.0, 146.8, 164.8, 130.8][k % 4]
        for f in (root, root * 1.26, root * 1.5, root * 2):
            out[seg] += 0.08 * np.sin(2 * np.pi * f * tt) * np.exp(-3 * tt)
        out[seg] += 0.3 * np.sin(2 * np.pi * 55 * tt) * np.exp(-25 * tt)  # kick
        hat = slice(b0 + beat // 2, min(n, b0 + beat // 2 + 800))
        out[hat] += 0.05 * rng.standard_normal(len(out[hat]))
    return (0.5 * out / np.max(np.abs(out))).astype(np.float32)


@pytest.mark.parametrize("ad", ["ad-en-01", "ad-de-01", "ad-fr-01", "ad-es-01", "ad-hi-01", "ad-zh-01", "ad-en-01-m"])
def test_phone_aligner_onsets_in_every_language(ad):
    audio, gt = _load(ad)
    lang = ad[3:5]
    words = _words(_gt_words(ad))
    res = align_words(audio, words, lang)
    out = res.words
    _check_invariants(out, words, len(audio) / SR)
    err = np.abs(np.array([w.start for w in out]) - np.array([g["start"] for g in gt]))
    end_err = np.abs(np.array([w.end for w in out]) - np.array([g["end"] for g in gt]))
    music = ad.endswith("-m")
    # measured (docs/BENCHMARKS.md "Word alignment"): 15-30 ms mean on these ads, 20-35 ms under a bed
    assert np.mean(err) < (0.045 if music else 0.035) and np.percentile(err, 90) < (0.09 if music else 0.07), err
    assert np.mean(end_err) < 0.06, end_err
    assert res.by_phones >= 0.9 * len(words)
    assert sum(w.aligner == "phones" for w in out) == res.by_phones
    assert not res.unheard and not [f for f in res.findings if f.kind in ("ad_lib", "script_unspoken")]


def test_phone_aligner_reports_speech_the_words_do_not_explain():
    audio, gt = _load("ad-en-01")
    texts = _gt_words("ad-en-01")
    cut = range(9, 13)  # a sentence-sized stretch of speech the captions do not have
    words = _words([t for k, t in enumerate(texts) if k not in cut])
    res = align_words(audio, words, "en")
    _check_invariants(res.words, words, len(audio) / SR)
    span = (gt[cut[0]]["start"], gt[cut[-1]]["end"])
    ad_libs = [f for f in res.findings if f.kind == "ad_lib"]
    assert any(f.start < span[1] and f.end > span[0] for f in ad_libs), (span, res.findings)
    assert all(f.severity == "warning" and f.end > f.start for f in ad_libs)
    # the words around it keep their own times instead of stretching over the unexplained speech
    kept = [g for k, g in enumerate(gt) if k not in cut]
    err = np.abs(np.array([w.start for w in res.words]) - np.array([g["start"] for g in kept]))
    assert np.median(err) < 0.03


def test_phone_aligner_reports_script_words_with_no_audio():
    audio, gt = _load("ad-en-02")
    texts = _gt_words("ad-en-02")
    at = 8
    phrase = ["Loved", "by", "happy", "customers", "everywhere."]
    words = _words(texts[:at] + phrase + texts[at:])
    res = align_words(audio, words, "en")
    _check_invariants(res.words, words, len(audio) / SR)
    unspoken = [f for f in res.findings if f.kind == "script_unspoken"]
    assert len(unspoken) == 1 and set(unspoken[0].word_indices) >= set(range(at + 1, at + len(phrase)))
    for k in unspoken[0].word_indices:  # kept in the captions, never dropped, marked as not aligned
        assert res.words[k].timing == "interpolated" and res.words[k].confidence <= 0.2
    others = [w for k, w in enumerate(res.words) if k not in unspoken[0].word_indices]
    err = np.abs(np.array([w.start for w in others]) - np.array([g["start"] for g in gt])[: len(others)])
    assert np.median(err) < 0.03


@pytest.mark.parametrize("what", ["silence", "music"])
def test_no_voice_gives_findings_not_a_crash(what):
    audio = np.zeros(4 * SR, np.float32) if what == "silence" else _music(4.0)
    words = _words(_gt_words("ad-en-03")[:8])
    res = align_words(audio, words, "en", use_whisper=False)
    _check_invariants(res.words, words, 4.0)
    assert res.by_phones <= 2
    assert any(f.kind == "script_unspoken" for f in res.findings) or res.by_signal + res.interpolated >= 6


def test_audio_shorter_than_the_script():
    audio, gt = _load("ad-en-01")
    n = int(2.5 * SR)
    texts = _gt_words("ad-en-01")
    words = _words(texts)
    res = align_words(audio[:n], words, "en", use_whisper=False)
    _check_invariants(res.words, words, 2.5)
    said = [k for k, g in enumerate(gt) if g["end"] < 1.6]  # "Tired of dull skin?"
    err = np.abs(np.array([res.words[k].start for k in said]) - np.array([gt[k]["start"] for k in said]))
    assert np.median(err) < 0.04
    unspoken = {k for f in res.findings if f.kind == "script_unspoken" for k in f.word_indices}
    beyond = [k for k, g in enumerate(gt) if g["start"] > 2.6]
    # the words after the cut are reported (which of the two words cut mid-way is a near tie: "link below"
    # fits "Lumewell Glow" as well as the real words do)
    assert len(unspoken & set(beyond)) >= 0.8 * len(beyond), (unspoken, beyond)
    assert not unspoken & set(said)


def test_script_in_another_language_than_the_voice():
    audio, _ = _load("ad-en-03")
    words = _words(_gt_words("ad-de-01"))  # German text, English voice
    res = align_words(audio, words, "de", use_whisper=False)
    _check_invariants(res.words, words, len(audio) / SR)
    good = align_words(*_load("ad-de-01")[:1], _words(_gt_words("ad-de-01")), "de")
    assert np.mean([w.confidence for w in res.words]) < np.mean([w.confidence for w in good.words]) - 0.2


def test_phone_and_signal_aligners_agree_and_report_which_timed_a_word():
    audio, gt = _load("ad-en-04")
    words = _words(_gt_words("ad-en-04"))
    new = align(audio, words, "en")
    old = align_signal(audio, words, "en")
    assert all(w.aligner == "phones" for w in new) and all(w.aligner == "signal" for w in old)
    d = np.abs(np.array([a.start for a in new]) - np.array([b.start for b in old]))
    assert np.median(d) < 0.03
    off = align(audio, words, "en", use_phones=False)
    assert [w.start for w in off] == [w.start for w in old]
    # a word the phone model cannot score falls back to the signal aligner between its neighbours
    res = align_words(audio, words, "en", phone_options=PhoneOptions(min_score=0.5))
    assert res.by_signal > 0 and all(w.aligner in ("phones", "signal") for w in res.words if w.timing == "aligned")


def test_an_ad_lib_the_phone_model_covers_with_blanks_is_still_reported():
    """Seed 404, espeak Mandarin: the voice adds "我自己也在用。" (10.26–11.74 s) after "今天只要69元。". Aligned with
    the script's words, the CTC path covered most of that 1.5 s with blanks and gave the filler three phones (under
    the size an ad_lib needs alone), so "69元" was highlighted through the ad-lib and nothing was reported. The
    voiced stretch between two words' spikes, where the phone model hears a phone no word explains, is reported
    now, and the word before it ends where it starts."""
    from captioner.hint import script_tokens
    from captioner.media import load_audio

    d = FIX / "g404-zh-05"
    audio = load_audio(d / "audio.flac")
    meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
    (adlib,) = [(x["start_s"], x["end_s"]) for x in meta["deviations"] if x["type"] == "ad_lib"]
    toks, _ = script_tokens((d / "script.txt").read_text(encoding="utf-8"), "zh")
    words = [Word(text=t, start=0, end=0) for t in toks]
    r = align_words(audio, words, "zh")
    found = [f for f in r.findings if f.kind == "ad_lib"]
    assert len(found) == 1 and found[0].start < adlib[1] and found[0].end > adlib[0], found
    price = next(w for w in r.words if w.text.startswith("69"))
    assert price.end <= adlib[0] + 0.35, price  # no longer highlighted through the ad-lib (it ran to 11.75 s)
    # the same alignment without the voiced-gap rule reports nothing: the filler alone missed it
    off = align_words(audio, words, "zh", phone_options=PhoneOptions(min_voiced_gap_s=99.0))
    assert not [f for f in off.findings if f.kind == "ad_lib"]
    # and with the ad-lib in the captions there is nothing to report
    said, _ = script_tokens((d / "spoken.txt").read_text(encoding="utf-8"), "zh")
    full = align_words(audio, [Word(text=t, start=0, end=0) for t in said], "zh")
    assert not [f for f in full.findings if f.kind in ("ad_lib", "script_unspoken")]


def test_words_a_recogniser_writes_apart_or_runs_together_are_said():
    """With no script the captions are the recogniser's words, and Whisper writes "20 %" as two words and the
    promo code "GLOW20" as "blo20". Said as the bare text, "%" and "blo20" had no phones for "percent" and
    "twenty", and that speech was reported as an ad-lib twice — on captions that hold it (DEV ad-en-01)."""
    from captioner.media import load_audio

    assert spoken_form(Word(text="%", start=0, end=0), "en") == "percent"
    assert spoken_form(Word(text="blo20", start=0, end=0), "en") == "blo twenty"
    assert spoken_form(Word(text="$", start=0, end=0), "en") == "dollars"
    assert spoken_form(Word(text="%.", start=0, end=0), "fr") == "pour cent"
    assert spoken_form(Word(text="hello", start=0, end=0), "en") == "hello"
    audio = load_audio(Path(__file__).parent / "fixtures" / "hint" / "ad-en-01" / "audio.flac")
    heard = "Tired of those kids, loom well loom is just for the dollars today, use code blo20 for 20 % off. Tap the link below."
    r = align_words(audio, [Word(text=t, start=0, end=0) for t in heard.split()], "en")
    assert not [f for f in r.findings if f.kind == "ad_lib"], [f.message for f in r.findings]
    pct = next(w for w in r.words if w.text == "%")
    assert pct.end - pct.start > 0.25  # "percent" has its own time, not a sliver


def test_a_voice_over_said_twice_keeps_each_word_where_the_recogniser_heard_it():
    """A looped video says the ad twice; the script (and the prompted pass) once. The phone alignment put the script's
    last words into the second loop, 9 s from where the recogniser heard them, leaving the first loop's end uncaptioned.
    A word with the recogniser's own timestamps now stays within `PhoneOptions.asr_band_s` of them."""
    from captioner.media import load_audio

    ex = Path(__file__).resolve().parents[1] / "examples" / "ad-en-01"
    one = load_audio(ex / "video.mp4")
    audio = np.concatenate([one, one])
    truth = json.loads((ex / "words.json").read_text())["words"]
    heard = [Word(text=w["text"], start=w["start"], end=w["end"]) for w in truth]  # timing "asr": the recogniser's
    res = align_words(audio, heard, "en")
    err = [abs(r.start - w["start"]) for r, w in zip(res.words, truth)]
    assert max(err) < 0.3, err
    assert any(f.kind == "ad_lib" and f.start >= len(one) / 16000 - 0.5 for f in res.findings)  # the repeat is named
    loose = align_words(audio, heard, "en", phone_options=PhoneOptions(asr_band_s=None))  # the same without the band
    assert max(abs(r.start - w["start"]) for r, w in zip(loose.words, truth)) > 5
    # words without times of their own (a script fallback, or times left at 0) may go anywhere, as before
    free = align_words(one, [Word(text=w["text"], start=0, end=0) for w in truth], "en")
    assert max(abs(r.start - w["start"]) for r, w in zip(free.words, truth)) < 0.3
