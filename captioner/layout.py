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
    "tiktok": (0.13, 0.235, 0.06, 0.165),
    "reels": (0.14, 0.35, 0.06, 0.06),
    "shorts": (0.12, 0.30, 0.06, 0.15),
    "all": (0.14, 0.35, 0.06, 0.165),  # the union: one render safe on every platform
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
    """The word as drawn: upper-cased if the preset says so; a backslash becomes the fullwidth reverse solidus
    (U+FF3C) so no `\\N`/`\\h` escape can form in ASS and the glyph is measured exactly as drawn."""
    word = word.replace("\\", "\uff3c").replace("\r", " ").replace("\n", " ")
    return word.upper() if preset.uppercase else word


# --- fonts: the preset's face first, then the script fallbacks; colour emoji are drawn apart -----------------

FALLBACK_FONTS = ("NotoSansDevanagari-Bold.ttf", "NotoSansCJKsc-Bold-GB2312.otf")
"""Tried in order for any character the preset's font lacks (Devanagari, Chinese); both carry Latin digits/punctuation."""
EMOJI_FONT = "NotoColorEmoji.ttf"
"""Colour bitmap emoji (CBDT): libass cannot draw it, so emoji are rasterised with Pillow and overlaid by ffmpeg."""

_EMOJI_JOIN = {0x200D, 0xFE0F, 0x20E3} | set(range(0x1F3FB, 0x1F400)) | set(range(0xE0020, 0xE0080))


def _emoji_base(cp: int) -> bool:
    return (0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or 0x2B00 <= cp <= 0x2BFF or 0x2300 <= cp <= 0x23FF
            or cp in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299))


@lru_cache(maxsize=64)
def _cmap(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(path, lazy=True, fontNumber=0).getBestCmap())


def _shipped(name: str) -> Path:
    from .presets import fonts_dir

    return fonts_dir() / name


def font_chain(preset: Preset) -> list[Path]:
    """The faces text is drawn with: the preset's font, then the shipped script fallbacks that exist."""
    chain = [font_path(preset)]
    for name in FALLBACK_FONTS:
        p = _shipped(name)
        if p.is_file() and p not in chain:
            chain.append(p)
    return chain


def clusters(text: str) -> list[str]:
    """Split text into clusters: a base character with its combining marks, or one whole emoji sequence."""
    out: list[str] = []
    for ch in text:
        cp = ord(ch)
        if out and (unicodedata.combining(ch) or cp in _EMOJI_JOIN or 0x0900 <= cp <= 0x097F and unicodedata.category(ch) in ("Mn", "Mc")
                    or (out[-1] and ord(out[-1][-1]) == 0x200D) or (0x1F1E6 <= cp <= 0x1F1FF and len(out[-1]) == 1 and 0x1F1E6 <= ord(out[-1]) <= 0x1F1FF)):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def is_emoji(cluster: str, chain: list[Path] | None = None) -> bool:
    """A cluster drawn as a colour emoji: an emoji code point with FE0F/ZWJ/skin tone, or one no text face has."""
    cp = ord(cluster[0])
    if not (_emoji_base(cp) or 0x1F1E6 <= cp <= 0x1F1FF or (len(cluster) > 1 and ord(cluster[1]) in (0xFE0F, 0x20E3))):
        return False
    if len(cluster) > 1 and any(ord(c) in _EMOJI_JOIN for c in cluster[1:]):
        return True
    return not chain or not any(cp in _cmap(str(p)) for p in chain)


def needs_shaping(run: str) -> bool:
    """Scripts whose clusters only form when shaped as a whole (Indic, Arabic, Thai…): drawn without letter
    spacing, because libass falls back to per-character placement when \\fsp is not 0."""
    return any(0x0590 <= ord(c) <= 0x0DFF or 0x0E00 <= ord(c) <= 0x0EFF or 0x1000 <= ord(c) <= 0x109F for c in run)


def split_runs(text: str, chain: list[Path]) -> list[tuple[str, int]]:
    """Cut text into runs drawn by one face: (run, index into chain), or (emoji cluster, -1).

    A cluster goes to the first face that has every one of its characters; spaces and joiners stay with
    the run they are in. A cluster no face has goes to face 0 (see `uncovered`)."""
    runs: list[tuple[str, int]] = []
    for cl in clusters(text):
        if is_emoji(cl, chain):
            runs.append((cl, -1))
            continue
        need = [ord(c) for c in cl if not unicodedata.category(c).startswith("Z") and ord(c) not in (0x200C, 0x200D)]
        face = 0
        if need:
            face = next((k for k, p in enumerate(chain) if all(c in _cmap(str(p)) for c in need)), 0)
        elif runs and runs[-1][1] >= 0:
            face = runs[-1][1]
        if runs and runs[-1][1] == face and face >= 0:
            runs[-1] = (runs[-1][0] + cl, face)
        else:
            runs.append((cl, face))
    return runs


def uncovered(text: str, chain: list[Path]) -> set[str]:
    """Characters of `text` that no face in the chain can draw (they would be tofu); emoji are not counted."""
    bad = set()
    for cl in clusters(text):
        if is_emoji(cl, chain):
            continue
        for c in cl:
            if unicodedata.category(c) in ("Cc", "Cf", "Zs") or ord(c) in (0x200C, 0x200D):
                continue
            if not any(ord(c) in _cmap(str(p)) for p in chain):
                bad.add(c)
    return bad


@dataclass
class Face:
    path: Path
    em_px: float
    font: ImageFont.FreeTypeFont


@dataclass
class FontMetrics:
    """Measures text as libass will draw it: libass sizes every face so winAscent+winDescent = Fontsize.

    `faces[0]` is the preset's font, the rest the script fallbacks; emoji take a square of `emoji_px`."""

    path: Path
    ass_size: float
    em_px: float
    font: ImageFont.FreeTypeFont
    spacing_px: float
    faces: list[Face]

    @property
    def chain(self) -> list[Path]:
        return [f.path for f in self.faces]

    @property
    def emoji_px(self) -> float:
        return self.ass_size * 0.82

    @property
    def emoji_advance(self) -> float:
        return self.ass_size * 0.95

    def run_width(self, run: str, face: int) -> float:
        if face < 0:
            return self.emoji_advance
        n = 0 if needs_shaping(run) else len([c for c in run if not unicodedata.combining(c)])
        return float(self.faces[face].font.getlength(run)) + self.spacing_px * n

    def width(self, text: str) -> float:
        if not text:
            return 0.0
        return sum(self.run_width(r, f) for r, f in split_runs(text, self.chain))


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


@lru_cache(maxsize=256)
def _font(path: str, em_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, em_px, layout_engine=ImageFont.Layout.RAQM)


def metrics(preset: Preset, width: int, height: int) -> FontMetrics:
    ass_size = round(preset.font_size * min(width, height), 1)
    faces = []
    for p in font_chain(preset):
        em = ass_size * _em_ratio(str(p))
        faces.append(Face(path=p, em_px=em, font=_font(str(p), max(1, round(em)))))
    return FontMetrics(path=faces[0].path, ass_size=ass_size, em_px=faces[0].em_px, font=faces[0].font,
                       spacing_px=preset.letter_spacing * ass_size, faces=faces)


def outline_px(preset: Preset, width: int, height: int) -> float:
    return round(preset.outline * min(width, height), 1)


def peak_scale(preset: Preset) -> float:
    """The largest size a word reaches while animated (the layout reserves room for it)."""
    s = max(1.0, preset.active_scale)
    if preset.animation.type in ("pop", "bounce", "zoom"):
        s = max(s, preset.animation.scale)
    return s


def ink_margin(preset: Preset, width: int, height: int) -> float:
    """How far ink reaches beyond a glyph's advance box on each side: outline, shadow, blur, box padding."""
    short = min(width, height)
    m = outline_px(preset, width, height) + preset.shadow * short + 2.5 * preset.blur
    if preset.box != "none":
        m = max(m, preset.box_padding * short + 1)
    return m


NO_BREAK_AFTER = set("（「『《〈“‘([{¿¡")


def _lines_for(widths: list[float], space: float, max_width: float, max_lines: int,
               texts: list[str] | None = None) -> list[list[int]] | None:
    """Split word indices 0..n-1 into ≤ max_lines lines that fit, balancing line widths; None if impossible.

    With `texts`, no line starts with closing punctuation and none ends with opening punctuation (CJK rules)."""
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
        if texts and ((texts[k][:1] in NO_BREAK_BEFORE) or (texts[k - 1][-1:] in NO_BREAK_AFTER)):
            continue
        a, b = w(0, k), w(k, n)
        if a <= max_width and b <= max_width:
            score = max(a, b)
            if best is None or score < best[0]:
                best = (score, k)
    if best is None:
        return None
    return [list(range(best[1])), list(range(best[1], n))]


def line_width_limit(preset: Preset, width: int, height: int, safe_zone: str) -> float:
    """The widest a line may be (advance widths, unscaled) so its ink stays inside the safe box even at peak scale."""
    box = safe_box(width, height, safe_zone)
    return max(1.0, (box.width - 2 * ink_margin(preset, width, height)) / peak_scale(preset))


def paginate(words: list[Word], preset: Preset, width: int, height: int, *, language: str = "en",
             safe_zone: str = "tiktok", duration: float | None = None) -> CaptionTrack:
    """Build the caption track: pages of ≤ preset.max_words words and ≤ preset.max_lines lines, never overlapping."""
    fm = metrics(preset, width, height)
    max_width = line_width_limit(preset, width, height, safe_zone)
    sep = joiner(language)
    space = fm.width(" ") if sep else 0.0
    texts = [display_text(w.text, preset) for w in words]
    widths = [fm.width(t) for t in texts]
    max_words = preset.max_words
    if words and not sep and sum(len(t) for t in texts) <= 1.5 * len(texts):
        max_words = min(12, 2 * max_words)  # Chinese timed per character: ~2 characters make a word

    pages_idx: list[list[int]] = []
    cur: list[int] = []
    for i, w in enumerate(words):
        if cur:
            prev = words[cur[-1]]
            reasons = (
                len(cur) >= max_words,
                w.start - prev.end >= PAUSE_BREAK,
                texts[cur[-1]].endswith(SENTENCE_END),
                w.end - words[cur[0]].start > MAX_PAGE_SECONDS and len(cur) >= 2,
                _lines_for([widths[j] for j in cur + [i]], space, max_width, preset.max_lines, [texts[j] for j in cur + [i]]) is None,
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
        split = _lines_for([widths[j] for j in idx], space, max_width, preset.max_lines, [texts[j] for j in idx]) or [list(range(len(idx)))]
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
