"""The price judge's own Whisper (`captioner.asr.whisper_scorer`): the shipped weights, read from CTranslate2's
`model.bin`, scoring texts as CTranslate2's float32 model does — on real audio, against the real CTranslate2 model."""
from __future__ import annotations

import shutil
import struct

import numpy as np
import pytest

from captioner.asr.whisper import ensure_whisper_base, load_judge_model, load_model
from captioner.asr.whisper_scorer import JudgeModel, read_ct2_variables
from captioner.errors import ModelError
from captioner.media import load_audio

from .conftest import FIXTURES

TEXTS = [f"get twelve pods for {x} dollars and ninety nine cents with free shipping"
         for x in ("nineteen", "ninety", "twenty nine", "one hundred and nineteen")]


@pytest.fixture(scope="module")
def window_audio():
    return load_audio(FIXTURES / "media" / "ad-en-02" / "audio.flac")[: 16000 * 8]


def _features(model, audio):
    from faster_whisper.transcribe import pad_or_trim

    feats = model.feature_extractor(audio)
    n = feats.shape[-1]
    width = int(np.ceil((n + 50) / 2.0)) * 2
    return np.ascontiguousarray(pad_or_trim(feats, width), dtype=np.float32), n


def test_the_judge_model_is_the_numpy_scorer_loaded_once():
    judge = load_judge_model()
    assert isinstance(judge, JudgeModel) and judge.compute_type == "float32"
    assert load_judge_model() is judge


def test_scores_are_ctranslate2_float32_scores(window_audio):
    """Encoder output and teacher-forced token log-probabilities match CTranslate2's float32 Whisper on the same
    weights (the calibrated judge's numbers), text by text; `Whisper.align` scores after the no-timestamps token
    and gives the special tokens no probability, and so does the scorer."""
    from faster_whisper.tokenizer import Tokenizer

    judge = load_judge_model()
    ct2 = load_model(None, 1, compute_type="float32", workers=1)
    feats, n_frames = _features(ct2, window_audio)
    ours = judge.encode(feats)
    theirs = np.asarray(ct2.encode(feats))
    assert ours.shape == theirs.shape and np.abs(ours - theirs).max() < 2e-3
    tok = Tokenizer(ct2.hf_tokenizer, True, task="transcribe", language="en")
    seqs = [tok.encode(" " + t) for t in TEXTS]
    want = []
    for s in seqs:
        r = ct2.model.align(ct2.encode(feats), tok.sot_sequence, [s], n_frames, median_filter_width=1)[0]
        want.append(float(np.sum(np.log(np.asarray(r.text_token_probs, dtype=np.float64)))))
    got = judge.window(ours).score(list(tok.sot_sequence) + [tok.no_timestamps], seqs)
    assert np.allclose(got, want, atol=0.01), (got, want)
    assert int(np.argmax(got)) == 0  # the voice says "nineteen dollars and ninety nine cents"


def test_a_text_scores_the_same_alone_or_in_a_batch(window_audio):
    """Texts share their common prefix and are batched with padding: neither may leak into a text's score."""
    from faster_whisper.tokenizer import Tokenizer

    judge = load_judge_model()
    feats, _ = _features(judge, window_audio)
    win = judge.window(judge.encode(feats))
    tok = Tokenizer(judge.hf_tokenizer, True, task="transcribe", language="en")
    start = list(tok.sot_sequence) + [tok.no_timestamps]
    seqs = [tok.encode(" " + t) for t in TEXTS] + [tok.encode(" get"), tok.encode(" something else entirely")]
    together = win.score(start, seqs)
    alone = [win.score(start, [s])[0] for s in seqs]
    tiny_batches = win.score(start, seqs, batch_tokens=1)
    assert np.allclose(together, alone, atol=2e-3) and np.allclose(together, tiny_batches, atol=2e-3)
    assert win.score(start, []) == []
    with pytest.raises(ValueError, match="at least one token"):
        win.score(start, [[]])
    with pytest.raises(ValueError, match="448"):
        win.score(start, [[220] * 448])


def test_reads_ctranslate2_files_and_refuses_broken_ones(tmp_path):
    path = ensure_whisper_base() / "model.bin"
    dec = read_ct2_variables(path, "decoder/")
    assert dec["decoder/embeddings/weight"].dtype == np.float32 and dec["decoder/embeddings/weight"].shape == (51865, 512)
    assert dec["decoder/projection/weight"] is dec["decoder/embeddings/weight"]  # the alias: tied output projection
    assert not any(k.startswith("encoder/") for k in dec)
    bad = tmp_path / "model.bin"
    bad.write_bytes(struct.pack("I", 5) + path.read_bytes()[4:4096])
    with pytest.raises(ValueError, match="format 5"):
        read_ct2_variables(bad)
    # a truncated copy next to the real tokenizer: a clear ModelError from the loader, not a crash mid-ad
    model_dir = tmp_path / "cut"
    model_dir.mkdir()
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        shutil.copy(ensure_whisper_base() / name, model_dir / name)
    with open(path, "rb") as f:
        (model_dir / "model.bin").write_bytes(f.read(2_000_000))
    with pytest.raises(ValueError, match="truncated"):
        read_ct2_variables(model_dir / "model.bin")
    with pytest.raises(ModelError, match="price judge"):
        load_judge_model(str(model_dir))
