"""Batch export end to end: real ffmpeg renders, real Whisper (once), a real SQLite ledger, resumes and crashes."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from captioner.batch import CACHE_DIR, ManifestError, load_manifest, run_batch
from captioner.billing import PRICES_MILLI, Ledger, format_credits
from captioner.errors import BillingError
from captioner.media import probe

from .conftest import FIXTURES, ffmpeg

AD = FIXTURES / "media" / "ad-en-02"  # synthetic English voice-over (see tests/fixtures/README.md)
BATCH_FIX = FIXTURES / "batch"
SECONDS = 15.0
PRESETS = ["karaoke", "basic-test.yaml", "dynamic-test.yaml"]


def make_ad(out: Path, color: str = "0x2a4d69") -> Path:
    """A 15 s 360×640 ad: flat colour + moving box, the voice-over padded with silence to 15 s."""
    ffmpeg("-f", "lavfi", "-i", f"color=c={color}:size=360x640:rate=30:duration={SECONDS}", "-i", str(AD / "audio.flac"),
           "-filter_complex", "[0:v]drawbox=x='mod(t*60,300)':y=420:w=60:h=60:color=white:t=fill[v];[1:a]apad[a]",
           "-map", "[v]", "-map", "[a]", "-t", str(SECONDS), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-b:a", "64k", str(out))
    return out


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("batch-media")
    make_ad(d / "ad.mp4")
    make_ad(d / "ad-alt.mp4", color="0x69304d")  # other visuals, same voice-over
    return d


def project(tmp: Path, media: Path, variants: list[dict], **top) -> Path:
    """A manifest folder: the videos, the script, the test presets and batch.yaml."""
    for f in ("ad.mp4", "ad-alt.mp4"):
        shutil.copy(media / f, tmp / f)
    shutil.copy(AD / "script.txt", tmp / "script.txt")
    for f in BATCH_FIX.glob("*.yaml"):
        shutil.copy(f, tmp / f.name)
    doc = {"output_dir": "out", "defaults": {"script": "script.txt", "language": "en"}, "variants": variants, **top}
    (tmp / "batch.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return tmp / "batch.yaml"


def twenty_variants() -> list[dict]:
    vs = []
    for i in range(20):
        vs.append({"output": f"v{i:02d}", "video": "ad.mp4" if i % 2 == 0 else "ad-alt.mp4", "preset": PRESETS[i % 3]})
    return vs


def valid_mp4(path: Path) -> bool:
    info = probe(path)
    return info.has_audio and abs(info.duration - SECONDS) < 0.5 and (info.width, info.height) == (360, 640)


def charges(ledger: Ledger, account: str) -> list:
    return [e for e in ledger.history(account) if e.kind == "charge"]


@pytest.fixture(scope="module")
def first_batch(tmp_path_factory, media):
    """The 20-variant batch, run once for the module (ASR runs here, once)."""
    tmp = tmp_path_factory.mktemp("batch20")
    manifest = project(tmp, media, twenty_variants(), account="acme")
    ledger = Ledger(tmp / "ledger.sqlite3")
    ledger.top_up("acme", 20_000)
    from captioner.batch import quote

    m = load_manifest(manifest)
    q = quote(m)
    result = run_batch(manifest, ledger=ledger, workers=2, progress=False)
    return tmp, manifest, ledger, q, result


@pytest.mark.slow
def test_twenty_variants_charged_flat_prices_total_equals_quote(first_batch):
    tmp, manifest, ledger, q, result = first_batch
    assert result.ok, [(v.output, v.error) for v in result.variants if v.error]
    assert len(result.variants) == 20
    # ASR once: two video files, one voice-over, one script, one language
    assert result.asr_groups == 1 and result.asr_computed == 1
    assert len(list((tmp / "out" / CACHE_DIR).glob("asr-*.json"))) == 1
    cs = charges(ledger, "acme")
    assert len(cs) == 20 and len({c.idempotency_key for c in cs}) == 20
    for v, c in zip(result.variants, sorted(cs, key=lambda c: [x.key for x in result.variants].index(c.idempotency_key))):
        assert -c.millicredits == PRICES_MILLI[v.tier] == v.millicredits  # flat price, whatever the length
    expected = sum(PRICES_MILLI[t] for t in (["karaoke", "basic", "dynamic"] * 7)[:20])
    assert q["millicredits"] == expected == result.charged_millicredits == 20_000 - ledger.balance("acme")
    for v in result.variants:
        assert valid_mp4(Path(v.outputs["video"]))
        side = json.loads(Path(v.outputs["json"]).read_text())
        assert side["receipt"]["idempotency_key"] == v.key and side["receipt"]["charged"] is True
        assert side["receipt"]["millicredits"] == PRICES_MILLI[v.tier]
    # report: JSON + HTML contact sheet with a thumbnail per output
    rep = json.loads((tmp / "out" / "batch-report.json").read_text())
    assert rep["charged_millicredits"] == expected and len(rep["variants"]) == 20
    html = (tmp / "out" / "contact-sheet.html").read_text()
    for v in result.variants:
        assert Path(v.thumb).is_file() and Path(v.thumb).stat().st_size > 500
        assert f'thumbs/{v.output}.jpg' in html
    assert "correction_summary" in html or all(not v.findings for v in result.variants)
    assert not list((tmp / "out").glob(".*.part"))


@pytest.mark.slow
def test_rerun_skips_everything_and_charges_nothing(first_batch):
    tmp, manifest, ledger, q, result = first_batch
    before = ledger.balance("acme")
    mtimes = {v.output: Path(v.outputs["video"]).stat().st_mtime_ns for v in result.variants}
    again = run_batch(manifest, ledger=ledger, workers=2, progress=False)
    assert [v.status for v in again.variants] == ["skipped"] * 20
    assert again.charged_millicredits == 0 and again.asr_computed == 0
    # the report of the rerun still shows what each output was charged (it showed 0 credits)
    assert [v.earlier_millicredits for v in again.variants] == [v.millicredits for v in result.variants]
    assert all(d["earlier_credits"] == format_credits(v.millicredits)
               for d, v in zip(again.as_dict()["variants"], result.variants))
    assert ledger.balance("acme") == before and len(charges(ledger, "acme")) == 20
    assert all(Path(v.outputs["video"]).stat().st_mtime_ns == mtimes[v.output] for v in again.variants)
    assert all(v.findings == o.findings for v, o in zip(again.variants, result.variants))


def seed_cache(first_batch, out: Path) -> None:
    """Reuse the first batch's ASR cache (same audio, script, language): the later tests skip Whisper."""
    src = first_batch[0] / "out" / CACHE_DIR
    (out / CACHE_DIR).mkdir(parents=True, exist_ok=True)
    for f in src.glob("asr-*.json"):
        shutil.copy(f, out / CACHE_DIR / f.name)


@pytest.mark.slow
def test_failed_render_not_charged_then_retry_charged_once(first_batch, media, tmp_path):
    variants = [{"output": "ok", "video": "ad.mp4", "preset": "dynamic-test.yaml"},
                {"output": "blocked", "video": "ad.mp4", "preset": "dynamic-test.yaml"}]
    manifest = project(tmp_path, media, variants)
    seed_cache(first_batch, tmp_path / "out")
    (tmp_path / "out" / "blocked.mp4").mkdir(parents=True)  # a folder where the output goes: the commit fails
    ledger = Ledger(tmp_path / "l.sqlite3")
    ledger.top_up("default", 1600)
    r1 = run_batch(manifest, ledger=ledger, workers=2, progress=False)
    st = {v.output: v for v in r1.variants}
    assert st["ok"].status == "done" and st["blocked"].status == "failed" and "blocked.mp4" in st["blocked"].error
    assert ledger.balance("default") == 800 and ledger.available("default") == 800  # no charge, no hold left
    assert not list((tmp_path / "out").glob(".blocked*"))  # its temp files were removed
    (tmp_path / "out" / "blocked.mp4").rmdir()
    r2 = run_batch(manifest, ledger=ledger, workers=2, progress=False)
    st = {v.output: v.status for v in r2.variants}
    assert st == {"ok": "skipped", "blocked": "done"}
    assert ledger.balance("default") == 0 and len(charges(ledger, "default")) == 2


@pytest.mark.slow
def test_insufficient_credits_refused_before_any_work(media, tmp_path):
    manifest = project(tmp_path, media, [{"output": f"d{i}", "video": "ad.mp4", "preset": "dynamic-test.yaml"} for i in range(3)])
    ledger = Ledger(tmp_path / "l.sqlite3")
    ledger.top_up("default", 2000)  # 2.4 needed
    with pytest.raises(BillingError) as ei:
        run_batch(manifest, ledger=ledger, workers=2, progress=False)
    assert "needs 2.4" in str(ei.value) and "available 2" in str(ei.value) and "nothing was rendered" in str(ei.value)
    out = tmp_path / "out"
    assert not out.exists()  # not even transcribed, and the lock's folders it made are gone (it left out/.captioner-cache)
    assert ledger.balance("default") == 2000 and ledger.available("default") == 2000


def test_bad_manifest_refused_as_a_whole(tmp_path):
    (tmp_path / "ad.mp4").write_bytes(b"x")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.mp4"
    outside.write_bytes(b"x")
    doc = {"variants": [
        {"video": "ad.mp4", "language": "en", "preset": "karaoke"},  # no output
        {"output": "a", "language": "en", "preset": "karaoke"},  # no video
        {"output": "b", "video": "ad.mp4", "language": "en", "preset": "no-such-preset"},
        {"output": "c", "video": "ad.mp4", "language": "en", "preset": "karaoke"},
        {"output": "c", "video": "ad.mp4", "language": "en", "preset": "karaoke"},  # duplicate
        {"output": "d", "video": f"../{outside.name}", "language": "en", "preset": "karaoke"},
        {"output": "e", "video": "ad.mp4", "preset": "karaoke", "colour": "red"},  # no language, unknown field
        {"output": "../f", "video": "ad.mp4", "language": "xx", "preset": "karaoke"},
    ]}
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(doc))
    ledger = Ledger(tmp_path / "l.sqlite3")
    with pytest.raises(ManifestError) as ei:
        run_batch(tmp_path / "m.yaml", ledger=ledger, progress=False)
    msg = str(ei.value)
    problems = ei.value.problems
    assert "nothing was rendered or charged" in msg
    for needle in ["variants[0]: missing 'output'", "variants[1] (a): missing 'video'", "unknown preset 'no-such-preset'",
                   "duplicate output name 'c'", "outside the manifest's folder", "variants[6] (e): missing 'language'",
                   "unknown field 'colour'", "must be a plain file name", "unknown language 'xx'"]:
        assert any(needle in p for p in problems), (needle, problems)
    # and, in the same error, the one variant that passed validation has a video that is not one (b"x")
    assert any(p.startswith("variant c:") and "ad.mp4" in p for p in problems), problems
    assert len(problems) == 10
    assert not (tmp_path / "out").exists() and ledger.history("default") == []


def test_toml_manifest_and_multi_preset_expansion(tmp_path):
    make_silent = tmp_path / "v.mp4"
    make_silent.write_bytes(b"not parsed at validation")
    for f in BATCH_FIX.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "s.txt").write_text("hello")
    (tmp_path / "m.toml").write_text(
        'output_dir = "renders"\naccount = "acme"\n[defaults]\nlanguage = "de"\nscript = "s.txt"\n'
        '[[variants]]\noutput = "hook"\nvideo = "v.mp4"\npresets = ["karaoke", "basic-test.yaml", "dynamic-test.yaml"]\n'
        '[[variants]]\noutput = "cta"\nvideo = "v.mp4"\npreset = "basic-test.yaml"\nsafe_zone = "reels"\n')
    m = load_manifest(tmp_path / "m.toml")
    assert [v.output for v in m.variants] == ["hook-karaoke", "hook-basic-test", "hook-dynamic-test", "cta"]
    assert m.account == "acme" and m.output_dir == tmp_path / "renders" and m.total_milli == 0 + 400 + 800 + 400
    assert all(v.language == "de" for v in m.variants) and m.variants[3].safe_zone == "reels"


def test_quote_cli_for_a_manifest(tmp_path):
    from typer.testing import CliRunner

    from captioner.cli import app

    (tmp_path / "v.mp4").write_bytes(b"x")
    for f in BATCH_FIX.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    doc = {"defaults": {"video": "v.mp4", "language": "en"},
           "variants": [{"output": f"o{i}", "preset": PRESETS[i % 3]} for i in range(20)]}
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(doc))
    r = CliRunner().invoke(app, ["quote", str(tmp_path / "m.yaml"), "--json"])
    assert r.exit_code == 0, r.output
    q = json.loads(r.output)
    assert q["renders"] == 20 and q["millicredits"] == 7 * 0 + 7 * 400 + 6 * 800
    assert q["by_tier"]["dynamic"] == {"renders": 6, "millicredits": 4800}


# -- kill -9 midway, then re-run ---------------------------------------------------------------

@pytest.mark.slow
def test_kill_9_midway_then_rerun(first_batch, media, tmp_path):
    variants = [{"output": f"k{i}", "video": "ad.mp4", "preset": PRESETS[i % 3]} for i in range(8)]
    manifest = project(tmp_path, media, variants)
    seed_cache(first_batch, tmp_path / "out")
    db = tmp_path / "l.sqlite3"
    ledger = Ledger(db)
    ledger.top_up("default", 10_000)
    env = {**os.environ, "CAPTIONER_LEDGER": str(db)}
    # one render per variant (no shared decode), so charges arrive one by one and the kill lands midway on a
    # fast machine too
    cmd = [sys.executable, "-m", "captioner", "batch", str(manifest), "--no-progress", "--workers", "2",
           "--no-shared-decode"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    try:
        while time.time() < deadline and len(charges(ledger, "default")) < 1:
            time.sleep(0.01)
        n_before = len(charges(ledger, "default"))
        assert 1 <= n_before < 8, "the batch should be midway"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the driver, its pool workers and their ffmpeg: all at once
        proc.wait()
    time.sleep(0.3)
    out = tmp_path / "out"
    # a render is charged, then its outputs are moved into place: a kill -9 between the two (a wider window on a
    # loaded machine) leaves a charge whose outputs are not there; that variant is rendered again on the rerun,
    # never charged again. Every variant whose outputs were all in place must be skipped.
    committed = sum(all((out / f"k{i}.{ext}").is_file() for ext in ("mp4", "ass", "srt", "vtt", "json")) for i in range(8))
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    cs = charges(ledger, "default")
    assert len(cs) == 8 and len({c.idempotency_key for c in cs}) == 8  # each charged once
    expected = sum(PRICES_MILLI[t] for t in (["karaoke", "basic", "dynamic"] * 3)[:8])
    assert ledger.balance("default") == 10_000 - expected and ledger.available("default") == ledger.balance("default")
    for i in range(8):
        assert valid_mp4(out / f"k{i}.mp4")
        for ext in ("ass", "srt", "vtt", "json"):
            assert (out / f"k{i}.{ext}").stat().st_size > 0
    assert not list(out.rglob("*.part"))  # nothing half-written left behind
    rep = json.loads((out / "batch-report.json").read_text())
    assert sorted(v["status"] for v in rep["variants"]).count("skipped") >= committed


# -- Ray ------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_batch_on_local_ray(first_batch, media, tmp_path):
    ray = pytest.importorskip("ray")
    variants = [{"output": f"r{i}", "video": "ad-alt.mp4", "preset": PRESETS[i % 3]} for i in range(3)]
    manifest = project(tmp_path, media, variants)
    ledger = Ledger(tmp_path / "l.sqlite3")
    ledger.top_up("default", 1200)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        result = run_batch(manifest, ledger=ledger, executor="ray", progress=False)
        again = run_batch(manifest, ledger=ledger, executor="ray", progress=False)
    finally:
        ray.shutdown()
    assert result.ok and result.executor == "ray", [(v.output, v.error) for v in result.variants]
    assert result.asr_computed == 1  # transcribed on Ray too (no seeded cache here)
    assert ledger.balance("default") == 0 and len(charges(ledger, "default")) == 3
    assert all(valid_mp4(Path(v.outputs["video"])) for v in result.variants)
    assert [v.status for v in again.variants] == ["skipped"] * 3 and ledger.balance("default") == 0


# -- one decode for variants of one source ---------------------------------------------------------------------

def test_shared_decode_writes_what_single_burns_write(tmp_path):
    """render.multi.burn_many: one ffmpeg process, one encoder per variant; each output matches its own burn."""
    import numpy as np

    from captioner.layout import paginate
    from captioner.media import ffmpeg_exe
    from captioner.presets import load_preset
    from captioner.render.ass import to_ass
    from captioner.render.burn import EncodeOptions, burn
    from captioner.render.multi import burn_many, can_share
    from captioner.types import Word

    video = tmp_path / "src.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=size=360x640:rate=30:duration=3", "-f", "lavfi", "-i", "sine=f=300:d=3",
           "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(video))
    info = probe(video)
    words = [Word(text=t, start=0.3 + 0.5 * i, end=0.7 + 0.5 * i) for i, t in enumerate("Buy the Brewvana pods today".split())]
    scripts = [to_ass(paginate(words, load_preset(p), 360, 640, duration=info.duration), load_preset(p))
               for p in ("karaoke", "bounce", "boxed")]
    assert all(can_share(s) for s in scripts)
    opts = EncodeOptions(threads=1)
    burn_many(video, [(s, tmp_path / f"m{k}.mp4", opts) for k, s in enumerate(scripts)], info)
    for k, s in enumerate(scripts):
        burn(video, s, tmp_path / f"s{k}.mp4", info, opts)

    def frame(p, t=1.4):
        raw = subprocess.run([ffmpeg_exe(), "-loglevel", "error", "-ss", str(t), "-i", str(p), "-frames:v", "1", "-f", "rawvideo",
                              "-pix_fmt", "gray", "pipe:1"], capture_output=True, check=True).stdout
        return np.frombuffer(raw, np.uint8).astype(int)

    for k in range(3):
        m, one = probe(tmp_path / f"m{k}.mp4"), probe(tmp_path / f"s{k}.mp4")
        assert (m.width, m.height, m.has_audio, m.audio_codec) == (one.width, one.height, True, one.audio_codec)
        assert abs(m.duration - one.duration) < 0.05
        assert np.abs(frame(tmp_path / f"m{k}.mp4") - frame(tmp_path / f"s{k}.mp4")).mean() < 1.0
    assert np.abs(frame(tmp_path / "m0.mp4") - frame(tmp_path / "m1.mp4")).mean() > 0.2  # the looks do differ


def test_a_variant_rendered_with_an_error_finding_is_not_ticked(tmp_path):
    """A variant rendered and charged with an error finding (the example ad: the voice says "forty dollars" for the
    script's $49 — `price_mismatch`) was listed "✓" like a clean one; the console names the errors to check."""
    import io

    from rich.console import Console

    from .conftest import EXAMPLE

    shutil.copy(EXAMPLE / "video.mp4", tmp_path / "ad.mp4")
    shutil.copy(EXAMPLE / "script.txt", tmp_path / "script.txt")
    (tmp_path / "b.yaml").write_text(yaml.safe_dump({"output_dir": "out", "variants": [
        {"output": "a", "video": "ad.mp4", "script": "script.txt", "language": "en", "preset": "karaoke"}]}))
    buf = io.StringIO()
    res = run_batch(tmp_path / "b.yaml", ledger=Ledger(tmp_path / "l.sqlite3"), progress=False,
                    console=Console(file=buf, width=200), thumbnails=False)
    assert res.ok
    out = buf.getvalue()
    assert "⚠ a (karaoke" in out and "price_mismatch" in out and "check before publishing" in out, out
    assert "✓ a" not in out
