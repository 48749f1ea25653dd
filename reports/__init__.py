"""Output formats, each rendered from the same Audit.

The writers load on first use: a ``-f json`` scan never imports Jinja and the HTML templates.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator, Mapping

from reports.base import Writer

_LANGUAGE_AWARE = frozenset({"html", "md", "sdk-list"})  # JSON and SARIF are language-neutral
_WHERE = {"json": ("reports.json", "JsonWriter"), "html": ("reports.html", "HtmlWriter"),
          "sarif": ("reports.sarif", "SarifWriter"), "md": ("reports.markdown", "MarkdownWriter"),
          "sdk-list": ("reports.sdk_list", "SdkListWriter")}


class _Writers(Mapping[str, Writer]):
    """Format name -> writer, each module imported when its format is first asked for; the human-readable
    formats are made in ``lang`` (``en`` or ``zh-CN``)."""

    def __init__(self, lang: str = "en") -> None:
        self._made: dict[str, Writer] = {}
        self.lang = lang

    def __getitem__(self, name: str) -> Writer:
        if name not in self._made:
            module, cls = _WHERE[name]  # KeyError for an unknown format, as a dict would raise
            make = getattr(importlib.import_module(module), cls)
            self._made[name] = make(lang=self.lang) if name in _LANGUAGE_AWARE else make()
        return self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


WRITERS: Mapping[str, Writer] = _Writers()


@functools.cache
def writers(lang: str = "en") -> Mapping[str, Writer]:
    """The registry with HTML and Markdown in ``lang`` (``reports.i18n.LANGS``); ``WRITERS`` is the English one."""
    if lang == "en":  # the default, without loading the language module (a JSON scan needs none: ~1.8 ms)
        return WRITERS
    from reports.i18n import normalize_lang

    lang = normalize_lang(lang)
    return WRITERS if lang == "en" else _Writers(lang)


def get_writer(name: str) -> Writer:
    try:
        return WRITERS[name]
    except KeyError:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(sorted(WRITERS))}") from None


__all__ = ["WRITERS", "Writer", "get_writer", "writers"]
