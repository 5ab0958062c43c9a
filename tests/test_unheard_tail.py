"""Recogniser words after the voice's end that the phone model hears nothing of (`pipeline.drop_unheard_tail`, through
`pipeline.align_stage`), on real audio with the real phone model: DEV ad-en-03 cut in the middle of "seventy nine
dollars" (tests/fixtures/tail). There the prompted pass wrote "$79. I'm not." and the correction stage re-spelled
"I'm" as the script's "from": drawn at the cut (5.93–5.93 s here, 15.00–15.00 s in `bench_e2e.py`'s 15 s ad) and
listed in the sidecars, words nobody says. The caption words are the ground truth's up to "only", then the recogniser's
words with its own timestamps (as it wrote them on that ad, moved to this clip's time line)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from captioner.media import load_audio
from captioner.pipeline import align_stage
from captioner.types import Finding, Severity, Word

CUT = Path(__file__).parent / "fixtures" / "tail" / "ad-en-03-cut"


@pytest.fixture(scope="module")
def cut():
    audio = load_audio(CUT / "audio.flac")
    truth = json.loads((CUT / "words.json").read_text())["words"]
    words = [Word(text=w["text"], start=w["start"], end=w["end"], confidence=0.9) for w in truth if w["end"] <= 4.8]
    assert words[-1].text == "only"
    words.append(Word(text="$79,", start=4.77, end=5.41, confidence=0.5, source="script", spoken="seventy nine dollars"))
    return audio, words


def _tail(**kw) -> list[Word]:
    return [Word(text="from", start=5.41, end=5.67, confidence=0.33, source="script", **kw),
            Word(text="not.", start=5.67, end=5.79, confidence=0.4, **kw)]


def _findings(k: int) -> list[Finding]:
    """What `hint.correct` reported on that ad: the script's "down" and "$129. Grab" skipped around the re-spelled
    "I'm", and "not." kept where the script has "yours today!"."""
    return [Finding(kind="script_skipped", severity=Severity.warning, message="script words not heard in the audio: “down”",
                    start=5.41, end=5.41, script_text="down"),
            Finding(kind="spelling_fixed", severity=Severity.info, message="“I'm” → “from”", script_text="from", word_indices=[k]),
            Finding(kind="script_skipped", severity=Severity.warning, message="script words not heard in the audio: “$129. Grab”",
                    start=5.67, end=5.67, script_text="$129. Grab"),
            Finding(kind="word_mismatch", severity=Severity.info, message="heard “not.” where the script has “yours today!”",
                    script_text="yours today!", spoken_text="not.", word_indices=[k + 1]),
            Finding(kind="claim_verified", severity=Severity.info, message="$79", word_indices=[k - 1])]


def test_recogniser_words_after_the_voice_ends_are_dropped_and_named(cut):
    audio, words = cut
    k = len(words)
    out, fs = align_stage(audio, words + _tail(), _findings(k), "en")
    assert [w.text for w in out] == [w.text for w in words]
    assert out[-1].end == pytest.approx(len(audio) / 16000, abs=0.05)  # "$79," keeps the cut-off audio
    dropped = next(f for f in fs if f.kind == "word_dropped")
    assert dropped.severity == Severity.warning and "from not." in dropped.message
    skipped = [f.script_text for f in fs if f.kind == "script_skipped"]
    assert skipped == ["down from $129. Grab yours today!"]  # one finding, in the script's order
    assert not [f for f in fs if f.kind in ("script_unspoken", "spelling_fixed", "word_mismatch")]
    assert next(f for f in fs if f.kind == "claim_verified").word_indices == [k - 1]
    assert all(i < len(out) for f in fs for i in f.word_indices)


def test_without_the_change_the_words_would_be_drawn_at_the_cut(cut):
    """The case the mechanism answers: the phone alignment itself finds no frame for them (checked here so that the
    test above cannot pass by the words simply not being there)."""
    from captioner.align import align_words

    audio, words = cut
    al = align_words(audio, words + _tail(), "en")
    assert al.unheard == [len(words), len(words) + 1]
    assert al.words[-1].end - al.words[-2].start < 0.05


def test_script_words_after_the_end_of_the_voice_are_left_out_and_reported(cut):
    """Script words with no room left (the voice-over ends before them: a preview's cut, a cut-down) would be squeezed
    into the last instant — an unsaid price in the sidecars. They are left out and reported; the price's own verdict
    goes with it ("captions keep “$129”" would no longer be true: the report names the price left out)."""
    audio, words = cut
    tail = [Word(text="from", start=5.41, end=5.51, confidence=0.3, timing="interpolated", source="script"),
            Word(text="$129.", start=5.51, end=5.61, confidence=0.3, timing="interpolated", source="script")]
    claim = Finding(kind="number_disputed", severity=Severity.warning, message="“$129”: nobody heard it",
                    script_text="$129", word_indices=[len(words) + 1])
    out, fs = align_stage(audio, words + tail, [claim], "en")
    assert [w.text for w in out] == [w.text for w in words]
    left = next(f for f in fs if f.kind == "script_unspoken")
    assert left.script_text == "from $129." and "left out of the captions" in left.message
    assert not any(f.kind in ("number_disputed", "word_dropped") for f in fs)


def test_silence_after_the_voice_is_no_room_for_unheard_script_words(cut):
    """The same words where the video goes on in silence (1.5 s after the voice): they used to stay, stretched over
    the silence ("is just $49" held from 2.8 s to the end of a 12 s video whose voice stops at 3 s, the price never
    said). No voice activity after the last timed word is no room either: left out and reported."""
    import numpy as np

    audio, words = cut
    longer = np.concatenate([audio, np.zeros(24000, np.float32)])
    tail = [Word(text="from", start=5.41, end=5.51, confidence=0.3, timing="interpolated", source="script"),
            Word(text="$129.", start=5.51, end=5.61, confidence=0.3, timing="interpolated", source="script")]
    out, fs = align_stage(longer, words + tail, [], "en")
    assert [w.text for w in out] == [w.text for w in words]
    left = next(f for f in fs if f.kind == "script_unspoken")
    assert left.script_text == "from $129." and "left out of the captions" in left.message


def test_a_previews_excerpt_leaves_the_rest_of_the_script_out(whisper_model):
    """A 5 s preview of the example ad with its whole script: the script's last sentence, which the voice says after
    the cut, was drawn in the last half second as six pages of 0.03–0.20 s. Cut by us, it is left out (info)."""
    from captioner.media import SAMPLE_RATE
    from captioner.pipeline import transcribe_and_correct

    from .conftest import EXAMPLE

    audio = load_audio(EXAMPLE / "video.mp4")[: 5 * SAMPLE_RATE]
    script = (EXAMPLE / "script.txt").read_text(encoding="utf-8")
    _, words, findings = transcribe_and_correct(audio, script, "en", excerpt=True)
    text = " ".join(w.text for w in words)
    assert "GLOW20" not in text and "below" not in text, text
    assert all(w.end - w.start >= 0.06 for w in words), [(w.text, w.start, w.end) for w in words]
    cut = [f for f in findings if f.kind == "script_unspoken" and "preview's end" in f.message]
    assert cut and cut[0].severity == Severity.info and "GLOW20" in cut[0].script_text
