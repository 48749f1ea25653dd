"""What a policy names: SDKs (by name, alias, vendor, legal entity), personal information (by the
lexicon of ``policy_terms.toml``); ``purposes.py`` finds the purposes stated for permissions.

Matching is by substring over the policy's sentences, case-insensitive for Latin letters, and a Latin
term matches only as a whole word ("contacts" is not in "contact us"). Every match keeps the sentence
it was found in, and a quote is cut from that sentence around the match, so a quote always holds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from scanner.privacy_policy.model import Policy, Quote
from signatures.model import PolicyTerms, TrackerSignature

QUOTE_MAX = 300
_WINDOW = 120
_ASCII_LOWER = {c: c + 32 for c in range(65, 91)}
_CLAUSE_MARKS = re.compile(r"[，,；;。:：!?！？()（）]")
_PARENS = re.compile(r"\s*[(（][^)）]*[)）]")


def lower(text: str) -> str:
    """ASCII letters lower-cased only, so offsets stay those of the original text."""
    return text.translate(_ASCII_LOWER)


def _is_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True, slots=True)
class Match:
    sentence: int
    start: int  # offsets in the sentence
    end: int


class PolicyText:
    """The policy's sentences, searchable for terms."""

    def __init__(self, policy: Policy) -> None:
        self.sentences = policy.sentences
        self.tables = policy.tables
        self._lower = tuple(lower(s) for s in policy.sentences)
        self._joined = "\n".join(self._lower)
        self._starts: list[int] = []
        at = 0
        for sentence in self._lower:
            self._starts.append(at)
            at += len(sentence) + 1

    def find(self, term: str) -> Iterator[Match]:
        """Every whole-word occurrence of ``term``, in order."""
        needle = lower(term)
        if not needle:
            return
        edge_start, edge_end = _is_word(needle[0]), _is_word(needle[-1])
        joined, at, index = self._joined, 0, 0
        while (at := joined.find(needle, at)) >= 0:
            end = at + len(needle)
            if not ((edge_start and at > 0 and _is_word(joined[at - 1]))
                    or (edge_end and end < len(joined) and _is_word(joined[end]))):
                while index + 1 < len(self._starts) and self._starts[index + 1] <= at:
                    index += 1
                yield Match(index, at - self._starts[index], end - self._starts[index])
            at += 1

    def first(self, terms: Iterable[str]) -> Match | None:
        found = [m for t in terms if (m := next(self.find(t), None)) is not None]
        return min(found, key=lambda m: (m.sentence, m.start)) if found else None

    def quote(self, match: Match) -> Quote:
        """The sentence holding ``match``, or a window of it around the match when it is long."""
        sentence = self.sentences[match.sentence]
        term = sentence[match.start:match.end]
        if len(sentence) <= QUOTE_MAX:
            return Quote(match.sentence, sentence, term)
        lo, hi = max(0, match.start - _WINDOW), min(len(sentence), match.end + _WINDOW)
        text = ("…" if lo else "") + sentence[lo:hi] + ("…" if hi < len(sentence) else "")
        return Quote(match.sentence, text, term)

    def clause_before(self, match: Match) -> str:
        """The clause holding the match, up to the match: where a denial (不会收集…) would stand."""
        sentence = self._lower[match.sentence]
        head = sentence[:match.start]
        marks = list(_CLAUSE_MARKS.finditer(head))
        return head[marks[-1].end():] if marks else head

    def sentence_lower(self, index: int) -> str:
        return self._lower[index]


def _usable(term: str, not_names: frozenset[str]) -> bool:
    term = term.strip()
    if lower(term) in not_names:
        return False
    return len(term) >= (3 if term.isascii() else 2)


def sdk_terms(sdk: TrackerSignature, not_names: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """(term, how) in the order they are tried: names first (``name``, ``alias``), then the company."""
    named = [(_PARENS.sub("", sdk.name).strip(), "name"), (sdk.name_cn, "name"),
             *((a, "alias") for a in sdk.aliases)]
    company = [(_PARENS.sub("", sdk.vendor).strip(), "vendor"), (sdk.legal_entity, "entity")]
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for term, how in (*named, *company):
        key = lower(term.strip())
        if term and key not in seen and _usable(term, not_names):
            seen.add(key)
            out.append((term.strip(), how))
    return tuple(out)


def find_sdk(text: PolicyText, sdk: TrackerSignature, not_names: frozenset[str],
             claimed: Mapping[int, set[str]] | None = None) -> tuple[str, Match] | None:
    """How the policy names ``sdk`` and where: the first name or alias, else the first company mention in a
    sentence that names no other SDK (``claimed``: sentence -> SDKs named there), because in a table row
    "腾讯Bugly | 深圳市腾讯计算机系统有限公司" the company is Bugly's, not every Tencent SDK's."""
    terms = sdk_terms(sdk, not_names)
    claimed = claimed or {}
    kinds: tuple[str, ...]
    for kinds in (("name", "alias"), ("vendor", "entity")):
        weak = "vendor" in kinds
        found = [(m, how) for term, how in terms if how in kinds for m in text.find(term)
                 if not weak or claimed.get(m.sentence, set()) <= {sdk.id}]
        if found:
            match, how = min(found, key=lambda item: (item[0].sentence, item[0].start))
            return how, match
    return None


@dataclass(frozen=True, slots=True)
class NameHit:
    sdk: str
    term: str
    match: Match


def named_sdks(text: PolicyText, sdks: Iterable[TrackerSignature], not_names: frozenset[str]) -> list[NameHit]:
    """Every place a name or alias of one of ``sdks`` occurs, minus those inside a longer name's match
    ("友盟" inside "友盟推送" names the push SDK, not every Umeng SDK)."""
    hits = [NameHit(s.id, term, m) for s in sdks for term, how in sdk_terms(s, not_names)
            if how in ("name", "alias") for m in text.find(term)]
    spans = {(h.match.sentence, h.match.start, h.match.end) for h in hits}
    return [h for h in hits if not any(
        s == h.match.sentence and a <= h.match.start and h.match.end <= b and (a, b) != (h.match.start, h.match.end)
        for s, a, b in spans)]


def family_of(category: str, terms: PolicyTerms) -> str | None:
    """The lexicon's family for a category: itself or its nearest dotted parent that has terms."""
    name = category
    while name:
        if name in terms.categories:
            return name
        name = name.rpartition(".")[0]
    return None


@dataclass(frozen=True, slots=True)
class CategoryMention:
    disclosed: bool
    denied: bool
    match: Match | None


def find_category(text: PolicyText, family: str, terms: PolicyTerms) -> CategoryMention:
    """Disclosed: a term of the family outside a denial; denied: every mention is in a denial."""
    cues = tuple(lower(c) for c in terms.negation_cues)
    first_denied: Match | None = None
    found = sorted((m for t in terms.categories[family] for m in text.find(t)), key=lambda m: (m.sentence, m.start))
    for match in found:
        clause = text.clause_before(match)
        if any(cue in clause for cue in cues):
            first_denied = first_denied or match
            continue
        return CategoryMention(True, False, match)
    return CategoryMention(False, first_denied is not None, first_denied)
