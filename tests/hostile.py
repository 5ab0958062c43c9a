"""Helpers for the hostile-user tests: a short real ad clip, its recognition done once, and process checks."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from .conftest import FIXTURES, ffmpeg

AD = FIXTURES / "media" / "ad-en-02"  # synthetic English voice-over (see tests/fixtures/README.md)
SCRIPT = "I switched to Brewvana cold brew pods and never looked back."  # what the first 4.2 s of it say


def make_clip(out: Path, *, seconds: float = 4.2, size: str = "240x426", color: str = "0x2a4d69",
              codec: list[str] | None = None) -> Path:
    """A real ad clip: flat colour + a moving box, the first `seconds` of ad-en-02's voice-over as AAC."""
    w = int(size.split("x")[0])
    ffmpeg("-f", "lavfi", "-i", f"color=c={color}:size={size}:rate=30:duration={seconds}", "-i", str(AD / "audio.flac"),
           "-filter_complex", f"[0:v]drawbox=x='mod(t*40,{max(1, w - 40)})':y=20:w=40:h=40:color=white:t=fill[v];"
                              f"[1:a]atrim=0:{seconds},apad[a]",
           "-map", "[v]", "-map", "[a]", "-t", str(seconds),
           *(codec or ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]), "-c:a", "aac", "-b:a", "64k", str(out))
    return out


def recognised(clip: Path, script: str = SCRIPT):
    """The recognition stages run once on the clip (real Whisper): reused by tests through `run_job(asr=…)`."""
    from captioner.job import recognise_job
    from captioner.pipeline import caption_job

    return recognise_job(caption_job(clip, script, out=clip.with_name("unused.mp4"), language="en"))


def names(folder: Path) -> list[str]:
    """Every entry in `folder`, hidden temp files included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def cli(*args: str, env: dict | None = None, timeout: float = 600, cwd: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "captioner", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=cwd)


def one_line_error(proc: subprocess.CompletedProcess, code: int, *needles: str) -> str:
    err = proc.stderr.strip()
    assert proc.returncode == code, (proc.returncode, proc.stdout, err)
    assert err.startswith("captioner: error:") and "Traceback" not in err and len(err.splitlines()) == 1, err
    for n in needles:
        assert n in err, (n, err)
    return err


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains `text` (ffmpeg writing into a test folder, workers …)."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = (d / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            continue
        if text in cmd and state != "Z":
            out.append(int(d.name))
    return out


def children_of(pid: int) -> list[int]:
    """Every live descendant of `pid` (from /proc stat ppid links)."""
    parent: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().split(")")[-1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parent[int(d.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        p = frontier.pop()
        for c, pp in parent.items():
            if pp == p:
                found.append(c)
                frontier.append(c)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until(cond, timeout: float, step: float = 0.05) -> bool:
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(step)
    return bool(cond())


def default_signals() -> None:
    """preexec_fn for a child that must see Ctrl-C, SIGTERM and SIGHUP as a terminal's user would: a test runner
    started in the background (nohup, `&`, a CI harness) may pass these on ignored or blocked, and the child then
    (rightly) never acts on them — ignored SIGINT is never KeyboardInterrupt, ignored SIGHUP is nohup's promise."""
    import signal

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


def signal_state(pid: int) -> str:
    """The signal masks of a running process (Linux /proc), for a failing signal test's message."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            return " ".join(line.strip().replace(":\t", "=") for line in f if line.startswith(("SigBlk", "SigIgn", "SigCgt", "SigPnd", "ShdPnd")))
    except OSError:
        return "(gone)"
