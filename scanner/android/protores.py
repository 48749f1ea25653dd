"""An app bundle's ``resources.pb`` (aapt2's ``ResourceTable`` message), with ``arsc.ResourceTable``'s look-ups.

bundletool compiles this table into the ``resources.arsc`` of every APK it generates; the scan asks it the
same questions as an APK's table (``scanner/android/apk.py``): a value by resource id in every configuration,
the default one first, references followed (the label, the network security config's file, manifest values
given as references), and the string values that hold a URL.

The message is parsed whole (protobuf cannot read part of it), so its size is bounded first, and the number of
values after; a table over either bound, or not a ``ResourceTable``, raises ``ProtoError`` with the reason.
"""

from __future__ import annotations

from typing import Any

from scanner.android.protoxml import ProtoError, parse_message, proto_messages
from scanner.android.resolve import follow_references

MAX_TABLE_BYTES = 32 << 20  # the tables of large store apps are a few MiB; parsing costs ~30x in memory
MAX_VALUES = 2_000_000  # configuration values over all entries
_STRINGS = ("str", "raw_str", "styled_str")


class ProtoResourceTable:
    """The values of one ``resources.pb``, indexed by resource id."""

    def __init__(self, data: bytes) -> None:
        table = parse_message(proto_messages().ResourceTable(), bytes(data), "resource table", MAX_TABLE_BYTES)
        self._values: dict[int, list[Any]] = {}  # res id -> its items, the default configuration first
        count = 0
        for package in table.package:
            for kind in package.type:
                for entry in kind.entry:
                    count += len(entry.config_value)
                    if count > MAX_VALUES:
                        raise ProtoError(f"more than {MAX_VALUES} resource values: not a real table")
                    res_id = (package.package_id.id << 24) | (kind.type_id.id << 16) | entry.entry_id.id
                    items = [(c.config.ByteSize() != 0, c.value.item) for c in entry.config_value
                             if c.value.WhichOneof("value") == "item"]
                    self._values.setdefault(res_id, []).extend(i for _, i in sorted(items, key=lambda p: p[0]))

    def strings_containing(self, text: str) -> tuple[str, ...]:
        """Every distinct string value holding ``text``, in table order (``arsc``: the global pool's strings)."""
        found: dict[str, None] = {}
        for items in self._values.values():
            for item in items:
                which = item.WhichOneof("value")
                if which in _STRINGS and text in (value := getattr(item, which).value):
                    found.setdefault(value)
        return tuple(found)

    def strings_of(self, res_id: int) -> list[str]:
        """The string values of ``res_id`` in every configuration (default first), references followed; a file
        resource gives its path, as ``resources.arsc`` stores it."""
        return self.texts_of(res_id, strings_only=True)

    def texts_of(self, res_id: int, strings_only: bool = False) -> list[str]:
        """Like ``strings_of``, plus booleans and integers as aapt prints them (``false``, ``42``, ``0x2a``)."""
        return follow_references(res_id, lambda current: self._texts(current, strings_only))

    def _texts(self, res_id: int, strings_only: bool) -> tuple[list[str], list[int]]:
        texts: list[str] = []
        references: list[int] = []
        for item in self._values.get(res_id, ()):
            which = item.WhichOneof("value")
            if which in _STRINGS:
                texts.append(str(getattr(item, which).value))
            elif which == "file":
                texts.append(str(item.file.path))
            elif which == "ref" and item.ref.id:
                references.append(int(item.ref.id))
            elif which == "prim" and not strings_only and (text := _primitive(item.prim)) is not None:
                texts.append(text)
        return texts, references


def _primitive(prim: Any) -> str | None:
    which = prim.WhichOneof("oneof_value")
    if which == "boolean_value":
        return "true" if prim.boolean_value else "false"
    if which == "int_decimal_value":
        return str(prim.int_decimal_value)
    if which == "int_hexadecimal_value":
        return f"0x{prim.int_hexadecimal_value:x}"
    return None
