"""Seed corpus and mutation strategies shared by the fuzz targets.

A mutation is drawn by hypothesis, so a failure shrinks to the fewest, smallest edits of a real seed.
Kinds: flip a bit, set a byte, overwrite an aligned 16/32-bit field with a boundary value (sizes, offsets
and counts of every format read here are little-endian u16/u32), insert or delete bytes, duplicate a
range, truncate. Positions are biased towards the seed's "hot spots" (headers found by signature).
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from tests.conftest import FIXTURES

CORPUS = Path(__file__).parent / "corpus"
INTERESTING = (0, 1, 2, 4, 7, 8, 0x10, 0x20, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
               0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF)


@dataclass(frozen=True)
class Seed:
    name: str
    data: bytes
    lo: int = 0  # mutations stay inside [lo, hi) (inserts and deletes shift what follows)
    hi: int | None = None
    hot: tuple[int, ...] = ()  # offsets of headers worth hitting


def hot_spots(data: bytes, signatures: Sequence[bytes]) -> tuple[int, ...]:
    spots: list[int] = []
    for sig in signatures:
        at = data.find(sig)
        while at >= 0 and len(spots) < 256:
            spots.append(at)
            at = data.find(sig, at + 1)
    return tuple(sorted(spots))


ZIP_SIGS = (b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06", b"PK\x07\x08")


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def entry(apk: str, name: str) -> bytes:
    with zipfile.ZipFile(FIXTURES / apk) as z:
        return z.read(name)


def corpus_files(suffix: str) -> list[Seed]:
    """Hand-made edge seeds committed under ``corpus/`` (see its README)."""
    return [Seed(p.name, p.read_bytes()) for p in sorted(CORPUS.glob(f"*{suffix}"))]


def rebuild(apk: bytes, name: str, data: bytes) -> bytes:
    """The APK with entry ``name`` replaced by ``data`` (same order and compression), built in memory."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(apk)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, data if info.filename == name else src.read(info))
    return out.getvalue()


def signing_block(apk: bytes) -> tuple[int, int] | None:
    """[start, end) of the APK Signing Block (it ends where the central directory starts), or None."""
    eocd = apk.rfind(b"PK\x05\x06")
    if eocd < 0:
        return None
    (cd,) = struct.unpack_from("<I", apk, eocd + 16)
    if cd < 24 or apk[cd - 16:cd] != b"APK Sig Block 42":
        return None
    (size,) = struct.unpack_from("<Q", apk, cd - 24)
    return cd - size - 8, cd


@st.composite
def _position(draw: st.DrawFn, seed: Seed, length: int) -> int:
    hi = min(seed.hi if seed.hi is not None else length, length)
    lo = min(seed.lo, hi)
    if hi <= lo:
        return lo
    hot = [h for h in seed.hot if lo <= h < hi]
    if hot and draw(st.booleans()):
        return min(hi - 1, max(lo, draw(st.sampled_from(hot)) + draw(st.integers(0, 48))))
    return draw(st.integers(lo, hi - 1))


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[Seed], max_edits: int = 8, keep_size: bool = False) -> bytes:
    """A seed with 0..max_edits edits (0 keeps the seed itself in the corpus the search starts from).

    ``keep_size``: only edits in place (flip, byte, u16, u32, copy), so what follows the region stays put.
    """
    seed = draw(st.sampled_from(seeds))
    data = bytearray(seed.data)
    kinds = ("flip", "byte", "u16", "u32", "u32", "copy") if keep_size else \
        ("flip", "byte", "u16", "u32", "u32", "insert", "delete", "dup", "truncate")
    for _ in range(draw(st.integers(0, max_edits))):
        kind = draw(st.sampled_from(kinds))
        if not data:
            data += draw(st.binary(min_size=1, max_size=16))
            continue
        _edit(draw, seed, data, kind, min(draw(_position(seed, len(data))), len(data) - 1))
    return bytes(data)


def _edit(draw: st.DrawFn, seed: Seed, data: bytearray, kind: str, at: int) -> None:
    if kind == "flip":
        data[at] ^= 1 << draw(st.integers(0, 7))
    elif kind == "byte":
        data[at] = draw(st.integers(0, 255))
    elif kind in ("u16", "u32"):
        width, fmt = (2, "<H") if kind == "u16" else (4, "<I")
        at -= at % width
        if at + width <= len(data):
            value = draw(st.sampled_from(INTERESTING)) & ((1 << (8 * width)) - 1)
            struct.pack_into(fmt, data, at, value)
    elif kind == "copy":  # in place: a range of the region over another (lengths, ids, values)
        n = draw(st.integers(1, 32))
        hi = min(seed.hi if seed.hi is not None else len(data), len(data))
        src = draw(st.integers(min(seed.lo, hi - 1), hi - 1))
        chunk = data[src:min(src + n, hi)][:max(0, hi - at)]
        data[at:at + len(chunk)] = chunk
    elif kind == "insert":
        data[at:at] = draw(st.binary(min_size=1, max_size=64))
    elif kind == "delete":
        del data[at:at + draw(st.integers(1, 64))]
    elif kind == "dup":
        data[at:at] = data[at:at + draw(st.integers(1, 256))]
    else:
        del data[at:]
