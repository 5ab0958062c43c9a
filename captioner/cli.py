"""Command-line interface: a thin layer over the Python API (`captioner caption|presets|…`)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from .errors import CaptionerError, InputError

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
    captions: Optional[Path] = typer.Option(None, "--captions", help="Captions you have (.srt/.vtt/.ass/.json): no ASR; words aligned to the audio."),
    no_emphasis: bool = typer.Option(False, "--no-emphasis", help="Do not emphasise prices, promo codes and brand terms."),
    strict: bool = typer.Option(False, "--strict", help="Refuse captions with an error finding (split protected unit, price mismatch): exit 7."),
    qa_report: bool = typer.Option(False, "--qa-report", help="Also write OUT.qa.html + OUT.qa.png (one still per page, timing, findings)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the output path."),
) -> None:
    """Caption VIDEO; writes OUT.mp4, OUT.ass, OUT.srt, OUT.vtt and OUT.json (with findings and receipt)."""
    from .pipeline import CaptionOptions, caption as run

    backend_options = {}
    diffusion_only = {"--diffusion-model": diffusion_model, "--adapter": adapter, "--whisper": whisper, "--steps": steps,
                      "--diffusion-seed": diffusion_seed, "--diffusion-canvas": canvas, "--device": device}
    given = [k for k, v in diffusion_only.items() if v is not None]
    if asr != "diffusion" and given:  # silently ignored before (--steps -3 with the Whisper backend)
        _fail(InputError(f"{', '.join(given)} {'is an option' if len(given) == 1 else 'are options'} of the diffusion "
                         f"backend: add --asr diffusion, or leave {'it' if len(given) == 1 else 'them'} out"))
    if asr == "diffusion":
        backend_options = {k: v for k, v in {"model_dir": diffusion_model, "adapter_dir": adapter, "whisper_dir": whisper,
                                             "steps": steps, "canvas": canvas, "device": device,
                                             "canvas_seed": diffusion_seed}.items() if v is not None}
        backend_options = {k: (str(v) if isinstance(v, Path) else v) for k, v in backend_options.items()}
    overrides = {"font": font, "text_color": color, "highlight_color": highlight_color}
    opts = CaptionOptions(language=language, preset=preset, asr=asr, safe_zone=safe_zone, on_mismatch=on_mismatch,
                          use_prompt=not no_prompt, backend_options=backend_options, preset_overrides=overrides,
                          account=account, ledger=str(ledger) if ledger else None, idempotency_key=key,
                          emphasis=not no_emphasis, strict=strict, captions=str(captions) if captions else None)
    try:
        inputs = [p for p in (video, script, captions) if p is not None and Path(p).is_file()]
        if qa_report:  # refused before the render (and its charge), not after
            from .qa import check_report_paths

            check_report_paths(Path(out).with_suffix(".qa.html"), inputs)
        result = run(video, script, out=out, options=opts)
        if qa_report:
            from .qa import write_report

            result.outputs["qa"] = str(write_report(result.outputs["json"], protect=inputs))
    except CaptionerError as e:
        _fail(e)
    _print_result(result, str(video), quiet)


def _print_result(result, what: str, quiet: bool) -> None:
    if quiet:
        typer.echo(result.outputs["video"])
        return
    typer.echo(f"captioned {what} [{result.language}, {result.asr_backend}, preset {result.preset}] "
               f"in {result.timings.get('total', 0):.1f} s")
    for k in ("video", "ass", "srt", "vtt", "json", "qa"):
        if k in result.outputs:
            typer.echo(f"  {k:5s} {result.outputs[k]}")
    for f in result.findings:
        typer.echo(f"  [{f.severity.value}] {f.kind}: {f.message}")
    r = result.receipt
    if r.charged and r.charged_earlier:
        charged = f", charged to {r.account} by an earlier run with the same inputs and output (not charged again)"
    elif r.charged:
        charged = f", charged to {r.account}"
    elif r.account:
        charged = f" (not charged to {r.account}: no captions were burned)"
    else:
        charged = " (not billed: no --account)"
    typer.echo(f"  receipt: preset {r.preset} ({r.tier}) {r.credits:g} credits{charged}")


@app.command("render")
def render_command(
    source: Path = typer.Option(..., "--from", help="An (edited) OUT.json written by `captioner caption`."),
    out: Path = typer.Option(..., "--out", "-o", help="Output video path (NEW.mp4); sidecars go next to it."),
    video: Optional[Path] = typer.Option(None, "--video", help="The source video (default: the one named in the JSON)."),
    preset: Optional[str] = typer.Option(None, "--preset", "-p", help="Preset name or file (default: the JSON's)."),
    safe_zone: str = typer.Option("tiktok", "--safe-zone", help="Keep captions clear of: tiktok, reels, shorts, all, none."),
    no_emphasis: bool = typer.Option(False, "--no-emphasis", help="Do not emphasise prices, promo codes and brand terms."),
    strict: bool = typer.Option(False, "--strict", help="Refuse captions with an error finding: exit 7."),
    qa_report: bool = typer.Option(False, "--qa-report", help="Also write NEW.qa.html + NEW.qa.png."),
    account: Optional[str] = typer.Option(None, "--account", help="Bill this ledger account (flat price, charged once on success)."),
    ledger: Optional[Path] = typer.Option(None, "--ledger", help="Ledger file (default $CAPTIONER_LEDGER or ~/.local/share/captioner/ledger.sqlite3)."),
    key: Optional[str] = typer.Option(None, "--key", help="Idempotency key (default: derived from video, captions, preset, output)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the output path."),
) -> None:
    """Re-render edited captions (words, times, pages in OUT.json) without ASR; billed like `caption`."""
    from .edit import render_from

    try:
        inputs = [p for p in (source, video) if p is not None and Path(p).is_file()]
        if qa_report:  # refused before the render (and its charge), not after
            from .qa import check_report_paths

            check_report_paths(Path(out).with_suffix(".qa.html"), inputs)
        result = render_from(source, out=out, video=video, preset=preset, safe_zone=safe_zone, emphasis=not no_emphasis,
                             strict=strict, account=account, ledger=str(ledger) if ledger else None, key=key)
        if qa_report:
            from .qa import write_report

            result.outputs["qa"] = str(write_report(result.outputs["json"], protect=inputs))
    except CaptionerError as e:
        _fail(e)
    _print_result(result, str(source), quiet)


@app.command("qa")
def qa_command(result_json: Path = typer.Argument(..., help="OUT.json of a render (its OUT.mp4 beside it)."),
               out: Optional[Path] = typer.Option(None, "--out", "-o", help="Report path (default OUT.qa.html)."),
               video: Optional[Path] = typer.Option(None, "--video", help="The rendered video (default: the JSON's output).")) -> None:
    """Caption QA report: one still per page from the rendered video, its timing, reading speed and findings."""
    from .qa import write_report

    try:
        path = write_report(result_json, out, video=video)
    except CaptionerError as e:
        _fail(e)
    typer.echo(str(path))


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
    from .service.cli import keys_app, serve

    app.command("serve")(serve)
    app.add_typer(keys_app, name="keys", help="API keys of the caption service: create, list, revoke, secret.")


_mount()


def main(argv: Optional[list[str]] = None) -> None:
    """Run the CLI. Ctrl-C exits 130, SIGTERM 143, SIGHUP 129 (128 + the signal), after the running job has
    removed its temporary files (see job.interruptible)."""
    import signal

    def interrupt_of(e: BaseException):
        seen = 0
        while e is not None and seen < 8:  # typer turns Ctrl-C into Exit(130) raised from the KeyboardInterrupt
            if isinstance(e, KeyboardInterrupt):
                return e
            e, seen = e.__cause__ or e.__context__, seen + 1
        return None

    try:
        app(args=argv, prog_name="captioner")
    except (KeyboardInterrupt, SystemExit) as e:
        ki = interrupt_of(e)
        if ki is None:
            raise
        signum = int(getattr(ki, "signum", signal.SIGINT))
        typer.echo(f"captioner: interrupted ({signal.Signals(signum).name}); nothing half-written was left behind", err=True)
        sys.exit(128 + signum)


if __name__ == "__main__":
    main()
