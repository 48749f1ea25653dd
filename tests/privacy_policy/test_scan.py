"""The policy comparison in a real scan: bundled policies, --privacy-policy with a file and a loopback URL,
the coverage kept in the result, and a batch re-match that keeps the policy it read."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scanner.gate.review import ScanOptions, scan
from tests.conftest import FIXTURES, KB

POLICIES = Path(__file__).resolve().parents[1] / "fixtures" / "policies"
APPS = FIXTURES / "policy"


def _policy_hits(audit: object) -> list[tuple[str, str]]:
    return sorted((h.rule_id, h.subject.key) for h in audit.hits if h.rule_id.startswith("policy."))  # type: ignore[attr-defined]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, check=False)


def test_a_bundled_chinese_policy_that_omits_one_sdk_and_one_category_gets_exactly_those_two() -> None:
    audit = scan(str(APPS / "policy_zh.apk"), ScanOptions(), KB)
    assert _policy_hits(audit) == [("policy.pi_undisclosed", "installed_apps"),
                                   ("policy.sdk_undisclosed", "tencent-bugly")]
    policy = audit.privacy_policy
    assert policy is not None and policy.kind == "bundled" and policy.language == "zh"
    assert policy.location.endswith("assets/privacy_policy.html")
    # every quote the coverage keeps is a sentence that says it
    quoted = [c for c in policy.checks if c.quote]
    assert quoted and all(c.disclosed is not None for c in quoted)
    by_id = {(c.kind, c.id): c for c in policy.checks}
    assert by_id[("sdk", "tencent-bugly")].disclosed is False and by_id[("sdk", "tencent-bugly")].quote == ""


def test_no_policy_asks_for_one_at_low_severity_and_an_app_with_nothing_to_disclose_gets_none() -> None:
    sdks = scan(str(FIXTURES / "sdks.apk"), ScanOptions(), KB)
    (missing,) = [h for h in sdks.hits if h.rule_id == "policy.missing"]
    assert missing.severity.label == "low" and "--privacy-policy" in missing.message
    assert sdks.privacy_policy is None
    clean = scan(str(FIXTURES / "clean.apk"), ScanOptions(), KB)
    assert not [h for h in clean.hits if h.rule_id.startswith("policy.")]


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    handler = partial(SimpleHTTPRequestHandler, directory=str(POLICIES))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("how", ["file", "url"])
def test_a_given_policy_is_compared_instead_of_none(how: str, served: str, tmp_path: Path) -> None:
    where = str(POLICIES / "zh_full.html") if how == "file" else f"{served}/zh_full.html"
    run = _cli("scan", str(FIXTURES / "sdks.apk"), "-o", str(tmp_path), "-f", "json", "--privacy-policy", where)
    assert run.returncode == 0, run.stderr
    doc = json.loads((tmp_path / "sdks.json").read_text(encoding="utf-8"))
    policy = doc["privacy_policy"]
    assert (policy["kind"], policy["location"]) == (how, where)
    rules = {h["rule_id"] for f in doc["findings"] for h in f["hits"]}
    assert "policy.missing" not in rules and "policy.sdk_undisclosed" in rules
    assert {c["id"] for c in policy["checks"] if c["kind"] == "sdk"} == {s["id"] for s in doc["sdks"] if not s["stub"]}


@pytest.mark.parametrize(("path", "reason"), [("/missing.html", "404"), ("/truth.toml", "")])
def test_an_unusable_policy_url_stops_before_any_scan_with_one_line(path: str, reason: str, served: str,
                                                                    tmp_path: Path) -> None:
    run = _cli("scan", str(FIXTURES / "sdks.apk"), "-o", str(tmp_path), "--privacy-policy", served + path)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert line.startswith(f"appaudit: --privacy-policy {served}{path}") and reason in line
    assert not list(tmp_path.iterdir())  # nothing was scanned


def test_a_rematch_keeps_the_bundled_policy(tmp_path: Path) -> None:
    out = tmp_path / "batch"
    first = _cli("batch", str(APPS / "policy_zh.apk"), "-o", str(out), "-f", "json")
    assert first.returncode in (0, 1), first.stderr
    again = _cli("batch", "--rematch", str(out))
    assert again.returncode in (0, 1), again.stderr
    (result,) = (out / "apps").glob("*.json")
    doc = json.loads(result.read_text(encoding="utf-8"))
    assert doc["privacy_policy"]["kind"] == "bundled"
    assert sorted((h["rule_id"], h["subject"]["key"]) for f in doc["findings"] for h in f["hits"]
                  if h["rule_id"].startswith("policy.")) == [("policy.pi_undisclosed", "installed_apps"),
                                                              ("policy.sdk_undisclosed", "tencent-bugly")]
