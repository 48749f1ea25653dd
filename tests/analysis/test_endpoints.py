"""Endpoints and cleartext traffic from URLs, the manifest flag and the network security config."""

from __future__ import annotations

from scanner.analysis.detectors import endpoints
from scanner.android.netconfig import DomainRule, NetworkSecurityConfig
from scanner.model import Endpoint, Evidence
from tests.analysis.conftest import app_facts, index, manifest, rules, run, site

ORDER = "http://api.shop.test/v1/order"
UMENG_LOGS = "https://ulogs.umeng.com/unify_logs"  # a domain of umeng-analytics (sdks.toml)


def test_http_with_cleartext_allowed_is_cleartext_traffic() -> None:
    found = run(endpoints, app_facts(manifest(cleartext=True), dex_strings=[ORDER]))
    assert found.endpoints == (Endpoint(ORDER, "api.shop.test", "http", None, "dex", True),)
    [f] = found.findings
    assert f.rule_id == "network.cleartext_traffic"
    assert f.message.startswith("Cleartext HTTP is allowed for every host; 1 http:// endpoint can be")
    assert f.evidence == (Evidence("dex", ORDER, "api.shop.test"),
                          Evidence("manifest", "AndroidManifest.xml", "usesCleartextTraffic"))


def test_http_with_cleartext_forbidden_is_not() -> None:
    found = run(endpoints, app_facts(manifest(cleartext=False), dex_strings=[ORDER, "https://cdn.shop.test/a.png"]))
    assert [(e.url, e.cleartext) for e in found.endpoints] == [(ORDER, False),  # sorted by host
                                                                ("https://cdn.shop.test/a.png", False)]
    assert found.findings == ()


def test_a_domain_config_allows_cleartext_for_its_hosts_only() -> None:
    config = NetworkSecurityConfig("res/xml/network_security_config.xml", base_cleartext=False,
                                   domains=(DomainRule("shop.test", True, True),), trusts_user_certificates=False)
    facts = app_facts(manifest(cleartext=True), dex_strings=[ORDER, "http://cdn.other.test/a.png"], netconfig=config)
    found = run(endpoints, facts)
    assert [(e.url, e.source, e.cleartext) for e in found.endpoints] == [
        (ORDER, "dex", True), ("http://cdn.other.test/a.png", "dex", False),  # the base config overrides the flag
        ("shop.test", "network_security_config", True)]
    assert [(f.rule_id, f.message.split(";")[0]) for f in found.findings] == [
        ("network.cleartext_traffic", "Cleartext HTTP is allowed for some hosts")]


def test_a_tracker_domain_belongs_to_its_sdk() -> None:
    found = run(endpoints, app_facts(dex_strings=[UMENG_LOGS]))
    assert found.endpoints == (Endpoint(UMENG_LOGS, "ulogs.umeng.com", "https", "umeng-analytics", "dex", False),)
    assert rules(found) == [("network.tracker_domain", "umeng-analytics")]


def test_the_code_that_holds_the_url_decides_its_owner() -> None:
    """A first-party host used only inside an SDK's package is that SDK's endpoint."""
    url = "https://api.shop.test/collect"
    found = run(endpoints, app_facts(dex_strings=[url]),
                index(site("Lcom/umeng/analytics/pro/h;->send()V", url, "string")))
    assert [(e.host, e.sdk) for e in found.endpoints] == [("api.shop.test", "umeng-analytics")]
