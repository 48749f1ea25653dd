"""The writer protocol: render audits to text; writers never open files or analyse."""

from __future__ import annotations

from typing import Protocol

from scanner.model import Audit


class Writer(Protocol):
    name: str
    suffix: str

    def render(self, audit: Audit) -> str: ...
