"""Recogniser words the correction stage kept against the script, put to the phone model
(`pipeline.arbitrate_by_phones`, through `pipeline.align_stage`): real audio (the example ad, DEV ad-es-02 with its
ad-lib "literalmente"), the real phone model. Caption words are the ground truth's, with the recogniser's kind of
mistake put in, and the finding `hint.correct` writes for it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from captioner.hint import UNPROMPTED_AD_LIB, correct
from captioner.media import load_audio
from captioner.pipeline import align_stage
from captioner.types import Finding, Severity, Transcript, Word

from .conftest import EXAMPLE

ES = Path(__file__).parent / "fixtures" / "hint" / "ad-es-02"


def _ad(folder: Path, audio_name: str):
    audio = load_audio(folder / audio_name)
    truth = json.loads((folder / "words.json").read_text())["words"]
    return audio, [Word(text=w["text"], start=w["start"], end=w["end"], confidence=0.9) for w in truth]


@pytest.fixture(scope="module")
def en():
    return _ad(EXAMPLE, "video.mp4")


@pytest.fixture(scope="module")
def es():
    return _ad(ES, "audio.flac")


def _inserted(words: list[Word], k: int, text: str, p: float, kind: str = "ad_lib", unprompted: bool = True):
    """A word the recogniser wrote between words[k-1] and words[k] (in the time of their junction), as `correct()`
    reports it, and a finding on the last word to follow the indices."""
    t = words[k - 1].end
    w = Word(text=text, start=max(0.0, t - 0.12), end=t + 0.12, confidence=p)
    out = words[:k] + [w] + words[k:]
    msg = f"the voice says “{text}”, which is not in the script" + (f" ({UNPROMPTED_AD_LIB})" if unprompted else "")
    sev = Severity.warning if kind == "ad_lib" else Severity.info
    return out, [Finding(kind=kind, severity=sev, message=msg, start=w.start, end=w.end, spoken_text=text, word_indices=[k]),
                 Finding(kind="claim_verified", severity=Severity.info, message="last", word_indices=[len(out) - 1])]


@pytest.mark.parametrize("text,p", [("Attends", 0.6), ("and", 0.9), ("mot", 0.37)])
def test_a_word_only_the_unprompted_pass_wrote_goes_where_the_voice_says_nothing_more(en, text, p):
    audio, words = en
    k = [w.text for w in words].index("Glow")
    cap, fs = _inserted(words, k, text, p)
    out, fs2 = align_stage(audio, cap, fs, "en")
    assert [w.text for w in out] == [w.text for w in words]
    dropped = next(f for f in fs2 if f.kind == "word_dropped")
    assert dropped.severity == Severity.warning and text in dropped.message  # still named for the reviewer
    assert "ad_lib" not in [f.kind for f in fs2]
    assert next(f for f in fs2 if f.kind == "claim_verified").word_indices == [len(out) - 1]


def test_an_unsure_insertion_between_poor_matches_is_dropped_quietly(en):
    audio, words = en
    k = [w.text for w in words].index("just")
    cap, fs = _inserted(words, k, "doigt", 0.3, kind="word_unscripted", unprompted=False)
    out, fs2 = align_stage(audio, cap, fs, "en")
    assert [w.text for w in out] == [w.text for w in words]
    assert next(f for f in fs2 if f.kind == "word_dropped").severity == Severity.info


def test_a_real_ad_lib_the_phone_model_hears_stays(es):
    """"literalmente" is said (1.37–2.05 s); the script does not have it. Written by the unprompted pass only and at
    a low probability, it still stays: without it, the phone model hears speech no caption word explains."""
    audio, words = es
    k = [w.text for w in words].index("literalmente")
    cap = [w if i != k else w.model_copy(update={"confidence": 0.3}) for i, w in enumerate(words)]
    fs = [Finding(kind="ad_lib", severity=Severity.warning, message=f"the voice says “literalmente” ({UNPROMPTED_AD_LIB})",
                  start=words[k].start, end=words[k].end, spoken_text="literalmente", word_indices=[k])]
    out, fs2 = align_stage(audio, cap, fs, "es")
    assert [w.text for w in out] == [w.text for w in words]
    assert "word_dropped" not in [f.kind for f in fs2]
    assert any(f.kind == "ad_lib" and f.word_indices == [k] for f in fs2)


def test_a_sure_word_of_the_prompted_pass_stays(en):
    """The prompted pass leans towards the script: a word of its own it is more sure of than not is not arbitrated."""
    audio, words = en
    k = [w.text for w in words].index("Glow")
    cap, fs = _inserted(words, k, "Seriously", 0.8, unprompted=False)
    out, fs2 = align_stage(audio, cap, fs, "en")
    assert "Seriously" in [w.text for w in out] and "word_dropped" not in [f.kind for f in fs2]


def test_a_garbled_word_gives_way_to_the_script_word_the_voice_says(en):
    audio, words = en
    k = [w.text for w in words].index("Serum")
    cap = words[:k] + [words[k].model_copy(update={"text": "Wakazbouds", "confidence": 0.34})] + words[k + 1:]
    fs = [Finding(kind="word_mismatch", severity=Severity.info, message="heard “Wakazbouds” where the script has “Serum”",
                  start=words[k].start, end=words[k].end, script_text="Serum", spoken_text="Wakazbouds", word_indices=[k])]
    out, fs2 = align_stage(audio, cap, fs, "en")
    assert [w.text for w in out] == [w.text for w in words]
    assert out[k].source == "script" and out[k].aligner == "phones"
    restored = next(f for f in fs2 if f.kind == "script_restored")
    assert restored.word_indices == [k] and "Wakazbouds" in restored.message
    assert "word_mismatch" not in [f.kind for f in fs2]


def _skipped(text: str, at: float) -> Finding:
    return Finding(kind="script_skipped", severity=Severity.warning, message=f"script words not heard in the audio: “{text}”",
                   start=at, end=at, script_text=text)


def test_a_skipped_phrase_beside_a_garbled_word_goes_back_with_it(en):
    """The recogniser wrote one garbled word for "Glow Serum"; the correction stage matched it to "Glow" and reported
    "Serum" skipped. The voice says both: both come back."""
    audio, words = en
    k = [w.text for w in words].index("Glow")
    garbled = words[k].model_copy(update={"text": "Wakazbouds", "end": words[k + 1].end, "confidence": 0.3})
    cap = words[:k] + [garbled] + words[k + 2:]
    fs = [Finding(kind="word_mismatch", severity=Severity.info, message="heard “Wakazbouds” where the script has “Glow”",
                  start=garbled.start, end=garbled.end, script_text="Glow", spoken_text="Wakazbouds", word_indices=[k]),
          _skipped("Serum", garbled.end)]
    out, fs2 = align_stage(audio, cap, fs, "en")
    assert [w.text for w in out] == [w.text for w in words]
    assert {"script_skipped", "word_mismatch"}.isdisjoint(f.kind for f in fs2)
    assert next(f for f in fs2 if f.kind == "script_restored").word_indices == [k, k + 1]


def test_a_skipped_phrase_the_voice_does_not_say_stays_skipped(en):
    """The script's phrase after the garbled word is truly skipped by the voice: put back together with the word it
    fails, so the word is tried again alone, and comes back; the phrase stays reported skipped."""
    audio, words = en
    k = [w.text for w in words].index("Serum")
    cap = words[:k] + [words[k].model_copy(update={"text": "Wakazbouds", "confidence": 0.34})] + words[k + 1:]
    fs = [Finding(kind="word_mismatch", severity=Severity.info, message="heard “Wakazbouds” where the script has “Serum”",
                  start=words[k].start, end=words[k].end, script_text="Serum", spoken_text="Wakazbouds", word_indices=[k]),
          _skipped("Developed with real dermatologists.", words[k].end)]
    out, fs2 = align_stage(audio, cap, fs, "en")
    assert [w.text for w in out] == [w.text for w in words]
    assert next(f for f in fs2 if f.kind == "script_restored").script_text == "Serum"
    assert next(f for f in fs2 if f.kind == "script_skipped").script_text == "Developed with real dermatologists."


def test_words_the_voice_says_instead_of_the_script_stay(es):
    """The voice says "literalmente" where a (hypothetical) script has "siempre": the recogniser's word stays."""
    audio, words = es
    k = [w.text for w in words].index("literalmente")
    fs = [Finding(kind="word_mismatch", severity=Severity.info, message="heard “literalmente” where the script has “siempre”",
                  start=words[k].start, end=words[k].end, script_text="siempre", spoken_text="literalmente", word_indices=[k])]
    out, fs2 = align_stage(audio, words, fs, "es")
    assert [w.text for w in out] == [w.text for w in words]
    assert "word_mismatch" in [f.kind for f in fs2] and "script_restored" not in [f.kind for f in fs2]


def test_numbers_are_left_to_the_price_judge(en):
    audio, words = en
    k = [w.text for w in words].index("Glow")
    cap, fs = _inserted(words, k, "$12", 0.2)
    out, fs2 = align_stage(audio, cap, fs, "en")
    assert "$12" in [w.text for w in out] and "word_dropped" not in [f.kind for f in fs2]


def test_correct_names_an_unsure_insertion():
    """Before the arbitration existed, a word the recogniser wrote between poorly matched script words was kept
    with no finding at all."""
    text = "Le sérum Lumewell est enfin mat doigt aujourd hui pour vous"
    ws = [Word(text=t, start=i * 0.4, end=i * 0.4 + 0.35, confidence=0.6) for i, t in enumerate(text.split())]
    words, fs = correct(Transcript(text=text, words=ws, language="fr", backend="whisper", duration=5.0),
                        "Le sérum Lumewell est enfin là aujourd hui pour vous.", "fr")
    f = next(f for f in fs if f.kind == "word_unscripted")
    assert words[f.word_indices[0]].text == "doigt" and f.severity == Severity.info


def test_a_number_inside_an_inserted_phrase_goes_with_the_phrase(en):
    """The prompted pass echoing the script's closing words where the voice says nothing ("8折优惠" written over the
    first syllable of a zh ad on an AVX-512 machine): the number is judged with the words around it and dropped with
    them, named; alone it stays the price judge's (above)."""
    audio, words = en
    k = [w.text for w in words].index("Glow")
    t = words[k - 1].end
    ins = [Word(text="$12", start=max(0.0, t - 0.12), end=t, confidence=0.02),
           Word(text="off", start=t, end=t + 0.12, confidence=0.03)]
    cap = words[:k] + ins + words[k:]
    msg = f"the voice says “{{}}”, which is not in the script ({UNPROMPTED_AD_LIB})"
    fs = [Finding(kind="ad_lib", severity=Severity.warning, message=msg.format(w.text), start=w.start, end=w.end,
                  spoken_text=w.text, word_indices=[k + j]) for j, w in enumerate(ins)]
    out, fs2 = align_stage(audio, cap, fs, "en")
    assert [w.text for w in out] == [w.text for w in words]
    dropped = [f for f in fs2 if f.kind == "word_dropped"]
    assert dropped and all(s in " ".join(f.message for f in dropped) for s in ("$12", "off"))
