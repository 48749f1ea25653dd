"""Network endpoints: URLs in code and resources, hosts of the network security config.

An endpoint belongs to the SDK whose code holds the string (the call-site index
says which methods use it); failing that, to the SDK whose domain it is.
Cleartext means Android would let the app send it unencrypted: an ``http://`` URL
whose host the effective cleartext policy does not forbid.
"""

from __future__ import annotations

from collections import Counter

from scanner.analysis.attribution import is_tracker
from scanner.analysis.detectors.base import Context, Results
from scanner.analysis.findings import finding
from scanner.analysis.names import join, plural
from scanner.android.netconfig import NetworkSecurityConfig
from scanner.model import Endpoint, Evidence, RuleHit

ID = "endpoints"
NEEDS: tuple[str, ...] = ()


def cleartext_allowed(host: str, manifest_flag: bool, config: NetworkSecurityConfig | None) -> bool:
    """Android's rule: the most specific matching domain-config, then base-config, then the manifest."""
    if config is not None:
        best = None
        for rule in config.domains:
            applies = host == rule.domain or (rule.include_subdomains and host.endswith("." + rule.domain))
            if applies and rule.cleartext is not None and (best is None or len(rule.domain) > len(best.domain)):
                best = rule
        if best is not None:
            return bool(best.cleartext)
    return default_cleartext(manifest_flag, config)


def default_cleartext(manifest_flag: bool, config: NetworkSecurityConfig | None) -> bool:
    """Cleartext policy for hosts no domain-config names."""
    if config is not None and config.base_cleartext is not None:
        return config.base_cleartext
    return manifest_flag


def detect(context: Context) -> Results:
    facts, kb = context.facts, context.kb
    manifest = facts.apk.manifest
    config = facts.apk.network_security_config
    out: dict[tuple[str, str], Endpoint] = {}
    for url in facts.urls:
        callers = context.index.callers_of(url.string)
        owners = Counter(o for s in callers if (o := context.owners.of_method(s.caller).sdk))
        by_domain = kb.sdks_for_host(url.host)
        sdk = owners.most_common(1)[0][0] if owners else (by_domain[0].id if by_domain else None)
        plain = url.scheme in ("http", "ws")
        cleartext = plain and cleartext_allowed(url.host, manifest.uses_cleartext_traffic, config)
        out.setdefault((url.url, url.source), Endpoint(url.url, url.host, url.scheme, sdk, url.source, cleartext))
    if config is not None:
        for rule in config.domains:
            by_domain = kb.sdks_for_host(rule.domain)
            out.setdefault((rule.domain, "network_security_config"), Endpoint(
                rule.domain, rule.domain, "", by_domain[0].id if by_domain else None, "network_security_config",
                bool(rule.cleartext)))
    endpoints = tuple(sorted(out.values(), key=lambda e: (e.host, e.url, e.source)))
    return Results(endpoints=endpoints, findings=tuple(_findings(context, endpoints)))


def _findings(context: Context, endpoints: tuple[Endpoint, ...]) -> list[RuleHit]:
    kb, package = context.kb, context.facts.package
    manifest = context.facts.apk.manifest
    config = context.facts.apk.network_security_config
    out = []
    plain = [e for e in endpoints if e.cleartext]
    base_allows = default_cleartext(manifest.uses_cleartext_traffic, config)
    if plain or base_allows:
        evidence = [Evidence(e.source, e.url, e.host) for e in plain[:12]]
        if base_allows:
            where = config.path if config and config.base_cleartext else "AndroidManifest.xml"
            evidence.append(Evidence("manifest" if where == "AndroidManifest.xml" else "resource", where,
                                     "cleartextTrafficPermitted" if config else "usesCleartextTraffic"))
        what = (f"{plural(len(plain), 'http:// endpoint')} can be reached unencrypted" if plain
                else "no http:// URL found")
        scope = "for every host" if base_allows else "for some hosts"
        out.append(finding(kb, "network.cleartext_traffic", package,
                           f"Cleartext HTTP is allowed {scope}; {what}.", evidence, key=("network", "cleartext")))
    trackers = {e.sdk for e in endpoints if e.sdk and is_tracker(kb.sdk(e.sdk))}
    for sdk in sorted(trackers):
        hosts = sorted({e.host for e in endpoints if e.sdk == sdk})
        out.append(finding(kb, "network.tracker_domain", package,
                           f"{kb.sdk(sdk).name} endpoints referenced: {join(hosts[:5])}"
                           f"{f' and {len(hosts) - 5} more' if len(hosts) > 5 else ''}.",
                           [Evidence("dex", h, h) for h in hosts[:12]], key=("endpoint-sdk", sdk), sdk=sdk))
    return out
