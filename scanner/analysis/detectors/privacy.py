"""The privacy policy against the code: SDKs, information and permission purposes it leaves out.

The comparison is ``scanner.privacy_policy.compare``; this detector feeds it what the trackers and
api_calls detectors found and keeps the policy's coverage for the reports. With no policy it reports
``policy.missing`` only for an app that reads personal information or embeds an SDK (an app with
nothing to disclose needs no comparison), and only as low: most apps show their policy from a server,
which a static scan cannot see, so the finding asks for it (--privacy-policy) rather than accuses.
"""

from __future__ import annotations

import dataclasses

from scanner.analysis.detectors.base import Context, Results
from scanner.model import Confidence, Evidence, PermissionEntry, PolicyCheck, PrivacyPolicyInfo, RuleHit, Severity
from scanner.privacy_policy.compare import compare
from scanner.privacy_policy.model import PolicyResult, Quote

ID = "privacy_policy"
NEEDS: tuple[str, ...] = ("trackers", "api_calls")


def detect(context: Context) -> Results:
    facts, kb, found = context.facts, context.kb, context.found
    sdks = tuple(s for s in found.sdks if not s.stub)
    if facts.policy is None and not sdks and not found.api_calls:
        return Results()
    permissions = [PermissionEntry(p.name, p.max_sdk, p.only_sdk23, None, None, None)
                   for p in facts.apk.manifest.permissions]
    result = compare(facts.policy, sdks, found.api_calls, permissions, kb, facts.package)
    if facts.policy is None:
        hits = tuple(_unseen(h) for h in result.hits)
        return Results(findings=hits)
    return Results(findings=result.hits, policy=(_info(result),))


def _unseen(hit: RuleHit) -> RuleHit:
    return dataclasses.replace(
        hit, severity=min(hit.severity, Severity.LOW), confidence=Confidence.LOW,
        evidence=(Evidence("apk", "assets, res/raw", "no file reads as a privacy policy"),),
        message="No privacy policy is bundled in the app and none was given: if the app shows one from its "
                "server, give it with --privacy-policy PATH|URL to compare it with the code.")


def _text(quote: Quote | None) -> str:
    return quote.text if quote is not None else ""


def _info(result: PolicyResult) -> PrivacyPolicyInfo:
    policy = result.policy
    if policy is None:
        raise ValueError("a policy's coverage needs a policy")  # detect() returns earlier without one
    checks = [PolicyCheck("sdk", c.sdk, c.disclosed, c.how, _text(c.quote)) for c in result.sdks]
    checks += [PolicyCheck("category", c.category, c.disclosed, "denied" if c.denied else "", _text(c.quote), c.by)
               for c in result.categories]
    checks += [PolicyCheck("permission", c.permission, c.purpose_stated, "", _text(c.quote))
               for c in result.permissions]
    checks += [PolicyCheck("stale", m.sdk, True, "", _text(m.quote)) for m in result.stale]
    source = policy.source
    return PrivacyPolicyInfo(source.kind, str(source), source.reason, policy.sha256, policy.media_type,
                             policy.language, len(policy.sentences), policy.truncated, tuple(checks))
