"""Flat per-render billing: the price table, a SQLite credit ledger (integer milli-credits) and charged renders."""
from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

from .errors import BillingError, InputError
from .types import Receipt

# The price table: milli-credits per render by preset tier, whatever the video's length.
PRICES_MILLI: dict[str, int] = {"karaoke": 0, "basic": 400, "dynamic": 800}

DEFAULT_ACCOUNT = "default"
HOLD_TTL_S = 6 * 3600  # a reservation left by a crashed process elsewhere stops counting after this


def price_millicredits(tier: str) -> int:
    try:
        return PRICES_MILLI[tier]
    except KeyError:
        raise ValueError(f"unknown tier {tier!r}") from None


def to_credits(milli: int) -> float:
    return milli / 1000


def format_credits(milli: int) -> str:
    """1400 → '1.4', -400 → '-0.4', 0 → '0' (exact: integer arithmetic, no float rounding)."""
    sign = "-" if milli < 0 else ""
    whole, frac = divmod(abs(int(milli)), 1000)
    return f"{sign}{whole}" + (f".{frac:03d}".rstrip("0") if frac else "")


def parse_credits(text: str | int | float) -> int:
    """'2.5' → 2500 milli-credits. At most three decimals; parsed as a decimal string, never through a float."""
    s = str(text).strip()
    neg = s.startswith("-")
    if s[:1] in "+-" and s:
        s = s[1:]
    whole, _, frac = s.partition(".")
    if not (whole or frac) or (whole and not whole.isdigit()) or (frac and not frac.isdigit()) or len(frac) > 3:
        raise InputError(f"invalid credit amount {text!r}: use a number with at most 3 decimals, e.g. 10 or 2.5")
    milli = int(whole or 0) * 1000 + int((frac + "000")[:3])
    return -milli if neg else milli


def receipt_for(preset, *, charged: bool = False, key: str | None = None, account: str | None = None, preview: bool = False) -> Receipt:
    milli = 0 if preview else price_millicredits(preset.tier)
    return Receipt(preset=preset.name, tier=preset.tier, credits=to_credits(milli), millicredits=milli,
                   charged=charged, idempotency_key=key, account=account, preview=preview)


def render_key(**parts: Any) -> str:
    """An idempotency key derived from everything that makes a render what it is (inputs, preset, options, output).

    Values must be JSON-serialisable (pydantic models: pass `.model_dump()`); key order does not matter.
    """
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return "r-" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:40]


def caption_key(*, video: str | os.PathLike, script: Optional[str], language: str, asr: str, preset, safe_zone: str,
                on_mismatch: str = "flag", use_prompt: bool = True, encode: Any = None, output: str | os.PathLike) -> str:
    """The idempotency key of one `caption()` render: input video by content, script text, options, preset look, output path."""
    preset_id = {"name": preset.name, "tier": preset.tier, **preset.model_dump(mode="json", exclude_defaults=True)}
    return render_key(video=file_sha256(video), script=hashlib.sha256((script or "").encode("utf-8")).hexdigest(),
                      language=language, asr=asr, preset=preset_id, safe_zone=safe_zone, on_mismatch=on_mismatch,
                      use_prompt=use_prompt, encode=getattr(encode, "__dict__", encode),
                      output=str(Path(output).resolve()))


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def default_ledger_path() -> Path:
    """$CAPTIONER_LEDGER, else ~/.local/share/captioner/ledger.sqlite3 ($XDG_DATA_HOME respected)."""
    env = os.environ.get("CAPTIONER_LEDGER")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "captioner" / "ledger.sqlite3"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    name        TEXT PRIMARY KEY,
    created_at  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    account          TEXT NOT NULL REFERENCES accounts(name),
    kind             TEXT NOT NULL CHECK (kind IN ('topup', 'charge', 'refund')),
    millicredits     INTEGER NOT NULL,          -- signed: top-ups and refunds > 0, charges <= 0
    idempotency_key  TEXT UNIQUE,               -- NULL allowed (plain top-ups); unique otherwise
    preset           TEXT,
    tier             TEXT,
    output           TEXT,
    note             TEXT,
    refund_of        INTEGER REFERENCES entries(id),
    created_at       REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_account ON entries(account, id);
CREATE TABLE IF NOT EXISTS holds (               -- credits reserved by renders in progress
    idempotency_key  TEXT PRIMARY KEY,
    account          TEXT NOT NULL,
    millicredits     INTEGER NOT NULL CHECK (millicredits >= 0),
    host             TEXT NOT NULL,
    pid              INTEGER NOT NULL,
    created_at       REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Entry:
    """One line of an account's history."""

    id: int
    account: str
    kind: str
    millicredits: int
    idempotency_key: Optional[str]
    preset: Optional[str]
    tier: Optional[str]
    output: Optional[str]
    note: Optional[str]
    refund_of: Optional[int]
    created_at: float

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        d["credits"] = format_credits(self.millicredits)
        return d


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Ledger:
    """An SQLite credit ledger safe under concurrent processes (WAL, BEGIN IMMEDIATE, busy timeout).

    Balances are the sum of an account's entries (integer milli-credits). Every charge carries a unique
    idempotency key: charging the same key twice records one charge. A render in progress holds a
    reservation so that concurrent renders cannot together overdraw an account.
    One connection per process: a `Ledger` re-opens itself after a fork.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, timeout: float = 30.0):
        self.path = Path(path).expanduser() if path else default_ledger_path()
        self.timeout = timeout
        self._conn: Optional[sqlite3.Connection] = None
        self._pid = None

    # -- connection -----------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None and self._pid == os.getpid():
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), timeout=self.timeout, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as e:
            raise BillingError(f"cannot open the credit ledger {self.path}: {e}; set CAPTIONER_LEDGER or --ledger to a writable file") from e
        conn.row_factory = sqlite3.Row
        self._conn, self._pid = conn, os.getpid()
        return conn

    def close(self) -> None:
        if self._conn is not None and self._pid == os.getpid():
            self._conn.close()
        self._conn = None

    def __getstate__(self):  # picklable for process pools: the connection is re-opened on the other side
        return {"path": self.path, "timeout": self.timeout}

    def __setstate__(self, state):
        self.__init__(state["path"], timeout=state["timeout"])

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT: takes the write lock up front, so a read-check-write cannot interleave."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as e:
            raise BillingError(f"the credit ledger {self.path} is busy or locked ({e}); retry") from e
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    # -- reads ----------------------------------------------------------------------------------
    @staticmethod
    def _balance(conn, account: str) -> int:
        return int(conn.execute("SELECT COALESCE(SUM(millicredits), 0) FROM entries WHERE account = ?", (account,)).fetchone()[0])

    @staticmethod
    def _held(conn, account: str, exclude: Iterable[str] = ()) -> int:
        """Credits reserved by live renders (a dead process's reservation on this host no longer counts)."""
        host, now, exclude = socket.gethostname(), time.time(), set(exclude)
        total = 0
        for r in conn.execute("SELECT idempotency_key, millicredits, host, pid, created_at FROM holds WHERE account = ?", (account,)):
            if r["idempotency_key"] in exclude:
                continue
            if now - r["created_at"] > HOLD_TTL_S:
                continue
            if r["host"] == host and not _pid_alive(r["pid"]):
                continue
            total += r["millicredits"]
        return total

    def balance(self, account: str = DEFAULT_ACCOUNT) -> int:
        conn = self._connect()
        return self._balance(conn, account)

    def available(self, account: str = DEFAULT_ACCOUNT) -> int:
        """Balance minus the credits held by renders in progress."""
        conn = self._connect()
        return self._balance(conn, account) - self._held(conn, account)

    def accounts(self) -> list[str]:
        return [r[0] for r in self._connect().execute("SELECT name FROM accounts ORDER BY name")]

    def history(self, account: str = DEFAULT_ACCOUNT, limit: Optional[int] = None) -> list[Entry]:
        q = "SELECT * FROM entries WHERE account = ? ORDER BY id DESC"
        args: tuple = (account,)
        if limit:
            q += " LIMIT ?"
            args += (int(limit),)
        rows = self._connect().execute(q, args).fetchall()
        return [Entry(**dict(r)) for r in reversed(rows)]

    def find_charge(self, key: str) -> Optional[Entry]:
        r = self._connect().execute("SELECT * FROM entries WHERE idempotency_key = ? AND kind = 'charge'", (key,)).fetchone()
        return Entry(**dict(r)) if r else None

    def charged_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        conn, found = self._connect(), set()
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            q = f"SELECT idempotency_key FROM entries WHERE kind = 'charge' AND idempotency_key IN ({','.join('?' * len(chunk))})"
            found.update(r[0] for r in conn.execute(q, chunk))
        return found

    # -- writes ---------------------------------------------------------------------------------
    @staticmethod
    def _ensure_account(conn, account: str) -> None:
        if not account or len(account) > 200 or account.strip() != account:
            raise InputError(f"invalid account name {account!r}: use a non-empty name without surrounding spaces")
        conn.execute("INSERT OR IGNORE INTO accounts(name, created_at) VALUES (?, ?)", (account, time.time()))

    def top_up(self, account: str, millicredits: int, *, note: Optional[str] = None, key: Optional[str] = None) -> Entry:
        """Add credits. With `key`, a repeated top-up (same key) is recorded once."""
        if not isinstance(millicredits, int) or millicredits <= 0:
            raise InputError(f"a top-up must be a positive amount of credits, not {millicredits!r} milli-credits")
        with self.transaction() as conn:
            if key:
                r = conn.execute("SELECT * FROM entries WHERE idempotency_key = ?", (key,)).fetchone()
                if r:
                    return Entry(**dict(r))
            self._ensure_account(conn, account)
            cur = conn.execute("INSERT INTO entries(account, kind, millicredits, idempotency_key, note, created_at) "
                               "VALUES (?, 'topup', ?, ?, ?, ?)", (account, millicredits, key, note, time.time()))
            return Entry(**dict(conn.execute("SELECT * FROM entries WHERE id = ?", (cur.lastrowid,)).fetchone()))

    def _refusal(self, account: str, need: int, available: int, what: str) -> BillingError:
        return BillingError(
            f"not enough credits in account {account!r} for {what}: needs {format_credits(need)}, "
            f"available {format_credits(available)}; top up with `captioner credits add {format_credits(need - available)} "
            f"--account {account}` (nothing was rendered or charged)")

    def reserve(self, account: str, holds: dict[str, int], *, what: str = "this render") -> dict[str, Optional[Entry]]:
        """Before any work: hold the price of each render key, or refuse them all if the account would overdraw.

        Keys already charged are not held; the returned dict maps every key to its prior charge (or None).
        """
        prior: dict[str, Optional[Entry]] = {}
        with self.transaction() as conn:
            self._ensure_account(conn, account)
            need = 0
            for key, milli in holds.items():
                r = conn.execute("SELECT * FROM entries WHERE idempotency_key = ? AND kind = 'charge'", (key,)).fetchone()
                prior[key] = Entry(**dict(r)) if r else None
                if r is None:
                    need += milli
            # a hold already on one of these keys (a retry, or a racing process) is replaced, not counted twice
            avail = self._balance(conn, account) - self._held(conn, account, exclude=holds.keys())
            if need > 0 and need > avail:
                raise self._refusal(account, need, avail, what)
            now, host, pid = time.time(), socket.gethostname(), os.getpid()
            for key, milli in holds.items():
                if prior[key] is None:
                    conn.execute("INSERT OR REPLACE INTO holds(idempotency_key, account, millicredits, host, pid, created_at) "
                                 "VALUES (?, ?, ?, ?, ?, ?)", (key, account, milli, host, pid, now))
        return prior

    def release(self, keys: Iterable[str]) -> None:
        """Drop the reservations of renders that failed or were abandoned (no charge)."""
        keys = list(keys)
        if not keys:
            return
        with self.transaction() as conn:
            conn.executemany("DELETE FROM holds WHERE idempotency_key = ?", [(k,) for k in keys])

    def charge(self, account: str, key: str, millicredits: int, *, preset: Optional[str] = None, tier: Optional[str] = None,
               output: Optional[str] = None, note: Optional[str] = None) -> tuple[Entry, bool]:
        """Record one charge under `key` (call only once the output is complete). Returns (entry, newly_charged).

        The same key charged again returns the first charge and records nothing. The balance may not go
        below zero: credits held for this key count as available to it.
        """
        if not key:
            raise InputError("a charge needs an idempotency key")
        if not isinstance(millicredits, int) or millicredits < 0:
            raise InputError(f"a charge must be a non-negative integer of milli-credits, not {millicredits!r}")
        with self.transaction() as conn:
            r = conn.execute("SELECT * FROM entries WHERE idempotency_key = ?", (key,)).fetchone()
            if r is not None:
                if r["kind"] != "charge":
                    raise BillingError(f"idempotency key {key} is already used by a {r['kind']} entry")
                conn.execute("DELETE FROM holds WHERE idempotency_key = ?", (key,))
                return Entry(**dict(r)), False
            self._ensure_account(conn, account)
            avail = self._balance(conn, account) - self._held(conn, account, exclude=(key,))
            if millicredits > avail:
                raise self._refusal(account, millicredits, avail, f"render {key}")
            cur = conn.execute(
                "INSERT INTO entries(account, kind, millicredits, idempotency_key, preset, tier, output, note, created_at) "
                "VALUES (?, 'charge', ?, ?, ?, ?, ?, ?, ?)",
                (account, -millicredits, key, preset, tier, output, note, time.time()))
            conn.execute("DELETE FROM holds WHERE idempotency_key = ?", (key,))
            return Entry(**dict(conn.execute("SELECT * FROM entries WHERE id = ?", (cur.lastrowid,)).fetchone())), True

    def refund(self, key: str, *, note: Optional[str] = None) -> Entry:
        """Give back a charge (once): a positive entry keyed `refund:<key>`."""
        with self.transaction() as conn:
            c = conn.execute("SELECT * FROM entries WHERE idempotency_key = ? AND kind = 'charge'", (key,)).fetchone()
            if c is None:
                raise BillingError(f"no charge with idempotency key {key}: nothing to refund (see `captioner credits history`)")
            rkey = "refund:" + key
            r = conn.execute("SELECT * FROM entries WHERE idempotency_key = ?", (rkey,)).fetchone()
            if r is not None:
                return Entry(**dict(r))
            cur = conn.execute(
                "INSERT INTO entries(account, kind, millicredits, idempotency_key, preset, tier, output, note, refund_of, created_at) "
                "VALUES (?, 'refund', ?, ?, ?, ?, ?, ?, ?, ?)",
                (c["account"], -c["millicredits"], rkey, c["preset"], c["tier"], c["output"], note, c["id"], time.time()))
            return Entry(**dict(conn.execute("SELECT * FROM entries WHERE id = ?", (cur.lastrowid,)).fetchone()))


def receipt_from_entry(preset, entry: Entry, *, charged: bool) -> Receipt:
    milli = -entry.millicredits
    return Receipt(preset=preset.name, tier=preset.tier, credits=to_credits(milli), millicredits=milli, charged=charged,
                   idempotency_key=entry.idempotency_key, account=entry.account)


@dataclass
class ChargedRender:
    """What `charged_render` hands back: the render's own result (None when skipped) and the receipt."""

    result: Any
    receipt: Receipt
    newly_charged: bool  # False: this key had been charged before (retry) — no second charge
    skipped: bool  # True: the render was not run again because its key was already charged and outputs exist


def charged_render(ledger: Ledger, account: str, key: str, preset, render_fn: Callable[[Receipt], Any], *,
                   outputs: Iterable[str | os.PathLike] = (), rerender_if_charged: bool = False) -> ChargedRender:
    """Bill one render: refuse before any work if the account would overdraw, run it, then charge once.

    1. In one transaction: if `key` was charged before and every path in `outputs` exists, return the prior
       receipt without rendering (a retry); else hold the flat price of `preset.tier`, or raise `BillingError`
       when the account cannot cover it (nothing rendered).
    2. `render_fn(receipt)` runs the render; it must write its outputs completely (temp file + rename,
       e.g. `pipeline.OutputSet.commit()`) before returning. `receipt` is what will be charged
       (charged=True) so it can be embedded in the JSON sidecar.
    3. Only after it returns: check every path in `outputs` is a complete, non-empty file, then record the
       charge under `key` in one transaction (a concurrent render with the same key → still one charge).
       If `render_fn` raises, the hold is released and nothing is charged.
    """
    milli = price_millicredits(preset.tier)
    outputs = [Path(p) for p in outputs]
    prior = ledger.reserve(account, {key: milli}, what=f"a {preset.tier} render ({preset.name})")[key]
    if prior is not None and not rerender_if_charged and outputs and all(p.is_file() and p.stat().st_size > 0 for p in outputs):
        return ChargedRender(None, receipt_from_entry(preset, prior, charged=True), False, True)
    pending = Receipt(preset=preset.name, tier=preset.tier, credits=to_credits(milli), millicredits=milli, charged=True,
                      idempotency_key=key, account=account)
    try:
        result = render_fn(pending)
        missing = [str(p) for p in outputs if not (p.is_file() and p.stat().st_size > 0)]
        if missing:
            raise BillingError(f"render {key} finished but its outputs are missing or empty: {', '.join(missing)}; not charged")
    except BaseException:
        ledger.release([key])
        raise
    entry, new = ledger.charge(account, key, milli, preset=preset.name, tier=preset.tier,
                               output=str(outputs[0]) if outputs else None)
    return ChargedRender(result, receipt_from_entry(preset, entry, charged=True), new, False)
