"""Output formats, each rendered from the same Audit.

The writers load on first use: a ``-f json`` scan never imports Jinja and the HTML templates.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from reports.base import Writer

_WHERE = {"json": ("reports.json", "JsonWriter"), "html": ("reports.html", "HtmlWriter"),
          "sarif": ("reports.sarif", "SarifWriter"), "md": ("reports.markdown", "MarkdownWriter")}


class _Writers(Mapping[str, Writer]):
    """Format name -> writer, each module imported when its format is first asked for."""

    def __init__(self) -> None:
        self._made: dict[str, Writer] = {}

    def __getitem__(self, name: str) -> Writer:
        if name not in self._made:
            module, cls = _WHERE[name]  # KeyError for an unknown format, as a dict would raise
            self._made[name] = getattr(importlib.import_module(module), cls)()
        return self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


WRITERS: Mapping[str, Writer] = _Writers()


def get_writer(name: str) -> Writer:
    try:
        return WRITERS[name]
    except KeyError:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(sorted(WRITERS))}") from None


__all__ = ["WRITERS", "Writer", "get_writer"]
