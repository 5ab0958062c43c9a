"""Errors a user can act on: each says what went wrong and what to do; the CLI maps them to exit codes."""
from __future__ import annotations


class CaptionerError(Exception):
    """Base class. `exit_code` is what the CLI exits with; the message is one actionable line."""

    exit_code = 1


class InputError(CaptionerError):
    """A user-supplied input (video, script, option value) is missing or unusable."""

    exit_code = 2


class MediaError(CaptionerError):
    """ffmpeg could not read or write the media."""

    exit_code = 3


class ModelError(CaptionerError):
    """An ASR/alignment model is missing, incomplete or does not fit this machine."""

    exit_code = 4


class OutputError(CaptionerError):
    """The outputs cannot be written where asked."""

    exit_code = 5


class PresetError(InputError):
    """A caption preset is unknown or invalid."""


class LanguageError(InputError):
    """A language code is unknown, or a transcript came back in another language than pinned."""


class BillingError(CaptionerError):
    """The ledger refused the render (not enough credits) or is unusable."""

    exit_code = 6


class QualityError(CaptionerError):
    """`--strict`: the captions have an error finding (a split protected unit, a price the voice said otherwise)."""

    exit_code = 7
