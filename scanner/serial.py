"""Frozen dataclasses to plain JSON values and back, driven by their type hints.

Used for the facts snapshots a batch keeps; small on purpose: it knows the shapes
our dataclasses use (nested dataclasses, tuples, optionals, dicts, str enums).
Converters are built once per type, since re-matching reads thousands of snapshots.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any


def to_plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
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
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    return _identity
