"""Service jobs: a stored job → the `RenderJob` the CLI would build, run by `job.run_job`; the public view of a job.

A service job is built with `pipeline.caption_job` — the CLI's own builder — and run with `job.run_job`, so it goes
through the same plan → reserve → stage → charge → commit path, the same `billing.Ledger` and the same keys: the
ledger key of a job is `svc-<job id>`, fixed when the job is accepted, so however often a job is re-run (server
killed mid-render, restarted) it is charged once, and a re-run whose outputs were committed and charged is not
rendered again. Presets are accepted by built-in name only (a preset *file* path from a client would reach the
file system); font and colour overrides are validated by `presets.load_preset` like the CLI's flags.

`run_in_worker()` is what a render process does with one claimed job; `job_view()` is what the API and the
webhooks show.
"""
from __future__ import annotations

import json
import logging
import re
import traceback
from pathlib import Path
from typing import Any, Optional

from ..errors import CaptionerError, InputError
from ..job import STAGES, RenderJob
from .config import ServiceConfig
from .store import JobState, Store, loads

log = logging.getLogger("captioner.service")

OUTPUT_NAME = "captioned.mp4"
# kind in the URL → (key in the OutputSet, media type)
OUTPUT_KINDS: dict[str, tuple[str, str]] = {
    "mp4": ("video", "video/mp4"),
    "srt": ("srt", "application/x-subrip; charset=utf-8"),
    "vtt": ("vtt", "text/vtt; charset=utf-8"),
    "ass": ("ass", "text/x-ssa; charset=utf-8"),
    "json": ("json", "application/json"),
    "qa": ("qa", "text/markdown; charset=utf-8"),
}
# Share of a typical 10 s ad's wall time per stage on 2 cores (bench_e2e: ASR + witness pass and the burn dominate);
# only used to turn the current stage into a percentage for a progress bar.
STAGE_WEIGHTS = {"plan": 2, "audio": 2, "asr": 38, "correct": 8, "align": 10, "layout": 2, "render": 34, "charge": 2,
                 "commit": 2}
OPTION_KEYS = {"safe_zone", "on_mismatch", "use_prompt", "font", "text_color", "highlight_color"}


def job_dir(cfg: ServiceConfig, job_id: str) -> Path:
    return cfg.jobs_dir / job_id


def _drop_empty_dir(cfg: ServiceConfig, job_id: str) -> None:
    """A failed or canceled job leaves no outputs (the render removed what it staged): its empty folder goes too."""
    try:
        job_dir(cfg, job_id).rmdir()
    except OSError:  # not there, or not empty
        pass


def builtin_preset_names() -> set[str]:
    from ..presets import list_presets

    return {p.name for p in list_presets()}


def check_params(language: Any, preset: Any, options: Any) -> dict:
    """The job's parameters as stored: language, a built-in preset name, known options only."""
    if not isinstance(preset, str) or preset not in builtin_preset_names():
        raise InputError(f"unknown preset {str(preset)[:60]!r}: GET /v1/presets lists the built-in presets")
    if not isinstance(language, str):
        raise InputError("language must be a string: en, de, fr, es, hi, zh or auto")
    options = options or {}
    if not isinstance(options, dict):
        raise InputError("options must be a JSON object")
    unknown = sorted(set(options) - OPTION_KEYS)
    if unknown:
        raise InputError(f"unknown option {unknown[0]!r}: allowed {', '.join(sorted(OPTION_KEYS))}")
    return {"language": language.strip().lower(), "preset": preset, "options": options}


def build_render_job(cfg: ServiceConfig, job_id: str, account: str, media_path: Path, script: Optional[str],
                     params: dict, billing_key: str) -> RenderJob:
    """The `RenderJob` of a service job — built by the CLI's `pipeline.caption_job`, billed to `account`."""
    from ..pipeline import caption_job

    o = params.get("options") or {}
    overrides = {k: o[k] for k in ("font", "text_color", "highlight_color") if o.get(k) is not None}
    kw = {k: o[k] for k in ("safe_zone", "on_mismatch", "use_prompt") if o.get(k) is not None}
    return caption_job(media_path, script, out=job_dir(cfg, job_id) / OUTPUT_NAME, language=params["language"],
                       preset=params["preset"], preset_overrides=overrides, account=account, ledger=str(cfg.ledger_path),
                       idempotency_key=billing_key, **kw)


def public_sidecar(text: str, cfg, download_name: str) -> str:
    """The JSON sidecar as a client may read it: "video" is the uploaded video, "outputs" the names the client downloads
    them under (this job's outputs URL), the media's path gone, and any other path on this server (in a finding's
    message) rewritten like a job's error (`public_message`). The stored sidecar is untouched (the ledger holds its
    hash)."""
    d = json.loads(text)
    stem = download_name.rsplit(".", 1)[0]
    if isinstance(d, dict):
        d["video"] = "the uploaded video"
        if isinstance(d.get("outputs"), dict):
            d["outputs"] = {k: f"{stem}.{Path(str(v)).suffix.lstrip('.') or k}" for k, v in d["outputs"].items()}
        if isinstance(d.get("media"), dict) and "path" in d["media"]:
            d["media"]["path"] = "the uploaded video"
    return _without_paths(json.dumps(d, ensure_ascii=False, indent=1), cfg)


def _without_paths(text: str, cfg) -> str:
    """`text` with no path on this server: the upload is "the uploaded video", the data folder "DATA"."""
    data = str(Path(cfg.data).resolve()) if getattr(cfg, "data", None) else None
    out = re.sub(r"(?:[^\s\"]*/)?media/med_[A-Za-z0-9_-]+/source(?:\.part)?\b", "the uploaded video", text)
    return out.replace(data, "DATA") if data else out


def public_message(message: str, cfg) -> str:
    """A job's error as its client may read it: no path on this server (the upload is "the uploaded video", the data
    folder "DATA") and no decoder internals ("[aac @ 0x55a8…]" from ffmpeg's log)."""
    out = _without_paths(message, cfg)
    out = re.sub(r"\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", out)
    # the CLI's flags in the API's words
    out = re.sub(r"--on-mismatch (flag|fail)", r'options {"on_mismatch": "\1"}', out)
    return re.sub(r"\s*\[[a-z_]+:[^\]]*\]\s*", " ", out).strip()


def job_from_row(cfg: ServiceConfig, store: Store, row) -> RenderJob:
    media = store.one("SELECT path FROM media WHERE id = ?", (row["media_id"],))
    if media is None:
        raise InputError("the job's uploaded video is gone; submit the job again")
    return build_render_job(cfg, row["id"], row["account"], Path(media["path"]), row["script"], loads(row["params"], {}),
                            row["billing_key"])


def summary(result) -> dict:
    """What the job record keeps of a `CaptionResult` (the full result is the JSON sidecar)."""
    return {"language": result.language, "preset": result.preset, "words": len(result.words),
            "findings": [f.model_dump(mode="json") for f in result.findings],
            "receipt": result.receipt.model_dump(mode="json"), "timings": result.timings,
            "media": result.media.model_dump(mode="json", exclude={"path"})}


def _completed(job: RenderJob, ledger) -> Optional[dict]:
    """After an interrupt: did the render get through charge + commit anyway (a cancel that came too late)?"""
    from ..types import CaptionResult

    paths = job.outputs
    try:
        if not ledger.outputs_intact(job.billing_key(), paths.values()):
            return None
        return summary(CaptionResult.model_validate_json(paths["json"].read_text(encoding="utf-8")))
    except (OSError, ValueError, CaptionerError):
        return None


def run_in_worker(cfg: ServiceConfig, store: Store, ledger, job_id: str) -> str:
    """Run one claimed job to a terminal state (called in a render process). Returns the state it ended in."""
    from ..job import run_job

    row = store.job(job_id)
    if row is None or row["state"] != JobState.running:
        return row["state"] if row else "missing"
    body = event_body_fn(cfg)
    if row["cancel_requested"]:
        store.finish(job_id, JobState.canceled, error="canceled before it started; nothing was charged",
                     error_code="canceled", event_body=body)
        return JobState.canceled
    job = None
    at = {"stage": None}

    def progress(stage: str) -> None:
        at["stage"] = stage
        # a cooperative cancel check at each stage boundary (the pool's SIGTERM stops a stage under way); never at
        # "commit": the charge is recorded by then, and the outputs it paid for must be put in place
        if stage != "commit":
            r = store.one("SELECT cancel_requested FROM jobs WHERE id = ?", (job_id,))
            if r is not None and r["cancel_requested"]:
                raise KeyboardInterrupt("canceled")
        store.add_progress(job_id, stage)

    try:
        job = job_from_row(cfg, store, row)
        result = run_job(job, ledger=ledger, progress=progress)
    except KeyboardInterrupt:  # SIGTERM from the pool: a cancel (or the server stopping)
        done = _completed(job, ledger) if job is not None else None
        if done is not None:
            store.finish(job_id, JobState.done, result=done, event_body=body)
            return JobState.done
        fresh = store.job(job_id)
        if fresh is not None and fresh["cancel_requested"]:
            where = f" at the {at['stage']} stage" if at["stage"] else ""
            store.finish(job_id, JobState.canceled, error=f"canceled{where}; nothing was charged",
                         error_code="canceled", event_body=body)
            _drop_empty_dir(cfg, job_id)
            return JobState.canceled
        store.requeue(job_id)  # the server is stopping: the job runs again at the next start
        return JobState.queued
    except CaptionerError as e:
        store.finish(job_id, JobState.failed, error=public_message(str(e), cfg), error_code=_snake(type(e).__name__), event_body=body)
        _drop_empty_dir(cfg, job_id)
        return JobState.failed
    except Exception as e:  # noqa: BLE001 - a bug must fail the job, not the worker
        log.error("job %s failed with an internal error:\n%s", job_id, traceback.format_exc())
        store.finish(job_id, JobState.failed, error=f"internal error ({type(e).__name__}); nothing was charged",
                     error_code="internal", event_body=body)
        _drop_empty_dir(cfg, job_id)
        return JobState.failed
    store.finish(job_id, JobState.done, result=summary(result), event_body=body)
    return JobState.done


# -- views --------------------------------------------------------------------------------------------------


def progress_view(row) -> dict:
    """Per-stage progress from the stage start times the worker recorded."""
    marks = loads(row["progress"], []) if row["progress"] else []
    started = {s: t for s, t in marks}
    order = [s for s, _ in marks]
    state = row["state"]
    stages = []
    for i, name in enumerate(STAGES):
        if name in started:
            j = order.index(name)
            end = marks[j + 1][1] if j + 1 < len(marks) else (row["finished_at"] if state != JobState.running else None)
            st = "done" if end is not None and (j + 1 < len(marks) or state == JobState.done) else (
                "running" if state == JobState.running else str(state))
            stages.append({"name": name, "state": st, "seconds": round(end - started[name], 3) if end else None})
        else:
            skipped = state == JobState.done
            stages.append({"name": name, "state": "skipped" if skipped else "pending", "seconds": None})
    if state == JobState.done:
        percent = 100
    else:
        percent = sum(STAGE_WEIGHTS[s["name"]] for s in stages if s["state"] == "done")
        percent = min(99, round(percent * 100 / sum(STAGE_WEIGHTS.values())))
    current = order[-1] if order and state == JobState.running else None
    return {"stage": current, "percent": percent, "stages": stages}


def job_view(row) -> dict:
    """The public JSON of a job (GET /v1/jobs/{id}, webhook bodies)."""
    result = loads(row["result"], None)
    params = loads(row["params"], {})
    out: dict[str, Any] = {
        "id": row["id"], "object": "job", "state": row["state"], "client_reference": row["client_reference"],
        "batch_id": row["batch_id"], "created_at": row["created_at"], "started_at": row["started_at"],
        "finished_at": row["finished_at"], "language": params.get("language"), "preset": params.get("preset"),
        "options": params.get("options") or {}, "price_credits": row["price_milli"] / 1000,
        "attempts": row["attempts"], "cancel_requested": bool(row["cancel_requested"]),
        "progress": progress_view(row), "findings": None, "receipt": None, "error": None, "outputs": None,
    }
    if result is not None:
        out["findings"] = result["findings"]
        out["receipt"] = result["receipt"]
        out["result"] = {k: result[k] for k in ("language", "words", "timings", "media") if k in result}
    if row["state"] == JobState.done:
        out["outputs"] = {k: f"/v1/jobs/{row['id']}/outputs/{k}" for k in OUTPUT_KINDS}
    if row["error"]:
        out["error"] = {"code": row["error_code"], "message": row["error"]}
    return out


def event_body_fn(cfg: Optional[ServiceConfig] = None):
    """The webhook body of a job that just ended: the event, the job's view, its client_reference echoed."""
    def body(row) -> str:
        view = job_view(row)
        return json.dumps({"event": f"job.{row['state']}", "client_reference": row["client_reference"], "job": view},
                          separators=(",", ":"), sort_keys=True)
    return body


def _snake(name: str) -> str:
    """A job error's code in the API's style: InputError → input_error, MediaError → media_error."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
