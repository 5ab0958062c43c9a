"""CLI for credits, quotes and batches (`captioner credits add|balance|history`, `captioner quote`, `captioner batch`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from .errors import CaptionerError, InputError

credits_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                          help="Credit ledger: top up, show the balance and the history of an account.")

LEDGER_HELP = "Ledger file (SQLite). Default: $CAPTIONER_LEDGER, else ~/.local/share/captioner/ledger.sqlite3."
ACCOUNT_HELP = "Account to charge or show."


def _fail(e: CaptionerError) -> None:
    typer.echo(f"captioner: error: {e}", err=True)
    raise typer.Exit(e.exit_code)


def _ledger(path: Optional[Path], *, read_only: bool = False):
    """The ledger at `path` (default: `billing.default_ledger_path`). `read_only` (balance, history): an explicit path
    that does not exist is a typo to report, not a new empty ledger to create (it printed "0 credits")."""
    from .billing import Ledger

    if read_only and path is not None and not Path(path).expanduser().exists():
        raise InputError(f"no ledger at {path}: check the path (a ledger is created by `captioner credits add`)")
    return Ledger(path)


@credits_app.command("add")
def credits_add(
    amount: str = typer.Argument(..., help="Credits to add, e.g. 10 or 2.5 (at most 3 decimals)."),
    account: str = typer.Option("default", "--account", "-a", help=ACCOUNT_HELP),
    ledger: Optional[Path] = typer.Option(None, "--ledger", help=LEDGER_HELP),
    note: Optional[str] = typer.Option(None, "--note", help="Free text stored with the top-up."),
    key: Optional[str] = typer.Option(None, "--key", help="Idempotency key: the same top-up sent twice is recorded once."),
) -> None:
    """Top up ACCOUNT with AMOUNT credits."""
    from .billing import format_credits, parse_credits

    try:
        milli = parse_credits(amount)
        led = _ledger(ledger)
        before = len(led.history(account)) if key else None
        entry = led.top_up(account, milli, note=note, key=key)
        repeat = key is not None and len(led.history(account)) == before
        what = (f"top-up {key!r} was already recorded ({format_credits(entry.millicredits)} credits to {account}): nothing added"
                if repeat else f"added {format_credits(entry.millicredits)} credits to {account}")
        typer.echo(f"{what}; balance {format_credits(led.balance(account))} credits")
    except CaptionerError as e:
        _fail(e)


@credits_app.command("balance")
def credits_balance(
    account: str = typer.Option("default", "--account", "-a", help=ACCOUNT_HELP),
    ledger: Optional[Path] = typer.Option(None, "--ledger", help=LEDGER_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Show ACCOUNT's balance (and what renders in progress hold)."""
    from .billing import format_credits

    try:
        led = _ledger(ledger, read_only=True)
        bal, avail = led.balance(account), led.available(account)
    except CaptionerError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps({"account": account, "millicredits": bal, "credits": format_credits(bal),
                               "available_millicredits": avail, "available_credits": format_credits(avail)}))
        return
    extra = f" ({format_credits(avail)} available, the rest held by renders in progress)" if avail != bal else ""
    typer.echo(f"{account}: {format_credits(bal)} credits{extra}")


@credits_app.command("history")
def credits_history(
    account: str = typer.Option("default", "--account", "-a", help=ACCOUNT_HELP),
    ledger: Optional[Path] = typer.Option(None, "--ledger", help=LEDGER_HELP),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", help="Only the last N entries."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List ACCOUNT's top-ups, charges and refunds, oldest first."""
    import datetime as dt

    from .billing import format_credits

    try:
        if limit is not None and limit < 1:
            raise InputError(f"--limit must be 1 or more (the last N entries), not {limit}")
        entries = _ledger(ledger, read_only=True).history(account, limit)
    except CaptionerError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps([e.as_dict() for e in entries], indent=1))
        return
    if not entries:
        typer.echo(f"{account}: no entries")
        return
    for e in entries:
        when = dt.datetime.fromtimestamp(e.created_at).strftime("%Y-%m-%d %H:%M:%S")
        what = " ".join(x for x in (e.preset and f"{e.preset} ({e.tier})", e.output, e.note) if x)
        typer.echo(f"{e.id:6d} {when} {e.kind:7s} {format_credits(e.millicredits):>9s}  {what}")


def quote(
    target: Optional[Path] = typer.Argument(None, help="A batch manifest (.yaml/.toml); omit and use --preset for one render."),
    preset: list[str] = typer.Option([], "--preset", "-p", help="Preset name or file (repeatable): price of one render each."),
    account: Optional[str] = typer.Option(None, "--account", "-a", help="Also show what is still due and the balance."),
    ledger: Optional[Path] = typer.Option(None, "--ledger", help=LEDGER_HELP),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Price of a render (--preset) or of a whole batch (MANIFEST) before running it: flat per render, any length."""
    from .batch import ManifestError, assign_keys, load_manifest, media_problems, quote as batch_quote
    from .billing import format_credits
    from .presets import load_preset

    try:
        if target is None and not preset:
            raise typer.BadParameter("give a MANIFEST or at least one --preset")
        lines = []
        if target is not None:
            m = load_manifest(target)
            led = _ledger(ledger) if (account or ledger) else None
            if led is not None:
                bad_media = media_problems(m)  # the keys hash each video's audio: say what cannot be read first
                if bad_media:
                    raise ManifestError(m.path, bad_media)
                assign_keys(m)
            q = batch_quote(m, led)
            acct = account or m.account
        else:
            ps = [load_preset(p) for p in preset]
            total = sum(p.credits_milli for p in ps)
            by_tier: dict = {}
            for p in ps:  # priced by what the look does, not by the tier a preset file claims
                t = by_tier.setdefault(str(p.billed_tier), {"renders": 0, "millicredits": 0})
                t["renders"] += 1
                t["millicredits"] += p.credits_milli
            q = {"renders": len(ps), "millicredits": total, "credits": format_credits(total), "by_tier": by_tier}
            acct = account
        if acct and (account or ledger):
            led = _ledger(ledger)
            q["account"], q["available_millicredits"] = acct, led.available(acct)
            q["available_credits"] = format_credits(q["available_millicredits"])
    except CaptionerError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps(q, indent=1))
        return
    for tier, t in q["by_tier"].items():
        lines.append(f"  {tier:8s} {t['renders']:3d} × {format_credits(t['millicredits'] // max(t['renders'], 1))} = "
                     f"{format_credits(t['millicredits'])} credits")
    typer.echo(f"{q['renders']} render{'s' if q['renders'] != 1 else ''}: {q['credits']} credits")
    for line in lines:
        typer.echo(line)
    if "due_credits" in q:
        typer.echo(f"  already charged: {q['already_charged']} renders; still due: {q['due_credits']} credits")
    if "available_credits" in q:
        typer.echo(f"  account {q['account']}: {q['available_credits']} credits available")


def batch(
    manifest: Path = typer.Argument(..., help="Batch manifest (.yaml/.yml/.toml): variants of video, script, language, preset(s), output."),
    account: Optional[str] = typer.Option(None, "--account", "-a", help="Account to charge (default: the manifest's, else 'default')."),
    ledger: Optional[Path] = typer.Option(None, "--ledger", help=LEDGER_HELP),
    out_dir: Optional[Path] = typer.Option(None, "--out-dir", "-o", help="Output folder (default: the manifest's output_dir)."),
    executor: str = typer.Option("local", "--executor", help="local (process pool, default) or ray."),
    address: Optional[str] = typer.Option(None, "--address", help="Ray cluster address (--executor ray); default: start a local Ray."),
    workers: Optional[int] = typer.Option(None, "--workers", "-j", help="Parallel renders, 1–64 (default: CPU count)."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar (per-variant lines still print)."),
    no_thumbnails: bool = typer.Option(False, "--no-thumbnails", help="Skip the contact sheet's thumbnails."),
    no_shared_decode: bool = typer.Option(False, "--no-shared-decode", help="Decode the source once per variant "
                                          "(default: variants of one video share one decode; uses more memory)."),
    as_json: bool = typer.Option(False, "--json", help="Print the batch report JSON on stdout."),
) -> None:
    """Render every variant of MANIFEST: ASR once per voice-over, renders in parallel, each charged once; resumable."""
    from .batch import run_batch
    from .billing import Ledger, format_credits

    try:
        result = run_batch(manifest, ledger=Ledger(ledger), account=account, output_dir=out_dir, executor=executor,
                           address=address, workers=workers, progress=not no_progress, thumbnails=not no_thumbnails,
                           share_decode=not no_shared_decode)
    except CaptionerError as e:
        _fail(e)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=1))
    else:
        counts: dict[str, int] = {}
        for v in result.variants:
            counts[v.status] = counts.get(v.status, 0) + 1
        typer.echo(f"batch {manifest}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
                   + f"; charged {format_credits(result.charged_millicredits)} credits (quote {format_credits(result.quote_millicredits)})"
                   + f"; ASR {result.asr_computed}/{result.asr_groups} groups computed in {result.timings.get('total', 0):.1f} s")
        for v in result.variants:
            if v.status == "failed":
                typer.echo(f"  failed {v.output}: {v.error}", err=True)
        typer.echo(f"  report: {result.report_json}\n  contact sheet: {result.report_html}")
    if not result.ok:
        raise typer.Exit(7)
