"""Diffusion ASR decode cost on CPU (tiny model): flat in transcript length, linear in steps, batched; AR baseline in the same run.

A small random DiffusionGemma (real architecture, canvas 192) + tiny Whisper + untrained adapter are built in
the real folder layout and loaded through the public loader. For each transcript length (5…150 words ≈ 1.3
tokens/word) we time:
  - diffusion: Whisper encoder + prompt encoder + `steps` denoising passes over the fixed 192-token canvas
    (the canvas carries the transcript, so its length does not change the work);
  - autoregressive baseline: the same backbone's causal stack, same prompt, decoding the same number of
    tokens greedily one at a time with a KV cache (the usual cost model of Whisper-style decoders).
  - script-seeded: the same, from a canvas laid out from a script of that length (numbers and 30 % re-drawn)
    at the seeded default of 4 passes (the start canvas changes what is decoded, not the work per pass); the
    canvas holds at most 191 script tokens + EOS, so the 150-word row (195 tokens) is seeded with its first 191;
  - batching: N different clips (N = 3, 8, 20: the distinct voice-overs of a batch) decoded in one call vs N
    single calls (encoder + prompt + 8 passes each).
Medians of --repeats runs. Prints a table; writes benchmarks/results/diffusion.json.

    python benchmarks/bench_diffusion.py [--threads 1] [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from captioner.asr.diffusion_model import load_diffusion_asr  # noqa: E402
from captioner.asr.diffusion_sampler import SamplerConfig  # noqa: E402
from captioner.asr.diffusion_seed import seed_canvas  # noqa: E402
from captioner.asr.diffusion_toy import build_tiny_backbone, build_tiny_whisper  # noqa: E402
from captioner.asr.diffusion_train import new_adapter, save_adapter  # noqa: E402
from captioner.media import load_audio  # noqa: E402

WORDS = [5, 25, 50, 100, 150]
STEPS = [1, 2, 4, 8, 16, 32]
BATCHES = [3, 8, 20]
TOKENS_PER_WORD = 1.3


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


@torch.no_grad()
def ar_decode(asr, frames, prompt, n_tokens: int) -> list[int]:
    """Greedy autoregressive decoding of n_tokens with the backbone's causal stack and a KV cache."""
    out, cache, _, real, _ = asr.encode_prompts([prompt], asr.audio_embeddings(frames))
    enc = asr.backbone.model.encoder
    emb = asr.backbone.get_input_embeddings()
    tok = asr.lm_logits(out.last_hidden_state[:, -1:]).argmax(-1)
    toks = [int(tok)]
    pos = int(real[0])
    for _ in range(n_tokens - 1):
        o = enc(inputs_embeds=emb(tok), past_key_values=cache, use_cache=True,
                position_ids=torch.tensor([[pos]]))
        cache = o.past_key_values
        pos += 1
        tok = asr.lm_logits(o.last_hidden_state[:, -1:]).argmax(-1)
        toks.append(int(tok))
    return toks


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "diffusion.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    fixtures = ROOT / "tests" / "fixtures" / "diffusion"
    rows = [json.loads(l) for l in (fixtures / "clips.jsonl").read_text().splitlines() if l.strip()]
    audio = np.concatenate([load_audio(fixtures / r["audio"]) for r in rows] * 2)[: 29 * 16000]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        build_tiny_backbone(tmp / "model", [r["text"] for r in rows], vocab_size=1024, hidden=args.hidden,
                            layers=args.layers, canvas=192)
        build_tiny_whisper(tmp / "whisper")
        save_adapter(new_adapter(tmp / "model", tmp / "whisper", projector_hidden=256, device="cpu"), tmp / "adapter")
        asr = load_diffusion_asr(tmp / "model", tmp / "adapter", tmp / "whisper", device="cpu")
        params = sum(p.numel() for p in asr.backbone.parameters())
        prompt = asr.prompt_ids("en")
        frames = asr.encoder([audio])
        enc_s = median_time(lambda: asr.encoder([audio]), args.repeats)

        def diffusion(steps):
            return lambda: asr.decode_frames(frames, [prompt], SamplerConfig(steps=steps), torch.Generator().manual_seed(0))

        def seeded(steps, n_tok):
            n_tok = min(n_tok, asr.canvas_length - 1)  # the canvas holds canvas − 1 script tokens + EOS
            ids = torch.randint(3, asr.vocab_size, (n_tok,), generator=torch.Generator().manual_seed(n_tok)).tolist()
            init = seed_canvas(ids, [False] * n_tok, asr.canvas_length, asr.eos_ids[0], asr.vocab_size, 0.3, 0).ids
            return lambda: asr.decode_frames(frames, [prompt], SamplerConfig(steps=steps), torch.Generator().manual_seed(0),
                                             init=[init])

        by_len = []
        for w in WORDS:
            n_tok = int(round(w * TOKENS_PER_WORD))
            d = median_time(diffusion(8), args.repeats)
            sd = median_time(seeded(4, n_tok), args.repeats)
            a = median_time(lambda: ar_decode(asr, frames, prompt, n_tok), args.repeats)
            by_len.append({"words": w, "tokens": n_tok, "seeded_tokens": min(n_tok, 191), "diffusion_s": round(d, 4),
                           "seeded4_s": round(sd, 4),
                           "ar_s": round(a, 4)})
            print(f"words {w:4d}  tokens {n_tok:4d}  diffusion(8 steps) {d:7.3f} s   seeded(4 steps) {sd:7.3f} s   "
                  f"autoregressive {a:7.3f} s", flush=True)
        by_steps = []
        for s in STEPS:
            d = median_time(diffusion(s), args.repeats)
            by_steps.append({"steps": s, "diffusion_s": round(d, 4)})
            print(f"steps {s:3d}  diffusion {d:7.3f} s", flush=True)
        # batching: the distinct voice-overs of a batch in one call vs one call each (encoder included)
        voices = [np.roll(audio, 16000 * k)[: 10 * 16000] for k in range(max(BATCHES))]
        by_batch = []
        for n in BATCHES:
            def one_by_one():
                for v in voices[:n]:
                    asr.decode_frames(asr.encoder([v]), [prompt], SamplerConfig(steps=8), torch.Generator().manual_seed(0))

            def together():
                asr.decode_frames(asr.encoder(voices[:n]), [prompt] * n, SamplerConfig(steps=8), torch.Generator().manual_seed(0))

            single = median_time(one_by_one, args.repeats)
            batched = median_time(together, args.repeats)
            by_batch.append({"clips": n, "single_calls_s": round(single, 3), "one_call_s": round(batched, 3),
                             "speedup": round(single / batched, 2)})
            print(f"{n:3d} clips of 10 s: {n} calls {single:7.3f} s, one batched call {batched:7.3f} s "
                  f"(×{single / batched:.2f})", flush=True)
    d0, d1 = by_len[0]["diffusion_s"], by_len[-1]["diffusion_s"]
    a0, a1 = by_len[0]["ar_s"], by_len[-1]["ar_s"]
    xs = np.array([r["steps"] for r in by_steps], float)
    ys = np.array([r["diffusion_s"] for r in by_steps], float)
    slope, icpt = np.polyfit(xs, ys, 1)
    r2 = 1 - ((ys - (slope * xs + icpt)) ** 2).sum() / ((ys - ys.mean()) ** 2).sum()
    summary = {
        "diffusion_growth_5_to_150_words": round(d1 / d0 - 1, 4),
        "ar_growth_5_to_150_words": round(a1 / a0 - 1, 4),
        "goal_diffusion_growth_le": 0.10,
        "steps_linear_fit": {"s_per_step": round(float(slope), 5), "intercept_s": round(float(icpt), 4), "r2": round(float(r2), 4)},
        "whisper_encoder_s": round(enc_s, 4),
    }
    s0, s1 = by_len[0]["seeded4_s"], by_len[-1]["seeded4_s"]
    summary["seeded4_growth_5_to_150_words"] = round(s1 / s0 - 1, 4)
    print(f"\n| words | random canvas, 8 steps (s) | script-seeded, 4 steps (s) | autoregressive (s) |\n|---:|---:|---:|---:|")
    for r in by_len:
        print(f"| {r['words']} | {r['diffusion_s']:.3f} | {r['seeded4_s']:.3f} | {r['ar_s']:.3f} |")
    print(f"\n| clips | separate calls (s) | one batched call (s) | speed-up |\n|---:|---:|---:|---:|")
    for r in by_batch:
        print(f"| {r['clips']} | {r['single_calls_s']:.3f} | {r['one_call_s']:.3f} | ×{r['speedup']:.2f} |")
    print(f"\n| steps | diffusion (s) |\n|---:|---:|")
    for r in by_steps:
        print(f"| {r['steps']} | {r['diffusion_s']:.3f} |")
    print("\n" + json.dumps(summary, indent=2))
    result = {
        "machine": {"cpu_count": os.cpu_count(), "threads": args.threads, "platform": platform.platform(),
                    "torch": torch.__version__, "gpu": None},
        "model": {"backbone_params": params, "hidden": args.hidden, "layers": args.layers, "canvas": 192,
                  "audio_s": len(audio) / 16000},
        "by_length": by_len, "by_steps": by_steps, "by_batch": by_batch, "summary": summary,
        "date": time.strftime("%Y-%m-%d"),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
