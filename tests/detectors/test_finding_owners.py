"""A finding about SDK code or an SDK's manifest component never reads as the app's own ("First party")."""

from __future__ import annotations

import pytest

from scanner.model import Audit
from tests.conftest import APPS
from tests.detectors.conftest import audit_of

SDK_HEAVY = ("sdks.apk", "preconsent.apk", "provider_init.apk", "multidex.apk", "obfuscated.apk", "stub_sdk.apk")


def sdk_code_and_components(audit: Audit) -> dict[str, str]:
    """Caller methods and manifest components the scan itself attributes to an SDK -> that SDK."""
    owned = {c.caller: c.sdk for c in audit.api_calls if c.sdk}
    for hit in audit.sdks:
        owned.update({e.symbol: hit.id for e in hit.evidence if e.part == "manifest" and e.path != "meta-data"})
    return owned


@pytest.mark.parametrize("fixture", sorted({*APPS, *SDK_HEAVY}))
def test_findings_take_their_sdk_from_their_evidence(fixture: str) -> None:
    audit = audit_of(fixture, "short_video")  # an app type, so the necessary-information rules run too
    owned = sdk_code_and_components(audit)
    for f in audit.hits:
        owners = {owned[e.path] for e in f.evidence if e.path in owned} | {
            owned[e.symbol] for e in f.evidence if e.part == "manifest" and e.symbol in owned}
        if not owners:
            continue
        assert f.party != "app", (f.rule_id, f.message)
        if len(owners) == 1 and f.party == "sdk":
            assert f.sdk == next(iter(owners)), (f.rule_id, f.sdk, owners)
