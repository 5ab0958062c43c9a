"""Numbers: written <-> spoken per language, compared by value (conventions of the ads data)."""
import json
from decimal import Decimal

import captioner.numbers as num
from pathlib import Path

import pytest

from captioner.numbers import (Amount, number_role, number_to_words, parse_spoken, parse_written, same_value, to_written,
                               verbalize)

FIX = Path(__file__).parent / "fixtures" / "hint"


@pytest.mark.parametrize("token,lang,spoken", [
    ("$49", "en", "forty nine dollars"),
    ("$129", "en", "one hundred twenty nine dollars"),
    ("$19.99", "en", "nineteen ninety nine"),
    ("20%", "en", "twenty percent"),
    ("GLOW20", "en", "glow twenty"),
    ("12", "en", "twelve"),
    ("39,99 €", "de", "neununddreißig Euro neunundneunzig"),
    ("99 %", "de", "neunundneunzig Prozent"),
    ("INGWER20", "de", "ingwer zwanzig"),
    ("24,90 €", "fr", "vingt quatre euros quatre vingt dix"),
    ("19,90 €", "fr", "dix neuf euros quatre vingt dix"),
    ("15 %", "fr", "quinze pour cent"),
    ("29,99 €", "es", "veintinueve euros con noventa y nueve"),
    ("8,50 €", "es", "ocho euros con cincuenta"),
    ("250", "es", "doscientos cincuenta"),
    ("₹499", "hi", "चार सौ निन्यानबे रुपये"),
    ("₹1,299", "hi", "बारह सौ निन्यानबे रुपये"),
    ("40%", "hi", "चालीस प्रतिशत"),
    ("¥199", "zh", "一百九十九元"),
    ("¥59.9", "zh", "五十九块九"),
    ("8折", "zh", "八折"),
    ("30%", "zh", "百分之三十"),
    ("2026-11-23", "en", "November twenty third twenty twenty six"),
    ("2026年11月23日", "zh", "二零二六年十一月二十三日"),
])
def test_verbalize(token, lang, spoken):
    assert verbalize(token, lang) == spoken


def test_not_a_number():
    assert verbalize("Lumewell", "en") is None
    assert verbalize("", "de") is None
    with pytest.raises(ValueError):
        verbalize("$5", "xx")


@pytest.mark.parametrize("n,lang,words", [
    (71, "fr", "soixante et onze"), (80, "fr", "quatre vingts"), (200, "fr", "deux cents"),
    (21, "de", "einundzwanzig"), (1999, "de", "tausendneunhundertneunundneunzig"),
    (101, "es", "ciento uno"), (500, "es", "quinientos"), (105, "zh", "一百零五"), (10, "zh", "十"),
    (100000, "hi", "एक लाख"), (1001, "en", "one thousand one"),
])
def test_number_to_words(n, lang, words):
    assert number_to_words(n, lang) == words


@pytest.mark.parametrize("lang", ["en", "de", "fr", "es", "hi", "zh"])
def test_round_trip_by_value(lang):
    for n in list(range(0, 130)) + [199, 250, 499, 999, 1299, 2026, 10500]:
        cands = parse_spoken(number_to_words(n, lang), lang)
        assert Amount("number", Decimal(n)) in cands, (n, number_to_words(n, lang), cands)


def test_prices_compare_by_value():
    assert same_value(parse_written("$49", "en"), parse_spoken("forty nine dollars", "en"))
    assert not same_value(parse_written("$49", "en"), parse_spoken("forty dollars", "en"))
    assert same_value(parse_written("$19.99", "en"), parse_spoken("nineteen ninety nine", "en"))
    assert same_value(parse_written("59,99 €", "de"), parse_spoken(["59", "Euro", "99"], "de"))  # "59 Euro 99" is 59,99 €
    assert same_value(parse_written("¥59.9", "zh"), parse_spoken("五十九块九", "zh"))
    assert not same_value(parse_written("¥199", "zh"), parse_spoken("一百六十九元", "zh"))
    assert same_value(parse_written("GLOW20", "en"), parse_spoken("glow 20", "en"))
    assert not same_value(parse_written("GLOW20", "en"), parse_spoken("20%", "en"))
    assert not same_value(parse_written("$49", "en"), parse_spoken("49 €", "en"))  # currency differs


def test_sentence_punctuation_of_every_script_ends_a_number():
    # "₹4,999।" (Devanagari danda) and "¥199。" are the price, not an unknown word that nobody checks
    assert parse_written("₹4,999।", "hi") == Amount("price", Decimal(4999), "INR")
    assert parse_written("₹499॥", "hi") == Amount("price", Decimal(499), "INR")
    assert parse_written("¥199。", "zh") == Amount("price", Decimal(199), "CNY")


def test_decimal_conventions():
    assert parse_written("1,299", "en").value == Decimal(1299)
    assert parse_written("1.299", "de").value == Decimal(1299)
    assert parse_written("39,99", "de").value == Decimal("39.99")
    assert parse_written("₹1,299", "hi") == Amount("price", Decimal(1299), "INR")


def test_to_written():
    assert to_written(Amount("price", Decimal(40), "USD"), "en") == "$40"
    assert to_written(Amount("price", Decimal("29.9"), "EUR"), "fr") == "29,90 €"
    assert to_written(Amount("price", Decimal(169), "CNY"), "zh") == "¥169"
    assert to_written(Amount("percent", Decimal(20)), "de") == "20 %"


def test_all_dev_pairs_in_fixtures():
    """Every written/spoken pair of the fixture ads: verbalize matches the faithful reading, and the
    value comparison is equal exactly when the voice did not deviate."""
    n = 0
    for meta_path in sorted(FIX.glob("*/meta.json")):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        lang = meta["language"]
        for key in ("prices", "percentages", "promo_codes", "numbers"):
            for p in meta.get(key, []):
                n += 1
                assert verbalize(p["written"], lang).lower() == (p.get("expected_spoken") or p["spoken"]).lower()
                assert same_value(parse_written(p["written"], lang), parse_spoken(p["spoken"], lang)) == (not p.get("deviates", False))
    assert n >= 5


# the same price read in every way a voice or a recogniser writes it: digits, words, hyphens, umlauts,
# a currency word between major and minor, a conjunction ("con", "and ... cents"), Indian and Chinese forms
@pytest.mark.parametrize("written,lang,spoken", [
    ("59,99 €", "de", "59 Euro 99"),
    ("59,99 €", "de", "neunundfünfzig Euro neunundneunzig"),
    ("59,99 €", "de", "neunundfünfzig Euro und neunundneunzig Cent"),
    ("59 €", "de", "neun und fünfzig Euro"),
    ("55 %", "de", "fünfundfünfzig Prozent"),
    ("39,99 €", "de", "39,99 €"),
    ("$49.99", "en", "forty-nine ninety-nine"),
    ("$49.99", "en", "$49 99"),
    ("$49.99", "en", "forty nine dollars and ninety nine cents"),
    ("$49.99", "en", "49.99"),
    ("$0.99", "en", "ninety nine cents"),
    ("$1,299", "en", "one thousand two hundred ninety nine dollars"),
    ("$1,299", "en", "twelve ninety nine"),
    ("49,99 €", "fr", "quarante-neuf euros quatre-vingt-dix-neuf"),
    ("49,99 €", "fr", "49 euros 99"),
    ("79 €", "fr", "soixante-dix-neuf euros"),
    ("71 €", "fr", "soixante-et-onze euros"),
    ("29,99 €", "es", "29 euros con 99"),
    ("29,99 €", "es", "veintinueve euros con noventa y nueve"),
    ("29,99 €", "es", "veintinueve con noventa y nueve"),
    ("₹2,999", "hi", "दो हज़ार नौ सौ निन्यानबे रुपये"),
    ("₹2,999", "hi", "उनतीस सौ निन्यानबे रुपये"),
    ("₹2,999", "hi", "2999 रुपये"),
    ("₹499.50", "hi", "चार सौ निन्यानबे रुपये पचास पैसे"),
    ("¥59.9", "zh", "五十九块九"),
    ("¥59.9", "zh", "59块9"),
    ("¥59.99", "zh", "五十九块九毛九"),
    ("¥200", "zh", "两百元"),
    ("¥200", "zh", "两百块"),
    ("$1,299.99", "en", "twelve ninety nine ninety nine"),  # hundreds in pairs, then the cents
    ("$1,299.99", "en", "twelve ninety-nine dollars ninety-nine"),
    ("$1,299", "en", "twelve ninety nine"),
    ("$1,299", "en", "twelve hundred ninety nine dollars"),
])
def test_spoken_variants_have_the_written_value(written, lang, spoken):
    assert same_value(parse_written(written, lang), parse_spoken(spoken, lang)), parse_spoken(spoken, lang)


@pytest.mark.parametrize("written,lang,spoken", [
    ("$19", "en", "nineteen ninety nine"),  # a reading must account for every number said
    ("$49", "en", "forty nine dollars ninety nine"),
    ("$49.99", "en", "forty nine dollars"),
    ("59,99 €", "de", "59 Euro 89"),
    ("59,99 €", "de", "neunundvierzig Euro neunundneunzig"),
    ("49 €", "fr", "quarante euros"),
    ("79 €", "fr", "soixante dix euros"),
    ("29,99 €", "es", "29 euros con 89"),
    ("₹2,999", "hi", "चार हज़ार नौ सौ निन्यानबे रुपये"),
    ("¥59.9", "zh", "四十九块九"),
    ("¥199", "zh", "两百九十九元"),
    ("$1,299.99", "en", "twelve ninety nine eighty nine"),
    ("$1,299.99", "en", "eleven ninety nine ninety nine"),
])
def test_changed_values_never_compare_equal(written, lang, spoken):
    assert not same_value(parse_written(written, lang), parse_spoken(spoken, lang)), parse_spoken(spoken, lang)


def test_a_phrase_with_more_numbers_than_one_amount_has_no_reading():
    assert parse_spoken("99 50 Euro 99", "de") == []
    assert parse_spoken("twenty four seven", "en") == []
    assert parse_spoken("forty nine ninety nine nine", "en") == []  # three numbers, not pairs and cents
    assert parse_spoken("twelve ninety nine cents ninety nine", "en") == []


def test_four_digit_prices_are_scored_in_pairs_too():
    """The judge scores the script's reading in every common wording: "$1,299.99" is also "twelve ninety nine
    ninety nine", "$1,205" also "twelve oh five dollars"."""
    from captioner.numbers import spoken_variants

    assert "twelve ninety nine ninety nine" in spoken_variants(parse_written("$1,299.99", "en"), "en")
    assert "twelve oh five dollars" in spoken_variants(parse_written("$1,205", "en"), "en")
    assert "twelve hundred ninety nine dollars" in spoken_variants(parse_written("$1,299", "en"), "en")
    assert not any("twenty" in v for v in spoken_variants(parse_written("$2,000", "en"), "en"))


@pytest.mark.parametrize("token,lang,role", [
    ("neunundfünfzig", "de", "value"), ("quatre-vingt-dix-neuf", "fr", "value"), ("forty-nine", "en", "value"),
    ("39", "de", "value"), ("$49", "en", "value"), ("两百", "zh", "value"), ("निन्यानबे", "hi", "value"),
    ("Euro", "de", "joiner"), ("con", "es", "joiner"), ("cents", "en", "joiner"), ("块", "zh", "joiner"),
    ("Kissen", "de", None), ("semaine", "fr", None),
])
def test_number_role(token, lang, role):
    assert number_role(token, lang) == role


@pytest.mark.parametrize("written,value", [("81块8", "81.8"), ("81元8角", "81.8"), ("59块9毛9", "59.99"), ("99块", "99"),
                                           ("5毛", "0.5"), ("81块8。", "81.8")])
def test_chinese_colloquial_written_prices(written, value):
    a = parse_written(written, "zh")
    assert a is not None and a.kind == "price" and a.currency == "CNY" and a.value == Decimal(value)
    assert parse_written("81块8", "en") is None  # only in Chinese text


def test_a_changed_chinese_price_keeps_the_scripts_way_of_writing_it():
    from decimal import Decimal as D

    cny = lambda v: Amount("price", D(v), "CNY")
    assert to_written(cny("81.5"), "zh", like="81块8") == "81块5"
    assert to_written(cny("81"), "zh", like="81块8。") == "81块"
    assert to_written(cny("59.95"), "zh", like="59块9毛9") == "59块9毛5"
    assert to_written(cny("70.5"), "zh", like="81元8角") == "70元5角"
    assert to_written(cny("81.85"), "zh", like="81块8") == "¥81.85"  # "81块85" would read as two numbers
    assert to_written(cny("12"), "zh", like="¥81.8") == "¥12" and to_written(cny("12"), "zh") == "¥12"


def test_a_spoken_value_is_written_in_the_script_style_of_grouping():
    """A four-digit value shown for the script's "1.499 €" is "1.245 €"; for "1499 €" it stays "1245 €"."""
    from decimal import Decimal

    from captioner.numbers import Amount, to_written

    a = Amount("price", Decimal("1245"), "EUR")
    assert to_written(a, "de", like="1.499 €") == "1.245 €"
    assert to_written(a, "es", like="1.499 €") == "1.245 €"
    assert to_written(a, "fr", like="1\u202f499 €") == "1\u202f245 €"
    assert to_written(a, "de", like="1499 €") == "1245 €"
    assert to_written(a, "de") == "1245 €"
    assert to_written(Amount("price", Decimal("12345.5"), "EUR"), "de") == "12.345,50 €"
    # English the same way: a year-like "1998" replaced by "1988", never "1,988"
    assert to_written(Amount("number", Decimal("1988")), "en", like="1998") == "1988"
    assert to_written(Amount("number", Decimal("1988")), "en", like="999") == "1,988"
    assert to_written(Amount("price", Decimal("1245"), "USD"), "en", like="$1,499") == "$1,245"
    assert to_written(Amount("price", Decimal("12450"), "USD"), "en", like="$1499") == "$12,450"


@pytest.mark.parametrize("text, value", [
    ("चार सौ निन्यानवे रुपये", 499), ("दो हज़ार नौ सौ निन्यानवे रुपये", 2999), ("उनतीस सौ निन्यानवे रुपये", 2999),
    ("तिरानवे रुपये", 93), ("एक हज़ार एक सौ पचानवे रुपये", 1195), ("चार सौ निन्यानबे रुपये", 499),
])
def test_hindi_number_words_in_either_common_spelling(text, value):
    """The nineties are written -नबे and -नवे alike; the -नवे ones were unknown words (₹2,999 read as ₹2,900)."""
    assert num.parse_spoken(text, "hi")[0].value == value


@pytest.mark.parametrize("token, lang, value, cur", [
    ("USD 19.99", "en", "19.99", "USD"), ("GBP 12.50", "en", "12.50", "GBP"), ("EUR 19,99", "de", "19.99", "EUR"),
    ("19€99", "fr", "19.99", "EUR"), ("19,- €", "de", "19", "EUR"), ("$19.99*", "en", "19.99", "USD"),
    ("Rs. 499", "hi", "499", "INR"), ("$ 19.99", "en", "19.99", "USD"),
])
def test_written_prices_in_the_shapes_users_type(token, lang, value, cur):
    a = num.parse_written(token, lang)
    assert a is not None and a.kind == "price" and a.value == Decimal(value) and a.currency == cur
    assert num.parse_written("EUR20", "en").kind == "code"  # without a space a code-like token stays a promo code


@pytest.mark.parametrize("like, lang, value, out", [
    ("USD 19.99", "en", "18.99", "USD 18.99"), ("Rs. 499", "hi", "599", "Rs. 599"), ("$19.99*", "en", "18.99", "$18.99*"),
    ("1\u00a0299 €", "fr", "1399", "1\u00a0399 €"), ("EUR 19,99", "de", "18.99", "EUR 18,99"),
])
def test_a_replacing_value_keeps_the_scripts_writing(like, lang, value, out):
    a = num.parse_written(like, lang)
    assert num.to_written(num.Amount("price", Decimal(value), a.currency), lang, like=like) == out


@pytest.mark.parametrize("token, lang, kind, value, said", [
    ("-20 %", "de", "percent", "20", "minus zwanzig Prozent"), ("10,000+", "en", "number", "10000", "ten thousand plus"),
    ("10k+", "en", "number", "10000", "ten thousand plus"), ("3x", "en", "number", "3", "three times"),
    ("#1", "en", "number", "1", "number one"), ("4.8★", "en", "number", "4.8", "four point eight stars"),
    ("n°1", "fr", "number", "1", "numéro un"),
])
def test_signs_around_a_number_are_read_and_said(token, lang, kind, value, said):
    a = num.parse_written(token, lang)
    assert a.kind == kind and a.value == Decimal(value)
    assert num.verbalize(token, lang) == said
    assert num.parse_written("30%-40%", "en") is None and num.parse_written("4K", "en") is None  # not these


def test_digits_before_a_scale_word_are_one_number():
    assert num.parse_spoken(["2", "million"], "en")[0].value == 2_000_000
    assert num.parse_spoken(["3", "लाख"], "hi")[0].value == 300_000
    assert num.parse_spoken(["39", "Euro", "99"], "de")[0].value == Decimal("39.99")  # still not "39 × …"


@pytest.mark.parametrize("text, lang, date", [
    ("December 31st, 2026", "en", (2026, 12, 31)), ("31. Dezember", "de", (0, 12, 31)), ("31 décembre", "fr", (0, 12, 31)),
    ("31 de diciembre de 2026", "es", (2026, 12, 31)), ("31 दिसंबर", "hi", (0, 12, 31)), ("Dec. 31", "en", (0, 12, 31)),
])
def test_spoken_dates_with_month_names(text, lang, date):
    assert [a.date for a in num.parse_spoken(text, lang)] == [date]
    assert num.parse_spoken("you may love it", "en") == [] and num.parse_spoken("May 5 and 6", "en") == []


@pytest.mark.parametrize("token, lang, date", [
    ("12/31", "en", (0, 12, 31)), ("31.12.", "de", (0, 12, 31)), ("31/12", "fr", (0, 12, 31)), ("31/12", "es", (0, 12, 31)),
    ("7/4", "en", None), ("24/7", "fr", None), ("1.5", "de", None), ("19.99", "de", None),
])
def test_written_day_and_month_without_a_year(token, lang, date):
    a = num.parse_written(token, lang)
    assert (a.date if a is not None and a.kind == "date" else None) == date


def test_chinese_discounts_are_tenths_of_the_price():
    for t in ("85折", "8.5折", "八五折"):
        assert num.parse_written(t, "zh").value == Decimal("8.5")
    assert num.parse_written("八折", "zh").value == 8 and num.verbalize("8.5折", "zh") == "八五折"
    assert num.to_written(num.Amount("discount", Decimal("7.5")), "zh", like="85折") == "75折"
    assert num.parse_written("¥ 99", "zh").value == 99 and num.parse_written("रु. 499", "hi").currency == "INR"


@pytest.mark.parametrize("text, value", [("डेढ़ लाख रुपये", 150000), ("ढाई हज़ार रुपये", 2500), ("साढ़े तीन सौ रुपये", 350),
                                         ("डेढ़ सौ", 150), ("साढ़े चार", Decimal("4.5"))])
def test_hindi_halves(text, value):
    """"₹1.5 लाख" said "डेढ़ लाख" was a false price_mismatch: the halves were no number words."""
    assert num.parse_spoken(text, "hi")[0].value == value


@pytest.mark.parametrize("token, lang, value, said", [
    ("11:59", "en", "11.59", "eleven fifty nine"),
    ("11:59 PM", "en", "11.59", "eleven fifty nine p m"),
    ("9am", "en", "9", "nine a m"),
    ("9:05", "en", "9.05", "nine oh five"),
    ("23:59 Uhr", "de", "23.59", "dreiundzwanzig Uhr neunundfünfzig"),
    ("20 Uhr", "de", "20", "zwanzig Uhr"),
    ("23h59", "fr", "23.59", "vingt trois heures cinquante neuf"),
    ("23:59", "es", "23.59", "veintitrés cincuenta y nueve"),
    ("23:59", "zh", "23.59", "二十三点五十九分"),
])
def test_a_time_of_day_is_read_and_said(token, lang, value, said):
    a = parse_written(token, lang)
    assert a is not None and a.kind == "time" and a.value == Decimal(value)
    assert num.verbalize(token, lang) == said
    assert same_value(a, parse_spoken(said, lang)), parse_spoken(said, lang)


def test_a_changed_time_keeps_the_scripts_way_of_writing_it():
    t = Amount("time", Decimal("22.05"))
    assert to_written(t, "de", like="23:59\u00a0Uhr") == "22:05\u00a0Uhr"
    assert to_written(t, "fr", like="23h59") == "22h05"
    assert to_written(Amount("time", Decimal("8")), "en", like="9am") == "8am"
    assert to_written(Amount("time", Decimal("18")), "de", like="20\u00a0Uhr") == "18\u00a0Uhr"  # not "18:00 Uhr"
    assert to_written(t, "en", like="11:59 PM") == "22:05 PM"
    assert not same_value(parse_written("11:59 PM", "en"), parse_spoken("eleven forty nine PM", "en"))
    assert not same_value(parse_written("23:59 Uhr", "de"), parse_spoken("zweiundzwanzig Uhr neunundfünfzig", "de"))
    assert parse_written("25:61", "en") is None and parse_written("10 am", "de") is None
    assert parse_spoken("23点59分", "zh") == [Amount("time", Decimal("23.59"))]
    assert parse_spoken("八十一点九", "zh")[0].kind == "number"  # "点" alone is still the decimal point
    assert parse_spoken("nineteen oh five", "en")[0] == Amount("number", Decimal("1905"))


@pytest.mark.parametrize("text, lang, value", [
    ("four point nine", "en", "4.9"), ("one point two five", "en", "1.25"), ("vier Komma neun", "de", "4.9"),
    ("quatre virgule neuf", "fr", "4.9"), ("cuatro coma nueve", "es", "4.9"), ("cuatro punto nueve", "es", "4.9"),
])
def test_a_decimal_point_said_as_a_word(text, lang, value):
    """"four point nine" once read as a price in pounds (4.09 GBP: "point" looked like a garbled "pound")."""
    assert parse_spoken(text, lang)[0] == Amount("number", Decimal(value))
    assert parse_spoken(text.replace("nine", "nine percent").replace("neun", "neun Prozent"), lang)[0].kind in ("percent", "number")


@pytest.mark.parametrize("token, lang, value", [
    ("1,299.00 €", "de", "1299.00"), ("1.299,00 €", "de", "1299.00"), ("$1.299,00", "en", "1299.00"),
    ("$1,299.00", "en", "1299.00"), ("1.299.000", "de", "1299000"), ("1,299,000.5", "en", "1299000.5"),
])
def test_both_separators_the_last_is_the_decimal_point(token, lang, value):
    """"1,299.00 €" in a German script once read as 129,900 € (a careless copy from an English price list)."""
    assert parse_written(token, lang).value == Decimal(value)


@pytest.mark.parametrize("token, lang, value, said", [
    ("1M", "en", "1000000", "one million"), ("1.5M", "en", "1500000", "one point five million"),
    ("2,5 Mio.", "de", "2500000", "zwei Komma fünf Millionen"), ("3 Mrd.", "de", "3000000000", "drei Milliarden"),
    ("2M", "fr", "2000000", "deux millions"), ("2,5M", "es", "2500000", "dos coma cinco millones"),
])
def test_counts_with_a_short_scale(token, lang, value, said):
    a = parse_written(token, lang)
    assert a.kind == "number" and a.value == Decimal(value)
    assert num.verbalize(token, lang) == said
    assert same_value(a, parse_spoken(said, lang))


@pytest.mark.parametrize("text, lang, value", [
    ("a hundred", "en", 100), ("a million", "en", 10**6), ("eineinhalb Millionen", "de", 1500000),
    ("anderthalb", "de", Decimal("1.5")), ("deux milliards", "fr", 2 * 10**9), ("tres mil millones", "es", 3 * 10**9),
])
def test_scale_words_and_halves(text, lang, value):
    assert parse_spoken(text, lang)[-1].value == Decimal(value)
