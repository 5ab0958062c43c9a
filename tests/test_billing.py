"""Ledger and charged renders on a real SQLite file: flat prices, idempotency, refusals, concurrent processes."""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import sqlite3
import time
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from captioner.billing import (PRICES_MILLI, Ledger, charged_render, format_credits, parse_credits, price_millicredits,
                               render_key)
from captioner.errors import BillingError, InputError
from captioner.presets import load_preset

FIX = Path(__file__).parent / "fixtures" / "batch"


@pytest.fixture
def ledger(tmp_path) -> Ledger:
    return Ledger(tmp_path / "ledger.sqlite3")


@pytest.fixture(scope="module")
def presets():
    return {"karaoke": load_preset("karaoke"), "basic": load_preset(FIX / "basic-test.yaml"),
            "dynamic": load_preset(FIX / "dynamic-test.yaml")}


def test_price_table_is_integer_millicredits():
    assert PRICES_MILLI == {"karaoke": 0, "basic": 400, "dynamic": 800}
    assert all(isinstance(v, int) for v in PRICES_MILLI.values())
    with pytest.raises(ValueError):
        price_millicredits("premium")


@pytest.mark.parametrize("text,milli", [("10", 10000), ("2.5", 2500), ("0.4", 400), ("0.001", 1), (".8", 800), ("3.", 3000)])
def test_parse_and_format_credits_exact(text, milli):
    assert parse_credits(text) == milli
    assert parse_credits(format_credits(milli)) == milli


@pytest.mark.parametrize("bad", ["", "abc", "1.2345", "1,5", "1e3", "--1"])
def test_parse_credits_rejects(bad):
    with pytest.raises(InputError):
        parse_credits(bad)


def test_sum_of_many_charges_has_no_float_drift(ledger):
    ledger.top_up("a", parse_credits("100"))
    for i in range(250):
        ledger.charge("a", f"k{i}", 400)
    assert ledger.balance("a") == 0  # 250 × 0.4 == 100 exactly
    assert format_credits(ledger.balance("a")) == "0"


def test_topup_history_refund(ledger, tmp_path):
    ledger.top_up("acme", 5000, note="invoice 1")
    ledger.top_up("acme", 1000, key="stripe-evt-1")
    ledger.top_up("acme", 1000, key="stripe-evt-1")  # the same top-up delivered twice
    assert ledger.balance("acme") == 6000
    e, new = ledger.charge("acme", "r1", 800, preset="dyn", tier="dynamic")
    assert new and e.millicredits == -800
    r1 = ledger.refund("r1", note="bad render")
    r2 = ledger.refund("r1")
    assert r1.id == r2.id and r1.refund_of == e.id
    assert ledger.balance("acme") == 6000
    kinds = [h.kind for h in ledger.history("acme")]
    assert kinds == ["topup", "topup", "charge", "refund"]
    with pytest.raises(BillingError):
        ledger.refund("never-charged")
    with pytest.raises(InputError):
        ledger.top_up("acme", 0)
    # WAL mode is on; the file is a real SQLite database another client can read
    con = sqlite3.connect(ledger.path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT COUNT(*) FROM entries WHERE kind='charge'").fetchone()[0] == 1


def test_idempotency_key_is_unique_in_the_schema(ledger):
    ledger.top_up("a", 1000)
    ledger.charge("a", "k", 400)
    con = sqlite3.connect(ledger.path)
    with pytest.raises(sqlite3.IntegrityError):
        con.execute("INSERT INTO entries(account, kind, millicredits, idempotency_key, created_at) VALUES ('a','charge',-400,'k',0)")


def test_ledger_path_from_env(tmp_path, monkeypatch):
    monkeypatch.setenv("CAPTIONER_LEDGER", str(tmp_path / "x" / "env.sqlite3"))
    led = Ledger()
    led.top_up("a", 1)
    assert (tmp_path / "x" / "env.sqlite3").is_file()
    assert Ledger(tmp_path / "explicit.sqlite3").path == tmp_path / "explicit.sqlite3"


def _writer(path: Path, text: str = "done"):
    """A render_fn that writes its output completely (temp + rename), like OutputSet.commit()."""
    def fn(receipt):
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.part")  # unique, as OutputSet's
        tmp.write_text(json.dumps({"text": text, "receipt": receipt.model_dump()}))
        os.replace(tmp, path)
        return text
    return fn


def test_failed_render_is_not_charged(ledger, presets, tmp_path):
    ledger.top_up("acme", 1000)

    def boom(receipt):
        raise RuntimeError("encoder crashed")

    with pytest.raises(RuntimeError):
        charged_render(ledger, "acme", "k1", presets["dynamic"], boom, outputs=[tmp_path / "o.mp4"])
    assert ledger.balance("acme") == 1000 and ledger.available("acme") == 1000  # hold released
    assert ledger.find_charge("k1") is None
    # a render that "succeeds" without writing its output is not charged either
    with pytest.raises(BillingError, match="missing"):
        charged_render(ledger, "acme", "k1", presets["dynamic"], lambda r: None, outputs=[tmp_path / "o.mp4"])
    assert ledger.find_charge("k1") is None and ledger.balance("acme") == 1000


def test_retry_is_charged_once(ledger, presets, tmp_path):
    ledger.top_up("acme", 2000)
    out = tmp_path / "o.mp4"
    calls = []

    def render(receipt):
        calls.append(receipt)
        return _writer(out)(receipt)

    a = charged_render(ledger, "acme", "k1", presets["dynamic"], render, outputs=[out])
    b = charged_render(ledger, "acme", "k1", presets["dynamic"], render, outputs=[out])
    assert a.newly_charged and a.receipt.millicredits == 800 and a.receipt.charged
    assert b.skipped and not b.newly_charged and b.receipt == a.receipt.model_copy(update={"charged_earlier": True})
    assert not a.receipt.charged_earlier  # the retry's receipt says the charge is the earlier run's
    assert len(calls) == 1  # the retry did not render again
    # outputs lost after the charge: re-rendered, still not charged again
    out.unlink()
    c = charged_render(ledger, "acme", "k1", presets["dynamic"], render, outputs=[out])
    assert len(calls) == 2 and not c.newly_charged and out.is_file() and c.receipt.charged_earlier
    assert ledger.balance("acme") == 1200
    assert [h.kind for h in ledger.history("acme")].count("charge") == 1
    # the receipt handed to the render is what gets charged (for the JSON sidecar)
    assert calls[0].idempotency_key == "k1" and calls[0].millicredits == 800 and calls[0].account == "acme"


def test_insufficient_credits_refused_before_render(ledger, presets, tmp_path):
    ledger.top_up("acme", 700)
    calls = []
    with pytest.raises(BillingError) as ei:
        charged_render(ledger, "acme", "k", presets["dynamic"], lambda r: calls.append(1), outputs=[tmp_path / "o.mp4"])
    msg = str(ei.value)
    assert "not enough credits" in msg and "needs 0.8" in msg and "available 0.7" in msg and "credits add 0.1" in msg
    assert calls == [] and ledger.balance("acme") == 700
    # karaoke is free: renders on an empty account
    r = charged_render(ledger, "empty", "kk", presets["karaoke"], _writer(tmp_path / "k.mp4"), outputs=[tmp_path / "k.mp4"])
    assert r.newly_charged and r.receipt.millicredits == 0


def test_holds_stop_concurrent_overdraw(ledger, presets, tmp_path):
    """While one render is in progress, another render cannot spend the credits it holds."""
    ledger.top_up("acme", 1000)
    seen = {}

    def outer(receipt):
        assert ledger.available("acme") == 200  # 800 held
        with pytest.raises(BillingError):
            charged_render(ledger, "acme", "other", presets["basic"], lambda r: seen.setdefault("inner", 1))
        return _writer(tmp_path / "a.mp4")(receipt)

    charged_render(ledger, "acme", "first", presets["dynamic"], outer, outputs=[tmp_path / "a.mp4"])
    assert "inner" not in seen and ledger.balance("acme") == 200


def test_render_key_depends_on_every_part():
    base = dict(video="v", script="s", language="en", preset={"name": "p"}, output="a")
    k = render_key(**base)
    assert k == render_key(**dict(reversed(list(base.items()))))
    for field, value in [("video", "v2"), ("script", "s2"), ("language", "de"), ("preset", {"name": "q"}), ("output", "b")]:
        assert render_key(**{**base, field: value}) != k


# -- two processes racing on one render ---------------------------------------------------------

def _race_worker(ledger_path: str, out: str, start_at: float, q):
    from captioner.billing import Ledger, charged_render
    from captioner.presets import load_preset

    led = Ledger(ledger_path)
    preset = load_preset(str(FIX / "dynamic-test.yaml"))
    while time.time() < start_at:
        time.sleep(0.001)

    def render(receipt):
        time.sleep(0.3)  # both are "rendering" at the same time
        return _writer(Path(out), str(os.getpid()))(receipt)

    r = charged_render(led, "acme", "same-render", preset, render, outputs=[out], rerender_if_charged=True)
    q.put((r.newly_charged, r.receipt.millicredits))


def _spender(ledger_path: str, i: int, start_at: float, q):
    from captioner.billing import Ledger, charged_render
    from captioner.errors import BillingError
    from captioner.presets import load_preset

    led = Ledger(ledger_path)
    preset = load_preset(str(FIX / "basic-test.yaml"))
    while time.time() < start_at:
        time.sleep(0.001)
    try:
        charged_render(led, "acme", f"render-{i}", preset, lambda r: time.sleep(0.05))
        q.put("ok")
    except BillingError:
        q.put("refused")


def test_two_processes_racing_on_one_render_charge_once(ledger, tmp_path):
    ledger.top_up("acme", 5000)
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    start = time.time() + 3.0
    procs = [ctx.Process(target=_race_worker, args=(str(ledger.path), str(tmp_path / "o.mp4"), start, q)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    results = [q.get(timeout=5) for _ in procs]
    assert sorted(r[0] for r in results) == [False, True]  # exactly one of them recorded the charge
    assert all(r[1] == 800 for r in results)
    assert ledger.balance("acme") == 4200
    assert len([h for h in ledger.history("acme") if h.kind == "charge"]) == 1
    assert (tmp_path / "o.mp4").is_file() and not list(tmp_path.glob(".*.part"))


def test_concurrent_processes_never_overdraw(ledger):
    ledger.top_up("acme", 2000)  # room for 5 basic renders
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    start = time.time() + 3.0
    procs = [ctx.Process(target=_spender, args=(str(ledger.path), i, start, q)) for i in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    outcomes = sorted(q.get(timeout=5) for _ in procs)
    assert outcomes.count("ok") == 5 and outcomes.count("refused") == 3
    assert ledger.balance("acme") == 0


# -- CLI ------------------------------------------------------------------------------------------

def test_credits_cli(tmp_path):
    from captioner.cli import app

    runner = CliRunner()
    db = str(tmp_path / "cli.sqlite3")
    r = runner.invoke(app, ["credits", "add", "2.5", "--account", "acme", "--ledger", db, "--note", "po-7"])
    assert r.exit_code == 0, r.output
    assert "balance 2.5 credits" in r.output
    r = runner.invoke(app, ["credits", "balance", "-a", "acme", "--ledger", db, "--json"])
    assert json.loads(r.output)["millicredits"] == 2500
    Ledger(db).charge("acme", "k", 800, preset="dynamic-test", tier="dynamic", output="x.mp4")
    r = runner.invoke(app, ["credits", "history", "-a", "acme", "--ledger", db])
    assert r.exit_code == 0 and "topup" in r.output and "-0.8" in r.output and "dynamic-test" in r.output
    r = runner.invoke(app, ["credits", "balance", "-a", "acme", "--ledger", db])
    assert "acme: 1.7 credits" in r.output
    r = runner.invoke(app, ["credits", "add", "1.23456", "--ledger", db])
    assert r.exit_code == 2 and "at most 3 decimals" in r.output
    r = runner.invoke(app, ["quote", "--preset", "karaoke", "--preset", str(FIX / "basic-test.yaml"),
                            "--preset", str(FIX / "dynamic-test.yaml"), "--json"])
    assert r.exit_code == 0, r.output
    q = json.loads(r.output)
    assert q["millicredits"] == 1200 and q["renders"] == 3
    r = runner.invoke(app, ["quote", "--preset", "no-such-preset"])
    assert r.exit_code == 2 and "unknown preset" in r.output


def test_caption_key_tracks_inputs_and_options(tmp_path, presets):
    from captioner.billing import caption_key

    v1, v2 = tmp_path / "a.mp4", tmp_path / "b.mp4"
    v1.write_bytes(b"video one")
    v2.write_bytes(b"video two")
    base = dict(video=v1, script="Buy Lumewell", language="en", asr="whisper", preset=presets["basic"], safe_zone="tiktok",
                output=tmp_path / "o.mp4")
    k = caption_key(**base)
    assert k == caption_key(**base)
    for field, value in [("video", v2), ("script", "Buy Lumewel"), ("language", "de"), ("preset", presets["dynamic"]),
                         ("safe_zone", "reels"), ("output", tmp_path / "p.mp4"), ("use_prompt", False)]:
        assert caption_key(**{**base, field: value}) != k, field
