"""Many downloaded regular expressions matched at once, in linear time (RE2).

The Exodus list's patterns are fetched over the network and run over strings from hostile APKs
(class and host names). ``saferegex`` already refuses the shapes that make a backtracking engine
blow up; matching them with RE2 as well makes the time linear in the input whatever the pattern,
and one ``re2.Set`` answers every pattern in one pass: 13 µs per host for the 258 network patterns,
against about 100 µs for a loop of Python ``re`` searches. The set compiles on first use (13 ms),
because most scans never fall through to the regexes, and pickles as its patterns (the compiled
knowledge base cache cannot hold the automaton).
"""

from __future__ import annotations

from typing import Any

MAX_INPUT = 1024  # a class or host name longer than this is cut: matching time stays bounded too


class RegexSet:
    """Patterns searched together; ``matches`` gives the indices of those found in a text, in order."""

    def __init__(self, patterns: tuple[str, ...]) -> None:
        self.patterns = patterns
        self._set: Any = None

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def __reduce__(self) -> tuple[type[RegexSet], tuple[tuple[str, ...]]]:
        return RegexSet, (self.patterns,)

    def matches(self, text: str) -> list[int]:
        if not self.patterns:
            return []
        if self._set is None:
            self._set = _compile(self.patterns)
        found = self._set.Match(text[:MAX_INPUT])  # None when nothing matches
        return sorted(found) if found else []


def _compile(patterns: tuple[str, ...]) -> Any:
    import re2  # linear-time matching; imported only when a scan needs the regexes

    matcher = re2.Set.SearchSet(re2.Options())
    for pattern in patterns:
        if matcher.Add(pattern) < 0:
            raise ValueError(f"RE2 cannot compile the pattern {pattern!r}")
    matcher.Compile()
    return matcher


def check_re2(pattern: str) -> None:
    """Raise ``ValueError`` when RE2 does not accept a pattern (validation, before it reaches a set)."""
    import re2

    try:
        re2.compile(pattern)
    except re2.error as exc:
        raise ValueError(str(exc)) from None
