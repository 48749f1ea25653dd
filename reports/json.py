"""The canonical JSON result: sorted keys, stable lists, UTF-8, schema ``appaudit/1``."""

from __future__ import annotations

from typing import Any

import orjson

from scanner.model import Audit
from scanner.serial import to_plain
from signatures.model import KnowledgeBase


def to_dict(audit: Audit) -> dict[str, Any]:
    return to_plain(audit)  # type: ignore[no-any-return]


class JsonWriter:
    name = "json"
    suffix = ".json"

    def render(self, audit: Audit, kb: KnowledgeBase) -> str:
        """The result already records which knowledge base made it; ``kb`` is not needed here."""
        return dumps(to_dict(audit))


def dumps(doc: Any) -> str:
    """Sorted, 2-space indented UTF-8 JSON. orjson writes exactly what ``json.dumps(sort_keys=True,
    indent=2, ensure_ascii=False)`` does, ~5x faster: the stdlib drops to pure Python when indenting."""
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode("utf-8") + "\n"
