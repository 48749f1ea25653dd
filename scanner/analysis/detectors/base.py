"""What detectors see and what they return.

A detector is a module with an ``ID``, the ``NEEDS`` it reads and a pure
``detect(context) -> Results``. ``context.found`` holds the results of the detectors
it declared, and only those: reading anything else would depend on run order. The
engine records a crash as an error of that app and skips the detectors that needed
the one that failed, since they would report on missing input (for example
"possibly excessive" permissions when no call site was searched).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Protocol

from scanner.model import ApiCall, DisclosureRow, Endpoint, PrivacyPolicyInfo, RuleHit, ScanError, SdkHit

if TYPE_CHECKING:
    from scanner.analysis.facts import AppFacts
    from scanner.analysis.index import CodeIndex
    from scanner.analysis.ownership import Ownership
    from scanner.analysis.reachability import PreConsent
    from signatures.model import KnowledgeBase


@dataclass(frozen=True, slots=True)
class Results:
    sdks: tuple[SdkHit, ...] = ()
    api_calls: tuple[ApiCall, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    findings: tuple[RuleHit, ...] = ()
    disclosure: tuple[DisclosureRow, ...] = ()
    incomplete: tuple[ScanError, ...] = ()  # why the analysis cannot be complete (packed…)
    policy: tuple[PrivacyPolicyInfo, ...] = ()  # the privacy policy's coverage (one, or none)

    def merge(self, other: Results) -> Results:
        return Results(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Results)))


@dataclass(frozen=True, slots=True)
class Context:
    facts: AppFacts
    kb: KnowledgeBase
    index: CodeIndex
    reach: PreConsent
    owners: Ownership  # who owns each package: every detector attributes code through it
    category: str | None = None  # app type to check necessary information against
    found: Results = field(default_factory=Results)  # what the declared NEEDS found


class Detector(Protocol):
    ID: str
    NEEDS: tuple[str, ...]

    def detect(self, context: Context) -> Results: ...
