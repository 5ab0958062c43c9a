"""Train a diffusion ASR adapter (projector + LoRA) on a frozen DiffusionGemma and a frozen Whisper encoder.

Three losses, as in the diffusion-gemma-asr-small recipe: uniform-noise denoising of the canvas, an
autoregressive auxiliary (next-token prediction of the transcript by the causal encoder after the audio
prompt), and CTC on the projector output through the frozen lm_head (training only). Checkpoints are
written in the adapter layout (adapter_config.json, adapter_model.safetensors, projector.safetensors,
audio_config.json) so `--adapter DIR` loads them directly.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import InputError, ModelError
from .diffusion_layout import PROJECTOR, REAL_MODEL_HINT, AudioConfig, missing_files, resolve_dirs
from .diffusion_model import (
    LORA_TARGET_REGEX,
    WINDOW_SAMPLES,
    DiffusionASR,
    check_fits_ram,
    load_backbone,
    load_diffusion_asr,
    load_encoder,
    new_projector,
    pick_device,
    read_backbone_config,
    valid_slots,
)
from .diffusion_sampler import SamplerConfig
from .diffusion_seed import seed_canvas, tokens_with_numbers


@dataclass
class Example:
    """One training clip: ≤30 s of 16 kHz mono audio and what is said in it."""

    audio: np.ndarray
    text: str
    language: str = "en"
    script: Optional[str] = None


@dataclass
class TrainConfig:
    steps: int = 1500
    lr: float = 3e-3
    batch_size: int = 8
    lora_r: int = 8
    lora_alpha: int = 16
    w_diffusion: float = 1.0
    w_ar: float = 0.5
    w_ctc: float = 0.3
    self_conditioning_p: float = 0.5
    seed: int = 0
    log_every: int = 50
    eval_every: int = 100  # decode the training clips (8 steps) every N steps; 0: never
    stop_when_exact: bool = False  # stop once every training clip decodes to its exact transcript
    # ... at this many evaluations in a row: a toy stopped at its first exact decode has no margin, and torch's CPU
    # kernels differ by ISA (an AVX-512 machine decoded "zentrik zentrik" from a seeded canvas where AVX2 did not)
    exact_streak: int = 1
    checkpoint_every: int = 0
    grad_clip: float = 1.0
    decode_steps: int = 8
    # script-seeded canvases (diffusion_seed.py): this fraction of the examples gets, instead of the
    # t ~ U(0,1) noise, the canvas a script would seed — numbers fully re-drawn, U(0, seed_renoise_max) of
    # the rest re-drawn — built from the clip's `script` (or its transcript), edited with probability
    # script_edit_p (1–3 tokens dropped, or 1–2 tokens inserted) so that a script that differs from the
    # audio (an ad-lib, a cut line) is in the training distribution too.
    seeded_p: float = 0.0
    seed_renoise_max: float = 0.6
    script_edit_p: float = 0.5


@dataclass
class TrainResult:
    out_dir: str
    steps: int
    seconds: float
    exact: int = 0
    total: int = 0
    history: list[dict] = field(default_factory=list)
    trainable_params: int = 0
    projector_params: int = 0
    lora_params: int = 0


def adapter_parameters(asr: DiffusionASR) -> list[tuple[str, torch.nn.Parameter]]:
    """Every trainable parameter; raises if any is outside the projector and the LoRA matrices."""
    params = [(f"projector.{n}", p) for n, p in asr.projector.named_parameters() if p.requires_grad]
    for n, p in asr.backbone.named_parameters():
        if p.requires_grad:
            if "lora_" not in n:
                raise ModelError(f"internal: backbone parameter {n} is trainable; only LoRA and projector may be")
            params.append((n, p))
    return params


def new_adapter(model_dir, whisper_dir=None, *, encoder_type: str = "whisper-hf", subsample: int = 8,
                projector_hidden: int = 1280, canvas_length: Optional[int] = None, lora_r: int = 8,
                lora_alpha: int = 16, languages: Sequence[str] = (), trained_with_script: bool = False,
                device: str = "auto", seed: int = 0, check_memory: bool = True) -> DiffusionASR:
    """A fresh (untrained) adapter on a frozen backbone: random projector, zero-initialised LoRA B matrices."""
    from peft import LoraConfig, get_peft_model

    model_dir, _, whisper_dir = resolve_dirs(model_dir, None, whisper_dir)
    missing = [m for m in missing_files(model_dir, None, whisper_dir, encoder_type) if not m.startswith("adapter")]
    if missing:
        raise ModelError("cannot train — missing: " + ", ".join(missing) + "; " + REAL_MODEL_HINT)
    dev, dtype = pick_device(device)
    bcfg = read_backbone_config(model_dir)
    if check_memory and dev.type == "cpu":
        check_fits_ram(bcfg, dtype)
    hidden = bcfg.text_config.hidden_size
    cfg = AudioConfig(encoder_type=encoder_type, subsample=subsample, projector_hidden=projector_hidden,
                      backbone_hidden=hidden, canvas_length=canvas_length or bcfg.canvas_length,
                      languages=list(languages), trained_with_script=trained_with_script)
    encoder = load_encoder(cfg, whisper_dir, dev, dtype)
    if encoder.dim is None:  # CTranslate2: width known after one pass
        encoder([np.zeros(1600, dtype=np.float32)])
    cfg.encoder_dim, cfg.n_mels, cfg.encoder_frames = encoder.dim, encoder.n_mels, encoder.frames
    backbone, tokenizer = load_backbone(model_dir, dev, dtype)
    torch.manual_seed(seed)
    projector = new_projector(cfg).to(dev)
    lcfg = LoraConfig(r=lora_r, lora_alpha=lora_alpha, lora_dropout=0.0, target_modules=LORA_TARGET_REGEX, bias="none")
    peft = get_peft_model(backbone, lcfg)
    return DiffusionASR(peft.base_model.model, tokenizer, projector, encoder, cfg, dev, dtype, peft=peft)


def save_adapter(asr: DiffusionASR, out_dir: Path, extra: Optional[dict] = None) -> Path:
    """Write the adapter layout into a temp folder next to out_dir, then swap it in."""
    from safetensors.torch import save_file

    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.parent / f".{out_dir.name}.tmp{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    asr.peft.save_pretrained(str(tmp))
    save_file({k: v.detach().float().cpu().contiguous() for k, v in asr.projector.state_dict().items()},
              str(tmp / PROJECTOR))
    asr.cfg.save(tmp)
    if extra:
        (tmp / "training.json").write_text(json.dumps(extra, indent=2) + "\n")
    if out_dir.exists():
        for ck in out_dir.glob("checkpoint-*"):  # checkpoints written during training survive the final save
            if ck.is_dir():
                os.replace(ck, tmp / ck.name)
        old = out_dir.parent / f".{out_dir.name}.old{os.getpid()}"
        os.replace(out_dir, old)
        os.replace(tmp, out_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out_dir)
    return out_dir


class Batch:
    """Pre-encoded clips (the encoder is frozen, so its output is computed once)."""

    def __init__(self, asr: DiffusionASR, examples: Sequence[Example]):
        frames = []
        for i in range(0, len(examples), 4):
            frames.append(asr.encoder([e.audio for e in examples[i : i + 4]]).cpu())
        self.frames = torch.cat(frames)
        self.prompts = [asr.prompt_ids(e.language, e.script if asr.cfg.trained_with_script else None) for e in examples]
        self.targets = [asr.target_ids(e.text) for e in examples]
        self.canvas = torch.tensor([asr.target_canvas(t) for t in self.targets])
        self.slots = [valid_slots(len(e.audio), asr.cfg) for e in examples]
        self._seed_src: list = [None] * len(examples)
        self._examples = examples

    def seed_tokens(self, asr: DiffusionASR, i: int) -> tuple[list[int], list[bool]]:
        """Tokens of clip i's script (or transcript) in spoken form, with its number tokens marked (cached)."""
        if self._seed_src[i] is None:
            from .diffusion_seed import spoken_script

            e = self._examples[i]
            spoken = spoken_script(e.script or e.text, e.language, asr.cfg.transcript_style)
            text, spans = spoken.text_and_spans()
            self._seed_src[i] = tokens_with_numbers(asr.tokenizer, text, spans)
        return self._seed_src[i]


def seeded_noise(asr: DiffusionASR, data: "Batch", i: int, cfg: "TrainConfig", gen: torch.Generator) -> Optional[list[int]]:
    """A script-seeded noisy canvas for clip i (see TrainConfig.seeded_p); None if it does not fit."""
    ids, num = (list(x) for x in data.seed_tokens(asr, i))
    r = lambda: float(torch.rand((), generator=gen))
    if ids and r() < cfg.script_edit_p:
        if r() < 0.5 and len(ids) > 1:  # the audio has words the script lacks: drop 1–3 script tokens
            k = 1 + int(r() * min(3, len(ids) - 1))
            at = int(r() * (len(ids) - k + 1))
            del ids[at : at + k], num[at : at + k]
        else:  # the script has words the audio lacks: insert 1–2 tokens of other transcripts
            pool = [t for tt in data.targets for t in tt]
            for _ in range(1 + int(r() * 2)):
                at = int(r() * (len(ids) + 1))
                ids.insert(at, pool[int(r() * len(pool))])
                num.insert(at, False)
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    sc = seed_canvas(ids, num, asr.canvas_length, asr.eos_ids[0], asr.vocab_size, r() * cfg.seed_renoise_max, seed)
    return sc.ids if sc else None


def losses(asr: DiffusionASR, data: Batch, idx: list[int], cfg: TrainConfig, gen: torch.Generator) -> dict[str, torch.Tensor]:
    dev = asr.device
    frames = data.frames[idx].to(dev)
    proj = asr.projector(frames.to(next(asr.projector.parameters()).dtype))[:, : asr.cfg.num_slots]
    audio = proj.to(asr.dtype)
    prompts = [data.prompts[i] for i in idx]
    targets = [data.targets[i] for i in idx]
    eos = asr.eos_ids[0]
    use_ar = cfg.w_ar > 0
    out, cache, key_mask, real, width = asr.encode_prompts(prompts, audio, extra=[t + [eos] for t in targets] if use_ar else None)
    result: dict[str, torch.Tensor] = {}
    if use_ar:
        # position width-1+j predicts token j of (target + EOS); the cache is then cut back to the prompt
        ar_targets = torch.full((len(idx), out.last_hidden_state.shape[1] - width + 1), -100, dtype=torch.long)
        for r, t in enumerate(targets):
            ar_targets[r, : len(t) + 1] = torch.tensor(t + [eos])
        hidden = out.last_hidden_state[:, width - 1 :]
        logits = asr.lm_logits(hidden)
        result["ar"] = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ar_targets.to(dev).reshape(-1), ignore_index=-100)
        total = out.last_hidden_state.shape[1]
        if total <= getattr(asr.backbone.config.text_config, "sliding_window", total) and total > width:
            cache.crop(width - total)  # causal: the prompt's keys/values do not depend on what follows
        else:  # a sliding-window layer may have dropped prompt keys: encode the prompt alone
            _, cache, key_mask, real, width = asr.encode_prompts(prompts, audio)
    # uniform-noise diffusion: each position is replaced by a uniform random token with probability t
    x0 = data.canvas[idx]
    b, c = x0.shape
    t = torch.rand((b, 1), generator=gen).clamp(min=1.0 / c)
    noise = torch.rand((b, c), generator=gen) < t
    xt = torch.where(noise, torch.randint(0, asr.vocab_size, (b, c), generator=gen), x0)
    if cfg.seeded_p > 0:
        for r, i in enumerate(idx):
            if float(torch.rand((), generator=gen)) < cfg.seeded_p:
                row = seeded_noise(asr, data, i, cfg, gen)
                if row is not None:
                    xt[r] = torch.tensor(row)
    xt = xt.to(dev)
    sc, sc_mask = None, None
    if cfg.self_conditioning_p > 0:
        sc_mask = (torch.rand(b, generator=gen) < cfg.self_conditioning_p).to(dev)
        if bool(sc_mask.any()):
            with torch.no_grad():
                sc = asr.decoder_logits(cache, key_mask, real, xt).to(asr.dtype)
        else:
            sc_mask = None
    logits = asr.decoder_logits(cache, key_mask, real, xt, sc, sc_mask if sc is not None else None)
    result["diffusion"] = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), x0.to(dev).reshape(-1))
    if cfg.w_ctc > 0:
        norm = asr.backbone.model.decoder.norm
        lp = torch.log_softmax(asr.lm_logits(norm(proj.to(asr.dtype))), -1).float()
        blank = asr.cfg.ctc_blank_id if asr.cfg.ctc_blank_id is not None else asr.pad_id
        flat = torch.tensor([tok for tt in targets for tok in tt], dtype=torch.long)
        result["ctc"] = F.ctc_loss(lp.transpose(0, 1), flat, torch.tensor([data.slots[i] for i in idx]),
                                   torch.tensor([len(tt) for tt in targets]), blank=blank, zero_infinity=True)
    return result


def evaluate(asr: DiffusionASR, data: Batch, steps: int = 8, seed: int = 0) -> list[list[int]]:
    gen = torch.Generator().manual_seed(seed)
    was = asr.projector.training
    asr.projector.eval()
    out = []
    for i in range(0, len(data.prompts), 16):
        ids, _ = asr.decode_frames(data.frames[i : i + 16], data.prompts[i : i + 16], SamplerConfig(steps=steps), gen)
        out += ids
    asr.projector.train(was)
    return out


def train(asr: DiffusionASR, examples: Sequence[Example], out_dir, cfg: TrainConfig = TrainConfig(),
          log: Callable[[str], None] = print) -> TrainResult:
    """Fit projector + LoRA (backbone and encoder frozen) and save the adapter to out_dir."""
    if not examples:
        raise InputError("no training examples")
    for i, e in enumerate(examples):
        if len(e.audio) > WINDOW_SAMPLES:
            raise InputError(f"training clip {i} is {len(e.audio) / 16000:.1f} s; split clips to ≤30 s first")
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    asr.projector.train().requires_grad_(True)
    params = adapter_parameters(asr)
    n_proj = sum(p.numel() for n, p in params if n.startswith("projector."))
    n_lora = sum(p.numel() for n, p in params if not n.startswith("projector."))
    opt = torch.optim.AdamW([p for _, p in params], lr=cfg.lr, weight_decay=0.0)
    data = Batch(asr, examples)
    weights = {"diffusion": cfg.w_diffusion, "ar": cfg.w_ar, "ctc": cfg.w_ctc}
    res = TrainResult(str(out_dir), 0, 0.0, total=len(examples), trainable_params=n_proj + n_lora,
                      projector_params=n_proj, lora_params=n_lora)
    log(f"training {n_proj:,} projector + {n_lora:,} LoRA parameters on {len(examples)} clips, {cfg.steps} steps")
    t0 = time.perf_counter()
    order: list[int] = []
    streak = 0
    for step in range(1, cfg.steps + 1):
        if len(order) < min(cfg.batch_size, len(examples)):
            order += torch.randperm(len(examples), generator=gen).tolist()
        idx, order = order[: cfg.batch_size], order[cfg.batch_size :]
        parts = losses(asr, data, idx, cfg, gen)
        loss = sum(weights[k] * v for k, v in parts.items())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for _, p in params], cfg.grad_clip)
        opt.step()
        res.steps = step
        entry = None
        if cfg.log_every and step % cfg.log_every == 0:
            entry = {"step": step, "loss": round(float(loss), 4), **{k: round(float(v), 4) for k, v in parts.items()},
                     "s": round(time.perf_counter() - t0, 1)}
        if cfg.eval_every and step % cfg.eval_every == 0:
            decoded = evaluate(asr, data, cfg.decode_steps, cfg.seed)
            res.exact = sum(d == t for d, t in zip(decoded, data.targets))
            streak = streak + 1 if res.exact == len(examples) else 0
            entry = (entry or {"step": step, "s": round(time.perf_counter() - t0, 1)}) | {"exact": res.exact}
        if entry:
            res.history.append(entry)
            log(json.dumps(entry))
        if cfg.checkpoint_every and step % cfg.checkpoint_every == 0:
            save_adapter(asr, Path(out_dir) / f"checkpoint-{step}")
        if cfg.stop_when_exact and streak >= max(1, cfg.exact_streak) and cfg.eval_every and step % cfg.eval_every == 0:
            log(f"all {len(examples)} clips decode exactly at step {step} ({streak} evaluations in a row)")
            break
    res.seconds = time.perf_counter() - t0
    decoded = evaluate(asr, data, cfg.decode_steps, cfg.seed)
    res.exact = sum(d == t for d, t in zip(decoded, data.targets))
    asr.projector.eval()
    save_adapter(asr, Path(out_dir), extra={"config": asdict(cfg), "steps": res.steps, "seconds": round(res.seconds, 1),
                                            "exact": res.exact, "total": res.total, "history": res.history})
    return res


def load_manifest(path) -> list[Example]:
    """JSONL lines {"audio": path, "text": ..., "language": ..., "script": optional}; paths relative to the file."""
    from ..media import load_audio

    path = Path(path)
    if not path.is_file():
        raise InputError(f"training manifest not found: {path}")
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            audio_path = Path(row["audio"])
            text = row["text"]
        except (ValueError, KeyError, TypeError) as e:
            raise InputError(f"{path}:{n}: need a JSON object with 'audio' and 'text' ({e})") from e
        if not audio_path.is_absolute():
            audio_path = path.parent / audio_path
        out.append(Example(load_audio(audio_path), text, row.get("language", "en"), row.get("script")))
    return out
