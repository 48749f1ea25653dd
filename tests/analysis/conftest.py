"""Hand-made facts for detector tests: no APK, no dex reader, no Android tool.

Detectors read only ``AppFacts``, a ``CodeIndex`` and a ``PreConsent`` — plain values, the same a batch
snapshot stores — so each rule can be pinned down on the few facts that trigger it. The builders
default to an app with nothing in it; a test names only what matters to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from scanner.analysis.detection import ownership
from scanner.analysis.detectors import ALL, Context, Detector, Results
from scanner.analysis.facts import AppFacts, Source
from scanner.analysis.index import CodeIndex, index_of
from scanner.analysis.reachability import PreConsent
from scanner.analysis.urls import find_urls
from scanner.android.facts import ApkFacts, NativeLib
from scanner.android.manifest import ManifestFacts, MetaData, Queries, RequestedPermission
from scanner.android.netconfig import NetworkSecurityConfig
from scanner.dex.dexset import CallSite
from scanner.model import Component, SigningInfo
from signatures.model import KnowledgeBase
from tests.conftest import KB

APP = "org.example.app"
DEX = "classes.dex"
# references from the bundled knowledge base (apis.toml, sdks.toml) that several tests use
GET_DEVICE_ID = "Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;"  # telephony.get_device_id
IN_UMENG = "Lcom/umeng/analytics/pro/h;->a(Landroid/content/Context;)Ljava/lang/String;"  # umeng-analytics code
ON_CREATE = "Lorg/example/app/App;->onCreate()V"
PHONE = "android.permission.READ_PHONE_STATE"  # dangerous; what getDeviceId needs up to API 28


@dataclass(frozen=True)
class Code:
    """A ``CodeView`` in memory: class descriptor -> code units of its methods."""

    sizes: Mapping[str, int] = field(default_factory=dict)
    methods: int = 0

    @property
    def class_count(self) -> int:
        return len(self.sizes)

    @property
    def method_count(self) -> int:
        return self.methods

    def code_size_by_class(self) -> dict[str, int]:
        return dict(self.sizes)

    def class_names(self) -> list[str]:
        return list(self.sizes)


def component(kind: str, name: str, *, exported: bool = False, explicit: bool = True, permission: str | None = None,
              actions: Iterable[str] = (), enabled: bool = True) -> Component:
    return Component(kind, name, exported, explicit, permission, tuple(actions), enabled)


def manifest(*, permissions: Iterable[str] = (), components: Iterable[Component] = (), meta_data: Iterable[str] = (),
             application_class: str | None = None, debuggable: bool = False, allow_backup: bool = False,
             cleartext: bool = False, target_sdk: int = 34) -> ManifestFacts:
    """A manifest as the package manager reads it, with every risky default turned off."""
    return ManifestFacts(
        package=APP, version_code=1, version_name="1.0", min_sdk=24, target_sdk=target_sdk, max_sdk=None,
        application_class=application_class, debuggable=debuggable, allow_backup=allow_backup,
        uses_cleartext_traffic=cleartext, network_security_config=None,
        permissions=tuple(RequestedPermission(p, None, False) for p in sorted(permissions)),
        declared_permissions=(), components=tuple(components),
        meta_data=tuple(MetaData(m, "x") for m in meta_data), queries=Queries((), (), ()), split=None)


def app_facts(m: ManifestFacts | None = None, *, classes: Mapping[str, int] | None = None,
              libs: Iterable[str] = (), assets: Iterable[str] = (), dex_strings: Iterable[str] = (),
              netconfig: NetworkSecurityConfig | None = None) -> AppFacts:
    """``classes``: descriptor -> code units; ``libs``: arm64-v8a library names; URLs are found in ``dex_strings``."""
    native = tuple(NativeLib("arm64-v8a", name, f"lib/arm64-v8a/{name}") for name in libs)
    apk = ApkFacts(label="Example", manifest=m or manifest(), signing=SigningInfo(("v2",), ()), native_libs=native,
                   assets=tuple(assets), files=(), resource_strings=(), network_security_config=netconfig)
    sizes = dict(classes or {})
    return AppFacts(Source(f"/apps/{APP}.apk", "apk", "0" * 64, 1, ()), apk, Code(sizes, methods=len(sizes)),
                    (DEX,), (), (), tuple(find_urls(list(dex_strings), "dex")))


def site(caller: str, target: str, kind: str = "method") -> CallSite:
    return CallSite(caller, target, kind, DEX)


def index(*sites: CallSite) -> CodeIndex:
    return index_of(sites)


def reached(*chain: str) -> PreConsent:
    """Reachability along one chain: ``chain[0]`` is the entry point, each next method called by the one before."""
    return PreConsent(chain[:1], {m: (chain[i - 1] if i else None) for i, m in enumerate(chain)})


NOTHING_REACHED = PreConsent((), {})
BY_ID: dict[str, Detector] = {d.ID: d for d in ALL}


def run(detector: Detector, facts: AppFacts, code: CodeIndex | None = None, reach: PreConsent = NOTHING_REACHED,
        category: str | None = None, kb: KnowledgeBase = KB) -> Results:
    """One detector, given the results of the detectors it NEEDS (run the same way, as the engine does)."""
    code = index() if code is None else code
    found = Results()
    for need in detector.NEEDS:
        found = found.merge(run(BY_ID[need], facts, code, reach, category, kb))
    return detector.detect(Context(facts, kb, code, reach, ownership(facts, kb), category, found))


def busy_app() -> tuple[AppFacts, CodeIndex, PreConsent]:
    """An app every detector has something to say about: an SDK reading the IMEI at launch, a tracker
    domain, a debuggable manifest and an exported service."""
    facts = app_facts(manifest(permissions=[PHONE], debuggable=True,
                               components=[component("service", f"{APP}.Sync", exported=True)]),
                      classes={"Lcom/umeng/analytics/pro/h;": 400}, dex_strings=["https://ulogs.umeng.com/u"])
    return facts, index(site(IN_UMENG, GET_DEVICE_ID)), reached(ON_CREATE, IN_UMENG)


def rules(results: Results) -> list[tuple[str, str | None]]:
    """(rule id, SDK) of every finding, in the detector's order."""
    return [(f.rule_id, f.sdk) for f in results.findings]
