"""Endpoints: attribution by the code that holds the URL, cleartext by Android's policy."""

from __future__ import annotations

import pytest

from scanner.analysis.detectors.endpoints import cleartext_allowed
from scanner.android.netconfig import DomainRule, NetworkSecurityConfig
from tests.detectors.conftest import audit_of, rules


def test_sdk_endpoints_and_cleartext() -> None:
    eps = {(e.url, e.sdk, e.cleartext) for e in audit_of("sdks.apk").endpoints}
    assert eps == {
        ("https://android.bugly.qq.com/rqd/async", "tencent-bugly", False),
        ("https://api.jpush.cn/v3/push", "jiguang-jpush", False),
        # targetSdk 30 and no network security config: cleartext is off by default since API 28
        ("http://mi.gdt.qq.com/gdt_mview.fcg", "tencent-gdt", False),
        ("https://ulogs.umeng.com/unify_logs", "umeng-analytics", False),
    }
    assert "network.cleartext_traffic" not in rules(audit_of("sdks.apk"))


def test_network_security_config_domains() -> None:
    audit = audit_of("preconsent.apk")
    assert {(e.url, e.source, e.cleartext) for e in audit.endpoints} == {
        ("collect.early-bird.example", "network_security_config", True)}
    finding = next(f for f in audit.hits if f.rule_id == "network.cleartext_traffic")
    assert "for some hosts" in finding.message  # base-config forbids it, one domain allows it


CONFIG = NetworkSecurityConfig("res/xml/nsc.xml", False, (
    DomainRule("example.com", True, True), DomainRule("secure.example.com", False, False)), False)


@pytest.mark.parametrize(("host", "manifest_flag", "config", "allowed"), [
    ("a.org", True, None, True),
    ("a.org", False, None, False),
    ("a.org", True, CONFIG, False),  # base-config wins over the manifest flag
    ("example.com", False, CONFIG, True),
    ("api.example.com", False, CONFIG, True),  # includeSubdomains
    ("secure.example.com", False, CONFIG, False),  # the most specific domain wins
])
def test_cleartext_policy(host: str, manifest_flag: bool, config: NetworkSecurityConfig | None,
                          allowed: bool) -> None:
    assert cleartext_allowed(host, manifest_flag, config) is allowed
