"""`signatures update` against a real HTTP server on loopback.

Each failure must give a clear one-line message and leave the previous data intact.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import signatures
from signatures import exodus
from signatures.saferegex import UnsafeRegex, check_regex
from signatures.update import CACHE_FILE, ETAG_FILE, UpdateResult, update

from .conftest import ETAG, SNAPSHOT, Server

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


# --- a download is not trusted: shrinking lists and regexes that backtrack -------------------------------------

def _snapshot() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(SNAPSHOT.read_bytes())
    return doc


def _serve(server: Server, route: str, payload: dict[str, Any]) -> str:
    server.recorder.routes[route] = (200, json.dumps(payload).encode())
    return server.url(route)


def test_first_update_reports_changes_against_the_bundled_list(server: Server, isolated_cache: Path) -> None:
    result = run_update(server.url("/trackers"))  # the snapshot the bundled trackers.toml was made from
    assert result.status == "updated"
    assert (result.added, result.removed, result.changed) == ((), (), ())
    assert result.message.endswith(": 0 added, 0 removed, 0 changed")


def test_added_removed_and_changed_are_reported(server: Server, isolated_cache: Path,
                                                updated: dict[str, bytes]) -> None:
    payload = _snapshot()
    trackers = payload["trackers"]
    gone = sorted(trackers, key=int)[:40]  # under a tenth of 433: accepted without --allow-shrink
    names = {key: trackers[key]["name"] for key in gone}
    for key in gone:
        del trackers[key]
    first = sorted(trackers, key=int)[0]
    trackers[first]["network_signature"] = "changed\\.example"
    trackers["9001"] = {"id": 9001, "name": "Brand New Ads", "code_signature": "org.brandnew.ads.",
                        "network_signature": "", "categories": ["Advertisement"], "website": ""}
    result = run_update(_serve(server, "/edited", payload))
    assert result.status == "updated", result.message
    assert result.added == ("exodus 9001 (Brand New Ads)",)
    assert result.removed == tuple(f"exodus {key} ({names[key]})" for key in gone)
    assert result.changed == (f"exodus {first} ({trackers[first]['name']}): network_regex",)
    assert result.message.endswith(": 1 added, 40 removed, 1 changed")
    assert result.trackers == 433 - 40 + 1


@pytest.mark.parametrize("cached", [True, False], ids=["against-the-cache", "against-the-bundled-list"])
def test_a_list_that_shrinks_too_much_is_refused(server: Server, isolated_cache: Path, cached: bool) -> None:
    if cached:
        assert run_update(server.url("/trackers")).status == "updated"
    before = snapshot_of(isolated_cache)
    payload = _snapshot()
    payload["trackers"] = {key: item for key, item in payload["trackers"].items() if int(key) % 4}  # 3/4 kept
    result = run_update(_serve(server, "/shrunk", payload))
    assert result.status == "failed" and "\n" not in result.message
    lost = 433 - len(payload["trackers"])
    assert f"loses {lost} of the 433 Exodus trackers in use" in result.message
    assert "more than 20%" in result.message and "--allow-shrink" in result.message
    assert snapshot_of(isolated_cache) == before
    assert signatures.load().provenance.startswith("cache " if cached else "bundled")

    accepted = run_update(server.url("/shrunk"), allow_shrink=True)
    assert accepted.status == "updated", accepted.message
    assert len(accepted.removed) == lost and accepted.trackers == 433 - lost


def test_one_tracker_does_not_replace_the_whole_list(server: Server, isolated_cache: Path,
                                                     updated: dict[str, bytes]) -> None:
    """The report: a valid list of one tracker took the knowledge base from 502 SDKs to 86, exit 0."""
    payload = _snapshot()
    payload["trackers"] = {key: payload["trackers"][key] for key in sorted(payload["trackers"])[:1]}
    result = run_update(_serve(server, "/one", payload))
    assert result.status == "failed" and "loses 432 of the 433" in result.message
    assert snapshot_of(isolated_cache) == updated


SAFE = ["", r".*\.estimote\.com", r"mst[0-9]*\.is\.autonavi\.com|mt[0-9]*\.google\.cn", r"x{2,5}y", r"a{}",
        r"[]a]+b", r"[^]a]*", r"(?:ab)*c", r"(ab)+c", r"(?:foo|bar)?\.com", r"\d+\.\d+", r"^a$", r"a*?b",
        r"a.*b|c.*d|e.*f", r"\{x\}", r"a{x"]
UNSAFE = [
    (r"(a+)+$", "nested quantifier"),
    (r"(a|aa)*b", "holds an alternation"),
    (r"(?:a*)*", "nested quantifier"),
    (r"(.*a){20}", "nested quantifier"),
    (r"(\w+)\1", "backreference"),
    (r"(?P<x>a)(?P=x)", "'(?' construct"),
    (r"(?=a)b", "lookaround"),
    (r"(?<!a)b", "lookaround"),
    (r"(?i)a", "flag"),
    (r"a{1,1000}", "repeat bound over 100"),
    (r"a.*b.*c.*d", "more than 2 repeats of variable length"),
    (r".{0,99}.{0,99}.{0,99}", "more than 2 repeats of variable length"),
    ("x" * 1025, "longer than 1024 characters"),
    ("(" * 10 + "a" + ")" * 10, "nested more than 8 deep"),
    (r"a**", "repeated repeat"),
    (r"[abc", "unterminated character class"),
    ("(a", "missing ')'"),
]


@pytest.mark.parametrize("pattern", SAFE)
def test_safe_regexes_pass(pattern: str) -> None:
    re.compile(pattern)
    check_regex(pattern)


@pytest.mark.parametrize(("pattern", "reason"), UNSAFE)
def test_unsafe_regexes_are_named(pattern: str, reason: str) -> None:
    with pytest.raises(UnsafeRegex, match=re.escape(reason)):
        check_regex(pattern)


def test_every_exodus_signature_is_safe() -> None:
    for item in _snapshot()["trackers"].values():
        check_regex(item["network_signature"])
        check_regex(exodus.split_code_signature(item["code_signature"])[1])


@pytest.mark.parametrize(("field", "value"), [
    ("network_signature", r"(a+)+\.evil\.com"),
    ("network_signature", r"(\w+)\.\1"),
    ("code_signature", r"com.evil.|com\.(x+)+y"),  # a part with a backslash is kept as a regex
    ("network_signature", "a" * 2000),
])
def test_unsafe_regexes_are_refused_before_compiling(server: Server, isolated_cache: Path,
                                                     monkeypatch: pytest.MonkeyPatch, updated: dict[str, bytes],
                                                     field: str, value: str) -> None:
    payload = _snapshot()
    key = sorted(payload["trackers"], key=int)[5]
    payload["trackers"][key][field] = value

    def never(*_: object, **__: object) -> None:
        raise AssertionError("the payload was converted (and its regexes compiled) before the check")

    monkeypatch.setattr(exodus, "convert", never)
    result = run_update(_serve(server, "/unsafe", payload))
    assert result.status == "failed" and "\n" not in result.message
    assert f"tracker {key!r} ({payload['trackers'][key]['name']}): unsafe {field}:" in result.message
    assert snapshot_of(isolated_cache) == updated


def test_cli_refuses_a_shrunk_list_unless_allowed(server: Server, isolated_cache: Path) -> None:
    payload = _snapshot()
    payload["trackers"] = {key: item for key, item in payload["trackers"].items() if int(key) % 2}
    url = _serve(server, "/half", payload)
    env = dict(os.environ, XDG_CACHE_HOME=str(isolated_cache.parent), PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "scanner", "signatures", "update", "--url", url, "--retries", "0"]
    refused = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert refused.returncode == 2
    assert len(refused.stderr.splitlines()) == 1 and "--allow-shrink" in refused.stderr
    assert not (isolated_cache / CACHE_FILE).exists()
    allowed = subprocess.run([*command, "--allow-shrink"], capture_output=True, text=True, env=env, cwd=ROOT,
                             timeout=60)
    assert allowed.returncode == 0, allowed.stderr
    removed = [line for line in allowed.stdout.splitlines() if line.startswith("  removed: exodus ")]
    assert len(removed) == 433 - len(payload["trackers"])
