"""Numbers, prices, percentages, promo codes and dates: written form <-> spoken form, compared by value.

Six languages (en, de, fr, es, hi, zh). Spoken forms follow the ads data conventions: compound numbers
without hyphens ("forty nine", "dix neuf"), German compounds in one word ("neununddreißig"), prices read
"<major> <currency> <minor>" ("neununddreißig Euro neunundneunzig", "vingt quatre euros quatre vingt dix",
"veintinueve euros con noventa y nueve", "चार सौ निन्यानबे रुपये", "一百九十九元", "五十九块九"), promo codes
as word + number ("GLOW20" -> "glow twenty").

Entry points:
- `verbalize(token, language)`: spoken form of one written token ("$49" -> "forty nine dollars"), or None.
- `parse_written(token, language)`: the `Amount` a written token stands for ("39,99 €" -> 39.99 EUR).
- `parse_spoken(text, language)`: candidate `Amount`s a spoken (or mixed digit/word) phrase can mean
  ("nineteen ninety nine" -> 19.99 or 1999).
- `same_value(a, candidates)`, `to_written(amount, language)`, `number_to_words(n, language)`.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Iterable, Optional

__all__ = [
    "Amount", "verbalize", "verbalize_pieces", "parse_written", "parse_spoken", "same_value", "to_written",
    "number_to_words", "words_to_numbers", "is_numeric_token", "CURRENCY_SYMBOLS",
]

# ----------------------------------------------------------------------------------------------
# data model


@dataclass(frozen=True)
class Amount:
    """What a number token means. kind: number | price | percent | code | discount | date | ordinal | time (of day)."""

    kind: str
    value: Optional[Decimal] = None
    currency: Optional[str] = None  # ISO 4217 for prices
    prefix: Optional[str] = None  # promo code letters, lowercased ("glow")
    date: Optional[tuple[int, int, int]] = None  # (year, month, day) for dates; year 0 = unknown

    def key(self) -> tuple:
        return (self.kind, self.value, self.currency, self.prefix, self.date)


CURRENCY_SYMBOLS = {"$": "USD", "US$": "USD", "€": "EUR", "₹": "INR", "Rs": "INR", "Rs.": "INR", "¥": "CNY",
                    "￥": "CNY", "元": "CNY", "£": "GBP", "RMB": "CNY", "रु": "INR", "रु.": "INR", "EUR": "EUR", "USD": "USD", "INR": "INR",
                    "GBP": "GBP"}
_SYMBOL_OF = {"USD": "$", "EUR": "€", "INR": "₹", "CNY": "¥", "GBP": "£"}

# ----------------------------------------------------------------------------------------------
# number -> words

_EN_SMALL = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
             "sixteen seventeen eighteen nineteen").split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()

_DE_SMALL = ("null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn fünfzehn "
             "sechzehn siebzehn achtzehn neunzehn").split()
_DE_TENS = "_ _ zwanzig dreißig vierzig fünfzig sechzig siebzig achtzig neunzig".split()

_FR_SMALL = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
             "treize", "quatorze", "quinze", "seize", "dix sept", "dix huit", "dix neuf"]
_FR_TENS = ["_", "_", "vingt", "trente", "quarante", "cinquante", "soixante"]

_ES_SMALL = ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once", "doce",
             "trece", "catorce", "quince", "dieciséis", "diecisiete", "dieciocho", "diecinueve", "veinte", "veintiuno",
             "veintidós", "veintitrés", "veinticuatro", "veinticinco", "veintiséis", "veintisiete", "veintiocho",
             "veintinueve"]
_ES_TENS = ["_", "_", "veinte", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa"]
_ES_HUNDREDS = ["_", "ciento", "doscientos", "trescientos", "cuatrocientos", "quinientos", "seiscientos",
                "setecientos", "ochocientos", "novecientos"]

# Hindi 0..99 are lexicalised (no regular pattern): one word each.
_HI_0_99 = (
    "शून्य एक दो तीन चार पाँच छह सात आठ नौ दस ग्यारह बारह तेरह चौदह पंद्रह सोलह सत्रह अठारह उन्नीस "
    "बीस इक्कीस बाईस तेईस चौबीस पच्चीस छब्बीस सत्ताईस अट्ठाईस उनतीस तीस इकतीस बत्तीस तैंतीस चौंतीस "
    "पैंतीस छत्तीस सैंतीस अड़तीस उनतालीस चालीस इकतालीस बयालीस तैंतालीस चवालीस पैंतालीस छियालीस सैंतालीस "
    "अड़तालीस उनचास पचास इक्यावन बावन तिरेपन चौवन पचपन छप्पन सत्तावन अट्ठावन उनसठ साठ इकसठ बासठ "
    "तिरसठ चौंसठ पैंसठ छियासठ सड़सठ अड़सठ उनहत्तर सत्तर इकहत्तर बहत्तर तिहत्तर चौहत्तर पचहत्तर छिहत्तर "
    "सतहत्तर अठहत्तर उन्यासी अस्सी इक्यासी बयासी तिरासी चौरासी पचासी छियासी सत्तासी अट्ठासी नवासी नब्बे "
    "इक्यानबे बानबे तिरानबे चौरानबे पंचानबे छियानबे सत्तानबे अट्ठानबे निन्यानबे"
).split()
assert len(_HI_0_99) == 100

_ZH_DIGITS = "零一二三四五六七八九"


def _en(n: int) -> str:
    if n < 20:
        return _EN_SMALL[n]
    if n < 100:
        t, u = divmod(n, 10)
        return _EN_TENS[t] + ("" if u == 0 else " " + _EN_SMALL[u])
    for size, name in ((10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred")):
        if n >= size:
            q, r = divmod(n, size)
            return _en(q) + " " + name + ("" if r == 0 else " " + _en(r))
    raise AssertionError


def _de(n: int, final: bool = True) -> str:
    if n == 1:
        return "eins" if final else "ein"
    if n < 20:
        return _DE_SMALL[n]
    if n < 100:
        t, u = divmod(n, 10)
        return (_de(u, False) + "und" if u else "") + _DE_TENS[t]
    if n < 1000:
        h, r = divmod(n, 100)
        return ("" if h == 1 else _de(h, False)) + "hundert" + (_de(r) if r else "")
    if n < 10**6:
        k, r = divmod(n, 1000)
        return ("" if k == 1 else _de(k, False)) + "tausend" + (_de(r) if r else "")
    m, r = divmod(n, 10**6)
    head = "eine Million" if m == 1 else _de(m, False) + " Millionen"
    return head + ("" if r == 0 else " " + _de(r))


def _fr(n: int, final: bool = True) -> str:
    if n < 20:
        return _FR_SMALL[n]
    if n < 70:
        t, u = divmod(n, 10)
        if u == 0:
            return _FR_TENS[t]
        return _FR_TENS[t] + (" et un" if u == 1 else " " + _FR_SMALL[u])
    if n < 80:
        return "soixante" + (" et onze" if n == 71 else " " + _FR_SMALL[n - 60])
    if n < 100:
        if n == 80:
            return "quatre vingts" if final else "quatre vingt"
        return "quatre vingt " + _FR_SMALL[n - 80]
    if n < 1000:
        h, r = divmod(n, 100)
        head = "cent" if h == 1 else _FR_SMALL[h] + (" cents" if r == 0 and final else " cent")
        return head + ("" if r == 0 else " " + _fr(r, final))
    if n < 10**6:
        k, r = divmod(n, 1000)
        head = "mille" if k == 1 else _fr(k, False) + " mille"
        return head + ("" if r == 0 else " " + _fr(r, final))
    m, r = divmod(n, 10**6)
    head = "un million" if m == 1 else _fr(m, False) + " millions"
    return head + ("" if r == 0 else " " + _fr(r, final))


def _es(n: int, apocope: bool = False) -> str:
    if n < 30:
        w = _ES_SMALL[n]
        if apocope and n == 1:
            return "un"
        if apocope and n == 21:
            return "veintiún"
        return w
    if n < 100:
        t, u = divmod(n, 10)
        return _ES_TENS[t] + ("" if u == 0 else " y " + ("un" if (u == 1 and apocope) else _ES_SMALL[u]))
    if n < 1000:
        h, r = divmod(n, 100)
        if n == 100:
            return "cien"
        return _ES_HUNDREDS[h] + ("" if r == 0 else " " + _es(r, apocope))
    if n < 10**6:
        k, r = divmod(n, 1000)
        head = "mil" if k == 1 else _es(k, True) + " mil"
        return head + ("" if r == 0 else " " + _es(r, apocope))
    m, r = divmod(n, 10**6)
    head = "un millón" if m == 1 else _es(m, True) + " millones"
    return head + ("" if r == 0 else " " + _es(r, apocope))


def _hi(n: int, hundreds_style: bool = False) -> str:
    if n < 100:
        return _HI_0_99[n]
    if hundreds_style and 1000 < n < 10000 and (n // 100) % 10 != 0:
        h, r = divmod(n, 100)  # Indian price reading: 1,299 -> "बारह सौ निन्यानबे"
        return _HI_0_99[h] + " सौ" + ("" if r == 0 else " " + _HI_0_99[r])
    for size, name in ((10**7, "करोड़"), (10**5, "लाख"), (1000, "हज़ार"), (100, "सौ")):
        if n >= size:
            q, r = divmod(n, size)
            return _hi(q) + " " + name + ("" if r == 0 else " " + _hi(r))
    raise AssertionError


def _zh(n: int) -> str:
    if n == 0:
        return "零"
    if n >= 10**8:
        q, r = divmod(n, 10**8)
        return _zh(q) + "亿" + ("" if r == 0 else ("零" if r < 10**7 else "") + _zh(r))
    if n >= 10**4:
        q, r = divmod(n, 10**4)
        return _zh(q) + "万" + ("" if r == 0 else ("零" if r < 1000 else "") + _zh(r))
    out = []
    digits = [n // 1000, n // 100 % 10, n // 10 % 10, n % 10]
    units = ["千", "百", "十", ""]
    started, zero_pending = False, False
    for d, u in zip(digits, units):
        if d == 0:
            if started:
                zero_pending = True
            continue
        if zero_pending:
            out.append("零")
            zero_pending = False
        if not (u == "十" and d == 1 and not started):
            out.append(_ZH_DIGITS[d])
        out.append(u)
        started = True
    return "".join(out)


def number_to_words(n: int, language: str) -> str:
    """Cardinal number as spoken in `language` (compounds without hyphens, as in the data)."""
    if n < 0:
        neg = {"en": "minus", "de": "minus", "fr": "moins", "es": "menos", "hi": "माइनस", "zh": "负"}[language]
        return neg + ("" if language == "zh" else " ") + number_to_words(-n, language)
    fn = {"en": _en, "de": _de, "fr": _fr, "es": _es, "hi": _hi, "zh": _zh}.get(language)
    if fn is None:
        raise ValueError(f"unsupported language {language!r}")
    return fn(n)


def _digits_words(s: str, language: str) -> str:
    """Read a digit string digit by digit (codes, phone numbers, zh years)."""
    if language == "zh":
        return "".join(_ZH_DIGITS[int(c)] for c in s)
    return " ".join(number_to_words(int(c), language) for c in s)


# ----------------------------------------------------------------------------------------------
# written token -> Amount

_NUM = r"\d+(?:[.,\u202f\u00a0 ]\d+)*"
_CUR_PRE = r"(?P<pre>US\$|\$|€|₹|Rs\.?|रु\.?|¥|￥|£)"
_CUR_POST = r"(?P<post>€|\$|₹|¥|￥|£|元|EUR|USD|INR|RMB|Euro|euros?|dollars?|rupees?)"
_PRICE_RE = re.compile(rf"^{_CUR_PRE}\s?(?P<num>{_NUM})(?P<suffix>[kK]|/-)?$|^(?P<num2>{_NUM})\s?{_CUR_POST}$")
# a currency written as its code before the amount, with a space ("USD 19.99", "EUR 19,99"); without the space a
# code-like token ("EUR20") may be a promo code
_CODE_PRICE_RE = re.compile(rf"^(?P<code>USD|EUR|INR|GBP|RMB)\s(?P<num>{_NUM})$")
# "19€99": the French way of writing 19,99 € in ads
_SPLIT_EURO_RE = re.compile(r"^(?P<major>\d+)\s?€\s?(?P<minor>\d{2})$")
# "19,-" / "19.–": a whole amount (German, Swiss), before an optional currency
_WHOLE_DASH_RE = re.compile(r"(?<=\d)[,.][-–](?=\s?(?:€|EUR|Euro|CHF|\$)?$)")
# symbols a voice reads as a word when they stand alone in a script ("Skin & hair": "skin and hair")
SAID_SYMBOLS = {"&": {"en": "and", "de": "und", "fr": "et", "es": "y", "hi": "और", "zh": "和"},
                "+": {"en": "plus", "de": "plus", "fr": "plus", "es": "más", "hi": "प्लस", "zh": "加"},
                "=": {"en": "equals", "de": "gleich", "fr": "égale", "es": "igual", "hi": "बराबर", "zh": "等于"},
                "/": {"zh": "每"},  # "99元/月" is said "99元每月"
                # the dash of a range ("30–40 %", "$20–$30"), a caption word of its own (`hint._split_range`)
                "–": {"en": "to", "de": "bis", "fr": "à", "es": "a", "hi": "से", "zh": "到"},
                # the scale of a rating ("4.9/5", a caption word of its own after the score: `hint._RATING`)
                "/5": {"en": "out of five", "de": "von fünf", "fr": "sur cinq", "es": "de cinco", "hi": "में से पाँच"},
                "/10": {"en": "out of ten", "de": "von zehn", "fr": "sur dix", "es": "de diez", "hi": "में से दस"},
                # the French "round the clock" ("24h/24, 7j/7"), said in full
                "24h/24": {"fr": "vingt-quatre heures sur vingt-quatre"}, "7j/7": {"fr": "sept jours sur sept"},
                "24/7": {"en": "twenty four seven", "de": "vierundzwanzig sieben", "fr": "vingt-quatre sept",
                         "es": "veinticuatro siete", "hi": "चौबीस सात", "zh": "全天候"}}
# how the slash of a price's per-unit tail is said ("$9.99/month": "a month"), the usual word first
PER_UNIT_WORDS = {"en": ("a", "an", "per", "each", "every"), "de": ("pro", "im", "je", "in", "am", "die", "den"),
                  "fr": ("par", "le", "la", "l", "du"), "es": ("al", "por", "a", "cada", "el", "la"),
                  "hi": ("प्रति", "हर"), "zh": ("每",)}
# footnote marks after an amount ("$19.99*", "20 %¹"): not part of its value
_FOOTNOTE = "*†‡¹²³"

# Signs around an amount that the voice says as a word of its own: "-20 %" ("minus zwanzig Prozent", "20% off"),
# "10,000+" ("ten thousand plus", "over ten thousand"), "3x" ("three times"), "#1" ("number one"), "4.8★" ("4.8
# stars"). The amount is the value; these words belong to it in the captions (first word: how it is usually said).
_AFFIX_LEAD = re.compile(r"^(?P<lead>[-−–](?=\d)|#\s?(?=\d)|(?:[nN][°º]|No\.|Nr\.|Nº)\s?(?=\d))")
_AFFIX_TAIL = re.compile(r"(?<=[\d%€$₹¥£元kKM])\s?(?P<tail>\+|[x×]|★|⭐)$|(?<=\d)(?P<hours>h)$")
_SCALED_PLUS = re.compile(r"^(?P<num>\d+(?:[.,]\d+)?)(?P<scale>[kKM])$")  # "10k", "2M" before a "+"
# a count with its scale written short: "1M", "1.5M", "2,5 Mio.", "3 Mrd." (not "5K": a distance as often as a count)
_SCALED = re.compile(r"^(?P<num>\d+(?:[.,]\d+)?)\s?(?P<scale>M|Mio\.?|Mrd\.?|Md)$")
SCALED_WORD = re.compile(r"^\d+(?:[.,]\d+)?\s(?:Mio\.?|Mrd\.?|Md)$")
# sign -> (words said before the amount, words said after it); a lead sign's usual word is its first lead word, a
# tail sign's its first tail word
AFFIX_WORDS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "en": {"-": (("minus", "less"), ("off",)), "+": (("over", "more", "than"), ("plus",)), "x": ((), ("times", "x")),
           "#": (("number", "no"), ()), "h": ((), ("hours", "hour")), "★": ((), ("stars", "star"))},
    "de": {"-": (("minus", "weniger"), ()), "+": (("über", "mehr", "als"), ("plus",)), "x": ((), ("mal", "fach")),
           "#": (("nummer", "nr"), ()), "h": ((), ("stunden", "stunde")), "★": ((), ("sterne", "stern"))},
    "fr": {"-": (("moins",), ()), "+": (("plus", "de"), ("plus",)), "x": ((), ("fois",)),
           "#": (("numéro", "numero", "no"), ()), "h": ((), ("heures", "heure")), "★": ((), ("étoiles", "etoiles", "étoile"))},
    "es": {"-": (("menos",), ()), "+": (("más", "mas", "de"), ("plus",)), "x": ((), ("veces",)),
           "#": (("número", "numero"), ()), "h": ((), ("horas", "hora")), "★": ((), ("estrellas", "estrella"))},
    "hi": {"-": (("माइनस",), ()), "+": ((), ("से", "ज़्यादा", "ज्यादा", "अधिक", "प्लस")), "x": ((), ("गुना",)),
           "#": (("नंबर",), ()), "h": ((), ("घंटे", "घंटा")), "★": ((), ("स्टार",))},
    "zh": {"-": (("减", "立减"), ()), "+": ((), ("多", "以上")), "x": ((), ("倍",)), "#": (("第",), ()), "h": ((), ("小时", "个小时")), "★": ((), ("星",))},
}
_LEAD_SIGNS = {"-", "#"}


def _affix_key(sign: str) -> str:
    sign = sign.strip()
    return {"−": "-", "–": "-", "×": "x", "⭐": "★"}.get(sign, "#" if sign and sign[0] in "#nN" else sign)


def split_affixes(token: str) -> tuple[str, str, str]:
    """(lead, core, tail) of a written token whose signs are said as words ("-20 %" -> ("-", "20 %", "")); lead and
    tail are "" when there is none. The core is what `parse_written` reads."""
    t = token.strip()
    m = _AFFIX_LEAD.match(t)
    lead = m.group("lead") if m else ""
    t = t[len(lead):]
    m = _AFFIX_TAIL.search(t)
    tail = (m.group("tail") or m.group("hours") or "") if m and m.start() > 0 else ""
    if tail in ("★", "⭐") and (m.group(0) != tail or not re.fullmatch(r"\d+(?:[.,]\d+)?", t[:m.start()])):
        m, tail = None, ""  # "4.8★" is a rating; "$29 ⭐" a price with a star drawn after it
    if tail:
        t = t[:m.start()]
    return lead, t, tail


def affix_words(token: str, language: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """(words a voice may say before the amount, after it, the usual one) for the signs around `token`."""
    lead, _, tail = split_affixes(token.strip(".,!?;:()\"'«»¡¿，。！？；：、।॥"))
    words = AFFIX_WORDS.get(language, {})
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    usual = []
    for sign in (lead, tail):
        if sign:
            b, a = words.get(_affix_key(sign), ((), ()))
            before, after = before + b, after + a
            side = b if _affix_key(sign) in _LEAD_SIGNS else a
            if side:
                usual.append((_affix_key(sign) in _LEAD_SIGNS, side[0]))
    return before, after, " ".join(f"{'<' if first else '>'}{w}" for first, w in usual)


_PCT_RE = re.compile(rf"^(?P<num>{_NUM})\s?(?:%|％|pct)$|^(?:%|％)\s?(?P<num2>{_NUM})$")
_ZHPCT_RE = re.compile(r"^百分之(?P<num>.+)$")
_DISCOUNT_RE = re.compile(r"^(?P<num>\d+(?:\.\d+)?|[零一二三四五六七八九两]+(?:点[零一二三四五六七八九]+)?)折$")
_CODE_RE = re.compile(r"^(?P<letters>[A-Za-z]{2,})[-_]?(?P<num>\d{1,4})$")
_DATE_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
_DATE_DOT = re.compile(r"^(?P<a>\d{1,2})[./](?P<b>\d{1,2})[./](?P<y>\d{2}|\d{4})$")
_DATE_ZH = re.compile(r"^(?:(?P<y>\d{4})年)?(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]$")
_PLAIN_RE = re.compile(rf"^{_NUM}$")
# colloquial Chinese prices as written: "81块8" (81.8), "81元8角", "59块9毛9", "99块", "5毛" (0.5)
_ZH_PRICE_RE = re.compile(r"^(?P<major>\d+)[块元](?:(?P<jiao>\d)[角毛]?(?:(?P<fen>\d)分?)?)?$|^(?P<jiao2>\d)[角毛]$")
_ORD_EN = re.compile(r"^(?P<num>\d+)(?:st|nd|rd|th)$")
_ORD_FR = re.compile(r"^(?P<num>\d{1,3})(?:er|re|ère|e|ème|eme|è)$")
_ORD_ES = re.compile(r"^(?P<num>\d{1,3})\.?[ºª°oa]$")  # NFKC reads "º" as "o", "ª" as "a"
# a day and a month without the year: "12/31" (en), "31.12." (de), "31/12" (fr, es)
_DAY_MONTH = re.compile(r"^(?P<a>\d{1,2})(?P<sep>[./])(?P<b>\d{1,2})$")

_DECIMAL_COMMA = {"de", "fr", "es"}
# a time of day: "11:59", "23:59", "9:05pm" (any language), "23h59" / "23h" (fr), "9am", "11pm" (en)
_TIME_COLON = re.compile(r"^(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?P<ap>\s?[AaPp]\.?[Mm]\.?)?$")
_TIME_H = re.compile(r"^(?P<h>[01]?\d|2[0-3])\s?[hH](?P<m>[0-5]\d)?$")
_TIME_AP = re.compile(r"^(?P<h>1[0-2]|0?[1-9])\s?(?P<ap>[AaPp]\.?[Mm]\.?)$")
# a time of day said in Chinese: "二十三点五十九分", "十一点整" ("点" alone is the decimal point)
_ZH_TIME = re.compile(r"(?P<h>[零〇一二两三四五六七八九十\d]+)点(?:(?P<m>[零〇一二三四五六七八九十\d]+)分|整)")
# the word a voice says for a decimal point ("four point nine stars", "vier Komma neun", "quatre virgule neuf")
POINT_WORDS = {"en": {"point"}, "de": {"komma"}, "fr": {"virgule"}, "es": {"coma", "punto"}, "hi": {"दशमलव"}}
# English scale words that "a" counts as one before ("a hundred", "a million")
EN_SCALE_WORDS = {"hundred", "thousand", "million", "billion"}
# ordinal words (the usual form first): "1er" / "1º" / "1." said "premier" / "primer" / "erste" (English: `_en_ordinal`)
_ORD_FORMS = {
    "fr": ["premier première premiere 1er 1re", "deuxième deuxieme second seconde", "troisième troisieme",
           "quatrième quatrieme", "cinquième cinquieme", "sixième sixieme", "septième septieme", "huitième huitieme",
           "neuvième neuvieme", "dixième dixieme"],
    "es": ["primer primero primera", "segundo segunda", "tercer tercero tercera", "cuarto cuarta", "quinto quinta",
           "sexto sexta", "séptimo séptima septimo septima", "octavo octava", "noveno novena", "décimo décima decimo decima"],
    "de": ["erste ersten erster erstes erstem", "zweite zweiten zweiter zweites", "dritte dritten dritter drittes",
           "vierte vierten vierter", "fünfte fünften fünfter", "sechste sechsten sechster", "siebte siebten siebter",
           "achte achten achter", "neunte neunten neunter", "zehnte zehnten zehnter"],
    "hi": ["पहला पहली पहले", "दूसरा दूसरी दूसरे", "तीसरा तीसरी तीसरे", "चौथा चौथी चौथे"],
}
# a time of day with its clock word after it ("23:59 Uhr", "9 heures", "11:59 PM")
_TIME_WORD = re.compile(r"^(?P<core>\d{1,2}(?::\d{2})?)\s(?P<word>\S+)$")
_AP_TAIL = re.compile(r"(?<![^\d\s\u00a0])\s?([AaPp])\.?[Mm]\.?$")
_AM_PM = {"am", "pm", "a.m", "p.m", "a.m.", "p.m."}
# words a voice says with a time of day or a count of hours; "h" is how a recogniser writes the French "heures"
_CLOCK_WORDS = {"en": {"o'clock", "oclock", "o’clock"} | _AM_PM, "de": {"uhr"}, "fr": {"heure", "heures", "h"},
                "es": set(), "hi": {"बजे", "बजकर", "मिनट"}, "zh": set()}


def _ord_words(language: str) -> dict[str, int]:
    """Folded ordinal word -> its number (English: first … thirty-first, one word each)."""
    if language == "en":
        return {_en_ordinal(n): n for n in range(1, 32) if " " not in _en_ordinal(n)}
    return {(_hi_fold(_fold(w)) if language == "hi" else _fold(w)): k + 1
            for k, forms in enumerate(_ORD_FORMS.get(language, [])) for w in forms.split()}


def _to_decimal(s: str, language: str) -> Optional[Decimal]:
    """'39,99' (de) -> 39.99; '1,299' (en/hi) -> 1299; '1.299' (de) -> 1299; '12 500' (fr) -> 12500."""
    s = s.replace("\u202f", " ").replace("\u00a0", " ")
    groups = re.split(r"([.,' ])", s)
    nums = groups[0::2]
    seps = groups[1::2]
    if not seps:
        return Decimal(s)
    dec_sep = "," if language in _DECIMAL_COMMA else "."
    last_sep, last = seps[-1], nums[-1]
    int_part, frac = nums[:-1], last
    if last_sep == " " or last_sep == "'":
        return Decimal("".join(nums))
    if len(set(seps)) == 1 and len(seps) > 1:  # 1,299,000 -> thousands only
        return Decimal("".join(nums))
    if set(seps) == {",", "."} and seps.count(last_sep) == 1 and len(last) in (1, 2) and all(len(g) == 3 for g in nums[1:-1]):
        # both marks: the last one, once, before one or two digits, is the decimal point, whatever the script's language
        # usually writes ("1,299.00 €" in a German script, "$1.299,00" in an English one)
        return Decimal("".join(nums[:-1]) + "." + last)
    if last_sep == dec_sep or (len(last) != 3 and len(set(seps)) == 1):
        try:
            return Decimal("".join(int_part) + "." + frac)
        except InvalidOperation:
            return None
    return Decimal("".join(nums))


def _strip_drawn(t: str) -> str:
    """`t` without the emoji and symbols drawn around it ("$19.99 🔥", "• 20 %"); "★" is a sign said as a word, and
    "20°" is twenty degrees."""
    def drawn(c: str) -> bool:
        return c in "\u00a0 •·\ufe0f\u200d" or (unicodedata.category(c) in ("So", "Sk", "Cs") and c not in "★⭐°℃℉")
    i, j = 0, len(t)
    while i < j and (drawn(t[i]) or t[i] in "★⭐"):
        i += 1
    while j > i and (drawn(t[j - 1]) or (t[j - 1] in "★⭐" and j - 2 >= i and not t[j - 2].isdigit())):
        j -= 1
    return t[i:j]


def parse_written(token: str, language: str) -> Optional[Amount]:
    """The Amount a written token stands for, or None when it is not a number-like token."""
    t = _strip_drawn(_strip_drawn(token.strip()).rstrip(".,!?;:)\"'»"))
    t = t.rstrip(_FOOTNOTE + ".,!?;:)\"'»")  # NFKC would read a footnote "¹" as the digit 1
    t = unicodedata.normalize("NFKC", t).strip(".,!?;:()\"'«»¡¿，。！？；：、।॥")
    t = t.replace("\u202f", " ").replace("\u00a0", " ")
    if not t:
        return None
    t = _WHOLE_DASH_RE.sub("", t)
    dash = re.search(r"(?<=\d)\s?/[-=]?$", t)
    if dash:
        t = t[:dash.start()]  # "₹499/-", "Rs. 499/=": the Indian way of closing an amount, drawn, never said
    lead, core, tail = split_affixes(t)
    if lead or tail:
        sc = _SCALED_PLUS.match(core) if tail == "+" else None
        if sc:  # "10k+", "2M+"
            v = _to_decimal(sc.group("num"), language)
            return Amount("number", v * (1000 if sc.group("scale") in "kK" else 10**6)) if v is not None else None
        a = parse_written(core, language)
        return a if a is not None and a.kind in ("number", "price", "percent") else None
    m = re.fullmatch(r"(\d{1,2})\s?¢", t)
    if m:  # "99¢": ninety-nine cents
        return Amount("price", Decimal(m.group(1)) / 100, "USD")
    m = _SCALED.match(t)
    if m:
        v = _to_decimal(m.group("num"), language)
        return Amount("number", v * (10**9 if m.group("scale").startswith(("Mrd", "Md")) else 10**6)) if v is not None else None
    m = _CODE_PRICE_RE.match(t)
    if m:
        v = _to_decimal(m.group("num"), language)
        return Amount("price", v, CURRENCY_SYMBOLS[m.group("code")]) if v is not None else None
    m = _SPLIT_EURO_RE.match(t)
    if m:
        return Amount("price", Decimal(m.group("major")) + Decimal(m.group("minor")) / 100, "EUR")
    m = _PRICE_RE.match(t)
    if m:
        cur = m.group("pre") or m.group("post")
        num = m.group("num") or m.group("num2")
        code = CURRENCY_SYMBOLS.get(cur) or _currency_word(cur.lower())
        v = _to_decimal(num, language)
        if v is None:
            return None
        if m.groupdict().get("suffix") in ("k", "K"):
            v *= 1000
        return Amount("price", v, code)
    m = _ZH_PRICE_RE.match(t) if language == "zh" else None
    if m:
        if m.group("jiao2"):
            return Amount("price", Decimal(m.group("jiao2")) / 10, "CNY")
        v = Decimal(m.group("major")) + Decimal(m.group("jiao") or 0) / 10 + Decimal(m.group("fen") or 0) / 100
        return Amount("price", v, "CNY")
    m = _TIME_WORD.match(t)
    if m and m.group("word").lower() in _CLOCK_WORDS.get(language, ()):
        a = parse_written(m.group("core"), language)  # "23:59 Uhr", "9 heures"
        if a is not None and a.kind == "time":
            return a
        if a is not None and a.kind == "number" and a.value == int(a.value) and 0 <= a.value <= 24:
            return _time(int(a.value), 0)
    m = _TIME_COLON.match(t) or (_TIME_H.match(t) if language == "fr" else None) or \
        (_TIME_AP.match(t) if language == "en" else None)
    if m:
        return _time(int(m.group("h")), int(m.group("m") or 0) if "m" in m.groupdict() else 0)
    m = _PCT_RE.match(t)
    if m:
        v = _to_decimal(m.group("num") or m.group("num2"), language)
        return Amount("percent", v) if v is not None else None
    m = _ZHPCT_RE.match(t)
    if m:
        vals = _zh_parse(m.group("num"))
        return Amount("percent", Decimal(vals)) if vals is not None else None
    m = _DISCOUNT_RE.match(t)
    if m:
        num = m.group("num")
        v = Decimal(num) if num[0].isdigit() else _zh_decimal(num)
        return Amount("discount", _zhe(v, num)) if v is not None else None
    m = _CODE_RE.match(t)
    if m and any(c.isupper() for c in m.group("letters")) and (m.group("letters").isupper() or len(m.group("letters")) <= 12):
        return Amount("code", Decimal(int(m.group("num"))), prefix=m.group("letters").lower())
    m = _DATE_ISO.match(t)
    if m:
        return _date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    m = _DATE_ZH.match(t)
    if m:
        return _date(int(m.group("y") or 0), int(m.group("m")), int(m.group("d")))
    m = _DAY_MONTH.match(t)
    if m and t != "24/7":
        a, b = int(m.group("a")), int(m.group("b"))
        sep = m.group("sep")
        d = None
        if language == "en" and sep == "/" and b >= 13:  # "12/31" (a fraction-like "1/2" or "7/4" stays unread)
            d = _date(0, a, b)
        elif language == "de" and sep == "." and len(m.group("b")) == 2:  # "31.12.", "01.05." ("1.5" is a number)
            d = _date(0, b, a)
        elif language in ("fr", "es") and sep == "/":  # "31/12"
            d = _date(0, b, a)
        if d is not None:
            return d
    m = _DATE_DOT.match(t)
    if m:
        a, b, y = int(m.group("a")), int(m.group("b")), int(m.group("y"))
        y = y + 2000 if y < 100 else y
        month, day = (a, b) if language == "en" and "/" in t else (b, a)
        return _date(y, month, day)
    m = _ORD_EN.match(t)
    if m and language == "en":
        return Amount("ordinal", Decimal(int(m.group("num"))))
    m = _ORD_FR.match(t) if language == "fr" else _ORD_ES.match(t) if language == "es" else None
    if m:  # "1er", "1re", "2e", "3ème" / "1º", "1.ª"
        return Amount("ordinal", Decimal(int(m.group("num"))))
    if _PLAIN_RE.match(t):
        v = _to_decimal(t, language)
        return Amount("number", v) if v is not None else None
    if language == "zh" and re.fullmatch(r"[零〇一二三四五六七八九十百千万亿两点]+", t) and len(t) >= 1:
        v = _zh_decimal(t)
        return Amount("number", v) if v is not None else None
    return None


def _zhe(v: Decimal, written: str) -> Decimal:
    """A discount in 折 as tenths of the price: "85折", "八五折" and "8.5折" are all 8.5 (two digits said or written
    without 十 are the ones and the tenths); "八折" is 8."""
    if v >= 10 and "十" not in written and v == int(v) and v < 100:
        return v / 10
    return v


def _time(h: int, m: int) -> Amount:
    """A time of day as the clock reads it: value hours + minutes / 100 (11:59 -> 11.59; "PM" is a word beside it)."""
    return Amount("time", Decimal(h) + Decimal(m) / 100)


def _hm(a: Amount) -> tuple[int, int]:
    h = int(a.value)
    return h, int(((a.value - h) * 100).to_integral_value())


def _date(y: int, m: int, d: int) -> Optional[Amount]:
    if 1 <= m <= 12 and 1 <= d <= 31:
        return Amount("date", date=(y, m, d))
    return None


def is_numeric_token(token: str, language: str) -> bool:
    return parse_written(token, language) is not None


# ----------------------------------------------------------------------------------------------
# Amount -> spoken / written

_CUR_WORDS = {
    "en": {"USD": ("dollar", "dollars"), "EUR": ("euro", "euros"), "INR": ("rupee", "rupees"), "CNY": ("yuan", "yuan"), "GBP": ("pound", "pounds")},
    "de": {"USD": ("Dollar", "Dollar"), "EUR": ("Euro", "Euro"), "INR": ("Rupie", "Rupien"), "CNY": ("Yuan", "Yuan"), "GBP": ("Pfund", "Pfund")},
    "fr": {"USD": ("dollar", "dollars"), "EUR": ("euro", "euros"), "INR": ("roupie", "roupies"), "CNY": ("yuan", "yuans"), "GBP": ("livre", "livres")},
    "es": {"USD": ("dólar", "dólares"), "EUR": ("euro", "euros"), "INR": ("rupia", "rupias"), "CNY": ("yuan", "yuanes"), "GBP": ("libra", "libras")},
    "hi": {"USD": ("डॉलर", "डॉलर"), "EUR": ("यूरो", "यूरो"), "INR": ("रुपया", "रुपये"), "CNY": ("युआन", "युआन"), "GBP": ("पाउंड", "पाउंड")},
    "zh": {"USD": ("美元", "美元"), "EUR": ("欧元", "欧元"), "INR": ("卢比", "卢比"), "CNY": ("元", "元"), "GBP": ("英镑", "英镑")},
}
_PERCENT_WORD = {"en": "percent", "de": "Prozent", "fr": "pour cent", "es": "por ciento", "hi": "प्रतिशत"}
_MONTHS = {
    "en": "January February March April May June July August September October November December".split(),
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split(),
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split(),
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
    "hi": "जनवरी फ़रवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर अक्टूबर नवंबर दिसंबर".split(),
}
_EN_ORD = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}


def _en_ordinal(n: int) -> str:
    words = _en(n).split()
    last = words[-1]
    if last in _EN_ORD:
        words[-1] = _EN_ORD[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _de_ordinal(n: int) -> str:
    special = {1: "erste", 3: "dritte", 7: "siebte", 8: "achte"}
    if n in special:
        return special[n]
    return _de(n) + ("ste" if n >= 20 else "te")


def _year_words(y: int, language: str) -> str:
    if language == "en" and 1100 <= y <= 2099 and y % 100 != 0 and not (2000 <= y <= 2009):
        hi, lo = divmod(y, 100)
        return _en(hi) + " " + (("oh " + _en(lo)) if lo < 10 else _en(lo))
    if language == "zh":
        return _digits_words(str(y), "zh")
    return number_to_words(y, language)


def _split_money(v: Decimal) -> tuple[int, int, int]:
    """(major, minor, minor digits written) for a price value."""
    q = v.normalize()
    exp = -q.as_tuple().exponent if q.as_tuple().exponent < 0 else 0
    major = int(v)
    frac = v - major
    if exp == 0 or frac == 0:
        return major, 0, 0
    if exp == 1:
        return major, int(frac * 10), 1
    return major, int((frac * 100).to_integral_value()), 2


def _time_spoken(a: Amount, language: str) -> str:
    """A time of day as a voice reads it: "eleven fifty nine", "dreiundzwanzig Uhr neunundfünfzig", "vingt trois heures
    cinquante neuf", "veintitrés cincuenta y nueve", "ग्यारह बजकर उनसठ मिनट", "二十三点五十九分"."""
    h, m = _hm(a)
    L = language
    if L == "en":
        return _en(h) + ("" if m == 0 else " oh " + _en(m) if m < 10 else " " + _en(m))
    if L == "de":
        return ("ein" if h == 1 else _de(h)) + " Uhr" + (" " + _de(m) if m else "")
    if L == "fr":
        return ("une heure" if h == 1 else _fr(h) + " heures") + (" " + _fr(m) if m else "")
    if L == "es":
        return _es(h, True) + (" " + _es(m) if m else "")
    if L == "hi":
        return _hi(h) + (" बजकर " + _hi(m) + " मिनट" if m else " बजे")
    return _zh(h) + "点" + (_zh(m) + "分" if m else "")


def spoken_form(a: Amount, language: str) -> str:
    """Spoken form of an Amount in `language` (as the ads data voices it)."""
    L = language
    if a.kind == "time":
        return _time_spoken(a, L)
    if a.kind == "price":
        major, minor, nd = _split_money(a.value)
        cur = a.currency or "USD"
        names = _CUR_WORDS[L].get(cur, (cur, cur))
        name = names[0] if major == 1 else names[1]
        if L == "zh":
            if nd == 0:
                return _zh(major) + ("元" if cur == "CNY" else names[1])
            if cur == "CNY":
                if nd == 1:
                    return _zh(major) + "块" + _ZH_DIGITS[minor]
                jiao, fen = divmod(minor, 10)
                return _zh(major) + "块" + _ZH_DIGITS[jiao] + ("毛" + _ZH_DIGITS[fen] if fen else "")
            return _zh(major) + "点" + _digits_words(str(minor).zfill(nd), "zh") + names[1]
        if nd == 1:
            minor *= 10
        if L == "en":
            if minor == 0:
                return f"{_en(major)} {name}"
            if major == 0:
                return f"{_en(minor)} cents" if cur in ("USD", "EUR") else f"{_en(minor)} {names[1]}"
            return f"{_en(major)} {_en(minor)}"  # "$19.99" -> "nineteen ninety nine"
        if L == "de":
            head = ("ein" if major == 1 else _de(major)) + " " + name
            return head + ("" if minor == 0 else " " + _de(minor))
        if L == "fr":
            head = _fr(major) + " " + name
            return head + ("" if minor == 0 else " " + _fr(minor))
        if L == "es":
            head = _es(major, True) + " " + name
            return head + ("" if minor == 0 else " con " + _es(minor))
        if L == "hi":
            head = _hi(major, hundreds_style=True) + " " + name
            return head + ("" if minor == 0 else " " + _hi(minor) + " पैसे")
    if a.kind == "percent":
        if L == "zh":
            return "百分之" + _zh_number_str(a.value)
        return _number_str(a.value, L) + " " + _PERCENT_WORD[L]
    if a.kind == "discount":
        v = a.value
        if L == "zh" and v != int(v) and 1 <= v < 10 and (v * 10) == int(v * 10):
            return _ZH_DIGITS[int(v)] + _ZH_DIGITS[int(v * 10) % 10] + "折"  # 8.5折 is said "八五折"
        return _zh_number_str(v) + "折" if L == "zh" else _number_str(v, L)
    if a.kind == "code":
        letters = a.prefix or ""
        vowels = set("aeiouyäöüéèàáíóú")
        word_like = len(letters) >= 3 and any(c in vowels for c in letters)
        head = letters if word_like else " ".join(letters)
        num = number_to_words(int(a.value), L)
        return head + ("" if L == "zh" else " ") + num
    if a.kind == "ordinal":
        n = int(a.value)
        if L == "en":
            return _en_ordinal(n)
        if L in _ORD_FORMS and n <= len(_ORD_FORMS[L]):
            return _ORD_FORMS[L][n - 1].split()[0]
        return number_to_words(n, L)
    if a.kind == "date":
        y, m, d = a.date
        if L == "zh":
            return (_year_words(y, L) + "年" if y else "") + _zh(m) + "月" + _zh(d) + "日"
        month = _MONTHS[L][m - 1]
        if L == "en":
            s = f"{month} {_en_ordinal(d)}"
        elif L == "de":
            s = f"{_de_ordinal(d)} {month}"
        elif L == "fr":
            s = f"{'premier' if d == 1 else _fr(d)} {month}"
        elif L == "es":
            s = f"{'primero' if d == 1 else _es(d)} de {month}"
        else:
            s = f"{_hi(d)} {month}"
        if y:
            s += (" de " if L == "es" else " ") + _year_words(y, L)
        return s
    return _number_str(a.value, L)


def spoken_variants(a: Amount, language: str) -> list[str]:
    """Ways a voice commonly reads an Amount, the canonical `spoken_form` first ("$19.99": "nineteen ninety
    nine", "nineteen dollars ninety nine", "nineteen dollars and ninety nine cents")."""
    out = [spoken_form(a, language)]
    L = language
    if a.kind == "price" and a.value is not None:
        major, minor, nd = _split_money(a.value)
        cur = a.currency or "USD"
        names = _CUR_WORDS[L].get(cur, (cur, cur))
        name = names[0] if major == 1 else names[1]
        if nd == 1 and L != "zh":
            minor *= 10
        if L == "zh":
            M = _zh(major)
            if nd == 0:
                out += [M + "块", M + "元"]
            elif cur == "CNY":
                jiao, fen = (minor, 0) if nd == 1 else divmod(minor, 10)
                out += [M + "元" + _ZH_DIGITS[jiao] + "角" + (_ZH_DIGITS[fen] + "分" if fen else ""),
                        M + "点" + _digits_words(str(minor).zfill(nd), "zh") + "元"]
        elif nd == 0:
            if L == "en" and cur == "USD":
                out.append(f"{_en(major)} bucks")
            if L == "hi" and 1000 < major < 10000:
                out.append(_hi(major) + " " + name)  # "एक हज़ार सात सौ निन्यानबे" beside "सत्रह सौ निन्यानबे"
                out.append(_hi(major, hundreds_style=True) + " " + name)
        else:
            A, B = number_to_words(major, L), number_to_words(minor, L)
            if L == "es":
                A = _es(major, True)
            minor_name = {"en": "cents", "de": "Cent", "fr": "centimes", "es": "céntimos", "hi": "पैसे"}[L]
            and_ = {"en": "and", "de": "und", "fr": "et", "es": "con", "hi": ""}[L]
            out += [f"{A} {name} {B}", f"{A} {B}", f"{A} {name} {and_} {B} {minor_name}".replace("  ", " ")]
            if L == "es":
                out.append(f"{number_to_words(major, L)} con {B}")
        if L == "en" and 1100 <= major <= 9999 and (major // 100) % 10:
            # hundreds said in pairs, as prices of four digits often are: "twelve ninety nine (dollars) (ninety nine)"
            h, r = divmod(major, 100)
            pairs = _en(h) + " " + ("oh " + _en(r) if 0 < r < 10 else _en(r) if r else "hundred")
            out.append(f"{pairs} {_en(minor)}" if nd else f"{pairs} {name}")
            out.append(f"{_en(h)} hundred" + (f" {_en(r)}" if r else "") + f" {name}" + (f" {_en(minor)}" if nd else ""))
    seen, res = set(), []
    for x in out:
        if x not in seen:
            seen.add(x)
            res.append(x)
    return res


def _number_str(v: Decimal, language: str) -> str:
    if v == int(v):
        return number_to_words(int(v), language)
    s = format(v.normalize(), "f")
    whole, frac = s.split(".")
    point = {"en": "point", "de": "Komma", "fr": "virgule", "es": "coma", "hi": "दशमलव", "zh": "点"}[language]
    if language == "zh":
        return _zh(int(whole)) + point + _digits_words(frac, "zh")
    return number_to_words(int(whole), language) + " " + point + " " + _digits_words(frac, language)


def _zh_number_str(v: Decimal) -> str:
    return _number_str(v, "zh")


def _supported(language: str) -> None:
    if language not in _CUR_WORDS:
        raise ValueError(f"unsupported language {language!r}: use one of en, de, fr, es, hi, zh")


def verbalize(token: str, language: str) -> Optional[str]:
    """Spoken form of a written number/price/percent/promo code/date token; None if nothing to verbalize.

    >>> verbalize("$49", "en")
    'forty nine dollars'
    >>> verbalize("39,99 €", "de")
    'neununddreißig Euro neunundneunzig'
    """
    _supported(language)
    a = parse_written(token, language)
    if a is None:
        return None
    sc = _SCALED.match(_strip_drawn(token.strip()).rstrip(",!?;:)\"'»").replace("\u00a0", " "))
    if sc and language in _SCALE_NAMES:
        return _scaled_spoken(sc.group("num"), sc.group("scale"), language)
    return with_affix_words(spoken_form(a, language), token, language)


_SCALE_NAMES = {"en": ("million", "millions", "billion", "billions"), "de": ("Million", "Millionen", "Milliarde", "Milliarden"),
                "fr": ("million", "millions", "milliard", "milliards"), "es": ("millón", "millones", "mil millones", "mil millones")}
_POINT_SAID = {"en": "point", "de": "Komma", "fr": "virgule", "es": "coma"}


def _scaled_spoken(number: str, scale: str, language: str) -> str:
    """How a count written with a short scale is said: "1.5M" -> "one point five million", "2,5 Mio." -> "zwei Komma fünf
    Millionen", "1M" -> "one million", "3 Mrd." -> "drei Milliarden"."""
    whole, _, frac = number.replace(",", ".").partition(".")
    one = int(whole) == 1 and not frac
    big = scale.startswith(("Mrd", "Md"))
    names = _SCALE_NAMES[language]
    name = names[(2 if big else 0) + (0 if one else 1)]
    head = ("eine" if language == "de" else "un" if language in ("fr", "es") else "one") if one else \
        number_to_words(int(whole), language)
    if language == "en":
        name = name.rstrip("s")  # "two million"
    if frac:
        head += f" {_POINT_SAID[language]} " + " ".join(number_to_words(int(d), language) for d in frac)
    return f"{head} {name}"


def bare(text: str, punct: str) -> str:
    """`text` stripped of `punct` and spaces, keeping a minus sign said as a word ("-20 %," -> "-20 %", not "20 %")."""
    t = text.strip(punct + " \u00a0")
    lead = re.match(r"^[\s\"'“”‘’«»„(\[¡¿]*([-−–])(?=\d)", text)
    return lead.group(1) + t if lead and not t.startswith(lead.group(1)) else t


def with_affix_words(said: str, token: str, language: str) -> str:
    """`said` (the spoken form of `token`'s amount) with the usual words for its signs ("-20 %": "minus …")."""
    _, _, usual = affix_words(token, language)
    sep = "" if language == "zh" else " "
    for u in usual.split():
        said = sep.join((u[1:], said) if u[0] == "<" else (said, u[1:]))
    ap = _AP_TAIL.search(token.strip().rstrip(",!?;:)\"'»")) if language == "en" else None
    if ap and not said.endswith(" m"):
        said += f" {ap.group(1).lower()} m"  # a time's "PM": "11:59 PM" -> "eleven fifty nine p m"
    return said


def verbalize_pieces(token: str, language: str) -> Optional[str]:
    """Spoken form of a token `verbalize` cannot read whole, as a recogniser writes them apart: a lone "%" or
    currency sign after a number written as its own word ("20 %" -> "percent"; "$" -> "dollars"), or letters
    and digits run together that are not a promo code ("blo20" -> "blo twenty"). None if nothing to say.

    >>> verbalize_pieces("%", "en")
    'percent'
    >>> verbalize_pieces("blo20", "en")
    'blo twenty'
    """
    _supported(language)
    t = unicodedata.normalize("NFKC", token.strip()).strip(".,!?;:()\"'«»¡¿，。！？；：、।॥")
    if not t:
        return None
    if t == "%":
        return _PERCENT_WORD.get(language)  # zh says 百分之 before the number: a lone sign after it has no word
    code = CURRENCY_SYMBOLS.get(t)
    if code is not None and not any(ch.isalpha() for ch in t):
        return _CUR_WORDS[language][code][1]
    if not re.fullmatch(r"[^\W_]+", t):  # letters and digits only: "24/7", "5-7" are not read piece by piece
        return None
    parts = re.findall(r"\d+|[^\W\d_]+", t)
    if len(parts) < 2 or not any(p.isdigit() for p in parts):
        return None
    return " ".join(number_to_words(int(p), language) if p.isdigit() and len(p) <= 9 else p for p in parts)


def _zh_colloquial(a: Amount, like: str) -> Optional[str]:
    """A yuan price in the colloquial way `like` writes one ("81块8" -> "81块5", "59块9毛9", "81元8角"); None when
    `like` is not written that way or the value does not fit it."""
    m = _ZH_PRICE_RE.match(unicodedata.normalize("NFKC", like).strip(".,!?;:()\"'，。！？；：、 "))
    if not m or a.kind != "price" or a.currency != "CNY" or a.value is None or a.value < 0:
        return None
    v = a.value.quantize(Decimal("0.01"))
    major, cents = int(v), int((v - int(v)) * 100)
    jiao, fen = divmod(cents, 10)
    unit = "块" if "块" in like else "元"
    marker = "毛" if "毛" in like else ("角" if "角" in like else "")
    if fen and not marker:
        return None  # "81块85" would read as 81 and 85
    out = f"{major}{unit}"
    if jiao or fen:
        out += f"{jiao}{marker}" + (f"{fen}" if fen else "")
    return out


def to_written(a: Amount, language: str, like: Optional[str] = None) -> str:
    """Natural written form of an Amount ("$40", "29,99 €", "20 %", "¥169", "₹1,299"); `like`: the script's own
    writing of the number it replaces — a Chinese price written colloquially ("81块8") keeps that style."""
    if like and language == "zh":
        c = _zh_colloquial(a, like)
        if c is not None:
            return c
    if like and re.fullmatch(r"\d{1,2}\s?¢", like.strip().rstrip(".,!?;:")) and a.kind == "price" and a.value < 1:
        return f"{int(a.value * 100)}¢"  # "99¢" -> "89¢"
    close = re.search(r"(?<=\d)\s?/[-=]?$", (like or "").strip())
    if close and a.kind in ("price", "number"):  # "₹499/-" -> "₹599/-": the script's closing mark stays
        return to_written(a, language, like.strip()[:close.start()]) + close.group()
    group_from = 1000 if like and re.search(r"\d[.\u202f\u00a0 ]\d{3}(?!\d)", like) else 10000
    # the script's own grouping space ("1 299 €"), currency code ("USD 19.99", "Rs. 499") and footnote mark ("$19.99*")
    # carry over to the value that replaces it
    if like and language != "zh" and a.kind in ("price", "percent", "number") and a.value is not None \
            and re.search(r"[^\W\d_]{2,}\s", like) and not any(c.isdigit() for c in like):
        return spoken_form(a, language)  # the script wrote it as it is said ("forty-nine dollars" -> "fifty nine dollars")
    if like and _strip_drawn(like.strip()) != like.strip() and _strip_drawn(like.strip()):
        core_like = _strip_drawn(like.strip())  # "$19.99 🔥" -> "$18.99 🔥": the drawn symbols stay
        k = like.strip().index(core_like)
        return like.strip()[:k] + to_written(a, language, core_like) + like.strip()[k + len(core_like):]
    if like and a.kind in ("number", "price", "percent"):
        lead, core, tail = split_affixes(like.strip())
        if lead or tail:  # "-20 %" -> "-30 %", "10,000+" -> "20,000+": the signs stay
            return lead + to_written(a, language, core) + tail
    g = re.search(r"\d([\u202f\u00a0 ])\d{3}(?!\d)", like or "")
    lead = re.match(r"^(USD|EUR|INR|GBP|RMB|US\$|Rs\.?)(\s?)(?=\d)", (like or "").strip())
    foot = (like or "").strip()[len((like or "").strip().rstrip(_FOOTNOTE)):]
    if foot or (lead and a.kind == "price" and CURRENCY_SYMBOLS.get(lead.group(1)) == a.currency):
        plain = to_written(a, language, re.sub(r"^(USD|EUR|INR|GBP|RMB|US\$|Rs\.?)\s?", "", (like or "").strip()).rstrip(_FOOTNOTE))
        if lead and a.kind == "price" and CURRENCY_SYMBOLS.get(lead.group(1)) == a.currency:
            plain = lead.group(1) + lead.group(2) + re.sub(r"^\D+|\s*\D+$", "", plain)
        return plain + foot

    def num(v: Decimal, money: bool = False) -> str:
        if money:
            major, minor, nd = _split_money(v)
            frac = "" if nd == 0 else str(minor).zfill(nd)
            if nd == 1 and language != "zh":
                frac += "0"
        else:
            s = format(v.normalize(), "f")
            major, frac = (int(s.split(".")[0]), s.split(".")[1]) if "." in s else (int(s), "")
        if language in _DECIMAL_COMMA:
            # four digits are grouped only when the script groups them itself ("1.499 €" -> "1.245 €", "1499 €" -> "1245 €")
            ip = f"{major:,}".replace(",", g.group(1) if g else "." if language != "fr" else "\u202f") \
                if major >= group_from else str(major)
            return ip + ("," + frac if frac else "")
        # four digits the script wrote ungrouped ("since 1998") stay ungrouped ("1988", not "1,988")
        ungrouped = bool(like) and re.search(r"(?<![\d,.])\d{4}(?![\d,])", like or "") is not None
        ip = f"{major:,}" if (major >= 10000 or (major >= 1000 and not ungrouped)) and language in ("en", "hi") else str(major)
        return ip + ("." + frac if frac else "")

    if a.kind == "price":
        sym = _SYMBOL_OF.get(a.currency or "", a.currency or "")
        if language in _DECIMAL_COMMA and a.currency != "USD":
            return f"{num(a.value, True)} {sym}"
        return f"{sym}{num(a.value, True)}"
    if a.kind == "percent":
        return f"{num(a.value)} %" if language in _DECIMAL_COMMA else f"{num(a.value)}%"
    if a.kind == "discount":
        if like and re.fullmatch(r"\d{2}折\S*", like.strip()) and a.value != int(a.value):
            return f"{int(a.value * 10)}折"  # the script's "85折" style
        return f"{num(a.value)}折"
    if a.kind == "code":
        m = re.fullmatch(r"([^\W\d_]+)([-_]?)\d+", (like or "").strip(" .,!?;:"))
        if m and _loose(m.group(1)) == _loose(a.prefix):  # the script's own case and joiner ("glow20" -> "glow30")
            return f"{m.group(1)}{m.group(2)}{int(a.value)}"
        return f"{(a.prefix or '').upper()}{int(a.value)}"
    if a.kind == "date" and like:
        # the script's own way of writing its date: order, separator, zero padding and year ("15/01" -> "16/01")
        y, m, d = a.date
        lk = like.strip().rstrip(".,!?;:")
        iso = _DATE_ISO.match(lk)
        if iso:
            return f"{y or iso.group('y')}-{m:02d}-{d:02d}"
        names = _MONTHS.get(language)
        wm = re.match(r"^(\d{1,2})(\.?\s+(?:de\s+)?)(\S+)(.*)$", lk)  # "31 दिसंबर", "31. Dezember", "31 de diciembre"
        if names and wm and _month_of(_hi_fold(_fold(wm.group(3))) if language == "hi" else _fold(wm.group(3)), language):
            return f"{d}{wm.group(2)}{names[m - 1]}{wm.group(4) if not y else ' ' + str(y)}"
        wm = re.match(r"^(\S+)\s+(\d{1,2})(st|nd|rd|th)?(.*)$", lk)  # "December 31st"
        if names and wm and _month_of(_fold(wm.group(1)), language):
            suf = ("th" if 10 <= d % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")) if wm.group(3) else ""
            return f"{names[m - 1]} {d}{suf}{wm.group(4)}"
        dm = _DATE_DOT.match(lk) or _DAY_MONTH.match(lk)
        if dm:
            sep = "/" if "/" in lk else "."
            first, second = (m, d) if language == "en" and sep == "/" else (d, m)
            pad = len(dm.group("a")) == 2 and len(dm.group("b")) == 2
            f = (lambda v: f"{v:02d}") if pad else str
            out = f"{f(first)}{sep}{f(second)}"
            if "y" in dm.groupdict() and dm.group("y"):
                out += f"{sep}{y if y else dm.group('y')}"
            return out + ("." if like.strip().endswith(".") and sep == "." and language == "de" else "")
    if a.kind == "date":
        y, m, d = a.date
        if language == "zh":
            return (f"{y}年" if y else "") + f"{m}月{d}日"
        if language == "en":
            return f"{m}/{d}/{y}" if y else f"{m}/{d}"
        return f"{d}.{m}.{y}" if y else f"{d}.{m}."
    if a.kind == "time":
        h, m = _hm(a)
        lk = (like or "").strip().rstrip(",!?;:")
        tw = _TIME_WORD.match(lk.replace("\u00a0", " "))
        if tw and not _AM_PM & {tw.group("word").lower().rstrip(".")}:  # "23:59 Uhr" -> "22:59 Uhr"
            sep = lk[len(tw.group("core"))]
            return to_written(a, language, tw.group("core")) + sep + tw.group("word")
        lk = lk.rstrip(".") if not re.search(r"[AaPp]\.[Mm]\.$", lk) else lk
        ap = re.search(r"\s?[AaPp]\.?[Mm]\.?$", lk)
        if re.fullmatch(r"\d{1,2}\s?[hH]\d{0,2}", lk):  # "23h59", "23h"
            hh = lk[lk.index(re.search(r"[hH]", lk).group()) - (1 if " " in lk else 0):][: (3 if " " in lk else 1)]
            return f"{h}{hh}{m:02d}" if m or re.search(r"[hH]\d", lk) else f"{h}{hh.rstrip()}"
        if ap and ":" not in lk and m == 0:
            return f"{h}{ap.group()}"
        if re.fullmatch(r"\d{1,2}", lk) and m == 0:  # "20 Uhr" -> "18 Uhr", not "18:00 Uhr"
            return str(h)
        return f"{h:02d}:{m:02d}" if re.match(r"0\d:", lk) else f"{h}:{m:02d}" + (ap.group() if ap else "")
    if a.kind == "ordinal":
        n = int(a.value)
        suf = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
        return f"{n}{suf}"
    return num(a.value)


# ----------------------------------------------------------------------------------------------
# spoken words -> numbers

def _fold(w: str) -> str:
    w = unicodedata.normalize("NFC", w.lower()).strip(".,!?;:()\"'«»¡¿-—")
    return w.replace("ß", "ss")


def _build_lexicon() -> dict[str, dict[str, int]]:
    lex: dict[str, dict[str, int]] = {}
    en = {w: i for i, w in enumerate(_EN_SMALL)}
    en.update({w: 10 * i for i, w in enumerate(_EN_TENS) if w != "_"})
    en.update({"oh": 0, "a": 1, "hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9, "grand": 1000})
    lex["en"] = en
    de = {_fold(w): i for i, w in enumerate(_DE_SMALL)}
    de.update({_fold(w): 10 * i for i, w in enumerate(_DE_TENS) if w != "_"})
    de.update({"ein": 1, "eine": 1, "einen": 1, "hundert": 100, "einhundert": 100, "tausend": 1000, "eintausend": 1000,
               "million": 10**6, "millionen": 10**6, "milliarde": 10**9, "milliarden": 10**9})
    lex["de"] = de
    fr = {w: i for i, w in enumerate(_FR_SMALL) if " " not in w}
    fr.update({w: 10 * i for i, w in enumerate(_FR_TENS) if w != "_"})
    fr.update({"zero": 0, "une": 1, "vingts": 20, "cent": 100, "cents": 100, "mille": 1000, "mil": 1000,
               "million": 10**6, "millions": 10**6, "milliard": 10**9, "milliards": 10**9, "septante": 70, "huitante": 80, "octante": 80, "nonante": 90})
    lex["fr"] = fr
    es = {_fold(w): i for i, w in enumerate(_ES_SMALL)}
    es.update({_fold(w): i for i, w in enumerate(["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once", "doce", "trece", "catorce", "quince", "dieciseis", "diecisiete", "dieciocho", "diecinueve", "veinte", "veintiuno", "veintidos", "veintitres", "veinticuatro", "veinticinco", "veintiseis", "veintisiete", "veintiocho", "veintinueve"])})
    es.update({w: 10 * i for i, w in enumerate(_ES_TENS) if w != "_"})
    es.update({_fold(w): 100 * i for i, w in enumerate(_ES_HUNDREDS) if w != "_" and i > 1})
    es.update({"un": 1, "una": 1, "veintiún": 21, "veintiun": 21, "cien": 100, "ciento": 100, "mil": 1000,
               "millón": 10**6, "millon": 10**6, "millones": 10**6, "quinientas": 500, "doscientas": 200,
               "trescientas": 300, "cuatrocientas": 400, "seiscientas": 600, "setecientas": 700, "ochocientas": 800,
               "novecientas": 900})
    lex["es"] = es
    hi = {_hi_fold(w): i for i, w in enumerate(_HI_0_99)}
    hi.update({_hi_fold(w): v for w, v in (("सौ", 100), ("हज़ार", 1000), ("हजार", 1000), ("लाख", 10**5),
                                          ("करोड़", 10**7), ("करोड", 10**7), ("छः", 6), ("छै", 6), ("पांच", 5),
                                          ("सैकड़ा", 100), ("शून्य", 0))})
    # the nineties are written with -नवे as often as with -नबे ("निन्यानवे"), and a few others have common
    # second spellings; a recogniser may write any of them
    hi.update({_hi_fold(w[:-2] + "वे"): v for w, v in zip(_HI_0_99[91:], range(91, 100))})
    hi.update({_hi_fold(w): v for w, v in (("उन्तीस", 29), ("उनचालीस", 39), ("पैंतालिस", 45), ("छियालिस", 46),
                                          ("सैंतालिस", 47), ("अठ्ठाईस", 28), ("अट्ठाइस", 28), ("उनासी", 79),
                                          ("सरसठ", 67), ("अठावन", 58), ("इकतालिस", 41), ("बयालिस", 42),
                                          ("तैंतालिस", 43), ("चवालीस", 44), ("चौंसठ", 64), ("छः", 6),
                                          ("पचानबे", 95), ("पचानवे", 95))})
    lex["hi"] = hi
    return lex


def _hi_fold(w: str) -> str:
    """Fold Hindi spelling variants: nukta, chandrabindu vs anusvara, ZWJ/ZWNJ."""
    w = unicodedata.normalize("NFD", w)
    w = w.replace("\u093c", "").replace("\u0901", "\u0902").replace("\u200d", "").replace("\u200c", "")
    return unicodedata.normalize("NFC", w)


_LEX = _build_lexicon()
_MULTIPLIERS = {100, 1000, 10**5, 10**6, 10**7, 10**9}
_CONJ = {"en": {"and"}, "de": {"und"}, "fr": {"et"}, "es": {"y"}, "hi": set(), "zh": set()}
_MINOR_WORDS = {"cent", "cents", "centime", "centimes", "céntimo", "céntimos", "centimo", "centimos", "pence", "paise",
                "पैसे", "पैसा", "cent.", "ct"}
_PERCENT_WORDS = {"percent", "per", "prozent", "pourcent", "porcentaje", "प्रतिशत", "फ़ीसदी", "फीसदी", "%"}


def _currency_word(w: str) -> Optional[str]:
    w = _hi_fold(_fold(w))
    table = {
        "USD": {"dollar", "dollars", "bucks", "buck", "dólar", "dólares", "dolar", "dolares", "डॉलर", "美元", "usd", "$"},
        "EUR": {"euro", "euros", "eur", "यूरो", "欧元", "€"},
        "INR": {"rupee", "rupees", "rupie", "rupien", "roupie", "roupies", "rupia", "rupias", "रुपये", "रुपए",
                "रुपया", "रुपयों", "रु", "rs", "inr", "₹"},
        "CNY": {"yuan", "yuans", "yuanes", "rmb", "元", "块", "¥", "renminbi", "युआन"},
        "GBP": {"pound", "pounds", "pfund", "livre", "livres", "libra", "libras", "£"},
    }
    for code, words in table.items():
        if w in {_hi_fold(x) for x in words}:
            return code
    return None


def _de_compound(w: str) -> Optional[int]:
    """Value of one German number word ('neununddreißig', 'hundertneunundzwanzig'), None if not one."""
    w = _fold(w)
    lex = _LEX["de"]
    if w in lex:
        return lex[w]
    for size, name in ((1000, "tausend"), (100, "hundert")):
        if name in w:
            head, _, tail = w.partition(name)
            h = 1 if head in ("", "ein", "eins") else _de_compound(head)
            if h is None:
                return None
            t = 0 if tail == "" else _de_compound(tail)
            if t is None:
                return None
            return h * size + t
    if "und" in w:
        u, _, t = w.partition("und")
        uu = 1 if u == "ein" else lex.get(u)
        tt = lex.get(t)
        if uu is not None and tt is not None and 1 <= uu <= 9 and tt % 10 == 0 and 20 <= tt <= 90:
            return uu + tt
    return None


def _zh_parse(s: str) -> Optional[int]:
    """Integer value of a Chinese numeral string ('一百九十九', '二十八', '三百', '两千零五', '二零二六')."""
    digits = {c: i for i, c in enumerate(_ZH_DIGITS)}
    digits.update({"〇": 0, "两": 2, "幺": 1})
    units = {"十": 10, "百": 100, "千": 1000}
    if not s or any(c not in digits and c not in units and c not in "万亿" for c in s):
        return None
    if all(c in digits for c in s) and len(s) > 1:  # digit-by-digit (years, codes)
        return int("".join(str(digits[c]) for c in s))
    total, section, num = 0, 0, None
    for c in s:
        if c in digits:
            num = digits[c]
        elif c in units:
            section += (1 if num is None else num) * units[c]
            num = None
        else:  # 万 / 亿
            section += num or 0
            total = (total + section) * (10**4 if c == "万" else 10**8)
            section, num = 0, None
    return total + section + (num or 0)


def _zh_decimal(s: str) -> Optional[Decimal]:
    if "点" in s:
        a, _, b = s.partition("点")
        ia = _zh_parse(a) if a else 0
        if ia is None or not b or any(c not in _ZH_DIGITS for c in b):
            return None
        return Decimal(f"{ia}." + "".join(str(_ZH_DIGITS.index(c)) for c in b))
    v = _zh_parse(s)
    return None if v is None else Decimal(v)


@dataclass
class _Item:
    kind: str  # num | cur | minor | pct | conj | word | amount | clock | point
    value: Optional[Decimal] = None
    text: str = ""
    amount: Optional[Amount] = None
    place: int = 1  # smallest place value filled (for the additive rule)
    whole: bool = False  # written in digits ("39", "1,299"): a complete number, never summed with its neighbours
    after_conj: bool = False  # follows a conjunction ("neun und fünfzig")


def _written_items(raw: str, a: Amount) -> list[_Item]:
    """A written token inside a spoken phrase: digits are a number, a written price is a number + its currency
    ("39 Euro 99" and "$49 99" read like "thirty nine euros ninety nine"). Other kinds stay whole Amounts."""
    if a.kind == "number":
        return [_Item("num", a.value, raw, whole=True)]
    if a.kind == "price" and a.value is not None:
        return [_Item("num", a.value, raw, whole=True), _Item("cur", text=raw, amount=Amount("price", None, a.currency))]
    return [_Item("amount", amount=a, text=raw)]


_ZH_PIECES = re.compile(r"百分之[零〇一二三四五六七八九十百千两]+|[零〇一二三四五六七八九十百千万亿两]+(?:点[零一二三四五六七八九]+)?折?"
                        r"|\d+(?:[.,]\d+)?%?|[元块毛角分¥￥$€]|美元|欧元|[^\s]")


def _lex_zh(tokens: list[str]) -> list[_Item]:
    out: list[_Item] = []
    for piece in _ZH_PIECES.findall("".join(tokens)):
        if piece.startswith("百分之"):
            v = _zh_parse(piece[3:])
            out.append(_Item("amount", amount=Amount("percent", Decimal(v)), text=piece) if v is not None else _Item("word", text=piece))
        elif piece.endswith("折") and len(piece) > 1:
            v = _zh_decimal(piece[:-1])
            out.append(_Item("amount", amount=Amount("discount", _zhe(v, piece[:-1])), text=piece) if v is not None else _Item("word", text=piece))
        elif re.fullmatch(r"[零〇一二三四五六七八九十百千万亿两]+(?:点[零一二三四五六七八九]+)?", piece):
            v = _zh_decimal(piece)
            out.append(_Item("num", v, piece) if v is not None else _Item("word", text=piece))
        elif piece in ("毛", "角"):
            out.append(_Item("minor", text=piece, value=Decimal("0.1")))
        elif piece == "分":
            out.append(_Item("minor", text=piece, value=Decimal("0.01")))
        elif piece == "钱" and out and out[-1].kind == "cur":
            out[-1].text += piece  # "块钱": the colloquial currency word, one word with its "块"
        elif _currency_word(piece):
            out.append(_Item("cur", text=piece, amount=Amount("price", None, _currency_word(piece))))
        else:
            a = parse_written(piece, "zh")
            out.extend(_written_items(piece, a) if a else [_Item("word", text=piece)])
    return out


def _lex_items(tokens: list[str], language: str) -> list[_Item]:
    """Turn tokens into number pieces, currency words, percent words, conjunctions and other words."""
    if language == "zh":
        return _lex_zh(tokens)
    out: list[_Item] = []
    lex = _LEX[language]
    conj = _CONJ[language]
    expanded: list[str] = []
    for t in tokens:
        expanded.extend(x for x in re.split(r"[\s\-‐–]+", t) if x)
    i = 0
    while i < len(expanded):
        raw = expanded[i]
        w = _hi_fold(_fold(raw)) if language == "hi" else _fold(raw)
        nxt = _fold(expanded[i + 1]) if i + 1 < len(expanded) else ""
        if language == "hi":
            frac = _hi_fraction(expanded, i)
            if frac is not None:
                value, used = frac
                out.append(_Item("num", value, " ".join(expanded[i:i + used]), place=1, whole=True))
                i += used
                continue
        if language == "de" and w in ("eineinhalb", "anderthalb"):
            out.append(_Item("num", Decimal("1.5"), raw, place=1, whole=True))  # "eineinhalb Millionen"
            i += 1
            continue
        if language == "fr" and w == "quatre" and nxt in ("vingt", "vingts"):
            out.append(_Item("num", Decimal(80), raw + " " + expanded[i + 1], place=10))
            i += 2
            continue
        if (language, w, nxt) in (("fr", "pour", "cent"), ("es", "por", "ciento"), ("en", "per", "cent")):
            out.append(_Item("pct", text=raw + " " + expanded[i + 1]))
            i += 2
            continue
        i += 1
        v: Optional[int] = None
        if language == "de":
            v = _de_compound(w)
        elif w in lex and not (language == "en" and w in ("a", "oh")):
            v = lex[w]
        elif language == "en" and w == "a" and nxt in EN_SCALE_WORDS:
            v = 1  # "a hundred", "a thousand", "a million"
        if v is not None:
            place = 1
            if v in _MULTIPLIERS:
                place = v
            elif v % 10 == 0 and 10 <= v < 100:
                place = 10
            out.append(_Item("num", Decimal(v), raw, place=place, after_conj=bool(out) and out[-1].kind == "conj"))
            continue
        ordn = _ORD_LOOKUP.setdefault(language, _ord_words(language)).get(w)
        if ordn is not None:
            if language == "en" and ordn < 10 and out and out[-1].kind == "num" and 20 <= out[-1].value <= 90 \
                    and out[-1].value % 10 == 0:  # "twenty first"
                ordn += int(out.pop().value)
            out.append(_Item("amount", amount=Amount("ordinal", Decimal(ordn)), text=raw))
            continue
        mo = _month_of(w, language)
        if mo:
            out.append(_Item("month", Decimal(mo), raw))
            continue
        if w in _PERCENT_WORDS:
            out.append(_Item("pct", text=raw))
            continue
        if (w in POINT_WORDS.get(language, ()) or raw in POINT_WORDS.get(language, ())) and out and out[-1].kind == "num" \
                and i < len(expanded) and _is_value_word(expanded[i], language):
            out.append(_Item("point", text=raw))
            continue
        if w in _CLOCK_WORDS.get(language, ()) or raw in _CLOCK_WORDS.get(language, ()):
            out.append(_Item("clock", text=raw))
            continue
        cur = _currency_word(w)
        if cur:
            out.append(_Item("cur", text=raw, amount=Amount("price", None, cur)))
            continue
        if w in _MINOR_WORDS:
            out.append(_Item("minor", text=raw, value=Decimal("0.01")))
            continue
        if w in conj or (language == "es" and w == "con"):
            out.append(_Item("conj", text=raw))
            continue
        a = parse_written(raw, language)
        after = expanded[i + 1] if (i < len(expanded) and _fold(expanded[i]) in conj | {"con"} and i + 1 < len(expanded)) \
            else (expanded[i] if i < len(expanded) else "")
        if a is None and out and out[-1].kind == "num" and after and _is_value_word(after, language):
            cur = currency_like(raw, language)
            if cur:  # "veinticinco eos noventa": a garbled currency word between two numbers
                out.append(_Item("cur", text=raw, amount=Amount("price", None, cur)))
                continue
        out.extend(_written_items(raw, a) if a is not None else [_Item("word", text=raw)])
    return out


_MONTH_LOOKUP: dict[str, dict[str, int]] = {}
_ORD_LOOKUP: dict[str, dict[str, int]] = {}


def _month_of(w: str, language: str) -> Optional[int]:
    """1-12 when the folded word `w` names a month in `language` ("dezember", "déc", "sept."), else None."""
    if language not in _MONTH_LOOKUP:
        table: dict[str, int] = {}
        for i, name in enumerate(_MONTHS.get(language, []), 1):
            f = _hi_fold(_fold(name)) if language == "hi" else _fold(name)
            table[f] = i
            if language != "hi" and len(f) > 4:
                table[f[:3]] = i  # "dec", "déc", "dez"
        if language == "en":
            table["sept"] = 9
        if language == "hi":
            table[_hi_fold("फरवरी")] = 2
            table[_hi_fold("सितम्बर")] = 9
            table[_hi_fold("नवम्बर")] = 11
            table[_hi_fold("दिसम्बर")] = 12
        _MONTH_LOOKUP[language] = table
    return _MONTH_LOOKUP[language].get(w.rstrip("."))


_HI_HALVES = {_hi_fold("डेढ़"): Decimal("1.5"), _hi_fold("डेढ"): Decimal("1.5"), _hi_fold("ढाई"): Decimal("2.5")}
_HI_SADHE = {_hi_fold("साढ़े"), _hi_fold("साढे")}


def _hi_fraction(tokens: list[str], i: int) -> Optional[tuple[Decimal, int]]:
    """Hindi halves before a scale word: "डेढ़ लाख" 150,000, "ढाई हज़ार" 2,500, "साढ़े तीन सौ" 350 — (value, tokens used)."""
    w = _hi_fold(_fold(tokens[i]))
    lex = _LEX["hi"]

    def scale(k: int) -> Optional[int]:
        v = lex.get(_hi_fold(_fold(tokens[k]))) if k < len(tokens) else None
        return v if v in (100, 1000, 10**5, 10**7) else None

    if w in _HI_HALVES:
        m = scale(i + 1)
        return (_HI_HALVES[w] * m, 2) if m else (_HI_HALVES[w], 1)
    if w in _HI_SADHE and i + 1 < len(tokens):
        n = lex.get(_hi_fold(_fold(tokens[i + 1])))
        m = scale(i + 2)
        if n is not None and 1 <= n <= 99:
            return ((Decimal(n) + Decimal("0.5")) * m, 3) if m else (Decimal(n) + Decimal("0.5"), 2)
    return None


def _is_value_word(token: str, language: str) -> bool:
    w = _hi_fold(_fold(token)) if language == "hi" else _fold(token)
    if language == "de" and _de_compound(w) is not None:
        return True
    if w in _LEX.get(language, {}) and w not in ("a", "oh"):
        return True
    a = parse_written(token, language)
    return a is not None and a.kind in ("number", "price")


def currency_like(token: str, language: str) -> Optional[str]:
    """The currency a recogniser probably meant by an unknown word ("eos", "celos" for "euros"), or None.
    Only for a word of at least 3 letters, at least 60 % similar to one of the language's currency names."""
    import difflib

    w = _fold(token)
    if len(w) < 3 or not w.isalpha():
        return None
    best, code = 0.0, None
    for cur, names in _CUR_WORDS.get(language, {}).items():
        for name in set(names) | ({"bucks"} if cur == "USD" and language == "en" else set()):
            r = difflib.SequenceMatcher(None, w, _fold(name)).ratio()
            if r > best:
                best, code = r, cur
    return code if best >= 0.6 else None


def _group_numbers(items: list[_Item], language: str) -> list[_Item]:
    """Combine consecutive number words into values ('one hundred twenty nine' -> 129) with the additive
    rule: a smaller part may follow a larger one; otherwise a new number starts ('nineteen ninety').
    Numbers written in digits are complete: they never combine with a neighbour ('39 Euro 99')."""
    out: list[_Item] = []
    total = 0  # completed thousands/millions
    cur = 0  # current group below the last big multiplier
    active = False
    last_small = None  # value of the last 1-99 word added to cur

    def flush():
        nonlocal total, cur, active, last_small
        if active:
            out.append(_Item("num", Decimal(total + cur), "", place=1))
        total, cur, active, last_small = 0, 0, False, None

    skip = -1
    decimals_to = -1  # items up to here are the decimals said after a point word
    for k, it in enumerate(items):
        if k == skip or k <= decimals_to:
            continue
        nxt = items[k + 1] if k + 1 < len(items) else None
        if it.kind == "point":
            # "four point nine", "one point two five (million)": the whole part so far, then each decimal digit said
            flush()
            head = out[-1] if out and out[-1].kind == "num" and out[-1].value == int(out[-1].value) else None
            digits, j = "", k + 1
            while j < len(items) and items[j].kind == "num" and not items[j].whole and items[j].value < 10 \
                    and items[j].value == int(items[j].value):
                digits += str(int(items[j].value))
                j += 1
            if head is None or not digits:
                out.append(it)  # no reading: parse_spoken gives none
                continue
            value = Decimal(f"{int(head.value)}.{digits}")
            if j < len(items) and items[j].kind == "num" and not items[j].whole and int(items[j].value) in (1000, 10**6, 10**9) \
                    and items[j].value == int(items[j].value):
                value *= items[j].value  # "one point five million"
                j += 1
            out[-1] = _Item("num", value, f"{head.text} {it.text} {digits}", place=1, whole=True)
            decimals_to = j - 1
            continue
        if it.kind == "num" and it.whole and nxt is not None and nxt.kind == "num" and not nxt.whole \
                and int(nxt.value) in (1000, 10**5, 10**6, 10**7, 10**9) and language != "zh":
            # digits before a scale word ("2 million", "1,5 Millionen", "3 लाख"): one number
            flush()
            out.append(_Item("num", it.value * nxt.value, f"{it.text} {nxt.text}", place=1, whole=True))
            skip = k + 1
            continue
        if it.kind == "conj" and active and k + 1 < len(items) and items[k + 1].kind == "num" and not items[k + 1].whole \
                and language != "es":
            continue  # "one hundred and twenty", "vingt et un", "neun und fünfzig"
        if it.kind == "conj" and language == "es" and active and it.text.lower() == "y":
            continue  # "noventa y nueve"
        if it.kind != "num" or it.whole or language == "zh":
            flush()
            out.append(it)
            continue
        v = int(it.value)
        if v in _MULTIPLIERS and v > 1:
            if v == 100:
                if not active:
                    cur, active = 100, True
                elif cur % 100 == 0 and cur != 0 and language != "hi":
                    flush()
                    cur, active = 100, True
                else:
                    cur = (cur if cur else 1) * 100
            else:
                if not active:
                    total, active = v, True
                elif total and total < v and cur == 0:
                    total *= v
                else:
                    total = (total + (cur if cur else 1)) * v if total < v else total + (cur or 1) * v
                    cur = 0
            last_small = None
            continue
        if not active:
            cur, active, last_small = v, True, v
            continue
        ok = False
        if cur == 0:
            ok = True
        elif cur % 100 == 0 and v < 100:
            ok = True
        elif last_small is not None and last_small % 10 == 0 and 20 <= last_small <= 90 and 1 <= v <= 9 and cur % 10 == 0:
            ok = language != "de"
        if language == "de" and it.after_conj and last_small is not None and 1 <= last_small <= 9 \
                and cur % 100 == last_small and v % 10 == 0 and 20 <= v <= 90:
            ok = True  # "neun und fünfzig" (a compound the recogniser wrote in three words)
        if language == "fr" and last_small is not None:
            if last_small in (60, 80) and 1 <= v <= 19 and cur % 100 == last_small:
                ok = True
            if last_small == 10 and 7 <= v <= 9 and cur % 100 % 10 == 0 and cur % 100 < 100 and (cur % 100) in (10, 70, 90):
                ok = True  # dix sept/huit/neuf, soixante dix neuf, quatre vingt dix neuf
        if ok:
            cur += v
            last_small = v if v < 100 else None
        else:
            flush()
            cur, active, last_small = v, True, v
    flush()
    return out


def words_to_numbers(text: str | list[str], language: str) -> list[int | Decimal]:
    """All numbers spoken in a phrase, in order ('nineteen ninety nine' -> [19, 99])."""
    tokens = text.split() if isinstance(text, str) else list(text)
    tokens = _join_digit_groups(tokens)
    items = _group_numbers(_lex_items(tokens, language), language)
    res: list[int | Decimal] = []
    for it in items:
        if it.kind == "num":
            res.append(int(it.value) if it.value == int(it.value) else it.value)
    return res


_ZH_JOINERS = {"点", "折", "之"}  # the decimal point ("八十一点九"), a discount ("八折"), "百分之"


def number_role(token: str, language: str) -> Optional[str]:
    """What a token is inside a spoken number phrase: "value" (carries digits or number words: "39",
    "neunundfünfzig", "quatre-vingt-dix-neuf", "$49", "两百"), "joiner" (a currency, minor-unit, percent
    word or conjunction that can sit between or after the values: "Euro", "cents", "con", "und"), or None."""
    if language == "zh" and token in _ZH_JOINERS:
        return "joiner"
    items = _lex_items([token], language)
    if not items:
        return None
    kinds = {it.kind for it in items}
    if "word" in kinds:
        if language == "zh" and kinds & {"num", "cur", "minor", "amount"}:
            return "value" if kinds & {"num", "amount"} else "joiner"
        return None
    if kinds & {"num", "amount"}:
        return "value"
    return "joiner"


_GROUP = re.compile(r"\d{3}(?:[.,]\d{1,2})?(?:\s?(?:€|\$|₹|¥|%))?[.,!?;:]?")


def _join_digit_groups(tokens: list[str]) -> list[str]:
    """Digits written with a space as the thousands separator ("1 999 €", the French and Spanish way, split into
    two words by the recogniser) are one number: "1" "999 €" -> "1999 €". Only a 1–3 digit group followed by
    exact 3-digit groups is joined."""
    out: list[str] = []
    for t in tokens:
        if out and re.fullmatch(r"\d{1,3}(?:\d{3})*", out[-1]) and _GROUP.fullmatch(t):
            out[-1] = out[-1] + t
        else:
            out.append(t)
    return out


def parse_spoken(text: str | list[str], language: str) -> list[Amount]:
    """Readings of a whole spoken (or mixed digit/word) phrase, most likely first.

    Every reading accounts for every number in the phrase: 'forty nine dollars' -> [49 USD];
    'nineteen ninety nine' -> [19.99, 1999] (never 19); '39 Euro 99' -> [39.99 EUR]; 'glow twenty' ->
    [code glow20, number 20]; 'vingt neuf euros quatre vingt dix' -> [29.90 EUR]. A phrase that holds
    more numbers than one amount can ('99 50 Euro 99') has no reading: [].
    """
    tokens = text.split() if isinstance(text, str) else list(text)
    tokens = _join_digit_groups(tokens)
    if language == "zh":
        zt = _ZH_TIME.fullmatch("".join(tokens).strip("，。！？；：、 "))
        if zt:  # "二十三点五十九分", "十一点整", "23点59分": a time of day ("点" alone stays the decimal point)
            def val(x: str) -> Optional[int]:
                return int(x) if x.isdigit() else _zh_parse(x)
            h, m = val(zt.group("h")), val(zt.group("m")) if zt.group("m") else 0
            if h is not None and m is not None and h <= 24 and m < 60:
                return [_time(h, m)]
    lexed = _lex_items(tokens, language)
    if any(it.kind == "month" for it in lexed):
        return _spoken_date(lexed, language)
    items = _group_numbers(lexed, language)
    items = [it for it in items if it.kind != "conj"]
    if any(it.kind == "point" for it in items):
        return []  # a point word with no number before or no digit after it
    if any(it.kind == "clock" for it in items):
        return _spoken_time(items)
    nums = [it for it in items if it.kind == "num"]
    amounts = [it.amount for it in items if it.kind == "amount"]
    curs = [it for it in items if it.kind == "cur"]
    pct = any(it.kind == "pct" for it in items)
    words = [it for it in items if it.kind == "word"]
    if not nums:
        return [amounts[0]] if len(amounts) == 1 else []
    if amounts:
        return []  # "20% 15": two claims in one phrase
    vals = [n.value for n in nums]
    currency = curs[0].amount.currency if curs else None
    cands: list[Amount] = []
    if language == "zh":
        # '五十九块九' / '一百九十九元' / '五十九块九毛九' / '59块9'
        if currency:
            major, minor, after_cur, scale = None, Decimal(0), False, Decimal("0.1")
            for it in items:
                if it.kind == "num" and not after_cur:
                    if major is not None:
                        return []
                    major = it.value
                elif it.kind == "cur":
                    after_cur = True
                elif it.kind == "num" and after_cur:
                    minor += it.value * scale  # 块 jiao (毛) fen
                    scale /= 10
            if major is not None:
                cands.append(Amount("price", major + minor, currency))
            return cands
        if len(vals) != 1:
            return []
        if pct:
            cands.append(Amount("percent", vals[0]))
        cands.append(Amount("number", vals[0]))
        return _dedupe(cands)
    if len(vals) == 1:
        v = vals[0]
        if words and not curs and items[0].kind == "word" and items[-1].kind == "num" and v == int(v):
            cands.append(Amount("code", v, prefix="".join(_fold(w.text) for w in words)))
        if pct:
            cands.append(Amount("percent", v))
        if any(it.kind == "minor" for it in items) and v < 100:
            cands.append(Amount("price", v / 100, currency))  # "ninety nine cents"
        if currency:
            cands.append(Amount("price", v, currency))
        cands.append(Amount("number", v))
        return _dedupe(cands)
    if len(vals) == 3 and language == "en" and not pct:
        return _en_paired_cents(items, vals, currency)
    a, b = vals[0], vals[1]
    if len(vals) > 2 or a != int(a) or b != int(b) or not 0 <= b < 100:
        return []
    # two numbers: a major and a minor part ("nineteen ninety nine", "39 Euro 99", "veintinueve con noventa y
    # nueve"), or, with no currency between them, the hundreds read in pairs ("nineteen ninety nine" = 1999)
    pos = [k for k, it in enumerate(items) if it.kind == "num"]
    between = items[pos[0] + 1:pos[1]]
    if language == "en" and [_fold(it.text) for it in between] == ["oh"] and 1 <= b <= 9 and 1 <= a <= 99 and not curs:
        # "nine oh five" (9:05), "nineteen oh five" (1905): the hundreds in pairs with a zero said "oh"
        return [Amount("number", a * 100 + b)] + ([Amount("time", a + b / 100)] if a <= 24 else [])
    if any(it.kind == "word" for it in between):
        return []  # "twenty five or ninety": another word parts the two numbers
    cur_between = any(it.kind == "cur" for it in items[pos[0]:pos[1]])
    if b < 10 and not cur_between and not any(it.kind == "minor" for it in items):
        return []  # "twenty four seven": cents are said in two digits unless a currency word parts them
    cands.append(Amount("price", a + b / 100, currency))
    if not cur_between and 1 <= a <= 99 and b >= 10 and not pct:
        cands.append(Amount("price", a * 100 + b, currency) if currency else Amount("number", a * 100 + b))
    return _dedupe(cands)


def is_clock_word(token: str, language: str) -> bool:
    """A word said with a time of day or a count of hours ("Uhr", "heures", "PM", "o'clock")."""
    w = _fold(token)
    return w in _CLOCK_WORDS.get(language, ()) or token.lower() in _CLOCK_WORDS.get(language, ())


def _spoken_time(items: list[_Item]) -> list[Amount]:
    """Hours, the clock word, maybe minutes ("dreiundzwanzig Uhr neunundfünfzig", "23 h 59", "nine o'clock"): a time."""
    items = [_Item("num", it.amount.value, it.text) if it.kind == "amount" and it.amount is not None and it.amount.kind == "time"
             else it for it in items]  # "11:59 PM" in two words
    if any(it.kind not in ("num", "clock") for it in items):
        return []
    k = next(i for i, it in enumerate(items) if it.kind == "clock")
    if k == 1 and len(items) == 2 and items[0].value != int(items[0].value):
        hm = items[0].value  # "11.59 PM", "23.59 Uhr": the recogniser's digits, minutes after the point
        if hm == hm.quantize(Decimal("0.01")) and int(hm) <= 24 and (hm - int(hm)) * 100 < 60:
            return [Amount("time", hm)]
        return []
    before = [it.value for it in items[:k] if it.kind == "num"]
    after = [it.value for it in items[k + 1:] if it.kind == "num"]
    if _fold(items[k].text) in _AM_PM or items[k].text.lower() in _AM_PM:  # "eleven fifty nine PM", "nine a.m."
        if after or len(before) not in (1, 2) or k != len(items) - 1:
            return []
        before, after = before[:1], before[1:]
    if len(before) != 1 or len(after) > 1 or any(it.kind == "clock" for it in items[k + 1:]):
        return []
    h, m = before[0], (after[0] if after else Decimal(0))
    hours = [Amount("number", h)] if not after and _fold(items[k].text) not in _AM_PM else []  # "48 heures": a duration
    if h != int(h) or m != int(m) or not (0 <= h <= 24 and 0 <= m <= 59):
        return hours
    return [_time(int(h), int(m))] + hours


def _en_paired_cents(items: list[_Item], vals: list[Decimal], currency: Optional[str]) -> list[Amount]:
    """Three English numbers read as hundreds in pairs and then the cents ("twelve ninety nine ninety nine",
    "twelve ninety nine dollars ninety nine"): $1,299.99. Anything else of three numbers has no reading."""
    a, b, c = vals
    if any(v != int(v) for v in vals) or not (11 <= a <= 99 and 10 <= b <= 99 and 10 <= c <= 99):
        return []
    pos = [k for k, it in enumerate(items) if it.kind == "num"]
    between = items[pos[0]:pos[2]]
    if any(it.kind == "word" for it in between) or any(it.kind == "cur" for it in items[pos[0]:pos[1]]) \
            or any(it.kind == "minor" for it in items[:pos[2]]):
        return []
    return [Amount("price", a * 100 + b + c / 100, currency)]


DATE_FILLERS = {"de", "of", "the", "le", "del", "der", "den", "am", "el", "on", "zum", "bis", "au"}
# words said before a written date that the script leaves out ("bis 31.12." said "bis zum 31. Dezember")
DATE_LEAD_WORDS = {"en": ("the", "on"), "de": ("zum", "am", "den", "dem"), "fr": ("le",), "es": ("el",)}


def _spoken_date(lexed: list[_Item], language: str) -> list[Amount]:
    """A day, a month name and maybe a year ("December 31st, 2026", "31. Dezember", "31 de diciembre de 2026"): one
    date; anything else with a month name in it (two days, a price): no reading."""
    items = [it for it in lexed if not (it.kind == "word" and _fold(it.text) in DATE_FILLERS)]
    months = [k for k, it in enumerate(items) if it.kind == "month"]
    if len(months) != 1 or any(it.kind not in ("month", "num", "amount") for it in items):
        return []
    k = months[0]
    vals: list[tuple[int, Decimal]] = []
    for j, it in enumerate(items):
        if it.kind == "num" and it.value is not None:
            vals.append((j, it.value))
        elif it.kind == "amount" and it.amount is not None and it.amount.kind in ("ordinal", "number") and it.amount.value is not None:
            vals.append((j, it.amount.value))
        elif it.kind == "amount":
            return []
    grouped = _group_numbers([it for it in items if it.kind == "num"], language) if len(vals) > 2 else None
    if grouped is not None and len(grouped) <= 2:  # "thirty first" -> 31 (the year in words is not read)
        return []
    day = [(j, v) for j, v in vals if v == int(v) and 1 <= v <= 31 and abs(j - k) == 1]
    year = [(j, v) for j, v in vals if v == int(v) and 1900 <= v <= 2100 and j > k]
    if not day or len(vals) != 1 + bool(year):
        return []
    d = _date(int(year[0][1]) if year else 0, int(items[k].value), int(day[0][1]))
    return [d] if d else []


def _dedupe(cands: Iterable[Amount]) -> list[Amount]:
    seen, out = set(), []
    for c in cands:
        if c.key() not in seen:
            seen.add(c.key())
            out.append(c)
    return out


def same_value(written: Amount, candidates: list[Amount]) -> bool:
    """True when one spoken candidate has the written Amount's value (currency/kind compatible)."""
    said_currencies = {c.currency for c in candidates if c.kind == "price" and c.currency}
    if written.kind == "price" and written.currency and said_currencies and written.currency not in said_currencies:
        return False  # "49 euros" is not "$49"
    if written.kind == "time":
        h, m = _hm(written)
        said = {written.value, Decimal(h * 100 + m)} | ({Decimal(h)} if m == 0 else set())
        return any(c.value in said and c.kind in ("time", "number") or
                   (c.kind == "price" and c.currency is None and c.value == written.value) for c in candidates)
    for c in candidates:
        if written.kind == "date" or c.kind == "date":
            if written.kind == c.kind == "date" and written.date[1:] == c.date[1:] and (not written.date[0] or not c.date[0] or written.date[0] == c.date[0]):
                return True
            continue
        if c.value is None or written.value is None or c.value != written.value:
            continue
        if written.kind == "code":
            if c.kind == "code" and _loose(c.prefix) != _loose(written.prefix) and not _similar_prefix(c.prefix, written.prefix):
                continue
            if c.kind not in ("code", "number"):
                continue
            return True
        if written.kind == "price" and c.kind == "price" and c.currency and written.currency and c.currency != written.currency:
            continue
        return True
    return False


def _loose(s: Optional[str]) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", s or "").encode("ascii", "ignore").decode().lower())


def _similar_prefix(a: Optional[str], b: Optional[str]) -> bool:
    """Promo code letters heard vs written: spelling may differ ('ingwer' vs 'inwardsch')."""
    a, b = _loose(a), _loose(b)
    if not a or not b:
        return True  # non-Latin transcription of the letters (hi 'ग्लोरा'): compare by number only
    import difflib
    return difflib.SequenceMatcher(None, a, b).ratio() >= 0.5


def is_scale_word(token: str, language: str) -> bool:
    """"thousand", "Millionen", "लाख": a word that multiplies the number before it."""
    w = _hi_fold(_fold(token)) if language == "hi" else _fold(token)
    return _LEX.get(language, {}).get(w) in (1000, 10**5, 10**6, 10**7, 10**9)


def amount_in_words(text: str, language: str) -> Optional[Amount]:
    """The one amount a script writes over several words as it is said ("forty-nine dollars" -> $49, "twenty
    percent" -> 20 %), or None when the words hold no single amount (or are not all number words)."""
    toks = [t for t in re.split(r"[\s\u00a0]+", text.strip(" .,!?;:()\"'«»¡¿")) if t]
    if len(toks) < 2 or language == "zh":
        return None
    cands = parse_spoken(toks, language)
    if not cands:
        return None
    a = cands[0]
    return a if (a.value is not None and a.kind in ("price", "percent", "number")) or a.kind == "date" else None


def primary_value(cands: list[Amount], like: Optional[Amount] = None) -> Optional[Amount]:
    """The most plausible reading of what was spoken, shaped like `like` (the script's Amount)."""
    if not cands:
        return None
    if like is not None:
        for c in cands:
            if c.kind == like.kind:
                if c.kind == "price" and c.currency is None:
                    return Amount("price", c.value, like.currency)
                return c
        c = cands[0]
        if like.kind == "price" and c.kind == "number":
            return Amount("price", c.value, like.currency)
        if like.kind == "percent" and c.kind == "number":
            return Amount("percent", c.value)
    return cands[0]
