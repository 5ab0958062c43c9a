"""Acoustic number check (captioner.verify): real Whisper base decoder, real DEV ad audio."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from captioner import verify
from captioner.hint import PriceMismatchError, correct
from captioner.media import load_audio
from captioner.types import Finding, Severity, Transcript, Word

FIX = Path(__file__).parent / "fixtures"


def test_one_digit_changes():
    c = verify.one_digit_changes(Decimal("24.90"))
    assert Decimal("29.90") in c and Decimal("24.99") in c and Decimal("14.90") in c
    assert Decimal("24.90") not in c
    assert all(format(x, "f").count(".") == 1 for x in c)
    assert len(c) == 8 + 9 + 9 + 9  # the leading digit cannot become 0
    assert Decimal("0") in verify.one_digit_changes(Decimal("5"))
    assert Decimal("9") not in verify.one_digit_changes(Decimal("49"))  # "09" is not a change of one digit


def _ad(folder: Path):
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return meta, (folder / "script.txt").read_text(encoding="utf-8"), load_audio(folder / "audio.flac")


def _empty(language: str, duration: float) -> Transcript:
    return Transcript(text="", words=[], language=language, backend="whisper", duration=duration, speech_duration=duration)


def test_blind_check_finds_the_price_the_recogniser_cannot_hear():
    # espeak French: Whisper base cannot follow it, so the captions fall back to the script. The voice says
    # 29,90 € where the script says 24,90 €; the acoustic check must catch it and caption what was said.
    meta, script, audio = _ad(FIX / "hint" / "ad-fr-01")
    words, findings = correct(_empty("fr", len(audio) / 16000), script, "fr")
    assert any(w.text.startswith("24,90") for w in words)
    assert not any(f.severity == Severity.error for f in findings)
    words2, findings2 = verify.verify_numbers(audio, words, findings, "fr")
    errors = [f for f in findings2 if f.kind == "price_mismatch" and f.severity == Severity.error]
    assert len(errors) == 1, [f.message for f in findings2]
    e = errors[0]
    assert e.script_text.startswith("24,90")
    i = e.word_indices[0]
    assert words2[i].text.startswith("29,90") and words2[i].source == "corrected"
    assert words2[i].spoken == "vingt neuf euros quatre vingt dix"
    d = meta["deviations"][0]
    assert d["start_s"] - 1.0 < words2[i].start < d["end_s"] + 1.0
    # the claims the voice said as written are verified, not flagged
    verified = [f for f in findings2 if f.kind == "claim_verified"]
    assert {f.script_text.replace("\u00a0", " ") for f in verified} == {"DOUCE15", "15 %"}
    assert not any(f.kind == "unverified_claim" for f in findings2)
    # inputs are not mutated
    assert any(f.kind == "unverified_claim" for f in findings) and any("24,90" in w.text for w in words)


def test_dispute_keeps_the_script_value_when_the_audio_supports_it():
    # both Whisper passes hear "150 gramos"; the voice says "doscientos cincuenta" as the script has it
    meta, script, audio = _ad(FIX / "hint" / "ad-es-03")
    assert meta["deviations"] == []
    n = meta["numbers"][0]
    words = [Word(text=t, start=0.3 + 0.35 * k, end=0.6 + 0.35 * k) for k, t in enumerate(
        "Dulcera, el endulzante natural sin calorías. Bote de".split())]
    words.append(Word(text="150", start=n["start_s"], end=n["end_s"], source="asr"))
    words += [Word(text=t, start=n["end_s"] + 0.3 * k, end=n["end_s"] + 0.3 * k + 0.25) for k, t in enumerate(
        "gramos por 8,50 €. Cómpralo en el enlace.".replace("8,50 €", "8,50\u00a0€").split(" "), 1)]
    i = 8
    f = Finding(kind="number_mismatch", severity=Severity.warning, message="the voice says “150” …", start=n["start_s"],
                end=n["end_s"], script_text="250", spoken_text="150", word_indices=[i])
    words2, findings2 = verify.verify_numbers(audio, words, [f], "es")
    assert words2[i].text == "250" and words2[i].source == "script"
    kinds = [x.kind for x in findings2]
    assert "number_mismatch" not in kinds and "number_disputed" in kinds
    disputed = findings2[kinds.index("number_disputed")]
    assert disputed.severity == Severity.warning and "150" in disputed.message  # said, not silent


def test_dispute_upholds_a_real_mismatch():
    # ad-en-01: the voice says "forty dollars", the script $49 — the audio supports what was heard
    meta, script, audio = _ad(FIX / "hint" / "ad-en-01")
    d = meta["deviations"][0]
    words = [Word(text=t, start=0.3 + 0.3 * k, end=0.55 + 0.3 * k) for k, t in enumerate(
        "Tired of dull skin? Lumewell Glow Serum is just".split())]
    words.append(Word(text="$40", start=d["start_s"], end=d["end_s"], source="corrected", spoken="forty dollars"))
    words += [Word(text=t, start=d["end_s"] + 0.3 * k, end=d["end_s"] + 0.3 * k + 0.25) for k, t in enumerate(
        "today. Use code GLOW20 for 20% off. Tap the link below!".split(), 1)]
    i = 9
    f = Finding(kind="price_mismatch", severity=Severity.error, message="the voice says “forty dollars” …",
                start=d["start_s"], end=d["end_s"], script_text="$49", spoken_text="forty dollars", word_indices=[i])
    words2, findings2 = verify.verify_numbers(audio, words, [f], "en")
    assert words2[i].text == "$40"
    assert [x.kind for x in findings2] == ["price_mismatch"] and findings2[0].severity == Severity.error
    assert "acoustic check agrees" in findings2[0].message


def test_voice_the_decoder_cannot_follow_is_not_judged():
    # a Chinese script over an English voice: the decoder hears nothing of the text; the check must say so
    # and change nothing
    audio = load_audio(FIX / "hint" / "ad-en-01" / "audio.flac")
    script = "悦澜精华液，28天肌肤焕亮。现在下单只要¥199，再享8折优惠！"
    words, findings = correct(_empty("zh", len(audio) / 16000), script, "zh")
    words2, findings2 = verify.verify_numbers(audio, words, findings, "zh")
    assert [w.text for w in words2] == [w.text for w in words]
    assert any(f.kind == "acoustic_check_skipped" for f in findings2)
    assert sum(f.kind == "unverified_claim" for f in findings2) == sum(f.kind == "unverified_claim" for f in findings)


def test_mandarin_changed_price_is_found():
    # espeak Mandarin voiced from pinyin (the DEV zh ads since 2026-11-29): the voice says 一百六十九元 where the
    # script has ¥199
    folder = FIX / "align" / "ad-zh-01"
    audio = load_audio(folder / "audio.flac")
    script = "悦澜精华液，28天肌肤焕亮。现在下单只要¥199，再享8折优惠！"
    words, findings = correct(_empty("zh", len(audio) / 16000), script, "zh")
    words2, findings2 = verify.verify_numbers(audio, words, findings, "zh")
    assert any(w.text.startswith("¥169") for w in words2)
    assert any(f.kind == "price_mismatch" and f.severity == Severity.error for f in findings2)


def test_correct_stage_on_mismatch_fail_raises_for_an_acoustic_finding():
    from captioner.pipeline import correct_stage

    meta, script, audio = _ad(FIX / "hint" / "ad-fr-01")
    with pytest.raises(PriceMismatchError, match="24,90"):
        correct_stage(audio, _empty("fr", len(audio) / 16000), None, script, "fr", [], on_mismatch="fail")
    words, findings = correct_stage(audio, _empty("fr", len(audio) / 16000), None, script, "fr", [])
    assert any(w.text.startswith("29,90") for w in words)


def test_hallucinated_transcript_is_never_rendered_and_the_price_is_still_checked():
    # espeak Hindi: Whisper base loops ("GLOWRA20 ੇ ੇ ੇ …") with and without the prompt. The transcript
    # is discarded, the captions follow the script, and the changed price (₹499 said as ₹399) is flagged.
    from captioner.pipeline import correct_stage, recognise

    audio = load_audio(FIX / "align" / "ad-hi-01" / "audio.flac")
    script = "ग्लोरा फेस वॉश से पाएँ दमकती त्वचा। सिर्फ़ ₹499 में, कोड GLOWRA20 से 20% की छूट। अभी ऑर्डर करें!"
    transcript, reference, findings = recognise(audio, script, "hi")
    assert transcript.words == [] and reference is None
    assert {f.kind for f in findings} & {"asr_hallucination", "asr_wrong_language"}
    words, findings = correct_stage(audio, transcript, reference, script, "hi", findings)
    assert "ग्लोरा" in [w.text for w in words]
    err = [f for f in findings if f.kind == "price_mismatch" and f.severity == Severity.error]
    assert len(err) == 1 and err[0].script_text == "₹499"
    assert any(w.text == "₹399" for w in words)


def test_witness_reading_is_judged_against_the_script():
    # the prompted pass heard the script's "20%", the unprompted witness "seventy": only those two readings
    # are judged (no one-digit search where the recogniser follows the voice), and the audio says 20
    meta, script, audio = _ad(FIX / "hint" / "ad-en-01")
    toks = script.split()
    words = [Word(text=t, start=0.3 + 0.36 * k, end=0.6 + 0.36 * k) for k, t in enumerate(toks)]
    i = toks.index("20%")
    f = Finding(kind="unverified_claim", severity=Severity.warning, message="“20%”: the unprompted pass heard “seventy”",
                start=words[i].start, end=words[i].end, script_text="20%", spoken_text="seventy", word_indices=[i])
    words2, findings2 = verify.verify_numbers(audio, words, [f], "en")
    assert [x.kind for x in findings2] == ["claim_verified"]
    assert "unprompted pass heard" in findings2[0].message and "seventy" in findings2[0].message
    assert words2[i].text == "20%"


def test_findings_of_the_caller_are_not_mutated_and_low_confidence_names_final_words():
    meta, script, audio = _ad(FIX / "hint" / "ad-fr-01")
    words, findings = correct(_empty("fr", len(audio) / 16000), script, "fr")
    words[11] = words[11].model_copy(update={"source": "asr", "confidence": 0.01})  # as if recognised, unsure
    findings.append(Finding(kind="low_confidence", severity=Severity.info, message=f"low: “{words[11].text}”",
                            word_indices=[11]))
    snapshot = [f.model_dump() for f in findings]
    words2, findings2 = verify.verify_numbers(audio, words, findings, "fr")
    assert [f.model_dump() for f in findings] == snapshot
    assert words2[11].text.startswith("29,90")
    assert not any(f.kind == "low_confidence" and "24,90" in f.message for f in findings2)
