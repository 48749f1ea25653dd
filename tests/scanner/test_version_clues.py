"""SDK version clues from versions.apk: static String values read from dex (against baksmali), META-INF
``*.version`` files and native library names, resolved per SDK; damaged static values are contained."""

from __future__ import annotations

import gzip
import json
import random
import re
import struct
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

import scanner.dex.file as dex_module
from scanner.analysis.gather import gather
from scanner.analysis.index import index_of
from scanner.analysis.reachability import PreConsent
from scanner.analysis.versions import DEX_FIELD, DEX_METHOD, META_INF, NATIVE, SdkVersion, VersionClue, sdk_versions
from scanner.batch.snapshot import read_snapshot, snapshot_path, write_snapshot
from scanner.dex.constants import constant_string_methods
from scanner.dex.file import DexFile
from scanner.errors import DexFormatError
from scanner.input.archive import open_app
from tests.conftest import APPS, FIXTURES, KB

APK = FIXTURES / "versions.apk"
DEX = zipfile.ZipFile(APK).read("classes.dex")
UMENG = "Lcom/umeng/commonsdk/statistics/SdkVersion;"
CLUES = (
    VersionClue(DEX_FIELD, "cn.jpush.android.BuildConfig.VERSION_NAME", "5.0.3"),
    VersionClue(DEX_FIELD, "com.umeng.commonsdk.statistics.SdkVersion.MUTABLE_VERSION", "0.0.1"),
    VersionClue(DEX_FIELD, "com.umeng.commonsdk.statistics.SdkVersion.SDK_VERSION", "9.6.3"),
    VersionClue(DEX_FIELD, "org.appaudit.fixture.versions.BuildConfig.VERSION_NAME", "3.1.4"),
    VersionClue(META_INF, "META-INF/com.example.lib.version", "1.4.2"),
    VersionClue(NATIVE, "lib/arm64-v8a/libexample-2.1.0.so", "2.1.0"),
)


def kb_owner(cls: str) -> str | None:
    sdk = KB.sdk_for_class(cls.rpartition(".")[0])
    return sdk.id if sdk else None


def strings_of(dex: DexFile) -> set[tuple[str, str, bool, str]]:
    """(class, field, final, value) of every static String field with a string constant as initial value."""
    out = set()
    for index, flags, value in dex.static_strings(lambda name: True):
        cls, _, name = dex.field_ids[index].tolist()
        out.add((dex.types[cls], dex.strings[name], bool(flags & 0x10), value))
    return out


def test_gathered_clues() -> None:
    """Ignored: VERSION_CODE ints, SERVER's URL, MODULE_VERSION's non-version, MIN_SDK_VERSION / OS_VERSION /
    String VERSION_CODE (names of other versions), and a VERSION set in <clinit>. The non-final MUTABLE_VERSION
    counts (vendors keep versions in non-final fields), and loses to SDK_VERSION when resolved."""
    facts, _ = gather(open_app(str(APK)))
    assert facts.version_clues == CLUES


def test_resolved_per_sdk() -> None:
    found = sdk_versions(CLUES, kb_owner, {}, prefixes={"example-lib": ("com.example.lib",)},
                         libraries={"example-native": ("libexample.so",)})
    assert found == {
        "umeng-analytics": SdkVersion("9.6.3", "dex-field com.umeng.commonsdk.statistics.SdkVersion.SDK_VERSION"),
        "jiguang-jpush": SdkVersion("5.0.3", "dex-field cn.jpush.android.BuildConfig.VERSION_NAME"),
        "example-lib": SdkVersion("1.4.2", "meta-inf META-INF/com.example.lib.version"),
        "example-native": SdkVersion("2.1.0", "native lib/arm64-v8a/libexample-2.1.0.so"),
    }  # the app's own BuildConfig.VERSION_NAME (3.1.4) is nobody's SDK version


def test_the_other_fixtures_state_no_versions_but_gdts_constant_getter() -> None:
    for app in APPS:
        facts, _ = gather(open_app(str(FIXTURES / app)))
        expected = (VersionClue(DEX_METHOD, "com.qq.e.comm.managers.status.SDKStatus.getSDKVersion()", "4.500.1370"),
                    ) if app == "sdks.apk" else ()
        assert facts.version_clues == expected, app


def test_snapshot_keeps_the_clues(tmp_path: Path) -> None:
    facts, _ = gather(open_app(str(APK)))
    write_snapshot(tmp_path, "sha", facts, index_of((), {}), PreConsent((), {}), KB.version)
    path = snapshot_path(tmp_path, "sha")
    assert read_snapshot(path)[0].version_clues == CLUES
    doc = json.loads(gzip.decompress(path.read_bytes()))
    del doc["version_clues"]  # a snapshot written before clues were gathered
    path.write_bytes(gzip.compress(json.dumps(doc).encode()))
    assert read_snapshot(path)[0].version_clues == ()


# -- against baksmali ---------------------------------------------------------------------------------

_CLASS = re.compile(r"^\.class .*?(L[^;\s]+;)$")
_FIELD = re.compile(r'^\.field ((?:[a-z-]+ )*)([^\s:]+):Ljava/lang/String; = "(.*)"$')


def baksmali_strings(dex_path: Path, out: Path) -> set[tuple[str, str, bool, str]]:
    subprocess.run(["baksmali", "d", "-o", str(out), str(dex_path)], check=True, capture_output=True)
    found = set()
    for path in sorted(out.rglob("*.smali")):
        cls = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if m := _CLASS.match(line):
                cls = m.group(1)
            elif (m := _FIELD.match(line)) and "static" in m.group(1).split():
                value = m.group(3).encode("latin-1", "backslashreplace").decode("unicode_escape")
                found.add((cls, m.group(2), "final" in m.group(1).split(), value))
    return found


def _dex_entries() -> list[tuple[str, str]]:
    out = []
    for app in (*APPS, "arguments.apk", "versions.apk"):
        with zipfile.ZipFile(FIXTURES / app) as z:
            out += [(app, n) for n in z.namelist() if n.endswith(".dex")]
    return out


_METHOD = re.compile(r"^\.method ((?:[a-z-]+ )*)([^\s(]+)\([^)]*\)Ljava/lang/String;$")
_BODY = re.compile(r'^const-string(?:/jumbo)? (v\d+), "(.*)"$')


def baksmali_constant_methods(out: Path) -> set[tuple[str, str, str]]:
    """(class, method, value) of String methods whose body is exactly a const-string and its return-object."""
    found = set()
    for path in sorted(out.rglob("*.smali")):
        cls, method, body = None, None, []
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if m := _CLASS.match(raw):
                cls = m.group(1)
            elif m := _METHOD.match(line):
                method, body = m.group(2), []
            elif line == ".end method":
                code = [b for b in body if b and not b.startswith((".", "#", ":"))]
                c = _BODY.match(code[0]) if method and len(code) == 2 else None
                if c and code[1] == f"return-object {c.group(1)}":
                    value = c.group(2).encode("latin-1", "backslashreplace").decode("unicode_escape")
                    found.add((cls, method, value))
                method = None
            elif method:
                body.append(line)
    return found


@pytest.mark.android_tools("baksmali")
@pytest.mark.parametrize(("app", "name"), _dex_entries(), ids=lambda v: v)
def test_constant_string_methods_match_baksmali(app: str, name: str, tmp_path: Path) -> None:
    data = zipfile.ZipFile(FIXTURES / app).read(name)
    (tmp_path / name).write_bytes(data)
    subprocess.run(["baksmali", "d", "-o", str(tmp_path / "out"), str(tmp_path / name)], check=True,
                   capture_output=True)
    ours = set(constant_string_methods(DexFile(data, name, app), lambda method: True))
    assert ours == baksmali_constant_methods(tmp_path / "out")


@pytest.mark.android_tools("baksmali")
@pytest.mark.parametrize(("app", "name"), _dex_entries(), ids=lambda v: v)
def test_static_strings_match_baksmali(app: str, name: str, tmp_path: Path) -> None:
    data = zipfile.ZipFile(FIXTURES / app).read(name)
    (tmp_path / name).write_bytes(data)
    assert strings_of(DexFile(data, name, app)) == baksmali_strings(tmp_path / name, tmp_path / "out")


def test_the_fixture_has_static_values_of_every_kind() -> None:
    """What the baksmali test checks on versions.apk: SDK_VERSION follows an array, a long, a double, a null,
    a boolean and a char in SdkVersion's static values."""
    ours = strings_of(DexFile(DEX, "classes.dex", "versions.apk"))
    assert (UMENG, "SDK_VERSION", True, "9.6.3") in ours
    assert (UMENG, "MUTABLE_VERSION", False, "0.0.1") in ours
    assert (UMENG, "DEBUG_TAG", True, "null") not in ours


# -- damaged static values ------------------------------------------------------------------------------


def _patched(offset_of: str, patch: bytes) -> DexFile:
    """versions.apk's dex with bytes replaced at SdkVersion's class data or static values."""
    dex = DexFile(DEX, "classes.dex", "versions.apk")
    i = dex.class_names.index(UMENG)
    at = int(dex.class_defs[offset_of][i])
    data = bytearray(DEX)
    data[at:at + len(patch)] = patch
    return DexFile(bytes(data), "classes.dex", "hostile.apk")


def _moved(field: int, value: int) -> DexFile:
    """versions.apk's dex with SdkVersion's class_def field number ``field`` (6: class data, 7: static values)."""
    dex = DexFile(DEX, "classes.dex", "versions.apk")
    i = dex.class_names.index(UMENG)
    (class_off,) = struct.unpack_from("<I", DEX, 0x64)  # header: class_defs_off
    data = bytearray(DEX)
    struct.pack_into("<I", data, class_off + 32 * i + 4 * field, value)
    return DexFile(bytes(data), "classes.dex", "hostile.apk")


def _read(dex: DexFile) -> set[tuple[str, str, str]]:
    return {(dex.types[int(dex.field_ids[i]["cls"])], dex.strings[int(dex.field_ids[i]["name"])], v)
            for i, _, v in dex.static_strings(lambda n: "VERSION" in n)}


JPUSH, APP, DEVICE = ("Lcn/jpush/android/BuildConfig;", "Lorg/appaudit/fixture/versions/BuildConfig;",
                      "Lcom/umeng/commonsdk/statistics/common/DeviceConfig;")
OTHERS = {(JPUSH, "VERSION_NAME", "5.0.3"), (APP, "VERSION_NAME", "3.1.4"), (DEVICE, "MIN_SDK_VERSION", "4.4"),
          (DEVICE, "OS_VERSION", "10.0"), (DEVICE, "VERSION_CODE", "1.0")}
INTACT = OTHERS | {(UMENG, "MODULE_VERSION", "umeng-common"), (UMENG, "MUTABLE_VERSION", "0.0.1"),
                   (UMENG, "SDK_VERSION", "9.6.3")}


def test_intact() -> None:
    assert _read(DexFile(DEX, "classes.dex", "versions.apk")) == INTACT


@pytest.mark.parametrize("dex", [
    pytest.param(lambda: _moved(7, len(DEX) + 100), id="static values outside the file"),
    pytest.param(lambda: _moved(6, len(DEX) - 1), id="class data at the last byte"),
    pytest.param(lambda: _patched("static", b"\xff\xff\xff\xff\x0f"), id="a 4-billion-entry array"),
    pytest.param(lambda: _patched("static", b"\x0c\x05"), id="an unknown value type first"),
    pytest.param(lambda: _patched("static", b"\x0c\xe4"), id="an int wider than 4 bytes"),
    pytest.param(lambda: _patched("static", b"\x0c\x20"), id="a byte with a size argument"),
    pytest.param(lambda: _patched("static", b"\x0c" + b"\x1c\x01" * 9 + b"\x1e"), id="arrays nested 9 deep"),
    pytest.param(lambda: _patched("data", b"\x0c\x00\x01\x00\x00\x19"), id="a static field of another class (JPush's)"),
    pytest.param(lambda: _patched("data", b"\xff\xff\xff\xff\x0f"), id="4 billion static fields"),
])
def test_a_damaged_class_is_skipped(dex: Callable[[], DexFile]) -> None:
    """SdkVersion's static values or class data are damaged: it gives nothing, the other classes their values."""
    assert _read(dex()) == OTHERS


def test_the_value_budget_bounds_the_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dex_module, "_VALUE_BUDGET", 3)
    assert _read(DexFile(DEX, "classes.dex", "versions.apk")) == set()


def test_random_corruption_is_contained() -> None:
    """Static values of a damaged dex: nothing but a DexFormatError from the tables, never a crash or a hang."""
    rng = random.Random(4321)
    dex = DexFile(DEX, "classes.dex", "versions.apk")
    i = dex.class_names.index(UMENG)
    lo = min(int(dex.class_defs["data"][i]), int(dex.class_defs["static"][i]))
    read = 0
    for _ in range(400):
        data = bytearray(DEX)
        for _ in range(rng.randint(1, 6)):  # mostly class data and static values, sometimes the tables
            pos = rng.randrange(lo - 64, len(data)) if rng.random() < 0.8 else rng.randrange(0x08, len(data))
            data[pos] = rng.randrange(256)
        try:
            damaged = DexFile(bytes(data), "classes.dex", "fuzz.apk")
            _ = damaged.strings
        except DexFormatError:
            continue
        damaged.static_strings(lambda n: True)
        read += 1
    assert read
