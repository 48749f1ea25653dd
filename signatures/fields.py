"""Typed access to one TOML entry, failing with the file and entry named.

Unknown keys are errors: a misspelt key in a hand-edited file would otherwise
silently drop a signature.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from signatures.model import KnowledgeBaseError


class Entry:
    """One table of a data file plus where it came from."""

    def __init__(self, file: str, data: Mapping[str, Any], key: str = "id",
                 default_source: tuple[str, ...] = ()) -> None:
        self.file = file
        self.data = data
        self.ident = str(data.get(key, "<no id>"))
        self.default_source = default_source
        self._used: set[str] = set()

    def fail(self, reason: str) -> KnowledgeBaseError:
        return KnowledgeBaseError(self.file, self.ident, reason)

    def _get(self, key: str, kinds: type | tuple[type, ...], default: Any, required: bool) -> Any:
        self._used.add(key)
        if key not in self.data:
            if required:
                raise self.fail(f"missing required key {key!r}")
            return default
        value = self.data[key]
        if isinstance(value, bool) and bool not in (kinds if isinstance(kinds, tuple) else (kinds,)):
            raise self.fail(f"key {key!r} must not be a boolean")
        if not isinstance(value, kinds):
            raise self.fail(f"key {key!r} has the wrong type ({type(value).__name__})")
        return value

    def text(self, key: str, default: str | None = None) -> str:
        value: str = self._get(key, str, default, default is None)
        if default is None and not value.strip():
            raise self.fail(f"key {key!r} is empty")
        return value

    def opt_text(self, key: str) -> str | None:
        value: str | None = self._get(key, str, None, False)
        return value

    def integer(self, key: str) -> int | None:
        value: int | None = self._get(key, int, None, False)
        return value

    def flag(self, key: str, default: bool) -> bool:
        value: bool = self._get(key, bool, default, False)
        return value

    def choice(self, key: str, choices: Iterable[str], default: str | None = None) -> str:
        value = self.text(key, default)
        allowed = tuple(choices)
        if value not in allowed:
            raise self.fail(f"key {key!r} is {value!r}, expected one of {', '.join(allowed)}")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key, list, [], False)
        if not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"key {key!r} must be a list of non-empty strings")
        if len(set(value)) != len(value):
            raise self.fail(f"key {key!r} lists a value twice")
        return tuple(value)

    def integers(self, key: str) -> tuple[int, ...]:
        value = self._get(key, list, [], False)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise self.fail(f"key {key!r} must be a list of integers")
        return tuple(value)

    def tables(self, key: str) -> list[Mapping[str, Any]]:
        value: list[Mapping[str, Any]] = self._get(key, list, [], False)
        if not all(isinstance(v, dict) for v in value):
            raise self.fail(f"key {key!r} must be a list of tables")
        return value

    def source(self) -> tuple[str, ...]:
        self._used.add("source")
        value = self.data.get("source", list(self.default_source))
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise self.fail("every entry needs a non-empty 'source'")
        return tuple(value)

    def done(self) -> None:
        """Reject keys nobody read (typos, stale fields)."""
        unknown = sorted(set(self.data) - self._used)
        if unknown:
            raise self.fail(f"unknown key(s): {', '.join(unknown)}")
