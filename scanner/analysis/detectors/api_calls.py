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
    for site in index.sites:
        if site.kind in ("method", "field") and (api := targets.by_ref.get(site.target)):
            behaviour = code_rule(kb, api) is not None  # reported by _code_findings; bare reflection is everywhere
            if behaviour and (api.id == _REFLECTION or not api.argument_rules):
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
    reach = context.reach
    owners = context.owners
    calls = sorted({
        ApiCall(api=api, api_id=api_id, pi_category=category, caller=caller,
                sdk=(owner := owners.of_method(caller)).sdk, pre_consent=reach.reached(caller),
                pre_consent_path=reach.path(caller) if reach.reached(caller) else (),
                hidden=hidden, resolved=resolved, dex=dex, party=owner.party, attribution=owner.rule)
        for api, api_id, category, caller, hidden, resolved, dex in _reads(context)
    }, key=lambda c: (c.pi_category, c.sdk or "", c.party, c.caller, c.api))
    findings = _pi_findings(kb, facts.package, calls, facts.apk.manifest.min_sdk) + _code_findings(context)
    return Results(api_calls=tuple(calls), findings=tuple(findings))


def reader(kb: KnowledgeBase, sdk: str | None, party: str) -> str:
    """Who reads, mid-sentence: an SDK by name, the app's own code, or code nobody could be named for."""
    if sdk:
        return f"SDK {kb.sdk(sdk).name}"
    return "first-party code" if party == APP else "unattributed code (neither the app's package nor a known SDK)"


def _evidence(calls: list[ApiCall]) -> list[Evidence]:
    return [Evidence("dex", c.caller, c.api) for c in calls[:_EVIDENCE_MAX]]


def _reach(kb: KnowledgeBase, calls: list[ApiCall], min_sdk: int) -> tuple[str, Severity | None]:
    """Where the reads return a value to an ordinary app, among the API levels this app installs on.

    ("", None) when some read works on the newest level; otherwise a clause for the message and, when no
    read works on any level the app supports, the lower severity (info): the call returns nothing there.
    """
    apis = {c.api_id for c in calls}
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
    out = []
    for (category, sdk, party), group in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])):
        info = kb.pi_categories.get(category)
        title = phrase(info.title if info else category)
        who = reader(kb, sdk, party)
        owner_id = owner_key(party, sdk)  # the app's key is "": its fingerprints predate SDK attribution
        resolved = any(c.resolved for c in group)
        confidence = Confidence.HIGH if resolved else Confidence.LOW
        rule = info.rule if info and info.rule else "pi.device_info"
        where, lowered = _reach(kb, group, min_sdk)
        out.append(finding(kb, rule, package,
                           sentence(f"{who} reads {title} in {plural(len(group), 'place')}.") + where,
                           _evidence(group), key=("pi", f"{category}|{owner_id}"), sdk=sdk, party=party,
                           pi_categories=[category], confidence=confidence, severity=lowered))
        out += _non_resettable(kb, package, group, category, (who, owner_id, sdk, party), (where, lowered))
        if sdk:
            out.append(finding(kb, "sdk.reads_pi", package, sentence(f"{who} reads {title}.") + where,
                               _evidence(group), key=("sdk-pi", f"{category}|{sdk}"), sdk=sdk,
                               pi_categories=[category], confidence=confidence, severity=lowered))
        early = [c for c in group if c.pre_consent]
        if early:
            path = chain(early[0].pre_consent_path)
            early_where, early_lowered = _reach(kb, early, min_sdk)
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


def _non_resettable(kb: KnowledgeBase, package: str, group: list[ApiCall], category: str,
                    owner: tuple[str, str, str | None, str], reach: tuple[str, Severity | None]) -> list[RuleHit]:
    """A read of an identifier GB/T 41391 Annex F counts as non-resettable, on the read's own subject and grade."""
    row = kb.gbt41391.identifier(category)
    if row is None or row.resettable:
        return []
    who, owner_id, sdk, party = owner
    instead = join([phrase(kb.pi_categories[c].title) for c in kb.gbt41391.resettable], "or")
    message = sentence(f"{who} reads {phrase(kb.pi_categories[category].title)}, which the user cannot reset "
                       f"({plural(len(group), 'place')}); a resettable identifier ({instead}) would serve.") + reach[0]
    return [finding(kb, "pi.non_resettable_id", package, message, _evidence(group),
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
