"""``appaudit fetch androzoo`` against a loopback server implementing AndroZoo's download API.

``/api/download?apikey=KEY&sha256=SHA``: 401 for a missing key, 403 for a wrong one, 404 for an unknown
sha256, 429 with Retry-After when asked. The list is AndroZoo's ``latest.csv`` format.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.cli.main import main
from scanner.fetch.androzoo import COLUMNS, Filter, read_list
from scanner.fetch.manifest import MANIFEST, read_manifest
from tests.conftest import FIXTURES
from tests.fetch.server import Reply, Request, StoreServer

KEY = "k3y-" + "5ecret" * 6
APKS = ("clean.apk", "sdks.apk", "preconsent.apk", "multidex.apk", "packed.apk", "obfuscated.apk")


class ZooServer(StoreServer):
    def __init__(self, files: dict[str, bytes]) -> None:
        super().__init__()
        self.files = files
        self.limited: set[str] = set()  # sha256s answered 429 the first time

    def answer(self, request: Request) -> Reply:
        if request.path != "/api/download":
            return Reply(404, b"")
        key, sha = request.query.get("apikey", [""])[0], request.query.get("sha256", [""])[0]
        if not key or key == "expired":
            return Reply(401, b"missing or expired apikey")
        if key != KEY:
            return Reply(403, b"bad apikey")
        with self.lock:
            first = sha in self.limited
            self.limited.discard(sha)
        if first:
            return Reply(429, b"slow down", {"Retry-After": "1"})
        if sha not in self.files:
            return Reply(404, b"unknown sha256")
        return Reply(body=self.files[sha])


def _row(sha: str, package: str, code: int, size: int, date: str, markets: str) -> dict[str, object]:
    return {"sha256": sha.upper(), "sha1": "0" * 40, "md5": "0" * 32, "dex_date": date, "apk_size": size,
            "pkg_name": package, "vercode": code, "vt_detection": 0, "vt_scan_date": "2020-01-01 00:00:00",
            "dex_size": 1000, "markets": markets}


@pytest.fixture
def zoo(tmp_path: Path) -> Iterator[tuple[ZooServer, Path, dict[str, bytes]]]:
    files = {hashlib.sha256(data).hexdigest(): data for data in ((FIXTURES / n).read_bytes() for n in APKS)}
    rows = [_row(sha, f"org.example.app{i}", i + 1, len(data), f"201{i}-06-01 10:00:00",
                 "play.google.com|anzhi" if i % 2 else "appchina")
            for i, (sha, data) in enumerate(files.items())]
    rows.append(_row("ab" * 32, "org.example.gone", 1, 100, "2019-01-01 00:00:00", "play.google.com"))
    listing = tmp_path / "latest.csv"
    with open(listing, "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    with ZooServer(files) as server:
        yield server, listing, files


def run(server: ZooServer, listing: Path, out: Path, monkeypatch: pytest.MonkeyPatch, *extra: str,
        key: str | None = KEY) -> int:
    if key is None:
        monkeypatch.delenv("ANDROZOO_API_KEY", raising=False)
    else:
        monkeypatch.setenv("ANDROZOO_API_KEY", key)
    return main(["fetch", "androzoo", str(listing), "-o", str(out), "--api-url", f"{server.url}/api/download",
                 "--rate", "0", "--download-timeout", "2", "--retries", "2", *extra])


def test_downloads_verified_key_never_shown(zoo: tuple[ZooServer, Path, dict[str, bytes]], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                            caplog: pytest.LogCaptureFixture) -> None:
    server, listing, files = zoo
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "out"
    assert run(server, listing, out, monkeypatch) == 3  # the unknown sha256 fails, alone
    got = {hashlib.sha256(p.read_bytes()).hexdigest() for p in out.glob("*.apk")}
    assert got == set(files)
    apps, failed = read_manifest(out)
    assert set(apps) == set(files) and list(failed) == ["ab" * 32]
    assert failed["ab" * 32].code == "not-found"
    some = apps[next(iter(files))]
    assert some.store == "androzoo" and some.source_url == f"{server.url}/api/download?sha256={next(iter(files))}"
    captured = capsys.readouterr()
    assert "org.example.gone 1: HTTP 404 Not Found" in captured.err
    everything = captured.out + captured.err + caplog.text + (out / MANIFEST).read_text()
    assert KEY not in everything and "apikey" not in everything
    assert all(r.query["apikey"] == [KEY] for r in server.log)  # it was sent, as a parameter


@pytest.mark.parametrize("key, status", [("expired", "HTTP 401 Unauthorized"), ("wrong", "HTTP 403 Forbidden")])
def test_a_refused_key_fails_each_app(zoo: tuple[ZooServer, Path, dict[str, bytes]], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                      key: str, status: str) -> None:
    server, listing, _ = zoo
    assert run(server, listing, tmp_path / "out", monkeypatch, "--limit", "2", key=key) == 3
    err = capsys.readouterr().err
    assert err.count(status) == 2 and f"={key}" not in err
    assert len(server.log) == 2  # refused: not retried


def test_no_key_is_a_usage_error(zoo: tuple[ZooServer, Path, dict[str, bytes]], tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    server, listing, _ = zoo
    assert run(server, listing, tmp_path / "out", monkeypatch, key=None) == 2
    assert "set ANDROZOO_API_KEY" in capsys.readouterr().err and not server.log


def test_rate_limited_then_retried_after(zoo: tuple[ZooServer, Path, dict[str, bytes]], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    server, listing, files = zoo
    sha = next(iter(files))
    server.limited.add(sha)
    assert run(server, listing, tmp_path / "out", monkeypatch, "--package", "org.example.app0") == 0
    tries = [r.at for r in server.log if r.query["sha256"] == [sha]]
    assert len(tries) == 2 and tries[1] - tries[0] >= 0.95  # waited the Retry-After second


def test_concurrency_limit(zoo: tuple[ZooServer, Path, dict[str, bytes]], tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    server, listing, _ = zoo
    server.hold = 0.2
    assert run(server, listing, tmp_path / "out", monkeypatch, "--concurrency", "2") == 3
    assert server.peak == 2
    assert run(server, listing, tmp_path / "out", monkeypatch, "--concurrency", "21") == 2
    assert "at most 20 downloads at once" in capsys.readouterr().err


def test_filters_and_seeded_sample(zoo: tuple[ZooServer, Path, dict[str, bytes]], tmp_path: Path) -> None:
    _, listing, files = zoo
    everything = read_list(listing, Filter())
    assert [r.package for r in everything] == [f"org.example.app{i}" for i in range(6)] + ["org.example.gone"]
    assert all(r.sha256 == r.sha256.lower() for r in everything)
    assert {r.package for r in read_list(listing, Filter(markets=("anzhi",)))} == {
        "org.example.app1", "org.example.app3", "org.example.app5"}
    assert [r.package for r in read_list(listing, Filter(min_date="2014-01-01"))] == [
        "org.example.app4", "org.example.app5", "org.example.gone"]
    smallest = min(len(d) for d in files.values())
    assert {r.size for r in read_list(listing, Filter(max_size=smallest))} == {smallest, 100}
    one = read_list(listing, Filter(sample=3, seed=7))
    assert len(one) == 3 and one == read_list(listing, Filter(sample=3, seed=7))
    assert {tuple(r.sha256 for r in read_list(listing, Filter(sample=3, seed=s))) for s in range(8)} != {
        tuple(r.sha256 for r in one)}  # another seed, another sample
    zipped = tmp_path / "latest.csv.gz"
    zipped.write_bytes(gzip.compress(listing.read_bytes()))
    assert [r.sha256 for r in read_list(zipped, Filter())] == [r.sha256 for r in everything]


def test_a_list_that_is_not_androzoo_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "list.csv"
    bad.write_text("name,url\nx,y\n")
    monkeypatch.setenv("ANDROZOO_API_KEY", KEY)
    assert main(["fetch", "androzoo", str(bad), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: not an AndroZoo list (no column sha256" in err and "Traceback" not in err
