"""Linguistic line and page breaking: where a caption may break between two words, and how well, per language.

One interface, one module per language (like whisper's `normalizers/`): `rules_for(language)` returns the
language's `Rules`; `analyse(texts, language, terms)` scores every joint between two caption words and lists the
protected units (brand terms from the script, names, prices with their currency, numbers with their unit,
promo codes with their lead-in, article + noun, and Chinese words found by jieba). `layout.paginate` uses the
costs to choose page and line breaks; `qa` and `benchmarks/bench_layout.py` use the units to check them.
The mechanism and the origin of the costs are in `base.py`.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import import_module
from typing import Sequence

from .base import (AFTER_BINDING, BEFORE_CONJ, BEFORE_PREP, CLAUSE, CONTENT, HARD_KINDS, PHRASE, SENTENCE, TYPO, UNIT,
                   Analysis, Joint, Rules, Unit, UnitKind, attached, bare, is_code, script_terms)

MODULES = {"en": "en", "de": "de", "fr": "fr", "es": "es", "hi": "hi", "zh": "zh"}


@lru_cache(maxsize=None)
def rules_for(language: str) -> Rules:
    """The break rules of a language (English rules for a language without its own module)."""
    name = MODULES.get((language or "en").lower(), "en")
    return import_module(f".{name}", __name__).RULES


def analyse(texts: Sequence[str], language: str, terms: Sequence[str] = ()) -> Analysis:
    """Score the joints between caption words `texts` (as written, before upper-casing) in `language`."""
    return rules_for(language).analyse(list(texts), terms)


__all__ = ["analyse", "rules_for", "script_terms", "Analysis", "Joint", "Unit", "UnitKind", "Rules", "attached", "bare", "is_code",
           "HARD_KINDS", "SENTENCE", "CLAUSE", "BEFORE_CONJ", "BEFORE_PREP", "CONTENT", "AFTER_BINDING", "PHRASE", "UNIT",
           "TYPO"]
