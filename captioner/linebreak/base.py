"""The shared mechanism of linguistic breaking: score every joint between two caption words, find protected units.

A *joint* is the gap between word k and word k+1; a line or a page may break there. Each joint gets a cost
(lower is a better break) from the words on both sides, and the joints inside a *protected unit* get a cost no
ordinary break can outweigh. A language is a `Rules` subclass that fills in word lists (articles,
prepositions, conjunctions, pronouns, auxiliaries, currency and unit words, promo-code lead-ins) and may
override the hooks (`segments` for Chinese word boundaries, `glue_back` for Hindi postpositions).

Where the numbers come from. The order of the costs is the style guides' order (Netflix Timed Text Style Guide,
BBC Subtitle Guidelines): break after sentence punctuation, then after clause punctuation, then before a
conjunction, then before a preposition; never after an article, a preposition, a determiner, a subject pronoun
or an auxiliary when another break exists; never inside article + noun, a name, a price with its currency, a
number with its unit, a promo code with its lead-in. Only the order matters to the line breaker (it takes the
cheapest break that fits); the page breaker adds them to size and reading-speed penalties
(`layout.PageCosts`), and the magnitudes below were set so that a bad joint outweighs one extra short page
(checked on generated ads, `benchmarks/bench_layout.py --set gen`; reported on seed 202 and DEV).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Optional, Sequence

from ..types import StrEnum

# --- joint costs (lower = better place to break) --------------------------------------------------------------
SENTENCE = 0.0  # after . ! ? 。 ！ ？ ।
CLAUSE = 1.0  # after , ; : — ，、；：
BEFORE_CONJ = 2.0  # before "and", "oder", "y", "और", "和" …
BEFORE_PREP = 3.0  # before "for", "mit", "con", "पर" …
CONTENT = 8.0  # between two content words (adjective + noun, verb + object: no tagger, so the middle of the scale)
AFTER_BINDING = 40.0  # after a preposition, conjunction, determiner or number: the word binds to what follows
PHRASE = 1_000.0  # inside article + noun, pronoun + verb, auxiliary/negation + verb, a Hindi postposition
UNIT = 100_000.0  # inside a brand term, name, price, number + unit, promo code + lead-in, a Chinese word
TYPO = 10_000_000.0  # before closing / after opening punctuation: never, typographically


class UnitKind(StrEnum):
    """What holds a run of words together (the layout never breaks inside one while any other break fits)."""

    brand = "brand"  # a brand term from the script
    name = "name"  # a run of capitalised words (first + last name, product name)
    price = "price"  # a number with its currency ("39,99 €", "$ 49", "105 块 9")
    percent = "percent"  # "20 %", "20 Prozent"
    number_unit = "number_unit"  # a number with its unit or counted noun ("400 grams", "30 Tage", "28 天")
    promo_code = "promo_code"  # a code with its lead-in ("code GLOW20")
    word = "word"  # one word that the caption words split (Chinese characters of one jieba word)
    phrase = "phrase"  # article + noun, pronoun + verb, auxiliary + verb, noun + postposition


HARD_KINDS = frozenset({UnitKind.brand, UnitKind.name, UnitKind.price, UnitKind.percent, UnitKind.number_unit,
                        UnitKind.promo_code, UnitKind.word})
"""Protected units proper (cost UNIT); `phrase` joints cost PHRASE: still never broken while another break fits."""


@dataclass(frozen=True)
class Unit:
    """Words start..end-1 (indices into the caption words) that belong together."""

    kind: UnitKind
    start: int
    end: int

    def joints(self) -> range:
        """The joints inside the unit (joint k sits between word k and k+1)."""
        return range(self.start, self.end - 1)


@dataclass
class Joint:
    """The gap after word k: how good a break it is, and why."""

    cost: float = CONTENT
    unit: Optional[UnitKind] = None  # set when the joint is inside a protected unit or phrase
    sentence_end: bool = False
    clause_end: bool = False
    binding: bool = False  # the left word binds forward (article, preposition, …): a line should not end on it


@dataclass
class Analysis:
    """Joints, units and word starts of one run of caption words."""

    texts: list[str]
    joints: list[Joint]
    units: list[Unit]
    word_start: list[bool]  # False where a caption word continues the previous linguistic word (Chinese)

    def cost(self, k: int) -> float:
        """Cost of breaking after word k (k = len-1: the end of the run, free)."""
        return self.joints[k].cost if 0 <= k < len(self.joints) else 0.0

    def unit_at(self, k: int) -> Optional[UnitKind]:
        return self.joints[k].unit if 0 <= k < len(self.joints) else None

    def word_weights(self, max_words: int) -> list[int]:
        """What each caption word counts towards a page's `max_words`: 1 per linguistic word, except that a
        protected unit longer than `max_words` words counts as one word (a price said in words, "एक हज़ार दो सौ
        निन्यानबे रुपये", must fit on one page rather than be split)."""
        weights = [int(s) for s in self.word_start]
        for u in self.units:
            if u.kind in HARD_KINDS and sum(weights[u.start:u.end]) > max_words:
                for i in range(u.start + 1, u.end):
                    weights[i] = 0
        return weights


# --- characters ---------------------------------------------------------------------------------------------
SENTENCE_END = tuple(".!?…。！？।॥")
CLAUSE_END = tuple(",;:，、；：—–")
CLOSING = frozenset("，。！？、；：）」』》〉”’,.!?;:)]}…»%％")
OPENING = frozenset("（「『《〈“‘([{¿¡«")
CURRENCY_SYMBOLS = frozenset("$€£¥￥₹")
_NUMBER = re.compile(r"^[$€£¥￥₹]?\d[\d.,\u00a0\u202f ]*(?:[%％€$₹]|k|K)?$")
_CODE = re.compile(r"^(?=.*\d)(?=.*[A-Z])[A-Z0-9]{4,}$")


def _edge(c: str) -> bool:
    cat = unicodedata.category(c)
    return cat[0] in "PZC" or cat in ("Sm", "Sk", "So")


def strip_edges(text: str) -> str:
    """The word without punctuation, spaces or symbols at its edges (currency signs and combining marks kept)."""
    a, b = 0, len(text)
    while a < b and _edge(text[a]):
        a += 1
    while b > a and _edge(text[b - 1]):
        b -= 1
    return text[a:b]


@lru_cache(maxsize=8192)
def _spelled_number(word: str, language: str) -> bool:
    """A number written in words ("fünfundneunzig", "निन्यानबे", "quatre-vingt"), as `captioner.numbers` reads it."""
    try:
        from ..numbers import words_to_numbers
    except ImportError:  # pragma: no cover - numbers.py is part of the package
        return False
    try:
        return bool(words_to_numbers([word], language))
    except Exception:  # a reader that cannot parse a word says nothing about the layout
        return False


def bare(text: str) -> str:
    """The word without edge punctuation, case-folded, NFC ("Serum," → "serum", "में" kept whole)."""
    return strip_edges(unicodedata.normalize("NFC", text)).casefold()


# a caption word the script wrote onto the one before it: a price's per-unit tail ("$9.99" "/month", split so the
# voice's "a month" has a word to match) and the dash of a range with the amount after it ("30" "–" "40 %",
# `hint._split_range`). Drawn with no space between them and never broken apart.
_AMOUNT_END = re.compile(r"(?:[\d%％$€£¥￥₹]|\d\s?[AaPp]\.?[Mm]\.?|\dh)$")  # "9am", "9h" end a time of day
_AMOUNT_START = re.compile(r"^[$€£¥￥₹]?\d")
_PER_UNIT_TAIL = re.compile(r"^/(?:[^\W\d_]|(?:5|10)\W*$)")  # "/month"; a rating's scale "/5", "/10"
RANGE_DASHES = frozenset("–")


def attached(texts: Sequence[str]) -> list[bool]:
    """For each joint k (between caption word k and k+1): did the script write the two words as one token?"""
    n = len(texts)
    out = [False] * max(0, n - 1)
    for k in range(n - 1):
        left, right = texts[k], texts[k + 1]
        if not left or left[-1:].isspace() or not right or right[:1].isspace():
            continue
        if _PER_UNIT_TAIL.match(right) and _AMOUNT_END.search(left):
            out[k] = True
        elif right in RANGE_DASHES and k + 2 < n and _AMOUNT_END.search(left) and _AMOUNT_START.match(texts[k + 2]):
            out[k] = out[k + 1] = True
    return out


def only_punct(text: str) -> bool:
    return bool(text.strip()) and all(unicodedata.category(c)[0] in "PSZ" and c not in CURRENCY_SYMBOLS for c in text.strip())


def is_code(text: str) -> bool:
    """A promo code: letters and digits, upper case, at least four characters ("GLOW20", "SHINE10")."""
    return bool(_CODE.match(strip_edges(text)))


class Rules:
    """Per-language break rules. Subclasses fill the word lists; the mechanism is shared."""

    code = "xx"
    cased = True  # capitalisation marks names (False for Hindi, Chinese)
    articles: frozenset[str] = frozenset()
    determiners: frozenset[str] = frozenset()  # possessives, demonstratives, quantifiers before a noun
    prepositions: frozenset[str] = frozenset()
    contractions: frozenset[str] = frozenset()  # preposition + article in one word ("im", "au", "del")
    conjunctions: frozenset[str] = frozenset()
    pronouns: frozenset[str] = frozenset()  # subject pronouns and preverbal clitics: never end a line
    auxiliaries: frozenset[str] = frozenset()  # auxiliaries/modals/negations that bind to the verb after them
    glue_back_words: frozenset[str] = frozenset()  # never start a line: postpositions, particles, enclitic negations
    # a light verb glues back to its noun ("ऑर्डर करें"), not to a postposition: in "वॉश से पाएँ" the verb is the
    # main verb of a new phrase, and gluing it made "फेस वॉश से पाएँ" one unbreakable run
    postpositions: frozenset[str] = frozenset()
    light_verbs: frozenset[str] = frozenset()
    currency_words: frozenset[str] = frozenset()
    percent_words: tuple[tuple[str, ...], ...] = ()  # one or more words meaning "per cent"
    code_words: frozenset[str] = frozenset()  # promo-code lead-ins ("code", "Code", "código")
    number_words: frozenset[str] = frozenset()  # spelled-out numbers that take a unit ("two minutes")
    quantity_after: frozenset[str] = frozenset()  # words after a number that are *not* its unit

    # -- hooks ---------------------------------------------------------------------------------------------
    def segments(self, texts: Sequence[str]) -> list[bool]:
        """word_start flags: False where caption word k continues the linguistic word of k-1 (Chinese only)."""
        return [True] * len(texts)

    def is_number(self, text: str) -> bool:
        b = bare(text)
        if _NUMBER.match(strip_edges(text)) or b in self.number_words:
            return True
        return bool(b) and b not in self.articles and b not in self.determiners and _spelled_number(b, self.code)

    def binds_forward(self, b: str) -> bool:
        return (b in self.prepositions or b in self.conjunctions or b in self.determiners
                or b in self.contractions or b in self.articles or b in self.pronouns or b in self.auxiliaries)

    def ends_on_function_word(self, text: str) -> bool:
        """A line ending on this word leaves an article, preposition or conjunction dangling (QA and benchmark)."""
        if text.rstrip().endswith(SENTENCE_END + CLAUSE_END):
            return False
        b = bare(text)
        return b in self.articles or b in self.prepositions or b in self.contractions or b in self.conjunctions

    # -- the analysis --------------------------------------------------------------------------------------
    def analyse(self, texts: Sequence[str], terms: Sequence[str] = ()) -> Analysis:
        texts = list(texts)
        n = len(texts)
        low = [bare(t) for t in texts]
        joints = [Joint() for _ in range(max(0, n - 1))]
        for k in range(n - 1):
            left, right, j = texts[k].rstrip(), texts[k + 1].lstrip(), joints[k]
            if left.endswith(SENTENCE_END):
                j.cost, j.sentence_end = SENTENCE, True
            elif left.endswith(CLAUSE_END):
                j.cost, j.clause_end = CLAUSE, True
            elif low[k + 1] in self.conjunctions:
                j.cost = BEFORE_CONJ
            elif low[k + 1] in self.prepositions or low[k + 1] in self.contractions:
                j.cost = BEFORE_PREP
            if not (j.sentence_end or j.clause_end) and self.binds_forward(low[k]):
                j.cost, j.binding = max(j.cost, AFTER_BINDING), True
            if (right[:1] in CLOSING and only_punct(right)) or (left[-1:] in OPENING):
                j.cost = TYPO
        for k, glued in enumerate(attached(texts)):
            if glued:
                joints[k].cost = TYPO  # "$9.99/month", "30–40 %": one token as the script wrote it
        units = self.find_units(texts, low, terms)
        for u in units:
            level = UNIT if u.kind in HARD_KINDS else PHRASE
            for k in u.joints():
                if joints[k].cost < TYPO and joints[k].cost < level:
                    joints[k].cost, joints[k].unit = level, u.kind
                elif joints[k].unit is None and joints[k].cost < TYPO:
                    joints[k].unit = u.kind
        starts = self.segments(texts)
        for k in range(1, n):
            if not starts[k] and joints[k - 1].cost < UNIT:
                joints[k - 1].cost, joints[k - 1].unit = UNIT, UnitKind.word
        return Analysis(texts=texts, joints=joints, units=units, word_start=starts)

    def find_units(self, texts: list[str], low: list[str], terms: Sequence[str]) -> list[Unit]:
        n = len(texts)
        units: list[Unit] = []
        ends_clause = [t.rstrip().endswith(SENTENCE_END + CLAUSE_END) for t in texts]

        def add(kind: UnitKind, a: int, b: int) -> None:
            # single words are units too (for emphasis: "$49", "GLOW20", a one-word brand); phrases need two
            if (b - a >= 2 or (b - a == 1 and kind != UnitKind.phrase)) and not any(ends_clause[a:b - 1]):
                units.append(Unit(kind, a, b))

        # brand terms from the script, matched as whole words (case and edge punctuation ignored)
        for term in terms:
            parts = [bare(p) for p in self.term_parts(term)]
            parts = [p for p in parts if p]
            if not parts:
                continue
            for a in range(n - len(parts) + 1):
                if low[a:a + len(parts)] == parts:
                    add(UnitKind.brand, a, a + len(parts))
        # names: runs of capitalised words inside a sentence
        if self.cased:
            k = 0
            while k < n:
                b = k
                while b < n and self._capitalised(texts[b]) and (b == k or not ends_clause[b - 1]):
                    b += 1
                if b - k >= 2:
                    a = k + 1 if (low[k] in self.articles or low[k] in self.determiners or low[k] in self.prepositions) else k
                    add(UnitKind.name, a, min(b, a + 4))
                k = max(b, k + 1)
        # numbers: with currency, per cent, a unit or counted noun; runs of number words
        sym = [strip_edges(t) in CURRENCY_SYMBOLS for t in texts]
        k = 0
        while k < n:
            if not self.is_number(texts[k]) and not (sym[k] and k + 1 < n and self.is_number(texts[k + 1])):
                k += 1
                continue
            a = k
            b = k + 1
            while b < n and not ends_clause[b - 1] and (self.is_number(texts[b]) or sym[b] or low[b] in self.currency_words):
                b += 1
            kind = None
            span = texts[a:b]
            if any(strip_edges(t)[:1] in CURRENCY_SYMBOLS or strip_edges(t)[-1:] in CURRENCY_SYMBOLS for t in span) or \
                    any(low[i] in self.currency_words for i in range(a, b)):
                kind = UnitKind.price
                # a price's tail: "105 块 9" / "39 euros 99"
                if b < n and not ends_clause[b - 1] and self.is_number(texts[b]) and low[b - 1] in self.currency_words:
                    b += 1
            pct = self._percent_at(low, b, ends_clause)
            if pct:
                kind, b = UnitKind.percent, b + pct
            elif any(t.rstrip(".,!?;:").endswith(("%", "％")) for t in span):
                kind = UnitKind.percent
            elif kind is None and b < n and not ends_clause[b - 1] and self._unit_after(texts[b], low[b]):
                kind, b = UnitKind.number_unit, b + 1
            if kind is not None:
                add(kind, a, b)
            elif b - a >= 2:
                add(UnitKind.number_unit, a, b)
            k = max(b, k + 1)
        # promo codes with their lead-in ("code GLOW20", "Code INGWER20", "कोड GLOWRA20")
        for k in range(1, n):
            if not is_code(texts[k]):
                continue
            for lead in (k - 1, k - 2):  # "code GLOW20", "Code Winter WINTER15" (a word said between)
                if lead >= 0 and low[lead] in self.code_words and not any(ends_clause[lead:k]):
                    add(UnitKind.promo_code, lead, k + 1)
                    break
            else:
                units.append(Unit(UnitKind.promo_code, k, k + 1))
        # phrases: article/determiner + next word, pronoun/auxiliary + next word, word + postposition/particle
        for k in range(n - 1):
            if ends_clause[k]:
                continue
            if low[k] in self.articles or low[k] in self.pronouns or low[k] in self.auxiliaries:
                add(UnitKind.phrase, k, k + 2)
            if low[k + 1] in self.glue_back_words and not (low[k + 1] in self.light_verbs and low[k] in self.postpositions):
                add(UnitKind.phrase, k, k + 2)
        return units

    def term_parts(self, term: str) -> list[str]:
        return term.split()

    def _capitalised(self, text: str) -> bool:
        t = strip_edges(text)
        return len(t) >= 2 and t[0].isupper() and not t.isupper() and any(c.isalpha() for c in t)

    def _percent_at(self, low: list[str], b: int, ends_clause: list[bool]) -> int:
        for words in self.percent_words:
            if low[b:b + len(words)] == list(words) and not any(ends_clause[b - 1:b + len(words) - 1]):
                return len(words)
        return 0

    def _unit_after(self, text: str, low: str) -> bool:
        """The word after a number is its unit or counted noun: a content word, not a function word."""
        if not low or only_punct(text) or low in self.quantity_after:
            return text.strip() in ("%", "％")
        return not (low in self.prepositions or low in self.conjunctions or low in self.articles
                    or low in self.determiners or low in self.pronouns or low in self.auxiliaries
                    or low in self.contractions or low in self.glue_back_words)


def script_terms(script: str, language: str) -> list[str]:
    """Brand and product terms written in the script: runs of capitalised words that are not the start of a
    sentence alone, and mixed letter/digit tokens (codes are handled as promo codes). Multi-word terms only
    matter to the layout (one word cannot be split), so single words are returned too for emphasis."""
    from . import rules_for

    rules = rules_for(language)
    out: list[str] = []
    if not rules.cased:
        return out
    for sentence in re.split(r"(?<=[.!?¡¿。！？])\s+", script):
        toks = sentence.split()
        k = 0
        while k < len(toks):
            b = k
            while b < len(toks) and rules._capitalised(toks[b]) and (b == k or not toks[b - 1].rstrip().endswith(CLAUSE_END)):
                b += 1
            run = toks[k:b]
            if run and k == 0 and len(run) >= 1:
                first = bare(run[0])
                if first in rules.articles or first in rules.determiners or first in rules.prepositions \
                        or first in rules.pronouns or len(run) == 1:
                    run = run[1:]
            if len(run) >= 1 and (len(run) >= 2 or k > 0):
                term = " ".join(strip_edges(t) for t in run)
                if term and term not in out and not (rules.code == "de" and len(run) == 1):
                    out.append(term)
            k = max(b, k + 1)
    return out
