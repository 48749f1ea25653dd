"""One finding per subject: rule hits on one thing fold into one finding, and nothing is lost or renamed."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from reports.html import HtmlWriter
from scanner.gate.baseline import Baseline, load
from scanner.gate.review import ScanOptions, scan
from scanner.model import SUBJECT_KINDS, Audit, BaselineEntry, Severity
from tests.conftest import FIXTURES, KB

BEFORE = Path(__file__).parents[1] / "fixtures" / "baselines"
ADDED_SINCE = {"policy.missing", "policy.sdk_undisclosed", "policy.pi_undisclosed", "policy.sdk_stale",
               "policy.permission_purpose_missing",
               "pi.non_resettable_id"}  # rules catalogued after those baselines were made
APPS = ["sdks.apk", "preconsent.apk", "provider_init.apk", "reflection.apk", "obfuscated.apk", "arguments.apk",
        "packed.apk", "clean.apk"]


@pytest.fixture(scope="module")
def audits() -> dict[str, Audit]:
    return {name: scan(str(FIXTURES / name), ScanOptions(), KB) for name in APPS}


@pytest.mark.parametrize("path", sorted(BEFORE.glob("*.before-grouping.json")), ids=lambda p: p.name)
def test_a_baseline_made_before_grouping_still_accepts_every_hit(path: Path) -> None:
    """Rule-hit fingerprints did not change: a baseline written by the release before grouping matches every
    hit of today's scan, fixes none, and the build passes the strictest gate."""
    baseline = load(path)
    audit = scan(str(FIXTURES / path.name.replace(".before-grouping.json", ".apk")), ScanOptions(baseline=baseline), KB)
    before = set(baseline.entries)
    assert before <= {h.fingerprint for h in audit.hits} and audit.fixed == ()
    # the only new hits are of rules added since (the privacy-policy comparison)
    assert {h.rule_id for h in audit.hits if h.fingerprint not in before} <= ADDED_SINCE
    old = [f for f in audit.findings if all(h.fingerprint in before for h in f.hits)]
    assert old and all(f.accepted and f.accepted.by == "baseline" for f in old)
    assert len(old) < len(before)  # and the report shows fewer rows than hits


@pytest.mark.parametrize("name", APPS)
def test_each_subject_is_one_finding_holding_all_its_hits(audits: dict[str, Audit], name: str) -> None:
    audit = audits[name]
    subjects = [f.subject for f in audit.findings]
    assert len(subjects) == len(set(subjects))
    fingerprints = [h.fingerprint for h in audit.hits]
    assert len(fingerprints) == len(set(fingerprints))  # every hit sits in exactly one finding
    for f in audit.findings:
        assert f.hits and all(h.subject == f.subject for h in f.hits)
        lead = f.hits[0]
        assert (f.rule_id, f.message, f.severity) == (lead.rule_id, lead.message, lead.severity)
        assert f.severity == max(h.severity for h in f.hits)  # nothing accepted: the most severe hit leads
        assert [t.rule_id for t in f.tags] == [h.rule_id for h in f.hits[1:]]
        assert set(f.pi_categories) == {c for h in f.hits for c in h.pi_categories}


@pytest.mark.parametrize("name", APPS)
def test_the_catalog_says_what_each_hit_is_about(audits: dict[str, Audit], name: str) -> None:
    assert {r.subject for r in KB.rules.values()} <= set(SUBJECT_KINDS)
    for hit in audits[name].hits:
        kind = KB.rule(hit.rule_id).subject
        # a permission rule can also be about the component that requires that permission (a bound service)
        assert hit.subject.kind == kind or (kind, hit.subject.kind) == ("permission", "component"), hit


def test_the_sdk_fixture_reads_as_one_finding_per_problem(audits: dict[str, Audit]) -> None:
    audit = audits["sdks.apk"]
    assert len(audit.findings) == len({h.subject for h in audit.hits}) < len(audit.hits)

    def about(kind: str, key: str) -> list[str]:
        (found,) = [f for f in audit.findings if (f.subject.kind, f.subject.key) == (kind, key)]
        return [h.rule_id for h in found.hits]

    # the Umeng IMEI read: the read, the SDK's read and the permission it lacks are one problem
    assert about("call", "device_id.imei|umeng-analytics") == ["pi.device_id", "pi.non_resettable_id", "sdk.reads_pi",
                                                              "api.missing_permission"]
    assert about("permission", "android.permission.READ_CONTACTS") == [
        "permission.possibly_excessive", "permission.sensitive_pi", "permission.dangerous"]
    assert about("component", "cn.jpush.android.service.PushReceiver") == [
        "manifest.exported_component", "manifest.self_start"]
    assert about("sdk", "umeng-analytics") == ["sdk.tracker", "network.tracker_domain"]
    # app-wide properties never fold into each other
    assert all(len(f.hits) == 1 for f in audit.findings if f.subject.kind == "app")


def _only(audit: Audit, accept: list[str], reason: str = "reviewed") -> Baseline:
    return Baseline("test", audit.app.package if audit.app else None,
                    {fp: BaselineEntry(fp, next(h.rule_id for h in audit.hits if h.fingerprint == fp), reason)
                     for fp in accept})


def test_what_is_accepted_decides_which_hit_leads() -> None:
    """Accepting a finding's most severe hit hands the lead to the next open one; the accepted rule stays on
    the finding as an accepted tag, and only a finding whose every hit is accepted counts as accepted."""
    path = str(FIXTURES / "preconsent.apk")
    audit = scan(path, ScanOptions(), KB)
    (mac,) = [f for f in audit.findings if f.subject.key == "device_id.mac|umeng-analytics"]
    assert mac.rule_id == "consent.pi_before_consent" and mac.severity is Severity.HIGH and len(mac.hits) >= 2
    lead, second = mac.hits[0], mac.hits[1]

    partly = scan(path, ScanOptions(baseline=_only(audit, [lead.fingerprint])), KB)
    (after,) = [f for f in partly.findings if f.subject == mac.subject]
    assert after.accepted is None and after.rule_id == second.rule_id and after.severity == second.severity
    (tag,) = [t for t in after.tags if t.rule_id == lead.rule_id]
    assert tag.accepted is not None and tag.accepted.by == "baseline"
    assert len(partly.findings) == len(audit.findings)  # one problem is still one finding
    assert 'class="accepted-tag"' in HtmlWriter().render(partly, KB)

    wholly = scan(path, ScanOptions(baseline=_only(audit, [h.fingerprint for h in mac.hits])), KB)
    (done,) = [f for f in wholly.findings if f.subject == mac.subject]
    assert done.accepted is not None and done.rule_id == lead.rule_id and done.severity is Severity.HIGH
    assert wholly.verdict is not None and wholly.verdict.accepted == 1


def test_every_output_counts_the_same_findings(tmp_path: Path) -> None:
    """Console, JSON, HTML, Markdown, SARIF and the batch dataset count findings (problems), not rule hits;
    JSON keeps every hit inside its finding and SARIF keeps one result per hit."""
    (tmp_path / "appaudit.toml").write_text('[allow.sdks]\n"umeng-analytics" = "audience figures"\n')
    scan_out, batch_out = tmp_path / "scan", tmp_path / "batch"
    cli = [sys.executable, "-m", "scanner"]
    run = subprocess.run([*cli, "scan", str(FIXTURES / "sdks.apk"), "-o", str(scan_out), "-f", "json,html,md,sarif"],
                         capture_output=True, text=True, check=False, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    doc = json.loads((scan_out / "sdks.json").read_text(encoding="utf-8"))
    open_ = sum(1 for f in doc["findings"] if not f.get("accepted"))
    accepted = len(doc["findings"]) - open_
    hits = [h for f in doc["findings"] for h in f["hits"]]
    assert accepted and len(hits) > len(doc["findings"])
    assert re.search(rf": {open_} findings \[REVIEW\]", run.stderr)
    assert (doc["verdict"]["open"], doc["verdict"]["accepted"]) == (open_, accepted)
    assert f"**Verdict:** {open_} findings (" in (scan_out / "sdks.md").read_text(encoding="utf-8")
    page = (scan_out / "sdks.html").read_text(encoding="utf-8")
    assert re.search(rf'>{open_}</[^>]+>\s*findings <span class="muted small">\(\+{accepted} accepted\)', page)
    assert len(re.findall(r'<tr id="f-[0-9a-f]{16}"', page)) == len(doc["findings"])
    # each tag is shown on its finding, linked to the rule's explanation, which the page carries
    tags = sum(len(f["tags"]) for f in doc["findings"])
    assert page.count('<a href="#rule-') >= tags and len(re.findall(r'<span class="also small">Also: ', page)) == sum(
        1 for f in doc["findings"] if f["tags"])
    assert all(f'id="rule-{t["rule_id"]}"' in page for f in doc["findings"] for t in f["tags"])
    sarif = json.loads((scan_out / "sdks.sarif").read_text(encoding="utf-8"))["runs"][0]
    assert (sarif["properties"]["findings"], sarif["properties"]["openFindings"]) == (len(doc["findings"]), open_)
    assert Counter(r["partialFingerprints"]["appaudit/v1"] for r in sarif["results"]) == Counter(
        h["fingerprint"] for h in hits)
    batch = subprocess.run([*cli, "batch", str(FIXTURES / "sdks.apk"), "-o", str(batch_out), "--config",
                            str(tmp_path / "appaudit.toml")], capture_output=True, text=True, check=False)
    assert batch.returncode == 0, batch.stderr
    with open(batch_out / "dataset" / "findings.csv", encoding="utf-8") as rows:
        findings = list(csv.DictReader(rows))
    with open(batch_out / "dataset" / "apps.csv", encoding="utf-8") as rows:
        (app,) = list(csv.DictReader(rows))
    with open(batch_out / "dataset" / "rule_hits.csv", encoding="utf-8") as rows:
        assert len(list(csv.DictReader(rows))) == len(hits)
    assert len(findings) == len(doc["findings"]) and int(app["findings"]) == open_
