"""Tables of a policy as rows, and which columns of a third-party SDK table say what.

HTML ``<table>`` elements are read through the parser's tree (``rows_of``); plain-text tables are
runs of lines split by ``|`` or tabs, with ``---`` / ``+--+`` rules skipped (``text_tables``).
A table is an SDK table when its header has a name column (SDK名称, 第三方名称, SDK name…) and at
least one of entity, data or purpose.
"""

from __future__ import annotations

import re

from bs4 import Tag

from scanner.privacy_policy.model import PolicyTable

MAX_ROWS = 2_000
MAX_CELLS = 32
MAX_CELL = 2_000
# header words per role, matched as substrings of the lower-cased header cell; first role wins
_ROLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("entity", ("主体", "公司", "运营方", "提供方", "开发者", "provider", "company", "entity", "operator", "vendor")),
    ("data", ("个人信息", "信息类型", "收集的信息", "收集信息", "数据类型", "字段", "data", "information collected",
              "personal information")),
    ("purpose", ("目的", "用途", "功能", "场景", "purpose", "used for", "use")),
    ("link", ("链接", "隐私政策", "政策", "link", "policy", "url")),
    ("name", ("sdk名称", "sdk 名称", "第三方名称", "名称", "sdk", "第三方", "合作方", "name", "library", "partner")),
)
_RULE_LINE = re.compile(r"^[\s|+:=\-]+$")


def roles(header: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """(role, column) for the header cells that name one; a role is given to its first column only."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        text = cell.lower()
        for role, words in _ROLES:
            if role not in found and any(w in text for w in words):
                found[role] = index
                break
    if "name" not in found or len(found) < 2:
        return ()
    return tuple(sorted(found.items(), key=lambda item: item[1]))


def make_table(rows: list[tuple[str, ...]]) -> PolicyTable | None:
    rows = [r for r in rows if any(r)]
    if len(rows) < 2:
        return None
    header, body = rows[0], tuple(rows[1:MAX_ROWS + 1])
    return PolicyTable(header, body, roles(header))


def _clean(text: str) -> str:
    return " ".join(text.split())[:MAX_CELL]


def rows_of(table: Tag) -> list[tuple[str, ...]]:
    """The rows of one HTML table (not of tables nested in it), cells as text; ``colspan`` repeats a cell."""
    rows: list[tuple[str, ...]] = []
    for tr in table.find_all("tr", limit=MAX_ROWS + 1):
        if tr.find_parent("table") is not table:
            continue
        cells: list[str] = []
        for cell in tr.find_all(("td", "th"), recursive=False, limit=MAX_CELLS):
            text = _clean(cell.get_text(" "))
            span = cell.get("colspan")
            repeat = int(span) if isinstance(span, str) and span.isdigit() else 1
            cells += [text] * max(1, min(repeat, MAX_CELLS - len(cells)))
        rows.append(tuple(cells))
    return rows


def split_row(line: str) -> tuple[str, ...] | None:
    """A plain-text table row: cells split by ``|`` (two or more cells) or by tabs."""
    if "|" in line:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
    elif "\t" in line:
        cells = [c.strip() for c in line.split("\t")]
    else:
        return None
    return tuple(_clean(c) for c in cells[:MAX_CELLS]) if len(cells) >= 2 else None


def text_tables(lines: list[str]) -> list[tuple[int, int, PolicyTable]]:
    """(first line, end line, table) for each run of two or more table-shaped lines."""
    found: list[tuple[int, int, PolicyTable]] = []
    start, rows = -1, []
    for index, line in enumerate([*lines, ""]):
        if _RULE_LINE.match(line) and ("-" in line or "=" in line) and start >= 0:
            continue
        row = split_row(line)
        if row is not None:
            if start < 0:
                start = index
            rows.append(row)
            continue
        if start >= 0:
            table = make_table(rows)
            if table is not None:
                found.append((start, index, table))
        start, rows = -1, []
    return found
