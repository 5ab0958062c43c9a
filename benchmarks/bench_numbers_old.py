"""bench_numbers.py with an older judge: the anchor for the price judge, on the same ads and the same ASR.

Replaces `captioner.verify.verify_numbers` by the one of an earlier commit (default 596e885: the Whisper-PMI
acoustic check before the price judge, read with `git show`), then runs `bench_numbers.main()` with the
given arguments. Recognition (cached on disk), correction and alignment are today's: only the judge differs.

Usage: python benchmarks/bench_numbers_old.py [--commit 596e885] <bench_numbers.py arguments>
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    args = sys.argv[1:]
    commit = "596e885"
    if args[:1] == ["--commit"]:
        commit, args = args[1], args[2:]
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:captioner/verify.py"], check=True,
                         capture_output=True, text=True).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(src)
    spec = importlib.util.spec_from_file_location("captioner.verify_old", f.name)
    old = importlib.util.module_from_spec(spec)
    sys.modules["captioner.verify_old"] = old
    spec.loader.exec_module(old)
    Path(f.name).unlink()

    import captioner.verify as cur

    cur.verify_numbers = lambda audio, words, findings, language, reference=None, **kw: old.verify_numbers(
        audio, words, findings, language)
    import bench_numbers

    sys.argv = ["bench_numbers.py"] + args
    bench_numbers.main()


if __name__ == "__main__":
    main()
