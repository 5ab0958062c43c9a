"""Diffusion ASR at the real shapes on a GPU: DiffusionGemma 26B-A4B + whisper-small encoder, random bf16 weights.

Nothing is downloaded: the backbone is built from `real_backbone_config()` (Gemma 4 26B MoE: 30 layers,
hidden 2816, 128 experts top-8, vocab 262,144, ~25 B parameters) with random weights, the encoder is a
random transformers Whisper encoder of whisper-small's shape (12 layers, d_model 768, 1500 frames per 30 s),
the projector has the published adapter's shape (×8 frame stacking → 1280 → 2816) and LoRA (rank 16) sits on
the text attention of both stacks, as in `captioner/asr/diffusion_model.py`. Random weights cost exactly what
trained ones cost: every pass does the same work whatever the values (the MoE router picks other experts,
but always top-8 of 128).

Per batch size (default 1, 8, 20 clips of 10 s of real speech from tests/fixtures/diffusion), medians of
--repeats timed runs after one warm-up:
  - encoder: log-mel (CPU) + Whisper encoder;
  - diffusion: projector + prompt encoder + N denoising passes over the 192-token canvas, for N = 8 (random
    canvas, the recipe) and N = 4 (script-seeded canvas: the start canvas is laid out from a script, numbers
    and a fraction re-drawn), with the sampler on the full 262,144-token vocabulary;
  - autoregressive: the same backbone's causal stack, same prompt, greedy decoding of --ar-tokens tokens
    (≈ 10 s of speech) one at a time with a KV cache — the cost model of Whisper-style decoders;
  - peak GPU memory (torch.cuda.max_memory_allocated) of each.
Seconds per clip = (encoder + decode) / batch. Goal (issue 17): ≤ 0.1 s per 10 s clip at batch 20 on one
H100-class GPU.

    python benchmarks/bench_diffusion_gpu.py                 # real shapes; needs one CUDA GPU with ≥ 80 GB
    python benchmarks/bench_diffusion_gpu.py --tiny          # tiny shapes on CPU (what the tests run)

Writes benchmarks/results/diffusion_gpu.json (or diffusion_gpu_tiny.json with --tiny).
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from captioner.asr.diffusion_layout import AudioConfig  # noqa: E402
from captioner.asr.diffusion_model import (  # noqa: E402
    LORA_TARGET_REGEX,
    DiffusionASR,
    HFWhisperEncoder,
    Projector,
)
from captioner.asr.diffusion_sampler import SamplerConfig  # noqa: E402
from captioner.asr.diffusion_seed import seed_canvas  # noqa: E402
from captioner.asr.diffusion_toy import build_tokenizer, real_backbone_config, tiny_backbone_config  # noqa: E402
from captioner.media import load_audio  # noqa: E402

FIX = ROOT / "tests" / "fixtures" / "diffusion"
# whisper-small's encoder; the tiny variant keeps the 30 s window (1500 frames) at toy width
WHISPER_SMALL = dict(d_model=768, encoder_layers=12, encoder_attention_heads=12, encoder_ffn_dim=3072)
WHISPER_TINY = dict(d_model=64, encoder_layers=2, encoder_attention_heads=2, encoder_ffn_dim=128)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def build(tiny: bool, device: torch.device, dtype: torch.dtype, canvas: int, lora_r: int, seed: int = 0) -> DiffusionASR:
    """The assembled model with random weights, in memory (nothing read from or written to disk)."""
    from peft import LoraConfig, get_peft_model
    from transformers import DiffusionGemmaForBlockDiffusion, WhisperConfig, WhisperModel

    bcfg = tiny_backbone_config(vocab_size=128, hidden=64, layers=2, canvas=canvas) if tiny else real_backbone_config()
    bcfg.canvas_length = canvas
    wshape = WHISPER_TINY if tiny else WHISPER_SMALL
    wcfg = WhisperConfig(vocab_size=51865, num_mel_bins=80, max_source_positions=1500, max_target_positions=448,
                         decoder_layers=1, decoder_attention_heads=wshape["encoder_attention_heads"],
                         decoder_ffn_dim=wshape["encoder_ffn_dim"], **wshape)
    torch.manual_seed(seed)
    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)  # parameters are created (and randomly initialised) in bf16 on the device
    try:
        with torch.device(device):
            backbone = DiffusionGemmaForBlockDiffusion(bcfg)
            whisper = WhisperModel(wcfg).encoder
    finally:
        torch.set_default_dtype(old)
    backbone.to(device, dtype).eval().requires_grad_(False)
    peft = get_peft_model(backbone, LoraConfig(r=lora_r, lora_alpha=2 * lora_r, lora_dropout=0.0,
                                               target_modules=LORA_TARGET_REGEX, bias="none"))
    with torch.no_grad():  # a trained adapter's B matrices are not zero; the cost is the same either way
        for n, p in peft.named_parameters():
            if "lora_B" in n:
                p.normal_(0, 0.01)
    peft.eval().requires_grad_(False)
    hidden = bcfg.text_config.hidden_size
    cfg = AudioConfig(encoder_type="whisper-hf", encoder_dim=wcfg.d_model, encoder_frames=1500, n_mels=80, subsample=8,
                      projector_hidden=64 if tiny else 1280, backbone_hidden=hidden, canvas_length=canvas,
                      languages=["en"])
    projector = Projector(cfg.encoder_dim, cfg.subsample, cfg.projector_hidden, hidden).to(device, dtype).eval()
    projector.requires_grad_(False)
    # the prompt needs only the special tokens and "language: en"; their ids match Gemma's specials (pad 0, eos 1, bos 2)
    tokenizer = build_tokenizer(["language: en"], vocab_size=32)
    encoder = HFWhisperEncoder(None, device, dtype, model=whisper)
    return DiffusionASR(peft.base_model.model, tokenizer, projector, encoder, cfg, device, dtype, peft=peft)


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def clips(n: int, seconds: float) -> list[np.ndarray]:
    """n different clips of `seconds` of real speech (the fixture clips in n rotations)."""
    rows = [json.loads(x) for x in (FIX / "clips.jsonl").read_text().splitlines() if x.strip()]
    base = [load_audio(FIX / r["audio"]) for r in rows]
    out = []
    for i in range(n):
        order = base[i % len(base):] + base[: i % len(base)]
        a = np.concatenate(order * 4)[: int(seconds * 16000)]
        out.append(a.astype(np.float32))
    return out


@torch.no_grad()
def ar_decode(asr: DiffusionASR, frames, prompts, n_tokens: int) -> torch.Tensor:
    """Greedy autoregressive decoding of n_tokens per row with the causal stack and a KV cache (batched)."""
    out, cache, _, real, _ = asr.encode_prompts(prompts, asr.audio_embeddings(frames))
    enc = asr.backbone.model.encoder
    emb = asr.backbone.get_input_embeddings()
    tok = asr.lm_logits(out.last_hidden_state[:, -1:]).argmax(-1)
    toks = [tok]
    pos = real[:, None].clone()
    for _ in range(n_tokens - 1):
        o = enc(inputs_embeds=emb(tok), past_key_values=cache, use_cache=True, position_ids=pos)
        cache = o.past_key_values
        pos = pos + 1
        tok = asr.lm_logits(o.last_hidden_state[:, -1:]).argmax(-1)
        toks.append(tok)
    return torch.cat(toks, 1)


def timed(fn, device, repeats: int) -> tuple[float, float | None]:
    """Median seconds of `repeats` runs after a warm-up, and peak GPU memory (GiB) over them (None on CPU)."""
    fn()
    sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    ts = []
    for _ in range(repeats):
        sync(device)
        t = time.perf_counter()
        fn()
        sync(device)
        ts.append(time.perf_counter() - t)
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    return statistics.median(ts), (round(peak, 2) if peak is not None else None)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiny", action="store_true", help="tiny shapes on CPU (fp32): checks the script, measures nothing real")
    ap.add_argument("--batches", default=None, help="batch sizes (default 1,8,20; tiny: 1,2)")
    ap.add_argument("--random-steps", type=int, default=8, help="passes from a random canvas (the recipe: 8)")
    ap.add_argument("--seeded-steps", type=int, default=4, help="passes from a script-seeded canvas (the backend's default: 4)")
    ap.add_argument("--seconds", type=float, default=10.0, help="clip length")
    ap.add_argument("--ar-tokens", type=int, default=None, help="tokens the AR baseline decodes (default 40 ≈ 10 s of speech; tiny: 6)")
    ap.add_argument("--canvas", type=int, default=None, help="canvas tokens (default 192; tiny: 32)")
    ap.add_argument("--lora-r", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=None, help="timed runs per figure (default 3; tiny: 1)")
    ap.add_argument("--device", default=None, help="default cuda (real) / cpu (tiny)")
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    tiny = a.tiny
    batches = [int(x) for x in (a.batches or ("1,2" if tiny else "1,8,20")).split(",")]
    modes = [("random", a.random_steps, False), ("seeded", a.seeded_steps, True)]
    ar_tokens = a.ar_tokens or (6 if tiny else 40)
    canvas = a.canvas or (32 if tiny else 192)
    repeats = a.repeats or (1 if tiny else 3)
    device = torch.device(a.device or ("cpu" if tiny else "cuda"))
    if device.type == "cuda" and not torch.cuda.is_available():
        print("no CUDA GPU visible: the real shapes need one GPU with ≥ 80 GB (bf16 weights ≈ 50 GB). "
              "Run with --tiny to check the script on CPU.", file=sys.stderr)
        return 2
    if not tiny and device.type != "cuda":
        print("the real shapes are ~25 B parameters: refusing to build them on the CPU (use --tiny)", file=sys.stderr)
        return 2
    dtype = torch.float32 if device.type == "cpu" else torch.bfloat16
    out_path = Path(a.out or ROOT / "benchmarks" / "results" / ("diffusion_gpu_tiny.json" if tiny else "diffusion_gpu.json"))
    t0 = time.perf_counter()
    asr = build(tiny, device, dtype, canvas, a.lora_r)
    sync(device)
    build_s = time.perf_counter() - t0
    lora = sum(p.numel() for n, p in asr.backbone.named_parameters() if "lora_" in n)
    params = {"backbone": count(asr.backbone) - lora, "lora": lora, "projector": count(asr.projector),
              "whisper_encoder": count(asr.encoder.model)}
    experts = getattr(asr.backbone.config.text_config, "_experts_implementation_internal", None)
    print(f"built in {build_s:.1f} s: " + ", ".join(f"{k} {v / 1e6:,.1f} M" for k, v in params.items())
          + f" parameters; experts implementation {experts}; {device} {str(dtype).split('.')[-1]}", flush=True)
    prompt = asr.prompt_ids("en")
    rows = []
    for b in batches:
        audio = clips(b, a.seconds)
        frames = asr.encoder(audio)
        prompts = [prompt] * b
        enc_s, enc_mem = timed(lambda: asr.encoder(audio), device, repeats)
        row = {"batch": b, "encoder_s": round(enc_s, 4), "encoder_peak_gib": enc_mem}
        # a start canvas as a script would seed it: ~40 script tokens, numbers and 30 % re-drawn
        script_ids = [int(x) for x in torch.randint(3, asr.vocab_size, (min(40, canvas - 1),), generator=torch.Generator().manual_seed(1))]
        number = [i in (20, 21, 22) for i in range(len(script_ids))]
        init = seed_canvas(script_ids, number, canvas, asr.eos_ids[0], asr.vocab_size, 0.3, 0).ids
        for label, s, seeded in modes:
            fn = lambda: asr.decode_frames(frames, prompts, SamplerConfig(steps=s), torch.Generator().manual_seed(0),
                                           init=[init] * b if seeded else None)
            d, mem = timed(fn, device, repeats)
            row[f"{label}_{s}_s"] = round(d, 4)
            row[f"{label}_{s}_peak_gib"] = mem
            row[f"{label}_{s}_per_clip_s"] = round((enc_s + d) / b, 4)
        d, mem = timed(lambda: ar_decode(asr, frames, prompts, ar_tokens), device, repeats)
        row.update({"ar_s": round(d, 4), "ar_peak_gib": mem, "ar_per_clip_s": round((enc_s + d) / b, 4)})
        rows.append(row)
        print(json.dumps(row), flush=True)
    result = {
        "tiny": tiny, "date": time.strftime("%Y-%m-%d %H:%M"), "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "dtype": str(dtype).split(".")[-1], "torch": torch.__version__, "platform": platform.platform(),
        "params": params, "experts_implementation": experts, "canvas": canvas, "clip_seconds": a.seconds,
        "ar_tokens": ar_tokens, "modes": [[m, n] for m, n, _ in modes], "repeats": repeats, "build_s": round(build_s, 1), "rows": rows,
        "goal_per_clip_s_at_batch_20": 0.1,
    }
    head = ["batch", "encoder (s)"]
    for label, s, _ in modes:
        head += [f"{label} canvas, {s} steps (s)", "per clip (s)"]
    head += [f"autoregressive, {ar_tokens} tokens (s)", "per clip (s)", "peak GiB (random / seeded / AR)"]
    print("\n| " + " | ".join(head) + " |\n|" + "---:|" * len(head))
    for r in rows:
        cells = [str(r["batch"]), f"{r['encoder_s']:.3f}"]
        for label, s, _ in modes:
            cells += [f"{r[f'{label}_{s}_s']:.3f}", f"{r[f'{label}_{s}_per_clip_s']:.4f}"]
        peaks = " / ".join(str(r[f"{label}_{s}_peak_gib"]) for label, s, _ in modes)
        cells += [f"{r['ar_s']:.3f}", f"{r['ar_per_clip_s']:.4f}", f"{peaks} / {r['ar_peak_gib']}"]
        print("| " + " | ".join(cells) + " |")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {out_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
