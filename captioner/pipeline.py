"""The one entry point: `caption(video, script, language, preset, …)` runs every stage and writes the outputs."""
from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from . import __version__
from .asr import ASROptions, get_backend
from .billing import receipt_for
from .errors import InputError, LanguageError, OutputError
from .layout import paginate
from .media import load_audio, probe
from .presets import Preset, load_preset
from .render.ass import ASSWriter
from .render.burn import EncodeOptions, burn
from .render.srt import to_srt
from .render.vtt import to_vtt
from .types import LANGUAGES, CaptionResult, CaptionTrack, Finding, MediaInfo, Severity, Transcript, Word

SIDECARS = ("ass", "srt", "vtt", "json")


def output_paths(out: str | os.PathLike) -> dict[str, Path]:
    """OUT.mp4 → {'video': OUT.mp4, 'ass': OUT.ass, 'srt': OUT.srt, 'vtt': OUT.vtt, 'json': OUT.json}."""
    p = Path(out)
    if p.suffix.lower() not in (".mp4", ".mov", ".m4v"):
        raise InputError(f"output {p} must end in .mp4 (or .mov/.m4v): the sidecars are named after it")
    return {"video": p, **{k: p.with_suffix("." + k) for k in SIDECARS}}


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
    return str(script)


class OutputSet:
    """Writes every output under a temporary name in the target folder; `commit()` renames them all."""

    def __init__(self, paths: dict[str, Path]):
        self.paths = paths
        folder = paths["video"].parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise OutputError(f"cannot create the output folder {folder}: {e.strerror}; pick a writable --out") from e
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OutputError(f"output folder {folder} is not writable; pick a writable --out")
        tag = secrets.token_hex(4)
        self.tmp = {k: p.with_name(f".{p.name}.{tag}.part") for k, p in paths.items()}

    def write_text(self, key: str, text: str) -> None:
        try:
            self.tmp[key].write_text(text, encoding="utf-8")
        except OSError as e:
            raise OutputError(f"cannot write {self.paths[key]}: {e.strerror}") from e

    def commit(self) -> None:
        done = []
        try:
            for k, tmp in self.tmp.items():
                os.replace(tmp, self.paths[k])
                done.append(k)
        except OSError as e:
            for k in done:
                self.paths[k].unlink(missing_ok=True)
            raise OutputError(f"cannot move outputs into place: {e}") from e

    def discard(self) -> None:
        for tmp in self.tmp.values():
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass


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
    if language == "auto" and backend.name != "whisper":
        # only Whisper detects; detect once with it, record, then pin for the chosen backend
        language, prob = get_backend("whisper").detect_language(audio)
        findings.append(Finding(kind="language_detected", severity=Severity.info,
                                message=f"language detected as {language!r} (p={prob:.2f}) and pinned for the {asr} backend"))
    hot = hotwords(script) if script else []
    opts = ASROptions(language=language, script=script, hotwords=hot, use_prompt=use_prompt)
    transcript = backend.transcribe(audio, opts)
    lang = transcript.language
    if lang not in LANGUAGES:
        raise LanguageError(f"detected language {lang!r} is not supported: pin one of {', '.join(LANGUAGES)} with --language")
    ok, found = _in_language(transcript.text, lang)
    if not ok:
        unprompted = ASROptions(language=lang, script=None, hotwords=[], use_prompt=False)
        again = backend.transcribe(audio, unprompted)
        ok, found2 = _in_language(again.text, lang)
        if ok:
            again.notes.append(f"first pass came out in {found!r}, not {lang!r}: re-ran pinned without the prompt")
            return again, None, findings
        if not script or not _in_language(script, lang)[0]:
            raise LanguageError(
                f"the transcript came out in {found2!r} although {lang!r} was pinned: check that --language matches the "
                "voice-over (captions are never rendered in another language), or pass the script to caption from it")
        findings.append(Finding(kind="asr_wrong_language", severity=Severity.warning,
                                message=f"the recogniser's output was in {found2!r}, not {lang!r}, and was discarded: the "
                                        "captions follow the script, aligned to the audio — listen before publishing"))
        transcript = again.model_copy(update={"words": [], "text": ""})
        return transcript, None, findings
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
        ref = backend.transcribe(audio, ASROptions(language=lang, script=None, hotwords=[], use_prompt=False))
        if _in_language(ref.text, lang)[0]:
            reference = ref
    return transcript, reference, findings


def correct_stage(audio: np.ndarray, transcript: Transcript, reference: Optional[Transcript], script: Optional[str],
                  language: str, findings: list[Finding], *, on_mismatch: str = "flag") -> tuple[list[Word], list[Finding]]:
    """Script-hint correction, then the acoustic check of disputed/unverified numbers, then --on-mismatch."""
    from .hint import correct, enforce
    from .verify import verify_numbers

    words, fixes = correct(transcript, script, language, on_mismatch="flag", terms=hotwords(script) if script else None,
                           reference=reference)
    findings = list(findings) + fixes
    if script and words:
        words, findings = verify_numbers(audio, words, findings, language, reference=reference)
    enforce(findings, on_mismatch)
    return words, findings


def transcribe_and_correct(audio: np.ndarray, script: Optional[str], language: str, asr: str = "whisper",
                           *, on_mismatch: str = "flag", use_prompt: bool = True, backend_options: dict | None = None,
                           timings: dict | None = None) -> tuple[Transcript, list[Word], list[Finding]]:
    """ASR (+ reference pass) → language check → script-hint correction → alignment. Shared by `caption()` and batch."""
    from .align import align_words

    timings = timings if timings is not None else {}
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
    t = time.perf_counter()
    words, findings = correct_stage(audio, transcript, reference, script, lang, findings, on_mismatch=on_mismatch)
    timings["correct"] = time.perf_counter() - t
    if not words:
        return transcript, [], findings
    t = time.perf_counter()
    aligned = align_words(audio, words, lang)  # + unheard script words / speech no caption word explains
    words, findings = aligned.words, aligned.merge_into(findings)
    timings["align"] = time.perf_counter() - t
    return transcript, words, findings


def caption(video: str | os.PathLike, script: Optional[str | os.PathLike] = None, *, out: str | os.PathLike,
            options: CaptionOptions | None = None, **kw) -> CaptionResult:
    """Caption `video` and write OUT.mp4 + OUT.ass/.srt/.vtt/.json. Nothing is left behind on failure.

    `script` is the ad script text, or a `Path` to a UTF-8 file. Keyword arguments override
    `CaptionOptions` fields (language="de", preset="karaoke", asr="whisper", …).
    """
    import dataclasses

    o = options or CaptionOptions()
    unknown = [k for k in kw if k not in {f.name for f in dataclasses.fields(CaptionOptions)}]
    if unknown:
        raise InputError(f"unknown option {unknown[0]!r}: see captioner.pipeline.CaptionOptions")
    o = dataclasses.replace(o, **kw)  # never mutate the caller's options
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    # validate everything cheap before any heavy work
    language = check_language(o.language)
    preset = o.preset if isinstance(o.preset, Preset) else load_preset(o.preset, **o.preset_overrides)
    if o.on_mismatch not in ("flag", "fail"):
        raise InputError(f"--on-mismatch must be 'flag' or 'fail', not {o.on_mismatch!r}")
    paths = output_paths(out)
    script_text = read_script(script)
    info = probe(video)
    if Path(video).resolve() == paths["video"].resolve():
        raise InputError("the output would overwrite the input video: choose another --out")
    if not info.has_audio:
        raise InputError(f"{video} has no audio stream: captions need the voice-over; add the audio track and retry")

    def render_once(receipt=None) -> CaptionResult:
        outputs = OutputSet(paths)
        try:
            t = time.perf_counter()
            audio = load_audio(video)
            timings["audio"] = time.perf_counter() - t
            transcript, words, findings = transcribe_and_correct(
                audio, script_text, language, o.asr, on_mismatch=o.on_mismatch, use_prompt=o.use_prompt,
                backend_options=o.backend_options, timings=timings)
            track = build_track(words, preset, info, transcript.language, o.safe_zone)
            result = render_outputs(video, track, preset, info, outputs, o.encode, findings, transcript, timings,
                                    receipt=receipt)
            outputs.commit()
        except BaseException:
            outputs.discard()
            raise
        return result

    if o.account is None and o.ledger is None:
        result = render_once()
    else:
        from .billing import Ledger, caption_key, charged_render

        key = o.idempotency_key or caption_key(
            video=video, script=script_text, language=language, asr=o.asr, preset=preset, safe_zone=o.safe_zone,
            on_mismatch=o.on_mismatch, use_prompt=o.use_prompt, encode=o.encode, output=paths["video"])
        cr = charged_render(Ledger(o.ledger), o.account or "default", key, preset, render_once,
                            outputs=list(paths.values()))
        if cr.skipped:  # this exact render was charged before and its outputs exist: no work, no second charge
            return CaptionResult.model_validate_json(paths["json"].read_text(encoding="utf-8"))
        result = cr.result
    result.timings["total"] = round(time.perf_counter() - t0, 3)
    return result


def build_track(words: list[Word], preset: Preset, info: MediaInfo, language: str, safe_zone: str) -> CaptionTrack:
    from .align import snap_to_frames

    words = snap_to_frames(words, info.fps) if words else words
    return paginate(words, preset, info.width, info.height, language=language, safe_zone=safe_zone, duration=info.duration)


def render_outputs(video, track: CaptionTrack, preset: Preset, info: MediaInfo, outputs: OutputSet, encode: EncodeOptions,
                   findings: list[Finding], transcript: Transcript, timings: dict, *, receipt=None) -> CaptionResult:
    t = time.perf_counter()
    writer = ASSWriter(track, preset)
    ass_text = writer.render()
    if writer.uncovered:
        chars = "".join(sorted(writer.uncovered))
        findings = findings + [Finding(kind="missing_glyphs", severity=Severity.warning,
                                       message=f"no shipped font draws {chars!r}: those characters are left out of the burn")]
    outputs.write_text("ass", ass_text)
    outputs.write_text("srt", to_srt(track))
    outputs.write_text("vtt", to_vtt(track))
    burn(video, ass_text, outputs.tmp["video"], info, encode)
    timings["render"] = time.perf_counter() - t
    result = CaptionResult(
        video=str(video), outputs={k: str(p) for k, p in outputs.paths.items()}, language=track.language,
        language_detected=transcript.language_detected, asr_backend=transcript.backend, preset=preset.name,
        words=track.words, pages=track.pages, findings=findings, receipt=receipt or receipt_for(preset), media=info,
        timings={k: round(v, 3) for k, v in timings.items()}, version=__version__,
    )
    outputs.write_text("json", result.model_dump_json(indent=1))
    return result
