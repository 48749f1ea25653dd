"""SDKs and trackers: package prefixes, then manifest markers, native libraries and domains.

Classes are matched per package against one prefix index (longest prefix wins),
so the cost is one dictionary walk per distinct package, not one regex per
tracker per class. Obfuscation renames classes but not what Android must find by
name — manifest components, meta-data keys, ``.so`` files — so those still reveal
a renamed SDK. A package holding only a few classes and (almost) no code is a
stub left by a build tool, reported with low confidence and never as a tracker.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scanner.analysis.attribution import class_owner, class_owners, is_tracker
from scanner.analysis.detectors.base import Context, Results
from scanner.analysis.findings import finding
from scanner.model import Confidence, Evidence, Finding, SdkHit
from signatures.model import KnowledgeBase, TrackerSignature

ID = "trackers"
NEEDS: tuple[str, ...] = ()
STUB_MAX_CLASSES = 5
STUB_UNITS_PER_CLASS = 6  # a constructor calling super (4 units) and a bare return: no behaviour
_EVIDENCE_PER_PART = 5


@dataclass
class _Signals:
    classes: int = 0
    units: int = 0
    packages: dict[str, int] = field(default_factory=dict)
    other: set[Evidence] = field(default_factory=set)


def _by_code(context: Context, signals: dict[str, _Signals]) -> None:
    sizes = context.facts.dex.code_size_by_class()
    for name, (package, sdk) in class_owners(context.kb, sizes).items():
        if sdk is None:
            continue
        s = signals.setdefault(sdk, _Signals())
        s.classes += 1
        s.units += sizes[name]
        s.packages[package] = s.packages.get(package, 0) + 1


def _by_manifest(context: Context, signals: dict[str, _Signals]) -> None:
    kb = context.kb
    m = context.facts.apk.manifest
    for c in m.components:
        # a named marker, or any component inside an SDK's package (Android needs the real name)
        owner = class_owner(kb, c.name)
        for sdk in (*(s.id for s in kb.sdks_for_component(c.name)), *((owner,) if owner else ())):
            signals.setdefault(sdk, _Signals()).other.add(Evidence("manifest", c.type, c.name))
    for item in m.meta_data:
        for sdk in kb.sdks_for_meta_data(item.name):
            signals.setdefault(sdk.id, _Signals()).other.add(Evidence("manifest", "meta-data", item.name))
    for lib in context.facts.apk.native_libs:
        for sdk in kb.sdks_for_library(lib.name):
            signals.setdefault(sdk.id, _Signals()).other.add(Evidence("native", lib.path, lib.name))
    for url in context.facts.urls:
        for sdk in kb.sdks_for_host(url.host):
            signals.setdefault(sdk.id, _Signals()).other.add(Evidence(url.source, url.source, url.host))


def _confidence(s: _Signals) -> tuple[Confidence, bool]:
    """(confidence, stub): code with behaviour is certain; names Android must find (components,
    meta-data, libraries) survive obfuscation and are strong; a stub alone is only a leftover."""
    stub = 0 < s.classes <= STUB_MAX_CLASSES and s.units <= STUB_UNITS_PER_CLASS * s.classes
    if s.classes and not stub:
        return Confidence.HIGH, False
    if any(e.part in ("manifest", "native") for e in s.other):
        return Confidence.MEDIUM, False
    return Confidence.LOW, stub


def _hit(sdk: TrackerSignature, s: _Signals, found: set[str]) -> SdkHit:
    confidence, stub = _confidence(s)
    code = [Evidence("dex", f"{n} classes", pkg) for pkg, n in
            sorted(s.packages.items(), key=lambda kv: (-kv[1], kv[0]))[:_EVIDENCE_PER_PART]]
    other = sorted(s.other)[: 3 * _EVIDENCE_PER_PART]
    return SdkHit(
        id=sdk.id, name=sdk.name, name_cn=sdk.name_cn, vendor=sdk.vendor, legal_entity=sdk.legal_entity,
        country=sdk.country,
        categories=sdk.categories, confidence=confidence, stub=stub, classes=s.classes,
        bundled_by=tuple(b for b in sdk.bundled_by if b in found), pi_collected=sdk.pi_collected,
        website=sdk.website, evidence=tuple(code + other),
    )


def detect(context: Context) -> Results:
    signals: dict[str, _Signals] = {}
    _by_code(context, signals)
    _by_manifest(context, signals)
    kb, package = context.kb, context.facts.package
    hits = [_hit(kb.sdk(sid), s, set(signals)) for sid, s in signals.items()]
    # a domain alone (a URL in a string) names a service, not embedded code: keep it for endpoints only
    hits = sorted((h for h in hits if h.classes or any(e.part in ("manifest", "native") for e in h.evidence)),
                  key=lambda h: h.id)
    findings = []
    for h in hits:
        if h.stub:
            continue
        rule = "sdk.tracker" if is_tracker(kb.sdk(h.id)) else "sdk.embedded"
        findings.append(_sdk_finding(kb, rule, package, h))
    return Results(sdks=tuple(hits), findings=tuple(findings))


def _sdk_finding(kb: KnowledgeBase, rule: str, package: str, hit: SdkHit) -> Finding:
    where = (f"{hit.classes} class{'es' if hit.classes != 1 else ''}" if hit.classes
             else "manifest or native-library markers only")
    vendor = f"{hit.vendor} ({hit.legal_entity})" if hit.legal_entity else hit.vendor
    return finding(kb, rule, package, f"{hit.name} by {vendor} is embedded ({where}).", hit.evidence,
                   key=("sdk", hit.id), sdk=hit.id, pi_categories=hit.pi_collected, confidence=hit.confidence)
