"""Layout: safe zones scaled to the frame, line breaking for Latin, Chinese and Devanagari, any aspect ratio."""
import json
from pathlib import Path

import pytest

from captioner.layout import (NO_BREAK_BEFORE, clusters, font_chain, is_emoji, line_width_limit, metrics, paginate,
                              safe_box, split_runs, uncovered)
from captioner.presets import list_presets, load_preset
from captioner.render.ass import ASSWriter, page_geometry
from captioner.types import Word

FIX = Path(__file__).parent / "fixtures" / "render"


def fixture_words(ad: str) -> list[Word]:
    data = json.loads((FIX / f"{ad}.words.json").read_text(encoding="utf-8"))
    return [Word(text=w["text"], start=w["start"], end=w["end"]) for w in data["words"]]


def test_safe_zones_scale_with_the_frame():
    a = safe_box(1080, 1920, "tiktok")
    b = safe_box(540, 960, "tiktok")
    assert a.top == pytest.approx(2 * b.top) and a.bottom == pytest.approx(2 * b.bottom)
    assert 130 <= a.top <= 250 and 320 <= 1920 - a.bottom <= 460 and 120 <= 1080 - a.right <= 180
    r = safe_box(1080, 1920, "reels")
    assert r.top == pytest.approx(0.14 * 1920) and r.bottom == pytest.approx(0.65 * 1920)
    allz = safe_box(1080, 1920, "all")
    for z in ("tiktok", "reels", "shorts"):
        s = safe_box(1080, 1920, z)
        assert allz.top >= s.top and allz.bottom <= s.bottom and allz.left >= s.left
    wide = safe_box(1920, 1080, "tiktok")
    assert wide.width > 1500  # landscape has no phone UI: a title-safe margin only


@pytest.mark.parametrize("size", [(1080, 1920), (1080, 1080), (1920, 1080), (360, 640)])
@pytest.mark.parametrize("ad, lang", [("ad-en-01", "en"), ("ad-hi-01", "hi"), ("ad-zh-01", "zh")])
def test_pages_fit_every_aspect_ratio(size, ad, lang):
    w, h = size
    words = fixture_words(ad)
    for name in ("karaoke", "bold-condensed", "zoom", "pill"):
        p = load_preset(name)
        track = paginate(words, p, w, h, language=lang, safe_zone="tiktok")
        assert [i for pg in track.pages for i in pg.word_indices] == list(range(len(words)))
        limit = line_width_limit(p, w, h, "tiktok")
        for k, page in enumerate(track.pages):
            assert 1 <= len(page.lines) <= p.max_lines
            if k:
                assert page.start >= track.pages[k - 1].end  # never overlapping
            geo, scale = page_geometry(page, track, p, metrics(p, w, h))
            assert max(g.width for g in geo) <= limit + 0.5
            box = safe_box(w, h, "tiktok")
            assert all(box.left <= x and x + ww <= box.right for g in geo for x, ww in zip(g.word_x, g.word_w))


def test_chinese_never_breaks_before_closing_punctuation():
    p = load_preset("karaoke").model_copy(update={"max_words": 6, "font_size": 0.15})
    text = "现在下单只要一百九十九元，再享八折优惠！限时抢购，不要错过。"
    words = [Word(text=c, start=0.3 + 0.1 * i, end=0.39 + 0.1 * i) for i, c in enumerate(text)]
    track = paginate(words, p, 360, 640, language="zh")
    for page in track.pages:
        assert words[page.lines[0].words[0]].text not in NO_BREAK_BEFORE, "page starts with closing punctuation"
        for line in page.lines:
            assert words[line.words[0]].text not in NO_BREAK_BEFORE, "line starts with closing punctuation"
    assert len(track.pages) >= 3 and any(len(pg.lines) == 2 for pg in track.pages)


def test_devanagari_is_measured_as_shaped_clusters():
    p = load_preset("classic")
    fm = metrics(p, 1080, 1920)
    word = "त्वचा"  # conjunct + vowel signs: shaped width differs from the sum of isolated characters
    isolated = sum(fm.width(c) for c in word)
    assert 0 < fm.width(word) < isolated
    assert [run for run, face in split_runs(word, fm.chain)] == [word]
    assert fm.chain[split_runs(word, fm.chain)[0][1]].name == "NotoSansDevanagari-Bold.ttf"
    assert len(clusters("दमकती")) < len("दमकती")  # vowel signs stay with their consonant


def test_fallback_faces_cover_hi_zh_and_mixed_text():
    for p in list_presets():
        chain = font_chain(p)
        for ad in ("ad-en-01", "ad-hi-01", "ad-zh-01"):
            script = (FIX / f"{ad}.script.txt").read_text(encoding="utf-8")
            assert not uncovered(script.upper() if p.uppercase else script, chain), (p.name, ad)
    runs = split_runs("GLOWRA20 से ₹499", font_chain(load_preset("classic")))
    assert runs[0] == ("GLOWRA20 ", 0) and runs[1][1] == 1  # Latin in the preset font, Devanagari in the fallback
    # a character no shipped font has is reported (the caller decides), never silently drawn as tofu
    assert uncovered("abc\U00010900", font_chain(load_preset("classic"))) == {"\U00010900"}


def test_emoji_are_recognised_as_clusters():
    chain = font_chain(load_preset("karaoke"))
    assert [(r, f) for r, f in split_runs("Go🔥now", chain)] == [("Go", 0), ("🔥", -1), ("now", 0)]
    fam = "👩\u200d👩\u200d👧"
    assert split_runs(fam, chain) == [(fam, -1)]
    assert is_emoji("👍🏽", chain) and not is_emoji("A", chain)
    assert split_runs("🇮🇳", chain) == [("🇮🇳", -1)]


def test_block_stays_anchored_while_the_highlight_moves():
    p = load_preset("pop-in")
    track = paginate(fixture_words("ad-en-01"), p, 1080, 1920, language="en")
    w = ASSWriter(track, p)
    page = track.pages[0]
    events = [e for e in w.page_events(page) if e.startswith("Dialogue: 2,")]
    positions = {}
    for e in events:
        text = e.split(",,", 1)[1].split(",", 4)[-1]
        pos = text[text.index("\\pos("):text.index(")", text.index("\\pos(")) + 1]
        positions.setdefault(pos, 0)
        positions[pos] += 1
    # one position per line, repeated in every time slice
    assert len(positions) == len(page.lines)
    assert all(n == len(page.word_indices) for n in positions.values())


def _timed(pairs):
    return [Word(text=t, start=s, end=e) for t, s, e in pairs]


def test_no_page_flashes_where_the_sentence_allows_another_cut():
    """The aligner's times of DEV ad-en-p01: "Meet Glimmora, the lip | oil | that lasts all day." put "oil" on
    screen for 0.16 s (cheaper, by characters per second, than a 0.5 s "the lip oil"). A page nobody can read
    is worse than a fast one."""
    from captioner.layout import FLASH_S

    words = _timed([("Meet", 0.32, 0.52), ("Glimmora,", 0.56, 1.04), ("the", 1.32, 1.44), ("lip", 1.44, 1.68),
                    ("oil", 1.68, 1.92), ("that", 1.92, 2.08), ("lasts", 2.08, 2.4), ("all", 2.4, 2.6),
                    ("day.", 2.6, 2.88)])
    track = paginate(words, load_preset("karaoke"), 720, 1280, language="en", terms=["Glimmora"], fps=25)
    texts = [" ".join(words[i].text for i in p.word_indices) for p in track.pages]
    assert texts == ["Meet Glimmora,", "the lip oil", "that lasts all day."]
    # a fast voice: "All | of this for $45.99." flashed "All" for 0.14 s (generated ad g2424-en-p04, true times)
    words = _timed([("All", 7.08, 7.289), ("of", 7.289, 7.405), ("this", 7.405, 7.579), ("for", 7.579, 7.704),
                    ("$45.99.", 7.754, 9.228)])
    track = paginate(words, load_preset("karaoke"), 1080, 1920, language="en", fps=30)
    assert all(p.end - p.start >= FLASH_S for p in track.pages), [(p.start, p.end) for p in track.pages]
