"""Load test of the caption service on loopback: N concurrent jobs vs N CLI runs of the same renders, same run.

The service arm starts `captioner serve` (embedded default: SQLite + files, `--workers W` render processes), waits
until its workers have loaded the model (a once-per-server cost, reported separately), then submits N multipart
jobs at once from N client threads and polls until every job has ended. The anchor arm runs the same N renders as
`captioner caption … --account bench --ledger L` processes, `--cli-parallel P` at a time (P=2 on 2 cores: the best
the CLI can do here; P=1 also on request). Both arms bill through a ledger, both render the same ad with the same
rotation of presets.

Reported: wall time of each arm and their ratio (service / best CLI; goal ≤ 1.15), jobs per minute, p50/p95 time
from submission to done, integrity (every job done, one charge per job, ledger total = the quotes, no holds left),
peak RSS of the API process and of API + render workers, sampled every 0.25 s.

    .venv/bin/python benchmarks/bench_service.py                 # 20 jobs, 2 workers, CLI 2 at a time
    .venv/bin/python benchmarks/bench_service.py --jobs 6 --cli-parallel 1,2
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import ROOT, save, table  # noqa: E402

EXAMPLE = ROOT / "examples" / "ad-en-01"
PRESETS = ["karaoke", "classic", "bounce", "yellow-highlight", "pop-in"]
PRICES = {"karaoke": 0, "classic": 400, "bounce": 800, "yellow-highlight": 400, "pop-in": 800}


def rss_kb(pid: int) -> int:
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = open(f"/proc/{d}/stat").read()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    return out


class Sampler:
    """Peak RSS of a process and of it + its descendants, sampled in a thread."""

    def __init__(self, pid: int, period: float = 0.25):
        self.pid, self.period = pid, period
        self.peak_self = self.peak_tree = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            tree, todo = 0, [self.pid]
            while todo:
                p = todo.pop()
                tree += rss_kb(p)
                todo.extend(children(p))
            self.peak_self = max(self.peak_self, rss_kb(self.pid))
            self.peak_tree = max(self.peak_tree, tree)
            self._stop.wait(self.period)

    def stop(self):
        self._stop.set()
        self._t.join()


def cli(*args, **kw):
    return subprocess.run([sys.executable, "-m", "captioner", *args], capture_output=True, text=True, cwd=ROOT, **kw)


def cli_arm(n: int, parallel: int, work: Path) -> dict:
    ledger = work / f"cli-ledger-{parallel}.sqlite3"
    assert cli("credits", "add", "100", "--account", "bench", "--ledger", str(ledger)).returncode == 0
    outs = work / f"cli-{parallel}"
    outs.mkdir(parents=True, exist_ok=True)
    peaks: list[int] = []

    def one(i: int) -> float:
        t = time.perf_counter()
        with open(outs / f"ad-{i}.log", "wb") as log:
            p = subprocess.Popen([sys.executable, "-m", "captioner", "caption", str(EXAMPLE / "video.mp4"), "--script",
                                  str(EXAMPLE / "script.txt"), "--language", "en", "--preset", PRESETS[i % len(PRESETS)],
                                  "--out", str(outs / f"ad-{i}.mp4"), "--account", "bench", "--ledger", str(ledger),
                                  "--quiet"], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
            _, status, usage = os.wait4(p.pid, 0)  # this run's own peak RSS
            p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            raise RuntimeError((outs / f"ad-{i}.log").read_text()[-2000:])
        peaks.append(usage.ru_maxrss)
        return time.perf_counter() - t

    t0 = time.perf_counter()
    with ThreadPoolExecutor(parallel) as pool:
        each = list(pool.map(one, range(n)))
    wall = time.perf_counter() - t0
    con = sqlite3.connect(str(ledger))
    charged = -con.execute("SELECT COALESCE(SUM(millicredits), 0) FROM entries WHERE kind = 'charge'").fetchone()[0]
    con.close()
    return {"parallel": parallel, "wall_s": round(wall, 2), "per_run_median_s": round(statistics.median(each), 2),
            "charged_milli": charged, "peak_rss_mb_one_run": round(max(peaks) / 1024, 1)}


def service_arm(n: int, workers: int, work: Path) -> dict:
    import httpx

    data = work / "svc"
    key = cli("keys", "create", "--account", "bench", "--data", str(data)).stdout.strip()
    assert cli("credits", "add", "100", "--account", "bench", "--ledger", str(data / "ledger.sqlite3")).returncode == 0
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(work / "server.log", "wb")
    t_start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "captioner", "serve", "--data", str(data), "--port", str(port),
                             "--workers", str(workers), "--rate", "0", "--log-level", "warning"],
                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                h = httpx.get(base + "/healthz", timeout=2).json()
                if h["ready"] == workers:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                raise RuntimeError((work / "server.log").read_text()[-2000:])
            time.sleep(0.2)
        startup = time.perf_counter() - t_start
        sampler = Sampler(proc.pid)
        c = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=120)
        video = (EXAMPLE / "video.mp4").read_bytes()
        script = (EXAMPLE / "script.txt").read_text(encoding="utf-8")

        def submit(i: int) -> str:
            r = c.post("/v1/jobs", files={"video": ("ad.mp4", video, "video/mp4")},
                       data={"script": script, "language": "en", "preset": PRESETS[i % len(PRESETS)]})
            r.raise_for_status()
            return r.json()["id"]

        t0 = time.time()
        with ThreadPoolExecutor(n) as pool:
            ids = list(pool.map(submit, range(n)))
        submitted = time.time() - t0
        while True:
            jobs = {j["id"]: j for j in c.get("/v1/jobs", params={"limit": 200}).json()["data"]}
            if all(jobs[i]["state"] in ("done", "failed", "canceled") for i in ids):
                break
            time.sleep(0.5)
        sampler.stop()
        wall = max(jobs[i]["finished_at"] for i in ids) - t0
        to_done = sorted(jobs[i]["finished_at"] - jobs[i]["created_at"] for i in ids)
        states = [jobs[i]["state"] for i in ids]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    con = sqlite3.connect(str(data / "ledger.sqlite3"))
    charges = con.execute("SELECT idempotency_key, millicredits FROM entries WHERE kind = 'charge'").fetchall()
    holds = con.execute("SELECT COUNT(*) FROM holds").fetchone()[0]
    con.close()
    keys = [k for k, _ in charges]
    expected = sum(PRICES[PRESETS[i % len(PRESETS)]] for i in range(n))
    return {"workers": workers, "startup_s": round(startup, 2), "submit_s": round(submitted, 2), "wall_s": round(wall, 2),
            "done": states.count("done"), "failed": states.count("failed"),
            "p50_to_done_s": round(statistics.median(to_done), 2),
            "p95_to_done_s": round(to_done[min(len(to_done) - 1, int(round(0.95 * (len(to_done) - 1))))], 2),
            "charges": len(charges), "distinct_charge_keys": len(set(keys)), "charged_milli": -sum(m for _, m in charges),
            "expected_milli": expected, "holds_left": holds,
            "peak_rss_api_mb": round(sampler.peak_self / 1024, 1), "peak_rss_total_mb": round(sampler.peak_tree / 1024, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cli-parallel", default="2", help="comma-separated CLI concurrencies to measure (anchor: the fastest)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-service-"))
    try:
        load0 = os.getloadavg()
        svc = service_arm(args.jobs, args.workers, work)
        clis = [cli_arm(args.jobs, int(p), work) for p in args.cli_parallel.split(",")]
        load1 = os.getloadavg()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    anchor = min(clis, key=lambda r: r["wall_s"])
    ratio = round(svc["wall_s"] / anchor["wall_s"], 3)
    ok = (svc["done"] == args.jobs and svc["charges"] == svc["distinct_charge_keys"] == args.jobs
          and svc["charged_milli"] == svc["expected_milli"] and svc["holds_left"] == 0)
    rows = [[f"service ({svc['workers']} workers)", args.jobs, svc["wall_s"], round(60 * args.jobs / svc["wall_s"], 1),
             svc["p50_to_done_s"], svc["p95_to_done_s"], svc["peak_rss_total_mb"]]]
    for r in clis:
        rows.append([f"CLI, {r['parallel']} at a time", args.jobs, r["wall_s"], round(60 * args.jobs / r["wall_s"], 1),
                     "", "", r["peak_rss_mb_one_run"]])
    print(table(rows, ["arm", "jobs", "wall s", "jobs/min", "p50 to done s", "p95 to done s", "peak RSS MB"]))
    print(f"\nservice / best CLI = {ratio}× (goal ≤ 1.15); integrity {'OK' if ok else 'FAILED'}: {svc['done']} done, "
          f"{svc['charges']} charges on {svc['distinct_charge_keys']} keys, {svc['charged_milli']} of {svc['expected_milli']} "
          f"milli-credits, {svc['holds_left']} holds left; API process peak RSS {svc['peak_rss_api_mb']} MB; "
          f"server start-up (workers loading the model) {svc['startup_s']} s; load average {load0[0]:.1f} → {load1[0]:.1f}")
    path = save("service", {"jobs": args.jobs, "service": svc, "cli": clis, "ratio_vs_best_cli": ratio, "integrity_ok": ok,
                            "loadavg_before": load0, "loadavg_after": load1})
    print(f"wrote {path}")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
