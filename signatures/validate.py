"""Cross-file checks: every reference resolves, and no SDK signature is over-broad."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from signatures.model import KnowledgeBase, KnowledgeBaseError

# The forms a regulation reference id may take (checked on every id references.toml defines).
REF_PATTERN = re.compile(
    r"^(CAC2019-[1-6]\.\d{1,2}|NPI2021-(\d{2}|4)|MIIT164-\d{1,2}|MIIT337-\d|MIIT2023|MIIT2021D"
    r"|CAC2026D-[a-z-]+|PIPL-\d{1,2}(/\d{1,2})?|GBT35273-[\dA-D][\d.]*|GBT41391-[\dA-F][\d.]*|GBT43435"
    r"|TC260-PG-2020[45]A|TTAF078-\d{1,2}|GDPR-\d{1,2}(\.\d[a-z]?)?(/\d{1,2})?|ePD-5\.3|GP-[A-Z0-9-]+)$"
)
_SEGMENT = re.compile(r"^[A-Za-z_$][\w$-]*$")


def _check_refs(file: str, entry: str, what: str, values: Iterable[str], known: Mapping[str, object]) -> None:
    for value in values:
        if value not in known:
            raise KnowledgeBaseError(file, entry, f"unknown {what} {value!r}")


def _check_prefixes(kb: KnowledgeBase, files: Mapping[str, str], umbrella: frozenset[str]) -> None:
    owner: dict[str, tuple[str, str]] = {}
    for sdk in kb.sdks:
        file = files[sdk.id]
        for prefix in sdk.prefixes:
            segments = prefix.split(".")
            if len(segments) < 2 or not all(_SEGMENT.match(s) for s in segments):
                raise KnowledgeBaseError(file, sdk.id, f"over-broad or malformed prefix {prefix!r} "
                                         "(needs at least two package segments, no trailing dot)")
            if prefix in umbrella:
                raise KnowledgeBaseError(file, sdk.id, f"over-broad prefix {prefix!r}: it is the root of "
                                         "many unrelated libraries; claim a finer package")
            if prefix in owner and owner[prefix][1] != sdk.vendor:
                other, vendor = owner[prefix]
                raise KnowledgeBaseError(file, sdk.id, f"prefix {prefix!r} is also claimed by {other!r} "
                                         f"of another vendor ({vendor!r} vs {sdk.vendor!r})")
            owner.setdefault(prefix, (sdk.id, sdk.vendor))


def _check_sdks(kb: KnowledgeBase, files: Mapping[str, str], ids: Mapping[str, str]) -> None:
    for sdk in kb.sdks:
        file = files[sdk.id]
        _check_refs(file, sdk.id, "SDK category", sdk.categories, kb.sdk_categories)
        _check_refs(file, sdk.id, "personal-information category", sdk.pi_collected, kb.pi_categories)
        _check_refs(file, sdk.id, "bundled_by SDK", sdk.bundled_by, ids)
        if sdk.id in sdk.bundled_by:
            raise KnowledgeBaseError(file, sdk.id, "an SDK cannot be bundled by itself")


def _check_apis(kb: KnowledgeBase) -> None:
    pis, perms = kb.pi_categories, kb.permissions
    for api in kb.apis:
        _check_refs("apis.toml", api.id, "personal-information category", [api.category], pis)
        _check_refs("apis.toml", api.id, "permission", [p.name for p in api.permissions], perms)
        _check_refs("apis.toml", api.id, "rule", [api.rule] if api.rule else [], kb.rules)
        for arg in api.argument_rules:
            _check_refs("apis.toml", api.id, "personal-information category", [arg.category], pis)
            _check_refs("apis.toml", api.id, "permission", arg.permissions, perms)
    for const in kb.constants:
        _check_refs("apis.toml", const.value, "personal-information category", [const.category], pis)


def _check_categories(kb: KnowledgeBase) -> None:
    """References resolve, and only an item read from the device names what on the device serves it."""
    for cat in kb.categories.values():
        for item in cat.necessary:
            if item.origin != "device" and (item.permissions or item.api_categories):
                raise KnowledgeBaseError("categories.toml", cat.id, f"item {item.item!r} is not read from the device "
                                         f"(origin {item.origin!r}) but lists permissions or API categories")
            _check_refs("categories.toml", cat.id, "permission", item.permissions, kb.permissions)
            _check_refs("categories.toml", cat.id, "personal-information category", item.api_categories,
                        kb.pi_categories)
        _check_refs("categories.toml", cat.id, "permission", cat.expected_permissions, kb.permissions)


def _check_gbt41391(kb: KnowledgeBase) -> None:
    """Annex rows name a known app type, exact permission names and known pi categories."""
    file, gbt = "gbt41391.toml", kb.gbt41391
    for scope in gbt.necessary:
        _check_refs(file, scope.app_type, "app type", [scope.app_type], kb.categories)
    for row in gbt.low_relevance:
        _check_refs(file, row.app_type, "app type", [row.app_type], kb.categories)
        _check_refs(file, row.app_type, "permission", row.permissions,
                    {n: p for n, p in kb.permissions.items() if p.match == "exact"})
    for ident in gbt.identifiers:
        _check_refs(file, ident.category, "personal-information category", [ident.category], kb.pi_categories)


def _check_policy_terms(kb: KnowledgeBase) -> None:
    """The lexicon names only known categories and permissions, so a typo cannot silently never match."""
    terms = kb.policy_terms
    _check_refs("policy_terms.toml", "category", "personal-information category", terms.categories, kb.pi_categories)
    _check_refs("policy_terms.toml", "permission", "permission", terms.permissions, kb.permissions)


def _check_cited(kb: KnowledgeBase) -> None:
    """Every reference a rule or an app type cites is defined (document, clause, summaries) in references.toml."""
    cited = [("rules.toml", r.id, r.refs) for r in kb.rules.values()]
    cited += [("categories.toml", c.id, (c.npi,)) for c in kb.categories.values()]
    for file, entry, refs in cited:
        for ref in refs:
            if ref not in kb.references:
                raise KnowledgeBaseError(file, entry, f"unrecognised regulation reference {ref!r}: "
                                         "define it in references.toml")


def validate(kb: KnowledgeBase, sdk_files: Mapping[str, str], umbrella: frozenset[str]) -> None:
    """Raise KnowledgeBaseError on the first problem found."""
    ids: dict[str, str] = {}
    for sdk in kb.sdks:
        if sdk.id in ids:
            raise KnowledgeBaseError(sdk_files[sdk.id], sdk.id, "duplicate id")
        ids[sdk.id] = sdk.vendor
    _check_prefixes(kb, sdk_files, umbrella)

    pis, rules, perms = kb.pi_categories, kb.rules, kb.permissions
    for pi in pis.values():
        if pi.parent and pi.parent not in pis:
            raise KnowledgeBaseError("pi_categories.toml", pi.id, f"parent {pi.parent!r} is not defined")
        _check_refs("pi_categories.toml", pi.id, "rule", [pi.rule] if pi.rule else [], rules)
    _check_sdks(kb, sdk_files, ids)
    for perm in perms.values():
        _check_refs("permissions.toml", perm.name, "personal-information category", [perm.pi_category], pis)
        _check_refs("permissions.toml", perm.name, "rule", [perm.rule] if perm.rule else [], rules)
    _check_apis(kb)
    _check_categories(kb)
    _check_policy_terms(kb)
    _check_gbt41391(kb)
    _check_cited(kb)
    packer_ids = [p.id for p in kb.packers]
    if len(set(packer_ids)) != len(packer_ids):
        raise KnowledgeBaseError("packers.toml", None, "duplicate packer id")
