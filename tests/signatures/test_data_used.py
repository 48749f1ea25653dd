"""The knowledge base holds only data that code reads, and every catalogued rule can be emitted.

Green tests once hid data nothing read: a ``rule`` on permissions that the permissions
detector ignored for a hard-coded map, ``verified`` flags, the permissions of argument
rules, rules no code path emitted. These tests make that a failure:

- every rule in rules.toml is a string literal in ``scanner/`` or is chosen by a field
  code reads to choose a rule (``PiCategory.rule``, ``PermissionInfo.rule``, ``ApiSignature.rule``);
- every field of every knowledge-base record is read by production code other than the
  code that builds and validates entries (checking a reference is not using it), or is
  provenance for the people who check the data (the short allow-list below);
- the behaviours those fields drive, on fixtures and on knowledge bases loaded from edited
  copies of the data.

Which record a field read belongs to needs types: ``.permissions`` is read on manifests,
APIs and the knowledge base alike, so a name-based scan would credit ``ArgumentRule.permissions``
with reads it never had. The scan asks mypy: a plugin hook sees every attribute read with the
type of the object it is read from, and the module it is in.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from mypy import build
from mypy.modulefinder import BuildSource
from mypy.nodes import MemberExpr
from mypy.options import Options
from mypy.plugin import AttributeContext, Plugin
from mypy.types import Type

import signatures
from scanner import ScanOptions, scan
from scanner.analysis import engine
from scanner.android.manifest import RequestedPermission
from scanner.cli.knowledge import _show
from scanner.model import Audit, Component, Confidence
from signatures import model
from signatures.model import KnowledgeBase
from tests.conftest import FIXTURES

from .test_rule_ids import rule_like_literals

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("scanner", "reports", "signatures")
RECORDS = (
    model.TrackerSignature, model.PermissionInfo, model.ApiSignature, model.ArgumentRule,
    model.PermissionRequirement, model.StringConstant, model.AppCategory, model.NecessaryItem, model.Rule,
    model.Packer, model.PiCategory, model.KnowledgeBase,
    model.Gbt41391, model.NecessaryScope, model.LowRelevance, model.DeviceIdentifier,
)
# Code that builds entries from the TOML tables or checks their references: reading a field there is
# not using it (validate.py checked ArgumentRule.permissions while no detector read it).
CONSTRUCTING = ("signatures/build.py", "signatures/fields.py", "signatures/loader.py", "signatures/validate.py",
                "signatures/gbt41391.py")
# Fields no detector needs to read: provenance for the people who check the data (`signatures show`
# prints them). Anything else that nobody reads is removed, not listed here.
PROVENANCE = {
    # where each fact was taken from
    ("TrackerSignature", "source"), ("PermissionInfo", "source"), ("ApiSignature", "source"),
    ("StringConstant", "source"), ("AppCategory", "source"), ("Packer", "source"), ("PiCategory", "source"),
    ("NecessaryScope", "source"), ("LowRelevance", "source"), ("DeviceIdentifier", "source"),
    # what an unverified GB/T 41391 row rests on, for whoever checks it against the standard
    ("NecessaryScope", "note"), ("LowRelevance", "note"), ("DeviceIdentifier", "note"),
    # which list a tracker comes from (the Exodus mirror or ours) and which Exodus trackers ours replaces;
    # the loader merges the two lists on them
    ("TrackerSignature", "origin"), ("TrackerSignature", "exodus_ids"),
}
RULE_CHOOSING = {("PiCategory", "rule"), ("PermissionInfo", "rule"), ("ApiSignature", "rule")}
# Templates get the knowledge base only as `kb` (everything else they show is the Audit); one that reads
# knowledge-base entries under another name must be added here.
_TEMPLATE_KB_READ = re.compile(r"\bkb\.([a-z_]+)")


def record_fields() -> set[tuple[str, str]]:
    return {(cls.__name__, f.name) for cls in RECORDS for f in dataclasses.fields(cls) if not f.name.startswith("_")}


def module_of(root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def attribute_reads(modules: dict[str, Path], ignore: Iterable[Path] = ()) -> set[tuple[str, str]]:
    """(record class, field) for every field read in ``modules`` (name -> file), by type, outside ``ignore``."""
    ignored = {os.path.realpath(p) for p in ignore}
    reads: set[tuple[str, str]] = set()

    def hook_for(record: str, name: str) -> Callable[[AttributeContext], Type]:
        def hook(ctx: AttributeContext) -> Type:
            # a MemberExpr is a read in code; the dataclass plugin's own look-ups have other contexts
            if not ctx.is_lvalue and isinstance(ctx.context, MemberExpr) \
                    and os.path.realpath(ctx.api.path) not in ignored:
                reads.add((record, name))
            return ctx.default_attr_type
        return hook

    class Reads(Plugin):
        def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
            module, _, attribute = fullname.partition("signatures.model.")  # "signatures.model.Rule.title"
            record, _, name = attribute.partition(".")
            return hook_for(record, name) if not module and name else None

    options = Options()
    options.incremental = False
    options.cache_dir = os.devnull  # write nothing; the project's own mypy cache stays as it is
    options.follow_imports = "skip"  # every module that matters is a source; third-party code is not read
    options.ignore_missing_imports = True
    options.check_untyped_defs = True
    build.build([BuildSource(str(path), name) for name, path in modules.items()], options,
                extra_plugins=[Reads(options)])
    return reads


def production_reads(root: Path) -> set[tuple[str, str]]:
    """Field reads in scanner/, reports/ and signatures/ (builders and validation excluded) and in templates."""
    modules = {module_of(root, p): p for pkg in PACKAGES for p in sorted((root / pkg).rglob("*.py"))}
    reads = attribute_reads(modules, ignore=[root / c for c in CONSTRUCTING])
    for template in (root / "reports" / "templates").glob("*.j2"):
        reads |= {("KnowledgeBase", name) for name in _TEMPLATE_KB_READ.findall(template.read_text("utf-8"))}
    return reads


@pytest.fixture(scope="module")
def reads() -> set[tuple[str, str]]:
    return production_reads(ROOT)


# --- (a) every catalogued rule can be emitted ------------------------------------------------------------


def test_every_catalogued_rule_can_be_emitted(kb: KnowledgeBase, reads: set[tuple[str, str]]) -> None:
    assert reads >= RULE_CHOOSING, "a rule-choosing field is no longer read: its rules cannot be emitted"
    chosen_by_data = ({p.rule for p in kb.pi_categories.values()} | {p.rule for p in kb.permissions.values()}
                      | {a.rule for a in kb.apis})
    in_code = set(rule_like_literals((ROOT / "scanner",)))
    never = sorted(set(kb.rules) - in_code - chosen_by_data)
    assert not never, f"rules.toml lists rules no code path emits (implement or remove them): {never}"


# --- (b) no knowledge-base field is read by nothing ------------------------------------------------------


def test_every_knowledge_base_field_is_read(reads: set[tuple[str, str]]) -> None:
    unread = sorted(record_fields() - reads - PROVENANCE)
    assert not unread, f"knowledge-base fields no production code reads (use them or remove them): {unread}"


def test_provenance_list_names_real_fields() -> None:
    assert record_fields() >= PROVENANCE


def test_reads_are_told_apart_by_type(tmp_path: Path) -> None:
    """Reading ``.permissions`` of an API does not count as reading the permissions of an argument rule."""
    probe = tmp_path / "probe.py"
    probe.write_text("from signatures.model import ApiSignature, ArgumentRule\n\n\n"
                     "def f(api: ApiSignature, rule: ArgumentRule) -> object:\n"
                     "    return api.permissions, rule.kind, [r.category for r in api.argument_rules]\n")
    model_file = ROOT / "signatures" / "model.py"
    found = attribute_reads({"probe": probe, "signatures.model": model_file}, ignore=[model_file])
    assert found == {("ApiSignature", "permissions"), ("ApiSignature", "argument_rules"),
                     ("ArgumentRule", "kind"), ("ArgumentRule", "category")}


# --- (c) the behaviours the data drives ------------------------------------------------------------------


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _findings(audit: Audit, prefix: str = "") -> set[tuple[str, str]]:
    return {(f.rule_id, f.evidence[0].symbol) for f in audit.hits if f.rule_id.startswith(prefix)}


def _with(audit_path: str, kb: KnowledgeBase, permissions: Iterable[str] = (),
          components: Iterable[Component] = ()) -> Audit:
    """The audit of a fixture whose manifest also requests ``permissions`` and declares ``components``."""
    analysis = engine.analyse(str(FIXTURES / audit_path), kb)
    facts, index, reach = analysis.facts, analysis.index, analysis.reach
    assert facts is not None and index is not None and reach is not None
    m = facts.apk.manifest
    requested = tuple(RequestedPermission(p, None, False) for p in permissions)
    m = dataclasses.replace(m, permissions=m.permissions + requested, components=m.components + tuple(components))
    facts = dataclasses.replace(facts, apk=dataclasses.replace(facts.apk, manifest=m))
    return engine.detect(facts, index, reach, kb, None)


SPECIAL = ("android.permission.PACKAGE_USAGE_STATS", "android.permission.WRITE_SETTINGS",
           "android.permission.SCHEDULE_EXACT_ALARM")


def test_permission_rule_comes_from_the_data(kb: KnowledgeBase, data_copy: Path) -> None:
    audit = _with("clean.apk", kb, permissions=SPECIAL + ("android.permission.READ_CELL_BROADCASTS",))
    assert _findings(audit, "permission.special_access") == {("permission.special_access", p) for p in SPECIAL}
    # a cell broadcast (an emergency alert) is no communication record: the data gives it no rule
    assert not _findings(audit, "permission.sms_call_log")

    perms = data_copy / "permissions.toml"
    _edit(perms, 'rule = "permission.query_all_packages"\n', "")
    _edit(perms, 'name = "android.permission.READ_CONTACTS"\n', 'name = "android.permission.READ_CONTACTS"\n'
          'rule = "permission.query_all_packages"\n')
    edited = scan(str(FIXTURES / "sdks.apk"), kb=signatures.load(data_copy))
    assert {s for r, s in _findings(edited) if r == "permission.query_all_packages"} == {
        "android.permission.READ_CONTACTS"}


def _component(kind: str, name: str, permission: str) -> Component:
    return Component(kind, name, exported=True, exported_explicit=True, permission=permission,
                     intent_actions=("org.example.ACTION",), enabled=True)


BOUND = (
    _component("service", "org.example.Reader", "android.permission.BIND_ACCESSIBILITY_SERVICE"),
    _component("service", "org.example.Tunnel", "android.permission.BIND_VPN_SERVICE"),
    _component("receiver", "org.example.Admin", "android.permission.BIND_DEVICE_ADMIN"),
    # callers need READ_SMS: the app provides no system service, READ_SMS's rule does not apply
    _component("provider", "org.example.Inbox", "android.permission.READ_SMS"),
)


def test_component_bound_by_the_system_takes_the_permission_rule(kb: KnowledgeBase, data_copy: Path) -> None:
    audit = _with("clean.apk", kb, components=BOUND)
    assert _findings(audit, "permission.") == {
        ("permission.accessibility", "org.example.Reader"), ("permission.special_access", "org.example.Tunnel"),
        ("permission.special_access", "org.example.Admin")}
    _edit(data_copy / "permissions.toml", 'sensitive = "yes"\nrule = "permission.special_access"\n',
          'sensitive = "yes"\n')  # BIND_VPN_SERVICE loses its rule
    edited = _with("clean.apk", signatures.load(data_copy), components=BOUND)
    assert ("permission.special_access", "org.example.Tunnel") not in _findings(edited)


def test_unverified_entry_lowers_confidence_and_says_so(kb: KnowledgeBase, data_copy: Path) -> None:
    def confidence(audit: Audit, rule: str, symbol: str) -> Confidence:
        (found,) = [f for f in audit.hits if f.rule_id == rule and f.evidence[0].symbol == symbol]
        return found.confidence

    phone = "android.permission.READ_PHONE_STATE"
    before = scan(str(FIXTURES / "sdks.apk"), kb=kb)
    packed = scan(str(FIXTURES / "packed.apk"), kb=kb)
    _edit(data_copy / "permissions.toml", f'name = "{phone}"\n', f'name = "{phone}"\nverified = false\n')
    _edit(data_copy / "packers.toml", 'id = "qihoo-jiagu"\n', 'id = "qihoo-jiagu"\nverified = false\n')
    unchecked = signatures.load(data_copy)
    after = scan(str(FIXTURES / "sdks.apk"), kb=unchecked)
    assert confidence(before, "permission.dangerous", phone) is Confidence.HIGH
    assert confidence(after, "permission.dangerous", phone) is Confidence.MEDIUM
    assert confidence(after, "permission.dangerous", "android.permission.READ_CONTACTS") is Confidence.HIGH
    (packer,) = [f for f in packed.hits if f.rule_id == "packer.detected"]
    (packer_after,) = [f for f in scan(str(FIXTURES / "packed.apk"), kb=unchecked).hits
                       if f.rule_id == "packer.detected"]
    assert (packer.confidence, packer_after.confidence) == (Confidence.HIGH, Confidence.MEDIUM)

    out = io.StringIO()
    assert _show(unchecked, phone, out) == 0
    assert out.getvalue().splitlines()[0] == "PermissionInfo  (unverified: these facts were not checked against " \
                                             "the source below)"
    out = io.StringIO()
    assert _show(kb, phone, out) == 0 and "unverified" not in out.getvalue()


def test_unverified_sdk_disclosure_lowers_undisclosed_collection(kb: KnowledgeBase, data_copy: Path) -> None:
    """Bugly's disclosure (pi_collected) was not re-read: reading beyond it is reported less surely."""
    assert not kb.sdk("tencent-bugly").verified
    undisclosed = [f for f in scan(str(FIXTURES / "sdks.apk"), kb=kb).hits
                   if f.rule_id == "sdk.undisclosed_collection"]
    assert [(f.sdk, f.confidence) for f in undisclosed] == [("tencent-bugly", Confidence.LOW)]


def test_argument_rule_permissions_decide_what_a_call_needs(kb: KnowledgeBase, data_copy: Path) -> None:
    """getLastKnownLocation("network") needs what the "network" rule names, not the API's whole list."""
    apis = data_copy / "apis.toml"
    text = apis.read_text(encoding="utf-8")
    rule = ('{ string = "network", category = "location.coarse", '
            'permissions = ["android.permission.ACCESS_COARSE_LOCATION"')
    at = text.index(rule, text.index('id = "location.last_known"'))
    apis.write_text(text[:at] + rule.replace("COARSE", "FINE") + text[at + len(rule):], encoding="utf-8")
    ref = "Landroid/location/LocationManager;->getLastKnownLocation(Ljava/lang/String;)Landroid/location/Location;"
    bundled = scan(str(FIXTURES / "preconsent.apk"), kb=kb)  # requests COARSE, calls it with "network"
    # the message names the API readably (LocationManager.getLastKnownLocation(String)); the evidence keeps the ref
    assert not [f for f in bundled.hits if f.rule_id == "api.missing_permission"
                and any(e.symbol == ref for e in f.evidence)]
    edited = scan(str(FIXTURES / "preconsent.apk"), kb=signatures.load(data_copy))
    (missing,) = [f for f in edited.hits if f.rule_id == "api.missing_permission"
                  and any(e.symbol == ref for e in f.evidence)]
    assert "LocationManager.getLastKnownLocation(String) with the argument it is given" in missing.message
    assert "needs android.permission.ACCESS_FINE_LOCATION," in missing.message
    assert {e.path for e in missing.evidence} == {
        "Lorg/appaudit/fixture/preconsent/ConsentActivity;->onAgree()V"}


def test_argument_rule_permissions_count_as_used(kb: KnowledgeBase, data_copy: Path) -> None:
    """A permission only an argument rule names is used when code passes that argument."""
    apis = data_copy / "apis.toml"
    text = apis.read_text(encoding="utf-8")
    entry = text.index('id = "location.last_known"')
    line = '\npermissions = ["android.permission.ACCESS_FINE_LOCATION", "android.permission.ACCESS_COARSE_LOCATION"]'
    at = text.index(line, entry)
    apis.write_text(text[:at] + text[at + len(line):], encoding="utf-8")  # only its "gps" rule names FINE now
    edited = signatures.load(data_copy)
    assert not next(a for a in edited.apis if a.id == "location.last_known").permissions
    audit = scan(str(FIXTURES / "sdks.apk"), kb=edited)  # GDT calls it with "gps"
    excessive = {s for r, s in _findings(audit) if r == "permission.possibly_excessive"}
    assert "android.permission.ACCESS_FINE_LOCATION" not in excessive
    assert "android.permission.READ_CONTACTS" in excessive  # still nothing reads the contacts
    rows = {r.sdk: r for r in audit.disclosure}
    assert "android.permission.ACCESS_FINE_LOCATION" in rows["tencent-gdt"].permissions


def test_expected_permissions_are_not_flagged(kb: KnowledgeBase, data_copy: Path) -> None:
    def beyond(k: KnowledgeBase) -> set[str]:
        audit = scan(str(FIXTURES / "sdks.apk"), ScanOptions(category="short_video"), kb=k)
        return {f.evidence[0].symbol for f in audit.hits if f.rule_id == "permission.beyond_necessary"}

    assert "android.permission.READ_CONTACTS" in beyond(kb)
    _edit(data_copy / "categories.toml", 'basic_function = "Searching and playing short videos"\n',
          'basic_function = "Searching and playing short videos"\n'
          'expected_permissions = ["android.permission.READ_CONTACTS"]\n')
    assert "android.permission.READ_CONTACTS" not in beyond(signatures.load(data_copy))

