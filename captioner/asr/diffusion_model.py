"""Diffusion ASR model: frozen Whisper encoder → projector → DiffusionGemma (+ LoRA), loading and decoding (torch)."""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
from torch import nn

from ..errors import InputError, ModelError
from .diffusion_layout import (
    ADAPTER_WEIGHTS,
    PROJECTOR,
    REAL_MODEL_HINT,
    SAMPLES_PER_ENCODER_FRAME,
    WINDOW_SECONDS,
    AudioConfig,
    check_layout,
)
from .diffusion_sampler import SamplerConfig, denoise
from .diffusion_seed import DEFAULT_NUMBER_MARGIN, seed_canvas, tokens_with_numbers

SAMPLE_RATE = 16000
WINDOW_SAMPLES = int(WINDOW_SECONDS * SAMPLE_RATE)

# LoRA goes on the text attention of the encoder and decoder stacks only (a bare "q_proj" would also hit the
# vision tower's clippable linears, which peft rejects). Full-attention layers may have no v_proj: the regex
# simply matches what exists.
LORA_TARGET_REGEX = r".*model\.(encoder\.language_model|decoder)\.layers\.\d+\.self_attn\.(q_proj|k_proj|v_proj|o_proj)"


# --- projector ---------------------------------------------------------------------------------

class Projector(nn.Module):
    """Stack k consecutive encoder frames (×k subsampling), then an MLP to the backbone's hidden size."""

    def __init__(self, in_dim: int, subsample: int, hidden: int, out_dim: int):
        super().__init__()
        self.subsample = subsample
        self.norm = nn.LayerNorm(in_dim * subsample)
        self.fc1 = nn.Linear(in_dim * subsample, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, out_dim)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        b, t, d = frames.shape
        pad = (-t) % self.subsample
        if pad:
            frames = torch.nn.functional.pad(frames, (0, 0, 0, pad))
        x = frames.reshape(b, (t + pad) // self.subsample, d * self.subsample)
        return self.fc2(self.act(self.fc1(self.norm(x))))


def new_projector(cfg: AudioConfig) -> Projector:
    return Projector(cfg.encoder_dim, cfg.subsample, cfg.projector_hidden, cfg.backbone_hidden)


# --- frozen encoders ---------------------------------------------------------------------------

def log_mel_windows(chunks: Sequence[np.ndarray], n_mels: int) -> np.ndarray:
    """Log-mel features (B, n_mels, 3000) of ≤30 s chunks, zero-padded to the Whisper window."""
    from faster_whisper.feature_extractor import FeatureExtractor

    fe = FeatureExtractor(feature_size=n_mels)
    n_frames = WINDOW_SAMPLES // fe.hop_length
    out = np.zeros((len(chunks), n_mels, n_frames), dtype=np.float32)
    for i, chunk in enumerate(chunks):
        if len(chunk) > WINDOW_SAMPLES:
            raise InputError(f"internal: audio chunk of {len(chunk) / SAMPLE_RATE:.1f} s exceeds the 30 s window")
        padded = np.zeros(WINDOW_SAMPLES, dtype=np.float32)
        padded[: len(chunk)] = chunk
        mel = fe(padded, padding=0)
        out[i, :, : min(n_frames, mel.shape[-1])] = mel[:, :n_frames]
    return out


class HFWhisperEncoder:
    """transformers WhisperModel encoder from a local folder, frozen."""

    def __init__(self, folder: Optional[Path], device: torch.device, dtype: torch.dtype, model=None):
        """folder: a transformers Whisper checkpoint; or model: an in-memory WhisperEncoder (benchmarks)."""
        from transformers import WhisperModel

        if model is None:
            try:
                model = WhisperModel.from_pretrained(str(folder), dtype=dtype, local_files_only=True).encoder
            except Exception as e:  # transformers raises OSError/ValueError with its own text
                raise ModelError(f"could not load the Whisper encoder from {folder}: {e}") from e
        self.model = model
        self.model.to(device).eval().requires_grad_(False)
        self.device, self.dtype = device, dtype
        self.n_mels = self.model.config.num_mel_bins
        self.dim = self.model.config.d_model
        self.frames = self.model.config.max_source_positions

    @torch.no_grad()
    def __call__(self, chunks: Sequence[np.ndarray]) -> torch.Tensor:
        feats = torch.from_numpy(log_mel_windows(chunks, self.n_mels)).to(self.device, self.dtype)
        return self.model(input_features=feats).last_hidden_state.float()


class CT2WhisperEncoder:
    """The encoder of a CTranslate2 Whisper (e.g. the shipped Whisper base), frozen by construction."""

    def __init__(self, folder: Path, device: torch.device, threads: int = 0):
        import ctranslate2

        dev = "cuda" if device.type == "cuda" else "cpu"
        try:
            self.model = ctranslate2.models.Whisper(str(folder), device=dev, compute_type="default",
                                                    intra_threads=threads or min(2, os.cpu_count() or 1))
        except Exception as e:
            raise ModelError(f"could not load the CTranslate2 Whisper encoder from {folder}: {e}") from e
        cfg = json.loads(Path(folder, "config.json").read_text())
        self.n_mels = int(cfg.get("num_mel_bins", 80))
        self.device = device
        self.dim: Optional[int] = None
        self.frames = 1500

    @torch.no_grad()
    def __call__(self, chunks: Sequence[np.ndarray]) -> torch.Tensor:
        import ctranslate2

        feats = log_mel_windows(chunks, self.n_mels)
        out = self.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(feats)), to_cpu=True)
        arr = torch.from_numpy(np.array(out, dtype=np.float32))
        self.dim = arr.shape[-1]
        return arr.to(self.device)


def load_encoder(cfg: AudioConfig, whisper_dir: Optional[Path], device: torch.device, dtype: torch.dtype):
    if cfg.encoder_type == "whisper-ct2":
        if whisper_dir is None:
            from .whisper import ensure_whisper_base

            whisper_dir = ensure_whisper_base()
        return CT2WhisperEncoder(whisper_dir, device)
    return HFWhisperEncoder(whisper_dir, device, dtype)


# --- checks before loading ---------------------------------------------------------------------

def read_backbone_config(model_dir: Path):
    from transformers import DiffusionGemmaConfig

    try:
        return DiffusionGemmaConfig.from_pretrained(str(model_dir), local_files_only=True)
    except Exception as e:
        raise ModelError(f"{model_dir}/config.json is not a DiffusionGemma config ({e}); " + REAL_MODEL_HINT) from e


def count_parameters(config) -> int:
    """Parameter count of the backbone a config describes, built on the meta device (nothing allocated)."""
    from transformers import DiffusionGemmaForBlockDiffusion

    with torch.device("meta"):
        model = DiffusionGemmaForBlockDiffusion(config)
    return sum(p.numel() for p in model.parameters())


def available_ram() -> int:
    """Bytes of memory available to a new allocation (MemAvailable), 0 when unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0


def check_fits_ram(config, dtype: torch.dtype, ram: Optional[int] = None) -> int:
    """Refuse (ModelError) when params × bytes/param exceeds available RAM; return the bytes needed."""
    n = count_parameters(config)
    need = n * torch.empty((), dtype=dtype).element_size()
    ram = available_ram() if ram is None else ram
    if ram and need > ram:
        raise ModelError(
            f"the diffusion backbone has {n / 1e9:.2f} B parameters = {need / 2**30:.1f} GiB in {str(dtype).split('.')[-1]}, "
            f"but only {ram / 2**30:.1f} GiB RAM is available on this CPU machine; refused before loading — use a GPU "
            f"(bf16 ≈ 50 GB: one 80 GB GPU; int8 ≈ 26 GB) or a smaller backbone"
        )
    return need


def _safetensors_shapes(path: Path) -> dict[str, tuple]:
    """Tensor shapes from a safetensors header (reads only the header)."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
    return {k: tuple(v["shape"]) for k, v in header.items() if k != "__metadata__"}


def check_dims(cfg: AudioConfig, backbone_cfg, adapter_dir: Path, encoder_dim: Optional[int]) -> None:
    """Adapter ↔ backbone ↔ encoder width checks from headers and configs, before any weight is read."""
    hidden = backbone_cfg.text_config.hidden_size
    problems = []
    if cfg.backbone_hidden != hidden:
        problems.append(f"audio_config backbone_hidden={cfg.backbone_hidden} but the backbone hidden_size={hidden}")
    if encoder_dim is not None and cfg.encoder_dim != encoder_dim:
        problems.append(f"audio_config encoder_dim={cfg.encoder_dim} but the Whisper encoder has d_model={encoder_dim}")
    shapes = _safetensors_shapes(adapter_dir / PROJECTOR)
    fc1, fc2 = shapes.get("fc1.weight"), shapes.get("fc2.weight")
    if fc1 is None or fc2 is None:
        problems.append(f"{PROJECTOR} lacks fc1.weight/fc2.weight")
    else:
        if fc1[1] != cfg.projector_in:
            problems.append(f"projector input {fc1[1]} ≠ encoder_dim×subsample = {cfg.projector_in}")
        if fc2[0] != hidden:
            problems.append(f"projector output {fc2[0]} ≠ backbone hidden_size {hidden}")
    for name, shape in _safetensors_shapes(adapter_dir / ADAPTER_WEIGHTS).items():
        if "lora_A" in name and shape[1] != hidden and ("q_proj" in name or "k_proj" in name or "v_proj" in name):
            problems.append(f"LoRA {name} expects input width {shape[1]}, backbone hidden_size is {hidden}")
            break
        if "lora_B" in name and "o_proj" in name and shape[0] != hidden:
            problems.append(f"LoRA {name} has output width {shape[0]}, backbone hidden_size is {hidden}")
            break
    if problems:
        raise ModelError("adapter does not match the backbone/encoder: " + "; ".join(problems)
                         + " — use the adapter trained for this backbone and Whisper encoder")


def pick_device(device: str = "auto") -> tuple[torch.device, torch.dtype]:
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise InputError("device 'cuda' requested but no CUDA GPU is visible; use --device cpu or auto")
        return torch.device(device), torch.bfloat16
    if device != "cpu":
        raise InputError(f"unknown device {device!r}: use auto, cpu or cuda[:N]")
    return torch.device("cpu"), torch.float32


# --- the assembled model -----------------------------------------------------------------------

@dataclass
class Prompt:
    """One chunk's prompt: token ids with the audio slots marked (embeddings are scattered there)."""

    ids: list[int]


class DiffusionASR:
    """Frozen backbone (+LoRA) + projector + frozen encoder, with prompt building and canvas decoding."""

    def __init__(self, backbone, tokenizer, projector: Projector, encoder, cfg: AudioConfig,
                 device: torch.device, dtype: torch.dtype, peft=None):
        self.peft = peft  # the peft wrapper (to save the adapter); backbone is the same model inside it
        self.backbone = backbone  # DiffusionGemmaForBlockDiffusion, LoRA layers injected by peft (or None-LoRA)
        self.tokenizer = tokenizer
        self.projector = projector
        self.encoder = encoder
        self.cfg = cfg
        self.device, self.dtype = device, dtype
        tc = backbone.config.text_config
        self.vocab_size = tc.vocab_size
        self.pad_id, self.bos_id = tc.pad_token_id, tc.bos_token_id
        eos = tc.eos_token_id
        self.eos_ids = list(eos) if isinstance(eos, (list, tuple)) else [eos]
        self.canvas_length = cfg.canvas_length
        self.audio_id = self._token_id(cfg.audio_token)
        self.boa_id = self._token_id(cfg.begin_audio_token)
        self.eoa_id = self._token_id(cfg.end_audio_token)

    def _token_id(self, token: str) -> int:
        tid = self.tokenizer.convert_tokens_to_ids(token)
        unk = getattr(self.tokenizer, "unk_token_id", None)
        if tid is None or (unk is not None and tid == unk) or tid >= self.vocab_size:
            raise ModelError(f"the tokenizer has no {token!r} token (needed by the adapter's audio_config.json)")
        return tid

    # prompt ------------------------------------------------------------------------------------
    def text_ids(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def prompt_ids(self, language: str, script: Optional[str] = None) -> list[int]:
        ids = [self.bos_id] + self.text_ids(self.cfg.language_prompt.format(language=language))
        if script:
            ids += self.text_ids(self.cfg.script_prompt.format(script=script))
        return ids + [self.boa_id] + [self.audio_id] * self.cfg.num_slots + [self.eoa_id]

    def target_ids(self, text: str) -> list[int]:
        ids = self.text_ids(text)
        if len(ids) >= self.canvas_length:
            raise InputError(f"transcript of {len(ids)} tokens does not fit the {self.canvas_length}-token canvas: "
                             "split the clip or raise canvas_length")
        return ids

    def target_canvas(self, ids: list[int]) -> list[int]:
        """Training target: the tokens, then EOS to the end (PAD is never predicted confidently)."""
        return ids + [self.eos_ids[0]] * (self.canvas_length - len(ids))

    # audio -------------------------------------------------------------------------------------
    def audio_embeddings(self, frames: torch.Tensor) -> torch.Tensor:
        """Encoder frames (B, 1500, D) → projected slot embeddings (B, num_slots, H) in the backbone dtype."""
        emb = self.projector(frames.to(self.device, next(self.projector.parameters()).dtype))
        return emb[:, : self.cfg.num_slots].to(self.dtype)

    def encode_prompts(self, prompts: list[list[int]], audio_emb: torch.Tensor, extra: Optional[list[list[int]]] = None):
        """Run the causal encoder over left-padded prompts with audio scattered into the slots.

        extra: tokens appended after each prompt (teacher forcing for the AR auxiliary loss; right-padded).
        Returns (encoder output, cache, key mask (B, L) or None, number of real tokens per row, prompt width L).
        """
        b = len(prompts)
        width = max(len(p) for p in prompts)
        ids = torch.full((b, width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((b, width), dtype=torch.long)
        for i, p in enumerate(prompts):
            ids[i, width - len(p):] = torch.tensor(p)
            mask[i, width - len(p):] = 1
        if extra is not None:
            ew = max(len(e) for e in extra)
            ext = torch.full((b, ew), self.pad_id, dtype=torch.long)
            emask = torch.zeros((b, ew), dtype=torch.long)
            for i, e in enumerate(extra):
                ext[i, : len(e)] = torch.tensor(e)
                emask[i, : len(e)] = 1
            ids, mask = torch.cat([ids, ext], 1), torch.cat([mask, emask], 1)
        ids, mask = ids.to(self.device), mask.to(self.device)
        embeds = self.backbone.get_input_embeddings()(ids)
        slot = (ids == self.audio_id).unsqueeze(-1)
        if int(slot.sum()) != audio_emb.shape[0] * audio_emb.shape[1]:
            raise ModelError("internal: audio slots and audio embeddings disagree")
        embeds = embeds.masked_scatter(slot, audio_emb.to(embeds.dtype))
        position_ids = (mask.cumsum(-1) - 1).clamp(min=0)
        padded = not bool(mask.all())
        out = self.backbone.model.encoder(inputs_embeds=embeds, attention_mask=mask if padded else None,
                                          position_ids=position_ids, use_cache=True)
        real = torch.tensor([len(p) for p in prompts], device=self.device)
        return out, out.past_key_values, (mask[:, :width] if padded else None), real, width

    def decoder_logits(self, cache, key_mask, real, canvas, sc_logits=None, sc_mask=None):
        """One denoiser pass over the canvas, reading the prompt cache (never written)."""
        b, c = canvas.shape
        pos = real[:, None] + torch.arange(c, device=self.device)[None]
        dmask = None
        if key_mask is not None:
            dmask = torch.cat([key_mask, torch.ones((b, c), dtype=key_mask.dtype, device=self.device)], 1)
        out = self.backbone(past_key_values=cache, decoder_input_ids=canvas, self_conditioning_logits=sc_logits,
                            self_conditioning_mask=sc_mask, decoder_attention_mask=dmask, decoder_position_ids=pos)
        return out.logits

    def lm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Frozen lm_head with the backbone's final logit soft-capping."""
        cap = self.backbone.config.text_config.final_logit_softcapping
        logits = self.backbone.lm_head(hidden).float()
        return torch.tanh(logits / cap) * cap if cap else logits

    # decoding ----------------------------------------------------------------------------------
    @torch.no_grad()
    def decode_frames(self, frames: torch.Tensor, prompts: list[list[int]], sampler: SamplerConfig,
                      generator: torch.Generator, init: Optional[list[list[int]]] = None) -> tuple[list[list[int]], int]:
        """Denoise one canvas per chunk, all chunks together. Returns token ids (EOS → trimmed) and steps run.

        init: one start canvas per chunk (script-seeded, see `seed_canvas`); None: uniform random canvases.
        """
        audio = self.audio_embeddings(frames)
        _, cache, key_mask, real, _ = self.encode_prompts(prompts, audio)
        step = lambda canvas, sc: self.decoder_logits(cache, key_mask, real, canvas, sc)
        start = torch.tensor(init, dtype=torch.long) if init is not None else None
        canvas, steps = denoise(step, len(prompts), self.canvas_length, self.vocab_size, sampler, generator, self.device,
                                init=start)
        return [self.trim(row) for row in canvas.tolist()], steps

    def seed_canvas(self, text: str, spans, renoise: float, seed: int, number_margin: int = DEFAULT_NUMBER_MARGIN):
        """Start canvas from spoken script text (numbers in `spans` re-drawn), or None if it does not fit."""
        ids, number = tokens_with_numbers(self.tokenizer, text, spans)
        return seed_canvas(ids, number, self.canvas_length, self.eos_ids[0], self.vocab_size, renoise, seed,
                           number_margin)

    def trim(self, row: list[int]) -> list[int]:
        """Tokens before the first EOS, without PAD/BOS/audio markers."""
        out = []
        skip = {self.pad_id, self.bos_id, self.audio_id, self.boa_id, self.eoa_id}
        for t in row:
            if t in self.eos_ids:
                break
            if t not in skip:
                out.append(t)
        return out

    def detokenize(self, ids: list[int]) -> str:
        return " ".join(self.tokenizer.decode(ids, skip_special_tokens=True).split())


def chunk_audio(audio: np.ndarray, window: int = WINDOW_SAMPLES, search: int = 5 * SAMPLE_RATE) -> list[np.ndarray]:
    """Split audio into ≤30 s chunks, cutting at the quietest 100 ms in the last `search` samples of each window.

    Nothing is dropped: the chunks concatenate back to the input.
    """
    chunks, start, n = [], 0, len(audio)
    hop = SAMPLE_RATE // 10
    while n - start > window:
        lo, hi = start + window - search, start + window
        seg = audio[lo:hi].astype(np.float64)
        energy = np.convolve(seg**2, np.ones(hop), mode="valid")  # 100 ms windows
        cut = lo + int(np.argmin(energy[::160]) * 160) + hop // 2
        cut = min(max(cut, start + SAMPLE_RATE), hi)
        chunks.append(audio[start:cut])
        start = cut
    chunks.append(audio[start:])
    return chunks


def valid_slots(n_samples: int, cfg: AudioConfig) -> int:
    """Audio slots that cover real audio (not the zero padding of the 30 s window)."""
    frames = math.ceil(n_samples / SAMPLES_PER_ENCODER_FRAME)
    return max(1, min(cfg.num_slots, math.ceil(frames / cfg.subsample)))


def load_diffusion_asr(model_dir=None, adapter_dir=None, whisper_dir=None, device: str = "auto",
                       check_memory: bool = True, trainable: bool = False) -> DiffusionASR:
    """Load backbone + adapter + encoder from local folders (never downloads). Checks files, dims, RAM first."""
    model_dir, adapter_dir, whisper_dir, cfg = check_layout(model_dir, adapter_dir, whisper_dir)
    dev, dtype = pick_device(device)
    backbone_cfg = read_backbone_config(model_dir)
    enc_dim = None
    if cfg.encoder_type == "whisper-hf":
        wcfg = json.loads(Path(whisper_dir, "config.json").read_text())
        enc_dim = wcfg.get("d_model")
    if check_memory and dev.type == "cpu":
        check_fits_ram(backbone_cfg, dtype)
    check_dims(cfg, backbone_cfg, adapter_dir, enc_dim)
    backbone, tokenizer = load_backbone(model_dir, dev, dtype)
    peft = attach_adapter(backbone, adapter_dir, trainable=trainable)
    projector = load_projector(cfg, adapter_dir, dev, trainable)
    encoder = load_encoder(cfg, whisper_dir, dev, dtype)
    if encoder.dim is not None and encoder.dim != cfg.encoder_dim:
        raise ModelError(f"the Whisper encoder has width {encoder.dim}, the adapter expects {cfg.encoder_dim}")
    return DiffusionASR(backbone, tokenizer, projector, encoder, cfg, dev, dtype, peft=peft)


def load_backbone(model_dir: Path, dev: torch.device, dtype: torch.dtype):
    from transformers import AutoTokenizer, DiffusionGemmaForBlockDiffusion

    try:
        backbone = DiffusionGemmaForBlockDiffusion.from_pretrained(str(model_dir), dtype=dtype, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    except Exception as e:
        raise ModelError(f"could not load the DiffusionGemma backbone from {model_dir}: {e}") from e
    backbone.to(dev).eval().requires_grad_(False)
    return backbone, tokenizer


def attach_adapter(backbone, adapter_dir: Path, trainable: bool = False):
    """Inject the saved LoRA into the backbone in place (unmerged: encoder and decoder share base weights)."""
    from peft import PeftModel

    try:
        peft_model = PeftModel.from_pretrained(backbone, str(adapter_dir), is_trainable=trainable)
    except Exception as e:
        raise ModelError(f"the LoRA adapter in {adapter_dir} does not fit this backbone: {e}") from e
    if not trainable:
        peft_model.eval()
    return peft_model  # peft_model.base_model.model is the same backbone object, LoRA layers now inside


def load_projector(cfg: AudioConfig, adapter_dir: Path, dev: torch.device, trainable: bool = False) -> Projector:
    from safetensors.torch import load_file

    proj = new_projector(cfg)
    try:
        proj.load_state_dict(load_file(str(adapter_dir / PROJECTOR)))
    except Exception as e:
        raise ModelError(f"{adapter_dir / PROJECTOR} does not fit audio_config.json: {e}") from e
    proj.to(dev)
    if not trainable:
        proj.eval().requires_grad_(False)
    return proj
