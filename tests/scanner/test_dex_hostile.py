"""Damaged dex files fail with DexFormatError, never with another exception or a hang."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scanner.dex.dexset import DexSet
from scanner.dex.file import DexFile
from scanner.errors import DexFormatError
from tests.conftest import FIXTURES

SEED_DEX = zipfile.ZipFile(FIXTURES / "sdks.apk").read("classes.dex")


def _exercise(data: bytes) -> None:
    dex = DexFile(data, "classes.dex", "fuzz.apk")
    _ = list(dex.strings), dex.types, dex.protos, dex.class_names, dex.methods  # every string decoded
    dexes = DexSet([dex])
    dexes.classes()
    dexes.call_sites(["Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;"],
                     ["Landroid/os/Build;->SERIAL:Ljava/lang/String;"], ["android_id"])
    dexes.invoke_edges([dex.method_ref(int(i)) for i in dex.methods.method_idx[:20]])
    dexes.resolve("Lcom/umeng/analytics/MobclickAgent;->onResume(Landroid/content/Context;)V")


@pytest.mark.parametrize("data", [b"", b"dex\n035\x00", b"\x00" * 200, b"PK\x03\x04" + b"\x00" * 200,
                                  SEED_DEX[:0x70], SEED_DEX[: len(SEED_DEX) // 2]])
def test_truncated_or_garbage(data: bytes) -> None:
    with pytest.raises(DexFormatError) as info:
        _exercise(data)
    assert "fuzz.apk" in str(info.value)


def test_random_corruption_is_contained() -> None:
    rng = random.Random(1234)
    outcomes = {"ok": 0, "error": 0}
    for _ in range(400):
        data = bytearray(SEED_DEX)
        for _ in range(rng.randint(1, 8)):
            pos = rng.randrange(0x08, len(data))  # keep the magic; corrupt tables, class data, code
            data[pos] = rng.randrange(256)
        try:
            _exercise(bytes(data))
            outcomes["ok"] += 1
        except DexFormatError:
            outcomes["error"] += 1
    assert outcomes["ok"] and outcomes["error"]  # both paths were exercised


PADDED_MIB = 256


def test_a_dex_padded_past_its_declared_size_is_read_no_further(tmp_path: Path) -> None:
    """classes.dex followed by 256 MiB of zeros at deflate level 1: under the zip-bomb ratio, but the
    dex reader must stop at the header's file_size (Android refuses the dex: bad file size)."""
    clean = zipfile.ZipFile(FIXTURES / "clean.apk")
    apk = tmp_path / "padded.apk"
    with zipfile.ZipFile(apk, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for name in ("AndroidManifest.xml", "resources.arsc"):
            out.writestr(name, clean.read(name))
        with out.open("classes.dex", "w") as dex:
            dex.write(clean.read("classes.dex"))
            zeros = bytes(1 << 20)
            for _ in range(PADDED_MIB):
                dex.write(zeros)
    info = zipfile.ZipFile(apk).getinfo("classes.dex")
    assert info.file_size > PADDED_MIB << 20 and info.file_size / info.compress_size < 500  # not a "bomb"
    probe = (
        "import json, sys\n"
        "from scanner.analysis.gather import gather\n"
        "from scanner.input.archive import open_app\n"
        "facts, dex = gather(open_app(sys.argv[1]))\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a child of a big pytest worker
        # would report the worker's size
        "hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
        "print(json.dumps({'rss_mb': hwm / 1024,\n"
        "                  'codes': [p.code for p in facts.problems], 'classes': dex.class_count}))\n")
    out = subprocess.run([sys.executable, "-c", probe, str(apk)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["codes"] == ["dex-trailing-data"] and result["classes"] > 0
    declared_mb = len(clean.read("classes.dex")) / 2**20
    assert result["rss_mb"] <= 2 * declared_mb + 200, result  # the bound: declared dex, not padding


@pytest.mark.android_tools("apksigner")
def test_a_v1_signed_padded_dex_is_hashed_without_holding_it(tmp_path: Path) -> None:
    """The v1 check hashes every entry (Android below API 24 does): it used to inflate the padded dex whole,
    563 MB peak; streamed, the scan stays within the declared-size bound."""
    clean = zipfile.ZipFile(FIXTURES / "clean.apk")
    unsigned, apk = tmp_path / "padded-unsigned.apk", tmp_path / "padded-v1.apk"
    with zipfile.ZipFile(unsigned, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for name in ("AndroidManifest.xml", "resources.arsc"):
            out.writestr(name, clean.read(name))
        with out.open("classes.dex", "w") as dex:
            dex.write(clean.read("classes.dex"))
            for _ in range(PADDED_MIB):
                dex.write(bytes(1 << 20))
    subprocess.run(["apksigner", "sign", "--ks", str(FIXTURES.parent / "keys" / "release.jks"), "--ks-pass",
                    "pass:appaudit", "--ks-key-alias", "release", "--v2-signing-enabled", "false",
                    "--v3-signing-enabled", "false", "--min-sdk-version", "21", "--out", str(apk), str(unsigned)],
                   check=True, capture_output=True)
    probe = (
        "import json, sys\n"
        "from scanner.gate.review import scan\n"
        "audit = scan(sys.argv[1])\n"
        "hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
        "print(json.dumps({'rss_mb': hwm / 1024, 'v1': [c.verified for c in audit.signing.checks]}))\n")
    out = subprocess.run([sys.executable, "-c", probe, str(apk)], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["v1"] == [True]  # every entry, the padded dex included, was hashed and matched
    declared_mb = len(clean.read("classes.dex")) / 2**20
    assert result["rss_mb"] <= 2 * declared_mb + 200, result


def _forced_overlap(dex: DexFile) -> DexFile:
    """The same dex, its search told that code ranges overlap: the candidate search and confirming walk run."""
    import dataclasses

    dex.__dict__["code_layout"] = dataclasses.replace(dex.code_layout, disjoint=False)
    return dex


@pytest.mark.parametrize("apk", ["sdks.apk", "clean.apk"])
def test_both_reference_searches_agree(apk: str) -> None:
    """The walk's reference table (methods own their code) and the candidate search (code shared or
    overlapping) find the same call sites and constants."""
    data = zipfile.ZipFile(FIXTURES / apk).read("classes.dex")
    dex = DexFile(data, "classes.dex", apk)
    assert dex.code_layout.disjoint
    strings = [s for s in dex.strings if s]
    methods = [dex.method_ref(i) for i in range(len(dex.method_ids))]
    fields = [dex.field_ref(i) for i in range(len(dex.field_ids))]
    args = (methods, fields, strings, dex.types, methods)
    fast = DexSet([dex]).scan(*args)
    slow = DexSet([_forced_overlap(DexFile(data, "classes.dex", apk))]).scan(*args)
    assert fast.sites and fast.literals and fast == slow


def test_overlapping_code_ranges_are_searched_safely() -> None:
    """A method whose code starts inside another's (hostile) turns off the shared reference table."""
    import dataclasses

    import numpy as np

    dex = DexFile(SEED_DEX, "classes.dex", "fuzz.apk")
    m = dex.methods
    row = int(np.argmax(m.insns_size))
    starts, sizes = m.insns_start.copy(), m.insns_size.copy()
    other = int(np.flatnonzero(sizes)[0] if np.flatnonzero(sizes)[0] != row else np.flatnonzero(sizes)[1])
    starts[other], sizes[other] = starts[row] + 1, sizes[row] - 1
    dex.__dict__["methods"] = dataclasses.replace(m, insns_start=starts, insns_size=sizes)
    assert not dex.code_layout.disjoint
    refs = [dex.method_ref(i) for i in range(len(dex.method_ids))]
    assert DexSet([dex]).scan(refs).sites


def test_string_prefilters_hold_every_match() -> None:
    """``strings_holding`` and ``strings_led_by_digit`` keep every string the caller's own test selects."""
    dexes = DexSet([DexFile(zipfile.ZipFile(FIXTURES / name).read("classes.dex"), "classes.dex", name)
                    for name in ("sdks.apk", "clean.apk")])
    every = dexes.strings()
    needles = ["http", "://", "Ljava/lang/", "a", "content://com.android.contacts", "ü", "\0", "version"]
    for needle in needles:
        assert {s for s in every if needle in s} <= set(dexes.strings_holding([needle]))
    assert set(dexes.strings_holding([""])) == set(every)
    assert dexes.strings_holding([]) == []
    assert {s for s in every if s[:1].isdigit()} <= set(dexes.strings_led_by_digit())
