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


def outputs(writer: Writer, audit: Audit, kb: KnowledgeBase) -> tuple[tuple[str, bytes], ...]:
    """(suffix, bytes) of every file a format writes: its ``files`` when it writes several (the SDK list's
    XLSX and CSV), else its text under its suffix."""
    files = getattr(writer, "files", None)
    if files is not None:
        return tuple(files(audit, kb))
    return ((writer.suffix, writer.render(audit, kb).encode("utf-8")),)
