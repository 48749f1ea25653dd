"""Where code reads personal information, who owns that code, and whether it runs before consent.

A call site is the catalogued API (or field, or revealing constant) plus the method
that uses it. Argument-dependent APIs take their category from the constants seen
in the same method: every argument rule that one of them satisfies by the rule's own
``matches`` (``Settings.Secure.getString`` with ``"android_id"``, ``ContentResolver.query``
with a ``content://com.android.contacts/…`` string, ``TelephonyManager.listen`` with an
int whose bits name a listener); when no deciding constant is there, the catalogue's
fallback category is used and the call is marked unresolved. A behaviour such as a
shell command counts as a read only when its argument names what it reads
(``Runtime.exec("pm list packages -3")``). Reflection that names a catalogued class
and member in one method, next to a reflection call, is reported as hidden access.
"""

from __future__ import annotations

from collections import defaultdict
from operator import itemgetter

from scanner.analysis.detectors.base import Context, Results
from scanner.analysis.findings import finding
from scanner.analysis.index import CodeIndex
from scanner.analysis.names import chain, join, phrase, plural, sentence
from scanner.analysis.ownership import APP, owner_key
from scanner.analysis.targets import REFLECTION, ApiTargets, api_targets
from scanner.model import LATEST_API, ApiCall, Confidence, Evidence, RuleHit, Severity
from signatures.model import ApiSignature, KnowledgeBase

ID = "api_calls"
NEEDS: tuple[str, ...] = ()
_EVIDENCE_MAX = 12
_REFLECTION = "reflection"  # its arguments are resolved by the hidden-access path, to the member they name


def _categories(api: ApiSignature, index: CodeIndex, caller: str) -> list[tuple[str, bool]]:
    """(category, resolved) pairs for one call of ``api`` in ``caller``: one per category a matching rule gives."""
    if not api.argument_rules:
        return [(api.category, True)]
    args = {kind: index.arguments(caller, kind) for kind in {r.kind for r in api.argument_rules}}
    matched = sorted({r.category for r in api.argument_rules if any(r.matches(a) for a in args[r.kind])})
    return [(c, True) for c in matched] or [(api.category, False)]


def code_rule(kb: KnowledgeBase, api: ApiSignature) -> str | None:
    """The ``code.*`` rule of an entry that flags a code behaviour (loading code, shell) rather than a read."""
    info = kb.pi_categories.get(api.category)
    rule = api.rule or (info.rule if info else None)
    return rule if rule and rule.startswith("code.") else None


_Read = tuple[str, str, str, str, bool, bool, str]  # api, api_id, category, caller, hidden, resolved, dex


def _reads(context: Context) -> list[_Read]:
    """(api, api_id, category, caller, hidden, resolved, dex) for every read found."""
    targets = api_targets(context.kb)
    return (_site_reads(context.kb, context.index, targets) + _string_api_reads(context.index, targets)
            + _hidden_reads(context.index, targets))


def _site_reads(kb: KnowledgeBase, index: CodeIndex, targets: ApiTargets) -> list[_Read]:
    """Catalogued methods and fields, each with its categories; revealing constants."""
    reads = []
    # what each entry is (a behaviour, skipped, its one category) decided once per entry, not once per site:
    # ~2.7k sites of ~90 entries on bench/cache/store.apk, 2.6 ms -> 1.9 ms
    kinds: dict[int, tuple[bool, bool]] = {}  # id(entry) -> (skipped, behaviour)
    for site in index.sites:
        if site.kind in ("method", "field") and (api := targets.by_ref.get(site.target)):
            kind = kinds.get(id(api))
            if kind is None:
                behaviour = code_rule(kb, api) is not None  # reported by _code_findings; bare reflection is everywhere
                kind = kinds[id(api)] = (behaviour and (api.id == _REFLECTION or not api.argument_rules), behaviour)
            skipped, behaviour = kind
            if skipped:
                continue
            if not api.argument_rules:  # one category, resolved (``_categories``)
                reads.append((site.target, api.id, api.category, site.caller, False, True, site.dex))
                continue
            for category, resolved in _categories(api, index, site.caller):
                if resolved or not behaviour:  # a behaviour reads only what its argument names
                    reads.append((site.target, api.id, category, site.caller, False, resolved, site.dex))
        elif site.kind == "string" and (const := targets.constants.get(site.target)) and not const.argument_only:
            reads.append((site.target, f"constant:{site.target}", const.category, site.caller, False, True, site.dex))
    return reads


def _string_api_reads(index: CodeIndex, targets: ApiTargets) -> list[_Read]:
    """Entries recognised by several strings together in one method."""
    reads = []
    for api in targets.string_apis:
        callers = set.intersection(*(set(s.caller for s in index.callers_of(x)) for x in api.strings))
        for caller in callers:
            reads.append((api.strings[0], api.id, api.category, caller, False, True, ""))
    return reads


def _hidden_reads(index: CodeIndex, targets: ApiTargets) -> list[_Read]:
    """A reflection call in a method that also names a catalogued class and one of its members."""
    reads = []
    reflective = {s.caller: s.dex for r in REFLECTION for s in index.callers_of(r)}
    for caller, dex in reflective.items():
        uses = index.uses(caller)
        for cls in uses & targets.reflected.keys():
            for member in sorted(uses & targets.reflected[cls].keys()):
                ref = targets.reflected[cls][member]
                api = targets.by_ref[ref]
                reads.append((ref, api.id, api.category, caller, True, True, dex))
    return reads


def detect(context: Context) -> Results:
    kb, facts = context.kb, context.facts
    calls = _calls(context)
    findings = _pi_findings(kb, facts.package, calls, facts.apk.manifest.min_sdk) + _code_findings(context)
    return Results(api_calls=tuple(calls), findings=tuple(findings))


def _calls(context: Context) -> list[ApiCall]:
    """One ``ApiCall`` per distinct read, ordered by category, owner, caller and API.

    A read holds every field of its call but the caller's owner and launch path, so reads are made distinct
    (as plain tuples) before calls are made, and the owner and path are asked once per caller, not hashed
    and sorted as 13-field dataclasses: 2.3k calls from ~2.2k callers on bench/cache/store.apk, 6.7 ms ->
    4.8 ms besides finding the reads, most of the rest being the calls' construction (~1.3 us each). The key
    ends with every other field, so calls that tie on (category, owner, caller, API) keep one order, not
    the order a set happened to give.
    """
    reach, owners = context.reach, context.owners
    of_caller: dict[str, tuple[str | None, str, str, bool, tuple[str, ...]]] = {}
    ranked = []
    for api, api_id, category, caller, hidden, resolved, dex in dict.fromkeys(_reads(context)):
        known = of_caller.get(caller)
        if known is None:
            owner = owners.of_method(caller)
            early = reach.reached(caller)
            known = of_caller[caller] = (owner.sdk, owner.party, owner.rule, early,
                                         reach.path(caller) if early else ())
        sdk, party, rule, early, path = known
        ranked.append(((category, sdk or "", party, caller, api, api_id, hidden, resolved, dex),
                       ApiCall(api=api, api_id=api_id, pi_category=category, caller=caller, sdk=sdk,
                               pre_consent=early, pre_consent_path=path, hidden=hidden, resolved=resolved,
                               dex=dex, party=party, attribution=rule)))
    ranked.sort(key=itemgetter(0))
    return [call for _, call in ranked]


def reader(kb: KnowledgeBase, sdk: str | None, party: str) -> str:
    """Who reads, mid-sentence: an SDK by name, the app's own code, or code nobody could be named for."""
    if sdk:
        return f"SDK {kb.sdk(sdk).name}"
    return "first-party code" if party == APP else "unattributed code (neither the app's package nor a known SDK)"


def _evidence(calls: list[ApiCall]) -> list[Evidence]:
    return [Evidence("dex", c.caller, c.api) for c in calls[:_EVIDENCE_MAX]]


def _reach(kb: KnowledgeBase, apis: frozenset[str], min_sdk: int) -> tuple[str, Severity | None]:
    """Where the reads of these APIs (by id) return a value to an ordinary app, among the API levels this app
    installs on.

    ("", None) when some read works on the newest level; otherwise a clause for the message and, when no
    read works on any level the app supports, the lower severity (info): the call returns nothing there.
    """
    signatures = [a for a in kb.apis if a.id in apis]
    if not signatures or any(a.works_on(LATEST_API, kb) for a in signatures):
        return "", None
    last = max((level for level in range(min_sdk, LATEST_API + 1) for a in signatures if a.works_on(level, kb)),
               default=None)
    if last is None:
        return (f" It returns nothing to an ordinary app on any Android version this app supports (API {min_sdk} "
                "and later), so the read yields no value, but the code still tries."), Severity.INFO
    return f" Only devices up to API {last} give an ordinary app the value; newer Android returns nothing.", None


def _pi_findings(kb: KnowledgeBase, package: str, calls: list[ApiCall], min_sdk: int) -> list[RuleHit]:
    """One finding per (category, code owner) for reads, pre-consent reads and hidden access."""
    groups: dict[tuple[str, str | None, str], list[ApiCall]] = defaultdict(list)
    for c in calls:
        groups[(c.pi_category, c.sdk, c.party)].append(c)
    # Per scan, not per group: the same few API sets, categories and owners recur across ~280 groups on
    # bench/cache/store.apk, and each group's evidence serves up to three of its hits (8.0 ms -> 5.5 ms).
    reaches: dict[frozenset[str], tuple[str, Severity | None]] = {}

    def reach(some: list[ApiCall]) -> tuple[str, Severity | None]:
        apis = frozenset(c.api_id for c in some)
        found = reaches.get(apis)
        if found is None:
            found = reaches[apis] = _reach(kb, apis, min_sdk)
        return found

    titles: dict[str, str] = {}
    readers: dict[tuple[str | None, str], str] = {}
    instead: list[str] = []  # the resettable identifiers to propose, once one is needed
    out = []
    for (category, sdk, party), group in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])):
        info = kb.pi_categories.get(category)
        title = titles.get(category)
        if title is None:
            title = titles[category] = phrase(info.title if info else category)
        who = readers.get((sdk, party))
        if who is None:
            who = readers[(sdk, party)] = reader(kb, sdk, party)
        owner_id = owner_key(party, sdk)  # the app's key is "": its fingerprints predate SDK attribution
        resolved = any(c.resolved for c in group)
        confidence = Confidence.HIGH if resolved else Confidence.LOW
        rule = info.rule if info and info.rule else "pi.device_info"
        where, lowered = reach(group)
        evidence = _evidence(group)
        out.append(finding(kb, rule, package,
                           sentence(f"{who} reads {title} in {plural(len(group), 'place')}.") + where,
                           evidence, key=("pi", f"{category}|{owner_id}"), sdk=sdk, party=party,
                           pi_categories=[category], confidence=confidence, severity=lowered))
        out += _non_resettable(kb, package, (group, evidence, instead), category, (who, owner_id, sdk, party),
                               (where, lowered))
        if sdk:
            out.append(finding(kb, "sdk.reads_pi", package, sentence(f"{who} reads {title}.") + where,
                               evidence, key=("sdk-pi", f"{category}|{sdk}"), sdk=sdk,
                               pi_categories=[category], confidence=confidence, severity=lowered))
        early = [c for c in group if c.pre_consent]
        if early:
            path = chain(early[0].pre_consent_path)
            early_where, early_lowered = reach(early)
            out.append(finding(kb, "consent.pi_before_consent", package,
                               sentence(f"{who} reads {title} at launch, before consent can be asked (via {path}).")
                               + early_where, _evidence(early), key=("pre-consent", f"{category}|{owner_id}"),
                               sdk=sdk, party=party, pi_categories=[category], confidence=confidence,
                               severity=early_lowered))
        hidden = [c for c in group if c.hidden]
        if hidden:
            out.append(finding(kb, "code.hidden_access", package,
                               sentence(f"{who} reaches {title} through reflection."), _evidence(hidden),
                               key=("hidden", f"{category}|{owner_id}"), sdk=sdk, party=party,
                               pi_categories=[category]))
    return out


def _resettable_instead(kb: KnowledgeBase) -> str:
    """The resettable identifiers a non-resettable one's finding proposes instead."""
    return join([phrase(kb.pi_categories[c].title) for c in kb.gbt41391.resettable], "or")


def _non_resettable(kb: KnowledgeBase, package: str, reads: tuple[list[ApiCall], list[Evidence], list[str]],
                    category: str, owner: tuple[str, str, str | None, str],
                    reach: tuple[str, Severity | None]) -> list[RuleHit]:
    """A read of an identifier GB/T 41391 Annex F counts as non-resettable, on the read's own subject and grade.

    ``reads``: the group's calls, their evidence, and a list holding the resettable identifiers to propose
    instead once the first such finding has named them."""
    row = kb.gbt41391.identifier(category)
    if row is None or row.resettable:
        return []
    group, evidence, named = reads
    if not named:
        named.append(_resettable_instead(kb))
    instead = named[0]
    who, owner_id, sdk, party = owner
    message = sentence(f"{who} reads {phrase(kb.pi_categories[category].title)}, which the user cannot reset "
                       f"({plural(len(group), 'place')}); a resettable identifier ({instead}) would serve.") + reach[0]
    return [finding(kb, "pi.non_resettable_id", package, message, evidence,
                    key=("non-resettable", f"{category}|{owner_id}"), sdk=sdk, party=party, pi_categories=[category],
                    confidence=Confidence.HIGH if any(c.resolved for c in group) else Confidence.LOW,
                    severity=reach[1], verified=row.verified)]


def _code_findings(context: Context) -> list[RuleHit]:
    """Loading code at run time, shell commands, JavaScript bridges: one finding per rule and code owner."""
    kb, targets = context.kb, api_targets(context.kb)
    groups: dict[tuple[str, str | None, str], list[Evidence]] = defaultdict(list)
    for site in context.index.sites:
        api = targets.by_ref.get(site.target)
        rule = code_rule(kb, api) if api and api.id != _REFLECTION else None
        if rule:
            owner = context.owners.of_method(site.caller)
            groups[(rule, owner.sdk, owner.party)].append(Evidence("dex", site.caller, site.target))
    out = []
    for (rule, sdk, party), evidence in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])):
        who = reader(kb, sdk, party)
        owner_id = owner_key(party, sdk)
        out.append(finding(kb, rule, context.facts.package,
                           sentence(f"{who}: {phrase(kb.rule(rule).title)} ({plural(len(evidence), 'place')})."),
                           evidence[:_EVIDENCE_MAX],
                           key=("code", f"{rule}|{owner_id}"), sdk=sdk, party=party,
                           confidence=Confidence.MEDIUM))
    return out
