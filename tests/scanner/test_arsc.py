"""The lazy resource-table reader against androguard's full parser and aapt, and on damaged tables."""

from __future__ import annotations

import random
import struct
import subprocess
import zipfile
from pathlib import Path

import pytest
from loguru import logger

from scanner.android.arsc import ArscError, ResourceTable, parse_reference
from tests.conftest import FIXTURES

logger.disable("androguard")
from androguard.core.axml import ARSCParser  # noqa: E402

WITH_TABLES = sorted(p.name for p in FIXTURES.glob("*.apk") if "resources.arsc" in zipfile.ZipFile(p).namelist())
FRAMEWORK = "/usr/share/android-framework-res/framework-res.apk"


def table_of(name: str) -> bytes:
    return zipfile.ZipFile(FIXTURES / name).read("resources.arsc")


@pytest.mark.parametrize("name", WITH_TABLES)
def test_string_pool_equals_androguards(name: str) -> None:
    data = table_of(name)
    assert list(ResourceTable(data).strings) == list(ARSCParser(data).stringpool_main)


def test_a_file_resource_resolves_to_its_path_in_every_configuration() -> None:
    data = table_of("preconsent.apk")
    theirs = ARSCParser(data)
    res_id = theirs.get_res_id_by_key("org.appaudit.fixture.preconsent", "xml", "network_security_config")
    expected = sorted({path for _, path in theirs.get_resolved_res_configs(res_id)})
    assert sorted(ResourceTable(data).strings_of(res_id)) == expected == ["res/xml/network_security_config.xml"]


@pytest.mark.android_tools("aapt")
def test_locales_default_first_as_aapt_prints_them(tmp_path: Path) -> None:
    """A label in three configurations: the default one is the label, the others follow (aapt's badging)."""
    res = tmp_path / "res"
    for folder, text in (("values", "Plain"), ("values-zh-rCN", "中文名"), ("values-ja", "日本語")):
        (res / folder).mkdir(parents=True)
        (res / folder / "strings.xml").write_text(
            f'<resources><string name="app_name">{text}</string><string name="other">x</string></resources>',
            encoding="utf-8")
    (tmp_path / "AndroidManifest.xml").write_text(
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="org.example.loc">'
        '<application android:label="@string/app_name"/></manifest>', encoding="utf-8")
    apk = tmp_path / "loc.apk"
    subprocess.run(["aapt", "package", "-f", "-M", str(tmp_path / "AndroidManifest.xml"), "-S", str(res),
                    "-I", FRAMEWORK, "-F", str(apk)], check=True, capture_output=True)
    badging = subprocess.run(["aapt", "dump", "badging", str(apk)], capture_output=True, text=True).stdout
    data = zipfile.ZipFile(apk).read("resources.arsc")
    table = ResourceTable(data)
    label_id = ARSCParser(data).get_res_id_by_key("org.example.loc", "string", "app_name")
    values = table.strings_of(label_id)
    assert values[0] == "Plain" and "application-label:'Plain'" in badging
    assert set(values) == {"Plain", "中文名", "日本語"}
    assert "application-label-zh-CN:'中文名'" in badging and "application-label-ja:'日本語'" in badging


def test_references_are_parsed_as_the_manifest_reader_writes_them() -> None:
    assert parse_reference("@7F020000") == 0x7F020000
    assert parse_reference("@android:0104000A") is None and parse_reference("Plain") is None
    assert parse_reference("@string/app_name") is None and parse_reference("@0") is None


@pytest.mark.parametrize("name", ["sdks.apk", "preconsent.apk"])
def test_a_damaged_table_raises_only_arsc_error(name: str) -> None:
    """Truncations and byte flips anywhere: a lookup either answers or says the table is damaged."""
    data = table_of(name)
    rng = random.Random(name)
    cases = [data[:cut] for cut in range(0, len(data), max(1, len(data) // 97))]
    for _ in range(300):
        flipped = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        cases.append(bytes(flipped))
    for case in cases:
        try:
            table = ResourceTable(case)
            table.strings  # noqa: B018 -- decoding the pool is part of reading the table
            for res_id in (0x7F020000, 0x7F030000, 0x7F040000, 0xFFFFFFFF, 0):
                table.strings_of(res_id)
        except ArscError:
            continue


@pytest.mark.parametrize("name", WITH_TABLES)
def test_strings_holding_a_url_are_found_in_the_raw_pool(name: str) -> None:
    data = table_of(name)
    expected = [s for s in ARSCParser(data).stringpool_main if "://" in s]
    assert list(ResourceTable(data).strings_containing("://")) == expected


def test_utf16_pools_are_searched_on_character_boundaries() -> None:
    """aapt writes UTF-16 pools too; build one by hand: "a://b" must be found, a byte-shifted look-alike not."""
    strings = ["plain", "a://b", "\u3a00\u2f2f"]  # the last one's UTF-16 bytes hold ":/" "/" at odd offsets
    encoded = [struct.pack("<H", len(s)) + s.encode("utf-16-le") + b"\0\0" for s in strings]
    offsets, at = [], 0
    for blob in encoded:
        offsets.append(at)
        at += len(blob)
    header = 28
    body = struct.pack(f"<{len(strings)}I", *offsets) + b"".join(encoded)
    pool = struct.pack("<HHIIIIII", 0x0001, header, header + len(body), len(strings), 0, 0,
                       header + 4 * len(strings), 0) + body
    table = struct.pack("<HHII", 0x0002, 12, 12 + len(pool), 0) + pool
    parsed = ResourceTable(table)
    assert parsed.strings == tuple(strings)
    assert parsed.strings_containing("://") == ("a://b",)


@pytest.mark.android_tools("aapt")
def test_manifest_values_given_as_references_are_resolved_as_aapt_shows_them(tmp_path: Path) -> None:
    """versionName="@string/…" is reported as the string, as aapt and the package manager show it, and
    meta-data values as their default value (a vendor switch is often a @bool)."""
    from scanner.android.apk import read_apk_facts
    from scanner.input.archive import open_app

    res = tmp_path / "res" / "values"
    res.mkdir(parents=True)
    (res / "values.xml").write_text(
        '<resources><string name="version_name">4.5.6-store</string><string name="key">abc123</string>'
        '<bool name="collect">false</bool><integer name="level">42</integer></resources>', encoding="utf-8")
    (tmp_path / "AndroidManifest.xml").write_text(
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="org.example.refs" '
        'android:versionCode="3" android:versionName="@string/version_name"><application>'
        '<meta-data android:name="UMENG_APPKEY" android:value="@string/key"/>'
        '<meta-data android:name="firebase_analytics_collection_enabled" android:value="@bool/collect"/>'
        '<meta-data android:name="level" android:value="@integer/level"/>'
        '<meta-data android:name="plain" android:value="as written"/>'
        '</application></manifest>', encoding="utf-8")
    apk = tmp_path / "refs.apk"
    subprocess.run(["aapt", "package", "-f", "-M", str(tmp_path / "AndroidManifest.xml"), "-S",
                    str(tmp_path / "res"), "-I", FRAMEWORK, "-F", str(apk)], check=True, capture_output=True)
    badging = subprocess.run(["aapt", "dump", "badging", str(apk)], capture_output=True, text=True).stdout
    facts = read_apk_facts(open_app(str(apk)))
    assert "versionName='4.5.6-store'" in badging and facts.manifest.version_name == "4.5.6-store"
    assert {d.name: d.value for d in facts.manifest.meta_data} == {
        "UMENG_APPKEY": "abc123", "firebase_analytics_collection_enabled": "false", "level": "42",
        "plain": "as written"}
    assert facts.problems == ()


def test_a_pool_whose_offsets_are_out_of_order_is_searched_all_the_same() -> None:
    """aapt writes a pool's strings in index order; another writer need not: the search then orders them."""
    strings = ["x://first", "plain", "y://third"]
    blobs = [bytes([len(s), len(s)]) + s.encode() + b"\0" for s in strings]
    layout = [2, 0, 1]  # the bytes of string 2 first, then 0, then 1
    offsets, at, body = [0] * len(strings), 0, b""
    for i in layout:
        offsets[i] = at
        body += blobs[i]
        at += len(blobs[i])
    header = 28
    body = struct.pack(f"<{len(strings)}I", *offsets) + body
    pool = struct.pack("<HHIIIIII", 0x0001, header, header + len(body), len(strings), 0, 0x100,
                       header + 4 * len(strings), 0) + body
    table = struct.pack("<HHII", 0x0002, 12, 12 + len(pool), 0) + pool
    parsed = ResourceTable(table)
    assert parsed.strings == tuple(strings)
    assert parsed.strings_containing("://") == ("x://first", "y://third")
