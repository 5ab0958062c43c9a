"""One render job: a typed `RenderJob` that every entry point builds (caption, batch, preview) and `run_job()` runs.

`caption()`, `batch` and `preview` used to assemble the pipeline and its output handling each on their own,
and drifted apart (an output that overwrote its own input, a preview that was the full product, a batch
variant whose sidecar was the batch report). Now they only build a `RenderJob`; one function runs it, one
`OutputSet` writes it, and one billing order applies. The steps of `run_job`, in order:

1. **Plan** (cheap, before any work): the `OutputSet` refuses any output or sidecar that resolves to one of
   the job's inputs (video, script file, preset file, manifest, ledger) or to a folder, and removes stale
   temporary files of its own naming (`.NAME.<pid>-<tag>.part|.old`) whose process is gone.
2. **Reserve** (billed jobs): the ledger checks the idempotency key's binding (one account, one render
   identity; never a top-up's key) and holds the price — or refuses with exit 6, nothing rendered. A key
   charged before whose recorded output hashes still match the files is a retry: nothing is rendered or
   charged, and the receipt comes from the ledger.
3. **Stage**: audio → ASR → correction → alignment (or a cached result: batch, soak) → layout → ASS →
   burn; every output is written completely to its temporary name in the target folder.
4. **Charge** (billed jobs): one ledger transaction records the charge and the SHA-256 of every staged
   output. If the ledger fails here (damaged file, disk full) the staged files are deleted: nothing is left
   that claims a charge.
5. **Commit**: the staged files replace the targets; a previous output is moved aside first and restored
   if any later rename fails (so a failed commit never loses the previous complete outputs); the JSON
   sidecar lands last. If the commit fails, the charge just recorded is deleted (never delivered).

Charge-before-commit is chosen so that no complete output ever exists unpaid; a process killed between 4
and 5 leaves a charge whose outputs are missing, and the retry renders them again without a second charge
(the recorded hashes do not match). SIGTERM and SIGHUP raise `Interrupted` like Ctrl-C does, so every
temporary file is removed on the way out; charge + commit run with those signals deferred.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import re
import secrets
import signal
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import InputError, OutputError, QualityError
from .presets import Preset
from .render.burn import burn
from .types import LANGUAGES, Backend, CaptionPage, CaptionResult, Finding, OnMismatch, Receipt, SafeZone, Severity, StrEnum, Transcript, Word

SIDECARS = ("ass", "srt", "vtt", "json")
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v")

# A free preview is an excerpt, not the product: at most this long and this large, watermarked, no sidecars.
PREVIEW_MAX_SECONDS = 10.0
PREVIEW_MAX_SHORT_SIDE = 360
PREVIEW_WATERMARK = "PREVIEW"


# A caller's progress hook: `run_job(job, progress=fn)` calls fn(stage) as each stage starts (plan, audio, asr,
# correct, align, layout, render, charge, commit). A context variable, so nested helpers need no extra argument and
# concurrent jobs in other threads or tasks never see each other's hook. The HTTP service shows it per job.
STAGES = ("plan", "audio", "asr", "correct", "align", "layout", "render", "charge", "commit")
_stage_hook: contextvars.ContextVar[Optional[Callable[[str], None]]] = contextvars.ContextVar("captioner_stage_hook",
                                                                                           default=None)


def report_stage(stage: str) -> None:
    """Tell the running job's progress hook (if any) that `stage` starts. A hook that fails (`Exception`) never
    fails the job; one that raises `KeyboardInterrupt` cancels it there, cleaned up like a Ctrl-C (a cooperative
    cancel point; "commit" comes after the charge, so a hook must not cancel there)."""
    hook = _stage_hook.get()
    if hook is not None:
        try:
            hook(stage)
        except Exception:  # noqa: BLE001 - progress is advisory
            pass


class JobKind(StrEnum):
    caption = "caption"
    batch_variant = "batch-variant"
    preview = "preview"


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is (like Ctrl-C's KeyboardInterrupt) so cleanup runs."""

    def __init__(self, signum: int):
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """While inside: SIGTERM and SIGHUP raise `Interrupted` (main thread only; elsewhere a no-op).

    A signal the process was started with ignored stays ignored: `nohup captioner batch … &` goes on after the
    terminal closes, as `nohup` promises (the shell's convention; Python itself does the same for SIGINT)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_interrupted(signum, frame):
        raise Interrupted(signum)

    old = {}
    try:
        for s in (signal.SIGTERM, signal.SIGHUP):
            try:
                if signal.getsignal(s) == signal.SIG_IGN:
                    continue
                old[s] = signal.signal(s, raise_interrupted)
            except (ValueError, OSError):  # pragma: no cover - not the main interpreter
                pass
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP until the block ends (charge + commit must not stop half-way); a signal that
    came meanwhile is acted on at the end. Done with Python-level handlers, not the thread's signal mask: the
    kernel would hand a masked process signal to another thread (a pool's feeder thread) instead."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []

    def hold(signum, frame):
        got.append(signum)

    old = {}
    try:  # installing is inside: a signal already pending runs at the first install and may raise; undo the rest
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            try:
                old[s] = signal.signal(s, hold)
            except (ValueError, OSError):  # pragma: no cover
                pass
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        if got:
            s, h = got[0], old.get(got[0])
            if callable(h):
                h(s, None)
            elif h == signal.SIG_DFL:
                os.kill(os.getpid(), s)


# -- the output set ---------------------------------------------------------------------------------------

_STALE = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}\.(?P<ext>part|old)$")


def _pid_alive(pid: int) -> bool:
    """Is process `pid` still running? A zombie (killed, not yet reaped — common in containers whose init does
    not reap orphans) is not: its temporary files are stale."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            state = f.read().rsplit(")", 1)[-1].split()[0]  # the field after "(comm)"
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return True  # no /proc (macOS): os.kill said it exists


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.resolve() == b.resolve():
            return True
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def output_paths(out: str | os.PathLike, sidecars: Iterable[str] = SIDECARS) -> dict[str, Path]:
    """OUT.mp4 → {'video': OUT.mp4, 'ass': OUT.ass, 'srt': OUT.srt, 'vtt': OUT.vtt, 'json': OUT.json}."""
    p = Path(out)
    if p.suffix.lower() not in VIDEO_SUFFIXES:
        raise InputError(f"output {p} must end in .mp4 (or .mov/.m4v): the sidecars are named after it")
    if p.name.startswith(".") or not p.stem:
        raise InputError(f"output {p} must have a visible file name (not starting with '.')")
    return {"video": p, **{k: p.with_suffix("." + k) for k in sidecars}}


def _our_sidecar(path: Path) -> Optional[dict]:
    """The JSON sidecar of an earlier render at `path` (a dict with our `outputs` and `receipt`), else None."""
    try:
        if not path.is_file() or path.stat().st_size > 64 * 1024 * 1024:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("outputs"), dict) and "receipt" in data else None


def foreign_outputs(paths: dict[str, Path], owned: Iterable[str] = ()) -> list[str]:
    """Outputs that already exist and were not written by captioner: a file is ours when it is the JSON sidecar of an
    earlier render, when that sidecar (next to it) lists a file of its name among its outputs, or when the ledger
    recorded it as an output of this render (`owned`: a sidecar the user broke is still ours). A user's hand-made
    "final.srt" or "final.json" next to the video was replaced without a word."""
    owned = set(owned)
    side = paths.get("json")
    listed: set[str] = set()
    if side is not None:
        data = _our_sidecar(Path(side))
        if data is not None:
            listed = {Path(str(x)).name for x in data["outputs"].values()} | {Path(side).name}
    out = []
    for k, p in paths.items():
        p = Path(p)
        if not os.path.lexists(p) or p.is_dir() or p.name in listed or str(p.resolve()) in owned or os.path.abspath(p) in owned:
            continue
        render = _our_sidecar(p.with_suffix(".json")) if side is None else None  # a preview (no sidecars of its own)
        if render is not None and p.name in {Path(str(x)).name for x in render["outputs"].values()}:
            out.append(f"{p} is a captioner render ({p.with_suffix('.json').name} lists it): a preview never replaces a "
                       "render — choose another --out")
            continue
        out.append(f"{p} exists and was not written by captioner: choose another --out, or move that file away "
                   "(captioner replaces only its own earlier outputs)")
    return out


def check_outputs(paths: dict[str, Path], protect: Optional[dict[str, Path]] = None, owned: Iterable[str] = (), *,
                  foreign: bool = True) -> None:
    """Refuse outputs that are folders, repeat each other, or resolve to an input (symlinks and hard links
    included), or that would replace a file captioner did not write: a user's own file is never overwritten."""
    seen: dict[Path, str] = {}
    for k, p in paths.items():
        if p.is_dir():
            raise OutputError(f"the output {p} is a folder: choose another --out")
        r = p.resolve()
        if r in seen:
            raise InputError(f"outputs {seen[r]} and {k} are both {p}: choose another --out")
        seen[r] = k
        for role, q in (protect or {}).items():
            if q is not None and _same_file(p, Path(q)):
                raise InputError(f"the output {p} would overwrite the input {role} {q}: choose another --out "
                                 "(nothing was rendered or charged)")
    problems = foreign_outputs(paths, owned) if foreign else []
    if problems:  # (OutputSet checks this with the ledger's record of the render, before any work)
        raise InputError(problems[0] + " — nothing was rendered or charged")


def clean_stale(paths: Iterable[Path]) -> int:
    """Remove temporary files of these outputs left by a process that is gone (killed, power loss): `.part`
    files are deleted; a `.old` backup whose target is missing is put back (an interrupted commit)."""
    names: dict[Path, set[str]] = {}
    for p in paths:
        names.setdefault(p.parent, set()).add(p.name)
    n = 0
    for folder, wanted in names.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for e in entries:
            m = _STALE.match(e.name)
            if not m or m["name"] not in wanted or _pid_alive(int(m["pid"])):
                continue
            f, target = Path(e.path), folder / m["name"]
            try:
                if m["ext"] == "old" and not os.path.lexists(target):
                    os.replace(f, target)
                else:
                    f.unlink()
                n += 1
            except OSError:
                pass
    return n


class OutputSet:
    """All outputs of one job, written under temporary names in their target folders, then swapped in at once.

    Built before any work: refuses outputs that clash with `protect` (the job's inputs) and removes stale
    temporary files of these names. `commit()` moves each previous output aside, renames the new one in, and
    restores the previous ones if any rename fails; the JSON sidecar lands last."""

    def __init__(self, paths: dict[str, Path], *, protect: Optional[dict[str, Path]] = None, owner: Optional[str] = None,
                 owned: Iterable[str] = ()):
        self.paths = {k: Path(os.path.abspath(p)) for k, p in paths.items()}
        check_outputs(self.paths, protect, owned)
        for folder in {p.parent for p in self.paths.values()}:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise OutputError(f"cannot create the output folder {folder}: {e.strerror}; pick a writable --out") from e
            try:  # a real write, not os.access(): root passes that check on a read-only mount (/sys), and the
                # render then failed after the recognition, naming a sidecar
                fd, test = tempfile.mkstemp(prefix=".captioner-write-test-", dir=folder)
                os.close(fd)
                os.unlink(test)
            except OSError as e:
                raise OutputError(f"output folder {folder} is not writable ({e.strerror}); pick a writable --out") from None
        clean_stale(self.paths.values())
        self.owner = owner or f"{os.getpid()}-{secrets.token_hex(4)}"
        self.tmp = {k: p.with_name(f".{p.name}.{self.owner}.part") for k, p in self.paths.items()}
        self.committed = False

    @classmethod
    def adopt(cls, paths: dict[str, Path], tmp: dict[str, Path]) -> "OutputSet":
        """The staging side of a set planned elsewhere (a batch worker writes the temp files the driver chose)."""
        self = cls.__new__(cls)
        self.paths, self.tmp, self.committed = dict(paths), dict(tmp), False
        self.owner = None
        return self

    def write_text(self, key: str, text: str) -> None:
        try:
            with open(self.tmp[key], "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            raise OutputError(f"cannot write {self.paths[key]}: {e.strerror}") from e

    def hashes(self) -> dict[str, str]:
        """{final path: SHA-256} of the staged files (what a charge records)."""
        out = {}
        for k, tmp in self.tmp.items():
            h = hashlib.sha256()
            try:
                with open(tmp, "rb") as f:
                    for b in iter(lambda: f.read(1 << 20), b""):
                        h.update(b)
            except OSError as e:
                raise OutputError(f"staged output {self.paths[k]} is unreadable ({e.strerror}): nothing was charged") from e
            out[str(self.paths[k].resolve())] = h.hexdigest()
        return out

    def complete(self) -> bool:
        """Every staged file exists; the video and the JSON are not empty (an SRT without speech may be)."""
        return all(t.is_file() and (k not in ("video", "json") or t.stat().st_size > 0) for k, t in self.tmp.items())

    def commit(self) -> None:
        order = [k for k in self.tmp if k != "json"] + (["json"] if "json" in self.tmp else [])
        aside: dict[str, Path] = {}
        placed: list[str] = []
        target = None
        try:
            for k in order:
                target = self.paths[k]
                if target.is_dir() and not target.is_symlink():
                    raise IsADirectoryError(21, "is a folder", str(target))
                if os.path.lexists(target):
                    bak = target.with_name(f".{target.name}.{self.owner}.old")
                    os.replace(target, bak)
                    aside[k] = bak
                os.replace(self.tmp[k], target)
                placed.append(k)
        except OSError as e:
            kept = self._rollback(placed, aside)
            raise OutputError(f"cannot move the outputs into place ({e.strerror or e}: {target}); "
                              + ("the previous outputs were kept" if kept else "some previous outputs could not be restored")
                              ) from e
        self.committed = True
        for bak in aside.values():
            try:
                bak.unlink()
            except OSError:
                pass

    def _rollback(self, placed: list[str], aside: dict[str, Path]) -> bool:
        ok = True
        for k in reversed(list(dict.fromkeys(placed + list(aside)))):
            try:
                if k in aside:
                    os.replace(aside[k], self.paths[k])  # the previous file back over the new one
                else:
                    self.paths[k].unlink(missing_ok=True)  # there was nothing before
            except OSError:
                ok = False
        return ok

    def discard(self) -> None:
        for tmp in self.tmp.values():
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass


# -- the job ----------------------------------------------------------------------------------------------


class PreviewLimits(BaseModel):
    """What makes a preview free: a short excerpt, small, watermarked, no sidecars."""

    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(default=5.0, ge=0.5, le=PREVIEW_MAX_SECONDS, allow_inf_nan=False)
    short_side: int = Field(default=PREVIEW_MAX_SHORT_SIDE, ge=90, le=PREVIEW_MAX_SHORT_SIDE)
    watermark: str = PREVIEW_WATERMARK


class Encode(BaseModel):
    """x264 settings of the burn (mirrors render.burn.EncodeOptions, validated)."""

    model_config = ConfigDict(extra="forbid")
    preset: str = Field(default="veryfast", pattern=r"^(ultrafast|superfast|veryfast|faster|fast|medium|slow|slower|veryslow)$")
    crf: int = Field(default=20, ge=0, le=51)
    threads: int = Field(default=0, ge=0, le=64)
    audio_bitrate: str = Field(default="192k", pattern=r"^[0-9]{2,3}k$")

    def options(self):
        from .render.burn import EncodeOptions

        return EncodeOptions(**self.model_dump())


class RenderJob(BaseModel):
    """One render: inputs, options, outputs, price and key. Built by an entry point, run by `run_job()`."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)
    kind: JobKind = JobKind.caption
    video: Path
    script: Optional[str] = None  # the script text (already read)
    inputs: dict[str, Path] = Field(default_factory=dict)  # role → file this job reads; no output may resolve to one
    language: str = "en"
    asr: Backend = Backend.whisper
    safe_zone: SafeZone = SafeZone.tiktok
    on_mismatch: OnMismatch = OnMismatch.flag
    use_prompt: bool = True
    backend_options: dict[str, Any] = Field(default_factory=dict)
    preset: Preset
    encode: Encode = Field(default_factory=Encode)
    out: Path
    preview: Optional[PreviewLimits] = None
    billed: bool = False
    account: Optional[str] = None
    ledger: Optional[Path] = None
    key: Optional[str] = None  # the caller's idempotency key; None: derived from the render identity
    identity: Optional[str] = None  # the render identity (None: derived from the inputs by content when billed)
    name: Optional[str] = None  # how the job is called in messages (a batch variant's output name)
    strict: bool = False  # refuse to deliver captions with an error finding (QA: a split protected unit; a price mismatch)
    terms: Optional[list[str]] = None  # brand terms kept whole and emphasised (None: read from the script)
    pages: Optional[list[CaptionPage]] = None  # edited pages to keep (`render --from`); None: the layout decides

    @field_validator("language")
    @classmethod
    def _language(cls, v: str) -> str:
        lang = (v or "").strip().lower()
        if lang != "auto" and lang not in LANGUAGES:
            raise ValueError(f"unknown or unsupported language code {v!r}: use one of {', '.join(LANGUAGES)} or 'auto'")
        return lang

    @field_validator("out")
    @classmethod
    def _out(cls, v: Path) -> Path:
        output_paths(v)
        return v

    @classmethod
    def build(cls, **fields) -> "RenderJob":
        """Validate every field; a bad value is one `InputError` line naming the option and what is allowed."""
        try:
            job = cls(**fields)
        except ValidationError as e:
            raise InputError(_explain(e)) from None
        if job.preview is not None and job.billed:
            raise InputError("a preview is free and never billed: drop --account, or use `captioner caption`")
        if job.billed:
            from .billing import check_key

            check_key(job.key)
        return job

    # derived --------------------------------------------------------------------------------------------
    @property
    def outputs(self) -> dict[str, Path]:
        return output_paths(self.out, () if self.preview is not None else SIDECARS)

    @property
    def receipt(self) -> Receipt:
        from .billing import receipt_for

        return receipt_for(self.preset, preview=self.preview is not None)

    def render_identity(self) -> str:
        """What this render is: inputs by content, options, the preset's look, the output path."""
        if self.identity is None:
            from .billing import caption_key

            self.identity = caption_key(video=self.video, script=self.script, language=self.language, asr=str(self.asr),
                                        preset=self.preset, safe_zone=str(self.safe_zone), on_mismatch=str(self.on_mismatch),
                                        use_prompt=self.use_prompt, encode=self.encode.model_dump(), output=self.out)
        return self.identity

    def billing_key(self) -> str:
        return self.key or self.render_identity()


def _explain(e: ValidationError) -> str:
    """The first problem of a ValidationError as one actionable line."""
    allowed = {"asr": Backend, "safe_zone": SafeZone, "on_mismatch": OnMismatch}
    err = e.errors()[0]
    field = ".".join(str(x) for x in err["loc"]) or "job"
    top = str(err["loc"][0]) if err["loc"] else ""
    if top in allowed:
        return f"unknown {top.replace('_', '-')} {err.get('input')!r}: use one of {', '.join(m.value for m in allowed[top])}"
    if top == "preview":
        if err.get("type") in ("greater_than_equal", "greater_than", "finite_number"):  # the upper limit is not the problem
            return f"invalid {field}: {err['msg']} (a preview lasts 0.5–{PREVIEW_MAX_SECONDS:g} s)"
        return (f"a free preview is at most {PREVIEW_MAX_SECONDS:g} s and {PREVIEW_MAX_SHORT_SIDE} px on its shorter side "
                f"({field}: {err['msg']}); render the full ad with `captioner caption`")
    msg = err["msg"].removeprefix("Value error, ")
    return msg if top in ("language", "out") else f"invalid {field}: {msg}"


class AsrOutcome(BaseModel):
    """What the recognition stages produced for one voice-over (computed once, reused by batch variants)."""

    model_config = ConfigDict(extra="forbid")
    transcript: Transcript
    words: list[Word]
    findings: list[Finding]
    timings: dict[str, float] = Field(default_factory=dict)


def recognise_job(job: RenderJob, timings: Optional[dict] = None) -> AsrOutcome:
    """Audio → ASR → correction → acoustic check → alignment, for a job (a preview only hears its excerpt)."""
    from .media import SAMPLE_RATE, load_audio, raise_quiet
    from .pipeline import transcribe_and_correct

    timings = timings if timings is not None else {}
    report_stage("audio")
    t = time.perf_counter()
    notes: list[str] = []
    audio = load_audio(job.video, notes=notes)
    if job.preview is not None:
        audio = audio[: int(round(job.preview.seconds * SAMPLE_RATE))]
    audio, gain = raise_quiet(audio)
    timings["audio"] = time.perf_counter() - t
    quiet = [] if gain is None else [quiet_finding(gain, "analysed")]
    transcript, words, findings = transcribe_and_correct(
        audio, job.script, job.language, str(job.asr), on_mismatch=str(job.on_mismatch), use_prompt=job.use_prompt,
        backend_options=job.backend_options, timings=timings, excerpt=job.preview is not None)
    findings = [Finding(kind="audio_channels_cancel", severity=Severity.warning, message=n) for n in notes] + quiet + findings
    return AsrOutcome(transcript=transcript, words=words, findings=findings,
                      timings={k: round(v, 3) for k, v in timings.items()})


# Below this frame rate a caption page cannot follow speech (a word lasts ~0.3 s): such a video (a slideshow, a still
# image with a voice-over) is rendered at LOW_FPS_RENDER, each picture held, instead of words snapped to 1 s frames.
MIN_CAPTION_FPS = 10.0
# Letters shorter than this (the preset's font size × the frame's shorter side) cannot be read: a warning, not a refusal
MIN_GLYPH_PX = 12
LOW_FPS_RENDER = 25.0


def with_ids(words: list[Word]) -> list[Word]:
    """Every word with a stable id ("w1", "w2", …): kept where it has one (an edited JSON), new ones numbered on."""
    seen = {w.id for w in words if w.id}
    n = max((int(i[1:]) for i in seen if i and i[0] == "w" and i[1:].isdigit()), default=0)
    out, used = [], set()
    for w in words:
        if not w.id or w.id in used:
            n += 1
            while f"w{n}" in seen:
                n += 1
            w = w.model_copy(update={"id": f"w{n}"})
        used.add(w.id)
        out.append(w)
    return out


def preview_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    """Scale so the shorter side is `short_side` (never upscale), both sides even (yuv420p)."""
    s = min(1.0, short_side / min(width, height))
    return max(2, int(round(width * s / 2)) * 2), max(2, int(round(height * s / 2)) * 2)


def watermark_events(width: int, height: int, text: str, duration: float) -> str:
    """ASS events drawing `text` across the middle and at the top of the frame for the whole clip."""
    from .presets import fonts_dir
    from .render.ass import ass_time, font_family

    family = font_family(str(fonts_dir() / "Montserrat-ExtraBold.ttf"))
    short = min(width, height)
    big, small = max(10, round(short * 0.16)), max(8, round(short * 0.06))
    end = ass_time(max(duration, 0.1) + 1.0)
    # the Caption style is the preset's: every override it may carry is reset here (its letter spacing pushed the
    # label off the frame: "E W · c a p t i" was all that showed with letter_spacing 1.0)
    reset = "\\fsp0\\fscx100\\fscy100\\be0\\blur0\\i0\\u0\\s0\\frx0\\fry0\\fax0\\fay0\\4a&HFF&"
    base = f"\\fn{family}{reset}\\bord{max(1, round(short * 0.006))}\\shad0\\1c&HFFFFFF&\\3c&H000000&"
    mid = f"{{\\an5\\pos({width / 2:.0f},{height * 0.45:.0f})\\frz30\\fs{big}{base}\\1a&H70&\\3a&H90&}}{text}"
    top = f"{{\\an8\\pos({width / 2:.0f},{height * 0.03:.0f})\\fs{small}{base}\\1a&H30&\\3a&H60&}}{text} · captioner"
    return "".join(f"Dialogue: 9,{ass_time(0)},{end},Caption,,0,0,0,,{t}\n" for t in (mid, top))


class Composed:
    """A job laid out and written up to the burn: the ASS script, the sidecars staged, the burn's frame."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def burn_args(self) -> dict:
        return {"max_seconds": self.max_seconds, "scale_to": self.scale_to, "fps_to": self.fps_to}

    def finish(self, burn_seconds: float) -> CaptionResult:
        """After the burn: the result (and the JSON sidecar, staged)."""
        from . import __version__

        job, track, transcript, outputs = self.job, self.track, self.transcript, self.outputs
        self.timings["render"] = self.compose_seconds + burn_seconds
        result = CaptionResult(
            video=str(job.video), outputs={k: str(p) for k, p in outputs.paths.items()}, language=track.language,
            language_detected=transcript.language_detected, asr_backend=transcript.backend, preset=job.preset.name,
            words=track.words, pages=track.pages, findings=self.findings, receipt=self.receipt, media=self.frame_info,
            terms=track.terms,
            timings={k: round(v, 3) for k, v in self.timings.items()}, version=__version__)
        if "json" in outputs.tmp:
            outputs.write_text("json", result.model_dump_json(indent=1))
        return result


def compose_job(job: RenderJob, outputs: OutputSet, receipt: Receipt, *, asr: Optional[AsrOutcome] = None,
                timings: Optional[dict] = None, info=None) -> Composed:
    """Recognise (or take the cached result), lay out, write the ASS and the text sidecars to their temp names."""
    from .align import snap_to_frames
    from .layout import paginate, relayout
    from .linebreak import script_terms
    from .media import probe
    from .qa import check_track, qa_findings, strict_blockers
    from .render.ass import ASSWriter
    from .render.srt import to_srt
    from .render.vtt import to_vtt

    timings = timings if timings is not None else {}
    info = info or probe(job.video)
    if asr is None:
        asr = recognise_job(job, timings)
    else:
        timings.update({k: v for k, v in asr.timings.items() if k != "total"})
    words, findings = list(asr.words), list(asr.findings)
    transcript = asr.transcript
    report_stage("layout")
    frame_info, max_seconds, scale_to = info, None, None
    if job.preview is not None:
        length = min(job.preview.seconds, info.duration)
        w, h = preview_size(info.width, info.height, job.preview.short_side)
        frame_info = info.model_copy(update={"width": w, "height": h, "duration": length})
        max_seconds, scale_to = length, (w, h)
        words = [wd for wd in words if wd.start < length]
        words = [wd if wd.end <= length else wd.model_copy(update={"end": length}) for wd in words]
    t = time.perf_counter()
    side = min(frame_info.width, frame_info.height)
    glyph = job.preset.font_size * side
    if glyph < MIN_GLYPH_PX:
        findings.append(Finding(kind="frame_too_small", severity=Severity.warning,
                                message=f"the video is {frame_info.width}×{frame_info.height}: this preset's letters are "
                                        f"{glyph:.0f} px tall here, too small to read (≥ {MIN_GLYPH_PX} px needs a frame "
                                        f"of {MIN_GLYPH_PX / job.preset.font_size:.0f} px on its shorter side)"))
    fps = info.fps
    if fps < MIN_CAPTION_FPS:  # a slideshow / still-image ad: captions could not follow the voice at this frame rate
        fps = LOW_FPS_RENDER
        frame_info = frame_info.model_copy(update={"fps": fps})
        findings.append(Finding(kind="frame_rate_raised", severity=Severity.info,
                                message=f"the video has {info.fps:g} frames per second: rendered at {fps:g} (each picture "
                                        "held) so that the captions can follow the voice"))
    words = snap_to_frames(words, fps) if words else words
    words = with_ids(words)
    findings = [f.model_copy(update={"word_ids": [words[i].id for i in f.word_indices if 0 <= i < len(words)]})
                if f.word_indices else f for f in findings]
    terms = job.terms if job.terms is not None else (script_terms(job.script, transcript.language) if job.script else [])
    if job.pages is not None and job.preview is None:
        track = relayout(words, job.pages, job.preset, frame_info.width, frame_info.height, language=transcript.language,
                         safe_zone=str(job.safe_zone), duration=frame_info.duration, terms=terms)
    else:
        track = paginate(words, job.preset, frame_info.width, frame_info.height, language=transcript.language,
                         safe_zone=str(job.safe_zone), duration=frame_info.duration, terms=terms, fps=fps)
    findings += qa_findings(check_track(track, job.preset, fps=fps))
    if job.strict and strict_blockers(findings):
        first = strict_blockers(findings)[0]
        raise QualityError(f"--strict: {len(strict_blockers(findings))} error finding(s), first {first.kind}: {first.message} "
                           "(nothing was rendered or charged)")
    writer = ASSWriter(track, job.preset)
    ass_text = writer.render()
    if writer.uncovered:
        chars = "".join(sorted(writer.uncovered))
        findings.append(Finding(kind="missing_glyphs", severity=Severity.warning,
                                message=f"no shipped font draws {chars!r}: those characters are left out of the burn"))
    if job.preview is not None:
        ass_text += watermark_events(frame_info.width, frame_info.height, job.preview.watermark, frame_info.duration)
    else:
        outputs.write_text("ass", ass_text)
        outputs.write_text("srt", to_srt(track))
        outputs.write_text("vtt", to_vtt(track))
    return Composed(job=job, outputs=outputs, receipt=receipt, info=info, frame_info=frame_info, track=track,
                    transcript=transcript, findings=findings, ass_text=ass_text, max_seconds=max_seconds,
                    scale_to=scale_to, fps_to=fps if fps != info.fps else None, timings=timings,
                    compose_seconds=time.perf_counter() - t)


def stage_job(job: RenderJob, outputs: OutputSet, receipt: Receipt, *, asr: Optional[AsrOutcome] = None,
              timings: Optional[dict] = None, info=None) -> CaptionResult:
    """Render a job into `outputs`' temporary files (nothing is moved into place here)."""
    c = compose_job(job, outputs, receipt, asr=asr, timings=timings, info=info)
    report_stage("render")
    t = time.perf_counter()
    burn(job.video, c.ass_text, outputs.tmp["video"], c.info, job.encode.options(), **c.burn_args())
    return c.finish(time.perf_counter() - t)


def stage_shared(items: list[tuple[RenderJob, OutputSet, Receipt, AsrOutcome]]) -> list[tuple[Optional[CaptionResult],
                                                                                               Optional[BaseException]]]:
    """Stage several jobs of one source video with one decode (`render.multi.burn_many`: one ffmpeg process,
    one encoder per output). A job that cannot share (colour emoji, preview scaling) or a shared burn that
    fails falls back to its own burn, so one bad variant never fails the others."""
    from .render.multi import burn_many, can_share

    out: list = [None] * len(items)
    composed: dict[int, Composed] = {}
    for i, (job, outputs, receipt, asr) in enumerate(items):
        try:
            composed[i] = compose_job(job, outputs, receipt, asr=asr, timings={})
        except Exception as e:  # noqa: BLE001 - reported per variant
            out[i] = (None, e)
    share = [i for i, c in composed.items()
             if can_share(c.ass_text) and c.max_seconds is None and c.scale_to is None and c.fps_to is None]
    alone = [i for i in composed if i not in share]
    if len(share) >= 2:
        first = composed[share[0]]
        t = time.perf_counter()
        try:
            burn_many(first.job.video, [(composed[i].ass_text, composed[i].outputs.tmp["video"], composed[i].job.encode.options())
                                        for i in share], first.info)
            each = (time.perf_counter() - t) / len(share)
            for i in share:
                out[i] = (composed[i].finish(each), None)
        except Exception:  # noqa: BLE001 - retried one by one below
            alone += share
    else:
        alone += share
    for i in alone:
        if out[i] is not None:
            continue
        c = composed[i]
        t = time.perf_counter()
        try:
            burn(c.job.video, c.ass_text, c.outputs.tmp["video"], c.info, c.job.encode.options(), **c.burn_args())
            out[i] = (c.finish(time.perf_counter() - t), None)
        except Exception as e:  # noqa: BLE001
            out[i] = (None, e)
    return out


# -- running a job ----------------------------------------------------------------------------------------


class Plan:
    """A job ready to render: its probed input, output set and (billed) reservation."""

    def __init__(self, job: RenderJob, ledger=None, *, owner: Optional[str] = None, prior=None, reserved: bool = False,
                 info=None):
        self.job, self.ledger, self.owner, self.info = job, ledger, owner, info
        self.prior = prior  # the key's earlier charge (ledger Entry) or None
        self.reserved = reserved
        self.outputs: Optional[OutputSet] = None
        self.entry = None  # the charge recorded by this run
        self.new_charge = False

    @property
    def key(self) -> str:
        return self.job.billing_key()

    def pending_receipt(self) -> Receipt:
        """The receipt the JSON sidecar carries: the ledger's earlier charge if there is one, else this charge."""
        from .billing import receipt_from_entry

        job = self.job
        if not job.billed:
            return job.receipt
        if self.prior is not None:
            return receipt_from_entry(job.preset, self.prior, earlier=True)
        r = job.receipt
        return r.model_copy(update={"charged": True, "idempotency_key": self.key, "account": job.account})

    def skip_result(self) -> Optional[CaptionResult]:
        """A retry of a charged render whose outputs are intact: the saved result, receipt from the ledger."""
        from .billing import receipt_from_entry

        if self.prior is None or not self.ledger.outputs_intact(self.key, self.job.outputs.values()):
            return None
        try:
            saved = CaptionResult.model_validate_json(self.job.outputs["json"].read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return saved.model_copy(update={"receipt": receipt_from_entry(self.job.preset, self.prior, earlier=True)})

    def open_outputs(self) -> OutputSet:
        owned = (self.ledger.recorded_outputs(self.key) or {}) if self.ledger is not None and self.key else {}
        self.outputs = OutputSet(self.job.outputs, protect=self.job.inputs, owner=self.owner, owned=owned)
        return self.outputs

    def finish(self, result: CaptionResult) -> CaptionResult:
        """Charge (billed) then commit. On a failed charge nothing is left; on a failed commit the charge is undone."""
        from .billing import receipt_from_entry

        outputs, job = self.outputs, self.job
        if not outputs.complete():
            raise OutputError(f"the render of {job.out} finished but some outputs are missing or empty; nothing was charged")
        with signals_deferred():
            if job.billed and self.prior is None and not result.words:
                # no captions were burned (no speech was found): the video is delivered, the price is not charged
                self.ledger.release([self.key])
                self.reserved = False
                note = Finding(kind="not_charged", severity=Severity.info,
                               message=f"no captions were burned into this video (no speech was found): not charged — "
                                       f"the {job.preset.name} price applies to a render with captions")
                result = result.model_copy(update={"receipt": result.receipt.model_copy(update={"charged": False}),
                                                   "findings": result.findings + [note]})
                if "json" in outputs.tmp:
                    outputs.write_text("json", result.model_dump_json(indent=1))
            elif job.billed:
                report_stage("charge")
                hashes = outputs.hashes()
                self.entry, self.new_charge = self.ledger.charge(
                    job.account, self.key, job.receipt.millicredits, preset=job.preset.name, tier=str(job.preset.billed_tier),
                    output=str(outputs.paths["video"]), identity=job.render_identity(), outputs=hashes)
                self.reserved = False
                ledger_receipt = receipt_from_entry(job.preset, self.entry, earlier=not self.new_charge)
                if ledger_receipt != result.receipt:  # the ledger is the source of truth: the JSON says what it says
                    result = result.model_copy(update={"receipt": ledger_receipt})
                    if "json" in outputs.tmp:
                        outputs.write_text("json", result.model_dump_json(indent=1))
                        self.ledger.charge(job.account, self.key, job.receipt.millicredits, identity=job.render_identity(),
                                           outputs=outputs.hashes())
            report_stage("commit")
            try:
                outputs.commit()
            except OutputError:
                if job.billed and self.entry is not None:
                    if self.new_charge:
                        self.ledger.void(self.entry)
                    else:
                        self.ledger.forget_outputs(self.key)
                raise
        return result

    def abort(self) -> None:
        """After a failure or an interrupt: remove staged files, release the hold (never raises)."""
        if self.outputs is not None and not self.outputs.committed:
            self.outputs.discard()
        if self.job.billed and self.reserved and self.ledger is not None:
            try:
                self.ledger.release([self.key])
            except Exception:  # the ledger is what failed: the hold lapses with this process
                pass
            self.reserved = False


def open_ledger(job: RenderJob, ledger=None):
    from .billing import Ledger

    if ledger is not None:
        return ledger
    return Ledger(job.ledger)


def no_audio_message(video) -> str:
    return f"{video} has no audio stream: captions need the voice-over; add the audio track and retry"


def quiet_finding(gain: float, done: str) -> Finding:
    """`audio_quiet`: the voice-over was `done` ("analysed", "aligned") `gain` dB louder (`media.raise_quiet`)."""
    return Finding(kind="audio_quiet", severity=Severity.warning,
                   message=f"the voice-over is very quiet (its loudest sound is {-gain - 1:.0f} dBFS): it was {done} "
                           f"{gain:.0f} dB louder; the video keeps its own level — raise it before publishing, phones play "
                           "it nearly silent")


def plan_job(job: RenderJob, ledger=None, *, info=None) -> Plan:
    """Steps 1–2: refuse clashing outputs and unusable input, then (billed) check the key's binding and hold
    the price. Nothing is rendered or written yet."""
    from .media import probe

    check_outputs({k: Path(os.path.abspath(p)) for k, p in job.outputs.items()}, job.inputs, foreign=False)
    info = info or probe(job.video)
    if not info.has_audio:
        raise InputError(no_audio_message(job.video))
    if info.captioned:
        from .media import captioned_message

        raise InputError(captioned_message(job.video))
    if not job.billed:
        return Plan(job, info=info)
    ledger = open_ledger(job, ledger)
    tier = job.preset.billed_tier
    key = job.billing_key()
    prior = ledger.reserve(job.account, {key: job.receipt.millicredits}, what=f"a {tier} render ({job.preset.name})",
                           identities={key: job.render_identity()})[key]
    return Plan(job, ledger, prior=prior, reserved=prior is None, info=info)


def run_job(job: RenderJob, *, ledger=None, asr: Optional[AsrOutcome] = None,
            progress: Optional[Callable[[str], None]] = None) -> CaptionResult:
    """Run one job through plan → reserve → stage → charge → commit (see the module docstring).

    Raises a `CaptionerError` with one actionable line on bad input, a refused or failed charge, a failed
    render or commit; `Interrupted`/`KeyboardInterrupt` on a signal. In every failure case no temporary
    file is left, no new output is in place, and nothing is charged. `progress(stage)` is called as each
    stage starts (`STAGES`; see `report_stage`).
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    token = _stage_hook.set(progress) if progress is not None else None
    try:
        with interruptible():
            report_stage("plan")
            plan = plan_job(job, ledger)
            try:
                skipped = plan.skip_result() if plan.prior is not None else None
                if skipped is not None:
                    skipped.timings["total"] = round(time.perf_counter() - t0, 3)
                    return skipped
                plan.open_outputs()
                result = stage_job(job, plan.outputs, plan.pending_receipt(), asr=asr, timings=timings, info=plan.info)
                result = plan.finish(result)
            except BaseException:
                plan.abort()
                raise
    finally:
        if token is not None:
            _stage_hook.reset(token)
    result.timings["total"] = round(time.perf_counter() - t0, 3)
    return result


__all__ = ["RenderJob", "JobKind", "STAGES", "report_stage", "PreviewLimits", "Encode", "AsrOutcome", "OutputSet", "Interrupted", "run_job",
           "plan_job", "stage_job", "recognise_job", "output_paths", "check_outputs", "clean_stale", "interruptible"]
