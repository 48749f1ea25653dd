"""Our DEX reader against Debian's dexdump, on every dex of every fixture."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from scanner.dex.dexset import DexSet
from scanner.dex.file import DexFile
from scanner.dex.load_order import loaded_dex_names
from tests.conftest import APPS, FIXTURES
from tests.scanner.dexdump import dexdump

DEX_APPS = (*APPS, "arguments.apk")  # arguments.apk: every int constant form, payloads that look like code


def _dex_entries() -> list[tuple[str, str]]:
    out = []
    for app in DEX_APPS:
        with zipfile.ZipFile(FIXTURES / app) as z:
            out += [(app, n) for n in z.namelist() if n.endswith(".dex")]
    return out


# every test of a fixture dex cross-checks against dexdump: the marker travels with the parameter
@pytest.fixture(params=[pytest.param(e, marks=pytest.mark.android_tools("dexdump")) for e in _dex_entries()],
                ids=lambda p: f"{p[0]}!{p[1]}")
def dex_pair(request, tmp_path: Path) -> tuple[DexFile, object]:
    app, name = request.param
    data = zipfile.ZipFile(FIXTURES / app).read(name)
    path = tmp_path / name
    path.write_bytes(data)
    return DexFile(data, name, app), dexdump(str(path))


def test_classes_match_dexdump(dex_pair) -> None:
    ours, theirs = dex_pair
    assert sorted(ours.class_names) == sorted(theirs.classes)
    for i, name in enumerate(ours.class_names):
        assert (ours.superclass(i), ours.interfaces(i)) == theirs.classes[name]


def test_defined_methods_match_dexdump(dex_pair) -> None:
    ours, theirs = dex_pair
    m = ours.methods
    assert {ours.method_ref(int(i)) for i in m.method_idx} == theirs.methods
    assert len(m) == len(theirs.methods)


def test_call_sites_match_dexdump(dex_pair) -> None:
    """Every method and field reference any code uses: the (caller, target) sets are equal."""
    ours, theirs = dex_pair
    expected = {(caller, kind, target) for caller, uses in theirs.uses.items() for kind, target in uses
                if kind != "string" or (target.isascii() and target.isprintable() and "\\" not in target)}
    methods = {t for _, k, t in expected if k == "method"}
    fields = {t for _, k, t in expected if k == "field"}
    strings = {t for _, k, t in expected if k == "string"}
    assert methods, "the fixture should invoke methods"
    found = DexSet([ours]).call_sites(methods, fields, strings)
    assert {(c.caller, c.kind, c.target) for c in found} == expected


def test_int_literals_match_dexdump(dex_pair) -> None:
    """The int constants of every method that invokes anything, when each invoked method asks for them."""
    ours, theirs = dex_pair
    invoked = {t for uses in theirs.uses.values() for k, t in uses if k == "method"}
    callers = {c for c, uses in theirs.uses.items() if any(k == "method" for k, _ in uses)}
    found = DexSet([ours]).scan(methods=invoked, literals_of=invoked)
    assert found.literals == {c: frozenset(v) for c, v in theirs.literals.items() if c in callers and v}


def test_int_literals_only_for_callers_of_the_given_methods(dex_pair) -> None:
    """Methods that call none of ``literals_of`` are not decoded, even when they load constants."""
    ours, theirs = dex_pair
    for target in sorted({t for uses in theirs.uses.values() for k, t in uses if k == "method"})[:20]:
        callers = {c for c, uses in theirs.uses.items() if ("method", target) in uses}
        found = DexSet([ours]).scan(literals_of=[target])
        assert {s.caller for s in found.sites} == callers
        assert found.literals == {c: frozenset(theirs.literals[c]) for c in callers if theirs.literals.get(c)}


def test_invoke_edges_match_dexdump(dex_pair) -> None:
    ours, theirs = dex_pair
    edges = DexSet([ours]).invoke_edges(sorted(theirs.methods))
    for caller, targets in edges.items():
        assert set(targets) == {t for k, t in theirs.uses.get(caller, ()) if k == "method"}, caller


def test_unknown_references_find_nothing(dex_pair) -> None:
    ours, _ = dex_pair
    assert DexSet([ours]).call_sites(["Lno/such/Cls;->m()V"], ["Lno/such/Cls;->f:I"], ["no such string"]) == []


def test_strings_match_androguard(dex_pair) -> None:
    """The string table, decoded independently by androguard's DEX parser."""
    from loguru import logger

    logger.disable("androguard")
    from androguard.core.dex import DEX

    ours, _ = dex_pair
    assert list(ours.strings) == list(DEX(ours.data).get_strings())


# U+E000 and the emoji (a surrogate pair) sort one way in UTF-16, the dex order, and the other way in Python's
_ORDER_APART = ["\\ud83d\\ude00 emoji", "\\ue000 private", "\\ud83d\\ude00", "\\ue000"]


@pytest.mark.android_tools("smali")
@pytest.mark.parametrize("apart", [True, False], ids=["utf16-order-differs", "same-order"])
def test_non_ascii_and_modified_utf8_strings(tmp_path: Path, apart: bool) -> None:
    """Strings read and found by their row: with characters on which Python's and UTF-16's orders differ (looked
    up by their UTF-16 units), and without (by plain comparisons), NUL and non-ASCII in both."""
    smali = tmp_path / "smali" / "a"
    smali.mkdir(parents=True)
    texts = ["h\\u00e9llo", "\\u4e2d\\u6587", "nul\\u0000inside", "plain", "\\ucfff last"]
    texts += _ORDER_APART if apart else []
    body = "\n".join(f'    const-string v0, "{t}"' for t in texts)
    (smali / "S.smali").write_text(f""".class public La/S;
.super Ljava/lang/Object;
.method public static m()V
    .registers 1
{body}
    return-void
.end method
""")
    subprocess.run(["smali", "assemble", "-o", str(tmp_path / "classes.dex"), str(tmp_path / "smali")], check=True)
    dex = DexFile((tmp_path / "classes.dex").read_bytes(), "classes.dex", "t")
    strings = list(dex.strings)
    assert {"héllo", "中文", "nul\x00inside", "plain", "\ucfff last"} <= set(strings)
    assert dex.strings.code_point_ordered is not apart
    if apart:
        assert {"😀 emoji", "\ue000 private"} <= set(strings)
        assert strings != sorted(strings), "the table is in UTF-16 order, which Python's differs from here"
    assert [dex.string_row(s) for s in strings] == list(range(len(strings)))
    one_by_one = DexFile(dex.data, "classes.dex", "t").strings
    assert [one_by_one[i] for i in reversed(range(len(strings)))] == strings[::-1]
    assert dex.string_row("\ue000 privatf") is None and dex.string_row("😀 emojj") is None
    assert dex.string_row("h\u00e9llp") is None and dex.string_row("\ucfff lass") is None


def test_strings_read_one_by_one_are_those_read_all_at_once(dex_pair) -> None:
    """A string decoded when first asked for, in any order, is the one the whole table decodes to (which
    androguard checks above); so are slices and negative rows, and a table completed after some were read."""
    ours, _ = dex_pair
    whole = list(DexFile(ours.data, ours.name, ours.label).strings)
    table = DexFile(ours.data, ours.name, ours.label).strings
    order = np.random.default_rng(len(whole)).permutation(len(whole)).tolist()
    assert [table[i] for i in order[: len(order) // 2]] == [whole[i] for i in order[: len(order) // 2]]
    assert list(table) == whole
    assert len(table) == len(whole) and table[-1:] == whole[-1:] and table[1:4] == whole[1:4]
    with pytest.raises(IndexError):
        table[len(whole)]  # noqa: B018


def test_strings_are_sorted_and_complete(dex_pair) -> None:
    ours, _ = dex_pair
    assert len(ours.strings) == len(ours.string_offsets)
    assert [ours.string_row(s) for s in ours.strings] == list(range(len(ours.strings)))
    assert all(ours.string_row(s) is not None for s in ours.types)
    last = ours.strings[-1] if ours.strings else ""
    assert ours.string_row(last + "\x7f") is None and ours.string_row("") in (None, 0)


@pytest.mark.parametrize(("names", "loaded", "ignored"), [
    (["classes.dex"], ["classes.dex"], []),
    (["classes2.dex", "classes.dex", "a.dex"], ["classes.dex", "classes2.dex"], []),
    (["classes.dex", "classes3.dex"], ["classes.dex"], ["classes3.dex"]),
    (["classes2.dex"], [], ["classes2.dex"]),
    (["assets/classes.dex"], [], []),
])
def test_android_load_order(names: list[str], loaded: list[str], ignored: list[str]) -> None:
    assert loaded_dex_names(names) == (loaded, ignored)


@pytest.mark.parametrize("path", sorted(p for p in FIXTURES.rglob("*.apk")), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_the_urls_of_the_code_are_those_of_every_string(path: Path) -> None:
    """The scan looks for URLs only in the strings a byte search finds holding "://": the same URLs as
    looking in every distinct string of every dex."""
    from scanner.analysis.gather import gather
    from scanner.analysis.urls import find_urls
    from scanner.errors import ScanFailure
    from scanner.input.archive import open_app

    try:
        facts, dex = gather(open_app(str(path)))
    except ScanFailure:
        pytest.skip("not an app the scan reads")
    assert [u for u in facts.urls if u.source == "dex"] == find_urls(dex.strings(), "dex")


@pytest.mark.parametrize("seed", range(6))
def test_distinct_gives_what_np_unique_gives(seed: int) -> None:
    from scanner.dex.arrays import distinct, distinct_sorted

    rng = np.random.default_rng(seed)
    values = rng.integers(-(1 << 40), 1 << 40, size=seed * 1000) if seed % 2 else rng.integers(0, 50, size=seed * 300)
    assert np.array_equal(distinct(values), np.unique(values))
    assert np.array_equal(distinct_sorted(np.sort(values)), np.unique(values))
    assert distinct(values).dtype == values.dtype


@pytest.mark.parametrize("dtype", ["u1", "u2", "<u4", "<i4", "<i8"])
@pytest.mark.parametrize("shape", ["narrow", "few", "wide", "outside", "empty"])
@pytest.mark.parametrize("seed", range(4))
def test_isin_gives_what_np_isin_gives(dtype: str, shape: str, seed: int) -> None:
    """Each of ``isin``'s ways (a table over a narrow range, a pass per value for a few, a binary search for
    many spread wide) against ``np.isin``, values wanted outside the tested type's range among them."""
    from scanner.dex.arrays import isin

    rng = np.random.default_rng(seed)
    info = np.iinfo(np.dtype(dtype))
    if shape == "outside" and info.bits == 64:
        pytest.skip("wanted values are int64: none lies outside an int64 array's range")
    values = rng.integers(info.min, info.max, size=rng.integers(1, 3000), endpoint=True).astype(dtype)
    pick = rng.choice(values, size=min(len(values), 40)).astype(np.int64).tolist()
    wanted = {
        "narrow": pick[:30] + [int(values.min())],
        "few": pick[:5],
        "wide": pick + rng.integers(-(1 << 40), 1 << 40, size=200).tolist(),
        "outside": pick[:20] + [int(info.max) + 1 + seed, int(info.min) - 1 - seed] * 10,
        "empty": [],
    }[shape]
    found = isin(values, wanted)
    assert found.dtype == bool and found.shape == values.shape
    assert np.array_equal(found, np.isin(values, np.asarray(wanted, dtype=np.int64)))
    assert np.array_equal(isin(values[:0], wanted), np.zeros(0, bool))


def test_isin_does_not_load_numpys_masked_arrays() -> None:
    """``np.isin`` with nothing wanted, or with wanted values spread wide, imports ``numpy.ma`` (~6 ms of a store
    app's scan, in the version-field reader); ``isin`` answers the same without it."""
    probe = ("import sys, numpy as np\nfrom scanner.dex.arrays import isin\n"
             "values = np.arange(100_000, dtype='<u4') * 7\n"
             "isin(values, []); isin(values, list(range(0, 1 << 30, 1 << 20)))\n"
             "print('numpy.ma' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["False"]


def _uleb_reference(raw: bytes) -> tuple[list[int], list[int]]:
    """Each value of a ULEB128 run the plain way: bytes summed at 7-bit steps (capped at 56, as the reader caps a
    hostile run past 5 bytes), the run ending at each byte below 0x80; trailing bytes without an end dropped."""
    values, starts, value, shift, start = [], [], 0, 0, 0
    for at, byte in enumerate(raw):
        value += (byte & 0x7F) << min(shift, 56)
        shift += 7
        if byte < 0x80:
            values.append(value)
            starts.append(start)
            value, shift, start = 0, 0, at + 1
    return values, starts


@pytest.mark.parametrize("seed", range(8))
def test_uleb_runs_read_as_the_plain_decoder_reads_them(seed: int) -> None:
    """Class data numbers, 1 to 5 bytes each (and, for odd seeds, some hostile runs of 6 to 9 bytes), against a
    byte-by-byte decoder."""
    from scanner.dex.classdata import _uleb_run

    rng = np.random.default_rng(seed)
    raw = bytearray()
    for value in rng.integers(0, 1 << 32, size=2000) >> rng.integers(0, 32, size=2000):
        value = int(value)
        while True:
            byte, value = value & 0x7F, value >> 7
            raw.append(byte | (0x80 if value else 0))
            if not value:
                break
        if seed % 2 and rng.random() < 0.02:
            raw += bytes([0x80 | int(b) for b in rng.integers(0, 128, size=int(rng.integers(5, 9)))]) + b"\x01"
    raw += b"\x85\x81"  # a value cut short at the end of the section: not read
    values, starts = _uleb_run(np.frombuffer(bytes(raw), dtype=np.uint8))
    assert (values.tolist(), starts.tolist()) == _uleb_reference(bytes(raw))
