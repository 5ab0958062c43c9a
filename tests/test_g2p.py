"""Tests for captioner.g2p: per-language grapheme-to-phoneme backends behind one interface (real data, no mocks)."""
from __future__ import annotations

import pytest

from captioner import g2p
from captioner.g2p import hindi_g2p, pinyin_g2p

SAMPLES = {
    "en": ["Tired", "of", "forty nine dollars", "Lumawell"],
    "de": ["Jetzt", "nur", "neununddreißig", "Euro", "Größe"],
    "fr": ["Les", "amis", "quatre vingt dix", "euros"],
    "es": ["Hoy", "solo", "veintinueve", "euros", "con", "noventa"],
    "hi": ["सिर्फ़", "निन्यानबे", "रुपये", "में"],
    "zh": ["悦澜", "精华液", "一百六十九元"],
}


@pytest.mark.parametrize("lang", list(SAMPLES))
def test_every_language_gives_one_phone_list_per_word(lang):
    words = SAMPLES[lang] + ["", "—"]
    out = g2p.phonemize(words, lang)
    assert len(out) == len(words)
    assert all(out[i] for i in range(len(SAMPLES[lang]))), out
    assert out[-2] == [] and out[-1] == []
    assert g2p.choose(lang) in g2p.BACKENDS


def test_permissive_backends_are_the_default():
    assert set(g2p.DEFAULTS.values()) == {"lexicon", "hindi", "pinyin"}
    for lang in ("en", "de", "es", "zh"):
        assert g2p.choose(lang) == g2p.DEFAULTS[lang]
    for lang in g2p.ESPEAK_PREFERRED:
        assert g2p.choose(lang) == ("espeak" if g2p.available("espeak") else g2p.DEFAULTS[lang])


def test_lexicon_reads_the_words_in_context():
    out = g2p.phonemize(["les", "amis", "vingt", "ans", "vingt", "pommes"], "fr", backend_name="lexicon")
    assert out[0][-1] == "z" and out[2][-1] == "t"  # liaison before a vowel
    assert out[4][-1] != "t"  # none before a consonant
    de = g2p.phonemize(["Größe", "neunundneunzig"], "de", backend_name="lexicon")
    assert de[0][:3] == ["g", "ʁ", "œ"] and "t͡s" in de[1]
    # a word in no lexicon goes to the CRF guesser
    (lum,) = g2p.phonemize(["Lumawell"], "en", backend_name="lexicon")
    assert lum[0] == "l" and "m" in lum and lum[-1] == "l"


def test_hindi_schwa_deletion():
    cases = {"कमरा": "k ə m r aː", "समझना": "s ə m ə d͡ʒʱ n aː", "दमकती": "d̪ ə m ə k t̪ iː", "सिर्फ़": "s ɪ r f",
             "हिंदी": "ɦ ɪ n d̪ iː", "न": "n ə", "प्रतिशत": "p r ə t̪ ɪ ʃ ə t̪"}
    for word, ipa in cases.items():
        assert " ".join(hindi_g2p.word_phones(word)) == ipa, word


def test_pinyin_to_ipa_and_polyphones():
    assert pinyin_g2p.syllable_ipa("zhong1") == ["ʈʂ", "ʊ", "ŋ"]
    assert pinyin_g2p.syllable_ipa("xue2") == ["ɕ", "ɥ", "ɛ"]
    assert pinyin_g2p.syllable_ipa("si4") == ["s", "ɨ"]
    assert pinyin_g2p.syllable_ipa("yuan") == ["ɥ", "ɛ", "n"]
    assert pinyin_g2p.syllable_ipa("lv4") == ["l", "y"]
    # 行 is hang in 银行 and xing in 行走, also when the caption splits them into characters
    chars = g2p.phonemize(list("银行行走"), "zh")
    assert chars[1][0] == "x" and chars[2][0] == "ɕ"


def test_latin_words_in_hindi_and_chinese_are_read_as_english():
    hi = g2p.phonemize(["सिर्फ़", "GLOWRA"], "hi", backend_name="hindi")
    zh = g2p.phonemize(["悦澜", "GLOW"], "zh")
    assert hi[1][:2] == ["ɡ", "l"] and zh[1][:2] == ["ɡ", "l"]


def test_espeak_backend_when_installed():
    if not g2p.available("espeak"):
        pytest.skip("espeakng-loader (the GPL extra captioner[espeak]) is not installed")
    out = g2p.phonemize(["les", "amis", "vingt", "quatre"], "fr", backend_name="espeak")
    assert out[0][-1] == "z" and len(out) == 4
    assert g2p.phonemize(["悦澜"], "zh", backend_name="espeak")[0]


def test_unknown_language_and_backend():
    with pytest.raises(ValueError):
        g2p.phonemize(["x"], "ja")
    with pytest.raises(ValueError):
        g2p.backend("nope")


def test_the_lexicon_copy_never_sorts_in_temporary_files():
    """The in-memory lexicon's index was sorted in temporary files under TMPDIR: with /tmp full every caption job
    ended in a traceback ("sqlite3.OperationalError: database or disk is full")."""
    from captioner.g2p.lexicon_g2p import _Lang

    lang = _Lang("en")
    assert lang.db.execute("PRAGMA temp_store").fetchone()[0] == 2  # MEMORY
    assert lang.prons("hello")
