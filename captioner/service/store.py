"""The service's durable state: one SQLite file under --data with API keys, accounts, media, jobs and webhook deliveries.

Jobs are a table, not an in-memory queue: a job is `queued` until a worker claims it (one conditional UPDATE, so two
workers never take the same job), `running` while a worker process renders it, then `done`, `failed` or `canceled`.
A terminal state and the webhook delivery announcing it are written in one transaction, so a crash can never lose
the notification of a finished job nor send one for an unfinished job. After a restart, `recover()` puts every
`running` job back in the queue (its worker died with the server); a job interrupted `MAX_ATTEMPTS` times fails
cleanly instead of looping. Credits are not here: they live in the same `billing.Ledger` file the CLI uses.

The store is safe across threads and processes: WAL journal, `synchronous=FULL`, `BEGIN IMMEDIATE` for every write,
one connection per thread (the server's threads and each worker process open their own).
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Iterator, Optional

from ..types import StrEnum

MAX_ATTEMPTS = 3  # a job whose worker died this many times (server killed mid-render) is failed, not retried forever


class JobState(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    canceled = "canceled"


TERMINAL = (JobState.done, JobState.failed, JobState.canceled)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    name            TEXT PRIMARY KEY,
    webhook_secret  TEXT NOT NULL,               -- signs this account's webhook deliveries (HMAC-SHA256)
    created_at      REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
    id          TEXT PRIMARY KEY,                -- public id (shown by `keys list`), not the key
    account     TEXT NOT NULL REFERENCES accounts(name),
    key_hash    TEXT NOT NULL UNIQUE,            -- SHA-256 of the key; the key itself is never stored
    prefix      TEXT NOT NULL,                   -- the first characters, to recognise a key in a list
    label       TEXT,
    created_at  REAL NOT NULL,
    revoked_at  REAL
);
CREATE TABLE IF NOT EXISTS media (
    id          TEXT PRIMARY KEY,
    account     TEXT NOT NULL,
    path        TEXT NOT NULL,                   -- DATA/media/<id>/source: never a client's file name
    sha256      TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    info        TEXT NOT NULL,                   -- the probe (MediaInfo JSON)
    created_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    id                TEXT PRIMARY KEY,
    account           TEXT NOT NULL,
    client_reference  TEXT,
    idempotency_key   TEXT,
    request_hash      TEXT,
    created_at        REAL NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS batches_idem ON batches(account, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS jobs (
    id                TEXT PRIMARY KEY,
    account           TEXT NOT NULL,
    state             TEXT NOT NULL,
    media_id          TEXT NOT NULL REFERENCES media(id),
    script            TEXT,
    params            TEXT NOT NULL,             -- language, preset, options (JSON)
    client_reference  TEXT,
    webhook_url       TEXT,
    batch_id          TEXT,
    idempotency_key   TEXT,
    request_hash      TEXT,
    billing_key       TEXT NOT NULL,             -- the ledger key: one charge per job, whatever the retries
    price_milli       INTEGER NOT NULL,
    progress          TEXT NOT NULL DEFAULT '[]',-- [[stage, started_at], ...]
    attempts          INTEGER NOT NULL DEFAULT 0,
    cancel_requested  INTEGER NOT NULL DEFAULT 0,
    worker_pid        INTEGER,
    result            TEXT,                      -- findings, receipt, language, timings (JSON) when done
    error             TEXT,
    error_code        TEXT,
    created_at        REAL NOT NULL,
    started_at        REAL,
    finished_at       REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idem ON jobs(account, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS jobs_queue ON jobs(state, created_at);
CREATE INDEX IF NOT EXISTS jobs_account ON jobs(account, created_at);
CREATE TABLE IF NOT EXISTS deliveries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id        TEXT,
    batch_id      TEXT,
    account       TEXT NOT NULL,
    url           TEXT NOT NULL,
    event         TEXT NOT NULL,
    body          TEXT NOT NULL,                 -- the exact bytes signed and sent (UTF-8 JSON)
    state         TEXT NOT NULL DEFAULT 'pending', -- pending | delivered | failed
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       REAL NOT NULL,
    last_error    TEXT,
    created_at    REAL NOT NULL,
    delivered_at  REAL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(state, next_at);
"""


def new_id(prefix: str) -> str:
    """An unguessable id (`job_…`, `med_…`): 128 random bits, URL-safe."""
    return f"{prefix}_{secrets.token_urlsafe(16).replace('-', 'x').replace('_', 'y')}"


class Store:
    """The SQLite file DATA/service.sqlite3; one connection per thread and process."""

    def __init__(self, path: str | os.PathLike, *, timeout: float = 30.0):
        self.path = Path(path)
        self.timeout = timeout
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn()  # creates the schema

    def _conn(self) -> sqlite3.Connection:
        c = getattr(self._local, "conn", None)
        if c is not None and getattr(self._local, "pid", None) == os.getpid():
            return c
        c = sqlite3.connect(str(self.path), timeout=self.timeout, isolation_level=None, check_same_thread=False)
        c.row_factory = sqlite3.Row
        c.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        c.execute("PRAGMA journal_mode = WAL")
        c.execute("PRAGMA synchronous = FULL")
        c.executescript(_SCHEMA)
        self._local.conn, self._local.pid = c, os.getpid()
        return c

    @contextlib.contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT (rolled back on any exception)."""
        c = self._conn()
        c.execute("BEGIN IMMEDIATE")
        try:
            yield c
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    def read(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        return self._conn().execute(sql, args).fetchall()

    def one(self, sql: str, args: tuple = ()) -> Optional[sqlite3.Row]:
        return self._conn().execute(sql, args).fetchone()

    # -- accounts and keys --------------------------------------------------------------------------------
    def ensure_account(self, c: sqlite3.Connection, name: str) -> None:
        if c.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone() is None:
            c.execute("INSERT INTO accounts(name, webhook_secret, created_at) VALUES (?, ?, ?)",
                      (name, "whsec_" + secrets.token_urlsafe(32), time.time()))

    def webhook_secret(self, account: str) -> Optional[str]:
        r = self.one("SELECT webhook_secret FROM accounts WHERE name = ?", (account,))
        return r["webhook_secret"] if r else None

    def rotate_secret(self, account: str) -> str:
        secret = "whsec_" + secrets.token_urlsafe(32)
        with self.tx() as c:
            self.ensure_account(c, account)
            c.execute("UPDATE accounts SET webhook_secret = ? WHERE name = ?", (secret, account))
        return secret

    # -- jobs ---------------------------------------------------------------------------------------------
    def job(self, job_id: str, account: Optional[str] = None) -> Optional[sqlite3.Row]:
        """A job by id; with `account`, only that account's (another account's job is as absent as a missing one)."""
        if account is None:
            return self.one("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return self.one("SELECT * FROM jobs WHERE id = ? AND account = ?", (job_id, account))

    def claim_next(self, worker_pid: int) -> Optional[sqlite3.Row]:
        """Take the oldest queued job for a worker (atomic: a job is claimed once)."""
        with self.tx() as c:
            r = c.execute("SELECT id FROM jobs WHERE state = 'queued' ORDER BY created_at, rowid LIMIT 1").fetchone()
            if r is None:
                return None
            c.execute("UPDATE jobs SET state = 'running', attempts = attempts + 1, worker_pid = ?, started_at = ?, "
                      "progress = '[]' WHERE id = ? AND state = 'queued'", (worker_pid, time.time(), r["id"]))
            return c.execute("SELECT * FROM jobs WHERE id = ?", (r["id"],)).fetchone()

    def add_progress(self, job_id: str, stage: str) -> None:
        with self.tx() as c:
            r = c.execute("SELECT progress FROM jobs WHERE id = ? AND state = 'running'", (job_id,)).fetchone()
            if r is None:
                return
            prog = json.loads(r["progress"])
            prog.append([stage, round(time.time(), 3)])
            c.execute("UPDATE jobs SET progress = ? WHERE id = ?", (json.dumps(prog), job_id))

    def finish(self, job_id: str, state: JobState, *, result: Optional[dict] = None, error: Optional[str] = None,
               error_code: Optional[str] = None, only_from: tuple[str, ...] = ("queued", "running"),
               event_body: Optional[callable] = None) -> bool:
        """Move a job to a terminal state (only from `only_from`) and queue its webhook, in one transaction.
        Returns False when the job was already elsewhere (a cancel that lost the race with the end of a render)."""
        now = time.time()
        with self.tx() as c:
            r = c.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if r is None or r["state"] not in only_from:
                return False
            c.execute("UPDATE jobs SET state = ?, result = ?, error = ?, error_code = ?, finished_at = ?, worker_pid = NULL "
                      "WHERE id = ?", (str(state), json.dumps(result) if result is not None else None, error, error_code,
                                       now, job_id))
            if r["webhook_url"] and event_body is not None:
                row = c.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
                c.execute("INSERT INTO deliveries(job_id, batch_id, account, url, event, body, next_at, created_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                          (job_id, r["batch_id"], r["account"], r["webhook_url"], f"job.{state}", event_body(row), now, now))
            return True

    def requeue(self, job_id: str) -> None:
        with self.tx() as c:
            c.execute("UPDATE jobs SET state = 'queued', worker_pid = NULL, progress = '[]' WHERE id = ? AND state = 'running'",
                      (job_id,))

    def recover(self, event_body) -> dict[str, int]:
        """At start-up: every `running` job lost its worker with the previous server. A job asked to cancel is
        canceled; one that has been tried MAX_ATTEMPTS times fails; the others are queued again (the ledger key
        makes the re-run charge once even if the killed run had charged)."""
        counts = {"requeued": 0, "failed": 0, "canceled": 0}
        for r in self.read("SELECT id, attempts, cancel_requested FROM jobs WHERE state = 'running'"):
            if r["cancel_requested"]:
                self.finish(r["id"], JobState.canceled, error="canceled", error_code="canceled", event_body=event_body)
                counts["canceled"] += 1
            elif r["attempts"] >= MAX_ATTEMPTS:
                self.finish(r["id"], JobState.failed, error=f"the render was interrupted {r['attempts']} times "
                            "(server stopped mid-render); nothing was charged — submit it again", error_code="interrupted",
                            event_body=event_body)
                counts["failed"] += 1
            else:
                self.requeue(r["id"])
                counts["requeued"] += 1
        return counts

    # -- webhook deliveries -------------------------------------------------------------------------------
    def due_deliveries(self, now: float, limit: int = 20) -> list[sqlite3.Row]:
        return self.read("SELECT * FROM deliveries WHERE state = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?",
                         (now, limit))

    def delivery_done(self, did: int, ok: bool, error: Optional[str], next_at: Optional[float]) -> None:
        with self.tx() as c:
            if ok:
                c.execute("UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, delivered_at = ?, "
                          "last_error = NULL WHERE id = ?", (time.time(), did))
            elif next_at is None:
                c.execute("UPDATE deliveries SET state = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?",
                          (error, did))
            else:
                c.execute("UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_at = ? WHERE id = ?",
                          (error, next_at, did))


def loads(text: Optional[str], default: Any = None) -> Any:
    return json.loads(text) if text else default
