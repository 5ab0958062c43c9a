"""Batch export: a manifest of ad variants → ASR once per voice-over, parallel renders, charged once, resumable."""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from .billing import DEFAULT_ACCOUNT, Ledger, format_credits, price_millicredits, receipt_for, render_key
from .errors import CaptionerError, InputError
from .hint import load_script
from .presets import Preset, load_preset
from .types import LANGUAGES, Backend, OnMismatch, SafeZone

MANIFEST_KEYS = {"output_dir", "account", "defaults", "variants"}
VARIANT_KEYS = {"output", "video", "script", "language", "preset", "presets", "asr", "safe_zone", "on_mismatch", "use_prompt"}
DEFAULT_KEYS = VARIANT_KEYS - {"output"}
SAFE_ZONES = tuple(z.value for z in SafeZone)
BACKENDS = tuple(b.value for b in Backend)
ON_MISMATCH = tuple(m.value for m in OnMismatch)
MAX_WORKERS = 64
SHARE_DECODE = True  # variants of one source video share its decode (render.multi); see benchmarks/bench_batch.py
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
CACHE_DIR = ".captioner-cache"
REPORT_JSON = "batch-report.json"
REPORT_HTML = "contact-sheet.html"
THUMBS = "thumbs"
# output names the batch itself uses in OUTPUT_DIR: a variant called batch-report would lose its JSON sidecar
RESERVED_NAMES = {Path(REPORT_JSON).stem, Path(REPORT_HTML).stem, THUMBS}


class VariantError(Exception):
    """A variant's render failed in a worker process; the message is the worker's error, already named."""


class ManifestError(InputError):
    """The manifest has problems; the message lists each of them. Nothing was rendered or charged."""

    def __init__(self, path: Path, problems: list[str]):
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"manifest {path} has {len(problems)} problem{'s' if len(problems) != 1 else ''} "
                         f"(nothing was rendered or charged):\n{lines}")


@dataclass
class Variant:
    """One render of the batch: an input, a preset, an output name."""

    output: str  # output stem: OUTPUT_DIR/<output>.mp4 (+ .ass .srt .vtt .json)
    video: Path
    script: Optional[Path]
    language: str
    preset: Preset
    asr: str = "whisper"
    safe_zone: str = "tiktok"
    on_mismatch: str = "flag"
    use_prompt: bool = True
    out: Path = field(default=Path())
    key: str = ""  # idempotency key of the render
    group: str = ""  # ASR group: distinct (audio content, script, language, backend, options)
    where: str = ""  # how the manifest names it in messages
    preset_file: Optional[Path] = None

    @property
    def tier(self) -> str:
        """The tier the look is priced at (what it does, not its label)."""
        return str(self.preset.billed_tier)

    @property
    def price_milli(self) -> int:
        return price_millicredits(self.tier)


@dataclass
class Manifest:
    path: Path
    output_dir: Path
    account: Optional[str]
    variants: list[Variant]

    @property
    def total_milli(self) -> int:
        return sum(v.price_milli for v in self.variants)


def _inside(base: Path, p: Path) -> bool:
    try:
        p.resolve().relative_to(base.resolve())
        return True
    except ValueError:
        return False


def _read_manifest(path: Path) -> dict:
    from .safeload import DataFileError, load_file

    try:  # bounded: size, nesting and YAML alias limits (safeload.py)
        data = load_file(path, (".yaml", ".yml", ".toml"), what="manifest")
    except DataFileError as e:
        raise ManifestError(path, [str(e)]) from e
    if not isinstance(data, dict):
        raise ManifestError(path, ["the manifest must be a mapping with a 'variants' list"])
    return data


def load_manifest(path: str | os.PathLike, *, output_dir: Optional[str | os.PathLike] = None,
                  check_files: bool = False) -> Manifest:
    """Parse and validate a whole manifest; raise one `ManifestError` naming every problem.

    Paths (videos, scripts, preset files, output_dir) are relative to the manifest's folder and must stay
    inside it. Each variant expands to one render per preset; output names must be unique. `check_files`: also
    open every video and script (`media_problems`, `script_problems`), so that a batch with a mistyped field in
    one variant and an audio-less video in another names both in one error, not one per run.
    """
    path = Path(path)
    base = path.resolve().parent
    data = _read_manifest(path)
    problems: list[str] = []
    for k in sorted(set(data) - MANIFEST_KEYS):
        problems.append(f"unknown top-level field {k!r} (allowed: {', '.join(sorted(MANIFEST_KEYS))})")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        problems.append("'defaults' must be a mapping")
        defaults = {}
    for k in sorted(set(defaults) - DEFAULT_KEYS):
        problems.append(f"defaults: unknown field {k!r}")
    out_dir_s = output_dir if output_dir is not None else data.get("output_dir", "out")
    if not isinstance(out_dir_s, (str, os.PathLike)) or not str(out_dir_s).strip():  # found by tests/test_fuzz.py
        problems.append("'output_dir' must be a folder path (a non-empty string)")
        out_dir_s = "out"
    out_dir = Path(out_dir_s) if Path(out_dir_s).is_absolute() else base / out_dir_s
    if output_dir is None and not _inside(base, out_dir):
        problems.append(f"output_dir {out_dir_s!r} is outside the manifest's folder {base}")
    account = data.get("account")
    if account is not None and (not isinstance(account, str) or not account.strip()):
        problems.append("'account' must be a non-empty string")
    items = data.get("variants")
    if not isinstance(items, list) or not items:
        problems.append("missing 'variants': a non-empty list of variants (output, video, script, language, preset)")
        items = []

    variants: list[Variant] = []
    seen: dict[str, str] = {}
    preset_cache: dict[str, Preset | str] = {}
    preset_files: dict[str, Path] = {}

    def file_field(where: str, field_name: str, value: Any, required: bool) -> Optional[Path]:
        if value is None or value == "":
            if required:
                problems.append(f"{where}: missing {field_name!r}")
            return None
        if not isinstance(value, str):
            problems.append(f"{where}: {field_name!r} must be a path (string)")
            return None
        p = Path(value)
        p = p if p.is_absolute() else base / p
        if not _inside(base, p):
            problems.append(f"{where}: {field_name} {value!r} is outside the manifest's folder {base}")
            return None
        if p.is_dir():
            problems.append(f"{where}: {field_name} {value!r} is a folder, not a file: name the {field_name} file inside it")
            return None
        if not p.is_file():
            problems.append(f"{where}: {field_name} file not found: {value}")
            return None
        return p

    def get_preset(where: str, ref: Any) -> Optional[Preset]:
        if not isinstance(ref, str) or not ref:
            problems.append(f"{where}: preset must be a name or a preset file path, not {ref!r}")
            return None
        if ref not in preset_cache:
            is_file = ref.endswith((".json", ".yaml", ".yml")) or "/" in ref
            try:
                if is_file:
                    p = Path(ref) if Path(ref).is_absolute() else base / ref
                    if not _inside(base, p):
                        raise InputError(f"preset file {ref!r} is outside the manifest's folder {base}")
                    preset_cache[ref] = load_preset(p)
                    preset_files[ref] = p
                else:
                    preset_cache[ref] = load_preset(ref)
            except CaptionerError as e:
                preset_cache[ref] = str(e)
        got = preset_cache[ref]
        if isinstance(got, str):
            problems.append(f"{where}: {got}")
            return None
        return got

    for i, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(f"variants[{i}]: must be a mapping (output, video, script, language, preset)")
            continue
        v = {**defaults, **item}
        if "presets" in item and "preset" not in item:
            v.pop("preset", None)
        if "preset" in item and "presets" not in item:
            v.pop("presets", None)
        name = item.get("output")
        where = f"variants[{i}]" + (f" ({name})" if isinstance(name, str) and name else "")
        for k in sorted(set(item) - VARIANT_KEYS):
            problems.append(f"{where}: unknown field {k!r} (allowed: {', '.join(sorted(VARIANT_KEYS))})")
        if isinstance(name, str) and name.lower().endswith(".mp4") and len(name) > 4:
            name = name[:-4]  # "hook-a.mp4" names the output hook-a.mp4 (it wrote hook-a.mp4.mp4)
        if not name:
            problems.append(f"{where}: missing 'output' (the output name, e.g. hook-a)")
        elif not isinstance(name, str) or not _NAME.match(name) or name in (".", ".."):
            problems.append(f"{where}: output name {str(name)[:60]!r} must be a plain file name: ASCII letters, digits, "
                            "'.', '_' and '-', starting with a letter or digit, at most 100 characters, no folders")
            name = None
        video = file_field(where, "video", v.get("video"), True)
        script = file_field(where, "script", v.get("script"), False)
        language = v.get("language")
        if not language:
            problems.append(f"{where}: missing 'language' (one of {', '.join(LANGUAGES)})")
        elif language not in LANGUAGES:
            problems.append(f"{where}: unknown language {language!r} (use one of {', '.join(LANGUAGES)}; batches pin the language)")
        asr = v.get("asr", "whisper")
        if asr not in BACKENDS:
            problems.append(f"{where}: unknown asr backend {asr!r} ({' or '.join(BACKENDS)})")
        safe_zone = v.get("safe_zone", "tiktok")
        if safe_zone not in SAFE_ZONES:
            problems.append(f"{where}: unknown safe_zone {safe_zone!r} (one of {', '.join(SAFE_ZONES)})")
        on_mismatch = v.get("on_mismatch", "flag")
        if on_mismatch not in ON_MISMATCH:
            problems.append(f"{where}: on_mismatch must be 'flag' or 'fail', not {on_mismatch!r}")
        use_prompt = v.get("use_prompt", True)
        if not isinstance(use_prompt, bool):
            problems.append(f"{where}: use_prompt must be true or false")
        refs = v.get("presets") if "presets" in v else v.get("preset")
        if refs is None:
            problems.append(f"{where}: missing 'preset' (or 'presets': a list)")
            refs = []
            multi = False
        else:
            multi = isinstance(refs, list)
            refs = refs if multi else [refs]
            if multi and not refs:
                problems.append(f"{where}: 'presets' is empty")
        for ref in refs:
            preset = get_preset(where, ref)
            if preset is None or not name:
                continue
            out_name = f"{name}-{preset.name}" if multi and len(refs) > 1 else name
            if out_name.lower() in seen:
                problems.append(f"{where}: duplicate output name {out_name!r} (also used by {seen[out_name.lower()]})")
                continue
            seen[out_name.lower()] = where
            if out_name.lower() in RESERVED_NAMES:
                problems.append(f"{where}: output name {out_name!r} is taken by the batch's own files "
                                f"({REPORT_JSON}, {REPORT_HTML}, {THUMBS}/): choose another name")
                continue
            if video is None or language not in LANGUAGES:
                continue
            variants.append(Variant(output=out_name, video=video, script=script, language=language, preset=preset, asr=asr,
                                    safe_zone=safe_zone, on_mismatch=on_mismatch, use_prompt=bool(use_prompt),
                                    out=out_dir / f"{out_name}.mp4", where=where,
                                    preset_file=preset_files.get(ref) if isinstance(ref, str) else None))
    problems += output_clashes(path, variants)
    manifest = Manifest(path=path, output_dir=out_dir, account=account, variants=variants)
    if check_files:
        problems += media_problems(manifest) + script_problems(manifest)
    if problems:
        raise ManifestError(path, problems)
    return manifest


def batch_inputs(manifest_path: Path, variants: list[Variant]) -> dict[str, Path]:
    """Every file the batch reads (manifest, videos, scripts, preset files): no output may resolve to one."""
    inputs = {"manifest": manifest_path}
    for v in variants:
        inputs[f"video {v.video.name}"] = v.video
        if v.script is not None:
            inputs[f"script {v.script.name}"] = v.script
        if v.preset_file is not None:
            inputs[f"preset file {v.preset_file.name}"] = v.preset_file
    return inputs


def output_clashes(manifest_path: Path, variants: list[Variant], extra: Optional[dict[str, Path]] = None) -> list[str]:
    """Outputs (video or sidecar) that resolve to any input of the batch, or to another variant's output."""
    from .job import _same_file, output_paths

    inputs = {**batch_inputs(manifest_path, variants), **(extra or {})}
    problems, owner = [], {}
    for v in variants:
        for p in output_paths(v.out).values():
            r = p.resolve()
            if r in owner and owner[r] != v.output:
                problems.append(f"{v.where}: output {p.name} is also an output of {owner[r]}")
            owner.setdefault(r, v.output)
            for role, q in inputs.items():
                if _same_file(p, q):
                    problems.append(f"{v.where}: output {p} would overwrite the input {role.split(' ')[0]} {q}: "
                                    "choose another output name or output_dir")
    return problems


# -- keys ----------------------------------------------------------------------------------------

def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assign_keys(manifest: Manifest, *, audio_hash: Optional[Callable[[Path], str]] = None) -> None:
    """Fill each variant's ASR group and idempotency key (inputs by content, preset, options, output name)."""
    from .billing import file_sha256
    from .render.burn import EncodeOptions

    file_hashes: dict[Path, str] = {}
    audio_hashes: dict[str, str] = {}
    hasher = audio_hash or audio_content_hash
    encode = EncodeOptions().__dict__
    for v in manifest.variants:
        if v.video not in file_hashes:
            file_hashes[v.video] = file_sha256(v.video)
        fh = file_hashes[v.video]
        if fh not in audio_hashes:
            audio_hashes[fh] = hasher(v.video)
        script = load_script(v.script) if v.script else ""  # UTF-8/BOM-marked UTF-16, else one clear InputError
        script_h = _sha(script.encode("utf-8"))
        v.group = "g-" + _sha(json.dumps([audio_hashes[fh], script_h, v.language, v.asr, v.use_prompt, v.on_mismatch]).encode())[:32]
        v.key = render_key(video=fh, audio=audio_hashes[fh], script=script_h, language=v.language, asr=v.asr,
                           use_prompt=v.use_prompt, on_mismatch=v.on_mismatch, safe_zone=v.safe_zone,
                           preset=preset_identity(v.preset), encode=encode, output=v.output)


def media_problems(manifest: Manifest) -> list[str]:
    """Each variant video that cannot be captioned, with the reason `caption` would give (not a media file, empty,
    truncated, audio only, no audio stream …): found before any key is hashed, any audio decoded or anything charged,
    every one of them at once."""
    from .media import probe

    users: dict[Path, list[str]] = {}
    for v in manifest.variants:
        users.setdefault(v.video, []).append(v.output)
    problems = []
    for video, outs in users.items():
        who = f"variant{'s' if len(outs) > 1 else ''} {', '.join(outs)}"
        try:
            info = probe(video)
        except InputError as e:
            problems.append(f"{who}: {e}")
            continue
        if not info.has_audio:
            from .job import no_audio_message

            problems.append(f"{who}: {no_audio_message(video)}")
        elif info.captioned:
            from .media import captioned_message

            problems.append(f"{who}: {captioned_message(video)}")
    return problems


def script_problems(manifest: Manifest) -> list[str]:
    """Each variant script that cannot be read (not UTF-8 or BOM-marked UTF-16/32, too large), with `load_script`'s
    reason: found with the media problems, before anything is hashed or charged."""
    users: dict[Path, list[str]] = {}
    for v in manifest.variants:
        if v.script is not None:
            users.setdefault(v.script, []).append(v.output)
    problems = []
    for script, outs in users.items():
        try:
            load_script(script)
        except InputError as e:
            problems.append(f"variant{'s' if len(outs) > 1 else ''} {', '.join(outs)}: {e}")
    return problems


def preset_identity(preset: Preset) -> dict:
    from .billing import preset_identity as identity

    return identity(preset)


def audio_content_hash(video: Path) -> str:
    """SHA-256 of the decoded 16 kHz mono voice-over: two files with the same audio share one transcription."""
    from .media import load_audio

    return _sha(load_audio(video).tobytes())


def quote(manifest: Manifest, ledger: Optional[Ledger] = None) -> dict:
    """Price of the whole batch (flat per render), and what is still to pay when some variants are charged already."""
    total = manifest.total_milli
    by_tier: dict[str, dict] = {}
    for v in manifest.variants:
        t = by_tier.setdefault(v.tier, {"renders": 0, "millicredits": 0})
        t["renders"] += 1
        t["millicredits"] += v.price_milli
    out = {"renders": len(manifest.variants), "millicredits": total, "credits": format_credits(total), "by_tier": by_tier}
    if ledger is not None and all(v.key for v in manifest.variants):
        done = ledger.charged_keys(v.key for v in manifest.variants)
        due = sum(v.price_milli for v in manifest.variants if v.key not in done)
        out.update({"already_charged": len(done), "due_millicredits": due, "due_credits": format_credits(due)})
    return out


# -- work done in the workers (top-level functions: picklable for process pools and Ray) -----------

def asr_task(task: dict) -> dict:
    """Transcribe + correct + align one voice-over; returns JSON-ready data (`job.AsrOutcome`, cached by the driver)."""
    from .job import RenderJob, recognise_job

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    job = RenderJob.model_validate(task["job"])
    outcome = recognise_job(job, timings)
    outcome.timings["total"] = round(time.perf_counter() - t0, 3)
    return outcome.model_dump(mode="json")


def decode_groups(variants: list[Variant], workers: int) -> list[list[Variant]]:
    """Variants of one source video in chunks that share one decode: enough chunks to keep every worker busy,
    at most `render.multi.MAX_OUTPUTS` encoders each."""
    from .render.multi import MAX_OUTPUTS

    by_video: dict[Path, list[Variant]] = {}
    for v in variants:
        by_video.setdefault(v.video.resolve(), []).append(v)
    total, chunks = len(variants), []
    for vs in by_video.values():
        share = min(len(vs), max(1, round(workers * len(vs) / total)))  # the workers this source deserves
        rounds = -(-len(vs) // (share * MAX_OUTPUTS))  # whole rounds, so no worker idles through a last odd chunk
        n = min(len(vs), share * rounds)
        chunks += [vs[k::n] for k in range(n)]  # interleaved: each chunk gets a mix of looks (similar cost)
    return chunks


def render_group_task(tasks: list[dict]) -> list[dict]:
    """Stage several variants of one source with one decode (`job.stage_shared`); per variant a result or an error."""
    from .job import AsrOutcome, OutputSet, RenderJob, stage_shared
    from .types import Receipt

    t0 = time.perf_counter()
    items = []
    for task in tasks:
        job = RenderJob.model_validate(task["job"])
        outputs = OutputSet.adopt({k: Path(p) for k, p in task["paths"].items()}, {k: Path(p) for k, p in task["tmp"].items()})
        items.append((job, outputs, Receipt.model_validate(task["receipt"]), AsrOutcome.model_validate(task["asr"])))
    staged = stage_shared(items)
    seconds = round((time.perf_counter() - t0) / max(1, len(tasks)), 3)
    out = []
    for task, (job, outputs, _, _), (result, err) in zip(tasks, items, staged):
        if err is not None:
            out.append({"error": f"{type(err).__name__}: {err}"})
            continue
        thumb = make_thumbnail(outputs.tmp["video"], Path(task["thumb"]), result.media.duration) if task.get("thumb") else None
        out.append({"result": result.model_dump(mode="json"), "thumb": thumb, "seconds": seconds, "error": None})
    return out


def render_task(task: dict) -> dict:
    """Stage one variant from cached words: every output written to the temporary names the driver chose.
    The driver charges and moves them into place (`job.Plan.finish`); a worker never commits or charges."""
    from .job import AsrOutcome, OutputSet, RenderJob, stage_job
    from .types import Receipt

    t0 = time.perf_counter()
    job = RenderJob.model_validate(task["job"])
    outputs = OutputSet.adopt({k: Path(p) for k, p in task["paths"].items()}, {k: Path(p) for k, p in task["tmp"].items()})
    result = stage_job(job, outputs, Receipt.model_validate(task["receipt"]), asr=AsrOutcome.model_validate(task["asr"]))
    thumb = None
    if task.get("thumb"):
        thumb = make_thumbnail(outputs.tmp["video"], Path(task["thumb"]), result.media.duration)
    return {"result": result.model_dump(mode="json"), "thumb": thumb, "seconds": round(time.perf_counter() - t0, 3)}


def make_thumbnail(video: Path, thumb: Path, duration: float, width: int = 180) -> Optional[str]:
    """One JPEG frame from the middle of the captioned video (written to a temp name, then renamed to `thumb`)."""
    from .media import run_ffmpeg

    thumb.parent.mkdir(parents=True, exist_ok=True)
    tmp = thumb.with_name(f".{thumb.name}.{os.getpid()}-{os.urandom(4).hex()}.part")
    try:
        run_ffmpeg(["-ss", f"{max(0.0, duration * 0.45):.3f}", "-i", str(video), "-frames:v", "1",
                    "-vf", f"scale={width}:-2", "-q:v", "4", "-f", "image2", "-c:v", "mjpeg", str(tmp)],
                   f"extracting a thumbnail from {video}")
        os.replace(tmp, thumb)
    except CaptionerError:
        tmp.unlink(missing_ok=True)
        return None
    except BaseException:  # interrupted (Ctrl-C / SIGTERM / SIGHUP in a worker): leave no temp file behind
        tmp.unlink(missing_ok=True)
        raise
    return str(thumb)


# -- the driver ----------------------------------------------------------------------------------

@dataclass
class VariantStatus:
    output: str
    preset: str
    tier: str
    key: str
    status: str = "pending"  # done | skipped (done before: not rendered, not charged again) | failed | refused
    millicredits: int = 0  # charged by this batch for this output (0 when skipped or failed)
    charged: bool = False  # a charge exists for this key (now or from an earlier run)
    earlier_millicredits: int = 0  # what an earlier run was charged for this output (the ledger's entry)
    outputs: dict = field(default_factory=dict)
    findings: list = field(default_factory=list)
    thumb: Optional[str] = None
    error: Optional[str] = None
    seconds: float = 0.0


@dataclass
class BatchResult:
    manifest: str
    output_dir: str
    account: str
    executor: str
    variants: list[VariantStatus]
    quote_millicredits: int
    charged_millicredits: int
    asr_groups: int
    asr_computed: int
    timings: dict
    report_json: str = ""
    report_html: str = ""

    @property
    def ok(self) -> bool:
        return all(v.status in ("done", "skipped") for v in self.variants)

    def as_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if k != "variants"}
        d["quote_credits"] = format_credits(self.quote_millicredits)
        d["charged_credits"] = format_credits(self.charged_millicredits)
        d["variants"] = [dict(v.__dict__, credits=format_credits(v.millicredits),
                              earlier_credits=format_credits(v.earlier_millicredits)) for v in self.variants]
        d["ok"] = self.ok
        return d


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{os.urandom(4).hex()}.part")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _clean_stale_parts(out_dir: Path, names: set[str]) -> int:
    """Remove temp files a killed run left behind (the outputs' own are cleaned by each OutputSet); safe because
    we hold the folder's batch lock."""
    from .job import clean_stale

    n = clean_stale([out_dir / REPORT_JSON, out_dir / REPORT_HTML])
    for sub in (out_dir / CACHE_DIR, out_dir / THUMBS):
        if sub.is_dir():
            for p in sub.glob(".*.part"):
                p.unlink(missing_ok=True)
                n += 1
    return n


class _FolderLock:
    """One batch per output folder at a time (flock, released by the OS if the process dies)."""

    def __init__(self, folder: Path):
        self.path = folder / CACHE_DIR / "batch.lock"
        # the folders this lock makes: a batch refused at once (not enough credits) takes them away again
        self.made = [d for d in (folder, self.path.parent) if not d.exists()]
        folder.mkdir(parents=True, exist_ok=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd: Optional[int] = None

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            raise InputError(f"another batch is running into {self.path.parent.parent}: wait for it or pick another output folder")
        return self

    def __exit__(self, *exc):
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
        if exc[0] is not None and self.made:  # refused or failed in a folder it made: leave no empty folders behind
            try:
                if [p.name for p in self.path.parent.iterdir()] == [self.path.name]:
                    self.path.unlink()
                for d in reversed(self.made):
                    d.rmdir()  # only when empty
            except OSError:
                pass


def check_workers(workers: Optional[int]) -> Optional[int]:
    if workers is None:
        return None
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        raise InputError(f"--workers must be a whole number from 1 to {MAX_WORKERS}, not {workers!r} "
                         "(omit it to use one per CPU core)")
    return workers


def variant_job(v: Variant, manifest: Manifest, *, account: str, ledger: Ledger, encode: Optional[dict] = None,
                inputs: Optional[dict[str, Path]] = None):
    """The `RenderJob` of one batch variant (billed, keyed by the variant's render identity)."""
    from .job import RenderJob

    script = load_script(v.script) if v.script else None
    return RenderJob.build(
        kind="batch-variant", name=v.output, video=v.video, script=script,
        inputs=inputs if inputs is not None else {**batch_inputs(manifest.path, manifest.variants), "ledger": ledger.path},
        language=v.language, asr=v.asr, safe_zone=v.safe_zone, on_mismatch=v.on_mismatch, use_prompt=v.use_prompt,
        preset=v.preset, encode=encode or {}, out=v.out, billed=True, account=account, ledger=ledger.path, key=v.key,
        identity=v.key)


def run_batch(manifest_path: str | os.PathLike, *, ledger: Optional[Ledger] = None, account: Optional[str] = None,
              output_dir: Optional[str | os.PathLike] = None, executor: str = "local", workers: Optional[int] = None,
              address: Optional[str] = None, progress: bool = True, console=None, thumbnails: bool = True,
              encode: Optional[dict] = None, share_decode: bool = SHARE_DECODE) -> BatchResult:
    """Run every variant of a manifest: validate all → quote → refuse if unaffordable → ASR once per group → renders.

    Each variant is a `job.RenderJob`; workers stage its outputs, the driver charges it and moves the outputs
    into place (charge before commit: an interrupted or killed batch never leaves a complete uncharged output).
    Resumable: a variant whose key is charged and whose outputs still have the recorded hashes is skipped.
    Ctrl-C, SIGTERM or SIGHUP stop the workers at once, remove every staged file and release the holds.
    """
    from rich.console import Console

    from .distributed import make_executor
    from .job import Plan, foreign_outputs, interruptible

    t0 = time.perf_counter()
    check_workers(workers)
    console = console or Console(stderr=True)
    manifest = load_manifest(manifest_path, output_dir=output_dir, check_files=True)  # every problem in one error
    ledger = ledger or Ledger()
    account = account or manifest.account or DEFAULT_ACCOUNT
    out_dir = manifest.output_dir
    inputs = {**batch_inputs(manifest.path, manifest.variants), "ledger": ledger.path}
    clash = output_clashes(manifest.path, manifest.variants, {"ledger": ledger.path})
    thumbs = manifest.output_dir / THUMBS
    if thumbnails and thumbs.exists() and not thumbs.is_dir():
        clash.append(f"{thumbs} is a file where the batch keeps its thumbnails: move it, or run with --no-thumbnails")
    if clash:
        raise ManifestError(manifest.path, clash)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    assign_keys(manifest)
    jobs = {v.output: variant_job(v, manifest, account=account, ledger=ledger, encode=encode, inputs=inputs)
            for v in manifest.variants}
    timings["plan"] = round(time.perf_counter() - t, 3)
    foreign = [m for j in jobs.values() for m in foreign_outputs(j.outputs)]
    if foreign:  # a user's own file at a variant's output name is never replaced (named all at once, before any work)
        raise ManifestError(manifest.path, foreign)
    statuses = {v.output: VariantStatus(output=v.output, preset=v.preset.name, tier=v.tier, key=v.key)
                for v in manifest.variants}
    price = quote(manifest, ledger)
    owner = f"{os.getpid()}-{os.urandom(4).hex()}"

    with _FolderLock(out_dir), interruptible():
        _clean_stale_parts(out_dir, {v.output for v in manifest.variants})
        # refuse before any work: hold the price of every variant still to render
        holds = {v.key: v.price_milli for v in manifest.variants}
        prior = ledger.reserve(account, holds, what=f"batch {manifest.path.name} ({len(holds)} renders)",
                               identities={v.key: v.key for v in manifest.variants})
        todo: list[Variant] = []
        plans: dict[str, Plan] = {}
        for v in manifest.variants:
            st = statuses[v.output]
            if prior[v.key] is not None:
                st.charged = True
                st.earlier_millicredits = -int(prior[v.key].millicredits)  # a retry shows the original charge
                if ledger.outputs_intact(v.key, jobs[v.output].outputs.values()):
                    st.status = "skipped"
                    continue
            todo.append(v)
            plans[v.output] = Plan(jobs[v.output], ledger, owner=owner, prior=prior[v.key], reserved=prior[v.key] is None)
        skipped_keys = {v.key for v in manifest.variants if statuses[v.output].status == "skipped"}
        ex = None
        thumbs_tmp: dict[str, Path] = {}
        try:
            asr_results, asr_computed = {}, 0
            groups = {}
            for v in todo:
                groups.setdefault(v.group, v)
            cache = out_dir / CACHE_DIR
            need = {}
            for g, v in groups.items():
                f = cache / f"asr-{g}.json"
                if f.is_file():
                    try:
                        asr_results[g] = json.loads(f.read_text(encoding="utf-8"))
                        continue
                    except (OSError, json.JSONDecodeError):
                        f.unlink(missing_ok=True)
                need[g] = {"job": jobs[v.output].model_dump(mode="json")}
            if todo:
                ex = make_executor(executor, workers=workers, address=address)
            prog = _progress(console, progress)
            with prog:
                if need:
                    t = time.perf_counter()
                    task_asr = prog.add_task("transcribe + align", total=len(need))
                    keys = list(need)
                    for i, res, err in ex.run(asr_task, [need[g] for g in keys]):
                        g = keys[i]
                        if err is not None:
                            for v in todo:
                                if v.group == g:
                                    statuses[v.output].status = "failed"
                                    statuses[v.output].error = f"transcription failed: {err}"
                        else:
                            asr_results[g] = res
                            asr_computed += 1
                            _atomic_write(cache / f"asr-{g}.json", json.dumps(res))
                        prog.advance(task_asr)
                    timings["asr"] = round(time.perf_counter() - t, 3)
                runnable = [v for v in todo if v.group in asr_results]
                t = time.perf_counter()
                task_r = prog.add_task("render", total=len(manifest.variants),
                                       completed=len(manifest.variants) - len(runnable))
                tasks, started = [], []
                for v in runnable:
                    plan = plans[v.output]
                    try:
                        outputs = plan.open_outputs()
                    except CaptionerError as e:  # e.g. a folder where this output goes: this variant fails
                        plan.abort()
                        statuses[v.output].status, statuses[v.output].error = "failed", f"{type(e).__name__}: {e}"
                        prog.console.print(f"[red]✗[/red] {v.output} ({v.preset.name}): {e} — not charged")
                        continue
                    started.append(v)
                    thumb = None
                    if thumbnails:
                        thumbs_tmp[v.output] = out_dir / THUMBS / f".{v.output}.jpg.{owner}.part"
                        thumb = str(thumbs_tmp[v.output])
                    tasks.append({"job": plan.job.model_dump(mode="json"), "paths": {k: str(p) for k, p in outputs.paths.items()},
                                  "tmp": {k: str(p) for k, p in outputs.tmp.items()},
                                  "receipt": plan.pending_receipt().model_dump(mode="json"), "asr": asr_results[v.group],
                                  "thumb": thumb})
                def settle(v: Variant, res: Optional[dict], err: Optional[BaseException]) -> None:
                    """Charge and commit one staged variant in the driver (or record why it failed)."""
                    from .types import CaptionResult

                    st, plan = statuses[v.output], plans[v.output]
                    try:
                        if err is not None:
                            raise err
                        result = plan.finish(CaptionResult.model_validate(res["result"]))
                    except Exception as e:  # a failed render, charge or commit: this variant fails, the others go on
                        plan.abort()
                        # a worker's error arrives as its text, already named ("InputError: …")
                        st.status, st.error = "failed", str(e) if isinstance(e, VariantError) else f"{type(e).__name__}: {e}"
                        prog.console.print(f"[red]✗[/red] {v.output} ({v.preset.name}): {st.error} — not charged")
                    else:
                        st.status, st.charged = "done", plan.entry is not None or plan.prior is not None
                        st.millicredits = -plan.entry.millicredits if plan.new_charge else 0
                        st.outputs = result.outputs
                        st.findings = [f.model_dump(mode="json") for f in result.findings]
                        st.seconds = res["seconds"]
                        # the temp thumbnail stays listed for the sweep below until it is in place: a Ctrl-C /
                        # SIGTERM / SIGHUP right after the charge (between the two lines) must not leave it behind
                        thumb_tmp = thumbs_tmp.get(v.output)
                        if thumb_tmp is not None and res.get("thumb"):
                            final = out_dir / THUMBS / f"{v.output}.jpg"
                            os.replace(thumb_tmp, final)
                            st.thumb = str(final)
                        thumbs_tmp.pop(v.output, None)
                        errors = [f for f in result.findings if f.severity == "error"]
                        if errors:  # rendered and charged, but a reviewer must look before it is published
                            kinds = ", ".join(dict.fromkeys(str(f.kind) for f in errors))
                            prog.console.print(f"[yellow]⚠[/yellow] {v.output} ({v.preset.name}, {v.tier}) "
                                               f"{format_credits(st.millicredits)} credits — {len(errors)} error "
                                               f"finding{'s' if len(errors) > 1 else ''} ({kinds}): check before "
                                               "publishing")
                        else:
                            prog.console.print(f"[green]✓[/green] {v.output} ({v.preset.name}, {v.tier}) "
                                               f"{format_credits(st.millicredits)} credits")
                    prog.advance(task_r)

                if started and share_decode:
                    chunks = decode_groups(started, getattr(ex, "workers", None) or 1)
                    for gi, res, err in ex.run(render_group_task, [[tasks[started.index(v)] for v in c] for c in chunks]):
                        for k, v in enumerate(chunks[gi]):
                            if err is not None:
                                settle(v, None, err)
                            else:
                                one = res[k]
                                settle(v, one, None if one.get("error") is None else VariantError(one["error"]))
                elif started:
                    for i, res, err in ex.run(render_task, tasks):
                        settle(started[i], res, err)
                timings["render"] = round(time.perf_counter() - t, 3)
        except BaseException:
            if ex is not None:  # Ctrl-C, SIGTERM, a failed ledger: stop the workers now, not after their tasks
                ex.close(kill=True)
                ex = None
            raise
        finally:
            if ex is not None:
                ex.close()
            for plan in plans.values():
                if plan.entry is None:
                    plan.abort()  # staged files removed, hold released
            for p in thumbs_tmp.values():  # and a killed worker's own temp file of it (make_thumbnail's)
                try:
                    for part in [p, *p.parent.glob(f".{p.name}.*.part")]:
                        part.unlink(missing_ok=True)
                except OSError:  # nothing of it was written (its folder is gone or was never made)
                    pass
            ledger.release([v.key for v in manifest.variants if v.key not in skipped_keys
                            and (plans.get(v.output) is None or plans[v.output].entry is None)])

        # fill in skipped variants from their sidecars; thumbnails for any that lack one
        for v in manifest.variants:
            st = statuses[v.output]
            if st.status == "skipped":
                paths = jobs[v.output].outputs
                st.outputs = {k: str(p) for k, p in paths.items()}
                try:
                    st.findings = json.loads(paths["json"].read_text(encoding="utf-8")).get("findings", [])
                except (OSError, json.JSONDecodeError, AttributeError):
                    st.findings = []
                thumb = out_dir / THUMBS / f"{v.output}.jpg"
                if thumbnails and not thumb.is_file():
                    from .media import probe

                    make_thumbnail(v.out, thumb, probe(v.out).duration)
                st.thumb = str(thumb) if thumb.is_file() else None
        timings["total"] = round(time.perf_counter() - t0, 3)
        result = BatchResult(
            manifest=str(manifest.path), output_dir=str(out_dir), account=account, executor=executor,
            variants=[statuses[v.output] for v in manifest.variants], quote_millicredits=price["millicredits"],
            charged_millicredits=sum(s.millicredits for s in statuses.values()), asr_groups=len({v.group for v in manifest.variants}),
            asr_computed=asr_computed, timings=timings)
        write_report(result, out_dir)
    return result


def _progress(console, enabled: bool):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, disable=not enabled, transient=False)


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>captioner batch — {{ name }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;background:#111;color:#eee}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:16px}
.card{background:#1c1c1c;border-radius:8px;padding:10px}
.card img{width:100%;border-radius:4px;display:block;background:#000}
.failed{outline:2px solid #e33}.skipped{opacity:.85}
.f-error{color:#ff7b7b}.f-warning{color:#ffd27b}.f-info{color:#9bc}
small{color:#aaa}
</style></head><body>
<h1>{{ name }}</h1>
<p>account <b>{{ r.account }}</b> · {{ r.variants|length }} outputs · quote {{ r.quote_credits }} credits ·
charged now {{ r.charged_credits }} credits · ASR groups {{ r.asr_groups }} (computed {{ r.asr_computed }}) ·
executor {{ r.executor }}</p>
<div class="grid">
{% for v in r.variants %}
<div class="card {{ v.status }}">
{% if v.thumb %}<a href="{{ v.video_rel }}"><img src="{{ v.thumb_rel }}" alt="{{ v.output }}"></a>{% endif %}
<div><b>{{ v.output }}</b> <small>{{ v.preset }} ({{ v.tier }})</small></div>
<div>{{ v.status }}{% if v.millicredits %} · charged {{ v.credits }} credits{% elif v.charged %} · charged earlier ({{ v.earlier_credits }} credits){% endif %}</div>
{% if v.error %}<div class="f-error">{{ v.error }}</div>{% endif %}
<ul>{% for f in v.findings %}<li class="f-{{ f.severity }}">{{ f.kind }}: {{ f.message }}</li>{% endfor %}</ul>
</div>
{% endfor %}
</div></body></html>
"""


def write_report(result: BatchResult, out_dir: Path) -> None:
    """batch-report.json (machine-readable) and contact-sheet.html (thumbnails, findings, charges)."""
    import jinja2

    d = result.as_dict()
    for v in d["variants"]:
        v["thumb_rel"] = os.path.relpath(v["thumb"], out_dir) if v.get("thumb") else None
        v["video_rel"] = os.path.relpath(v["outputs"]["video"], out_dir) if v.get("outputs") else None
    result.report_json = str(out_dir / REPORT_JSON)
    result.report_html = str(out_dir / REPORT_HTML)
    d["report_json"], d["report_html"] = result.report_json, result.report_html
    _atomic_write(out_dir / REPORT_JSON, json.dumps(d, indent=1, ensure_ascii=False))
    env = jinja2.Environment(autoescape=True)
    html = env.from_string(_HTML).render(r=d, name=Path(result.manifest).name)
    _atomic_write(out_dir / REPORT_HTML, html)
