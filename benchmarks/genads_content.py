"""Ad texts for the generated sets: sentence templates, products, invented brands, ad-libs, promo words.

Every language has several shapes of each sentence role (hook, benefit, number, price with one or two
prices, offer with a percentage and/or a promo code, call to action); an ad draws one template per role,
so ads differ in length, order and wording. Placeholders: {brand} {product} {price} {old} {pct} {disc}
{code} {num} {count} — numbers are turned into written/spoken pairs by genads.py.

Brands are invented from syllables; the first syllable pool depends on the seed's parity (even seeds
and odd seeds can never share a brand), and every DEV brand is excluded (DEV_BRANDS).
"""
from __future__ import annotations

import random

# From ../shared/data/ads/*/meta.json (brand_terms + brand_terms_romanized): never generated.
DEV_BRANDS = {
    "Brennix", "Brewvana", "Brilliox", "Brisola", "Caféli", "Chaiveda", "Doucelle", "Dulcera", "Glanzio",
    "Glimmora", "Glowra", "Kuling", "Lumbrix", "Lumewell", "Marevo", "Mianyou", "Nimbora", "Purevio", "Qinduo",
    "Sanftel", "Snoozle", "Trekzo", "Vitalune", "Wolkora", "Yuelan", "Zentrik", "Zorvik",
    "ग्लोरा", "चायवेदा", "ज़ोरविक", "निम्बोरा", "悦澜", "沁朵", "绵悠", "酷翎",
}

# (template, values for {num}/{count}) for number sentences; other roles are plain template lists.
T: dict[str, dict] = {
    "en": {
        "products": ["face serum", "cold brew pods", "wireless earbuds", "travel pillow", "lip oil", "sunscreen",
                     "protein bars", "phone stand", "water bottle", "scalp massager", "desk lamp", "hair mask"],
        "hook": ["Meet {brand}, the {product} everyone is talking about.",
                 "I switched to {brand} {product} and never looked back.",
                 "This {product} from {brand} changed my morning routine.",
                 "Say hello to the new {brand} {product}.",
                 "The {brand} {product} is finally here.",
                 "My friends keep asking about my {brand} {product}.",
                 "If you only buy one thing this month, make it the {brand} {product}.",
                 "Here is why I love my {brand} {product}."],
        "benefit": ["It works in minutes, not weeks.", "No mess, no fuss.", "It fits in any bag.",
                    "Made with clean ingredients.", "Loved by happy customers everywhere.",
                    "You will wonder how you lived without it.", "Designed by people who actually use it.",
                    "Gentle enough for every single day."],
        "price1": ["Get it now for just {price}.", "It's only {price} today.",
                   "Grab one for {price} with free shipping.", "All of this for {price}.",
                   "Right now it's just {price}.", "You can have it for {price}."],
        "price2": ["Now only {price}, down from {old}.", "It used to be {old}, today it's {price}.",
                   "Get it for {price} instead of {old}."],
        "offer_code": ["Use code {code} for {pct} off.", "Code {code} takes {pct} off your first order.",
                       "Enter {code} at checkout for {pct} off."],
        "offer_pct": ["Save {pct} this week only.", "Everything is {pct} off until Sunday."],
        "number": [("Every box has {num} pods.", [12, 20, 24, 30, 36]),
                   ("The battery lasts {num} hours.", [20, 30, 40, 48]),
                   ("Try it risk free for {num} days.", [30, 60, 90]),
                   ("It comes in {num} colors.", [4, 6, 8, 12])],
        "cta": ["Order now!", "Tap the link below!", "Grab yours today!", "Don't miss out!", "Shop now!",
                "Link in bio!"],
        "adlib": ["Trust me.", "Seriously.", "I'm not kidding.", "No joke.", "You need this.", "Believe me."],
        "code_words": [("SAVE", "save"), ("FRESH", "fresh"), ("HELLO", "hello"), ("SPRING", "spring"),
                       ("SUMMER", "summer"), ("WELCOME", "welcome"), ("TREAT", "treat"), ("HAPPY", "happy")],
        "pcts": [10, 15, 20, 25, 30, 40, 50],
    },
    "de": {
        "products": ["Nackenkissen", "Gesichtsserum", "Kopfhörer", "Sonnencreme", "Proteinriegel", "Trinkflasche",
                     "Duftkerze", "Zahnbürste", "Haarkur", "Schreibtischlampe"],
        "hook": ["Kennst du schon {brand} {product}?",
                 "Mit {brand} {product} startest du entspannt in den Tag.",
                 "Ich habe {brand} {product} getestet und bin begeistert.",
                 "Darf ich vorstellen: {brand} {product}.",
                 "Endlich gibt es {brand} {product} auch bei uns.",
                 "Alle fragen mich nach meinem Geheimtipp, und der heißt {brand}."],
        "benefit": ["Es wirkt in Minuten, nicht in Wochen.", "Ohne Chemie und ohne Stress.", "Passt in jede Tasche.",
                    "Entwickelt mit echten Experten.", "Sanft genug für jeden Tag.", "Du wirst es lieben.",
                    "Einfach zu benutzen.", "Nachhaltig verpackt."],
        "price1": ["Jetzt nur {price}.", "Heute für {price} mit kostenlosem Versand.", "Das alles für nur {price}.",
                   "Hol es dir für {price}.", "Im Moment kostet es nur {price}."],
        "price2": ["Jetzt nur {price} statt {old}.", "Vorher {old}, jetzt nur {price}.", "Heute {price} statt {old}."],
        "offer_code": ["Spare {pct} mit dem Code {code}.", "Mit dem Code {code} bekommst du {pct} Rabatt.",
                       "Gib {code} ein und spare {pct}."],
        "offer_pct": ["Nur diese Woche {pct} Rabatt.", "Bis Sonntag gibt es {pct} auf alles."],
        "number": [("In jeder Packung sind {num} Stück.", [12, 20, 24, 30]),
                   ("Der Akku hält {num} Stunden.", [20, 30, 40, 48]),
                   ("Teste es {num} Tage lang ohne Risiko.", [30, 60, 90]),
                   ("Es gibt {num} Farben.", [4, 6, 8, 12])],
        "cta": ["Jetzt bestellen!", "Link in der Bio!", "Hol es dir jetzt!", "Schnell sein lohnt sich!",
                "Klick auf den Link!", "Gleich zugreifen!"],
        "adlib": ["Echt jetzt.", "Ehrlich gesagt, ich liebe es.", "Glaub mir.", "Kein Witz.", "Wirklich.",
                  "Das musst du haben."],
        "code_words": [("SPAR", "Spar"), ("FRISCH", "Frisch"), ("HALLO", "Hallo"), ("SOMMER", "Sommer"),
                       ("WINTER", "Winter"), ("BONUS", "Bonus"), ("DEAL", "Deal")],
        "pcts": [10, 15, 20, 25, 30, 40, 50],
    },
    "fr": {
        "products": ["la crème hydratante", "le coussin de voyage", "les écouteurs sans fil", "le sérum éclat",
                     "la gourde isotherme", "la bougie parfumée", "les gummies sommeil", "la brosse électrique",
                     "le masque capillaire"],
        "hook": ["Découvre {product} {brand}.", "Avec {product} {brand}, ta journée commence bien.",
                 "J'ai testé {product} {brand} et je suis conquise.", "On ne parle que de {brand} en ce moment.",
                 "Voici {product} {brand}, ton nouvel indispensable.", "Je ne sors plus sans {product} {brand}."],
        "benefit": ["Ça marche en quelques minutes.", "Sans produits chimiques.", "Ça tient dans tous les sacs.",
                    "Conçu avec des experts.", "Assez doux pour tous les jours.", "Tu vas adorer.",
                    "Très facile à utiliser.", "Fabriqué en France."],
        "price1": ["Seulement {price} aujourd'hui.", "Disponible pour {price} seulement.", "Tout ça pour {price}.",
                   "En ce moment, c'est {price}.", "Profite de l'offre à {price}."],
        "price2": ["Seulement {price} au lieu de {old}.", "Avant {old}, maintenant {price}.",
                   "À {price} au lieu de {old}, profites en."],
        "offer_code": ["Avec le code {code}, tu as {pct} de réduction.", "Le code {code} te donne {pct} de remise.",
                       "Entre le code {code} pour {pct} de réduction."],
        "offer_pct": ["Profite de {pct} de remise cette semaine.", "Jusqu'à dimanche, {pct} sur tout le site."],
        "number": [("Chaque boîte contient {num} gummies.", [30, 60, 90]),
                   ("La batterie dure {num} heures.", [20, 30, 40, 48]),
                   ("Teste pendant {num} jours sans risque.", [30, 60, 90]),
                   ("Existe en {num} couleurs.", [4, 6, 8, 12])],
        "cta": ["Commande maintenant !", "Lien en bio !", "Clique sur le lien !", "Fonce !", "Ne rate pas ça !",
                "Dépêche toi !"],
        "adlib": ["Franchement.", "Je te jure.", "Sérieux.", "Crois moi.", "C'est fou.", "Sans blague."],
        "code_words": [("PROMO", "promo"), ("BIENVENUE", "bienvenue"), ("DOUX", "doux"), ("SOLEIL", "soleil"),
                       ("MERCI", "merci"), ("BONJOUR", "bonjour")],
        "pcts": [10, 15, 20, 25, 30, 40, 50],
    },
    "es": {
        "products": ["la crema solar", "el cojín de viaje", "los auriculares inalámbricos", "el sérum facial",
                     "la botella térmica", "la vela aromática", "el cepillo eléctrico", "la mascarilla capilar"],
        "hook": ["Descubre {product} {brand}.", "Con {product} {brand} empiezas bien el día.",
                 "Probé {product} {brand} y me encantó.", "Todo el mundo habla de {brand}.",
                 "Te presento {product} {brand}.", "Ya no salgo de casa sin {product} {brand}."],
        "benefit": ["Funciona en minutos.", "Sin químicos agresivos.", "Cabe en cualquier bolso.",
                    "Creado con expertos.", "Suave para todos los días.", "Te va a encantar.", "Muy fácil de usar.",
                    "Hecho en España."],
        "price1": ["Ahora solo {price}.", "Llévatelo por {price}.", "Todo esto por {price}.", "Hoy cuesta solo {price}.",
                   "Consíguelo por {price} con envío gratis."],
        "price2": ["Ahora {price} en lugar de {old}.", "Antes {old}, ahora solo {price}.",
                   "Solo {price}, antes costaba {old}."],
        "offer_code": ["Usa el código {code} y ahorra un {pct}.", "{pct} de descuento con el código {code}.",
                       "Con el código {code} tienes un {pct} de descuento."],
        "offer_pct": ["Solo esta semana, {pct} de descuento.", "Hasta el domingo, {pct} en toda la tienda."],
        "number": [("Cada caja trae {num} cápsulas.", [12, 20, 24, 30]),
                   ("La batería dura {num} horas.", [20, 30, 40, 48]),
                   ("Pruébalo {count} días sin riesgo.", [30, 60, 90]),
                   ("Viene en {num} colores.", [4, 6, 8, 12])],
        "cta": ["¡Pídelo ya!", "¡Corre!", "¡Compra ahora!", "Enlace en la bio.", "¡No te lo pierdas!",
                "Haz clic en el enlace."],
        "adlib": ["En serio.", "De verdad.", "Te lo juro.", "Créeme.", "No es broma.", "Literalmente."],
        "code_words": [("HOLA", "hola"), ("VERANO", "verano"), ("PROMO", "promo"), ("AHORRA", "ahorra"),
                       ("REGALO", "regalo"), ("SOL", "sol")],
        "pcts": [10, 15, 20, 25, 30, 40, 50],
    },
    "hi": {
        "products": ["फेस वॉश", "हेयर ऑयल", "मसाला चाय", "ईयरबड्स", "सनस्क्रीन", "तकिया", "बॉडी लोशन", "ग्रीन टी"],
        "hook": ["{brand} {product} से पाएँ बेहतरीन नतीजे।", "मिलिए {brand} {product} से।",
                 "{brand} {product} अब आपके शहर में।", "क्या आपने {brand} {product} के बारे में सुना?",
                 "हर दिन के लिए {brand} {product}।", "{brand} {product} के साथ दिन की शुरुआत करें।"],
        "benefit": ["इसमें कोई केमिकल नहीं है।", "डॉक्टरों द्वारा परखा गया।", "हर उम्र के लिए सुरक्षित।",
                    "पहली बार में ही फ़र्क़ दिखेगा।", "पूरी तरह प्राकृतिक सामग्री।", "इसे रोज़ इस्तेमाल करें।",
                    "भारत में बना।"],
        "price1": ["सिर्फ़ {price} में।", "अब सिर्फ़ {price} में उपलब्ध।", "कीमत बस {price}।",
                   "आज ही पाएँ सिर्फ़ {price} में।", "पूरा पैक केवल {price} का।"],
        "price2": ["पहले {old}, अब सिर्फ़ {price}।", "{old} नहीं, सिर्फ़ {price}।"],
        "offer_code": ["कोड {code} से {pct} की छूट।", "कोड {code} लगाएँ और पाएँ {pct} की छूट।"],
        "offer_pct": ["पहले ऑर्डर पर {pct} की छूट।", "आज {pct} तक की बचत करें।"],
        "number": [("{num} ग्राम का पैक।", [100, 200, 250, 500]),
                   ("{num} घंटे की बैटरी।", [20, 30, 40, 48]),
                   ("{num} दिन में फ़र्क़ देखें।", [7, 14, 21, 30]),
                   ("एक पैक में {num} टुकड़े।", [12, 24, 30, 60])],
        "cta": ["अभी ऑर्डर करें!", "लिंक पर टैप करें!", "आज ही मँगवाएँ!", "देर मत कीजिए!", "अभी खरीदें!"],
        "adlib": ["सच में।", "यकीन मानिए।", "कमाल है ना?", "मैं खुद इसे इस्तेमाल करती हूँ।", "बिल्कुल सच।"],
        "code_words": [("DIWALI", "दिवाली"), ("NAYA", "नया"), ("SALE", "सेल"), ("KHUSHI", "ख़ुशी"),
                       ("TYOHAR", "त्योहार")],
        "pcts": [10, 15, 20, 25, 30, 40, 50],
    },
    "zh": {
        "products": ["精华液", "洗衣凝珠", "运动耳机", "记忆枕", "防晒霜", "保温杯", "面膜", "电动牙刷"],
        "hook": ["{brand}{product}，让你每天都元气满满。", "试试{brand}{product}，效果看得见。",
                 "{brand}{product}，上班族的好帮手。", "全新{brand}{product}，颜值和实力都在线。",
                 "用了{brand}{product}，再也回不去了。", "{brand}{product}，给你不一样的体验。"],
        "benefit": ["天然成分，温和不刺激。", "小巧轻便，随身携带。", "专业团队研发。", "好评如潮，回购率超高。",
                    "一用就爱上。", "安全放心，老少皆宜。"],
        "price1": ["现在下单只要{price}。", "到手价仅需{price}。", "今天只要{price}。", "限时特价{price}。",
                   "一件仅需{price}，包邮到家。"],
        "price2": ["原价{old}，限时特价{price}。", "原价{old}，现在只要{price}。", "平时卖{old}，今天只要{price}。"],
        "offer_code": [],
        "offer_pct": ["首单立减{pct}。", "再享{disc}优惠。", "全场{disc}。", "新用户再减{pct}。"],
        "number": [("{count}盒装超值组合。", [2, 3, 4, 6]),
                   ("续航长达{num}小时。", [20, 30, 40, 48]),
                   ("{num}天见效。", [7, 14, 21, 28]),
                   ("一盒{num}片。", [10, 12, 20, 30])],
        "cta": ["手慢无！", "赶紧下单吧！", "点击下方链接马上抢！", "今天下单包邮！", "快来抢购吧！", "喜欢就带回家！"],
        "adlib": ["真的。", "说实话，真的好用。", "我自己也在用。", "相信我。", "太划算了！"],
        "code_words": [],
        "pcts": [10, 15, 20, 30, 50],
    },
}

# ------------------------------------------------------------------------------------------ brands

_FIRST = {0: ["Ve", "Ka", "Lo", "Mi", "Ta", "Zu", "No", "Ri", "Sa", "Pe", "Bo", "Fi", "Du", "Xa", "Quo", "Ro"],
          1: ["Va", "Ke", "Li", "Mo", "Te", "Zo", "Na", "Ru", "Se", "Pa", "Be", "Fo", "Di", "Xe", "Jo", "Ra"]}
_SECOND = ["lo", "ri", "va", "ne", "mi", "so", "ta", "lu", "ve", "ro", "ni", "za", "do", "bi"]
_ENDING = {"en": ["x", "n", "ly", "ra", "on", "ix", "ia", "o"], "de": ["x", "a", "o", "ix", "el", "en"],
           "fr": ["lle", "ne", "o", "ia", "tte", "x"], "es": ["ra", "no", "lia", "ro", "za", "ta"]}
_HI_FIRST = {0: [("वे", "Ve"), ("का", "Ka"), ("लो", "Lo"), ("मि", "Mi"), ("ता", "Ta"), ("नो", "No"), ("रि", "Ri"),
                 ("सा", "Sa")],
             1: [("वा", "Va"), ("के", "Ke"), ("ली", "Li"), ("मो", "Mo"), ("ते", "Te"), ("ना", "Na"), ("रु", "Ru"),
                 ("से", "Se")]}
_HI_SECOND = [("लो", "lo"), ("री", "ri"), ("वा", "va"), ("ने", "ne"), ("मी", "mi"), ("सो", "so"), ("टा", "ta")]
_HI_ENDING = [("रा", "ra"), ("ना", "na"), ("क्स", "x"), ("ली", "li"), ("वा", "va"), ("", "")]
_ZH_FIRST = {0: list("澈晴柔星暖雅灵芙"), 1: list("溪沐禾若初映岚朗")}
_ZH_SECOND = list("茉萱然宜蔓屿棠颜露舒")


def brand(lang: str, seed: int, rng: random.Random, taken: set[str]) -> tuple[str, str | None]:
    """An invented brand (and its romanization for hi/zh), unique in `taken`, never a DEV brand."""
    for _ in range(1000):
        if lang == "hi":
            (d1, r1), (d2, r2), (d3, r3) = (rng.choice(_HI_FIRST[seed % 2]), rng.choice(_HI_SECOND),
                                            rng.choice(_HI_ENDING))
            name, roman = d1 + d2 + d3, r1 + r2 + r3
        elif lang == "zh":
            name = rng.choice(_ZH_FIRST[seed % 2]) + rng.choice(_ZH_SECOND)
            from pypinyin import lazy_pinyin

            roman = "".join(lazy_pinyin(name)).capitalize()
        else:
            name = rng.choice(_FIRST[seed % 2]) + rng.choice(_SECOND) + rng.choice(_ENDING[lang])
            roman = None
        if name not in taken and name not in DEV_BRANDS and (roman or name) not in DEV_BRANDS:
            taken.add(name)
            return name, roman
    raise RuntimeError("brand pool exhausted")
