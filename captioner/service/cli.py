"""CLI of the service: `captioner serve` (the HTTP API + web app) and `captioner keys create|list|revoke|secret`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ..errors import CaptionerError

keys_app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                       help="API keys of the caption service (stored hashed under --data).")

DATA_HELP = "Service data folder (SQLite store, uploads, outputs, ledger). Default: $CAPTIONER_DATA, else ~/.local/share/captioner/service."


def _fail(e: CaptionerError) -> None:
    typer.echo(f"captioner: error: {e}", err=True)
    raise typer.Exit(e.exit_code)


def _store(data: Optional[Path]):
    from .config import ServiceConfig
    from .store import Store

    cfg = ServiceConfig(data=data) if data else ServiceConfig()
    return Store(cfg.store_path)


@keys_app.command("create")
def keys_create(account: str = typer.Option(..., "--account", "-a", help="Ledger account the key bills."),
                data: Optional[Path] = typer.Option(None, "--data", help=DATA_HELP),
                label: Optional[str] = typer.Option(None, "--label", help="A note to recognise the key by.")) -> None:
    """Create an API key for ACCOUNT and print it (only the key, on stdout; it is shown once, stored hashed)."""
    from .auth import create_key

    try:
        key, kid = create_key(_store(data), account, label)
    except CaptionerError as e:
        _fail(e)
    typer.echo(key)
    typer.echo(f"created {kid} for account {account}: keep the key, it is not stored and cannot be shown again", err=True)


@keys_app.command("list")
def keys_list(account: Optional[str] = typer.Option(None, "--account", "-a", help="Only this account's keys."),
              data: Optional[Path] = typer.Option(None, "--data", help=DATA_HELP),
              as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """List keys (id, account, first characters, created, revoked) — never the keys themselves."""
    import datetime as dt

    from .auth import list_keys

    rows = list_keys(_store(data), account)
    if as_json:
        typer.echo(json.dumps(rows, indent=1))
        return
    for r in rows:
        when = dt.datetime.fromtimestamp(r["created_at"]).strftime("%Y-%m-%d %H:%M")
        status = "revoked" if r["revoked_at"] else "active"
        typer.echo(f"{r['id']}  {r['account']:20s} {r['prefix']}…  {when}  {status}  {r['label'] or ''}".rstrip())


@keys_app.command("revoke")
def keys_revoke(key: str = typer.Argument(..., help="The key id (key_…) or the key itself."),
                data: Optional[Path] = typer.Option(None, "--data", help=DATA_HELP)) -> None:
    """Revoke a key: it stops authenticating at once (running jobs finish)."""
    from .auth import revoke_key

    row = revoke_key(_store(data), key)
    if row is None:
        typer.echo("captioner: error: no such key (see `captioner keys list`)", err=True)
        raise typer.Exit(2)
    typer.echo(f"revoked {row['id']} of account {row['account']}")


@keys_app.command("secret")
def keys_secret(account: str = typer.Option(..., "--account", "-a"),
                data: Optional[Path] = typer.Option(None, "--data", help=DATA_HELP),
                rotate: bool = typer.Option(False, "--rotate", help="Make a new secret (webhooks are signed with it from now on).")) -> None:
    """Print ACCOUNT's webhook signing secret (HMAC-SHA256 key of X-Captioner-Signature)."""
    store = _store(data)
    secret = store.rotate_secret(account) if rotate else store.webhook_secret(account)
    if secret is None:
        typer.echo(f"captioner: error: no account {account!r}: create a key for it first", err=True)
        raise typer.Exit(2)
    typer.echo(secret)


def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (127.0.0.1: this machine only)."),
          port: int = typer.Option(8000, "--port", help="TCP port."),
          workers: int = typer.Option(1, "--workers", "-j", help="Render processes (each holds one Whisper model)."),
          executor: str = typer.Option("local", "--executor", help="Where renders run: local (processes, default) or ray (actors)."),
          ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster to join (--executor ray); default: a local Ray."),
          data: Optional[Path] = typer.Option(None, "--data", help=DATA_HELP),
          ledger: Optional[Path] = typer.Option(None, "--ledger", help="Credit ledger (default DATA/ledger.sqlite3)."),
          max_upload_mb: float = typer.Option(200, "--max-upload-mb", help="Largest video accepted, in MB."),
          max_seconds: float = typer.Option(180, "--max-seconds", help="Longest video accepted, in seconds."),
          upload_idle: float = typer.Option(60, "--upload-idle-s", help="Refuse an upload that sends nothing for this long (s)."),
          rate: float = typer.Option(5.0, "--rate", help="Requests per second per key (0: no limit)."),
          burst: int = typer.Option(20, "--burst", help="Burst of requests per key."),
          webhook_allow: list[str] = typer.Option([], "--webhook-allow",
                                                  help="A network webhooks may reach besides public addresses (repeatable), e.g. 127.0.0.1/32."),
          webhook_backoff: float = typer.Option(2.0, "--webhook-backoff", help="First retry delay of a failed webhook (doubles each time)."),
          webhook_attempts: int = typer.Option(8, "--webhook-attempts", help="Attempts per webhook delivery."),
          log_level: str = typer.Option("info", "--log-level", help="uvicorn log level.")) -> None:
    """Run the caption service: HTTP API (/v1, docs at /docs) and the web app (/), jobs in SQLite + files under --data."""
    try:
        import uvicorn

        from .app import create_app
        from .config import ServiceConfig
    except ImportError as e:
        typer.echo(f"captioner: error: the service needs its extra ({e.name} is missing): pip install 'captioner[service]'",
                   err=True)
        raise typer.Exit(2)
    from pydantic import ValidationError

    try:
        kw = {"data": data} if data else {}
        cfg = ServiceConfig(**kw, ledger=ledger, workers=workers, executor=executor, ray_address=ray_address, max_upload_bytes=int(max_upload_mb * 1024 * 1024),
                            max_seconds=max_seconds, upload_idle_s=upload_idle, rate_per_s=rate, rate_burst=burst, webhook_allow=list(webhook_allow),
                            webhook_backoff_s=webhook_backoff, webhook_max_attempts=webhook_attempts)
        from .webhooks import parse_networks

        parse_networks(cfg.webhook_allow)
        app = create_app(cfg)
    except ValidationError as e:
        err = e.errors()[0]
        typer.echo(f"captioner: error: --{str(err['loc'][0]).replace('_', '-')}: {err['msg']}", err=True)
        raise typer.Exit(2)
    except CaptionerError as e:
        _fail(e)
    typer.echo(f"captioner service on http://{host}:{port}/ (data {cfg.data}, {cfg.workers} render worker(s))", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=30)
