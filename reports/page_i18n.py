"""The templates' ``_``, ``gettext``, ``ngettext``, ``pgettext`` and ``npgettext``, cheap enough for a large page.

They return what Jinja's newstyle i18n returns on an autoescaped page: the translation as Markup, %-formatted with
its values escaped. Jinja's own go through three ``Context.call`` hops per ``_()``, and markupsafe's ``%`` makes a
helper object per value; a large app's page asks for thousands of strings, so they were one of its larger costs
(bench/profile_scan.py). Here a message without values is formatted once, and one with ``%(name)s`` fields is
split at them once, then filled in by escaping each value.

The report templates are always autoescaped (``reports.html.environment``), so the result is always Markup.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from gettext import NullTranslations
from typing import Any

from markupsafe import Markup, escape

_FIELD = re.compile(r"%\((\w+)\)s")


@functools.lru_cache(maxsize=4096)
def fields(text: str) -> tuple[str, ...] | None:
    """A translated message split at its ``%(name)s`` fields: literal, name, literal, … (one literal when it has
    none); None when it holds any other ``%`` (``%%``, ``%(num)d``), which markupsafe's ``%`` then formats."""
    parts = _FIELD.split(text)
    if any("%" in literal for literal in parts[::2]):
        return None
    return tuple(parts)


def fill(text: str, values: Mapping[str, Any]) -> Markup:
    """``Markup(text) % values``: the message is markup (the templates' own text), each value is escaped."""
    parts = fields(text)
    if parts is None:
        return Markup(text) % values  # noqa: S704 -- the message is ours; markupsafe escapes the values
    if len(parts) == 1:
        return Markup(text)  # noqa: S704 -- as above, with nothing to fill in
    out = [parts[0]]
    for i in range(1, len(parts), 2):
        value = values[parts[i]]
        out.append(value if type(value) is Markup else escape(value))  # escape(Markup) is itself, made slowly
        out.append(parts[i + 1])
    return Markup("".join(out))  # noqa: S704 -- the message's literals and escaped values


def callables(tr: NullTranslations) -> dict[str, Callable[..., Markup]]:
    """The five globals for one language's catalog (``env.globals.update``, after Jinja's i18n is installed)."""
    plain: dict[str, Markup] = {}

    def gettext(message: str, /, **values: Any) -> Markup:
        if values:
            return fill(tr.gettext(message), values)
        if message not in plain:
            plain[message] = fill(tr.gettext(message), values)
        return plain[message]

    def ngettext(singular: str, plural: str, count: int, /, **values: Any) -> Markup:
        values.setdefault("num", count)
        return fill(tr.ngettext(singular, plural, count), values)

    def pgettext(context: str, message: str, /, **values: Any) -> Markup:
        values.setdefault("context", context)
        return fill(tr.pgettext(context, message), values)

    def npgettext(context: str, singular: str, plural: str, count: int, /, **values: Any) -> Markup:
        values.setdefault("context", context)
        values.setdefault("num", count)
        return fill(tr.npgettext(context, singular, plural, count), values)

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext, "pgettext": pgettext, "npgettext": npgettext}
