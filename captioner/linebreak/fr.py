"""French break rules: word lists for the shared mechanism (base.Rules). Elided articles ("l'", "d'") stay with
their word; "!" "?" ":" after a (narrow) space never start a line."""
from __future__ import annotations

from .base import Rules


def _w(s: str) -> frozenset[str]:
    return frozenset(s.split())


class French(Rules):
    code = "fr"
    articles = _w("le la les un une des du l' l’")
    determiners = _w("mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs ce cet cette ces chaque tout toute "
                     "tous toutes quel quelle quels quelles plusieurs aucun aucune")
    prepositions = _w("à a avec chez dans de d' d’ en entre par pour sans sous sur vers dès contre depuis pendant "
                      "jusqu'à jusqu’à selon après avant")
    contractions = _w("au aux")
    conjunctions = _w("et ou mais donc car ni que qui si comme quand lorsque puisque")
    pronouns = _w("je j' j’ tu il elle on nous vous ils elles se s' s’ te t' t’ me m' m’ ne n' n’ y")
    auxiliaries = _w("est sont suis es sommes êtes était étaient sera seront a ai as avons avez ont avait va vas vont "
                     "peut peux peuvent pouvez doit doivent très plus")
    glue_back_words = _w("pas jamais rien")
    currency_words = _w("euro euros centimes dollar dollars")
    percent_words = (("pour", "cent"), ("pourcent",))
    code_words = _w("code promo code-promo")
    number_words = _w("un une deux trois quatre cinq six sept huit neuf dix onze douze quinze vingt trente quarante "
                      "cinquante soixante cent mille")
    quantity_after = _w("fois plus moins")


RULES = French()
