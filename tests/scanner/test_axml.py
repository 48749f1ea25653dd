"""The binary XML reader against aapt (Android's own parser) and androguard, on every fixture; and on hostile bytes."""

from __future__ import annotations

import struct
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.etree.ElementTree import Element

import pytest
from loguru import logger

from scanner.android.apk import _declared_label
from scanner.android.attrs import FRAMEWORK_ATTRS
from scanner.android.axml import ANDROID_NS, AxmlError, format_value, parse
from scanner.errors import ScanFailure
from scanner.input.archive import open_app
from tests.conftest import FIXTURES
from tests.scanner.axml_oracle import ANDROID, Node, framework_attrs, parse_xmltree, plain, xmltree

logger.disable("androguard")
from androguard.core.axml import AXMLPrinter  # noqa: E402  (after silencing its logger)

TRICKS = FIXTURES / "manifest"


def _cases() -> list[tuple[str, str, bytes]]:
    """(case id, entry, entry bytes) for every binary XML file of every fixture APK our zip layer opens."""
    cases = []
    for path in sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".apk", ".apks", ".xapk", ".apkm")):
        try:
            archive = open_app(str(path))
        except ScanFailure:
            continue  # not an app (empty, truncated, not a zip...): nothing to compare
        for apk in archive.apks:
            label = str(path.relative_to(FIXTURES)) + ("" if apk is archive.base and archive.format == "apk"
                                                       else f"!{apk.name}")
            for entry in apk.zip.names():
                if entry == "AndroidManifest.xml" or (entry.startswith("res/xml/") and entry.endswith(".xml")):
                    cases.append((f"{label}!{entry}", entry, apk.zip.read(entry)))
    return cases


CASES = _cases()
# bundletool writes an app bundle's <dist:module> into the universal APK with its namespace: Android (and our
# tree) ignore element namespaces, androguard keeps them, and the element-namespace trick is recorded
BUNDLETOOL_NAMESPACED = {"bundles/aab_feature.universal.apk!AndroidManifest.xml"}
BENIGN = [c for c in CASES if not c[0].startswith("manifest/") and c[0] not in BUNDLETOOL_NAMESPACED]
# Where the package manager and aapt's xmltree differ, the tree follows the package manager (see axml.py):
# the typed value of a string attribute (aapt prints the raw string).
PM_NOT_AAPT = {"manifest/raw_value.apk!AndroidManifest.xml": (
    "uses-permission", ANDROID + "name", "android.permission.INTERNET", "android.permission.READ_SMS")}


def test_cases_cover_every_kind_of_fixture() -> None:
    names = {c[0] for c in CASES}
    assert "sdks.apk!AndroidManifest.xml" in names and "preconsent.apk!res/xml/network_security_config.xml" in names
    assert any(n.startswith("split.apks!split_config.xxhdpi.apk!") for n in names)
    assert sum(n.startswith("manifest/") for n in names) == 14


@pytest.mark.android_tools("aapt")
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_tree_equals_aapts(case: tuple[str, str, bytes], tmp_path: Path) -> None:
    name, entry, data = case
    apk_path = tmp_path / "app.apk"  # the file alone in a plain zip: the zip layer has its own tests
    with zipfile.ZipFile(apk_path, "w") as z:
        z.writestr(entry, data)
    expected = xmltree(apk_path, entry)
    if name in PM_NOT_AAPT:
        tag, key, aapt_value, ours = PM_NOT_AAPT[name]
        changed = [n for n in _walk(expected) if n.tag == tag and n.attrib.get(key) == aapt_value]
        assert len(changed) == 1
        changed[0].attrib[key] = ours
    assert plain(parse(data).root) == expected.plain()


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.children:
        yield from _walk(child)


@pytest.mark.parametrize("case", BENIGN, ids=[c[0] for c in BENIGN])
def test_tree_equals_androguards_on_sound_files(case: tuple[str, str, bytes]) -> None:
    _, _, data = case
    printer = AXMLPrinter(data)
    assert printer.is_valid()
    result = parse(data)
    assert plain(result.root) == plain(printer.get_xml_obj())
    assert result.tricks == ()  # aapt-built files use no trick


@pytest.mark.android_tools("aapt")
def test_attribute_table_matches_the_framework() -> None:
    """Every id we name is the framework's own name for it (Debian's framework-res is API 29; ours are older)."""
    framework = framework_attrs()
    assert {i: n for i, n in FRAMEWORK_ATTRS.items()} == {i: framework[i] for i in FRAMEWORK_ATTRS}


def test_fast_and_faster_than_androguard() -> None:
    """Well under a millisecond per fixture manifest; several times faster than androguard on the same input."""
    data = zipfile.ZipFile(FIXTURES / "sdks.apk").read("AndroidManifest.xml")

    def best(fn: Callable[[], object], n: int) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            times.append((time.perf_counter() - start) / n)
        return min(times)

    ours = best(lambda: parse(data), 50)
    theirs = best(lambda: AXMLPrinter(data).get_xml_obj(), 10)
    assert ours < 0.001
    assert theirs > 2 * ours


# -- values ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "data", "text"), [
    (0x01, 0x7F020000, "@7F020000"), (0x01, 0x0104000F, "@android:0104000F"), (0x07, 0x7F030001, "@7F030001"),
    (0x02, 0x01010000, "?android:01010000"), (0x10, 42, "42"), (0x10, 0xFFFFFFFF, "-1"),
    (0x11, 0x4B0, "0x000004B0"), (0x12, 0, "false"), (0x12, 0xFFFFFFFF, "true"), (0x1C, 0xFF00FF00, "#FF00FF00"),
    (0x04, 0x3F800000, "1.000000"), (0x05, 0x00001001, "16.000000dip"), (0x55, 7, "<0x7, type 0x55>"),
])
def test_values_as_androguard_writes_them(kind: int, data: int, text: str) -> None:
    assert format_value(kind, data) == text


# -- hand-built documents ---------------------------------------------------------------------------------

NAME, LABEL = 0x01010003, 0x01010001


def pool(strings: list[str], count: int | None = None, utf8: bool = False) -> bytes:
    offsets, blob = [], b""
    for s in strings:
        offsets.append(len(blob))
        if utf8:
            raw = s.encode()
            blob += bytes([len(s), len(raw)]) + raw + b"\0"
        else:
            blob += struct.pack("<H", len(s)) + s.encode("utf-16-le") + b"\0\0"
    blob += bytes(-len(blob) % 4)
    body = struct.pack(f"<{len(offsets)}I", *offsets) + blob
    n = len(strings) if count is None else count
    return struct.pack("<HHIIIIII", 1, 28, 28 + len(body), n, 0, 0x100 if utf8 else 0, 28 + 4 * len(strings), 0) + body


def resmap(ids: list[int]) -> bytes:
    return struct.pack("<HHI", 0x180, 8, 8 + 4 * len(ids)) + struct.pack(f"<{len(ids)}I", *ids)


def start(name: int, attrs: list[tuple[int, int, int, int, int]], *, ns: int = 0xFFFFFFFF, attr_start: int = 20,
          attr_size: int = 20, size: int | None = None, pad: bytes = b"") -> bytes:
    """A start element; attrs are (namespace, name, raw, type, data)."""
    gap = bytes(attr_size - 20) if attr_size >= 20 else b""
    body = struct.pack("<IIHHHHHH", ns, name, attr_start, attr_size, len(attrs), 0, 0, 0)
    body += bytes(max(0, attr_start - 20))
    body += b"".join(struct.pack("<IIIHBBI", *a[:3], 8, 0, *a[3:]) + gap for a in attrs) + pad
    return struct.pack("<HHIII", 0x102, 16, size if size is not None else 16 + len(body), 1, 0xFFFFFFFF) + body


def end(name: int) -> bytes:
    return struct.pack("<HHIIIII", 0x103, 16, 24, 1, 0xFFFFFFFF, 0xFFFFFFFF, name)


def text(index: int) -> bytes:
    return struct.pack("<HHIIIIHBBI", 0x104, 16, 28, 1, 0xFFFFFFFF, index, 8, 0, 0, 0)


def document(*chunks: bytes, kind: int = 3) -> bytes:
    body = b"".join(chunks)
    return struct.pack("<HHI", kind, 8, 8 + len(body)) + body


STRINGS = ["name", "label", ANDROID_NS, "manifest", "uses-permission", "p.x", "A", "package", "org.x"]
S = {s: i for i, s in enumerate(STRINGS)}


def android(attr: str, value: str) -> tuple[int, int, int, int, int]:
    return (S[ANDROID_NS], S[attr], S[value], 3, S[value])


def manifest(*children: bytes, strings: bytes | None = None, ids: tuple[int, ...] = (NAME, LABEL),
             root_attrs: list[tuple[int, int, int, int, int]] | None = None, kind: int = 3) -> bytes:
    attrs = root_attrs if root_attrs is not None else [(0xFFFFFFFF, S["package"], S["org.x"], 3, S["org.x"])]
    return document(strings if strings is not None else pool(STRINGS), resmap(list(ids)),
                    start(S["manifest"], attrs), *children, end(S["manifest"]), kind=kind)


def permission(attrs: list[tuple[int, int, int, int, int]] | None = None, *, attr_start: int = 20,
               attr_size: int = 20, pad: bytes = b"") -> bytes:
    return start(S["uses-permission"], attrs if attrs is not None else [android("name", "p.x")],
                 attr_start=attr_start, attr_size=attr_size, pad=pad) + end(S["uses-permission"])


def test_a_sound_hand_built_document() -> None:
    result = parse(manifest(permission(), text(S["A"])))
    assert plain(result.root) == ("manifest", {"package": "org.x"}, "A",
                                  [("uses-permission", {ANDROID + "name": "p.x"}, None, [])])
    assert result.tricks == ()


def test_utf8_pool() -> None:
    strings = pool(STRINGS, utf8=True)
    assert plain(parse(manifest(permission(), strings=strings)).root)[3][0][1] == {ANDROID + "name": "p.x"}


def codes(data: bytes) -> set[str]:
    return {t.code for t in parse(data).tricks}


def test_name_from_the_resource_id_not_the_string() -> None:
    # the attribute's name string says "label", its id says android:name
    result = parse(manifest(permission([(S[ANDROID_NS], S["label"], S["p.x"], 3, S["p.x"])]), ids=(NAME, NAME)))
    assert result.root[0].attrib == {ANDROID + "name": "p.x"}
    assert {t.code for t in result.tricks} == {"attribute-name-mismatch"}


def test_an_unknown_id_does_not_borrow_a_known_name() -> None:
    # id 0x01010999 is not android:name, whatever its string says: Android does not read it as android:name
    result = parse(manifest(permission(), ids=(0x01010999, LABEL)))
    assert result.root[0].attrib == {}
    assert {t.code for t in result.tricks} == {"attribute-name-mismatch"}


def test_android_attribute_without_id_is_not_seen() -> None:
    result = parse(manifest(permission(), ids=()))
    assert result.root[0].attrib == {}
    assert "attribute-without-id" in {t.code for t in result.tricks}


def test_attribute_layout_from_the_element_header() -> None:
    for data, code in ((permission(attr_size=28), "attribute-size"), (permission(attr_start=32), "attribute-start")):
        result = parse(manifest(data))
        assert result.root[0].attrib == {ANDROID + "name": "p.x"}
        assert code in {t.code for t in result.tricks}


def test_padding_inside_a_node_is_skipped() -> None:
    fake = start(S["uses-permission"], [android("name", "A")]) + end(S["uses-permission"])
    result = parse(manifest(permission(pad=fake)))
    assert [el.attrib for el in result.root] == [{ANDROID + "name": "p.x"}]
    assert "data-in-node" in {t.code for t in result.tricks}


def test_unknown_chunks_are_skipped() -> None:
    unknown = struct.pack("<HHI", 0x777, 8, 16) + bytes(8)
    node = struct.pack("<HHIII", 0x150, 16, 24, 1, 0xFFFFFFFF) + bytes(8)
    data = document(unknown, pool(STRINGS), resmap([NAME]), start(S["manifest"], []), node, permission(),
                    end(S["manifest"]))
    result = parse(data)
    assert [el.tag for el in result.root] == ["uses-permission"]
    assert "unknown-chunk" in {t.code for t in result.tricks}


def test_document_type_and_trailing_data_are_tolerated() -> None:
    assert {"document-type", "trailing-data"} <= codes(manifest(kind=0x0777) + b"\0" * 8)


def test_after_the_root_element() -> None:
    data = manifest(permission())
    # a second root and a node of size 0 after </manifest>: the package manager has stopped reading
    data = document(*_chunks(data)[:-0 or None], start(S["manifest"], []), end(S["manifest"]),
                    struct.pack("<HHIII", 0x101, 16, 0, 1, 0xFFFFFFFF) + bytes(8))
    result = parse(data)
    assert [el.tag for el in result.root] == ["uses-permission"]
    assert {"content-after-root", "bad-node-after-root"} <= {t.code for t in result.tricks}


def _chunks(data: bytes) -> list[bytes]:
    at, out = 8, []
    while at < len(data):
        size = struct.unpack_from("<I", data, at + 4)[0]
        out.append(data[at:at + size])
        at += size
    return out


def test_string_pool_count_beyond_the_offsets() -> None:
    assert "string-pool-count" in codes(manifest(permission(), strings=pool(STRINGS, count=len(STRINGS) + 3)))


def test_raw_and_typed_values() -> None:
    # android:name: the typed value ("A"); package (found by name): the raw string
    result = parse(manifest(permission([(S[ANDROID_NS], S["name"], S["p.x"], 3, S["A"])])))
    assert result.root[0].attrib == {ANDROID + "name": "A"}
    assert "raw-value-mismatch" in {t.code for t in result.tricks}


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "too short"),
    (b"<?xml version='1.0'?><manifest/>", "plain-text XML"),
    (struct.pack("<HHI", 3, 8, 4096), "exceeds"),
    (document(resmap([NAME]), start(0, []), end(0)), "no string pool"),
    (document(pool(STRINGS)), "no XML element"),
    (document(pool(STRINGS, count=1000), resmap([]), start(S["manifest"], []), end(S["manifest"])),
     "run past"),
    (manifest(struct.pack("<HHIII", 0x102, 16, 16, 1, 0xFFFFFFFF)), "no room for its attribute header"),
    (manifest(start(S["uses-permission"], [android("name", "p.x")] * 3, size=40)), "exceed its size"),
    (manifest(struct.pack("<HHI", 0x103, 16, 30) + bytes(22)), "not a multiple of 4"),
])
def test_what_android_rejects_is_an_error(data: bytes, reason: str) -> None:
    with pytest.raises(AxmlError, match=reason):
        parse(data)


def test_unreadable_strings_are_absent() -> None:
    # a value index past the pool: Android reads no string, the attribute has no value
    result = parse(manifest(permission([(S[ANDROID_NS], S["name"], 99, 3, 99)])))
    assert result.root[0].attrib == {}
    assert "unreadable-string" in {t.code for t in result.tricks}


def test_the_aapt_text_parser() -> None:
    text = """N: android=http://schemas.android.com/apk/res/android
  E: manifest (line=2)
    A: package="a.b" (Raw: "a.b")
    A: android:versionCode(0x0101021b)=(type 0x10)0x2a
    E: application (line=3)
      A: label(0x01010001)="say \\"hi\\"" (Raw: "say \\"hi\\"")
      C: "text"
"""
    tree = parse_xmltree(text)
    assert tree.plain() == ("manifest", {"package": "a.b", ANDROID + "versionCode": "42"}, None,
                            [("application", {ANDROID + "label": 'say "hi"'}, "text", [])])


# -- the label ------------------------------------------------------------------------------------------

A = "{" + ANDROID_NS + "}"


def _activity(name: str, label: str | None, main: bool = True, enabled: str | None = None) -> Element:
    activity = Element("activity", {A + "name": name, **({A + "label": label} if label else {}),
                                    **({A + "enabled": enabled} if enabled else {})})
    intent = Element("intent-filter")
    intent.append(Element("action", {A + "name": "android.intent.action.MAIN"}))
    if main:
        intent.append(Element("category", {A + "name": "android.intent.category.LAUNCHER"}))
    activity.append(intent)
    return activity


@pytest.mark.parametrize(("app_label", "activities", "expected"), [
    ("@7F010000", [_activity(".Main", "Main")], "@7F010000"),
    (None, [_activity(".A", "First"), _activity(".B", "Second")], "Second"),  # the last main activity by name
    (None, [_activity(".A", "First"), _activity(".B", "Second", enabled="false")], "First"),
    (None, [_activity(".A", "First", main=False)], None),
    (None, [], None),
])
def test_declared_label(app_label: str | None, activities: list[Element], expected: str | None) -> None:
    root = Element("manifest")
    app = Element("application", {A + "label": app_label} if app_label else {})
    app.extend(activities)
    root.append(app)
    second = Element("application", {A + "label": "not read"})  # Android reads the first <application> only
    root.append(second)
    assert _declared_label(root) == expected
