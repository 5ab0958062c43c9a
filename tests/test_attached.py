"""A script token the correction stage splits into caption words ("$9.99/month" → "$9.99" "/month", "30–40 %" →
"30" "–" "40 %", so each part is matched and timed as said) is drawn as the script wrote it: no space between the
parts in the SRT, the VTT and the burnt-in ASS, the widths the layout measures are those of that text, and no line
or page breaks inside it."""
from __future__ import annotations

import re

import pytest

from captioner.hint import correct
from captioner.layout import Spacing, paginate
from captioner.linebreak import attached
from captioner.presets import load_preset
from captioner.render.ass import ASSWriter
from captioner.render.srt import to_srt
from captioner.render.vtt import to_vtt
from captioner.types import Transcript, Word


def _caption(script: str, heard: str, language: str) -> list[Word]:
    ws = [Word(text=w, start=0.3 + i * 0.4, end=0.3 + i * 0.4 + 0.35, confidence=0.9) for i, w in enumerate(heard.split())]
    tr = Transcript(text=heard, words=ws, language=language, backend="test", duration=len(ws) * 0.4 + 1.0)
    words, _ = correct(tr, script, language)
    return words


def _srt_text(srt: str) -> str:
    return " ".join(ln for ln in srt.splitlines() if ln and not ln.isdigit() and "-->" not in ln)


@pytest.mark.parametrize("language, script, heard, shown", [
    ("en", "Only $9.99/month. Save 30–40% today.", "Only $9.99 a month. Save 30 to 40% today.",
     ["$9.99/month.", "30–40%"]),
    ("de", "Nur 5 €/Monat. Spare 30–40 % heute.", "Nur 5 Euro im Monat. Spare 30 bis 40 % heute.",
     ["5 €/Monat.", "30–40 %"]),
    ("es", "Solo 20–30 € hoy.", "Solo 20 a 30 euros hoy.", ["20–30 €"]),
    ("en", "$20–$30 gift cards!", "$20 to $30 gift cards!", ["$20–$30"]),
])
def test_split_tokens_are_drawn_as_the_script_wrote_them(language, script, heard, shown):
    words = _caption(script, heard, language)
    texts = [w.text for w in words]
    assert any(t.startswith("/") or t == "–" for t in texts), texts  # split for matching and timing ...
    preset = load_preset("karaoke")
    track = paginate(words, preset, 1080, 1920, language=language, duration=8.0)
    srt, vtt = _srt_text(to_srt(track)), to_vtt(track)
    for s in shown:  # ... and drawn whole
        assert s in srt.replace("\u00a0", " "), (s, srt)
    vtt_plain = re.sub(r"<[^>]+>", "", vtt).replace("\u00a0", " ")
    for s in shown:
        assert s in vtt_plain, (s, vtt_plain)
    # the burnt-in line (upper-cased by the karaoke preset): no space between the parts, override tags aside
    dialogue = " ".join(re.sub(r"\{[^}]*\}", "", ln.split(",", 9)[9]) for ln in ASSWriter(track, preset).render().splitlines()
                        if ln.startswith("Dialogue:")).replace("\u00a0", " ")
    for s in shown:
        assert s.upper() in dialogue.upper(), (s, dialogue)


def test_no_break_inside_a_split_token_even_on_a_narrow_frame():
    """On a frame so narrow that almost every word gets its own line, "$9.99" and "/month" stay on one line."""
    words = _caption("Only $9.99/month for the brightest skin of your life.", "Only $9.99 a month for the brightest "
                     "skin of your life.", "en")
    i = [w.text for w in words].index("/month")
    preset = load_preset("karaoke")
    track = paginate(words, preset, 240, 420, language="en", duration=8.0)
    for page in track.pages:
        for line in page.lines:
            assert (i - 1 in line.words) == (i in line.words), [[words[j].text for j in ln.words] for ln in page.lines]


def test_spacing_widths_and_characters_follow_the_drawn_text():
    texts = ["Save", "30", "–", "40%", "today", "/", "month", "$9.99", "/month"]
    assert attached(texts) == [False, True, True, False, False, False, False, True]
    sp = Spacing(texts, "en")
    ids = list(range(len(texts)))
    assert sp.join(texts, ids) == "Save 30–40% today / month $9.99/month"
    assert sp.chars(texts, ids) == len("Save 30–40% today / month $9.99/month")
    assert sp.spaces(ids) == 5
    # Chinese draws no spaces anyway
    assert Spacing(["只", "要", "99元", "/", "月。"], "zh").join(["只", "要", "99元", "/", "月。"], range(5)) == "只要99元/月。"


def test_a_dash_between_words_is_not_a_range():
    """Only a dash between two amounts is attached (drawn as a range is typeset: "30–40"); "Glow – the serum" keeps
    its spaces, and a slash after a word is no per-unit tail."""
    assert attached(["Glow", "–", "the", "serum"]) == [False, False, False]
    assert attached(["open", "24", "–", "7"]) == [False, True, True]
    assert attached(["Glow", "/month"]) == [False]
    assert attached(["Glow", "- ", "30%"]) == [False, False]


def test_the_json_sidecar_round_trip_keeps_the_drawn_text(tmp_path):
    """Words re-read from the JSON sidecar (`captioner render --from`) are drawn the same: the spacing is read from
    the words themselves, not from state lost on the way."""
    from captioner.types import CaptionTrack

    words = _caption("Only $9.99/month.", "Only $9.99 a month.", "en")
    preset = load_preset("karaoke")
    track = paginate(words, preset, 1080, 1920, language="en", duration=4.0)
    again = CaptionTrack.model_validate_json(track.model_dump_json())
    assert to_srt(again) == to_srt(track) and "$9.99/month." in to_srt(again)
