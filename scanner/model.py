"""The scan result (schema ``appaudit/2``) as frozen dataclasses.

Every writer renders from an ``Audit``; the JSON writer emits it with sorted keys
and lists in a stable order so two runs on the same input diff cleanly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from scanner import codecache

codecache.install()  # before the first @dataclass of a scan: reuses the code it generates (scanner/codecache.py)

SCHEMA = "appaudit/2"  # 2: findings grouped by subject, each holding its rule hits
SCHEMAS_READ = ("appaudit/1", SCHEMA)  # results a diff still compares (1: flat rule hits)
SUBJECT_KINDS = ("call", "sdk", "permission", "component", "data", "app")  # what a rule can be about


LATEST_API = 36  # the newest Android API level appaudit knows (Android 16): ranges end here

@dataclass(frozen=True, slots=True)
class Component:
    """A manifest component as the package manager reads it (exported defaults applied)."""

    type: str  # activity | activity-alias | service | receiver | provider
    name: str
    exported: bool
    exported_explicit: bool
    permission: str | None
    intent_actions: tuple[str, ...]
    enabled: bool
    authorities: tuple[str, ...] = ()


class Status(enum.StrEnum):
    OK = "ok"
    PARTIAL = "partial"  # some part could not be analysed (packed, one unreadable dex…)
    ERROR = "error"  # nothing could be analysed; ``errors`` says why


@dataclass(frozen=True, slots=True)
class ToolInfo:
    """The tool that made a result (appaudit and its version), so a reader knows what to compare it with."""

    name: str
    version: str


@dataclass(frozen=True, slots=True)
class KnowledgeBaseInfo:
    """The knowledge base a result was made with: findings change when it does."""

    version: str
    date: str


@dataclass(frozen=True, slots=True)
class InputInfo:
    """The file scanned, as given, with its hash (what the result is about, even when the scan failed)."""

    path: str
    sha256: str | None
    size: int | None
    format: str | None  # apk | xapk | apks | apkm | aab


@dataclass(frozen=True, slots=True, order=True)
class ScanError:
    """A part of the app that could not be read, by code and in words: the rest of the result may miss it."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class AppInfo:
    """The app as the package manager sees it: identity, versions, SDK levels."""

    package: str
    label: str
    version_code: int | None
    version_name: str | None
    min_sdk: int
    target_sdk: int
    max_sdk: int | None
    application_class: str | None


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """A signing certificate: who signed, and whether it is a debug key (no store accepts those)."""

    sha256: str
    subject: str
    issuer: str
    debug: bool


@dataclass(frozen=True, slots=True)
class SchemeResult:
    """One signature scheme present in the APK, verified on the API levels that use it."""

    scheme: str  # v1 | v2 | v3 | v3.1
    verified: bool | None  # None: no API level of the app's range uses this scheme, so it was not checked
    reason: str | None  # why it does not verify


@dataclass(frozen=True, slots=True)
class TrustedSigner:
    """Consecutive API levels on which Android makes the same decision about the APK's signature."""

    min_sdk: int
    max_sdk: int
    scheme: str | None  # the scheme Android checks there; None: nothing verifies, so it refuses to install
    certificates: tuple[str, ...]  # sha256 of the certificates it trusts there
    reason: str | None  # why nothing verifies, when scheme is None


@dataclass(frozen=True, slots=True)
class SigningInfo:
    """The signatures as listed and as Android verifies them, from the app's minSdk to the newest API level."""

    schemes: tuple[str, ...]
    certificates: tuple[CertificateInfo, ...]
    # None: not verified (results stored before appaudit verified signatures)
    verified: bool | None = None
    reason: str | None = None  # why it does not verify (the newest API levels' reason first)
    checks: tuple[SchemeResult, ...] = ()
    trusted: tuple[TrustedSigner, ...] = ()
    lineage: tuple[str, ...] = ()  # v3 key rotation: certificate sha256s, oldest first
    rotation_min_sdk: int | None = None  # v3.1: the API level from which the rotated key is used


@dataclass(frozen=True, slots=True)
class PermissionEntry:
    """A requested permission with what the knowledge base says it exposes."""

    name: str
    max_sdk: int | None
    only_sdk23: bool
    protection_level: str | None  # None: not a permission the knowledge base knows
    pi_category: str | None
    sensitive: str | None  # yes | context | no (PIPL sensitive personal information)


@dataclass(frozen=True, slots=True)
class ManifestInfo:
    """Manifest facts beyond the app header: flags, declared permissions, meta-data, queries."""

    debuggable: bool
    allow_backup: bool
    uses_cleartext_traffic: bool
    network_security_config: str | None
    declared_permissions: tuple[dict[str, str], ...]
    meta_data: tuple[dict[str, str], ...]
    queries: dict[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class FilesInfo:
    """Native libraries, assets and splits: where SDKs show beyond the dex files."""

    native_libs: tuple[dict[str, str], ...]  # {abi, name, path}
    assets: tuple[str, ...]
    splits: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DexInfo:
    """The dex files Android loads (and those it ignores), with their size in classes and methods."""

    files: tuple[str, ...]
    ignored: tuple[str, ...]  # classes*.dex Android does not load (after a gap in the numbering)
    classes: int
    methods: int


@dataclass(frozen=True, slots=True, order=True)
class Evidence:
    """One place a finding was seen: which part of the app, where in it, and what."""

    part: str  # manifest | dex | resource | certificate | native | asset
    path: str
    symbol: str


class Severity(enum.IntEnum):
    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]

    @classmethod
    def labels(cls) -> tuple[str, ...]:
        """``info`` … ``critical``: how severities are written in data files, policies and on the command line."""
        return tuple(s.label for s in cls)


class Confidence(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True, slots=True)
class Bilingual:
    """A text in English and in Chinese, for results read by both (the JSON is language-neutral)."""

    en: str
    zh: str


@dataclass(frozen=True, slots=True)
class SdkHit:
    """An embedded SDK, with every signal that revealed it."""

    id: str
    name: str
    name_cn: str  # the Chinese name, for the SDK lists Chinese regulators ask for ("" when unknown)
    vendor: str
    legal_entity: str
    country: str
    categories: tuple[str, ...]
    confidence: Confidence
    stub: bool  # classes present but (nearly) no code: a leftover, not a working SDK
    classes: int
    bundled_by: tuple[str, ...]  # embedding SDKs that were found too
    pi_collected: tuple[str, ...]  # what the vendor documents it collects
    website: str
    evidence: tuple[Evidence, ...]
    version: str | None = None  # the SDK's own version, when its code or files carry one
    version_evidence: str = ""  # where the version was read (``dex-field pkg.Cls.FIELD``, a file…)
    called_by_app: bool = False  # the app's own code names the SDK's code (calls, extends, instantiates)
    called_by_app_evidence: tuple[Evidence, ...] = ()  # app package -> SDK package
    starts_before_consent: bool = False  # launch code (Application, providers) enters the SDK's code
    start_path: tuple[str, ...] = ()  # entry point … first method of the SDK, when it starts before consent
    disabled: bool = False  # a documented manifest switch turns its collection off
    disabled_evidence: tuple[Evidence, ...] = ()
    modules: tuple[str, ...] = ()  # app bundle (AAB) modules holding its code, base first; () for an APK
    purpose: Bilingual = field(default_factory=lambda: Bilingual("", ""))  # what it is for, from its categories
    privacy_policy_url: str = ""  # the vendor's SDK privacy policy, where the knowledge base has it


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One method whose code reads personal information through a catalogued API."""

    api: str  # Dalvik method/field reference, or the string constant
    api_id: str
    pi_category: str
    caller: str
    sdk: str | None  # the SDK that owns the caller's code; None for the app's own or unattributed code
    pre_consent: bool
    pre_consent_path: tuple[str, ...]  # entry point … caller, when pre_consent
    hidden: bool  # reached through reflection
    resolved: bool  # the deciding argument was seen (argument-dependent APIs)
    dex: str
    party: str = ""  # app | sdk | unattributed: whose code this is ("" in results older than the field)
    attribution: str = ""  # the rule that decided the owner (prefix, manifest, used-only-by, vendor-tree…)
    module: str | None = None  # the app bundle (AAB) module holding the caller ("base", a feature); None: an APK


@dataclass(frozen=True, slots=True)
class BundleModule:
    """One module of an Android App Bundle and how Google Play delivers it (its ``<dist:module>``)."""

    name: str  # base, or the feature's / asset pack's name
    kind: str  # base | feature | asset-pack
    delivery: str  # install-time | conditional | on-demand | fast-follow
    fused: bool  # in the universal APK bundletool builds (and on pre-split devices): <dist:fusing dist:include>
    installed: bool  # part of the first install on every device (base, unconditional install-time)


@dataclass(frozen=True, slots=True)
class BundleInfo:
    """What only an app bundle shows: its modules, and facts the APKs Play generates from it do not carry."""

    modules: tuple[BundleModule, ...]
    notes: tuple[str, ...] = ()  # one sentence each: what a first install does not get, who signs the APKs


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A network address in the app, who ships it, and whether it is reached without TLS."""

    url: str  # a URL, or a bare host from the network security config
    host: str
    scheme: str
    sdk: str | None
    source: str  # dex | resource | network_security_config
    cleartext: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    """Can this build ship? The same answer as the exit code and the console line (``scanner.gate.verdict``)."""

    kind: str  # FAIL | REVIEW | PASS | INCOMPLETE
    reason: str  # one sentence: which gate failed, what is open, or why the analysis is incomplete
    gate: str  # the gate applied, as given ("--fail-on medium", "--fail-on-new"), or "" for none
    floor: str | None  # the lowest severity that fails it (None: no gate)
    failing: int  # open findings at or above the gate
    open: int  # findings nobody accepted
    accepted: int  # findings a policy or the baseline accepted


@dataclass(frozen=True, slots=True)
class Acceptance:
    """Why a finding does not fail the gate: a policy justification or a baseline entry."""

    by: str  # policy | baseline
    reason: str


@dataclass(frozen=True, slots=True, order=True)
class BaselineEntry:
    """A rule hit the team accepted, and why: matched by its fingerprint in later scans."""

    fingerprint: str
    rule_id: str
    reason: str


@dataclass(frozen=True, slots=True, order=True)
class Subject:
    """What a rule hit is about; hits on one subject are one problem, so the report shows one finding.

    ``kind`` is the rule's (rules.toml ``subject``); ``key`` says which one: "<category>|<owner>" for a
    call (owner: an SDK id, "" for the app), an SDK id, a permission or component name, a category, or
    for an app-wide property the rule and what it hit (such a subject never groups).
    """

    kind: str
    key: str


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule applying to one subject: what detectors emit, what policy, baseline and SARIF work on."""

    rule_id: str
    title: str
    severity: Severity
    confidence: Confidence
    category: str  # the rule's area: sdk, permission, pi, consent, manifest…
    message: str  # what was found in this app, in one sentence
    pi_categories: tuple[str, ...]
    sdk: str | None
    evidence: tuple[Evidence, ...]
    refs: tuple[str, ...]
    fingerprint: str  # v1: stable across rebuilds; baselines and SARIF key on it
    accepted: Acceptance | None = None
    party: str = "app"  # whose code it is about: app | sdk | unattributed | mixed (not in the fingerprint)
    fix: str = ""  # how to remedy it: the rule's advice, or this case's (an SDK's documented compliant start)
    subject: Subject = Subject("app", "")


@dataclass(frozen=True, slots=True)
class Tag:
    """Another rule that applies to a finding's subject, shown on the finding with its references."""

    rule_id: str
    title: str
    severity: Severity
    refs: tuple[str, ...]
    accepted: Acceptance | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: every rule hit on one subject, led by the most severe open one (``scanner.analysis.grouping``).

    The fields up to ``fix`` are the lead hit's, except: ``severity`` is the highest among open hits (or among
    all, when every hit is accepted); ``accepted`` is set only when every hit is; ``evidence`` and
    ``pi_categories`` gather all hits'; ``fingerprint`` identifies the subject (the hits keep their own).
    """

    rule_id: str
    title: str
    severity: Severity
    confidence: Confidence
    category: str
    message: str
    pi_categories: tuple[str, ...]
    sdk: str | None
    evidence: tuple[Evidence, ...]
    refs: tuple[str, ...]
    fingerprint: str
    accepted: Acceptance | None = None
    party: str = "app"
    fix: str = ""
    subject: Subject = Subject("app", "")
    tags: tuple[Tag, ...] = ()  # the other rules that hit this subject, most severe first
    hits: tuple[RuleHit, ...] = ()  # every rule hit, the lead first: nothing is lost


@dataclass(frozen=True, slots=True)
class PolicyCheck:
    """One thing the privacy policy was checked for: an SDK, a kind of information, a permission's purpose,
    or an SDK the policy names that the app lacks (``stale``)."""

    kind: str  # sdk | category | permission | stale
    id: str  # the SDK id, the category (or its family), the permission
    disclosed: bool | None  # None: not judged (the lexicon has no words for that category)
    how: str = ""  # sdk: name, alias, vendor, entity, bundled; category: "denied" when it says it is not collected
    quote: str = ""  # the sentence that says it (or, for a permission, names it without a purpose)
    by: tuple[str, ...] = ()  # category: who reads it (SDK ids, "app")


@dataclass(frozen=True, slots=True)
class PrivacyPolicyInfo:
    """The privacy policy compared with the code: where it came from and what it covers."""

    kind: str  # bundled | file | url
    location: str  # the entry (``base!assets/privacy.html``), the path or the URL after redirects
    reason: str  # bundled: why this file was taken for the policy
    sha256: str
    media_type: str
    language: str  # zh | en | und
    sentences: int
    truncated: bool  # longer than the reading limit: the rest was not read
    checks: tuple[PolicyCheck, ...] = ()


@dataclass(frozen=True, slots=True)
class DisclosureRow:
    """One line of the third-party SDK list regulators ask apps to publish."""

    sdk: str
    name: str
    vendor: str
    legal_entity: str
    purpose: tuple[str, ...]
    pi_read: tuple[str, ...]  # categories its code reads in this APK
    permissions: tuple[str, ...]  # requested permissions those reads rely on
    pre_consent: bool
    documented: tuple[str, ...]  # what the vendor says it collects
    version: str | None = None  # the SDK version found in this APK, for the published list


@dataclass(frozen=True, slots=True)
class Audit:
    """One app's result. Later stages fill sdks, api_calls, endpoints and findings."""

    tool: ToolInfo
    knowledge_base: KnowledgeBaseInfo
    input: InputInfo
    status: Status
    errors: tuple[ScanError, ...] = ()
    app: AppInfo | None = None
    signing: SigningInfo | None = None
    manifest: ManifestInfo | None = None
    permissions: tuple[PermissionEntry, ...] = ()
    components: tuple[Component, ...] = ()  # as the manifest reader saw them
    files: FilesInfo | None = None
    dex: DexInfo | None = None
    sdks: tuple[SdkHit, ...] = ()
    api_calls: tuple[ApiCall, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    findings: tuple[Finding, ...] = ()  # one per subject, each holding its rule hits
    disclosure: tuple[DisclosureRow, ...] = ()
    category: str | None = None  # the app type compared against, when one was given
    fixed: tuple[BaselineEntry, ...] = ()  # baseline entries this build no longer has
    verdict: Verdict | None = None  # the release gate's answer, when the run that wrote the report had one
    schema: str = field(default=SCHEMA)
    bundle: BundleInfo | None = None  # an app bundle's (AAB) modules and bundle-only notes; None for APKs
    privacy_policy: PrivacyPolicyInfo | None = None  # the policy compared with the code; None: none found or given

    @property
    def hits(self) -> tuple[RuleHit, ...]:
        """Every rule hit of every finding: what a baseline records and SARIF reports one result each for."""
        return tuple(h for f in self.findings for h in f.hits)
