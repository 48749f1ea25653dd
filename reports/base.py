"""The writer protocol: render an audit to text; writers never open files, analyse or load the knowledge base."""

from __future__ import annotations

from typing import Protocol

from scanner.model import Audit
from signatures.model import KnowledgeBase


class Writer(Protocol):
    name: str
    suffix: str

    def render(self, audit: Audit, kb: KnowledgeBase) -> str:
        """The knowledge base the audit was made with gives names, rule texts and references."""
        ...
