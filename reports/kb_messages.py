"""Babel extractor for the knowledge-base texts a report shows: rule titles, explanations and fixes
(``rules.toml``) and personal-information category titles (``pi_categories.toml``).

Wired in ``babel.cfg`` (``[extractors] kb = reports.kb_messages:extract``). Each text becomes one message,
its whitespace collapsed as ``reports.i18n.kb_text`` looks it up, with a comment naming the entry it comes
from, so a translator sees which rule or category a sentence belongs to. Names (SDKs, vendors) are not
messages: they are not translated. SDK purposes and app types carry their Chinese in the data itself.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any

from reports.i18n import kb_text

Message = tuple[int, str, str, list[str]]


def _line_of(lines: list[str], needle: str) -> int:
    """The 1-based line where an entry's id is written (0 when not found: Babel accepts it)."""
    return next((i + 1 for i, line in enumerate(lines) if needle in line), 0)


def messages(doc: Mapping[str, Any], lines: list[str]) -> Iterator[Message]:
    for rule in doc.get("rule", []):
        where = _line_of(lines, f'id = "{rule["id"]}"')
        for key in ("title", "explanation", "fix"):
            if str(rule.get(key, "")).strip():
                yield where, "gettext", kb_text(rule[key]), [f"rule {rule['id']}: {key}"]
    for cat in doc.get("pi", []):
        yield _line_of(lines, f'id = "{cat["id"]}"'), "gettext", kb_text(cat["title"]), \
            [f"personal-information category {cat['id']}"]


def extract(fileobj: IO[bytes], keywords: Sequence[str], comment_tags: Sequence[str],
            options: Mapping[str, Any]) -> Iterator[Message]:
    """Babel's extractor interface: ``(line, function, message, comments)`` for each text of one TOML file."""
    text = fileobj.read().decode("utf-8")
    yield from messages(tomllib.loads(text), text.splitlines())
