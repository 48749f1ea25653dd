"""Which downloaded regular expressions may be compiled: the subset that searches in bounded time.

The Exodus tracker list is fetched over the network and its patterns are run over strings from
hostile APKs by Python's backtracking engine. ``check_regex`` parses a pattern with a whitelist of
constructs — a length limit, no backreferences or lookarounds, no repeat of a group that holds a
repeat or an alternation, bounded ``{m,n}``, at most two variable-length repeats in one
alternative — and refuses anything else. Every signature of the Exodus list passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_REGEX_LENGTH = 1024  # the longest Exodus signature (2024) is 490 characters
MAX_REPEAT_BOUND = 100  # the largest n in {m,n}
MAX_VARIABLE = 2  # repeats of variable length (*, +, {m,n}) in one alternative: search time grows as length ** (k + 1)
_BRACES = re.compile(r"\{(\d*)(,?)(\d*)\}")


class UnsafeRegex(ValueError):
    """A downloaded regular expression outside the subset that matches in bounded time."""


@dataclass(slots=True)
class _Shape:
    repeats: bool = False  # holds a quantifier that can match more than once
    branches: bool = False  # holds an alternation
    variable: int = 0  # repeats of variable length along one path through it (the most of any alternative)


class _RegexCheck:
    """A parser for the safe subset of Python's regex syntax; anything it does not know is refused.

    Allowed: literals, escapes other than backreferences, ``.``, classes, anchors, ``(...)`` and
    ``(?:...)``, alternation and quantifiers. A quantifier that can repeat more than once may only
    apply to something that holds neither a quantifier nor an alternation: ``(a+)+`` and ``(a|ab)*``
    backtrack exponentially. Not allowed: backreferences, lookarounds, named groups, inline flags,
    conditionals.
    """

    def __init__(self, pattern: str) -> None:
        self.text, self.pos = pattern, 0

    def check(self) -> None:
        if len(self.text) > MAX_REGEX_LENGTH:
            raise UnsafeRegex(f"longer than {MAX_REGEX_LENGTH} characters")
        self._alternation(0)
        if self.pos != len(self.text):
            raise UnsafeRegex(f"unbalanced ')' at {self.pos}")

    def _alternation(self, depth: int) -> _Shape:
        if depth > 8:
            raise UnsafeRegex("groups nested more than 8 deep")
        shapes = [self._sequence(depth)]
        while self.text.startswith("|", self.pos):
            self.pos += 1
            shapes.append(self._sequence(depth))
        return _Shape(any(s.repeats for s in shapes), len(shapes) > 1 or any(s.branches for s in shapes),
                      max(s.variable for s in shapes))

    def _sequence(self, depth: int) -> _Shape:
        shape = _Shape()
        while self.pos < len(self.text) and self.text[self.pos] not in "|)":
            atom = self._atom(depth)
            bounds = self._quantifier()
            if bounds is not None:
                low, high = bounds
                if (high is None or high > 1) and (atom.repeats or atom.branches):
                    holds = "a repeat" if atom.repeats else "an alternation"
                    raise UnsafeRegex(f"a repeated group that holds {holds} (nested quantifier), ending at {self.pos}")
                atom.repeats = atom.repeats or high is None or high > 1
                atom.variable += high is None or high > low
            shape.repeats |= atom.repeats
            shape.branches |= atom.branches
            shape.variable += atom.variable
            if shape.variable > MAX_VARIABLE:
                raise UnsafeRegex(f"more than {MAX_VARIABLE} repeats of variable length in one alternative")
        return shape

    def _atom(self, depth: int) -> _Shape:
        char = self.text[self.pos]
        if char == "(":
            if self.text.startswith("(?", self.pos) and not self.text.startswith("(?:", self.pos):
                raise UnsafeRegex(f"'(?' construct at {self.pos} (lookaround, named group, flag or conditional)")
            self.pos += 3 if self.text.startswith("(?:", self.pos) else 1
            shape = self._alternation(depth + 1)
            if not self.text.startswith(")", self.pos):
                raise UnsafeRegex("missing ')'")
            self.pos += 1
            return shape
        if char == "[":
            self._char_class()
        elif char == "\\":
            self._escape()
        elif char in "*+?" or self._braces() is not None:
            raise UnsafeRegex(f"nothing to repeat at {self.pos}")
        else:
            self.pos += 1
        return _Shape()

    def _escape(self) -> None:
        if self.pos + 1 >= len(self.text):
            raise UnsafeRegex("trailing backslash")
        following = self.text[self.pos + 1]
        if following in "123456789gk":
            raise UnsafeRegex(f"backreference at {self.pos}")
        self.pos += 2

    def _char_class(self) -> None:
        end = self.pos + 1
        end += self.text.startswith("^", end)
        end += self.text.startswith("]", end)  # a ']' first is a literal
        while end < len(self.text) and self.text[end] != "]":
            end += 2 if self.text[end] == "\\" else 1
        if end >= len(self.text):
            raise UnsafeRegex("unterminated character class")
        self.pos = end + 1

    def _braces(self) -> re.Match[str] | None:
        """A ``{m,n}`` quantifier at the cursor (``{}`` and ``{x`` are literals)."""
        braces = _BRACES.match(self.text, self.pos)
        return braces if braces and any(braces.groups()) else None

    def _quantifier(self) -> tuple[int, int | None] | None:
        """(min, max or None for unbounded) of the quantifier at the cursor, which it passes."""
        char = self.text[self.pos] if self.pos < len(self.text) else ""
        braces = self._braces()
        if char in ("*", "+", "?"):
            self.pos += 1
            bounds: tuple[int, int | None] = {"*": (0, None), "+": (1, None), "?": (0, 1)}[char]
        elif braces:
            low, comma, high = int(braces[1] or 0), braces[2], braces[3]
            bounds = (low, (int(high) if high else None) if comma else low)
            if max(low, bounds[1] or 0) > MAX_REPEAT_BOUND:
                raise UnsafeRegex(f"a repeat bound over {MAX_REPEAT_BOUND} at {self.pos}")
            self.pos = braces.end()
        else:
            return None
        if self.text.startswith(("?", "+"), self.pos):  # lazy or possessive
            self.pos += 1
        if self._quantifier() is not None:
            raise UnsafeRegex(f"a repeated repeat at {self.pos}")
        return bounds


def check_regex(pattern: str) -> None:
    """Raise ``UnsafeRegex`` unless ``pattern`` is in the subset that searches in bounded time."""
    _RegexCheck(pattern).check()


