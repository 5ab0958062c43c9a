"""Language verification of transcripts and scripts."""
import json
from pathlib import Path

import pytest

from captioner.language import check_language, detect_language, script_language_mismatch

ADS = Path(__file__).parent / "fixtures" / "hint"

SAMPLES = {
    "en": "Tired of dull skin? Lumewell Glow Serum is just $49 today. Use code GLOW20 for 20% off. Tap the link below!",
    "de": "Mit dem Wolkora Kissen schläfst du endlich durch. Jetzt nur 39,99 € statt 59,99 €. Link in der Bio!",
    "fr": "Doucelle, la crème qui hydrate ta peau toute la journée. Seulement 24,90 € avec le code DOUCE15.",
    "es": "Con el ventilador Brisola duermes fresco toda la noche. Ahora solo 29,99 € con envío gratis. ¡Pídelo ya!",
    "hi": "ग्लोरा फेस वॉश से पाएँ दमकती त्वचा। सिर्फ़ ₹499 में, कोड GLOWRA20 से 20% की छूट। अभी ऑर्डर करें!",
    "zh": "悦澜精华液，28天肌肤焕亮。现在下单只要¥199，再享8折优惠！",
}


@pytest.mark.parametrize("lang", sorted(SAMPLES))
def test_detects_each_language(lang):
    detected, conf = detect_language(SAMPLES[lang])
    assert detected == lang and conf > 0.35
    for other in SAMPLES:
        ok, det, _ = check_language(SAMPLES[lang], other)
        assert ok == (other == lang), (lang, other, det)


def test_translated_transcript_is_caught():
    # Whisper translating a German ad into English must not pass as German
    ok, detected, _ = check_language("With the pillow you finally sleep through the night. Now only 39.99 euros, link in the bio!", "de")
    assert not ok and detected == "en"
    ok, detected, _ = check_language("Glora face wash se paayein damakti tvacha, sirf 499 rupaye mein", "hi")
    assert not ok


def test_short_or_empty_text_is_not_judged():
    assert check_language("", "fr")[0]
    assert check_language("OK", "de")[0]


def test_script_language_mismatch_finding():
    assert script_language_mismatch(SAMPLES["de"], "de") is None
    f = script_language_mismatch(SAMPLES["en"], "de")
    assert f is not None and f.kind == "script_language_mismatch" and "'en'" in f.message
    assert script_language_mismatch("", "en") is None


def test_fixture_scripts_match_their_language():
    for meta_path in ADS.glob("*/meta.json"):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        script = (meta_path.parent / "script.txt").read_text(encoding="utf-8")
        assert check_language(script, meta["language"])[0]


def test_devanagari_and_han_need_their_own_writing_system():
    # a looping decoder's debris in another Indic script is not Hindi, even with a Latin brand code in it
    assert not check_language("GLOWRA20 ੇ ੇ ੇ ੇ ੇ ੇ ੇ ੇ", "hi")[0]
    assert not check_language("Tired of dull skin? Just forty dollars", "zh")[0]
    # Latin brand names and codes inside Hindi / Chinese text are fine
    assert check_language("ग्लोरा फेस वॉश से पाएँ दमकती त्वचा। सिर्फ़ ₹499 में, कोड GLOWRA20 से 20% की छूट", "hi")[0]
    assert check_language("悦澜精华液，28天肌肤焕亮。现在下单只要¥199 (Yuelan)", "zh")[0]


class _Scripted:
    """An ASR backend that returns given transcripts: the real Whisper cannot be steered into a prompted pass in
    another language on demand, and this tests `pipeline.recognise`'s control flow, not recognition."""

    name = "scripted"
    concurrent = False

    def __init__(self, prompted, bare):
        self.prompted, self.bare = prompted, bare

    def transcribe(self, audio, options):
        return (self.prompted if options.script else self.bare).model_copy(deep=True)


def _tr(text, suspicion=()):
    from captioner.types import Transcript, Word

    words = [Word(text=w, start=0.3 * i, end=0.3 * i + 0.25) for i, w in enumerate(text.split())]
    return Transcript(text=text, words=words, language="hi", backend="scripted", duration=5.0, speech_duration=4.0,
                      prompt_used=False, suspicion=list(suspicion))


@pytest.mark.parametrize("looped", [True, False])
def test_a_rerun_after_the_wrong_language_is_checked_like_any_transcript(monkeypatch, looped):
    """Seed 808: the prompted pass came out in English, the pinned re-run without the prompt was in Hindi but
    looped and ended in English words ("He's a guy on high -challies") — and was captioned as it was, with no
    witness. The re-run now goes through the hallucination check (a looped one is discarded: the captions follow
    the script) and, when sound, is its own witness."""
    import numpy as np

    from captioner import pipeline

    script = "क्या आपने तानेली हेयर ऑयल के बारे में सुना? अभी खरीदें!"
    english = _tr("He's a guy on high challies, Pratishat Kishot. Abhikadide.").model_copy(update={"prompt_used": True})
    rerun = _tr("क्या आपने तानेली हेयर ऑयल के बारे में सुना अभी खरीदें", suspicion=["repeated phrase"] if looped else [])
    monkeypatch.setattr(pipeline, "get_backend", lambda name, **kw: _Scripted(english, rerun))
    tr, ref, found = pipeline.recognise(np.zeros(16000 * 5, np.float32), script, "hi")
    kinds = [f.kind for f in found]
    if looped:
        assert tr.words == [] and ref is None and "asr_hallucination" in kinds
    else:
        assert tr.text == rerun.text and ref is tr and "asr_hallucination" not in kinds
        assert any("re-ran pinned without the prompt" in n for n in tr.notes)


ALIGN = Path(__file__).parent / "fixtures" / "align"


def test_auto_picks_among_the_six_and_asks_the_script_when_the_voice_is_unclear():
    """`--language auto` failed on DEV ads the product supports: espeak Hindi came out "la" (not supported), espeak
    Mandarin "th". Whisper's likeliest of the six is taken; where it is unsure, a script clearly in another of them
    decides; a sure voice keeps its language against a script in another one."""
    from captioner.media import load_audio
    from captioner.pipeline import choose_language

    zh = load_audio(ALIGN / "ad-zh-01" / "audio.flac")
    assert choose_language(zh, None)[0] == "zh"
    hi = load_audio(ALIGN / "ad-hi-01" / "audio.flac")
    hindi_script = (ALIGN / "ad-hi-01" / "spoken.txt").read_text(encoding="utf-8")
    lang, p, why = choose_language(hi, hindi_script)
    assert lang == "hi" and p < 0.5 and "the script is 'hi'" in why
    en = load_audio(ALIGN / "ad-en-01" / "audio.flac")
    assert choose_language(en, SAMPLES["de"])[0] == "en"
