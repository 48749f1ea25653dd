"""Against the rules: the SDK disclosure table, undisclosed SDK collection, and — given the
app's type — what it requests and reads beyond the necessary information for that type.

A category read counts as necessary when the type's necessary information names it,
a broader category, or a narrower one (``location`` covers ``location.coarse``).
"""

from __future__ import annotations

from collections import defaultdict

from scanner.analysis.detectors.base import Context, Results
from scanner.analysis.findings import finding
from scanner.analysis.targets import api_targets
from scanner.model import ApiCall, Confidence, DisclosureRow, Evidence, Finding
from signatures.model import AppCategory

ID = "compliance"
NEEDS: tuple[str, ...] = ("trackers", "api_calls")  # the disclosure table joins SDKs with what their code reads


def related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def detect(context: Context) -> Results:
    rows, findings = _disclosure(context)
    if context.category:
        findings += _necessary(context, context.kb.app_type(context.category))
    return Results(disclosure=tuple(rows), findings=tuple(findings))


def _disclosure(context: Context) -> tuple[list[DisclosureRow], list[Finding]]:
    kb, found = context.kb, context.found
    requested = {p.name for p in context.facts.apk.manifest.permissions}
    targets = api_targets(kb)
    calls: dict[str, list[ApiCall]] = defaultdict(list)
    for call in found.api_calls:
        if call.sdk:
            calls[call.sdk].append(call)
    started_early = {f.sdk for f in found.findings if f.rule_id == "consent.sdk_init_before_consent"}
    rows, findings = [], []
    for hit in found.sdks:
        if hit.stub:
            continue
        own = calls.get(hit.id, [])
        read = sorted({c.pi_category for c in own})
        needs = {n.name for c in own if (api := targets.by_ref.get(c.api)) for n in api.permissions}
        rows.append(DisclosureRow(
            sdk=hit.id, name=hit.name, vendor=hit.vendor, legal_entity=hit.legal_entity, purpose=hit.categories,
            pi_read=tuple(read), permissions=tuple(sorted(needs & requested)),
            pre_consent=hit.id in started_early or any(c.pre_consent for c in own), documented=hit.pi_collected,
        ))
        undisclosed = [c for c in read if hit.pi_collected and not any(related(c, d) for d in hit.pi_collected)]
        if undisclosed:
            findings.append(finding(
                kb, "sdk.undisclosed_collection", context.facts.package,
                f"{hit.name} reads {', '.join(undisclosed)}, which its vendor's disclosure does not list.",
                [Evidence("dex", c.caller, c.api) for c in own if c.pi_category in undisclosed][:12],
                key=("sdk-undisclosed", hit.id), sdk=hit.id, pi_categories=undisclosed, confidence=Confidence.MEDIUM))
    return rows, findings


def _necessary(context: Context, category: AppCategory) -> list[Finding]:
    kb, facts, found = context.kb, context.facts, context.found
    package = facts.package
    allowed_perms = category.necessary_permissions
    allowed_reads = category.necessary_api_categories
    out = []
    for p in facts.apk.manifest.permissions:
        info = kb.permission(p.name)
        if info and info.dangerous and p.name not in allowed_perms:
            out.append(finding(kb, "permission.beyond_necessary", package,
                               f"{p.name} serves none of the necessary information of a {category.name} app.",
                               [Evidence("manifest", "uses-permission", p.name)], key=("necessary-perm", p.name),
                               pi_categories=[info.pi_category]))
    beyond: dict[str, list[ApiCall]] = defaultdict(list)
    for call in found.api_calls:
        if not any(related(call.pi_category, n) for n in allowed_reads):
            beyond[call.pi_category].append(call)
    if not beyond:
        return out
    rule = "category.no_pi_needed" if category.needs_no_pi else "category.beyond_necessary"
    for pi, group in sorted(beyond.items()):
        who = sorted({c.sdk or "first-party code" for c in group})
        out.append(finding(kb, rule, package,
                           f"A {category.name} app ({category.npi}) does not need {pi}; read by {', '.join(who)}.",
                           [Evidence("dex", c.caller, c.api) for c in group[:12]], key=("necessary-pi", pi),
                           pi_categories=[pi]))
    return out
