"""Cores per process: a batch or service worker sizes its models' threads to its share of the machine, and the price
judge's numpy BLAS runs at the thread count it asks for (threadpoolctl on the OpenBLAS numpy really loaded)."""
from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from captioner import cpu


def _blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_blas_limit_holds_inside_and_is_restored_after():
    before = _blas_threads()
    assert before, "numpy loaded no BLAS that threadpoolctl can see"
    with cpu.blas(1):
        assert _blas_threads() == [1] * len(before)
        a = np.ones((64, 64), np.float32)
        assert float((a @ a)[0, 0]) == 64.0
    assert _blas_threads() == before


def test_share_is_all_cores_unless_set(monkeypatch):
    monkeypatch.setattr(cpu, "_share", None)
    monkeypatch.delenv(cpu.SHARE_ENV, raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert cpu.share() == cpu.available() >= 1
    monkeypatch.setenv(cpu.SHARE_ENV, "1")
    assert cpu.share() == 1
    monkeypatch.setenv(cpu.SHARE_ENV, "nonsense")
    assert cpu.share() == cpu.available()
    monkeypatch.delenv(cpu.SHARE_ENV)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # a scheduler's word (Ray sets it to a task's CPUs)
    assert cpu.share() == 1
    assert cpu.share_of(10_000) == 1 and cpu.share_of(1) == cpu.available()


def _worker_view(_):
    from captioner import cpu as c
    from captioner.asr.whisper import default_layout, default_threads

    return c.share(), default_threads(), default_layout()


def _views(ex) -> list:
    """`_worker_view` in two tasks of executor `ex` (closed after)."""
    try:
        return [r for _, r, e in ex.run(_worker_view, [0, 1]) if e is None]
    finally:
        ex.close()


def test_batch_pool_workers_get_their_share_of_the_cores():
    """A `captioner batch` pool of N workers: each sizes the recogniser's threads to cores // N, not to all cores."""
    from captioner.distributed import LocalExecutor

    n = cpu.available()
    if n < 2:
        pytest.skip("one core: every share is 1")
    out = _views(LocalExecutor(workers=2))
    assert len(out) == 2
    for share, threads, layout in out:
        assert share == threads == n // 2
        assert layout == ((max(1, n // 4), 2) if n // 2 >= 2 else (1, 1))


def test_judge_scores_the_same_side_by_side_and_one_after_the_other(monkeypatch):
    """The judge's two scorings (audio, silence) side by side on two threads give the values of one after the other."""
    from captioner import verify
    from captioner.asr.whisper import load_judge_model
    from captioner.media import load_audio

    from .conftest import EXAMPLE

    model = load_judge_model()
    audio = load_audio(EXAMPLE / "video.mp4")[: 16000 * 6]
    wit = verify.WhisperWitness(model, "en")
    enc, null, _ = wit._encode(audio)
    wa, wb = model.window(enc), model.window(null)
    start = list(wit.tokenizer.sot_sequence) + [wit.tokenizer.no_timestamps]
    seqs = [wit.tokens(t) for t in ("glow in a bottle", "forty nine dollars", "only forty dollars today")]
    monkeypatch.setattr(cpu, "_share", 2)
    a2, b2 = verify._score_pair(wa, wb, start, seqs)
    monkeypatch.setattr(cpu, "_share", 1)
    a1, b1 = verify._score_pair(wa, wb, start, seqs)
    assert np.allclose(a1, a2, atol=1e-3) and np.allclose(b1, b2, atol=1e-3)
    assert not np.allclose(a1, b1, atol=1e-1)  # the audio's and silence's scores are different things


def test_ray_tasks_take_their_cpus_as_their_share():
    """`captioner batch --executor ray`: each task reserves one CPU; its process sizes its threads to that."""
    pytest.importorskip("ray")
    from captioner.distributed import RayExecutor

    if cpu.available() < 2:
        pytest.skip("one core: every share is 1")
    out = _views(RayExecutor(workers=2))
    assert len(out) == 2 and all(share == threads == 1 for share, threads, _ in out), out
