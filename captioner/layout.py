"""Layout: group timed words into pages of 1–6 words and ≤ 2 lines, measured in the preset's font, inside a safe zone.

Where pages and lines break is linguistic (`captioner.linebreak`, one module per language): pages end at
sentence ends and real pauses, lines and pages break at the best-scoring joint (punctuation, before
conjunctions and prepositions) and never inside a protected unit (a brand term from the script, a price with
its currency, a number with its unit, a promo code with its lead-in, article + noun, a name, a Chinese word)
while any other break fits. A page's timing follows its words, held for reading speed and minimum duration
where the next page leaves room (`preset.reading`). Measured old vs new: `benchmarks/bench_layout.py`
(docs/BENCHMARKS.md, "Line and page breaking").
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from .errors import InputError
from .presets import Preset, font_path
from .types import CaptionLine, CaptionPage, CaptionTrack, CaptionUnit, Word

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


class Spacing:
    """What is drawn between caption words: the language's joiner (a space; nothing in Chinese), except where the
    script wrote two caption words as one token ("$9.99/month", "30–40 %": `linebreak.attached`), drawn with nothing
    between them. One per track, shared by the layout, the QA and every writer (ASS, SRT, VTT), so the widths and
    character counts the layout chooses by are those of the text drawn. `ids` are consecutive word indices (a line,
    a page)."""

    def __init__(self, texts, language: str):
        from . import linebreak

        sep = joiner(language)
        texts = list(texts)
        glued = linebreak.attached(texts) if sep else [False] * max(0, len(texts) - 1)
        self.before = [""] + ["" if g else sep for g in glued]  # before[j]: drawn between word j-1 and word j

    @classmethod
    def of(cls, track: CaptionTrack) -> "Spacing":
        return cls([w.text for w in track.words], track.language)

    def join(self, parts, ids) -> str:
        """`parts` (one per index of `ids`) as drawn on one line."""
        return "".join((self.before[i] if k else "") + t for k, (i, t) in enumerate(zip(ids, parts)))

    def spaces(self, ids) -> int:
        """How many of the joints between `ids` are drawn with a space."""
        ids = list(ids)
        return sum(1 for i in ids[1:] if self.before[i])

    def chars(self, texts, ids) -> int:
        """Characters a viewer reads in words `ids` of `texts`: joined as drawn (spaces count, line breaks do not)."""
        ids = list(ids)
        return len(self.join([texts[i].strip() for i in ids], ids))


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


def line_width_limit(preset: Preset, width: int, height: int, safe_zone: str) -> float:
    """The widest a line may be (advance widths, unscaled) so its ink stays inside the safe box even at peak scale."""
    box = safe_box(width, height, safe_zone)
    return max(1.0, (box.width - 2 * ink_margin(preset, width, height)) / peak_scale(preset))


# --- linguistic pagination ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageCosts:
    """What a page costs besides its break points (same scale as linebreak's joint costs).

    Chosen on generated ads (`benchmarks/bench_layout.py --set gen`, seed 15), reported on seed 202 and DEV: a
    bad joint (after an article or preposition, 40) must outweigh an extra short page; a split protected unit
    (100,000) outweighs anything but typography; shrinking a line that holds a long unit costs 20 per 1 % of
    overflow, so a brand term is drawn smaller rather than split, but two short pages are preferred to a
    shrunk one where a good break exists."""

    page: float = 4.0  # every page: prefer fewer, fuller pages
    single_word: float = 6.0  # a one-word page inside a sentence that has more words
    short_per_s: float = 15.0  # per second on screen below the minimum event duration
    long_per_s: float = 20.0  # per second past `long_s`
    long_s: float = 1.6  # pages switch every 0.8–1.2 s in short-form; cost grows past this
    cps_per_char: float = 1.5  # per character/s over the target reading speed
    cps_over_max: float = 12.0  # and per character/s over the maximum (a page nobody can read)
    over_page: float = 38.0  # and once per page over the maximum: between a content-word joint and one after a function word
    overflow_per_pct: float = 20.0  # per 1 % a line is wider than the box (the renderer shrinks the page)
    chars_per_char: float = 2.0  # per character past the preferred line length
    balance: float = 3.0  # × |difference of the two lines' widths| / box width
    pause_bonus: float = 3.0  # a page break at a pause of >= PAUSE_BREAK/2 is this much cheaper
    flash: float = 200.0  # a page on screen under FLASH_S: worse than a line ending on a function word (40) or a page over the maximum reading speed


PAGE_COSTS = PageCosts()
PAUSE_BREAK = 0.45  # a pause this long always starts a new page
HOLD_AFTER = 0.25  # a page stays this long after its last word (unless the next page starts)
LEAD_IN_FRAMES = 3  # a page may appear this many frames before its first word (in-time within 3 frames)
EXTEND_AFTER = 0.8  # at most this long after its last word, to reach the minimum duration or the reading speed
MAX_PAGE_SECONDS = 1.6  # kept for callers: the page length where PageCosts.long_s starts to cost
MIN_PAGE = 5 / 6  # Netflix minimum event duration (5/6 s), used when there is room
# A page on screen for less than this is a flash: one eye fixation (~0.2-0.25 s) plus the saccade to it, so no
# viewer can read it whatever its length ("oil" alone for 0.16 s between "Meet Glimmora, the lip" and "that lasts").
FLASH_S = 0.3
MAX_RUN = 24  # caption words considered for one page (Chinese words are characters)


def page_chars(texts: list[str], sep: str) -> int:
    """Characters a viewer reads on a page: its words joined as displayed (spaces count, line breaks do not)."""
    return len(sep.join(t.strip() for t in texts))


def reading_limits(preset: Preset, language: str) -> tuple[float, float, int, int]:
    """(target cps, max cps, max chars per line, preferred chars per line) for the language's script."""
    r = preset.reading
    if language in ("zh", "ja"):
        return r.target_cps_cjk, r.max_cps_cjk, r.max_chars_cjk, max(4, r.max_chars_cjk - 4)
    return r.target_cps, r.max_cps, r.max_chars, r.preferred_chars


def emphasised(units, preset: Preset) -> set[int]:
    """Word indices the preset emphasises (prices, promo codes, brand terms … as `preset.emphasis.kinds` says)."""
    if preset.emphasis is None:
        return set()
    kinds = set(preset.emphasis.kinds)
    return {i for u in units if str(u.kind) in kinds for i in range(u.start, u.end)}


class _Pager:
    """Chooses page and line breaks for one track by dynamic programming over the joints' costs."""

    def __init__(self, words: list[Word], texts: list[str], widths: list[float], space: float, max_width: float,
                 preset: Preset, language: str, analysis, costs: PageCosts = PAGE_COSTS, fps: float | None = None):
        self.words, self.texts, self.widths, self.space = words, texts, widths, space
        self.max_width, self.preset, self.an, self.c = max_width, preset, analysis, costs
        self.spacing = Spacing([w.text for w in words], language)
        self.target_cps, self.max_cps, self.max_chars, self.pref_chars = reading_limits(preset, language)
        self.gap = preset.reading.min_gap_frames / (fps or 30.0)
        self.lead = LEAD_IN_FRAMES / (fps or 30.0)
        self._lines: dict[tuple[int, int], tuple[float, list[list[int]]]] = {}

    def width(self, a: int, b: int) -> float:
        return sum(self.widths[a:b]) + self.space * self.spacing.spaces(range(a, b))

    def chars(self, a: int, b: int) -> int:
        return self.spacing.chars(self.texts, range(a, b))

    def line_cost(self, a: int, b: int) -> float:
        w, n = self.width(a, b), self.chars(a, b)
        cost = 0.0
        if w > self.max_width:
            cost += self.c.overflow_per_pct * 100 * (w / self.max_width - 1)
        if n > self.pref_chars:
            cost += self.c.chars_per_char * (n - self.pref_chars) + (1e3 if n > self.max_chars and b - a > 1 else 0)
        return cost

    def lines(self, a: int, b: int) -> tuple[float, list[list[int]]]:
        """Best line split of words a..b-1: (cost, [[indices of line 1], [line 2]])."""
        key = (a, b)
        if key in self._lines:
            return self._lines[key]
        best = (self.line_cost(a, b), [list(range(a, b))])
        if self.preset.max_lines >= 2 and b - a >= 2:
            one_fits = best[0] == 0.0
            for k in range(a + 1, b):
                joint = self.an.cost(k - 1)
                w1, w2 = self.width(a, k), self.width(k, b)
                cost = (joint + self.line_cost(a, k) + self.line_cost(k, b)
                        + self.c.balance * abs(w1 - w2) / self.max_width)
                if one_fits:
                    cost += 2.0  # two lines where one fits: only for a much better shape (never in practice)
                if cost < best[0]:
                    best = (cost, [list(range(a, k)), list(range(k, b))])
        self._lines[key] = best
        return best

    def shown(self, a: int, b: int) -> float:
        """How long the page would be on screen (as `_time_pages` will time it)."""
        w = self.words
        start, last = w[a].start, w[b - 1].end
        prev = w[a - 1].end + HOLD_AFTER + self.gap if a > 0 else 0.0  # lead-in where the previous words leave room
        start = max(start - self.lead, min(start, prev))
        want = max(last + HOLD_AFTER, start + self.preset.reading.min_duration, start + self.chars(a, b) / self.target_cps)
        end = min(want, last + EXTEND_AFTER)
        if b < len(w):
            end = min(end, w[b].start - self.gap)
        return max(0.04, end - start)

    def page_cost(self, a: int, b: int, run: tuple[int, int]) -> float:
        w = self.words
        c = self.c
        cost = c.page + self.lines(a, b)[0]
        d = max(0.05, w[b - 1].end - w[a].start)
        if sum(self.an.word_start[a:b]) <= 1 and run[1] - run[0] > b - a:
            cost += c.single_word
        shown = self.shown(a, b)
        if shown < MIN_PAGE:
            cost += c.short_per_s * (MIN_PAGE - shown)
        if shown < FLASH_S:
            cost += c.flash
        if d > c.long_s:
            cost += c.long_per_s * (d - c.long_s)
        cps = self.chars(a, b) / shown
        if cps > self.target_cps:
            cost += c.cps_per_char * (cps - self.target_cps)
        if cps > self.max_cps + 1e-6:
            cost += c.cps_over_max * (cps - self.max_cps) + c.over_page
        if b < run[1]:  # a page break inside the run: the joint's own cost, cheaper at a pause
            joint = self.an.cost(b - 1)
            gap = w[b].start - w[b - 1].end
            if gap >= PAUSE_BREAK / 2 and joint < 100:
                joint -= c.pause_bonus
            cost += joint
        return cost

    def over(self, a: int, b: int) -> bool:
        """Would the page of words a..b-1 be on screen for less time than its characters need at max_cps?"""
        return self.chars(a, b) / self.shown(a, b) > self.max_cps + 1e-6

    def fewest_over(self, a: int, b: int, max_words: int) -> int | None:
        """The fewest pages over the maximum reading speed that any layout of the run a..b-1 can have: pages of at
        most `max_words` words (protected units count as one), broken anywhere but inside a protected unit or a
        phrase and not after an article, preposition or conjunction (where the run allows it), each fitting its
        lines. None where no such layout exists."""
        from . import linebreak

        for limit in (linebreak.AFTER_BINDING, linebreak.PHRASE):
            least = self._fewest_over(a, b, max_words, limit)
            if least is not None:
                return least
        return None

    def fits(self, a: int, b: int) -> bool:
        """Do words a..b-1 fit the page's lines (width and characters) without shrinking? One word always does."""
        def ok(i: int, j: int) -> bool:
            return self.width(i, j) <= self.max_width + 0.5 and self.chars(i, j) <= self.max_chars

        if b - a <= 1 or ok(a, b):
            return True
        return self.preset.max_lines >= 2 and any(ok(a, k) and ok(k, b) for k in range(a + 1, b))

    def _fewest_over(self, a: int, b: int, max_words: int, limit: float) -> int | None:
        n = b - a
        best: list[int | None] = [None] * (n + 1)
        best[0] = 0
        weights = self.an.word_weights(max_words)
        for j in range(1, n + 1):
            if a + j < b and self.an.cost(a + j - 1) >= limit:
                continue
            count = 0
            for i in range(j - 1, max(-1, j - 1 - MAX_RUN), -1):
                count += weights[a + i]
                if count > max_words and i < j - 1:
                    break
                if best[i] is None or not self.fits(a + i, a + j):
                    continue
                v = best[i] + self.over(a + i, a + j)
                if best[j] is None or v < best[j]:
                    best[j] = v
        return best[n]

    def run(self, a: int, b: int, max_words: int) -> list[tuple[int, int]]:
        """Pages of the run a..b-1 (no hard break inside): minimum total cost."""
        n = b - a
        INF = float("inf")
        best = [INF] * (n + 1)
        back = [0] * (n + 1)
        best[0] = 0.0
        weights = self.an.word_weights(max_words)
        for j in range(1, n + 1):
            count = 0
            for i in range(j - 1, max(-1, j - 1 - MAX_RUN), -1):
                count += weights[a + i]
                if count > max_words and i < j - 1:
                    break
                if best[i] == INF:
                    continue
                cost = best[i] + self.page_cost(a + i, a + j, (a, b))
                if cost < best[j]:
                    best[j], back[j] = cost, i
        pages, j = [], n
        while j > 0:
            pages.append((a + back[j], a + j))
            j = back[j]
        return pages[::-1]


def _pager(words: list[Word], preset: Preset, width: int, height: int, language: str, safe_zone: str, terms,
           costs: PageCosts = PAGE_COSTS, fps: float | None = None) -> tuple["_Pager", list[CaptionUnit]]:
    """The page/line chooser for `words` (measured widths, emphasis scale, joint costs) and the protected units
    the track records; shared by `paginate` and `relayout`."""
    from . import linebreak

    fm = metrics(preset, width, height)
    max_width = line_width_limit(preset, width, height, safe_zone)
    space = fm.width(" ") if joiner(language) else 0.0
    texts = [display_text(w.text, preset) for w in words]
    an = linebreak.analyse([w.text for w in words], language, tuple(terms))
    units = [CaptionUnit(kind=str(u.kind), start=u.start, end=u.end) for u in an.units if u.kind != linebreak.UnitKind.phrase]
    big = emphasised(units, preset)
    scale = preset.emphasis.scale if preset.emphasis is not None else 1.0
    widths = [fm.width(t) * (scale if j in big else 1.0) for j, t in enumerate(texts)]
    return _Pager(words, texts, widths, space, max_width, preset, language, an, costs, fps), units


def hard_runs(words: list[Word], an) -> list[tuple[int, int]]:
    """Word ranges between hard page breaks: sentence ends and real pauses (>= PAUSE_BREAK)."""
    from . import linebreak

    runs, a = [], 0
    for k in range(1, len(words) + 1):
        if k == len(words) or an.joints[k - 1].sentence_end or (
                words[k].start - words[k - 1].end >= PAUSE_BREAK and an.cost(k - 1) < linebreak.TYPO):
            runs.append((a, k))
            a = k
    return runs


def paginate(words: list[Word], preset: Preset, width: int, height: int, *, language: str = "en",
             safe_zone: str = "tiktok", duration: float | None = None, terms: tuple[str, ...] | list[str] = (),
             fps: float | None = None, costs: PageCosts = PAGE_COSTS) -> CaptionTrack:
    """Build the caption track: pages of <= preset.max_words words on <= preset.max_lines lines, never overlapping.

    Pages end at sentence ends and pauses of >= PAUSE_BREAK (always), and elsewhere where the sum of the break
    costs (`linebreak`: punctuation, conjunctions, prepositions, protected units) and the page costs (size,
    duration, reading speed: `PageCosts`) is least; lines break at the cheapest joint that fits. `terms` are the
    script's brand terms (`linebreak.script_terms`), kept whole. Each page shows from its first word until
    HOLD_AFTER after its last, stretched towards the minimum duration and the target reading speed where the
    next page leaves room, and always `preset.reading.min_gap_frames` frames before the next page."""
    pager, units = _pager(words, preset, width, height, language, safe_zone, terms, costs, fps)
    an, texts, spacing = pager.an, pager.texts, pager.spacing

    spans = [p for r in hard_runs(words, an) if r[1] > r[0] for p in pager.run(r[0], r[1], preset.max_words)]

    pages: list[CaptionPage] = []
    for a, b in spans:
        split = pager.lines(a, b)[1]
        lines = [CaptionLine(words=part, width=round(pager.width(part[0], part[-1] + 1), 1)) for part in split]
        start = words[a].start
        pages.append(CaptionPage(start=round(start, 3), end=round(max(words[b - 1].end, start + 0.05), 3), lines=lines))
    _time_pages(pages, words, texts, spacing, preset, language, duration, fps)
    return CaptionTrack(words=words, pages=[p for p in pages if p.end > p.start], width=width, height=height,
                        safe_zone=safe_zone, language=language, units=units, terms=list(terms))


def _time_pages(pages: list[CaptionPage], words: list[Word], texts: list[str], spacing: Spacing, preset: Preset, language: str,
                duration: float | None, fps: float | None) -> None:
    """End times: HOLD_AFTER after the last word, stretched (up to EXTEND_AFTER) for the minimum duration and the
    target reading speed, never closer than the minimum gap to the next page, never past the video."""
    target, _, _, _ = reading_limits(preset, language)
    gap = preset.reading.min_gap_frames / (fps or 30.0)
    lead = LEAD_IN_FRAMES / (fps or 30.0)
    for k, page in enumerate(pages):  # lead-in where the previous page's words leave room (its hold and the gap)
        prev_last = words[pages[k - 1].word_indices[-1]].end + HOLD_AFTER + gap if k else 0.0
        page.start = round(max(page.start - lead, min(page.start, prev_last)), 2)  # ASS times are centiseconds
    for k, page in enumerate(pages):
        ids = page.word_indices
        last_end = page.end
        want = max(last_end + HOLD_AFTER, page.start + preset.reading.min_duration,
                   page.start + spacing.chars(texts, ids) / target)
        want = min(want, last_end + EXTEND_AFTER)
        limit = pages[k + 1].start - gap if k + 1 < len(pages) else (duration if duration else want)
        if duration is not None:
            limit = min(limit, duration)
        end = min(want, limit)
        if end <= page.start:  # the next page starts (almost) at once: chain without the gap rather than vanish
            end = min(max(page.start + 0.04, limit + gap), limit + gap)
        page.end = max(page.start + 0.01, math.floor(end * 100 + 1e-6) / 100)


def relayout(words: list[Word], pages: list[CaptionPage], preset: Preset, width: int, height: int, *, language: str = "en",
             safe_zone: str = "tiktok", duration: float | None = None, terms: tuple[str, ...] | list[str] = ()) -> CaptionTrack:
    """A track from edited pages (`captioner render --from`): each page keeps its words and times as the editor
    left them (validated by `edit.py`); its lines are kept where they still fit, else broken again by the
    linguistic rules. Measured widths are updated (an edited word may be longer)."""
    pager, units = _pager(words, preset, width, height, language, safe_zone, terms)
    max_width = pager.max_width
    out = []
    for page in pages:
        ids = page.word_indices
        keep = (len(page.lines) <= preset.max_lines
                and all(pager.width(ln.words[0], ln.words[-1] + 1) <= max_width + 0.5 for ln in page.lines if ln.words))
        split = [ln.words for ln in page.lines if ln.words] if keep else pager.lines(ids[0], ids[-1] + 1)[1]
        lines = [CaptionLine(words=list(part), width=round(pager.width(part[0], part[-1] + 1), 1)) for part in split]
        end = page.end if duration is None else min(page.end, duration)
        out.append(CaptionPage(start=page.start, end=end, lines=lines))
    return CaptionTrack(words=words, pages=[p for p in out if p.end > p.start], width=width, height=height,
                        safe_zone=safe_zone, language=language, units=units, terms=list(terms))
