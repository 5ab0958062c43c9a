"""A careless user's slips with real audio and the real models: another ad's script in the same language (the
captions followed it, its prices on screen, warnings only), and a pinned language that neither the script nor the
voice speaks (English-sounding gibberish with a price nobody said)."""
from __future__ import annotations

from pathlib import Path

import pytest

from captioner.errors import InputError
from captioner.media import load_audio
from captioner.pipeline import transcribe_and_correct

FIX = Path(__file__).parent / "fixtures"
ES_02 = FIX / "hint" / "ad-es-02"
ES_03 = FIX / "hint" / "ad-es-03"


def test_another_ads_script_is_not_captioned_onto_the_voice(whisper_model):
    audio = load_audio(ES_02 / "audio.flac")
    wrong = (ES_03 / "script.txt").read_text(encoding="utf-8")  # "Dulcera … 8,50 €" over a voice selling Lumbrix lights
    _, words, findings = transcribe_and_correct(audio, wrong, "es")
    bad = [f for f in findings if f.kind == "script_mismatch"]
    assert bad and bad[0].severity == "error", [(f.kind, f.message) for f in findings]
    text = " ".join(w.text for w in words)
    assert "8,50" not in text and "Dulcera" not in text, text  # none of the wrong script's words or prices
    assert "30" in text and all(w.source == "asr" for w in words), text  # what the voice says, as recognised


def test_the_ads_own_script_is_never_taken_for_another(whisper_model):
    audio = load_audio(ES_02 / "audio.flac")
    _, words, findings = transcribe_and_correct(audio, (ES_02 / "script.txt").read_text(encoding="utf-8"), "es")
    assert not any(f.kind == "script_mismatch" for f in findings)
    assert "Lumbrix" in " ".join(w.text for w in words)


def test_a_pinned_language_that_the_script_and_the_voice_contradict_stops_the_job(whisper_model):
    audio = load_audio(FIX / "align" / "ad-de-01" / "audio.flac")
    script = "Mit dem Wolkora Kissen schläfst du endlich durch. Jetzt nur 39,99 € statt 59,99 €. Link in der Bio!"
    with pytest.raises(InputError, match="--language de"):
        transcribe_and_correct(audio, script, "en")
    # the witness that decides it does not hang on Whisper's language guess (which differs between CPUs here)
    from captioner.pipeline import SCRIPT_SAID_PMI, script_said_pmi

    assert script_said_pmi(audio, script, "de") >= SCRIPT_SAID_PMI + 1.0


def test_a_script_in_another_language_than_the_voice_and_the_pin_does_not_stop_the_job(whisper_model):
    """An English voice, pinned English, given a German ad's script by mistake: the voice does not say it (the script
    is no likelier with this audio than with silence), so the pin stands and the job goes on (the correction stage
    then reports the script that does not fit)."""
    from captioner.pipeline import SCRIPT_SAID_PMI, _check_pinned_language, script_said_pmi

    audio = load_audio(FIX / "align" / "ad-en-02" / "audio.flac")
    script = "Mit dem Wolkora Kissen schläfst du endlich durch. Jetzt nur 39,99 € statt 59,99 €. Link in der Bio!"
    assert script_said_pmi(audio, script, "de") < SCRIPT_SAID_PMI - 1.0
    _check_pinned_language(audio, script, "en")  # no InputError
