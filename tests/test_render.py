"""Rendering: every preset burns en/hi/zh without tofu and inside the safe zone; highlights, animations, emoji, escaping.

Frames are real libass renders (ffmpeg, 360×640) over a flat background; checks are on pixels."""
import json
from pathlib import Path

import numpy as np
import pytest

from captioner.layout import metrics, paginate, safe_box
from captioner.presets import list_presets, load_preset
from captioner.render.ass import ASSWriter, escape_text, page_geometry, parse_emoji_comments
from captioner.render.contact import BACKGROUND, contact_sheet, render_frames
from captioner.types import Word

FIX = Path(__file__).parent / "fixtures" / "render"
W, H = 360, 640
BG = np.array([int(BACKGROUND[2:][i:i + 2], 16) for i in (0, 2, 4)], dtype=np.int16)
ADS = {"en": "ad-en-01", "hi": "ad-hi-01", "zh": "ad-zh-01"}


def words_for(lang: str, limit_s: float = 4.5) -> list[Word]:
    data = json.loads((FIX / f"{ADS[lang]}.words.json").read_text(encoding="utf-8"))
    return [Word(text=w["text"], start=w["start"], end=w["end"]) for w in data["words"] if w["start"] < limit_s]


def ink(frame: np.ndarray) -> np.ndarray:
    """Pixels that differ clearly from the flat background (text, outline, shadow, boxes)."""
    return np.abs(frame.astype(np.int16) - BG).max(axis=2) > 24


def assert_inside_safe_zone(frame, zone="tiktok", what=""):
    box = safe_box(W, H, zone)
    ys, xs = np.nonzero(ink(frame))
    assert len(xs) > 0, f"{what}: no captions drawn"
    assert xs.min() >= box.left - 1 and xs.max() <= box.right + 1, f"{what}: ink x {xs.min()}..{xs.max()} outside {box}"
    assert ys.min() >= box.top - 1 and ys.max() <= box.bottom + 1, f"{what}: ink y {ys.min()}..{ys.max()} outside {box}"


def probe_times(track, preset):
    """Middle of every page, plus the moments just after words start (animations play there)."""
    times = [(p.start + p.end) / 2 for p in track.pages]
    if preset.tier == "dynamic":
        d = preset.animation.duration_ms / 1000
        for page in track.pages[:2]:
            for j in page.word_indices[:3]:
                times += [track.words[j].start + 0.3 * d, track.words[j].start + 0.7 * d]
    return sorted(set(round(t, 3) for t in times))


@pytest.mark.parametrize("name", [p.name for p in list_presets()])
def test_preset_renders_en_hi_zh_without_tofu_inside_safe_zone(name):
    preset = load_preset(name)
    for lang in ("en", "hi", "zh"):
        track = paginate(words_for(lang), preset, W, H, language=lang, safe_zone="tiktok")
        writer = ASSWriter(track, preset)
        ass = writer.render()
        assert writer.uncovered == set(), f"{name}/{lang}: no font has {writer.uncovered}"
        times = probe_times(track, preset)
        for t, frame in zip(times, render_frames(ass, W, H, times)):
            tf = round(t * 25) / 25  # the frame render_frames returns for t (25 fps)
            if any(p.start <= tf < p.end for p in track.pages):
                assert_inside_safe_zone(frame, what=f"{name}/{lang}@{t:.2f}s")


def _near(frame, hex_color, tol=40):
    c = np.array([int(hex_color[1:][i:i + 2], 16) for i in (0, 2, 4)], dtype=np.int16)
    return np.abs(frame.astype(np.int16) - c).max(axis=2) < tol


@pytest.mark.parametrize("lang", ["en", "hi", "zh"])
def test_karaoke_highlight_is_on_the_active_word_at_its_time(lang):
    preset = load_preset("karaoke")
    track = paginate(words_for(lang), preset, W, H, language=lang)
    page = track.pages[0]
    geo, _ = page_geometry(page, track, preset, metrics(preset, W, H))
    line = page.lines[0]
    g = geo[0]
    checks = [0, len(line.words) - 1]
    times = [(track.words[line.words[k]].start + track.words[line.words[k]].end) / 2 for k in checks]
    frames = render_frames(ASSWriter(track, preset).render(), W, H, times)
    top, bottom = int(g.bottom - metrics(preset, W, H).ass_size), int(g.bottom)
    for k, frame in zip(checks, frames):
        yellow = _near(frame, preset.highlight_color)[top:bottom]
        x0, x1 = int(g.word_x[k]), int(g.word_x[k] + g.word_w[k])
        inside = yellow[:, x0:x1].sum()
        outside = yellow.sum() - inside
        assert inside > 30, f"{lang}: active word {k} not highlighted"
        assert outside < 0.1 * inside, f"{lang}: highlight leaks to other words"


@pytest.mark.parametrize("name", [p.name for p in list_presets() if p.tier == "dynamic"])
def test_animated_presets_change_over_their_animation_window(name):
    preset = load_preset(name)
    track = paginate(words_for("en"), preset, W, H, language="en")
    d = preset.animation.duration_ms / 1000
    page = next(pg for pg in track.pages if len(pg.word_indices) >= 2)  # (a first page may hold one word)
    if preset.animation.type in ("slide_up", "fade"):
        t0 = page.start
    else:
        t0 = track.words[page.word_indices[1]].start  # the second word's entrance
    times = [t0 + 0.2 * d, t0 + d + 0.06]
    a, b = render_frames(ASSWriter(track, preset).render(), W, H, times)
    changed = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2) > 30
    assert changed.sum() > 40, f"{name}: frames at {times} are the same"


def test_static_basic_preset_does_not_move_between_words():
    preset = load_preset("classic")  # no highlight, no animation: identical frames across a page
    track = paginate(words_for("en"), preset, W, H, language="en")
    page = track.pages[0]
    ids = page.word_indices
    a, b = render_frames(ASSWriter(track, preset).render(), W, H,
                         [track.words[ids[0]].start + 0.05, track.words[ids[-1]].start + 0.05])
    assert np.array_equal(a, b)


def test_override_tags_in_text_are_rendered_as_text():
    evil = r"{\fs300\1c&H0000FF&\pos(0,0)}BIG\N{\p1}m 0 0 l 360 0 360 640 0 640"
    assert "{" not in escape_text(evil).replace("\\{", "")
    preset = load_preset("classic")
    words = [Word(text=evil, start=0.2, end=1.0), Word(text="ok", start=1.0, end=1.5)]
    track = paginate(words, preset, W, H, language="en")
    ass = ASSWriter(track, preset).render()
    assert "\\fs300" not in ass.replace("\\{\\\u2060fs300", "")
    frame = render_frames(ass, W, H, [0.5])[0]
    assert_inside_safe_zone(frame, what="escaped text")
    red = (frame[..., 0] > 200) & (frame[..., 1] < 60) & (frame[..., 2] < 60)
    assert red.sum() == 0  # the colour override was not applied
    assert ink(frame).mean() < 0.2  # no full-frame drawing


def test_colour_emoji_are_overlaid_in_colour():
    preset = load_preset("karaoke")
    words = [Word(text="Glow", start=0.2, end=0.6), Word(text="up🔥", start=0.6, end=1.2), Word(text="now", start=1.2, end=1.6)]
    track = paginate(words, preset, W, H, language="en")
    writer = ASSWriter(track, preset)
    ass = writer.render()
    placements = parse_emoji_comments(ass)
    assert len(placements) == 1 and placements[0].text == "🔥"
    e = placements[0]
    frame = render_frames(ass, W, H, [0.9])[0]
    region = frame[int(e.y):int(e.y + e.size), int(e.x):int(e.x + e.size)].astype(int)
    orange = (region[..., 0] > 200) & (region[..., 1] > 60) & (region[..., 1] < 200) & (region[..., 2] < 90)
    assert orange.sum() > 0.05 * e.size * e.size, "no colour emoji drawn"
    assert_inside_safe_zone(frame, what="emoji")
    # the emoji sits in its own slot: it does not cover the neighbouring letters' outlines
    before = render_frames(ass, W, H, [0.1])[0]
    assert not ink(before).any()  # nothing before the page starts, sticker included


def test_burn_with_emoji_is_one_pass_and_playable(tmp_path):
    from captioner.media import probe
    from captioner.render.burn import burn
    from tests.conftest import make_video

    video = make_video(tmp_path / "in.mp4", seconds=1.5)
    info = probe(video)
    preset = load_preset("pop-in")
    words = [Word(text="Sale✨", start=0.1, end=0.7), Word(text="today", start=0.7, end=1.3)]
    track = paginate(words, preset, info.width, info.height, language="en", duration=info.duration)
    out = tmp_path / "out.mp4"
    burn(video, ASSWriter(track, preset).render(), out, info)
    got = probe(out)
    assert (got.width, got.height) == (360, 640) and abs(got.duration - 1.5) < 0.1


def test_contact_sheet(tmp_path):
    from PIL import Image

    out = contact_sheet("pill", tmp_path / "pill.png", languages=("en", "zh"))
    im = Image.open(out)
    assert im.width == 4 * W and im.height > H


def test_srt_sidecar_shows_markup_like_words_as_written(tmp_path):
    """A caption word "{\\an8\\fs200}Serum\\N<b>x</b>" (an edited JSON) went into the .srt as is: players and ffmpeg's SRT
    reader made it a line break and bold "x" (the burn and the .vtt escape it). SRT has no escape: a word joiner inside
    each tag keeps any reader from taking it as markup."""
    import subprocess

    from captioner.media import ffmpeg_exe
    from captioner.render.srt import to_srt

    words = [Word(text="{\\an8\\fs200}Serum\\N<b>x</b>", start=0.2, end=0.8)]
    track = paginate(words, load_preset("karaoke"), 720, 1280, duration=2.0)
    srt = tmp_path / "c.srt"
    srt.write_text(to_srt(track), encoding="utf-8")
    ass = tmp_path / "c.ass"
    subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-y", "-i", str(srt), str(ass)], check=True)
    dialogue = [ln for ln in ass.read_text(encoding="utf-8").splitlines() if ln.startswith("Dialogue:")]
    assert dialogue and not any("\\b1" in d or "\\N" in d.replace("\\\u2060N", "") for d in dialogue), dialogue
    plain = srt.read_text(encoding="utf-8").replace("\u2060", "")
    assert "{\\an8\\fs200}Serum\\N<b>x</b>" in plain  # the text itself is unchanged
    assert to_srt(paginate([Word(text="a<b", start=0.2, end=0.8)], load_preset("karaoke"), 720, 1280,
                           duration=2.0)).replace("\u2060", "").count("a<b") == 1
