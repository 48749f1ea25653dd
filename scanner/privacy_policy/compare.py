"""The policy against the app's behaviour: which SDKs, kinds of personal information and permission
purposes it discloses, and the rule hits for what it does not (or names in vain).

Inputs are the scan's own results (``SdkHit``, ``ApiCall``, ``PermissionEntry``), so the lead can call
``compare`` from the detection stage, a re-match of stored facts, or a test with hand-made values.
"""

from __future__ import annotations

from collections.abc import Sequence

from scanner.analysis.findings import finding
from scanner.model import ApiCall, Confidence, Evidence, PermissionEntry, RuleHit, SdkHit
from scanner.privacy_policy.mentions import (
    PolicyText,
    family_of,
    find_category,
    find_sdk,
    named_sdks,
    sdk_terms,
)
from scanner.privacy_policy.model import (
    CategoryCoverage,
    PermissionCoverage,
    Policy,
    PolicyResult,
    Quote,
    SdkCoverage,
    StaleMention,
)
from signatures.model import KnowledgeBase, TrackerSignature

MAX_EVIDENCE = 3  # call sites or SDK signals shown per hit; the scan's own findings list them all


def compare(policy: Policy | None, sdks: Sequence[SdkHit], api_calls: Sequence[ApiCall],
            permissions: Sequence[PermissionEntry], kb: KnowledgeBase, package: str) -> PolicyResult:
    """Compare ``policy`` (None: no policy found or given) with what the scan found in ``package``."""
    if policy is None:
        hit = finding(kb, "policy.missing", package, "No privacy policy is bundled in the app and none was given, "
                      "so nothing states what the app and its SDKs collect.", (), key=("policy", "missing"))
        return PolicyResult(None, hits=(hit,))
    text = PolicyText(policy)
    not_names = frozenset(n.lower() for n in kb.policy_terms.not_sdk_names)
    where = str(policy.source)
    sdk_cov = _sdks(text, sdks, kb, not_names)
    cat_cov = _categories(text, api_calls, kb)
    perm_cov = _permissions(text, permissions, kb)
    stale = _stale(text, sdks, kb, not_names)
    hits = _hits(kb, package, where, sdks, api_calls, sdk_cov, cat_cov, perm_cov, stale)
    return PolicyResult(policy, tuple(sdk_cov), tuple(cat_cov), tuple(perm_cov), tuple(stale), tuple(hits))


def _hits(kb: KnowledgeBase, package: str, where: str, sdks: Sequence[SdkHit], api_calls: Sequence[ApiCall],
          sdk_cov: list[SdkCoverage], cat_cov: list[CategoryCoverage], perm_cov: list[PermissionCoverage],
          stale: list[StaleMention]) -> list[RuleHit]:
    """One hit per undisclosed SDK and category, permission without a purpose, and SDK named in vain."""
    by_id = {s.id: s for s in sdks}
    hits = [_sdk_hit(kb, package, by_id[cov.sdk]) for cov in sdk_cov if not cov.disclosed]
    calls_by_family: dict[str, list[ApiCall]] = {}
    for call in api_calls:
        family = family_of(call.pi_category, kb.policy_terms)
        if family:
            calls_by_family.setdefault(family, []).append(call)
    hits += [_pi_hit(kb, package, cat, calls_by_family[cat.category], where) for cat in cat_cov
             if cat.disclosed is False]
    hits += [_permission_hit(kb, package, perm, where) for perm in perm_cov if not perm.purpose_stated]
    hits += [finding(kb, "policy.sdk_stale", package,
                     f"The privacy policy names {mention.name}, which was not found in the app.",
                     (_quoted(where, mention.quote),), key=("policy", mention.sdk), subject=mention.sdk, party="app")
             for mention in stale]
    return hits


def _quoted(where: str, quote: Quote) -> Evidence:
    return Evidence("policy", where, quote.text)


def _signature(sdk: SdkHit, kb: KnowledgeBase) -> TrackerSignature:
    """The knowledge base's entry (it has the aliases), or one made from the hit for an SDK it lacks."""
    try:
        return kb.sdk(sdk.id)
    except KeyError:
        return TrackerSignature(sdk.id, sdk.name, sdk.vendor, sdk.categories, (), name_cn=sdk.name_cn,
                                legal_entity=sdk.legal_entity)


def _claims(text: PolicyText, sdks: Sequence[SdkHit], kb: KnowledgeBase, not_names: frozenset[str],
            ) -> dict[int, set[str]]:
    """Sentence -> the SDKs it names by name or alias (among ours and the app's)."""
    claimed: dict[int, set[str]] = {}
    for hit in named_sdks(text, _candidates(sdks, kb), not_names):
        claimed.setdefault(hit.match.sentence, set()).add(hit.sdk)
    return claimed


def _candidates(sdks: Sequence[SdkHit], kb: KnowledgeBase) -> list[TrackerSignature]:
    """appaudit's own SDK entries and the app's SDKs: the SDKs a policy is searched for by name.

    The imported tracker list is left out: it has plain English words for names ("Adjust", "Branch"),
    which a policy uses in their ordinary sense.
    """
    present = {s.id for s in sdks}
    out = [s for s in kb.sdks if s.origin == "appaudit" or s.id in present]
    known = {s.id for s in out}
    return out + [_signature(s, kb) for s in sdks if s.id not in known]


def _sdks(text: PolicyText, sdks: Sequence[SdkHit], kb: KnowledgeBase,
          not_names: frozenset[str]) -> list[SdkCoverage]:
    found: dict[str, SdkCoverage] = {}
    claimed = _claims(text, sdks, kb, not_names)
    for sdk in sorted(sdks, key=lambda s: s.id):
        named = find_sdk(text, _signature(sdk, kb), not_names, claimed)
        quote = text.quote(named[1]) if named else None
        found[sdk.id] = SdkCoverage(sdk.id, sdk.name, named is not None, named[0] if named else "", quote)
    for sdk in sdks:  # an SDK shipped inside a disclosed one (JCore inside JPush) is disclosed with it
        cov = found[sdk.id]
        carriers = [found[b] for b in _signature(sdk, kb).bundled_by if b in found and found[b].disclosed]
        if not cov.disclosed and carriers:
            found[sdk.id] = SdkCoverage(sdk.id, sdk.name, True, "bundled", carriers[0].quote)
    return [found[k] for k in sorted(found)]


def _categories(text: PolicyText, api_calls: Sequence[ApiCall], kb: KnowledgeBase) -> list[CategoryCoverage]:
    reads: dict[str, tuple[set[str], set[str]]] = {}
    for call in api_calls:
        info = kb.pi_categories.get(call.pi_category)
        if info is None or info.sensitive == "no":
            continue  # not personal information by itself: a policy need not name it
        family = family_of(call.pi_category, kb.policy_terms) or call.pi_category
        read, by = reads.setdefault(family, (set(), set()))
        read.add(call.pi_category)
        by.add(call.sdk or "app")
    out = []
    for family in sorted(reads):
        read, by = reads[family]
        if family not in kb.policy_terms.categories:
            out.append(CategoryCoverage(family, tuple(sorted(read)), tuple(sorted(by)), None, False, None))
            continue
        mention = find_category(text, family, kb.policy_terms)
        quote = text.quote(mention.match) if mention.match else None
        out.append(CategoryCoverage(family, tuple(sorted(read)), tuple(sorted(by)), mention.disclosed,
                                    mention.denied, quote))
    return out


def _permissions(text: PolicyText, permissions: Sequence[PermissionEntry], kb: KnowledgeBase,
                 ) -> list[PermissionCoverage]:
    # loaded with a policy to read: its ~60 purpose patterns took 1.4 ms of every scan's start, policy or not
    from scanner.privacy_policy.purposes import find_purpose

    out = []
    for entry in sorted(permissions, key=lambda p: p.name):
        info = kb.permission(entry.name)
        if info is None or not info.dangerous or info.sensitive == "no":
            continue  # only runtime permissions that expose personal information need a stated purpose
        family = family_of(info.pi_category, kb.policy_terms)
        stated, match = find_purpose(text, entry.name, family, kb.policy_terms)
        out.append(PermissionCoverage(entry.name, info.pi_category, stated, text.quote(match) if match else None))
    return out


def _stale(text: PolicyText, sdks: Sequence[SdkHit], kb: KnowledgeBase, not_names: frozenset[str],
           ) -> list[StaleMention]:
    """SDKs the policy names by a name or alias that is theirs alone, of which the app has none."""
    present = {s.id for s in sdks}
    candidates = _candidates(sdks, kb)
    shown: dict[str, StaleMention] = {}
    all_owners = _term_owners(candidates, not_names)
    for hit in named_sdks(text, candidates, not_names):
        who = all_owners.get(hit.term.lower(), {hit.sdk})
        if hit.sdk in present or who & present or len(who) > 1 or hit.sdk in shown:
            continue
        shown[hit.sdk] = StaleMention(hit.sdk, kb.sdk(hit.sdk).name, text.quote(hit.match))
    return [shown[k] for k in sorted(shown)]


def _term_owners(sdks: Sequence[TrackerSignature], not_names: frozenset[str]) -> dict[str, set[str]]:
    owners: dict[str, set[str]] = {}
    for sdk in sdks:
        for term, how in sdk_terms(sdk, not_names):
            if how in ("name", "alias"):
                owners.setdefault(term.lower(), set()).add(sdk.id)
    return owners


def _sdk_hit(kb: KnowledgeBase, package: str, sdk: SdkHit) -> RuleHit:
    confidence = Confidence.LOW if sdk.stub else (
        Confidence.MEDIUM if sdk.confidence == Confidence.LOW else Confidence.HIGH)
    names = " / ".join(n for n in (sdk.name, sdk.name_cn) if n)
    company = sdk.legal_entity or sdk.vendor
    message = (f"{names} ({company}) is in the app, but the privacy policy names neither the SDK nor its "
               "company.")
    return finding(kb, "policy.sdk_undisclosed", package, message, sdk.evidence[:MAX_EVIDENCE],
                   key=("policy", sdk.id), sdk=sdk.id, confidence=confidence, pi_categories=sdk.pi_collected)


def _display(kb: KnowledgeBase, sdk_id: str) -> str:
    """An SDK by the name people know, not its id."""
    try:
        return kb.sdk(sdk_id).name
    except KeyError:
        return sdk_id


def _pi_hit(kb: KnowledgeBase, package: str, cat: CategoryCoverage, calls: list[ApiCall], where: str) -> RuleHit:
    readers = ", ".join("the app's own code" if b == "app" else _display(kb, b) for b in cat.by)
    title = kb.pi_categories[cat.category].title if cat.category in kb.pi_categories else cat.category
    said = "says it is not collected" if cat.denied else "never mentions it"
    message = f"{title} is read by {readers}, but the privacy policy {said}."
    evidence = [Evidence("dex", c.caller, c.api) for c in sorted(  # as every read's evidence: caller, API
        calls, key=lambda c: (c.caller, c.api))[:MAX_EVIDENCE]]
    if cat.denied and cat.quote is not None:
        evidence.append(_quoted(where, cat.quote))
    sdk_readers = [b for b in cat.by if b != "app"]
    party = "app" if not sdk_readers else ("sdk" if len(sdk_readers) == len(cat.by) else "mixed")
    confidence = Confidence.HIGH if any(c.resolved or not c.hidden for c in calls) else Confidence.MEDIUM
    return finding(kb, "policy.pi_undisclosed", package, message, evidence, key=("policy", cat.category),
                   sdk=sdk_readers[0] if len(cat.by) == 1 and sdk_readers else None, pi_categories=cat.read,
                   party=party, confidence=confidence)


def _permission_hit(kb: KnowledgeBase, package: str, perm: PermissionCoverage, where: str) -> RuleHit:
    evidence = [Evidence("manifest", "AndroidManifest.xml", f"uses-permission {perm.permission}")]
    if perm.quote is not None:
        evidence.append(_quoted(where, perm.quote))
        message = f"The privacy policy names {perm.permission} but states no purpose for it."
    else:
        message = f"The app requests {perm.permission}, and the privacy policy states no purpose for it."
    # low confidence: policies state purposes in many shapes (tables, headings, clauses) that sentence-level
    # matching misses; on a hold-out set written without seeing the engine, most of these hits were wrong
    return finding(kb, "policy.permission_purpose_missing", package, message, evidence,
                   key=("manifest", perm.permission), pi_categories=(perm.category,), confidence=Confidence.LOW)
