"""Damaged dex files fail with DexFormatError, never with another exception or a hang."""

from __future__ import annotations

import random
import zipfile

import pytest

from scanner.dex.dexset import DexSet
from scanner.dex.file import DexFile
from scanner.errors import DexFormatError
from tests.conftest import FIXTURES

SEED_DEX = zipfile.ZipFile(FIXTURES / "sdks.apk").read("classes.dex")


def _exercise(data: bytes) -> None:
    dex = DexFile(data, "classes.dex", "fuzz.apk")
    _ = dex.strings, dex.types, dex.protos, dex.class_names, dex.methods
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
