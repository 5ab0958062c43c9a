"""SRT writer: one cue per caption page (SRT has no word timing)."""
from __future__ import annotations

import re

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


# what players read as markup in an SRT cue: HTML-like tags (<b>, </i>, <font …>), ASS override blocks ({\an8}) and
# ASS line breaks (\N, \n, \h). SRT has no escape, so a word joiner (U+2060, invisible, never a break) is put inside
# each: the word is shown as written, as in the burn and the WebVTT (a caption word "{\an8\fs200}Serum\N<b>x</b>"
# moved and enlarged the cue in players and ffmpeg's reader)
_SRT_MARKUP = re.compile(r"(<)(?=/?[A-Za-z])|(\{)(?=\\)|(\\)(?=[Nnh])")


def _srt_text(text: str) -> str:
    return _SRT_MARKUP.sub(lambda m: m.group(0) + "\u2060", clean_text(text).replace("\n", " "))


def to_srt(track: CaptionTrack) -> str:
    spacing = Spacing.of(track)
    cues = []
    for n, page in enumerate(track.pages, 1):
        lines = [spacing.join([_srt_text(track.words[j].text) for j in ln.words], ln.words)
                 for ln in page.lines]
        cues.append(f"{n}\n{srt_time(page.start)} --> {srt_time(page.end)}\n" + "\n".join(lines) + "\n")
    return "\n".join(cues)
