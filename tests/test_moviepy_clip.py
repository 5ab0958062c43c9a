"""CaptionClip: our captions as a MoviePy clip, composited over a user's clip and checked by pixels against the
libass burn of the same script."""
import json
from pathlib import Path

import numpy as np
import pytest

moviepy = pytest.importorskip("moviepy", reason="the moviepy extra (scripts/test.sh installs it)")

from moviepy.video.VideoClip import ColorClip  # noqa: E402
from moviepy.video.compositing.CompositeVideoClip import CompositeVideoClip  # noqa: E402

from captioner.layout import paginate  # noqa: E402
from captioner.moviepy_clip import CaptionClip  # noqa: E402
from captioner.presets import load_preset  # noqa: E402
from captioner.render.ass import ASSWriter  # noqa: E402
from captioner.render.contact import BACKGROUND, render_frames  # noqa: E402
from captioner.types import Word  # noqa: E402

FIX = Path(__file__).parent / "fixtures" / "render"
W, H = 360, 640
BG = tuple(int(BACKGROUND[2:][i:i + 2], 16) for i in (0, 2, 4))


def words(limit=4.5):
    data = json.loads((FIX / "ad-en-01.words.json").read_text(encoding="utf-8"))
    return [Word(text=w["text"] + ("🔥" if w["text"] == "skin" else ""), start=w["start"], end=w["end"])
            for w in data["words"] if w["start"] < limit]


@pytest.mark.parametrize("preset", ["karaoke", "pop-in"])
def test_caption_clip_over_a_clip_matches_the_burn(preset):
    p = load_preset(preset)
    track = paginate(words(), p, W, H, language="en", fps=25)
    clip = CaptionClip(track, p, fps=25, duration=4.5)
    try:
        bg = ColorClip((W, H), color=BG, duration=4.5)
        comp = CompositeVideoClip([bg, clip], size=(W, H))
        times = [(pg.start + pg.end) / 2 for pg in track.pages[:3]] + [track.words[1].start + 0.03]
        ref = render_frames(ASSWriter(track, p).render(), W, H, times)
        for t, want in zip(times, ref):
            got = comp.get_frame(round(t * 25) / 25).astype(np.int16)
            want = want.astype(np.int16)
            ink = np.abs(want - np.array(BG)).max(axis=2) > 24
            assert ink.sum() > 300, f"no captions at {t}"
            diff = np.abs(got - want).max(axis=2)
            assert diff.mean() < 1.5 and np.percentile(diff[ink], 95) < 40, (t, diff.mean(), np.percentile(diff[ink], 95))
        # the mask: transparent away from the captions, opaque on the text; the colour emoji is drawn too
        m = clip.mask.get_frame(times[0])
        assert m[:50].max() == 0.0 and m.max() > 0.99
    finally:
        clip.close()


def test_caption_clip_composites_over_moving_video_and_writes_a_file(tmp_path):
    p = load_preset("karaoke")
    track = paginate(words(2.0), p, W, H, language="en", fps=25)
    clip = CaptionClip(track, p, fps=25, duration=1.6)
    try:
        red = ColorClip((W, H), color=(200, 30, 30), duration=1.6)
        comp = CompositeVideoClip([red, clip], size=(W, H))
        out = tmp_path / "comp.mp4"
        comp.write_videofile(str(out), fps=25, codec="libx264", audio=False, logger=None)
        assert out.stat().st_size > 1000
        f = comp.get_frame(0.8).astype(np.int16)
        white = (f.min(axis=2) > 220).sum()  # white caption letters over red
        red_px = ((f[..., 0] > 180) & (f[..., 1] < 60)).sum()
        assert white > 200 and red_px > 0.8 * W * H
        # seeking backwards restarts the drawing at the right time: the same frame again
        assert np.array_equal(comp.get_frame(0.8), comp.get_frame(0.8)) and comp.get_frame(0.2) is not None
        np.testing.assert_array_equal(clip.get_frame(0.8), CaptionClip(track, p, fps=25, duration=1.6).get_frame(0.8))
    finally:
        clip.close()


def test_from_json_of_a_render(tmp_path):
    from captioner.types import CaptionResult, MediaInfo, Receipt, Tier

    track = paginate(words(), load_preset("karaoke"), W, H, language="en", fps=25)
    res = CaptionResult(video="v.mp4", outputs={}, language="en", asr_backend="whisper", preset="karaoke", words=track.words,
                        pages=track.pages, findings=[], receipt=Receipt(preset="karaoke", tier=Tier.karaoke, credits=0,
                                                                        millicredits=0),
                        media=MediaInfo(path="v.mp4", duration=4.5, width=W, height=H, fps=25.0, has_audio=True), version="x")
    path = tmp_path / "out.json"
    path.write_text(res.model_dump_json())
    clip = CaptionClip.from_json(str(path))
    try:
        assert clip.size == (W, H) and abs(clip.duration - 4.5) < 1e-6
        assert clip.mask.get_frame(track.pages[0].start + 0.1).max() > 0.99
    finally:
        clip.close()
