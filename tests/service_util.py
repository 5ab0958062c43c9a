"""Helpers for the service tests: a real `captioner serve` subprocess on 127.0.0.1, a webhook receiver, polling."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Optional

import httpx

from .conftest import ROOT

TERMINAL = {"done", "failed", "canceled"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "captioner", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT)


def create_key(data: Path, account: str) -> str:
    p = cli("keys", "create", "--account", account, "--data", str(data))
    assert p.returncode == 0, p.stderr
    key = p.stdout.strip()
    assert key.startswith("cap_") and "\n" not in key, p.stdout  # only the key on stdout
    return key


def add_credits(data: Path, account: str, amount: str) -> None:
    p = cli("credits", "add", amount, "--account", account, "--ledger", str(data / "ledger.sqlite3"))
    assert p.returncode == 0, p.stderr


class Server:
    """`python -m captioner serve` in its own session (so a SIGKILL hits the server alone, like a crash)."""

    def __init__(self, data: Path, *args: str, port: Optional[int] = None):
        self.data, self.args = data, list(args)
        self.port = port or free_port()
        self.proc: Optional[subprocess.Popen] = None
        self.log = data.parent / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> "Server":
        self.data.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "captioner", "serve", "--data", str(self.data), "--port",
                                      str(self.port), "--log-level", "warning", *self.args],
                                     stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not come up:\n" + self.log.read_text()[-3000:])

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.kill()


def client(server: Server, key: Optional[str] = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=60)


def get_job(c: httpx.Client, job_id: str) -> httpx.Response:
    """GET a job, waiting out a 429 (the polling loops must respect the rate limit like any client)."""
    while True:
        r = c.get(f"/v1/jobs/{job_id}")
        if r.status_code != 429:
            return r
        time.sleep(float(r.headers.get("retry-after", "1")))


def wait_state(c: httpx.Client, job_id: str, states=TERMINAL, timeout: float = 420, poll: float = 0.5) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        r = get_job(c, job_id)
        assert r.status_code == 200, r.text
        last = r.json()
        if last["state"] in states:
            return last
        time.sleep(poll)
    raise AssertionError(f"job {job_id} did not reach {states} in {timeout} s: {json.dumps(last)[:1500]}")


def wait_stage(c: httpx.Client, job_id: str, stages: set[str], timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        j = get_job(c, job_id).json()
        if j["state"] == "running" and j["progress"]["stage"] in stages:
            return j
        assert j["state"] in ("queued", "running"), j
        time.sleep(0.15)
    raise AssertionError(f"job {job_id} never reached {stages}")


class Receiver:
    """A webhook receiver on 127.0.0.1: records every request; answers 500 to the first `fail_first` ones."""

    def __init__(self, fail_first: int = 0):
        self.requests: list[dict] = []
        self.fail_first = fail_first
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer.lock:
                    outer.requests.append({"headers": dict(self.headers), "body": body, "path": self.path,
                                           "at": time.time()})
                    n = len(outer.requests)
                self.send_response(500 if n <= outer.fail_first else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"

    def wait(self, n: int, timeout: float = 60) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.1)
        raise AssertionError(f"expected {n} webhook requests, got {len(self.requests)}")

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def ledger_entries(data: Path, account: str) -> list[dict]:
    from captioner.billing import Ledger

    led = Ledger(data / "ledger.sqlite3")
    try:
        return [e.as_dict() for e in led.history(account)]
    finally:
        led.close()


def holds(data: Path) -> int:
    import sqlite3

    c = sqlite3.connect(str(data / "ledger.sqlite3"))
    try:
        return c.execute("SELECT COUNT(*) FROM holds").fetchone()[0]
    finally:
        c.close()
