"""The HTTP API and web app (FastAPI on uvicorn): jobs, batches, presets, quotes, the account, outputs, webhooks.

`create_app(ServiceConfig)` builds the ASGI app; its lifespan opens the store, recovers jobs a killed server left
`running`, starts the render processes (`worker.WorkerPool`) and the webhook sender. Every `/v1` route except the
preset catalogue needs `Authorization: Bearer KEY`; a key sees only its own account's jobs, batches, media and
ledger entries — another account's id answers 404 exactly like an id that does not exist. Errors are JSON
`{"error": {"code", "message"}}` with one actionable line. The interactive docs are at /docs, the schema at
/openapi.json, the web app at /.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import shutil
import sqlite3
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Optional

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..errors import BillingError, CaptionerError, InputError
from .auth import Principal, RateLimiter, authenticate
from .config import ServiceConfig
from .jobs import OUTPUT_KINDS, OUTPUT_NAME, build_render_job, check_params, event_body_fn, job_dir, job_view
from .store import TERMINAL, JobState, Store, loads, new_id
from .uploads import Form, UploadError, probe_upload, read_multipart
from .webhooks import Sender, WebhookPolicy, WebhookTargetError, parse_networks

log = logging.getLogger("captioner.service")
STATIC = Path(__file__).resolve().parent / "static"
MAX_REFERENCE = 200
MAX_IDEMPOTENCY_KEY = 200


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: Optional[dict] = None):
        super().__init__(message)
        self.status, self.code, self.headers = status, code, headers


def _error(status: int, code: str, message: str, headers: Optional[dict] = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def _printable(value: Optional[str], what: str, limit: int) -> Optional[str]:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit or not value.isprintable():
        raise ApiError(422, "invalid_field", f"{what} must be 1–{limit} printable characters")
    return value


class Service:
    """What the routes share: config, store, ledger, rate limiter, webhook policy, the worker pool."""

    def __init__(self, cfg: ServiceConfig):
        self.cfg = cfg
        for d in (cfg.data, cfg.media_dir, cfg.jobs_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.store = Store(cfg.store_path)
        self._local = threading.local()
        self.limiter = RateLimiter(cfg.rate_per_s, cfg.rate_burst)
        self.policy = WebhookPolicy(allow=parse_networks(cfg.webhook_allow), timeout_s=cfg.webhook_timeout_s)
        self.sender = Sender(self.store, self.policy, max_attempts=cfg.webhook_max_attempts,
                             backoff_base_s=cfg.webhook_backoff_s)
        self.pool = None
        self._gallery_lock = threading.Lock()

    def start(self) -> None:
        from .worker import WorkerPool

        counts = self.store.recover(event_body_fn(self.cfg))
        if any(counts.values()):
            log.info("recovered jobs of the previous run: %s", counts)
        self.sender.start()
        self.pool = WorkerPool(self.cfg, self.store, on_change=self.sender.wake, executor=self.cfg.executor,
                               address=self.cfg.ray_address)
        self.pool.start()

    def stop(self) -> None:
        if self.pool is not None:
            self.pool.stop()
        self.sender.stop()

    @property
    def ledger(self):
        """This thread's `billing.Ledger` (an SQLite connection belongs to the thread that opened it)."""
        from ..billing import Ledger

        led = getattr(self._local, "ledger", None)
        if led is None:
            led = self._local.ledger = Ledger(self.cfg.ledger_path)
        return led


def create_app(cfg: ServiceConfig, *, start_workers: bool = True) -> FastAPI:
    svc = Service(cfg)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if start_workers:
            await run_in_threadpool(svc.start)
        else:
            svc.sender.start()
        try:
            yield
        finally:
            await run_in_threadpool(svc.stop)

    app = FastAPI(title="captioner", version=__version__, lifespan=lifespan,
                  description="Caption short video ads over HTTP: upload a video and its script, get the captioned video, "
                              "sidecars, findings and a receipt. Authenticate with `Authorization: Bearer KEY` "
                              "(`captioner keys create --account NAME`).")
    app.state.service = svc

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, e: ApiError):
        return _error(e.status, e.code, str(e), e.headers)

    @app.exception_handler(UploadError)
    async def _upload_error(request: Request, e: UploadError):
        return _error(e.status, e.code, str(e))

    @app.exception_handler(CaptionerError)
    async def _captioner_error(request: Request, e: CaptionerError):
        if isinstance(e, BillingError):  # a refusal (cannot pay, key bound elsewhere) or an unusable ledger
            if "not enough credits" in str(e) or "idempotency key" in str(e):
                return _error(402, "payment_required", str(e))
            log.error("ledger failure: %s", e)
            return _error(503, "ledger_unavailable", "the credit ledger is unavailable; retry later (nothing was charged)",
                          {"Retry-After": "30"})
        if isinstance(e, InputError):
            return _error(422, "invalid_request", str(e))
        return _error(500, type(e).__name__, str(e))

    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, e: StarletteHTTPException):
        """Unknown routes and methods answer in the API's own error shape ({"detail": …} before)."""
        code = {404: "not_found", 405: "method_not_allowed"}.get(e.status_code, "http_error")
        msg = str(e.detail)
        if msg in ("Not Found", "Method Not Allowed"):  # Starlette's own words: say which route
            msg = {404: f"no such route: {request.method} {request.url.path}",
                   405: f"{request.method} is not allowed on {request.url.path}"}.get(e.status_code, msg)
        return _error(e.status_code, code, msg, dict(e.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, e: RequestValidationError):
        err = e.errors()[0] if e.errors() else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(x) for x in err.get("loc", []))
        return _error(422, "invalid_request", f"{where}: {err.get('msg')}")

    # -- auth ---------------------------------------------------------------------------------------------
    def principal(request: Request, authorization: Optional[str] = Header(None)) -> Principal:
        p = authenticate(svc.store, authorization)
        if p is None:
            raise ApiError(401, "unauthorized", "missing or invalid API key: send `Authorization: Bearer KEY` "
                                                "(create one with `captioner keys create --account NAME`)",
                           {"WWW-Authenticate": "Bearer"})
        wait = svc.limiter.take(p.key_id)
        if wait is not None:
            raise ApiError(429, "rate_limited", f"too many requests for this key: retry in {wait:.1f} s",
                           {"Retry-After": str(max(1, round(wait + 0.5)))})
        return p

    # -- the web app and health -----------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    async def index():
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/healthz", tags=["service"])
    async def health():
        pool = svc.pool
        return {"ok": True, "version": __version__, "workers": cfg.workers, "ready": pool.ready() if pool else 0,
                "busy": pool.busy() if pool else 0}

    # -- presets, gallery, quote --------------------------------------------------------------------------
    @app.get("/v1/presets", tags=["presets"])
    async def presets():
        """Every built-in preset with its tier, flat price and animated preview (no key needed)."""
        from ..presets import list_presets

        return {"data": [{"name": p.name, "tier": str(p.billed_tier), "credits": p.credits_milli / 1000,
                          "description": p.description, "font": p.font,
                          "preview": f"/v1/presets/{p.name}/preview.webp", "still": f"/v1/presets/{p.name}/preview.png"}
                         for p in list_presets()]}

    def _preview_file(name: str, ext: str) -> Path:
        from ..previews import build_gallery
        from ..presets import load_preset

        from .jobs import builtin_preset_names

        if name not in builtin_preset_names():
            raise ApiError(404, "not_found", f"no preset named {name[:60]!r}")
        with svc._gallery_lock:  # one render at a time per process; cached on disk by content
            g = build_gallery(cfg.gallery_dir / cfg.gallery_language, cfg.gallery_language, presets=[load_preset(name)])
        tile = g.previews[0]
        return tile.animated if ext == "webp" else tile.still

    @app.get("/v1/presets/{name}/preview.{ext}", tags=["presets"])
    async def preset_preview(name: str, ext: str):
        """The preset's animated WebP (or still PNG) on a neutral 9:16 background, rendered once and cached."""
        if ext not in ("webp", "png"):
            raise ApiError(404, "not_found", "previews are .webp (animated) or .png (still)")
        path = await run_in_threadpool(_preview_file, name, ext)
        return FileResponse(path, media_type=f"image/{ext}", headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/gallery", include_in_schema=False)
    async def gallery_redirect():
        return RedirectResponse("/gallery/index.html")

    @app.get("/gallery/{path:path}", tags=["presets"])
    async def gallery(path: str):
        """The full preset gallery page (`captioner previews`), built on first request and cached."""
        from ..previews import build_gallery

        root = cfg.gallery_dir / "full"
        if not (root / "index.html").is_file():
            def build():
                with svc._gallery_lock:
                    build_gallery(root, cfg.gallery_language)
            await run_in_threadpool(build)
        target = (root / (path or "index.html")).resolve()
        if not target.is_relative_to(root.resolve()) or not target.is_file():
            raise ApiError(404, "not_found", "no such gallery file")
        return FileResponse(target)

    @app.get("/v1/quote", tags=["billing"])
    async def quote(preset: list[str] = Query(..., description="preset name(s); one render each"),
                    authorization: Optional[str] = Header(None)):
        """Price before running: flat per render by what the look does, whatever the video's length."""
        from ..billing import format_credits
        from ..presets import load_preset

        from .jobs import builtin_preset_names

        names = builtin_preset_names()
        bad = [p for p in preset if p not in names]
        if bad:
            raise ApiError(422, "invalid_request", f"unknown preset {bad[0][:60]!r}: GET /v1/presets lists them")
        items = [load_preset(p) for p in preset]
        total = sum(p.credits_milli for p in items)
        out: dict[str, Any] = {"renders": len(items), "millicredits": total, "credits": format_credits(total),
                               "items": [{"preset": p.name, "tier": str(p.billed_tier), "credits": p.credits_milli / 1000}
                                         for p in items]}
        p = authenticate(svc.store, authorization)
        if p is not None:
            _, avail = await run_in_threadpool(lambda: _available_after_queue(p.account))
            out.update(account=p.account, available_credits=format_credits(max(0, avail)), enough=avail >= total)
        return out

    # -- account ------------------------------------------------------------------------------------------
    @app.get("/v1/account", tags=["account"])
    async def account(p: Principal = Depends(principal)):
        """The key's account: balance, what running jobs hold, the webhook signing secret."""
        from ..billing import format_credits

        bal = await run_in_threadpool(lambda: svc.ledger.balance(p.account))
        _, avail = await run_in_threadpool(lambda: _available_after_queue(p.account))
        avail = max(0, avail)
        return {"account": p.account, "key_id": p.key_id, "balance_credits": format_credits(bal),
                "balance_millicredits": bal, "available_credits": format_credits(avail),
                "webhook_secret": svc.store.webhook_secret(p.account)}

    @app.get("/v1/account/history", tags=["account"])
    async def history(limit: int = Query(50, ge=1, le=500), p: Principal = Depends(principal)):
        """The account's ledger entries (top-ups, charges, refunds), newest last."""
        entries = await run_in_threadpool(lambda: svc.ledger.history(p.account, limit))
        data = []
        for e in entries:
            d = e.as_dict()
            d.pop("output", None)  # a server path
            data.append(d)
        return {"data": data}

    # -- media --------------------------------------------------------------------------------------------
    def new_media_dir() -> Path:
        mid = new_id("med")
        d = cfg.media_dir / mid
        d.mkdir(parents=True)
        return d

    async def store_media(p: Principal, form: Form) -> sqlite3.Row:
        up = form.files.get("video")
        if up is None or up.bytes == 0:
            form.discard()
            raise ApiError(422, "missing_video", "the request needs a non-empty file field 'video'")
        try:
            info = await run_in_threadpool(probe_upload, up.path, cfg.max_seconds)
        except UploadError:
            form.discard()
            raise
        final = up.path.with_name("source")
        up.path.rename(final)
        mid = final.parent.name
        with svc.store.tx() as c:
            c.execute("INSERT INTO media(id, account, path, sha256, bytes, info, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      (mid, p.account, str(final), up.sha256, up.bytes, info.model_dump_json(exclude={"path"}), time.time()))
        return svc.store.one("SELECT * FROM media WHERE id = ?", (mid,))

    def media_view(m) -> dict:
        info = loads(m["info"], {})
        return {"id": m["id"], "object": "media", "bytes": m["bytes"], "sha256": m["sha256"], **{
            k: info.get(k) for k in ("duration", "width", "height", "fps", "has_audio")}}

    @app.post("/v1/media", status_code=201, tags=["jobs"])
    async def upload_media(request: Request, p: Principal = Depends(principal)):
        """Upload a video once (multipart field `video`); use its id in JSON job or batch requests."""
        form = await read_multipart(request, new_media_dir, max_file_bytes=cfg.max_upload_bytes, idle_s=cfg.upload_idle_s,
                                    file_fields={"video"})
        m = await store_media(p, form)
        return media_view(m)

    # -- jobs ---------------------------------------------------------------------------------------------
    def _request_hash(media_sha: str, body: dict) -> str:
        blob = json.dumps({"media": media_sha, **body}, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def _replay(p: Principal, key: str, request_hash: str, table: str = "jobs") -> Optional[sqlite3.Row]:
        r = svc.store.one(f"SELECT * FROM {table} WHERE account = ? AND idempotency_key = ?", (p.account, key))
        if r is not None and r["request_hash"] != request_hash:
            raise ApiError(422, "idempotency_key_reused", f"Idempotency-Key {key[:60]!r} was used for a different request: "
                                                          "use a new key for a new job")
        return r

    def _prepare_job(p: Principal, media, body: dict) -> dict:
        """Validate everything cheap about a job and price it; raises ApiError/InputError (422) or 402."""
        script = body.get("script")
        if script is not None and not isinstance(script, str):
            raise ApiError(422, "invalid_field", "script must be text")
        if script is not None and len(script) > cfg.max_script_chars:
            raise ApiError(413, "too_large", f"the script is longer than {cfg.max_script_chars} characters")
        if not script:  # no script (a form's empty field)
            script = None
        else:  # a browser's form sends CRLF line ends; a file read by the CLI has "\n" (text mode). A script of blanks
            # only is kept: like the CLI's, it is an `empty_script` warning (a script was meant), not "no script" (info)
            script = script.replace("\r\n", "\n").replace("\r", "\n")
        params = check_params(body.get("language", "en"), body.get("preset", "karaoke"), body.get("options"))
        ref = _printable(body.get("client_reference"), "client_reference", MAX_REFERENCE)
        hook = body.get("webhook_url") or None
        if hook is not None:
            try:
                svc.policy.check(hook)
            except WebhookTargetError as e:
                raise ApiError(422, "webhook_url_refused", str(e)) from None
        jid = new_id("job")
        rj = build_render_job(cfg, jid, p.account, Path(media["path"]), script, params, f"svc-{jid}")  # validates options
        return {"id": jid, "script": script, "params": params, "client_reference": ref, "webhook_url": hook,
                "price": rj.receipt.millicredits}

    def _available_after_queue(account: str) -> tuple[int, int]:
        """(unfinished jobs, credits available for a new one): the balance minus every queued or running job at its
        price and minus any other live hold on the ledger (a CLI render on the same ledger). A running job's own hold
        is left out, not counted twice (it refused a job that the balance covered). /v1/account, /v1/quote and the
        402 check all read this one figure."""
        rows = svc.store.read("SELECT billing_key, price_milli FROM jobs WHERE account = ? AND state IN ('queued', 'running')",
                             (account,))
        avail = svc.ledger.available(account, exclude=[r["billing_key"] for r in rows])
        return len(rows), avail - sum(int(r["price_milli"]) for r in rows)

    # one submission at a time checks the account's credit against the jobs already queued and queues its own (the API
    # runs in one process; the render workers never queue jobs)
    submit_lock = threading.RLock()

    def _check_credit_and_queue(p: Principal, price_total: int, n: int) -> None:
        from ..billing import format_credits

        unfinished, avail = _available_after_queue(p.account)
        if unfinished + n > cfg.max_queued_per_account:
            raise ApiError(429, "too_many_jobs", f"account {p.account!r} has {unfinished} unfinished jobs; the limit is "
                                                 f"{cfg.max_queued_per_account}: wait for some to finish",
                           {"Retry-After": "10"})
        if price_total > 0 and avail < price_total:
            raise ApiError(402, "payment_required",
                           f"not enough credits in account {p.account!r}: needs {format_credits(price_total)}, available "
                           f"{format_credits(max(0, avail))} after the jobs already queued — ask the service's operator to "
                           f"add at least {format_credits(price_total - avail)} credits, or wait for queued jobs to finish "
                           "(nothing was queued or charged)")

    def _insert_job(c, p: Principal, media, prep: dict, *, idem: Optional[str], request_hash: Optional[str],
                    batch_id: Optional[str] = None) -> None:
        c.execute("INSERT INTO jobs(id, account, state, media_id, script, params, client_reference, webhook_url, batch_id, "
                  "idempotency_key, request_hash, billing_key, price_milli, created_at) "
                  "VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  (prep["id"], p.account, media["id"], prep["script"], json.dumps(prep["params"]), prep["client_reference"],
                   prep["webhook_url"], batch_id, idem, request_hash, f"svc-{prep['id']}", prep["price"], time.time()))

    def _wake():
        if svc.pool is not None:
            svc.pool.wake()

    def _create_job_sync(p: Principal, media, body: dict, idem: Optional[str], fresh_media: bool) -> tuple[dict, bool]:
        request_hash = _request_hash(media["sha256"], {k: body.get(k) for k in (
            "script", "language", "preset", "options", "client_reference", "webhook_url")})
        if idem:
            prior = _replay(p, idem, request_hash)
            if prior is not None:
                return job_view(prior), True
        prep = _prepare_job(p, media, body)
        try:
            with submit_lock:  # the credit check and the insert as one step (two at once both passed it before)
                _check_credit_and_queue(p, prep["price"], 1)
                with svc.store.tx() as c:
                    _insert_job(c, p, media, prep, idem=idem, request_hash=request_hash)
        except sqlite3.IntegrityError:  # the same Idempotency-Key raced in from another request
            prior = _replay(p, idem, request_hash) if idem else None
            if prior is None:
                raise
            return job_view(prior), True
        _wake()
        return job_view(svc.store.job(prep["id"])), False

    def _drop_media(media) -> None:
        shutil.rmtree(Path(media["path"]).parent, ignore_errors=True)
        with svc.store.tx() as c:
            c.execute("DELETE FROM media WHERE id = ? AND NOT EXISTS (SELECT 1 FROM jobs WHERE media_id = ?)",
                      (media["id"], media["id"]))

    def _idem_header(value: Optional[str]) -> Optional[str]:
        return _printable(value, "Idempotency-Key", MAX_IDEMPOTENCY_KEY)

    @app.post("/v1/jobs", status_code=201, tags=["jobs"], openapi_extra={"requestBody": {"content": {
        "multipart/form-data": {"schema": {"type": "object", "required": ["video"], "properties": {
            "video": {"type": "string", "format": "binary"}, "script": {"type": "string"},
            "language": {"type": "string", "default": "en"}, "preset": {"type": "string", "default": "karaoke"},
            "options": {"type": "string", "description": "JSON object: safe_zone, on_mismatch, use_prompt, font, "
                                                          "text_color, highlight_color"},
            "client_reference": {"type": "string"}, "webhook_url": {"type": "string"}}}},
        "application/json": {"schema": {"type": "object", "required": ["media_id"], "properties": {
            "media_id": {"type": "string"}, "script": {"type": "string"}, "language": {"type": "string"},
            "preset": {"type": "string"}, "options": {"type": "object"}, "client_reference": {"type": "string"},
            "webhook_url": {"type": "string"}}}}}}})
    async def create_job(request: Request, p: Principal = Depends(principal),
                         idempotency_key: Optional[str] = Header(None, alias="Idempotency-Key")):
        """Submit a job: multipart `video` + `script` + `language` + `preset` (or JSON with a `media_id`).
        Answers 201 with `{"id", "state", …}`; the same `Idempotency-Key` with the same request answers the same job
        (header `Idempotent-Replayed: true`), with a different request 422."""
        idem = _idem_header(idempotency_key)
        ctype = request.headers.get("content-type", "")
        fresh = False
        if ctype.startswith("application/json"):
            body = await _json_body(request)
            mid = body.get("media_id")
            media = svc.store.one("SELECT * FROM media WHERE id = ? AND account = ?", (str(mid), p.account)) if mid else None
            if media is None:
                raise ApiError(404 if mid else 422, "media_not_found" if mid else "missing_video",
                               f"no uploaded media {str(mid)[:60]!r} for this account" if mid else
                               "give media_id (POST /v1/media first) or send multipart with a 'video' file")
        else:
            form = await read_multipart(request, new_media_dir, max_file_bytes=cfg.max_upload_bytes, idle_s=cfg.upload_idle_s,
                                        file_fields={"video"}, text_file_fields={"script"})
            media = await store_media(p, form)
            fresh = True
            body = dict(form.fields)
            if "options" in body:
                try:
                    body["options"] = json.loads(body["options"]) if body["options"].strip() else None
                except (ValueError, RecursionError):  # nested too deeply: invalid too, and the upload goes
                    _drop_media(media)
                    raise ApiError(422, "invalid_field", "options must be a JSON object") from None
        try:
            view, replayed = await run_in_threadpool(_create_job_sync, p, media, body, idem, fresh)
        except BaseException:
            if fresh:
                await run_in_threadpool(_drop_media, media)
            raise
        if replayed and fresh:
            await run_in_threadpool(_drop_media, media)
        headers = {"Location": f"/v1/jobs/{view['id']}"}
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return JSONResponse(view, status_code=201, headers=headers)

    @app.get("/v1/jobs", tags=["jobs"])
    async def list_jobs(limit: int = Query(20, ge=1, le=200), state: Optional[JobState] = None,
                        batch_id: Optional[str] = None, p: Principal = Depends(principal)):
        """The account's jobs, newest first."""
        q, args = "SELECT * FROM jobs WHERE account = ?", [p.account]
        if state is not None:
            q, args = q + " AND state = ?", args + [str(state)]
        if batch_id is not None:
            q, args = q + " AND batch_id = ?", args + [batch_id]
        rows = svc.store.read(q + " ORDER BY created_at DESC, rowid DESC LIMIT ?", tuple(args + [limit]))
        return {"data": [job_view(r) for r in rows]}

    def _own_job(p: Principal, job_id: str):
        r = svc.store.job(job_id, p.account)
        if r is None:
            raise ApiError(404, "not_found", f"no job {job_id[:60]!r} in this account")
        return r

    @app.get("/v1/jobs/{job_id}", tags=["jobs"])
    async def get_job(job_id: str, p: Principal = Depends(principal)):
        """State, progress per stage, findings, receipt and output links of one job."""
        return job_view(_own_job(p, job_id))

    @app.delete("/v1/jobs/{job_id}", tags=["jobs"])
    async def cancel_job(job_id: str, p: Principal = Depends(principal)):
        """Cancel: a queued job is canceled at once; a running one is stopped (staged files removed, hold released,
        nothing charged). 409 if it has already ended (a render that reached its charge first ends `done`)."""
        r = _own_job(p, job_id)
        if r["state"] in TERMINAL:
            raise ApiError(409, "already_finished", f"job {job_id} is already {r['state']}")
        with svc.store.tx() as c:
            c.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (job_id,))
        svc.store.finish(job_id, JobState.canceled, error="canceled before it started; nothing was charged",
                         error_code="canceled", only_from=("queued",), event_body=event_body_fn(cfg))
        _wake()
        svc.sender.wake()
        r = svc.store.job(job_id)
        return JSONResponse(job_view(r), status_code=200 if r["state"] in TERMINAL else 202)

    def _output_path(r, kind: str) -> Path:
        if kind not in OUTPUT_KINDS:
            raise ApiError(404, "not_found", f"no output {kind[:20]!r}: one of {', '.join(OUTPUT_KINDS)}")
        if r["state"] != JobState.done:
            raise ApiError(409 if r["state"] in (JobState.queued, JobState.running) else 404, "not_ready",
                           f"job {r['id']} is {r['state']}: outputs exist once it is done")
        from ..job import output_paths

        paths = output_paths(job_dir(cfg, r["id"]) / OUTPUT_NAME)
        return paths[OUTPUT_KINDS[kind][0]] if kind != "qa" else paths["json"]

    @app.get("/v1/jobs/{job_id}/outputs/{kind}", tags=["jobs"])
    async def output(job_id: str, kind: str, download: bool = False, p: Principal = Depends(principal)):
        """mp4, srt, vtt, ass, json (the CLI's JSON sidecar) or qa (the QA report, Markdown)."""
        r = _own_job(p, job_id)
        path = _output_path(r, kind)
        if not path.is_file():
            raise ApiError(404, "not_found", f"the {kind} output of job {job_id} is missing on the server")
        if kind == "qa":
            from ..hint import report_markdown
            from ..types import CaptionResult

            res = CaptionResult.model_validate_json(path.read_text(encoding="utf-8"))
            return PlainTextResponse(report_markdown(res.findings, res.words), media_type=OUTPUT_KINDS["qa"][1])
        name = f"{r['client_reference'] or job_id}.{ 'mp4' if kind == 'mp4' else kind}"
        safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)[:120]
        headers = {"Content-Disposition": f'{"attachment" if download else "inline"}; filename="{safe}"'}
        if kind == "json":  # the CLI's sidecar names files by their paths on this server: the client gets its names
            from .jobs import public_sidecar

            text = await run_in_threadpool(lambda: public_sidecar(path.read_text(encoding="utf-8"), cfg, safe))
            return Response(text, media_type=OUTPUT_KINDS[kind][1], headers=headers)
        return FileResponse(path, media_type=OUTPUT_KINDS[kind][1], headers=headers)

    # -- batches ------------------------------------------------------------------------------------------
    @app.post("/v1/batches", status_code=201, tags=["batches"])
    async def create_batch(request: Request, p: Principal = Depends(principal),
                           idempotency_key: Optional[str] = Header(None, alias="Idempotency-Key")):
        """A manifest of variants (JSON, or multipart with a `manifest` field and video files): each variant is a job
        (one per preset), all validated and priced before any is queued; the batch is refused whole (402) if the
        account cannot pay for all of them. Variants name a `media_id` or the multipart field of a video."""
        idem = _idem_header(idempotency_key)
        ctype = request.headers.get("content-type", "")
        fresh: list = []
        if ctype.startswith("application/json"):
            manifest = await _json_body(request)
            files: dict[str, Any] = {}
        else:
            form = await read_multipart(request, new_media_dir, max_file_bytes=cfg.max_upload_bytes, idle_s=cfg.upload_idle_s,
                                        file_fields={f"video{i}" for i in range(cfg.max_batch_variants)} | {"video"},
                                        max_files=min(cfg.max_batch_variants, 16))
            try:
                text = form.fields.get("manifest", "")
                manifest = _parse_manifest(text)
            except ApiError:
                form.discard()
                raise
            files = {}
            for name in list(form.files):
                one = Form(files={"video": form.files[name]})
                try:
                    files[name] = await store_media(p, one)
                except UploadError:
                    for up in form.files.values():
                        if up.path.exists():
                            shutil.rmtree(up.path.parent, ignore_errors=True)
                    for m in files.values():
                        await run_in_threadpool(_drop_media, m)
                    raise
                fresh.append(files[name])
        try:
            out, replayed = await run_in_threadpool(_create_batch_sync, p, manifest, files, idem)
        except BaseException:
            for m in fresh:
                await run_in_threadpool(_drop_media, m)
            raise
        if replayed:
            for m in fresh:
                await run_in_threadpool(_drop_media, m)
        return JSONResponse(out, status_code=201, headers={"Idempotent-Replayed": "true"} if replayed else None)

    def _create_batch_sync(p: Principal, manifest: dict, files: dict, idem: Optional[str]) -> tuple[dict, bool]:
        if not isinstance(manifest, dict):
            raise ApiError(422, "invalid_manifest", "the manifest must be a JSON/YAML object with a 'variants' list")
        unknown = set(manifest) - {"variants", "defaults", "client_reference", "webhook_url"}
        if unknown:
            raise ApiError(422, "invalid_manifest", f"unknown manifest field {sorted(unknown)[0]!r}")
        variants = manifest.get("variants")
        defaults = manifest.get("defaults") or {}
        if not isinstance(variants, list) or not variants or not isinstance(defaults, dict):
            raise ApiError(422, "invalid_manifest", "the manifest needs a non-empty 'variants' list")
        expanded: list[tuple[Any, dict]] = []
        problems: list[str] = []
        for i, v in enumerate(variants):
            if not isinstance(v, dict):
                problems.append(f"variants[{i}]: must be an object")
                continue
            v = {**defaults, **v}
            bad = set(v) - {"media_id", "video", "script", "language", "preset", "presets", "options", "client_reference"}
            if bad:
                problems.append(f"variants[{i}]: unknown field {sorted(bad)[0]!r}")
                continue
            media = None
            if v.get("media_id"):
                media = svc.store.one("SELECT * FROM media WHERE id = ? AND account = ?", (str(v["media_id"]), p.account))
            elif isinstance(v.get("video"), str):
                media = files.get(v["video"])
            if media is None:
                problems.append(f"variants[{i}]: no video: give 'media_id' (POST /v1/media) or 'video' naming a multipart "
                                "file field (video0, video1, …)")
                continue
            presets = v.get("presets") or [v.get("preset", "karaoke")]
            if not isinstance(presets, list):
                problems.append(f"variants[{i}]: presets must be a list")
                continue
            for name in presets:
                body = {"script": v.get("script"), "language": v.get("language", "en"), "preset": name,
                        "options": v.get("options"), "client_reference": v.get("client_reference")}
                expanded.append((media, body))
        if len(expanded) > cfg.max_batch_variants:
            problems.append(f"{len(expanded)} renders; a batch holds at most {cfg.max_batch_variants}")
        if problems:
            raise ApiError(422, "invalid_manifest", "; ".join(problems[:10]))
        hook = manifest.get("webhook_url")
        request_hash = _request_hash("", {"manifest": manifest, "media": [m["sha256"] for m, _ in expanded]})
        if idem:
            prior = _replay(p, idem, request_hash, "batches")
            if prior is not None:
                return _batch_view(prior), True
        preps = []
        for media, body in expanded:
            try:
                preps.append((media, _prepare_job(p, media, {**body, "webhook_url": hook})))
            except (ApiError, InputError) as e:
                raise ApiError(422, "invalid_manifest", f"variant {body.get('client_reference') or body['preset']}: {e}") from None
        bid = new_id("bat")
        ref = _printable(manifest.get("client_reference"), "client_reference", MAX_REFERENCE)
        try:
            with submit_lock:  # the credit check and the inserts as one step (see `submit_lock`)
                _check_credit_and_queue(p, sum(pr["price"] for _, pr in preps), len(preps))
                with svc.store.tx() as c:
                    c.execute("INSERT INTO batches(id, account, client_reference, idempotency_key, request_hash, created_at) "
                              "VALUES (?, ?, ?, ?, ?, ?)", (bid, p.account, ref, idem, request_hash, time.time()))
                    for media, prep in preps:
                        _insert_job(c, p, media, prep, idem=None, request_hash=None, batch_id=bid)
        except sqlite3.IntegrityError:
            prior = _replay(p, idem, request_hash, "batches") if idem else None
            if prior is None:
                raise
            return _batch_view(prior), True
        _wake()
        return _batch_view(svc.store.one("SELECT * FROM batches WHERE id = ?", (bid,))), False

    def _batch_view(b) -> dict:
        jobs = svc.store.read("SELECT * FROM jobs WHERE batch_id = ? ORDER BY rowid", (b["id"],))
        states = [j["state"] for j in jobs]
        state = ("running" if any(s in ("queued", "running") for s in states) else
                 "done" if all(s == "done" for s in states) else "finished_with_failures")
        return {"id": b["id"], "object": "batch", "state": state, "client_reference": b["client_reference"],
                "created_at": b["created_at"], "counts": {s: states.count(s) for s in sorted(set(states))},
                "jobs": [job_view(j) for j in jobs]}

    @app.get("/v1/batches/{batch_id}", tags=["batches"])
    async def get_batch(batch_id: str, p: Principal = Depends(principal)):
        b = svc.store.one("SELECT * FROM batches WHERE id = ? AND account = ?", (batch_id, p.account))
        if b is None:
            raise ApiError(404, "not_found", f"no batch {batch_id[:60]!r} in this account")
        return _batch_view(b)

    return app


MAX_JSON_BYTES = 1024 * 1024


async def _json_body(request: Request) -> dict:
    """The request's JSON object, read while it streams and refused past MAX_JSON_BYTES (a 600 MB body was read into
    memory before); deeply nested JSON is invalid JSON (it raised RecursionError: a plain-text 500)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_JSON_BYTES:
        raise ApiError(413, "too_large", "a JSON request is at most 1 MB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_JSON_BYTES:
            raise ApiError(413, "too_large", "a JSON request is at most 1 MB")
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(422, "invalid_json", "the body is not valid JSON (or nested too deeply)") from None
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_json", "the body must be a JSON object")
    return body


def _parse_manifest(text: str) -> dict:
    """A batch manifest as JSON or YAML text (bounded like the CLI's manifests: safeload)."""
    from ..safeload import DataFileError, loads as load_text

    if not text.strip():
        raise ApiError(422, "invalid_manifest", "the multipart batch needs a 'manifest' field (JSON or YAML)")
    try:
        return load_text(text, "yaml", source="manifest")
    except DataFileError as e:
        raise ApiError(422, "invalid_manifest", str(e)) from None
