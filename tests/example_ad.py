"""What the shipped example ad (examples/ad-en-01: the voice says "forty dollars", the script "$49") must show,
under the price judge's policy (README, "Numbers and prices"): either the spoken $40 with a `price_mismatch`
error, or — when the judge's witnesses do not settle on one other value — the script's $49 with a
`number_disputed` finding that names the $40 the recogniser heard: an error when the judge is sure the voice
does not say $49 (the posterior of $49 is at most `post_reject`), a warning otherwise. Never $49 without a
word. Today it is the spoken $40 (p = 0.91 on the AMD machine, since the judge weighs the Whisper decoder's plain
likelihood too, 2026-12-01); before, an error-level dispute (the decoder's PMI preferred the phone model's proposal
"$42"). The recogniser's int8 kernels differ between CPUs, so all three outcomes are accepted."""
from __future__ import annotations


def price_outcome(findings: list[dict], caption_text: str) -> str:
    """Checks the policy on the findings and the caption text (words or SRT); returns "flagged", "rejected" or
    "disputed"."""
    flagged = [f for f in findings if f["kind"] == "price_mismatch" and f["severity"] == "error"]
    disputed = [f for f in findings if f["kind"] == "number_disputed" and f["severity"] in ("warning", "error")
                and (f.get("script_text") or "").startswith("$49")]
    if "$40" in caption_text:
        assert flagged and "$49" not in caption_text, findings
        return "flagged"
    assert "$49" in caption_text and disputed, findings
    assert "$40" in disputed[0]["message"], disputed[0]  # names what was heard, so a human can check it
    return "rejected" if disputed[0]["severity"] == "error" else "disputed"
