"""WebVTT writer: one cue per page with inline word timestamps (`word <00:00:01.250>next`)."""
from __future__ import annotations

from ..layout import Spacing
from ..text import clean_text
from ..types import CaptionTrack
from .srt import clock


def vtt_time(t: float) -> str:
    return clock(t, ".")


def _esc(text: str) -> str:
    return clean_text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ").replace("-->", "--&gt;")


def to_vtt(track: CaptionTrack) -> str:
    spacing = Spacing.of(track)
    out = ["WEBVTT", ""]
    for n, page in enumerate(track.pages, 1):
        first = page.word_indices[0] if page.word_indices else None
        lines = []
        for ln in page.lines:
            parts = []
            for j in ln.words:
                w = track.words[j]
                t = min(max(w.start, page.start), page.end)
                stamp = "" if j == first or t <= page.start else f"<{vtt_time(t)}>"
                parts.append(stamp + _esc(w.text))
            lines.append(spacing.join(parts, ln.words))
        out += [str(n), f"{vtt_time(page.start)} --> {vtt_time(page.end)}", *lines, ""]
    return "\n".join(out)
