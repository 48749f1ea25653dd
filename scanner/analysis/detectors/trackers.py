"""SDKs and trackers: package prefixes, then manifest markers, native libraries and domains.

Classes are matched per package against one prefix index (longest prefix wins),
so the cost is one dictionary walk per distinct package, not one regex per
tracker per class. Obfuscation renames classes but not what Android must find by
name — manifest components, meta-data keys, ``.so`` files — so those still reveal
a renamed SDK. A package holding only a few classes and (almost) no code is a
stub left by a build tool, reported with low confidence and never as a tracker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from scanner.analysis.attribution import dotted, dotted_names, is_tracker
from scanner.analysis.detectors.base import Context, Results
from scanner.analysis.findings import finding
from scanner.analysis.names import chain, join, plural
from scanner.analysis.sdk_usage import Start, called_by_app, init_entry, launch_starts, switched_off
from scanner.analysis.versions import SdkVersion, code_clue, is_code_version, sdk_versions
from scanner.model import Bilingual, Confidence, Evidence, RuleHit, SdkHit, Severity
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
    packages: dict[tuple[str, str], int] = field(default_factory=dict)  # (package, attribution rule) -> classes
    other: set[Evidence] = field(default_factory=set)


def _by_code(context: Context, signals: dict[str, _Signals]) -> None:
    # Counted per package first and the owner asked once per package (~1k) rather than per class (~5k on
    # bench/cache/store.apk): 6.0 ms -> 3.2 ms, 0.7 ms of it the dex's sizes. A class with its own signature,
    # or in a package the ownership does not list, is still asked about by itself; the totals and the order
    # SDKs are met in are the same.
    owners = context.owners
    exact, known = owners.classes, owners.packages
    groups: dict[str | tuple[str], list[int]] = {}  # package, or (class,) -> [classes, code units]
    sizes = context.facts.dex.code_size_by_class()
    for cls, units in zip(dotted_names(sizes), sizes.values(), strict=True):
        package = cls.rpartition(".")[0]
        key: str | tuple[str] = package if package in known and cls not in exact else (cls,)
        group = groups.get(key)
        if group is None:
            groups[key] = [1, units]
        else:
            group[0] += 1
            group[1] += units
    for key, (classes, units) in groups.items():
        if isinstance(key, str):
            package, owner = key, known[key]
        else:
            package, owner = key[0].rpartition(".")[0], owners.of_class(key[0])
        if owner.sdk is None:
            continue
        s = signals.setdefault(owner.sdk, _Signals())
        s.classes += classes
        s.units += units
        at = (package, owner.rule)
        s.packages[at] = s.packages.get(at, 0) + classes


def _by_manifest(context: Context, signals: dict[str, _Signals]) -> None:
    kb = context.kb
    m = context.facts.apk.manifest
    for c in m.components:
        # a named marker, or any component inside an SDK's package (Android needs the real name)
        owner = context.owners.of_class(c.name).sdk
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


def _purpose(kb: KnowledgeBase, sdk: TrackerSignature) -> Bilingual:
    """What the SDK is for, in both languages, from its categories (as a published SDK list states it)."""
    return Bilingual("; ".join(kb.sdk_categories.get(c, c) for c in sdk.categories),
                     "；".join(kb.sdk_categories_zh.get(c, c) for c in sdk.categories))


def _hit(kb: KnowledgeBase, sdk: TrackerSignature, s: _Signals, found: set[str]) -> SdkHit:
    confidence, stub = _confidence(s)
    # packages the knowledge base names first, then those the code graph attributed (their rule said)
    ranked = sorted(s.packages.items(), key=lambda kv: (kv[0][1] != "prefix", -kv[1], kv[0]))[:_EVIDENCE_PER_PART]
    code = [Evidence("dex", f"{n} class{'es' if n != 1 else ''}" + ("" if rule == "prefix" else f" ({rule})"), pkg)
            for (pkg, rule), n in ranked]
    other = sorted(s.other)[: 3 * _EVIDENCE_PER_PART]
    return SdkHit(
        id=sdk.id, name=sdk.name, name_cn=sdk.name_cn, vendor=sdk.vendor, legal_entity=sdk.legal_entity,
        country=sdk.country,
        categories=sdk.categories, confidence=confidence, stub=stub, classes=s.classes,
        bundled_by=tuple(b for b in sdk.bundled_by if b in found), pi_collected=sdk.pi_collected,
        website=sdk.website, evidence=tuple(code + other),
        purpose=_purpose(kb, sdk), privacy_policy_url=sdk.privacy_policy,
    )


def detect(context: Context) -> Results:
    signals: dict[str, _Signals] = {}
    _by_code(context, signals)
    _by_manifest(context, signals)
    kb, package = context.kb, context.facts.package
    hits = [_hit(kb, kb.sdk(sid), s, set(signals)) for sid, s in signals.items()]
    # a domain alone (a URL in a string) names a service, not embedded code: keep it for endpoints only
    starts = launch_starts(context.reach, context.owners, context.index)
    calls = called_by_app(context.facts.graph, context.owners)
    versions = _versions(context, {h.id for h in hits})
    hits = sorted((_usage(context, h, starts, calls, versions.get(h.id)) for h in hits
                   if h.classes or any(e.part in ("manifest", "native") for e in h.evidence)), key=lambda h: h.id)
    findings = []
    for h in hits:
        if h.stub:
            continue
        rule = "sdk.tracker" if is_tracker(kb.sdk(h.id)) else "sdk.embedded"
        findings.append(_sdk_finding(kb, rule, package, h))
        if h.starts_before_consent:
            findings.append(_start_finding(context, h))
    return Results(sdks=tuple(hits), findings=tuple(findings))


def _versions(context: Context, found: set[str]) -> dict[str, SdkVersion]:
    """Each found SDK's version, from the clues its own code and files carry (scanner.analysis.versions)."""
    kb = context.kb
    loaded = {(s.caller.partition("->")[0], s.target) for s in context.index.sites
              if s.kind == "string" and is_code_version(s.target)}
    code = [c for descriptor, value in sorted(loaded) if (c := code_clue(dotted(descriptor), value))]
    return sdk_versions((*context.facts.version_clues, *code), lambda cls: context.owners.of_class(cls).sdk,
                        {s: kb.sdk(s).version_fields for s in found},
                        prefixes={s: kb.sdk(s).prefixes for s in found},
                        libraries={s: kb.sdk(s).libraries for s in found})


def _usage(context: Context, hit: SdkHit, starts: Mapping[str, Start],
           calls: Mapping[str, tuple[Evidence, ...]], version: SdkVersion | None) -> SdkHit:
    """Its version; called by the app? Started at launch (and by which path)? Switched off in the manifest?"""
    sdk = context.kb.sdk(hit.id)
    off = switched_off(sdk, context.facts.apk.manifest.meta_data)
    start = starts.get(hit.id)
    path = context.reach.path(init_entry(context.reach, sdk, start)) if start else ()
    return replace(hit, version=version.version if version else None,
                   version_evidence=version.evidence if version else "",
                   called_by_app=hit.id in calls, called_by_app_evidence=calls.get(hit.id, ()),
                   starts_before_consent=start is not None, start_path=path,
                   disabled=bool(off), disabled_evidence=off)


def _start_finding(context: Context, hit: SdkHit) -> RuleHit:
    """SDK code entered from launch code: the app starts the SDK before consent can be asked."""
    path = chain(hit.start_path)
    pre_init = [m.partition("->") for m in context.kb.sdk(hit.id).pre_init_methods]
    fix = (f" The vendor documents a compliant way to start it: "
           f"{join((dotted(cls).rpartition('.')[2] + '.' + name for cls, _, name in pre_init), 'or')}."
           if pre_init else "")
    return finding(context.kb, "consent.sdk_init_before_consent", context.facts.package,
                   f"{hit.name} is started at launch, before consent can be asked (via {path}).{fix}",
                   [Evidence("dex", hit.start_path[-2] if len(hit.start_path) > 1 else hit.start_path[0],
                             hit.start_path[-1])], key=("sdk-init", hit.id), sdk=hit.id,
                   fix=_start_fix(context, hit))


def _start_fix(context: Context, hit: SdkHit) -> str | None:
    """This SDK's own compliant start, where the knowledge base knows it; else the rule's general advice."""
    sdk = context.kb.sdk(hit.id)
    short = [dotted(cls).rpartition(".")[2] + "." + name for cls, _, name in
             (m.partition("->") for m in sdk.pre_init_methods)]
    starts = [dotted(cls).rpartition(".")[2] + "." + name for cls, _, name in
              (m.partition("->") for m in sdk.init_methods)]
    if not short:
        return None
    then = f", and {join(starts, 'or')} only after the user agrees" if starts else ", and the full start after consent"
    switches = (f" The vendor's manifest switch {join(sdk.disable_switches, 'or')} turns its collection off."
                if sdk.disable_switches else "")
    return f"Call {join(short, 'or')} at launch (the vendor's documented pre-initialisation){then}.{switches}"


def _sdk_finding(kb: KnowledgeBase, rule: str, package: str, hit: SdkHit) -> RuleHit:
    where = (plural(hit.classes, "class") if hit.classes
             else "manifest or native-library markers only")
    vendor = f"{hit.vendor} ({hit.legal_entity})" if hit.legal_entity else hit.vendor
    version = f" version {hit.version}" if hit.version else ""
    off = " Its collection is switched off in the manifest." if hit.disabled else ""
    if hit.classes and not hit.called_by_app:
        off += " No code of the app's own calls it: it runs from its manifest components or another SDK."
    severity = kb.rule(rule).severity
    return finding(kb, rule, package, f"{hit.name}{version} by {vendor} is embedded ({where}).{off}",
                   hit.evidence + hit.disabled_evidence, key=("sdk", hit.id), sdk=hit.id,
                   pi_categories=hit.pi_collected, confidence=hit.confidence,
                   severity=Severity(max(severity - 1, Severity.INFO)) if hit.disabled else None)
