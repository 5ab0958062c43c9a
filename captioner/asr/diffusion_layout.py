"""On-disk layout of the diffusion ASR model (backbone, adapter, Whisper encoder): file checks and the audio config, no torch."""
from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Optional

from ..errors import ModelError

ENV_MODEL = "CAPTIONER_DIFFUSION_MODEL"
ENV_ADAPTER = "CAPTIONER_ADAPTER"
ENV_WHISPER = "CAPTIONER_WHISPER"

AUDIO_CONFIG = "audio_config.json"
PROJECTOR = "projector.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_FILES = (ADAPTER_CONFIG, ADAPTER_WEIGHTS, PROJECTOR, AUDIO_CONFIG)
FORMAT = "captioner-diffusion-asr/1"

SAMPLES_PER_ENCODER_FRAME = 320  # Whisper: 10 ms hop, ×2 conv stride → one encoder frame per 20 ms
WINDOW_SECONDS = 30.0

REAL_MODEL_HINT = (
    "the real model is DiffusionGemma 26B (google/diffusiongemma-26B-A4B-it layout) + the "
    "diffusion-gemma-asr-small adapter + whisper-small: ~50 GB in bf16 (one 80 GB GPU), ~26 GB int8, "
    "~18 GB 4-bit; nothing is downloaded, point --diffusion-model/--adapter/--whisper (or "
    f"{ENV_MODEL}/{ENV_ADAPTER}/{ENV_WHISPER}) at local folders (see docs/DIFFUSION.md)"
)


@dataclass
class AudioConfig:
    """`audio_config.json` of an adapter: how audio becomes prompt embeddings and how the prompt reads.

    encoder_type: "whisper-hf" (transformers WhisperModel encoder folder) or "whisper-ct2" (CTranslate2 Whisper).
    encoder_dim / encoder_frames / n_mels: the frozen encoder's output width, frames per 30 s window, mel bins.
    subsample: k consecutive encoder frames are stacked into one projector input (×k frame subsampling).
    projector_hidden / backbone_hidden: the projector MLP's hidden width and output width (= backbone hidden size).
    transcript_style: "lower" or "cased" — the training transcripts' style, used for script-seeded canvases.
    """

    encoder_type: str = "whisper-hf"
    encoder_dim: int = 768
    encoder_frames: int = 1500
    n_mels: int = 80
    subsample: int = 8
    projector_hidden: int = 1280
    backbone_hidden: int = 2816
    canvas_length: int = 192
    audio_token: str = "<audio_soft_token>"
    begin_audio_token: str = "<start_of_audio>"
    end_audio_token: str = "<end_of_audio>"
    language_prompt: str = "language: {language}"
    script_prompt: str = "script: {script}"
    trained_with_script: bool = False
    # how the training transcripts were written, and so how a script-seeded canvas is written:
    # "lower" (lower case, no punctuation, numbers in words) or "cased" (as written, numbers in words)
    transcript_style: str = "lower"
    languages: list[str] = field(default_factory=list)
    ctc_blank_id: Optional[int] = None  # None: the backbone's pad token
    format: str = FORMAT

    @property
    def num_slots(self) -> int:
        """Audio placeholder slots per 30 s window (188 for whisper-small at ×8)."""
        return math.ceil(self.encoder_frames / self.subsample)

    @property
    def projector_in(self) -> int:
        return self.encoder_dim * self.subsample

    def save(self, folder: Path) -> None:
        Path(folder, AUDIO_CONFIG).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> "AudioConfig":
        path = Path(folder, AUDIO_CONFIG)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ModelError(f"cannot read {path}: {e}; the adapter folder is damaged, re-export it") from e
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ModelError(f"{path} has unknown keys {unknown}: this adapter needs a newer captioner")
        cfg = cls(**data)
        if cfg.format != FORMAT:
            raise ModelError(f"{path} declares format {cfg.format!r}, this captioner reads {FORMAT!r}")
        if cfg.encoder_type not in ("whisper-hf", "whisper-ct2"):
            raise ModelError(f"{path}: encoder_type must be 'whisper-hf' or 'whisper-ct2', not {cfg.encoder_type!r}")
        if cfg.transcript_style not in ("lower", "cased"):
            raise ModelError(f"{path}: transcript_style must be 'lower' or 'cased', not {cfg.transcript_style!r}")
        return cfg


def resolve_dirs(model_dir=None, adapter_dir=None, whisper_dir=None) -> tuple[Optional[Path], Optional[Path], Optional[Path]]:
    """Arguments win over the environment variables; None stays None (reported as missing)."""
    pick = lambda v, env: Path(v).expanduser() if v else (Path(os.environ[env]).expanduser() if os.environ.get(env) else None)
    return pick(model_dir, ENV_MODEL), pick(adapter_dir, ENV_ADAPTER), pick(whisper_dir, ENV_WHISPER)


def _weights_missing(folder: Path, label: str) -> list[str]:
    """Missing safetensors weights of a HF folder: model.safetensors, or the index and every shard it names."""
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        try:
            shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        except (OSError, ValueError, KeyError) as e:
            return [f"{label}/model.safetensors.index.json (unreadable: {e})"]
        return [f"{label}/{s}" for s in shards if not (folder / s).is_file()]
    if (folder / "model.safetensors").is_file():
        return []
    return [f"{label}/model.safetensors (or model.safetensors.index.json + shards)"]


def missing_files(model_dir: Optional[Path], adapter_dir: Optional[Path], whisper_dir: Optional[Path],
                  encoder_type: Optional[str] = None) -> list[str]:
    """Every file the backend needs and cannot find, as 'folder-role/file' strings (empty: all there)."""
    missing: list[str] = []
    if model_dir is None:
        missing.append(f"diffusion model folder (--diffusion-model or ${ENV_MODEL})")
    elif not model_dir.is_dir():
        missing.append(f"diffusion model folder {model_dir} (does not exist)")
    else:
        for name in ("config.json", "tokenizer.json"):
            if not (model_dir / name).is_file():
                missing.append(f"model/{name}")
        missing += _weights_missing(model_dir, "model")
    if adapter_dir is None:
        missing.append(f"adapter folder (--adapter or ${ENV_ADAPTER})")
    elif not adapter_dir.is_dir():
        missing.append(f"adapter folder {adapter_dir} (does not exist)")
    else:
        missing += [f"adapter/{n}" for n in ADAPTER_FILES if not (adapter_dir / n).is_file()]
    if whisper_dir is not None:  # None: the shipped CTranslate2 Whisper base may serve (ct2 adapters only)
        if not whisper_dir.is_dir():
            missing.append(f"whisper folder {whisper_dir} (does not exist)")
        elif not (whisper_dir / "config.json").is_file():
            missing.append("whisper/config.json")
        elif encoder_type == "whisper-ct2":
            if not (whisper_dir / "model.bin").is_file():
                missing.append("whisper/model.bin (CTranslate2)")
        else:
            missing += _weights_missing(whisper_dir, "whisper")
    elif encoder_type == "whisper-hf":
        missing.append(f"whisper encoder folder (--whisper or ${ENV_WHISPER}; a transformers Whisper checkpoint)")
    return missing


def check_layout(model_dir, adapter_dir, whisper_dir) -> tuple[Path, Path, Optional[Path], Optional[AudioConfig]]:
    """Resolve the three folders and raise one ModelError naming everything that is missing."""
    m, a, w = resolve_dirs(model_dir, adapter_dir, whisper_dir)
    audio_cfg = None
    if a is not None and (a / AUDIO_CONFIG).is_file():
        audio_cfg = AudioConfig.load(a)
    missing = missing_files(m, a, w, audio_cfg.encoder_type if audio_cfg else None)
    if missing:
        raise ModelError("diffusion ASR model incomplete — missing: " + ", ".join(missing) + "; " + REAL_MODEL_HINT)
    return m, a, w, audio_cfg
