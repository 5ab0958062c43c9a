"""Scale-out: `captioner serve --executor ray` runs the same jobs in Ray actors (a local Ray here); the store stays
the queue of record and the ledger the same. A job completes and is charged once; a cancel stops a running job at
the next stage boundary with nothing charged; stopping the server ends the actors."""
from __future__ import annotations

import os
import time

import pytest

from .conftest import EXAMPLE, ffmpeg
from .service_util import Server, add_credits, client, create_key, ledger_entries, wait_stage, wait_state

SCRIPT = (EXAMPLE / "script.txt").read_text(encoding="utf-8")

try:
    import ray  # noqa: F401

    HAVE_RAY = True
except ImportError:
    HAVE_RAY = False

IN_CI = os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_RAY and not IN_CI, reason="Ray is not installed (pip install -e '.[ray]')")
def test_jobs_run_on_ray_actors(tmp_path):
    data = tmp_path / "data"
    key = create_key(data, "acme")
    add_credits(data, "acme", "5")
    short = tmp_path / "short.mp4"
    ffmpeg("-i", str(EXAMPLE / "video.mp4"), "-t", "4", "-c", "copy", str(short))
    server = Server(data, "--executor", "ray", "--workers", "1", "--rate", "50", "--burst", "100").start(timeout=180)
    try:
        c = client(server, key)
        deadline = time.monotonic() + 180
        while c.get("/healthz").json()["ready"] < 1:  # the actor has loaded the model
            assert time.monotonic() < deadline, "the Ray actor never became ready"
            time.sleep(0.5)
        with open(short, "rb") as f:
            jid = c.post("/v1/jobs", files={"video": ("a.mp4", f, "video/mp4")},
                         data={"script": SCRIPT, "language": "en", "preset": "classic"}).json()["id"]
        done = wait_state(c, jid)
        assert done["state"] == "done", done
        assert done["receipt"]["charged"] and done["receipt"]["credits"] == 0.4
        assert c.get(f"/v1/jobs/{jid}/outputs/mp4").status_code == 200
        # cancel a running job: seen at the next stage boundary, nothing charged
        with open(EXAMPLE / "video.mp4", "rb") as f:
            jid2 = c.post("/v1/jobs", files={"video": ("a.mp4", f, "video/mp4")},
                          data={"script": SCRIPT, "language": "en", "preset": "bounce"}).json()["id"]
        wait_stage(c, jid2, {"audio", "asr"})
        assert c.delete(f"/v1/jobs/{jid2}").status_code == 202
        assert wait_state(c, jid2, timeout=180)["state"] == "canceled"
        charges = [e for e in ledger_entries(data, "acme") if e["kind"] == "charge"]
        assert [e["idempotency_key"] for e in charges] == [f"svc-{jid}"]
    finally:
        server.stop()
    assert server.proc.returncode is not None
