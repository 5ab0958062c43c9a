"""Script-seeded diffusion canvas: spoken form, numbers always noised, determinism, training, the CLI flag."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from captioner.asr.diffusion_seed import seed_canvas, split_for_chunks, spoken_script

FIX = Path(__file__).parent / "fixtures" / "diffusion"
ROWS = [json.loads(line) for line in (FIX / "clips.jsonl").read_text().splitlines() if line.strip()]


def _numbers(sp):
    return [w.text for w in sp.words if w.number]


def test_spoken_script_marks_every_number_price_and_code():
    sp = spoken_script("Get Velmora today for $49! Code GLOW20 takes 20 % off. Only forty nine dollars.", "en")
    assert sp.text == ("get velmora today for forty nine dollars code glow twenty takes twenty percent off "
                       "only forty nine dollars")
    assert _numbers(sp) == ["forty", "nine", "dollars", "glow", "twenty", "twenty", "percent", "forty", "nine", "dollars"]
    de = spoken_script("Jetzt nur 39,99 € – Link in der Bio!", "de")
    assert de.text == "jetzt nur neununddreißig euro neunundneunzig link in der bio"
    assert _numbers(de) == ["neununddreißig", "euro", "neunundneunzig"]
    cased = spoken_script("Get Velmora for $49!", "en", style="cased")
    assert cased.text == "Get Velmora for forty nine dollars!"
    # every character span handed to the tokenizer covers exactly the number words
    text, spans = sp.text_and_spans()
    assert [text[a:b] for a, b in spans] == _numbers(sp)
    with pytest.raises(ValueError):
        spoken_script("x", "en", style="shouting")


def test_seed_canvas_layout_and_numbers_always_redrawn():
    ids = [10, 11, 12, 13, 14, 15]
    number = [False, False, True, True, False, False]
    vocab, eos = 128, 1
    exact = seed_canvas(ids, number, 12, eos, vocab, renoise=0.0, seed=0, number_margin=0)
    assert exact.noised == [False, False, True, True] + [False] * 8
    assert exact.ids[:2] == [10, 11] and exact.ids[4:6] == [14, 15] and exact.ids[6:] == [eos] * 6
    leaked = 0
    for seed in range(50):
        sc = seed_canvas(ids, number, 12, eos, vocab, renoise=0.3, seed=seed)
        assert sc.noised[2] and sc.noised[3] and sc.noised[4]  # number span + margin of 1
        leaked += sc.ids[2:4] == [12, 13]
        kept = [i for i, z in enumerate(sc.noised) if not z]
        assert all(sc.ids[i] == (ids + [eos] * 6)[i] for i in kept)
        assert sc == seed_canvas(ids, number, 12, eos, vocab, renoise=0.3, seed=seed)  # deterministic in the seed
    assert leaked == 0
    share = np.mean([np.mean(seed_canvas(ids, number, 192, eos, vocab, 0.3, s).noised[20:]) for s in range(20)])
    assert 0.25 < share < 0.35  # the renoise fraction, on the EOS tail too
    assert seed_canvas(list(range(12)), [False] * 12, 12, eos, vocab, 0.3, 0) is None  # does not fit: caller falls back


def test_split_script_across_long_audio_chunks():
    sp = spoken_script(" ".join(f"w{i}" for i in range(30)), "en")
    ranges = split_for_chunks(sp, [30.0, 30.0, 15.0])
    assert ranges == [(0, 12), (12, 24), (24, 30)]
    text, spans = sp.text_and_spans(12, 24, noisy_head=True, noisy_tail=True)
    assert text.split()[0] == "w12" and [text[a:b] for a, b in spans] == ["w12", "w23"]


def test_sampler_keeps_confirmed_seed_tokens():
    """From a seeded canvas, a token the model confirms (its argmax) is kept even when not confident enough for
    the entropy bound; without keep_confirmed it is re-drawn; a token the model disagrees with is re-drawn."""
    import torch

    from captioner.asr.diffusion_sampler import SamplerConfig, denoise

    seen = []

    def step(canvas, sc):
        seen.append(canvas.clone())
        out = torch.zeros(canvas.shape + (50,))
        out[..., 7] = 2.0  # argmax 7 at positions 0-3, far from confident (entropy ≫ 0.1)
        out[:, 4, 3] = 30.0  # position 4: certain
        out[:, 5, 4] = 6.0  # position 5: entropy ≈ 0.2 after temperature, so the bound stops before 0-3
        return out

    init = torch.tensor([[7, 7, 9, 9, 3, 4]])
    for keep in (True, False):
        seen.clear()
        denoise(step, 1, 6, 50, SamplerConfig(steps=2, keep_confirmed=keep), torch.Generator().manual_seed(0), "cpu",
                init=init)
        assert seen[0].tolist() == init.tolist()
        kept = (seen[1] == init)[0].tolist()[:5]
        assert kept == ([True, True, False, False, True] if keep else [False, False, False, False, True])


# --- on the tiny random model, through the public loader ---------------------------------------------------

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def clip(i: int) -> np.ndarray:
    from captioner.media import load_audio

    return load_audio(FIX / ROWS[i]["audio"])


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    from captioner.asr.diffusion_toy import build_tiny_backbone, build_tiny_whisper
    from captioner.asr.diffusion_train import new_adapter, save_adapter

    root = tmp_path_factory.mktemp("seedtoy")
    build_tiny_backbone(root / "model", [r["text"] for r in ROWS] + ["forty nine dollars get it for"], seed=0)
    build_tiny_whisper(root / "whisper", seed=0)
    save_adapter(new_adapter(root / "model", root / "whisper", subsample=16, projector_hidden=64, canvas_length=16,
                             languages=["en", "de", "es"], device="cpu"), root / "adapter")
    return root


def test_backend_seeds_from_the_script_with_numbers_noised(toy):
    from captioner.asr import ASROptions
    from captioner.asr.diffusion import SEEDED_STEPS, DiffusionBackend

    be = DiffusionBackend(toy / "model", toy / "adapter", toy / "whisper", device="cpu", canvas=16)
    asr = be.model
    seen = []
    real = asr.decode_frames
    asr.decode_frames = lambda frames, prompts, sampler, gen, init=None: (seen.append((sampler.steps, init)),
                                                                            real(frames, prompts, sampler, gen, init))[1]
    tr = be.transcribe(clip(0), ASROptions(language="en", script="Tired of dull skin? Get it for $49."))
    steps, init = seen[-1]
    assert steps == SEEDED_STEPS and init is not None and len(init[0]) == 16
    script_ids = asr.tokenizer.encode("tired of dull skin get it for forty nine dollars", add_special_tokens=False)
    number_at = [7, 8, 9]  # "forty nine dollars"
    expected = asr.seed_canvas("tired of dull skin get it for forty nine dollars", [(30, 48)], be.renoise, 0)
    assert init[0] == expected.ids and all(expected.noised[i] for i in number_at)
    assert [init[0][i] for i in number_at] != [script_ids[i] for i in number_at]
    kept = [i for i in range(len(script_ids)) if not expected.noised[i]]
    assert kept and all(init[0][i] == script_ids[i] for i in kept)
    assert tr.prompt_used and any("canvas seeded from the script" in n and "3 in number spans" in n for n in tr.notes)
    # no script, --no-prompt, or canvas_seed="random": a random canvas and 8 passes
    be.transcribe(clip(0), ASROptions(language="en"))
    assert seen[-1][0] == 8 and seen[-1][1] is None
    off = be.transcribe(clip(0), ASROptions(language="en", script="Tired of dull skin?", use_prompt=False))
    assert seen[-1][1] is None and not off.prompt_used
    rnd = DiffusionBackend(toy / "model", toy / "adapter", toy / "whisper", device="cpu", canvas=16, canvas_seed="random")
    assert not rnd.transcribe(clip(0), ASROptions(language="en", script="Tired of dull skin?")).prompt_used


def test_seeded_decode_is_deterministic_and_independent_of_the_batch(toy):
    from captioner.asr import ASROptions
    from captioner.asr.diffusion import DiffusionBackend

    be = DiffusionBackend(toy / "model", toy / "adapter", toy / "whisper", device="cpu", canvas=16, steps=2)
    opts = [ASROptions(language="en", script="Tired of dull skin? Only $49.", seed=3),
            ASROptions(language="en", script="I switched to Brewvana.", seed=3),
            ASROptions(language="en", seed=3),
            ASROptions(language="de", script="Mit dem Wolkora Kissen.", seed=7)]
    audios = [clip(0), clip(1), clip(3), clip(4)]
    many = be.transcribe_many(audios, opts)
    alone = [be.transcribe(a, o) for a, o in zip(audios, opts)]
    assert [m.text for m in many] == [a.text for a in alone]
    assert [m.text for m in many] == [m.text for m in be.transcribe_many(audios, opts)]
    # the seed decides the noise: a decode from another seed starts from another canvas
    from captioner.asr.diffusion_seed import spoken_script

    sp = spoken_script(opts[0].script, "en")
    text, spans = sp.text_and_spans()
    assert be.model.seed_canvas(text, spans, 0.3, 3).ids != be.model.seed_canvas(text, spans, 0.3, 4).ids


def test_bad_seed_options(toy):
    from captioner.asr.diffusion import DiffusionBackend
    from captioner.errors import InputError, ModelError

    with pytest.raises(InputError, match="--diffusion-seed"):
        DiffusionBackend(toy / "model", toy / "adapter", toy / "whisper", canvas_seed="script-ish")
    with pytest.raises(InputError, match="renoise"):
        DiffusionBackend(toy / "model", toy / "adapter", toy / "whisper", renoise=1.5)
    with pytest.raises(ModelError, match="missing"):  # no weights: the same clear error as without seeding
        DiffusionBackend(toy / "nope", toy / "adapter", toy / "whisper", canvas_seed="script")


def test_training_with_seeded_canvases_noises_numbers(toy):
    from captioner.asr.diffusion_train import Batch, Example, TrainConfig, losses, new_adapter, seeded_noise

    asr = new_adapter(toy / "model", toy / "whisper", subsample=16, projector_hidden=64, canvas_length=16, device="cpu")
    ex = [Example(clip(0), "tired of dull skin", "en", script="Tired of dull skin? Get it for $49."),
          Example(clip(2), ROWS[2]["text"], "en")]
    data = Batch(asr, ex)
    ids, num = data.seed_tokens(asr, 0)
    assert sum(num) == 3
    cfg = TrainConfig(seeded_p=1.0, script_edit_p=0.0, seed_renoise_max=0.0)
    gen = torch.Generator().manual_seed(0)
    for _ in range(10):
        row = seeded_noise(asr, data, 0, cfg, gen)
        assert row[:7] == ids[:7] and row[7:10] != ids[7:10]
    parts = losses(asr, data, [0, 1], TrainConfig(seeded_p=1.0, w_ar=0.0, w_ctc=0.0), gen)
    assert torch.isfinite(parts["diffusion"])


# --- a trained tiny model: the audio decides the number, and the CLI flag end to end -------------------------

@pytest.fixture(scope="module")
def hears(tmp_path_factory):
    """Projector + LoRA overfit on 2 English clips (real Whisper-base features), with seeded canvases in training."""
    from captioner.asr.diffusion_toy import build_tiny_backbone
    from captioner.asr.diffusion_train import Example, TrainConfig, new_adapter, train

    root = tmp_path_factory.mktemp("seedhears")
    picks = [0, 2]  # "tired of dull skin", "zentrik earbuds block ninety"
    ex = [Example(clip(i), ROWS[i]["text"], "en") for i in picks]
    build_tiny_backbone(root / "model", [r["text"] for r in ROWS] + ["forty"], seed=0)
    asr = new_adapter(root / "model", None, encoder_type="whisper-ct2", subsample=16, projector_hidden=256, device="cpu")
    res = train(asr, ex, root / "adapter", TrainConfig(steps=1500, eval_every=50, log_every=0, stop_when_exact=True,
                                                       w_ar=0.0, w_ctc=0.0, seeded_p=0.5, exact_streak=3), log=lambda s: None)
    assert res.exact == 2, res.history
    return root, ex


@pytest.mark.slow
def test_seeded_canvas_lets_the_audio_decide_the_number(hears):
    from captioner.asr import ASROptions
    from captioner.asr.diffusion import DiffusionBackend

    root, ex = hears
    be = DiffusionBackend(root / "model", root / "adapter", None, device="cpu", canvas=16)
    right = be.transcribe(ex[1].audio, ASROptions(language="en", script="Zentrik earbuds block 90"))
    assert right.text == ex[1].text
    # the script says forty, the voice says ninety: the number span starts as noise, the audio decides
    wrong = be.transcribe(ex[1].audio, ASROptions(language="en", script="Zentrik earbuds block 40"))
    assert wrong.text == ex[1].text and "forty" not in wrong.text
    assert be.transcribe(ex[0].audio, ASROptions(language="en", script="Tired of dull skin")).text == ex[0].text


@pytest.mark.slow
def test_cli_diffusion_seed_flag_end_to_end(hears, tmp_path, monkeypatch):
    """`captioner caption --asr diffusion --diffusion-seed script --steps 6`: the flag reaches the backend (its
    default from a seeded canvas is 4), the backend decodes the spoken number, and the script's other number becomes
    a finding naming it. (2 steps were enough for the overfit toy on one CPU and not on another: torch's CPU kernels
    differ by ISA, and a toy trained to exactness on two clips has no margin to spare.)"""
    import soundfile as sf
    from typer.testing import CliRunner

    from captioner.asr.diffusion import DiffusionBackend
    from captioner.cli import app

    from .conftest import make_video

    root, ex = hears
    wav = tmp_path / "clip.wav"
    sf.write(wav, ex[1].audio, 16000, subtype="FLOAT")
    video = make_video(tmp_path / "clip.mov", wav, extra=["-c:a", "pcm_f32le"])
    script = tmp_path / "script.txt"
    script.write_text("Zentrik earbuds block 40.\n")
    calls = []
    real = DiffusionBackend.transcribe_many

    def spy(self, audios, options):
        out = real(self, audios, options)
        calls.append((self.canvas_seed, self.steps, [o.use_prompt for o in options], [t.notes for t in out],
                      [t.text for t in out]))
        return out

    monkeypatch.setattr(DiffusionBackend, "transcribe_many", spy)
    out = tmp_path / "out" / "clip.mp4"
    args = ["caption", str(video), "--script", str(script), "--language", "en", "--asr", "diffusion",
            "--diffusion-model", str(root / "model"), "--adapter", str(root / "adapter"), "--device", "cpu",
            "--diffusion-seed", "script", "--steps", "6", "--out", str(out)]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    assert calls and all(c[0] == "script" and c[1] == 6 for c in calls)
    first = calls[0]
    assert first[2] == [True] and any("canvas seeded from the script" in n for n in first[3][0])
    data = json.loads(out.with_suffix(".json").read_text())
    assert " ".join(w["text"] for w in data["words"]).lower().split()[:3] == ["zentrik", "earbuds", "block"]
    heard = " ".join(first[4]).lower()
    assert "ninety" in heard or "90" in heard  # the backend decoded the spoken number, not the script's
    # the script's other number becomes a finding naming what was heard: shown as spoken (mismatch) or kept with a
    # warning (disputed), as the price judge decides
    said = " ".join(w.get("spoken") or w["text"] for w in data["words"]).lower()
    nf = [f for f in data["findings"] if f["kind"] in ("number_mismatch", "price_mismatch", "number_disputed")]
    assert nf and any("90" in f["message"] or "ninety" in f["message"] for f in nf), data["findings"]
    if any(f["kind"] == "number_disputed" for f in nf):
        assert "forty" in said or "40" in said
    else:
        assert "ninety" in said or "90" in said
    # a bad value: exit 2 with one actionable line, nothing written
    bad = CliRunner().invoke(app, args[:-4] + ["--diffusion-seed", "nope", "--out", str(tmp_path / "b" / "x.mp4")])
    assert bad.exit_code == 2 and "--diffusion-seed must be one of script, random" in bad.output
    assert not (tmp_path / "b" / "x.mp4").exists()
