"""Turn checked TOML tables into model records, one builder per entry kind."""

from __future__ import annotations

import re
from typing import Any

from scanner.model import SUBJECT_KINDS, Severity
from signatures.fields import Entry
from signatures.model import (
    SENSITIVITIES,
    ApiSignature,
    AppCategory,
    ArgumentRule,
    KnowledgeBaseError,
    NecessaryItem,
    Packer,
    PermissionInfo,
    PermissionRequirement,
    PiCategory,
    PolicyTerms,
    Rule,
    StringConstant,
    TrackerSignature,
)
from signatures.regexset import check_re2

_METHOD_REF = re.compile(r"^L[\w/$-]+;->[\w$<>-]+\([\w/$;\[]*\)[\w/$;\[]+$")
_FIELD_REF = re.compile(r"^L[\w/$-]+;->[\w$-]+:[\w/$;\[]+$")
_METHOD_NAME = re.compile(r"^L[\w$-]+(/[\w$-]+)+;->([\w$-]+|<init>|<clinit>)$")  # any prototype
_SWITCH = re.compile(r"^[A-Za-z_][\w.$-]*=[^=\s]+$")  # <meta-data android:name>=<android:value>
_STATIC_FIELD = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*){2,}$")  # pkg.Cls.FIELD


def _compile(entry: Entry, key: str, pattern: str) -> str:
    """A pattern both engines accept: Python's (the check users can reproduce) and RE2's (the matcher)."""
    try:
        re.compile(pattern)
        if pattern:
            check_re2(pattern)
    except (re.error, ValueError) as exc:
        raise entry.fail(f"{key} does not compile: {exc}") from None
    return pattern


def pi_category(entry: Entry) -> PiCategory:
    item = PiCategory(
        id=entry.text("id"),
        title=entry.text("title"),
        sensitive=entry.choice("sensitive", SENSITIVITIES),  # type: ignore[arg-type]
        rule=entry.opt_text("rule"),
        source=entry.source(),
    )
    entry.done()
    return item


def _checked(entry: Entry, key: str, form: re.Pattern[str], what: str) -> tuple[str, ...]:
    values = entry.texts(key)
    for value in values:
        if not form.match(value):
            raise entry.fail(f"{key}: {value!r} is not {what}")
    return values


def _start_up(entry: Entry) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """init_methods, pre_init_methods, disable_switches and version_fields, each in its one form."""
    method = "a Dalvik method name (Lpkg/Cls;->name, no prototype)"
    init = _checked(entry, "init_methods", _METHOD_NAME, method)
    pre = _checked(entry, "pre_init_methods", _METHOD_NAME, method)
    both = sorted(set(init) & set(pre))
    if both:
        raise entry.fail(f"{', '.join(both)} cannot be both an init and a pre-init method")
    switches = _checked(entry, "disable_switches", _SWITCH, "a manifest meta-data switch key=value")
    keys = [s.partition("=")[0] for s in switches]
    if len(set(keys)) != len(keys):
        raise entry.fail("disable_switches names one meta-data key twice")
    versions = _checked(entry, "version_fields", _STATIC_FIELD, "a dotted static field pkg.Cls.FIELD")
    return init, pre, switches, versions


def _policy(entry: Entry) -> str:
    """The SDK's privacy-policy link: one of its sources, so the link was read, not recalled."""
    url = entry.text("privacy_policy", "")
    if url and url not in entry.source():
        raise entry.fail(f"privacy_policy {url!r} is not one of its sources")
    return url


def sdk(entry: Entry, origin: str) -> TrackerSignature:
    exodus_ids = entry.integers("exodus_ids")
    init, pre_init, switches, versions = _start_up(entry)
    single = entry.integer("exodus_id")
    if single is not None:
        exodus_ids = (single, *exodus_ids)
    item = TrackerSignature(
        id=entry.text("id"),
        name=entry.text("name"),
        vendor=entry.text("vendor"),
        categories=entry.texts("categories"),
        source=entry.source(),
        origin=origin,  # type: ignore[arg-type]
        name_cn=entry.text("name_cn", ""),
        legal_entity=entry.text("legal_entity", ""),
        country=entry.text("country", ""),
        website=entry.text("website", ""),
        privacy_policy=_policy(entry),
        prefixes=entry.texts("prefixes"),
        code_regex=_compile(entry, "code_regex", entry.text("code_regex", "")),
        domains=tuple(d.lower() for d in entry.texts("domains")),
        network_regex=_compile(entry, "network_regex", entry.text("network_regex", "")),
        libraries=entry.texts("libraries"),
        components=entry.texts("components"),
        meta_data=entry.texts("meta_data"),
        pi_collected=entry.texts("pi_collected"),
        bundled_by=entry.texts("bundled_by"),
        exodus_ids=exodus_ids,
        verified=entry.flag("verified", True),
        init_methods=init,
        pre_init_methods=pre_init,
        disable_switches=switches,
        version_fields=versions,
        aliases=entry.texts("aliases"),
    )
    entry.done()
    return item


def permission(entry: Entry) -> PermissionInfo:
    item = PermissionInfo(
        name=entry.text("name"),
        protection_level=entry.text("protection_level"),
        pi_category=entry.text("pi_category"),
        sensitive=entry.choice("sensitive", SENSITIVITIES),  # type: ignore[arg-type]
        source=entry.source(),
        match=entry.choice("match", ("exact", "suffix", "prefix"), "exact"),  # type: ignore[arg-type]
        rule=entry.opt_text("rule"),
        verified=entry.flag("verified", True),
    )
    entry.done()
    return item


def _requirement(entry: Entry, raw: Any) -> PermissionRequirement:
    if isinstance(raw, str):
        return PermissionRequirement(raw)
    sub = Entry(entry.file, raw, key="name")
    sub.ident = f"{entry.ident} / {sub.ident}"
    req = PermissionRequirement(sub.text("name"), sub.integer("min_api"), sub.integer("max_api"))
    sub.done()
    return req


def _argument_rule(entry: Entry, raw: Any) -> ArgumentRule:
    sub = Entry(entry.file, raw, key="category")
    sub.ident = f"{entry.ident} / argument"
    present = [k for k in ("string", "field", "method", "int") if k in raw]
    if len(present) != 1:
        raise sub.fail("an argument rule needs exactly one of 'string', 'field', 'method', 'int'")
    kind = present[0]
    if kind == "int":
        value: str | int = sub.integer("int") or 0
        match = sub.choice("match", ("exact", "mask"), "exact")
    else:
        value = sub.text(kind)
        match = sub.choice("match", ("exact", "prefix", "contains"), "exact")
        if kind == "field" and not _FIELD_REF.match(value):
            raise sub.fail(f"field reference {value!r} is not in Dalvik form Lpkg/Cls;->name:Type")
        if kind == "method" and not _METHOD_REF.match(value):
            raise sub.fail(f"method reference {value!r} is not in Dalvik form Lpkg/Cls;->name(args)ret")
    rule = ArgumentRule(kind, value, sub.text("category"), match, sub.texts("permissions"))  # type: ignore[arg-type]
    sub.done()
    return rule


def api(entry: Entry) -> ApiSignature:
    methods, fields = entry.texts("methods"), entry.texts("fields")
    for ref in methods:
        if not _METHOD_REF.match(ref):
            raise entry.fail(f"method reference {ref!r} is not in Dalvik form Lpkg/Cls;->name(args)ret")
    for ref in fields:
        if not _FIELD_REF.match(ref):
            raise entry.fail(f"field reference {ref!r} is not in Dalvik form Lpkg/Cls;->name:Type")
    raw_perms = entry._get("permissions", list, [], False)
    item = ApiSignature(
        id=entry.text("id"),
        category=entry.text("category"),
        kind=entry.choice("kind", ("method", "field", "string", "consumer"), "method"),  # type: ignore[arg-type]
        source=entry.source(),
        methods=methods,
        fields=fields,
        strings=entry.texts("strings"),
        permissions=tuple(_requirement(entry, p) for p in raw_perms),
        argument_rules=tuple(_argument_rule(entry, r) for r in entry.tables("arguments")),
        rule=entry.opt_text("rule"),
        verified=entry.flag("verified", True),
        returns_until=entry.integer("returns_until"),
    )
    entry.done()
    if not item.refs:
        raise entry.fail("an API entry needs at least one method, field or string")
    return item


def constant(entry: Entry) -> StringConstant:
    item = StringConstant(entry.text("value"), entry.text("category"), entry.source(),
                          entry.flag("verified", True), entry.flag("argument_only", False))
    entry.done()
    return item


def app_category(entry: Entry) -> AppCategory:
    items = []
    for raw in entry.tables("necessary"):
        sub = Entry(entry.file, raw, key="item")
        sub.ident = f"{entry.ident} / {sub.ident}"
        items.append(NecessaryItem(
            item=sub.text("item"),
            origin=sub.choice("origin", ("user", "device", "service")),  # type: ignore[arg-type]
            permissions=sub.texts("permissions"),
            api_categories=sub.texts("api_categories"),
        ))
        sub.done()
    item = AppCategory(
        id=entry.text("id"),
        npi=entry.text("npi"),
        name=entry.text("name"),
        name_cn=entry.text("name_cn"),
        basic_function=entry.text("basic_function"),
        necessary=tuple(items),
        source=entry.source(),
        expected_permissions=entry.texts("expected_permissions"),
        verified=entry.flag("verified", True),
    )
    entry.done()
    return item


def rule(entry: Entry) -> Rule:
    item = Rule(
        id=entry.text("id"),
        title=entry.text("title"),
        severity=Severity.parse(entry.choice("severity", Severity.labels())),
        explanation=" ".join(entry.text("explanation").split()),
        fix=" ".join(entry.text("fix").split()),
        subject=entry.choice("subject", SUBJECT_KINDS),
        refs=entry.texts("refs"),
    )
    entry.done()
    return item


def packer(entry: Entry) -> Packer:
    item = Packer(
        id=entry.text("id"),
        name=entry.text("name"),
        vendor=entry.text("vendor"),
        source=entry.source(),
        classes=entry.texts("classes"),
        libraries=entry.texts("libraries"),
        assets=entry.texts("assets"),
        verified=entry.flag("verified", True),
    )
    entry.done()
    if not (item.classes or item.libraries or item.assets):
        raise entry.fail("a packer needs at least one class, library or asset indicator")
    return item


def _permission_labels(file: str, top: Entry) -> dict[str, tuple[str, ...]]:
    """Each permission's group labels (``[[permission_group]]``); a permission is in one group only."""
    labels: dict[str, tuple[str, ...]] = {}
    for raw in top.tables("permission_group"):
        sub = Entry(file, raw)
        sub.ident = sub.text("id")
        group_labels = sub.texts("labels")
        for name in sub.texts("permissions"):
            if name in labels:
                raise sub.fail(f"{name} is already in another permission group")
            labels[name] = group_labels
        sub.done()
    return labels


def policy_terms(file: str, doc: dict[str, Any]) -> PolicyTerms:
    """``policy_terms.toml``: the lexicon of personal-information words, permission names and cues."""
    top = Entry(file, doc, key="__file__")
    top.ident = "cues"
    categories: dict[str, tuple[str, ...]] = {}
    for raw in top.tables("category"):
        sub = Entry(file, raw)
        ident = sub.text("id")
        if ident in categories:
            raise sub.fail("duplicate category")
        categories[ident] = sub.texts("terms")
        sub.done()
    permissions: dict[str, tuple[str, ...]] = {}
    for raw in top.tables("permission"):
        sub = Entry(file, raw, key="name")
        name = sub.text("name")
        if name in permissions:
            raise sub.fail("duplicate permission")
        permissions[name] = sub.texts("terms")
        sub.done()
    terms = PolicyTerms(
        categories=categories, permissions=permissions, permission_labels=_permission_labels(file, top),
        purpose_cues=top.texts("purpose_cues"),
        negation_cues=top.texts("negation_cues"), permission_words=top.texts("permission_words"),
        policy_markers=top.texts("policy_markers"), not_sdk_names=top.texts("not_sdk_names"),
    )
    top.source()
    top.done()
    seen: dict[str, str] = {}
    for category, words in categories.items():
        if not words:
            raise KnowledgeBaseError(file, category, "a category needs at least one term")
        for word in words:
            if word.casefold() in seen:
                raise KnowledgeBaseError(file, category, f"term {word!r} is also a term of {seen[word.casefold()]!r}")
            seen[word.casefold()] = category
    return terms
