"""Spanish break rules: word lists for the shared mechanism (base.Rules). Opening "¡" "¿" stay with their word."""
from __future__ import annotations

from .base import Rules


def _w(s: str) -> frozenset[str]:
    return frozenset(s.split())


class Spanish(Rules):
    code = "es"
    articles = _w("el la los las un una unos unas lo")
    determiners = _w("mi mis tu tus su sus nuestro nuestra nuestros nuestras este esta estos estas ese esa esos esas "
                     "aquel aquella cada todo toda todos todas otro otra otros otras cualquier algún alguna ningún ninguna")
    prepositions = _w("a ante bajo con contra de desde durante en entre hacia hasta mediante para por según sin sobre tras")
    contractions = _w("al del")
    conjunctions = _w("y e o u ni pero sino que porque aunque si como cuando mientras pues")
    pronouns = _w("yo tú nosotros nosotras vosotros ustedes se te me nos le les")
    auxiliaries = _w("es son soy eres somos está están estoy era eran será serán ha he has han hemos había va vas van "
                     "vamos puede puedes pueden debe deben no muy más ya")
    glue_back_words = frozenset()
    currency_words = _w("euro euros céntimos dólar dólares pesos peso")
    percent_words = (("por", "ciento"), ("porciento",))
    code_words = _w("código codigo cupón cupon")
    number_words = _w("uno una dos tres cuatro cinco seis siete ocho nueve diez once doce quince veinte treinta "
                      "cuarenta cincuenta cien ciento mil")
    quantity_after = _w("veces más menos")


RULES = Spanish()
