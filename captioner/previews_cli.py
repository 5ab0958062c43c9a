"""CLI for preset previews: `captioner previews` (the gallery) and `captioner preview` (one preset on your own ad).

Mounted by cli.py:  app.command("previews")(previews_command);  app.command("preview")(preview_command)
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .errors import CaptionerError


def _fail(e: CaptionerError) -> None:
    typer.echo(f"captioner: error: {e}", err=True)
    raise typer.Exit(e.exit_code)


def previews_command(
    out: Path = typer.Option(..., "--out", "-o", help="Gallery folder: index.html + media/ (previews are cached there)."),
    language: str = typer.Option("en", "--language", "-l", help="Language of the sample line: en, de, fr, es, hi, zh."),
    workers: int = typer.Option(2, "--workers", "-j", min=1, max=16, help="Previews rendered at once."),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the path of index.html."),
) -> None:
    """Render an animated preview + still of every preset and an index.html gallery to browse them."""
    from .previews import PreviewOptions, build_gallery

    try:
        result = build_gallery(out, language, options=PreviewOptions(workers=workers))
    except CaptionerError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps({
            "index": str(result.index), "language": result.language, "seconds": result.seconds, "counts": result.counts,
            "presets": [{"name": p.name, "tier": p.tier, "credits": p.price_milli / 1000, "status": p.status,
                         "animated": str(p.animated), "still": str(p.still),
                         "languages": [{"code": lang.code, "via": lang.via} for lang in p.languages]}
                        for p in result.previews]}, ensure_ascii=False, indent=1))
        return
    if quiet:
        typer.echo(str(result.index))
        return
    c = result.counts
    typer.echo(f"{len(result.previews)} presets previewed in {result.language} in {result.seconds:.1f} s "
               f"({c['built']} rendered, {c['cached']} from cache, {c['rebuilt']} corrupt cache entries rebuilt)")
    typer.echo(f"  gallery: {result.index}")


def preview_command(
    video: Path = typer.Argument(..., help="Your ad (mp4/mov/webm) with its voice-over."),
    preset: str = typer.Option("karaoke", "--preset", "-p", help="Preset name (see `captioner presets`) or a preset file."),
    out: Path = typer.Option(..., "--out", "-o", help="Preview video path (OUT.mp4); a preview has no sidecars."),
    seconds: float = typer.Option(5.0, "--seconds", "-n", help="Length of the preview from the start of the ad (0.5–10 s)."),
    script: Optional[Path] = typer.Option(None, "--script", "-s", help="The ad script as written (UTF-8 text file)."),
    language: str = typer.Option("en", "--language", "-l", help="Language of the voice: en, de, fr, es, hi, zh, or auto."),
    asr: str = typer.Option("whisper", "--asr", help="ASR backend: whisper (embedded default) or diffusion."),
    size: int = typer.Option(360, "--size", help="Shorter side of the preview in pixels (90–360, never upscaled)."),
    safe_zone: str = typer.Option("tiktok", "--safe-zone", help="Keep captions clear of: tiktok, reels, shorts, all, none."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the output path."),
) -> None:
    """A free preview of one preset on the first seconds of VIDEO: at most 10 s and 360 px, watermarked, the video
    only (no sidecars), no credits charged. Render the full ad with `captioner caption`."""
    from .previews import preview_video

    try:
        meta = preview_video(video, preset, out=out, seconds=seconds, script=script, language=language, asr=asr,
                             short_side=size, safe_zone=safe_zone)
    except CaptionerError as e:
        _fail(e)
    if quiet:
        typer.echo(meta["outputs"]["video"])
        return
    w, h = meta["preview_size"]
    typer.echo(f"preview of preset {meta['preset']} on the first {meta['preview_seconds']:g} s of {video} "
               f"[{meta['language']}, {w}x{h}, watermarked] in {meta['timings'].get('total', 0):.1f} s — free, nothing charged")
    typer.echo(f"  video {meta['outputs']['video']}")
    for f in meta["findings"]:
        if f["severity"] != "info":
            typer.echo(f"  [{f['severity']}] {f['kind']}: {f['message']}")


app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Preset previews (standalone; cli.py mounts the two commands on the main app).")
app.command("previews")(previews_command)
app.command("preview")(preview_command)

if __name__ == "__main__":
    app()
