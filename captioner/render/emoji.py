"""Colour emoji: rasterise Noto Color Emoji with Pillow into PNG stickers that ffmpeg overlays during the burn.

libass draws outlines only, so a colour bitmap font (CBDT) comes out blank. The ASS writer leaves an
invisible slot of the emoji's width in the line and records where the emoji goes (`EmojiPlacement`);
here the emoji of one time span are composed into one transparent PNG, and `overlay_graph` chains one
ffmpeg `overlay` per PNG, enabled only while its page is on screen — still one decode → encode pass.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from ..layout import EMOJI_FONT
from ..presets import fonts_dir
from .ass import EmojiPlacement

STRIKE = 109  # Noto Color Emoji's bitmap strike (CBDT): FreeType loads it only at this size


@lru_cache(maxsize=1)
def _emoji_font() -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts_dir() / EMOJI_FONT), STRIKE, layout_engine=ImageFont.Layout.RAQM)


@lru_cache(maxsize=512)
def emoji_image(text: str, size: int) -> Image.Image:
    """One emoji sequence (ZWJ, skin tones, flags included) as an RGBA image about `size` px square."""
    font = _emoji_font()
    left, top, right, bottom = font.getbbox(text, mode="RGBA")
    w, h = max(1, right - left), max(1, bottom - top)
    im = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    ImageDraw.Draw(im).text((-left, -top), text, font=font, embedded_color=True)
    bbox = im.getbbox()
    if bbox:
        im = im.crop(bbox)
    k = size / max(im.width, im.height)
    return im.resize((max(1, round(im.width * k)), max(1, round(im.height * k))), Image.LANCZOS)


@dataclass
class Sticker:
    """A PNG holding every emoji of one time span, and where it goes on the frame."""

    path: Path
    x: int
    y: int
    start: float
    end: float


def make_stickers(placements: list[EmojiPlacement], folder: Path, frame: tuple[int, int]) -> list[Sticker]:
    """Group placements by time span, compose each group into one PNG in `folder`."""
    groups: dict[tuple[float, float], list[EmojiPlacement]] = {}
    for p in placements:
        groups.setdefault((round(p.start, 3), round(p.end, 3)), []).append(p)
    out = []
    for n, ((start, end), items) in enumerate(sorted(groups.items())):
        x0 = max(0, math.floor(min(p.x for p in items)))
        y0 = max(0, math.floor(min(p.y for p in items)))
        x1 = min(frame[0], math.ceil(max(p.x + p.size for p in items)) + 1)
        y1 = min(frame[1], math.ceil(max(p.y + p.size for p in items)) + 1)
        if x1 <= x0 or y1 <= y0:
            continue
        canvas = Image.new("RGBA", (x1 - x0, y1 - y0), (0, 0, 0, 0))
        for p in items:
            im = emoji_image(p.text, max(1, round(p.size)))
            ox = round(p.x - x0 + (p.size - im.width) / 2)
            oy = round(p.y - y0 + (p.size - im.height) / 2)
            canvas.alpha_composite(im, (max(0, ox), max(0, oy)))
        path = folder / f"emoji{n:04d}.png"
        canvas.save(path)
        out.append(Sticker(path, x0, y0, start, end))
    return out


def overlay_graph(base: str, stickers: list[Sticker], first_input: int) -> tuple[str, str]:
    """Filter-graph text chaining one overlay per sticker after the `base` chain; returns (graph, output label)."""
    parts = [f"[0:v]{base}[e0]"]
    for k, s in enumerate(stickers):
        parts.append(f"[e{k}][{first_input + k}:v]overlay=x={s.x}:y={s.y}:eof_action=repeat:"
                     f"enable='between(t,{s.start:.3f},{s.end:.3f})'[e{k + 1}]")
    return ";".join(parts), f"[e{len(stickers)}]"
