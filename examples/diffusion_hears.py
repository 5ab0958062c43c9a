"""Proof that a tiny diffusion ASR model really hears: overfit 8 different clips, decode each to its own transcript.

A tiny *frozen, random* DiffusionGemma (the real architecture at toy size, saved and re-loaded in the real
folder layout) gets the frozen encoder features of 8 short ad clips through a trained projector + LoRA
(the only trainable parts). After training, each clip must decode (8 steps, fixed) to its exact transcript;
swapping two clips' audio must swap the outputs; the backbone file and weights must be bit-identical.

    python examples/diffusion_hears.py [--encoder whisper-ct2|whisper-hf] [--steps 2000] [--seeded-p 0.5] [--out results.json]

--seeded-p trains part of the examples on script-seeded canvases (diffusion_seed.py); the report then also
counts exact transcripts vs decoding steps from random and from script-seeded canvases (the script being the
clip's own text). The held-apart comparison (unseen clips, changed prices, ad-libs) is
benchmarks/bench_diffusion_seed.py.

whisper-ct2 (default) uses the shipped Whisper base encoder (real speech features, as in DESIGN's toy run);
whisper-hf uses a tiny random transformers Whisper (checks the HF path; features are random but fixed).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from captioner.asr import ASROptions  # noqa: E402
from captioner.asr.diffusion import DiffusionBackend  # noqa: E402
from captioner.asr.diffusion_toy import build_tiny_backbone, build_tiny_whisper  # noqa: E402
from captioner.asr.diffusion_train import Example, TrainConfig, new_adapter, train  # noqa: E402
from captioner.media import load_audio  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "diffusion"


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def backbone_digest(model) -> str:
    h = hashlib.sha256()
    for name, p in sorted(model.state_dict().items()):
        if "lora_" in name:
            continue
        h.update(name.encode())
        h.update(p.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes() if p.dtype != torch.bool else p.cpu().numpy().tobytes())
    return h.hexdigest()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--encoder", default="whisper-ct2", choices=["whisper-ct2", "whisper-hf"])
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--subsample", type=int, default=16)
    ap.add_argument("--w-ar", type=float, default=0.0)
    ap.add_argument("--w-ctc", type=float, default=0.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seeded-p", type=float, default=0.0, help="fraction of examples on script-seeded canvases")
    ap.add_argument("--seed", type=int, default=0, help="training seed (projector init, batches, noise)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "diffusion_hears.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = [json.loads(l) for l in (FIXTURES / "clips.jsonl").read_text().splitlines() if l.strip()][: args.clips]
    examples = [Example(load_audio(FIXTURES / r["audio"]), r["text"], r["language"]) for r in rows]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        build_tiny_backbone(tmp / "model", [r["text"] for r in rows], seed=0)
        whisper = None
        if args.encoder == "whisper-hf":
            whisper = build_tiny_whisper(tmp / "whisper", seed=0)
        weights_before = sha(tmp / "model" / "model.safetensors")
        asr = new_adapter(tmp / "model", whisper, encoder_type=args.encoder, subsample=args.subsample,
                          projector_hidden=256, languages=sorted({r["language"] for r in rows}), device="cpu",
                          seed=args.seed)
        digest_before = backbone_digest(asr.backbone)
        cfg = TrainConfig(steps=args.steps, eval_every=100, log_every=100, stop_when_exact=True,
                          w_ar=args.w_ar, w_ctc=args.w_ctc, batch_size=8, seeded_p=args.seeded_p, seed=args.seed)
        res = train(asr, examples, tmp / "adapter", cfg)
        digest_after = backbone_digest(asr.backbone)
        # reload through the public backend and decode each clip, with several start canvases
        backend = DiffusionBackend(tmp / "model", tmp / "adapter", whisper, device="cpu", steps=8, canvas=16)
        def decode_all(audios, langs, seed=0, scripts=None):
            # each clip's prompt carries its language tag; one batched call for all (transcribe_many)
            scripts = scripts or [None] * len(audios)
            return backend.transcribe_many(audios, [ASROptions(language=l, seed=seed, script=s) for l, s in zip(langs, scripts)])

        langs = [e.language for e in examples]
        results = []
        t0 = time.perf_counter()
        per_seed = []
        for seed in range(5):
            outs = decode_all([e.audio for e in examples], langs, seed)
            per_seed.append(sum(o.text == e.text for o, e in zip(outs, examples)))
            if seed == 0:
                results = [{"clip": r["audio"], "target": e.text, "decoded": o.text, "exact": o.text == e.text}
                           for r, e, o in zip(rows, examples, outs)]
        decode_s = (time.perf_counter() - t0) / 5
        by_steps = {}
        for mode in ("random", "script"):
            backend.canvas_seed = mode
            for steps in (1, 2, 4, 8):
                backend.steps = steps
                outs = decode_all([e.audio for e in examples], langs, 0, [e.text for e in examples])
                by_steps[f"{mode}-{steps}"] = sum(o.text == e.text for o, e in zip(outs, examples))
        backend.canvas_seed, backend.steps = "random", 8
        # clips 0 and 1 are both English: swap their audio
        swapped = backend.transcribe_batch([examples[1].audio, examples[0].audio], ASROptions(language=langs[0]))
        silence = backend.transcribe(examples[0].audio * 0, ASROptions(language=langs[0]))
        report = {
            "encoder": args.encoder, "clips": len(examples), "train_steps": res.steps, "train_seconds": round(res.seconds, 1),
            "projector_params": res.projector_params, "lora_params": res.lora_params,
            "backbone_params": sum(p.numel() for n, p in asr.backbone.named_parameters() if "lora_" not in n),
            "exact_seed0": sum(r["exact"] for r in results), "exact_per_seed": per_seed,
            "decode_seconds_batch": round(decode_s, 3), "seeded_p": args.seeded_p, "seed": args.seed,
            "exact_by_canvas_and_steps": by_steps,
            "swap_ok": swapped[0].text == examples[1].text and swapped[1].text == examples[0].text,
            "silence_output": silence.text,
            "backbone_bit_identical": digest_before == digest_after and sha(tmp / "model" / "model.safetensors") == weights_before,
            "results": results, "history": res.history,
        }
    print(json.dumps({k: v for k, v in report.items() if k != "history"}, indent=2, ensure_ascii=False))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return 0 if report["exact_seed0"] == len(examples) and report["backbone_bit_identical"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
