"""The engine on hand-made facts: every detector runs in NEEDS order; a failed need skips its dependents."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.analysis.detection import detect
from scanner.analysis.detectors import api_calls
from scanner.batch.snapshot import read_snapshot, snapshot_path, write_snapshot
from scanner.model import Audit, Status
from tests.analysis.conftest import GET_DEVICE_ID, busy_app
from tests.conftest import KB


def test_every_detector_contributes() -> None:
    audit = detect(*busy_app(), KB, None)
    assert (audit.status, audit.errors) == (Status.OK, ())
    assert [s.id for s in audit.sdks] == ["umeng-analytics"]
    assert [(c.api, c.pre_consent) for c in audit.api_calls] == [(GET_DEVICE_ID, True)]
    assert [e.host for e in audit.endpoints] == ["ulogs.umeng.com"]
    assert [d.sdk for d in audit.disclosure] == ["umeng-analytics"]
    assert {"sdk.tracker", "pi.device_id", "consent.pi_before_consent", "network.tracker_domain",
            "permission.dangerous", "api.missing_permission", "manifest.debuggable",
            "manifest.exported_component"} <= {f.rule_id for f in audit.hits}


def test_a_failed_detector_skips_the_detectors_that_need_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(context: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(api_calls, "detect", boom)
    audit = detect(*busy_app(), KB, None)
    assert audit.status is Status.PARTIAL
    assert [(e.code, e.message.split(":")[1].strip()) for e in audit.errors] == [
        ("detector-failed", "detector api_calls failed"),
        ("detector-skipped", "detector compliance was skipped"),
        ("detector-skipped", "detector permissions was skipped"),
        ("detector-skipped", "detector privacy_policy was skipped"),
    ]
    assert audit.api_calls == () and audit.disclosure == ()
    assert not {f.rule_id for f in audit.hits} & {"permission.dangerous", "permission.possibly_excessive"}
    assert [s.id for s in audit.sdks] == ["umeng-analytics"]  # trackers, endpoints and manifest still ran
    assert [e.host for e in audit.endpoints] == ["ulogs.umeng.com"]
    assert {"sdk.tracker", "manifest.debuggable", "manifest.exported_component"} <= {
        f.rule_id for f in audit.hits}


def test_a_snapshot_of_hand_made_facts_gives_the_same_audit(tmp_path: Path) -> None:
    """The builders make the values a batch stores: written and read back, they audit the same."""
    facts, code, reach = busy_app()
    write_snapshot(tmp_path, facts.source.sha256, facts, code, reach, KB.version)
    stored: Audit = detect(*read_snapshot(snapshot_path(tmp_path, facts.source.sha256)), KB, "short_video")
    assert stored == detect(facts, code, reach, KB, "short_video")
