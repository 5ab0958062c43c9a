"""Flat per-render pricing by preset tier (integer milli-credits, never floats) and receipts."""
from __future__ import annotations

from .types import Receipt

# The price table: credits per render, whatever the video's length.
PRICES_MILLI: dict[str, int] = {"karaoke": 0, "basic": 400, "dynamic": 800}


def price_millicredits(tier: str) -> int:
    try:
        return PRICES_MILLI[tier]
    except KeyError:
        raise ValueError(f"unknown tier {tier!r}") from None


def to_credits(milli: int) -> float:
    return milli / 1000


def receipt_for(preset, *, charged: bool = False, key: str | None = None, account: str | None = None, preview: bool = False) -> Receipt:
    milli = 0 if preview else price_millicredits(preset.tier)
    return Receipt(preset=preset.name, tier=preset.tier, credits=to_credits(milli), millicredits=milli,
                   charged=charged, idempotency_key=key, account=account, preview=preview)
