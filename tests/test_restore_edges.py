"""Script words before the first / after the last caption word that both recogniser passes missed
(`pipeline.restore_heard_by_phones`, the edges; `hint.correct` reports them as `script_unspoken` with their words):
the example ad's real audio, the real phone model. Under a music bed that starts with the voice both passes can miss
an ad's opening ("Kennst du schon" on a generated German ad, a whole sentence with the brand on another), and the
captions began mid-sentence with an ad-lib warning where the opening was said."""
from __future__ import annotations

import json

import pytest

from captioner.media import load_audio
from captioner.pipeline import align_stage
from captioner.types import Finding, Severity, Word

from .conftest import EXAMPLE


@pytest.fixture(scope="module")
def ad():
    audio = load_audio(EXAMPLE / "video.mp4")
    truth = json.loads((EXAMPLE / "words.json").read_text())["words"]
    return audio, [Word(text=w["text"], start=w["start"], end=w["end"], confidence=0.9) for w in truth]


def _edge(words: list[Word], text: str, lead: bool) -> Finding:
    at = words[0].start if lead else max(w.end for w in words)
    n = len(text.split())
    return Finding(kind="script_unspoken", severity=Severity.warning, start=at, end=at, script_text=text,
                   message=f"{n} script word(s) {'before' if lead else 'after'} the voice-over were not heard: “{text}”")


def _claim(k: int) -> Finding:
    return Finding(kind="claim_verified", severity=Severity.info, message="$40", word_indices=[k])


def test_an_opening_sentence_the_voice_says_goes_back(ad):
    audio, words = ad
    rest = words[4:]
    k = [w.text for w in rest].index("forty")
    out, fs = align_stage(audio, rest, [_edge(rest, "Tired of dull skin?", True), _claim(k)], "en")
    assert [w.text for w in out][:5] == ["Tired", "of", "dull", "skin?", "Lumewell"]
    assert all(w.aligner == "phones" for w in out[:4]) and abs(out[0].start - 0.3) < 0.1
    restored = next(f for f in fs if f.kind == "script_restored")
    assert restored.word_indices == [0, 1, 2, 3] and "before the first caption word" in restored.message
    assert not [f for f in fs if f.kind in ("script_unspoken", "ad_lib")]
    assert next(f for f in fs if f.kind == "claim_verified").word_indices == [k + 4]  # indices follow the inserted words


def test_closing_words_the_voice_says_go_back(ad):
    audio, words = ad
    rest = words[:-4]
    out, fs = align_stage(audio, rest, [_edge(rest, "Tap the link below!", False)], "en")
    assert [w.text for w in out][-4:] == ["Tap", "the", "link", "below!"]
    assert any(f.kind == "script_restored" for f in fs) and not any(f.kind == "script_unspoken" for f in fs)


def test_script_words_the_voice_does_not_say_stay_out_and_reported(ad):
    """Other words where the opening is said: not put in; the opening stays an ad-lib, the script words unspoken."""
    audio, words = ad
    rest = words[4:]
    out, fs = align_stage(audio, rest, [_edge(rest, "Summer sale starts now.", True)], "en")
    assert [w.text for w in out] == [w.text for w in rest]
    assert any(f.kind == "script_unspoken" and f.script_text == "Summer sale starts now." for f in fs)
    assert any(f.kind == "ad_lib" for f in fs) and not any(f.kind == "script_restored" for f in fs)


def test_only_the_sentence_the_voice_says_goes_back(ad):
    """A title line the voice does not say, then the opening it says: the sentence nearest the voice goes back, the
    title stays reported."""
    audio, words = ad
    rest = words[4:]
    out, fs = align_stage(audio, rest, [_edge(rest, "Summer sale! Tired of dull skin?", True)], "en")
    assert [w.text for w in out][:5] == ["Tired", "of", "dull", "skin?", "Lumewell"]
    un = next(f for f in fs if f.kind == "script_unspoken")
    assert un.script_text == "Summer sale!" and "2 script word(s) before" in un.message
