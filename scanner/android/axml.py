"""Binary XML (``AndroidManifest.xml``, ``res/xml/*``) read the way Android reads it.

Android parses these files with libandroidfw's ``ResXMLTree`` (the package manager through
``XmlBlock``, aapt directly). This reader follows that code, not the format's documentation:

- ``ResXMLTree::setTo``: the document header is trusted only for its sizes (its type is not checked);
  the chunks before the first XML node are scanned, the last string pool and the last resource map
  win, chunks of other types are skipped; every chunk must pass ``validate_chunk`` (header at least
  8 bytes, header ≤ size, both multiples of 4, inside the document). The scan walks from the chunk
  before the first XML node, as ``setTo`` does.
- ``ResXMLParser::nextNode``: each node starts where the previous one's *declared* size ends (bytes
  padded into a node are never read); a node must pass ``validateNode`` (a start element's attributes
  inside it); nodes of unknown type are skipped; a node too small for its kind, or a malformed one,
  ends the document with ``BAD_DOCUMENT`` — which the package manager turns into "Corrupt XML binary
  file" and a failed install, unless it comes after ``</manifest>``, where the package manager has
  already stopped reading.
- Attributes sit at ``attributeStart + i * attributeSize`` from the element's extension, whatever
  those two fields say (the standard 20 is not required).
- ``ResStringPool``: counts and offsets checked as ``setTo`` and ``stringAt`` check them; a string
  Android cannot read is no string at all (the attribute is absent, as it is for the package manager).

What the tree holds is what the package manager reads: element names without their namespace
(``XmlBlock.getName``); ``android:`` attributes matched by *resource id* through the resource map and
named from the id (``TypedArray`` lookups; aapt's ``dump badging`` does the same), never from the name
string, which may lie; other attributes by namespace and name string (``getAttributeValue(ns, name)``,
e.g. ``package``); a string attribute's value from its typed value for ``android:`` attributes
(``TypedArray``) and from its raw string otherwise (``XmlBlock.getAttributeValue``). Values are written
as androguard's ``AXMLPrinter`` writes them (``true``, ``42``, ``0x00000002``, ``@7F020000``,
``@android:01040000``), so the readers of the tree (``manifest.py``, ``netconfig.py``) need no change.
The tree ends where the root element ends, as the package manager's reading does.

Where the file is built to read differently in other tools, the difference is kept as a ``Trick``
(a short code and a message) for the caller to report. Anything Android itself would reject raises
``AxmlError``; nothing else escapes, whatever the input.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from scanner.android.attrs import FRAMEWORK_ATTRS, KNOWN_NAMES

ANDROID_NS = "http://schemas.android.com/apk/res/android"
_ANDROID = "{" + ANDROID_NS + "}"

RES_STRING_POOL, RES_XML, RES_XML_RESOURCE_MAP = 0x0001, 0x0003, 0x0180
RES_XML_FIRST, RES_XML_LAST = 0x0100, 0x017F
START_NAMESPACE, END_NAMESPACE, START_ELEMENT, END_ELEMENT, CDATA = 0x0100, 0x0101, 0x0102, 0x0103, 0x0104
_END_DOCUMENT, _BAD_DOCUMENT = 1, -1
_MIN_EXT = {START_NAMESPACE: 8, END_NAMESPACE: 8, START_ELEMENT: 20, END_ELEMENT: 8, CDATA: 12}
_NODE = 16  # sizeof(ResXMLTree_node): chunk header, line number, comment
_ATTR_EXT = 20  # sizeof(ResXMLTree_attrExt)
_ATTRIBUTE = 20  # sizeof(ResXMLTree_attribute)
_POOL_HEADER = 28  # sizeof(ResStringPool_header)
_NO_INDEX = 0xFFFFFFFF
# bundletool writes an app bundle's <dist:module> (and its children) into every APK it builds, Play's included:
# a namespaced element there is the build tool's, not a trick (Android ignores element namespaces either way)
DISTRIBUTION_NS = "http://schemas.android.com/apk/distribution"
_UTF8_FLAG = 0x100

TYPE_NULL, TYPE_REFERENCE, TYPE_ATTRIBUTE, TYPE_STRING, TYPE_FLOAT = 0x00, 0x01, 0x02, 0x03, 0x04
TYPE_DIMENSION, TYPE_FRACTION, TYPE_DYNAMIC_REFERENCE = 0x05, 0x06, 0x07
TYPE_INT_HEX, TYPE_INT_BOOLEAN = 0x11, 0x12
_DIMENSION_UNITS = ("px", "dip", "sp", "pt", "in", "mm")
_FRACTION_UNITS = ("%", "%p")
_RADIX = (0.00390625, 3.051758e-005, 1.192093e-007, 4.656613e-010)

_HEADER = struct.Struct("<HHI")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_POOL = struct.Struct("<IIIII")
_ATTR_EXT_FIELDS = struct.Struct("<IIHHH")
_ATTR_FIELDS = struct.Struct("<IIIxxxBI")  # namespace, name, raw value, (size, res0), data type, data
_F32 = struct.Struct("<f")


class AxmlError(Exception):
    """The file is not binary XML Android would read (Android rejects it too)."""


@dataclass(frozen=True, slots=True)
class Trick:
    """A way the file is built to read differently in other tools than in Android."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class BinaryXml:
    root: Element
    tricks: tuple[Trick, ...]


def parse(data: bytes) -> BinaryXml:
    """The tree Android reads from one binary XML file, and the tricks it is built with."""
    return _Reader(bytes(data)).read()


def format_value(data_type: int, data: int) -> str:
    """A typed (non-string) value as androguard's ``format_value`` writes it."""
    if data_type in (TYPE_REFERENCE, TYPE_DYNAMIC_REFERENCE):  # Android resolves dynamic ones as references
        return f"@{'android:' if data >> 24 == 1 else ''}{data:08X}"
    if data_type == TYPE_ATTRIBUTE:
        return f"?{'android:' if data >> 24 == 1 else ''}{data:08X}"
    if data_type == TYPE_FLOAT:
        return f"{_F32.unpack(_U32.pack(data))[0]:f}"
    if data_type == TYPE_INT_HEX:
        return f"0x{data:08X}"
    if data_type == TYPE_INT_BOOLEAN:
        return "false" if data == 0 else "true"
    if data_type == TYPE_DIMENSION:
        return f"{_complex(data):f}{_DIMENSION_UNITS[data & 0xF] if data & 0xF < 6 else ''}"
    if data_type == TYPE_FRACTION:
        return f"{_complex(data) * 100:f}{_FRACTION_UNITS[data & 0xF] if data & 0xF < 2 else ''}"
    if 0x1C <= data_type <= 0x1F:
        return f"#{data:08X}"
    if 0x10 <= data_type <= 0x1F:
        return str(data - 0x100000000 if data > 0x7FFFFFFF else data)
    return f"<0x{data:X}, type 0x{data_type:02X}>"


def _complex(value: int) -> float:
    return float(value & 0xFFFFFF00) * _RADIX[(value >> 4) & 3]


def _validate_chunk(data: bytes, at: int, min_size: int, end: int) -> str | None:
    """libandroidfw's ``validate_chunk``: None when the chunk at ``at`` is sound, else why not."""
    if at + 8 > end:
        return f"chunk at offset {at} has no room for its header"
    _, header, size = _HEADER.unpack_from(data, at)
    if header < min_size:
        return f"chunk at offset {at}: header size {header} is below {min_size}"
    if header > size:
        return f"chunk at offset {at}: size {size} is smaller than its header ({header})"
    if (header | size) & 3:
        return f"chunk at offset {at}: size {size} or header size {header} is not a multiple of 4"
    if size > end - at:
        return f"chunk at offset {at}: size {size} runs past the end of the document ({end})"
    return None


class _Pool:
    """One string pool, checked as ``ResStringPool::setTo`` checks it; strings decoded on demand."""

    __slots__ = ("data", "count", "entries", "strings", "pool_size", "utf8", "cache", "mismatch")

    def __init__(self, data: bytes, at: int) -> None:
        self.data = data
        _, header, size = _HEADER.unpack_from(data, at)
        if header < _POOL_HEADER:
            raise AxmlError(f"string pool at offset {at}: header size {header} is below {_POOL_HEADER}")
        count, styles, flags, strings_start, styles_start = _POOL.unpack_from(data, at + 8)
        self.count, self.utf8 = count, bool(flags & _UTF8_FLAG)
        self.entries = at + header
        self.strings = at + strings_start
        self.pool_size = 0
        self.cache: dict[int, str | None] = {}
        # offsets array not ending where the strings start: a count made up to confuse parsers
        self.mismatch = count > 0 and header + 4 * (count + styles) != strings_start
        if count:
            self._check_strings(at, header, size, styles, strings_start, styles_start)
        if styles:
            self._check_styles(at, header, size, styles_start)

    def _check_strings(self, at: int, header: int, size: int, styles: int, strings_start: int,
                       styles_start: int) -> None:
        char = 1 if self.utf8 else 2
        if header + 4 * self.count > size:
            raise AxmlError(f"string pool at offset {at}: {self.count} string offsets run past its size {size}")
        if strings_start >= size - 2:
            raise AxmlError(f"string pool at offset {at}: strings start at {strings_start}, past its size {size}")
        if styles == 0:
            self.pool_size = (size - strings_start) // char
        elif styles_start >= size - 2 or styles_start <= strings_start:
            raise AxmlError(f"string pool at offset {at}: styles start at {styles_start}, "
                            f"outside {strings_start}..{size}")
        else:
            self.pool_size = (styles_start - strings_start) // char
        if self.pool_size == 0:
            raise AxmlError(f"string pool at offset {at}: {self.count} strings but no string data")
        last = self.strings + (self.pool_size - 1) * char
        if (self.data[last] if self.utf8 else _U16.unpack_from(self.data, last)[0]) != 0:
            raise AxmlError(f"string pool at offset {at}: the last string is not 0-terminated")

    def _check_styles(self, at: int, header: int, size: int, styles_start: int) -> None:
        if header + 4 * self.count > size:
            raise AxmlError(f"string pool at offset {at}: style offsets run past its size {size}")
        if styles_start >= size:
            raise AxmlError(f"string pool at offset {at}: styles start at {styles_start}, past its size {size}")
        span_end = at + styles_start + ((size - styles_start) // 4) * 4
        if span_end - 12 < at + styles_start or self.data[span_end - 12:span_end] != b"\xff" * 12:
            raise AxmlError(f"string pool at offset {at}: the last style is not 0xFFFFFFFF-terminated")

    @classmethod
    def empty(cls) -> _Pool:
        return cls(b"\x01\x00\x1c\x00\x1c" + bytes(23), 0)

    def get(self, index: int) -> str | None:
        """``ResStringPool::stringAt``: the string, or None where Android gets none."""
        if index >= self.count:
            return None
        if index in self.cache:
            return self.cache[index]
        text = self._utf8(index) if self.utf8 else self._utf16(index)
        self.cache[index] = text
        return text

    def _utf16(self, index: int) -> str | None:
        data, size = self.data, self.pool_size
        off = _U32.unpack_from(data, self.entries + 4 * index)[0] // 2
        if off >= size - 1:
            return None
        pos = self.strings + 2 * off
        length = _U16.unpack_from(data, pos)[0]
        start = off + 1
        if length & 0x8000:  # the second unit is inside the pool: off + 1 < size
            length = ((length & 0x7FFF) << 16) | _U16.unpack_from(data, pos + 2)[0]
            start += 1
        if start + length >= size:
            return None
        at = self.strings + 2 * start
        if _U16.unpack_from(data, at + 2 * length)[0] != 0:
            return None
        return data[at:at + 2 * length].decode("utf-16-le", "replace")

    def _utf8(self, index: int) -> str | None:
        data, size = self.data, self.pool_size
        off = _U32.unpack_from(data, self.entries + 4 * index)[0]
        if off >= size - 1:
            return None
        u16len, pos = _length8(data, self.strings + off)
        u8len, pos = _length8(data, pos)
        if pos < 0 or pos + u8len - self.strings >= size or data[pos + u8len] != 0:
            return None
        raw = data[pos:pos + u8len]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _android_utf8(raw, u16len)
        units = len(text) + sum(1 for c in text if ord(c) > 0xFFFF)
        return text if units == u16len else None


def _length8(data: bytes, pos: int) -> tuple[int, int]:
    """A UTF-8 pool length (one or two bytes) and the position after it; position -1 past the data."""
    if pos < 0 or pos >= len(data):
        return 0, -1
    length = data[pos]
    if length & 0x80:
        if pos + 1 >= len(data):
            return 0, -1
        return ((length & 0x7F) << 8) | data[pos + 1], pos + 2
    return length, pos + 1


def _android_utf8(raw: bytes, u16len: int) -> str | None:
    """libutils' lenient UTF-8 decoding (no check of continuation bytes), as ``stringAt`` applies it."""
    units: list[int] = []
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        size = ((0xE5000000 >> ((c >> 3) & 0x1E)) & 3) + 1
        if i + size > n:
            return None
        if size == 1:
            cp = c
        elif size == 2:
            cp = ((c & 0x1F) << 6) | (raw[i + 1] & 0x3F)
        elif size == 3:
            cp = ((c & 0x0F) << 12) | ((raw[i + 1] & 0x3F) << 6) | (raw[i + 2] & 0x3F)
        else:
            cp = ((c & 0x07) << 18) | ((raw[i + 1] & 0x3F) << 12) | ((raw[i + 2] & 0x3F) << 6) | (raw[i + 3] & 0x3F)
        if cp > 0xFFFF:
            cp -= 0x10000
            units += [(0xD800 + (cp >> 10)) & 0xFFFF, 0xDC00 + (cp & 0x3FF)]
        else:
            units.append(cp)
        i += size
    if len(units) != u16len:
        return None
    return struct.pack(f"<{len(units)}H", *units).decode("utf-16-le", "replace")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.end = 0
        self.pool = _Pool.empty()
        self.resids_at = self.resids_count = 0  # the resource map in force: read per attribute, never copied
        self.pools = self.maps = 0
        self.found: dict[str, str] = {}
        self.counts: dict[str, int] = {}

    def trick(self, code: str, message: str) -> None:
        """Record a trick; of several with one code, the first message is kept and the others counted."""
        self.counts[code] = self.counts.get(code, 0) + 1
        self.found.setdefault(code, message)

    def tricks(self) -> tuple[Trick, ...]:
        return tuple(Trick(code, message + (f" ({self.counts[code]} times in all)" if self.counts[code] > 1 else ""))
                     for code, message in self.found.items())

    def string(self, index: int) -> str | None:
        return None if index == _NO_INDEX else self.pool.get(index)

    # -- the document and the chunks before the first node (ResXMLTree::setTo) ------------------------

    def read(self) -> BinaryXml:
        data = self.data
        if len(data) < 8:
            raise AxmlError(f"{len(data)} bytes: too short for binary XML")
        kind, header, size = _HEADER.unpack_from(data, 0)
        if header > size or size > len(data):
            plain = " (it looks like plain-text XML)" if data.lstrip()[:1] == b"<" else ""
            raise AxmlError(f"not binary XML{plain}: header size {header} or document size {size} "
                            f"exceeds the {len(data)} bytes there are")
        self.end = size
        if kind != RES_XML:
            self.trick("document-type", f"the document chunk has type 0x{kind:04x}, not 0x0003 "
                                        "(Android does not check it; some parsers stop)")
        if size < len(data):
            self.trick("trailing-data", f"{len(data) - size} bytes after the declared end of the document "
                                        "(Android ignores them)")
        first = self.first_node(header)
        for count, what in ((self.pools, "string pools"), (self.maps, "resource maps")):
            if count > 1:
                self.trick("duplicate-chunk", f"{count} {what}; Android uses the last one")
        if self.pool.mismatch:
            self.trick("string-pool-count", f"the string pool declares {self.pool.count} strings, but its offsets "
                                            "do not end where its strings start")
        return BinaryXml(self.elements(first), self.tricks())

    def first_node(self, at: int) -> tuple[int, int, int]:
        """The chunks up to the first XML node: the string pool and resource map in force, and that node."""
        data, end = self.data, self.end
        last = at
        pool: _Pool | AxmlError = AxmlError("no string pool before the first XML node")
        first: tuple[int, int, int] | None = None
        while at < end - 8 and at < end - _U32.unpack_from(data, at + 4)[0]:
            problem = _validate_chunk(data, at, 8, end)
            if problem:
                raise AxmlError(problem)
            kind, header, size = _HEADER.unpack_from(data, at)
            if kind == RES_STRING_POOL:
                self.pools += 1
                try:
                    pool = _Pool(data, at)
                except AxmlError as exc:
                    pool = exc
            elif kind == RES_XML_RESOURCE_MAP:
                self.maps += 1
                self.resids_at, self.resids_count = at + header, (size - header) // 4
            elif RES_XML_FIRST <= kind <= RES_XML_LAST:
                first = self.root_node(at, last)
                break
            else:
                self.trick("unknown-chunk", f"chunk of unknown type 0x{kind:04x} at offset {at} "
                                            f"({size} bytes) before the first element; Android skips it")
            last = at
            at += size
        if first is None:
            raise AxmlError("no XML element node found")
        if isinstance(pool, AxmlError):
            raise pool
        self.pool = pool
        return first

    def root_node(self, at: int, last: int) -> tuple[int, int, int] | None:
        problem = self.validate_node(at)
        if problem:
            raise AxmlError(problem)
        event = self.next_node(last)  # from the chunk before, as setTo does
        if event[0] == _BAD_DOCUMENT:
            raise AxmlError(f"the first XML node is malformed ({self.bad})")
        return None if event[0] == _END_DOCUMENT else event

    # -- nodes (ResXMLTree::validateNode, ResXMLParser::nextNode) -----------------------------------------

    bad = ""

    def validate_node(self, at: int) -> str | None:
        data = self.data
        problem = _validate_chunk(data, at, _NODE, self.end)
        if problem:
            return problem
        kind, header, size = _HEADER.unpack_from(data, at)
        if kind != START_ELEMENT:
            return None
        if size < header + _ATTR_EXT:
            return f"element at offset {at}: size {size} leaves no room for its attribute header"
        start, attr_size, count = _ATTR_EXT_FIELDS.unpack_from(data, at + header)[2:]
        if start + attr_size * count > size - header:
            return f"element at offset {at}: {count} attributes of {attr_size} bytes from {start} exceed its size"
        return None

    def next_node(self, node: int) -> tuple[int, int, int]:
        """(event, node offset, extension offset) after the node at ``node``; unknown nodes are skipped."""
        data, end = self.data, self.end
        while True:
            node += _U32.unpack_from(data, node + 4)[0]
            if node >= end:
                return _END_DOCUMENT, node, node
            problem = self.validate_node(node)
            if problem:
                self.bad = problem
                return _BAD_DOCUMENT, node, node
            kind, header, size = _HEADER.unpack_from(data, node)
            need = _MIN_EXT.get(kind)
            if need is None:
                self.trick("unknown-chunk", f"node of unknown type 0x{kind:04x} at offset {node} ({size} bytes); "
                                            "Android skips it")
                continue
            if size - header < need:
                self.bad = f"node of type 0x{kind:04x} at offset {node} has {size - header} bytes, needs {need}"
                return _BAD_DOCUMENT, node, node
            if header != _NODE:
                self.trick("node-header-size", f"node at offset {node} has a {header}-byte header, not 16; "
                                               "Android reads its content after it")
            if kind != START_ELEMENT and size - header > need:
                self.trick("data-in-node", f"{size - header - need} bytes of padding inside the node at offset "
                                           f"{node}; Android skips them, sequential parsers read them as nodes")
            return kind, node, node + header

    def elements(self, event: tuple[int, int, int]) -> Element:
        """The element tree the package manager reads: from the first element to the end of the root."""
        stack: list[Element] = []
        root: Element | None = None
        after_root = 0
        while event[0] not in (_END_DOCUMENT, _BAD_DOCUMENT):
            kind, node, ext = event
            if kind == START_ELEMENT:
                if root is not None and not stack:
                    after_root += 1
                else:
                    element = self.element(node, ext)
                    if stack:
                        stack[-1].append(element)
                    else:
                        root = element
                    stack.append(element)
            elif kind == END_ELEMENT and stack:
                self.end_element(stack.pop(), ext)
            elif kind == CDATA and stack:
                text = self.string(_U32.unpack_from(self.data, ext)[0])
                if text is not None:
                    stack[-1].text = text
            event = self.next_node(node)
        return self.finish(event[0] == _BAD_DOCUMENT, root, stack, after_root)

    def end_element(self, element: Element, ext: int) -> None:
        name = self.string(_U32.unpack_from(self.data, ext + 4)[0])
        if name != element.tag:
            self.trick("end-tag-mismatch", f"</{name}> closes <{element.tag}>; Android closes the open element "
                                           "whatever the end tag says")

    def finish(self, bad: bool, root: Element | None, stack: list[Element], after_root: int) -> Element:
        if bad and (root is None or stack):
            where = f"inside <{stack[-1].tag}>" if stack else "before the first element"
            raise AxmlError(f"malformed node {where} ({self.bad}); Android stops with 'Corrupt XML binary file'")
        if bad:
            self.trick("bad-node-after-root", f"a malformed node after the root element ({self.bad}); Android "
                                              "has stopped reading by then, strict parsers fail")
        if root is None:
            raise AxmlError("no element in the document")
        if stack:
            self.trick("unclosed-element", f"the document ends with {len(stack)} element(s) still open")
        if after_root:
            self.trick("content-after-root", f"{after_root} element(s) after the root element ends; "
                                             "Android does not read them")
        return root

    # -- one element (ResXMLParser attribute accessors) ------------------------------------------------

    def element(self, node: int, ext: int) -> Element:
        data = self.data
        namespace, name_index, start, attr_size, count = _ATTR_EXT_FIELDS.unpack_from(data, ext)
        tag = self.string(name_index)
        if tag is None:
            self.trick("unreadable-string", f"element at offset {node} has no readable name "
                                            f"(string #{name_index}); Android's parser fails on it when it reads it")
            tag = ""
        self.element_tricks(tag, node, namespace, start, attr_size, count)
        attrs: dict[str, str] = {}
        last_id = 0
        first = ext + start
        for i in range(count):
            at = first + attr_size * i
            if at + _ATTRIBUTE > len(data):
                raise AxmlError(f"<{tag}> at offset {node}: attribute {i} lies past the end of the data")
            ns_index, name, raw, data_type, value = _ATTR_FIELDS.unpack_from(data, at)
            res_id = _U32.unpack_from(data, self.resids_at + 4 * name)[0] if name < self.resids_count else 0
            if res_id:
                if res_id < last_id:
                    self.trick("unsorted-attributes", f"<{tag}>: attribute ids are not in ascending order; "
                                                      "the package manager may miss some of them")
                last_id = res_id
            key = self.attribute_key(tag, ns_index, name, res_id)
            if key is None:
                continue
            if key in attrs:
                self.trick("duplicate-attribute", f"<{tag}> has {_short(key)} twice; Android reads the first")
                continue
            text = self.attribute_value(tag, key, raw, data_type, value, by_id=res_id in FRAMEWORK_ATTRS)
            if text is not None:
                attrs[key] = text
        return Element(tag, attrs)

    def element_tricks(self, tag: str, node: int, namespace: int, start: int, attr_size: int, count: int) -> None:
        if namespace != _NO_INDEX and self.string(namespace) != DISTRIBUTION_NS:
            self.trick("element-namespace", f"<{tag}> has namespace {self.string(namespace)!r}; "
                                            "Android ignores element namespaces")
        if start != _ATTR_EXT:
            self.trick("attribute-start", f"<{tag}> at offset {node}: attributes start at {start}, not 20; "
                                          "Android reads them there")
        if attr_size != _ATTRIBUTE and count:
            self.trick("attribute-size", f"<{tag}> at offset {node}: attributes are {attr_size} bytes apart, "
                                         "not 20; Android steps by that size")
        _, header, size = _HEADER.unpack_from(self.data, node)
        used = max(_ATTR_EXT, start + (max(attr_size * count, attr_size * (count - 1) + _ATTRIBUTE) if count else 0))
        if size - header > (used + 3) & ~3:
            self.trick("data-in-node", f"{size - header - used} bytes of padding inside <{tag}> at offset {node}; "
                                       "Android skips them, sequential parsers read them as nodes")

    def attribute_key(self, tag: str, ns_index: int, name_index: int, res_id: int) -> str | None:
        """How Android finds the attribute: ``{android}name`` by resource id, else by namespace and name."""
        name = self.string(name_index)
        namespace = self.string(ns_index)
        if ns_index != _NO_INDEX and namespace is None:
            self.trick("unreadable-string", f"<{tag}>: an attribute's namespace (string #{ns_index}) is unreadable; "
                                            "Android treats it as no namespace")
        known = FRAMEWORK_ATTRS.get(res_id)
        if known is not None:
            if name is None:
                self.trick("unreadable-string", f"<{tag}>: the name string of android:{known} is unreadable; "
                                                "Android finds the attribute by its resource id")
            elif name == "":
                self.trick("attribute-name-empty", f"<{tag}>: android:{known} has an empty name string; "
                                                   "Android finds it by its resource id")
            elif name != known:
                self.trick("attribute-name-mismatch", f"<{tag}>: attribute name string {name!r} does not match its "
                                                      f"resource id (android:{known}); Android reads android:{known}")
            if namespace != ANDROID_NS:
                where = f"is in namespace {namespace!r}" if namespace is not None else "has no namespace"
                self.trick("attribute-namespace", f"<{tag}>: android:{known} {where}; Android matches it by "
                                                  "resource id all the same")
            return _ANDROID + known
        if name is None:
            self.trick("unreadable-string", f"<{tag}>: an attribute name (string #{name_index}) is unreadable; "
                                            "Android cannot find that attribute")
            return None
        if res_id >> 24 == 0x01 and name in KNOWN_NAMES:
            self.trick("attribute-name-mismatch", f"<{tag}>: attribute name string {name!r} does not match its "
                                                  f"resource id 0x{res_id:08x}; Android does not read it as "
                                                  f"android:{name}")
            return None
        if namespace == ANDROID_NS and not res_id:
            self.trick("attribute-without-id", f"<{tag}>: android:{name} has no resource id; Android's package "
                                               "manager does not see it")
            return None
        return name if namespace is None else f"{{{namespace}}}{name}"

    def attribute_value(self, tag: str, key: str, raw: int, data_type: int, value: int,
                        by_id: bool) -> str | None:
        if data_type != TYPE_STRING:
            if by_id and data_type == TYPE_NULL:
                return "" if value == 1 else None  # @empty, or undefined (absent for the package manager)
            return format_value(data_type, value)
        if by_id:  # TypedArray: the string of the typed value
            text = self.string(value)
            if raw != value and raw != _NO_INDEX and (other := self.string(raw)) != text:
                self.trick("raw-value-mismatch", f"<{tag}>: {_short(key)} has raw string {other!r} but typed value "
                                                 f"{text!r}; Android uses the typed value, aapt and most tools the raw")
        else:  # XmlBlock.getAttributeValue: the raw string first
            text = self.string(raw) if raw != _NO_INDEX else self.string(value)
        if text is None:
            self.trick("unreadable-string", f"<{tag}>: the value of {_short(key)} is an unreadable string; "
                                            "Android sees no value")
        return text


def _short(key: str) -> str:
    return "android:" + key[len(_ANDROID):] if key.startswith(_ANDROID) else key
