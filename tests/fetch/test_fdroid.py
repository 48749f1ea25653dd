"""``appaudit fetch fdroid`` against a repository fdroidserver made and signed, served on loopback.

The index must verify and be signed by the pinned key, or nothing is downloaded (exit 2); each APK must
match the index's sha256. A server that misbehaves for one app (changed bytes, 404, too slow, a connection
dropped halfway) costs that app alone: one line naming it and why, exit 3, the others downloaded.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from pathlib import Path

import pytest

from scanner.cli.main import main
from scanner.fetch.manifest import MANIFEST, read_manifest
from tests.fetch.conftest import PREFIX, Repo
from tests.fetch.server import Reply, StoreServer

FAST = ["--rate", "0", "--download-timeout", "1", "--retries", "1"]


def fetch(server: StoreServer, repo: Repo, out: Path, *extra: str, pin: bool = True) -> int:
    pinned = ["--fingerprint", repo.fingerprint] if pin else []
    return main(["fetch", "fdroid", server.url, "-o", str(out), *pinned, *FAST, *extra])


def files(out: Path) -> dict[str, str]:
    """sha256 -> name of every APK in ``out``, each hashed."""
    return {hashlib.sha256(p.read_bytes()).hexdigest(): p.name for p in out.glob("*.apk")}


def test_latest_versions_verified_and_recorded(served: tuple[Repo, StoreServer], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    repo, server = served
    assert fetch(server, repo, tmp_path) == 0
    expected = {repo.sha256(n) for n in ("clean.apk", "sdks.apk", "preconsent.apk", "release_v2.apk")}
    assert set(files(tmp_path)) == expected  # release_v1 is not the latest
    apps, failed = read_manifest(tmp_path)
    assert set(apps) == expected and not failed
    release = apps[repo.sha256("release_v2.apk")]
    assert (release.store, release.repo, release.package, release.version_code, release.version_name) == (
        "fdroid", server.url, PREFIX + "release", 2, "1.1")
    assert release.source_url == f"{server.url}/release_v2.apk"
    assert (tmp_path / release.file).is_file()
    assert [r.path for r in server.log[:2]] == ["/entry.jar", "/index-v2.json"]  # v2, not v1
    agents = {r.headers.get("User-Agent", "") for r in server.log}
    assert len(agents) == 1 and agents.pop().startswith("appaudit/0.")
    assert "4 downloaded, 0 already there, 0 failed" in capsys.readouterr().err
    # a second run finds every file in place, verified, and downloads nothing
    before = len(server.log)
    assert fetch(server, repo, tmp_path) == 0
    assert [r.path for r in server.log[before:]] == ["/entry.jar", "/index-v2.json"]


def test_selection(served: tuple[Repo, StoreServer], tmp_path: Path) -> None:
    repo, server = served
    assert fetch(server, repo, tmp_path / "a", "--all-versions", "--category", "games") == 0
    assert set(files(tmp_path / "a")) == {repo.sha256("release_v1.apk"), repo.sha256("release_v2.apk")}
    assert fetch(server, repo, tmp_path / "b", "--package", PREFIX + "sdks", "--package", PREFIX + "clean") == 0
    assert set(files(tmp_path / "b")) == {repo.sha256("sdks.apk"), repo.sha256("clean.apk")}
    assert fetch(server, repo, tmp_path / "c", "--limit", "2") == 0  # the first two packages by name
    assert set(files(tmp_path / "c")) == {repo.sha256("clean.apk"), repo.sha256("preconsent.apk")}


def test_fingerprint_from_the_address_and_a_warning_without_one(served: tuple[Repo, StoreServer], tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    repo, server = served
    spaced = " ".join(repo.fingerprint[i:i + 2].upper() for i in range(0, 64, 2))  # as F-Droid shows it
    assert main(["fetch", "fdroid", server.url, "-o", str(tmp_path), "--fingerprint", spaced, *FAST,
                 "--limit", "1"]) == 0
    assert main(["fetch", "fdroid", f"{server.url}/?fingerprint={repo.fingerprint}", "-o", str(tmp_path), *FAST,
                 "--limit", "1"]) == 0
    assert "pass --fingerprint" not in capsys.readouterr().err
    assert fetch(server, repo, tmp_path, "--limit", "1", pin=False) == 0
    assert f"signed by {repo.fingerprint}; pass --fingerprint to pin it" in capsys.readouterr().err


def test_wrong_fingerprint_downloads_nothing(served: tuple[Repo, StoreServer], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    repo, server = served
    other = "ab" * 32
    assert main(["fetch", "fdroid", server.url, "-o", str(tmp_path), "--fingerprint", other, *FAST]) == 2
    err = capsys.readouterr().err
    assert f"{server.url}/entry.jar: signed by certificate {repo.fingerprint}, not by the pinned {other}" in err
    assert "Traceback" not in err and not list(tmp_path.glob("*.apk"))
    assert [r.path for r in server.log] == ["/entry.jar"]  # no fallback to index v1, no APK


def _rewritten(jar: bytes, member: str, change: bytes) -> bytes:
    """``jar`` with ``member``'s bytes replaced and its signature files kept as they were."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(jar)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            new.writestr(info, change if info.filename == member else old.read(info))
    return out.getvalue()


def test_bad_signature_downloads_nothing(served: tuple[Repo, StoreServer], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """entry.json changed after signing (pointing at another index): its digest no longer matches."""
    repo, server = served
    entry = json.loads(zipfile.ZipFile(repo.root / "entry.jar").read("entry.json"))
    entry["index"]["sha256"] = "0" * 64
    forged = _rewritten((repo.root / "entry.jar").read_bytes(), "entry.json", json.dumps(entry).encode())
    server.rules["/entry.jar"] = lambda n, r: Reply(body=forged)
    assert fetch(server, repo, tmp_path) == 2
    err = capsys.readouterr().err
    assert "entry.jar: the signature does not verify: entry.json's digest in META-INF/MANIFEST.MF does not match" in err
    assert [r.path for r in server.log] == ["/entry.jar"]


def test_changed_index_downloads_nothing(served: tuple[Repo, StoreServer], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    repo, server = served
    index = json.loads((repo.root / "index-v2.json").read_bytes())
    sha = repo.sha256("clean.apk")
    index["packages"][PREFIX + "clean"]["versions"][sha]["file"]["name"] = "/evil.apk"
    server.rules["/index-v2.json"] = lambda n, r: Reply(body=json.dumps(index).encode())
    assert fetch(server, repo, tmp_path) == 2
    assert "index-v2.json: sha256" in capsys.readouterr().err and not list(tmp_path.glob("*.apk"))


def test_index_v1_when_there_is_no_entry_jar(served: tuple[Repo, StoreServer], tmp_path: Path) -> None:
    repo, server = served
    server.rules["/entry.jar"] = lambda n, r: Reply(404, b"gone")
    assert fetch(server, repo, tmp_path, "--all-versions") == 0
    assert len(files(tmp_path)) == 5
    assert "/index-v1.jar" in [r.path for r in server.log]
    apps, _ = read_manifest(tmp_path)
    assert {a.package for a in apps.values()} == {PREFIX + p for p in ("clean", "sdks", "preconsent", "release")}


def test_a_signed_index_v1_with_another_key_is_refused(served: tuple[Repo, StoreServer], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    repo, server = served
    server.rules["/entry.jar"] = lambda n, r: Reply(404, b"gone")
    assert main(["fetch", "fdroid", server.url, "-o", str(tmp_path), "--fingerprint", "cd" * 32, *FAST]) == 2
    assert "index-v1.jar: signed by certificate" in capsys.readouterr().err


def test_each_misbehaving_app_fails_alone(served: tuple[Repo, StoreServer], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """clean: changed bytes; sdks: 404; preconsent: slower than the timeout; release: dropped halfway once."""
    repo, server = served
    tampered = bytearray((repo.root / "clean.apk").read_bytes())
    tampered[-100] ^= 0xFF
    server.rules["/clean.apk"] = lambda n, r: Reply(body=bytes(tampered))
    server.rules["/sdks.apk"] = lambda n, r: Reply(404, b"no such file")
    server.rules["/preconsent.apk"] = lambda n, r: Reply(delay=2.5)
    server.rules["/release_v2.apk"] = lambda n, r: Reply(cut=0.5) if n == 1 else None
    started = time.monotonic()
    assert fetch(server, repo, tmp_path) == 3
    assert time.monotonic() - started < 15  # two timeouts of 1 s, a retry each: never a hang
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("fetch: failed:")]
    assert len(lines) == 3, err
    assert any(f"{PREFIX}clean 3: sha256 mismatch: got {hashlib.sha256(tampered).hexdigest()}" in line
               and f"the store lists {repo.sha256('clean.apk')}" in line for line in lines)
    assert any(f"{PREFIX}sdks 42: HTTP 404 Not Found" in line for line in lines)
    assert any(f"{PREFIX}preconsent 5: timed out (no answer within 1 s) (2 attempts)" in line for line in lines)
    assert "1 downloaded, 0 already there, 3 failed" in err
    # the dropped download was resumed from where it stopped, and completed
    sha = repo.sha256("release_v2.apk")
    assert files(tmp_path) == {sha: f"{PREFIX}release_2_{sha[:12]}.apk"}
    ranges = [r.headers.get("Range") for r in server.requests_for("/release_v2.apk")]
    assert ranges[0] is None and ranges[1] == f"bytes={(repo.root / 'release_v2.apk').stat().st_size // 2}-"
    assert not list(tmp_path.glob(".*.part"))  # the changed file was not kept
    apps, failed = read_manifest(tmp_path)
    assert list(apps) == [repo.sha256("release_v2.apk")]
    assert {f.code for f in failed.values()} == {"checksum-mismatch", "not-found", "timeout"}
    assert failed[repo.sha256("sdks.apk")].origin.source_url == f"{server.url}/sdks.apk"
    # the server behaves again: the next run fetches what failed, and the failures leave the manifest
    server.rules.clear()
    assert fetch(server, repo, tmp_path) == 0
    apps, failed = read_manifest(tmp_path)
    assert len(apps) == 4 and not failed
    assert (tmp_path / MANIFEST).read_text().count("\"failed\": {}") == 1


def test_a_part_left_by_a_killed_run_is_resumed(served: tuple[Repo, StoreServer], tmp_path: Path) -> None:
    repo, server = served
    data = (repo.root / "sdks.apk").read_bytes()
    sha = repo.sha256("sdks.apk")
    (tmp_path / f".{PREFIX}sdks_42_{sha[:12]}.apk.part").write_bytes(data[:5000])
    assert fetch(server, repo, tmp_path, "--package", PREFIX + "sdks") == 0
    assert [r.headers.get("Range") for r in server.requests_for("/sdks.apk")] == ["bytes=5000-"]
    assert files(tmp_path) == {sha: f"{PREFIX}sdks_42_{sha[:12]}.apk"}


def test_stale_part_is_downloaded_again_whole(served: tuple[Repo, StoreServer], tmp_path: Path) -> None:
    repo, server = served
    sha = repo.sha256("sdks.apk")
    (tmp_path / f".{PREFIX}sdks_42_{sha[:12]}.apk.part").write_bytes(b"x" * 5000)  # not the file's start
    assert fetch(server, repo, tmp_path, "--package", PREFIX + "sdks") == 0
    assert [r.headers.get("Range") for r in server.requests_for("/sdks.apk")] == ["bytes=5000-", None]
    assert set(files(tmp_path)) == {sha}


def test_rate_limit_spaces_requests(served: tuple[Repo, StoreServer], tmp_path: Path) -> None:
    repo, server = served
    assert main(["fetch", "fdroid", server.url, "-o", str(tmp_path), "--fingerprint", repo.fingerprint,
                 "--rate", "5", "--concurrency", "4", "--all-versions"]) == 0
    starts = sorted(r.at for r in server.log)
    assert len(starts) == 7  # entry.jar, index-v2.json, five APKs
    # 5 a second: the seven starts span at least 6 × 0.2 s (less the jitter of a loaded machine)
    assert starts[-1] - starts[0] > 1.0, starts
