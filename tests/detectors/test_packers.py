"""A packed app is never reported as clean; an app with an unreadable part says so in its findings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scanner import scan
from scanner.model import Status
from tests.conftest import FIXTURES
from tests.detectors.conftest import audit_of


def test_packed_app_is_partial_with_the_protector_named() -> None:
    audit = audit_of("packed.apk")
    assert audit.status is Status.PARTIAL
    assert [e.code for e in audit.errors] == ["packed"] and "360 Jiagu" in audit.errors[0].message
    packer = [f for f in audit.hits if f.rule_id == "packer.detected"]
    assert len(packer) == 1 and "360 Jiagu" in packer[0].message
    assert {(e.part, e.symbol) for e in packer[0].evidence} == {
        ("dex", "com.stub.StubApp"), ("asset", "libjiagu.so"), ("asset", "libjiagu_a64.so"),
        ("native", "libjiagu_a64.so")}
    assert packer[0].confidence.value == "high"


def test_unpacked_apps_are_not_flagged() -> None:
    for name in ("clean.apk", "sdks.apk", "preconsent.apk", "obfuscated.apk"):
        audit = audit_of(name)
        assert audit.status is Status.OK and not [f for f in audit.hits if f.rule_id == "packer.detected"]


def test_unreadable_parts_are_reported_as_incomplete_analysis(tmp_path: Path) -> None:
    """A partial result carries its reasons as findings too, so a gate or a baseline sees them."""
    damaged = {"bad_dex.apk": ("multidex.apk", "classes2.dex"), "bad_resources.apk": ("clean.apk", "resources.arsc")}
    for name, (fixture, entry) in damaged.items():
        subprocess.run([sys.executable, str(FIXTURES.parent / "make_hostile.py"), "garble", str(tmp_path / name),
                        str(FIXTURES / fixture), entry], check=True, capture_output=True)
    dex = scan(str(tmp_path / "bad_dex.apk"))
    assert dex.status is Status.PARTIAL
    (incomplete,) = [f for f in dex.hits if f.rule_id == "analysis.incomplete"]
    assert [(e.path, e.symbol) for e in incomplete.evidence] == [("dex-unreadable", "classes2.dex is not a DEX file "
                                                                  "(bad magic)")]
    assert str(tmp_path) not in incomplete.message and "classes2.dex" in incomplete.message
    resources = scan(str(tmp_path / "bad_resources.apk"))
    # one finding per reason, keyed by its code: the fingerprint survives a rebuild with the same damage
    assert {f.evidence[0].path for f in resources.hits if f.rule_id == "analysis.incomplete"} == {
        e.code for e in resources.errors} == {"resources-unreadable", "label-unresolved"}


def test_complete_results_carry_no_incomplete_finding() -> None:
    for name in ("clean.apk", "sdks.apk", "packed.apk"):  # packed: packer.detected says it
        assert not [f for f in audit_of(name).hits if f.rule_id == "analysis.incomplete"]
