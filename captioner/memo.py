"""A small memo shared between threads: the last few results of an expensive computation, keyed.

Used where two parts of the pipeline ask for the same result at about the same time (the recogniser's two
passes for an encoder window, the price judge and the aligner for the phone model's emissions of an ad,
prefetched while the recogniser runs): a key that one thread is computing is waited for by the others,
never computed twice; a failure is handed to the waiters and not kept.
"""
from __future__ import annotations

import concurrent.futures
import threading
from typing import Callable, Hashable, TypeVar

T = TypeVar("T")


class SharedMemo:
    """The last `size` results (a result being computed counts), least recently used dropped first."""

    def __init__(self, size: int):
        self.size = size
        self.hits = 0
        self._lock = threading.Lock()
        self._memo: dict[Hashable, concurrent.futures.Future] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            fut = self._memo.pop(key, None)
            mine = fut is None
            if mine:
                fut = concurrent.futures.Future()
            else:
                self.hits += 1
            self._memo[key] = fut  # most recent last
            while len(self._memo) > self.size:
                self._memo.pop(next(iter(self._memo)))
        if not mine:
            return fut.result()
        try:
            out = compute()
        except BaseException as e:
            with self._lock:
                if self._memo.get(key) is fut:
                    del self._memo[key]
            fut.set_exception(e)
            raise
        fut.set_result(out)
        return out

    def clear(self) -> None:
        with self._lock:
            self._memo.clear()
