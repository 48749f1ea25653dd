"""Against the rules: the SDK disclosure table, undisclosed SDK collection, and — given the
app's type — what it requests and reads beyond the necessary information for that type.

A category read counts as necessary when the type's necessary information names it,
a broader category, or a narrower one (``location`` covers ``location.coarse``). A
permission the type commonly uses for its basic function (the camera of a photo app:
``expected_permissions``) is not flagged. Findings quote the rule's own wording for the
type and its necessary items; those that rest on an unverified entry (an app type whose
item list was not read in full, an SDK whose disclosure was not re-read) are one
confidence step lower.
"""

from __future__ import annotations

from collections import defaultdict

from scanner.analysis.detectors.api_calls import reader
from scanner.analysis.detectors.base import Context, Results
from scanner.analysis.detectors.permissions import argument_needs
from scanner.analysis.findings import finding
from scanner.analysis.names import article, join, phrase, sentence
from scanner.analysis.ownership import party_of
from scanner.analysis.targets import api_targets
from scanner.model import ApiCall, Confidence, DisclosureRow, Evidence, RuleHit
from signatures.model import AppCategory, KnowledgeBase

ID = "compliance"
NEEDS: tuple[str, ...] = ("trackers", "api_calls")  # the disclosure table joins SDKs with what their code reads


def _pi(kb: KnowledgeBase, category: str) -> str:
    """An information category mid-sentence, by its title (``installed_apps`` → ``list of installed apps``)."""
    info = kb.pi_categories.get(category)
    return phrase(info.title) if info else category


def related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def detect(context: Context) -> Results:
    rows, findings = _disclosure(context)
    if context.category:
        app_type = context.kb.app_type(context.category)
        findings += _necessary(context, app_type) + _low_relevance(context, app_type)
    return Results(disclosure=tuple(rows), findings=tuple(findings))


def _disclosure(context: Context) -> tuple[list[DisclosureRow], list[RuleHit]]:
    kb, found = context.kb, context.found
    requested = {p.name for p in context.facts.apk.manifest.permissions}
    targets = api_targets(kb)
    calls: dict[str, list[ApiCall]] = defaultdict(list)
    for call in found.api_calls:
        if call.sdk:
            calls[call.sdk].append(call)
    rows, findings = [], []
    for hit in found.sdks:
        if hit.stub:
            continue
        own = calls.get(hit.id, [])
        read = sorted({c.pi_category for c in own})
        needs = {n for c in own if (api := targets.by_ref.get(c.api))
                 for n in (*(r.name for r in api.permissions), *argument_needs(api, c))}
        rows.append(DisclosureRow(
            sdk=hit.id, name=hit.name, vendor=hit.vendor, legal_entity=hit.legal_entity, purpose=hit.categories,
            pi_read=tuple(read), permissions=tuple(sorted(needs & requested)),
            pre_consent=hit.starts_before_consent or any(c.pre_consent for c in own), documented=hit.pi_collected,
            version=hit.version,
        ))
        undisclosed = [c for c in read if hit.pi_collected and not any(related(c, d) for d in hit.pi_collected)]
        if undisclosed:
            findings.append(finding(
                kb, "sdk.undisclosed_collection", context.facts.package,
                f"{hit.name} reads {join(_pi(kb, c) for c in undisclosed)}, "
                "which its vendor's disclosure does not list.",
                [Evidence("dex", c.caller, c.api) for c in own if c.pi_category in undisclosed][:12],
                key=("sdk-undisclosed", hit.id), sdk=hit.id, pi_categories=undisclosed, confidence=Confidence.MEDIUM,
                verified=kb.sdk(hit.id).verified))
    return rows, findings


def necessary_text(category: AppCategory) -> str:
    """What the rules say a type needs, by who provides it: only device items can be read from the device."""
    if category.needs_no_pi:
        return "needs no personal information"
    origins = (("device", "read from the device"), ("user", "typed in by the user"),
               ("service", "produced by the service"))
    parts = [f"{label}: {join(i.item for i in category.necessary if i.origin == origin)}"
             for origin, label in origins if any(i.origin == origin for i in category.necessary)]
    return "needs " + "; ".join(parts)


def _necessary(context: Context, category: AppCategory) -> list[RuleHit]:
    kb, facts, found = context.kb, context.facts, context.found
    package = facts.package
    allowed_perms = category.necessary_permissions | set(category.expected_permissions)
    allowed_reads = category.necessary_api_categories
    label = f"{category.name} app ({category.name_cn}, {category.npi})"
    needs = f"its basic function ({category.basic_function}) {necessary_text(category)}"
    out = []
    for p in facts.apk.manifest.permissions:
        info = kb.permission(p.name)
        if info and info.dangerous and p.name not in allowed_perms:
            out.append(finding(kb, "permission.beyond_necessary", package,
                               f"{p.name} serves none of the necessary information of {article(label)}: {needs}.",
                               [Evidence("manifest", "uses-permission", p.name)], key=("necessary-perm", p.name),
                               pi_categories=[info.pi_category], verified=category.verified and info.verified))
    beyond: dict[str, list[ApiCall]] = defaultdict(list)
    for call in found.api_calls:
        if not any(related(call.pi_category, n) for n in allowed_reads):
            beyond[call.pi_category].append(call)
    if not beyond:
        return out
    rule = "category.no_pi_needed" if category.needs_no_pi else "category.beyond_necessary"
    for pi, group in sorted(beyond.items()):
        who = sorted({reader(kb, c.sdk, c.party) for c in group})
        party, sdk = party_of({(c.party, c.sdk) for c in group})
        out.append(finding(kb, rule, package,
                           sentence(f"{article(label)} does not need {_pi(kb, pi)}; read by {join(who)}. "
                                    f"The rules: {needs}."),
                           [Evidence("dex", c.caller, c.api) for c in group[:12]], key=("necessary-pi", pi),
                           sdk=sdk, party=party, pi_categories=[pi], verified=category.verified))
    return out


def _low_relevance(context: Context, category: AppCategory) -> list[RuleHit]:
    """Requested permissions GB/T 41391 Annex E rates of low relevance to the type, with its Annex A scope."""
    kb, gbt = context.kb, context.kb.gbt41391
    row = gbt.low_relevance_for(category.id)
    if row is None:
        return []
    scope = gbt.scope(category.id)
    needs = (f"Annex A's necessary information for it: {join(scope.items)}" if scope and scope.items
             else "Annex A lists no necessary information for it")
    verified = row.verified and (scope is None or scope.verified)
    label = f"{category.name} app ({category.name_cn})"
    out = []
    for p in context.facts.apk.manifest.permissions:
        if p.name in row.permissions:
            info = kb.permission(p.name)
            out.append(finding(kb, "permission.low_relevance", context.facts.package,
                               sentence(f"GB/T 41391 Annex E rates {p.name} of low relevance to {article(label)}; "
                                        f"{needs}."),
                               [Evidence("manifest", "uses-permission", p.name)], key=("low-relevance", p.name),
                               pi_categories=[info.pi_category] if info else [], verified=verified))
    return out
