"""Canvas sampler: uniform random-token canvas, entropy-bound acceptance, temperature schedule, fixed or adaptive steps."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import torch


@dataclass
class SamplerConfig:
    """steps: fixed number of denoising passes (cost is set by this, not by the transcript length).

    keep_confirmed: keep positions whose argmax equals the current token (see below).
    adaptive: stop each clip early once its argmax canvas is unchanged for `stability` passes and its mean
    token entropy is below `confidence` (at most `max_steps` passes). entropy_bound: keep the lowest-entropy
    positions while their summed entropy minus the largest stays ≤ the bound; re-draw the rest uniformly.
    Temperature goes linearly from t_max (first pass) to t_min (last pass).
    """

    steps: int = 8
    adaptive: bool = False
    max_steps: int = 48
    entropy_bound: float = 0.1
    t_max: float = 0.8
    t_min: float = 0.4
    stability: int = 1
    confidence: float = 0.005
    self_conditioning: bool = True
    # also keep every position whose argmax equals the token already there (the model confirms it), as
    # hypothesis re-masking does (Whisper-LLaDA); used for script-seeded canvases, off for random ones
    keep_confirmed: bool = False

    def __post_init__(self):
        if self.steps < 1 or self.max_steps < 1:
            raise ValueError("steps must be ≥ 1")
        if not (0 < self.t_min <= self.t_max):
            raise ValueError("need 0 < t_min ≤ t_max")
        if self.entropy_bound <= 0:
            raise ValueError("entropy_bound must be > 0")


def entropy_bound_accept(logits: torch.Tensor, bound: float) -> torch.Tensor:
    """Boolean (B, C) mask of accepted positions: lowest-entropy first while Σentropy − max ≤ bound."""
    logp = torch.log_softmax(logits, dim=-1)
    entropy = -(logp.exp() * logp).sum(-1)
    sorted_h, order = torch.sort(entropy, dim=-1)
    keep_sorted = (torch.cumsum(sorted_h, -1) - sorted_h) <= bound  # sorted ascending: current = running max
    return torch.zeros_like(keep_sorted).scatter(-1, order, keep_sorted)


def denoise(step: Callable[[torch.Tensor, Optional[torch.Tensor]], torch.Tensor], batch: int, canvas_length: int,
            vocab_size: int, cfg: SamplerConfig, generator: torch.Generator, device,
            init: Optional[torch.Tensor] = None) -> tuple[torch.Tensor, int]:
    """Run the sampler; `step(canvas, self_conditioning_logits)` returns logits (B, C, V).

    init: start canvas (B, C) — e.g. a script-seeded one (diffusion_seed.py); None: uniform random tokens.
    Returns the final argmax canvas (B, C) and the number of passes run. Seeded through `generator`
    (a CPU generator: draws are made on CPU and moved, so results do not depend on the device's RNG).
    Every row gets the same random draws, so a clip decodes the same alone or inside any batch.
    """
    def uniform(shape):
        return torch.randint(0, vocab_size, (1,) + tuple(shape[1:]), generator=generator).to(device).expand(shape)

    n = cfg.max_steps if cfg.adaptive else cfg.steps
    canvas = uniform((batch, canvas_length))  # drawn even when init is given: the later draws stay the same
    if init is not None:
        if tuple(init.shape) != (batch, canvas_length):
            raise ValueError(f"init canvas has shape {tuple(init.shape)}, expected {(batch, canvas_length)}")
        canvas = init.to(device)
    sc = None
    argmax = None
    history = None
    done = torch.zeros(batch, dtype=torch.bool, device=device)
    passes = 0
    for i in range(n):
        remaining = n - i
        temperature = cfg.t_min + (cfg.t_max - cfg.t_min) * (remaining / n) if n > 1 else cfg.t_min
        logits = step(canvas, sc if cfg.self_conditioning else None).float() / temperature
        passes += 1
        probs = torch.softmax(logits, -1)
        u = torch.rand((1,) + probs.shape[1:-1] + (1,), generator=generator).to(device).expand(probs.shape[:-1] + (1,))
        sampled = torch.searchsorted(probs.cumsum(-1), u.contiguous()).squeeze(-1).clamp_(max=vocab_size - 1)
        new_argmax = logits.argmax(-1)
        keep = entropy_bound_accept(logits, cfg.entropy_bound)
        new_canvas = torch.where(keep, sampled, uniform((batch, canvas_length)))
        if cfg.keep_confirmed:
            new_canvas = torch.where(~keep & (new_argmax == canvas), canvas, new_canvas)
        if argmax is not None and done.any():  # finished clips keep their state
            new_argmax = torch.where(done[:, None], argmax, new_argmax)
            new_canvas = torch.where(done[:, None], canvas, new_canvas)
            logits = torch.where(done[:, None, None], sc, logits)
        if cfg.adaptive:
            logp = torch.log_softmax(logits, -1)
            mean_h = (-(logp.exp() * logp).sum(-1)).mean(-1)
            stable = torch.zeros_like(done) if history is None else (history == new_argmax).all(-1)
            history = new_argmax
            done = done | (stable & (mean_h < cfg.confidence))
        canvas, argmax, sc = new_canvas, new_argmax, logits
        if cfg.adaptive and bool(done.all()):
            break
    return argmax, passes
