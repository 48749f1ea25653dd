"""The canonical JSON result: sorted keys, stable lists, UTF-8, schema ``appaudit/1``."""

from __future__ import annotations

import dataclasses
import enum
import functools
from typing import Any

import orjson

from scanner.model import Audit


def to_dict(audit: Audit) -> dict[str, Any]:
    return _plain(audit)


_SCALARS = (str, int, float, bool, type(None))


@functools.cache
def _field_names(cls: Any) -> tuple[str, ...] | None:
    """Field names of a dataclass type, None for any other type (cached: asked once per type)."""
    return tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None


def _plain(value: Any) -> Any:
    kind: Any = type(value)
    if kind in _SCALARS:  # the common case first: most values are strings
        return value
    names = _field_names(kind)
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, enum.IntEnum):  # severities: written by name, ordered in code
        return value.name.lower()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class JsonWriter:
    name = "json"
    suffix = ".json"

    def render(self, audit: Audit) -> str:
        return dumps(to_dict(audit))


def dumps(doc: Any) -> str:
    """Sorted, 2-space indented UTF-8 JSON. orjson writes exactly what ``json.dumps(sort_keys=True,
    indent=2, ensure_ascii=False)`` does, ~5x faster: the stdlib drops to pure Python when indenting."""
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode("utf-8") + "\n"
