"""A script line the voice skips, where the recogniser cannot follow the voice (Hindi): the phone model's unheard
run leaves the captions, reported (`pipeline.drop_unspoken_runs`); the same audio with the script it says keeps
every word. Real audio (tests/fixtures/skipped), the shipped Whisper model and the phone model."""
from __future__ import annotations

from pathlib import Path

import pytest

from captioner.media import load_audio

from .conftest import FIXTURES

AD = FIXTURES / "skipped" / "hi-skip"
SKIPPED = "भारत में बना।"


@pytest.fixture(scope="module")
def audio():
    return load_audio(AD / "audio.flac")


def _said_script() -> str:
    return (AD / "script.txt").read_text(encoding="utf-8").replace(SKIPPED + " ", "")


def test_a_skipped_line_leaves_the_captions_reported(whisper_model, audio):
    from captioner.pipeline import transcribe_and_correct

    script = (AD / "script.txt").read_text(encoding="utf-8")
    assert SKIPPED in script
    _, words, findings = transcribe_and_correct(audio, script, "hi")
    text = " ".join(w.text for w in words)
    assert "भारत" not in text and "बना" not in text, text
    assert text.replace(" ", "") == _said_script().strip().replace(" ", ""), text
    left = [f for f in findings if f.kind == "script_unspoken" and "left out of the captions" in f.message]
    assert len(left) == 1 and left[0].script_text == SKIPPED and left[0].severity.value == "warning"
    assert 3.3 <= left[0].start <= left[0].end <= 4.0  # between the two sentences (the voice's pause: 3.47–3.86 s)
    assert all(w.end - w.start >= 0.02 for w in words)  # nothing drawn for no time at all
    # the prices stay, each at its spoken time
    assert "₹239" in text and "₹149" in text
    assert not [f for f in findings if f.kind == "price_mismatch"]


def test_the_script_the_voice_says_keeps_every_word(whisper_model, audio):
    from captioner.pipeline import transcribe_and_correct

    script = _said_script()
    _, words, findings = transcribe_and_correct(audio, script, "hi")
    assert " ".join(w.text for w in words).replace(" ", "") == script.strip().replace(" ", "")
    assert not [f for f in findings if f.kind in ("script_unspoken", "script_skipped")]
