"""Tiny random DiffusionGemma / Whisper models saved in the real folder layout (tests, benchmarks, the proof script)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Optional

import torch

SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_audio>", "<audio_soft_token>", "<end_of_audio>"]
PROMPT_WORDS = ["language", ":", "script", "en", "de", "fr", "es", "hi", "zh"]


def words_of(texts: Iterable[str]) -> list[str]:
    """Lower-cased word and punctuation tokens as the tiny tokenizer splits them (first-seen order)."""
    seen: dict[str, None] = {}
    for t in texts:
        for w in re.findall(r"\w+|[^\w\s]", t.lower()):
            seen.setdefault(w, None)
    return list(seen)


def build_tokenizer(texts: Iterable[str], vocab_size: int):
    """A word-level tokenizer (Gemma's special ids: pad 0, eos 1, bos 2) padded with unused tokens to vocab_size."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = list(SPECIALS) + [w for w in PROMPT_WORDS if w not in SPECIALS]
    vocab += [w for w in words_of(texts) if w not in vocab]
    if len(vocab) > vocab_size:
        raise ValueError(f"{len(vocab)} words do not fit a vocabulary of {vocab_size}")
    unused = [f"<unused{i}>" for i in range(vocab_size - len(vocab))]
    vocab += unused
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(vocab)}, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>",
                                   unk_token="<unk>", additional_special_tokens=SPECIALS[4:] + unused)
    # like Gemma's, the padding entries are special: a decode never prints them as words
    return fast


def tiny_backbone_config(vocab_size: int = 128, hidden: int = 64, layers: int = 2, canvas: int = 16,
                         experts: int = 4, init_range: float = 0.2):
    """A DiffusionGemma config of the real architecture (MoE, sliding + full attention) at toy size."""
    from transformers import DiffusionGemmaConfig

    layer_types = ["sliding_attention"] * (layers - 1) + ["full_attention"]
    text = dict(vocab_size=vocab_size, hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
                num_attention_heads=2, num_key_value_heads=1, head_dim=hidden // 2, global_head_dim=hidden // 2,
                initializer_range=init_range, sliding_window=512, layer_types=layer_types, num_experts=experts,
                top_k_experts=2, moe_intermediate_size=hidden // 2, max_position_embeddings=4096)
    # a tiny vision tower is required (None crashes in transformers 5.11–5.23); it is never used for ASR
    vision = dict(model_type="gemma4_vision", hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                  num_attention_heads=2, num_key_value_heads=2, head_dim=8)
    return DiffusionGemmaConfig(text_config=text, vision_config=vision, canvas_length=canvas,
                                initializer_range=init_range)


def real_backbone_config():
    """DiffusionGemma 26B-A4B shapes (Gemma 4 26B MoE: 30 layers, hidden 2816, 128 experts top-8, vocab 262,144)."""
    from transformers import DiffusionGemmaConfig

    text = dict(vocab_size=262_144, hidden_size=2816, intermediate_size=2112, num_hidden_layers=30,
                num_attention_heads=16, num_key_value_heads=8, head_dim=256, global_head_dim=512,
                num_global_key_value_heads=2, sliding_window=1024, num_experts=128, top_k_experts=8,
                moe_intermediate_size=704, max_position_embeddings=262_144)
    vision = dict(model_type="gemma4_vision", hidden_size=1152, intermediate_size=4304, num_hidden_layers=27,
                  num_attention_heads=16, num_key_value_heads=16, head_dim=72)
    return DiffusionGemmaConfig(text_config=text, vision_config=vision, canvas_length=256)


def build_tiny_backbone(folder: Path, texts: Iterable[str], seed: int = 0, **config_kw) -> Path:
    """Save a random tiny DiffusionGemmaForBlockDiffusion + tokenizer to `folder` (config.json, model.safetensors, tokenizer.json)."""
    from transformers import DiffusionGemmaForBlockDiffusion

    folder = Path(folder)
    cfg = tiny_backbone_config(**config_kw)
    tok = build_tokenizer(texts, cfg.text_config.vocab_size)
    torch.manual_seed(seed)
    model = DiffusionGemmaForBlockDiffusion(cfg).eval()
    model.save_pretrained(str(folder))
    tok.save_pretrained(str(folder))
    return folder


def build_tiny_whisper(folder: Path, seed: int = 0, d_model: int = 64, layers: int = 2, n_mels: int = 80) -> Path:
    """Save a random tiny transformers Whisper (full 30 s window: 1500 encoder frames) to `folder`."""
    from transformers import WhisperConfig, WhisperModel

    cfg = WhisperConfig(vocab_size=64, num_mel_bins=n_mels, d_model=d_model, encoder_layers=layers,
                        decoder_layers=1, encoder_attention_heads=2, decoder_attention_heads=2,
                        encoder_ffn_dim=2 * d_model, decoder_ffn_dim=2 * d_model, max_source_positions=1500,
                        max_target_positions=32, pad_token_id=0, bos_token_id=1, eos_token_id=2,
                        decoder_start_token_id=1)
    torch.manual_seed(seed)
    WhisperModel(cfg).eval().save_pretrained(str(folder))
    return Path(folder)
