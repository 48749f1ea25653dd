"""A packed app is never reported as clean."""

from __future__ import annotations

from scanner.model import Status
from tests.detectors.conftest import audit_of


def test_packed_app_is_partial_with_the_protector_named() -> None:
    audit = audit_of("packed.apk")
    assert audit.status is Status.PARTIAL
    assert [e.code for e in audit.errors] == ["packed"] and "360 Jiagu" in audit.errors[0].message
    packer = [f for f in audit.findings if f.rule_id == "packer.detected"]
    assert len(packer) == 1 and "360 Jiagu" in packer[0].message
    assert {(e.part, e.symbol) for e in packer[0].evidence} == {
        ("dex", "com.stub.StubApp"), ("asset", "libjiagu.so"), ("asset", "libjiagu_a64.so"),
        ("native", "libjiagu_a64.so")}
    assert packer[0].confidence.value == "high"


def test_unpacked_apps_are_not_flagged() -> None:
    for name in ("clean.apk", "sdks.apk", "preconsent.apk", "obfuscated.apk"):
        audit = audit_of(name)
        assert audit.status is Status.OK and not [f for f in audit.findings if f.rule_id == "packer.detected"]
