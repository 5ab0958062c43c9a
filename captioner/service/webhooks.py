"""Webhooks: restricted targets, signed deliveries (HMAC-SHA256, timestamped), durable retries with backoff.

**Targets.** A `webhook_url` must be `http(s)://host[:port]/path` without credentials. Its host is resolved, and
*every* address it resolves to must be public: loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local
(169.254/16 — cloud metadata), CGNAT, multicast, reserved and unspecified addresses are refused unless they fall
in the configured allow-list (`--webhook-allow 127.0.0.1/32`; the tests allow loopback this way). The check runs
when the job is submitted (422) and again at each delivery, and the connection goes to the address that was just
checked, not to a second lookup of the name — so a DNS answer that changes between check and connect (rebinding)
cannot redirect a delivery inside the network. Redirects are not followed; the response body is not read beyond
1 kB.

**Signature.** Each delivery carries `X-Captioner-Timestamp: T` (Unix seconds) and
`X-Captioner-Signature: v1=HEX`, HEX = HMAC-SHA256(account's webhook secret, f"{T}.{body}"). A receiver recomputes
it over the raw body, compares in constant time and rejects timestamps older than a few minutes (replays).
`verify_signature()` is that check (the tests' receiver uses it). The body echoes the job's `client_reference`.

**Retries.** A delivery is a row in the store, written in the same transaction as the job's terminal state. The
sender thread posts due rows; a 2xx marks it delivered, anything else (refused connection, timeout, 4xx/5xx) is
retried after `base · 2^attempt` seconds (± 10 % jitter) up to `max_attempts`, then marked failed. Pending rows
survive a restart. Receivers must be idempotent on `X-Captioner-Delivery` (a crash after sending, before the row is
marked, sends it once more).
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import random
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Optional, Sequence
from urllib.parse import urlsplit

from ..errors import InputError
from .store import Store

SIGNATURE_HEADER = "X-Captioner-Signature"
TIMESTAMP_HEADER = "X-Captioner-Timestamp"
DELIVERY_HEADER = "X-Captioner-Delivery"
EVENT_HEADER = "X-Captioner-Event"
MAX_URL = 2000
TOLERANCE_S = 300  # what verify_signature accepts as "recent"


class WebhookTargetError(InputError):
    """A webhook URL that may not be called (scheme, credentials, or an address that is not allowed)."""


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(items: Sequence[str]) -> list[Network]:
    nets = []
    for s in items:
        try:
            nets.append(ipaddress.ip_network(s.strip(), strict=False))
        except ValueError:
            raise InputError(f"--webhook-allow {s!r} is not an address or network (e.g. 127.0.0.1/32, 10.0.0.0/8)") from None
    return nets


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass
class Target:
    """A checked webhook URL: where to connect (the address that passed the check) and what to send."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


@dataclass
class WebhookPolicy:
    allow: list[Network] = field(default_factory=list)
    timeout_s: float = 10.0

    def check(self, url: str, *, resolve: bool = True) -> Target:
        """Refuse anything but http(s) to an allowed address; returns where to connect."""
        if not isinstance(url, str) or not url or len(url) > MAX_URL:
            raise WebhookTargetError(f"webhook_url must be an http(s) URL of at most {MAX_URL} characters")
        try:
            u = urlsplit(url)
            port = u.port
        except ValueError:
            raise WebhookTargetError("webhook_url is not a valid URL") from None
        if u.scheme not in ("http", "https") or not u.hostname:
            raise WebhookTargetError("webhook_url must start with http:// or https:// and name a host")
        if u.username or u.password:
            raise WebhookTargetError("webhook_url must not carry credentials (user:password@); sign-check the "
                                     "X-Captioner-Signature header instead")
        port = port or (443 if u.scheme == "https" else 80)
        path = (u.path or "/") + (f"?{u.query}" if u.query else "")
        if not resolve:
            return Target(u.scheme, u.hostname, port, path, "")
        try:
            infos = socket.getaddrinfo(u.hostname, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as e:
            raise WebhookTargetError(f"webhook_url host {u.hostname!r} does not resolve ({e})") from None
        addrs = []
        for info in infos:
            ip = ipaddress.ip_address(info[4][0].split("%")[0])
            if not (_public(ip) or any(ip in n for n in self.allow)):
                raise WebhookTargetError(
                    f"webhook_url host {u.hostname!r} resolves to {ip}, a private, loopback or reserved address: "
                    "webhooks go to public addresses only (the operator can allow networks with --webhook-allow)")
            addrs.append(str(ip))
        return Target(u.scheme, u.hostname, port, path, addrs[0])


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify_signature(secret: str, body: bytes, timestamp: str, signature: str, *, now: Optional[float] = None,
                     tolerance_s: float = TOLERANCE_S) -> bool:
    """What a receiver does: recompute over the raw body, compare in constant time, refuse stale timestamps."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature or "")


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to a checked address, with SNI and certificate checks for the URL's host name."""

    def __init__(self, host: str, address: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, port: int, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(target: Target, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """One POST to the checked address; returns the HTTP status (redirects are not followed)."""
    cls = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    conn = cls(target.host, target.address, target.port, timeout)
    try:
        host = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
        conn.request("POST", target.path, body=body, headers={"Host": host, **headers})
        resp = conn.getresponse()
        resp.read(1024)
        return resp.status
    finally:
        conn.close()


class Sender:
    """The delivery thread: posts due deliveries from the store, retries with exponential backoff."""

    def __init__(self, store: Store, policy: WebhookPolicy, *, max_attempts: int = 8, backoff_base_s: float = 2.0,
                 poll_s: float = 0.2):
        self.store, self.policy = store, policy
        self.max_attempts, self.backoff_base_s, self.poll_s = max_attempts, backoff_base_s, poll_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="captioner-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                for d in self.store.due_deliveries(time.time()):
                    if self._stop.is_set():
                        break
                    self.deliver(d)
            except Exception:  # noqa: BLE001 - the sender never dies; the row stays pending
                pass
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def deliver(self, d) -> bool:
        secret = self.store.webhook_secret(d["account"]) or ""
        body = d["body"].encode("utf-8")
        ts = int(time.time())
        headers = {"Content-Type": "application/json", "User-Agent": "captioner-webhooks/1",
                   TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: sign(secret, ts, body),
                   DELIVERY_HEADER: str(d["id"]), EVENT_HEADER: d["event"]}
        error = None
        try:
            target = self.policy.check(d["url"])
            status = post(target, body, headers, self.policy.timeout_s)
            if 200 <= status < 300:
                self.store.delivery_done(d["id"], True, None, None)
                return True
            error = f"HTTP {status}"
        except WebhookTargetError as e:
            self.store.delivery_done(d["id"], False, str(e), None)  # never retried: the target is not allowed
            return False
        except (OSError, http.client.HTTPException) as e:
            error = f"{type(e).__name__}: {e}"
        attempt = d["attempts"] + 1
        if attempt >= self.max_attempts:
            self.store.delivery_done(d["id"], False, error, None)
        else:
            delay = self.backoff_base_s * (2 ** (attempt - 1)) * random.uniform(0.9, 1.1)
            self.store.delivery_done(d["id"], False, error, time.time() + delay)
        return False


def event_json(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)
