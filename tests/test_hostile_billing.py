"""A hostile but realistic user against billing: reused keys, self-priced presets, a preview used as the product,
absurd amounts, a damaged or full ledger at charge time, and the single-render CLI path (`caption --account`).
Real SQLite ledger files, real renders (ASR run once per module unless the test is about the CLI itself)."""
from __future__ import annotations

import json
import resource
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from captioner import job as jobmod
from captioner.billing import MAX_BALANCE_MILLI, Ledger
from captioner.errors import BillingError
from captioner.job import OutputSet, run_job
from captioner.pipeline import caption_job
from captioner.presets import behaviour_tier, list_presets, load_preset, presets_dir

from .conftest import EXAMPLE
from .hostile import SCRIPT, cli, make_clip, names, one_line_error, recognised

SIDECARS = (".mp4", ".ass", ".srt", ".vtt", ".json")


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "ad.mp4")


@pytest.fixture(scope="module")
def heard(clip):
    return recognised(clip)


def charges(ledger: Ledger, account: str) -> list:
    return [e for e in ledger.history(account) if e.kind == "charge"]


def preset_file(folder: Path, base: str, name: str, tier: str) -> Path:
    data = json.loads((presets_dir() / f"{base}.json").read_text())
    data.update(name=name, tier=tier)
    p = folder / f"{name}.json"
    p.write_text(json.dumps(data))
    return p


# -- keys ------------------------------------------------------------------------------------------------------

def test_a_key_reused_for_another_render_or_account_is_refused_before_any_work(clip, heard, tmp_path):
    db = tmp_path / "l.sqlite3"
    ledger = Ledger(db)
    ledger.top_up("acme", 5000)
    ledger.top_up("mallory", 5000)
    first = run_job(caption_job(clip, SCRIPT, out=tmp_path / "a" / "ad.mp4", preset="bounce", account="acme",
                                ledger=str(db), idempotency_key="K-1"), ledger=ledger, asr=heard)
    assert first.receipt.idempotency_key == "K-1" and first.receipt.millicredits == 800
    # the same key for another look (any tier), or from another account: refused before any work, exit 6
    for args, needle in [(["--preset", "shake", "--account", "acme"], "belongs to another render"),
                         (["--preset", "bounce", "--account", "mallory"], "was charged to account 'acme'"),
                         (["--preset", "karaoke", "--account", "acme"], "belongs to another render")]:
        t = time.perf_counter()
        proc = cli("caption", str(clip), "--out", str(tmp_path / "b" / "ad.mp4"), "--key", "K-1", "--ledger", str(db), *args)
        one_line_error(proc, 6, needle, "nothing was rendered or charged")
        assert time.perf_counter() - t < 20  # no recognition ran (that alone takes longer on this machine)
        assert names(tmp_path / "b") == []
    assert ledger.balance("acme") == 4200 and ledger.balance("mallory") == 5000
    assert len(charges(ledger, "acme")) == 1 and charges(ledger, "mallory") == []


def test_a_top_up_key_used_as_a_render_key_is_refused_before_any_output(clip, tmp_path):
    db = str(tmp_path / "l.sqlite3")
    assert cli("credits", "add", "5", "--account", "acme", "--key", "stripe-1", "--ledger", db).returncode == 0
    proc = cli("caption", str(clip), "--out", str(tmp_path / "o" / "ad.mp4"), "--preset", "bounce", "--account", "acme",
               "--key", "stripe-1", "--ledger", db)
    one_line_error(proc, 6, "already used by a topup", "nothing was rendered or charged")
    assert names(tmp_path / "o") == []
    assert Ledger(db).balance("acme") == 5000 and charges(Ledger(db), "acme") == []


def test_credits_add_with_another_accounts_key_is_refused_clearly(tmp_path):
    db = str(tmp_path / "l.sqlite3")
    r = cli("credits", "add", "5", "-a", "alice", "--key", "K", "--ledger", db)
    assert r.returncode == 0 and "added 5 credits to alice" in r.stdout
    r = cli("credits", "add", "5", "-a", "bob", "--key", "K", "--ledger", db)
    one_line_error(r, 6, "top-up key 'K' was already used for 5 credits to account 'alice'", "nothing was added")
    r = cli("credits", "add", "7", "-a", "alice", "--key", "K", "--ledger", db)
    one_line_error(r, 6, "already used for 5 credits")
    r = cli("credits", "add", "5", "-a", "alice", "--key", "K", "--ledger", db)  # the same top-up delivered twice
    assert r.returncode == 0 and "was already recorded" in r.stdout and "nothing added" in r.stdout
    led = Ledger(db)
    assert led.balance("alice") == 5000 and led.balance("bob") == 0 and len(led.history("alice")) == 1
    # a render's key cannot become a top-up's either
    led.top_up("alice", 1000)
    led.charge("alice", "render-key", 400, identity="r-x", outputs={"/o.mp4": "00"})
    r = cli("credits", "add", "5", "-a", "alice", "--key", "render-key", "--ledger", db)
    one_line_error(r, 6, "belongs to a charge")


# -- amounts ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("amount", ["9223372036854775", "99999999999999999999999", "²", "١٢", "1e3", "nan", "inf",
                                    "0x10", "1_000", "-5", "0", "1.0001", " "])
def test_absurd_amounts_are_refused_with_one_line(tmp_path, amount):
    db = str(tmp_path / "l.sqlite3")
    r = cli("credits", "add", "-a", "acme", "--ledger", db, "--", amount)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    # the account still works afterwards
    r = cli("credits", "add", "2.5", "-a", "acme", "--ledger", db)
    assert r.returncode == 0 and "balance 2.5 credits" in r.stdout


def test_balances_are_bounded_so_sums_never_overflow(tmp_path):
    led = Ledger(tmp_path / "l.sqlite3")
    led.top_up("acme", 1000)
    # an old ledger holding an enormous balance (written before the bounds existed)
    con = sqlite3.connect(led.path)
    con.execute("INSERT INTO entries(account, kind, millicredits, created_at) VALUES ('acme', 'topup', ?, 0)",
                (MAX_BALANCE_MILLI - 1000,))
    con.commit()
    con.close()
    with pytest.raises(Exception) as ei:
        led.top_up("acme", 1000)
    assert "would hold more than" in str(ei.value)
    assert led.balance("acme") == MAX_BALANCE_MILLI  # no overflow, no crash, nothing added
    r = cli("credits", "balance", "-a", "acme", "--ledger", str(led.path))
    assert r.returncode == 0 and "1000000000 credits" in r.stdout


# -- prices follow what a preset does --------------------------------------------------------------------------

def test_every_built_in_preset_is_priced_by_what_it_does():
    assert all(behaviour_tier(p) == p.tier for p in list_presets())


def test_a_custom_preset_is_priced_by_what_it_does_not_by_its_label(clip, heard, tmp_path):
    sneaky = preset_file(tmp_path, "bounce", "my-bounce", "karaoke")  # animated, labelled free
    plain = preset_file(tmp_path, "classic", "my-classic", "karaoke")  # a static styled look, labelled free
    honest = preset_file(tmp_path, "karaoke", "my-karaoke", "dynamic")  # the karaoke look, labelled dynamic
    r = cli("quote", "--preset", str(sneaky), "--preset", str(plain), "--preset", str(honest), "--json")
    q = json.loads(r.stdout)
    assert q["millicredits"] == 800 + 400 + 0
    assert q["by_tier"] == {"dynamic": {"renders": 1, "millicredits": 800}, "basic": {"renders": 1, "millicredits": 400},
                            "karaoke": {"renders": 1, "millicredits": 0}}
    # the CLI's documented overrides keep karaoke karaoke
    assert load_preset("karaoke", font="Anton-Regular.ttf", text_color="#00FF00", highlight_color="#FF00FF").credits_milli == 0
    ledger = Ledger(tmp_path / "l.sqlite3")
    ledger.top_up("acme", 1000)
    out = tmp_path / "o" / "ad.mp4"
    result = run_job(caption_job(clip, SCRIPT, out=out, preset=str(sneaky), account="acme", ledger=str(ledger.path)),
                     ledger=ledger, asr=heard)
    assert result.receipt.tier == "dynamic" and result.receipt.millicredits == 800
    assert json.loads(out.with_suffix(".json").read_text())["receipt"]["tier"] == "dynamic"
    assert [(-e.millicredits, e.tier) for e in charges(ledger, "acme")] == [(800, "dynamic")]


# -- the ledger fails at charge time ----------------------------------------------------------------------------

def _damage(ledger: Ledger) -> None:
    """Overwrite the ledger file after its first page (header and schema intact, table pages garbage)."""
    ledger._connect().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ledger.close()
    data = bytearray(ledger.path.read_bytes())
    data[4096:] = bytes((i * 37 + 11) % 256 for i in range(len(data) - 4096))
    ledger.path.write_bytes(bytes(data))


def test_a_damaged_ledger_at_charge_time_leaves_no_outputs_claiming_a_charge(clip, heard, tmp_path, monkeypatch):
    ledger = Ledger(tmp_path / "l.sqlite3")
    ledger.top_up("acme", 5000)
    for i in range(40):  # a ledger with some history: several table pages
        ledger.top_up("acme", 1, note=f"top-up {i} " + "x" * 200)
    out = tmp_path / "o" / "ad.mp4"
    run_job(caption_job(clip, SCRIPT, out=out, account="acme", ledger=str(ledger.path)), ledger=ledger, asr=heard)
    before = {e: out.with_suffix(e).read_bytes() for e in SIDECARS}
    real_hashes = OutputSet.hashes

    def hashes_then_damage(self):  # everything is rendered and staged; then the ledger file is damaged
        h = real_hashes(self)
        _damage(ledger)
        return h

    monkeypatch.setattr(OutputSet, "hashes", hashes_then_damage)
    with pytest.raises(BillingError) as ei:
        run_job(caption_job(clip, SCRIPT, out=out, preset="bounce", account="acme", ledger=str(ledger.path)),
                ledger=ledger, asr=heard)
    assert "is damaged" in str(ei.value) and "restore it from a backup" in str(ei.value) and "\n" not in str(ei.value)
    assert {e: out.with_suffix(e).read_bytes() for e in SIDECARS} == before  # the previous outputs, untouched
    assert names(out.parent) == sorted(out.with_suffix(e).name for e in SIDECARS)  # nothing staged left
    # the CLI says the same in one line
    proc = cli("credits", "balance", "-a", "acme", "--ledger", str(ledger.path))
    one_line_error(proc, 6, "damaged")


def test_a_full_disk_at_charge_time_leaves_no_outputs_and_charges_nothing(clip, heard, tmp_path, monkeypatch):
    """RLIMIT_FSIZE makes the kernel refuse to grow any file, as a full disk does (EFBIG instead of ENOSPC)."""
    ledger = Ledger(tmp_path / "l.sqlite3")
    ledger.top_up("acme", 5000)
    out = tmp_path / "o" / "ad.mp4"
    real_hashes = OutputSet.hashes
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    def hashes_then_fill(self):
        h = real_hashes(self)
        wal = Path(str(ledger.path) + "-wal")
        resource.setrlimit(resource.RLIMIT_FSIZE, (wal.stat().st_size, limits[1]))
        return h

    monkeypatch.setattr(OutputSet, "hashes", hashes_then_fill)
    try:
        with pytest.raises(BillingError) as ei:
            run_job(caption_job(clip, SCRIPT, out=out, preset="bounce", account="acme", ledger=str(ledger.path)),
                    ledger=ledger, asr=heard)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, old_handler)
        monkeypatch.undo()
    assert "credit ledger" in str(ei.value) and "full" in str(ei.value) and "\n" not in str(ei.value), ei.value
    assert names(out.parent) == []  # no output claims the charge that did not happen
    assert ledger.balance("acme") == 5000 and charges(ledger, "acme") == []
    # space again: the same render goes through, charged once
    r = run_job(caption_job(clip, SCRIPT, out=out, preset="bounce", account="acme", ledger=str(ledger.path)),
                ledger=ledger, asr=heard)
    assert r.receipt.charged and ledger.balance("acme") == 4200 and len(charges(ledger, "acme")) == 1


# -- the single-render CLI path ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_caption_account_refused_before_work_charged_once_retry_free(clip, tmp_path):
    db = str(tmp_path / "l.sqlite3")
    out = tmp_path / "o" / "ad.mp4"
    args = ["caption", str(clip), "--out", str(out), "--preset", "bounce", "--account", "acme", "--ledger", db]
    t = time.perf_counter()
    proc = cli(*args)
    one_line_error(proc, 6, "not enough credits in account 'acme'", "needs 0.8", "available 0", "nothing was rendered")
    assert time.perf_counter() - t < 20 and names(out.parent) == []
    assert cli("credits", "add", "1", "-a", "acme", "--ledger", db).returncode == 0
    proc = cli(*args)
    assert proc.returncode == 0, proc.stderr
    assert "receipt: preset bounce (dynamic) 0.8 credits, charged to acme\n" in proc.stdout
    led = Ledger(db)
    assert led.balance("acme") == 200 and len(charges(led, "acme")) == 1
    side = json.loads(out.with_suffix(".json").read_text())
    assert side["receipt"]["charged"] is True and side["receipt"]["account"] == "acme"
    assert side["receipt"]["idempotency_key"] == charges(led, "acme")[0].idempotency_key
    mtime = out.stat().st_mtime_ns
    proc = cli(*args)  # the retry: not rendered, not charged — and the receipt line says the charge is the earlier one
    assert proc.returncode == 0 and "charged to acme by an earlier run" in proc.stdout and "not charged again" in proc.stdout
    assert json.loads(out.with_suffix(".json").read_text())["receipt"]["charged_earlier"] is False  # the file is the first run's
    assert led.balance("acme") == 200 and len(charges(led, "acme")) == 1 and out.stat().st_mtime_ns == mtime


@pytest.mark.slow
def test_on_mismatch_fail_exits_7_at_the_cli(tmp_path):
    out = tmp_path / "o"
    proc = cli("caption", str(EXAMPLE / "video.mp4"), "--script", str(EXAMPLE / "script.txt"), "--language", "en",
               "--on-mismatch", "fail", "--out", str(out / "ad.mp4"))
    one_line_error(proc, 7, "$49", "--on-mismatch flag")
    assert names(out) == []
