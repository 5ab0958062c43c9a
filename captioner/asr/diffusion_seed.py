"""Script-seeded canvas: the ad script in spoken form, in the adapter's canvas layout, with every number noised.

Method. DiffusionGemma denoises a fixed canvas whose noise is *uniform random tokens*; adapters are
trained on canvases where a random fraction t ~ U(0, 1) of the target's tokens is replaced that way. A
canvas built from the script an ad was voiced from, with a fraction of its tokens re-drawn, is therefore
a noisy version of (nearly) the right answer — in distribution, and a start much closer to the end than
pure noise, so fewer passes are needed (the idea of dLLM-ASR, which starts from an ASR hypothesis; here
the prior is the script). What the script must not decide is left to the audio:

1. The script is tokenised as the correction stage does (`hint.script_tokens`: "39,99 €" and "20 %" are
   one token) and every number, price, percentage, date and promo code is replaced by its spoken form
   (`numbers.verbalize`: "$49" → "forty nine dollars", "GLOW20" → "glow twenty"). Spelled-out numbers
   and the currency/percent word after them are number tokens too.
2. The text is written in the adapter's transcript style (`AudioConfig.transcript_style`): "lower" —
   lower case, no punctuation (the toy adapters and our training manifests); "cased" — as written.
3. It is laid out like a training target: its tokens, then EOS to the end of the canvas.
4. **Every token of a number span is re-drawn uniformly** (plus `number_margin` tokens after it: a
   spoken price can be longer than the written one's reading), and a fraction `renoise` of all other
   positions (EOS tail included) is re-drawn too, so the denoiser must re-decide them from the audio.

The sampler then runs its usual passes from this canvas instead of from pure noise. The output is still
only what the denoiser decides; where it differs from the script (a spoken price, an ad-lib) the
correction stage, which compares every transcript with the script, reports it. Measured effect on the
tiny model (exact transcripts vs steps, changed prices, ad-libs): docs/DIFFUSION.md.

No torch here: the noise is drawn with numpy from the decode seed, so a seeded decode is reproducible.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, Optional, Sequence

import numpy as np

CanvasSeed = Literal["script", "random"]
CANVAS_SEEDS = ("script", "random")
TRANSCRIPT_STYLES = ("lower", "cased")

# Default fraction of the script canvas's non-number positions re-drawn. 0.3 (with 4 passes) gave the
# best exact-match rate on the held-apart generated clips of benchmarks/bench_diffusion_seed.py (seed 5);
# see docs/DIFFUSION.md for the sweep. Numbers are always fully re-drawn whatever this is.
DEFAULT_RENOISE = 0.3
# A spoken price may take more tokens than the script's reading ("$49" read "forty nine dollars" vs a
# voiced "fifty nine dollars ninety nine"): re-draw this many tokens after each number span as well.
DEFAULT_NUMBER_MARGIN = 1

_PUNCT = ".,!?;:()[]\"«»¡¿…，。！？；：、（）“”‘’「」—–"
_NO_SPACE = {"zh", "ja"}


@dataclass
class SpokenWord:
    text: str
    number: bool = False  # part of a number/price/percent/code span: the audio decides it


@dataclass
class SpokenScript:
    """The script as the voice would say it, word by word, with its number spans marked."""

    words: list[SpokenWord] = field(default_factory=list)
    language: str = "en"

    @property
    def joiner(self) -> str:
        return "" if self.language in _NO_SPACE else " "

    def text_and_spans(self, start: int = 0, end: Optional[int] = None, noisy_head: bool = False,
                       noisy_tail: bool = False) -> tuple[str, list[tuple[int, int]]]:
        """Text of words[start:end] and the character spans to noise: the numbers, and the first/last word
        with noisy_head/noisy_tail (where a long clip's script was cut at an uncertain point)."""
        words = self.words[start:end]
        parts, spans, pos = [], [], 0
        for k, w in enumerate(words):
            if k:
                pos += len(self.joiner)
            if w.number or (noisy_head and k == 0) or (noisy_tail and k == len(words) - 1):
                spans.append((pos, pos + len(w.text)))
            parts.append(w.text)
            pos += len(w.text)
        return self.joiner.join(parts), spans

    @property
    def text(self) -> str:
        return self.text_and_spans()[0]

    @property
    def number_words(self) -> int:
        return sum(w.number for w in self.words)


def _style(word: str, style: str) -> str:
    if style == "cased":
        return word
    return word.strip(_PUNCT + "-'’ ").lower()


def _spelled_number(key: str, language: str) -> bool:
    from .. import numbers as num

    return bool(key) and language not in _NO_SPACE and bool(num.words_to_numbers([key], language))


def _unit_word(key: str, language: str) -> bool:
    """A currency or percent word ("dollars", "Euro", "percent") — part of the number before it."""
    from .. import numbers as num

    if not key or language in _NO_SPACE:
        return False
    five = num.number_to_words(5, language)
    return any(a.kind in ("price", "percent") for a in num.parse_spoken([five, key], language))


def spoken_script(script: str, language: str, style: str = "lower") -> SpokenScript:
    """Script as written → SpokenScript (numbers verbalized and marked, words in the adapter's style)."""
    from .. import numbers as num
    from ..hint import script_tokens

    if style not in TRANSCRIPT_STYLES:
        raise ValueError(f"transcript_style must be one of {TRANSCRIPT_STYLES}, not {style!r}")
    tokens, _ = script_tokens(script, language)
    out = SpokenScript(language=language)
    # a number the script writes as it is said is one script token ("forty-nine dollars"): here, one word each
    tokens = [p for t in tokens for p in ([t] if language in _NO_SPACE or " " not in t.strip()
                                          or num.verbalize(t.strip(_PUNCT + " \u00a0"), language) else t.split())]
    for tok in tokens:
        bare = tok.strip(_PUNCT + " \u00a0")
        spoken = num.verbalize(bare, language) if bare else None
        if spoken:
            pieces = [spoken] if language in _NO_SPACE else spoken.split()
            for p in pieces:
                out.words.append(SpokenWord(_style(p, style) or p, number=True))
            if style == "cased" and tok != bare and out.words:  # keep the punctuation after a price
                out.words[-1].text += tok[len(tok.rstrip(_PUNCT)):]
            continue
        text = _style(tok, style)
        if not text:
            continue
        key = _style(tok, "lower")
        is_num = _spelled_number(key, language) or (bool(out.words) and out.words[-1].number and _unit_word(key, language))
        out.words.append(SpokenWord(text, number=is_num))
    return out


@dataclass
class SeedCanvas:
    """One chunk's start canvas. ids: canvas_length tokens; noised: positions re-drawn (numbers + renoise)."""

    ids: list[int]
    noised: list[bool]
    script_tokens: int  # tokens of the script's spoken form placed on the canvas
    number_tokens: int  # of which in number spans (all re-drawn)


def tokens_with_numbers(tokenizer, text: str, spans: Sequence[tuple[int, int]]) -> tuple[list[int], list[bool]]:
    """Token ids of `text` (no specials) and, per token, whether it overlaps a noised character span."""
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = list(enc["input_ids"]), list(enc["offset_mapping"])
    flags = [any(s < e2 and s2 < e for s2, e2 in spans) for s, e in offsets]
    return ids, flags


def seed_canvas(ids: Sequence[int], number: Sequence[bool], canvas_length: int, eos_id: int, vocab_size: int,
                renoise: float, seed: int, number_margin: int = DEFAULT_NUMBER_MARGIN) -> Optional[SeedCanvas]:
    """Lay the tokens out like a training target (tokens, then EOS) and re-draw numbers + a `renoise` fraction.

    Returns None when the script does not fit the canvas (the caller falls back to a random canvas).
    Deterministic in `seed`.
    """
    if not 0.0 <= renoise <= 1.0:
        raise ValueError(f"renoise must be in [0, 1], got {renoise}")
    n = len(ids)
    if n >= canvas_length:
        return None
    canvas = list(ids) + [eos_id] * (canvas_length - n)
    noised = list(number) + [False] * (canvas_length - n)
    for i in range(n):
        if number[i]:
            for j in range(i + 1, min(canvas_length, i + 1 + number_margin)):
                noised[j] = True
    rng = np.random.default_rng(seed)
    extra = rng.random(canvas_length) < renoise
    draws = rng.integers(0, vocab_size, canvas_length)
    noised = [a or bool(b) for a, b in zip(noised, extra)]
    canvas = [int(d) if z else c for c, z, d in zip(canvas, noised, draws)]
    return SeedCanvas(canvas, noised, n, sum(number))


def split_for_chunks(spoken: SpokenScript, durations: Sequence[float]) -> list[tuple[int, int]]:
    """Word ranges of the script for each audio chunk, in proportion to the chunks' durations.

    A voice-over is read at a roughly steady rate, so a word's share of the script is close to its share of
    the time; the words at each cut are uncertain and are noised by the caller (`noisy_head`/`noisy_tail`).
    """
    total = sum(durations) or 1.0
    n = len(spoken.words)
    bounds, acc = [0], 0.0
    for d in durations[:-1]:
        acc += d
        bounds.append(min(n, int(math.floor(n * acc / total + 0.5))))
    bounds.append(n)
    return list(zip(bounds[:-1], bounds[1:]))


__all__ = ["CANVAS_SEEDS", "CanvasSeed", "DEFAULT_NUMBER_MARGIN", "DEFAULT_RENOISE", "SeedCanvas", "SpokenScript",
           "SpokenWord", "seed_canvas", "split_for_chunks", "spoken_script", "tokens_with_numbers"]
