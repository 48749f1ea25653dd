"""The downloaded tracker regexes matched with RE2: same answers as Python's engine, in linear time."""

from __future__ import annotations

import pickle
import re
import subprocess
import sys

from signatures.regexset import MAX_INPUT, RegexSet
from tests.conftest import KB


def _texts() -> list[str]:
    """Hosts and class names to match: every domain and prefix the knowledge base knows, and near misses."""
    hosts = [d for s in KB.sdks for d in s.domains] + ["example.org", "ads.example.com", "cdn.mopub.com.evil.org"]
    classes = [p + ".Foo" for s in KB.sdks for p in s.prefixes] + [
        "com.x.LigatusManager", "a.S4MAnalytic", "com.sizmek.x.Y", "no.schibsted.a.B", "org.tealium.Core",
        "com.adswizz.c.D", "com.kochavaccpa.E", "com.kochava.F", "a.b.c"]
    return hosts + [h.upper() for h in hosts[:50]] + classes


def test_same_answers_as_pythons_engine_for_every_pattern() -> None:
    net = [s for s in KB.sdks if s.network_regex]
    code = [s for s in KB.sdks if s.code_regex]
    assert len(net) > 100 and code  # the Exodus list is in the bundled knowledge base
    for sdks, attr in ((net, "network_regex"), (code, "code_regex")):
        patterns = tuple(getattr(s, attr) for s in sdks)
        matcher = RegexSet(patterns)
        compiled = [re.compile(p) for p in patterns]
        hits = 0
        for text in _texts():
            expected = [i for i, p in enumerate(compiled) if p.search(text)]
            assert matcher.matches(text) == expected, (attr, text)
            hits += bool(expected)
        assert hits >= min(20, len(patterns)), attr  # the corpus really exercises the patterns


def test_the_knowledge_base_uses_it_for_hosts_and_classes() -> None:
    moat = next(s for s in KB.sdks if s.network_regex and "moatads" in s.network_regex)
    assert moat in KB.sdks_for_host("z.moatads.com.example")  # no exact domain: the regex decides
    assert KB.sdk_for_class("com.example.app.Main") is None


def test_linear_time_where_a_backtracking_engine_hangs() -> None:
    """``(a+)+$`` on 'aaa…b' takes Python's engine minutes; RE2 answers at once (run apart, with a timeout)."""
    probe = ("from signatures.regexset import RegexSet\n"
             "print(RegexSet((r'(a+)+$', r'x')).matches('a' * 40 + 'b'))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=20, check=True)
    assert out.stdout.strip() == "[]"


def test_inputs_are_cut_and_sets_pickle_as_patterns() -> None:
    matcher = RegexSet((r"tail$", r"^head"))
    assert matcher.matches("head" + "x" * MAX_INPUT + "tail") == [1]  # the tail lies past the cut
    copy = pickle.loads(pickle.dumps(matcher))  # noqa: S301  our own bytes, made on the line before
    assert copy.patterns == matcher.patterns and copy.matches("head") == [1]
    assert not RegexSet(()) and RegexSet(()).matches("anything") == []
