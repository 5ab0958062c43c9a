"""A cut-down given the full ad's script: the example ad's first 5 s ("… is just forty dollars today." and the onset of
"Use"), with the script of the whole 9.5 s ad. On so short a clip the unprompted witness heard only 27 % of the
script ("those kids" for "dull skin"), so the captions fall back to the script. Before: the script's last sentence
("Use code GLOW20 for 20% off. Tap the link below!", ~40 phones) was drawn in the clip's last 0.47 s, and the price
judge, whose phone alignment was forced to place all of it, heard "$49" squeezed into 0.4 s, where "four dollars" fits
better than the "forty dollars" said: "$49" was kept with a warning naming "$4". Real audio, the shipped models."""
from __future__ import annotations

from pathlib import Path

import pytest

from captioner.hint import correct
from captioner.media import SAMPLE_RATE, load_audio
from captioner.types import Finding, Severity, Transcript, Word

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ad-en-01"
SCRIPT = (EXAMPLE / "script.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def clip():
    return load_audio(EXAMPLE / "video.mp4")[: 5 * SAMPLE_RATE]


@pytest.fixture(scope="module")
def captioned(clip):
    from captioner.pipeline import transcribe_and_correct

    return transcribe_and_correct(clip, SCRIPT, "en")


def test_script_after_the_audio_ends_leaves_the_captions(captioned):
    _, words, findings = captioned
    texts = [w.text for w in words]
    assert "today." in texts
    after = texts[texts.index("today.") + 1:]
    assert after in ([], ["Use"]), after  # "Use" is half said at the cut
    assert not any(t in texts for t in ("GLOW20", "20%", "link", "below!"))
    assert all(w.end - w.start >= 0.02 for w in words)
    left = [f for f in findings if f.kind == "script_unspoken" and "left out of the captions" in f.message]
    assert left and "Tap the link below!" in left[0].script_text
    # the prices that are not in the clip are not judged where nobody says them
    assert not [f for f in findings if f.script_text in ("GLOW20", "20%") and f.kind.startswith(("number", "claim"))]


def test_the_changed_price_is_never_passed_as_the_scripts(captioned):
    _, words, findings = captioned
    i = next(k for k, w in enumerate(words) if w.text in ("$49", "$40"))
    on = [f for f in findings if i in (f.word_indices or [])]
    assert not [f for f in on if f.kind == "claim_verified"]
    flagged = [f for f in on if f.kind in ("price_mismatch", "number_disputed")]
    assert flagged, [f.kind for f in on]
    # the reading the voice says is the one named (it was "$4" when the judge's alignment squeezed the price)
    assert "“$40”" in flagged[0].message


def test_the_judges_alignment_leaves_script_without_audio_unplaced(clip):
    from captioner.verify import PhoneWitness

    spoken = ["tired", "of", "dull", "skin", "lumewell", "glow", "serum", "is", "just", "forty nine dollars", "today",
              "use", "code", "glow twenty", "for", "twenty percent", "off", "tap", "the", "link", "below"]
    pw = PhoneWitness(clip, "en")
    al = pw.align(spoken)
    price = al.words[9]
    assert price.start is not None
    # "forty dollars" is said at 3.25–4.02 s: the reading's span is not squeezed into a fraction of it
    assert (price.end + 1 - price.start) * pw.frame_s > 0.6
    assert all(w.start is None for w in al.words[-6:])  # "20% off. Tap the link below!" is after the cut


def _w(text, a, b):
    return Word(text=text, start=a, end=b, confidence=0.9)


def test_a_fallback_keeps_the_value_the_prompted_pass_wrote_against_its_prompt():
    """The prompt pulls the prompted pass towards the script: a value it wrote against it is a reading for the judge."""
    said = "Tired of dull skin? Lumewell Glow Serum is just $40 today.".split()
    times = [(0.0, 0.6), (0.6, 0.76), (0.76, 1.0), (1.0, 1.42), (1.8, 2.26), (2.26, 2.5), (2.5, 2.8), (2.8, 2.94),
             (2.94, 3.1), (3.1, 3.64), (3.64, 4.5)]
    prompted = [_w(t, a, b) for t, (a, b) in zip(said, times)]
    heard = "Tired of those kids? You well know Sarah is just for the dollars today.".split()
    ref = [_w(t, 0.3 * k, 0.3 * k + 0.25) for k, t in enumerate(heard)]
    tr = Transcript(text=" ".join(said), words=prompted, language="en", backend="whisper", duration=5.0,
                    speech_duration=4.35, prompt_used=True)
    rf = Transcript(text=" ".join(heard), words=ref, language="en", backend="whisper", duration=5.0, speech_duration=4.35)
    words, findings = correct(tr, SCRIPT, "en", reference=rf)
    assert any(f.kind == "asr_unreliable" for f in findings)
    claims = {f.script_text: f for f in findings if f.kind == "unverified_claim"}
    assert claims["$49"].spoken_text == "$40" and "wrote “$40”" in claims["$49"].message
    assert claims["GLOW20"].spoken_text is None  # nothing written against the prompt there


def _ws(text: str) -> list[Word]:
    return [Word(text=t, start=0.0, end=0.0) for t in text.split()]


DE_SCRIPT = ("Darf ich vorstellen: Padoo Kopfhörer. Teste es 90 Tage lang ohne Risiko. Einfach zu benutzen. Heute für "
             "96,90 € mit kostenlosem Versand. Nur diese Woche 15 % Rabatt. Klick auf den Link!")


def test_a_cut_downs_words_are_weighed_on_the_stretch_of_the_script_it_covers():
    """A 9.9 s cut of a generated German ad (g3131-de-03, a phrase skipped by the voice): the prompted pass wrote 15 of
    the script's 32 words, all of them in the first 22. Counted over the whole script (0.47) the captions had been
    called another video's (`script_mismatch` error, the recogniser's "96 ,90 €" shown); over the stretch it covers
    they are this voice's."""
    from captioner.pipeline import _shared_words

    heard = _ws("Padoo Kopfhörer. Teste es 90 Tage lang ohne Risiko. Heute für 96 ,90 € mit kostenlosem Versand. Und...")
    assert _shared_words(_ws(DE_SCRIPT), heard) >= 0.5
    # the same ad without its first 3.4 s: the prompted pass wrote the script's opening from its prompt, then its end
    late = _ws("Padoo Kopfhörer Im Fernand, nur die Woche 15 % Rabatt, klick auf den Link.")
    assert _shared_words(_ws(DE_SCRIPT), late) >= 0.5


def test_a_phrase_or_two_of_another_ads_script_stays_a_small_share():
    """Another ad's script sharing stock phrases ("mit kostenlosem Versand", "Klick auf den Link") with a voice: the
    stretch is at least as long as what the recogniser wrote, so two shared phrases far apart stay a small share."""
    from captioner.pipeline import _shared_words

    heard = _ws("Entdecke die neue Lampe Lumix für dein Wohnzimmer, jetzt für 49 Euro mit kostenlosem Versand. "
                "Nur heute. Klick auf den Link!")
    assert _shared_words(_ws(DE_SCRIPT), heard) < 0.5
    assert _shared_words(_ws(DE_SCRIPT), _ws("")) == 0.0


# the example ad's words and times (examples/ad-en-01/words.json), as caption words
_SAID = [("Tired", 0.30, 0.66), ("of", 0.66, 0.80), ("dull", 0.80, 1.03), ("skin?", 1.03, 1.47), ("Lumewell", 1.80, 2.24),
         ("Glow", 2.24, 2.48), ("Serum", 2.48, 2.76), ("is", 2.76, 2.94), ("just", 2.94, 3.25), ("$40", 3.25, 4.02),
         ("today.", 4.02, 4.53), ("Use", 4.86, 5.11), ("code", 5.11, 5.41), ("GLOW20", 5.41, 6.12), ("for", 6.12, 6.31),
         ("20%", 6.31, 7.27), ("off.", 7.27, 7.59), ("Tap", 7.92, 8.27), ("the", 8.27, 8.40), ("link", 8.40, 8.71),
         ("below!", 8.71, 9.19)]


def _transcript(words, duration):
    return Transcript(text=" ".join(w.text for w in words), words=words, language="en", backend="whisper",
                      duration=duration, speech_duration=duration)


def test_the_prompted_pass_continuing_its_prompt_at_the_cut_is_dropped():
    """A cut 5.0 s into the example ad ends inside "Use". The recogniser with the script may write the script's next
    words anyway, at squeezed times and with its own doubt (probability 0.00–0.10: a generated German cut ended "Mit dem
    Code FRISCH10 Rabatt." where only "Mit" is said); the unprompted pass heard "Use" and nothing after it. The phone
    model explains the audio far better without "code GLOW20 for 20% off.": they leave, reported."""
    from captioner.align import align_words
    from captioner.pipeline import drop_prompt_continuation

    audio = load_audio(EXAMPLE / "video.mp4")[: 5 * SAMPLE_RATE]
    said = [Word(text=t, start=a, end=b, confidence=0.9) for t, a, b in _SAID[:12]]
    said[-1] = said[-1].model_copy(update={"end": 5.0, "confidence": 0.3})
    parroted = [Word(text=t, start=4.8 + 0.04 * k, end=4.84 + 0.04 * k, confidence=0.02)
                for k, (t, _, _) in enumerate(_SAID[12:17])]
    words = said + parroted
    ref = _transcript([w.model_copy() for w in said], 5.0)
    aligned = align_words(audio, words, "en")
    low = Finding(kind="low_confidence", severity=Severity.info, message="low recogniser confidence: …",
                  word_indices=list(range(11, len(words))))
    al2, kept, findings = drop_prompt_continuation(audio, aligned, words, [low], "en", ref)
    assert [w.text for w in kept] == [w.text for w in said]
    low_after = [f for f in findings if f.kind == "low_confidence"]
    assert low_after and low_after[0].word_indices == [11] and "GLOW20" not in low_after[0].message
    assert len(al2.words) == len(said)
    dropped = [f for f in findings if f.kind == "word_dropped"]
    assert dropped and dropped[0].spoken_text == "code GLOW20 for 20% off."
    # the unprompted pass writing them keeps them (it is a witness the prompt cannot pull)
    both = _transcript([w.model_copy() for w in words], 5.0)
    assert len(drop_prompt_continuation(audio, aligned, words, [], "en", both)[1]) == len(words)


def test_doubtful_last_words_the_voice_says_are_kept():
    """The whole ad: the recogniser's last sentence "Tap the link below!" with low probability, and the unprompted pass
    without it. The voice says it, the phone model explains it: nothing is dropped."""
    from captioner.align import align_words
    from captioner.pipeline import drop_prompt_continuation

    audio = load_audio(EXAMPLE / "video.mp4")
    words = [Word(text=t, start=a, end=b, confidence=0.9 if k < 17 else 0.05) for k, (t, a, b) in enumerate(_SAID)]
    ref = _transcript([w.model_copy() for w in words[:17]], len(audio) / SAMPLE_RATE)
    aligned = align_words(audio, words, "en")
    _, kept, findings = drop_prompt_continuation(audio, aligned, words, [], "en", ref)
    assert len(kept) == len(words) and not findings


def test_a_recognised_word_whose_time_contradicts_the_text_order_does_not_drag_the_words_after_it():
    """The correction stage can match a recogniser word to the wrong script word: a German cut-down's prompted pass
    wrote only the ad-lib "Ich liebe es!" at 14–16 s, its "es!" became the script's "Es" of "Es gibt 12 Farben" (said
    at 2.1 s), and the phone alignment, holding "Es" within 6 s of 15.5 s, drew "12 Farben. Heute 129 € statt 195 €"
    6 s late. Here the example ad's "of" carries a time of 9.0 s (its band: 3.0–15.1 s) and the script words after it
    have no times of their own: before, "of" was forced to 3.0 s and "dull skin? Lumewell Glow Serum" after it; now
    its band lies clear of the gap between "Tired" and "dull", so it is left unheard and the others keep their times."""
    from captioner.align import FRAME_S, PhoneOptions, _bands, _two_pass, phone_ids
    from captioner.phones import load

    audio = load_audio(EXAMPLE / "video.mp4")
    words = [Word(text=t, start=a, end=b, confidence=0.9) for t, a, b in _SAID]
    words[1] = words[1].model_copy(update={"start": 9.0, "end": 9.1})
    for k in range(2, 11):  # script words put back without times of their own (`hint._restored`)
        words[k] = words[k].model_copy(update={"start": 9.1, "end": 9.1, "timing": "interpolated", "source": "script"})
    pm = load()
    popts = PhoneOptions()
    al = _two_pass(pm, pm.emissions(audio), phone_ids(pm, words, "en"), popts, bands=_bands(words, popts))
    assert al.words[1].start is None
    for (text, t, _), sp in list(zip(_SAID, al.words))[2:7]:  # dull skin? Lumewell Glow Serum
        assert abs(sp.start * 2 * FRAME_S - t) < 0.15, (text, sp.start * 2 * FRAME_S, t)



LATE = Path(__file__).resolve().parent / "fixtures" / "latestart" / "fr-music"


def _script_captions(folder: Path):
    """The clip and the captions the correction stage makes of the whole script when the recogniser heard nothing
    usable (the fallback: `correct()` with an empty transcript and witness), aligned by `align_stage`."""
    from captioner.pipeline import align_stage

    audio = load_audio(folder / "audio.flac")
    script = (folder / "script.txt").read_text(encoding="utf-8").strip()
    d = len(audio) / SAMPLE_RATE
    empty = Transcript(text="", words=[], language="fr", backend="whisper", duration=d, speech_duration=d)
    words, findings = correct(empty, script, "fr", reference=empty)
    out, findings = align_stage(audio, words, findings, "fr")
    return words, out, findings


def test_a_cut_away_opening_is_left_out_not_squeezed_before_the_first_word():
    """A cut-down without its first 2.2 s (a French ad under a music bed, `tests/fixtures/latestart`) starts inside
    "Disoo", 0.6 s before "Seulement", with the whole script as captions (the fallback: the recogniser heard too little).
    The opening sentence is unheard by the phone alignment, but the clip's first instant holds the end of "Disoo", so
    the rule for a skipped line (no voice between its neighbours) kept it: nine words (~35 phones) drawn in the 0.6 s
    before "Seulement", 0.07 s each. Now a run before the first timed word whose phones outnumber the phone frames
    before that word leaves the captions, reported."""
    import json

    words, out, findings = _script_captions(LATE)
    texts = [w.text for w in words]
    assert [w.text for w in out] == texts[texts.index("Seulement"):]
    truth = [w for w in json.loads((LATE / "words.json").read_text(encoding="utf-8"))["words"] if w["start"] >= 0]
    assert truth[0]["text"] == "Seulement" and abs(out[0].start - truth[0]["start"]) < 0.1
    gone = [f for f in findings if f.kind == "script_unspoken"]
    assert len(gone) == 1 and gone[0].script_text == "Je ne sors plus sans la brosse électrique Disoo."
    assert "starts at “Seulement”" in gone[0].message and "opening" in gone[0].message


def test_a_run_the_time_between_its_neighbours_cannot_hold_leaves_the_captions():
    """A cut inside a price (`tests/fixtures/latestart/fr-cut`: the clip ends in "deux mille quatre cent quatre…"), the
    whole script as captions. The phone alignment finds no audio for "2 499 €. Avec le code MERCI25, tu as 10 % de
    réduction." and places the last word over the cut price, so the run lies between "à" and "Fonce !", 0.43 s apart
    with voice between them: it was kept, ten words drawn at one instant (7.83–7.83 s), a price among them. Now it
    leaves the captions, reported: 0.43 s has fewer phone frames than the run has phones."""
    words, out, findings = _script_captions(LATE.parent / "fr-cut")
    said = [w.text for w in words]
    texts = [w.text for w in out]
    assert not any("499" in t for t in texts) and "réduction." not in texts
    assert texts[:texts.index("à") + 1] == said[:said.index("à") + 1]  # every word said before the price
    assert all(w.end - w.start >= 0.04 for w in out), [(w.text, w.start, w.end) for w in out]
    gone = [f for f in findings if f.kind == "script_unspoken" and "too little" in f.message]
    assert len(gone) == 1 and "499 €." in gone[0].script_text and gone[0].script_text.endswith("réduction.")
