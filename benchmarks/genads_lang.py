"""Spoken forms of numbers, prices, percentages and promo codes for the generated ads (six languages).

Written on purpose independently of `captioner.numbers` (the code under test must not define its own
ground truth); `tests/test_genads.py` cross-checks the two on the cardinals and names every place where
they legitimately differ (e.g. zh 两千 vs 二千).

Conventions are those of ../shared/data/ads (README "spoken.txt conventions"): compound numbers without
hyphens so that each spoken word is one whitespace token ("forty nine", "dix neuf", "quatre vingt dix"),
German compounds in one word ("neununddreißig"), prices "<major> <currency> <minor>".

Each language gives one *canonical* reading of a price (what `expected_spoken` records: the reading the
DEV set uses) and the *legitimate variants* a voice-over artist may say instead without changing the
value ("39 Euro 99" spoken as "neununddreißig Euro und neunundneunzig Cent", "twelve hundred ninety nine
dollars", 两百六十九元, "उनतीस सौ" vs "दो हज़ार नौ सौ"). Sources for the rules: Duden (German numerals,
one word below a million), Académie française 1990 rectifications are *not* used (the data writes
"quatre vingt dix", no hyphens), RAE "Ortografía" §(apócope de uno/veintiuno before masculine nouns),
the Hindi 0–99 words are one lexical word each (table below; it agrees entry by entry with the
independent table in captioner.numbers, tests/test_genads.py), Chinese 两 before 百/千/万 and classifiers, 二 in 十/十二/二十.
"""
from __future__ import annotations

from decimal import Decimal

# --------------------------------------------------------------------------------------------- en

_EN_1 = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_EN_10 = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def en_card(n: int) -> str:
    if n < 20:
        return _EN_1[n]
    if n < 100:
        return _EN_10[n // 10] + ("" if n % 10 == 0 else " " + _EN_1[n % 10])
    if n < 1000:
        return _EN_1[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + en_card(n % 100))
    return en_card(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + en_card(n % 1000))


# --------------------------------------------------------------------------------------------- de

_DE_1 = ("null eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf dreizehn vierzehn fünfzehn "
         "sechzehn siebzehn achtzehn neunzehn").split()
_DE_10 = "_ _ zwanzig dreißig vierzig fünfzig sechzig siebzig achtzig neunzig".split()


def de_card(n: int, final: bool = True, ein_hundert: bool = False) -> str:
    """One word below a million; 'eins' only at the end ('einundzwanzig', 'hunderteins')."""
    if n == 1:
        return "eins" if final else "ein"
    if n < 20:
        return _DE_1[n]
    if n < 100:
        u = n % 10
        return (de_card(u, False) + "und" if u else "") + _DE_10[n // 10]
    if n < 1000:
        h, r = divmod(n, 100)
        head = ("ein" if ein_hundert else "") if h == 1 else de_card(h, False)
        return head + "hundert" + (de_card(r) if r else "")
    k, r = divmod(n, 1000)
    head = ("ein" if ein_hundert else "") if k == 1 else de_card(k, False)
    return head + "tausend" + (de_card(r, True, ein_hundert) if r else "")


# --------------------------------------------------------------------------------------------- fr

_FR_1 = ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
         "treize", "quatorze", "quinze", "seize", "dix sept", "dix huit", "dix neuf"]
_FR_10 = ["_", "_", "vingt", "trente", "quarante", "cinquante", "soixante"]


def fr_card(n: int, final: bool = True) -> str:
    """70 = soixante dix, 71 = soixante et onze, 80 = quatre vingts (final), 81 = quatre vingt un."""
    if n < 20:
        return _FR_1[n]
    if n < 70:
        t, u = divmod(n, 10)
        return _FR_10[t] + ("" if u == 0 else " et un" if u == 1 else " " + _FR_1[u])
    if n < 80:
        return "soixante " + ("et onze" if n == 71 else _FR_1[n - 60])
    if n < 100:
        if n == 80:
            return "quatre vingts" if final else "quatre vingt"
        return "quatre vingt " + _FR_1[n - 80]
    if n < 1000:
        h, r = divmod(n, 100)
        if h == 1:
            head = "cent"
        else:
            head = _FR_1[h] + (" cents" if r == 0 and final else " cent")
        return head + ("" if r == 0 else " " + fr_card(r, final))
    k, r = divmod(n, 1000)
    head = "mille" if k == 1 else fr_card(k, False) + " mille"
    return head + ("" if r == 0 else " " + fr_card(r, final))


# --------------------------------------------------------------------------------------------- es

_ES_1 = ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once", "doce",
         "trece", "catorce", "quince", "dieciséis", "diecisiete", "dieciocho", "diecinueve", "veinte", "veintiuno",
         "veintidós", "veintitrés", "veinticuatro", "veinticinco", "veintiséis", "veintisiete", "veintiocho",
         "veintinueve"]
_ES_10 = ["_", "_", "veinte", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa"]
_ES_100 = ["_", "ciento", "doscientos", "trescientos", "cuatrocientos", "quinientos", "seiscientos",
           "setecientos", "ochocientos", "novecientos"]


def es_card(n: int, noun: bool = False) -> str:
    """noun=True: the apocopated form before a masculine noun (un euro, veintiún euros, treinta y un días)."""
    if n < 30:
        if noun and n == 1:
            return "un"
        if noun and n == 21:
            return "veintiún"
        return _ES_1[n]
    if n < 100:
        t, u = divmod(n, 10)
        return _ES_10[t] + ("" if u == 0 else " y " + ("un" if u == 1 and noun else _ES_1[u]))
    if n == 100:
        return "cien"
    if n < 1000:
        h, r = divmod(n, 100)
        return _ES_100[h] + ("" if r == 0 else " " + es_card(r, noun))
    k, r = divmod(n, 1000)
    head = "mil" if k == 1 else es_card(k, True) + " mil"
    return head + ("" if r == 0 else " " + es_card(r, noun))


# --------------------------------------------------------------------------------------------- hi

# 0..99: each one lexical word (no regular pattern).
HI_0_99 = (
    "शून्य एक दो तीन चार पाँच छह सात आठ नौ "
    "दस ग्यारह बारह तेरह चौदह पंद्रह सोलह सत्रह अठारह उन्नीस "
    "बीस इक्कीस बाईस तेईस चौबीस पच्चीस छब्बीस सत्ताईस अट्ठाईस उनतीस "
    "तीस इकतीस बत्तीस तैंतीस चौंतीस पैंतीस छत्तीस सैंतीस अड़तीस उनतालीस "
    "चालीस इकतालीस बयालीस तैंतालीस चवालीस पैंतालीस छियालीस सैंतालीस अड़तालीस उनचास "
    "पचास इक्यावन बावन तिरेपन चौवन पचपन छप्पन सत्तावन अट्ठावन उनसठ "
    "साठ इकसठ बासठ तिरसठ चौंसठ पैंसठ छियासठ सड़सठ अड़सठ उनहत्तर "
    "सत्तर इकहत्तर बहत्तर तिहत्तर चौहत्तर पचहत्तर छिहत्तर सतहत्तर अठहत्तर उन्यासी "
    "अस्सी इक्यासी बयासी तिरासी चौरासी पचासी छियासी सत्तासी अट्ठासी नवासी "
    "नब्बे इक्यानबे बानबे तिरानबे चौरानबे पंचानबे छियानबे सत्तानबे अट्ठानबे निन्यानबे"
).split()
assert len(HI_0_99) == 100


def hi_card(n: int, hundreds: bool = False) -> str:
    """hundreds=True: the price reading of 1,100..9,999 in hundreds (1,299 -> बारह सौ निन्यानबे)."""
    if n < 100:
        return HI_0_99[n]
    if hundreds and 1100 <= n <= 9999 and (n // 100) % 10:
        h, r = divmod(n, 100)
        return HI_0_99[h] + " सौ" + ("" if r == 0 else " " + HI_0_99[r])
    if n < 1000:
        h, r = divmod(n, 100)
        return HI_0_99[h] + " सौ" + ("" if r == 0 else " " + HI_0_99[r])
    k, r = divmod(n, 1000)
    return hi_card(k) + " हज़ार" + ("" if r == 0 else " " + hi_card(r))


# --------------------------------------------------------------------------------------------- zh

_ZH_D = "零一二三四五六七八九"


def zh_card(n: int, liang: bool = False) -> str:
    """liang=True: 两 for a leading 2 before 百/千 (两百, 两千); 十 alone for 10-19, 一十 inside (一百一十)."""
    if n < 10:
        return _ZH_D[n]
    out = []
    digits = [(n // 1000) % 10, (n // 100) % 10, (n // 10) % 10, n % 10]
    units = ["千", "百", "十", ""]
    started = zero = False
    for i, (d, u) in enumerate(zip(digits, units)):
        if d == 0:
            zero = started
            continue
        if zero:
            out.append("零")
            zero = False
        if u == "十" and d == 1 and not started:
            out.append("十")
        else:
            out.append("两" if (liang and d == 2 and not started and u in ("百", "千")) else _ZH_D[d])
            out.append(u)
        started = True
    return "".join(out)


# ------------------------------------------------------------------------------------------ prices

def split_price(value: Decimal) -> tuple[int, int, int]:
    """(major, minor, digits written after the separator: 0, 1 (zh 59.9) or 2)."""
    t = value.as_tuple()
    nd = max(0, -t.exponent)
    major = int(value)
    minor = int(((value - major) * (10 ** nd)).to_integral_value()) if nd else 0
    return major, minor, nd


class Lang:
    """Per-language rules behind one interface: cardinals, prices (canonical + variants), % and codes."""

    code = ""
    currency = ""
    joiner = " "

    def card(self, n: int) -> str:
        raise NotImplementedError

    def count(self, n: int) -> str:
        """A count before a noun (es: apocope, zh: 两)."""
        return self.card(n)

    def price(self, value: Decimal) -> str:
        raise NotImplementedError

    def price_variants(self, value: Decimal) -> list[str]:
        return []

    def percent(self, n: int) -> str:
        raise NotImplementedError

    def written_price(self, value: Decimal, style: int = 0) -> str:
        raise NotImplementedError

    def written_percent(self, n: int) -> str:
        return f"{n} %"


class En(Lang):
    code, currency = "en", "USD"

    def card(self, n):
        return en_card(n)

    def price(self, v):
        major, minor, nd = split_price(v)
        if not nd or minor == 0:
            return f"{en_card(major)} {'dollar' if major == 1 else 'dollars'}"
        return f"{en_card(major)} {en_card(minor)}"  # $19.99 -> nineteen ninety nine (DEV)

    def price_variants(self, v):
        major, minor, nd = split_price(v)
        out = []
        if nd and minor:
            out += [f"{en_card(major)} dollars {en_card(minor)}",
                    f"{en_card(major)} dollars and {en_card(minor)} cents"]
        else:
            out.append(f"{en_card(major)} bucks")
        if 1100 <= major <= 9999 and (major // 100) % 10:
            h, r = divmod(major, 100)
            out.append(f"{en_card(h)} hundred" + (f" {en_card(r)}" if r else "") + " dollars"
                       + (f" and {en_card(minor)} cents" if minor else ""))
        return out

    def percent(self, n):
        return f"{en_card(n)} percent"

    def written_price(self, v, style=0):
        major, minor, nd = split_price(v)
        return f"${major:,}" + (f".{minor:02d}" if nd else "")

    def written_percent(self, n):
        return f"{n}%"


class De(Lang):
    code, currency = "de", "EUR"

    def card(self, n):
        return de_card(n)

    def count(self, n):
        return de_card(n, final=(n != 1))

    def price(self, v):
        major, minor, nd = split_price(v)
        head = ("ein" if major == 1 else de_card(major)) + " Euro"
        return head + (f" {de_card(minor)}" if minor else "")

    def price_variants(self, v):
        major, minor, nd = split_price(v)
        out = []
        if minor:
            out += [f"{de_card(major)} Euro und {de_card(minor)} Cent", f"{de_card(major)} {de_card(minor)}"]
        if major >= 100 and (major < 200 or 1000 <= major < 2000):
            out.append(de_card(major, ein_hundert=True) + " Euro" + (f" {de_card(minor)}" if minor else ""))
        if 1100 <= major <= 1999 and (major // 100) % 10:
            h, r = divmod(major, 100)
            out.append(de_card(h, False) + "hundert" + (de_card(r) if r else "") + " Euro"
                       + (f" {de_card(minor)}" if minor else ""))
        return out

    def percent(self, n):
        return f"{de_card(n)} Prozent"

    def written_price(self, v, style=0):
        major, minor, nd = split_price(v)
        m = f"{major:,}".replace(",", ".") if major >= 1000 else str(major)
        return m + (f",{minor:02d}" if nd else "") + " €"


class Fr(Lang):
    code, currency = "fr", "EUR"

    def card(self, n):
        return fr_card(n)

    def price(self, v):
        major, minor, nd = split_price(v)
        head = fr_card(major) + (" euro" if major == 1 else " euros")
        return head + (f" {fr_card(minor)}" if minor else "")

    def price_variants(self, v):
        major, minor, nd = split_price(v)
        if not minor:
            return []
        return [f"{fr_card(major)} euros et {fr_card(minor)} centimes", f"{fr_card(major)} {fr_card(minor)}"]

    def percent(self, n):
        return f"{fr_card(n)} pour cent"

    def written_price(self, v, style=0):
        major, minor, nd = split_price(v)
        # French groups thousands with a narrow no-break space (U+202F); 4-digit amounts often ungrouped.
        m = f"{major:,}".replace(",", "\u202f") if major >= 1000 and style == 1 else str(major)
        return m + (f",{minor:02d}" if nd else "") + " €"


class Es(Lang):
    code, currency = "es", "EUR"

    def card(self, n):
        return es_card(n)

    def count(self, n):
        return es_card(n, noun=True)

    def price(self, v):
        major, minor, nd = split_price(v)
        head = es_card(major, True) + (" euro" if major == 1 else " euros")
        return head + (f" con {es_card(minor)}" if minor else "")

    def price_variants(self, v):
        major, minor, nd = split_price(v)
        if not minor:
            return []
        # without the noun no apocope: "noventa y uno con cuarenta y cinco" (but "noventa y un euros")
        return [f"{es_card(major)} con {es_card(minor)}", f"{es_card(major, True)} euros {es_card(minor)}"]

    def percent(self, n):
        return f"{es_card(n)} por ciento"

    def written_price(self, v, style=0):
        major, minor, nd = split_price(v)
        m = f"{major:,}".replace(",", ".") if major >= 1000 and style == 1 else str(major)
        return m + (f",{minor:02d}" if nd else "") + " €"


class Hi(Lang):
    code, currency = "hi", "INR"

    def card(self, n):
        return hi_card(n)

    def price(self, v):
        major, minor, nd = split_price(v)
        return hi_card(major, hundreds=True) + " रुपये" + (f" {HI_0_99[minor]} पैसे" if minor else "")

    def price_variants(self, v):
        major, minor, nd = split_price(v)
        if 1100 <= major <= 9999 and (major // 100) % 10:
            return [hi_card(major) + " रुपये"]
        return []

    def percent(self, n):
        return f"{hi_card(n)} प्रतिशत"

    def written_price(self, v, style=0):
        major, minor, nd = split_price(v)
        return f"₹{major:,}" + (f".{minor:02d}" if nd else "")

    def written_percent(self, n):
        return f"{n}%"


class Zh(Lang):
    code, currency, joiner = "zh", "CNY", ""

    def card(self, n):
        return zh_card(n)

    def count(self, n):
        return "两" if n == 2 else zh_card(n, liang=True)

    @staticmethod
    def _major(n: int, alt: bool = False) -> str:
        """二百 below a thousand (as DEV: 二百六十九元), 两千 above; alt=True gives the other one."""
        liang = n >= 1000
        return zh_card(n, liang=(not liang) if alt else liang)

    def price(self, v):
        major, minor, nd = split_price(v)
        if not minor:
            return self._major(major) + "元"
        if nd == 1:
            return self._major(major) + "块" + _ZH_D[minor]  # 59.9 -> 五十九块九 (DEV)
        jiao, fen = divmod(minor, 10)
        return self._major(major) + "块" + _ZH_D[jiao] + ("毛" + _ZH_D[fen] if fen else "")

    def price_variants(self, v):
        major, minor, nd = split_price(v)
        out = []
        lead2 = str(major)[0] == "2" and major >= 200
        if not minor:
            out.append(self._major(major) + "块")
            if lead2:
                out.append(self._major(major, alt=True) + "元")
            return out
        digits = f"{minor:0{nd}d}".rstrip("0")
        out.append(self._major(major) + "点" + "".join(_ZH_D[int(c)] for c in digits) + "元")
        if nd == 1:
            out.append(self._major(major) + "元" + _ZH_D[minor] + "角")
        return out

    def percent(self, n):
        return "百分之" + zh_card(n)

    def written_price(self, v, style=0):
        major, minor, nd = split_price(v)
        num = str(major) + (f".{minor:0{nd}d}" if nd else "")
        if style == 1:
            return num + "元"
        if style == 2 and nd == 1:
            return f"{major}块{minor}"
        return "¥" + num

    def written_percent(self, n):
        return f"{n}%"


LANGS: dict[str, Lang] = {c.code: c() for c in (En, De, Fr, Es, Hi, Zh)}
