"""English break rules: word lists for the shared mechanism (base.Rules)."""
from __future__ import annotations

from .base import Rules


def _w(s: str) -> frozenset[str]:
    return frozenset(s.split())


class English(Rules):
    code = "en"
    articles = _w("a an the")
    determiners = _w("my your our their his her its this that these those every each no any some another such "
                     "whose which what")
    prepositions = _w("of in on at for with from to by into onto through without within via per about across "
                      "against among around toward towards upon during since until than")
    conjunctions = _w("and or but nor so because while if when whether though although unless whereas")
    pronouns = _w("i we they he she")
    auxiliaries = _w("is are was were am be been being will would can could shall should may might must do does did "
                     "has have had don't doesn't didn't won't can't isn't aren't wasn't weren't haven't hasn't "
                     "wouldn't couldn't shouldn't i'm you're we're they're it's i've you've we've i'll you'll we'll "
                     "not never very too just only")
    glue_back_words = frozenset()
    currency_words = _w("dollar dollars euro euros cent cents pound pounds rupee rupees yuan bucks")
    percent_words = (("percent",), ("per", "cent"))
    code_words = _w("code promo promocode coupon voucher")
    number_words = _w("one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty forty "
                      "fifty sixty hundred thousand")
    quantity_after = _w("off times more less")


RULES = English()
