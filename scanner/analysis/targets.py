"""The references worth finding in code, derived once per knowledge base.

One bytecode pass answers every detector: catalogued APIs and fields, the string
constants that decide or reveal a category, the reflection entry points and the
class and member names they would be given. Two kinds of argument are app-specific
and found per app: strings that a prefix or substring rule selects (``StringPatterns``
filters the app's string table) and the int constants of the methods that call an
API with int rules (``literal_methods``: the bytecode pass decodes only those methods).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from signatures.model import ApiSignature, ArgumentRule, KnowledgeBase, StringConstant

REFLECTION = (
    "Ljava/lang/Class;->forName(Ljava/lang/String;)Ljava/lang/Class;",
    "Ljava/lang/Class;->forName(Ljava/lang/String;ZLjava/lang/ClassLoader;)Ljava/lang/Class;",
    "Ljava/lang/ClassLoader;->loadClass(Ljava/lang/String;)Ljava/lang/Class;",
    "Ljava/lang/Class;->getMethod(Ljava/lang/String;[Ljava/lang/Class;)Ljava/lang/reflect/Method;",
    "Ljava/lang/Class;->getDeclaredMethod(Ljava/lang/String;[Ljava/lang/Class;)Ljava/lang/reflect/Method;",
    "Ljava/lang/Class;->getField(Ljava/lang/String;)Ljava/lang/reflect/Field;",
    "Ljava/lang/Class;->getDeclaredField(Ljava/lang/String;)Ljava/lang/reflect/Field;",
)
_MEMBER = re.compile(r"^L([^;]+);->([^(:]+)")
_SEP = "\x00"  # joins a string table into one text: far rarer inside strings than a newline


@dataclass(frozen=True, slots=True)
class StringPatterns:
    """String argument rules that match by prefix or substring, and which of an app's strings they select.

    Exact rules name the strings to search for; these select strings that differ per app
    (``content://com.android.contacts/contacts/42``), so each app's string table (100k+
    strings) is filtered once. The table is joined into one text; one compiled expression
    finds the prefixes (a separator, then a value: the values share ``content://``, so the
    engine scans for that literal) and ``str.find`` the substrings (faster than an
    alternation without a common prefix). Each string hit is kept only if a rule's own
    ``matches`` says so. On 134k strings this takes ~23 ms; one search per string took
    ~60 ms, and one alternation of both kinds over the joined text about three times as long.
    """

    rules: tuple[ArgumentRule, ...]
    prefixes: re.Pattern[str] | None
    contains: tuple[str, ...]
    joinable: bool  # False: a value is empty or holds the separator, so each string is tested alone

    def matches(self, string: str) -> bool:
        return any(r.matches(string) for r in self.rules)

    def select(self, strings: Sequence[str]) -> frozenset[str]:
        """The strings some rule matches."""
        if not self.rules or not strings:
            return frozenset()
        if not self.joinable:
            return frozenset(s for s in strings if self.matches(s))
        text = _SEP + _SEP.join(strings)  # every string follows a separator
        hits = self._hits(text)
        if not hits:
            return frozenset()
        if text.count(_SEP) == len(strings):  # no string holds a separator: a hit's string is the text around it
            found = {_enclosing(text, pos) for pos in hits}
        else:  # some do: locate each hit by the strings' offsets
            ends = np.cumsum(np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)) + 1)
            found = {strings[i] for i in set(np.searchsorted(ends, hits, side="right").tolist())}
        return frozenset(s for s in found if self.matches(s))

    def _hits(self, text: str) -> list[int]:
        """Positions inside the strings that may match, at most one per string and value."""
        hits = [m.start() + 1 for m in self.prefixes.finditer(text)] if self.prefixes else []
        for value in self.contains:
            at = text.find(value)
            while at >= 0:
                hits.append(at)
                at = text.find(_SEP, at + len(value))
                at = text.find(value, at) if at >= 0 else -1
        return hits


def _enclosing(text: str, pos: int) -> str:
    """The separated string of ``text`` that holds position ``pos``."""
    end = text.find(_SEP, pos)
    return text[text.rfind(_SEP, 0, pos) + 1:end if end >= 0 else len(text)]


def _patterns(rules: Sequence[ArgumentRule]) -> StringPatterns:
    """One search for the whole knowledge base: a value several APIs share is looked for once."""
    chosen = tuple(dict.fromkeys(r for r in rules if r.kind == "string" and r.match in ("prefix", "contains")))
    prefixes = sorted({str(r.value) for r in chosen if r.match == "prefix"})
    contains = tuple(sorted({str(r.value) for r in chosen if r.match == "contains"}))
    joinable = all(v and _SEP not in v for v in (*prefixes, *contains))
    regex = re.compile(re.escape(_SEP) + f"(?:{'|'.join(map(re.escape, prefixes))})") if prefixes else None
    return StringPatterns(chosen, regex, contains, joinable)


@dataclass(frozen=True, slots=True)
class ApiTargets:
    by_ref: dict[str, ApiSignature]  # method or field reference -> its catalogue entry
    string_apis: tuple[ApiSignature, ...]  # entries recognised by their strings alone
    constants: dict[str, StringConstant]
    argument_strings: frozenset[str]
    argument_fields: frozenset[str]
    reflected: dict[str, dict[str, str]]  # dotted class -> member name -> a catalogued reference
    methods: frozenset[str]
    fields: frozenset[str]
    strings: frozenset[str]
    string_patterns: StringPatterns  # prefix and contains rules: which strings they select depends on the app
    literal_methods: frozenset[str]  # methods of APIs with int rules: their callers' int constants are read


@lru_cache(maxsize=4)
def api_targets(kb: KnowledgeBase) -> ApiTargets:
    by_ref: dict[str, ApiSignature] = {}
    arg_strings: set[str] = set()
    arg_fields: set[str] = set()
    arg_methods: set[str] = set()
    reflected: dict[str, dict[str, str]] = {}
    literal_methods: set[str] = set()
    for api in kb.apis:
        if api.kind == "consumer":  # reads data obtained elsewhere: no new access of its own
            continue
        for ref in api.methods + api.fields:
            by_ref.setdefault(ref, api)
            if m := _MEMBER.match(ref):
                reflected.setdefault(m.group(1).replace("/", "."), {}).setdefault(m.group(2), ref)
        for rule in api.argument_rules:
            if rule.match == "exact":  # prefix and contains strings are found per app (StringPatterns)
                {"string": arg_strings, "field": arg_fields, "method": arg_methods}.get(rule.kind, set()).add(
                    str(rule.value))
        if any(rule.kind == "int" for rule in api.argument_rules):
            literal_methods.update(api.methods)
    constants = {c.value: c for c in kb.constants}
    string_apis = tuple(a for a in kb.apis if a.kind == "string" and a.strings)
    strings = (arg_strings | set(constants) | {s for a in string_apis for s in a.strings}
               | set(reflected) | {name for members in reflected.values() for name in members})
    return ApiTargets(
        by_ref=by_ref, string_apis=string_apis, constants=constants,
        argument_strings=frozenset(arg_strings), argument_fields=frozenset(arg_fields), reflected=reflected,
        methods=frozenset({r for r in by_ref if "(" in r} | arg_methods | set(REFLECTION)),
        fields=frozenset({r for r in by_ref if "(" not in r} | arg_fields),
        strings=frozenset(strings),
        string_patterns=_patterns([r for a in kb.apis if a.kind != "consumer" for r in a.argument_rules]),
        literal_methods=frozenset(literal_methods),
    )
