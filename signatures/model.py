"""Typed, immutable records of the knowledge base.

Everything here is a frozen dataclass so a loaded KnowledgeBase can be shared
between detectors and worker processes without anyone changing it by accident.

The entries keep their fields in a ``__dict__``, not ``__slots__``: every scan unpickles ~1,600 of them from the
compiled copy (``signatures/compiled.py``), which for a slotted frozen dataclass goes through dataclasses'
generic ``__setstate__`` (``fields()`` per object) and for these is one dict update: 5.1 -> 3.1 ms a load.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from scanner.model import Severity  # the one severity scale, shared with results
from signatures.documents import Document, Reference
from signatures.globs import glob_match
from signatures.regexset import RegexSet

Sensitivity = Literal["yes", "context", "no"]
SENSITIVITIES: tuple[str, ...] = ("yes", "context", "no")


class KnowledgeBaseError(Exception):
    """A data file is missing, unreadable or inconsistent.

    The message names the file, the entry id and the reason, so a reviewer can
    fix the data without reading the loader.
    """

    def __init__(self, file: str, entry: str | None, reason: str) -> None:
        self.file = file
        self.entry = entry
        self.reason = reason
        where = f"{file}: {entry}" if entry else file
        super().__init__(f"{where}: {reason}")


class UnknownAppType(KeyError):
    """A name that is neither the slug nor the NPI2021 id of one of the 39 app types."""

    def __init__(self, key: str, known: tuple[str, ...]) -> None:
        super().__init__(key)
        self.key = key
        self.known = known

    def __str__(self) -> str:
        return f"{self.key!r} is not an app type; one of {', '.join(self.known)}"


@dataclass(frozen=True)
class PiCategory:
    """One kind of personal information (``device_id.imei``, ``location.precise``...)."""

    id: str
    title: str
    sensitive: Sensitivity
    rule: str | None = None  # rule emitted when code reads this category
    source: tuple[str, ...] = ()

    @property
    def parent(self) -> str | None:
        return self.id.rsplit(".", 1)[0] if "." in self.id else None


@dataclass(frozen=True)
class TrackerSignature:
    """An SDK or tracker and the signals that reveal it in an APK.

    ``prefixes`` are Java package prefixes in dot form, matched on a ``.``
    boundary; ``code_regex`` is kept only for the few signatures that really
    are regular expressions over dotted class names.
    """

    id: str
    name: str
    vendor: str
    categories: tuple[str, ...]
    source: tuple[str, ...]
    origin: Literal["exodus", "appaudit"] = "appaudit"
    name_cn: str = ""  # the name Chinese users and regulators know it by
    legal_entity: str = ""
    country: str = ""
    website: str = ""
    privacy_policy: str = ""  # the vendor's privacy policy for this SDK (one of ``source``)
    prefixes: tuple[str, ...] = ()
    code_regex: str = ""
    domains: tuple[str, ...] = ()
    network_regex: str = ""
    libraries: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    meta_data: tuple[str, ...] = ()
    pi_collected: tuple[str, ...] = ()
    bundled_by: tuple[str, ...] = ()
    exodus_ids: tuple[int, ...] = ()
    verified: bool = True  # False: a fact (usually pi_collected) was not checked against `source`
    # Start-up facts, for telling whether the SDK is started before consent. Methods are Dalvik
    # ``Lpkg/Cls;->name`` without a prototype: every overload of that name counts.
    init_methods: tuple[str, ...] = ()  # what starts the SDK (and its collection)
    pre_init_methods: tuple[str, ...] = ()  # the vendor's documented compliant pre-init / delayed init
    disable_switches: tuple[str, ...] = ()  # ``key=value`` manifest <meta-data> that switch collection off
    version_fields: tuple[str, ...] = ()  # dotted ``pkg.Cls.FIELD`` static String constants holding the version
    aliases: tuple[str, ...] = ()  # other names privacy policies use for it (友盟+, JIGUANG, CSJ...)


Sdk = TrackerSignature


@dataclass(frozen=True)
class PolicyTerms:
    """How privacy policies word things (``policy_terms.toml``): read by ``scanner.privacy_policy``.

    ``categories`` maps a personal-information family (a pi_categories id) to the words that name it;
    ``permissions`` maps a permission to the words that name it as a permission; ``permission_labels`` to the
    labels Android shows for its permission group, which name it only where the text is about permissions
    (a permission table, a list item's label, next to a permission word). The cue lists say
    when a sentence states a purpose, denies collection, or is a privacy policy at all; ``not_sdk_names``
    are SDK names too generic to count as naming the SDK (``互联`` is in ``互联网``).
    """

    categories: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    permissions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    permission_labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    purpose_cues: tuple[str, ...] = ()
    negation_cues: tuple[str, ...] = ()
    permission_words: tuple[str, ...] = ()
    policy_markers: tuple[str, ...] = ()
    not_sdk_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class PermissionInfo:
    """What an Android (or vendor) permission exposes and how it is granted.

    ``rule`` is the rule emitted when an app requests the permission or, for a permission
    only the system holds (``BIND_*``), protects a component with it: the app then
    provides that system service (an accessibility service, a VPN, a device admin).
    """

    name: str
    protection_level: str
    pi_category: str
    sensitive: Sensitivity
    source: tuple[str, ...]
    match: Literal["exact", "suffix", "prefix"] = "exact"
    rule: str | None = None
    verified: bool = True  # False: protection level or classification not checked against `source`

    @property
    def dangerous(self) -> bool:
        return "dangerous" in self.protection_level.split("|")

    @property
    def privileged(self) -> bool:
        """Granted only to platform-signed or system apps, never to an ordinary app."""
        levels = self.protection_level.split("|")
        return levels[0] == "signature" and "appop" not in levels

    def matches(self, name: str) -> bool:
        if self.match == "suffix":
            return name.endswith(self.name)
        if self.match == "prefix":
            return name.startswith(self.name)
        return name == self.name


@dataclass(frozen=True)
class PermissionRequirement:
    """A permission that makes an API work, optionally only within an API-level range."""

    name: str
    min_api: int | None = None
    max_api: int | None = None

    def applies(self, api_level: int) -> bool:
        return (self.min_api is None or api_level >= self.min_api) and (
            self.max_api is None or api_level <= self.max_api
        )


@dataclass(frozen=True)
class ArgumentRule:
    """For argument-dependent APIs: the constant that decides the category.

    ``kind`` says what the resolved argument is: a const-string, a static
    field reference, the result of a method call (both in Dalvik form) or a
    const int; ``match`` how to compare; ``permissions`` what a call with that
    argument needs (any one of them), instead of the API's own list.
    """

    kind: Literal["string", "field", "method", "int"]
    value: str | int
    category: str
    match: Literal["exact", "prefix", "contains", "mask"] = "exact"
    permissions: tuple[str, ...] = ()

    def matches(self, arg: str | int) -> bool:
        if self.kind == "int":
            if not isinstance(arg, int) or not isinstance(self.value, int):
                return False
            return bool(arg & self.value) if self.match == "mask" else arg == self.value
        if not isinstance(arg, str):
            return False
        value = str(self.value)
        if self.match == "prefix":
            return arg.startswith(value)
        if self.match == "contains":
            return value in arg
        return arg == value


@dataclass(frozen=True)
class ApiSignature:
    """Framework/SDK references through which code reads personal information."""

    id: str
    category: str
    kind: Literal["method", "field", "string", "consumer"]
    source: tuple[str, ...]
    methods: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    strings: tuple[str, ...] = ()
    permissions: tuple[PermissionRequirement, ...] = ()
    argument_rules: tuple[ArgumentRule, ...] = ()  # the argument decides the category; `category` is the fallback
    rule: str | None = None  # overrides the category's rule (e.g. reflection)
    verified: bool = True  # False: references or permissions not checked against `source`
    # the last API level on which an ordinary app gets the real value; later ones return a constant or nothing
    # (Wi-Fi and Bluetooth MAC addresses since Android 6). None: no such limit beyond the permissions'
    returns_until: int | None = None

    @property
    def refs(self) -> tuple[str, ...]:
        return self.methods + self.fields + self.strings

    def works_on(self, api_level: int, kb: KnowledgeBase) -> bool:
        """Whether an ordinary (not system) app gets the value on ``api_level``: not past ``returns_until``,
        and some permission the call needs there can be granted to it (IMEI from Android 10 needs a
        privileged one, so no ordinary app reads it)."""
        if self.returns_until is not None and api_level > self.returns_until:
            return False
        needed = [p for p in self.permissions if p.applies(api_level)]
        if not self.permissions:
            return True
        return any(not ((info := kb.permission(p.name)) is not None and info.privileged) for p in needed)

    def argument_permissions(self, category: str) -> tuple[str, ...]:
        """What a call whose argument resolved to ``category`` needs (any one suffices).

        A call records its category, not the rule that matched: when one rule of that
        category names no permission, nothing certain is needed and this is empty, so the
        API's own ``permissions`` apply.
        """
        rules = [r for r in self.argument_rules if r.category == category]
        if not rules or any(not r.permissions for r in rules):
            return ()
        return tuple(dict.fromkeys(p for r in rules for p in r.permissions))


@dataclass(frozen=True)
class StringConstant:
    """A const-string that points to personal-information access.

    ``argument_only`` constants ("gps", "android_id", "wlan0") are everywhere in
    ordinary code; they count only as the argument of a catalogued API in the same
    method, never on their own.
    """

    value: str
    category: str
    source: tuple[str, ...]
    verified: bool = True  # False: the meaning of the constant was not checked against `source`
    argument_only: bool = False


@dataclass(frozen=True)
class NecessaryItem:
    """One item of necessary PI of an app type and what on the device serves it.

    Only a ``device`` item is read from the device; a ``user`` item is typed in (a phone
    number never implies READ_PHONE_NUMBERS) and a ``service`` item produced by the service.
    """

    item: str  # the rule's own wording, quoted in findings
    origin: Literal["user", "device", "service"]
    permissions: tuple[str, ...] = ()
    api_categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppCategory:
    """An app type of the 2021 necessary-information rules."""

    id: str
    npi: str
    name: str
    name_cn: str
    basic_function: str
    necessary: tuple[NecessaryItem, ...]
    source: tuple[str, ...]
    expected_permissions: tuple[str, ...] = ()  # commonly used for the basic function: not flagged
    verified: bool = True  # False: the item list was not read in full in the official text

    @property
    def needs_no_pi(self) -> bool:
        return not self.necessary

    @property
    def device_items(self) -> tuple[NecessaryItem, ...]:
        """The items read from the device: the only ones a permission or an API can serve."""
        return tuple(item for item in self.necessary if item.origin == "device")

    @property
    def necessary_permissions(self) -> frozenset[str]:
        return frozenset(p for item in self.device_items for p in item.permissions)

    @property
    def necessary_api_categories(self) -> frozenset[str]:
        return frozenset(c for item in self.device_items for c in item.api_categories)


@dataclass(frozen=True)
class NecessaryScope:
    """GB/T 41391-2022 Annex A: the necessary personal information of one service type (an app type's slug)."""

    app_type: str
    items: tuple[str, ...]
    source: tuple[str, ...]
    verified: bool = True  # False: the row was not read in the standard's text (``note`` says what it rests on)
    note: str = ""


@dataclass(frozen=True)
class LowRelevance:
    """GB/T 41391-2022 Annex E: Android permissions of low relevance to one service type."""

    app_type: str
    permissions: tuple[str, ...]
    source: tuple[str, ...]
    verified: bool = True
    note: str = ""


@dataclass(frozen=True)
class DeviceIdentifier:
    """GB/T 41391-2022 Annex F: a unique device identifier (a pi category) and whether the user can reset it."""

    category: str
    resettable: bool
    source: tuple[str, ...]
    verified: bool = True
    note: str = ""


@dataclass(frozen=True)
class Gbt41391:
    """The rows of GB/T 41391-2022 a scan uses (``gbt41391.toml``), looked up by app type or pi category."""

    necessary: tuple[NecessaryScope, ...] = ()
    low_relevance: tuple[LowRelevance, ...] = ()
    identifiers: tuple[DeviceIdentifier, ...] = ()

    def scope(self, app_type: str) -> NecessaryScope | None:
        return next((row for row in self.necessary if row.app_type == app_type), None)

    def low_relevance_for(self, app_type: str) -> LowRelevance | None:
        return next((row for row in self.low_relevance if row.app_type == app_type), None)

    def identifier(self, category: str) -> DeviceIdentifier | None:
        """The Annex F row of ``category``: a narrower category counts as its parent's (``device_id.mac.wifi``)."""
        return next((row for row in self.identifiers
                     if category == row.category or category.startswith(row.category + ".")), None)

    @property
    def resettable(self) -> tuple[str, ...]:
        """The identifiers that should serve instead of a non-resettable one."""
        return tuple(row.category for row in self.identifiers if row.resettable)


@dataclass(frozen=True)
class Rule:
    """Metadata of one rule id appaudit can emit."""

    id: str
    title: str
    severity: Severity
    explanation: str
    fix: str  # what the developer does about it, in general; a finding may say it for its own case
    subject: str  # the kind of thing it is about (SUBJECT_KINDS): rules hitting one subject fold together
    refs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Packer:
    """Indicators of an app protector that hides the real code from static analysis."""

    id: str
    name: str
    vendor: str
    source: tuple[str, ...]
    classes: tuple[str, ...] = ()
    libraries: tuple[str, ...] = ()
    assets: tuple[str, ...] = ()
    verified: bool = True  # False: the indicators were not checked against `source`


@dataclass(frozen=True, slots=True, eq=False)
class KnowledgeBase:
    """Everything detectors may look up; read-only and cheap to share."""

    version: str
    date: str
    provenance: str  # which tracker list was loaded: the bundled one or the user cache
    sdks: tuple[TrackerSignature, ...]
    apis: tuple[ApiSignature, ...]
    constants: tuple[StringConstant, ...]
    permissions: Mapping[str, PermissionInfo]
    categories: Mapping[str, AppCategory]
    rules: Mapping[str, Rule]
    packers: tuple[Packer, ...]
    pi_categories: Mapping[str, PiCategory]
    sdk_categories: Mapping[str, str]
    sdk_categories_zh: Mapping[str, str]  # the same, in Chinese: a purpose as the published SDK list states it
    documents: Mapping[str, str]  # document id -> one-line title, derived from `references`
    merge_notes: tuple[str, ...] = ()
    policy_terms: PolicyTerms = field(default_factory=PolicyTerms)
    references: Mapping[str, Reference] = field(default_factory=dict)  # references.toml, by ref id
    gbt41391: Gbt41391 = field(default_factory=Gbt41391)  # gbt41391.toml: Annexes A, E and F of the standard
    _sdk_by_id: Mapping[str, TrackerSignature] = field(default_factory=dict, repr=False)
    _prefix_index: Mapping[str, TrackerSignature] = field(default_factory=dict, repr=False)
    _regex_sdks: tuple[TrackerSignature, ...] = field(default=(), repr=False)
    _code_regexes: RegexSet = field(default_factory=lambda: RegexSet(()), repr=False)
    _net_sdks: tuple[TrackerSignature, ...] = field(default=(), repr=False)
    _net_regexes: RegexSet = field(default_factory=lambda: RegexSet(()), repr=False)
    _markers: Mapping[str, Mapping[str, tuple[TrackerSignature, ...]]] = field(default_factory=dict, repr=False)
    _library_globs: tuple[tuple[str, tuple[TrackerSignature, ...]], ...] = field(default=(), repr=False)
    _rule_rank: Mapping[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_sdk_by_id", {s.id: s for s in self.sdks})
        object.__setattr__(self, "_rule_rank", {rule_id: i for i, rule_id in enumerate(self.rules)})
        object.__setattr__(self, "_prefix_index", {p: s for s in self.sdks for p in s.prefixes})
        object.__setattr__(self, "_regex_sdks", tuple(s for s in self.sdks if s.code_regex))
        object.__setattr__(self, "_code_regexes", RegexSet(tuple(s.code_regex for s in self._regex_sdks)))
        object.__setattr__(self, "_net_sdks", tuple(s for s in self.sdks if s.network_regex))
        object.__setattr__(self, "_net_regexes", RegexSet(tuple(s.network_regex for s in self._net_sdks)))
        markers: dict[str, dict[str, list[TrackerSignature]]] = {
            "component": {}, "suffix": {}, "meta_data": {}, "library": {}, "domain": {}}
        for s in self.sdks:
            for name in s.components:
                kind, key = ("suffix", name[1:]) if name.startswith("*") else ("component", name)
                markers[kind].setdefault(key, []).append(s)
            for key in s.meta_data:
                markers["meta_data"].setdefault(key, []).append(s)
            for key in s.libraries:
                markers["library"].setdefault(key, []).append(s)
            for key in s.domains:
                markers["domain"].setdefault(key.lower(), []).append(s)
        object.__setattr__(self, "_markers", {k: {n: tuple(v) for n, v in d.items()} for k, d in markers.items()})
        object.__setattr__(self, "_library_globs", tuple(
            (pattern, tuple(sdks)) for pattern, sdks in markers["library"].items() if "*" in pattern))

    def permission(self, name: str) -> PermissionInfo | None:
        """Exact name first, then app-specific patterns (``*.permission.MIPUSH_RECEIVE``)."""
        info = self.permissions.get(name)
        if info is not None:
            return info
        return next((p for p in self.permissions.values() if p.match != "exact" and p.matches(name)), None)

    def rule(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def reference(self, ref_id: str) -> Reference:
        """A regulation reference (``PIPL-13``) with its document, article and summaries; KeyError if unknown."""
        return self.references[ref_id]

    def cited_documents(self, ref_ids: Iterable[str]) -> tuple[Document, ...]:
        """The documents these references point to, once each, in the order references.toml lists them."""
        wanted = {self.references[r].document.id for r in ref_ids if r in self.references}
        return tuple(dict.fromkeys(ref.document for ref in self.references.values() if ref.document.id in wanted))

    def rule_rank(self, rule_id: str) -> int:
        """The rule's place in the catalog: of equally severe hits on one subject, the first listed leads."""
        return self._rule_rank.get(rule_id, len(self._rule_rank))

    def sdk(self, sdk_id: str) -> TrackerSignature:
        return self._sdk_by_id[sdk_id]

    def app_type(self, key: str) -> AppCategory:
        """An app type by slug (``short_video``) or rule id (``NPI2021-29``): the one check every entry point uses."""
        if key in self.categories:
            return self.categories[key]
        for cat in self.categories.values():
            if cat.npi == key:
                return cat
        raise UnknownAppType(key, tuple(sorted(self.categories)))

    def sdk_with_prefix(self, name: str) -> TrackerSignature | None:
        """The SDK whose prefix is exactly ``name`` (a class-level signature), if any."""
        return self._prefix_index.get(name)

    def sdks_for_component(self, class_name: str) -> tuple[TrackerSignature, ...]:
        """SDKs whose manifest component this is (``*.wxapi.WXEntryActivity`` matches any package)."""
        hits = list(self._markers["component"].get(class_name, ()))
        for suffix, sdks in self._markers["suffix"].items():
            if class_name.endswith(suffix):
                hits += sdks
        return tuple(dict.fromkeys(hits))

    def sdks_for_meta_data(self, key: str) -> tuple[TrackerSignature, ...]:
        return self._markers["meta_data"].get(key, ())

    def sdks_for_library(self, file_name: str) -> tuple[TrackerSignature, ...]:
        """Exact file name, or an fnmatch pattern (``libjcore*.so``: the version is part of the name)."""
        exact = self._markers["library"].get(file_name, ())
        patterns = tuple(s for pattern, sdks in self._library_globs
                         if glob_match(file_name, pattern) for s in sdks)
        return tuple(dict.fromkeys(exact + patterns))

    def sdks_for_host(self, host: str) -> tuple[TrackerSignature, ...]:
        """Exact domain or a parent domain first; the Exodus network regexes only when that finds none."""
        host = host.lower().rstrip(".")
        domains = self._markers["domain"]
        name = host
        while name:
            if name in domains:
                return domains[name]
            name = name.partition(".")[2]
        return tuple(self._net_sdks[i] for i in self._net_regexes.matches(host))

    def sdk_for_class(self, class_name: str) -> TrackerSignature | None:
        """Longest matching package prefix wins; regex signatures are the fallback."""
        name = class_name
        while name:
            hit = self._prefix_index.get(name)
            if hit is not None:
                return hit
            name = name.rpartition(".")[0]
        found = self._code_regexes.matches(class_name)
        return self._regex_sdks[found[0]] if found else None
