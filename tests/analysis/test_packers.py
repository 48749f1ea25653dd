"""Packer indicators from facts alone: a packed app is never reported as clean."""

from __future__ import annotations

from scanner.analysis.detection import detect
from scanner.analysis.detectors import packers
from scanner.model import Confidence, Evidence, Status
from tests.analysis.conftest import NOTHING_REACHED, app_facts, index, manifest, rules, run
from tests.conftest import KB

STUB = "com.stub.StubApp"  # 360 Jiagu's loader (packers.toml: qihoo-jiagu)


def test_the_loader_class_in_dex_is_a_packer() -> None:
    found = run(packers, app_facts(classes={"Lcom/stub/StubApp;": 50}))
    [f] = found.findings
    assert (f.rule_id, f.confidence, f.evidence) == ("packer.detected", Confidence.MEDIUM,
                                                     (Evidence("dex", "class", STUB),))
    assert f.message.startswith("Protected by 360 Jiagu (Qihoo 360)")
    assert [e.code for e in found.incomplete] == ["packed"]


def test_signals_of_several_kinds_are_high_confidence() -> None:
    """The application class named in the manifest (its dex encrypted) plus the native loader."""
    found = run(packers, app_facts(manifest(application_class=STUB), libs=["libjiagu.so"]))
    [f] = found.findings
    assert (f.confidence, f.evidence) == (Confidence.HIGH, (
        Evidence("manifest", "class", STUB), Evidence("native", "lib/arm64-v8a/libjiagu.so", "libjiagu.so")))


def test_no_indicator_no_finding() -> None:
    found = run(packers, app_facts(manifest(application_class="org.example.app.App"), libs=["libapp.so"],
                                   classes={"Lorg/example/app/App;": 50}))
    assert (found.findings, found.incomplete) == ((), ())


def test_a_packed_app_is_partial() -> None:
    audit = detect(app_facts(libs=["libjiagu.so"]), index(), NOTHING_REACHED, KB, None)
    assert audit.status is Status.PARTIAL
    assert [e.code for e in audit.errors] == ["packed"]
    assert ("packer.detected", None) in [(f.rule_id, f.sdk) for f in audit.hits]
    clean = detect(app_facts(), index(), NOTHING_REACHED, KB, None)
    assert (clean.status, clean.errors, rules(run(packers, app_facts()))) == (Status.OK, (), [])
