"""Editing round-trip and imported captions: render from an edited OUT.json, or from .srt/.vtt/.ass/.json captions.

`captioner render --from OUT.json --out NEW.mp4` re-renders what a reviewer changed in the JSON sidecar — a word's
text, its times, the page breaks — without running ASR. Every word carries a stable id (`w1`, `w2`, …) that
survives edits and re-renders. Edits are validated before any work (one actionable line naming the word):
times are numbers, each word ends after it starts, starts never go backwards, everything lies inside the video;
text is cleaned like any caption text (markup and invisible controls removed; the ASS writer escapes the rest).
Pages that still partition the words in order are kept as edited (lines re-broken only where an edited line no
longer fits); if words were added or removed, the layout paginates again and says so (`edit_repaginated`).

`captioner caption VIDEO --captions FILE` takes captions a user already has and skips ASR: SRT, WebVTT (word
timestamps `<00:00:01.250>` kept as hints), ASS/SSA (`\\k` karaoke kept as hints) are read with pysubs2, our
own JSON sidecar directly. The words are aligned to the audio with `align.align` (so karaoke works whatever the
file's timing), and each cue stays one page with its line breaks.

Both are billed like `caption`: one `RenderJob` run by `job.run_job`, charged once; the render identity covers
the words, pages and times, so an unchanged re-run is not charged again and an edited one is a new render.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
from pathlib import Path
from typing import Optional

from .errors import InputError
from .job import RenderJob, with_ids
from .types import LANGUAGES, CaptionLine, CaptionPage, CaptionResult, Finding, FindingKind, Severity, Word

CAPTION_SUFFIXES = (".srt", ".vtt", ".ass", ".ssa", ".json")
_VTT_STAMP = re.compile(r"<((?:\d{1,2}:)?\d{2}:\d{2}[.,]\d{3})>")
_MARK = re.compile(r"\{TS(\d+)\}")


# --- validation --------------------------------------------------------------------------------------------


# the longest caption word an edit or an imported file may have: the longest words the product's languages write
# stay well under it ("Donaudampfschifffahrtsgesellschaftskapitän" 42, a web address "www.lumewell.com/summer-sale"
# 28); a 500-character word shrank its whole page, "$40 today." with it, to a thin line
MAX_WORD_CHARS = 60


def clean_words(words: list[Word], duration: float, where: str) -> list[Word]:
    """Edited words, validated: text cleaned and not empty, finite times, start <= end, starts monotonic, inside
    the video (a word past the end is refused: the video is shorter than the captions)."""
    from .text import clean_text

    out = []
    prev = -1.0
    slack = 0.05
    for k, w in enumerate(words):
        name = f"word {k + 1}" + (f" ({w.id})" if w.id else "")
        text = clean_text(w.text).replace("\n", " ").strip()
        if not text:
            raise InputError(f"{where}: {name} has no text: delete the word (and its index in pages) instead")
        if len(text) > MAX_WORD_CHARS:
            raise InputError(f"{where}: {name} “{text[:24]}…” is {len(text)} characters long: a caption word is at most "
                             f"{MAX_WORD_CHARS} (the page shrank to fit it and became unreadable) — split it into "
                             "words, each with its own times")
        if not (math.isfinite(w.start) and math.isfinite(w.end)):
            raise InputError(f"{where}: {name} {text!r} has a time that is not a number")
        if w.end < w.start:
            raise InputError(f"{where}: {name} {text!r} ends ({w.end:.3f} s) before it starts ({w.start:.3f} s)")
        if w.start < prev - 1e-6:
            raise InputError(f"{where}: {name} {text!r} starts at {w.start:.3f} s, before the word before it "
                             f"({prev:.3f} s): word times must not go backwards")
        if w.end > duration + slack:
            raise InputError(f"{where}: {name} {text!r} ends at {w.end:.3f} s, after the end of the video "
                             f"({duration:.3f} s)")
        prev = w.start
        out.append(w.model_copy(update={"text": text, "end": min(w.end, duration)}))
    return out


def kept_pages(pages: list[CaptionPage], n: int, duration: float, where: str) -> Optional[list[CaptionPage]]:
    """The edited pages if they still partition words 0..n-1 in order (else None: paginate again). Page times
    are checked: start < end, inside the video, never overlapping the next page."""
    ids = [i for p in pages for ln in p.lines for i in ln.words]
    if not pages or ids != list(range(n)) or any(not p.word_indices for p in pages):
        return None
    for k, p in enumerate(pages):
        if not (math.isfinite(p.start) and math.isfinite(p.end)) or p.end <= p.start:
            raise InputError(f"{where}: page {k + 1} ends ({p.end:.3f} s) before it starts ({p.start:.3f} s)")
        if p.start < 0 or p.start > duration:
            raise InputError(f"{where}: page {k + 1} starts at {p.start:.3f} s, outside the video (0–{duration:.3f} s)")
        if k + 1 < len(pages) and p.end > pages[k + 1].start + 1e-6:
            raise InputError(f"{where}: page {k + 1} ends at {p.end:.3f} s, after page {k + 2} starts "
                             f"({pages[k + 1].start:.3f} s): pages must not overlap")
    return [p.model_copy(update={"end": min(p.end, duration)}) for p in pages]


def _digest(words: list[Word], pages: Optional[list[CaptionPage]], extra: str = "") -> str:
    """What the captions are, for the render identity: words (text, times), page structure and times."""
    data = {"w": [[w.id, w.text, round(w.start, 3), round(w.end, 3)] for w in words],
            "p": [[round(p.start, 3), round(p.end, 3), [ln.words for ln in p.lines]] for p in pages] if pages else None,
            "x": extra}
    return "captions:" + hashlib.sha256(json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


# --- render --from OUT.json ----------------------------------------------------------------------------------


def load_result(path: str | os.PathLike) -> CaptionResult:
    """An (edited) JSON sidecar, validated as a `CaptionResult`; one actionable line if it is not one."""
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {p}: {getattr(e, 'strerror', None) or e}") from None
    import json

    from pydantic import ValidationError

    if p.suffix.lower() in (".srt", ".vtt", ".ass", ".ssa"):
        raise InputError(f"{p} is a subtitle file, not a captioner JSON sidecar: caption the video with it — "
                         f"captioner caption VIDEO --captions {p.name} --language LANG") from None
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise InputError(f"{p} is not valid JSON ({e}): was it cut short or edited by hand? Fix it, or use the OUT.json "
                         "`captioner caption` wrote") from None
    if isinstance(data, dict) and isinstance(data.get("words"), list) and "pages" not in data:
        data["pages"] = []  # pages deleted by the reviewer: the layout paginates the words again (like a words edit)
    try:
        return CaptionResult.model_validate(data)
    except ValidationError as e:
        errs = e.errors()
        if not isinstance(data, dict) or "words" not in data:
            raise InputError(f"{p} is not a captioner JSON sidecar (it has no 'words'): edit the OUT.json "
                             "`captioner caption` wrote") from None
        first = errs[0] if errs else {}
        where = ".".join(str(x) for x in first.get("loc", ()))
        word = ""
        loc = first.get("loc", ())
        if len(loc) >= 2 and loc[0] == "words" and isinstance(loc[1], int) and isinstance(data.get("words"), list) \
                and loc[1] < len(data["words"]) and isinstance(data["words"][loc[1]], dict):
            word = f" (word {loc[1] + 1}, “{str(data['words'][loc[1]].get('text', ''))[:40]}”)"
        more = f"; {len(errs) - 1} more problem{'s' if len(errs) > 2 else ''} after it" if len(errs) > 1 else ""
        got = "" if first.get("type") == "missing" else f" (got {str(first.get('input'))[:40]!r})"
        raise InputError(f"{p}: {where}{word}: {first.get('msg', 'invalid value')}{got}{more} — fix the value in the "
                         "JSON") from None


def render_job(source: str | os.PathLike, *, out: str | os.PathLike, video: Optional[str | os.PathLike] = None,
               preset=None, safe_zone: str = "tiktok", emphasis: bool = True, strict: bool = False, account: Optional[str] = None,
               ledger: Optional[str | os.PathLike] = None, key: Optional[str] = None, preset_overrides: Optional[dict] = None):
    """The RenderJob and the words (as an `AsrOutcome`) of `captioner render --from OUT.json`."""
    from .job import AsrOutcome
    from .media import probe
    from .presets import load_preset
    from .types import Transcript

    src = Path(source)
    result = load_result(src)
    video = Path(video) if video else Path(result.video)
    if not video.is_file() and not video.is_absolute():
        # the JSON names the video as it was given to `caption` (relative to that command's folder): look beside the
        # JSON too, where the render was written from another folder's point of view
        for near in (src.parent / video, src.parent / video.name):
            if near.is_file():
                video = near
                break
    if not video.is_file():
        raise InputError(f"the source video {video} named in {src} is missing: pass it with --video")
    info = probe(video)
    where = src.name
    words = clean_words(list(result.words), info.duration, where)
    pages = kept_pages(list(result.pages), len(words), info.duration, where)
    findings: list[Finding] = carried_findings(result.findings, with_ids(words))
    if pages is None and words:
        findings.append(Finding(kind=FindingKind.edit_repaginated, severity=Severity.info,
                                message="the edited words no longer match the pages (words added or removed): the "
                                        "layout paginated them again"))
    try:
        p = preset if preset is not None and not isinstance(preset, str) else load_preset(preset or result.preset,
                                                                                           **(preset_overrides or {}))
    except InputError as e:
        raise InputError(f"{e} (the JSON names preset {result.preset!r}: pass --preset NAME|FILE)") from None
    if not emphasis:
        p = p.model_copy(update={"emphasis": None})
    words, findings = judge_edited_numbers(video, words, findings, result.language, src.name)
    job = _build(video=video, out=out, language=result.language, preset=p, safe_zone=safe_zone, strict=strict,
                 account=account, ledger=ledger, key=key, inputs={"edited captions": src},
                 digest=_digest(with_ids(words), pages, "render"), terms=list(result.terms), pages=pages)
    transcript = Transcript(text=" ".join(w.text for w in words), words=words, language=result.language, backend="edit",
                            duration=info.duration)
    return job, AsrOutcome(transcript=transcript, words=words, findings=findings)


def edited_numbers(words: list[Word], language: str) -> list[int]:
    """Indices of the price/number words whose text is not what the captioning judged: the sidecar keeps, per number,
    the form the voice says for the value shown (`Word.spoken`, "forty dollars" for "$40"); a reviewer who types
    "$39" there, or adds a number, leaves a word whose text the voice's form does not read as."""
    from . import numbers as num
    from .verify import _amount

    def key(t: str) -> str:
        return "".join(ch for ch in t.lower() if ch.isalnum())

    out = []
    for i, w in enumerate(words):
        a = _amount(w.text, language)
        if a is None:
            continue
        if w.spoken is None:
            out.append(i)
            continue
        said = key(w.spoken)
        forms = {key(f) for f in num.spoken_variants(a, language)}
        forms.add(key(num.with_affix_words(num.spoken_form(a, language), w.text, language)))
        if said in forms:
            continue
        readings = num.parse_spoken(w.spoken, language)
        if any(r.kind == a.kind and r.value == a.value for r in readings):
            continue
        out.append(i)
    return out


def judge_edited_numbers(video: Path, words: list[Word], findings: list[Finding], language: str,
                         name: str) -> tuple[list[Word], list[Finding]]:
    """`render --from`: a number the reviewer changed or added goes to the price judge like an imported caption file's
    (acoustic witnesses; `verify.verify_numbers` with `written_by`), and the source JSON's verdicts on that word go:
    an edit of "$40" (said "forty") to "$39" rendered "$39" with the old finding "captions show what was said ($40)" —
    a price nobody says, no error. Numbers the reviewer left alone keep their verdicts (no audio is decoded when
    none changed)."""
    edited = edited_numbers(words, language)
    if not edited:
        return words, findings
    from .media import load_audio, raise_quiet
    from .pipeline import _JUDGED
    from .verify import VerifyOptions, apply_verdicts, gather

    mine = set(edited)
    words = [w.model_copy(update={"spoken": None}) if i in mine else w for i, w in enumerate(words)]
    kept = [f for f in findings if not (f.kind in _JUDGED and set(f.word_indices or []) & mine)]
    audio, _ = raise_quiet(load_audio(video))
    opts = VerifyOptions()
    cases = [c for c in gather(audio, words, kept, language, options=opts, written_by=f"your edit of {name}")
             if c.index in mine]
    return apply_verdicts(cases, words, kept, language, opts)


# findings of one render only: the new render makes its own
_RENDER_ONLY = {FindingKind.not_charged, FindingKind.edit_repaginated, FindingKind.missing_glyphs,
                FindingKind.frame_rate_raised, FindingKind.frame_too_small}


def carried_findings(findings: list[Finding], words: list[Word]) -> list[Finding]:
    """The source JSON's findings for the re-render (its price errors, disputes, unheard script words …), their words
    found again by id after an edit (a JSON without `word_ids`: the first render's ids, "w1" for word 0 …). A finding
    whose words were all deleted goes with them; a reviewer who has settled one deletes it from the JSON's list. The
    per-page QA and the render's own notes are made again. Without this a price error vanished on the round trip, and
    `--strict` let it through."""
    where = {w.id: k for k, w in enumerate(words) if w.id}
    out = []
    for f in findings:
        if f.kind in _RENDER_ONLY or str(f.kind).startswith("qa_"):
            continue
        if f.word_indices or f.word_ids:
            ids = f.word_ids or [f"w{i + 1}" for i in f.word_indices]
            idx = [where[i] for i in ids if i in where]
            if not idx:
                continue
            f = f.model_copy(update={"word_indices": idx, "word_ids": [words[k].id for k in idx]})
        out.append(f)
    return out


def render_from(source: str | os.PathLike, *, out: str | os.PathLike, **kw) -> CaptionResult:
    """Re-render an edited OUT.json into `out` (no ASR); billed like `caption` when `account`/`ledger` is given."""
    from .job import run_job

    job, outcome = render_job(source, out=out, **kw)
    return run_job(job, asr=outcome)


def _build(*, video: Path, out, language: str, preset, safe_zone: str, strict: bool, account, ledger, key,
           inputs: dict, digest: str, terms: Optional[list[str]], pages: Optional[list[CaptionPage]]) -> RenderJob:
    from .billing import caption_key, default_ledger_path
    from .job import check_outputs

    billed = account is not None or ledger is not None
    ledger_path = (Path(ledger).expanduser() if ledger else default_ledger_path()) if billed else None
    ins = {"video": video, **inputs}
    if ledger_path is not None:
        ins["ledger"] = ledger_path
    job = RenderJob.build(kind="caption", video=video, inputs=ins, language=language, preset=preset, safe_zone=safe_zone,
                          out=Path(out), billed=billed, account=(account or "default") if billed else None,
                          ledger=ledger_path, key=key, strict=strict, terms=terms, pages=pages)
    check_outputs({k: Path(os.path.abspath(p)) for k, p in job.outputs.items()}, job.inputs, foreign=False)
    if billed:
        job.identity = caption_key(video=video, script=digest, language=job.language, asr="captions",
                                   preset=job.preset, safe_zone=str(job.safe_zone), encode=job.encode.model_dump(),
                                   output=job.out)
    return job


# --- caption VIDEO --captions FILE ---------------------------------------------------------------------------


class Cue:
    """One subtitle event: its lines of text, its times, and word times when the file had them."""

    def __init__(self, start: float, end: float, lines: list[str], marks: Optional[list[Optional[float]]] = None,
                 words: Optional[list[list[str]]] = None):
        self.start, self.end, self.lines, self.marks = start, end, lines, marks
        self.words = words  # each line's words where the file lists them one by one (JSON): kept as they are
        self.free = False  # True: words without pages (a plain JSON word list): the layout paginates

    def line_words(self, language: str) -> list[list[str]]:
        """Each line's caption words: as the file lists them (JSON), as it times them (karaoke ASS, word-timed VTT:
        one mark per space-separated word), else cut as a script's are (`_tokens`)."""
        if self.words is not None:
            return self.words
        if language != "zh" and self.marks and len(self.marks) == sum(len(ln.split()) for ln in self.lines):
            return [ln.split() for ln in self.lines]
        return [_tokens(ln, language) for ln in self.lines]


def _tokens(text: str, language: str) -> list[str]:
    """A cue line's caption words, cut as a script's are: "24,90 €", "15 %", "$ 19.99" are one word (split at the
    spaces, an imported French price was two words — "24,90" judged as a bare number, "€" able to start a line)."""
    from .hint import script_tokens

    return script_tokens(text, language)[0]


def read_captions(path: str | os.PathLike, language: str) -> list[Cue]:
    """Cues of an .srt/.vtt/.ass/.ssa file (pysubs2) or of our JSON sidecar; markup removed, one line per `\\N`."""
    import pysubs2

    from .safeload import DataFileError  # noqa: F401  (same family of errors)
    from .text import clean_text

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in CAPTION_SUFFIXES:
        raise InputError(f"captions file {p} must be .srt, .vtt, .ass, .ssa or .json")
    try:
        if p.stat().st_size > 5 * 1024 * 1024:
            raise InputError(f"captions file {p} is larger than 5 MB: a short ad's captions are a few kB")
        raw = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"captions file {p} is not UTF-8 text: save it as UTF-8") from None
    except OSError as e:
        raise InputError(f"cannot read captions file {p}: {e.strerror}") from None
    if suffix == ".json":
        return _json_cues(raw, p)
    if suffix == ".vtt":  # word timestamps become markers pysubs2 keeps in the text
        raw = _VTT_STAMP.sub(lambda m: "{TS%d}" % round(1000 * _clock(m.group(1))), raw)
    try:
        subs = pysubs2.SSAFile.from_string(raw, format_={".srt": "srt", ".vtt": "vtt"}.get(suffix, "ass"))
    except Exception as e:  # noqa: BLE001 - pysubs2 raises several kinds on malformed input
        raise InputError(f"cannot parse {p} as {suffix[1:].upper()}: {str(e)[:160]}") from None
    cues: list[Cue] = []
    for ev in subs:
        if ev.is_comment or ev.end <= ev.start:
            continue
        text = ev.text
        marks: list[Optional[float]] = []
        if suffix in (".ass", ".ssa") and re.search(r"\\[kK][fo]?\d", text):
            text, marks = _karaoke(text, ev.start / 1000)
        elif suffix == ".vtt" and _MARK.search(text):
            text, marks = _vtt_marks(text, ev.start / 1000)
        else:
            text = re.sub(r"\{[^}]*\}", "", text)
        lines = [clean_text(re.sub(r"<[^>]+>", "", ln)).strip() for ln in re.split(r"\\N|\n", text.replace("\\n", "\\N"))]
        lines = [ln for ln in lines if ln]
        if not lines:
            continue
        cue = Cue(ev.start / 1000, ev.end / 1000, lines, marks or None)
        if cues and cue.lines == cues[-1].lines and abs(cue.start - cues[-1].end) < 0.02:
            cues[-1].end = cue.end  # an ASS karaoke export writes one event per highlighted word: one cue again
            continue
        cues.append(cue)
    if not cues:
        raise InputError(f"{p} has no caption text")
    return cues


def _clock(s: str) -> float:
    parts = s.replace(",", ".").split(":")
    return sum(float(x) * 60 ** k for k, x in enumerate(reversed(parts)))


def _karaoke(text: str, start: float) -> tuple[str, list[Optional[float]]]:
    """ASS `{\\k50}word` syllables → text and the start time of each word (None where unknown)."""
    t = start
    plain, marks = "", []
    for m in re.finditer(r"\{([^}]*)\}|([^{]+)", text):
        if m.group(1) is not None:
            k = re.search(r"\\[kK][fo]?(\d+)", m.group(1))
            if k:
                marks.append(t)
                t += int(k.group(1)) / 100
                plain += "\u2063"  # where a timed syllable starts
            continue
        plain += m.group(2)
    words, out_marks = [], []
    for piece in re.split(r"(\s+)", plain):
        if not piece.strip():
            continue
        n = piece.count("\u2063")
        here = marks[:n]
        marks = marks[n:]
        out_marks.append(here[0] if here else None)
        words.append(piece.replace("\u2063", ""))
    return " ".join(words), out_marks


def _vtt_marks(text: str, start: float) -> tuple[str, list[Optional[float]]]:
    marks, words = [], []
    t = start
    for piece in re.split(r"(\{TS\d+\})", text):
        m = _MARK.fullmatch(piece)
        if m:
            t = int(m.group(1)) / 1000
            continue
        clean = re.sub(r"<[^>]+>", "", piece)
        for k, w in enumerate(clean.split()):
            words.append(w)
            marks.append(t if k == 0 else None)
    return " ".join(words), marks


def _json_cues(raw: str, p: Path) -> list[Cue]:
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise InputError(f"{p} is not JSON: {e}") from None
    words = data.get("words") if isinstance(data, dict) else data
    if not isinstance(words, list) or not words:
        raise InputError(f"{p} must hold a list of words ({{\"text\", \"start\", \"end\"}}) or a captioner JSON sidecar")
    pages = data.get("pages") if isinstance(data, dict) else None
    try:
        ws = [Word.model_validate({k: v for k, v in w.items() if k in Word.model_fields}) for w in words]
    except (ValueError, AttributeError) as e:
        raise InputError(f"{p}: a word is not {{\"text\", \"start\", \"end\"}}: {str(e)[:160]}") from None
    groups: list[list[list[int]]] = []
    if pages:
        try:
            groups = [[list(ln["words"]) for ln in pg["lines"]] for pg in pages]
        except (KeyError, TypeError):
            groups = []
    if not groups or [i for g in groups for ln in g for i in ln] != list(range(len(ws))):
        cue = Cue(ws[0].start, ws[-1].end, [" ".join(w.text for w in ws)], [w.start for w in ws], [[w.text for w in ws]])
        cue.free = True  # no page structure: the layout paginates
        return [cue]
    cues = []
    for g in groups:
        ids = [i for ln in g for i in ln]
        cues.append(Cue(ws[ids[0]].start, ws[ids[-1]].end, [" ".join(ws[i].text for i in ln) for ln in g],
                        [ws[i].start for i in ids], [[ws[i].text for i in ln] for ln in g]))
    return cues


def import_words(cues: list[Cue], language: str) -> tuple[list[Word], list[list[list[int]]]]:
    """Caption words with rough times (word marks where the file had them, else spread over the cue by length)
    and the cue structure as pages of lines of word indices."""
    words: list[Word] = []
    structure = []
    for cue in cues:
        toks_by_line = cue.line_words(language)
        toks = [t for line in toks_by_line for t in line]
        if not toks:
            continue
        weights = [max(1, len(t)) for t in toks]
        span = max(0.05, cue.end - cue.start)
        t, lines, k = cue.start, [], 0
        marks = cue.marks if cue.marks and len(cue.marks) == len(toks) else None
        for line in toks_by_line:
            ids = []
            for tok in line:
                d = span * weights[k] / sum(weights)
                s = marks[k] if marks and marks[k] is not None else t
                words.append(Word(text=tok, start=round(max(0.0, s), 3), end=round(max(s, s + d * 0.9), 3), timing="asr"))
                ids.append(len(words) - 1)
                t = s + d
                k += 1
            if ids:
                lines.append(ids)
        structure.append(lines)
    return words, structure


def captions_job(video: str | os.PathLike, captions: str | os.PathLike, *, out: str | os.PathLike, language: str,
                 preset=None, safe_zone: str = "tiktok", emphasis: bool = True, strict: bool = False,
                 account: Optional[str] = None, ledger=None, key: Optional[str] = None, script: Optional[str] = None,
                 preset_overrides: Optional[dict] = None, align_words: bool = True, on_mismatch: str = "flag"):
    """The RenderJob and aligned words of `captioner caption VIDEO --captions FILE` (no ASR)."""
    from .job import AsrOutcome
    from .linebreak import script_terms
    from .media import load_audio, probe
    from .presets import load_preset
    from .types import Transcript

    lang = (language or "").strip().lower()
    if lang not in LANGUAGES:
        raise InputError(f"--captions needs the voice's language pinned: --language {'|'.join(LANGUAGES)} (not {language!r})")
    cap = Path(captions)
    video = Path(video)
    from .job import check_outputs, output_paths

    # outputs that would replace an input or a user's file: refused before the captions are read and aligned (it
    # came after 33 s of alignment); `_build` checks them again with the full job
    check_outputs({k: Path(os.path.abspath(p)) for k, p in output_paths(Path(out)).items()},
                  {"video": video, "captions": cap}, foreign=False)
    cues = read_captions(cap, lang)
    words, structure = import_words(cues, lang)
    if not words:
        raise InputError(f"{cap} has no caption words")
    info = probe(video)
    notes: list[str] = []
    audio = load_audio(video, notes=notes)  # a phase-inverted channel: the words are aligned to the louder one, and it says so
    from .media import raise_quiet

    audio, gain = raise_quiet(audio)  # a very quiet voice-over is aligned at an ordinary level (see `recognise_job`)
    heard: list[Finding] = []
    if align_words:
        words, heard = check_imported(audio, words, lang, cap.name)
        from .hint import enforce

        enforce(heard, on_mismatch)  # --on-mismatch fail: a price the voice does not say stops the render
    words = clean_words(_monotonic(words, info.duration), info.duration, cap.name)
    pages = None if all(c.free for c in cues) else _cue_pages(words, structure, info.duration, info.fps)
    p = preset if preset is not None and not isinstance(preset, str) else load_preset(preset or "karaoke", **(preset_overrides or {}))
    if not emphasis:
        p = p.model_copy(update={"emphasis": None})
    terms = script_terms(script, lang) if script else None
    job = _build(video=video, out=out, language=lang, preset=p, safe_zone=safe_zone, strict=strict, account=account,
                 ledger=ledger, key=key, inputs={"captions": cap}, digest=_digest(with_ids(words), pages, "import:" + (script or "")),
                 terms=terms, pages=pages)
    job.script = script
    finding = Finding(kind=FindingKind.captions_imported, severity=Severity.info,
                      message=f"captions from {cap.name} ({len(cues)} cues, {len(words)} words), aligned to the audio; "
                              + ("each cue is one page" if pages is not None else "paginated by the layout"))
    transcript = Transcript(text=" ".join(w.text for w in words), words=words, language=lang, backend="captions",
                            duration=info.duration)
    channels = [Finding(kind=FindingKind.audio_channels_cancel, severity=Severity.warning, message=n) for n in notes]
    if gain is not None:
        from .job import quiet_finding

        channels.append(quiet_finding(gain, "aligned"))
    return job, AsrOutcome(transcript=transcript, words=words, findings=channels + [finding] + heard)


def check_imported(audio, words: list[Word], language: str, name: str) -> tuple[list[Word], list[Finding]]:
    """An imported caption file's words timed to the voice and checked against it, like a script: words the voice
    does not say, speech they leave out and a file that belongs to another video are reported (they used to render
    silently), and its prices, percentages, codes and numbers go to the price judge as a script's would where no
    recogniser heard them (an SRT saying "$49" over a voice saying "forty dollars" rendered with no finding)."""
    from .align import align_words
    from .media import speech_duration
    from .pipeline import script_mismatch
    from .verify import verify_numbers

    res = align_words(audio, words, language)
    words, heard = res.words, list(res.findings)
    bad = script_mismatch(words, heard, speech_duration(audio), own_text=True)
    if bad is not None:  # the file is not this voice's: nothing in it to judge
        return words, heard + [bad]
    return verify_numbers(audio, words, heard, language, written_by=name)


def _monotonic(words: list[Word], duration: float) -> list[Word]:
    out, prev = [], 0.0
    for w in words:
        s = min(max(w.start, prev), duration)
        e = min(max(w.end, s), duration)
        out.append(w.model_copy(update={"start": s, "end": e}))
        prev = s
    return out


def _cue_pages(words: list[Word], structure: list[list[list[int]]], duration: float, fps: float) -> list[CaptionPage]:
    """One page per cue: from its first word (3 frames early at most) to its last word + a hold, never overlapping."""
    from .layout import HOLD_AFTER, LEAD_IN_FRAMES

    gap = 2 / (fps or 30.0)
    pages = []
    for lines in structure:
        ids = [i for ln in lines for i in ln]
        start = max(0.0, words[ids[0]].start - LEAD_IN_FRAMES / (fps or 30.0))
        pages.append(CaptionPage(start=round(start, 2), end=round(words[ids[-1]].end + HOLD_AFTER, 2),
                                 lines=[CaptionLine(words=ln) for ln in lines]))
    for k, p in enumerate(pages):
        if k:
            p.start = max(p.start, round(pages[k - 1].start + 0.02, 2))
        nxt = pages[k + 1].start if k + 1 < len(pages) else duration
        p.end = max(p.start + 0.01, math.floor(min(p.end, nxt - gap if k + 1 < len(pages) else nxt) * 100) / 100)
    for k in range(len(pages) - 1):  # a lead-in may not reach back into the previous page
        if pages[k + 1].start < pages[k].end:
            pages[k + 1].start = pages[k].end
    return pages


__all__ = ["render_from", "render_job", "captions_job", "read_captions", "import_words", "load_result", "clean_words",
           "kept_pages", "CAPTION_SUFFIXES"]
