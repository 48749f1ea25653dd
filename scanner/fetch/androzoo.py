"""AndroZoo: its ``latest.csv`` list, filtered and sampled, and its download API.

The list has one row per APK (``sha256, sha1, md5, dex_date, apk_size, pkg_name, vercode, vt_detection,
vt_scan_date, dex_size, markets``; ``markets`` joined by ``|``). The full list has tens of millions of rows,
so it is read as a stream and ``--sample N`` keeps a seeded reservoir: memory stays at N rows, and the same
list and seed give the same sample. Downloads go through the documented API
(``/api/download?apikey=KEY&sha256=SHA``); the key comes from ``ANDROZOO_API_KEY`` only, travels as a
request parameter and is in no ``Release``, message or manifest. AndroZoo asks for at most about 20
downloads at once.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from scanner.fetch.release import SHA256, Release, StoreError

API = "https://androzoo.uni.lu/api/download"
KEY_VARIABLE = "ANDROZOO_API_KEY"
MAX_CONCURRENCY = 20  # what the service's documentation asks for
COLUMNS = ("sha256", "sha1", "md5", "dex_date", "apk_size", "pkg_name", "vercode", "vt_detection",
           "vt_scan_date", "dex_size", "markets")


@dataclass(frozen=True, slots=True)
class Filter:
    markets: tuple[str, ...] = ()  # keep APKs listed in any of these (e.g. play.google.com)
    min_date: str | None = None  # dex_date on or after this ISO date
    max_size: int | None = None  # apk_size in bytes
    packages: tuple[str, ...] = ()
    sample: int | None = None  # a seeded random sample of this many
    seed: int = 0


def api_key(environ: dict[str, str] | None = None) -> str:
    """The key from the environment; ``StoreError`` (exit 2) when it is not set."""
    key = (os.environ if environ is None else environ).get(KEY_VARIABLE, "").strip()
    if not key:
        raise StoreError(f"AndroZoo needs an API key: set {KEY_VARIABLE} (it is never taken from the command line)")
    return key


def read_list(path: str | Path, chosen: Filter, api: str = API) -> list[Release]:
    """The releases of an AndroZoo list (``.csv`` or ``.csv.gz``) that pass ``chosen``, in list order."""
    source = Path(path)
    try:
        with _open(source) as text:
            rows = _rows(text, source)
            kept = _reservoir(rows, chosen) if chosen.sample is not None else [r for r in rows if _keep(r, chosen)]
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise StoreError(f"{source}: cannot be read ({exc})") from None
    kept.sort(key=lambda pair: pair[0])
    return [_release(row, source, api) for _, row in kept]


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _rows(text: IO[str], source: Path) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(text)
    missing = [c for c in ("sha256", "pkg_name", "vercode", "apk_size", "dex_date", "markets")
               if c not in (reader.fieldnames or ())]
    if missing:
        raise StoreError(f"{source}: not an AndroZoo list (no column {', '.join(missing)}; "
                         f"expected {', '.join(COLUMNS)})")
    for number, row in enumerate(reader, 2):
        sha = (row.get("sha256") or "").strip().lower()
        if not SHA256.fullmatch(sha):
            raise StoreError(f"{source}, line {number}: not a sha256: {row.get('sha256')!r}")
        row["sha256"] = sha
        yield number, row


def _keep(item: tuple[int, dict[str, str]], chosen: Filter) -> bool:
    _, row = item
    if chosen.packages and row["pkg_name"] not in chosen.packages:
        return False
    if chosen.markets and not set(chosen.markets) & set((row.get("markets") or "").split("|")):
        return False
    if chosen.min_date and (row.get("dex_date") or "")[:10] < chosen.min_date:
        return False
    if chosen.max_size is None:
        return True
    size = _int(row.get("apk_size"))
    return size is not None and size <= chosen.max_size


def _reservoir(rows: Iterator[tuple[int, dict[str, str]]], chosen: Filter) -> list[tuple[int, dict[str, str]]]:
    """A uniform sample of ``chosen.sample`` rows that pass the filter (Algorithm R, seeded)."""
    size = chosen.sample or 0
    chance = random.Random(chosen.seed)  # noqa: S311 -- a reproducible research sample, not a secret
    kept: list[tuple[int, dict[str, str]]] = []
    seen = 0
    for item in rows:
        if not _keep(item, chosen):
            continue
        seen += 1
        if len(kept) < size:
            kept.append(item)
        else:
            slot = chance.randrange(seen)
            if slot < size:
                kept[slot] = item
    return kept


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _release(row: dict[str, str], source: Path, api: str) -> Release:
    sha = row["sha256"]
    markets = tuple(m for m in (row.get("markets") or "").split("|") if m)
    date = (row.get("dex_date") or "")[:10] or None
    return Release("androzoo", str(source), row["pkg_name"], _int(row.get("vercode")), None,
                   f"{api}?sha256={sha}", sha, _int(row.get("apk_size")), markets, date)
