"""Text cells that spreadsheets show as text: formula injection (CSV/XLSX injection) neutralised.

An app label, a URL or an SDK name is attacker-controlled. A cell starting with ``=``, ``+``, ``-`` or ``@``
(or a tab or carriage return, which some spreadsheets strip before that check) is taken as a formula
when the file is opened; ``=HYPERLINK(...)`` in an app label would then run in the auditor's
spreadsheet. As OWASP advises, such a cell is written with a leading apostrophe, which spreadsheets
read as "this is text" and do not display.
"""

from __future__ import annotations

from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: Any) -> Any:
    """``value`` unchanged, unless it is text a spreadsheet would evaluate: then prefixed with ``'``."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value
