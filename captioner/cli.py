"""Command-line interface: a thin layer over the Python API (`captioner caption|presets|…`)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from .errors import CaptionerError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Caption short video ads: video + script in, captioned video + sidecars + receipt out.")


def _fail(e: CaptionerError) -> None:
    typer.echo(f"captioner: error: {e}", err=True)
    raise typer.Exit(e.exit_code)


@app.command()
def caption(
    video: Path = typer.Argument(..., help="Input video (mp4/mov/webm) with the voice-over."),
    script: Optional[Path] = typer.Option(None, "--script", "-s", help="The ad script as written (UTF-8 text file)."),
    language: str = typer.Option("en", "--language", "-l", help="Language of the voice: en, de, fr, es, hi, zh, or auto."),
    preset: str = typer.Option("karaoke", "--preset", "-p", help="Preset name (see `captioner presets`) or a preset file."),
    asr: str = typer.Option("whisper", "--asr", help="ASR backend: whisper (embedded default) or diffusion."),
    out: Path = typer.Option(..., "--out", "-o", help="Output video path (OUT.mp4); sidecars go next to it."),
    safe_zone: str = typer.Option("tiktok", "--safe-zone", help="Keep captions clear of: tiktok, reels, shorts, all, none."),
    on_mismatch: str = typer.Option("flag", "--on-mismatch", help="A spoken price differing from the script: flag or fail."),
    font: Optional[str] = typer.Option(None, "--font", help="Override the preset's font (a shipped font file name)."),
    color: Optional[str] = typer.Option(None, "--color", help="Override the text colour (#RRGGBB)."),
    highlight_color: Optional[str] = typer.Option(None, "--highlight-color", help="Override the active-word colour (#RRGGBB)."),
    no_prompt: bool = typer.Option(False, "--no-prompt", help="Do not pass the script to the recogniser as a prompt."),
    diffusion_model: Optional[Path] = typer.Option(None, "--diffusion-model", help="DiffusionGemma folder (diffusion backend)."),
    adapter: Optional[Path] = typer.Option(None, "--adapter", help="ASR adapter folder: LoRA + projector (diffusion backend)."),
    whisper: Optional[Path] = typer.Option(None, "--whisper", help="Whisper encoder folder (diffusion backend)."),
    steps: Optional[int] = typer.Option(None, "--steps", "--diffusion-steps", help="Denoising steps (diffusion backend; default 8 from a random canvas, 4 from a script-seeded one)."),
    diffusion_seed: Optional[str] = typer.Option(None, "--diffusion-seed", help="Diffusion start canvas: script (default when a script is given: numbers re-drawn, the audio decides them) or random."),
    canvas: Optional[int] = typer.Option(None, "--diffusion-canvas", help="Canvas tokens (diffusion; default: the adapter's)."),
    device: Optional[str] = typer.Option(None, "--device", help="auto, cpu or cuda (diffusion backend)."),
    account: Optional[str] = typer.Option(None, "--account", help="Bill this ledger account (flat price, charged once on success)."),
    ledger: Optional[Path] = typer.Option(None, "--ledger", help="Ledger file (default $CAPTIONER_LEDGER or ~/.local/share/captioner/ledger.sqlite3)."),
    key: Optional[str] = typer.Option(None, "--key", help="Idempotency key (default: derived from inputs, preset, options, output)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the output path."),
) -> None:
    """Caption VIDEO; writes OUT.mp4, OUT.ass, OUT.srt, OUT.vtt and OUT.json (with findings and receipt)."""
    from .pipeline import CaptionOptions, caption as run

    backend_options = {}
    if asr == "diffusion":
        backend_options = {k: v for k, v in {"model_dir": diffusion_model, "adapter_dir": adapter, "whisper_dir": whisper,
                                             "steps": steps, "canvas": canvas, "device": device,
                                             "canvas_seed": diffusion_seed}.items() if v is not None}
        backend_options = {k: (str(v) if isinstance(v, Path) else v) for k, v in backend_options.items()}
    overrides = {"font": font, "text_color": color, "highlight_color": highlight_color}
    opts = CaptionOptions(language=language, preset=preset, asr=asr, safe_zone=safe_zone, on_mismatch=on_mismatch,
                          use_prompt=not no_prompt, backend_options=backend_options, preset_overrides=overrides,
                          account=account, ledger=str(ledger) if ledger else None, idempotency_key=key)
    try:
        result = run(video, script, out=out, options=opts)
    except CaptionerError as e:
        _fail(e)
    if quiet:
        typer.echo(result.outputs["video"])
        return
    typer.echo(f"captioned {video} [{result.language}, {result.asr_backend}, preset {result.preset}] "
               f"in {result.timings.get('total', 0):.1f} s")
    for k in ("video", "ass", "srt", "vtt", "json"):
        typer.echo(f"  {k:5s} {result.outputs[k]}")
    for f in result.findings:
        typer.echo(f"  [{f.severity.value}] {f.kind}: {f.message}")
    r = result.receipt
    charged = f", charged to {r.account}" if r.charged else " (not billed: no --account)"
    typer.echo(f"  receipt: preset {r.preset} ({r.tier}) {r.credits:g} credits{charged}")


@app.command()
def presets(as_json: bool = typer.Option(False, "--json", help="Machine-readable list (name, tier, credits)."),
            contact_sheet: Optional[Path] = typer.Option(None, "--contact-sheet", help="Write a PNG contact sheet per preset (en, hi, zh) into this folder.")) -> None:
    """List the caption presets with their tier and flat price per render."""
    from .presets import list_presets

    try:
        items = list_presets()
        if contact_sheet is not None:
            from .render.contact import contact_sheets

            for p in contact_sheets(contact_sheet):
                typer.echo(str(p))
            return
    except CaptionerError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps([{"name": p.name, "tier": p.tier, "credits": p.credits_milli / 1000,
                                "description": p.description, "font": p.font} for p in items], indent=1))
        return
    for p in items:
        typer.echo(f"{p.name:22s} {p.tier:8s} {p.credits_milli / 1000:g} credits  {p.description}")


def _mount() -> None:
    from .asr.diffusion_cli import train_app
    from .billing_cli import batch, credits_app, quote
    from .previews_cli import preview_command, previews_command

    app.add_typer(credits_app, name="credits", help="Credits ledger: add, balance, history.")
    app.command("quote")(quote)
    app.command("batch")(batch)
    app.command("previews")(previews_command)
    app.command("preview")(preview_command)
    app.add_typer(train_app, name="train", help="Train an ASR adapter (projector + LoRA) for the diffusion backend.")


_mount()


def main(argv: Optional[list[str]] = None) -> None:
    try:
        app(args=argv, prog_name="captioner")
    except KeyboardInterrupt:
        typer.echo("captioner: interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
