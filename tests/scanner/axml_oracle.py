"""What Debian's aapt (built from Android's own libandroidfw) shows of binary XML, as trees we can compare.

``aapt dump xmltree`` prints every node ResXMLParser yields; ``parse_xmltree`` turns that text into the
tree the package manager reads (the first root element; element names without namespace; ``android:``
attributes named from their resource id through the framework's own table, ``framework_attrs``), with
values written as ``scanner.android.axml`` writes them. Nothing of our reader is used to build it.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

ANDROID = "{http://schemas.android.com/apk/res/android}"
FRAMEWORK = Path("/usr/share/android-framework-res/framework-res.apk")

_LINE = re.compile(r"^( *)([NEAC]): (.*)$")
_ATTR = re.compile(r'^(?:([^:=(]*):)?([^=(]*)(?:\(0x([0-9a-f]{8})\))?=(.*)$')
_TYPED = re.compile(r"^\(type 0x([0-9a-f]+)\)0x([0-9a-f]+)")
_STRING = re.compile(r'^"((?:[^"\\]|\\.)*)"')


@dataclass
class Node:
    tag: str
    attrib: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    children: list[Node] = field(default_factory=list)

    def plain(self) -> tuple[Any, ...]:
        return self.tag, self.attrib, self.text, [c.plain() for c in self.children]


def plain(element: Any) -> tuple[Any, ...]:
    """An ElementTree (ours) or lxml (androguard's, comments dropped) element as nested plain values."""
    return (element.tag, dict(element.attrib), element.text,
            [plain(c) for c in element if isinstance(c.tag, str)])


def run(*args: str) -> str:
    return subprocess.run(["aapt", *args], capture_output=True, text=True, check=True).stdout


@cache
def framework_attrs() -> dict[int, str]:
    """The framework's public attribute ids and names, from aapt's dump of framework-res.apk."""
    out = run("dump", "resources", str(FRAMEWORK))
    return {int(i, 16): n for i, n in re.findall(r"^ +spec resource 0x(0101[0-9a-f]{4}) android:attr/(\w+):", out,
                                                  re.M)}


def unescape(text: str) -> str:
    """aapt's ``normalizeForOutput``: backslash, newline and double quote escaped."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def _value(text: str) -> str | None:
    if text == "(null)":
        return None
    if m := re.match(r"^([@?])0x([0-9a-f]+)", text):
        data = int(m.group(2), 16)
        return f"{m.group(1)}{'android:' if data >> 24 == 1 else ''}{data:08X}"
    if m := _TYPED.match(text):
        kind, data = int(m.group(1), 16), int(m.group(2), 16)
        if kind == 0x12:
            return "false" if data == 0 else "true"
        if kind == 0x11:
            return f"0x{data:08X}"
        if 0x1C <= kind <= 0x1F:
            return f"#{data:08X}"
        if 0x10 <= kind <= 0x1F:
            return str(data - (1 << 32) if data >> 31 else data)
        raise AssertionError(f"value type 0x{kind:x} is not expected in the fixtures: {text}")
    if m := _STRING.match(text):
        return unescape(m.group(1))
    raise AssertionError(f"unexpected aapt value: {text}")


def parse_xmltree(text: str) -> Node:
    """The first root element of ``aapt dump xmltree`` output, as the package manager reads it."""
    namespaces: dict[str, str] = {}
    stack: list[tuple[int, Node]] = []
    root: Node | None = None
    ids = framework_attrs()
    for line in text.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        depth, kind, rest = len(m.group(1)) // 2, m.group(2), m.group(3)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if kind == "N":
            prefix, _, uri = rest.partition("=")
            namespaces[prefix] = uri
        elif kind == "E":
            tag = rest.rsplit(" (line=", 1)[0].rpartition(":")[2]  # the package manager ignores the namespace
            node = Node(tag)
            if stack:
                stack[-1][1].children.append(node)
            elif root is None:
                root = node
            else:
                break  # a second root: the package manager has stopped reading
            stack.append((depth, node))
        elif kind == "A" and stack:
            _attribute(stack[-1][1], rest, namespaces, ids)
        elif kind == "C" and stack:
            stack[-1][1].text = unescape(rest[1:-1])
    assert root is not None, "aapt printed no element"
    return root


def _attribute(node: Node, text: str, namespaces: dict[str, str], ids: dict[int, str]) -> None:
    m = _ATTR.match(text)
    assert m, text
    prefix, name, res_id, value = m.group(1), m.group(2), m.group(3), _value(m.group(4))
    if res_id and int(res_id, 16) in ids:
        key = ANDROID + ids[int(res_id, 16)]  # matched by resource id, whatever the name string says
    elif prefix:
        key = "{" + namespaces.get(prefix, prefix) + "}" + name
    else:
        key = name
    if value is not None and key not in node.attrib:  # the first of two wins, as in aapt's look-ups
        node.attrib[key] = value


def xmltree(apk: Path, entry: str) -> Node:
    return parse_xmltree(run("dump", "xmltree", str(apk), entry))
