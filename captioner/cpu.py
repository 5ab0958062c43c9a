"""How many cores this process may use, and numpy's BLAS threads kept to that.

A batch export runs one process per core (`distributed.LocalExecutor`), the service one per `--workers`; each
loads its own Whisper models. Left alone, every process sizes its thread pools for the whole machine: the recogniser's
CTranslate2 threads and the price judge's numpy (OpenBLAS) threads. OpenBLAS threads spin while they wait, so
oversubscribed cores are not shared but wasted: two judges of one Hindi ad side by side on 2 cores took 65 s each,
against 15.8 s for one alone (measured 2026-12-02, docs/BENCHMARKS.md "The price judge on shared cores").
So a worker process is given its share of the cores (`set_share`), the recogniser sizes its threads by `share()`,
and the judge runs its BLAS work inside `blas(n)`. A process a scheduler started with `OMP_NUM_THREADS` set (Ray
sets it to a task's CPUs) takes that as its share too.

threadpoolctl (BSD-3) does the BLAS part: it finds the OpenBLAS that numpy loaded and sets its thread count at run
time, which environment variables cannot do once numpy is imported.
"""
from __future__ import annotations

import contextlib
import os
from typing import Iterator, Optional

_share: Optional[int] = None
SHARE_ENV = "CAPTIONER_CPU_SHARE"


def available() -> int:
    """Cores this process may run on (its CPU affinity, as `taskset` or a container limits it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def share() -> int:
    """Cores this process should use: its share when it is one of several workers, else all it may run on."""
    if _share is not None:
        return _share
    for name in (SHARE_ENV, "OMP_NUM_THREADS"):  # OMP_NUM_THREADS: what a scheduler gave (Ray: a task's CPUs)
        raw = os.environ.get(name, "").strip()
        if raw.isdigit() and int(raw) > 0:
            return min(int(raw), available())
    return available()


def set_share(n: int) -> int:
    """This process is one of several workers: use `n` cores (at least 1). Set before a model is loaded."""
    global _share
    _share = max(1, min(int(n), available()))
    os.environ[SHARE_ENV] = str(_share)  # processes it spawns inherit it
    return _share


def share_of(workers: int) -> int:
    """Each of `workers` processes' share of this machine's cores."""
    return max(1, available() // max(1, int(workers)))


@contextlib.contextmanager
def blas(threads: int) -> Iterator[None]:
    """numpy's BLAS limited to `threads` threads inside the block (process-wide: call it from one thread only)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency; without it numpy keeps its own setting
        yield
        return
    with threadpool_limits(limits=max(1, int(threads)), user_api="blas"):
        yield
