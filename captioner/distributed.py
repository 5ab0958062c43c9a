"""Executors for batch work: a local process pool (default) or a Ray cluster (`captioner[ray]`), one interface."""
from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any, Callable, Iterator, Optional, Sequence

from .errors import InputError

WATCHDOG_PERIOD_S = 0.2

Outcome = tuple[int, Any, Optional[BaseException]]  # (task index, result, error) in completion order


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _worker_init(driver_pid: int, workers: int = 1) -> None:
    """In each pool worker: its own process group (with the ffmpeg it starts), and a watchdog that kills that
    group as soon as the driver is gone — after `kill -9` of `captioner batch` no worker renders on, unpaid. Its
    models size their threads to its share of the cores (`cpu.set_share`), not to the whole machine.

    A terminal's Ctrl-C no longer reaches the workers directly: the driver stops them (`close(kill=True)`)."""
    from .cpu import set_share, share_of

    os.setpgrp()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_share(share_of(workers))

    def watch() -> None:
        while True:
            if os.getppid() != driver_pid:
                os.killpg(os.getpgrp(), signal.SIGKILL)
            time.sleep(WATCHDOG_PERIOD_S)

    threading.Thread(target=watch, name="captioner-driver-watchdog", daemon=True).start()


def _wait_groups_gone(groups: set[int], timeout: float) -> None:
    """Wait until no running process (zombies do not count) belongs to these process groups (Linux /proc)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            entries = [d for d in os.listdir("/proc") if d.isdigit()]
        except OSError:
            return
        busy = False
        for d in entries:
            try:
                with open(f"/proc/{d}/stat", encoding="ascii", errors="replace") as f:
                    fields = f.read().rsplit(")", 1)[-1].split()
            except OSError:
                continue
            if len(fields) > 2 and fields[0] not in ("Z", "X") and int(fields[2]) in groups:
                busy = True
                break
        if not busy:
            return
        time.sleep(0.02)


class LocalExecutor:
    """A process pool (spawned workers: no fork of the driver's threads or SQLite connection). Each worker runs
    in its own process group and dies with the driver (see `_worker_init`)."""

    name = "local"

    def __init__(self, workers: Optional[int] = None):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers or default_workers()
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=mp.get_context("spawn"),
                                         initializer=_worker_init, initargs=(os.getpid(), self.workers))

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Outcome]:
        from concurrent.futures import as_completed

        futures = {self._pool.submit(fn, t): i for i, t in enumerate(tasks)}
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                yield i, fut.result(), None
            except Exception as e:  # a failed task is reported, the others go on
                yield i, None, e

    def worker_pids(self) -> list[int]:
        return list(getattr(self._pool, "_processes", None) or {})

    def close(self, kill: bool = False) -> None:
        """Shut the pool down; with `kill`, stop the running tasks now (each worker's group, ffmpeg included)."""
        groups = self.worker_pids() if kill else []
        for pid in groups:
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self._pool.shutdown(wait=True, cancel_futures=True)
        if groups:  # the workers' ffmpeg too: the caller sweeps temporary files next, nothing may write after that
            _wait_groups_gone(set(groups), timeout=5.0)


class RayExecutor:
    """The same tasks as Ray remote functions. Inputs, outputs and the ledger's driver stay on the driver's
    file system view: on a multi-node cluster the manifest folder must be on storage every node mounts at
    the same path (charges are always recorded by the driver, never by workers)."""

    name = "ray"

    def __init__(self, address: Optional[str] = None, workers: Optional[int] = None):
        try:
            import ray
        except ImportError as e:
            raise InputError("the Ray executor needs Ray: pip install 'captioner[ray]' (or use --executor local)") from e
        self.ray = ray
        self._owns = False
        if not ray.is_initialized():
            kw: dict = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
            if address:
                kw["address"] = address
            elif workers:
                kw["num_cpus"] = workers
            try:
                ray.init(**kw)
            except Exception as e:  # ConnectionError etc.: say what to do
                raise InputError(f"cannot start or reach Ray{' at ' + address if address else ''}: {e}") from e
            self._owns = True
        self.workers = workers
        self._remote: dict = {}

    def run(self, fn: Callable[[Any], Any], tasks: Sequence[Any]) -> Iterator[Outcome]:
        ray = self.ray
        if fn not in self._remote:
            self._remote[fn] = ray.remote(num_cpus=1, max_retries=0)(fn)
        refs = {self._remote[fn].remote(t): i for i, t in enumerate(tasks)}
        pending = list(refs)
        self._pending = pending
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            self._pending = pending
            for ref in done:
                i = refs[ref]
                try:
                    yield i, ray.get(ref), None
                except Exception as e:
                    cause = getattr(e, "cause", None)
                    yield i, None, cause if isinstance(cause, BaseException) else e

    def close(self, kill: bool = False) -> None:
        if kill:
            for ref in getattr(self, "_pending", []):
                try:
                    self.ray.cancel(ref, force=True)
                except Exception:
                    pass
        if self._owns:
            self.ray.shutdown()


def make_executor(kind: str = "local", *, workers: Optional[int] = None, address: Optional[str] = None):
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InputError(f"--workers must be a whole number of at least 1, not {workers!r}")
    if kind == "local":
        if address:
            raise InputError("--address is for --executor ray")
        return LocalExecutor(workers)
    if kind == "ray":
        return RayExecutor(address, workers)
    raise InputError(f"unknown executor {kind!r}: use local (default) or ray")
