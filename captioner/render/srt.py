"""SRT writer: one cue per caption page (SRT has no word timing)."""
from __future__ import annotations

from ..layout import Spacing
from ..text import clean_text
from ..types import CaptionTrack


def clock(t: float, decimal: str) -> str:
    """HH:MM:SS<decimal>mmm, the timestamp shape SRT (",") and WebVTT (".") share."""
    ms = max(0, int(round(t * 1000)))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{decimal}{ms:03d}"


def srt_time(t: float) -> str:
    return clock(t, ",")


def to_srt(track: CaptionTrack) -> str:
    spacing = Spacing.of(track)
    cues = []
    for n, page in enumerate(track.pages, 1):
        lines = [spacing.join([clean_text(track.words[j].text).replace("\n", " ") for j in ln.words], ln.words)
                 for ln in page.lines]
        cues.append(f"{n}\n{srt_time(page.start)} --> {srt_time(page.end)}\n" + "\n".join(lines) + "\n")
    return "\n".join(cues)
