"""Preset previews: real ffmpeg renders of every preset, the cache, bad input, and the gallery in headless Chromium."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageStat

from captioner.errors import InputError, LanguageError, OutputError
from captioner.presets import list_presets, load_preset
from captioner.previews import (COVERAGE_TEXT, SAMPLES, PreviewOptions, background_source, build_gallery, cache_key,
                                language_support, sample_words)
from captioner.types import LANGUAGES

from captioner.media import ffmpeg_exe

from .conftest import EXAMPLE, ROOT, ffmpeg

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "artifacts"
# Locally a missing browser skips these tests (and says why); under CI (CI=true, set by .ci/run) it fails them:
# a browser test that silently skips in CI proves nothing.
IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists() and not IN_CI,
                                    reason="Debian chromium is not installed (/usr/bin/chromium absent): "
                                           "`apt-get install -y chromium` to run the gallery-in-a-browser tests")


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.fail("CI=true but /usr/bin/chromium is missing: .ci/run must install Debian's chromium", pytrace=False)


@pytest.fixture(scope="module")
def gallery(tmp_path_factory):
    """Every built-in preset rendered once (cold) for the whole module."""
    out = tmp_path_factory.mktemp("gallery")
    result = build_gallery(out, "en")
    print(f"\ncold gallery of {len(result.previews)} presets: {result.seconds:.1f} s")
    return result


def chromium(url: str, tmp: Path, *args: str, width: int = 390, height: int = 844) -> str:
    """Run headless Chromium on `url` with no network/background services; returns stdout."""
    _require_chromium()
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
           f"--user-data-dir={tmp}", f"--window-size={width},{height}", "--virtual-time-budget=8000", *args, url]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


class _Tiles(HTMLParser):
    """Collects the body's data attributes and, per tier section, the preset names of its tiles."""

    def __init__(self):
        super().__init__()
        self.body: dict[str, str] = {}
        self.sections: list[str] = []
        self.tiles: list[tuple[str, str]] = []  # (section tier, preset)
        self.imgs: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        elif tag == "section":
            self.sections.append(a.get("data-tier", ""))
        elif tag == "figure" and "tile" in a.get("class", ""):
            self.tiles.append((self.sections[-1], a["data-preset"]))
        elif tag == "img":
            self.imgs.append(a)


def dom_of(index: Path, tmp: Path) -> _Tiles:
    dom = chromium(index.as_uri(), tmp / "profile", "--dump-dom")
    parsed = _Tiles()
    parsed.feed(dom)
    assert parsed.body.get("data-media-state") == "done", "the page's load check never finished: " + dom[:500]
    return parsed


# --- the gallery in a real browser -------------------------------------------------------------------------


@needs_chromium
def test_gallery_loads_every_preset_in_chromium(gallery, tmp_path):
    presets = list_presets()
    page = dom_of(gallery.index, tmp_path)
    total = int(page.body["data-media-total"])
    assert total == len(presets) == len(page.tiles)
    assert int(page.body["data-media-loaded"]) == total, f"broken previews: {page.body.get('data-media-broken')}"
    assert page.body["data-media-broken"] == ""
    assert page.body["data-fits-width"] == "true", "the gallery scrolls sideways on a 390 px wide phone screen"
    assert all(img.get("data-settled") == "ok" for img in page.imgs)
    # every preset is shown once, under its own tier, tiers in order karaoke → basic → dynamic
    assert sorted(name for _, name in page.tiles) == sorted(p.name for p in presets)
    tier_of = {p.name: p.tier for p in presets}
    assert all(tier == tier_of[name] for tier, name in page.tiles)
    order = ["karaoke", "basic", "dynamic"]
    assert page.sections == [t for t in order if t in tier_of.values()]
    # no external assets: every src/href is relative and points at a file in the gallery
    html = gallery.index.read_text(encoding="utf-8")
    refs = re.findall(r'(?:src|srcset|href)="([^"#]+)"', html)
    assert refs and not any(re.match(r"[a-z]+:|//", r) for r in refs), refs
    assert all((gallery.out_dir / r).is_file() for r in refs)

    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "gallery.png"
    chromium(gallery.index.as_uri(), tmp_path / "profile2", f"--screenshot={shot}", height=1600)
    with Image.open(shot) as im:
        assert im.size == (390, 1600)
        assert max(ImageStat.Stat(im.convert("L")).stddev) > 10  # a page, not a blank canvas
    print(f"\ngallery screenshot: {shot}")


@needs_chromium
def test_page_reports_a_broken_preview(gallery, tmp_path):
    """The browser check can fail: a truncated preview is reported broken by name."""
    copy = tmp_path / "gallery"
    shutil.copytree(gallery.out_dir, copy)
    victim = gallery.previews[len(gallery.previews) // 2]
    target = copy / victim.animated.relative_to(gallery.out_dir)
    target.write_bytes(target.read_bytes()[:40])
    page = dom_of(copy / "index.html", tmp_path)
    assert page.body["data-media-broken"].split() == [victim.name]
    assert int(page.body["data-media-loaded"]) == len(gallery.previews) - 1


# --- the media themselves ------------------------------------------------------------------------------------


def test_previews_are_animated_and_draw_the_captions(gallery, tmp_path):
    o = PreviewOptions()
    bg = tmp_path / "bg.png"
    ffmpeg("-f", "lavfi", "-i", background_source(o), "-frames:v", "1", str(bg))
    background = Image.open(bg).convert("RGB")
    for p in gallery.previews:
        with Image.open(p.animated) as anim:
            assert anim.format == "WEBP" and anim.size == (o.width, o.height)
            # libwebp merges identical consecutive frames into one longer frame: count time, not frames
            assert anim.n_frames >= 3, f"{p.name}: {anim.n_frames} frames"
            frames, total_ms = [], 0
            for i in range(anim.n_frames):
                anim.seek(i)
                anim.load()  # Pillow sets a frame's duration when it decodes it
                total_ms += anim.info["duration"]
                if i in (0, anim.n_frames // 2):
                    frames.append(anim.convert("RGB"))
            assert abs(total_ms - o.seconds * 1000) <= 1000 / o.fps, (p.name, total_ms)
            assert anim.info.get("loop", 0) == 0  # loops forever
        assert ImageChops.difference(*frames).getbbox() is not None, f"{p.name}: the preview does not move"
        with Image.open(p.still) as still:
            assert still.format == "PNG" and still.size == (o.width, o.height)
            diff = ImageChops.difference(still.convert("RGB"), background).convert("L").point(lambda v: 255 if v > 40 else 0)
        box = diff.getbbox()
        assert box is not None, f"{p.name}: no caption drawn on the still"
        covered = sum(diff.histogram()[255:]) / (o.width * o.height)
        assert 0.003 < covered < 0.25, (p.name, covered)  # a caption, not a different backdrop


def test_every_language_has_a_sample_and_full_glyph_coverage():
    from captioner.layout import font_chain, uncovered

    assert set(SAMPLES) == set(COVERAGE_TEXT) == set(LANGUAGES)
    for preset in list_presets():
        support = {s.code: s.via for s in language_support(preset)}
        assert set(support) == set(LANGUAGES), (preset.name, support)  # the fallback faces fill the gaps
        for code in LANGUAGES:
            assert not uncovered("".join(SAMPLES[code]), font_chain(preset)), (preset.name, code)
    # a Latin face cannot draw Devanagari or Chinese: those come from the fallbacks, and the gallery says so
    karaoke = {s.code: s.via for s in language_support(load_preset("karaoke"))}
    assert karaoke["en"] == karaoke["de"] == "font" and karaoke["hi"] == karaoke["zh"] == "fallback"


@pytest.mark.parametrize("language", LANGUAGES)
def test_sample_timings_fit_the_clip(language):
    words = sample_words(language, 2.8)
    assert [w.text for w in words] == SAMPLES[language]
    assert 0 < words[0].start and words[-1].end <= 2.8 - 0.3
    assert all(a.end < b.start for a, b in zip(words, words[1:])) and all(w.end > w.start for w in words)


def test_other_languages_render(tmp_path):
    preset = load_preset("karaoke")
    keys = set()
    for lang in ("de", "hi", "zh"):
        r = build_gallery(tmp_path / lang, lang, presets=[preset])
        assert r.counts["built"] == 1 and r.language == lang
        html = r.index.read_text(encoding="utf-8")
        assert f'<html lang="{lang}">' in html and SAMPLES[lang][0] in html
        keys.add(r.previews[0].key)
    assert len(keys) == 3


# --- the cache --------------------------------------------------------------------------------------------------


def test_second_run_is_served_from_cache(gallery):
    before = {p.name: (p.animated.stat().st_mtime_ns, p.still.stat().st_mtime_ns) for p in gallery.previews}
    again = build_gallery(gallery.out_dir, "en")
    assert again.counts == {"cached": len(gallery.previews), "built": 0, "rebuilt": 0}
    assert {p.name: (p.animated.stat().st_mtime_ns, p.still.stat().st_mtime_ns) for p in again.previews} == before
    assert again.seconds < 5, again.seconds  # typically well under 1 s; see benchmarks/bench_previews.py


def _small(tmp_path, n=4):
    presets = list_presets()
    return tmp_path / "g", [presets[0], presets[len(presets) // 2], presets[-1], presets[1]][:n]


def test_corrupt_cache_entries_are_rebuilt_not_served(tmp_path):
    out, presets = _small(tmp_path)
    first = {p.name: p for p in build_gallery(out, "en", presets=presets).previews}
    a, b, c, d = presets
    first[a.name].animated.write_bytes(first[a.name].animated.read_bytes()[:100])  # truncated
    first[b.name].still.write_bytes(os.urandom(first[b.name].still.stat().st_size))  # same size, garbage
    (out / "media" / f"{first[c.name].animated.stem}.json").unlink()  # media left without its manifest
    again = {p.name: p for p in build_gallery(out, "en", presets=presets).previews}
    assert [again[x.name].status for x in presets] == ["rebuilt", "rebuilt", "rebuilt", "cached"]
    for p in again.values():
        manifest = json.loads((out / "media" / f"{p.animated.stem}.json").read_text())
        assert manifest["files"]["webp"]["size"] == p.animated.stat().st_size
        with Image.open(p.animated) as im:
            assert im.n_frames >= 3
        with Image.open(p.still) as im:
            im.load()
    assert build_gallery(out, "en", presets=presets).counts["cached"] == 4
    # a garbage manifest is also a corrupt entry
    (out / "media" / f"{again[d.name].animated.stem}.json").write_text("{not json")
    assert {p.name: p.status for p in build_gallery(out, "en", presets=presets).previews}[d.name] == "rebuilt"
    # so is a manifest that points outside its entry (hash and size copied from the file it names)
    mpath = out / "media" / f"{again[a.name].animated.stem}.json"
    m = json.loads(mpath.read_text())
    page = (out / "index.html").read_bytes()
    m["files"]["png"] = {"name": "../index.html", "size": len(page), "sha256": hashlib.sha256(page).hexdigest()}
    mpath.write_text(json.dumps(m))
    assert {p.name: p.status for p in build_gallery(out, "en", presets=presets).previews}[a.name] == "rebuilt"


def test_changed_preset_gets_a_new_entry_and_the_old_one_is_pruned(tmp_path):
    out = tmp_path / "g"
    base = load_preset("karaoke")
    old = build_gallery(out, "en", presets=[base]).previews[0]
    changed = base.model_copy(update={"highlight_color": "#00FF88"})
    assert cache_key(changed, "en", sample_words("en"), PreviewOptions()) != old.key
    new = build_gallery(out, "en", presets=[changed]).previews[0]
    assert new.status == "built" and new.key != old.key
    assert not old.animated.exists() and not old.still.exists() and new.animated.exists()
    with Image.open(new.still) as im:
        assert im.size == (360, 640)


def test_gallery_escapes_preset_text(tmp_path):
    evil = load_preset("karaoke").model_copy(update={"description": '<img src=x onerror="alert(1)"> & "quotes"'})
    r = build_gallery(tmp_path / "g", "en", presets=[evil])
    html = r.index.read_text(encoding="utf-8")
    assert "<img src=x" not in html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp;" in html


# --- bad input ----------------------------------------------------------------------------------------------------


def test_unknown_language_is_refused_before_any_work(tmp_path):
    with pytest.raises(LanguageError, match="unknown language 'xx'.*en, de, fr, es, hi, zh"):
        build_gallery(tmp_path / "g", "xx")
    assert not (tmp_path / "g").exists()


def test_unwritable_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OutputError, match="cannot write the gallery into .*pick a writable --out"):
        build_gallery(blocker / "gallery", "en", presets=[load_preset("karaoke")])
    with pytest.raises(OutputError):
        build_gallery(blocker, "en", presets=[load_preset("karaoke")])
    if os.geteuid() != 0:  # root ignores permission bits
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            with pytest.raises(OutputError):
                build_gallery(ro / "g", "en", presets=[load_preset("karaoke")])
        finally:
            ro.chmod(0o700)


def test_cli_exit_codes(tmp_path):
    from typer.testing import CliRunner

    from captioner.previews_cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["previews", "--out", str(tmp_path / "g"), "--language", "klingon"])
    assert r.exit_code == LanguageError.exit_code == 2 and "unknown language 'klingon'" in r.output
    blocker = tmp_path / "f"
    blocker.write_text("x")
    r = runner.invoke(app, ["previews", "--out", str(blocker / "g")])
    assert r.exit_code == OutputError.exit_code and "pick a writable --out" in r.output
    r = runner.invoke(app, ["preview", str(tmp_path / "missing.mp4"), "--preset", "karaoke", "--out", str(tmp_path / "p.mp4")])
    assert r.exit_code == InputError.exit_code and "not found" in r.output
    r = runner.invoke(app, ["preview", str(EXAMPLE / "video.mp4"), "--preset", "no-such-preset", "--out", str(tmp_path / "p.mp4")])
    assert r.exit_code == InputError.exit_code and "unknown preset" in r.output
    assert not (tmp_path / "p.mp4").exists()


# --- a preview on the user's own ad ---------------------------------------------------------------------------------


def test_preview_of_own_ad_is_small_short_free_watermarked_and_has_no_sidecars(tmp_path, monkeypatch):
    from captioner.media import probe
    from captioner.previews import preview_video

    ledger = tmp_path / "ledger.sqlite3"
    monkeypatch.setenv("CAPTIONER_LEDGER", str(ledger))
    out = tmp_path / "preview.mp4"
    meta = preview_video(EXAMPLE / "video.mp4", "karaoke", out=out, seconds=4, script=EXAMPLE / "script.txt", language="en")
    info = probe(out)
    assert (info.width, info.height) == (360, 640) and info.duration <= 4.2 and info.has_audio
    assert meta["preview"] is True and meta["receipt"]["preview"] is True and meta["watermark"] == "PREVIEW"
    assert meta["receipt"]["millicredits"] == 0 and meta["receipt"]["charged"] is False
    assert meta["words"] and all(w["start"] < 4 for w in meta["words"])
    assert "tired" in " ".join(w["text"].lower() for w in meta["words"])
    # the video only: the captions as files are the paid product
    assert sorted(p.name for p in tmp_path.iterdir()) == ["preview.mp4"]
    assert set(meta["outputs"]) == {"video"}
    assert not ledger.exists(), "a preview must never touch the credit ledger"
    # a visible watermark: before the first word, the preview differs from the plainly scaled source
    t = 0.2
    assert meta["words"][0]["start"] > t + 0.1
    def frame(args):
        raw = subprocess.run([ffmpeg_exe(), "-loglevel", "error", *args, "-frames:v", "1", "-f", "rawvideo",
                              "-pix_fmt", "gray", "pipe:1"], capture_output=True, check=True).stdout
        return np.frombuffer(raw, np.uint8).reshape(640, 360).astype(int)
    ours = frame(["-ss", str(t), "-i", str(out)])
    plain = frame(["-ss", str(t), "-i", str(EXAMPLE / "video.mp4"), "-vf", "scale=360:640"])
    diff = np.abs(ours - plain) > 40
    assert diff[220:360].mean() > 0.02, "no watermark across the middle of the frame"
    assert diff[:40].mean() > 0.01, "no watermark at the top"


@pytest.mark.parametrize("args,needle", [(["--seconds", "60"], "at most 10 s and 360 px"),
                                         (["--size", "1080"], "at most 10 s and 360 px")])
def test_preview_beyond_its_limits_is_refused(tmp_path, args, needle):
    from typer.testing import CliRunner

    from captioner.previews_cli import app

    r = CliRunner().invoke(app, ["preview", str(EXAMPLE / "video.mp4"), "--preset", "bounce", "--out",
                                 str(tmp_path / "p.mp4"), *args])
    assert r.exit_code == InputError.exit_code and needle in r.output, r.output
    assert list(tmp_path.iterdir()) == []


def test_gallery_into_a_relative_folder(tmp_path, monkeypatch):
    """`captioner previews --out gallery/` (the README's command) from the current folder."""
    from typer.testing import CliRunner

    from captioner.previews_cli import app

    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(app, ["previews", "--out", "gallery/", "--json"])
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    assert summary["counts"]["built"] == len(list_presets())
    assert all((tmp_path / "gallery" / "media" / Path(p["animated"]).name).is_file() for p in summary["presets"])
    assert (tmp_path / "gallery" / "index.html").is_file()
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".part")]


def test_the_watermark_does_not_take_the_presets_letter_spacing():
    """The watermark is drawn in the preset's style: a preset with letter_spacing 1.0 spread the top label off the frame
    ("E W · c a p t i" was all that showed). Its ink now sits inside the frame, as with the default look."""
    import numpy as np

    from captioner.job import watermark_events
    from captioner.presets import load_preset
    from captioner.render.ass import ASSWriter
    from captioner.render.contact import render_frames
    from captioner.types import CaptionTrack

    W, H = 360, 640
    widths = []
    for spacing in (0.0, 1.0):
        p = load_preset("classic", letter_spacing=spacing)
        track = CaptionTrack(words=[], pages=[], language="en", width=W, height=H, safe_zone="tiktok")
        ass = ASSWriter(track, p).render() + watermark_events(W, H, "PREVIEW", 2.0)
        frame = render_frames(ass, W, H, [0.5], background="black")[0].astype(int)
        ink = np.flatnonzero(frame[: int(H * 0.12)].max(axis=(0, 2)) > 100)  # the top label's columns
        assert ink.size and ink[0] > 2 and ink[-1] < W - 3, (spacing, ink[:3], ink[-3:])
        widths.append(ink[-1] - ink[0])
    assert abs(widths[1] - widths[0]) <= 4, widths
