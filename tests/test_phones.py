"""Tests for captioner.phones (hama's phone CTC model: emissions, tokenizer, forced alignment, scores) — real model."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from captioner import g2p, phones

FIX = Path(__file__).parent / "fixtures" / "align"
SR = 16000


def _ad(ad: str):
    import soundfile as sf

    audio, sr = sf.read(FIX / ad / "audio.flac", dtype="float32")
    assert sr == SR
    gt = json.loads((FIX / ad / "words.json").read_text(encoding="utf-8"))["words"]
    return audio, gt


def spoken_words(folder: Path, gt: list[dict], language: str) -> list[str]:
    """One token per ground-truth word, with the punctuation that follows it in spoken.txt."""
    spoken = (Path(folder) / "spoken.txt").read_text(encoding="utf-8").strip()
    out = []
    for j, g in enumerate(gt):
        b = g["char_end"]
        nxt = gt[j + 1]["char_start"] if j + 1 < len(gt) else len(spoken)
        while b < nxt and not spoken[b].isspace() and (language != "zh" or not spoken[b].isalnum()):
            b += 1
        out.append(spoken[g["char_start"]: b])
    return out


@pytest.fixture(scope="module")
def model():
    return phones.load()


def test_version_is_checked(model):
    import importlib.metadata as md

    assert md.version("hama") == phones.HAMA_VERSION
    assert model.tokens[model.blank] == "<blank>" and model.tokens[model.word_boundary] == "<wb>"


def test_tokenize_maps_ipa_onto_live_tokens(model):
    t = model.tokens
    assert [t[i] for i in model.tokenize(["t͡ʃ", "ˈaɪ", "ɚ"])] == ["t͡ʃ", "aɪ", "ɝ"]
    assert [t[i] for i in model.tokenize(["tʃ"])] == ["t͡ʃ"]  # tie bar optional
    assert [t[i] for i in model.tokenize(["ja"])] == ["j", "a"]  # glide+vowel tokens are split
    assert [t[i] for i in model.tokenize(["ʁ", "ɡ", "yː", "t͡s"])] == ["ɹ", "g", "u", "t", "s"]
    assert [t[i] for i in model.tokenize(["kʰ", "ɛ̃", "ˌoː"])] == ["k", "ɛ", "o"]
    assert model.tokenize(["ˈ", "5", "˥"]) == []
    live = set(model.live)
    for lang, words in {"de": ["Größe", "neunundneunzig"], "fr": ["quatre", "vingt", "euros"], "es": ["veintinueve"],
                        "hi": ["निन्यानबे", "रुपये"], "zh": ["一百", "块"]}.items():
        for ph in g2p.phonemize(words, lang):
            ids = model.tokenize(ph)
            assert ids and set(ids) <= live, (lang, ph)


def test_emissions_shape_and_windows(model):
    audio, _ = _ad("ad-en-01")
    lp = model.emissions(audio)
    assert lp.shape == (int(np.ceil(len(audio) / phones.HOP)), len(model.tokens))
    assert np.allclose(np.exp(lp).sum(axis=1), 1.0, atol=1e-3)
    # 40 s (two windows): the stitched emissions match the one-window ones away from the cut
    long = np.concatenate([audio, audio, audio, audio, audio])[: 40 * SR]
    lp_long = model.emissions(long)
    assert lp_long.shape[0] == 40 * SR // phones.HOP
    n = lp.shape[0] - 10
    agree = np.mean(lp_long[:n].argmax(1) == lp[:n].argmax(1))
    assert agree > 0.95
    assert model.emissions(np.zeros(100, np.float32)).shape == (1, len(model.tokens))


@pytest.mark.parametrize("ad", ["ad-en-01", "ad-hi-01", "ad-zh-01"])
def test_forced_align_onsets(model, ad):
    audio, gt = _ad(ad)
    lang = ad[3:5]
    words = spoken_words(FIX / ad, gt, lang)
    ids = [model.tokenize(p) for p in g2p.phonemize(words, lang)]
    al = model.forced_align(model.emissions(audio), ids, filler=True)
    st = np.array([w.start for w in al.words]) * phones.FRAME_S - 0.08  # the model's lag (fitted in align.py)
    err = np.abs(st - np.array([g["start"] for g in gt]))
    assert np.mean(err) < 0.04 and np.percentile(err, 90) < 0.08, (np.mean(err), np.percentile(err, 90))
    assert all(0 < w.confidence <= 1 for w in al.words)


def test_score_prefers_the_spoken_text(model):
    audio, gt = _ad("ad-en-02")
    lp = model.emissions(audio)
    i = 3
    a, b = int(gt[i]["start"] / phones.FRAME_S), int(gt[i]["end"] / phones.FRAME_S) + 6
    right = model.tokenize(g2p.phonemize([gt[i]["text"]], "en")[0])
    wrong = model.tokenize(g2p.phonemize(["banana"], "en")[0])
    assert model.score(lp, right, a, b) > model.score(lp, wrong, a, b)
    assert model.score(lp, right, a, b) <= 0.05
    assert model.score(lp, right * 40, a, a + 5) == float("-inf")  # cannot fit


def test_filler_absorbs_unscripted_speech_and_skip_finds_missing_words(model):
    audio, gt = _ad("ad-en-01")
    lp = model.emissions(audio)
    words = spoken_words(FIX / "ad-en-01", gt, "en")
    ids = [model.tokenize(p) for p in g2p.phonemize(words, "en")]
    # drop words 4..7 from the text: their audio must land in a filler, not on the neighbours
    cut = list(range(4, 8))
    kept = [x for k, x in enumerate(ids) if k not in cut]
    al = model.forced_align(lp, kept, filler=True)
    span = (gt[4]["start"], gt[7]["end"])
    hit = [f for f in al.fillers if f.start * phones.FRAME_S < span[1] and f.end * phones.FRAME_S > span[0]]
    assert hit and sum(f.end - f.start for f in hit) * phones.FRAME_S > 0.5 * (span[1] - span[0])
    # a phrase that was never said: with skips allowed it is skipped, not squeezed
    extra = model.tokenize(g2p.phonemize(["completely", "unrelated", "marmalade", "sandwiches"], "en")[0] +
                           g2p.phonemize(["unrelated"], "en")[0])
    al2 = model.forced_align(lp, ids[:10] + [extra] + ids[10:], filler=True, skip_penalty=1.0)
    assert al2.words[10].skipped
    assert not any(w.skipped for k, w in enumerate(al2.words) if k != 10)


def test_emissions_are_computed_once_per_audio_and_read_only(model):
    import numpy as np

    rng = np.random.default_rng(3)
    audio = (0.1 * rng.standard_normal(16000 * 2)).astype(np.float32)
    calls = []
    real = model._emissions
    model._emissions = lambda *a, **k: calls.append(1) or real(*a, **k)
    try:
        a = model.emissions(audio)
        b = model.emissions(audio.copy())  # same samples, another array: the judge and the aligner
        c = model.emissions(audio * 0.5)
    finally:
        del model._emissions
    assert len(calls) == 2 and a is b and not a.flags.writeable and c.shape == a.shape and not np.array_equal(a, c)


def test_prefetch_runs_beside_the_caller_and_is_waited_for_not_repeated(model):
    """The pipeline starts the emissions while the recogniser runs; the judge's and the aligner's later calls get
    that very result (waiting for it while it is still being computed), never a second computation."""
    import threading

    rng = np.random.default_rng(4)
    audio = (0.1 * rng.standard_normal(16000 * 3)).astype(np.float32)
    calls, started, release = [], threading.Event(), threading.Event()
    real = model._emissions

    def slow(*a, **k):
        calls.append(1)
        started.set()
        release.wait(10)
        return real(*a, **k)

    model._emissions = slow
    try:
        t = model.prefetch(audio)
        assert started.wait(10)
        out = {}
        waiter = threading.Thread(target=lambda: out.setdefault("lp", model.emissions(audio.copy())))
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive()  # waits for the prefetch instead of computing again
        release.set()
        waiter.join(30)
        t.join(30)
    finally:
        del model._emissions
    assert len(calls) == 1 and out["lp"] is model.emissions(audio)
    model.clear_cache()


def test_a_failed_prefetch_is_not_kept(model):
    real = model._emissions
    model._emissions = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("engine down"))
    audio = np.zeros(16000, np.float32) + 0.01
    try:
        model.prefetch(audio).join(10)
    finally:
        del model._emissions
    lp = model.emissions(audio)  # computed afresh, not the failure
    assert lp.shape[0] == int(np.ceil(audio.size / 320)) and np.isfinite(lp).all()
