"""The fuzz targets: a strategy of hostile inputs, a property, and the exceptions it may raise.

Bounds, checked per example by ``run``: hypothesis's ``deadline`` (5 s, reported when a slow example is
slow again on replay), a hard 30 s alarm for a hang, and memory: the growth of the process's peak RSS
(``ru_maxrss``) across one example must stay under 256 MiB. A peak is a high-water mark, so this only
sees an example that pushes the peak up by more than the cap; that catches the unbounded allocations
we care about (an inflated entry, a table sized by a header) at no cost, where tracemalloc would slow
every example several times.
"""

from __future__ import annotations

import os
import resource
import signal
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from scanner.android.apk import read_apk_facts
from scanner.android.arsc import ArscError, ResourceTable
from scanner.dex.constants import constant_string_methods
from scanner.dex.dexset import DexSet
from scanner.dex.file import DexFile
from scanner.dex.references import code_graph
from scanner.errors import DexFormatError, ScanFailure
from scanner.input.archive import open_app
from scanner.input.safezip import SafeZip
from tests.conftest import BUNDLES
from tests.fuzz.mutate import (
    ZIP_SIGS,
    Seed,
    corpus_files,
    entry,
    fixture_bytes,
    hot_spots,
    mutated,
    rebuild,
    signing_block,
)

HANG_SECONDS = 30
MEMORY_CAP_KIB = 256 << 10

APKS = ("clean.apk", "sdks.apk", "preconsent.apk", "multidex.apk", "obfuscated.apk", "packed.apk",
        "release_v1.apk", "release_v2.apk", "versions.apk", "provider_init.apk")


def register_profiles() -> None:
    common: dict[str, Any] = dict(
        deadline=timedelta(seconds=5), database=None, print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
    # CI: reproducible (fixed derivation from the test's name), small; see CI_EXAMPLES for the per-target counts
    settings.register_profile("ci", derandomize=True, max_examples=100, **common)
    # campaign: fresh randomness each round, run in rounds until the time is up (tests/fuzz/campaign.py)
    settings.register_profile("campaign", derandomize=False, max_examples=500, **common)


class Hang(BaseException):  # BaseException: the readers' own ``except Exception`` must not swallow it
    pass


class MemoryCapExceeded(AssertionError):
    pass


STATS: dict[str, Counter[str]] = {}
# Crashes already found, each pinned by an xfail(strict) test in test_regressions.py: tolerated here so that
# CI stays green and a campaign goes on looking for new ones. Remove the line when the bug is fixed.
KNOWN_BUGS: set[tuple[str, str]] = set()  # (exception type, file:function) of crashes found but not yet fixed
KNOWN: set[tuple[str, str]] = set(KNOWN_BUGS)
LAST_FAILURE: dict[str, bytes | tuple[Any, ...]] = {}


def signature(exc: BaseException) -> tuple[str, str]:
    tb = exc.__traceback__
    where = "?"
    while tb is not None:
        if "/scanner/" in tb.tb_frame.f_code.co_filename or "androguard" in tb.tb_frame.f_code.co_filename:
            where = f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_frame.f_code.co_name}"
        tb = tb.tb_next
    return type(exc).__name__, where


@contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def hang(signum: int, frame: object) -> None:
        raise Hang(f"example still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run(name: str, prop: Callable[..., object], allowed: tuple[type[BaseException], ...], *args: Any) -> None:
    stats = STATS.setdefault(name, Counter())
    stats["examples"] += 1
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        with _alarm(HANG_SECONDS):
            try:
                prop(*args)
                stats["accepted"] += 1
            except allowed:
                stats["rejected"] += 1
        growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        if growth > MEMORY_CAP_KIB:
            raise MemoryCapExceeded(f"peak RSS grew by {growth >> 10} MiB in one example")
    except BaseException as exc:
        if signature(exc) in KNOWN:
            stats["known crash"] += 1
            return
        LAST_FAILURE[name] = args
        raise


_TMP = Path(tempfile.mkdtemp(prefix="appaudit-fuzz-"))


def _as_file(data: bytes) -> str:
    path = _TMP / f"{os.getpid()}.apk"
    path.write_bytes(data)
    return str(path)


# -- 1. zip layer --------------------------------------------------------------------------------------

ZIP_SEEDS = [Seed(n, fixture_bytes(n), hot=hot_spots(fixture_bytes(n), ZIP_SIGS)) for n in (*APKS[:3], *BUNDLES)]
ZIP_SEEDS += corpus_files(".zip")


def zip_layer(data: bytes) -> None:
    z = SafeZip(data, "fuzz.apk")
    for n in z.names():
        z.read(n)
        z.read_prefix(n, 0x70)
    app = open_app(_as_file(data))
    for split in app.apks:
        split.zip.names()


# -- 2. binary XML manifest -----------------------------------------------------------------------------

AXML_SIGS = (b"\x03\x00\x08\x00", b"\x01\x00\x1c\x00", b"\x80\x01\x08\x00", b"\x02\x01\x10\x00", b"\x03\x01\x10\x00")
_MANIFEST_APKS = ("clean.apk", "sdks.apk", "preconsent.apk", "obfuscated.apk")
MANIFEST_SEEDS = {n: Seed(n, entry(n, "AndroidManifest.xml"),
                          hot=hot_spots(entry(n, "AndroidManifest.xml"), AXML_SIGS)) for n in _MANIFEST_APKS}


def manifest_inputs() -> st.SearchStrategy[tuple[str, bytes]]:
    return st.sampled_from(_MANIFEST_APKS).flatmap(
        lambda apk: mutated([MANIFEST_SEEDS[apk], *corpus_files(".axml")]).map(lambda m: (apk, m)))


def manifest(apk: str, data: bytes) -> None:
    app = open_app(_as_file(rebuild(fixture_bytes(apk), "AndroidManifest.xml", data)))
    read_apk_facts(app)  # anything it cannot read is a recorded problem


# -- 3. resource table ---------------------------------------------------------------------------------

ARSC_SIGS = (b"\x02\x00\x0c\x00", b"\x01\x00\x1c\x00", b"\x00\x02\x20\x01", b"\x01\x02\x54\x00", b"\x02\x02\x10\x00")
ARSC_SEEDS = list({d: Seed(n, d, hot=hot_spots(d, ARSC_SIGS))
                   for n in APKS for d in [entry(n, "resources.arsc")]}.values()) + corpus_files(".arsc")


def _known_ids() -> list[int]:
    ids: set[int] = set()
    for seed in ARSC_SEEDS:
        try:
            table = ResourceTable(seed.data)
        except ArscError:
            continue
        for (package, kind), chunks in table._types.items():
            ids.update((package << 24) | (kind << 16) | e for c in chunks for e in range(min(c.entry_count, 8)))
    return sorted(ids)


RES_IDS = st.lists(st.one_of(st.sampled_from(_known_ids()), st.integers(0, 0xFFFFFFFF)), max_size=4)


def resource_table(data: bytes, ids: list[int]) -> None:
    table = ResourceTable(data)
    table.strings_containing("://")
    for res_id in ids:
        table.strings_of(res_id)
        table.texts_of(res_id)
        table.texts_of(res_id, strings_only=True)


# -- 4. DEX reader -------------------------------------------------------------------------------------

_DEX = [(n, "classes.dex") for n in ("sdks.apk", "preconsent.apk", "obfuscated.apk", "versions.apk", "arguments.apk")]
_DEX += [("multidex.apk", "classes2.dex")]
DEX_SEEDS = [Seed(f"{a}!{d}", entry(a, d), lo=8, hot=tuple(range(0x20, 0x70, 4))) for a, d in _DEX]
DEX_SEEDS += [Seed(s.name, s.data, lo=8) for s in corpus_files(".dex")]


def dex_reader(data: bytes) -> None:
    dex = DexFile(data, "classes.dex", "fuzz.apk")
    _ = list(dex.strings), dex.types, dex.protos, dex.class_names, dex.methods  # every string decoded
    dex.static_strings(lambda name: True)
    constant_string_methods(dex, lambda name: True)
    code_graph([dex])
    dexes = DexSet([dex])
    dexes.classes()
    _ = dexes.superclasses, dexes.code_size_by_class
    dexes.scan(["Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;"],
               ["Landroid/os/Build;->SERIAL:Ljava/lang/String;"], ["android_id"], ["Landroid/location/Location;"],
               ["Landroid/content/Context;->checkSelfPermission(Ljava/lang/String;)I"])
    dexes.invoke_edges([dex.method_ref(int(i)) for i in dex.methods.method_idx[:20]])
    dexes.resolve("Lcom/umeng/analytics/MobclickAgent;->onResume(Landroid/content/Context;)V")


# -- 5. APK Signing Block ------------------------------------------------------------------------------


def _signing_seed(name: str) -> Seed | None:
    data = fixture_bytes(name)
    block = signing_block(data)
    if block is None:
        return None
    start, end = block
    return Seed(name, data, lo=start, hi=end, hot=(start, start + 8, start + 20, end - 24))


SIGNING_SEEDS = [s for n in APKS if (s := _signing_seed(n)) is not None]


def signing(data: bytes) -> None:
    try:
        app = open_app(_as_file(data))
    except ScanFailure:
        return  # the zip layer's verdict (target 1); the signing block is what is fuzzed here
    read_apk_facts(app)  # a damaged block is a recorded problem: no exception, not even a ScanFailure


@dataclass(frozen=True)
class Target:
    name: str
    strategy: st.SearchStrategy[tuple[Any, ...]]
    prop: Callable[..., object]
    allowed: tuple[type[BaseException], ...]


TARGETS = {t.name: t for t in (
    Target("zip", st.tuples(mutated(ZIP_SEEDS)), zip_layer, (ScanFailure,)),
    Target("manifest", manifest_inputs(), manifest, (ScanFailure,)),
    Target("arsc", st.tuples(mutated(ARSC_SEEDS), RES_IDS), resource_table, (ArscError,)),
    Target("dex", st.tuples(mutated(DEX_SEEDS)), dex_reader, (DexFormatError,)),
    Target("signing", st.tuples(mutated(SIGNING_SEEDS, keep_size=True)), signing, ()),
)}
