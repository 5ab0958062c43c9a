"""The layout as it was before linguistic breaking (main at 8b2b0e3): the anchor of benchmarks/bench_layout.py.

Greedy pages (a new page at a sentence end, a pause >= 0.45 s, 4 words or 1.6 s), lines balanced by width only.
Frozen here so old and new run in the same process on the same words; not used by the product."""
from __future__ import annotations

from captioner.layout import (HOLD_AFTER, MIN_PAGE, NO_BREAK_BEFORE, display_text, joiner, line_width_limit,
                              metrics)
from captioner.presets import Preset
from captioner.types import CaptionLine, CaptionPage, CaptionTrack, Word

SENTENCE_END = tuple(".!?。！？…।")
MAX_PAGE_SECONDS = 1.6
PAUSE_BREAK = 0.45


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
