"""Diffusion ASR backend on tiny random models built in the real folder layout (CPU, no network)."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from captioner.asr import ASROptions, get_backend  # noqa: E402
from captioner.asr.diffusion_layout import AudioConfig  # noqa: E402
from captioner.errors import InputError, ModelError  # noqa: E402
from captioner.media import load_audio  # noqa: E402
from captioner.types import Transcript  # noqa: E402

FIX = Path(__file__).parent / "fixtures" / "diffusion"
ROWS = [json.loads(line) for line in (FIX / "clips.jsonl").read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)  # 2 shared cores: one thread is far faster under contention
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """Tiny DiffusionGemma + tiny HF Whisper + an untrained adapter, all saved to disk."""
    from captioner.asr.diffusion_toy import build_tiny_backbone, build_tiny_whisper
    from captioner.asr.diffusion_train import new_adapter, save_adapter

    root = tmp_path_factory.mktemp("toy")
    build_tiny_backbone(root / "model", [r["text"] for r in ROWS], seed=0)
    build_tiny_whisper(root / "whisper", seed=0)
    asr = new_adapter(root / "model", root / "whisper", subsample=16, projector_hidden=64, canvas_length=16,
                      languages=["en", "de", "es"], device="cpu")
    save_adapter(asr, root / "adapter")
    return root


def clip(i: int) -> np.ndarray:
    return load_audio(FIX / ROWS[i]["audio"])


def test_layout_files_written(toy):
    assert {p.name for p in (toy / "adapter").iterdir()} >= {
        "adapter_config.json", "adapter_model.safetensors", "projector.safetensors", "audio_config.json"}
    assert (toy / "model" / "config.json").is_file() and (toy / "model" / "tokenizer.json").is_file()
    cfg = json.loads((toy / "adapter" / "adapter_config.json").read_text())
    assert "vision" not in json.dumps(cfg["target_modules"])
    assert AudioConfig.load(toy / "adapter").num_slots == 94  # 1500 frames / 16


def test_transcribe_real_audio_through_public_loader(toy):
    be = get_backend("diffusion", model_dir=str(toy / "model"), adapter_dir=str(toy / "adapter"),
                     whisper_dir=str(toy / "whisper"), device="cpu", canvas=16, seed=3)
    tr = be.transcribe(clip(0), ASROptions(language="en"))
    assert isinstance(tr, Transcript)
    assert tr.backend == "diffusion" and tr.has_timestamps is False and tr.language == "en"
    assert all(w.start == 0.0 and w.end == 0.0 and w.timing == "asr" for w in tr.words)
    assert tr.text == " ".join(w.text for w in tr.words)
    assert tr.duration == pytest.approx(len(clip(0)) / 16000)
    # seeded and reproducible; batch decode returns one transcript per clip
    again = be.transcribe(clip(0), ASROptions(language="en"))
    assert again.text == tr.text
    batch = be.transcribe_batch([clip(0), clip(1), clip(2)], ASROptions(language="en"))
    assert len(batch) == 3 and batch[0].text == tr.text


def test_env_vars_are_read(toy, monkeypatch):
    from captioner.asr.diffusion import DiffusionBackend

    monkeypatch.setenv("CAPTIONER_DIFFUSION_MODEL", str(toy / "model"))
    monkeypatch.setenv("CAPTIONER_ADAPTER", str(toy / "adapter"))
    monkeypatch.setenv("CAPTIONER_WHISPER", str(toy / "whisper"))
    be = DiffusionBackend(device="cpu", canvas=16)
    assert be._dirs[0] == toy / "model"


def test_missing_folders_list_every_missing_file(toy, tmp_path, monkeypatch):
    from captioner.asr.diffusion import DiffusionBackend

    for env in ("CAPTIONER_DIFFUSION_MODEL", "CAPTIONER_ADAPTER", "CAPTIONER_WHISPER"):
        monkeypatch.delenv(env, raising=False)
    with pytest.raises(ModelError) as e:
        DiffusionBackend()
    msg = str(e.value)
    assert "diffusion model folder" in msg and "adapter folder" in msg and "50 GB" in msg and "26 GB" in msg
    # incomplete folders: copy and delete a few files
    model, adapter = tmp_path / "model", tmp_path / "adapter"
    shutil.copytree(toy / "model", model)
    shutil.copytree(toy / "adapter", adapter)
    (model / "model.safetensors").unlink()
    (adapter / "projector.safetensors").unlink()
    (adapter / "adapter_model.safetensors").unlink()
    with pytest.raises(ModelError) as e:
        DiffusionBackend(model, adapter, toy / "whisper")
    msg = str(e.value)
    for needle in ("model/model.safetensors", "adapter/projector.safetensors", "adapter/adapter_model.safetensors"):
        assert needle in msg
    assert "adapter/audio_config.json" not in msg
    assert e.value.exit_code == 4


def test_sharded_index_names_missing_shard(toy, tmp_path):
    from captioner.asr.diffusion import DiffusionBackend

    model = tmp_path / "model"
    shutil.copytree(toy / "model", model)
    (model / "model.safetensors").unlink()
    (model / "model.safetensors.index.json").write_text(json.dumps(
        {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}))
    (model / "model-00001-of-00002.safetensors").write_bytes(b"")
    with pytest.raises(ModelError, match="model/model-00002-of-00002.safetensors"):
        DiffusionBackend(model, toy / "adapter", toy / "whisper")


def test_adapter_backbone_dim_mismatch(toy, tmp_path):
    from captioner.asr.diffusion_toy import build_tiny_backbone

    wide = build_tiny_backbone(tmp_path / "wide", [r["text"] for r in ROWS], hidden=96)
    be = get_backend("diffusion", model_dir=str(wide), adapter_dir=str(toy / "adapter"),
                     whisper_dir=str(toy / "whisper"), device="cpu", canvas=16)
    with pytest.raises(ModelError, match="hidden_size"):
        be.transcribe(clip(0), ASROptions(language="en"))


def test_encoder_dim_mismatch(toy, tmp_path):
    from captioner.asr.diffusion_toy import build_tiny_whisper

    w = build_tiny_whisper(tmp_path / "w48", d_model=48)
    be = get_backend("diffusion", model_dir=str(toy / "model"), adapter_dir=str(toy / "adapter"),
                     whisper_dir=str(w), device="cpu", canvas=16)
    with pytest.raises(ModelError, match="d_model=48"):
        be.transcribe(clip(0), ASROptions(language="en"))


def test_cpu_refuses_model_larger_than_ram_before_loading(toy, tmp_path, monkeypatch):
    """A config with the real 26B shapes and no usable weights: refused from the config alone."""
    from captioner.asr.diffusion_model import check_fits_ram, count_parameters
    from captioner.asr.diffusion_toy import real_backbone_config

    cfg = real_backbone_config()
    n = count_parameters(cfg)
    assert 20e9 < n < 30e9  # DiffusionGemma 26B-A4B: ~25 B parameters
    with pytest.raises(ModelError, match="refused before loading"):
        check_fits_ram(cfg, torch.float32, ram=32 * 2**30)
    assert check_fits_ram(cfg, torch.bfloat16, ram=80 * 2**30) == n * 2
    # through the backend: folder with the huge config and a weights file that is not even valid
    big = tmp_path / "big"
    shutil.copytree(toy / "model", big)
    cfg.save_pretrained(str(big))
    (big / "model.safetensors").write_bytes(b"not weights")
    be = get_backend("diffusion", model_dir=str(big), adapter_dir=str(toy / "adapter"),
                     whisper_dir=str(toy / "whisper"), device="cpu", canvas=16)
    import captioner.asr.diffusion_model as dm

    monkeypatch.setattr(dm, "available_ram", lambda: 32 * 2**30)
    with pytest.raises(ModelError, match="refused before loading"):
        be.transcribe(clip(0), ASROptions(language="en"))


def test_bad_options(toy):
    from captioner.asr.diffusion import DiffusionBackend

    with pytest.raises(InputError):
        DiffusionBackend(toy / "model", toy / "adapter", toy / "whisper", steps=0)
    be = DiffusionBackend(toy / "model", toy / "adapter", toy / "whisper", device="cpu", canvas=16)
    with pytest.raises(InputError, match="pinned language"):
        be.transcribe(clip(0), ASROptions(language="auto"))
    with pytest.raises(InputError, match="mono"):
        be.transcribe(np.zeros((2, 100), dtype=np.float32), ASROptions(language="en"))
    big_canvas = DiffusionBackend(toy / "model", toy / "adapter", toy / "whisper", device="cpu", canvas=64)
    with pytest.raises(InputError, match="canvas"):
        big_canvas.transcribe(clip(0), ASROptions(language="en"))


def test_long_audio_is_chunked_not_truncated(toy):
    from captioner.asr.diffusion_model import chunk_audio

    rng = np.random.default_rng(0)
    long = np.concatenate([clip(i % 8) for i in range(40)])  # ~70 s
    long = long + rng.normal(0, 1e-3, len(long)).astype(np.float32)
    chunks = chunk_audio(long)
    assert len(chunks) == 3 and all(len(c) <= 30 * 16000 for c in chunks)
    assert np.array_equal(np.concatenate(chunks), long)  # nothing dropped
    be = get_backend("diffusion", model_dir=str(toy / "model"), adapter_dir=str(toy / "adapter"),
                     whisper_dir=str(toy / "whisper"), device="cpu", canvas=16)
    tr = be.transcribe(long, ASROptions(language="en"))
    assert tr.duration == pytest.approx(len(long) / 16000)
    assert any("3 windows" in n for n in tr.notes)


def test_sampler_entropy_bound_and_fixed_steps():
    from captioner.asr.diffusion_sampler import SamplerConfig, denoise, entropy_bound_accept

    logits = torch.tensor([[[10.0, 0, 0], [0, 0, 0], [9.0, 0, 0], [1.5, 0, 0]]])
    keep = entropy_bound_accept(logits, 0.1)
    # sorted by entropy: the two confident ones, then the half-flat one (sum of the others ≤ 0.1: kept),
    # then the flat one (sum of the others ≈ 0.8 > 0.1: re-drawn)
    assert keep.tolist() == [[True, False, True, True]]
    calls = []

    def step(canvas, sc):
        calls.append(sc is not None)
        out = torch.full(canvas.shape + (5,), -5.0)
        out[..., 3] = 5.0
        out[:, -2:, 3] = -5.0
        out[:, -2:, 1] = 5.0
        return out

    canvas, passes = denoise(step, 2, 6, 5, SamplerConfig(steps=8), torch.Generator().manual_seed(0), "cpu")
    assert passes == 8 and calls == [False] + [True] * 7
    assert canvas.tolist() == [[3, 3, 3, 3, 1, 1]] * 2
    calls.clear()
    _, passes = denoise(step, 2, 6, 5, SamplerConfig(adaptive=True, max_steps=48), torch.Generator().manual_seed(0), "cpu")
    assert passes == 2  # stable after the second pass and confident


def _backbone_digest(model) -> str:
    h = hashlib.sha256()
    for name, p in sorted(model.state_dict().items()):
        if "lora_" not in name:
            h.update(name.encode() + p.detach().contiguous().numpy().tobytes())
    return h.hexdigest()


def test_training_touches_only_the_adapter(toy, tmp_path):
    """Three losses, a few steps: gradients reach only projector + LoRA; backbone bit-identical; adapter reloads."""
    from captioner.asr.diffusion_model import load_diffusion_asr
    from captioner.asr.diffusion_train import Batch, Example, TrainConfig, adapter_parameters, losses, new_adapter, train

    asr = new_adapter(toy / "model", toy / "whisper", subsample=16, projector_hidden=64, canvas_length=16, device="cpu")
    before = _backbone_digest(asr.backbone)
    ex = [Example(clip(i), ROWS[i]["text"], ROWS[i]["language"]) for i in range(2)]
    data = Batch(asr, ex)
    cfg = TrainConfig(steps=4, w_ar=0.5, w_ctc=0.3, eval_every=0, log_every=1)
    parts = losses(asr, data, [0, 1], cfg, torch.Generator().manual_seed(0))
    assert set(parts) == {"diffusion", "ar", "ctc"} and all(torch.isfinite(v) for v in parts.values())
    sum(parts.values()).backward()
    names = {n for n, _ in adapter_parameters(asr)}
    with_grad = {n for n, p in asr.backbone.named_parameters() if p.grad is not None}
    assert with_grad and all("lora_" in n for n in with_grad)
    assert any("encoder.language_model" in n for n in with_grad) and any("decoder.layers" in n for n in with_grad)
    assert all(p.grad is not None for _, p in asr.projector.named_parameters())
    assert not any("vision" in n for n in names)
    for p in asr.projector.parameters():
        p.grad = None
    lora_before = {n: p.detach().clone() for n, p in asr.backbone.named_parameters() if "lora_B" in n}
    res = train(asr, ex, tmp_path / "ad", cfg, log=lambda s: None)
    assert res.steps == 4 and len(res.history) == 4
    assert _backbone_digest(asr.backbone) == before
    assert any(not torch.equal(lora_before[n], p) for n, p in asr.backbone.named_parameters() if n in lora_before)
    again = load_diffusion_asr(toy / "model", tmp_path / "ad", toy / "whisper", device="cpu")
    sd1 = {n: p for n, p in asr.backbone.state_dict().items() if "lora_" in n}
    sd2 = {n: p for n, p in again.backbone.state_dict().items() if "lora_" in n}
    assert sd1.keys() == sd2.keys() and all(torch.equal(sd1[k], sd2[k]) for k in sd1)
    assert json.loads((tmp_path / "ad" / "training.json").read_text())["steps"] == 4


def test_left_padded_batch_matches_single(toy):
    """Prompts of different lengths in one batch give the same logits as alone (left padding is masked)."""
    from captioner.asr.diffusion_model import load_diffusion_asr

    asr = load_diffusion_asr(toy / "model", toy / "adapter", toy / "whisper", device="cpu")
    frames = asr.encoder([clip(0), clip(1)])
    audio = asr.audio_embeddings(frames)
    p_short = asr.prompt_ids("en")
    p_long = asr.prompt_ids("en", script="tired of dull skin")
    canvas = torch.randint(0, asr.vocab_size, (2, 16), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        _, cache, mask, real, _ = asr.encode_prompts([p_short, p_long], audio)
        both = asr.decoder_logits(cache, mask, real, canvas)
        _, c1, m1, r1, _ = asr.encode_prompts([p_short], audio[:1])
        one = asr.decoder_logits(c1, m1, r1, canvas[:1])
    assert torch.allclose(both[:1], one, atol=1e-4)


def test_import_captioner_needs_no_torch():
    import subprocess
    import sys

    code = ("import sys, captioner, captioner.asr, captioner.asr.diffusion, captioner.asr.diffusion_cli; "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Projector + LoRA overfit on 2 clips (real Whisper-base features, frozen tiny backbone)."""
    from captioner.asr.diffusion_toy import build_tiny_backbone
    from captioner.asr.diffusion_train import Example, TrainConfig, new_adapter, train

    root = tmp_path_factory.mktemp("trained")
    picks = [0, 1]  # two English clips (the prompt's language tag is part of what was trained)
    ex = [Example(clip(i), ROWS[i]["text"], ROWS[i]["language"]) for i in picks]
    build_tiny_backbone(root / "model", [r["text"] for r in ROWS], seed=0)
    weights = (root / "model" / "model.safetensors").read_bytes()
    asr = new_adapter(root / "model", None, encoder_type="whisper-ct2", subsample=16, projector_hidden=256,
                      device="cpu")
    before = _backbone_digest(asr.backbone)
    res = train(asr, ex, root / "adapter", TrainConfig(steps=800, eval_every=50, log_every=0, stop_when_exact=True,
                                                       w_ar=0.0, w_ctc=0.0), log=lambda s: None)
    return root, ex, res, asr, before, weights


@pytest.mark.slow
def test_tiny_model_really_hears(trained):
    """Each clip decodes to its own transcript, swapping the audio swaps the outputs, the backbone stays
    bit-identical. The 8-clip version is examples/diffusion_hears.py (result in docs/DIFFUSION.md)."""
    from captioner.asr.diffusion import DiffusionBackend

    root, ex, res, asr, before, weights = trained
    assert res.exact == 2, res.history
    assert _backbone_digest(asr.backbone) == before
    assert (root / "model" / "model.safetensors").read_bytes() == weights
    be = DiffusionBackend(root / "model", root / "adapter", None, device="cpu", canvas=16)
    out = be.transcribe_batch([e.audio for e in ex], ASROptions(language="en"))
    assert [o.text for o in out] == [e.text for e in ex]
    swapped = be.transcribe_batch([ex[1].audio, ex[0].audio], ASROptions(language="en"))
    assert [o.text for o in swapped] == [ex[1].text, ex[0].text]


@pytest.mark.slow
def test_diffusion_transcript_through_the_whole_pipeline(trained, tmp_path):
    """The diffusion backend's words (no timestamps of its own) get times from the aligner and are burned in."""
    import json as _json

    from .conftest import make_video, run_cli

    root, ex, res, _, _, _ = trained
    wav = tmp_path / "clip.wav"
    import soundfile as sf

    sf.write(wav, ex[0].audio, 16000, subtype="FLOAT")
    # PCM in a .mov keeps the samples the adapter was overfit on (AAC would perturb this 2-clip toy)
    video = make_video(tmp_path / "clip.mov", wav, extra=["-c:a", "pcm_f32le"])
    out = tmp_path / "out" / "clip.mp4"
    proc = run_cli("caption", str(video), "--language", "en", "--asr", "diffusion", "--diffusion-model", str(root / "model"),
                   "--adapter", str(root / "adapter"), "--device", "cpu", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = _json.loads(out.with_suffix(".json").read_text())
    assert data["asr_backend"] == "diffusion"
    assert " ".join(w["text"] for w in data["words"]).lower() == ex[0].text.lower()
    starts = [w["start"] for w in data["words"]]
    assert starts == sorted(starts)  # timed by the aligner (the backend gives no timestamps)
    assert all(w["end"] > w["start"] and w["timing"] in ("aligned", "interpolated") for w in data["words"])


def test_gpu_benchmark_runs_at_tiny_shapes(tmp_path):
    """benchmarks/bench_diffusion_gpu.py builds the model in memory and times every figure; here at tiny shapes
    on CPU (the real 26B shapes need a GPU, and refuse without one)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_diffusion_gpu.py"
    spec = importlib.util.spec_from_file_location("bench_diffusion_gpu", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "gpu.json"
    assert bench.main(["--tiny", "--batches", "1,2", "--seconds", "3", "--ar-tokens", "3", "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["tiny"] and [r["batch"] for r in res["rows"]] == [1, 2]
    for r in res["rows"]:
        for k in ("encoder_s", "random_8_s", "seeded_4_s", "ar_s", "random_8_per_clip_s", "ar_per_clip_s"):
            assert r[k] > 0, k
    assert res["params"]["lora"] > 0 and res["params"]["projector"] > 0
    if not torch.cuda.is_available():
        assert bench.main(["--out", str(tmp_path / "real.json")]) == 2  # real shapes: a GPU or nothing
        assert not (tmp_path / "real.json").exists()
