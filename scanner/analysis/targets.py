"""The references worth finding in code, derived once per knowledge base.

One bytecode pass answers every detector: catalogued APIs and fields, the string
constants that decide or reveal a category, the reflection entry points and the
class and member names they would be given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from signatures.model import ApiSignature, KnowledgeBase, StringConstant

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


@lru_cache(maxsize=4)
def api_targets(kb: KnowledgeBase) -> ApiTargets:
    by_ref: dict[str, ApiSignature] = {}
    arg_strings: set[str] = set()
    arg_fields: set[str] = set()
    arg_methods: set[str] = set()
    reflected: dict[str, dict[str, str]] = {}
    for api in kb.apis:
        if api.kind == "consumer":  # reads data obtained elsewhere: no new access of its own
            continue
        for ref in api.methods + api.fields:
            by_ref.setdefault(ref, api)
            if m := _MEMBER.match(ref):
                reflected.setdefault(m.group(1).replace("/", "."), {}).setdefault(m.group(2), ref)
        for rule in api.argument_rules:
            {"string": arg_strings, "field": arg_fields, "method": arg_methods}.get(rule.kind, set()).add(
                str(rule.value))
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
    )
