"""Flat per-render billing: the price table, a SQLite credit ledger (integer milli-credits) and charged renders.

The ledger is the source of truth for every receipt. An idempotency key is bound to one account and one
render identity (what the render is: inputs by content, options, preset look, output path): reusing a key
for another render or account, or a top-up's key for a render (or the other way round), is refused with
`BillingError` (exit 6) before any work. Amounts are integers of milli-credits with fixed bounds, so sums
never overflow SQLite's 64-bit integers. The order of a billed render (`job.run_job`): reserve → render
into temporary files → charge (recording each output's SHA-256) → move the outputs into place; a failed
move deletes the charge it just made.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
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

# Bounds on amounts (milli-credits). One top-up is at most a million credits and an account holds at most a
# thousand million: sums of entries stay far below SQLite's 2**63 - 1 (9.2e18), so no sum can overflow.
MAX_TOPUP_MILLI = 1_000_000 * 1000
MAX_BALANCE_MILLI = 1_000_000_000 * 1000
MAX_KEY_LEN = 200
_AMOUNT = re.compile(r"[+-]?([0-9]{0,13})(?:\.([0-9]{0,3}))?", re.ASCII)


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
    """'2.5' → 2500 milli-credits. ASCII digits, at most three decimals and 13 whole digits; parsed as a
    decimal string, never through a float ('²', '١٢', '1e3', '9' * 30 are refused with an InputError)."""
    s = str(text).strip()
    m = _AMOUNT.fullmatch(s) if len(s) <= 40 else None
    if m is None or not (m.group(1) or m.group(2)):
        if m is None and re.fullmatch(r"[+-]?[0-9]{14,}(\.[0-9]*)?", s, re.ASCII):
            raise InputError(f"credit amount {s[:24]}{'…' if len(s) > 24 else ''} is too large: one top-up is at most "
                             f"{format_credits(MAX_TOPUP_MILLI)} credits")
        shown = s if len(s) <= 24 else s[:24] + "…"
        raise InputError(f"invalid credit amount {shown!r}: use a number with at most 3 decimals, e.g. 10 or 2.5")
    whole, frac = m.group(1) or "0", m.group(2) or ""
    milli = int(whole) * 1000 + int((frac + "000")[:3])
    return -milli if s.startswith("-") else milli


def check_key(key: Optional[str], what: str = "idempotency key") -> Optional[str]:
    """A key is printable text of 1–200 characters (no control characters)."""
    if key is None:
        return None
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LEN or not key.isprintable():
        raise InputError(f"invalid {what} {str(key)[:40]!r}: use 1–{MAX_KEY_LEN} printable characters")
    return key


def receipt_for(preset, *, charged: bool = False, key: str | None = None, account: str | None = None, preview: bool = False) -> Receipt:
    """The price of one render of `preset`, by what the look does (`presets.behaviour_tier`), not its label."""
    tier = preset.billed_tier
    milli = 0 if preview else price_millicredits(tier)
    return Receipt(preset=preset.name, tier=tier, credits=to_credits(milli), millicredits=milli,
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
    preset_id = preset_identity(preset)
    return render_key(video=file_sha256(video), script=hashlib.sha256((script or "").encode("utf-8")).hexdigest(),
                      language=language, asr=asr, preset=preset_id, safe_zone=safe_zone, on_mismatch=on_mismatch,
                      use_prompt=use_prompt, encode=getattr(encode, "__dict__", encode),
                      output=str(Path(output).resolve()))


def preset_identity(preset) -> dict:
    """What identifies a preset's look in a key: its name, billed tier and the values that differ from the
    defaults (so a new optional field added to `Preset` later does not change the keys of renders charged)."""
    return {"name": preset.name, "tier": str(preset.billed_tier), **preset.model_dump(mode="json", exclude_defaults=True,
                                                                                     exclude={"tier"})}


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(chunk)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def user_data_dir(env_var: str, *parts: str) -> Path:
    """$env_var if set, else $XDG_DATA_HOME/captioner/<parts> (~/.local/share/captioner/<parts>)."""
    env = os.environ.get(env_var)
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base, "captioner", *parts)


def default_ledger_path() -> Path:
    """$CAPTIONER_LEDGER, else ~/.local/share/captioner/ledger.sqlite3 ($XDG_DATA_HOME respected)."""
    return user_data_dir("CAPTIONER_LEDGER", "ledger.sqlite3")


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
CREATE TABLE IF NOT EXISTS renders (             -- what a charged key is bound to, and the outputs it delivered
    idempotency_key  TEXT PRIMARY KEY,
    account          TEXT NOT NULL,
    identity         TEXT NOT NULL,             -- the render identity (inputs by content, options, look, output)
    outputs          TEXT NOT NULL DEFAULT '{}', -- JSON {path: sha256} of the outputs as charged
    updated_at       REAL NOT NULL
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


def _ledger_problem(path: Path, e: BaseException) -> BillingError:
    """One actionable line for an SQLite failure (disk full, a corrupt file, a locked or read-only ledger)."""
    msg = str(e)
    if isinstance(e, sqlite3.OperationalError) and ("full" in msg or "disk I/O" in msg):
        what = f"the disk holding the credit ledger {path} is full ({msg}): free space and retry"
    elif isinstance(e, sqlite3.OperationalError) and ("locked" in msg or "busy" in msg):
        what = f"the credit ledger {path} is busy or locked ({msg}): retry"
    elif isinstance(e, sqlite3.OperationalError) and "readonly" in msg:
        what = f"the credit ledger {path} is read-only ({msg}): make it writable or set --ledger / CAPTIONER_LEDGER"
    elif isinstance(e, (sqlite3.DatabaseError,)) and ("malformed" in msg or "not a database" in msg or "corrupt" in msg):
        what = f"the credit ledger {path} is damaged ({msg}): restore it from a backup (nothing was charged)"
    else:
        what = f"the credit ledger {path} failed ({type(e).__name__}: {msg}); check the file and retry"
    return BillingError(what)


class Ledger:
    """An SQLite credit ledger safe under concurrent processes (WAL, BEGIN IMMEDIATE, busy timeout).

    Balances are the sum of an account's entries (integer milli-credits). Every charge carries a unique
    idempotency key bound to one account and one render identity: charging the same key twice records one
    charge, and the key cannot be reused for another render, another account or a top-up. A render in
    progress holds a reservation so that concurrent renders cannot together overdraw an account.
    Any SQLite failure (disk full, a damaged file) is a `BillingError` with one actionable line.
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
        except OSError as e:
            raise BillingError(f"cannot create the folder of the credit ledger {self.path}: {e.strerror}; "
                               "set CAPTIONER_LEDGER or --ledger to a writable file") from e
        try:
            conn = sqlite3.connect(str(self.path), timeout=self.timeout, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.executescript(_SCHEMA)
            cols = {r[1] for r in conn.execute("PRAGMA table_info(holds)")}
            if "identity" not in cols:  # ledgers made before keys were bound to a render
                conn.execute("ALTER TABLE holds ADD COLUMN identity TEXT")
        except sqlite3.Error as e:
            raise _ledger_problem(self.path, e) from e
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
        """BEGIN IMMEDIATE … COMMIT: takes the write lock up front, so a read-check-write cannot interleave.
        An SQLite failure anywhere inside rolls back and becomes a `BillingError`."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise _ledger_problem(self.path, e) from e
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as e:
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(e, sqlite3.Error):
                raise _ledger_problem(self.path, e) from e
            raise

    def _read(self, fn):
        try:
            return fn(self._connect())
        except sqlite3.Error as e:
            raise _ledger_problem(self.path, e) from e

    # -- reads ----------------------------------------------------------------------------------
    @staticmethod
    def _balance(conn, account: str) -> int:
        return int(conn.execute("SELECT COALESCE(SUM(millicredits), 0) FROM entries WHERE account = ?", (account,)).fetchone()[0])

    @staticmethod
    def _live_holds(conn, account: Optional[str] = None, exclude: Iterable[str] = ()) -> list:
        """Reservations of live renders (a dead process's reservation on this host no longer counts)."""
        host, now, exclude = socket.gethostname(), time.time(), set(exclude)
        q, args = "SELECT * FROM holds", ()
        if account is not None:
            q, args = q + " WHERE account = ?", (account,)
        out = []
        for r in conn.execute(q, args):
            if r["idempotency_key"] in exclude or now - r["created_at"] > HOLD_TTL_S:
                continue
            if r["host"] == host and not _pid_alive(r["pid"]):
                continue
            out.append(r)
        return out

    @classmethod
    def _held(cls, conn, account: str, exclude: Iterable[str] = ()) -> int:
        return sum(r["millicredits"] for r in cls._live_holds(conn, account, exclude))

    def balance(self, account: str = DEFAULT_ACCOUNT) -> int:
        return self._read(lambda c: self._balance(c, account))

    def available(self, account: str = DEFAULT_ACCOUNT, exclude: Iterable[str] = ()) -> int:
        """Balance minus the credits held by renders in progress (leaving out the holds of the keys in `exclude`: a
        caller that counts those renders at their full price itself, like the service's queue)."""
        exclude = tuple(exclude)
        return self._read(lambda c: self._balance(c, account) - self._held(c, account, exclude))

    def accounts(self) -> list[str]:
        return self._read(lambda c: [r[0] for r in c.execute("SELECT name FROM accounts ORDER BY name")])

    def history(self, account: str = DEFAULT_ACCOUNT, limit: Optional[int] = None) -> list[Entry]:
        q = "SELECT * FROM entries WHERE account = ? ORDER BY id DESC"
        args: tuple = (account,)
        if limit:
            q += " LIMIT ?"
            args += (max(1, min(int(limit), 1_000_000)),)
        rows = self._read(lambda c: c.execute(q, args).fetchall())
        return [Entry(**dict(r)) for r in reversed(rows)]

    def find_charge(self, key: str) -> Optional[Entry]:
        r = self._read(lambda c: c.execute("SELECT * FROM entries WHERE idempotency_key = ? AND kind = 'charge'", (key,)).fetchone())
        return Entry(**dict(r)) if r else None

    def charged_keys(self, keys: Iterable[str]) -> set[str]:
        keys = list(keys)
        found: set[str] = set()

        def run(conn):
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                q = f"SELECT idempotency_key FROM entries WHERE kind = 'charge' AND idempotency_key IN ({','.join('?' * len(chunk))})"
                found.update(r[0] for r in conn.execute(q, chunk))
            return found

        return self._read(run)

    def recorded_outputs(self, key: str) -> Optional[dict[str, str]]:
        """{path: sha256} of the outputs a charged key delivered (None when none were recorded)."""
        r = self._read(lambda c: c.execute("SELECT outputs FROM renders WHERE idempotency_key = ?", (key,)).fetchone())
        if r is None:
            return None
        try:
            out = json.loads(r[0])
        except ValueError:
            return None
        return out if isinstance(out, dict) and out else None

    def outputs_intact(self, key: str, paths: Iterable[str | os.PathLike]) -> bool:
        """True when every path exists and has the SHA-256 recorded when `key` was charged (a file replaced
        by other bytes, an edited sidecar or a missing file → False: the render must be done again)."""
        rec = self.recorded_outputs(key)
        paths = [Path(p) for p in paths]
        if rec is None:
            return False
        for p in paths:
            want = rec.get(str(p.resolve())) or rec.get(os.path.abspath(p))
            try:
                if want is None or not p.is_file() or file_sha256(p) != want:
                    return False
            except OSError:
                return False
        return True

    # -- writes ---------------------------------------------------------------------------------
    @staticmethod
    def _ensure_account(conn, account: str) -> None:
        if (not isinstance(account, str) or not account or len(account) > 200 or account.strip() != account
                or not account.isprintable()):
            raise InputError(f"invalid account name {str(account)[:40]!r}"
                             f"{f' ({len(account)} characters)' if isinstance(account, str) and len(account) > 200 else ''}: "
                             "use a non-empty printable name of at most 200 characters, without surrounding spaces")
        conn.execute("INSERT OR IGNORE INTO accounts(name, created_at) VALUES (?, ?)", (account, time.time()))

    def top_up(self, account: str, millicredits: int, *, note: Optional[str] = None, key: Optional[str] = None) -> Entry:
        """Add credits. With `key`, the same top-up sent again (same key, account and amount) is recorded once;
        the key used for anything else (another account or amount, a render) is refused."""
        if not isinstance(millicredits, int) or isinstance(millicredits, bool) or millicredits <= 0:
            shown = format_credits(millicredits) if isinstance(millicredits, int) else repr(millicredits)
            raise InputError(f"a top-up must be a positive amount of credits, not {shown}")
        if millicredits > MAX_TOPUP_MILLI:
            raise InputError(f"a top-up is at most {format_credits(MAX_TOPUP_MILLI)} credits, not {format_credits(millicredits)}")
        check_key(key, "top-up key")
        if note is not None and len(note) > 1000:
            raise InputError("a top-up note is at most 1000 characters")
        with self.transaction() as conn:
            if key:
                r = conn.execute("SELECT * FROM entries WHERE idempotency_key = ?", (key,)).fetchone()
                if r is not None:
                    if r["kind"] != "topup":
                        raise BillingError(f"key {key!r} belongs to a {r['kind']} of account {r['account']!r}, not to a top-up: "
                                           "use another --key (nothing was added)")
                    if r["account"] != account or r["millicredits"] != millicredits:
                        raise BillingError(f"top-up key {key!r} was already used for {format_credits(r['millicredits'])} credits "
                                           f"to account {r['account']!r}: use another --key (nothing was added)")
                    return Entry(**dict(r))
                if conn.execute("SELECT 1 FROM holds WHERE idempotency_key = ?", (key,)).fetchone() or \
                        conn.execute("SELECT 1 FROM renders WHERE idempotency_key = ?", (key,)).fetchone():
                    raise BillingError(f"key {key!r} belongs to a render: use another --key for the top-up (nothing was added)")
            self._ensure_account(conn, account)
            if self._balance(conn, account) + millicredits > MAX_BALANCE_MILLI:
                raise InputError(f"account {account!r} would hold more than {format_credits(MAX_BALANCE_MILLI)} credits: "
                                 "refused (nothing was added)")
            cur = conn.execute("INSERT INTO entries(account, kind, millicredits, idempotency_key, note, created_at) "
                               "VALUES (?, 'topup', ?, ?, ?, ?)", (account, millicredits, key, note, time.time()))
            return Entry(**dict(conn.execute("SELECT * FROM entries WHERE id = ?", (cur.lastrowid,)).fetchone()))

    def _refusal(self, account: str, need: int, available: int, what: str) -> BillingError:
        return BillingError(
            f"not enough credits in account {account!r} for {what}: needs {format_credits(need)}, "
            f"available {format_credits(available)}; top up with `captioner credits add {format_credits(need - available)} "
            f"--account {account}` (nothing was rendered or charged)")

    def _check_binding(self, conn, account: str, key: str, identity: Optional[str]) -> Optional[sqlite3.Row]:
        """Refuse a key already bound elsewhere; return its prior charge (or None). Before any work."""
        check_key(key)
        r = conn.execute("SELECT * FROM entries WHERE idempotency_key = ?", (key,)).fetchone()
        if r is not None and r["kind"] != "charge":
            raise BillingError(f"idempotency key {key!r} is already used by a {r['kind']} of account {r['account']!r}: "
                               "use another --key (nothing was rendered or charged)")
        if r is not None and r["account"] != account:
            raise BillingError(f"idempotency key {key!r} was charged to account {r['account']!r}, not {account!r}: "
                               "a key belongs to one account and one render; use another --key (nothing was rendered or charged)")
        bound = conn.execute("SELECT account, identity FROM renders WHERE idempotency_key = ?", (key,)).fetchone()
        if bound is not None and identity is not None and bound["identity"] != identity:
            raise BillingError(f"idempotency key {key!r} belongs to another render (other inputs, options, preset or output): "
                               "use a new --key, or omit it to derive one (nothing was rendered or charged)")
        if r is None:
            for h in self._live_holds(conn):
                if h["idempotency_key"] == key and (h["account"] != account
                                                    or (identity and h["identity"] and h["identity"] != identity)):
                    raise BillingError(f"idempotency key {key!r} is in use by another render in progress: use another --key "
                                       "(nothing was rendered or charged)")
        return r

    def reserve(self, account: str, holds: dict[str, int], *, what: str = "this render",
                identities: Optional[dict[str, str]] = None) -> dict[str, Optional[Entry]]:
        """Before any work: check each key's binding, hold the price of each render not yet charged, or refuse
        them all if the account would overdraw. Returns every key's prior charge (or None)."""
        identities = identities or {}
        prior: dict[str, Optional[Entry]] = {}
        with self.transaction() as conn:
            self._ensure_account(conn, account)
            need = 0
            for key, milli in holds.items():
                r = self._check_binding(conn, account, key, identities.get(key))
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
                    conn.execute("INSERT OR REPLACE INTO holds(idempotency_key, account, millicredits, host, pid, created_at, "
                                 "identity) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 (key, account, milli, host, pid, now, identities.get(key)))
        return prior

    def release(self, keys: Iterable[str]) -> None:
        """Drop the reservations of renders that failed or were abandoned (no charge)."""
        keys = list(keys)
        if not keys:
            return
        with self.transaction() as conn:
            conn.executemany("DELETE FROM holds WHERE idempotency_key = ?", [(k,) for k in keys])

    def charge(self, account: str, key: str, millicredits: int, *, preset: Optional[str] = None, tier: Optional[str] = None,
               output: Optional[str] = None, note: Optional[str] = None, identity: Optional[str] = None,
               outputs: Optional[dict[str, str]] = None) -> tuple[Entry, bool]:
        """Record one charge under `key`, with the SHA-256 of the outputs it pays for. Returns (entry, newly_charged).

        The same key charged again returns the first charge and records nothing new (its recorded outputs are
        updated: a re-render after lost outputs). The key's binding is checked again inside the transaction.
        The balance may not go below zero: credits held for this key count as available to it.
        """
        if not key:
            raise InputError("a charge needs an idempotency key")
        if not isinstance(millicredits, int) or isinstance(millicredits, bool) or not 0 <= millicredits <= MAX_TOPUP_MILLI:
            raise InputError(f"a charge must be a non-negative integer of milli-credits, not {millicredits!r}")
        with self.transaction() as conn:
            r = self._check_binding(conn, account, key, identity)
            now = time.time()
            if r is not None:
                new, entry_id = False, r["id"]
            else:
                self._ensure_account(conn, account)
                avail = self._balance(conn, account) - self._held(conn, account, exclude=(key,))
                if millicredits > avail:
                    raise self._refusal(account, millicredits, avail, f"render {key}")
                cur = conn.execute(
                    "INSERT INTO entries(account, kind, millicredits, idempotency_key, preset, tier, output, note, created_at) "
                    "VALUES (?, 'charge', ?, ?, ?, ?, ?, ?, ?)",
                    (account, -millicredits, key, preset, tier, output, note, now))
                new, entry_id = True, cur.lastrowid
            if identity is not None or outputs:
                old = conn.execute("SELECT identity FROM renders WHERE idempotency_key = ?", (key,)).fetchone()
                conn.execute("INSERT OR REPLACE INTO renders(idempotency_key, account, identity, outputs, updated_at) "
                             "VALUES (?, ?, ?, ?, ?)",
                             (key, account, identity or (old["identity"] if old else key),
                              json.dumps(outputs or {}, sort_keys=True), now))
            conn.execute("DELETE FROM holds WHERE idempotency_key = ?", (key,))
            return Entry(**dict(conn.execute("SELECT * FROM entries WHERE id = ?", (entry_id,)).fetchone())), new

    def void(self, entry: Entry) -> None:
        """Undo a charge this process just recorded whose outputs could not be put in place (never delivered):
        the entry and its recorded outputs are deleted, so a retry is charged normally."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM entries WHERE id = ? AND kind = 'charge' AND idempotency_key = ?",
                         (entry.id, entry.idempotency_key))
            conn.execute("DELETE FROM renders WHERE idempotency_key = ?", (entry.idempotency_key,))

    def forget_outputs(self, key: str) -> None:
        """A re-render after a prior charge could not be put in place: its recorded outputs no longer hold."""
        with self.transaction() as conn:
            conn.execute("UPDATE renders SET outputs = '{}' WHERE idempotency_key = ?", (key,))

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


def receipt_from_entry(preset, entry: Entry, *, charged: bool = True, earlier: bool = False) -> Receipt:
    """The receipt of a charge as the ledger recorded it (the source of truth, never the caller's idea). `earlier`: an
    earlier run made the charge (this one is a retry of the same key and charged nothing)."""
    milli = -entry.millicredits
    tier = entry.tier if entry.tier in PRICES_MILLI else preset.billed_tier
    return Receipt(preset=entry.preset or preset.name, tier=tier, credits=to_credits(milli), millicredits=milli,
                   charged=charged, idempotency_key=entry.idempotency_key, account=entry.account, charged_earlier=earlier)


@dataclass
class ChargedRender:
    """What `charged_render` hands back: the render's own result (None when skipped) and the receipt."""

    result: Any
    receipt: Receipt
    newly_charged: bool  # False: this key had been charged before (retry) — no second charge
    skipped: bool  # True: the render was not run again because its key was already charged and outputs exist


def charged_render(ledger: Ledger, account: str, key: str, preset, render_fn: Callable[[Receipt], Any], *,
                   outputs: Iterable[str | os.PathLike] = (), rerender_if_charged: bool = False,
                   identity: Optional[str] = None) -> ChargedRender:
    """Bill one render done by a callable (the product's renders go through `job.run_job`, which charges
    before it moves its outputs into place; this helper is for renders that commit their own outputs).

    1. In one transaction: check the key's binding; if `key` was charged before and every path in `outputs`
       still has the recorded hash, return the ledger's receipt without rendering (a retry); else hold the
       flat price of the preset's billed tier, or raise `BillingError` when the account cannot cover it.
    2. `render_fn(receipt)` runs the render and commits its outputs; `receipt` is what will be charged.
    3. Only after it returns: check every output is a non-empty file, then record the charge and the outputs'
       hashes in one transaction. If that fails (ledger damaged, disk full), the outputs, which claim a charge
       that did not happen, are removed and `BillingError` is raised. If `render_fn` raises, nothing is charged.
    """
    tier = preset.billed_tier
    milli = price_millicredits(tier)
    outputs = [Path(p) for p in outputs]
    prior = ledger.reserve(account, {key: milli}, what=f"a {tier} render ({preset.name})",
                           identities={key: identity} if identity else None)[key]
    if prior is not None and not rerender_if_charged and outputs and ledger.outputs_intact(key, outputs):
        return ChargedRender(None, receipt_from_entry(preset, prior, earlier=True), False, True)
    pending = (receipt_from_entry(preset, prior, earlier=True) if prior is not None else
               Receipt(preset=preset.name, tier=tier, credits=to_credits(milli), millicredits=milli, charged=True,
                       idempotency_key=key, account=account))
    try:
        result = render_fn(pending)
        missing = [str(p) for p in outputs if not (p.is_file() and p.stat().st_size > 0)]
        if missing:
            raise BillingError(f"render {key} finished but its outputs are missing or empty: {', '.join(missing)}; not charged")
    except BaseException:
        ledger.release([key])
        raise
    try:
        entry, new = ledger.charge(account, key, milli, preset=preset.name, tier=str(tier),
                                   output=str(outputs[0]) if outputs else None, identity=identity,
                                   outputs={str(p.resolve()): file_sha256(p) for p in outputs})
    except BaseException:
        if prior is None:
            for p in outputs:
                p.unlink(missing_ok=True)
        try:
            ledger.release([key])
        except BillingError:
            pass
        raise
    return ChargedRender(result, receipt_from_entry(preset, entry, earlier=not new), new, False)
