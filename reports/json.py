"""The canonical JSON result: sorted keys, stable lists, UTF-8, schema ``appaudit/1``."""

from __future__ import annotations

import dataclasses
import enum
import json as _json
from typing import Any

from scanner.model import Audit


def to_dict(audit: Audit) -> dict[str, Any]:
    return _plain(audit)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
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
        return _json.dumps(to_dict(audit), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
