"""The job contract without media: RenderJob validation, the OutputSet (clashes, commit and rollback, stale
temporary files), signals, and the fixed vocabularies (enums) against every place that uses them."""
from __future__ import annotations

import errno
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from captioner import job as jobmod
from captioner.errors import InputError, OutputError
from captioner.job import Interrupted, OutputSet, RenderJob, clean_stale, interruptible, output_paths
from captioner.presets import load_preset
from captioner.types import Backend, FindingKind, OnMismatch, SafeZone, Tier

ROOT = Path(__file__).resolve().parent.parent


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


# -- RenderJob validation: one line per bad value, before any work -------------------------------------------

@pytest.mark.parametrize("field,value,needle", [
    ("safe_zone", "tiktokk", "unknown safe-zone 'tiktokk': use one of tiktok, reels, shorts, all, none"),
    ("asr", "wav2vec", "unknown asr 'wav2vec': use one of whisper, diffusion"),
    ("on_mismatch", "ignore", "unknown on-mismatch 'ignore': use one of flag, fail"),
    ("language", "xx", "unknown or unsupported language code 'xx'"),
    ("out", "a.avi", "must end in .mp4"),
    ("preview", {"seconds": 60}, "a free preview is at most 10 s and 360 px"),
    ("preview", {"short_side": 1080}, "a free preview is at most 10 s and 360 px"),
])
def test_bad_job_fields_are_one_actionable_line(tmp_path, field, value, needle):
    fields = dict(video=tmp_path / "v.mp4", preset=load_preset("karaoke"), out=tmp_path / "o.mp4")
    fields[field] = value
    with pytest.raises(InputError) as ei:
        RenderJob.build(**fields)
    assert needle in str(ei.value) and "\n" not in str(ei.value)


def test_a_preview_is_never_billed(tmp_path):
    with pytest.raises(InputError, match="never billed"):
        RenderJob.build(video=tmp_path / "v.mp4", preset=load_preset("karaoke"), out=tmp_path / "o.mp4",
                        preview={"seconds": 5}, billed=True, account="a")


def test_preview_has_no_sidecars_and_caption_has_all(tmp_path):
    base = dict(video=tmp_path / "v.mp4", preset=load_preset("karaoke"), out=tmp_path / "o.mp4")
    assert set(RenderJob.build(**base).outputs) == {"video", "ass", "srt", "vtt", "json"}
    assert set(RenderJob.build(**base, preview={"seconds": 3}).outputs) == {"video"}


# -- the output set -------------------------------------------------------------------------------------------

def test_outputs_resolving_to_inputs_are_refused(tmp_path):
    video, script = tmp_path / "ad.mp4", tmp_path / "promo.srt"
    video.write_bytes(b"video")
    script.write_text("script")
    protect = {"video": video, "script": script}
    with pytest.raises(InputError, match="would overwrite the input script"):
        OutputSet(output_paths(tmp_path / "promo.mp4"), protect=protect)
    link = tmp_path / "link.mp4"
    link.symlink_to(video)  # the output is a symlink to the input video
    with pytest.raises(InputError, match="would overwrite the input video"):
        OutputSet(output_paths(link), protect=protect)
    os.link(script, tmp_path / "hard.srt")  # a hard link: another name, the same file
    with pytest.raises(InputError, match="would overwrite the input script"):
        OutputSet(output_paths(tmp_path / "hard.mp4"), protect=protect)
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        OutputSet(output_paths(tmp_path / "dir.mp4"))
    assert video.read_bytes() == b"video" and script.read_text() == "script"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ad.mp4", "dir.json", "hard.srt", "link.mp4", "promo.srt"]


def _stage(outs: OutputSet, text: str) -> None:
    for k in outs.tmp:
        outs.write_text(k, f"{text} {k}")


def test_commit_swaps_and_a_failed_rename_keeps_the_previous_outputs(tmp_path, monkeypatch):
    paths = output_paths(tmp_path / "a.mp4")
    first = OutputSet(paths)
    _stage(first, "v1")
    first.commit()
    before = {k: p.read_text() for k, p in paths.items()}
    # the first set's files are ours (the ledger records a render's outputs; here they are stand-ins, not a sidecar)
    second = OutputSet(paths, owned={str(p.resolve()) for p in paths.values()})
    _stage(second, "v2")
    real, calls = os.replace, []

    def replace(src, dst):  # the disk fills up while the JSON (the last output) is moved into place
        calls.append(Path(dst).name)
        if str(src).endswith(".part") and Path(dst).name == "a.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(jobmod.os, "replace", replace)
    with pytest.raises(OutputError, match="No space left on device.*previous outputs were kept"):
        second.commit()
    monkeypatch.setattr(jobmod.os, "replace", real)
    second.discard()
    assert "a.mp4" in calls and "a.vtt" in calls  # the others had been swapped in before the failure
    assert {k: p.read_text() for k, p in paths.items()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths.values())  # no .part/.old


def test_stale_temporary_files_of_our_names_are_removed_at_the_next_start(tmp_path):
    dead, live = dead_pid(), os.getpid()
    (tmp_path / "a.json").unlink(missing_ok=True)
    stale = [f".a.mp4.{dead}-0123abcd.part", f".a.srt.{dead}-0123abcd.part"]
    old_backup = f".a.json.{dead}-0123abcd.old"  # a commit killed half-way: the previous JSON is put back
    kept = [f".a.mp4.{live}-89abcdef.part",  # a live process's temp file
            f".other.mp4.{dead}-0123abcd.part",  # not one of our names
            "notes.part"]
    for name in stale + kept:
        (tmp_path / name).write_text("x")
    (tmp_path / old_backup).write_text("previous json")
    OutputSet(output_paths(tmp_path / "a.mp4"))
    names = {p.name for p in tmp_path.iterdir()}
    assert not names & set(stale) and old_backup not in names
    assert (tmp_path / "a.json").read_text() == "previous json"
    assert set(kept) <= names
    assert clean_stale([tmp_path / "a.mp4"]) == 0


@pytest.fixture
def default_term_hup():
    """SIGTERM and SIGHUP at their defaults and unblocked for the test (a runner started under nohup or by a CI
    harness may pass them on ignored or blocked)."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}  # another library (Ray) may own them
    for sig in before:
        signal.signal(sig, signal.SIG_DFL)
    mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, set(before))
    yield
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    for sig, h in before.items():
        signal.signal(sig, h)


def test_sigterm_and_sighup_raise_interrupted_inside_a_job(default_term_hup):
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with pytest.raises(Interrupted) as ei:
            with interruptible():
                os.kill(os.getpid(), sig)
                for _ in range(1000):
                    pass
        assert ei.value.signum == sig and isinstance(ei.value, KeyboardInterrupt)
        assert signal.getsignal(sig) == signal.SIG_DFL  # restored afterwards


def test_a_job_started_under_nohup_goes_on_after_a_hangup(default_term_hup):
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    with interruptible():
        os.kill(os.getpid(), signal.SIGHUP)  # the terminal closes
        for _ in range(1000):
            pass
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        with pytest.raises(Interrupted):  # SIGTERM still stops it
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):
                pass
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN


def test_a_signal_pending_when_the_charge_starts_is_acted_on_after_it(default_term_hup):
    from captioner.job import signals_deferred

    sigint = signal.getsignal(signal.SIGINT)
    with pytest.raises(Interrupted):
        with interruptible():
            with signals_deferred():
                os.kill(os.getpid(), signal.SIGHUP)
                for _ in range(1000):
                    pass
                done = True  # the block ran to its end first
    assert done and signal.getsignal(signal.SIGHUP) == signal.SIG_DFL and signal.getsignal(signal.SIGINT) == sigint


# -- fixed vocabularies --------------------------------------------------------------------------------------

def test_every_finding_kind_in_the_code_is_in_the_enum():
    kinds = set()
    for f in (ROOT / "captioner").rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        kinds |= set(re.findall(r"Finding\(\s*kind=\"([a-z_]+)\"", text))
        kinds |= set(re.findall(r"kind = \"([a-z_]+)\" if", text)) | set(re.findall(r"else \"([a-z_]+_(?:fixed|mismatch))\"", text))
    assert {"price_mismatch", "number_mismatch", "ad_lib", "claim_verified", "no_speech"} <= kinds
    missing = kinds - {k.value for k in FindingKind}
    assert not missing, f"add these finding kinds to types.FindingKind: {sorted(missing)}"


def test_enums_match_the_tables_that_use_them():
    from captioner.asr import BACKENDS
    from captioner.billing import PRICES_MILLI
    from captioner.hint import ON_MISMATCH
    from captioner.layout import SAFE_ZONES

    assert [t.value for t in Tier] == list(PRICES_MILLI)
    assert [b.value for b in Backend] == list(BACKENDS)
    assert {z.value for z in SafeZone} == set(SAFE_ZONES)
    assert [m.value for m in OnMismatch] == list(ON_MISMATCH)
    assert Tier.dynamic == "dynamic" and f"{Tier.basic}" == "basic"  # StrEnum: compares and prints as its value


def test_a_zombie_owner_counts_as_gone():
    """Temp files of a killed process that nobody reaped yet (a zombie) are stale, as after a container's init
    leaves orphans unreaped."""
    import subprocess
    import sys
    import time

    from captioner.job import _pid_alive

    p = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.time() + 10
    while time.time() < deadline:  # exited, not reaped: a zombie
        with open(f"/proc/{p.pid}/stat") as f:
            if f.read().rsplit(")", 1)[-1].split()[0] == "Z":
                break
        time.sleep(0.02)
    try:
        assert not _pid_alive(p.pid)
        assert _pid_alive(os.getpid())
    finally:
        p.wait()
    assert not _pid_alive(p.pid)
