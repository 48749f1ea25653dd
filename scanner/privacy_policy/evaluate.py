"""Precision and recall of ``compare`` on a folder of policies with a ``truth.toml`` (format: the README
of ``tests/fixtures/policies/``).

An app of the truth file is either described (its SDKs, reads and permissions, turned into scan values
here) or an APK, which the caller scans: this module never opens an APK, so it stays below the scan.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.model import ApiCall, Confidence, PermissionEntry, SdkHit
from scanner.privacy_policy.compare import compare
from scanner.privacy_policy.load import read_file
from scanner.privacy_policy.model import Policy, RawPolicy
from scanner.privacy_policy.read import read_policy
from signatures.model import KnowledgeBase


class TruthError(ValueError):
    """The truth file is malformed: the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Behaviour:
    """What the scan found in one app: the inputs of ``compare``, and its bundled policy if it has one."""

    package: str
    sdks: tuple[SdkHit, ...]
    api_calls: tuple[ApiCall, ...]
    permissions: tuple[PermissionEntry, ...]
    bundled: RawPolicy | None = None


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    policy: str  # a file of the folder; "bundled"; "" for no policy
    app: str
    expected: frozenset[str]  # "rule_id subject_key"


@dataclass(frozen=True, slots=True)
class TruthSet:
    folder: Path
    apps: Mapping[str, Mapping[str, Any]]
    cases: tuple[Case, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    case: Case
    found: frozenset[str]

    @property
    def missed(self) -> frozenset[str]:
        return self.case.expected - self.found

    @property
    def extra(self) -> frozenset[str]:
        return self.found - self.case.expected


@dataclass(frozen=True, slots=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    per_rule: Mapping[str, tuple[int, int, int]] = field(default_factory=dict)

    @staticmethod
    def ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    @property
    def precision(self) -> float:
        return self.ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return self.ratio(self.tp, self.tp + self.fn)


def load_truth(folder: Path) -> TruthSet:
    path = folder / "truth.toml"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TruthError(f"{path}: {exc}") from None
    apps = dict(doc.get("apps", {}))
    cases = [_flat_case(path, index, raw, apps) for index, raw in enumerate(doc.get("policy", []))]
    for index, raw in enumerate(doc.get("case", [])):
        app = raw.get("app")
        if app not in apps:
            raise TruthError(f"{path}: case {index + 1}: unknown app {app!r}")
        findings = raw.get("findings")
        if not isinstance(findings, list) or not all(isinstance(f, str) and " " in f for f in findings):
            raise TruthError(f"{path}: case {index + 1}: findings must be a list of 'rule_id subject_key'")
        policy = str(raw.get("policy", ""))
        name = str(raw.get("name", f"{policy or 'no policy'} × {app}"))
        cases.append(Case(name, policy, app, frozenset(" ".join(f.split()) for f in findings)))
    return TruthSet(folder, apps, tuple(cases))


def _flat_case(path: Path, index: int, raw: Mapping[str, Any], apps: dict[str, Any]) -> Case:
    """The one-app-per-policy form: ``[[policy]]`` with ``file``, ``sdks``, ``reads``, ``permissions`` and
    ``expected = [{rule, key}]`` (the hold-out set's form; reads carry no reader, so the app's)."""
    file = raw.get("file")
    expected = raw.get("expected")
    if not isinstance(file, str) or not isinstance(expected, list):
        raise TruthError(f"{path}: policy {index + 1}: needs 'file' and 'expected'")
    name = f"{file} (own app)"
    apps[name] = {"package": "com.example." + file.split(".")[0], "sdks": raw.get("sdks", []),
                  "reads": raw.get("reads", []), "permissions": raw.get("permissions", [])}
    found = frozenset(f"{e['rule']} {e.get('key', 'app')}" for e in expected)
    return Case(file, file, name, found)


def behaviour_from_spec(spec: Mapping[str, Any], kb: KnowledgeBase) -> Behaviour:
    """A described app as scan values: ``sdks`` (ids), ``reads`` ("category@owner", owner an SDK id or
    "app"), ``permissions`` (names)."""
    sdks = tuple(_sdk_hit(kb, s) for s in spec.get("sdks", []))
    calls = []
    for read in spec.get("reads", []):
        category, _, owner = read.partition("@")
        sdk = None if owner in ("", "app") else owner
        calls.append(ApiCall(api=f"<{category}>", api_id=category, pi_category=category,
                             caller=f"{owner or 'app'}.Caller.read()", sdk=sdk, pre_consent=False,
                             pre_consent_path=(), hidden=False, resolved=True, dex="classes.dex",
                             party="sdk" if sdk else "app"))
    perms = []
    for name in spec.get("permissions", []):
        info = kb.permission(name)
        perms.append(PermissionEntry(name, None, False, info.protection_level if info else None,
                                     info.pi_category if info else None, info.sensitive if info else None))
    return Behaviour(str(spec.get("package", "com.example.app")), sdks, tuple(calls), tuple(perms))


def _sdk_hit(kb: KnowledgeBase, sdk_id: str) -> SdkHit:
    s = kb.sdk(sdk_id)
    return SdkHit(id=s.id, name=s.name, name_cn=s.name_cn, vendor=s.vendor, legal_entity=s.legal_entity,
                  country=s.country, categories=s.categories, confidence=Confidence.HIGH, stub=False, classes=10,
                  bundled_by=(), pi_collected=s.pi_collected, website=s.website, evidence=())


def policy_of(truth: TruthSet, case: Case, app: Behaviour) -> Policy | None:
    if not case.policy:
        return None
    if case.policy == "bundled":
        return read_policy(app.bundled) if app.bundled else None
    return read_policy(read_file(truth.folder / case.policy))


def run(truth: TruthSet, kb: KnowledgeBase, scan_apk: Callable[[Path], Behaviour] | None = None) -> list[Outcome]:
    """Every case compared; ``scan_apk`` turns an app's ``apk`` (a path relative to the folder) into a
    ``Behaviour``; without it, cases on APK apps are skipped."""
    apps: dict[str, Behaviour] = {}
    outcomes = []
    for case in truth.cases:
        spec = truth.apps[case.app]
        if case.app not in apps:
            if "apk" in spec:
                if scan_apk is None:
                    continue
                apps[case.app] = scan_apk(truth.folder / str(spec["apk"]))
            else:
                apps[case.app] = behaviour_from_spec(spec, kb)
        app = apps[case.app]
        result = compare(policy_of(truth, case, app), app.sdks, app.api_calls, app.permissions, kb, app.package)
        outcomes.append(Outcome(case, frozenset(f"{h.rule_id} {h.subject.key}" if h.subject.kind != "app"
                                                 else h.rule_id + " app" for h in result.hits)))
    return outcomes


def score(outcomes: list[Outcome]) -> Score:
    per: dict[str, list[int]] = {}
    for out in outcomes:
        for item in out.case.expected | out.found:
            rule = item.split(" ", 1)[0]
            counts = per.setdefault(rule, [0, 0, 0])
            counts[0 if item in out.case.expected and item in out.found else 1 if item in out.found else 2] += 1
    tp, fp, fn = (sum(c[i] for c in per.values()) for i in range(3))
    return Score(tp, fp, fn, {k: (v[0], v[1], v[2]) for k, v in sorted(per.items())})
