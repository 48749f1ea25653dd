"""Frozen dataclasses to plain JSON values and back, driven by their type hints.

Used for the facts snapshots a batch keeps; small on purpose: it knows the shapes
our dataclasses use (nested dataclasses, tuples, optionals, dicts, str enums).
Converters are built once per type, since re-matching reads thousands of snapshots.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

_SCALARS = (str, int, float, bool, type(None))


@cache
def _field_names(cls: Any) -> tuple[str, ...] | None:
    """Field names of a dataclass type, None for any other type (asked once per type)."""
    return tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None


def to_plain(value: Any) -> Any:
    """JSON-ready values; int enums (severities) by lower-case name, other enums by value."""
    kind: Any = type(value)
    if kind in _SCALARS:  # the common case first: most values are strings
        return value
    names = _field_names(kind)
    if names is not None:
        return {name: to_plain(getattr(value, name)) for name in names}
    if isinstance(value, enum.IntEnum):
        return value.name.lower()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value]
    return value


def from_plain(hint: Any, value: Any) -> Any:
    return _converter(hint)(value)


def _identity(value: Any) -> Any:
    return value


@cache
def _converter(hint: Any) -> Callable[[Any], Any]:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = _converter(next(a for a in typing.get_args(hint) if a is not type(None)))
        return lambda v: None if v is None else inner(v)
    if origin is tuple:
        args = typing.get_args(hint)
        item = _converter(args[0]) if args else _identity
        if item is _identity:
            return tuple
        return lambda v: tuple(item(x) for x in v)
    if origin is dict:
        convert = _converter(typing.get_args(hint)[1])
        return lambda v: {k: convert(x) for k, x in v.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        fields = [(f.name, _converter(hints[f.name])) for f in dataclasses.fields(hint)]
        cls = hint
        return lambda v: cls(**{name: convert(v[name]) for name, convert in fields if name in v})
    if isinstance(hint, type) and issubclass(hint, enum.IntEnum):
        return lambda v: hint[v.upper()]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    return _identity


def read_json(path: str | Path, schema: str | tuple[str, ...],
              error: Callable[[str, str], Exception]) -> dict[str, Any]:
    """A JSON document whose ``schema`` key is the expected one (or one of them), or ``error(path, reason)``."""
    label = str(path)
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(label, f"cannot be read: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise error(label, f"is not valid JSON: {exc}") from None
    accepted = (schema,) if isinstance(schema, str) else schema
    if not isinstance(doc, dict) or doc.get("schema") not in accepted:
        raise error(label, f"is not the expected kind of file (its \"schema\" should be \"{accepted[-1]}\")")
    return doc
