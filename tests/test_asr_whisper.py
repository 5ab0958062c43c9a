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
