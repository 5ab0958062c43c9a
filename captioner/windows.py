"""Long audio, bounded decoder: plan <= 30 s windows cut at pauses, and fit token sequences under a budget.

Whisper reads 30 s of audio at a time and its decoder has 448 positions in all (prompt, start-of-transcript
sequence and output together). Every stage that feeds it text must stay under that: the recogniser's prompt
and hotwords (`asr/whisper.py`), the teacher-forced scoring of the acoustic number check (`verify.py`) and the
aligner's text (`align.py`). This module holds the two pieces they share:

- `plan_windows(duration, speech)`: windows of at most `max_s` (30 s) seconds, each cut in the middle of the
  longest pause between voice-activity spans in the last half of the window (a word is never cut in two when
  the voice pauses at all); a voice that does not pause for `max_s` seconds is cut hard at `max_s`.
- `script_for_window(...)`: the part of a script nearest a window, by the script's share of the speech time
  (the script is read at an even pace: word i of N is expected at the fraction (i + ½)/N of the speech), with
  `margin_s` seconds of speech either side, since no voice keeps an even pace.
- `fit_tail(pieces, budget)`: the longest tail of a token sequence under a budget, cut at piece (word)
  boundaries where possible — as Whisper itself keeps the tail of the previous text in its prompt — and
  inside a piece only when one piece alone is over the budget (one 500-character word).
- `split_tokens(tokens, budget)`: consecutive chunks of at most `budget` tokens.

Constants: `DECODER_POSITIONS` = 448 is Whisper's `max_length` (config `max_target_positions`, every model
size); `WINDOW_S` = 30 s is its input length (3000 mel frames).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence, TypeVar

__all__ = ["DECODER_POSITIONS", "WINDOW_S", "Window", "plan_windows", "script_for_window", "fit_tail", "split_tokens",
           "speech_in", "tokens_of_words"]

DECODER_POSITIONS = 448
WINDOW_S = 30.0
T = TypeVar("T")


@dataclass(frozen=True)
class Window:
    """[start, end) in seconds of the whole audio."""

    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def plan_windows(duration: float, speech: Sequence[tuple[float, float]], max_s: float = WINDOW_S) -> list[Window]:
    """Cover [0, duration) with windows of at most `max_s` s, cut at the middle of pauses between `speech` spans.

    Within each window the cut goes into the longest pause whose middle lies in the window's second half
    (long windows mean few cuts; the longest pause is the likeliest sentence end); failing that, the latest
    pause at least 1 s in; failing that (continuous voice), a hard cut at `max_s`.
    """
    if duration <= max_s:
        return [Window(0.0, max(0.0, duration))]
    spans = sorted((max(0.0, a), min(duration, b)) for a, b in speech if b > a)
    gaps = [(spans[k][1], spans[k + 1][0]) for k in range(len(spans) - 1) if spans[k + 1][0] > spans[k][1]]
    windows: list[Window] = []
    t0 = 0.0
    while duration - t0 > max_s:
        hi = t0 + max_s
        half = [(b - a, (a + b) / 2) for a, b in gaps if t0 + max_s / 2 <= (a + b) / 2 <= hi]
        early = [(a + b) / 2 for a, b in gaps if t0 + 1.0 <= (a + b) / 2 <= hi]
        if half:
            cut = max(half)[1]
        elif early:
            cut = max(early)
        else:
            cut = hi
        windows.append(Window(t0, cut))
        t0 = cut
    windows.append(Window(t0, duration))
    return windows


def speech_in(window: Window, speech: Sequence[tuple[float, float]]) -> float:
    """Seconds of voice activity inside `window`."""
    return float(sum(max(0.0, min(b, window.end) - max(a, window.start)) for a, b in speech))


def script_for_window(words: Sequence[str], window: Window, speech: Sequence[tuple[float, float]],
                      margin_s: float = 3.0, after_s: float | None = None) -> list[str]:
    """The script words expected in `window`, plus `margin_s` seconds of speech before (`after_s`, default the
    same, after) it.

    Position of word i of N: the fraction (i + ½)/N of the total speech time, weighted by word length
    (long words take longer to say). With no speech at all every word is returned.
    """
    if not words:
        return []
    total = sum(b - a for a, b in speech)
    if total <= 0:
        return list(words)
    before = speech_in(Window(0.0, window.start), speech)
    inside = speech_in(window, speech)
    after_s = margin_s if after_s is None else after_s
    lo, hi = (before - margin_s) / total, (before + inside + after_s) / total
    weights = [len(w) + 1 for w in words]
    n = float(sum(weights))
    out, acc = [], 0.0
    for w, k in zip(words, weights):
        mid = (acc + k / 2) / n
        acc += k
        if lo <= mid <= hi:
            out.append(w)
    return out


def fit_tail(pieces: Sequence[Sequence[T]], budget: int) -> tuple[list[T], int]:
    """The longest tail of the concatenated `pieces` with at most `budget` items.

    Returns (tokens, number of whole pieces kept). Cuts between pieces; inside the last piece only when
    that piece alone is over the budget (then its tail is kept and the count is 0).
    """
    if budget <= 0 or not pieces:
        return [], 0
    kept: list[Sequence[T]] = []
    used = 0
    for p in reversed(pieces):
        if used + len(p) > budget:
            break
        kept.append(p)
        used += len(p)
    if not kept:
        last = list(pieces[-1])
        return last[len(last) - budget:], 0
    out: list[T] = []
    for p in reversed(kept):
        out.extend(p)
    return out, len(kept)


def split_tokens(tokens: Sequence[T], budget: int) -> list[list[T]]:
    """`tokens` in consecutive chunks of at most `budget` (at least one chunk, possibly empty)."""
    if budget <= 0:
        raise ValueError("budget must be positive")
    toks = list(tokens)
    return [toks[i:i + budget] for i in range(0, len(toks), budget)] or [[]]


def tokens_of_words(encode: Callable[[str], list[int]], words: Sequence[str], space: bool = True) -> list[list[int]]:
    """Each word encoded as Whisper reads it inside running text (with its leading space where the language has spaces).

    Whisper's (GPT-2) pre-tokeniser never merges across a space, so the sum of these is the length of the joined text.
    """
    return [encode((" " if space else "") + w) for w in words]
