"""Seeded generator of ad-like scripts with modelled word timings and labelled units, in six languages.

For the layout benchmark only (`bench_layout.py --set gen`): no audio. Each ad is 3–5 sentences drawn from
templates per language (hook, product + claim, price or discount, promo code, call to action), with invented
brand names, product names of one to three words, prices in the language's written format, numbers with units,
percentages and promo codes. Caption words are the script's tokens as the correction stage makes them
(`hint.script_tokens`); each word is timed by a syllable model (vowel groups; Chinese: one syllable per
character, Hindi: one per akshara vowel) at a speaking rate drawn per ad (150–230 words per minute for Latin
scripts, 3.6–5.4 syllables per second for Chinese), with pauses drawn at sentence ends (0.25–0.6 s) and commas
(0.08–0.2 s). Labels (`units`: kind + word span) mark every price, percentage, number + unit, promo code + its
lead-in and brand term, so the benchmark can check the layout against labels it did not produce.

    python benchmarks/genscripts.py --seed 15 --per-language 10    # prints a sample
"""
from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass, field

SYL = {"c": "bcdfghjklmnprstvz", "v": "aeiou"}

T = {
    "en": {
        "hook": ["Tired of {pain}?", "I tried {brand} {product} for a week.", "Stop scrolling if you want {goal}.",
                 "This changed my morning routine.", "Nobody told me about {brand} until now."],
        "claim": ["{brand} {product} gives you {goal} in {n} {unit}.", "It lasts {n} {unit} and fits in your bag.",
                  "The {product} from {brand} is made with {n} {unit} of {stuff}.",
                  "Over {n} {people} switched to {brand} this year."],
        "price": ["Get it today for just {price}.", "Now only {price}, down from {price2}.", "Only {price} with free shipping.",
                  "Save {pct} on your first order."],
        "code": ["Use code {code} for {pct} off.", "Enter the code {code} at checkout.", "Take {pct} off with code {code}."],
        "cta": ["Tap the link below!", "Order now and thank me later.", "Grab yours before it sells out!", "Shop now!"],
        "pain": ["dull skin", "tangled cables", "cold coffee", "sore feet", "a messy kitchen"],
        "goal": ["glowing skin", "better sleep", "more energy", "a cleaner home", "all-day comfort"],
        "product": ["Glow Serum", "sleep mask", "Power Bank", "cold brew pods", "Hair Oil", "running socks"],
        "stuff": ["vitamin C", "green tea", "organic cotton", "coconut oil"],
        "unit": ["hours", "days", "grams", "minutes", "washes"], "people": ["customers", "parents", "runners"],
        "price_fmt": "${v}", "pct_fmt": "{v}%",
    },
    "de": {
        "hook": ["Kennst du das Problem mit {pain}?", "Ich habe {brand} {product} getestet.", "Das hat meinen Alltag verändert.",
                 "Schluss mit {pain}!"],
        "claim": ["{brand} {product} hält {n} {unit} durch.", "Der Akku hält {n} {unit} und passt in jede Tasche.",
                  "Mit dem {product} von {brand} sparst du jeden Tag Zeit.", "Schon {n} {people} nutzen {brand}."],
        "price": ["Jetzt nur {price} statt {price2}.", "Heute für {price} mit kostenlosem Versand.", "Spare {pct} auf deine erste Bestellung."],
        "code": ["Mit dem Code {code} sparst du {pct}.", "Spare {pct} mit dem Code {code}.", "Gib den Code {code} an der Kasse ein."],
        "cta": ["Link in der Bio!", "Jetzt bestellen!", "Hol sie dir jetzt!", "Schnell sein lohnt sich!"],
        "pain": ["trockener Haut", "kaltem Kaffee", "müden Augen", "verhedderten Kabeln"],
        "product": ["Nackenkissen", "Powerbank", "Gesichtsserum", "Zahnbürste", "Laufschuhe"],
        "unit": ["Stunden", "Tage", "Gramm", "Minuten"], "people": ["Kunden", "Familien", "Läufer"],
        "price_fmt": "{v} €", "pct_fmt": "{v} %",
    },
    "fr": {
        "hook": ["Marre de {pain} ?", "J'ai testé {brand} pendant une semaine.", "Ce produit a changé ma routine.",
                 "Personne ne m'avait parlé de {brand} !"],
        "claim": ["{brand} {product} tient {n} {unit} sans recharge.", "Le {product} de {brand} contient {n} {unit} de {stuff}.",
                  "Déjà {n} {people} ont adopté {brand}."],
        "price": ["Seulement {price} au lieu de {price2}.", "Aujourd'hui à {price} avec la livraison offerte.",
                  "Profite de {pct} de remise cette semaine !"],
        "code": ["Avec le code {code}, tu as {pct} de réduction.", "Utilise le code {code} pour {pct} de remise."],
        "cta": ["Commande maintenant !", "Clique sur le lien !", "Fonce, les stocks sont limités !"],
        "pain": ["la peau sèche", "les câbles emmêlés", "la fatigue du matin"],
        "product": ["sérum éclat", "oreiller", "batterie externe", "huile capillaire"], "stuff": ["vitamine C", "thé vert", "coton bio"],
        "unit": ["heures", "jours", "grammes", "minutes"], "people": ["clients", "familles", "sportifs"],
        "price_fmt": "{v} €", "pct_fmt": "{v} %",
    },
    "es": {
        "hook": ["¿Cansada de {pain}?", "Probé {brand} durante una semana.", "Esto cambió mi rutina de mañana.",
                 "¡Nadie me habló de {brand} antes!"],
        "claim": ["{brand} {product} dura {n} {unit} sin cargar.", "El {product} de {brand} tiene {n} {unit} de {stuff}.",
                  "Ya son {n} {people} los que usan {brand}."],
        "price": ["Ahora solo {price} con envío gratis.", "Hoy por {price} en lugar de {price2}.", "Ahorra un {pct} en tu primer pedido."],
        "code": ["Usa el código {code} para un {pct} de descuento.", "{pct} de descuento con el código {code}."],
        "cta": ["¡Pídelo ya!", "¡Compra en el enlace!", "¡Corre, que se agota!"],
        "pain": ["la piel seca", "los cables enredados", "el café frío"],
        "product": ["sérum facial", "almohada", "batería portátil", "aceite capilar"], "stuff": ["vitamina C", "té verde", "algodón orgánico"],
        "unit": ["horas", "días", "gramos", "minutos"], "people": ["clientes", "familias", "corredores"],
        "price_fmt": "{v} €", "pct_fmt": "{v} %",
    },
    "hi": {
        "hook": ["क्या आप {pain} से परेशान हैं?", "मैंने {brand} एक हफ़्ते तक इस्तेमाल किया।", "इसने मेरी सुबह बदल दी।"],
        "claim": ["{brand} {product} {n} {unit} तक चलता है।", "{brand} के {product} में {n} {unit} {stuff} है।",
                  "{n} {people} पहले ही {brand} अपना चुके हैं।"],
        "price": ["अब सिर्फ़ {price} में, मुफ़्त डिलीवरी के साथ।", "पहले {price2}, आज सिर्फ़ {price} में।", "पहले ऑर्डर पर {pct} की छूट।"],
        "code": ["कोड {code} से {pct} की छूट पाएँ।", "चेकआउट पर कोड {code} डालें।"],
        "cta": ["अभी ऑर्डर करें!", "लिंक पर टैप करें!", "आज ही मँगवाएँ!"],
        "pain": ["रूखी त्वचा", "थकान", "उलझे तारों"],
        "product": ["फेस सीरम", "तकिया", "पावर बैंक", "हेयर ऑयल"], "stuff": ["विटामिन सी", "ग्रीन टी", "नारियल तेल"],
        "unit": ["घंटे", "दिन", "ग्राम", "मिनट"], "people": ["ग्राहक", "परिवार"],
        "price_fmt": "₹{v}", "pct_fmt": "{v}%",
    },
    "zh": {
        "hook": ["还在为{pain}烦恼吗？", "我用了一周{brand}，真的惊艳。", "这个改变了我的早晨。"],
        "claim": ["{brand}{product}，续航长达{n}{unit}。", "{brand}{product}含有{n}{unit}{stuff}。", "已经有{n}{people}选择了{brand}。"],
        "price": ["原价{price2}，现在只要{price}！", "今天下单仅需{price}，包邮！", "首单立减{pct}！"],
        "code": ["输入优惠码{code}，立享{pct}优惠。", "结账时使用优惠码{code}。"],
        "cta": ["点击下方链接马上抢！", "赶紧下单吧！", "手慢无！"],
        "pain": ["皮肤干燥", "睡不好", "数据线打结"],
        "product": ["精华液", "记忆枕", "充电宝", "护发精油"], "stuff": ["维生素C", "绿茶精华"],
        "unit": ["小时", "天", "克", "分钟"], "people": ["位顾客", "个家庭"],
        "price_fmt": "¥{v}", "pct_fmt": "{v}%",
    },
}


def brand(rng: random.Random, language: str) -> str:
    if language == "zh":
        return rng.choice("悦澜沁朵酷翎绵悠星舒") + rng.choice("澜朵翎悠舒雅禾")
    if language == "hi":
        return rng.choice(["ग्लो", "ज़ो", "नि", "चा", "वे"]) + rng.choice(["रा", "विक", "म्बोरा", "यवेदा", "लोरा"])
    s = "".join(rng.choice(SYL["c"]) + rng.choice(SYL["v"]) for _ in range(rng.randint(2, 3)))
    return s.capitalize() + rng.choice(["", "", "x", "n", "ra", "io"])


def price(rng: random.Random, language: str) -> str:
    if language in ("de", "fr", "es"):
        v = f"{rng.randint(5, 199)},{rng.choice(['99', '90', '49', '95'])}" if rng.random() < 0.7 else str(rng.randint(5, 99))
    elif language == "hi":
        v = rng.choice(["299", "499", "999", "1,299", "199"])
    elif language == "zh":
        v = rng.choice(["59.9", "199", "269", "89", "399"])
    else:
        v = f"{rng.randint(9, 149)}" + (rng.choice([".99", ".95", ""]) if rng.random() < 0.5 else "")
    return T[language]["price_fmt"].format(v=v)


@dataclass
class GenAd:
    id: str
    language: str
    script: str
    words: list[dict] = field(default_factory=list)  # text, start, end
    units: list[dict] = field(default_factory=list)  # kind, start, end (word indices, end exclusive)
    brand_terms: list[str] = field(default_factory=list)


def _syllables(token: str, language: str) -> float:
    if language == "zh":
        return max(1, len(re.findall(r"[\u4e00-\u9fff]", token)) + 1.5 * len(re.findall(r"\d", token)))
    if language == "hi":
        return max(1.0, len(re.findall(r"[\u0900-\u097f]", token)) / 2.2 + 1.3 * len(re.findall(r"\d", token)))
    digits = len(re.findall(r"\d", token))
    return max(1, len(re.findall(r"[aeiouyäöüéèêàáíóúâîôûœ]+", token.lower()))) + 1.2 * digits


def generate(seed: int, per_language: int, languages=("en", "de", "fr", "es", "hi", "zh")) -> list[GenAd]:
    from captioner.hint import script_tokens

    rng = random.Random(seed)
    ads = []
    for lang in languages:
        t = T[lang]
        for i in range(per_language):
            b = brand(rng, lang)
            product = rng.choice(t["product"])
            code = re.sub(r"[^A-Z]", "", b.upper())[:5] or "SAVE"
            if lang in ("hi", "zh"):
                code = rng.choice(["GLOW", "SAVE", "NEW", "VIP"])
            code += str(rng.choice([10, 15, 20, 25, 30]))
            fill = {"brand": b, "product": product, "pain": rng.choice(t["pain"]), "goal": rng.choice(t.get("goal", t["pain"])),
                    "n": str(rng.choice([2, 3, 12, 20, 24, 30, 48, 250, 400])), "unit": rng.choice(t["unit"]),
                    "stuff": rng.choice(t.get("stuff", t["pain"])), "people": rng.choice(t["people"]), "price": price(rng, lang),
                    "price2": price(rng, lang), "pct": t["pct_fmt"].format(v=rng.choice([10, 15, 20, 25, 30, 40, 50])),
                    "code": code}
            parts = ["hook", "claim", "price"] + (["code"] if rng.random() < 0.6 else []) + ["cta"]
            sentences = [rng.choice(t[p]).format(**fill) for p in parts]
            script = ("" if lang == "zh" else " ").join(sentences)
            tokens, _ = script_tokens(script, lang)
            ad = GenAd(id=f"gen{seed}-{lang}-{i + 1:02d}", language=lang, script=script, brand_terms=[b])
            # timing: syllable model at a drawn rate, pauses at sentence ends and commas
            sps = rng.uniform(3.6, 5.4) if lang == "zh" else rng.uniform(150, 230) / 60 * 1.45
            t0 = 0.3
            for tok in tokens:
                d = _syllables(tok, lang) / sps * rng.uniform(0.85, 1.15)
                ad.words.append({"text": tok, "start": round(t0, 3), "end": round(t0 + d, 3)})
                t0 += d
                if tok.rstrip().endswith(tuple(".!?。！？।")):
                    t0 += rng.uniform(0.25, 0.6)
                elif tok.rstrip().endswith(tuple(",，、:：")):
                    t0 += rng.uniform(0.08, 0.2)
                else:
                    t0 += rng.uniform(0.0, 0.04)
            ad.units = label_units(tokens, fill, lang, b)
            ads.append(ad)
    return ads


def label_units(tokens: list[str], fill: dict, language: str, brand_name: str) -> list[dict]:
    """The ground-truth units of a generated ad, found from what was filled in (not from the layout's rules)."""
    units = []
    joined, offs, pos = "", [], 0
    sep = "" if language == "zh" else " "
    for tok in tokens:
        offs.append(pos)
        joined += tok + sep
        pos = len(joined)

    def span(s: int, e: int) -> tuple[int, int]:
        a = max(i for i, o in enumerate(offs) if o <= s)
        b = max(i for i, o in enumerate(offs) if o < e) + 1
        return a, b

    def find_all(text: str):
        for m in re.finditer(re.escape(text), joined):
            yield m.start(), m.end()

    for key, kind in (("price", "price"), ("price2", "price"), ("pct", "percent")):
        for s, e in find_all(fill[key]):
            a, b = span(s, e)
            units.append({"kind": kind, "start": a, "end": b})
    for s, e in find_all(fill["code"]):
        a, b = span(s, e)
        lead = {"en": "code", "de": "Code", "fr": "code", "es": "código", "hi": "कोड", "zh": "优惠码"}[language]
        if language == "zh":
            s2 = joined.rfind(lead, 0, s)
            if s2 >= 0 and s - s2 <= len(lead):
                a = span(s2, s2 + 1)[0]
        elif a > 0 and tokens[a - 1].strip(",.") == lead:
            a -= 1
        units.append({"kind": "promo_code", "start": a, "end": b})
    n_unit = f"{fill['n']}{sep}{fill['unit']}" if language != "zh" else f"{fill['n']}{fill['unit']}"
    for s, e in find_all(n_unit):
        a, b = span(s, e)
        units.append({"kind": "number_unit", "start": a, "end": b})
    for s, e in find_all(brand_name + (" " + fill["product"] if language not in ("zh",) and fill["product"][:1].isupper() else "")):
        a, b = span(s, e)
        units.append({"kind": "brand", "start": a, "end": b})
    return [u for u in units if u["end"] > u["start"]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--per-language", type=int, default=2)
    a = ap.parse_args()
    for ad in generate(a.seed, a.per_language):
        print(ad.id, ad.script)
        print("   ", [(w["text"], w["start"]) for w in ad.words][:12])
        print("   ", [(u["kind"], " ".join(ad.words[i]["text"] for i in range(u["start"], u["end"]))) for u in ad.units])
    print(json.dumps({"n": a.per_language * 6}))


if __name__ == "__main__":
    main()
