"""Property-based fuzzing (hypothesis) of what users hand us: script text, preset files, batch manifests.

The property is the same everywhere: the result is a value or a `CaptionerError` — never another exception — and
a failure leaves nothing behind. Bounded for CI: derandomized (the same examples every run), a few hundred
examples per property, no deadline (the machine is shared).
"""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captioner.errors import CaptionerError
from captioner.text import BIDI, ZERO_WIDTH, clean_script, clean_text

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# pieces a hostile script is made of: markup, escapes, controls, joiners, RTL, Indic, CJK, emoji, prices
HOSTILE = ["{\\b1}", "{\\pos(10,20)}", "{", "}", "\\N", "\\n", "\\h", "\\", "<b>", "</i>", "<font color=red>",
           *BIDI, *ZERO_WIDTH, "\u200c", "\u200d", "\x00", "\x1b[31m", "\r", "\r\n", "\t", "\u2028", "\U000e0041",
           "क्ष", "मेरा", "سلام", "שלום", "酷翎", "👩\u200d💻", "🏴\U000e0067\U000e0062\U000e007f", "e\u0301",
           "$49", "19,99 €", "₹499", "GLOW20", "20%", " ", "\n", "Lumewell"]
script_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12)), max_size=40).map("".join)


@FUZZ
@given(script_text)
def test_clean_text_properties(s):
    c = clean_text(s)
    assert clean_text(c) == c  # idempotent
    assert unicodedata.is_normalized("NFC", c)
    assert not any(ch in BIDI or ch in ZERO_WIDTH for ch in c)
    assert not any(unicodedata.category(ch) == "Cc" and ch != "\n" for ch in c)
    cs = clean_script(s)
    assert clean_script(cs.text).text == cs.text
    assert "{" not in cs.text and "}" not in cs.text and "\\N" not in cs.text


@FUZZ
@given(script_text, st.sampled_from(["en", "de", "hi", "zh"]))
def test_script_tokens_and_writers_never_crash(s, language):
    from captioner.hint import script_tokens
    from captioner.layout import paginate
    from captioner.presets import load_preset
    from captioner.render.ass import ASSWriter
    from captioner.render.srt import to_srt
    from captioner.render.vtt import to_vtt
    from captioner.types import Word

    tokens, _ = script_tokens(s, language)
    words = [Word(text=t, start=0.3 * i, end=0.3 * i + 0.25) for i, t in enumerate(tokens[:30])]
    for w in words:  # tokens carry no markup or invisible characters
        assert not any(ch in BIDI or ch in ZERO_WIDTH for ch in w.text) and "{\\" not in w.text
    preset = load_preset("karaoke")
    track = paginate(words, preset, 360, 640, language=language, duration=10.0)
    ass = ASSWriter(track, preset).render()
    for text in (to_srt(track), to_vtt(track)):
        assert not any(ch in BIDI for ch in text)
    dialogue = [ln for ln in ass.splitlines() if ln.startswith("Dialogue:")]
    assert not any(ch in BIDI for ln in dialogue for ch in ln)


@FUZZ
@given(st.binary(max_size=300) | script_text.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_load_script_is_text_or_input_error(tmp_path_factory, data):
    from captioner.errors import InputError
    from captioner.hint import load_script

    p = tmp_path_factory.mktemp("s") / "script.txt"
    p.write_bytes(data)
    try:
        assert isinstance(load_script(p), str)
    except InputError as e:
        assert "\n" not in str(e)


@pytest.fixture(scope="module")
def tokenizer_backend(whisper_model):
    from captioner.asr.whisper import WhisperBackend

    return WhisperBackend()


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(min_size=1, max_size=600)), max_size=300),
       st.lists(st.text(max_size=200), max_size=30), st.floats(0.5, 30.0), st.sampled_from(["en", "zh", "hi"]))
def test_prompt_always_fits_the_decoder(tokenizer_backend, words, hot, secs, language):
    from captioner.asr.whisper import max_new_tokens

    words = clean_script(" ".join(words)).text.split()
    be = tokenizer_backend
    tok = be._tokenizer(language)
    p = be.prompt_for(language, words, [clean_text(h) for h in hot if clean_text(h).strip()], secs)
    n_prompt = len(p.prompt) if isinstance(p.prompt, list) else len(tok.encode(" " + (p.prompt or "")))
    n_hot = len(tok.encode(" " + p.hotwords)) if p.hotwords else 0
    assert 1 + n_hot + n_prompt + len(tok.sot_sequence) + max_new_tokens(secs) <= 448


# --- presets -----------------------------------------------------------------------------------------

_scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                    st.text(max_size=30), st.sampled_from(["#FFFFFF", "#00000080", "pop", "box", "karaoke", "dynamic",
                                                           "Montserrat-ExtraBold.ttf", "../../etc/passwd", "bottom"]))
_json = st.recursive(_scalar, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids,
                                                                                          max_size=4), max_leaves=20)
PRESET_KEYS = ["name", "tier", "font", "font_size", "text_color", "highlight_color", "outline", "box", "highlight",
               "animation", "max_words", "max_lines", "position", "uppercase", "active_scale", "y_offset"]
preset_doc = st.dictionaries(st.sampled_from(PRESET_KEYS) | st.text(max_size=10), _json, max_size=10)


def _listing(d: Path) -> list[str]:
    return sorted(str(p.relative_to(d)) for p in d.rglob("*"))


@FUZZ
@given(preset_doc, st.sampled_from([".json", ".yaml"]), st.booleans())
def test_preset_files_load_or_fail_cleanly(tmp_path_factory, doc, suffix, mangle):
    from captioner.presets import Preset, load_preset

    d = tmp_path_factory.mktemp("p")
    p = d / ("p" + suffix)
    text = json.dumps(doc, default=str) if suffix == ".json" else yaml.safe_dump(doc, allow_unicode=True)
    if mangle:  # cut it anywhere: broken syntax must be an error too
        text = text[: len(text) // 2]
    p.write_text(text, encoding="utf-8")
    before = _listing(d)
    try:
        assert isinstance(load_preset(str(p)), Preset)
    except CaptionerError:
        pass
    assert _listing(d) == before


@FUZZ
@given(st.text(max_size=400) | st.sampled_from(["a: &a [1,2]\nb: [*a, *a]", "[" * 200, "{name: x, tier: " * 50,
                                                 "!!python/object:os.system ['echo hi']", "? [a, b]\n: c"]))
def test_raw_preset_text_never_crashes(tmp_path_factory, text):
    from captioner.presets import load_preset

    p = tmp_path_factory.mktemp("r") / "p.yaml"
    p.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        load_preset(str(p))
    except CaptionerError:
        pass


# --- manifests ---------------------------------------------------------------------------------------

VARIANT_KEYS = ["output", "video", "script", "language", "preset", "presets", "asr", "safe_zone", "on_mismatch",
                "use_prompt"]
_value = st.one_of(_json, st.sampled_from(["v.mp4", "s.txt", "../v.mp4", "/etc/passwd", "en", "xx", "karoke", "karaoke",
                                           "a", "batch-report", "v", "out/../v", "whisper", "flag"]))
variant = st.dictionaries(st.sampled_from(VARIANT_KEYS) | st.text(max_size=8), _value, max_size=8)
manifest_doc = st.fixed_dictionaries(
    {}, optional={"variants": st.lists(variant, max_size=5) | _json, "defaults": st.dictionaries(
        st.sampled_from(VARIANT_KEYS), _value, max_size=4) | _json, "output_dir": _value, "account": _value})


@pytest.fixture(scope="module")
def manifest_home(tmp_path_factory):
    from .conftest import EXAMPLE

    d = tmp_path_factory.mktemp("m")
    (d / "v.mp4").write_bytes((EXAMPLE / "video.mp4").read_bytes())
    (d / "s.txt").write_text("Buy Lumewell now.\n")
    return d


@FUZZ
@given(manifest_doc, st.sampled_from([".yaml", ".toml"]), st.booleans())
def test_manifests_load_or_fail_cleanly(manifest_home, doc, suffix, mangle):
    from captioner.batch import Manifest, load_manifest

    m = manifest_home / ("m" + suffix)
    if suffix == ".yaml":
        text = yaml.safe_dump(doc, allow_unicode=True)
    else:
        text = _toml(doc)
    if mangle:
        text = text[: len(text) // 2]
    m.write_text(text, encoding="utf-8")
    before = _listing(manifest_home)
    try:
        assert isinstance(load_manifest(m), Manifest)
    except CaptionerError:
        pass
    finally:
        m.unlink()
    assert _listing(manifest_home) == [x for x in before if x != m.name]


def _toml(doc) -> str:
    """A TOML-ish rendering (JSON values are valid TOML inline values for strings, numbers, booleans, arrays)."""
    lines = []
    for k, v in doc.items():
        lines.append(f"{json.dumps(str(k))} = {json.dumps(v, default=str)}")
    return "\n".join(lines) + "\n"
