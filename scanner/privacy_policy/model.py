"""A privacy policy as read, and what comparing it with the app found: frozen values, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model import RuleHit

HTML, TEXT, PDF = "text/html", "text/plain", "application/pdf"
MEDIA_TYPES = (HTML, TEXT, PDF)


@dataclass(frozen=True, slots=True)
class PolicySource:
    """Where the policy came from: ``bundled`` (an entry of one of the app's APKs), ``file`` or ``url``."""

    kind: str  # bundled | file | url
    location: str  # the entry name (``assets/privacy.html``), the path or the URL (after redirects)
    apk: str = ""  # bundled: the split that holds it ("base" …)
    reason: str = ""  # bundled: why this file was chosen (referenced from code, its name, its content)

    def __str__(self) -> str:
        return f"{self.apk}!{self.location}" if self.kind == "bundled" and self.apk else self.location


@dataclass(frozen=True, slots=True)
class RawPolicy:
    """The policy's bytes before reading, and their media type (one of ``MEDIA_TYPES``)."""

    source: PolicySource
    data: bytes
    media_type: str


@dataclass(frozen=True, slots=True)
class PolicyTable:
    """One table of the policy; ``roles`` name the columns of a third-party SDK table (name, entity…)."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    roles: tuple[tuple[str, int], ...] = ()  # (role, column): name | entity | data | purpose | link

    @property
    def is_sdk_table(self) -> bool:
        return any(role == "name" for role, _ in self.roles)

    def column(self, role: str) -> tuple[str, ...]:
        """The cells of the column with this role, one per row ("" where a row is short or has none)."""
        index = dict(self.roles).get(role)
        if index is None:
            return tuple("" for _ in self.rows)
        return tuple(row[index] if index < len(row) else "" for row in self.rows)


@dataclass(frozen=True, slots=True)
class Policy:
    """The policy's text as sentences (a table row is one sentence), with its language and tables."""

    source: PolicySource
    sha256: str  # of the bytes as loaded
    media_type: str
    language: str  # zh | en | und
    sentences: tuple[str, ...]
    tables: tuple[PolicyTable, ...] = ()
    truncated: bool = False  # the text was longer than the reading limit; the rest was not read


@dataclass(frozen=True, slots=True)
class Quote:
    """A sentence of the policy that holds a match: ``term`` is really in ``text``."""

    sentence: int
    text: str  # the sentence, or a window of it around the match when it is long
    term: str


@dataclass(frozen=True, slots=True)
class SdkCoverage:
    """Whether the policy names an SDK the app embeds, how, and where."""

    sdk: str
    name: str
    disclosed: bool
    how: str  # name | alias | vendor | entity | bundled (with a disclosed SDK that ships it) | ""
    quote: Quote | None


@dataclass(frozen=True, slots=True)
class CategoryCoverage:
    """Whether the policy mentions a kind of personal information the code reads, and who reads it."""

    category: str  # the lexicon's family (device_id), or the category itself when the lexicon has none
    read: tuple[str, ...]  # the categories the code reads (device_id.imei…)
    by: tuple[str, ...]  # who reads it: SDK ids, "app" for the app's own or unattributed code
    disclosed: bool | None  # None: the lexicon has no words for it, so it was not judged
    denied: bool  # the only mentions say it is not collected
    quote: Quote | None


@dataclass(frozen=True, slots=True)
class PermissionCoverage:
    """Whether the policy says why a sensitive permission the app requests is needed."""

    permission: str
    category: str
    purpose_stated: bool
    quote: Quote | None  # the sentence stating the purpose, else one naming the permission without it


@dataclass(frozen=True, slots=True)
class StaleMention:
    """An SDK the policy names that the app does not contain (the policy is out of date)."""

    sdk: str
    name: str
    quote: Quote


@dataclass(frozen=True, slots=True)
class PolicyResult:
    """Per SDK, category and permission: disclosed or not, with the sentence; and the rule hits."""

    policy: Policy | None
    sdks: tuple[SdkCoverage, ...] = ()
    categories: tuple[CategoryCoverage, ...] = ()
    permissions: tuple[PermissionCoverage, ...] = ()
    stale: tuple[StaleMention, ...] = ()
    hits: tuple[RuleHit, ...] = ()
