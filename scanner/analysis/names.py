"""Readable names for people: Dalvik descriptors as Java-style names, counted nouns, articles, lists.

One renderer for every finding message (the detectors) and every report (``reports/``), so that a reader
sees ``UMConfigure.init(Context, String)`` instead of
``Lcom/umeng/commonsdk/UMConfigure;->init(Landroid/content/Context;Ljava/lang/String;)V`` wherever it shows.
Results keep the raw descriptors (``ApiCall.caller``, ``Evidence.symbol``…): they are the contract, and a
machine reading them needs them exact. Pure string functions; no knowledge base, no I/O.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

PRIMITIVES = {"V": "void", "Z": "boolean", "B": "byte", "S": "short", "C": "char",
              "I": "int", "J": "long", "F": "float", "D": "double"}
_TYPE = r"\[*(?:[VZBSCIJFD]|L[^;\s()]+;)"
# a method or field reference: Lpkg/Cls;->name(params)ret  or  Lpkg/Cls;->name:type
_MEMBER = re.compile(rf"L([^;\s()>]+);->([\w$<>-]+?)(?:\(((?:{_TYPE})*)\)({_TYPE})|:({_TYPE}))")
# a class descriptor: Lcom/a/B;  In free text only with a package, so that prose ("Location;") stays prose.
_CLASS = re.compile(r"L[A-Za-z_$][\w$]*(?:/[\w$]+)*;")
_CLASS_IN_TEXT = re.compile(r"(?<![\w/$.])L[A-Za-z_$][\w$]*(?:/[\w$]+)+;")
_SIMPLE_PART = re.compile(r"[A-Za-z_][\w]*")
ARROW = " → "


def _nested(simple: str) -> str:
    """``Settings$Secure`` → ``Settings.Secure`` (as in Java source); ``Foo$1`` and lambdas stay as they are."""
    parts = simple.split("$")
    if len(parts) > 1 and all(_SIMPLE_PART.fullmatch(p) for p in parts):
        return ".".join(parts)
    return simple


# Pure functions of short strings that a large report asks about thousands of times (the same callers and APIs
# in every table): cached, they cost a dict look-up after the first time (bounded: hostile apps have many names).
@functools.lru_cache(maxsize=1 << 16)
def class_name(name: str, *, qualified: bool = True) -> str:
    """``Lcom/a/B$C;`` or ``com.a.B$C`` → ``com.a.B.C`` (qualified) or ``B.C``; arrays get ``[]``."""
    dims = len(name) - len(name.lstrip("["))
    core = name[dims:]
    if core in PRIMITIVES:
        return PRIMITIVES[core] + "[]" * dims
    if core.startswith("L") and core.endswith(";"):
        core = core[1:-1].replace("/", ".")
    package, _, simple = core.rpartition(".")
    simple = _nested(simple)
    return (f"{package}.{simple}" if qualified and package else simple) + "[]" * dims


def types(desc: str) -> list[str]:
    """Simple names of a Dalvik parameter list: ``Landroid/content/Context;I`` → Context, int."""
    out, i, dims = [], 0, 0
    while i < len(desc):
        c = desc[i]
        if c == "[":
            dims, i = dims + 1, i + 1
            continue
        if c == "L":
            end = desc.find(";", i)
            end = len(desc) if end < 0 else end
            name, i = class_name(desc[i:end + 1], qualified=False), end + 1
        else:
            name, i = PRIMITIVES.get(c, c), i + 1
        out.append(name + "[]" * dims)
        dims = 0
    return out


def _render(owner: str, name: str, params: str | None, qualified: bool) -> str:
    cls = class_name(f"L{owner};", qualified=qualified)
    if params is None:
        return f"{cls}.{name}"
    args = ", ".join(types(params))
    if name == "<init>":
        return f"new {cls}({args})"
    if name == "<clinit>":
        return f"static initializer of {cls}"
    return f"{cls}.{name}({args})"


@functools.lru_cache(maxsize=1 << 16)
def member(ref: str, *, qualified: bool = False) -> str:
    """A Dalvik method or field reference as a Java reader writes it.

    ``Lcom/umeng/commonsdk/UMConfigure;->init(Landroid/content/Context;Ljava/lang/String;)V`` →
    ``UMConfigure.init(Context, String)``, or ``com.umeng.commonsdk.UMConfigure.init(Context, String)`` with
    ``qualified``; a field ``Landroid/os/Build;->SERIAL:Ljava/lang/String;`` → ``Build.SERIAL``. A class
    descriptor gives the class; anything else (a string constant, a URL) comes back unchanged.
    """
    m = _MEMBER.fullmatch(ref)
    if m:
        return _render(m[1], m[2], m[3] if m[5] is None else None, qualified)
    if _CLASS.fullmatch(ref):
        return class_name(ref, qualified=qualified)
    return ref


@functools.lru_cache(maxsize=1 << 16)
def readable(text: str, *, qualified: bool = False) -> str:
    """Free text with every Dalvik reference in it rendered (``member``), the rest unchanged."""
    if m := _MEMBER.fullmatch(text):  # one reference, the common case: as ``member`` renders it, matched once
        return _render(m[1], m[2], m[3] if m[5] is None else None, qualified)
    if _CLASS.fullmatch(text):
        return class_name(text, qualified=qualified)
    text = _MEMBER.sub(lambda m: _render(m[1], m[2], m[3] if m[5] is None else None, qualified), text)
    return _CLASS_IN_TEXT.sub(lambda m: class_name(m[0], qualified=qualified), text)


def has_descriptor(text: str) -> bool:
    """Whether text still holds a raw Dalvik reference (what a report must never show outside its appendix)."""
    return "->" in text or _CLASS_IN_TEXT.search(text) is not None


def chain(path: Iterable[str], *, qualified: bool = False) -> str:
    """A call path, entry point first, on one line: ``App.onCreate() → UMConfigure.init(Context, String)``."""
    return ARROW.join(member(step, qualified=qualified) for step in path)


def number(n: int) -> str:
    return f"{n:,}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 place``, ``2 places``, ``1 class``, ``3 classes``, ``1 category``, ``2 categories``."""
    return f"{number(n)} {word if n == 1 else (many or plural_of(word))}"


def plural_of(word: str) -> str:
    if word.endswith(("s", "sh", "ch", "x", "z")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in ("a", "e", "i", "o", "u"):
        return word[:-1] + "ies"
    return word + "s"


_AN_LETTERS = frozenset("AEFHILMNORSX")  # acronyms said letter by letter: an SDK, an HTTP…, an MAC
_A_WORDS = ("uni", "use", "usa", "usu", "uti", "ure", "one", "eu")  # vowel letters that sound like a consonant
_AN_WORDS = ("hour", "honest")


def article(phrase: str) -> str:
    """The phrase with its indefinite article: ``an Online shopping app``, ``a Map and navigation app``."""
    word = phrase.split(" ", 1)[0]
    low = word.lower()
    if not word:
        return phrase
    if len(word) > 1 and word.isupper() and word.isalpha():
        an = word[0] in _AN_LETTERS
    elif low.startswith(_AN_WORDS):
        an = True
    elif low.startswith(_A_WORDS):
        an = False
    else:
        an = low[0] in "aeiou"
    return f"{'an' if an else 'a'} {phrase}"


_PROPER = frozenset({"Android", "Google", "Bluetooth", "Ethernet", "Widevine", "Java", "JavaScript", "Kotlin"})


def phrase(title: str) -> str:
    """A title mid-sentence: ``Clipboard content`` → ``clipboard content``; acronyms and names stay
    (``IMEI (modem identifier)``, ``Wi-Fi state``, ``Android ID (SSAID)``)."""
    word = re.split(r"[\s(/,]", title, maxsplit=1)[0]
    if not word or word in _PROPER or any(c.isupper() for c in word[1:]) or not word[:1].isupper():
        return title
    return title[:1].lower() + title[1:]


def sentence(text: str) -> str:
    """Capitalise the first letter (``first-party code reads…`` → ``First-party code reads…``)."""
    return text[:1].upper() + text[1:]


def join(items: Iterable[str], last: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    seq = list(items)
    if len(seq) <= 2:
        return f" {last} ".join(seq)
    return ", ".join(seq[:-1]) + f" {last} " + seq[-1]
