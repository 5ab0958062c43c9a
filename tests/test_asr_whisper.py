"""The embedded Whisper default: offline weights, pinned language, script as a hint, guards against loops."""
from __future__ import annotations

import os

import numpy as np
import pytest

from captioner.asr import ASROptions, get_backend
from captioner.asr.whisper import (MODEL_BIN_SHA256, MODEL_BIN_SIZE, ensure_whisper_base, max_ngram_repeats,
                                   suspicion)
from captioner.errors import InputError, LanguageError
from captioner.media import load_audio

from .conftest import FIXTURES, normalize_words, wer


def test_weights_reassembled_once_and_verified(tmp_path):
    d = ensure_whisper_base(tmp_path / "w")
    assert (d / "model.bin").stat().st_size == MODEL_BIN_SIZE
    assert (d / ".verified").read_text().strip() == MODEL_BIN_SHA256
    mtime = (d / "model.bin").stat().st_mtime_ns
    assert ensure_whisper_base(tmp_path / "w") == d
    assert (d / "model.bin").stat().st_mtime_ns == mtime  # not rebuilt


def test_truncated_cache_is_rebuilt_not_loaded(tmp_path):
    d = ensure_whisper_base(tmp_path / "w")
    with open(d / "model.bin", "r+b") as f:
        f.truncate(1000)
    ensure_whisper_base(tmp_path / "w")
    assert (d / "model.bin").stat().st_size == MODEL_BIN_SIZE


@pytest.mark.parametrize("ad,language", [("ad-en-02", "en"), ("ad-es-01", "es")])
def test_recognises_the_spoken_words(ad, language, whisper_model):
    folder = FIXTURES / "media" / ad
    audio = load_audio(folder / "audio.flac")
    script = (folder / "script.txt").read_text()
    tr = get_backend("whisper").transcribe(audio, ASROptions(language=language, script=script))
    assert tr.language == language and tr.backend == "whisper" and tr.words
    ref = normalize_words((folder / "spoken.txt").read_text(), language)
    hyp = normalize_words(" ".join(w.text for w in tr.words), language)
    assert wer(ref, hyp) <= 0.15, (ref, hyp)
    assert all(0 <= w.start <= w.end <= tr.duration + 0.05 for w in tr.words)


def test_pinned_german_is_never_english(whisper_model):
    from captioner.language import check_language

    folder = FIXTURES / "media" / "ad-de-03"
    audio = load_audio(folder / "video.mp4")
    # an English prompt pushes Whisper towards English; the pin must hold
    tr = get_backend("whisper").transcribe(audio, ASROptions(language="de", script="Get yours now, link in bio!"))
    assert tr.language == "de"
    ok, found, _ = check_language(tr.text, "de")
    assert ok, (found, tr.text)


def test_auto_detects_and_records(whisper_model):
    audio = load_audio(FIXTURES / "media" / "ad-es-01" / "audio.flac")
    tr = get_backend("whisper").transcribe(audio, ASROptions(language="auto"))
    assert tr.language == "es" and tr.language_detected
    assert any("detected" in n for n in tr.notes)


def test_silence_gives_no_words(whisper_model):
    tr = get_backend("whisper").transcribe(np.zeros(16000 * 3, np.float32), ASROptions(language="en", script="Buy now"))
    assert tr.words == [] and "no speech detected" in tr.notes


def test_unknown_language_and_backend():
    with pytest.raises(LanguageError):
        get_backend("whisper").transcribe(np.zeros(16000, np.float32), ASROptions(language="xx"))
    with pytest.raises(InputError):
        get_backend("wav2vec")


def test_loop_guards():
    assert max_ngram_repeats("buy now buy now buy now buy now".split()) >= 3
    assert max_ngram_repeats("the quick brown fox".split()) == 1
    looping = " ".join(["order today and save"] * 8)
    assert suspicion(looping, 32, 4.0, "en")
    assert not suspicion("Tired of dull skin? Lumewell Glow Serum is just forty dollars today.", 12, 4.0, "en")
    # a Chinese decoder echoing a clause twice (no spaces: checked per character)
    echo = "酷翎运动耳机，续航长达40小时。酷翎运动耳机，续航长达40小时"
    assert suspicion(echo, 4, 8.0, "zh")
    assert not suspicion("酷翎运动耳机，续航长达四十小时。现在下单立减五十元！", 4, 8.0, "zh")


# --- long audio: windows and the decoder's 448 positions ------------------------------------------

def test_windows_cut_at_pauses_and_never_exceed_30s():
    from captioner.windows import plan_windows

    # 70 s of speech in 4 s phrases with 0.6 s pauses, one longer 1.5 s pause (at 27.3–28.8 s)
    speech, t = [], 0.3
    while t < 70:
        speech.append((t, min(70.0, t + 4.0)))
        t += 4.0 + (1.5 if 20 < t < 24 else 0.6)
    wins = plan_windows(70.5, speech)
    assert wins[0].start == 0 and wins[-1].end == 70.5
    assert all(w.duration <= 30.0 for w in wins) and len(wins) == 3
    assert all(a.end == b.start for a, b in zip(wins, wins[1:]))
    for w in wins[:-1]:  # every cut is inside a pause, never inside a phrase
        assert not any(a < w.end < b for a, b in speech), w
    gaps = [(b[0] - a[1], (a[1] + b[0]) / 2) for a, b in zip(speech, speech[1:])]
    longest = max(gaps)[1]
    assert any(abs(w.end - longest) < 1e-6 for w in wins)  # the long pause is preferred
    # continuous voice: hard cuts at 30 s; short audio: one window
    assert [round(w.end) for w in plan_windows(75, [(0, 75)])] == [30, 60, 75]
    assert len(plan_windows(29.9, speech)) == 1


def test_script_for_window_follows_the_speech():
    from captioner.windows import Window, script_for_window

    words = [f"w{i}" for i in range(100)]
    speech = [(0.0, 60.0)]
    first = script_for_window(words, Window(0, 30), speech, margin_s=0)
    second = script_for_window(words, Window(30, 60), speech, margin_s=0)
    assert first[0] == "w0" and second[-1] == "w99" and abs(len(first) - 50) <= 3
    margin = script_for_window(words, Window(30, 60), speech, margin_s=3)
    assert len(margin) > len(second) and margin[-1] == "w99"


def test_fit_tail_cuts_between_words_then_inside_one():
    from captioner.windows import fit_tail, split_tokens

    assert fit_tail([[1, 2], [3], [4, 5, 6]], 4) == ([3, 4, 5, 6], 2)
    assert fit_tail([[1, 2], [3], [4, 5, 6]], 100) == ([1, 2, 3, 4, 5, 6], 3)
    assert fit_tail([[1], list(range(10, 20))], 4) == ([16, 17, 18, 19], 0)  # one word over the budget: its tail
    assert split_tokens(list(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]


def test_prompt_and_hotwords_always_fit_448_positions(whisper_model):
    """A 450-word script, a 500-character word and 40 hotwords: every window's decoder input fits."""
    from captioner.asr.whisper import DecoderPrompt, WhisperBackend, max_new_tokens

    be = WhisperBackend()
    tok = be._tokenizer("en")
    script = ("Lumewell Glow Serum is just $49 today, use code GLOW20 for 20% off, tap the link below! " * 30).split()
    giant = "Super" + "a" * 495
    hot = ["Lumewell", giant, *[f"Brand{i}x" for i in range(40)]]
    for words in (script, script[:200] + [giant] + script[200:], [giant], script + [giant]):
        for secs in (5.0, 17.0, 30.0):
            p = be.prompt_for("en", words, hot, secs)
            n_prompt = len(p.prompt) if isinstance(p.prompt, list) else len(tok.encode(" " + (p.prompt or "")))
            n_hot = len(tok.encode(" " + p.hotwords)) if p.hotwords else 0
            total = 1 + n_hot + n_prompt + len(tok.sot_sequence) + max_new_tokens(secs)
            assert total <= 448, (secs, total)
            assert giant not in (p.hotwords or "") and "Lumewell" in p.hotwords
            assert (p.prompt is None) == (words == [giant])  # the giant word never crowds out the real ones
            if isinstance(p.prompt, str):
                assert giant not in p.prompt and p.prompt.endswith("below!")  # the tail is kept
    # Chinese is written without spaces: one 600-character "word" is cut into pieces and its tail kept
    zh = be.prompt_for("zh", ["酷翎运动耳机续航长达四十小时，现在下单立减五十元！" * 24], [], 30.0)
    zt = be._tokenizer("zh")
    assert isinstance(zh.prompt, list) and zh.truncated
    assert 1 + len(zh.prompt) + len(zt.sot_sequence) + max_new_tokens(30.0) <= 448
    short = be.prompt_for("en", "Buy Lumewell now".split(), ["Lumewell"], 10.0, text="Buy Lumewell now")
    assert short == DecoderPrompt("Buy Lumewell now", "Lumewell", short.prompt_tokens, False)


def test_a_tagline_the_script_repeats_is_not_a_loop():
    from captioner.asr.whisper import script_repeats

    script = ("Meet Lumewell, the serum you did not know you needed. Thirty day guarantee. "
              "Meet Brewvana, the coffee you did not know you needed.")
    said = script.lower()
    assert suspicion(said, 24, 9.0, "en")  # alone, the repeated tagline looks like a loop
    assert not suspicion(said, 24, 9.0, "en", script_repeats(script, "en"))
    loop = " ".join(["order today and save"] * 8)
    assert suspicion(loop, 32, 4.0, "en", script_repeats(script, "en"))  # a real loop still is one


def test_one_shared_model_and_its_encoder_memo(whisper_model):
    """`load_model()` and the backend's `load_model(None, 0)` are one copy; a window is encoded once even when two
    passes ask for it at the same moment, and a failure is not remembered."""
    import threading

    from captioner.asr.whisper import EncoderMemo, load_model

    assert load_model(None, 0) is whisper_model and load_model() is whisper_model
    assert isinstance(whisper_model.encode, EncoderMemo)
    calls, gate = [], threading.Event()

    def encode(f):
        calls.append(1)
        gate.wait(10)
        if float(f[0, 0]) < 0:
            raise RuntimeError("bad window")
        return ("enc", float(f.sum()))

    memo = EncoderMemo(encode, size=2)
    a = np.ones((80, 30), np.float32)
    out = []
    ts = [threading.Thread(target=lambda: out.append(memo(a.copy()))) for _ in range(3)]
    for t in ts:
        t.start()
    gate.set()
    for t in ts:
        t.join(10)
    assert len(calls) == 1 and len(set(out)) == 1 and memo.hits == 2
    with pytest.raises(RuntimeError):
        memo(-a)
    with pytest.raises(RuntimeError):
        memo(-a)  # tried again, not the remembered failure
    assert len(calls) == 3
    memo(2 * a), memo(3 * a)  # the oldest windows drop out
    memo(a)
    assert len(calls) == 6


def test_witness_pass_beside_the_prompted_pass_gives_the_same_transcripts(whisper_model):
    """The unprompted witness runs beside the prompted pass (two requests at once): same words as one after the
    other, on real speech."""
    from captioner.pipeline import hotwords, recognise

    ad = FIXTURES / "media" / "ad-en-02"
    audio = load_audio(ad / "audio.flac")
    script = (ad / "script.txt").read_text()
    backend = get_backend("whisper")
    assert backend.concurrent == ((os.cpu_count() or 1) >= 2)
    whisper_model.encode.clear()
    t1, r1, _ = recognise(audio, script, "en")
    seq_prompted = backend.transcribe(audio, ASROptions(language="en", script=script, hotwords=hotwords(script), use_prompt=True))
    seq_witness = backend.transcribe(audio, ASROptions(language="en", script=None, hotwords=[], use_prompt=False))
    assert r1 is not None and r1.text == seq_witness.text and [w.start for w in r1.words] == [w.start for w in seq_witness.words]
    assert t1.prompt_used and t1.text == seq_prompted.text


def test_remnant_rules():
    """A remnant window (after the last decoded word) is skipped when it holds no voice, or when a prompted pass's
    words already reach the end of the script's text; otherwise it is decoded."""
    from captioner.asr.whisper import ends_with_script, remnant_needless

    script = "Order today and save $20!".split()
    assert ends_with_script(["and", "save", "$20!"], script, "en")
    assert ends_with_script(["save", "20"], script, "en")
    assert not ends_with_script(["save", "$20!", "dollars."], script, "en")  # a word after the script's end
    assert not ends_with_script(["Order", "today"], script, "en")  # script words still owed
    assert not ends_with_script([], script, "en") and not ends_with_script(["x"], [], "en")
    assert ends_with_script(["立", "即", "下单！"], ["现在", "立即下单！"], "zh")
    voice = [(0.2, 7.9)]
    assert remnant_needless(8.0, 9.0, voice, ["Order"], script, "en")  # no voice after 8.0 s
    assert remnant_needless(7.8, 9.0, voice, ["save", "$20!"], script, "en")  # voiced, but the script is done
    assert not remnant_needless(7.0, 9.0, voice, ["Order", "today"], script, "en")  # voiced, script words owed
    assert not remnant_needless(7.0, 9.0, voice, ["Order", "today"], [], "en")  # a witness pass: it decodes the voice
    assert remnant_needless(9.0, 9.0, voice, [], [], "en")


def _counting_encoder(model, monkeypatch) -> list:
    calls: list = []
    inner = model.encode._encode

    def encode(features):
        calls.append(1)
        return inner(features)

    model.encode.clear()
    monkeypatch.setattr(model.encode, "_encode", encode)
    return calls


def test_no_remnant_window_after_the_scripts_last_word(whisper_model, monkeypatch):
    """Piper voice, "… and save $20!": Whisper's last word ends before the voice does, and faster-whisper would
    start a new 30 s window there (a second encoder pass) that hears "dollars." again. The script's text is done,
    so the prompted pass stops: one encoder pass, no repeated word."""
    folder = FIXTURES / "media" / "ad-en-p03"
    audio = load_audio(folder / "audio.flac")
    script = (folder / "script.txt").read_text()
    calls = _counting_encoder(whisper_model, monkeypatch)
    tr = get_backend("whisper").transcribe(audio, ASROptions(language="en", script=script))
    assert len(calls) == 1, tr.text
    assert tr.words and "20" in tr.words[-1].text and "dollars" not in tr.words[-1].text.lower(), tr.text


def test_remnant_window_is_what_faster_whisper_would_decode(whisper_model, monkeypatch):
    """The same pass with the rule off (what faster-whisper does on its own): the remnant costs a second encoder
    pass and hears the price's last word again: the skip above is what removes both."""
    from captioner.asr import whisper as W

    folder = FIXTURES / "media" / "ad-en-p03"
    audio = load_audio(folder / "audio.flac")
    script = (folder / "script.txt").read_text()
    calls = _counting_encoder(whisper_model, monkeypatch)
    monkeypatch.setattr(W, "remnant_needless", lambda *a: False)
    tr = get_backend("whisper").transcribe(audio, ASROptions(language="en", script=script))
    assert len(calls) == 2 and tr.words[-1].text.lower().startswith("dollars"), tr.text


def test_a_voice_in_another_language_than_pinned_says_what_to_check(whisper_model):
    """English audio pinned to German with an English script: the message told the user to pass the script they had
    passed; and a Chinese pin named the transcript's language "latin"."""
    from captioner.pipeline import recognise

    from captioner.errors import InputError

    audio = load_audio(FIXTURES / "media" / "ad-en-02" / "audio.flac")
    script = "I switched to Brewvana cold brew pods. Get 12 pods for $19.99 with free shipping. Order now!"
    # the script and the voice both English: the pin is the slip, and the job stops before any recognition
    with pytest.raises(InputError) as e:
        recognise(audio, script, "zh")
    msg = str(e.value)
    assert "--language en" in msg and "pass the script" not in msg and "'latin'" not in msg
    # no script to say so: the transcript's language is checked as before
    with pytest.raises(LanguageError) as e:
        recognise(audio, None, "zh")
    msg = str(e.value)
    assert "'zh'" in msg and "'latin'" not in msg
