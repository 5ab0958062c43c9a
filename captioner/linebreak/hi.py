"""Hindi break rules: postpositions, particles and light verbs never start a line (they follow their noun or
verb: "₹499 में", "लिंक पर", "ऑर्डर करें"); conjunctions are good places to break before. Hindi has no
capitals, so names come only from the script's terms. Captions keep what the script wrote (₹499, 20%), so
numbers are matched in digits; the spelled units here cover what the voice may have been captioned as."""
from __future__ import annotations

from .base import Rules


def _w(s: str) -> frozenset[str]:
    return frozenset(s.split())


class Hindi(Rules):
    code = "hi"
    cased = False
    articles = frozenset()
    determiners = _w("यह वह ये वे इस उस इन उन हर कोई कुछ सभी हमारा हमारी हमारे आपका आपकी आपके अपना अपनी अपने मेरा मेरी मेरे")
    prepositions = frozenset()  # Hindi has postpositions: they glue back (glue_back_words)
    conjunctions = _w("और या लेकिन मगर पर तो कि क्योंकि इसलिए ताकि जब अगर")
    pronouns = _w("मैं हम आप तुम")
    auxiliaries = _w("न मत नहीं बहुत सिर्फ़ सिर्फ केवल")
    glue_back_words = _w("में से का की के को पर ने तक लिए साथ वाला वाली वाले है हैं था थी थे हो हूँ "
                         "करें करो कीजिए करना करे करेगा करेगी दें दो दीजिए लें लो लीजिए पाएँ पाएं पाइए जाएँ जाएं "
                         "रहा रही रहे गया गई गए सकते सकती सकता ही भी")
    postpositions = _w("में से का की के को पर ने तक लिए साथ")
    light_verbs = _w("करें करो कीजिए करना करे करेगा करेगी दें दो दीजिए लें लो लीजिए पाएँ पाएं पाइए जाएँ जाएं")
    currency_words = _w("रुपये रुपए रुपया रु")
    percent_words = (("प्रतिशत",), ("फ़ीसदी",), ("फीसदी",))
    code_words = _w("कोड")
    number_words = _w("एक दो तीन चार पाँच पांच छह सात आठ नौ दस बीस तीस चालीस पचास सौ हज़ार हजार")
    quantity_after = frozenset()

    def ends_on_function_word(self, text: str) -> bool:
        # Hindi's binding words come *after* their noun (postpositions): a line may end on them, never start with one
        return False


RULES = Hindi()
