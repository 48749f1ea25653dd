"""Output formats, each rendered from the same Audit."""

from __future__ import annotations

from reports.base import Writer
from reports.html import HtmlWriter
from reports.json import JsonWriter
from reports.markdown import MarkdownWriter
from reports.sarif import SarifWriter

WRITERS: dict[str, Writer] = {"json": JsonWriter(), "html": HtmlWriter(), "sarif": SarifWriter(),
                              "md": MarkdownWriter()}


def get_writer(name: str) -> Writer:
    try:
        return WRITERS[name]
    except KeyError:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(sorted(WRITERS))}") from None


__all__ = ["WRITERS", "Writer", "get_writer"]
