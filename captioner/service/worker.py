"""Render workers for the service: N spawned processes (or Ray actors), each holding one Whisper model, fed from the store.

Why processes, not threads: a cancel must stop a render at once with nothing charged, and a process can be told
to (SIGTERM → `job.Interrupted` inside `run_job`, which removes the staged files and releases the hold, while a
charge + commit already under way is finished first — `job.signals_deferred`); a crash in one render cannot take
the API down; the API process stays small and responsive while the renders use the cores.

Each worker runs in its own process group with a watchdog thread that kills the group (the worker and its
ffmpeg) as soon as the server is gone — after `kill -9` of the server nothing renders on unobserved, and the
next start re-queues the job (`Store.recover`). The dispatcher thread in the server claims the oldest queued job
for each idle worker, forwards cancels as SIGTERM, and replaces a worker that died (its job is re-queued, or
failed after `store.MAX_ATTEMPTS`).

Scale-out (`captioner serve --executor ray [--ray-address ADDR]`): the same `jobs.run_in_worker` runs in Ray actors
instead of local processes — the store stays the queue of record, Ray only places the renders. Actors are owned by
the server (not detached): they end with it. A cancel is seen at the next stage boundary.
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
    # SIGTERM is the server's cancel channel to this process: a mask inherited from whoever started the server
    # (a CI harness, a supervisor) must not silence it
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})

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
    from ..cpu import set_share, share_of

    set_share(share_of(cfg.workers))  # before the models load: their threads are sized to this worker's cores
    store = Store(cfg.store_path)
    ledger = Ledger(cfg.ledger_path)
    try:  # load the Whisper models (the recogniser's int8, the price judge's float32) before the first job
        from ..asr.whisper import load_judge_model, load_model

        load_model()
        load_judge_model()
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


class LocalSlot:
    """One render process (spawned; own process group; dies with the server)."""

    def __init__(self, index: int, cfg: ServiceConfig, ctx):
        self.index, self.cfg, self._ctx = index, cfg, ctx
        self.proc: Optional[mp.Process] = None
        self.conn = None
        self.job: Optional[str] = None
        self.ready = False
        self.signaled = False

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc is not None else 0

    def spawn(self) -> None:
        parent, child = self._ctx.Pipe()
        p = self._ctx.Process(target=worker_main, args=(child, self.cfg.model_dump_json(), os.getpid()),
                              name=f"captioner-render-{self.index}", daemon=False)
        p.start()
        child.close()
        self.proc, self.conn, self.job, self.ready, self.signaled = p, parent, None, False, False

    def alive(self) -> bool:
        return self.proc is not None and self.proc.is_alive()

    def events(self) -> list[tuple]:
        out = []
        while self.conn is not None and self.conn.poll():
            try:
                out.append(self.conn.recv())
            except (EOFError, OSError):
                break
        return out

    def send(self, job_id: str) -> None:
        self.conn.send(job_id)

    def interrupt(self) -> None:
        try:
            os.kill(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        if not self.alive():
            return
        try:
            if self.job is not None:
                self.interrupt()
            self.conn.send(None)
        except (OSError, BrokenPipeError):
            pass

    def join(self, timeout: float) -> None:
        if self.proc is None:
            return
        self.proc.join(timeout)
        if self.proc.is_alive():
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.proc.join(2)


class RaySlot:
    """One render actor on a Ray cluster (`captioner serve --executor ray`): the same `run_in_worker` in a Ray
    actor that holds the model. A cancel is seen at the next stage boundary (the cooperative check in
    `jobs.run_in_worker`; Ray cannot signal a running actor task). The actors must reach DATA (the store, the
    ledger, uploads, outputs) at the same path: one machine, or storage every node mounts there."""

    def __init__(self, index: int, cfg: ServiceConfig, actor_cls):
        self.index, self.cfg, self._cls = index, cfg, actor_cls
        self.actor = None
        self.job: Optional[str] = None
        self.ready = False
        self.signaled = False
        self._ready_ref = self._run_ref = None
        self._dead = False
        self.pid = 0

    def spawn(self) -> None:
        self.actor = self._cls.remote(self.cfg.model_dump_json())
        self._ready_ref, self._run_ref, self.job, self.ready, self.signaled, self._dead = (
            self.actor.ready.remote(), None, None, False, False, False)

    def alive(self) -> bool:
        return not self._dead

    def events(self) -> list[tuple]:
        import ray

        out = []
        for attr in ("_ready_ref", "_run_ref"):
            ref = getattr(self, attr)
            if ref is None:
                continue
            done, _ = ray.wait([ref], timeout=0)
            if not done:
                continue
            setattr(self, attr, None)
            try:
                value = ray.get(ref)
            except Exception:  # noqa: BLE001 - the actor died (RayActorError) or the task failed
                self._dead = True
                continue
            if attr == "_ready_ref":
                self.pid = int(value)
                out.append(("ready", self.pid))
            else:
                out.append(("idle", value[0], value[1]))
        return out

    def send(self, job_id: str) -> None:
        self._run_ref = self.actor.run.remote(job_id)

    def interrupt(self) -> None:
        pass  # cooperative: the job's progress hook reads cancel_requested at each stage

    def close(self) -> None:
        pass

    def join(self, timeout: float) -> None:
        import ray

        if self._run_ref is not None:  # a render under way: a short grace, then it is killed and re-run next start
            try:
                ray.wait([self._run_ref], timeout=min(timeout, 5.0))
            except Exception:  # noqa: BLE001
                pass
        try:
            ray.kill(self.actor)
        except Exception:  # noqa: BLE001
            pass


def ray_actor_class(address: Optional[str]):
    """Start or join Ray and define the render actor (imported only with `--executor ray`)."""
    try:
        import ray
    except ImportError as e:
        from ..errors import InputError

        raise InputError("--executor ray needs Ray: pip install 'captioner[ray]' (or use the embedded default)") from e
    owns = False
    if not ray.is_initialized():
        kw: dict = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if address:
            kw["address"] = address
        ray.init(**kw)
        owns = True

    @ray.remote(num_cpus=1, max_restarts=0, max_task_retries=0)
    class RenderActor:
        def __init__(self, cfg_json: str):
            from ..billing import Ledger

            self.cfg = ServiceConfig.model_validate_json(cfg_json)
            self.store = Store(self.cfg.store_path)
            self.ledger = Ledger(self.cfg.ledger_path)

        def ready(self) -> int:
            try:
                from ..asr.whisper import load_judge_model, load_model

                load_model()
                load_judge_model()
            except Exception as e:  # noqa: BLE001 - the first job reports it
                log.warning("could not preload the Whisper model: %s", e)
            return os.getpid()

        def run(self, job_id: str):
            from .jobs import run_in_worker

            return job_id, str(run_in_worker(self.cfg, self.store, self.ledger, job_id))

    return RenderActor, owns


class WorkerPool:
    """N render slots (local processes, or Ray actors with `executor="ray"`) and the dispatcher thread that feeds
    them from the store."""

    def __init__(self, cfg: ServiceConfig, store: Store, *, on_change=None, poll_s: float = 0.1,
                 executor: str = "local", address: Optional[str] = None):
        self.cfg, self.store, self.poll_s = cfg, store, poll_s
        self.on_change = on_change  # called after a job ends (wakes the webhook sender)
        self._owns_ray = False
        if executor == "ray":
            actor, self._owns_ray = ray_actor_class(address)
            self._slots = [RaySlot(i, cfg, actor) for i in range(cfg.workers)]
        else:
            ctx = mp.get_context("spawn")
            self._slots = [LocalSlot(i, cfg, ctx) for i in range(cfg.workers)]
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: Optional[threading.Thread] = None

    # -- life cycle ---------------------------------------------------------------------------------------
    def start(self) -> None:
        for s in self._slots:
            s.spawn()
        self._thread = threading.Thread(target=self._loop, name="captioner-dispatcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 20.0) -> None:
        """Stop dispatching; running jobs are interrupted (staged files removed, nothing charged) and queued
        again for the next start; the workers exit."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for s in self._slots:
            s.close()
        deadline = time.monotonic() + timeout
        for s in self._slots:
            s.join(max(0.1, deadline - time.monotonic()))
            if s.job is not None:
                self.store.requeue(s.job)
        if self._owns_ray:
            import ray

            ray.shutdown()

    def wake(self) -> None:
        self._wake.set()

    def pids(self) -> list[int]:
        return [s.pid for s in self._slots if s.alive() and s.pid]

    def ready(self) -> int:
        return sum(1 for s in self._slots if s.ready and s.alive())

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
            for msg in s.events():
                if msg[0] == "ready":
                    s.ready = True
                elif msg[0] == "idle":
                    s.job, s.signaled = None, False
                    if self.on_change:
                        self.on_change()
            # a worker that died: its job goes back to the queue (or fails), a new worker takes its place
            if not s.alive():
                if s.job is not None:
                    self._lost(s.job)
                    if self.on_change:
                        self.on_change()
                s.spawn()
                continue
            # forward a cancel
            if s.job is not None and not s.signaled:
                r = self.store.one("SELECT cancel_requested FROM jobs WHERE id = ?", (s.job,))
                if r is not None and r["cancel_requested"]:
                    s.interrupt()
                    s.signaled = True
            # feed an idle worker
            if s.ready and s.job is None and not self._stop.is_set():
                row = self.store.claim_next(s.pid)
                if row is not None:
                    s.job = row["id"]
                    s.send(row["id"])

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
