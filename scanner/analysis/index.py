"""Where code uses what: one bytecode pass for every detector, then dictionary look-ups."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from scanner.analysis.facts import AppFacts
from scanner.analysis.targets import ApiTargets
from scanner.dex.dexset import CallSite, DexSet


@dataclass(frozen=True, slots=True)
class CodeIndex:
    sites: tuple[CallSite, ...]
    by_target: dict[str, tuple[CallSite, ...]]
    by_caller: dict[str, frozenset[str]]

    def callers_of(self, target: str) -> tuple[CallSite, ...]:
        return self.by_target.get(target, ())

    def uses(self, caller: str) -> frozenset[str]:
        return self.by_caller.get(caller, frozenset())


def build_index(facts: AppFacts, dex: DexSet, targets: ApiTargets) -> CodeIndex:
    strings = targets.strings | {u.string for u in facts.urls if u.source == "dex"}
    return index_of(dex.call_sites(targets.methods, targets.fields, strings))


def index_of(sites: Iterable[CallSite]) -> CodeIndex:
    sites = tuple(sites)
    by_target: dict[str, list[CallSite]] = defaultdict(list)
    by_caller: dict[str, set[str]] = defaultdict(set)
    for site in sites:
        by_target[site.target].append(site)
        by_caller[site.caller].add(site.target)
    return CodeIndex(sites, {k: tuple(v) for k, v in by_target.items()},
                     {k: frozenset(v) for k, v in by_caller.items()})
