"""`signatures update` against a real HTTP server on loopback.

Each failure must give a clear one-line message and leave the previous data intact.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import signatures
from signatures.update import CACHE_FILE, ETAG_FILE, UpdateResult, update

from .conftest import ETAG, Server

ROOT = Path(__file__).resolve().parents[2]


def run_update(url: str, **kwargs: object) -> UpdateResult:
    sleeps: list[float] = []
    options: dict[str, object] = {"timeout": 5.0, "retries": 0, "backoff": 0.01, "sleep": sleeps.append}
    options.update(kwargs)
    return update(url, **options)  # type: ignore[arg-type]


def snapshot_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.is_dir() else {}


@pytest.fixture
def updated(server: Server, isolated_cache: Path) -> dict[str, bytes]:
    """A cache filled by one successful update; returns its bytes for later comparison."""
    result = run_update(server.url("/trackers"))
    assert result.status == "updated", result.message
    return snapshot_of(isolated_cache)


def test_update_stores_trackers_and_scans_use_them(server: Server, isolated_cache: Path) -> None:
    result = run_update(server.url("/trackers"))
    assert result.ok and result.status == "updated"
    assert result.trackers == 433
    assert "stored 433 trackers" in result.message
    doc = json.loads((isolated_cache / CACHE_FILE).read_text())
    assert doc["schema"] == "appaudit-trackers/1" and len(doc["sdk"]) == 433
    assert (isolated_cache / ETAG_FILE).read_text() == ETAG
    assert any("dropped over-broad prefix 'com.bytedance'" in c for c in result.conflicts)
    assert any("replaced by our entry 'pangle'" in c for c in result.conflicts)
    kb = signatures.load()
    assert kb.provenance.startswith("cache ") and kb.version.endswith("+exodus-cache")
    assert "com.bytedance" not in kb.sdk("pangle").prefixes
    assert not list(isolated_cache.glob("*.tmp")) and not list(isolated_cache.glob("trackers.check.*"))


def test_without_cache_the_bundled_list_is_used(isolated_cache: Path) -> None:
    kb = signatures.load()
    assert kb.provenance == "bundled trackers.toml"
    # loading writes no tracker list; the folder holds at most the compiled copy (signatures/compiled.py)
    assert all(p.name.startswith("kb-") and p.suffix == ".pickle" for p in isolated_cache.iterdir())


def test_not_modified_on_matching_etag(server: Server, isolated_cache: Path, updated: dict[str, bytes]) -> None:
    result = run_update(server.url("/trackers"))
    assert result.status == "unchanged" and result.ok
    assert "unchanged" in result.message
    assert server.recorder.requests[-1] == ("/trackers", ETAG)
    assert snapshot_of(isolated_cache) == updated


def test_etag_not_sent_without_cached_list(server: Server, isolated_cache: Path) -> None:
    isolated_cache.mkdir(parents=True)
    (isolated_cache / ETAG_FILE).write_text(ETAG)
    result = run_update(server.url("/trackers"))
    assert result.status == "updated"
    assert server.recorder.requests == [("/trackers", None)]


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/malformed", "malformed JSON"),
        ("/wrong-shape", "unexpected payload shape"),
        ("/error", "server error HTTP 500"),
        ("/missing", "unexpected HTTP 404"),
    ],
)
def test_failures_keep_previous_data(server: Server, isolated_cache: Path, updated: dict[str, bytes],
                                     path: str, fragment: str) -> None:
    result = run_update(server.url(path))
    assert result.status == "failed" and not result.ok
    assert fragment in result.message
    assert "\n" not in result.message
    assert f"keeping {isolated_cache / CACHE_FILE}" in result.message
    assert snapshot_of(isolated_cache) == updated
    assert signatures.load().provenance.startswith("cache ")


def test_server_error_is_retried_with_backoff(server: Server, isolated_cache: Path) -> None:
    sleeps: list[float] = []
    result = run_update(server.url("/error"), retries=3, backoff=0.5, sleep=sleeps.append)
    assert result.status == "failed"
    assert "after 4 attempts" in result.message
    assert [r[0] for r in server.recorder.requests] == ["/error"] * 4
    assert sleeps == [0.5, 1.0, 2.0]
    assert "keeping the bundled list" in result.message
    assert not (isolated_cache / CACHE_FILE).exists()


def test_slow_server_times_out(server: Server, isolated_cache: Path, updated: dict[str, bytes]) -> None:
    server.recorder.slow_seconds = 1.5
    (isolated_cache / ETAG_FILE).unlink()  # force a full download from /slow
    before = snapshot_of(isolated_cache)
    result = run_update(server.url("/slow"), timeout=0.2)
    assert result.status == "failed"
    assert "timed out after 0.2 s" in result.message
    assert snapshot_of(isolated_cache) == before


def test_connection_refused(isolated_cache: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_update(f"http://127.0.0.1:{port}/trackers", retries=1)
    assert result.status == "failed"
    assert "cannot connect" in result.message and "after 2 attempts" in result.message
    assert not isolated_cache.exists() or not (isolated_cache / CACHE_FILE).exists()


def test_payload_that_breaks_validation_is_rejected(server: Server, isolated_cache: Path,
                                                    updated: dict[str, bytes]) -> None:
    bad = {"trackers": {
        "9001": {"id": 9001, "name": "Alpha Ads", "code_signature": "org.example.shared.", "network_signature": "",
                 "categories": ["Advertisement"], "website": "https://alpha.example"},
        "9002": {"id": 9002, "name": "Beta Stats", "code_signature": "org.example.shared.", "network_signature": "",
                 "categories": ["Analytics"], "website": "https://beta.example"},
    }}
    server.recorder.routes["/conflict"] = (200, json.dumps(bad).encode())
    result = run_update(server.url("/conflict"))
    assert result.status == "failed"
    assert "does not validate" in result.message and "org.example.shared" in result.message
    assert snapshot_of(isolated_cache) == updated


def test_corrupt_cache_falls_back_to_bundled(isolated_cache: Path) -> None:
    isolated_cache.mkdir(parents=True)
    (isolated_cache / CACHE_FILE).write_text("{not json")
    kb = signatures.load()
    assert kb.provenance == "bundled trackers.toml"


def test_cli_update_against_loopback(server: Server, isolated_cache: Path) -> None:
    env = dict(os.environ, XDG_CACHE_HOME=str(isolated_cache.parent), PYTHONPATH=str(ROOT))
    ok = subprocess.run([sys.executable, "-m", "scanner", "signatures", "update", "--url", server.url("/trackers")],
                        capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert "stored 433 trackers" in ok.stdout and "ours win:" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "scanner", "signatures", "update", "--url", server.url("/error"),
                          "--retries", "0"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert bad.returncode == 2
    assert "server error HTTP 500" in bad.stderr
    assert (isolated_cache / CACHE_FILE).is_file()
