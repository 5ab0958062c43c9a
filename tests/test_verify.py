"""Price judge (captioner.verify): real Whisper base, real phone model, real ad audio."""
from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from captioner import numbers as num
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


def test_ctc_over_a_prefix_tree_equals_the_plain_forward_pass():
    from captioner.phones import ctc_log_likelihood

    rng = np.random.default_rng(0)
    lp = rng.normal(size=(50, 9))
    lp = lp - np.logaddexp.reduce(lp, axis=1, keepdims=True)
    seqs = [list(rng.integers(0, 8, size=rng.integers(1, 7))) for _ in range(200)] + [[3, 3, 4], [3, 3], [5, 5, 5]]
    ref = np.array([ctc_log_likelihood(lp, s, 8) for s in seqs])
    assert np.allclose(verify.ctc_trie(lp, seqs, 8), ref, atol=1e-3)
    assert np.allclose(verify.ctc_batch(lp, seqs, 8), ref, atol=1e-3)


def test_german_number_compounds_split_into_morphemes():
    assert verify._de_morphemes("hundertachtundzwanzig") == ["hundert", "acht", "und", "zwanzig"]
    assert verify._de_morphemes("neununddreißig") == ["neun", "und", "dreißig"]
    assert verify._de_morphemes("euro") is None


def _ad(folder: Path):
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return meta, (folder / "script.txt").read_text(encoding="utf-8"), load_audio(folder / "audio.flac")


def _empty(language: str, duration: float) -> Transcript:
    return Transcript(text="", words=[], language=language, backend="whisper", duration=duration, speech_duration=duration)


@pytest.fixture(scope="module")
def recognised():
    """The product's recogniser passes (prompted + unprompted witness) on a few fixture ads, run once."""
    from captioner.pipeline import recognise

    out = {}
    for folder in ("hint/ad-en-01", "align/ad-de-01", "numbers/g101-de-01"):
        d = FIX / folder
        script = (d / "script.txt").read_text(encoding="utf-8") if (d / "script.txt").exists() else None
        if script is None:  # align fixtures have no script: the DEV ad's script
            script = "Mit dem Wolkora Kissen schläfst du endlich durch. Jetzt nur 39,99 € statt 59,99 €. Link in der Bio!"
        language = folder.split("-")[1] if folder.startswith("hint") or folder.startswith("align") else "de"
        audio = load_audio(d / "audio.flac")
        out[folder] = (audio, script, language, *recognise(audio, script, language))
    return out


def _stage(rec, **kw):
    from captioner.pipeline import correct_stage

    audio, script, language, transcript, reference, findings = rec
    return correct_stage(audio, transcript, reference, script, language, findings, **kw)


def test_changed_price_is_flagged_and_shown_as_spoken(recognised):
    # g101-de-01 (generated TUNING ad): the voice says "hundertachtundzwanzig Euro neunundneunzig" where the
    # script has 77,99 €; the prompted pass writes the fragments "98,20 €,99 €", the unprompted "1820 Euro 99".
    # The price keeps its place (never the fragments, never the words after it lost) and the two acoustic
    # witnesses agree on the spoken value.
    words, findings = _stage(recognised["numbers/g101-de-01"])
    texts = [w.text for w in words]
    assert not any("98,20" in t for t in texts)
    assert texts[-2:] == ["Gleich", "zugreifen!"]
    assert "128,99 €." in texts, texts
    w = words[texts.index("128,99 €.")]
    assert w.source == "corrected" and w.spoken == "hundertachtundzwanzig Euro neunundneunzig"
    err = [f for f in findings if f.kind == "price_mismatch"]
    assert len(err) == 1 and err[0].severity == Severity.error and err[0].script_text == "77,99 €"
    assert "whisper" in err[0].message and "phones" in err[0].message  # the witnesses are named
    with pytest.raises(PriceMismatchError, match="77,99"):
        _stage(recognised["numbers/g101-de-01"], on_mismatch="fail")


def test_the_example_ads_changed_price_is_shown_as_spoken_or_disputed_never_silent(recognised):
    # DEV ad-en-01: the voice says "forty dollars" for $49. The prompted pass heard 40 and the phone model prefers it;
    # with the plain likelihood among the posterior's features (2026-12-01) the witnesses agree on $40 (p = 0.90 on
    # the AMD machine): the caption shows what was said with a price_mismatch error. Before, the Whisper decoder's PMI
    # preferred "forty two" and the caption kept $49 with an error-level dispute; the recogniser's int8 kernels differ
    # between CPUs, so a dispute is the one other outcome allowed — never claim_verified, never a value nobody said.
    words, findings = _stage(recognised["hint/ad-en-01"])
    at = [f for f in findings if f.script_text == "$49"]
    assert len(at) == 1 and at[0].kind in ("price_mismatch", "number_disputed"), [f.message for f in at]
    shown = [w.text.rstrip(".,!") for w in words if w.text.startswith("$")]
    if at[0].kind == "price_mismatch":
        assert at[0].severity == Severity.error and shown == ["$40"], (shown, at[0].message)
        assert "forty dollars" in at[0].message and "whisper" in at[0].message, at[0].message
    else:
        assert shown == ["$49"] and "recogniser heard" in at[0].message and "$40" in at[0].message, at[0].message


def test_honest_price_is_never_changed(recognised):
    # DEV ad-de-01 says both prices as written; the unprompted witness hears "99 Euro 99" for the first
    words, findings = _stage(recognised["align/ad-de-01"])
    texts = [w.text.rstrip(".") for w in words]
    assert "39,99 €" in texts and "59,99 €" in texts
    assert not [f for f in findings if f.kind in ("price_mismatch", "number_mismatch")], [f.message for f in findings]


def test_a_misheard_number_the_voice_says_as_written_is_never_changed():
    # ad-es-03: both Whisper passes hear "150 gramos"; the voice says "doscientos cincuenta" as the script has
    # it. The caption keeps 250: verified by the acoustic witnesses (float32 scores), or at worst a warning-level
    # dispute — never the recognisers' 150, never an error.
    meta, script, audio = _ad(FIX / "hint" / "ad-es-03")
    n = meta["numbers"][0]
    words = [Word(text=t, start=0.3 + 0.35 * k, end=0.6 + 0.35 * k) for k, t in enumerate(
        "Dulcera, el endulzante natural sin calorías. Bote de".split())]
    words.append(Word(text="150", start=n["start_s"], end=n["end_s"], source="asr", spoken="ciento cincuenta"))
    words += [Word(text=t, start=n["end_s"] + 0.3 * k, end=n["end_s"] + 0.3 * k + 0.25) for k, t in enumerate(
        "gramos por 8,50\u00a0€. Cómpralo en el enlace.".split(" "), 1)]
    i = 8
    f = Finding(kind="number_mismatch", severity=Severity.warning, message="the voice says “150” …", start=n["start_s"],
                end=n["end_s"], script_text="250", spoken_text="150", word_indices=[i])
    words2, findings2 = verify.verify_numbers(audio, words, [f], "es")
    assert words2[i].text == "250" and words2[i].source == "script"
    at = [x for x in findings2 if x.word_indices == [i]]
    assert len(at) == 1 and (at[0].kind == "claim_verified" or (at[0].kind == "number_disputed"
                                                                and at[0].severity == Severity.warning)), at


def _caption_of(folder: Path, language: str) -> tuple[np.ndarray, list[Word]]:
    """A fixture ad's script as caption words, evenly timed (the judge times them by the phone model), numbers with
    their spoken forms: the judge alone, no recogniser (whose int8 output differs between CPUs)."""
    audio = load_audio(folder / "audio.flac")
    toks = (folder / "script.txt").read_text(encoding="utf-8").split()
    texts = []
    for t in toks:
        if t == "€" and texts:
            texts[-1] += "\u00a0€"
        else:
            texts.append(t)
    step = (len(audio) / 16000 - 0.6) / len(texts)
    words = []
    for i, t in enumerate(texts):
        a = num.parse_written(t.strip(".,!?"), language)
        sp = num.spoken_form(a, language) if a is not None and a.value is not None and a.kind != "date" else None
        words.append(Word(text=t, start=0.3 + i * step, end=0.3 + (i + 1) * step - 0.02, spoken=sp))
    return audio, words


def test_dispute_keeps_the_script_value_with_a_warning():
    # DEV ad-fr-01 says "vingt-neuf euros quatre-vingt-dix" where the script has 24,90 €. Judged from the audio alone
    # (no recogniser heard anything), the Whisper decoder's scores favour 29,90 € at p = 0.48 and nothing rules the
    # script's value out: a warning-level dispute that names both readings; the caption keeps the script's value;
    # --on-mismatch fail fails on it. (Until 2026-12-01 this test used ad-es-02's "LUZ30", which the judge now verifies.)
    audio, words = _caption_of(FIX / "hint" / "ad-fr-01", "fr")
    words2, findings = verify.verify_numbers(audio, words, [], "fr")
    at = [f for f in findings if (f.script_text or "").startswith("24,90")]
    assert [(f.kind, f.severity) for f in at] == [("number_disputed", Severity.warning)], [f.message for f in at]
    assert "29,90" in at[0].message and "captions keep" in at[0].message, at[0].message
    assert [w.text for w in words2] == [w.text for w in words]
    from captioner.hint import enforce

    enforce(findings, "flag")  # flagging never raises
    with pytest.raises(PriceMismatchError):  # --on-mismatch fail fails on a dispute too
        enforce(findings, "fail")


def test_the_judge_alone_rules_out_the_example_ads_price():
    # the example ad judged from its audio alone: $49 is ruled out (an error-level dispute), $40 named first
    audio, words = _caption_of(FIX / "hint" / "ad-en-01", "en")
    _, findings = verify.verify_numbers(audio, words, [], "en")
    at = [f for f in findings if (f.script_text or "").startswith("$49")]
    assert [(f.kind, f.severity) for f in at] == [("number_disputed", Severity.error)], [f.message for f in at]
    assert at[0].message.index("$40") < at[0].message.index("$42"), at[0].message


def test_voice_nobody_can_follow_is_never_verified():
    # a Chinese script over an English voice: no witness hears the claims; they are disputed (named, kept),
    # never verified and never changed
    audio = load_audio(FIX / "hint" / "ad-en-01" / "audio.flac")
    script = "悦澜精华液，28天肌肤焕亮。现在下单只要¥199，再享8折优惠！"
    words, findings = correct(_empty("zh", len(audio) / 16000), script, "zh")
    words2, findings2 = verify.verify_numbers(audio, words, findings, "zh")
    assert [w.text for w in words2] == [w.text for w in words]
    assert not any(f.kind in ("claim_verified", "price_mismatch") for f in findings2), [f.message for f in findings2]
    assert any(f.kind == "number_disputed" and f.script_text.startswith("¥199") for f in findings2)


def test_long_ad_is_judged_in_local_windows():
    # ~40 s and 90+ words: the whole caption text would not fit Whisper's 448 decoder positions; each number
    # is judged in a window of its own
    parts, scripts = [], []
    for ad in ("ad-en-01", "ad-en-02", "ad-en-03", "ad-en-04"):
        parts.append(load_audio(FIX / "align" / ad / "audio.flac"))
        scripts.append((FIX / "align" / ad / "spoken.txt").read_text(encoding="utf-8").strip())
    audio = np.concatenate(parts)
    script = " ".join(scripts).replace("forty dollars", "$49")
    words, findings = correct(_empty("en", len(audio) / 16000), script, "en")
    assert sum(len(w.text.split()) for w in words) > 80  # spoken words (a number said in words is one caption word)
    words2, findings2 = verify.verify_numbers(audio, words, findings, "en")
    verdicts = [f for f in findings2 if f.kind in ("claim_verified", "price_mismatch", "number_disputed")]
    assert any(f.script_text == "$49" for f in verdicts)


def test_findings_of_the_caller_are_not_mutated():
    meta, script, audio = _ad(FIX / "hint" / "ad-fr-01")
    words, findings = correct(_empty("fr", len(audio) / 16000), script, "fr")
    snapshot = [f.model_dump() for f in findings]
    wsnap = [w.model_dump() for w in words]
    verify.verify_numbers(audio, words, findings, "fr")
    assert [f.model_dump() for f in findings] == snapshot
    assert [w.model_dump() for w in words] == wsnap


def _case(script: str, readings: list[tuple], hearing: float = 2.0, phone_fit: float = -1.0) -> verify.Case:
    """A judged case from witness scores: (value, pmi, ctc, heard) per reading; the script's reading first."""
    c = verify.Case(0, num.Amount("price", Decimal(script), "USD"), "$" + script)
    c.hearing, c.phone_fit = hearing, phone_fit
    for v, pmi, ctc, heard in readings:
        r = verify.Reading(Decimal(v), "", heard=set(heard))
        r.pmi, r.ctc, r.phones, r.tokens = pmi, ctc, 6, 4
        c.readings.append(r)
    c.prompted = next((r.value for r in c.readings if "prompted" in r.heard), None)
    c.unprompted = next((r.value for r in c.readings if "unprompted" in r.heard), None)
    return c


def test_posterior_rule_policy():
    """The posterior rule's policy on hand-made evidence (weights of the shape the fit gives)."""
    o = verify.VerifyOptions(rule="posterior", post_weights=(0.45, -0.2, 0.25, 0.3, 1.6, 0.4, 4.2, -0.6, 0.0, 0.0), post_clip=20.0,
                             post_flag=0.8, post_verify=0.9, margin_whisper=3.0, margin_phones=8.0)
    # the recogniser heard 40, both acoustic witnesses prefer it by far: shown as spoken, with an error
    c = _case("49", [("49", -30.0, -60.0, {"script"}), ("40", -10.0, -40.0, {"prompted"}), ("42", -25.0, -55.0, set())])
    p = dict((r.value, q) for r, q in verify.posterior(c, o))
    assert abs(sum(p.values()) - 1) < 1e-9 and p[Decimal(40)] > 0.8
    v = verify.decide(c, o)
    assert v.kind == "mismatch" and v.value == Decimal(40) and {"prompted", "whisper", "phones"} <= set(v.witnesses)
    # the same, but the phone model prefers the script's reading past its margin: a witness against, disputed
    c = _case("49", [("49", -30.0, -30.0, {"script"}), ("40", -10.0, -40.0, {"prompted"})])
    assert verify.decide(c, o).kind == "disputed"
    # a reading no recogniser heard, carried by the two acoustic witnesses: shown unless need_heard (then the
    # script's value is still rejected: an error-level dispute)
    c = _case("49", [("49", -30.0, -60.0, {"script"}), ("40", -10.0, -40.0, set())])
    assert verify.decide(c, o).kind == "mismatch"
    assert verify.decide(c, verify.VerifyOptions(**{**o.__dict__, "need_heard": True})).kind == "rejected"
    # two near readings the witnesses cannot tell apart: neither reaches post_flag, but the script's reading is
    # out of the question (posterior <= post_reject): an error-level dispute, the script's value kept on screen
    c = _case("49", [("49", -30.0, -60.0, {"script"}), ("40", -10.0, -40.0, set()), ("41", -10.5, -40.5, set())])
    v = verify.decide(c, o)
    assert v.kind == "rejected" and v.value == Decimal(49) and v.p_script <= o.post_reject and v.other.value in (40, 41)
    assert verify.decide(c, verify.VerifyOptions(**{**o.__dict__, "post_reject": 0.0})).kind == "disputed"
    words = [Word(text="only", start=0.0, end=0.3), Word(text="$49.", start=0.4, end=1.0, spoken="forty nine dollars")]
    c.index = 1
    w2, f2 = verify.apply_verdicts([c], words, [], "en", o)
    err = [f for f in f2 if f.kind == "number_disputed"]
    assert w2[1].text == "$49." and len(err) == 1 and err[0].severity == Severity.error
    assert "$40" in err[0].message and "$41" in err[0].message and "does not say" in err[0].message
    from captioner.hint import enforce

    enforce(f2, "flag")
    with pytest.raises(PriceMismatchError):
        enforce(f2, "fail")
    # the script's reading merely less likely than another (posterior above post_reject): a warning-level dispute
    c = _case("49", [("49", -16.0, -46.0, {"script"}), ("40", -10.0, -40.0, set())])
    v = verify.decide(c, o)
    assert v.kind == "disputed" and v.p_script > o.post_reject
    # the witnesses prefer the script's reading by far: verified
    c = _case("49", [("49", -5.0, -20.0, {"script", "prompted"}), ("40", -30.0, -50.0, set())])
    assert verify.decide(c, o).kind == "verified"
    # a whisper witness that cannot follow the voice (hearing below min_hearing) does not vote
    c = _case("49", [("49", -30.0, -60.0, {"script"}), ("40", -10.0, -40.0, set())], hearing=0.1)
    assert verify.decide(c, o).kind == "disputed"


def test_whisper_witness_numpy_judge_scores_as_ctranslate2_did():
    """The judge scores a window's readings in one batch with its own numpy Whisper (`whisper_scorer`); the PMI values
    are those of one CTranslate2 float32 `Whisper.align` request per reading and per audio, the judge's numbers
    before (real audio, real models)."""
    from captioner.asr.whisper import load_judge_model, load_model, workers_of

    audio = load_audio(Path(__file__).parent / "fixtures" / "media" / "ad-en-02" / "audio.flac")[: 16000 * 8]
    texts = [f"get twelve pods for {x} dollars and ninety nine cents with free shipping"
             for x in ("nineteen", "ninety", "twenty nine")]
    ct2 = load_model(None, 1, compute_type="float32", workers=2)
    assert workers_of(ct2) == 2  # the CTranslate2 path scores two requests side by side
    a = verify.WhisperWitness(load_judge_model(), "en").pmi((0, 8), audio, texts)
    b = verify.WhisperWitness(ct2, "en").pmi((0, 8), audio, texts)
    assert [n for _, n in a] == [n for _, n in b] and all(np.isfinite(p) for p, _ in a)
    assert np.allclose([p for p, _ in a], [p for p, _ in b], atol=0.01), (a, b)
    assert max(a)[0] == a[0][0]  # the spoken "nineteen ... ninety nine" reads best (by 2.2 and 5.9 nats in float32)


def test_judge_scores_are_float32_whatever_the_int8_kernels():
    """The judge's margins were calibrated on one machine; its scores must mean the same on every CPU. CTranslate2's
    int8 kernels differ between CPUs (oneDNN on AMD AVX2, MKL on Intel: 1-6 nats apart on DEV ad-en-01), so the
    judge scores in float32 (its own numpy Whisper, the same numbers as CTranslate2's float32 model on oneDNN and
    MKL); the recogniser keeps its int8 model."""
    from captioner.asr.whisper import load_judge_model, load_model

    judge, asr = load_judge_model(), load_model()
    assert judge is not asr and judge.compute_type == "float32" and asr.model.compute_type.startswith("int8")
    audio = load_audio(Path(__file__).parent / "fixtures" / "media" / "ad-en-02" / "audio.flac")[: 16000 * 8]
    text = "get twelve pods for nineteen dollars and ninety nine cents with free shipping"
    # reference value computed in float32 (identical on oneDNN/AMD AVX2 and MKL: 43.425 nats)
    (pmi, n), = verify.WhisperWitness(judge, "en").pmi((0, 8), audio, [text])
    assert abs(pmi - 43.425) < 0.05 and n > 10, pmi  # int8 kernels: 43.05 (MKL), 47.90 (oneDNN)


def test_a_verified_price_has_beaten_its_one_digit_neighbours(recognised):
    """"verified" lets a price through without a word, so before it is given the script value's one-digit
    neighbours (39,98 €, 49,99 €, …) are scored too: the posterior must have weighed the nearest rivals, not only
    what somebody proposed (seed 505 verified 1.499 € said 9.499 € that way). DEV ad-de-01 says both prices as
    written: still verified after the check, and the check did run."""
    from captioner.pipeline import hotwords

    audio, script, language, transcript, reference, found = recognised["align/ad-de-01"]
    words, fixes = correct(transcript, script, language, on_mismatch="flag", terms=hotwords(script), reference=reference)
    cases = verify.gather(audio, words, found + fixes, language, reference=reference)
    checked = [c for c in cases if any(r.neighbour for r in c.readings)]
    assert checked, [(c.script_text, verify.decide(c).kind) for c in cases]
    for c in checked:
        values = {r.value for r in c.readings}
        assert {v for v in verify.one_digit_changes(c.script.value) if v > 0} <= values
        assert verify.decide(c).kind == "verified", (c.script_text, verify.posterior(c)[:3])
    plain = verify.gather(audio, words, found + fixes, language, reference=reference,
                          options=verify.VerifyOptions(verify_neighbours=False))
    assert not any(r.neighbour for c in plain for r in c.readings)


def test_one_digit_neighbours_veto_a_verification():
    """Neighbours stay out of the posterior and veto a verification: the Whisper decoder past its margin always;
    the phone model past its margin only where the Whisper decoder does not rule the neighbour out."""
    o = verify.VerifyOptions(rule="posterior", post_weights=(0.45, -0.2, 0.25, 0.3, 1.6, 0.4, 4.2, -0.6, 0.0, 0.0), post_clip=20.0,
                             post_flag=0.8, post_verify=0.9, margin_whisper=3.0, margin_phones=8.0)

    def with_neighbour(pmi: float, ctc: float, hearing: float = 2.0) -> verify.Case:
        c = _case("1499", [("1499", -5.0, -20.0, {"script", "prompted"}), ("1390", -30.0, -50.0, set())], hearing=hearing)
        r = verify.Reading(Decimal(9499), "", neighbour=True)
        r.pmi, r.ctc, r.phones, r.tokens = pmi, ctc, 6, 4
        c.readings.append(r)
        return c

    assert verify.decide(with_neighbour(-30.0, -60.0), o).kind == "verified"  # every witness rules it out
    c = with_neighbour(+4.8, -37.0)  # Whisper +9.8 nats, the phone model -17: seed 505's g505-de-03-m
    p = verify.posterior(c, o)
    assert {r.value for r, _ in p} == {Decimal(1499), Decimal(1390)}  # not in the calibrated posterior
    v = verify.decide(c, o)
    assert v.kind == "disputed" and v.other.value == Decimal(9499) and v.witnesses == ["whisper"]
    assert verify.decide(with_neighbour(-25.0, -5.0), o).kind == "verified"  # phones +15, Whisper -20: ruled out
    assert verify.decide(with_neighbour(-6.0, -5.0), o).kind == "disputed"  # phones +15, Whisper only -1
    assert verify.decide(with_neighbour(-30.0, -5.0, hearing=0.1), o).kind == "disputed"  # Whisper does not vote
    words = [Word(text="only", start=0.0, end=0.3), Word(text="$1,499.", start=0.4, end=1.0)]
    c.index = 1
    _, f = verify.apply_verdicts([c], words, [], "en", o)
    w = [x for x in f if x.kind == "number_disputed"]
    assert w and w[0].severity == Severity.warning and "one digit away" in w[0].message and "$9499" in w[0].message, w  # as the case's script ("$1499") writes it


def test_a_tie_with_a_neighbour_is_not_a_verification():
    """Seed 606: "81,99 €" said "quarante et un euros quatre-vingt-dix-neuf" under a music bed was verified: the
    one-digit neighbour 41,99 € was scored, but the Whisper decoder and the phone model each put it within 0.1 nats
    of the script's reading, so no witness vetoed. A tie is not "agreeing with a margin": the script's reading must
    also win against each neighbour with the verifying level of the calibrated posterior taken over the two
    (shipped weights and thresholds)."""
    o = verify.VerifyOptions()

    def with_neighbour(d_pmi: float, d_ctc: float) -> verify.Case:
        c = _case("81.99", [("81.99", -5.0, -20.0, {"script"}), ("41.49", -30.0, -60.0, set())])
        r = verify.Reading(Decimal("41.99"), "", neighbour=True)
        r.pmi, r.ctc, r.phones, r.tokens = -5.0 + d_pmi, -20.0 + d_ctc, 6, 4
        c.readings.append(r)
        c.index = 1
        return c

    assert verify.decide(with_neighbour(-20.0, -30.0), o).kind == "verified"  # the neighbour far behind
    c = with_neighbour(-0.1, +0.1)  # g606-fr-08-m
    assert verify.head_to_head(c, c.reading(Decimal("81.99")), c.reading(Decimal("41.99")), o) < o.post_verify
    v = verify.decide(c, o)
    assert v.kind == "disputed" and v.other.value == Decimal("41.99")
    words = [Word(text="only", start=0.0, end=0.3), Word(text="$81.99.", start=0.4, end=1.0)]
    w2, f = verify.apply_verdicts([c], words, [], "en", o)
    d = [x for x in f if x.kind == "number_disputed"]
    assert d and d[0].severity == Severity.warning and "$41.99" in d[0].message and "as well as" in d[0].message, d
    assert w2[1].text == "$81.99." and not any(x.kind == "claim_verified" for x in f)


def test_a_value_shown_must_lead_its_own_neighbours():
    """Seed 808: 32,99 € shown (an error, p = 0.99) for "30,95 €" said "zweiunddreißig Euro neunundvierzig": 32,49 €,
    one digit from the shown value, was never a reading. The shown value's own one-digit neighbours are scored
    before it is shown, and it must stay the likeliest reading among them; else the script's value is rejected
    (an error naming the likely values) and no value is shown. Only the lead is asked: a true 128,99 € keeps the
    lead over 828,99 € at 0.42 (Whisper base rarely separates a hundreds digit)."""
    o = verify.VerifyOptions(rule="posterior", post_weights=(0.45, -0.2, 0.25, 0.3, 1.6, 0.4, 4.2, -0.6, 0.0, 0.0), post_clip=20.0,
                             post_flag=0.8, post_verify=0.9, margin_whisper=3.0, margin_phones=8.0)
    c = _case("30.95", [("30.95", -30.0, -60.0, {"script"}), ("32.99", -10.0, -40.0, {"unprompted"})])
    assert verify.decide(c, o).kind == "mismatch"
    r = verify.Reading(Decimal("32.49"), "", neighbour=True, of_shown=True)
    r.phones, r.tokens = 6, 4
    c.readings.append(r)
    r.pmi, r.ctc = -7.0, -40.0  # Whisper prefers the neighbour of the shown value
    v = verify.decide(c, o)
    assert v.kind == "rejected" and v.value == Decimal("30.95")
    r.pmi, r.ctc = -11.0, -41.0  # close behind: the shown value still leads, it is shown
    v = verify.decide(c, o)
    assert v.kind == "mismatch" and v.value == Decimal("32.99")


def test_a_value_shown_must_hold_its_posterior_with_the_neighbours():
    """Seed 606: 13,90 € shown at p = 0.97 for "31,90 €" said "dreißig Euro neunzig" — 30,90 €, one digit from the
    script's value, was never a reading. With the neighbours among the readings the two split the probability:
    no value is shown, the script's is rejected (an error), and the message names both."""
    o = verify.VerifyOptions(rule="posterior", post_weights=(0.45, -0.2, 0.25, 0.3, 1.6, 0.4, 4.2, -0.6, 0.0, 0.0), post_clip=20.0,
                             post_flag=0.8, post_verify=0.9, margin_whisper=3.0, margin_phones=8.0)
    c = _case("31.90", [("31.90", -30.0, -60.0, {"script"}), ("13.90", -10.0, -40.0, set())])
    assert verify.decide(c, o).kind == "mismatch"
    r = verify.Reading(Decimal("30.90"), "", neighbour=True)
    r.pmi, r.ctc, r.phones, r.tokens = -10.2, -40.2, 6, 4
    c.readings.append(r)
    v = verify.decide(c, o)
    assert v.kind == "rejected" and v.value == Decimal("31.90")
    r.pmi, r.ctc = -40.0, -70.0  # a neighbour far behind changes nothing
    assert verify.decide(c, o).kind == "mismatch"


def test_a_value_both_passes_wrote_is_shown_where_the_script_is_ruled_out():
    """Seed 707: both recogniser passes wrote "$338" where the script has "$179" (the prompted one against its own
    prompt); the acoustic witnesses put $338 first but spread the rest over one-digit neighbours nobody heard, so its
    posterior stayed under post_flag and the script's value stayed on screen with an error. Where the script's value
    is ruled out, a value both passes wrote is shown when it leads — also among its own neighbours — and no voting
    acoustic witness prefers the script's reading to it."""
    o = verify.VerifyOptions(rule="posterior", post_weights=(0.45, -0.2, 0.25, 0.3, 1.6, 0.4, 4.2, -0.6, 0.0, 0.0), post_clip=20.0,
                             post_flag=0.95, post_verify=0.9, margin_whisper=3.0, margin_phones=8.0)

    def case(heard=("prompted", "unprompted")):
        return _case("179", [("179", -40.0, -80.0, {"script"}), ("338", -10.0, -40.0, set(heard)),
                             ("328", -10.2, -40.5, set()), ("313", -10.4, -40.8, set())])

    c = case()
    top, p = verify.posterior(c, o)[0]
    assert top.value == Decimal(338) and p < o.post_flag  # not sure enough for the ordinary rule
    v = verify.decide(c, o)
    assert v.kind == "mismatch" and v.value == Decimal(338) and {"prompted", "unprompted"} <= set(v.witnesses)
    words = [Word(text="only", start=0.0, end=0.3), Word(text="$179.", start=0.4, end=1.0, spoken="one hundred seventy nine dollars")]
    c.index = 1
    w2, f2 = verify.apply_verdicts([c], words, [], "en", o)
    assert w2[1].text.startswith("$338") and any(f.kind == "price_mismatch" and f.severity == Severity.error for f in f2)
    # one pass alone is not enough: the error-level dispute keeps the script's value
    assert verify.decide(case(("unprompted",)), o).kind == "rejected"
    assert verify.decide(case(("prompted",)), o).kind == "rejected"
    # switched off: as before
    assert verify.decide(case(), replace(o, both_heard_shows=False)).kind == "rejected"
    # a neighbour of the shown value that nobody heard leads once scored: not shown
    c = case()
    r = verify.Reading(Decimal(336), "", neighbour=True, of_shown=True)
    r.pmi, r.ctc, r.phones, r.tokens = -4.0, -35.0, 6, 4  # far ahead of $338 for both acoustic witnesses
    c.readings.append(r)
    assert verify.decide(c, o).kind == "rejected"


def test_a_value_out_of_the_numbers_shape_is_no_reading_of_it():
    """Seed 1212: the unprompted pass ran "$44.90 instead of $75.90" into one number, "4490179590". Taken as a reading
    of both prices, it led the posterior for "$47.90" and made the honest "$75.90" a dispute. Out of shape, it is not a
    reading of either; what the pass wrote is still named in the messages."""
    s = num.parse_written("$47.90", "en")
    assert verify.in_shape(Decimal("44.90"), s) and verify.in_shape(Decimal("1499"), s)  # one more digit: a reading
    assert not verify.in_shape(Decimal("10000"), s) and not verify.in_shape(Decimal("4490179590"), s)
    assert verify.in_shape(Decimal("12999"), num.parse_written("$1,499", "en"))
    assert not verify.in_shape(None, s)
    assert verify.in_shape(Decimal("150"), num.parse_written("20%", "en"))

    texts = ["Get", "it", "for", "$47.90", "instead", "of", "$75.90."]
    spoken = {3: "forty seven ninety", 6: "seventy five ninety"}
    words = [Word(text=t, start=0.4 * k, end=0.4 * k + 0.35, spoken=spoken.get(k)) for k, t in enumerate(texts)]

    def heard(ref):
        tr = Transcript(text=" ".join(w.text for w in ref), words=ref, language="en", backend="whisper", duration=3.0,
                        speech_duration=3.0)
        return verify._cases(words, [], "en", tr, verify.VerifyOptions())

    merged = heard(words[:3] + [Word(text="4490179590,", start=1.2, end=2.75)])  # one "number" over both prices
    assert [c.script_text for c in merged] == ["$47.90", "$75.90."[:-1]]
    assert [c.unprompted for c in merged] == [None, None]
    assert [c.unprompted_text for c in merged] == ["4490179590,"] * 2  # still named: "the unprompted recogniser heard …"
    plain = heard(words[:3] + [Word(text="$44.90", start=1.2, end=1.55)] + words[4:])
    assert [c.unprompted for c in plain] == [Decimal("44.90"), Decimal("75.90")]


def test_a_veto_stops_the_neighbour_scoring_and_keeps_the_verdict():
    """Before a verification the script value's one-digit neighbours are scored by the Whisper decoder a few at a
    time (the phone model's likeliest first) and the scoring stops at the first veto: the verdict is the one all 31
    would give. DEV ad-en-02 says "$19.99" as written; the recogniser passes as they ran on it (the prompted words,
    and the unprompted pass's "99"), kept here so that the test does not hang on the int8 recogniser's CPU: the
    posterior would verify, "$19.29" vetoes (the decoder's PMI prefers it past its margin)."""
    spans = [("I", 0.0, 0.4), ("switched", 0.4, 0.8), ("to", 0.8, 1.06), ("Brewvana", 1.06, 1.38), ("cold", 1.38, 1.76),
             ("brew", 1.76, 2.04), ("pods", 2.04, 2.36), ("and", 2.36, 2.78), ("never", 2.78, 3.08), ("looked", 3.08, 3.38),
             ("back.", 3.38, 4.0), ("Get", 4.04, 4.32), ("12", 4.32, 4.72), ("pods", 4.72, 5.12), ("for", 5.12, 5.44),
             ("$19.99", 5.44, 6.42), ("with", 6.42, 6.74), ("free", 6.74, 6.98), ("shipping.", 6.98, 7.36),
             ("Order", 7.82, 8.1), ("now!", 8.1, 8.42)]
    spoken = {"12": "twelve", "$19.99": "nineteen ninety nine"}
    words = [Word(text=t, start=a, end=b, spoken=spoken.get(t)) for t, a, b in spans]
    heard = Finding(kind="unverified_claim", severity=Severity.warning, message="the unprompted pass heard “99”",
                    start=5.44, end=6.42, script_text="$19.99", spoken_text="99", word_indices=[15])
    audio = load_audio(FIX / "align" / "ad-en-02" / "audio.flac")
    runs = {}
    for chunk in (8, 0):
        o = verify.VerifyOptions(veto_chunk=chunk)
        (c,) = verify.gather(audio, words, [heard], "en", options=o)
        runs[chunk] = (c, verify.decide(c, o))
    (cut, v), (full, w) = runs[8], runs[0]
    assert {x for x in verify.one_digit_changes(Decimal("19.99")) if x > 0} <= {r.value for r in full.readings}
    n = sum(r.neighbour for r in full.readings)  # those not already readings (heard, proposed)
    assert w.kind == "disputed" and w.other is not None and w.other.neighbour, (w.kind, w.other)
    assert (v.kind, v.value) == (w.kind, w.value) and v.other.neighbour
    assert 0 < sum(r.neighbour for r in cut.readings) < n  # stopped early
    assert all(math.isfinite(r.pmi) for r in cut.readings)  # every neighbour kept was scored


def test_the_judge_keeps_a_numbers_sign_whatever_it_decides():
    """The correction stage's finding named "-20 %" as "20 %" (punctuation stripping ate the sign), so a dispute put
    "20 %" on screen for the script's "-20 %" and the aligner reported the spoken "minus" as speech nobody wrote."""
    from decimal import Decimal

    from captioner.hint import correct
    from captioner.types import Transcript, Word
    from captioner.numbers import spoken_form
    from captioner.verify import Reading, Verdict, VerifyOptions, _apply, _cases

    said = "Jetzt minus 30 Prozent auf alles."
    ws = [Word(text=w, start=i * 0.4, end=i * 0.4 + 0.35, confidence=0.9) for i, w in enumerate(said.split())]
    words, findings = correct(Transcript(text=said, words=ws, language="de", backend="test", duration=3.0),
                              "Jetzt -20 % auf alles.", "de")
    assert "-30 %" in [w.text for w in words]
    for kind, value, text, spoken in (("disputed", "20", "-20 %", "minus zwanzig Prozent"),
                                      ("mismatch", "30", "-30 %", "minus dreißig Prozent")):
        w2, f2 = list(words), list(findings)
        (c,) = _cases(w2, f2, "de", None, VerifyOptions())
        assert c.script_text == "-20 %"
        c.readings = [Reading(Decimal("20"), spoken_form(c.script, "de"))]  # as `gather` adds it
        _apply(c, Verdict(kind, Decimal(value), probability=0.9, witnesses=["whisper", "phones"]), w2, f2, "de")
        assert (w2[c.index].text, w2[c.index].spoken) == (text, spoken)


@pytest.mark.parametrize("folder, shown, changed", [
    ("time-en-01", "11:49\u00a0PM", True),  # the voice says "eleven forty-nine PM" for the script's "11:59 PM"
    ("time-de-01", "23:59\u00a0Uhr.", False),  # "dreiundzwanzig Uhr neunundfünfzig", as written
])
def test_a_time_of_day_through_the_cli(tmp_path, folder, shown, changed):
    """Times of day are read and judged like numbers: a changed deadline is shown as said with a warning (the
    recogniser heard "11.45 PM"; the judge's witnesses put 11:49 first), an honest one keeps the script's writing."""
    from .conftest import make_video, run_cli

    d = FIX / "numbers" / folder
    meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
    video = make_video(tmp_path / "ad.mp4", d / "audio.flac")
    proc = run_cli("caption", str(video), "--script", str(d / "script.txt"), "--language", meta["language"],
                   "--out", str(tmp_path / "out.mp4"))
    assert proc.returncode == 0, proc.stderr
    out = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    texts = [w["text"] for w in out["words"]]
    mism = [f for f in out["findings"] if f["kind"] in ("number_mismatch", "number_disputed", "price_mismatch")]
    if changed:
        # never silent; on the machines measured (AMD EPYC) the judge shows 11:49 PM (p = 0.84). The recogniser's int8
        # output differs by CPU, so a dispute that keeps the script's value with a warning is the other allowed outcome
        assert mism and all(f["severity"] == "warning" for f in mism), out["findings"]
        assert shown in texts or ("11:59\u00a0PM" in texts and any(f["kind"] == "number_disputed" for f in mism)), texts
    else:
        assert shown in texts, texts
        assert not mism and not any(f["severity"] == "error" for f in out["findings"])
    srt = (tmp_path / "out.srt").read_text(encoding="utf-8").replace("\u00a0", " ")
    assert any(t.replace("\u00a0", " ").rstrip(".") in srt for t in texts if ":" in t)


def test_a_shown_value_told_apart_from_its_neighbours_when_asked():
    """`separate_shown` (off as shipped; tried 2026-12-02): a value about to be shown must be preferred to each of its
    own scored one-digit neighbours by some acoustic witness past that fraction of its margin."""
    o = verify.VerifyOptions(rule="posterior", post_weights=(0.45, -0.2, 0.25, 0.3, 1.6, 0.4, 4.2, -0.6, 0.0, 0.0), post_clip=20.0,
                             post_flag=0.8, post_verify=0.9, margin_whisper=3.0, margin_phones=8.0)
    c = _case("30.95", [("30.95", -30.0, -60.0, {"script"}), ("32.99", -10.0, -40.0, {"unprompted"})])
    r = verify.Reading(Decimal("32.49"), "", neighbour=True, of_shown=True)
    r.phones, r.tokens, r.pmi, r.ctc = 6, 4, -11.0, -41.0  # 1 nat behind for both witnesses: it still leads
    c.readings.append(r)
    assert verify.decide(c, o).kind == "mismatch"
    assert verify.decide(c, replace(o, separate_shown=0.5)).kind != "mismatch"  # 1 nat < 0.5 × 3.0: not told apart
    r.pmi = -13.0  # Whisper now 3 nats behind: past half its margin
    assert verify.decide(c, replace(o, separate_shown=0.5)).kind == "mismatch"


def test_a_number_is_timed_by_the_wording_the_phone_model_heard():
    """₹3,499 said "तीन हज़ार चार सौ निन्यानबे रुपये" (three thousand four hundred …) was aligned as the canonical
    "चौंतीस सौ निन्यानबे रुपये" (thirty-four hundred …): it lit up 0.83 s late and its speech was reported as an ad-lib
    (generated ad g5151-hi-03). The judge scores every common wording; the word now carries the one heard best."""
    from captioner.types import Word
    from captioner.verify import Case, Reading, Verdict, _apply

    a = num.parse_written("₹3,499", "hi")
    forms = num.spoken_variants(a, "hi")
    assert forms[0] == "चौंतीस सौ निन्यानबे रुपये" and "तीन हज़ार चार सौ निन्यानबे रुपये" in forms
    r = Reading(a.value, forms[0], alts=forms[1:], best_form="तीन हज़ार चार सौ निन्यानबे रुपये")
    c = Case(0, a, "₹3,499", readings=[r])
    words = [Word(text="₹3,499", start=9.0, end=10.0, source="script", spoken=forms[0])]
    findings: list = []
    _apply(c, Verdict("verified", a.value, None, 0.0, ["phones"], 1.0), words, findings, "hi")
    assert words[0].spoken == "तीन हज़ार चार सौ निन्यानबे रुपये" and words[0].text == "₹3,499"
    # the canonical wording heard best: the word keeps it
    words = [Word(text="₹3,499", start=9.0, end=10.0, source="script", spoken=forms[0])]
    _apply(c.__class__(0, a, "₹3,499", readings=[replace(r, best_form=forms[0])]),
           Verdict("verified", a.value, None, 0.0, ["phones"], 1.0), words, [], "hi")
    assert words[0].spoken == forms[0]


def test_the_scripts_other_price_skipped_beside_the_number_is_weighed_and_raises_an_error():
    """g3201-en-02 cut at 3.79 s: the voice says "now only eighty ninety five" (the script: "Now only $80.95, down from
    $109.95."); the recogniser with the script wrote "Now only $109.95." and the correction stage matched it to the
    script's second price, reporting "$80.95, down from" skipped. The judge then weighed only $109.95 against values
    nobody wrote and kept it with a warning (p = 0.44: the prompted pass wrote the script's exact value) — a price the
    voice does not say, on screen. Now the script's value reported skipped right beside the number is a reading too,
    and where both acoustic witnesses prefer it past their margins the dispute is an error naming it. The evidence
    below is what the two acoustic models gave on that clip (nats)."""
    words = [Word(text=t, start=a, end=b, confidence=0.5, spoken=sp) for t, a, b, sp in (
        ("Now", 2.08, 2.26, None), ("only", 2.26, 2.56, None),
        ("$109.95.", 2.56, 3.76, "one hundred nine dollars and ninety five cents"))]
    skipped = Finding(kind="script_skipped", severity=Severity.warning, message="script words not heard …",
                      start=2.56, end=2.56, script_text="$80.95, down from")
    opts = verify.VerifyOptions()
    (c,) = verify._cases(words, [skipped], "en", None, opts)
    assert c.skipped_values == [Decimal("80.95")]
    # (value, PMI, plain log-likelihood, phone CTC, tokens, phones, heard by, proposed by the phone model's search)
    ev = [("109.95", 41.49, -54.29, -58.0, 5, 21, {"prompted", "script"}, False),
          ("105", 43.11, -46.21, -62.25, 4, 17, {"unprompted"}, False), ("1.05", 40.06, -42.16, -31.21, 2, 6, {"unprompted"}, False),
          ("80.95", 47.02, -45.02, -23.73, 3, 11, set(), False), ("90.95", 40.42, -51.28, -32.96, 3, 13, set(), True),
          ("8.95", 45.94, -44.9, -24.92, 3, 10, set(), True), ("70.95", 39.13, -51.89, -42.53, 3, 15, set(), True),
          ("72.95", 44.67, -77.25, -44.38, 5, 17, set(), True), ("92.95", 45.41, -77.42, -39.79, 5, 15, set(), True),
          ("18.95", 48.16, -44.54, -26.36, 3, 12, set(), True), ("78.95", 39.68, -57.54, -45.32, 4, 17, set(), True),
          ("802.95", 47.6, -73.67, -46.58, 6, 19, set(), True), ("102.95", 45.44, -73.72, -49.02, 6, 20, set(), True),
          ("810.95", 50.4, -69.56, -48.44, 6, 20, set(), True), ("110.95", 48.21, -70.37, -50.87, 6, 21, set(), True),
          ("880.95", 40.07, -60.32, -48.62, 5, 20, set(), True), ("180.95", 36.42, -60.34, -51.05, 5, 21, set(), True),
          ("818.95", 44.91, -57.56, -51.25, 5, 21, set(), True)]
    c.prompted, c.unprompted = Decimal("109.95"), Decimal("105")
    c.readings = [verify.Reading(Decimal(v), v, heard=set(h), pmi=pm, lp=lp, ctc=k, tokens=t, phones=n, proposed=pr)
                  for v, pm, lp, k, t, n, h, pr in ev]
    c.hearing, c.phone_fit = 2.44, -0.93
    v = verify.decide(c, opts)
    assert v.kind == "rejected" and v.misplaced and v.other.value == Decimal("80.95") and v.value == Decimal("109.95")
    _, findings = verify.apply_verdicts([c], words, [skipped], "en", opts)
    err = [f for f in findings if f.kind == "number_disputed"]
    assert len(err) == 1 and err[0].severity == Severity.error and "$80.95" in err[0].message
    # without the skipped value beside it, the same evidence is the warning it was
    c.skipped_values = []
    assert verify.decide(c, opts).kind == "disputed"
    # and a skipped value the witnesses do not prefer past their margins changes nothing
    c.skipped_values = [Decimal("80.95")]
    c.reading(Decimal("80.95")).ctc = -56.0
    assert verify.decide(c, opts).kind == "disputed"
