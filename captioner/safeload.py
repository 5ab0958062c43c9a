"""Bounded loading of user data files (manifests, presets): size, nesting and alias limits before any value is used.

A manifest or preset file is untrusted input. `yaml.safe_load` refuses code, but not volume: a 496-byte YAML
"billion laughs" (nine anchors, each a list of nine aliases of the previous) loads as a shared structure that
expands to 9⁹ values the moment anything walks it (the validator printing it took 3.1 GB and died with
MemoryError), and a few kilobytes of `[[[[…` or deeply indented mappings end in RecursionError. So, in order:

1. size: at most `max_bytes` are read (manifests 1 MiB: a 1,000-variant manifest is ~150 kB; presets 64 kB);
2. text: UTF-8 (a BOM is allowed), else an error naming the encoding problem;
3. parse: YAML through a loader that counts aliases as it composes (more than `MAX_ALIASES` = 64 → refused:
   merge keys for shared defaults need a handful) and refuses nesting deeper than `max_depth` before recursing;
   JSON and TOML with their standard parsers, their RecursionError turned into the same nesting error;
4. shape: the loaded value walked iteratively: depth ≤ `max_depth` (32; a preset is 3 deep, a manifest 4),
   at most `MAX_VALUES` = 100,000 values counted *with* alias expansion (a shared node counts each time it is
   reached, memoised, so the count itself is linear), and every mapping key a string.

Errors are `DataFileError` (an InputError) with one line that names the file and the limit — never the value.
"""
from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Iterable

import yaml

from .errors import InputError

__all__ = ["DataFileError", "load_file", "loads", "MAX_ALIASES", "MAX_DEPTH", "MAX_VALUES", "MANIFEST_BYTES",
           "PRESET_BYTES"]

MANIFEST_BYTES = 1 << 20
PRESET_BYTES = 64 << 10
MAX_DEPTH = 32
MAX_ALIASES = 64
MAX_VALUES = 100_000


class DataFileError(InputError):
    """A manifest or preset file is too large, too deep, not UTF-8, not valid YAML/JSON/TOML, or expands too far."""


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that counts aliases and nesting while composing (before any value is built or walked)."""

    max_depth = MAX_DEPTH
    max_aliases = MAX_ALIASES

    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > self.max_aliases:
                raise _Limit(f"uses more than {self.max_aliases} YAML aliases (*name): write the values out, "
                             "or share fewer of them")
        self._depth += 1
        if self._depth > self.max_depth:
            raise _Limit(f"is nested deeper than {self.max_depth} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Limit(Exception):
    pass


def _children(x):
    return x.values() if isinstance(x, dict) else x


def _walk(value: Any, max_depth: int, max_values: int) -> None:
    """Depth, expanded size and key types of a loaded value, iteratively (no recursion to exhaust).

    A container reached through several YAML aliases is one object; its (size, height) is memoised by id, so the
    expanded size is counted in time linear in the distinct containers. A container inside itself is refused."""
    memo: dict[int, tuple[int, int]] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        x, done = stack.pop()
        if not isinstance(x, (dict, list)):
            continue
        if done:
            size, height = 1, 1
            for c in _children(x):
                s, h = memo[id(c)] if isinstance(c, (dict, list)) else (1, 0)
                size, height = size + s, max(height, h + 1)
            memo[id(x)] = (min(size, max_values + 1), height)
            on_path.discard(id(x))
            continue
        if id(x) in memo:
            continue
        on_path.add(id(x))
        if isinstance(x, dict):
            for k in x:
                if not isinstance(k, str):
                    raise _Limit(f"has a key that is not text ({type(k).__name__} {str(k)[:40]!r}): quote it")
        stack.append((x, True))
        for c in _children(x):
            if isinstance(c, (dict, list)) and id(c) not in memo:
                if id(c) in on_path:
                    raise _Limit("contains itself (a YAML alias inside its own anchor)")
                stack.append((c, False))
    size, height = memo[id(value)] if isinstance(value, (dict, list)) else (1, 0)
    if height > max_depth:
        raise _Limit(f"is nested deeper than {max_depth} levels")
    if size > max_values:
        raise _Limit(f"expands to more than {max_values:,} values (YAML aliases repeat what they point to)")


def _format(path: Path, formats: Iterable[str]) -> str:
    suffix = path.suffix.lower()
    allowed = tuple(formats)
    if suffix not in allowed:
        raise DataFileError(f"{path} must be a {', '.join(f.lstrip('.') for f in allowed)} file")
    return {".yml": "yaml", ".yaml": "yaml", ".json": "json", ".toml": "toml"}[suffix]


def loads(text: str, fmt: str, *, source: str = "data", max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES) -> Any:
    """Parse `text` as `fmt` ("yaml", "json" or "toml") within the limits; `source` names it in errors."""
    name = {"yaml": "YAML", "json": "JSON", "toml": "TOML"}[fmt]
    try:
        if fmt == "yaml":
            loader = _BoundedLoader(text)
            loader.max_depth = max_depth
            try:
                data = loader.get_single_data()
            finally:
                loader.dispose()
        elif fmt == "json":
            data = json.loads(text)
        else:
            data = tomllib.loads(text)
        _walk(data, max_depth, max_values)
    except _Limit as e:
        raise DataFileError(f"{source} {e}") from None
    except RecursionError:
        raise DataFileError(f"{source} is nested deeper than {max_depth} levels") from None
    except (yaml.YAMLError, json.JSONDecodeError, tomllib.TOMLDecodeError) as e:
        raise DataFileError(f"{source} is not valid {name}: {_one_line(e)}") from None
    except (ValueError, TypeError, OverflowError) as e:  # e.g. a YAML date out of range, an int too long for str()
        raise DataFileError(f"{source} is not valid {name}: {_one_line(e)}") from None
    return data


def _one_line(e: Exception) -> str:
    text = " ".join(str(e).split())
    return text if len(text) <= 300 else text[:297] + "…"


def load_file(path: str | os.PathLike, formats: Iterable[str], *, what: str = "file", max_bytes: int = MANIFEST_BYTES,
              max_depth: int = MAX_DEPTH, max_values: int = MAX_VALUES) -> Any:
    """Read and parse a YAML/JSON/TOML file within the limits. `what` ("manifest", "preset file") names it in errors."""
    p = Path(path)
    fmt = _format(p, formats)
    source = f"{what} {p}"
    try:
        with open(p, "rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as e:
        raise DataFileError(f"cannot read {source}: {e.strerror or e}") from None
    if len(raw) > max_bytes:
        raise DataFileError(f"{source} is larger than {max_bytes // 1024} KiB: split it into smaller files")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(raw) > 1 and raw.count(b"\x00") > len(raw) // 4):
        raise DataFileError(f"{source} is UTF-16 text: save it as UTF-8")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataFileError(f"{source} is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}): "
                            "save it as UTF-8") from None
    if "\x00" in text:
        raise DataFileError(f"{source} contains NUL bytes: it is not a text file")
    return loads(text, fmt, source=source, max_depth=max_depth, max_values=max_values)
