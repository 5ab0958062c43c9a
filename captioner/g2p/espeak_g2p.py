"""G2P backend: libespeak-ng 1.52 from the ``espeakng-loader`` wheel (GPL-3: optional extra ``captioner[espeak]``).

Called through ctypes (``espeak_TextToPhonemes``, IPA, phonemes separated by "_"); the whole text is
read at once (French liaison, sentence stress) and mapped back to the input words when espeak keeps
the word count, otherwise word by word. Use 1.52, not Debian's 1.51 (whose Mandarin reads tone digits
as English numbers).
"""
from __future__ import annotations

import ctypes
import threading
from typing import Sequence

NAME = "espeak"
LANGUAGES = ("en", "de", "fr", "es", "hi", "zh")
_VOICE = {"en": "en-us", "de": "de", "fr": "fr", "es": "es", "hi": "hi", "zh": "cmn"}
_LOCK = threading.Lock()
_STATE: dict = {}


def available() -> bool:
    try:
        import espeakng_loader  # noqa: F401
    except ImportError:
        return False
    return True


def _lib():
    if "lib" in _STATE:
        return _STATE["lib"]
    try:
        import espeakng_loader
    except ImportError as e:
        raise ImportError("the espeak G2P needs the optional extra: pip install 'captioner[espeak]' (GPL-3)") from e
    lib = ctypes.cdll.LoadLibrary(espeakng_loader.get_library_path())
    data = espeakng_loader.get_data_path()
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
    lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
    import os

    parent = os.path.dirname(str(data))  # espeak looks for <path>/espeak-ng-data
    if lib.espeak_Initialize(0x02, 0, parent.encode(), 0) < 0:  # AUDIO_OUTPUT_SYNCHRONOUS
        raise ImportError("libespeak-ng from espeakng-loader failed to initialise")
    _STATE["lib"] = lib
    _STATE["voice"] = None
    return lib


def _phonemes(text: str, language: str) -> list[list[str]]:
    """Words of espeak's reading of `text`, each a list of IPA phones."""
    with _LOCK:
        lib = _lib()
        if _STATE["voice"] != language:
            lib.espeak_SetVoiceByName(_VOICE[language].encode())
            _STATE["voice"] = language
        buf = ctypes.c_char_p(text.encode("utf-8"))
        ptr = ctypes.pointer(buf)
        parts = []
        while buf.value:
            r = lib.espeak_TextToPhonemes(ptr, 1, 0x02 | (ord("_") << 8))  # UTF-8 text, IPA, "_" between phones
            if r:
                parts.append(r.decode("utf-8"))
    words = []
    for part in parts:
        for w in part.split():
            ph = [p for p in w.split("_") if p]
            if ph:
                words.append(ph)
    return words


def phonemize(words: Sequence[str], language: str) -> list[list[str]]:
    if language not in LANGUAGES:
        raise ValueError(f"espeak backend: no language {language!r}")
    tokens = [w.split() for w in words]
    flat = [t for ts in tokens for t in ts]
    res = _phonemes(" ".join(flat), language) if flat else []
    if language != "zh" and len(res) == len(flat):
        out, k = [], 0
        for ts in tokens:
            out.append([p for r in res[k:k + len(ts)] for p in r])
            k += len(ts)
        return out
    return [[p for r in _phonemes(w, language) for p in r] if w.strip() else [] for w in words]
