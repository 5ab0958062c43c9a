"""The one entry point: `caption(video, script, language, preset, …)` runs every stage and writes the outputs."""
from __future__ import annotations

import math
import re

import concurrent.futures
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Optional

import numpy as np

from .asr import ASROptions, get_backend
from .errors import InputError, LanguageError
from .job import SIDECARS, OutputSet, RenderJob, output_paths, report_stage, run_job  # noqa: F401  (OutputSet, output_paths: public API)
from .layout import paginate
from .presets import Preset, load_preset
from .render.burn import EncodeOptions
from .types import LANGUAGES, CaptionResult, CaptionTrack, Finding, MediaInfo, Severity, Transcript, Word

def check_language(language: str) -> str:
    lang = (language or "").strip().lower()
    if lang != "auto" and lang not in LANGUAGES:
        raise LanguageError(f"unknown or unsupported language code {language!r}: use one of {', '.join(LANGUAGES)} or 'auto'")
    return lang


def read_script(script: Optional[str | os.PathLike], *, is_path: Optional[bool] = None) -> Optional[str]:
    """The script text: a path to a UTF-8 text file, or the text itself (API)."""
    if script is None:
        return None
    if is_path or (is_path is None and isinstance(script, Path)):
        from .hint import load_script

        return load_script(script)
    from .hint import check_script_size

    check_script_size(len(str(script).encode("utf-8")), "the script")
    return str(script)


@dataclass
class CaptionOptions:
    """Everything `caption()` accepts besides the inputs; the CLI maps its flags onto this."""

    language: str = "en"
    preset: str | Preset = "karaoke"
    asr: str = "whisper"
    safe_zone: str = "tiktok"
    on_mismatch: str = "flag"  # "flag": caption what was said + error finding; "fail": stop
    use_prompt: bool = True
    encode: EncodeOptions = field(default_factory=EncodeOptions)
    backend_options: dict = field(default_factory=dict)
    preset_overrides: dict = field(default_factory=dict)
    account: Optional[str] = None  # bill this ledger account (flat price per render, charged once on success)
    ledger: Optional[str] = None  # ledger file (default $CAPTIONER_LEDGER or ~/.local/share/captioner/ledger.sqlite3)
    idempotency_key: Optional[str] = None  # default: derived from the inputs, preset, options and output path
    emphasis: bool = True  # prices, promo codes and brand terms emphasised where the preset defines it
    strict: bool = False  # refuse captions with an error finding (a split protected unit, a price mismatch): exit 7
    captions: Optional[str] = None  # captions the user has (.srt/.vtt/.ass/.json): no ASR, words aligned to the audio


def hotwords(script: str, limit: int = 12) -> list[str]:
    """Likely brand/product names in a script: capitalised words that do not start a sentence, and mixed tokens."""
    import re

    out: list[str] = []
    for sentence in re.split(r"(?<=[.!?¡¿。！？])\s+", script):
        toks = re.findall(r"[\w'’-]+", sentence)
        for k, tok in enumerate(toks):
            mixed = any(c.isdigit() for c in tok) and any(c.isalpha() for c in tok)
            nxt_named = k + 1 < len(toks) and toks[k + 1][:1].isupper()
            named = tok[:1].isupper() and (k > 0 or nxt_named or any(c.isupper() for c in tok[1:]))
            if (mixed or named) and tok not in out:
                out.append(tok)
    return out[:limit]


def _in_language(text: str, language: str) -> tuple[bool, str]:
    from .language import check_language as detect

    if not text.strip():
        return True, language
    ok, found, _ = detect(text, language)
    return ok, found


def recognise(audio: np.ndarray, script: Optional[str], language: str, asr: str = "whisper", *, use_prompt: bool = True,
              backend_options: dict | None = None) -> tuple[Transcript, Optional[Transcript], list[Finding]]:
    """ASR with the script as a hint, checked for language; plus an unprompted reference pass when a prompt was used.

    A transcript in another language than pinned is re-run once, pinned and unprompted. If it is still wrong,
    it is discarded — never rendered: with a script in the right language the captions fall back to the
    script (aligned to the audio, flagged for review); without one the call fails with LanguageError.
    """
    findings: list[Finding] = []
    backend = get_backend(asr, **(backend_options or {}))
    detected = None
    if language == "auto":
        # detected once with Whisper among the six languages, the script's writing as a second opinion, then pinned
        language, prob, why = choose_language(audio, script)
        detected = prob
        findings.append(Finding(kind="language_detected", severity=Severity.info,
                                message=f"language detected as {language!r} ({why}) and pinned"
                                        + (f" for the {asr} backend" if backend.name != "whisper" else "")))
    elif script:
        _check_pinned_language(audio, script, language)
    hot = hotwords(script) if script else []
    opts = ASROptions(language=language, script=script, hotwords=hot, use_prompt=use_prompt)
    bare = ASROptions(language=language, script=None, hotwords=[], use_prompt=False)
    # the unprompted witness pass (needed whenever the prompt is used) starts now, beside the prompted pass,
    # when the backend serves two requests at once (docs/BENCHMARKS.md, "End to end"); it is the same decode
    # as the pinned re-run below, so that re-run uses it too
    witness = (_in_background(lambda: backend.transcribe(audio, bare))
               if script and use_prompt and language != "auto" and getattr(backend, "concurrent", False) else None)

    def unprompted(lang: str) -> Transcript:
        if witness is not None and lang == language:
            return witness.result()
        return backend.transcribe(audio, ASROptions(language=lang, script=None, hotwords=[], use_prompt=False))

    transcript = backend.transcribe(audio, opts)
    if detected is not None:
        transcript = transcript.model_copy(update={"language_detected": True, "language_probability": detected})
    lang = transcript.language
    if lang not in LANGUAGES:
        raise LanguageError(f"detected language {lang!r} is not supported: pin one of {', '.join(LANGUAGES)} with --language")
    ok, found = _in_language(transcript.text, lang)
    if not ok:
        again = unprompted(lang)
        ok, found2 = _in_language(again.text, lang)
        if ok:
            # the re-run goes through the same hallucination check as any transcript, and is its own witness (seed
            # 808: a Hindi re-run that looped and ended in English words was captioned as it was)
            again.notes.append(f"first pass came out in {found!r}, not {lang!r}: re-ran pinned without the prompt")
            transcript = again
        elif not script or not _in_language(script, lang)[0]:
            if script:
                s_found = _in_language(script, lang)[1]
                hint = f"; the script is not in {lang!r} either (it reads as {_language_name(s_found)})"
            else:
                hint = ", or pass the script (in the voice's language) to caption from it"
            raise LanguageError(
                f"the transcript came out in {_language_name(found2)} although {lang!r} was pinned: check that --language "
                f"matches the voice-over (captions are never rendered in another language){hint}")
        else:
            findings.append(Finding(kind="asr_wrong_language", severity=Severity.warning,
                                    message=f"the recogniser's output was in {found2!r}, not {lang!r}, and was discarded: the "
                                            "captions follow the script, aligned to the audio — listen before publishing"))
            return again.model_copy(update={"words": [], "text": ""}), None, findings
    if transcript.suspicion:
        why = "; ".join(transcript.suspicion)
        if script and _in_language(script, lang)[0]:
            findings.append(Finding(kind="asr_hallucination", severity=Severity.warning,
                                    message=f"the recogniser's output looks hallucinated ({why}) and was discarded: the captions "
                                            "follow the script, aligned to the audio — listen before publishing"))
            return transcript.model_copy(update={"words": [], "text": ""}), None, findings
        findings.append(Finding(kind="asr_hallucination", severity=Severity.warning,
                                message=f"the recogniser's output looks hallucinated ({why}): check the captions against the "
                                        "audio, or pass the ad script so the captions can follow it"))
    reference = None
    if script and not transcript.prompt_used:
        # the kept transcript was decoded without the prompt (the prompted one was distrusted, or no prompt
        # was asked for): it is its own honest witness
        reference = transcript
    elif transcript.prompt_used and script:
        # the prompted decoder can parrot the script (a dropped ad-lib, the script's price instead of the
        # spoken one); an unprompted pass is the honest witness the correction stage checks against. Beam 5:
        # greedy heard "glow twenty for twenty percent" as "2420 %" on the example ad for ~0.1 s less.
        ref = unprompted(lang)
        ok, found = _in_language(ref.text, lang)
        if ok:
            reference = ref
        else:
            # without the script the recogniser cannot follow this voice (espeak Hindi comes out as Urdu or English):
            # what the prompted pass wrote is the prompt as much as the voice. The correction stage is told that its
            # witness heard none of it in the language (and treats the prompted words accordingly)
            reference = ref.model_copy(update={"words": [], "text": "", "notes": ref.notes + [
                f"the unprompted pass came out in {found!r}, not {lang!r}: the recogniser cannot follow this voice without the script"]})
    return transcript, reference, findings


def _language_name(found: str) -> str:
    """A detected language or writing system for a message: "'en'", or "Latin-script text" for a bare script name."""
    if found == "unknown":
        return "text of no language it could tell"
    return f"{found!r}" if found in LANGUAGES or len(found) <= 3 else f"{found.capitalize()}-script text"


# the script's own text, teacher-forced against the voice (Whisper base, float32 judge), is this many nats per token
# likelier than against silence when the voice says it. Measured on generated ads of seeds 3131/3133 (66 ads, a third
# under a music bed; not a tuning seed), min / median per language: en 2.67 / 4.05, de 2.77 / 3.81, es 2.93 / 3.48,
# fr 1.66 / 2.62, zh 0.63 / 1.67, hi 0.56 / 0.83; another ad's script in another language: at most 0.34 (66 pairs).
# So the witness speaks for en/de/es/fr (fr by a thin margin) and some zh voices; for Hindi (which Whisper base cannot
# follow) the pin check rests on Whisper's language guess alone, as before (docs/BENCHMARKS.md)
SCRIPT_SAID_PMI = 1.5


def script_said_pmi(audio: np.ndarray, script: str, language: str) -> float:
    """Pointwise mutual information per token of the script's text (its first ~30 s) and the voice's first 30 s, in
    `language`'s decoder: log p(text | voice) − log p(text | silence) (`verify.WhisperWitness`, the price judge's float32
    Whisper: the same number on every CPU). High where the voice says these words, whatever language token is given."""
    from .asr.whisper import load_judge_model
    from .media import SAMPLE_RATE
    from .verify import WhisperWitness

    clip = audio[: 30 * SAMPLE_RATE]
    words = " ".join(script.split())
    text = words[: max(1, int(len(words) * min(1.0, 30 * SAMPLE_RATE / max(len(audio), 1))))]
    w = WhisperWitness(load_judge_model(), language)
    (pmi, n), = w.pmi(("pin",), clip, [text])
    return pmi / n if n else float("nan")


def _check_pinned_language(audio: np.ndarray, script: str, language: str) -> None:
    """A pinned language that neither the script nor the voice speaks is a slip of the user's: a German ad run with
    `--language en` came out as English-sounding gibberish ("I don't have any slots to test …", a price "75 .25" nobody
    said) with only warnings. Where the script is clearly in another of the six languages (`language.detect_language`,
    confidence ≥ 0.5) and the voice says that script — its text is far likelier with this audio than with silence
    (`script_said_pmi` ≥ SCRIPT_SAID_PMI), or Whisper hears the voice in the script's language (its likeliest of all) —
    two witnesses agree against the pin: the job stops before any work with the fix. Whisper's language guess alone was
    not enough: DEV's espeak German is "en" 0.45 / "de" 0.32 on one CPU and "de" first on another (int8 kernels)."""
    from .language import detect_language as script_language

    s_lang, s_conf = script_language(script)
    if s_lang not in LANGUAGES or s_lang == language or s_conf < 0.5:
        return
    v_lang, prob = get_backend("whisper").detect_language(audio)
    said = script_said_pmi(audio, script, s_lang) if v_lang != s_lang else float("nan")
    if v_lang == s_lang or said >= SCRIPT_SAID_PMI:
        how = f"the voice at p = {prob:.2f}" if v_lang == s_lang else f"the voice says the script: {said:.1f} nats per token"
        raise InputError(f"--language {language} was given, but the voice and the script are both {_language_name(s_lang)} "
                         f"({how}): run it again with --language {s_lang} (or --language auto)")


def choose_language(audio: np.ndarray, script: Optional[str]) -> tuple[str, float, str]:
    """(language, Whisper's probability of it, why) for `--language auto`: Whisper's likeliest of the six, unless it is
    unsure (p < 0.5) and the script is clearly in another of them (`language.detect_language`, confidence ≥ 0.5): a voice
    Whisper cannot follow (espeak Hindi: "la" first, "en" 0.08 before "hi" 0.008) is still captioned in the script's
    language. A sure voice keeps its language against the script's (a careless user's wrong script is reported by the
    correction stage, never captioned onto the audio)."""
    from .language import detect_language as script_language

    lang, prob = get_backend("whisper").detect_language(audio)
    why = f"p={prob:.2f}"
    if script and prob < 0.5:
        s_lang, s_conf = script_language(script)
        if s_lang in LANGUAGES and s_lang != lang and s_conf >= 0.5:
            return s_lang, prob, f"the voice was unclear ({lang!r} at p={prob:.2f}); the script is {s_lang!r}"
    return lang, prob, why


def _in_background(fn) -> concurrent.futures.Future:
    """Run fn() on a daemon thread (a result nobody asks for is simply dropped, never waited for at exit)."""
    fut: concurrent.futures.Future = concurrent.futures.Future()

    def run():
        try:
            fut.set_result(fn())
        except BaseException as e:  # noqa: BLE001 - handed to whoever asks for the result
            fut.set_exception(e)

    threading.Thread(target=run, name="asr-witness", daemon=True).start()
    return fut


def correct_stage(audio: np.ndarray, transcript: Transcript, reference: Optional[Transcript], script: Optional[str],
                  language: str, findings: list[Finding], *, on_mismatch: str = "flag") -> tuple[list[Word], list[Finding]]:
    """Script-hint correction, then the acoustic check of disputed/unverified numbers, then --on-mismatch."""
    from .hint import correct, enforce
    from .verify import verify_numbers

    words, fixes = correct(transcript, script, language, on_mismatch="flag", terms=hotwords(script) if script else None,
                           reference=reference)
    mismatch = _script_not_this_voice(audio, words, fixes, [transcript, reference], language)
    if mismatch is not None:
        words, fixes = mismatch
    findings = list(findings) + fixes
    if script and words:
        words, findings = verify_numbers(audio, words, findings, language, reference=reference)
    enforce(findings, on_mismatch)
    return words, findings


# languages whose voices the shipped Whisper base follows well enough that its own words can stand against the script
# (it cannot follow espeak fr / hi / zh: there its words explain the audio as well as the script by homophones and
# fragments, and the script is the better caption — on the TUNING and report seeds those were the false alarms)
_FOLLOWS = ("en", "de", "es")


def _letters(text: str) -> str:
    """A word's lower-cased letters and digits: how two passes' words are compared by text."""
    return re.sub(r"[\W_]", "", text.lower())


def _shared_words(script_words: list[Word], heard_words: list[Word]) -> float:
    """The share of the script's words (lower-cased letters and digits) that the recognised words also contain, in
    order, within the stretch of the script they cover (the densest one, at least as long as what was heard: a cut-down
    says only part of its ad's script, and a shared phrase or two of another ad's script stays a small share)."""
    from difflib import SequenceMatcher

    def toks(ws):
        return [t for t in (_letters(w.text) for w in ws) if t]

    s, h = toks(script_words), toks(heard_words)
    if not s or not h:
        return 0.0
    blocks = [b for b in SequenceMatcher(None, s, h, autojunk=False).get_matching_blocks() if b.size]
    floor = max(1, min(len(s), len(h)))
    best = 0.0
    for i in range(len(blocks)):
        good = 0
        for j in range(i, len(blocks)):
            good += blocks[j].size
            best = max(best, good / max(blocks[j].a + blocks[j].size - blocks[i].a, floor))
    return best


def _script_not_this_voice(audio: np.ndarray, words: list[Word], fixes: list[Finding],
                           heard: list[Optional[Transcript]], language: str) -> Optional[tuple[list[Word], list[Finding]]]:
    """Captions that follow the script because the recogniser matched too little of it (`hint.correct`'s fallback) are
    right for a voice the recogniser cannot follow, and wrong for a script that is not this voice's: the script of
    another variant in the same language ("Te presento la crema solar Xevero … 29 €, 19 €, 50 %" drawn over a voice
    selling a thermos at 68,49 €, with warnings only). The phone model tells the two apart: where a recogniser pass's
    words (`heard`: the prompted and the unprompted pass; the better-fitting one — there the prompted pass wrote the
    thermos ad word for word while the unprompted one looped "yo yo yo") explain the audio better than the script's by
    more than `RESTORE_EDGE_NATS_PER_WORD` per script word (the margin that puts script words back where the phone
    model hears them), the captions are that pass's words, uncorrected, with a `script_mismatch` error. On the TUNING seed 101 (3 ads per language, clean + music) the own
    script's fallbacks had the unprompted words better by at most 1.9 nats per word; another ad's script of the same
    language 22 of 30 past 4 (docs/BENCHMARKS.md, "Another ad's script")."""
    from .align import text_fit, text_fit_heard

    heard = [t for t in heard if t is not None and t.words]
    if language not in _FOLLOWS or not words or not heard or not all(w.source == "script" for w in words):
        return None
    if not any(f.kind == "asr_unreliable" for f in fixes):
        return None
    # a cut-down's script goes on after its audio ends: the words the audio holds are weighed (`text_fit_heard`)
    fit_script, n_script = text_fit_heard(audio, words, language)
    fit_heard, best = max(((text_fit(audio, t.words, language), k) for k, t in enumerate(heard)), key=lambda x: x[0])
    if not (math.isfinite(fit_script) and math.isfinite(fit_heard)):
        return None
    if max(_shared_words(words, t.words) for t in heard) >= 0.5:
        return None  # a recogniser pass wrote most of the script: it is this voice's, with a phrase skipped or changed
    per_word = (fit_heard - fit_script) / max(1, n_script)
    if per_word <= RESTORE_EDGE_NATS_PER_WORD:
        return None
    out = [w.model_copy(update={"source": "asr", "evidence": w.confidence}) for w in heard[best].words]
    keep = [f for f in fixes if f.kind in ("script_markup_stripped",)]
    keep.append(Finding(kind="script_mismatch", severity=Severity.error,
                        message=f"the script does not fit the voice: the recogniser's own words explain it better by "
                                f"{per_word:.1f} nats per script word (phone model) — is this the script of another "
                                "video? The captions are the recognised words, uncorrected, and their numbers unchecked: "
                                "give the right script, or check them before publishing"))
    return out, keep


def _prefetch_phones(audio: np.ndarray) -> None:
    """Start the phone model's emissions (the price judge's and the aligner's second acoustic model) on a
    background thread while the recogniser runs: they depend on the audio only, and the engine is
    single-threaded (measured in docs/BENCHMARKS.md, "End to end")."""
    from .errors import ModelError

    try:
        from .phones import load

        load().prefetch(audio)
    except (ModelError, ImportError):  # the aligner and the judge report a missing phone model themselves
        pass


# How much worse than the filler (nats of the phone alignment's path score) a missed script word may explain the speech
# between its neighbours and still go back. Chosen on the TUNING seed 101 with `benchmarks/bench_restore.py` (216 words
# taken out of ground-truth captions, clean + music; a decoy = another word of the language of about the same length
# put in their place): 0 nats 12 back / 0 decoys, 4 nats 28 / 1, 6 nats 33 / 1, 8 nats 41 / 4. Reported on seed 404:
# 45 of 216 back, 0 of 214 decoys (docs/BENCHMARKS.md, "Hostile audio and script words both recognisers missed").
RESTORE_MARGIN_NATS = 6.0
# The same for script words before the first / after the last caption word, per word of the phrase put back (a phrase of
# several words loses more to the filler than one word: the filler is a flat price per frame, the words' phones pay for
# every frame they fit less than well). Chosen on the TUNING seed 101 with `benchmarks/bench_restore_edges.py` (370
# edge phrases of 1–3 words or a whole first / last sentence taken out of ground-truth captions, clean + music; a decoy
# = as many words from the same edge of another ad of the language): 6 nats for the whole phrase 52 back / 2 of 260
# decoys, 2 nats per word 57 / 1, 4 per word 116 / 3, 6 per word 166 / 10 (docs/BENCHMARKS.md, "Opening words").
RESTORE_EDGE_NATS_PER_WORD = 4.0


def restore_heard_by_phones(audio: np.ndarray, words: list[Word], findings: list[Finding], aligned, language: str):
    """Script words that neither recogniser pass wrote go back into the captions when the phone model hears speech no
    caption word explains exactly where they belong (an `ad_lib` filler) and, aligned again with them, it times them by
    their phones, that speech is explained and the alignment's path score is at most `RESTORE_MARGIN_NATS` below the one
    that left the speech to the filler. Two places: a run reported skipped between caption words (`script_skipped`),
    and a run before the first / after the last caption word (`script_unspoken`, "N script word(s) before the
    voice-over…") — there the whole run is tried, then each run of whole sentences in it (the longest first, then the
    one nearest the voice; four tries at most), each word at `RESTORE_EDGE_NATS_PER_WORD`.

    Both recogniser passes can miss words the voice says: "Serum" in "Lumewell Glow Serum" on an 8 kHz track, or the
    opening sentence under a music bed that starts with the voice ("Endlich gibt es Kaveel Kopfhörer auch bei uns."
    on a generated German ad, the brand with it, reported as three ad-libs). A phrase the voice really skipped leaves
    no speech there, so it stays reported; speech the script cannot explain leaves the words unheard or the filler in
    place, and nothing changes. Returns (alignment, words, findings) — the ones given when nothing was restored;
    findings' word indices follow the inserted words.
    """
    # a `script_skipped` finding with word indices reports words the captions kept (`hint._prompted_skips`): not missing
    for f in [f for f in findings if f.kind == "script_skipped" and f.script_text and f.start is not None and not f.word_indices]:
        before = [i for i, w in enumerate(words) if abs(w.end - f.start) < 1e-9]
        if not before or not aligned.unexplained:
            continue
        k = before[-1] + 1  # the run sat right after this word
        lo = aligned.words[k - 1].start  # a word's end runs on to the next onset over unexplained speech
        hi = aligned.words[k].start + 0.05 if k < len(words) else float("inf")
        spans = [(a, b) for a, b, _ in aligned.unexplained if a >= lo and b <= hi]
        if not spans:
            continue
        got = _insert_heard(audio, words, findings, aligned, language, f, k, f.script_text, spans,
                            words[k - 1].end, words[k].start if k < len(words) else words[k - 1].end, "")
        if got is not None:
            aligned, words, findings = got
    # the edges: script words before the first caption word / after the last one
    for f in [f for f in findings if f.kind == "script_unspoken" and f.script_text and f.start is not None and not f.word_indices]:
        if not words or not aligned.unexplained:
            break
        units = f.script_text.split()
        if abs(f.start - words[0].start) < 1e-9:  # before the voice-over's first caption word
            spans = [(a, b) for a, b, _ in aligned.unexplained if b <= aligned.words[0].start + 0.05]
            k, where = 0, " before the first caption word"
        elif abs(f.start - max(w.end for w in words)) < 1e-9:  # after the last one
            spans = [(a, b) for a, b, _ in aligned.unexplained if a >= aligned.words[-1].start]
            k, where = len(words), " after the last caption word"
        else:
            continue
        if not spans:
            continue
        tries = _sentence_runs(units, nearest_last=k == 0)
        a = max(0.0, min(x for x, _ in spans))
        b = max(y for _, y in spans)
        for said, rest in tries[:4]:
            t0, t1 = (a, words[0].start) if k == 0 else (words[-1].end, max(b, words[-1].end))
            rest_f = None
            if rest:
                side = "before" if k == 0 else "after"
                txt = " ".join(rest)
                rest_f = f.model_copy(update={"script_text": txt, "message":
                                              f"{len(rest)} script word(s) {side} the voice-over were not heard: “{txt}”"})
            got = _insert_heard(audio, words, findings, aligned, language, f, k, " ".join(said), spans, t0, t1, where, rest_f,
                                margin=RESTORE_EDGE_NATS_PER_WORD * len(said))
            if got is not None:
                aligned, words, findings = got
                break
    return aligned, words, findings


def _sentence_runs(units: list[str], nearest_last: bool) -> list[tuple[list[str], list[str]]]:
    """(words, the rest) for every run of whole sentences of `units`, the longest first, then the one nearest the voice
    (the end of a lead, the start of a tail): the voice may say the run, a part of it, or skip a sentence inside it."""
    cuts = [0] + [c for c in range(1, len(units)) if _ends_sentence(units[c - 1])] + [len(units)]
    runs = [(cuts[i], cuts[j]) for i in range(len(cuts) - 1) for j in range(i + 1, len(cuts))]
    runs.sort(key=lambda r: (-(r[1] - r[0]), -r[1] if nearest_last else r[0]))
    return [(units[a:b], units[:a] + units[b:]) for a, b in runs]


def _ends_sentence(unit: str) -> bool:
    from .hint import _SENTENCE_END

    t = unit.rstrip("\"'”’»)")
    return bool(t) and t[-1] in _SENTENCE_END


def _insert_heard(audio, words: list[Word], findings: list[Finding], aligned, language: str, f: Finding, k: int, text: str,
                  spans: list[tuple[float, float]], t0: float, t1: float, where: str, rest: Optional[Finding] = None,
                  margin: float = RESTORE_MARGIN_NATS):
    """`words` with the script words of `text` inserted at k, when the phone model times them by their phones, they
    explain the unexplained speech of `spans` and the path score stays within `margin` nats; finding `f`
    replaced by `script_restored` (and `rest`, what of it is still unheard), claims among the words unverified.
    None when they do not."""
    from .align import align_words
    from .hint import script_run_words

    new, claims = script_run_words(text, language, t0, t1)
    if not new:
        return None
    cand = words[:k] + new + words[k:]
    again = align_words(audio, cand, language)
    mine = range(k, k + len(new))
    timed = all(again.words[i].aligner == "phones" for i in mine) and not set(mine) & set(again.unheard)
    still = any(min(b, d) - max(a, c) > 0.5 * (b - a) for a, b in spans for c, d, _ in again.unexplained)
    # the words must explain the audio nearly as well as leaving that speech to the filler at the aligner's own
    # price for speech the text does not explain (`PhoneOptions.filler_penalty`): a word that merely fits
    # somewhere ("Cream" forced onto "Serum") loses far more (see RESTORE_MARGIN_NATS)
    better = again.log_likelihood > aligned.log_likelihood - margin
    if not timed or still or not better:
        return None
    n = len(new)
    shifted = []
    for g in findings:
        if g is f:
            if rest is not None:
                shifted.append(rest)
            continue
        if g.word_indices:
            g = g.model_copy(update={"word_indices": [i + n if i >= k else i for i in g.word_indices]})
        shifted.append(g)
    s0, s1 = again.words[k].start, again.words[k + n - 1].end
    heard = " ".join(sp for a, b, sp in aligned.unexplained if (a, b) in spans)
    shifted.append(Finding(kind="script_restored", severity=Severity.info,
                           message=f"neither recogniser pass wrote “{text}”{where}, but the phone model hears speech "
                                   f"there (/{heard}/) that these script words explain: captions keep them",
                           start=round(s0, 3), end=round(s1, 3), script_text=text, word_indices=list(mine)))
    for c in claims:
        w = again.words[k + c]
        shifted.append(Finding(kind="unverified_claim", severity=Severity.warning,
                               message=f"“{w.text}”: neither recogniser pass wrote it; the phone model hears speech where "
                                       f"the script has it: listen to it before publishing",
                               start=round(w.start, 3), end=round(w.end, 3), script_text=w.text, word_indices=[k + c]))
    return again, cand, shifted


@dataclass
class _Run:
    """A run of caption words [k0, k1) a recogniser pass wrote against the script, the script's words for it ("" for
    an insertion) and the correction stage's findings it answers."""

    findings: list[Finding]
    k0: int
    k1: int
    script: str = ""
    bare: str = ""  # the script's words without a skipped phrase joined to the run

    def without_skips(self) -> "_Run":
        return _Run([f for f in self.findings if f.kind != "script_skipped"], self.k0, self.k1, self.bare, self.bare)


def _join(a: str, b: str) -> str:
    return f"{a} {b}".strip()


def _arbitration_runs(words: list[Word], findings: list[Finding], language: str) -> list[_Run]:
    """The runs of recogniser words the correction stage kept against the script: an insertion (`ad_lib`,
    `word_unscripted`: the script has nothing there) or a poor match kept as recognised (`word_mismatch`), with a
    script phrase it reported skipped right before or after them (`script_skipped`: "-15 %" before a garbled "sur
    tout"); adjacent runs are one. Numbers are the price judge's, unless inserted next to inserted words; a word of the
    prompted pass's own at p ≥ 0.5 stays."""
    from .hint import UNPROMPTED_AD_LIB, is_value_text

    base: list[_Run] = []
    values: list[_Run] = []  # inserted numbers: the price judge's, unless part of an inserted phrase (below)
    for f in findings:
        idx = sorted(f.word_indices or [])
        if not idx or idx != list(range(idx[0], idx[-1] + 1)) or idx[-1] >= len(words):
            continue
        if any(words[i].source != "asr" for i in idx):
            continue
        value = any(is_value_text(words[i].text, language) for i in idx)
        if value and f.kind == "word_mismatch":
            continue  # a number against the script's: the price judge's
        if f.kind in ("ad_lib", "word_unscripted") and f.spoken_text and not f.spoken_text.startswith("/"):
            # the prompted pass leans towards the script: a word of its own that it is more sure of than not stays
            # (under a music bed the phone model hears too little to find the speech: "En serio" said, p = 0.80)
            # (a bare sign is no word of its own: "%" left over from "4%" heard for the script's "28天")
            if UNPROMPTED_AD_LIB not in f.message and min(words[i].confidence for i in idx) >= 0.5 and \
                    any(c.isalnum() for i in idx for c in words[i].text):
                continue
            (values if value else base).append(_Run([f], idx[0], idx[-1] + 1))
        elif f.kind == "word_mismatch" and f.script_text:
            base.append(_Run([f], idx[0], idx[-1] + 1, f.script_text, f.script_text))
    base.sort(key=lambda r: r.k0)
    skips = [f for f in findings if f.kind == "script_skipped" and not f.word_indices and f.script_text and f.start is not None]
    used: set[int] = set()
    for r in base:
        for sk in skips:
            if id(sk) in used:
                continue
            if r.k0 > 0 and abs(words[r.k0 - 1].end - sk.start) < 1e-6:
                r.script, r.findings = _join(sk.script_text, r.script), r.findings + [sk]
                used.add(id(sk))
            elif abs(words[r.k1 - 1].end - sk.start) < 1e-6:
                r.script, r.findings = _join(r.script, sk.script_text), r.findings + [sk]
                used.add(id(sk))
    runs: list[_Run] = []
    for r in base:
        if runs and r.k0 < runs[-1].k1:
            continue  # two findings on one word: the first stands
        if runs and r.k0 == runs[-1].k1:
            last = runs[-1]
            last.findings, last.k1 = last.findings + r.findings, r.k1
            last.script, last.bare = _join(last.script, r.script), _join(last.bare, r.bare)
        else:
            runs.append(r)
    # an inserted number next to inserted words is judged with them, as one phrase (the prompted pass echoing the
    # script's closing "再享8折优惠" at the voice's start: "8" "折" "优" "惠", p ≤ 0.04); alone it stays the judge's
    for v in sorted(values, key=lambda r: r.k0):
        for r in runs:
            if r.k0 == v.k1 or r.k1 == v.k0:
                r.findings, r.k0, r.k1 = v.findings + r.findings, min(r.k0, v.k0), max(r.k1, v.k1)
                break
    return runs


def _with_script_words(words: list[Word], findings: list[Finding], runs: list[_Run],
                       language: str) -> tuple[list[Word], list[Finding], list[range]]:
    """`words` with each run replaced by the script's words (or dropped), the findings re-indexed (the runs' own
    findings replaced by `script_restored` / `word_dropped`, a claim among the script's words marked unverified), and
    where each run's words now sit."""
    from .hint import _split_zh, script_run_words

    runs = sorted(runs, key=lambda r: r.k0)
    gone = {id(f) for r in runs for f in r.findings}
    moves = []  # (k0, k1, new length)
    new_words: list[Word] = []
    ranges: list[range] = []
    added: list[Finding] = []
    k = 0
    for r in runs:
        new_words += words[k:r.k0]
        t0, t1 = words[r.k0].start, words[r.k1 - 1].end
        text = " ".join(_split_zh(r.script)) if language == "zh" else r.script
        alt, claims = script_run_words(text, language, t0, t1) if text else ([], [])
        rng = range(len(new_words), len(new_words) + len(alt))
        ranges.append(rng)
        new_words += alt
        moves.append((r.k0, r.k1, len(alt)))
        k = r.k1
        heard = " ".join(w.text for w in words[r.k0:r.k1])
        p = min(w.confidence for w in words[r.k0:r.k1])
        starts = [f.start for f in r.findings if f.start is not None] or [t0]
        ends = [f.end for f in r.findings if f.end is not None] or [t1]
        if alt:
            added.append(Finding(kind="script_restored", severity=Severity.info,
                                 message=f"the recogniser wrote “{heard}” (p = {p:.2f}) where the script has “{r.script}”; "
                                         "the phone model hears the script's words there: captions keep them",
                                 start=min(starts), end=max(ends), script_text=r.script, spoken_text=heard, word_indices=list(rng)))
            for c in claims:
                w = alt[c]
                added.append(Finding(kind="unverified_claim", severity=Severity.warning,
                                     message=f"“{w.text}”: the recogniser wrote “{heard}” here; the phone model hears the "
                                             "script's words: listen to it before publishing",
                                     start=w.start, end=w.end, script_text=w.text, word_indices=[rng[c]]))
        else:
            # an ad-lib finding stays a warning: a short word said in connected speech ("echt", 0.27 s) is below what
            # the phone model can tell from its neighbours, so the reviewer still hears it named
            warn = any(f.severity != Severity.info for f in r.findings)
            added.append(Finding(kind="word_dropped", severity=Severity.warning if warn else Severity.info,
                                 message=f"dropped “{heard}”: one recogniser pass wrote it (p = {p:.2f}), but the phone model "
                                         "hears no speech there that the script's words do not explain"
                                         + (" — listen: if the voice says a word here, add it" if warn else ""),
                                 start=min(starts), end=max(ends), spoken_text=heard))
    new_words += words[k:]

    def where(i: int) -> Optional[int]:
        shift = 0
        for k0, k1, n in moves:
            if i >= k1:
                shift += n - (k1 - k0)
            elif i >= k0:
                return None
        return i + shift

    out: list[Finding] = []
    for g in findings:
        if id(g) in gone:
            continue
        if g.word_indices:
            g = g.model_copy(update={"word_indices": [j for j in (where(i) for i in g.word_indices) if j is not None]})
        out.append(g)
    return new_words, out + added, ranges


def _runs_heard(aligned, words: list[Word], runs: list[_Run], ranges: list[range]) -> tuple[list[_Run], list[_Run]]:
    """(runs whose script words the phone model hears, with no unexplained speech between the words around them; the
    others)."""
    keep, fail = [], []
    for r, rng in zip(runs, ranges):
        # between the words around the run: a skipped phrase's speech may lie outside the run's own words
        a = (words[r.k0 - 1].end if r.k0 > 0 else words[r.k0].start) - 0.1
        b = (words[r.k1].start if r.k1 < len(words) else words[r.k1 - 1].end) + 0.1
        speech = any(u0 < b and u1 > a for u0, u1, _ in aligned.unexplained)
        heard = all(aligned.words[i].aligner == "phones" and i not in aligned.unheard for i in rng)
        (keep if not speech and heard else fail).append(r)
    return keep, fail


def arbitrate_by_phones(audio: np.ndarray, words: list[Word], findings: list[Finding], language: str):
    """Align the caption words, first putting to the phone model the recogniser words the correction stage kept
    against the script (`_arbitration_runs`). All of them are replaced by the script's words (an insertion dropped)
    and the text is aligned; a run goes back to the recogniser's words where the phone model then hears speech no
    caption word explains between the words around it (the aligner's own `ad_lib` detection, chosen on seed 101), or
    where the script's words it got instead are not heard or not timed by their phones. Returns (alignment, words,
    findings), word indices following the words kept.

    A voice the recogniser cannot follow (a fast French espeak voice: "On ne parle que cul de mot, Kelone" for "On ne
    parle que de Kelone") leaves words that matched too little of the script to be corrected, shown as ad-libs; a
    real ad-lib is speech the script's words cannot explain. Why not the two texts' path scores: a CTC phone model
    spends most frames on blanks, so leaving a word out costs only its few spikes, and the shorter text wins even
    where the voice says the longer one (measured: "Glaub mir", said, lost 13 nats to nothing; docs/BENCHMARKS.md)."""
    from .align import align_words

    runs = _arbitration_runs(words, findings, language)
    if not runs:
        return align_words(audio, words, language), words, findings
    cand_words, cand_findings, ranges = _with_script_words(words, findings, runs, language)
    aligned = align_words(audio, cand_words, language)
    if not aligned.by_phones:  # no phone model (or it heard nothing): the recogniser's words stay
        return align_words(audio, words, language), words, findings
    keep, retry = _runs_heard(aligned, words, runs, ranges)
    # a run that failed with a skipped phrase joined to it is tried once more without it: the voice may say the run's
    # own script words and skip the phrase after all (g1414-de-08: "akkund" for "Stunden.", then a skipped sentence)
    retry = [r.without_skips() for r in retry if r.bare != r.script]
    if retry:
        both = sorted(keep + retry, key=lambda r: r.k0)
        w2, f2, rng2 = _with_script_words(words, findings, both, language)
        al2 = align_words(audio, w2, language)
        if al2.by_phones:
            keep2, _ = _runs_heard(al2, words, both, rng2)
            if len(keep2) == len(both):
                return al2, w2, f2
            keep = keep2
    if len(keep) == len(runs):
        return aligned, cand_words, cand_findings
    if not keep:
        return align_words(audio, words, language), words, findings
    words, findings, _ = _with_script_words(words, findings, keep, language)
    return align_words(audio, words, language), words, findings


# How much of the speech the caption text leaves unexplained, or of the text the voice does not say, before the
# text is called another video's (`script_mismatch`). Generated TUNING seed 101 (96 ads, clean + music): with its
# own script no ad went over 0.28 (a skipped phrase: 28 % of the words unsaid); with the script of another ad of the
# same language (same generator, many shared phrases) 15 of 96 reached 0.5, 48 of 96 reached 0.3. 0.5 leaves the
# margin to the scripts that belong: it names the gross mix-ups (the example ad with another ad's script: 0.58).
SCRIPT_MISMATCH_FRACTION = 0.5


def script_mismatch(words: list[Word], findings: list[Finding], speech_s: float, *, own_text: bool = False) -> Optional[Finding]:
    """An error when the aligner could not explain much of the speech with the caption text, or heard little of the
    text: the script (or caption file) probably belongs to another video. None for captions made from the recogniser
    alone (their words are what it heard); `own_text`: the words are the user's own (an imported caption file)."""
    if not words or (not own_text and all(w.source == "asr" for w in words)) or speech_s <= 0:
        return None
    unexplained = sum(f.end - f.start for f in findings if f.kind == "ad_lib" and f.end is not None and f.start is not None)
    unsaid = sum(len(f.word_indices or []) for f in findings if f.kind == "script_unspoken")
    a, u = unexplained / speech_s, unsaid / len(words)
    if max(a, u) < SCRIPT_MISMATCH_FRACTION:
        return None
    return Finding(kind="script_mismatch", severity=Severity.error,
                   message=f"the caption text does not fit the voice: {100 * min(a, 1):.0f}% of the speech is not in it and "
                           f"{100 * u:.0f}% of its words were not heard — is this the script of another video (or of a longer "
                           "cut)? The captions (and their prices) follow that text: check it before publishing")


# findings about one caption word's spelling or match: they go with the word when it is dropped (the script words
# they name are reported skipped instead)
_WORD_FINDINGS = ("spelling_fixed", "brand_fixed", "word_mismatch", "word_unscripted", "ad_lib")
# the price judge's verdicts on one number (`verify`)
_JUDGED = ("claim_verified", "number_disputed", "price_mismatch", "number_mismatch", "unverified_claim")


# voice activity this long after the last timed word's end is still that word (its release, the VAD's padding)
SILENT_TAIL_SLACK_S = 0.25


def _outgrow(words: list[Word], run: list[int], language: str, seconds: float) -> bool:
    """Whether `seconds` of audio hold fewer phone frames than the words `run` have phones: a CTC model needs one frame
    per phone, so no voice says them in that time (no threshold)."""
    from .align import FRAME_S, phone_ids
    from .errors import ModelError
    from .phones import load

    frames = seconds / (2 * FRAME_S)  # the phone model's frames are two signal frames
    try:
        need = sum(len(x) for x in phone_ids(load(), [words[i] for i in run], language))
    except (ModelError, ImportError):
        return False
    return need > 0 and frames < need


def _tail_outgrows_audio(words: list[Word], h: int, tail: list[int], language: str, end: Optional[float]) -> bool:
    """Whether the audio after the last timed word (h) ends before the tail's phones could be said (`_outgrow`). A 5 s
    cut of the example ad: "Use code GLOW20 for 20% off. Tap the link below!" (~40 phones) was kept in the last 0.47 s
    (23 frames), ten pages of 0.05 s, its prices "disputed" where nobody says them."""
    if end is None:
        return False
    return _outgrow(words, tail, language, end - words[h].end)


def _heard_by_witness(w: Word, reference: Optional[Transcript], slack_s: float = 1.0) -> bool:
    """Whether the unprompted pass wrote this caption word (same letters and digits, within `slack_s` of its time)."""
    if reference is None:
        return False
    key = _letters(w.text)
    return any(r.end > w.start - slack_s and r.start < w.end + slack_s and _letters(r.text) == key for r in reference.words)


def drop_prompt_continuation(audio: np.ndarray, aligned, words: list[Word], findings: list[Finding], language: str,
                             reference: Optional[Transcript]):
    """Words at the end that the prompted pass wrote by continuing its prompt leave the captions.

    Cut short, a voice-over ends where the script goes on, and the recogniser prompted with the script may write the
    script's next words anyway: a 10 s cut of a generated German ad ended "… Mit dem Code FRISCH10 Rabatt." where the
    voice says "Mit" at the cut, and the aligner, held near the recogniser's times, drew "Mit dem Code FRISCH10
    Rabatt." in the last 0.67 s (the first three over the pause before "Mit"). The run considered: the caption words
    at the end that carry the prompted pass's own times and its probability below `CorrectionOptions.low_confidence`
    (the recogniser's own doubt) and that the unprompted pass did not write (`_heard_by_witness`), two words or more
    (as for an unheard run: one short word is too often just badly modelled), right after a word the unprompted pass
    did write (it followed the voice up to there). It leaves when, aligned without it, the
    phone model hears no speech that the remaining captions leave out after the last word kept (as `drop_unheard_tail`
    asks of a recogniser's tail: no threshold beyond the aligner's own for reporting speech), and explains the audio
    better without it by more than `RESTORE_EDGE_NATS_PER_WORD` per word — the margin at which script words at an edge
    are put back (`restore_heard_by_phones`). Reported as `word_dropped`. Returns (alignment, words, findings)."""
    from .align import align_words
    from .hint import CorrectionOptions

    if reference is None or len(words) < 3 or len(aligned.words) != len(words) or not math.isfinite(aligned.log_likelihood):
        return aligned, words, findings
    low = CorrectionOptions().low_confidence
    k = len(words)
    while k > 0 and words[k - 1].timing == "asr" and words[k - 1].confidence < low \
            and not _heard_by_witness(words[k - 1], reference):
        k -= 1
    run = list(range(k, len(words)))
    # the unprompted pass must have followed the voice up to the run (it wrote the word before it): its silence after
    # that is evidence; where it lost the voice earlier it is none (a generated Chinese ad under music, 10 % of the
    # script heard without the prompt: the prompted pass's "37.9元", said, would have gone)
    if len(run) < 2 or k == 0 or not _heard_by_witness(words[k - 1], reference):
        return aligned, words, findings
    again = align_words(audio, words[:k], language)
    if not again.by_phones or not math.isfinite(again.log_likelihood):
        return aligned, words, findings
    # without the run, speech the captions leave out after the last word kept (where it was, or where it moved to: under
    # a music bed "mit dem" moved onto the run's speech): the run said something there — it stays (DEV ad-de-02: "Code
    # INGWER20." said, the recogniser at 0.02, the unprompted pass "Chot Inwardsch")
    since = min(aligned.words[k - 1].start, again.words[k - 1].start)
    if any(b > since for _, b, _ in again.unexplained):
        return aligned, words, findings
    loss = again.log_likelihood - aligned.log_likelihood
    if loss <= RESTORE_EDGE_NATS_PER_WORD * len(run):
        return aligned, words, findings
    gone = set(run)
    kept: list[Finding] = []
    for f in findings:
        idx = f.word_indices or []
        if idx and set(idx) <= gone:
            if f.kind in _JUDGED or f.kind in _WORD_FINDINGS:
                continue  # the word is not drawn: its verdict goes with it (the finding below names the words)
            f = f.model_copy(update={"word_indices": []})
        elif idx and set(idx) & gone:
            left = [i for i in idx if i not in gone]
            f = f.model_copy(update={"word_indices": left})
            if f.kind == "low_confidence":  # its message lists the words: the dropped ones go from it too
                f = f.model_copy(update={"message": "low recogniser confidence: " + ", ".join(
                    f"“{words[i].text}” ({words[i].confidence:.2f})" for i in left[:12]) + (" …" if len(left) > 12 else "")})
        kept.append(f)
    text = " ".join(words[i].text for i in run)
    a, b = words[run[0]].start, words[run[-1]].end
    kept.append(Finding(kind="word_dropped", severity=Severity.warning,
                        message=f"dropped “{text}” at the end: the recogniser with the script wrote it (probability "
                                f"≤ {max(words[i].confidence for i in run):.2f}), the recogniser without the script did not, "
                                f"and the phone model explains the audio better without it ({loss:.0f} nats) — the voice-over "
                                "probably ends before these script words (a cut-down?): listen to the end of the ad",
                        start=round(a, 3), end=round(b, 3), spoken_text=text))
    return again, words[:k], kept


def drop_unheard_tail(aligned, words: list[Word], findings: list[Finding], language: str,
                      speech: Optional[list[tuple[float, float]]] = None, excerpt: bool = False,
                      duration: Optional[float] = None):
    """Recogniser words after the last word the aligner times, which the phone model finds no audio for, are dropped.

    A voice-over cut short of its script ends mid-word; the prompted pass writes that remnant as words of its own
    ("$79. I'm not." for a cut-off "seventy nine dollars" whose audio "$79" already explains), and the correction stage
    may even re-spell one as a script word ("I'm" → "from"). Kept, they were drawn in the last frames of the video
    (15.00–15.00 s) and listed in the sidecars — words nobody says. Every word of the tail must be unheard by the phone
    alignment (`align_words`: not one of their phones finds a frame, which needs no threshold), and then either
    - each carries the recogniser's own timestamps, none is a number, and the phone model hears no speech after the
      last timed word that the captions leave out (the tail could be an ad-lib it cannot place) — dropped wherever
      they would go; or
    - there is no room for them: the voice-over ends before them (each would get less than one phone frame, or the
      audio left after the last timed word has fewer phone frames than they have phones: `_tail_outgrows_audio`), or
      what follows the last timed word is silence (`speech`: no voice activity there, and no speech the phone model
      cannot explain). Then script words and prices go too (the words after a preview's cut, a cut-down's unsaid
      price) — drawn, they would be squeezed into the last instant or stretched over the silence ("is just $49" held
      from 2.8 s to the end of a 12 s video whose voice stops at 3 s, "$49" never said); where the voice goes on,
      unheard script words stay in the captions, reported.
    `excerpt`: the audio is a preview's first seconds, cut by us: the script words it finds no room for are after the
    cut (a 5 s preview drew the script's last sentence as six pages of 0.03–0.20 s in its last half second), left
    out with an info finding. Reported: `word_dropped` (recogniser words), `script_unspoken` (script words left
    out), `script_skipped` (the script words the recogniser's were matched to). Returns (alignment, words, findings)."""
    from .hint import is_value_text

    timed = [i for i, w in enumerate(aligned.words) if w.timing == "aligned"]
    if not timed or not aligned.unheard or len(aligned.words) != len(words):
        return aligned, words, findings
    h = timed[-1]
    tail = list(range(h + 1, len(words)))
    if not tail or not set(tail) <= set(aligned.unheard):
        return aligned, words, findings
    # no room: the voice-over ends before these words — each got less than one phone frame (a CTC model needs a
    # frame per phone), so drawn they would be squeezed into the last instant (a 3 s cut of the example ad ended
    # "is just $49 today." with "just" and "$49" at 3.00–3.00 s, an unsaid price in the sidecars)
    from .align import FRAME_S

    no_room = all(aligned.words[i].end - aligned.words[i].start < 2 * FRAME_S for i in tail)
    no_room = no_room or _tail_outgrows_audio(aligned.words, h, tail, language, duration)
    after = aligned.words[h].end + SILENT_TAIL_SLACK_S
    no_room = no_room or (speech is not None and not any(b > after for _, b in speech)
                          and not any(b > aligned.words[h].start for _, b, _ in aligned.unexplained))
    recognised = all(words[i].timing == "asr" and not is_value_text(words[i].text, language) for i in tail) and \
        not any(b > aligned.words[h].start for _, b, _ in aligned.unexplained)
    no_room = no_room or excerpt
    if not (recognised or no_room):
        return aligned, words, findings
    gone = set(tail)
    t0, t1 = words[tail[0]].start, words[tail[-1]].end
    # the script words the dropped ones were matched to, and the script phrases reported skipped among them, in
    # script order (a skip sits right after the word whose end it starts at), become one finding
    skipped: list[tuple[float, int, str]] = []
    kept: list[Finding] = []
    for f in findings:
        idx = f.word_indices or []
        if f.kind == "script_skipped" and not idx and f.script_text and f.start is not None and f.start >= t0 - 1e-6:
            skipped.append((f.start, 0, f.script_text))
            continue
        if idx and set(idx) <= gone:
            if f.kind in _JUDGED:
                continue  # the number is not drawn: its judgement goes with it (the finding below names its words)
            if f.kind in _WORD_FINDINGS:
                if f.kind in ("spelling_fixed", "brand_fixed", "word_mismatch") and f.script_text:
                    skipped.append((min(words[i].start for i in idx), 1, f.script_text))
                continue
            f = f.model_copy(update={"word_indices": []})
        elif idx and set(idx) & gone:
            f = f.model_copy(update={"word_indices": [i for i in idx if i not in gone]})
        kept.append(f)
    own = [f for f in aligned.findings if not (f.kind == "script_unspoken" and set(f.word_indices or []) <= gone)]
    end = aligned.words[h].end
    # a number the judge wrote back as the script's value is the script's, not what the recogniser wrote there
    heard_by_asr = [i for i in tail if words[i].timing == "asr"
                    and not (words[i].source == "script" and is_value_text(words[i].text, language))]
    if heard_by_asr:
        text = " ".join(words[i].text for i in heard_by_asr)
        a, b = words[heard_by_asr[0]].start, words[heard_by_asr[-1]].end
        kept.append(Finding(kind="word_dropped", severity=Severity.warning,
                            message=f"dropped “{text}”: the recogniser wrote it at {a:.2f}–{b:.2f} s, after the voice's last "
                                    f"caption word, but the phone model hears no speech for it (a voice-over cut short ends "
                                    "mid-word) — listen to the end of the ad",
                            start=round(a, 3), end=round(b, 3), spoken_text=text))
    own_text = [i for i in tail if i not in heard_by_asr]
    if own_text and excerpt:
        text = " ".join(words[i].text for i in own_text)
        kept.append(Finding(kind="script_unspoken", severity=Severity.info,
                            message=f"“{text}” is said after the preview's end: left out of the preview (the full render "
                                    "captions it)", start=round(end, 3), end=round(end, 3), script_text=text))
    elif own_text:
        text = " ".join(words[i].text for i in own_text)
        kept.append(Finding(kind="script_unspoken", severity=Severity.warning,
                            message=f"“{text}” is not heard in the audio: the voice-over ends at {end:.2f} s, before it — "
                                    "left out of the captions (check the cut of the video or the script)",
                            start=round(end, 3), end=round(end, 3), script_text=text))
    if skipped:
        said = " ".join(t for _, _, t in sorted(skipped, key=lambda x: (x[0], x[1])))
        kept.append(Finding(kind="script_skipped", severity=Severity.warning,
                            message=f"script words not heard in the audio: “{said}” (the voice-over ends before them, or the "
                                    "recogniser missed them)", start=round(end, 3), end=round(end, 3), script_text=said))
    aligned = replace(aligned, words=aligned.words[:h + 1], findings=own,
                       unheard=[i for i in aligned.unheard if i not in gone],
                       interpolated=sum(w.timing == "interpolated" for w in aligned.words[:h + 1]))
    return aligned, words[:h + 1], kept


def drop_unspoken_runs(aligned, words: list[Word], findings: list[Finding], language: str,
                       speech: Optional[list[tuple[float, float]]] = None):
    """Script words inside the ad that the voice skips, where the audio has no room for them, leave the captions.

    A voice that skips a script line ("भारत में बना।", the benefit sentence) goes on with the next one: the phone
    alignment finds no audio for the line's words (`align_words`' unheard run, no threshold) and they were kept,
    spread over whatever lay between the words around them — the 0.39 s pause between two sentences, or nothing at
    all (words 0.00 s long, cues stacked at one instant, a skipped line's price "shown" where nobody says it). A run
    leaves the captions, reported as `script_unspoken` (“… left out of the captions”), when the words around it are
    timed by the audio and between them there is
    - no speech the phone model cannot explain (an ad-lib or the line said differently would be there), and
    - no voice activity (`speech`) beyond `SILENT_TAIL_SLACK_S` of either neighbour (their releases, the VAD's
      padding): the pause between two sentences, or no time at all.
    Where the voice goes on there, the words stay, reported, as before — unless the time between the words around the
    run (or before the first timed word, for the opening) has fewer phone frames than the run has phones (`_outgrow`,
    the rule `drop_unheard_tail` applies at the end): voice or not, the run cannot be said there. A cut-down without
    its first seconds starts inside a word, so the voice-activity rule kept its unheard opening. The tail is
    `drop_unheard_tail`'s; the judge's verdicts on a number among the words go with it. Returns (alignment, words,
    findings)."""
    from .align import _index_runs

    N = len(words)
    if not aligned.unheard or len(aligned.words) != N:
        return aligned, words, findings
    timed = {i for i, w in enumerate(aligned.words) if w.timing == "aligned"}
    gone: list[list[int]] = []
    no_room: set[int] = set()  # the runs (by first word) left out because the time they would have cannot hold them
    for run in _index_runs(sorted(aligned.unheard)):
        k0, k1 = run[0], run[-1]
        if k1 + 1 >= N or (k0 > 0 and k0 - 1 not in timed) or k1 + 1 not in timed:
            continue  # the tail (drop_unheard_tail), or a neighbour without a time of its own
        a = aligned.words[k0 - 1].end if k0 > 0 else 0.0
        b = aligned.words[k1 + 1].start
        if _outgrow(aligned.words, run, language, b - a):
            # fewer phone frames between the words around the run than it has phones: voice may be there, but not these
            # words. A cut-down without its first seconds starts inside a word (the end of "Disoo" before "Seulement"):
            # nine words were squeezed into its first 0.6 s; a cut mid-price left "2 499 € … réduction." (ten words)
            # in no time at all between "à" and a last word placed over the cut price
            no_room.add(k0)
            gone.append(run)
            continue
        if any(u0 < b + 0.1 and u1 > a - 0.1 for u0, u1, _ in aligned.unexplained):
            continue
        lo, hi = a + SILENT_TAIL_SLACK_S, b - SILENT_TAIL_SLACK_S
        if hi > lo and (speech is None or any(s0 < hi and s1 > lo for s0, s1 in speech)):
            continue
        gone.append(run)
    if not gone:
        return aligned, words, findings
    drop = {i for run in gone for i in run}
    keep = [i for i in range(N) if i not in drop]
    new_index = {i: n for n, i in enumerate(keep)}

    def moved(f: Finding) -> Optional[Finding]:
        idx = f.word_indices or []
        if not idx:
            return f
        if set(idx) <= drop:
            return None
        return f.model_copy(update={"word_indices": [new_index[i] for i in idx if i in new_index]})

    kept: list[Finding] = []
    for f in findings:
        idx = set(f.word_indices or [])
        if idx and idx <= drop and (f.kind in _JUDGED or f.kind in _WORD_FINDINGS):
            continue  # the number (or word) is not drawn: its verdict goes with it, the finding below names the words
        g = moved(f)
        if g is not None:
            kept.append(g)
    own: list[Finding] = []
    for f in aligned.findings:
        if f.kind == "script_unspoken" and f.word_indices and set(f.word_indices) <= drop:
            continue
        g = moved(f)
        if g is not None:
            own.append(g)
    for run in gone:
        text = " ".join(words[i].text for i in run)
        a = aligned.words[run[0] - 1].end if run[0] > 0 else 0.0
        b = aligned.words[run[-1] + 1].start
        if run[0] in no_room and run[0] == 0:
            own.append(Finding(kind="script_unspoken", severity=Severity.warning,
                               message=f"“{text}” is not heard in the audio: the voice starts at “{words[run[-1] + 1].text}” "
                                       f"({b:.2f} s), too soon for these words to be said before it — left out of the "
                                       "captions (is the video's opening cut? check the cut or the script)",
                               start=0.0, end=round(b, 3), script_text=text))
            continue
        if run[0] in no_room:
            own.append(Finding(kind="script_unspoken", severity=Severity.warning,
                               message=f"“{text}” is not heard in the audio: between “{words[run[0] - 1].text}” and "
                                       f"“{words[run[-1] + 1].text}” there are {max(0.0, b - a):.2f} s, too little for these "
                                       "words to be said — left out of the captions (check the voice-over or the script)",
                               start=round(a, 3), end=round(max(a, b), 3), script_text=text))
            continue
        own.append(Finding(kind="script_unspoken", severity=Severity.warning,
                           message=f"“{text}” is not heard in the audio: the voice "
                                   + (f"goes from “{words[run[0] - 1].text}” to" if run[0] > 0 else "starts at")
                                   + f" “{words[run[-1] + 1].text}” without it ({max(0.0, b - a):.2f} s between them, no speech) — left out of the "
                                   "captions (check the voice-over or the script)",
                           start=round(a, 3), end=round(max(a, b), 3), script_text=text))
    aligned = replace(aligned, words=[aligned.words[i] for i in keep], findings=own,
                      unheard=[new_index[i] for i in aligned.unheard if i in new_index],
                      interpolated=sum(aligned.words[i].timing == "interpolated" for i in keep))
    return aligned, [words[i] for i in keep], kept


def align_stage(audio: np.ndarray, words: list[Word], findings: list[Finding], language: str,
                speech_s: Optional[float] = None, excerpt: bool = False,
                reference: Optional[Transcript] = None) -> tuple[list[Word], list[Finding]]:
    """Time every caption word (`align.align_words`: + unheard script words, speech no caption word explains) after
    the phone model's arbitration of recogniser words kept against the script (`arbitrate_by_phones`), put back
    script words the phone model hears (`restore_heard_by_phones`), drop the prompted pass's continuation of its prompt
    at the end (`drop_prompt_continuation`; `reference`: the unprompted pass), drop recogniser words after the voice's
    end that it hears nothing of (`drop_unheard_tail`), merge the findings, and say when the text does
    not fit the voice at all (`script_mismatch`)."""
    from .media import speech_timestamps

    aligned, words, findings = arbitrate_by_phones(audio, words, findings, language)
    aligned, words, findings = restore_heard_by_phones(audio, words, findings, aligned, language)
    aligned, words, findings = drop_prompt_continuation(audio, aligned, words, findings, language, reference)
    spans = speech_timestamps(audio)
    from .media import SAMPLE_RATE

    aligned, words, findings = drop_unheard_tail(aligned, words, findings, language, spans, excerpt=excerpt,
                                                 duration=len(audio) / SAMPLE_RATE)
    aligned, words, findings = drop_unspoken_runs(aligned, words, findings, language, spans)
    bad = script_mismatch(aligned.words, aligned.findings, speech_s if speech_s is not None else sum(b - a for a, b in spans))
    return aligned.words, aligned.merge_into(findings) + ([bad] if bad is not None else [])


def transcribe_and_correct(audio: np.ndarray, script: Optional[str], language: str, asr: str = "whisper",
                           *, on_mismatch: str = "flag", use_prompt: bool = True, backend_options: dict | None = None,
                           timings: dict | None = None, excerpt: bool = False) -> tuple[Transcript, list[Word], list[Finding]]:
    """ASR (+ reference pass) → language check → script-hint correction → alignment. Shared by `caption()` and batch.
    `excerpt`: the audio is a preview's first seconds (the script goes on after it)."""

    timings = timings if timings is not None else {}
    _prefetch_phones(audio)
    if script:  # the price judge will score numbers: its float32 model loads meanwhile
        from .asr.whisper import prefetch_judge_model

        prefetch_judge_model()
    report_stage("asr")
    t = time.perf_counter()
    transcript, reference, findings = recognise(audio, script, language, asr, use_prompt=use_prompt,
                                                backend_options=backend_options)
    timings["asr"] = time.perf_counter() - t
    lang = transcript.language
    no_voice = transcript.speech_duration is not None and transcript.speech_duration < 0.2
    if no_voice or (not transcript.words and not script):
        findings.append(Finding(kind="no_speech", severity=Severity.warning,
                                message="no speech was found in the audio: the video is rendered without captions"))
        return transcript, [], findings
    report_stage("correct")
    t = time.perf_counter()
    words, findings = correct_stage(audio, transcript, reference, script, lang, findings, on_mismatch=on_mismatch)
    timings["correct"] = time.perf_counter() - t
    if not words:
        return transcript, [], findings
    report_stage("align")
    t = time.perf_counter()
    words, findings = align_stage(audio, words, findings, lang, speech_s=transcript.speech_duration, excerpt=excerpt,
                                  reference=reference)
    timings["align"] = time.perf_counter() - t
    return transcript, words, findings


def caption(video: str | os.PathLike, script: Optional[str | os.PathLike] = None, *, out: str | os.PathLike,
            options: CaptionOptions | None = None, **kw) -> CaptionResult:
    """Caption `video` and write OUT.mp4 + OUT.ass/.srt/.vtt/.json. Nothing is left behind on failure.

    `script` is the ad script text, or a `Path` to a UTF-8 file. Keyword arguments override
    `CaptionOptions` fields (language="de", preset="karaoke", asr="whisper", …). Builds a `job.RenderJob`
    and runs it with `job.run_job` (the path batch and previews take too).
    """
    o = options or CaptionOptions()
    if kw.get("captions", o.captions):
        import dataclasses

        from .edit import captions_job

        o = dataclasses.replace(o, **kw)
        job, outcome = captions_job(video, o.captions, out=out, language=o.language, preset=o.preset, safe_zone=o.safe_zone,
                                    emphasis=o.emphasis, strict=o.strict, account=o.account, ledger=o.ledger,
                                    key=o.idempotency_key, script=read_script(script), preset_overrides=o.preset_overrides,
                                    on_mismatch=o.on_mismatch)
        return run_job(job, asr=outcome)
    return run_job(caption_job(video, script, out=out, options=options, **kw))


def caption_job(video: str | os.PathLike, script: Optional[str | os.PathLike] = None, *, out: str | os.PathLike,
                options: CaptionOptions | None = None, **kw) -> RenderJob:
    """The `RenderJob` of one `caption()` call; everything cheap is validated here, before any work."""
    import dataclasses

    o = options or CaptionOptions()
    unknown = [k for k in kw if k not in {f.name for f in dataclasses.fields(CaptionOptions)}]
    if unknown:
        raise InputError(f"unknown option {unknown[0]!r}: see captioner.pipeline.CaptionOptions")
    o = dataclasses.replace(o, **kw)  # never mutate the caller's options
    language = check_language(o.language)
    inputs: dict[str, Path] = {"video": Path(video)}
    if isinstance(o.preset, Preset):
        preset = o.preset
    else:
        preset = load_preset(o.preset, **o.preset_overrides)
        if Path(str(o.preset)).is_file():
            inputs["preset file"] = Path(str(o.preset))
    if not o.emphasis:
        preset = preset.model_copy(update={"emphasis": None})
    if isinstance(script, Path):
        inputs["script"] = script
    billed = o.account is not None or o.ledger is not None
    ledger_path = None
    if billed:
        from .billing import default_ledger_path

        ledger_path = Path(o.ledger).expanduser() if o.ledger else default_ledger_path()
        inputs["ledger"] = ledger_path
    job = RenderJob.build(
        kind="caption", video=Path(video), inputs=inputs, language=language, asr=o.asr, safe_zone=o.safe_zone,
        on_mismatch=o.on_mismatch, use_prompt=o.use_prompt, backend_options=dict(o.backend_options), preset=preset,
        encode=dataclasses.asdict(o.encode) if dataclasses.is_dataclass(o.encode) else o.encode, out=Path(out),
        billed=billed, account=(o.account or "default") if billed else None, ledger=ledger_path,
        key=o.idempotency_key, strict=o.strict)
    from .job import check_outputs

    # outputs that would overwrite an input are refused before the script is even read
    check_outputs({k: Path(os.path.abspath(p)) for k, p in job.outputs.items()}, job.inputs, foreign=False)
    job.script = read_script(script)
    return job


def build_track(words: list[Word], preset: Preset, info: MediaInfo, language: str, safe_zone: str) -> CaptionTrack:
    from .align import snap_to_frames

    words = snap_to_frames(words, info.fps) if words else words
    return paginate(words, preset, info.width, info.height, language=language, safe_zone=safe_zone, duration=info.duration,
                    fps=info.fps)
