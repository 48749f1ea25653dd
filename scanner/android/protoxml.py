"""aapt2's protocol-buffer XML (an app bundle's manifests and ``res/xml/*``) as the tree ``axml`` gives.

An ``.aab`` stores each module's ``AndroidManifest.xml`` as an ``XmlNode`` message (aapt2's
``Resources.proto``), which bundletool turns into the binary XML of the APKs Play serves. Converting it to
the ``Element`` tree of ``scanner/android/axml.py`` lets the one manifest reader (``manifest.py``) and the
network-security-config reader serve both formats, so a bundle and its universal APK read alike:

- element names without their namespace (``<dist:module>`` is ``module``), as the package manager sees them;
- attributes with a framework resource id are ``{android}name`` named from the id (never from the name
  string), as Android matches them; an ``android:`` attribute without an id is dropped (the package manager
  does not see it); others by namespace and name;
- values as ``axml`` writes them: the compiled item (a reference ``@7F010000``, ``true``, ``42``…) for
  ``android:`` attributes, the raw string first for the others (``XmlBlock.getAttributeValue``).

Input is hostile: the size is bounded before parsing (protobuf holds the whole message in memory, some 30
bytes per node), nesting by protobuf's own depth limit, nodes by ``MAX_NODES``; anything that is not a
well-formed ``XmlNode`` with a root element raises ``ProtoError`` with the reason.
"""

from __future__ import annotations

import struct
from typing import Any
from xml.etree.ElementTree import Element

from scanner.android.attrs import FRAMEWORK_ATTRS, KNOWN_NAMES
from scanner.android.axml import (
    ANDROID_NS,
    TYPE_ATTRIBUTE,
    TYPE_DIMENSION,
    TYPE_FLOAT,
    TYPE_FRACTION,
    TYPE_INT_HEX,
    TYPE_REFERENCE,
    BinaryXml,
    Trick,
    format_value,
)

MAX_XML_BYTES = 8 << 20  # a store app's manifest is well under 1 MiB in binary XML; parsing costs ~30x in memory
MAX_NODES = 500_000  # elements, text nodes and attributes of one document
_ANDROID = "{" + ANDROID_NS + "}"
_F32 = struct.Struct("<f")
_U32 = struct.Struct("<I")
_COLORS = {"color_argb8_value": 0x1C, "color_rgb8_value": 0x1D, "color_argb4_value": 0x1E, "color_rgb4_value": 0x1F}


class ProtoError(Exception):
    """The bytes are not the aapt2 protocol-buffer message expected (bundletool would refuse them too)."""


def proto_messages() -> Any:
    """aapt2's generated message classes, imported on first use: an APK scan never needs protobuf."""
    from scanner.android.aapt2_proto import Resources_pb2

    return Resources_pb2


def parse_message(message: Any, data: bytes, what: str, limit: int) -> Any:
    """``message`` parsed from ``data``, or ``ProtoError`` naming why: too large, truncated, malformed."""
    if len(data) > limit:
        raise ProtoError(f"{len(data)} bytes, over the {limit >> 20} MiB limit for {what}")
    from google.protobuf.message import DecodeError  # protobuf loads only for app bundles (~10 ms otherwise)

    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        reason = str(exc).rpartition(": ")[2] or "malformed"
        raise ProtoError(f"not a valid {what} ({reason})") from None
    return message


def parse(data: bytes) -> BinaryXml:
    """The tree Android would read from one proto XML document (after bundletool's conversion)."""
    node = parse_message(proto_messages().XmlNode(), bytes(data), "protocol-buffer XML document", MAX_XML_BYTES)
    if not node.HasField("element") or not node.element.name:
        raise ProtoError("the document has no root element (is it binary or plain XML?)")
    return _Converter().convert(node.element)


class _Converter:
    def __init__(self) -> None:
        self.nodes = 0
        self.found: dict[str, str] = {}

    def trick(self, code: str, message: str) -> None:
        self.found.setdefault(code, message)

    def count(self, n: int) -> None:
        self.nodes += n
        if self.nodes > MAX_NODES:
            raise ProtoError(f"more than {MAX_NODES} nodes and attributes: not a real document")

    def convert(self, top: Any) -> BinaryXml:
        root = self.element(top)
        stack = [(top, root)]
        while stack:  # iterative: depth is bounded by protobuf's parser, but stay off Python's stack
            message, element = stack.pop()
            self.count(len(message.child))
            for child in message.child:
                which = child.WhichOneof("node")
                if which == "element":
                    sub = self.element(child.element)
                    element.append(sub)
                    stack.append((child.element, sub))
                elif which == "text" and child.text.strip():
                    element.text = child.text
        return BinaryXml(root, tuple(Trick(code, text) for code, text in self.found.items()))

    def element(self, message: Any) -> Element:
        self.count(1 + len(message.attribute))
        attrs: dict[str, str] = {}
        for attr in message.attribute:
            key = self.key(message.name, attr)
            if key is None:
                continue
            if key in attrs:
                self.trick("duplicate-attribute", f"<{message.name}> has {key} twice; Android reads the first")
                continue
            text = _value(attr, by_id=attr.resource_id in FRAMEWORK_ATTRS)
            if text is not None:
                attrs[key] = text
        return Element(message.name, attrs)

    def key(self, tag: str, attr: Any) -> str | None:
        """How Android finds the attribute: ``{android}name`` by resource id, else by namespace and name."""
        known = FRAMEWORK_ATTRS.get(attr.resource_id)
        if known is not None:
            if attr.name and attr.name != known:
                self.trick("attribute-name-mismatch", f"<{tag}>: attribute name {attr.name!r} does not match its "
                                                      f"resource id (android:{known}); Android reads android:{known}")
            return _ANDROID + known
        if attr.resource_id >> 24 == 0x01 and attr.name in KNOWN_NAMES:
            self.trick("attribute-name-mismatch", f"<{tag}>: attribute name {attr.name!r} does not match its "
                                                  f"resource id 0x{attr.resource_id:08x}; Android does not read it")
            return None
        if attr.namespace_uri == ANDROID_NS and not attr.resource_id:
            self.trick("attribute-without-id", f"<{tag}>: android:{attr.name} has no resource id; Android's "
                                               "package manager does not see it")
            return None
        return f"{{{attr.namespace_uri}}}{attr.name}" if attr.namespace_uri else str(attr.name)


def _value(attr: Any, by_id: bool) -> str | None:
    """The attribute's value as ``axml`` writes it; None where Android sees none (an undefined value)."""
    if not attr.HasField("compiled_item"):
        return str(attr.value)
    if not by_id and attr.value:  # XmlBlock.getAttributeValue: the raw string first
        return str(attr.value)
    item = attr.compiled_item
    if item.WhichOneof("value") == "prim" and item.prim.WhichOneof("oneof_value") == "null_value":
        return None  # @null: undefined, absent for the package manager (as axml reads TYPE_NULL)
    compiled = item_text(item)
    return str(attr.value) if compiled is None else compiled


def item_text(item: Any) -> str | None:
    """A compiled ``Item`` as ``axml.format_value`` writes the binary value it becomes; None when it carries
    no value of its own (a reference by name only, an id, ``@null``)."""
    which = item.WhichOneof("value")
    if which == "ref":
        if not item.ref.id:
            return None
        kind = TYPE_ATTRIBUTE if item.ref.type == proto_messages().Reference.ATTRIBUTE else TYPE_REFERENCE
        return format_value(kind, item.ref.id)
    if which in ("str", "raw_str", "styled_str"):
        return str(getattr(item, which).value)
    if which == "file":
        return str(item.file.path)
    if which == "prim":
        return _primitive(item.prim)
    return None


def _primitive(prim: Any) -> str | None:
    which = prim.WhichOneof("oneof_value")
    if which in (None, "null_value"):
        return None
    value = getattr(prim, which)
    if which == "empty_value":
        return ""
    if which == "boolean_value":
        return "true" if value else "false"
    if which == "int_decimal_value":
        return str(value)
    if which in ("float_value", "dimension_value_deprecated", "fraction_value_deprecated"):
        return format_value(TYPE_FLOAT, _U32.unpack(_F32.pack(float(value)))[0])
    simple = {"int_hexadecimal_value": TYPE_INT_HEX, "dimension_value": TYPE_DIMENSION,
              "fraction_value": TYPE_FRACTION, **_COLORS}
    return format_value(simple[which], int(value)) if which in simple else None
