"""German break rules: word lists for the shared mechanism (base.Rules). Nouns are capitalised in German, so a
single capitalised word is never taken for a name (base.script_terms)."""
from __future__ import annotations

from .base import Rules


def _w(s: str) -> frozenset[str]:
    return frozenset(s.split())


class German(Rules):
    code = "de"
    articles = _w("der die das den dem des ein eine einen einem einer eines")
    determiners = _w("mein meine meinen meinem meiner dein deine deinen deinem deiner sein seine seinen seinem seiner "
                     "ihr ihre ihren ihrem ihrer unser unsere unseren unserem euer eure ihren "
                     "dieser diese dieses diesen diesem jeder jede jedes jeden jedem kein keine keinen keinem keiner "
                     "alle allen viele welche welcher")
    prepositions = _w("an auf aus bei bis durch für gegen hinter in mit nach neben ohne seit statt über um unter von vor "
                      "während wegen zu zwischen ab pro dank trotz innerhalb außerhalb")
    contractions = _w("im am zum zur beim vom ins ans aufs fürs ums")
    conjunctions = _w("und oder aber denn sondern dass weil wenn ob als wie sowie doch damit obwohl")
    pronouns = _w("ich du er wir man")
    auxiliaries = _w("ist sind war waren bin bist wird werden wirst hat haben hast hatte kann können kannst soll sollst "
                     "muss musst darf will willst möchte möchtest nicht kein nie sehr nur schon noch")
    glue_back_words = frozenset()
    currency_words = _w("euro euros cent dollar franken")
    percent_words = (("prozent",),)
    code_words = _w("code gutscheincode rabattcode promocode gutschein")
    number_words = _w("ein eine zwei drei vier fünf sechs sieben acht neun zehn elf zwölf zwanzig dreißig hundert "
                      "tausend")
    quantity_after = _w("mal mehr weniger")


RULES = German()
