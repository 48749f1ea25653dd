"""Report languages: the message catalogs, loaded once per language, and what every writer asks of them.

The English text is the message id (gettext's convention), so an English report needs no catalog and reads
exactly as the templates and the knowledge base write it. Other languages come from compiled catalogs in
``reports/locale/<locale>/LC_MESSAGES/appaudit.mo`` (made by ``make i18n`` with Babel, committed so a clean
clone needs no build step). The standard library reads them: loading is a few milliseconds, once per language,
and a missing catalog is an error rather than a silent English report.

``translator(lang)`` is the small API other writers use (the SDK list's column headers, for one).
"""

from __future__ import annotations

import functools
import gettext as _gettext
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

DOMAIN = "appaudit"
DEFAULT = "en"
LANGS = ("en", "zh-CN")  # BCP 47 tags, as written in <html lang> and accepted by --lang and appaudit.toml
_LOCALES = {"zh-CN": "zh_CN"}  # BCP 47 tag -> gettext locale folder
_ALIASES = {"en": "en", "en-us": "en", "en-gb": "en", "zh-cn": "zh-CN", "zh_cn": "zh-CN", "zh": "zh-CN",
            "zh-hans": "zh-CN", "zh-hans-cn": "zh-CN"}
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def normalize_lang(value: str) -> str:
    """``zh-cn``, ``zh_CN`` or ``zh`` → ``zh-CN``; ``en`` → ``en``; anything else is a ValueError naming the choices."""
    lang = _ALIASES.get(value.strip().lower())
    if lang is None:
        raise ValueError(f"unknown report language {value!r}; known: {', '.join(LANGS)}")
    return lang


def text_lang(text: str) -> str:
    """The language a name from the data is written in: ``zh-CN`` when it holds Chinese characters, else ``en``.

    Names (SDKs, vendors, legal entities, app labels) are not translated; the page marks each one whose
    language differs from the page's, so screen readers and fonts treat it right.
    """
    return "zh-CN" if _CJK.search(text) else "en"


@functools.cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The catalog of one language, read once per process; English is the message ids themselves."""
    lang = normalize_lang(lang)
    if lang == DEFAULT:
        return _gettext.NullTranslations()
    folder = resources.files("reports").joinpath("locale")
    with resources.as_file(folder) as path:
        return _gettext.translation(DOMAIN, localedir=str(path), languages=[_LOCALES[lang]])


def kb_text(text: str) -> str:
    """A knowledge-base text as its message id: whitespace collapsed, so re-wrapping a TOML string keeps it."""
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class Translator:
    """``gettext``/``ngettext`` of one language, plus ``kb`` for knowledge-base texts (rule titles, categories)."""

    lang: str
    gettext: Callable[[str], str]
    ngettext: Callable[[str, str, int], str]

    @property
    def zh(self) -> bool:
        return self.lang == "zh-CN"

    def kb(self, text: str) -> str:
        """A knowledge-base text in this language; empty stays empty (``gettext("")`` is the catalog header)."""
        return self.gettext(kb_text(text)) if text.strip() else text

    def nformat(self, count: int, singular: str, plural: str, **values: object) -> str:
        """``ngettext`` with ``%(num)s`` filled in as a grouped number (``1,234 places``), and any other values.

        Babel extracts it as ``nformat:2,3`` (Makefile ``i18n``)."""
        return self.ngettext(singular, plural, count) % {"num": f"{count:,}", **values}


@functools.cache
def translator(lang: str = DEFAULT) -> Translator:
    """The gettext and ngettext callables of ``lang`` (``en`` or ``zh-CN``), made once per language."""
    tr = translations(lang)
    return Translator(normalize_lang(lang), tr.gettext, tr.ngettext)
