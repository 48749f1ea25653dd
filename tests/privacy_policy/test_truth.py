"""Every (policy, app) pair of tests/fixtures/policies/truth.toml gives exactly the findings it states."""

from __future__ import annotations

import pytest

from scanner.privacy_policy.compare import compare
from scanner.privacy_policy.evaluate import Behaviour, behaviour_from_spec, load_truth, policy_of, run, score
from scanner.privacy_policy.mentions import PolicyText
from signatures.model import KnowledgeBase
from tests.privacy_policy.conftest import POLICIES, scan_apk

TRUTH = load_truth(POLICIES)
_APPS: dict[str, Behaviour] = {}


def _app(name: str, kb: KnowledgeBase) -> Behaviour:
    if name not in _APPS:
        spec = TRUTH.apps[name]
        _APPS[name] = scan_apk(POLICIES / str(spec["apk"]), kb) if "apk" in spec else behaviour_from_spec(spec, kb)
    return _APPS[name]


def test_the_set_is_big_enough() -> None:
    policies = {c.policy for c in TRUTH.cases if c.policy not in ("", "bundled")}
    assert len(policies) >= 8
    assert {p.rsplit(".", 1)[1] for p in policies} == {"html", "txt"}


@pytest.mark.parametrize("case", TRUTH.cases, ids=[c.name for c in TRUTH.cases])
def test_exact_findings(case, kb: KnowledgeBase) -> None:  # type: ignore[no-untyped-def]
    app = _app(case.app, kb)
    policy = policy_of(TRUTH, case, app)
    result = compare(policy, app.sdks, app.api_calls, app.permissions, kb, app.package)
    found = {f"{h.rule_id} {h.subject.key}" if h.subject.kind != "app" else f"{h.rule_id} app" for h in result.hits}
    assert found == set(case.expected)
    if policy is None:
        return
    # quotes nothing false: every quoted sentence is the policy's, and holds the term it was quoted for
    sentences = "\n".join(policy.sentences)
    for hit in result.hits:
        for item in hit.evidence:
            if item.part == "policy":
                assert item.path == str(policy.source)
                assert item.symbol.strip("…") in sentences
    text = PolicyText(policy)
    for cov in (*result.sdks, *result.categories, *result.permissions, *result.stale):
        quote = cov.quote
        if quote is not None:
            assert quote.term and quote.term in quote.text
            assert quote.text.strip("…") in text.sentences[quote.sentence]


def test_bundled_fixture_gets_exactly_its_two_findings(kb: KnowledgeBase) -> None:
    app = _app("policy_zh", kb)
    assert app.bundled is not None
    assert app.bundled.source.location == "assets/privacy_policy.html"
    assert "opened by the app's code" in app.bundled.source.reason
    assert app.bundled.data == (POLICIES / "zh_bundled.html").read_bytes()  # the asset is the set's policy
    assert {s.id for s in app.sdks} >= {"umeng-analytics", "jiguang-jpush", "tencent-bugly"}
    case = next(c for c in TRUTH.cases if c.app == "policy_zh" and c.policy == "bundled")
    assert case.expected == {"policy.sdk_undisclosed tencent-bugly", "policy.pi_undisclosed installed_apps"}


def test_raw_resource_policy_beats_the_terms_page(kb: KnowledgeBase) -> None:
    app = _app("policy_en", kb)
    assert app.bundled is not None and app.bundled.source.location == "res/raw/privacy.txt"


def test_score_counts_misses_and_extras(kb: KnowledgeBase) -> None:
    outcomes = run(TRUTH, kb)  # APK apps skipped without a scanner
    assert outcomes and all(not o.missed and not o.extra for o in outcomes)
    one = next(o for o in outcomes if len(o.found) > 1)
    broken = type(one)(type(one.case)(one.case.name, one.case.policy, one.case.app,
                                      frozenset({"policy.missing app"})), one.found)
    s = score([broken])
    assert (s.tp, s.fp, s.fn) == (0, len(one.found), 1)
    assert s.precision == 0.0 and s.recall == 0.0
