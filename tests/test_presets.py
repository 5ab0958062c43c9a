"""Preset catalogue and validation: 31 built-ins, shipped fonts with licences, clear errors for bad files."""
import json
import os

import pytest

from captioner.errors import PresetError
from captioner.layout import FALLBACK_FONTS, EMOJI_FONT
from captioner.presets import font_path, fonts_dir, list_presets, load_preset, presets_dir


def test_catalogue_has_1_karaoke_21_basic_9_dynamic():
    tiers = [p.tier for p in list_presets()]
    assert tiers.count("karaoke") == 1 and tiers.count("basic") == 21 and tiers.count("dynamic") == 9
    assert load_preset("karaoke").tier == "karaoke"
    names = [p.name for p in list_presets()]
    assert len(set(names)) == 31
    for p in list_presets():
        assert p.description and len(p.description) > 20
        assert (presets_dir() / f"{p.name}.json").is_file(), "file name matches preset name"


def test_dynamic_presets_cover_every_animation():
    kinds = {p.animation.type for p in list_presets() if p.tier == "dynamic"}
    assert kinds == {"pop", "bounce", "slide_up", "typewriter", "zoom", "shake", "reveal", "moving_box", "fade"}
    assert all(p.animation.type == "none" for p in list_presets() if p.tier != "dynamic")


def test_presets_are_distinct_looks():
    looks = {(p.font, p.text_color, p.highlight, p.highlight_color, p.box, p.animation.type, p.position, p.gradient_color,
              p.blur, p.uppercase) for p in list_presets()}
    assert len(looks) == 31


def test_every_font_is_static_and_licensed():
    from fontTools.ttLib import TTFont

    fonts = [f for f in fonts_dir().iterdir() if f.suffix.lower() in (".ttf", ".otf")]
    assert {p.font for p in list_presets()} <= {f.name for f in fonts}
    for name in FALLBACK_FONTS + (EMOJI_FONT,):
        assert (fonts_dir() / name).is_file()
    for f in fonts:
        assert "fvar" not in TTFont(str(f), lazy=True), f"{f.name} is variable: libass needs static instances"
        family = f.stem.split("-")[0].replace("NotoSansCJKsc", "NotoSansCJK")
        lic = fonts_dir() / f"{family}-LICENSE.txt"
        assert lic.is_file(), f"no licence text for {f.name}"
        text = lic.read_text(encoding="utf-8", errors="replace")
        assert "Open Font License" in text or "Apache License" in text
    assert (fonts_dir() / "README.md").is_file()


def _write(tmp_path, data, name="mine.json"):
    p = tmp_path / name
    p.write_text(json.dumps(data), encoding="utf-8")
    return p


BASE = {"name": "mine", "tier": "basic", "font": "Anton-Regular.ttf"}


def test_user_preset_file_and_overrides(tmp_path):
    p = load_preset(_write(tmp_path, {**BASE, "text_color": "#00ff00"}))
    assert p.text_color == "#00FF00" and p.font == "Anton-Regular.ttf"
    q = load_preset("karaoke", font="BebasNeue-Regular.otf", highlight_color="#FF0000")
    assert q.font == "BebasNeue-Regular.otf" and q.highlight_color == "#FF0000"
    yml = tmp_path / "y.yaml"
    yml.write_text("name: y\ntier: dynamic\nanimation: {type: pop, duration_ms: 100}\n")
    assert load_preset(yml).animation.type == "pop"


@pytest.mark.parametrize("bad, needle", [
    ({**BASE, "colour": "#FFFFFF"}, "colour"),  # unknown key (typo)
    ({**BASE, "font_size": 0.9}, "font_size"),
    ({**BASE, "outline": -1}, "outline"),
    ({**BASE, "max_words": 40}, "max_words"),
    ({**BASE, "text_color": "white"}, "text_color"),
    ({**BASE, "animation": {"type": "spin"}}, "animation"),
    ({**BASE, "animation": {"type": "pop", "duration_ms": 99999}}, "duration_ms"),
    ({**BASE, "tier": "premium"}, "tier"),
    ({**BASE, "font": "Comic-Sans.ttf"}, "not shipped"),
    ({**BASE, "font": "../presets/karaoke.json"}, "not a path"),
    ({**BASE, "font": "/etc/passwd"}, "not a path"),
    ({**BASE, "font": "NotoColorEmoji.ttf"}, "emoji"),
])
def test_bad_preset_files_give_clear_errors(tmp_path, bad, needle):
    with pytest.raises(PresetError) as e:
        load_preset(_write(tmp_path, bad))
    assert needle in str(e.value)


def test_bad_override_and_unknown_names(tmp_path):
    with pytest.raises(PresetError, match="not shipped"):
        load_preset("karaoke", font="Helvetica.ttf")
    with pytest.raises(PresetError, match="not a path"):
        load_preset("karaoke", font="../../etc/fonts.ttf")
    with pytest.raises(PresetError, match="unknown preset"):
        load_preset("no-such-look")
    with pytest.raises(PresetError, match="not found"):
        load_preset("../presets/../../nope.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(PresetError, match="not valid JSON"):
        load_preset(tmp_path / "broken.json")


def test_font_symlink_escaping_fonts_folder_is_refused(tmp_path):
    link = fonts_dir() / "zz-escape-test.ttf"
    target = tmp_path / "evil.ttf"
    target.write_bytes((fonts_dir() / "Anton-Regular.ttf").read_bytes())
    os.symlink(target, link)
    try:
        with pytest.raises(PresetError, match="outside the fonts folder"):
            font_path(load_preset("karaoke").model_copy(update={"font": "zz-escape-test.ttf"}))
    finally:
        link.unlink()


def test_a_preset_whose_reading_limits_contradict_each_other_is_refused(tmp_path):
    """min_duration 3 s over max_duration 1 s rendered, and every page got both `qa_too_short` and `qa_too_long`."""
    import json

    from captioner.errors import PresetError
    from captioner.presets import load_preset

    for reading, word in (({"min_duration": 3.0, "max_duration": 1.0}, "min_duration"),
                          ({"preferred_chars": 80, "max_chars": 8}, "preferred_chars"),
                          ({"target_cps": 60, "max_cps": 1}, "target_cps")):
        f = tmp_path / "incons.json"
        f.write_text(json.dumps({"name": "incons", "tier": "basic", "reading": reading}))
        with pytest.raises(PresetError, match=f"{word} .* is more than"):
            load_preset(f)
