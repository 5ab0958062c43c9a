"""`captioner train`: fit a diffusion ASR adapter (projector + LoRA) from a JSONL manifest; torch imported lazily."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

train_app = typer.Typer(help="Train a diffusion ASR adapter (projector + LoRA) on a frozen DiffusionGemma + Whisper encoder.",
                        no_args_is_help=True, add_completion=False)


@train_app.callback(invoke_without_command=True)
def train_cmd(
    manifest: Path = typer.Option(..., "--manifest", help="JSONL: {\"audio\": path, \"text\": ..., \"language\": ..} per line (clips ≤30 s)"),
    out: Path = typer.Option(..., "--out", help="adapter folder to write (adapter layout; checkpoints in OUT/checkpoint-N)"),
    model: Optional[Path] = typer.Option(None, "--diffusion-model", help="DiffusionGemma folder [$CAPTIONER_DIFFUSION_MODEL]"),
    whisper: Optional[Path] = typer.Option(None, "--whisper", help="Whisper folder [$CAPTIONER_WHISPER]; omit with --encoder whisper-ct2 to use the shipped base"),
    adapter: Optional[Path] = typer.Option(None, "--adapter", help="continue from this adapter instead of a fresh one"),
    encoder: str = typer.Option("whisper-hf", "--encoder", help="whisper-hf (transformers folder) or whisper-ct2 (CTranslate2)"),
    steps: int = typer.Option(1500, "--steps", min=1),
    lr: float = typer.Option(3e-3, "--lr"),
    batch_size: int = typer.Option(8, "--batch-size", min=1),
    lora_r: int = typer.Option(8, "--lora-r", min=1),
    subsample: int = typer.Option(8, "--subsample", min=1, help="×k encoder frame subsampling in the projector"),
    projector_hidden: int = typer.Option(1280, "--projector-hidden", min=1),
    canvas: Optional[int] = typer.Option(None, "--canvas", help="canvas length (default: the backbone's)"),
    w_diffusion: float = typer.Option(1.0, "--w-diffusion"),
    w_ar: float = typer.Option(0.5, "--w-ar", help="weight of the autoregressive auxiliary loss"),
    w_ctc: float = typer.Option(0.3, "--w-ctc", help="weight of CTC on the projector through the frozen lm_head"),
    with_script: bool = typer.Option(False, "--with-script", help="put each clip's 'script' in the prompt (adapter then honours script hints)"),
    seeded_p: float = typer.Option(0.0, "--seeded-p", min=0.0, max=1.0, help="fraction of examples noised like a script-seeded canvas (numbers fully re-drawn; see docs/DIFFUSION.md)"),
    script_edit_p: float = typer.Option(0.5, "--script-edit-p", min=0.0, max=1.0, help="chance that a seeded example's script is edited (tokens dropped/inserted)"),
    eval_every: int = typer.Option(100, "--eval-every", help="decode the training clips every N steps (0: never)"),
    stop_when_exact: bool = typer.Option(False, "--stop-when-exact"),
    checkpoint_every: int = typer.Option(0, "--checkpoint-every"),
    device: str = typer.Option("auto", "--device"),
    threads: int = typer.Option(0, "--threads", help="CPU threads for torch (0: torch's default)"),
    seed: int = typer.Option(0, "--seed"),
):
    """Fit projector + LoRA with the recipe's three losses; backbone and encoder stay frozen."""
    from ..errors import CaptionerError

    try:
        import torch

        from .diffusion_model import load_diffusion_asr
        from .diffusion_train import TrainConfig, load_manifest, new_adapter, train

        if threads:
            torch.set_num_threads(threads)
        examples = load_manifest(manifest)
        langs = sorted({e.language for e in examples})
        if adapter:
            asr = load_diffusion_asr(model, adapter, whisper, device=device, trainable=True)
        else:
            asr = new_adapter(model, whisper, encoder_type=encoder, subsample=subsample, projector_hidden=projector_hidden,
                              canvas_length=canvas, lora_r=lora_r, lora_alpha=2 * lora_r, languages=langs,
                              trained_with_script=with_script, device=device, seed=seed)
        cfg = TrainConfig(steps=steps, lr=lr, batch_size=batch_size, lora_r=lora_r, lora_alpha=2 * lora_r,
                          w_diffusion=w_diffusion, w_ar=w_ar, w_ctc=w_ctc, seed=seed, eval_every=eval_every,
                          stop_when_exact=stop_when_exact, checkpoint_every=checkpoint_every, seeded_p=seeded_p,
                          script_edit_p=script_edit_p)
        res = train(asr, examples, out, cfg, log=typer.echo)
    except CaptionerError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(e.exit_code)
    except ImportError as e:
        typer.echo(f"error: training needs the diffusion extra ({e.name} missing): pip install 'captioner[diffusion]'", err=True)
        raise typer.Exit(4)
    typer.echo(f"adapter written to {res.out_dir}: {res.steps} steps in {res.seconds:.0f} s, "
               f"{res.exact}/{res.total} training clips decode exactly")
