"""Script words both recogniser passes missed go back into the captions when the phone model hears them
(`pipeline.restore_heard_by_phones`, through `pipeline.align_stage`): real audio (the example ad), the real phone model."""
from __future__ import annotations

import json

import numpy as np
import pytest

from captioner.media import load_audio
from captioner.pipeline import align_stage
from captioner.types import Finding, Severity, Word

from .conftest import EXAMPLE


@pytest.fixture(scope="module")
def ad():
    audio = load_audio(EXAMPLE / "video.mp4")
    truth = json.loads((EXAMPLE / "words.json").read_text())["words"]  # spoken forms: "glow twenty", "forty dollars"
    return audio, truth, [Word(text=w["text"], start=w["start"], end=w["end"]) for w in truth]


def _missed(words: list[Word], k: int, n: int, script_text: str):
    """The captions as the correction stage leaves them when neither pass wrote words[k:k+n]: the words dropped, a
    `script_skipped` finding at the end of the word before, and a finding on the last caption word."""
    rest = words[:k] + words[k + n:]
    skipped = Finding(kind="script_skipped", severity=Severity.warning, message="script words not heard",
                      start=rest[k - 1].end, end=rest[k - 1].end, script_text=script_text)
    last = Finding(kind="claim_verified", severity=Severity.info, message="a finding on the last word",
                   word_indices=[len(rest) - 1])
    return rest, [skipped, last]


def test_a_missed_word_the_phone_model_hears_goes_back(ad):
    audio, truth, words = ad
    k = [w.text for w in words].index("Serum")
    rest, findings = _missed(words, k, 1, "Serum")
    out, fs = align_stage(audio, rest, findings, "en")
    assert [w.text for w in out][k - 1: k + 2] == ["Glow", "Serum", "is"]
    assert abs(out[k].start - truth[k]["start"]) < 0.06 and out[k].aligner == "phones"
    kinds = [f.kind for f in fs]
    assert "script_skipped" not in kinds and "ad_lib" not in kinds  # the speech there is explained now
    restored = next(f for f in fs if f.kind == "script_restored")
    assert restored.word_indices == [k] and "Serum" in restored.message
    assert next(f for f in fs if f.kind == "claim_verified").word_indices == [len(out) - 1]  # indices follow the insert


def test_a_restored_claim_is_marked_unverified(ad):
    audio, _, words = ad
    k = [w.text for w in words].index("glow")  # the voice says "glow twenty" for the script's GLOW20
    rest, findings = _missed(words, k, 2, "GLOW20")
    out, fs = align_stage(audio, rest, findings, "en")
    assert out[k].text == "GLOW20"
    claim = next(f for f in fs if f.kind == "unverified_claim")
    assert claim.word_indices == [k] and claim.severity == Severity.warning


@pytest.mark.parametrize("other", ["Cream", "Theorem", "Fantastic", "Mask Serum"])
def test_a_script_word_the_voice_did_not_say_stays_out(ad, other):
    """The voice says "Serum" where the (hypothetical) script has another word: the speech stays an ad-lib and the
    script's word stays reported as skipped — even a word of the same length and shape is not forced onto it."""
    audio, _, words = ad
    k = [w.text for w in words].index("Serum")
    rest, findings = _missed(words, k, 1, other)
    out, fs = align_stage(audio, rest, findings, "en")
    assert [w.text for w in out] == [w.text for w in rest]
    kinds = [f.kind for f in fs]
    assert "script_skipped" in kinds and "ad_lib" in kinds and "script_restored" not in kinds


def test_a_phrase_the_voice_really_skipped_stays_skipped(ad):
    """Cut the word out of the audio: no speech between its neighbours, nothing to restore."""
    audio, truth, words = ad
    k = [w.text for w in words].index("Serum")
    a, b = int(truth[k]["start"] * 16000), int(truth[k + 1]["start"] * 16000)
    cut = np.concatenate([audio[:a], audio[b:]])
    d = (b - a) / 16000
    shifted = [w if i < k else w.model_copy(update={"start": w.start - d, "end": w.end - d}) for i, w in enumerate(words)]
    rest, findings = _missed(shifted, k, 1, "Serum")
    out, fs = align_stage(cut, rest, findings, "en")
    assert [w.text for w in out] == [w.text for w in rest]
    assert "script_skipped" in [f.kind for f in fs] and "script_restored" not in [f.kind for f in fs]


def test_skipped_words_the_captions_kept_are_never_put_in_twice(ad):
    """A `script_skipped` finding with word indices (captions that follow the script keep the words the prompted
    pass left out) reports words that are in the captions: nothing is inserted, even with speech nearby unexplained."""
    audio, _, words = ad
    k = [w.text for w in words].index("Serum")
    rest = words[:k] + words[k + 1:]
    kept = Finding(kind="script_skipped", severity=Severity.warning, message="kept", start=rest[k].start,
                   end=rest[k].end, script_text="Serum", word_indices=[k])
    rest = [w if i != k - 1 else w.model_copy(update={"end": rest[k].start}) for i, w in enumerate(rest)]
    out, fs = align_stage(audio, rest, [kept], "en")
    assert [w.text for w in out] == [w.text for w in rest]
    assert "script_restored" not in [f.kind for f in fs]
