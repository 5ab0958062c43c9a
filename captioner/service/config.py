"""Service settings (`captioner serve` flags): where the data lives, upload caps, rate limits, webhook policy, workers.

Every default is chosen for the 10–60 s vertical ads the product is for: `max_upload_bytes` 200 MB holds a 60 s
1080×1920 ad at 20 Mb/s with room to spare; `max_seconds` 180 is three times the longest ad (docs/INPUTS.md renders
3-minute ads, beyond that it is not an ad); 5 requests/s with bursts of 20 per key keeps a polling web page (2/s)
and a pipeline submitting a batch well inside the limit; 100 unfinished jobs per account bounds the queue one
account can build.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field

from .. import __version__  # noqa: F401  (re-exported for the app)


def default_data_dir() -> Path:
    """$CAPTIONER_DATA, else $XDG_DATA_HOME/captioner/service (~/.local/share/captioner/service)."""
    from ..billing import user_data_dir

    return user_data_dir("CAPTIONER_DATA", "service")


class ServiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: Path = Field(default_factory=default_data_dir)
    ledger: Optional[Path] = None  # default DATA/ledger.sqlite3
    workers: int = Field(default=1, ge=1, le=64)  # render processes (each holds one Whisper model, ~0.7 GB while rendering)
    executor: str = Field(default="local", pattern="^(local|ray)$")  # where renders run: local processes or Ray actors
    ray_address: Optional[str] = None  # join this Ray cluster (default: start a local Ray)
    max_upload_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    max_seconds: float = Field(default=180.0, gt=0)
    max_script_chars: int = Field(default=20_000, ge=1)
    upload_idle_s: float = Field(default=60.0, gt=0)  # an upload that sends nothing for this long is refused (408)
    rate_per_s: float = Field(default=5.0, ge=0)  # 0: no rate limit
    rate_burst: int = Field(default=20, ge=1)
    max_queued_per_account: int = Field(default=100, ge=1)
    max_batch_variants: int = Field(default=50, ge=1)
    webhook_allow: list[str] = Field(default_factory=list)  # networks webhooks may reach besides public addresses
    webhook_max_attempts: int = Field(default=8, ge=1, le=30)
    webhook_backoff_s: float = Field(default=2.0, gt=0)
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    gallery_language: str = "en"

    @property
    def ledger_path(self) -> Path:
        return self.ledger or (self.data / "ledger.sqlite3")

    @property
    def store_path(self) -> Path:
        return self.data / "service.sqlite3"

    @property
    def media_dir(self) -> Path:
        return self.data / "media"

    @property
    def jobs_dir(self) -> Path:
        return self.data / "jobs"

    @property
    def gallery_dir(self) -> Path:
        return self.data / "gallery"
