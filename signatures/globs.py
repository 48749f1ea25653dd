"""File-name globs of the knowledge base (``libjiagu*.so``), matched as ``fnmatch.fnmatchcase`` matches them.

Why by hand: ``fnmatchcase`` compiles each pattern to a regular expression on its first use, and every scan is
a fresh process: the ~110 library and asset globs cost ~3 ms of each scan before a name is tested. Every glob
the data holds has at most one ``*`` and no ``?`` or ``[``: a prefix and a suffix test say the same.
Any other pattern goes to ``fnmatchcase`` (``tests/test_signatures.py`` compares the two).
"""

from __future__ import annotations

import fnmatch
import functools


@functools.lru_cache(maxsize=4096)
def _parts(pattern: str) -> tuple[str, str] | None:
    """(text before the ``*``, text after it) of a pattern with one ``*`` and nothing else special, else None."""
    if "?" in pattern or "[" in pattern or pattern.count("*") != 1:
        return None
    head, _, tail = pattern.partition("*")
    return head, tail


def glob_match(name: str, pattern: str) -> bool:
    """Whether ``name`` matches ``pattern`` as ``fnmatch.fnmatchcase`` decides (``*`` matches any text, ``/`` too)."""
    if "*" not in pattern and "?" not in pattern and "[" not in pattern:
        return name == pattern
    parts = _parts(pattern)
    if parts is None:
        return fnmatch.fnmatchcase(name, pattern)
    head, tail = parts
    return len(name) >= len(head) + len(tail) and name.startswith(head) and name.endswith(tail)
