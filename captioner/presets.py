"""Caption presets: validated data files in presets/ (built-in) or a user's own JSON/YAML file."""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import PresetError
from .types import Tier
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$")


def _check_color(v: Optional[str]) -> Optional[str]:
    if v is None:
        return v
    if not isinstance(v, str) or not _COLOR.match(v):
        raise ValueError(f"colour {v!r} must be #RRGGBB or #RRGGBBAA (AA = opacity, FF opaque)")
    return v.upper()


class Animation(BaseModel):
    """How a page or word enters: the renderer turns this into ASS \\t, \\fad, \\move, \\fscx tags."""

    model_config = ConfigDict(extra="forbid")
    type: Literal[
        "none", "pop", "bounce", "slide_up", "typewriter", "zoom", "shake", "reveal", "moving_box", "fade"
    ] = "none"
    duration_ms: int = Field(default=150, ge=0, le=2000)
    scale: float = Field(default=1.15, ge=0.5, le=3.0)  # peak scale for pop/bounce/zoom
    distance: float = Field(default=0.03, ge=0.0, le=0.5)  # slide distance, fraction of frame height


class Reading(BaseModel):
    """Reading-speed and timing limits of the captions (checked by `qa`, aimed at by `layout`).

    Netflix Timed Text Style Guide / BBC figures: 17 characters per second for adults (over 20 is hard to follow),
    9 for Simplified Chinese; events at least 5/6 s and at most 7 s; at least 2 frames between events. Line
    lengths for vertical short-form: about 25 characters preferred, 29 at most (42 in broadcast), 16 for
    Chinese. `max_cps_cjk` 11 keeps the Latin ratio (20/17) over the Chinese target."""

    model_config = ConfigDict(extra="forbid")
    target_cps: float = Field(default=17.0, gt=0, le=60)
    max_cps: float = Field(default=20.0, gt=0, le=60)
    target_cps_cjk: float = Field(default=9.0, gt=0, le=60)
    max_cps_cjk: float = Field(default=11.0, gt=0, le=60)
    min_duration: float = Field(default=5 / 6, ge=0.2, le=3.0)
    max_duration: float = Field(default=7.0, ge=1.0, le=20.0)
    min_gap_frames: int = Field(default=2, ge=0, le=12)
    max_chars: int = Field(default=29, ge=8, le=80)
    preferred_chars: int = Field(default=25, ge=8, le=80)
    max_chars_cjk: int = Field(default=16, ge=4, le=40)

    @model_validator(mode="after")
    def _consistent(self):
        """A limit and its target the wrong way round made every page break one rule or the other (a preset with
        min_duration 3 > max_duration 1 got both `qa_too_short` and `qa_too_long` on the same page)."""
        for lo, hi in (("target_cps", "max_cps"), ("target_cps_cjk", "max_cps_cjk"), ("min_duration", "max_duration"),
                       ("preferred_chars", "max_chars")):
            if getattr(self, lo) > getattr(self, hi):
                raise ValueError(f"{lo} ({getattr(self, lo):g}) is more than {hi} ({getattr(self, hi):g})")
        return self


class Emphasis(BaseModel):
    """How prices, promo codes and brand terms stand out (`--no-emphasis` turns it off). Colour emoji keep their
    own colours; a scale above 1 is reserved by the layout, so the block never reflows."""

    model_config = ConfigDict(extra="forbid")
    kinds: list[Literal["price", "promo_code", "brand", "percent"]] = Field(
        default_factory=lambda: ["price", "promo_code", "brand"])
    color: Optional[str] = None  # None: keep the word's colour (karaoke states)
    scale: float = Field(default=1.0, ge=1.0, le=1.3)
    active_color: bool = False  # True: the emphasis colour also while the word is spoken (else the highlight)

    @field_validator("color")
    @classmethod
    def _colors(cls, v):
        return _check_color(v)


class Preset(BaseModel):
    """A caption look. Sizes are fractions of the frame's shorter side so any aspect ratio works."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    tier: Tier
    description: str = ""
    font: str = "Montserrat-ExtraBold.ttf"  # a file in fonts/ (no paths)
    font_size: float = Field(default=0.075, gt=0.01, le=0.25, description="a fraction of the frame's shorter side: 0.075 = 81 px on 1080×1920")
    uppercase: bool = False
    letter_spacing: float = Field(default=0.0, ge=-0.2, le=1.0, description="a fraction of the font size")
    line_spacing: float = Field(default=1.0, ge=0.7, le=2.0, description="a multiple of the font's line height")
    text_color: str = "#FFFFFF"
    highlight_color: Optional[str] = "#FFD400"  # active word colour (None: no colour change)
    gradient_color: Optional[str] = None  # upper half of the letters in this colour: a two-tone, gradient-like fill
    past_color: Optional[str] = None  # words already spoken (None: text_color)
    future_color: Optional[str] = None  # words not yet spoken (None: text_color)
    outline_color: str = "#000000"
    outline: float = Field(default=0.006, ge=0, le=0.05, description="a fraction of the frame's shorter side")
    shadow: float = Field(default=0.0, ge=0, le=0.05, description="a fraction of the frame's shorter side")
    shadow_color: str = "#00000080"
    blur: float = Field(default=0.0, ge=0, le=20)
    box: Literal["none", "box", "pill"] = "none"  # background behind the whole page
    box_color: str = "#000000B3"
    box_padding: float = Field(default=0.012, ge=0, le=0.1)
    highlight: Literal["color", "box", "underline", "scale", "none"] = "color"
    highlight_box_color: str = "#7C3AEDFF"
    active_scale: float = Field(default=1.0, ge=0.5, le=2.0)  # >1 only for dynamic presets (layout is reserved)
    position: Literal["bottom", "center", "top"] = "bottom"
    y_offset: float = Field(default=0.0, ge=-0.5, le=0.5, description="a fraction of the frame height, + moves down")
    max_words: int = Field(default=4, ge=1, le=6)
    max_lines: int = Field(default=2, ge=1, le=2)
    animation: Animation = Field(default_factory=Animation)
    reading: Reading = Field(default_factory=Reading)
    emphasis: Optional[Emphasis] = None  # None: no emphasis

    @field_validator("text_color", "highlight_color", "gradient_color", "past_color", "future_color", "outline_color",
                     "shadow_color", "box_color", "highlight_box_color")
    @classmethod
    def _colors(cls, v):
        return _check_color(v)

    @field_validator("font")
    @classmethod
    def _font_name(cls, v: str):
        if "/" in v or "\\" in v or v.startswith(".") or ".." in v or "\x00" in v:
            raise ValueError(f"font {v!r} must be a file name in the fonts folder, not a path")
        if not v.lower().endswith((".ttf", ".otf")):
            raise ValueError(f"font {v!r} must be a .ttf or .otf file from the fonts folder")
        if v.lower().startswith("notocoloremoji"):
            raise ValueError("the colour emoji font cannot be a caption font: emoji are drawn automatically")
        return v

    @property
    def billed_tier(self) -> Tier:
        """The tier this look is priced at: what it does, not the `tier` it claims (see `behaviour_tier`)."""
        return behaviour_tier(self)

    @property
    def credits_milli(self) -> int:
        from .billing import price_millicredits

        return price_millicredits(self.billed_tier)


# The karaoke tier is the default look; only its font and two colours may change (the CLI's --font, --color,
# --highlight-color) and it stays karaoke; emphasis on or off (--no-emphasis) does not change what it costs.
# These are the fields that define it.
_KARAOKE_FREE_FIELDS = {"name", "tier", "description", "font", "text_color", "highlight_color", "emphasis"}


def moves(preset: "Preset") -> bool:
    """True when anything in the look is animated: an entry animation, a scaled active word."""
    return (preset.animation.type != "none" or preset.active_scale != 1.0 or preset.highlight == "scale")


def behaviour_tier(preset: "Preset") -> Tier:
    """Price a look by what it does: anything that moves → dynamic; the karaoke look (font and colours aside)
    → karaoke; any other static look → basic. A preset file's own `tier` label is not trusted (a copy of
    `bounce` labelled karaoke is still animated). Every built-in preset's label equals its behaviour tier
    (tests/test_hostile_billing.py)."""
    if moves(preset):
        return Tier.dynamic
    karaoke = builtin_presets().get("karaoke")
    if karaoke is not None:
        mine = preset.model_dump(exclude=_KARAOKE_FREE_FIELDS)
        if mine == karaoke.model_dump(exclude=_KARAOKE_FREE_FIELDS):
            return Tier.karaoke
    return Tier.basic


def presets_dir() -> Path:
    return Path(str(resources.files("captioner.presets_data")))


def _problems(e: ValidationError) -> str:
    """Each problem of a preset as "field: what is wrong (what the field measures)"."""
    out = []
    for err in e.errors():
        loc = [str(x) for x in err["loc"]]
        info = Preset.model_fields.get(loc[0]) if len(loc) == 1 else None
        unit = f" ({info.description})" if info is not None and info.description else ""
        out.append(f"{'.'.join(loc) or 'preset'}: {err['msg']}{unit}")
    return "; ".join(out)


def fonts_dir() -> Path:
    return Path(str(resources.files("captioner.fonts_data")))


def font_path(preset: Preset) -> Path:
    p = fonts_dir() / preset.font
    root = fonts_dir().resolve()
    if p.exists() and root not in p.resolve().parents:
        raise PresetError(f"font {preset.font!r} resolves outside the fonts folder {root}; use a shipped font")
    if not p.is_file():
        shipped = ", ".join(sorted(x.name for x in fonts_dir().iterdir() if x.suffix.lower() in (".ttf", ".otf")
                                   and not x.name.startswith("NotoColorEmoji")))
        raise PresetError(f"font {preset.font!r} of preset {preset.name!r} is not shipped; use one of: {shipped}")
    return p


def _parse(path: Path) -> Preset:
    from .safeload import PRESET_BYTES, DataFileError, load_file

    try:  # bounded: size, nesting and YAML alias limits (safeload.py)
        data = load_file(path, (".json", ".yaml", ".yml"), what="preset file", max_bytes=PRESET_BYTES)
    except DataFileError as e:
        raise PresetError(str(e)) from e
    if not isinstance(data, dict):
        raise PresetError(f"preset file {path} must hold one object (name, tier, font, colours …)")
    try:
        preset = Preset.model_validate(data)
    except ValidationError as e:
        raise PresetError(f"invalid preset file {path}: {_problems(e)}") from e
    font_path(preset)
    return preset


@lru_cache(maxsize=1)
def builtin_presets() -> dict[str, Preset]:
    out: dict[str, Preset] = {}
    for p in sorted(presets_dir().iterdir()):
        if p.suffix.lower() in (".json", ".yaml", ".yml"):
            preset = _parse(p)
            if preset.name in out:
                raise PresetError(f"duplicate built-in preset name {preset.name!r} in {p}")
            out[preset.name] = preset
    return out


def list_presets() -> list[Preset]:
    order = {Tier.karaoke: 0, Tier.basic: 1, Tier.dynamic: 2}
    return sorted(builtin_presets().values(), key=lambda p: (order[p.tier], p.name))


def load_preset(name_or_path: str | Path, **overrides) -> Preset:
    """A built-in preset by name, or a preset file (JSON/YAML); `overrides` (font, colours …) are re-validated."""
    s = str(name_or_path)
    presets = builtin_presets()
    if s in presets:
        preset = presets[s]
    else:
        p = Path(s)
        if p.suffix.lower() in (".json", ".yaml", ".yml") or p.exists():
            if not p.is_file():
                raise PresetError(f"preset file not found: {p}")
            preset = _parse(p)
        else:
            raise PresetError(f"unknown preset {s!r}: run `captioner presets` to list them, or pass a preset file (.json/.yaml)")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if overrides:
        try:
            preset = Preset.model_validate({**preset.model_dump(), **overrides})
        except ValidationError as e:
            raise PresetError(f"invalid preset override: {_problems(e)}") from e
        font_path(preset)
    return preset
