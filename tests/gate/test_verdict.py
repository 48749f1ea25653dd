"""The verdict (FAIL, REVIEW, PASS, INCOMPLETE) says what the exit code and the console line say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from reports.html import HtmlWriter
from reports.markdown import MarkdownWriter
from scanner.gate.baseline import Baseline, create, load
from scanner.gate.policy import load_policy
from scanner.gate.review import ScanOptions, scan
from scanner.gate.verdict import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, Gate, exit_code
from scanner.model import Audit, Severity, Status
from tests.conftest import FIXTURES, HOSTILE, KB

APPS = ["clean.apk", "sdks.apk", "preconsent.apk", "packed.apk", "obfuscated.apk", "split.xapk"]
GATES = [Gate(), Gate(Severity.HIGH), Gate(Severity.MEDIUM), Gate(Severity.INFO)]


def _baseline(audit: Audit, tmp_path: Path) -> Baseline:
    """A baseline file made of every finding, as ``appaudit baseline`` writes it, and loaded back."""
    path = tmp_path / "baseline.json"
    path.write_text(create(audit, "accepted for the test"), encoding="utf-8")
    return load(path)


def _policy(tmp_path: Path) -> object:
    path = tmp_path / "appaudit.toml"
    path.write_text('[allow.sdks]\n"tencent-bugly" = "crash reports"\n"umeng-analytics" = "audience figures"\n'
                    '[rules]\ndisable = ["manifest.allow_backup"]\n')
    return load_policy(path, KB)


def _agrees(audit: Audit, gate: Gate) -> None:
    verdict, code = audit.verdict, exit_code([audit], gate)
    assert verdict is not None and verdict.kind in ("FAIL", "REVIEW", "PASS", "INCOMPLETE"), audit.input.path
    assert (verdict.kind == "FAIL") == (code == EXIT_FINDINGS)
    assert verdict.failing == len(gate.failing(audit))
    if code == EXIT_INPUT:
        assert verdict.kind == "INCOMPLETE"
    if code == EXIT_OK:
        open_ = [f for f in audit.findings if f.accepted is None]
        expected = "INCOMPLETE" if audit.status is not Status.OK else ("REVIEW" if open_ else "PASS")
        assert verdict.kind == expected, (audit.input.path, verdict)


@pytest.mark.parametrize("name", APPS)
def test_verdict_matches_the_exit_code_with_and_without_policy_and_baseline(name: str, tmp_path: Path) -> None:
    path = str(FIXTURES / name)
    policy = _policy(tmp_path)
    plain = scan(path, ScanOptions(), KB)
    baseline = _baseline(plain, tmp_path)
    for gate in GATES:
        for options in (ScanOptions(gate=gate), ScanOptions(gate=gate, policy=policy),  # type: ignore[arg-type]
                        ScanOptions(gate=gate, baseline=baseline),
                        ScanOptions(gate=Gate(gate.fail_on, True), baseline=baseline)):
            _agrees(scan(path, options, KB), options.gate)


def test_a_failed_scan_is_incomplete_and_exits_3() -> None:
    audit = scan(str(HOSTILE / "truncated.apk"), ScanOptions(gate=Gate(Severity.HIGH)), KB)
    assert audit.verdict is not None and audit.verdict.kind == "INCOMPLETE"
    assert exit_code([audit], Gate(Severity.HIGH)) == EXIT_INPUT


def test_a_baselined_build_passes_and_says_what_was_accepted(tmp_path: Path) -> None:
    path = str(FIXTURES / "sdks.apk")
    baseline = _baseline(scan(path, ScanOptions(), KB), tmp_path)
    audit = scan(path, ScanOptions(gate=Gate(Severity.INFO), baseline=baseline), KB)
    assert audit.verdict is not None and audit.verdict.kind == "PASS" and audit.verdict.accepted == len(audit.findings)
    page = HtmlWriter().render(audit, KB)
    assert page.count('class="accepted"') == len(audit.findings) and "accepted by baseline" in page
    assert "accepted by baseline" in MarkdownWriter().render(audit, KB)


def test_the_report_the_console_and_the_exit_code_agree(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "scanner", "scan", str(FIXTURES / "sdks.apk"), "-o", str(out),
                          "--fail-on", "medium", "-f", "json,html,md"], capture_output=True, text=True, check=False)
    assert run.returncode == EXIT_FINDINGS
    failing = int(re.search(r"(\d+) failing the gate \[FAIL\]", run.stderr).group(1))  # type: ignore[union-attr]
    html = (out / "sdks.html").read_text(encoding="utf-8")
    assert f"{failing} open findings fail the gate (--fail-on medium)" in html
    assert '<span class="gate-kind">FAIL</span>' in html
    # the top problems link to rows that exist
    anchors = re.findall(r'<a href="#(f-[0-9a-f]{16})">', html)
    assert len(anchors) == 5 and all(f'id="{a}"' in html for a in anchors)
    assert "**FAIL**" in (out / "sdks.md").read_text(encoding="utf-8")


def test_the_top_problems_say_each_fix_once() -> None:
    audit = scan(str(FIXTURES / "preconsent.apk"), ScanOptions(), KB)
    page = HtmlWriter().render(audit, KB)
    block = page[page.index('<ol class="top-problems">'):page.index("</ol>", page.index('<ol class="top-problems">'))]
    fixes = re.findall(r"<strong>Fix:</strong> ([^<]+)</span>", block)
    assert block.count("<li>") == 5 and fixes and len(fixes) == len(set(fixes))


def test_console_markdown_and_html_count_the_same_open_findings(tmp_path: Path) -> None:
    """The console line counts findings nobody accepted; the reports now count the same, and say how many
    were accepted."""
    path = str(FIXTURES / "sdks.apk")
    policy = _policy(tmp_path)
    audit = scan(path, ScanOptions(policy=policy), KB)  # type: ignore[arg-type]
    open_ = sum(1 for f in audit.findings if f.accepted is None)
    accepted = len(audit.findings) - open_
    assert open_ and accepted
    assert f"**Verdict:** {open_} findings (" in MarkdownWriter().render(audit, KB)
    assert f", {accepted} accepted)" in MarkdownWriter().render(audit, KB)
    page = HtmlWriter().render(audit, KB)
    assert re.search(rf'>{open_}</[^>]+>\s*findings <span class="muted small">\(\+{accepted} accepted\)', page)
