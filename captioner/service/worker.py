"""Render processes for the service: N spawned workers, each holding one Whisper model, fed jobs from the store.

Why processes, not threads: a cancel must stop a render at once with nothing charged, and a process can be told
to (SIGTERM → `job.Interrupted` inside `run_job`, which removes the staged files and releases the hold, while a
charge + commit already under way is finished first — `job.signals_deferred`); a crash in one render cannot take
the API down; the API process stays small and responsive while the renders use the cores.

Each worker runs in its own process group with a watchdog thread that kills the group (the worker and its
ffmpeg) as soon as the server is gone — after `kill -9` of the server nothing renders on unobserved, and the
next start re-queues the job (`Store.recover`). The dispatcher thread in the server claims the oldest queued job
for each idle worker, forwards cancels as SIGTERM, and replaces a worker that died (its job is re-queued, or
failed after `store.MAX_ATTEMPTS`).
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import os
import signal
import threading
import time
from typing import Optional

from .config import ServiceConfig
from .store import MAX_ATTEMPTS, JobState, Store

log = logging.getLogger("captioner.service")
WATCHDOG_PERIOD_S = 0.2


def _process_init(parent_pid: int) -> None:
    """Own process group; die with the server; Ctrl-C is the server's business; SIGTERM only means something
    while a job runs (`run_job` installs its own handler then)."""
    os.setpgrp()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: None)

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os.killpg(os.getpgrp(), signal.SIGKILL)
            time.sleep(WATCHDOG_PERIOD_S)

    threading.Thread(target=watch, name="captioner-server-watchdog", daemon=True).start()


def worker_main(conn, cfg_json: str, parent_pid: int) -> None:
    """A render process: load the model once, then run the job ids it is sent until it gets None."""
    _process_init(parent_pid)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(process)d %(levelname)s %(message)s")
    from ..billing import Ledger
    from .jobs import run_in_worker

    cfg = ServiceConfig.model_validate_json(cfg_json)
    store = Store(cfg.store_path)
    ledger = Ledger(cfg.ledger_path)
    try:  # load the Whisper model before the first job, not during it
        from ..asr.whisper import load_model

        load_model()
    except Exception as e:  # noqa: BLE001 - the first job will report it properly
        log.warning("could not preload the Whisper model: %s", e)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        state = run_in_worker(cfg, store, ledger, msg)
        conn.send(("idle", msg, str(state)))


class _Slot:
    def __init__(self, index: int):
        self.index = index
        self.proc: Optional[mp.Process] = None
        self.conn = None
        self.job: Optional[str] = None
        self.ready = False
        self.signaled = False


class WorkerPool:
    """N render processes and the dispatcher thread that feeds them from the store."""

    def __init__(self, cfg: ServiceConfig, store: Store, *, on_change=None, poll_s: float = 0.1):
        self.cfg, self.store, self.poll_s = cfg, store, poll_s
        self.on_change = on_change  # called after a job ends (wakes the webhook sender)
        self._ctx = mp.get_context("spawn")
        self._slots = [_Slot(i) for i in range(cfg.workers)]
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: Optional[threading.Thread] = None

    # -- life cycle ---------------------------------------------------------------------------------------
    def start(self) -> None:
        for s in self._slots:
            self._spawn(s)
        self._thread = threading.Thread(target=self._loop, name="captioner-dispatcher", daemon=True)
        self._thread.start()

    def _spawn(self, s: _Slot) -> None:
        parent, child = self._ctx.Pipe()
        p = self._ctx.Process(target=worker_main, args=(child, self.cfg.model_dump_json(), os.getpid()),
                              name=f"captioner-render-{s.index}", daemon=False)
        p.start()
        child.close()
        s.proc, s.conn, s.job, s.ready, s.signaled = p, parent, None, False, False

    def stop(self, timeout: float = 20.0) -> None:
        """Stop dispatching; running jobs are interrupted (staged files removed, nothing charged) and queued
        again for the next start; the workers exit."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for s in self._slots:
            if s.proc is None or not s.proc.is_alive():
                continue
            try:
                if s.job is not None:
                    os.kill(s.proc.pid, signal.SIGTERM)
                s.conn.send(None)
            except (OSError, BrokenPipeError):
                pass
        deadline = time.monotonic() + timeout
        for s in self._slots:
            if s.proc is None:
                continue
            s.proc.join(max(0.1, deadline - time.monotonic()))
            if s.proc.is_alive():
                try:
                    os.killpg(s.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                s.proc.join(2)
            if s.job is not None:
                self.store.requeue(s.job)

    def wake(self) -> None:
        self._wake.set()

    def pids(self) -> list[int]:
        return [s.proc.pid for s in self._slots if s.proc is not None and s.proc.is_alive()]

    def ready(self) -> int:
        return sum(1 for s in self._slots if s.ready and s.proc is not None and s.proc.is_alive())

    def busy(self) -> int:
        return sum(1 for s in self._slots if s.job is not None)

    # -- the dispatcher -----------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._tick()
            except Exception:  # noqa: BLE001 - never let the dispatcher die
                log.exception("dispatcher error")
            self._wake.wait(self.poll_s)
            self._wake.clear()

    def _tick(self) -> None:
        for s in self._slots:
            # messages from the worker
            while s.conn is not None and s.conn.poll():
                try:
                    msg = s.conn.recv()
                except (EOFError, OSError):
                    break
                if msg[0] == "ready":
                    s.ready = True
                elif msg[0] == "idle":
                    s.job, s.signaled = None, False
                    if self.on_change:
                        self.on_change()
            # a worker that died: its job goes back to the queue (or fails), a new worker takes its place
            if s.proc is not None and not s.proc.is_alive():
                if s.job is not None:
                    self._lost(s.job)
                    if self.on_change:
                        self.on_change()
                self._spawn(s)
                continue
            # forward a cancel
            if s.job is not None and not s.signaled:
                r = self.store.one("SELECT cancel_requested FROM jobs WHERE id = ?", (s.job,))
                if r is not None and r["cancel_requested"]:
                    try:
                        os.kill(s.proc.pid, signal.SIGTERM)
                    except ProcessLookupError:
                        pass
                    s.signaled = True
            # feed an idle worker
            if s.ready and s.job is None and not self._stop.is_set():
                row = self.store.claim_next(s.proc.pid)
                if row is not None:
                    s.job = row["id"]
                    s.conn.send(row["id"])

    def _lost(self, job_id: str) -> None:
        from .jobs import event_body_fn

        row = self.store.job(job_id)
        if row is None or row["state"] != JobState.running:
            return
        body = event_body_fn(self.cfg)
        if row["cancel_requested"]:
            self.store.finish(job_id, JobState.canceled, error="canceled; nothing was charged", error_code="canceled",
                              event_body=body)
        elif row["attempts"] >= MAX_ATTEMPTS:
            self.store.finish(job_id, JobState.failed, error=f"the render process died {row['attempts']} times on this "
                              "job; nothing was charged", error_code="worker_died", event_body=body)
        else:
            self.store.requeue(job_id)
