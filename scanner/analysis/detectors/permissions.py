"""Requested permissions: what they expose, which look unused, which APIs lack theirs.

"Possibly excessive" means no catalogued API that needs the permission is
referenced anywhere in the code — a hint, not proof (the catalogue is not every
API). "Missing permission" means code calls an API whose permission the app does
not request: dead code, or a call that fails on the device. A call whose category
an argument decided (``ContentResolver.query`` of ``content://sms``) needs what that
argument rule names (READ_SMS) rather than the API's own list. A permission's own
rule (background location, SMS, special access…) comes from its ``rule`` in the
knowledge base.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from scanner.analysis.detectors.base import Context, Results
from scanner.analysis.findings import finding
from scanner.analysis.names import member, phrase
from scanner.analysis.ownership import MIXED, owner_key, party_of
from scanner.analysis.targets import api_targets
from scanner.model import ApiCall, Confidence, Evidence, RuleHit
from signatures.model import ApiSignature, KnowledgeBase, PermissionInfo

ID = "permissions"
NEEDS: tuple[str, ...] = ("api_calls",)  # hidden reads count as using a permission; call sites need theirs


def argument_needs(api: ApiSignature, call: ApiCall) -> tuple[str, ...]:
    """Permissions the argument rule that decided this call's category needs; empty when none decided it."""
    if call.hidden or not call.resolved or not api.argument_rules:
        return ()  # reflection names the member, not its argument; unresolved calls fall back to the API's list
    return api.argument_permissions(call.pi_category)


def _catalogued(kb: KnowledgeBase) -> frozenset[str]:
    """Permissions some catalogued API, or some argument of one, needs."""
    return frozenset({need.name for api in kb.apis for need in api.permissions}
                     | {p for api in kb.apis for rule in api.argument_rules for p in rule.permissions})


def _used_by_code(context: Context) -> set[str]:
    """Permissions that catalogued references in the code, or the arguments they are given, need.

    Each reference once, and each (API, category, hidden, resolved) once, since that is all the needs depend
    on: ~2.7k sites and ~2.3k calls are a few hundred distinct ones on bench/cache/store.apk (with ``_missing``
    deciding per distinct call too, this detector went 2.7 ms -> 0.9 ms).
    """
    targets = api_targets(context.kb)
    used: set[str] = set()
    refs = {s.target for s in context.index.sites} | {c.api for c in context.found.api_calls if c.hidden}
    for ref in refs:
        api = targets.by_ref.get(ref)
        if api:
            used.update(need.name for need in api.permissions)
    for call in _distinct_needs(context.found.api_calls):
        api = targets.by_ref.get(call.api)
        if api:
            used.update(argument_needs(api, call))
    return used


def _distinct_needs(calls: Iterable[ApiCall]) -> list[ApiCall]:
    """The first call of each (API, category, hidden, resolved): the fields ``argument_needs`` reads."""
    first: dict[tuple[str, str, bool, bool], ApiCall] = {}
    for c in calls:
        first.setdefault((c.api, c.pi_category, c.hidden, c.resolved), c)
    return list(first.values())


def detect(context: Context) -> Results:
    kb, manifest = context.kb, context.facts.apk.manifest
    used_by_code, catalogued = _used_by_code(context), _catalogued(kb)
    out: list[RuleHit] = []
    for p in manifest.permissions:
        info = kb.permission(p.name)
        if info is not None:
            out += _classified(context, p.name, info, used_by_code, catalogued)
    out += _missing(context, {p.name for p in manifest.permissions}, manifest.target_sdk)
    return Results(findings=tuple(out))


def _classified(context: Context, name: str, info: PermissionInfo, used_by_code: set[str],
                catalogued: frozenset[str]) -> list[RuleHit]:
    """What one requested permission exposes; every finding rests on the entry's classification."""
    kb, package = context.kb, context.facts.package
    evidence = [Evidence("manifest", "uses-permission", name)]
    key, verified, cats = ("permission", name), info.verified, [info.pi_category]
    out = []
    if info.dangerous:
        out.append(finding(kb, "permission.dangerous", package, f"Requests runtime permission {name}.",
                           evidence, key=key, pi_categories=cats, verified=verified))
    if info.sensitive == "yes":
        out.append(finding(kb, "permission.sensitive_pi", package,
                           f"{name} exposes sensitive personal information ({_pi(kb, info.pi_category)}).",
                           evidence, key=key, pi_categories=cats, verified=verified))
    declared_here = any(d.name == name for d in context.facts.apk.manifest.declared_permissions)
    if info.privileged and info.match == "exact" and not declared_here:
        out.append(finding(kb, "permission.privileged", package,
                           f"{name} is granted only to system apps; an ordinary app cannot hold it.",
                           evidence, key=key, verified=verified))
    if info.rule and all(f.rule_id != info.rule for f in out):
        out.append(finding(kb, info.rule, package, f"Requests {name}.", evidence, key=key, pi_categories=cats,
                           verified=verified))
    if info.dangerous and name in catalogued and name not in used_by_code:
        out.append(finding(kb, "permission.possibly_excessive", package,
                           f"{name} is requested but no catalogued API that needs it is called.",
                           evidence, key=key, confidence=Confidence.MEDIUM, pi_categories=cats, verified=verified))
    return out


def _pi(kb: KnowledgeBase, category: str) -> str:
    info = kb.pi_categories.get(category)
    return phrase(info.title) if info else category


def _missing(context: Context, requested: set[str], target_sdk: int) -> list[RuleHit]:
    """One finding per API (and per argument-decided need) whose permission the app does not request."""
    kb, package = context.kb, context.facts.package
    targets = api_targets(kb)
    groups: dict[tuple[str, tuple[str, ...], bool], list[ApiCall]] = defaultdict(list)  # (ref, needs, by arg) -> calls
    checked: dict[str, bool] = {}
    # (API, category, resolved) -> its group, or None when nothing is missing: decided once, not per call
    decided: dict[tuple[str, str, bool], tuple[str, tuple[str, ...], bool] | None] = {}
    for call in context.found.api_calls:
        if call.hidden:
            continue
        at = (call.api, call.pi_category, call.resolved)
        if at in decided:
            group = decided[at]
        else:
            group = decided[at] = None
            api = targets.by_ref.get(call.api)
            if api is not None:
                by_argument = argument_needs(api, call)
                needs = by_argument or tuple(n.name for n in api.permissions if n.applies(target_sdk))
                if needs and not set(needs) & requested:
                    group = decided[at] = (call.api, needs, bool(by_argument))
                    checked[call.api] = api.verified
        if group is not None:
            groups[group].append(call)
    out = []
    for (ref, needs, argument), calls in sorted(groups.items()):
        callers = sorted({c.caller for c in calls})
        party, sdk = party_of({(c.party, c.sdk) for c in calls})
        what = f"{member(ref)} with the argument it is given" if argument else member(ref)
        symbol = f"{ref}|{'|'.join(needs)}" if argument else ref  # the API's own need keeps its old fingerprint
        categories = {c.pi_category for c in calls}
        # one owner's read of one kind of information: the same problem as that read, so one finding
        read = f"{categories.pop()}|{owner_key(party, sdk)}" if len(categories) == 1 and party != MIXED else None
        out.append(finding(kb, "api.missing_permission", package,
                           f"{what} needs {' or '.join(needs)}, which the app does not request.",
                           [Evidence("dex", c, ref) for c in callers[:12]], key=("api", symbol),
                           subject=read, sdk=sdk, party=party, confidence=Confidence.MEDIUM, verified=checked[ref]))
    return out
