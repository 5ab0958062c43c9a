"""Layout: group timed words into pages of 1–6 words and ≤ 2 lines, measured in the preset's font, inside a safe zone."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from .errors import InputError
from .presets import Preset, font_path
from .types import CaptionLine, CaptionPage, CaptionTrack, Word

# Keep-out margins as fractions of a portrait frame (top, bottom, left, right), from the platforms'
# published UI overlays on 1080×1920: TikTok top ~130–250 px, bottom ~320–460 px, right ~120–180 px;
# Reels top 14 %, bottom 35 %, sides 6 %; Shorts title/buttons bottom ~30 %, right ~15 %.
SAFE_ZONES: dict[str, tuple[float, float, float, float]] = {
    "tiktok": (0.13, 0.24, 0.06, 0.167),
    "reels": (0.14, 0.35, 0.06, 0.06),
    "shorts": (0.12, 0.30, 0.06, 0.15),
    "all": (0.14, 0.35, 0.06, 0.167),  # the union: one render safe on every platform
    "none": (0.05, 0.05, 0.05, 0.05),
}
# Landscape/square frames have no phone UI over them; keep a broadcast-style title-safe margin.
_WIDE_ZONE = (0.06, 0.10, 0.06, 0.06)

SENTENCE_END = tuple(".!?。！？…।")
NO_BREAK_BEFORE = set("，。！？、；：）」』》〉”’,.!?;:)…")
MAX_PAGE_SECONDS = 1.6  # pages switch every ~0.8–1.2 s in short-form; cut before a page grows past this
PAUSE_BREAK = 0.45  # a pause this long starts a new page
HOLD_AFTER = 0.25  # a page stays this long after its last word (unless the next page starts)
MIN_PAGE = 5 / 6  # Netflix minimum event duration (5/6 s), used when there is room


@dataclass(frozen=True)
class Box:
    """The rectangle captions may occupy, in frame pixels."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def center_x(self) -> float:
        return (self.left + self.right) / 2


def safe_box(width: int, height: int, zone: str) -> Box:
    """Safe rectangle for a frame; margins are symmetric left/right so the block stays centred."""
    if zone not in SAFE_ZONES:
        raise InputError(f"unknown safe zone {zone!r}: use one of {', '.join(SAFE_ZONES)}")
    top, bottom, left, right = SAFE_ZONES[zone] if height > width and zone != "none" else (
        SAFE_ZONES["none"] if zone == "none" else _WIDE_ZONE)
    side = max(left, right)
    return Box(left=width * side, top=height * top, right=width * (1 - side), bottom=height * (1 - bottom))


def is_cjk(text: str) -> bool:
    return any(
        "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\u3040" <= ch <= "\u30ff" or "\uac00" <= ch <= "\ud7af"
        for ch in text
    )


def joiner(language: str) -> str:
    return "" if language in ("zh", "ja") else " "


def display_text(word: str, preset: Preset) -> str:
    return word.upper() if preset.uppercase else word


@dataclass
class FontMetrics:
    """Measures text as libass will draw it: libass sizes a font so winAscent+winDescent = Fontsize."""

    path: Path
    ass_size: float
    em_px: float
    font: ImageFont.FreeTypeFont
    spacing_px: float

    def width(self, text: str) -> float:
        if not text:
            return 0.0
        n = len([c for c in text if not unicodedata.combining(c)])
        return float(self.font.getlength(text)) + self.spacing_px * max(0, n)


@lru_cache(maxsize=64)
def _em_ratio(path: str) -> float:
    from fontTools.ttLib import TTFont

    f = TTFont(path, lazy=True, fontNumber=0)
    upem = f["head"].unitsPerEm
    os2 = f["OS/2"] if "OS/2" in f else None
    if os2 is not None and (os2.usWinAscent + os2.usWinDescent) > 0:
        h = os2.usWinAscent + os2.usWinDescent
    else:
        h = f["hhea"].ascent - f["hhea"].descent
    return upem / h


@lru_cache(maxsize=64)
def _font(path: str, em_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, em_px, layout_engine=ImageFont.Layout.RAQM)


def metrics(preset: Preset, width: int, height: int) -> FontMetrics:
    path = font_path(preset)
    ass_size = round(preset.font_size * min(width, height), 1)
    em = ass_size * _em_ratio(str(path))
    return FontMetrics(path=path, ass_size=ass_size, em_px=em, font=_font(str(path), max(1, round(em))),
                       spacing_px=preset.letter_spacing * ass_size)


def outline_px(preset: Preset, width: int, height: int) -> float:
    return round(preset.outline * min(width, height), 1)


def _lines_for(widths: list[float], space: float, max_width: float, max_lines: int) -> list[list[int]] | None:
    """Split word indices 0..n-1 into ≤ max_lines lines that fit, balancing line widths; None if impossible."""
    n = len(widths)

    def w(a: int, b: int) -> float:
        return sum(widths[a:b]) + space * max(0, b - a - 1)

    if w(0, n) <= max_width:
        return [list(range(n))]
    if n == 1:
        return [[0]]  # one word wider than the box: the renderer scales that page down
    if max_lines < 2:
        return None
    best = None
    for k in range(1, n):
        a, b = w(0, k), w(k, n)
        if a <= max_width and b <= max_width:
            score = max(a, b)
            if best is None or score < best[0]:
                best = (score, k)
    if best is None:
        return None
    return [list(range(best[1])), list(range(best[1], n))]


def paginate(words: list[Word], preset: Preset, width: int, height: int, *, language: str = "en",
             safe_zone: str = "tiktok", duration: float | None = None) -> CaptionTrack:
    """Build the caption track: pages of ≤ preset.max_words words and ≤ preset.max_lines lines, never overlapping."""
    box = safe_box(width, height, safe_zone)
    fm = metrics(preset, width, height)
    pad = 2 * outline_px(preset, width, height) + (2 * preset.box_padding * min(width, height) if preset.box != "none" else 0)
    max_width = box.width - pad
    sep = joiner(language)
    space = fm.width(" ") if sep else 0.0
    texts = [display_text(w.text, preset) for w in words]
    widths = [fm.width(t) for t in texts]

    pages_idx: list[list[int]] = []
    cur: list[int] = []
    for i, w in enumerate(words):
        if cur:
            prev = words[cur[-1]]
            reasons = (
                len(cur) >= preset.max_words,
                w.start - prev.end >= PAUSE_BREAK,
                texts[cur[-1]].endswith(SENTENCE_END),
                w.end - words[cur[0]].start > MAX_PAGE_SECONDS and len(cur) >= 2,
                _lines_for([widths[j] for j in cur + [i]], space, max_width, preset.max_lines) is None,
            )
            # never start a page with closing punctuation (CJK line-break rule)
            if any(reasons) and not (texts[i] and texts[i][0] in NO_BREAK_BEFORE):
                pages_idx.append(cur)
                cur = []
        cur.append(i)
    if cur:
        pages_idx.append(cur)

    pages: list[CaptionPage] = []
    for n, idx in enumerate(pages_idx):
        split = _lines_for([widths[j] for j in idx], space, max_width, preset.max_lines) or [list(range(len(idx)))]
        lines = []
        for part in split:
            ids = [idx[k] for k in part]
            lw = sum(widths[j] for j in ids) + space * max(0, len(ids) - 1)
            lines.append(CaptionLine(words=ids, width=round(lw, 1)))
        start = words[idx[0]].start
        end = max(words[idx[-1]].end, start + 0.05) + HOLD_AFTER
        pages.append(CaptionPage(start=round(start, 3), end=round(end, 3), lines=lines))
    # no overlaps; stretch short pages to the minimum duration where the next page leaves room
    for k, page in enumerate(pages):
        nxt = pages[k + 1].start if k + 1 < len(pages) else (duration if duration else page.end + MIN_PAGE)
        end = max(page.end, min(page.start + MIN_PAGE, nxt))
        page.end = round(min(end, nxt), 3)
        if duration is not None:
            page.end = round(min(page.end, duration), 3)
    return CaptionTrack(words=words, pages=[p for p in pages if p.end > p.start], width=width, height=height,
                        safe_zone=safe_zone, language=language)
