"""Script-hint correction: brand spelling, honest numbers, ad-libs, bad scripts (real Whisper transcripts)."""
import json
import random
import time
from pathlib import Path

import pytest

from captioner.errors import InputError
from captioner.hint import PriceMismatchError, correct, load_script, report_markdown
from captioner.text import clean_script
from captioner.types import Severity, Transcript, Word

FIX = Path(__file__).parent / "fixtures" / "hint"


def T(words, language="en", **kw):
    """A transcript from (text, start, end[, conf]) tuples."""
    ws = [Word(text=w[0], start=w[1], end=w[2], confidence=w[3] if len(w) > 3 else 0.9) for w in words]
    return Transcript(text=" ".join(w.text for w in ws), words=ws, language=language, backend="test",
                      duration=(ws[-1].end + 0.5) if ws else 1.0, **kw)


def seq(text, t0=0.0, step=0.4, conf=0.9):
    return [(w, t0 + i * step, t0 + (i + 1) * step - 0.05, conf) for i, w in enumerate(text.split())]


# ---------------------------------------------------------------------------------------- synthetic

def test_merged_split_brand_takes_script_spelling_and_combined_span():
    tr = T(seq("Tired of dull skin? loom well Glow Serum is here."))
    words, findings = correct(tr, "Tired of dull skin? Lumewell Glow Serum is here.", "en", terms=["Lumewell"])
    texts = [w.text for w in words]
    assert "Lumewell" in texts and "loom" not in texts
    lw = words[texts.index("Lumewell")]
    assert lw.source == "script" and lw.start == pytest.approx(4 * 0.4) and lw.end == pytest.approx(6 * 0.4 - 0.05)
    assert lw.evidence is not None and 0.5 <= lw.evidence <= 1.0
    assert any(f.kind == "brand_fixed" and f.script_text == "Lumewell" for f in findings)
    assert all(w.evidence is not None for w in words)


def test_price_same_value_uses_written_form_with_spoken():
    tr = T(seq("Serum is just forty nine dollars today."))
    words, findings = correct(tr, "Serum is just $49 today.", "en")
    w = next(w for w in words if "$" in w.text)
    assert w.text == "$49" and w.spoken == "forty nine dollars"
    assert not any(f.kind == "price_mismatch" for f in findings)


def test_price_mismatch_keeps_what_was_spoken():
    tr = T(seq("Serum is just forty dollars today."))
    words, findings = correct(tr, "Serum is just $49 today.", "en")
    texts = [w.text for w in words]
    assert "$40" in texts and "$49" not in texts
    pm = [f for f in findings if f.kind == "price_mismatch"]
    assert len(pm) == 1 and pm[0].severity.value == "error" and pm[0].script_text == "$49"
    assert words[texts.index("$40")].spoken == "forty dollars"
    with pytest.raises(PriceMismatchError):
        correct(tr, "Serum is just $49 today.", "en", on_mismatch="fail")
    with pytest.raises(InputError):
        correct(tr, "x", "en", on_mismatch="maybe")


# every way a voice or a recogniser writes an honest price, checked through the correction stage (prompted
# pass and unprompted witness alike): never a price_mismatch, never an ad-lib, the script's written form shown
HONEST = [
    ("de", "Jetzt nur 39 Euro 99. Link in der Bio!", "Jetzt nur 39,99 €. Link in der Bio!", "39,99 €"),
    ("de", "Jetzt nur neunundfünfzig Euro neunundneunzig. Link in der Bio!", "Jetzt nur 59,99 €. Link in der Bio!", "59,99 €"),
    ("de", "Jetzt nur fünfundfünfzig Euro. Link in der Bio!", "Jetzt nur 55 €. Link in der Bio!", "55 €"),
    ("de", "Das Set kostet nur vier und zwanzig Euro. Jetzt bestellen!", "Das Set kostet nur 24 €. Jetzt bestellen!", "24 €"),
    ("es", "Ahora solo 29 euros con 99 con envío gratis.", "Ahora solo 29,99 € con envío gratis.", "29,99 €"),
    ("es", "Ahora solo veintinueve euros con noventa y nueve.", "Ahora solo 29,99 €.", "29,99 €"),
    ("en", "Get it today for just forty-nine ninety-nine. Tap the link below!", "Get it today for just $49.99. Tap the link below!", "$49.99"),
    ("en", "Get it today for just $49 99. Tap the link below!", "Get it today for just $49.99. Tap the link below!", "$49.99"),
    ("en", "Get it today for just forty nine dollars and ninety nine cents. Tap the link!", "Get it today for just $49.99. Tap the link!", "$49.99"),
    ("fr", "Seulement quarante-neuf euros quatre-vingt-dix-neuf cette semaine.", "Seulement 49,99 € cette semaine.", "49,99 €"),
    ("fr", "Seulement 49 euros 99 cette semaine.", "Seulement 49,99 € cette semaine.", "49,99 €"),
    ("hi", "सिर्फ़ दो हज़ार नौ सौ निन्यानबे रुपये में। अभी ऑर्डर करें!", "सिर्फ़ ₹2,999 में। अभी ऑर्डर करें!", "₹2,999"),
    ("hi", "सिर्फ़ उनतीस सौ निन्यानबे रुपये में। अभी ऑर्डर करें!", "सिर्फ़ ₹2,999 में। अभी ऑर्डर करें!", "₹2,999"),
    ("zh", "现在 只要 五十九块九 快来 抢购", "现在只要¥59.9，快来抢购！", "¥59.9"),
    ("zh", "现在 只要 两百元 快来 抢购", "现在只要¥200，快来抢购！", "¥200"),
    ("zh", "现在只要59块9快来抢购", "现在只要¥59.9，快来抢购！", "¥59.9"),
]


@pytest.mark.parametrize("lang,heard,script,written", HONEST)
def test_honest_price_in_any_spoken_form_is_not_a_mismatch(lang, heard, script, written):
    tr = T(seq(heard), language=lang)
    words, findings = correct(tr, script, lang, reference=T(seq(heard), language=lang))
    bad = [f.kind for f in findings if f.kind in ("price_mismatch", "number_mismatch", "ad_lib", "script_skipped",
                                                   "unverified_claim", "word_mismatch")]
    assert bad == [], [f.message for f in findings]
    w = next(w for w in words if w.text.strip("，。！？!.,").replace("\u00a0", " ") == written)
    assert w.spoken  # the spoken form is kept for the aligner
    correct(tr, script, lang, on_mismatch="fail")  # must not raise


CHANGED = [
    ("en", "Get it today for just forty nine ninety nine. Tap the link below!", "Get it today for just $49. Tap the link below!", "$49.99"),
    ("en", "Get it today for just nineteen ninety nine. Tap the link below!", "Get it today for just $19. Tap the link below!", "$19.99"),
    ("de", "Jetzt nur 39 Euro 89. Link in der Bio!", "Jetzt nur 39,99 €. Link in der Bio!", "39,89 €"),
    ("de", "Jetzt nur neunundvierzig Euro neunundneunzig. Link in der Bio!", "Jetzt nur 59,99 €. Link in der Bio!", "49,99 €"),
    ("es", "Ahora solo 29 euros con 89 con envío gratis.", "Ahora solo 29,99 € con envío gratis.", "29,89 €"),
    ("fr", "Seulement soixante dix euros cette semaine.", "Seulement 79 € cette semaine.", "70 €"),
    ("hi", "सिर्फ़ चार हज़ार नौ सौ निन्यानबे रुपये में। अभी ऑर्डर करें!", "सिर्फ़ ₹2,999 में। अभी ऑर्डर करें!", "₹4,999"),
    ("zh", "现在只要两百九十九元快来抢购", "现在只要¥199，快来抢购！", "¥299"),
]


@pytest.mark.parametrize("lang,heard,script,shown", CHANGED)
def test_changed_price_is_caught_whole_and_shown_as_spoken(lang, heard, script, shown):
    """A reading must account for every number said: "forty nine | ninety nine" is never $49 plus an ad-lib."""
    tr = T(seq(heard), language=lang)
    words, findings = correct(tr, script, lang, reference=T(seq(heard), language=lang))
    pm = [f for f in findings if f.kind == "price_mismatch"]
    assert len(pm) == 1 and pm[0].severity.value == "error", [f.message for f in findings]
    assert not any(f.kind == "ad_lib" for f in findings)
    assert shown in [w.text.strip("，。！？!.,").replace("\u00a0", " ") for w in words]
    with pytest.raises(PriceMismatchError):
        correct(tr, script, lang, on_mismatch="fail")


def test_chinese_price_by_characters():
    tr = T([("现在下单只要一百六十九元", 0.0, 2.0), ("再享八折优惠", 2.0, 3.0)], language="zh")
    words, findings = correct(tr, "现在下单只要¥199，再享8折优惠！", "zh")
    assert any(f.kind == "price_mismatch" for f in findings)
    assert any(w.text.startswith("¥169") for w in words)
    assert any(w.text.startswith("8折") for w in words)


def test_ass_tags_in_script_never_reach_captions():
    tr = T(seq("Get the Brewvana pods now"))
    words, findings = correct(tr, r"{\an8}Get the {\b1}Brewvana{\b0} pods now\N", "en")
    assert not any("{" in w.text or "\\" in w.text for w in words)
    assert any(f.kind == "script_markup_stripped" for f in findings)
    assert [w.text for w in words] == ["Get", "the", "Brewvana", "pods", "now"]


def test_empty_script_is_a_finding_not_a_crash():
    tr = T(seq("hello there"))
    for script in ("", "   \n", None):
        words, findings = correct(tr, script, "en")
        assert [w.text for w in words] == ["hello", "there"]
        assert any(f.kind == "empty_script" for f in findings)


def test_wrong_language_script_is_a_finding():
    tr = T(seq("Mit dem Kissen schläfst du endlich durch und jetzt nur heute"), language="de")
    _, findings = correct(tr, "With this pillow you finally sleep through the night and it is only for today", "de")
    assert any(f.kind == "script_language_mismatch" for f in findings)


def test_a_script_in_another_language_is_never_the_captions():
    # an English voice-over with the German variant's script (a careless batch): the recogniser, prompted with
    # German, wrote little of it; the script-fallback for voices the recogniser cannot follow would have put German
    # words under English speech. The captions are what the unprompted witness heard, with the findings that say why.
    de = "Mit dem Wolkora Kissen schläfst du endlich durch. Jetzt nur 39,99 € statt 59,99 €. Link in der Bio!"
    prompted = T(seq("Tired on Dullskin, Luhuel Glow's error is just for the dollars today."), language="en")
    witness = T(seq("Tired of dull skin? Lumewell Glow Serum is just forty dollars today."), language="en")
    words, findings = correct(prompted, de, "en", reference=witness)
    assert " ".join(w.text for w in words) == "Tired of dull skin? Lumewell Glow Serum is just forty dollars today."
    assert all(w.source == "asr" for w in words)
    kinds = [f.kind for f in findings]
    assert "script_language_mismatch" in kinds and "asr_unreliable" in kinds
    assert "not in the audio's language" in next(f.message for f in findings if f.kind == "asr_unreliable")
    # without a witness: the prompted words, never the script
    words, _ = correct(prompted, de, "en")
    assert [w.text for w in words][:2] == ["Tired", "on"]
    # a script in the audio's language that the recogniser could not follow still falls back to the script
    words, findings = correct(T(seq("mm hm ah"), language="de"), de, "de")
    assert [w.text for w in words][:3] == ["Mit", "dem", "Wolkora"]


def test_a_file_that_is_not_a_script_is_named_for_what_it_is(tmp_path):
    import zipfile

    video = Path(__file__).parents[1] / "examples" / "ad-en-01" / "video.mp4"
    with pytest.raises(InputError, match=r"is a video or audio file \(MP4/MOV\), not a text file"):
        load_script(video)  # was: "not UTF-8 … a legacy 8-bit encoding such as Windows-1252"
    docx = tmp_path / "script.docx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w:document>Nur 39,99 €</w:document>")
    with pytest.raises(InputError, match="Word/OpenDocument document, not a text file.*save the document as plain text"):
        load_script(docx)
    rtf = tmp_path / "script.rtf"
    rtf.write_text("{\\rtf1\\ansi Tired of dull skin? Only $49.}", encoding="utf-8")
    with pytest.raises(InputError, match="an RTF document"):
        load_script(rtf)
    with pytest.raises(InputError, match="is a folder, not a file"):
        load_script(tmp_path)
    ok = tmp_path / "ok.txt"
    ok.write_text("ID3 headphones, now only $49.", encoding="utf-8")  # text that starts like an MP3 is still text
    assert load_script(ok) == "ID3 headphones, now only $49."


def test_non_utf8_script_raises_clear_error(tmp_path):
    p = tmp_path / "script.txt"
    p.write_bytes("Schläfst du gut? Nur 39,99 EUR".encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        load_script(p)
    q = tmp_path / "ok.txt"
    q.write_bytes("\ufeffNur 39,99 €\r\n".encode("utf-8"))
    assert load_script(q) == "Nur 39,99 €\n"


def test_5000_word_script_is_fast():
    rnd = random.Random(0)
    vocab = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda".split()
    ad = "Tired of dull skin? Lumewell Glow Serum is just $49 today."
    script = " ".join(rnd.choice(vocab) for _ in range(2500)) + " " + ad + " " + " ".join(rnd.choice(vocab) for _ in range(2500))
    tr = T(seq("Tired of dull skin? loom well Glow Serum is just forty dollars today."))
    t = time.perf_counter()
    words, findings = correct(tr, script, "en")
    assert time.perf_counter() - t < 5.0
    assert "Lumewell" in [w.text for w in words] and "$40" in [w.text for w in words]
    assert any(f.kind == "script_unspoken" for f in findings)


def test_report_lists_the_findings():
    tr = T(seq("Lume well serum is just forty dollars honestly today."))
    words, findings = correct(tr, "Lumewell serum is just $49 today.", "en", terms=["Lumewell"])
    md = report_markdown(findings, words)
    assert "Price and claim mismatches" in md and "$49" in md
    assert "Brand and spelling fixes" in md and "Lumewell" in md
    assert "Ad-libs" in md and "honestly" in md


def test_report_has_sections_for_the_acoustic_check():
    from captioner.types import Finding, Severity

    fs = [Finding(kind="number_disputed", severity=Severity.warning, message="heard “150”, script “250” fits better"),
          Finding(kind="claim_verified", severity=Severity.info, message="“$19.99”: the audio supports it"),
          Finding(kind="asr_hallucination", severity=Severity.warning, message="looks hallucinated")]
    md = report_markdown(fs, [])
    assert "## Numbers the recogniser and the audio disagree on" in md and "150" in md
    assert "## Claims checked against the audio" in md and "$19.99" in md
    assert "## Unverified claims" in md and "hallucinated" in md and "Other notes" not in md


# ---------------------------------------------------------------------------------- real Whisper

@pytest.fixture(scope="module")
def transcripts():
    from captioner.asr import ASROptions
    from captioner.asr.whisper import WhisperBackend
    from captioner.media import load_audio

    be = WhisperBackend(cpu_threads=2)
    out = {}
    for ad in ("ad-en-01", "ad-de-02", "ad-es-02"):
        meta = json.loads((FIX / ad / "meta.json").read_text(encoding="utf-8"))
        script = (FIX / ad / "script.txt").read_text(encoding="utf-8")
        audio = load_audio(FIX / ad / "audio.flac")
        L = meta["language"]
        prompted = be.transcribe(audio, ASROptions(language=L, script=script, hotwords=meta["brand_terms"]))
        plain = be.transcribe(audio, ASROptions(language=L, script=None))
        out[ad] = (meta, script, prompted, plain)
    return out


@pytest.mark.parametrize("ad", ["ad-en-01", "ad-de-02", "ad-es-02"])
def test_real_ads_brand_and_deviations(transcripts, ad):
    meta, script, prompted, plain = transcripts[ad]
    L = meta["language"]
    words, findings = correct(prompted, script, L, terms=meta["brand_terms"], reference=plain)
    caption = " ".join(w.text for w in words)
    for term in meta["brand_terms"]:
        assert term in caption
    flags = [f for f in findings if f.kind in ("price_mismatch", "number_mismatch", "ad_lib")]
    assert len(flags) == len(meta["deviations"]), [f.message for f in flags]
    for d in meta["deviations"]:
        hit = [f for f in flags if min(f.end, d["end_s"] + 0.5) - max(f.start, d["start_s"] - 0.5) > 0]
        assert hit, d
        if d["type"] == "ad_lib":
            assert d["spoken_text"] in caption
        else:
            assert d["script_text"] not in caption  # never silently "fixed" to the script's price
    # every caption word except the deviations equals the script's
    script_words = [w.strip(".,!?¡¿") for w in script.split()]
    dev_words = {(d["spoken_text"] or "").split()[0] for d in meta["deviations"] if d["type"] == "ad_lib"}
    cap = [w.text.strip(".,!?¡¿") for w in words if w.text.strip(".,!?¡¿") not in dev_words]
    same = sum(1 for w in cap if w in script_words or w.replace("\u00a0", " ") in script)
    assert same >= len(cap) - 1


def test_unprompted_transcript_alone_gets_brand_spelling(transcripts):
    meta, script, _, plain = transcripts["ad-en-01"]
    words, findings = correct(plain, script, "en", terms=meta["brand_terms"])
    assert "Lumewell" in [w.text.strip(".,") for w in words]
    assert any(f.kind == "brand_fixed" for f in findings)


def test_no_script_changes_nothing(transcripts):
    _, _, _, plain = transcripts["ad-de-02"]
    words, _ = correct(plain, None, "de")
    assert [w.text for w in words] == [w.text for w in plain.words]
    assert [w.start for w in words] == [w.start for w in plain.words]


# ------------------------------------------------------------- the same, on real recogniser output

NUM_FIX = Path(__file__).parent / "fixtures" / "numbers"


def test_real_unprompted_transcript_with_digits_and_currency_word():
    # Whisper base, unprompted, on a generated Spanish ad: "... ahora solo 25 euros 90, haz clic ..." for the
    # script's 25,90 € (the voice: "veinticinco euros noventa"). It is the same price, not a mismatch.
    folder = NUM_FIX / "g101-es-04"
    script = (folder / "script.txt").read_text(encoding="utf-8")
    rec = Transcript.model_validate(json.loads((folder / "unprompted.json").read_text(encoding="utf-8"))["unprompted"])
    assert "25 euros 90" in rec.text
    words, findings = correct(rec, script, "es", reference=rec)
    assert not [f for f in findings if f.kind in ("price_mismatch", "ad_lib", "unverified_claim")], [f.message for f in findings]
    w = next(w for w in words if w.text.startswith("25,90"))
    assert w.spoken == "25 euros 90" or "euros" in w.spoken


def test_garbled_currency_word_between_two_numbers():
    # the same ad decoded with hotwords: "veinticinco eos noventa" ("eos" for "euros")
    tr = T(seq("Ahora solo veinticinco eos noventa, haz clic en el enlace."), language="es")
    words, findings = correct(tr, "Ahora solo 25,90 €. Haz clic en el enlace.", "es", reference=tr)
    assert not [f for f in findings if f.kind in ("price_mismatch", "ad_lib", "word_mismatch")], [f.message for f in findings]
    w = next(w for w in words if w.text.startswith("25,90"))
    assert w.spoken == "veinticinco euros noventa"  # the aligner gets a real word, not the recogniser's "eos"
    # but a plain word between two numbers is not a currency: "twenty five or ninety" is no price
    tr = T(seq("Now only twenty five or ninety today."))
    _, findings = correct(tr, "Now only $25.90 today.", "en")
    assert any(f.kind == "price_mismatch" for f in findings)


def test_numbers_the_recogniser_wrote_as_fragments_never_drop_the_price():
    # the prompted pass on a generated German ad wrote "98,20 €,99 €" where the script has 77,99 €: the price
    # stays one caption word at its place (judged by verify.py), never deleted with the fragments shown
    tr = T(seq("Im Moment kostet es nur 98,20 € ,99 €. Gleich zugreifen!"), language="de")
    words, findings = correct(tr, "Im Moment kostet es nur 77,99 €. Gleich zugreifen!", "de")
    assert not any(f.kind == "script_skipped" for f in findings)
    pm = [f for f in findings if f.kind == "price_mismatch"]
    assert len(pm) == 1 and pm[0].script_text == "77,99 €"
    assert [w.text for w in words][-2:] == ["Gleich", "zugreifen!"]


def test_script_words_the_witness_heard_are_restored_not_skipped():
    """Seed 707 (German, espeak): the prompted pass merged "23,90 € statt 25,90 €" into "29,90 €"; the unprompted
    pass heard "920 Euro 90 statt 520 Euro 90". The first price and "statt" are not skipped by the voice: they go
    back into the captions at the witness's time, the price unverified (for the judge), said so in a finding."""
    script = "Ohne Stress. Jetzt nur 23,90 € statt 25,90 €. Spare 50 % heute."
    tr = T(seq("Ohne Stress. Jetzt nur 29 ,90 €. Spare 50 % heute."), language="de")
    ref = T(seq("Ohne Stress. Jetzt nur 920 Euro 90 statt 520 Euro 90. Spare 50 Prozent heute."), language="de")
    words, findings = correct(tr, script, "de", reference=ref)
    texts = [w.text for w in words]
    assert texts[:7] == ["Ohne", "Stress.", "Jetzt", "nur", "23,90 €", "statt", "29,90 €."], texts
    assert not any(f.kind == "script_skipped" for f in findings), [f.message for f in findings]
    r = [f for f in findings if f.kind == "script_restored"]
    assert len(r) == 1 and r[0].script_text == "23,90 € statt" and "920" in r[0].spoken_text
    assert [texts[i] for i in r[0].word_indices] == ["23,90 €", "statt"]
    u = [f for f in findings if f.kind == "unverified_claim" and f.script_text == "23,90 €"]
    assert len(u) == 1 and u[0].word_indices == [4]
    restored = words[4]
    assert restored.source == "script" and restored.spoken and restored.timing == "interpolated"
    assert all(a.start <= b.start for a, b in zip(words, words[1:]))
    # the voice really skipped the phrase: the witness did not hear it either -> still "skipped"
    ref2 = T(seq("Ohne Stress. Jetzt nur 520 Euro 90. Spare 50 Prozent heute."), language="de")
    tr2 = T(seq("Ohne Stress. Jetzt nur 25,90 €. Spare 50 % heute."), language="de")
    words, findings = correct(tr2, script, "de", reference=ref2)
    assert any(f.kind == "script_skipped" and "23,90" in f.script_text for f in findings)
    assert not any(f.kind == "script_restored" for f in findings)
    assert "23,90 €" not in [w.text for w in words]


def test_script_tail_the_witness_heard_is_restored_not_unspoken():
    """Seed 707 (Spanish under a music bed): the prompted pass stopped after "con envío gratis." while the voice went
    on; the unprompted pass heard the rest, garbled. The script's last sentence and its two claims stay in the
    captions (placed by the aligner later) instead of being dropped as "unspoken"; with no speech heard after the
    prompted pass's last word they are reported unspoken as before. The same holds for a script's opening words."""
    script = "Consíguelo por 83,45 € con envío gratis. 20 % de descuento con el código ZOROTA15. ¡No te lo pierdas!"
    tr = T(seq("Consíguelo por 83 ,45 € con envío gratis."), language="es")
    heard = "Consigue los por 83 45 con envío gratis, lente por ti, entre los descuentos con el clave de la otra quinta, no te lo pierdas"
    words, findings = correct(tr, script, "es", reference=T(seq(heard), language="es"))
    texts = [w.text for w in words]
    assert texts[-2:] == ["lo", "pierdas!"], texts
    assert "20 %" in texts and "ZOROTA15." in texts
    assert not any(f.kind == "script_unspoken" for f in findings), [f.message for f in findings]
    r = [f for f in findings if f.kind == "script_restored"]
    assert len(r) == 1 and r[0].script_text.startswith("20 % de descuento")
    claims = {f.script_text for f in findings if f.kind == "unverified_claim"}
    assert {"20 %", "ZOROTA15."} <= claims
    assert all(a.start <= b.start for a, b in zip(words, words[1:]))
    # the voice stopped where the prompted pass did: the witness heard nothing more -> unspoken, not captioned
    intro = "Con la crema solar Zorota empiezas bien el día. Pruébalo sesenta días sin riesgo. "
    tr3 = T(seq(intro + "Consíguelo por 83 ,45 € con envío gratis."), language="es")
    ref3 = T(seq(intro + "Consigue los por 83 45 con envío gratis."), language="es")
    words, findings = correct(tr3, intro + script, "es", reference=ref3)
    assert any(f.kind == "script_unspoken" for f in findings), [f.message for f in findings]
    assert "20 %" not in [w.text for w in words] and not any(f.kind == "script_restored" for f in findings)
    # the opening words: the prompted pass started late, the witness heard speech before it
    tr2 = T(seq("20 % de descuento con el código ZOROTA15. ¡No te lo pierdas!", t0=4.0), language="es")
    ref2 = T(seq("Consigue los por sesenta y siete euros con cincuenta con envío gratis. veinte por ciento de descuento"), language="es")
    words, findings = correct(tr2, script, "es", reference=ref2)
    assert [w.text for w in words][:3] == ["Consíguelo", "por", "83,45 €"], [w.text for w in words]
    assert not any(f.kind == "script_unspoken" for f in findings)
    u = [f for f in findings if f.kind == "unverified_claim" and f.script_text == "83,45 €"]
    assert len(u) == 1 and words[u[0].word_indices[0]].text == "83,45 €"
    assert all(words[i].text == "20 %" for f in findings if f.kind != "script_restored" and f.script_text == "20 %" for i in f.word_indices)


def test_a_units_digit_heard_as_a_word_completes_the_price():
    """The long ad (espeak, "one hundred forty three dollars"): the prompted pass wrote "$140, free". That is the
    script's $143, not a $140 price plus an ad-lib "free" on screen; the judge still judges the value. Only a round
    number, only a word that sounds like its missing units digit, only where the two make the script's value."""
    script = "Right now it is only $143, down from $163."
    words, findings = correct(T(seq("Right now it is only $140, free, down from $163.")), script, "en")
    assert [w.text for w in words] == ["Right", "now", "it", "is", "only", "$143,", "down", "from", "$163."]
    assert words[5].spoken == "one hundred forty three dollars"
    assert not [f for f in findings if f.kind in ("ad_lib", "price_mismatch")], [f.message for f in findings]
    # the words do not make the script's value: a mismatch and an ad-lib, as before
    words, findings = correct(T(seq("Right now it is only $140, free, down from $163.")), "Right now it is only $144, down from $163.", "en")
    assert "$140," in [w.text for w in words] and any(f.kind == "price_mismatch" for f in findings)
    # "for" after a price the script also has: the script's own word, not a digit
    words, findings = correct(T(seq("Get two for $40 for your first order.")), "Get two for $40 for your first order.", "en")
    assert [w.text for w in words] == ["Get", "two", "for", "$40", "for", "your", "first", "order."]


def test_a_phrase_the_prompted_pass_left_out_is_reported_when_the_witness_is_deaf():
    """Seed 707, music bed: the unprompted witness heard 23 % of the script, so the captions follow the script (the
    prompted pass may parrot it). But a parrot copies the whole script; the prompted pass left "Entwickelt mit
    echten Experten." out, and the voice had skipped it. That is reported (the words stay in the captions)."""
    script = ("Endlich gibt es Tevaa Nackenkissen auch bei uns. Teste es 90 Tage lang ohne Risiko. Entwickelt mit echten "
              "Experten. Hol es dir für 2.499 €. Gleich zugreifen!")
    prompted = "Entwickelt es Teva Nackenkissen auch bei uns. Teste es 90 Tage lang ohne Risiko. Hol es dir für 2 .599 €. Gleich zugreifen!"
    witness = "Entschuldigung, das Thema Nackenkiss im Aufmands. Testes 90° lang war der E -Video. Hol es die Futsmeite an den Fügel."
    words, findings = correct(T(seq(prompted), language="de"), script, "de", reference=T(seq(witness), language="de"))
    assert any(f.kind == "asr_unreliable" for f in findings)
    assert " ".join(w.text for w in words) == script  # nothing dropped
    sk = [f for f in findings if f.kind == "script_skipped"]
    assert len(sk) == 1 and sk[0].script_text == "Entwickelt mit echten Experten." and sk[0].severity.value == "warning"
    assert [words[i].text for i in sk[0].word_indices] == ["Entwickelt", "mit", "echten", "Experten."]
    # a prompted pass that wrote the whole script (it may be parroting): nothing to report
    _, findings = correct(T(seq(script), language="de"), script, "de", reference=T(seq(witness), language="de"))
    assert any(f.kind == "asr_unreliable" for f in findings) and not any(f.kind == "script_skipped" for f in findings)


def test_a_count_heard_as_a_word_that_sounds_like_it():
    """Seed 707: "Es gibt vier Farben" came back "Es gibt viel Farben"; the script's "4" was reported skipped and
    "viel" captioned. A plain count heard as a word that sounds like it takes the script's number (its spoken form
    goes to the aligner); a price heard that way still goes to the judge, and an unlike word changes nothing."""
    words, findings = correct(T(seq("Es gibt viel Farben."), language="de"), "Es gibt 4 Farben.", "de")
    assert [w.text for w in words] == ["Es", "gibt", "4", "Farben."] and words[2].spoken == "vier"
    assert not any(f.kind in ("script_skipped", "ad_lib") for f in findings), [f.message for f in findings]
    words, findings = correct(T(seq("Es gibt schöne Farben."), language="de"), "Es gibt 4 Farben.", "de")
    assert "4" not in [w.text for w in words] and any(f.kind == "script_skipped" for f in findings)


@pytest.mark.slow
def test_cli_honest_spoken_variant_is_not_a_mismatch(tmp_path):
    """Through the CLI on real audio: --no-prompt makes the unprompted transcript the caption source; the
    honest "veinticinco euros noventa" must pass --on-mismatch fail and show the script's 25,90 €."""
    from .conftest import make_video, run_cli

    folder = NUM_FIX / "g101-es-04"
    video = make_video(tmp_path / "in.mp4", folder / "audio.flac", size="360x640", fps=15)
    out = tmp_path / "out.mp4"
    proc = run_cli("caption", str(video), "--script", str(folder / "script.txt"), "--language", "es", "--no-prompt",
                   "--on-mismatch", "fail", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert "25,90 €." in [w["text"] for w in data["words"]]
    assert not [f for f in data["findings"] if f["kind"] in ("price_mismatch", "number_mismatch", "number_disputed")]


@pytest.mark.parametrize("lang,heard,script,price", [
    # the prompted pass on generated ads wrote the cents twice ("hundertneunundsiebzig Euro neunzig")
    ("de", "Vorher 179 ,90 €, 90 €, jetzt nur 89,90 €.", "Vorher 179,90 €, jetzt nur 89,90 €.", "179,90 €,"),
    ("de", "Heute 92 ,95 € ,95 € statt 159,95 €.", "Heute 92,95 € statt 159,95 €.", "92,95 €"),
    ("de", "Das alles für nur 71 ,50 € und 50. Klick auf den Link!", "Das alles für nur 71,50 €. Klick auf den Link!", "71,50 €."),
    ("en", "Now only $19.99, 99 today.", "Now only $19.99 today.", "$19.99"),
])
def test_cents_written_twice_join_the_price(lang, heard, script, price):
    tr = T(seq(heard), language=lang)
    words, findings = correct(tr, script, lang, reference=tr)
    texts = [w.text for w in words]
    assert price in texts, texts
    bad = [f.message for f in findings if f.kind in ("price_mismatch", "ad_lib", "word_mismatch")]
    assert not bad, bad
    w = words[texts.index(price)]
    assert w.end > w.start + 0.5  # the echo's time belongs to the price: the judge and the aligner hear it whole
    # a second, different number after a price is not an echo
    tr = T(seq("Jetzt nur 19,99 € und 40 Stück."), language="de")
    words, _ = correct(tr, "Jetzt nur 19,99 €. Stück.", "de")
    assert "40" in [w.text for w in words]


def test_cents_heard_as_words_that_sound_like_the_number():
    # generated Spanish ad, honest "9,50 €": the recogniser wrote "nueve euros sin cuenta" (cincuenta)
    tr = T(seq("Llévatelo por nueve euros sin cuenta. Haz clic en el enlace."), language="es")
    words, findings = correct(tr, "Llévatelo por 9,50 €. Haz clic en el enlace.", "es", reference=tr)
    assert "9,50 €." in [w.text for w in words]
    assert not [f for f in findings if f.kind in ("price_mismatch", "ad_lib")], [f.message for f in findings]
    # ordinary words after a currency stay words
    tr = T(seq("Now only five dollars for tea lovers."))
    words, _ = correct(tr, "Now only $5 for tea lovers.", "en")
    assert [w.text for w in words][-3:] == ["for", "tea", "lovers."]
    assert not any(f.kind == "price_mismatch" for f in _)


def test_recogniser_that_lost_most_of_the_speech_is_not_read_as_a_skipped_script():
    # generated Mandarin ad: both passes returned 9 characters for 12.6 s of speech; the price was dropped from
    # the captions as "unspoken" with no finding naming it (a silent wrong price)
    script = "芙然电动牙刷，上班族的好帮手。安全放心，老少皆宜。续航长达20小时。一件仅需¥35.9，包邮到家。快来抢购吧！"
    heard = [(c, 12.66 + 0.08 * i, 12.66 + 0.08 * (i + 1)) for i, c in enumerate(["续", "航", "续", "航", "长", "达", "20", "小", "时"])]
    tr = T(heard, language="zh", speech_duration=12.6)
    words, findings = correct(tr, script, "zh", reference=tr)
    assert any("¥35.9" in w.text for w in words)
    assert any(f.kind == "unverified_claim" and "35.9" in f.script_text for f in findings)
    assert any(f.kind == "asr_unreliable" and "12.6 s of speech" in f.message for f in findings)
    # the same words where they are all the speech there is: the rest of the script was not said
    tr = T(heard, language="zh", speech_duration=0.8)
    words, findings = correct(tr, script, "zh", reference=tr)
    assert not any("35.9" in w.text for w in words)
    assert any(f.kind == "script_unspoken" for f in findings)


@pytest.mark.parametrize("lang,heard,script,expect", [
    # DEV ad-fr-01's voice: "pour" is the preposition here, not the start of "pour cent"
    ("fr", "Seulement 24,90 € avec le code douce quinze pour quinze pour cent de réduction.",
     "Seulement 24,90 € avec le code DOUCE15 pour 15 % de réduction.", ["DOUCE15", "pour", "15 %"]),
    ("es", "Usa el código sol diez por diez por ciento de descuento.",
     "Usa el código SOL10 por 10 % de descuento.", ["SOL10", "por", "10 %"]),
])
def test_spoken_code_before_a_preposition_is_the_code(lang, heard, script, expect):
    tr = T(seq(heard), language=lang)
    words, findings = correct(tr, script, lang, reference=tr)
    texts = [w.text for w in words]
    i = texts.index(expect[0])
    assert texts[i:i + 3] == expect, texts
    assert not [f for f in findings if f.kind in ("ad_lib", "word_mismatch", "number_mismatch")], [f.message for f in findings]


def test_thousands_separated_by_a_narrow_space_stay_one_price():
    # generated French ad (seed 303): the script writes "1 999 €" with U+202F, the recogniser "1" "999 €"; the
    # price was split into "1" and "999 €" and judged as 999 (a changed 1 399 passed unnoticed)
    script = "Seulement 1\u202f999 € aujourd'hui."
    tr = T(seq("Seulement 1 999 € aujourd'hui."), language="fr")
    words, findings = correct(tr, script, "fr")
    assert [w.text for w in words] == ["Seulement", "1\u202f999 €", "aujourd'hui."]
    assert not [f for f in findings if f.kind in ("price_mismatch", "ad_lib")], [f.message for f in findings]
    tr = T(seq("Seulement 1 399 € aujourd'hui."), language="fr")
    words, findings = correct(tr, script, "fr")
    assert words[1].text.startswith("1") and any(f.kind == "price_mismatch" and "1\u202f999" in f.script_text for f in findings)


def test_chinese_decimal_point_and_discount_said_in_characters():
    # generated Mandarin ad (seed 303), the recogniser writing characters: "三十一点九元" is ¥31.9 and "八折" is
    # 8折 — the decimal point and 折 were not number words, so "¥31" was matched (a false mismatch) and
    # "点九元" / "折" stayed as stray characters on screen
    script = "到手价仅需¥31.9。全场8折。赶紧下单吧！"
    chars = "到 手 价 仅 需 三 十 一 点 九 元 全 场 八 折 赶 紧 下 单 吧".split()
    tr = T([(c, 0.3 + 0.2 * i, 0.48 + 0.2 * i) for i, c in enumerate(chars)], language="zh")
    words, findings = correct(tr, script, "zh")
    texts = [w.text for w in words]
    assert "¥31.9。" in texts and "8折。" in texts, texts
    assert not any(t in ("点", "折", "元", "九") for t in texts), texts
    assert not [f for f in findings if f.kind in ("price_mismatch", "number_mismatch", "ad_lib")], [f.message for f in findings]


@pytest.mark.parametrize("said,changed", [("八 十 一 点 八 元", False), ("八 十 一 块 八", False), ("八 十 一 块 五", True)])
def test_chinese_colloquial_price_is_one_price(said, changed):
    # generated Mandarin ad (seed 303): the script writes "81块8" (81.8 yuan, the digit after 块 is the jiao); it
    # was three tokens "81" "块" "8", so the price was judged as the number 81, never as a price, and a stray
    # "元" of the spoken "八十一点八元" stayed on screen
    script = "现在下单只要81块8。点击下方链接马上抢！"
    chars = ("现 在 下 单 只 要 " + said + " 点 击 下 方 链 接 马 上 抢").split()
    tr = T([(c, 0.3 + 0.2 * i, 0.48 + 0.2 * i) for i, c in enumerate(chars)], language="zh")
    words, findings = correct(tr, script, "zh")
    texts = [w.text for w in words]
    assert texts[:6] == list("现在下单只要") and texts[7:9] == ["点", "击"], texts  # the price is one caption word
    mism = [f for f in findings if f.kind == "price_mismatch"]
    if changed:
        # shown as said, written the way the script writes prices
        assert mism and mism[0].script_text.startswith("81块8") and texts[6] == "81块5。", (texts, [f.message for f in findings])
    else:
        assert "81块8。" in texts and not mism, (texts, [f.message for f in findings])
        assert not [f for f in findings if f.kind in ("number_mismatch", "ad_lib")], [f.message for f in findings]


def test_a_number_the_script_does_not_have_is_never_silent():
    """The recogniser split one spoken price in two ("ahora solo 36 €, ahora solo 45 €" for "treinta y seis euros
    con cuarenta y cinco"; seen on a generated Spanish ad under music). Whatever stays in the captions of it, a
    number the script does not have is never there without a finding."""
    script = "Antes 69,45 €, ahora solo 36,45 €. Usa el código HOLA20 y ahorra un 10 %. ¡Pídelo ya!"
    said = "Antes 69,45 €, ahora solo 36 €, ahora solo 45 €. Usa el código HOLA20 y ahorra un 10 %. ¡Pídelo ya!"
    witness = "antes 69 euros con 45, ahora solo 36 euros con 45, usa el código hola 20 y ahorra un 10%, pídelo ya"
    words, findings = correct(T(seq(said), "es"), script, "es",
                              reference=T(seq(witness, step=0.4 * len(said.split()) / len(witness.split())), "es"))
    caption = [w.text.strip(".,!¡") for w in words]
    script_values = {"69,45 €", "36,45 €", "10 %", "HOLA20"}
    flagged = {i for f in findings if f.severity.value != "info" for i in (f.word_indices or [])}
    from captioner import numbers as num

    for i, w in enumerate(words):
        if num.parse_written(w.text.strip(".,!¡"), "es") is not None and w.text.strip(".,!¡") not in script_values:
            assert i in flagged, (caption, [(f.kind, f.message) for f in findings])


def test_a_deaf_witness_makes_the_prompted_words_untrusted():
    """The unprompted pass heard nothing in the language (it came out in another one and was emptied): what the
    prompted pass wrote may be the script itself, so the captions follow the script and say why."""
    script = "Get 12 pods for $19.99 with free shipping. Order now!"
    parrot = T(seq(script))
    deaf = T([]).model_copy(update={"notes": ["the unprompted pass came out in 'ur', not 'en': the recogniser cannot follow this voice"]})
    words, findings = correct(parrot, script, "en", reference=deaf)
    assert [w.text for w in words] == script.split() and all(w.source == "script" for w in words)
    why = [f.message for f in findings if f.kind == "asr_unreliable"]
    assert why and "without the script" in why[0] and "'ur'" in why[0], why
    # with no witness at all (no prompt was used, or a backend without one) the prompted words stand
    words, findings = correct(parrot, script, "en")
    assert not any(f.kind == "asr_unreliable" for f in findings)


@pytest.mark.parametrize("lang,heard,script,shown", [
    ("en", "Now only $2 ,492 today.", "Now only $2,499 today.", "$2,492"),
    ("de", "Jetzt nur 1 .245 Euro. Link in der Bio!", "Jetzt nur 1.499 €. Link in der Bio!", "1.245 €."),
])
def test_a_thousands_group_written_apart_is_one_number(lang, heard, script, shown):
    """Whisper writes "$2,492" as two words "$2" ",492" (and "1.245" as "1" ".245"): one number, never "$2" plus a
    stray ",492" (seed 707: both passes heard $2,492 for the script's $2,499 and the judge saw neither)."""
    words, findings = correct(T(seq(heard), language=lang), script, lang, reference=T(seq(heard), language=lang))
    assert shown in [w.text for w in words], [w.text for w in words]
    assert [f.kind for f in findings].count("price_mismatch") == 1
    same = heard.replace("492", "499").replace("245", "499")
    words, findings = correct(T(seq(same), language=lang), script, lang, reference=T(seq(same), language=lang))
    assert "price_mismatch" not in [f.kind for f in findings] and script.split()[2].rstrip(".") in " ".join(w.text for w in words)


# ------------------------------------------------------------------------ a voice-over cut short of its script

CUT_SCRIPT = "Tired of dull skin? Lumewell Glow Serum is just $49 today. Use code GLOW20 for 20% off. Tap the link below!"


def test_a_heard_price_pairs_with_the_scripts_price_not_a_later_percent():
    """The DP's tie went to the later script number: "$40." was paired with "20%" six words on, not with "$49"."""
    tr = T(seq("Tired of dull skin? Lumewell Glow Serum is just $40."), speech_duration=3.4)
    words, findings = correct(tr, CUT_SCRIPT, "en")
    price = next(w for w in words if w.text.startswith("$"))
    f = next(f for f in findings if f.kind == "price_mismatch")
    assert f.script_text == "$49" and f.word_indices == [words.index(price)]
    assert not any(f.kind == "number_mismatch" and f.script_text == "20%" for f in findings)


def test_a_voice_over_cut_short_is_corrected_and_its_rest_reported_unspoken():
    """A 4 s cut of the example ad, with the recogniser passes it really gave: the unprompted witness heard "those kids"
    for "dull skin" and hallucinated "for the dollars", and a script far longer than the voice made the captions the
    raw recognised words — the script's brand spelling not checked, "$40." shown with no finding. The prompted words
    are the captions either way: they are corrected like any ad, the price goes to the judge, the rest is unspoken."""
    heard = [("Tired", 0.0, 0.6), ("of", 0.6, 0.74), ("dull", 0.74, 0.98, 0.02), ("skin?", 0.98, 1.36),
             ("Lumewell", 1.8, 2.26, 0.12), ("Glow", 2.26, 2.5), ("Serum", 2.5, 2.8), ("is", 2.8, 2.94),
             ("just", 2.94, 3.1), ("$40.", 3.1, 3.64)]
    witness = [("Tired", 0.0, 0.6), ("of", 0.6, 0.74), ("those", 0.74, 1.02), ("kids?", 1.02, 1.4), ("You", 1.78, 1.96),
               ("well", 1.96, 2.22), ("know", 2.22, 2.42), ("Sarah", 2.42, 2.72), ("is", 2.72, 2.92), ("just", 2.92, 3.1),
               ("for", 3.1, 3.44), ("the", 3.44, 3.62), ("dollars.", 3.62, 3.88)]
    words, findings = correct(T(heard, speech_duration=3.35), CUT_SCRIPT, "en", reference=T(witness, speech_duration=3.35),
                              terms=["Lumewell", "GLOW20"])
    kinds = {f.kind for f in findings}
    assert "asr_unreliable" not in kinds
    assert [w.text for w in words][:9] == CUT_SCRIPT.split()[:9]
    f = next(f for f in findings if f.kind == "price_mismatch")  # the price judge takes it from here
    assert f.script_text == "$49" and f.spoken_text == "$40"
    un = next(f for f in findings if f.kind == "script_unspoken")
    assert "11 script word(s) after" in un.message  # with the words and where they belong, for the aligner
    assert un.script_text == " ".join(CUT_SCRIPT.split()[-11:]) and un.start == un.end == 3.64
    # a script that is not this voice's stays uncorrected, as before
    other = "Brewvana cold brew keeps you going all morning long. Order a case today for $29 and save 15% with BREW15 at checkout."
    words, findings = correct(T(heard, speech_duration=3.35), other, "en", reference=T(witness, speech_duration=3.35))
    assert any(f.kind == "asr_unreliable" for f in findings) and [w.text for w in words] == [h[0] for h in heard]


def test_match_rate_is_the_densest_stretch():
    from captioner.hint import Op, _match_rate

    S = list(range(21))
    ops = [Op("match", (k, k + 1), (k, k + 1), 0.9, False, False) for k in range(4)]
    ops += [Op("del", (4, 4), (k, k + 1), 0.0, False, False) for k in range(4, 18)]
    ops += [Op("match", (4, 5), (18, 19), 0.9, False, False)]  # one stray match at the far end
    assert _match_rate(ops, S, 0.8) == pytest.approx(4 / 5)  # not 5 / 19
    low = [Op("match", (k, k + 1), (k, k + 1), 0.5, False, False) for k in range(5)]
    assert _match_rate(low, S, 0.8) == 0.0


def test_nothing_recognised_on_a_voice_cut_short_still_captions_the_script():
    """DEV's zh ad cut to 4 s: the prompted output was discarded as hallucinated and the re-run heard nothing. A script
    "far longer" than 3.7 s of speech (23 units) made the captions the recognised words — none at all, under a finding
    that said they follow the script. With nothing recognised there is nothing else to show: the script, which the
    aligner then times and whose unheard rest it reports (`script_unspoken`)."""
    script = "悦澜精华液，28天肌肤焕亮。现在下单只要¥199，再享8折优惠！"
    empty = Transcript(text="", words=[], language="zh", backend="test", duration=4.0, speech_duration=3.74)
    words, findings = correct(empty, script, "zh")
    assert "".join(w.text for w in words) == script
    assert any(f.kind == "asr_unreliable" and "follow the script" in f.message for f in findings)


# ------------------------------------------------------------------ prices as users write them in scripts

def _said(text, language):
    """A transcript of `text`, one word per whitespace token, 0.4 s apart."""
    ws = [Word(text=w, start=i * 0.4, end=i * 0.4 + 0.35, confidence=0.9) for i, w in enumerate(text.split())]
    return Transcript(text=text, words=ws, language=language, backend="test", duration=len(ws) * 0.4 + 0.5)


_NOISE = {"ad_lib", "script_unspoken", "script_skipped", "word_mismatch", "price_mismatch", "number_mismatch"}


@pytest.mark.parametrize("lang, script, heard, shown", [
    # a plain space as the thousands separator (de/fr/es): one number, as the recogniser's "1299" (was: 299 € + "1",
    # and a price_mismatch error on an honest price)
    ("fr", "Seulement 1 299 € aujourd'hui.", "Seulement 1299 euros aujourd'hui.", "1\u00a0299 €"),
    ("es", "Solo 1 299 € hoy.", "Solo 1299 euros hoy.", "1\u00a0299 €"),
    ("de", "Nur 1 299 € heute.", "Nur 1299 Euro heute.", "1\u00a0299 €"),
    ("fr", "Les 3 500 premiers clients.", "Les 3500 premiers clients.", "3\u00a0500"),
    # a currency written before the amount as its own word
    ("en", "Only USD 19.99 today.", "Only $19.99 today.", "USD 19.99"),
    ("en", "Only $ 19.99 today.", "Only $19.99 today.", "$ 19.99"),
    ("hi", "सिर्फ़ Rs. 499 में।", "सिर्फ़ 499 रुपये में।", "Rs. 499"),
    ("hi", "सिर्फ़ ₹ 499 में।", "सिर्फ़ 499 रुपये में।", "₹ 499"),
    # a footnote mark, a glued em dash, a per-unit tail, the French "19€99", the German "19,-"
    ("en", "Only $19.99* today.", "Only $19.99 today.", "$19.99*"),
    ("en", "Only $19.99—today.", "Only $19.99 today.", "$19.99—"),
    ("en", "Only $9.99/month.", "Only $9.99 a month.", "$9.99"),
    ("de", "Nur 5 €/Monat.", "Nur 5 Euro im Monat.", "5 €"),
    ("fr", "Seulement 5 €/mois.", "Seulement 5 euros par mois.", "5 €"),
    ("fr", "Seulement 19€99 aujourd'hui.", "Seulement 19,99 € aujourd'hui.", "19€99"),
    ("de", "Nur 19,- € heute.", "Nur 19 Euro heute.", "19,- €"),
    # Hindi number words in their other common spelling ("निन्यानवे" for "निन्यानबे"; was ₹2,900 + an ad-lib)
    ("hi", "सिर्फ़ ₹2,999 में।", "सिर्फ़ दो हज़ार नौ सौ निन्यानवे रुपये में।", "₹2,999"),
    ("hi", "सिर्फ़ ₹499 में।", "सिर्फ़ चार सौ निन्यानवे रुपये में।", "₹499"),
    # "块钱": the colloquial currency word stays with its price (was a stray caption word "钱")
    ("zh", "现在只要2999元。", "现在只要两千九百九十九块钱。", "2999元。"),
])
def test_an_honest_price_as_users_write_it_keeps_the_scripts_writing(lang, script, heard, shown):
    words, findings = correct(_said(heard, lang), script, lang)
    assert shown in [w.text for w in words]
    assert not {f.kind for f in findings} & _NOISE, [(f.kind, f.message) for f in findings]
    if lang == "zh":
        assert "".join(w.text for w in words) == script


@pytest.mark.parametrize("lang, script, heard, shown", [
    ("fr", "Seulement 1 299 € aujourd'hui.", "Seulement 1399 euros aujourd'hui.", "1\u00a0399 €"),
    ("en", "Only USD 19.99 today.", "Only $18.99 today.", "USD 18.99"),
    ("hi", "सिर्फ़ Rs. 499 में।", "सिर्फ़ 599 रुपये में।", "Rs. 599"),
    ("en", "Only $19.99* today.", "Only $18.99 today.", "$18.99*"),
    ("en", "Only $19.99—today.", "Only $18.99 today.", "$18.99"),
    ("en", "Only $9.99/month.", "Only $8.99 a month.", "$8.99"),
    ("de", "Nur 5 €/Monat.", "Nur 6 Euro im Monat.", "6 €"),
    ("fr", "Seulement 19€99 aujourd'hui.", "Seulement 18,99 € aujourd'hui.", "18,99 €"),
])
def test_a_changed_price_as_users_write_it_is_an_error_and_shown_as_heard(lang, script, heard, shown):
    """Before, these prices were not read as prices: the heard value went on screen with at most an ad-lib warning."""
    words, findings = correct(_said(heard, lang), script, lang)
    assert any(f.kind == "price_mismatch" and f.severity.value == "error" for f in findings)
    assert any(w.text.startswith(shown) for w in words), [w.text for w in words]
    with pytest.raises(PriceMismatchError):
        correct(_said(heard, lang), script, lang, on_mismatch="fail")


def test_a_per_unit_tail_is_its_own_caption_word_matched_with_its_spoken_slash():
    from captioner.align import spoken_form

    assert spoken_form(Word(text="/Monat.", start=0, end=1), "de") == "pro Monat."  # not matched: the usual slash word
    words, findings = correct(_said("Only $9.99 a month.", "en"), "Only $9.99/month.", "en")
    assert [w.text for w in words] == ["Only", "$9.99", "/month."]
    tail = words[-1]
    assert tail.start == pytest.approx(0.8) and tail.end == pytest.approx(1.55)  # "a" and "month" both
    assert tail.spoken == "a month"  # what the aligner times
    assert not [f for f in findings if f.kind == "ad_lib"]


@pytest.mark.parametrize("lang, script, heard, shown", [
    ("de", "Jetzt -20 % auf alles.", "Jetzt minus 20 Prozent auf alles.", "-20 %"),
    ("en", "Take -40% today only.", "Take 40% off today only.", "-40%"),
    ("en", "Rated 4.8 stars by 10,000+ customers.", "Rated 4.8 stars by 10,000 plus customers.", "10,000+"),
    ("en", "Loved by 500k+ fans.", "Loved by 500,000 plus fans.", "500k+"),
    ("en", "Rated 4.8★ by customers.", "Rated 4.8 stars by customers.", "4.8★"),
    ("en", "The #1 serum in America.", "The number one serum in America.", "#1"),
    ("fr", "Une batterie 2x plus endurante.", "Une batterie deux fois plus endurante.", "2x"),
    ("en", "Join 2M+ happy users.", "Join 2 million happy users.", "2M+"),
])
def test_signs_said_as_words_belong_to_their_number(lang, script, heard, shown):
    """Before, "-20 %", "10,000+", "3x", "#1", "4.8★" were not numbers at all: the captions read "minus -20 %",
    "10,000+ plus", "3x times" (an ad-lib each), and a changed value went unchecked."""
    words, findings = correct(_said(heard, lang), script, lang)
    assert shown in [w.text.rstrip(".") for w in words], [w.text for w in words]
    assert not {f.kind for f in findings} & (_NOISE | {"script_language_mismatch"}), [(f.kind, f.message) for f in findings]
    w = next(w for w in words if w.text.rstrip(".") == shown)
    assert w.spoken and len(w.spoken.split()) >= 2  # the sign's word is timed with the number


@pytest.mark.parametrize("lang, script, heard, shown", [
    ("es", "Hoy -25 % en toda la tienda.", "Hoy menos 35 % en toda la tienda.", "-35 %"),
    ("en", "Take -40% today only.", "Take 30% off today only.", "-30%"),
    ("en", "Rated 4.8 stars by 10,000+ customers.", "Rated 4.8 stars by 20,000 plus customers.", "20,000+"),
])
def test_a_changed_number_with_signs_is_flagged_and_keeps_its_signs(lang, script, heard, shown):
    words, findings = correct(_said(heard, lang), script, lang)
    assert any(f.kind.value.endswith("mismatch") and f.kind.value != "word_mismatch" for f in findings)
    assert shown in [w.text.rstrip(".") for w in words], [w.text for w in words]


@pytest.mark.parametrize("lang, script, heard, shown", [
    ("en", "Offer ends 12/31/2026.", "Offer ends December 31st, 2026.", "12/31/2026."),
    ("en", "Offer ends 12/31.", "Offer ends December 31st.", "12/31."),
    ("de", "Nur bis 31.12.", "Nur bis zum 31. Dezember.", "31.12."),
    ("de", "Nur bis 31.12.2026.", "Nur bis zum 31. Dezember 2026.", "31.12.2026."),
    ("fr", "Valable jusqu'au 31/12.", "Valable jusqu'au 31 décembre.", "31/12."),
    ("es", "Válido hasta 31/12.", "Válido hasta el 31 de diciembre.", "31/12."),
])
def test_a_date_said_with_its_month_name_is_the_scripts_date(lang, script, heard, shown):
    """Before, the month name was an ad-lib, the day a number_mismatch, and the captions showed "December 31st"."""
    words, findings = correct(_said(heard, lang), script, lang)
    assert words[-1].text == shown
    assert not {f.kind for f in findings} & _NOISE, [(f.kind, f.message) for f in findings]


def test_a_changed_date_is_flagged_and_written_like_the_script():
    words, findings = correct(_said("Nur bis zum 30. Dezember.", "de"), "Nur bis 31.12.", "de")
    assert words[-1].text == "30.12." and any(f.kind == "number_mismatch" for f in findings)


@pytest.mark.parametrize("lang, script, heard, texts", [
    # emoji and symbols are drawn, never said: they go with a word (were: script words the voice "did not say", and the
    # last one dropped from the captions with a script_unspoken warning)
    ("en", "Doctor-approved ✨ and vegan 🌱.", "Doctor approved and vegan.", ["Doctor-approved\u00a0✨", "and", "vegan\u00a0🌱."]),
    ("en", "• Vegan\n• Cruelty-free", "Vegan, cruelty free.", ["•\u00a0Vegan", "•\u00a0Cruelty-free"]),
    ("en", "🔥 Hot deal: $19.99 🔥", "Hot deal, $19.99.", ["🔥\u00a0Hot", "deal:", "$19.99\u00a0🔥"]),
    # "&" is said "and": the script's "&" stays (was: "and" in the captions and a script_skipped warning)
    ("en", "Skin & hair love it.", "Skin and hair love it.", ["Skin", "&", "hair", "love", "it."]),
    ("de", "Haut & Haar.", "Haut und Haar.", ["Haut", "&", "Haar."]),
])
def test_drawn_symbols_and_said_symbols_keep_the_scripts_text(lang, script, heard, texts):
    words, findings = correct(_said(heard, lang), script, lang)
    assert [w.text for w in words] == texts
    assert not {f.kind for f in findings} & _NOISE, [(f.kind, f.message) for f in findings]


def test_a_changed_price_keeps_its_emoji():
    words, findings = correct(_said("Hot deal, $18.99.", "en"), "🔥 Hot deal: $19.99 🔥", "en")
    assert words[-1].text == "$18.99\u00a0🔥" and any(f.kind == "price_mismatch" for f in findings)


@pytest.mark.parametrize("lang, script, heard, shown, kind", [
    # a voice-over script writes prices as they are said: one value over several words (was: the currency word a
    # "skipped" script word and, in Spanish, a number_mismatch on an honest price)
    ("en", "It's only forty-nine dollars today.", "It's only $49 today.", "forty-nine dollars", None),
    ("es", "Solo cuarenta y nueve euros.", "Solo 49 €.", "cuarenta y nueve euros.", None),
    ("de", "Nur neunundvierzig Euro heute.", "Nur 49 € heute.", "neunundvierzig Euro", None),
    ("en", "Save twenty percent today.", "Save 20% today.", "twenty percent", None),
    # a changed one is a price error and is written in words, as the script writes it
    ("en", "It's only forty-nine dollars today.", "It's only $59 today.", "fifty nine dollars", "price_mismatch"),
    ("es", "Solo cuarenta y nueve euros.", "Solo 59 €.", "cincuenta y nueve euros.", "price_mismatch"),
    # an article is no number: "un 30 %" stays two words
    ("es", "Con el código LUZ30, un 30 % de descuento.", "Con el código luz 30, un 30% de descuento.", "30 %", None),
])
def test_a_number_written_as_it_is_said_is_one_value(lang, script, heard, shown, kind):
    words, findings = correct(_said(heard, lang), script, lang)
    assert shown in [w.text for w in words], [w.text for w in words]
    kinds = {f.kind for f in findings}
    assert not kinds & (_NOISE - {kind}), [(f.kind, f.message) for f in findings]
    if kind:
        assert kind in kinds


def test_a_lower_case_promo_code_after_the_word_code_is_a_code():
    words, findings = correct(_said("Use code glow twenty at checkout.", "en"), "Use code glow20 at checkout.", "en")
    assert [w.text for w in words] == ["Use", "code", "glow20", "at", "checkout."] and not findings[:-1]
    words, findings = correct(_said("Use code glow thirty at checkout.", "en"), "Use code glow20 at checkout.", "en")
    assert "glow30" in [w.text for w in words] and any(f.kind == "number_mismatch" for f in findings)


def test_a_date_the_recogniser_garbled_keeps_the_scripts_date_with_a_warning():
    """Seen through the CLI on an espeak Spanish ad: "treinta y uno de diciembre" came back "31. y uno de diciembre",
    which reads as no date; the captions showed that garble in place of the script's "31/12"."""
    words, findings = correct(_said("Oferta válida hasta el 31. y uno de diciembre.", "es"), "Oferta válida hasta el 31/12.", "es")
    assert words[-1].text == "31/12."
    assert any(f.kind == "number_disputed" and f.severity.value == "warning" for f in findings)
    # a date the script writes with its month's name is one value, and a changed one keeps that style
    words, findings = correct(_said("ऑफ़र 30 दिसंबर तक।", "hi"), "ऑफ़र 31 दिसंबर तक।", "hi")
    assert words[1].text == "30 दिसंबर" and any(f.kind == "number_mismatch" for f in findings)


@pytest.mark.parametrize("script, texts", [
    # Markdown from a document or a chat tool is formatting (was: "**Meet" on screen and an ad-lib warning)
    ("**Meet Glowra.** Only *$20* today.", ["Meet", "Glowra.", "Only", "$20", "today."]),
    ("# Glowra\n- Meet Glowra.\n- Only __$20__ today.", ["Glowra", "Meet", "Glowra.", "Only", "$20", "today."]),
    # a space forgotten after punctuation (was: one caption word "Glowra.Only")
    ("Meet Glowra.Only $20 today.", ["Meet", "Glowra.", "Only", "$20", "today."]),
    ("Meet Glowra,only $20 today.", ["Meet", "Glowra,", "only", "$20", "today."]),
])
def test_a_careless_scripts_formatting_never_reaches_the_captions(script, texts):
    words, findings = correct(_said("Glowra. Meet Glowra. Only $20 today.", "en"), script, "en")
    assert [w.text for w in words][-len(texts):] == texts
    assert not {f.kind for f in findings} & {"ad_lib", "price_mismatch", "number_mismatch"}
    assert clean_script("Only $19.99* today. *Terms apply.").text == "Only $19.99* today. *Terms apply."  # footnotes stay


@pytest.mark.parametrize("script, heard, shown", [
    ("现在只要¥ 99。", "现在只要99元。", "¥ 99。"),  # was: "¥" a skipped script word, the caption "99"
    ("现在只要RMB 99。", "现在只要99元。", "RMB 99。"),
    ("会员价99元/月。", "会员价99元每月。", "/"),  # "/" is said "每" (was an ad-lib)
    ("全场8.5折。", "全场八五折。", "8.5折。"),  # was: 85折 and a number_mismatch error on an honest discount
])
def test_chinese_prices_as_users_write_them(script, heard, shown):
    from captioner.hint import _split_zh

    toks = _split_zh(heard)
    tr = Transcript(text=heard, words=[Word(text=w, start=i * 0.4, end=i * 0.4 + 0.35, confidence=0.9) for i, w in enumerate(toks)],
                    language="zh", backend="test", duration=len(toks) * 0.4 + 0.5)
    words, findings = correct(tr, script, "zh")
    assert shown in [w.text for w in words] and "".join(w.text for w in words) == script.replace(" ", " ")
    assert not {f.kind for f in findings} & _NOISE, [(f.kind, f.message) for f in findings]


def test_a_hashtag_said_with_the_word_hashtag():
    words, findings = correct(_said("Join the hashtag glow up challenge.", "en"), "Join the #GlowUp challenge.", "en")
    assert [w.text for w in words] == ["Join", "the", "#GlowUp", "challenge."] and not [f for f in findings if f.kind == "ad_lib"]
    assert words[2].spoken == "hashtag glow up"


def test_24_7_said_in_words_keeps_the_scripts_writing():
    """Was three ad-lib warnings, a script_unspoken warning and "twenty four seven" on screen."""
    from captioner.align import spoken_form

    words, findings = correct(_said("Open twenty four seven.", "en"), "Open 24/7.", "en")
    assert [w.text for w in words] == ["Open", "24/7."] and not {f.kind for f in findings} & _NOISE
    assert spoken_form(words[1], "en") == "twenty four seven"


@pytest.mark.parametrize("language, script, heard, shown", [
    ("en", "Save 30%-40% today.", "Save thirty to forty percent today.", ["30%", "–", "40%"]),
    ("en", "Save 30-40% today.", "Save 30 to 40% today.", ["30", "–", "40%"]),
    ("de", "Spare 30–40 % heute.", "Spare 30 bis 40 % heute.", ["30", "–", "40 %"]),  # was a false price_mismatch error
    ("en", "Get $20-$30 gift cards.", "Get $20 to $30 gift cards.", ["$20", "–", "$30"]),
])
def test_a_range_said_with_its_dash_keeps_the_scripts_writing(language, script, heard, shown):
    from captioner.align import spoken_form

    words, findings = correct(_said(heard, language), script, language)
    texts = [w.text.replace("\u00a0", " ") for w in words]
    assert texts[1:4] == shown and not {f.kind for f in findings} & _NOISE, [(f.kind, f.message) for f in findings]
    assert spoken_form(words[2], language) == {"en": "to", "de": "bis"}[language]


def test_a_changed_end_of_a_range_is_an_error_showing_what_was_said():
    """Was "30-40% to 50%" on screen with an ad-lib warning, and no price error."""
    words, findings = correct(_said("Save 30 to 50% today.", "en"), "Save 30-40% today.", "en")
    assert [w.text for w in words] == ["Save", "30", "–", "50%", "today."]
    err = next(f for f in findings if f.kind in ("number_mismatch", "price_mismatch"))
    assert err.severity == Severity.error and "40%" in err.message


@pytest.mark.parametrize("token", ["555-1234", "24-7", "2024-2025", "12-31", "40-30%", "SAVE-20", "30-40"])
def test_what_is_not_a_range_stays_one_word(token):
    from captioner.hint import _raw_tokens

    assert _raw_tokens(f"Call {token} now.", "en") == ["Call", token, "now."]


def test_a_range_the_prompted_pass_echoes_as_a_minus():
    """Whisper with the script as its prompt wrote "30", "%", "-40", "%" for the said "thirty to forty percent" (a real
    espeak clip through the CLI): the "-40" is the range's second end, not minus forty, and the dash is not skipped."""
    ws = [Word(text=t, start=i * 0.4, end=i * 0.4 + 0.35, confidence=0.9)
          for i, t in enumerate(["Save", "30", "%", "-40", "%", "on", "every", "bottle", "today."])]
    words, findings = correct(Transcript(text="", words=ws, language="en", backend="test", duration=4.0),
                              "Save 30%-40% on every bottle today.", "en")
    assert [w.text for w in words][:4] == ["Save", "30%", "–", "40%"]
    assert not {f.kind for f in findings} & _NOISE, [(f.kind, f.message) for f in findings]


@pytest.mark.parametrize("script, heard, lang, shown", [
    ("Now the 3-in-1 cleaner is here.", "Now the 2-in-1 cleaner is here.", "en", "2-in-1"),
    ("Filmt in 1080p, ganz einfach.", "Filmt in 720p, ganz einfach.", "de", "720p,"),
    ("Compatible 5G dès aujourd'hui.", "Compatible 4G dès aujourd'hui.", "fr", "4G"),
])
def test_digits_the_number_reader_cannot_read_are_never_replaced_in_silence(script, heard, lang, shown):
    """A token with digits that is no price, number, date or time the reader knows ("3-in-1", "1080p"; "11:59" before
    times were read) used to be a spelling to fix: the recogniser's other digits became the script's with an info
    note — a changed claim shown in silence."""
    words, findings = correct(T(seq(heard), language=lang), script, lang)
    assert shown in [w.text for w in words]
    f = [x for x in findings if x.kind == "number_mismatch"]
    assert f and f[0].severity == Severity.warning and shown.rstrip(",") in f[0].spoken_text
    assert not any(x.kind == "spelling_fixed" for x in findings)
    # the same digits are still the script's, whatever the spelling around them ("3-In-1")
    words, findings = correct(T(seq(script.replace("in", "In")), language=lang), script, lang)
    assert not any(x.kind == "number_mismatch" for x in findings)


def test_four_digit_prices_said_in_pairs_are_honest():
    words, findings = correct(T(seq("Get it now for twelve ninety-nine ninety-nine today.")), "Get it now for $1,299.99 today.", "en")
    assert "$1,299.99" in [w.text for w in words]
    assert not any(f.severity == Severity.error for f in findings)


def test_a_changed_year_is_shown_as_the_script_writes_years():
    words, findings = correct(T(seq("Since 1988 we make shoes.")), "Since 1998 we make shoes.", "en")
    assert "1988" in [w.text for w in words] and any(f.kind == "number_mismatch" for f in findings)


@pytest.mark.parametrize("script, heard, lang", [
    ("Sale ends at 11:59 PM tonight.", "Sale ends at eleven fifty-nine PM tonight.", "en"),
    ("Sale ends at 11:59 PM tonight.", "Sale ends at 11.59 PM tonight.", "en"),
    ("Sale ends at 11:59 PM tonight.", "Sale ends at 11:59pm tonight.", "en"),
    ("Doors open at 9 AM sharp.", "Doors open at nine a.m. sharp.", "en"),
    ("Nur bis 23:59 Uhr heute.", "Nur bis dreiundzwanzig Uhr neunundfünfzig heute.", "de"),
    ("Nur bis 23:59 Uhr heute.", "Nur bis 23.59 Uhr heute.", "de"),
    ("Jusqu'à 23h59 ce soir.", "Jusqu'à vingt-trois heures cinquante-neuf ce soir.", "fr"),
    ("Jusqu'à 23h59 ce soir.", "Jusqu'à 23 h 59 ce soir.", "fr"),
])
def test_a_time_of_day_said_as_written_keeps_the_scripts_writing(script, heard, lang):
    words, findings = correct(T(seq(heard), language=lang), script, lang)
    assert " ".join(w.text for w in words).replace("\u00a0", " ") == script
    assert not any(f.severity in (Severity.warning, Severity.error) for f in findings), findings


@pytest.mark.parametrize("script, heard, lang, shown", [
    ("Sale ends at 11:59 PM tonight.", "Sale ends at eleven forty-nine PM tonight.", "en", "11:49\u00a0PM"),
    ("Nur bis 23:59 Uhr heute.", "Nur bis 22 Uhr 59 heute.", "de", "22:59\u00a0Uhr"),
    ("Doors open at 9 AM sharp.", "Doors open at eight a.m. sharp.", "en", "8\u00a0AM"),
])
def test_a_changed_time_of_day_is_shown_as_said_with_a_warning(script, heard, lang, shown):
    words, findings = correct(T(seq(heard), language=lang), script, lang)
    assert shown in [w.text for w in words], [w.text for w in words]
    f = [x for x in findings if x.kind == "number_mismatch"]
    assert f and f[0].severity == Severity.warning


@pytest.mark.parametrize("script, heard, lang, shown, changed", [
    ("Rated 4.9/5 by our customers.", "Rated four point nine out of five by our customers.", "en", "4.9", False),
    ("Rated 4.9 stars by our customers.", "Rated four point nine stars by our customers.", "en", "4.9", False),
    ("Bewertet mit 4,8/5 Sternen.", "Bewertet mit vier Komma acht von fünf Sternen.", "de", "4,8", False),
    ("Rated 4.9/5 by our customers.", "Rated four point seven out of five by our customers.", "en", "4.7", True),
])
def test_ratings_and_decimals_said_with_a_point_word(script, heard, lang, shown, changed):
    """A rating ("4.9/5") is its score and its scale ("/5", said "out of five"), drawn as one token; the score said
    "four point nine" is the script's. Before, "point" read as a garbled "pound" and the words came out as ad-libs."""
    from captioner.linebreak import attached

    words, findings = correct(T(seq(heard), language=lang), script, lang)
    texts = [w.text for w in words]
    assert shown in texts
    assert not any(f.kind in ("ad_lib", "script_skipped") for f in findings), findings
    if "/5" in script:
        k = texts.index("/5")
        assert texts[k - 1] == shown and attached(texts)[k - 1]  # drawn "4.9/5"
    mism = [f for f in findings if f.kind == "number_mismatch"]
    assert bool(mism) == changed


def test_a_price_with_both_separators_is_its_value():
    words, findings = correct(T(seq("Jetzt nur tausendzweihundertneunundneunzig Euro sichern."), language="de"),
                              "Jetzt nur 1,299.00 € sichern.", "de")
    assert "1,299.00 €" in [w.text for w in words] and not any(f.severity == Severity.error for f in findings)


@pytest.mark.parametrize("script, heard, lang", [
    ("Over 1.5M happy customers.", "Over one point five million happy customers.", "en"),
    ("Über 1,5 Mio. Kunden.", "Über eineinhalb Millionen Kunden.", "de"),
    ("Available in 100+ countries.", "Available in over a hundred countries.", "en"),
])
def test_counts_said_with_their_scale_keep_the_scripts_writing(script, heard, lang):
    words, findings = correct(T(seq(heard), language=lang), script, lang)
    assert " ".join(w.text for w in words).replace("\u00a0", " ") == script
    assert not any(f.severity in (Severity.warning, Severity.error) for f in findings), findings


@pytest.mark.parametrize("script, heard, lang, spoken", [
    ("Visit www.glowra.com today.", "Visit w w w dot glowra dot com today.", "en", "w w w dot glowra dot com"),
    ("Visit glowra.com/sale today.", "Visit glowra dot com slash sale today.", "en", "glowra dot com slash sale"),
    ("Besuche www.glowra.de heute.", "Besuche w w w punkt glowra punkt de heute.", "de", "w w w punkt glowra punkt de"),
])
def test_a_web_address_said_as_words_is_the_scripts(script, heard, lang, spoken):
    """"www.glowra.com" said "w w w dot glowra dot com" was four ad-libs and the address; "glowra.com/sale" said with
    "slash" came out "glowra.com/sale slash sale"."""
    words, findings = correct(T(seq(heard), language=lang), script, lang)
    assert " ".join(w.text for w in words) == script
    assert not any(f.kind in ("ad_lib", "script_skipped", "word_unscripted") for f in findings), findings
    web = next(w for w in words if "." in w.text and w.text != words[-1].text)
    assert web.spoken == spoken  # the aligner times the words said


@pytest.mark.parametrize("script, heard, lang", [
    ("Open 9am-5pm daily.", "Open nine a.m. to five p.m. daily.", "en"),
    ("Geöffnet 9-18 Uhr täglich.", "Geöffnet neun bis achtzehn Uhr täglich.", "de"),
    ("Ouvert 9h-18h tous les jours.", "Ouvert neuf heures à dix-huit heures tous les jours.", "fr"),
    ("Livraison en 48h chrono.", "Livraison en quarante-huit heures chrono.", "fr"),
    ("Delivered in 24h.", "Delivered in twenty-four hours.", "en"),
])
def test_opening_hours_and_durations(script, heard, lang):
    """Opening hours written as one token are two times and a dash said "to"; "48h" is forty-eight hours (it came out
    "48h heures" with an ad-lib). Drawn as the script wrote them."""
    from captioner.layout import Spacing

    words, findings = correct(T(seq(heard), language=lang), script, lang)
    assert not any(f.severity in (Severity.warning, Severity.error) for f in findings), findings
    texts = [w.text for w in words]
    assert Spacing(texts, lang).join(texts, range(len(texts))).replace("\u00a0", " ") == script.replace("-", "–")


@pytest.mark.parametrize("script, heard, shown, changed", [
    ("सिर्फ़ ₹499/- में।", "सिर्फ़ चार सौ निन्यानबे रुपये में।", "₹499/-", False),
    ("सिर्फ़ Rs. 499/- में।", "सिर्फ़ चार सौ निन्यानबे रुपये में।", "Rs. 499/-", False),
    ("सिर्फ़ ₹499/- में।", "सिर्फ़ पाँच सौ निन्यानबे रुपये में।", "₹599/-", True),
])
def test_an_indian_price_closed_with_a_slash_dash(script, heard, shown, changed):
    """"₹499/-" (the Indian way of closing an amount) was no price: its words came out as ad-libs."""
    words, findings = correct(T(seq(heard), language="hi"), script, "hi")
    assert shown in [w.text for w in words]
    assert any(f.kind == "price_mismatch" for f in findings) == changed
    assert not any(f.kind in ("ad_lib", "script_skipped") for f in findings)


def test_a_count_of_hours_written_out_stays_two_script_words():
    """"La batterie dure 40 heures." once became one number token "40 heures.", which moved the unprompted pass's
    alignment on a generated French ad under music (g101-fr-07-m) and put three words nobody said into the captions."""
    from captioner.hint import script_tokens

    assert script_tokens("La batterie dure 40 heures.", "fr")[0][-2:] == ["40", "heures."]
    assert script_tokens("Nur bis 23 Uhr heute.", "de")[0][2] == "23\u00a0Uhr"  # a time of day is one


@pytest.mark.parametrize("script, heard, lang", [
    ("Your 1st month is free.", "Your first month is free.", "en"),
    ("El 1º mes gratis.", "El primer mes gratis.", "es"),
    ("Le 1er mois offert.", "Le premier mois offert.", "fr"),
    ("Den 1. Monat gratis.", "Den ersten Monat gratis.", "de"),
    ("Only 99¢ today.", "Only ninety-nine cents today.", "en"),
])
def test_ordinals_and_cents_said_as_words(script, heard, lang):
    words, findings = correct(T(seq(heard), language=lang), script, lang)
    assert " ".join(w.text for w in words) == script
    assert not any(f.severity in (Severity.warning, Severity.error) for f in findings), findings


def test_a_changed_ordinal_or_cents_price_is_caught():
    words, findings = correct(T(seq("Your second month is free.")), "Your 1st month is free.", "en")
    assert "2nd" in [w.text for w in words] and any(f.kind == "number_mismatch" for f in findings)
    words, findings = correct(T(seq("Only eighty-nine cents today.")), "Only 99¢ today.", "en")
    assert "89¢" in [w.text for w in words] and any(f.kind == "price_mismatch" for f in findings)


def test_round_the_clock_said_in_full():
    """"24h/24, 7j/7" (French ads' round-the-clock) said "vingt-quatre heures sur vingt-quatre et sept jours sur sept"
    came out as the recognised words with four ad-lib warnings."""
    script = "Service client 24h/24 et 7j/7."
    words, findings = correct(T(seq("Service client vingt-quatre heures sur vingt-quatre et sept jours sur sept."),
                                language="fr"), script, "fr")
    assert " ".join(w.text for w in words) == script
    assert not any(f.severity in (Severity.warning, Severity.error) for f in findings), findings
    assert [w.spoken for w in words if w.text == "24h/24"] in ([None], ["vingt-quatre heures sur vingt-quatre"])


def test_a_lone_dash_is_no_word_to_match_against_the_script():
    """A 3 s cut of the example ad: the prompted pass ended with a lone "-" where the voice is cut off; matched
    against the script it took the place of "20%": "is 20%-" was drawn and a number_mismatch raised on nothing."""
    heard = [("Tired", 0.0, 0.6), ("of", 0.6, 0.74), ("dull", 0.74, 0.98), ("skin?", 0.98, 1.38), ("Lumewell", 1.8, 2.28),
             ("Glow", 2.28, 2.5), ("Serum", 2.5, 2.82), ("is", 2.82, 2.92), ("-", 2.92, 2.98)]
    words, findings = correct(T(heard), CUT_SCRIPT, "en")
    assert [w.text for w in words] == ["Tired", "of", "dull", "skin?", "Lumewell", "Glow", "Serum", "is"]
    assert not any(f.kind in ("number_mismatch", "price_mismatch") for f in findings)


@pytest.mark.parametrize("script, alt", [("Lumewell Glow Serum is just $49 (€45) today.", "(€45)"),
                                         ("Lumewell Glow Serum is just $49 (€45 / £39 / ₹3,999) today.", "(€45 £39 ₹3,999)")])
def test_a_price_with_its_alternatives_in_brackets(script, alt):
    """"$49 (€45)" was one script token, "$49 (€45": the changed price was drawn "$40)" and quoted "$49 (€45"; with
    three alternatives the heard "$40" was paired with "₹3,999" (the later of equal scores). Now the heard price pairs
    with the script's price in its currency, and the alternatives nobody said are reported skipped."""
    heard = [("Lumewell", 0.0, 0.5), ("Glow", 0.5, 0.7), ("Serum", 0.7, 1.0), ("is", 1.0, 1.1), ("just", 1.1, 1.4),
             ("$40", 1.4, 2.0), ("today.", 2.0, 2.5)]
    words, findings = correct(T(heard), script, "en")
    assert [w.text for w in words] == ["Lumewell", "Glow", "Serum", "is", "just", "$40", "today."]
    pm = next(f for f in findings if f.kind == "price_mismatch")
    assert pm.script_text == "$49" and pm.spoken_text == "$40"
    assert any(f.kind == "script_skipped" and f.script_text == alt for f in findings)


def test_a_line_break_inside_a_price_or_a_code_is_the_text_boxs_wrap():
    """"$19.\\n99" was captioned "for 99" (the "$19." reported skipped), "₹1,\\n299" became two numbers on two pages, and
    "code GLOW\\n20" was captioned "Use code 20". A break between two sentences stays one."""
    from captioner.hint import script_tokens

    assert script_tokens("Get 12 pods for $19.\n99 with free shipping.", "en")[0][4] == "$19.99"
    assert "₹1,299" in script_tokens("अब सिर्फ़ ₹1,\n299 में", "hi")[0]
    assert "GLOW20" in script_tokens("Use code GLOW\n20 for 20% off.", "en")[0]
    assert script_tokens("It was great.\n99 people agree.", "en")[0][2:4] == ["great.", "99"]
    heard = [("Get", 0.0, 0.2), ("12", 0.2, 0.5), ("pods", 0.5, 0.8), ("for", 0.8, 1.0), ("$19.99", 1.0, 2.0),
             ("with", 2.0, 2.2), ("free", 2.2, 2.4), ("shipping.", 2.4, 2.9)]
    words, findings = correct(T(heard), "Get 12 pods for $19.\n99 with free shipping.", "en")
    assert [w.text for w in words][4] == "$19.99" and not any(f.kind == "script_skipped" for f in findings)


def test_a_web_address_with_a_query_stays_one_word():
    from captioner.hint import script_tokens

    assert script_tokens("Visit https://lumewell.com/glow?utm=tt now.", "en")[0] == ["Visit", "https://lumewell.com/glow?utm=tt", "now."]
    assert script_tokens("Glowra.Only today, lumewell.com/a?b=c\nTap", "en")[0] == ["Glowra.", "Only", "today,", "lumewell.com/a?b=c", "Tap"]


def test_a_chinese_price_in_numerals_is_one_price():
    """"只要一百九十九元" was nine characters and no number: a changed price went on screen with no finding at all (the
    same script with "¥199" gave an error). It is one price token now, for the correction stage and the judge."""
    from captioner.hint import script_tokens
    from captioner.verify import _amount

    toks = script_tokens("现在下单只要一百九十九元，再享八折优惠！三盒装", "zh")[0]
    assert "一百九十九元，" in toks and toks[-3:] == ["三", "盒", "装"]  # a count without 元 stays characters
    assert _amount("一百九十九元，", "zh").value == 199 and _amount("一百九十九元", "zh").kind == "price"
    heard = [("现在下单只要一百六十九元", 3.0, 5.0)]
    words, findings = correct(T(heard, language="zh"), "现在下单只要一百九十九元。", "zh")
    assert any(f.kind == "price_mismatch" and f.script_text == "一百九十九元" for f in findings), [(f.kind, f.message) for f in findings]
