"""End to end: ``scanner.scan`` and the ``appaudit scan`` command on real fixture APKs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import signatures
from scanner import scan
from scanner.model import Status
from tests.conftest import APPS, BUNDLES, FIXTURES, HOSTILE

CLI = [sys.executable, "-m", "scanner"]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.mark.parametrize("name", [*APPS, *BUNDLES])
def test_scan_ok(name: str) -> None:
    audit = scan(str(FIXTURES / name))
    assert audit.status is Status.OK, audit.errors
    assert audit.app and audit.app.package.startswith("org.appaudit.fixture.")
    assert audit.dex and audit.dex.classes > 0 and audit.dex.methods > 0
    kb = signatures.load()
    assert (audit.knowledge_base.version, audit.knowledge_base.date) == (kb.version, kb.date)


def test_permissions_are_classified() -> None:
    audit = scan(str(FIXTURES / "sdks.apk"))
    perms = {p.name: p for p in audit.permissions}
    phone = perms["android.permission.READ_PHONE_STATE"]
    assert phone.protection_level == "dangerous" and phone.sensitive in ("yes", "context") and phone.pi_category
    assert perms["android.permission.WRITE_EXTERNAL_STORAGE"].max_sdk == 28
    assert perms["android.permission.READ_CONTACTS"].only_sdk23
    vendor = perms["org.appaudit.fixture.sdks.permission.MIPUSH_RECEIVE"]  # Xiaomi push's per-app permission
    assert (vendor.protection_level, vendor.pi_category) == ("signature", "push")
    assert perms["android.permission.INTERNET"].sensitive == "no"


def test_multidex_counts_both_files() -> None:
    audit = scan(str(FIXTURES / "multidex.apk"))
    assert audit.dex and audit.dex.files == ("classes.dex", "classes2.dex") and audit.dex.ignored == ()


@pytest.mark.parametrize("name", ["truncated.apk", "duplicate_entry.apk", "zip_bomb.apk", "not_an_apk.apk",
                                  "empty.apk", "no_manifest.apk"])
def test_hostile_inputs_become_error_results(name: str) -> None:
    audit = scan(str(HOSTILE / name))
    assert audit.status is Status.ERROR and audit.app is None
    assert len(audit.errors) == 1 and str(HOSTILE / name) in audit.errors[0].message


def test_cli_writes_json_per_input_and_keeps_going(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_cli("scan", str(FIXTURES / "clean.apk"), str(HOSTILE / "truncated.apk"),
                   str(FIXTURES / "split.xapk"), "-o", str(out))
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "clean.html", "clean.json", "split.html", "split.json", "truncated.html", "truncated.json"]
    bad = json.loads((out / "truncated.json").read_text())
    assert bad["status"] == "error" and bad["errors"][0]["code"] == "truncated-zip"
    good = json.loads((out / "split.json").read_text())
    assert good["input"]["format"] == "xapk" and good["app"]["package"] == "org.appaudit.fixture.split"


def test_cli_json_contract_and_stable_output(tmp_path: Path) -> None:
    first = run_cli("scan", str(FIXTURES / "sdks.apk"), "-o", "-", "-f", "json")
    second = run_cli("scan", str(FIXTURES / "sdks.apk"), "-o", "-", "-f", "json")
    assert first.returncode == 0 and first.stdout == second.stdout
    doc = json.loads(first.stdout)
    assert list(doc) == sorted(doc)
    assert doc["schema"] == "appaudit/2"
    assert set(doc) >= {"schema", "tool", "knowledge_base", "input", "status", "errors", "app", "signing",
                        "permissions", "components", "dex", "sdks", "api_calls", "endpoints", "findings"}
    assert doc["input"]["sha256"] and doc["input"]["format"] == "apk" and doc["input"]["size"] > 0
    assert doc["signing"]["schemes"] == ["v1", "v2", "v3"]
    assert [p["name"] for p in doc["permissions"]] == sorted(p["name"] for p in doc["permissions"])


def test_script_label_survives_json_verbatim() -> None:
    proc = run_cli("scan", str(HOSTILE / "script_label.apk"), "-o", "-")
    assert json.loads(proc.stdout)["app"]["label"] == "<script>alert(\"pwned\")</script> & 'quotes'"


def test_same_stem_twice_does_not_overwrite(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "clean.apk").write_bytes((FIXTURES / "multidex.apk").read_bytes())
    proc = run_cli("scan", str(FIXTURES / "clean.apk"), str(tmp_path / "a" / "clean.apk"), "-o", str(tmp_path / "o"))
    assert proc.returncode == 0
    names = sorted(p.name for p in (tmp_path / "o").iterdir() if p.suffix == ".json")
    assert len(names) == 2 and names[0] == "clean-" + names[0][6:] and "clean.json" in names


@pytest.mark.parametrize(("args", "message"), [
    (["scan"], "the following arguments are required"),
    (["scan", "x.apk", "-f", "pdf"], "unknown format pdf"),
    (["scan", "a.apk", "b.apk", "-o", "-"], "exactly one input"),
    (["frobnicate"], "invalid choice"),
    (["batch"], "batch needs input paths"),
    (["batch", ".", "-o", "out", "--workers", "0"], "--workers must be at least 1"),
    (["batch", "--rematch", "out", "x.apk"], "takes no input paths"),
    (["signatures", "show", "no-such-id"], "no-such-id"),
])
def test_usage_errors_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr


def test_missing_input_is_an_error_result(tmp_path: Path) -> None:
    proc = run_cli("scan", str(tmp_path / "gone.apk"), "-o", str(tmp_path))
    assert proc.returncode == 3
    assert json.loads((tmp_path / "gone.json").read_text())["errors"][0]["code"] == "input-not-found"


def test_knowledge_base_commands_are_wired() -> None:
    proc = run_cli("signatures", "show", "pangle")
    assert proc.returncode == 0 and "com.bytedance.sdk.openadsdk" in proc.stdout
