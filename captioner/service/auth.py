"""API keys and rate limits: keys are random, shown once, stored as SHA-256 hashes and map to a ledger account.

A key is `cap_` + 32 random bytes (URL-safe base64): with 256 bits of entropy a fast hash is enough to store it — a
slow password hash (bcrypt, scrypt) protects guessable secrets, and nothing here is guessable. Looking a key up by
its hash is one indexed SELECT; the comparison never touches the plain key, so its timing says nothing about it.
Revoked keys stay in the table (so `keys list` shows them) and stop authenticating at once.

The rate limit is a token bucket per key (requests per second with a burst), in memory: it protects this process,
and a restart refilling the buckets is harmless. Job submissions are also capped by the number of unfinished jobs
an account may have queued (`ServiceConfig.max_queued_per_account`), which is durable because it is counted in the store.
"""
from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Optional

from ..errors import InputError
from .store import Store, new_id

KEY_PREFIX = "cap_"
_ACCOUNT_OK = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def check_account(name: str) -> str:
    """An account name is 1–64 of [A-Za-z0-9._-] (it names a ledger account; never a path)."""
    if not name or len(name) > 64 or not set(name) <= _ACCOUNT_OK:
        raise InputError(f"invalid account name {name[:40]!r}: use 1–64 letters, digits, '.', '_' or '-'")
    return name


@dataclass(frozen=True)
class Principal:
    """Who a request is from: the key's public id and its account."""

    key_id: str
    account: str


def create_key(store: Store, account: str, label: Optional[str] = None) -> tuple[str, str]:
    """A new key for `account` (created if new, with its webhook secret). Returns (key, key id); the key is shown once."""
    check_account(account)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    kid = new_id("key")
    with store.tx() as c:
        store.ensure_account(c, account)
        c.execute("INSERT INTO api_keys(id, account, key_hash, prefix, label, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                  (kid, account, hash_key(key), key[:10], label, time.time()))
    return key, kid


def list_keys(store: Store, account: Optional[str] = None) -> list[dict]:
    q = "SELECT id, account, prefix, label, created_at, revoked_at FROM api_keys"
    rows = store.read(q + " WHERE account = ? ORDER BY created_at", (account,)) if account else store.read(q + " ORDER BY created_at")
    return [dict(r) for r in rows]


def revoke_key(store: Store, key_or_id: str) -> Optional[dict]:
    """Revoke by key id (`key_…`) or by the key itself. Returns the key's row, or None if there is no such key."""
    with store.tx() as c:
        r = c.execute("SELECT * FROM api_keys WHERE id = ? OR key_hash = ?", (key_or_id, hash_key(key_or_id))).fetchone()
        if r is None:
            return None
        if r["revoked_at"] is None:
            c.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?", (time.time(), r["id"]))
        return dict(c.execute("SELECT id, account, prefix, label, created_at, revoked_at FROM api_keys WHERE id = ?",
                              (r["id"],)).fetchone())


def authenticate(store: Store, header: Optional[str]) -> Optional[Principal]:
    """`Authorization: Bearer KEY` → the key's principal, or None (missing, malformed, unknown or revoked)."""
    if not header:
        return None
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    r = store.one("SELECT id, account, revoked_at FROM api_keys WHERE key_hash = ?", (hash_key(key),))
    if r is None or r["revoked_at"] is not None:
        return None
    return Principal(key_id=r["id"], account=r["account"])


class RateLimiter:
    """Token bucket per key: `rate` requests per second on average, bursts of up to `burst`."""

    def __init__(self, rate: float, burst: int):
        self.rate, self.burst = float(rate), int(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str) -> Optional[float]:
        """Spend one token; None if allowed, else the seconds to wait (for Retry-After)."""
        if self.rate <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key_id] = (tokens - 1.0, now)
                return None
            self._buckets[key_id] = (tokens, now)
            return (1.0 - tokens) / self.rate
