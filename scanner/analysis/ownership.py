"""Who owns each package of an app: an SDK, the app itself, or nobody we can name.

Package names alone fail on real SDKs: vendors ship obfuscated internals
(``com.vendor.a``, ``a.a.b``) and companion packages outside their main prefix, and
rename packages between major versions. So the knowledge base's prefixes only
seed the answer; the code graph (``scanner.dex.references``) extends it:

- ``prefix``: a knowledge-base package prefix (or an exact class signature);
- ``manifest``: the app's own code is defined positively — its manifest package,
  and the packages of its application and component classes;
- ``used-only-by``: a package whose code only one SDK's packages name (call,
  instantiate, extend), and which names none of the app's → that SDK; a package
  only the app's code names → the app (what only the app reaches);
- ``vendor-tree``: an obfuscated-looking package (``com.umeng.a``) under the vendor
  root of exactly one SDK found in the app, which the app's code does not name.

Everything else is ``unattributed``: obfuscated code that only the app reaches (a
renamed SDK entry point looks exactly like that), libraries both sides use, dead
code. It is never silently first-party. The rule that decided is kept as evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

from scanner.analysis.attribution import dotted, dotted_names
from scanner.dex.references import CodeGraph, package_of
from signatures.model import KnowledgeBase

APP, SDK, UNATTRIBUTED = "app", "sdk", "unattributed"
MIXED = "mixed"  # a finding about code of several owners (one API called by the app and by an SDK)


def owner_key(party: str, sdk: str | None) -> str:
    """The owner as fingerprints and subjects name it: the SDK id, "" for the app, "?unattributed"."""
    return sdk or ("" if party == APP else f"?{party}")


def party_of(owners: set[tuple[str, str | None]]) -> tuple[str, str | None]:
    """(party, sdk) of a finding over code of these (party, sdk) owners: one owner, or ``mixed``."""
    if len(owners) == 1:
        return next(iter(owners))
    return MIXED, None
_GENERIC_ROOTS = frozenset({"com.google", "com.android", "android", "androidx", "java", "javax", "kotlin",
                            "kotlinx", "org.apache", "org.json", "com.github", "io.github", "org.jetbrains"})
_MAX_ROUNDS = 64


@dataclass(frozen=True, slots=True)
class Owner:
    party: str  # app | sdk | unattributed
    sdk: str | None
    rule: str  # which rule decided (see the module docstring)


NOBODY = Owner(UNATTRIBUTED, None, "no-owner")


@dataclass(frozen=True, slots=True, eq=False)
class Ownership:
    """The owner of every package (and the few classes with a class-level signature) of one app.

    A class the dex does not define (a manifest component of a packed app) is judged by name alone.
    """

    packages: Mapping[str, Owner]
    classes: Mapping[str, Owner]
    app_package: str
    kb: KnowledgeBase
    # name as asked -> owner: detectors ask about the same classes again and again (api_calls ~2.3k call sites
    # in ~0.6k classes on bench/cache/store.apk); the answer cannot change, since the tables above do not
    _asked: dict[str, Owner] = field(default_factory=dict, init=False, repr=False, compare=False)

    def of_class(self, name: str) -> Owner:
        """Owner of a class, by dotted name or Dalvik descriptor; classes the dex lacks fall back to names."""
        owner = self._asked.get(name)
        if owner is None:
            owner = self._asked[name] = self._of_class(name)
        return owner

    def _of_class(self, name: str) -> Owner:
        cls = dotted(name)
        exact = self.classes.get(cls)
        if exact is not None:
            return exact
        return self.packages.get(package_of(cls)) or self._by_name(cls)

    def of_method(self, ref: str) -> Owner:
        """Owner of the class defining a Dalvik method or field reference."""
        return self.of_class(ref.partition("->")[0])

    def _by_name(self, cls: str) -> Owner:
        exact = self.kb.sdk_with_prefix(cls)
        if exact is not None:
            return _by_prefix(exact.id)
        known = prefix_owner(self.kb, package_of(cls), self.app_package)
        if known is not None:
            return known
        return _APP_MANIFEST if _inside(cls, self.app_package) else NOBODY


def _inside(name: str, prefix: str) -> bool:
    return bool(prefix) and (name == prefix or name.startswith(prefix + "."))


def vendor_root(prefix: str) -> str:
    """``com.umeng.analytics`` -> ``com.umeng``: the part a vendor's packages share."""
    return ".".join(prefix.split(".")[:2])


def obfuscated(package: str) -> bool:
    """A package a shrinker named: its last segment (or every segment) is one or two letters."""
    parts = package.split(".")
    return bool(parts) and (len(parts[-1]) <= 2 or all(len(p) <= 2 for p in parts))


@cache
def _by_prefix(sdk_id: str) -> Owner:
    """The one ``prefix`` owner of an SDK (owners are immutable): making one per package and per signed class
    was ~0.5 ms of attributing bench/cache/store.apk's ~1k packages. Bounded by the knowledge base's SDKs."""
    return Owner(SDK, sdk_id, "prefix")


_APP_MANIFEST = Owner(APP, None, "manifest")


def prefix_owner(kb: KnowledgeBase, package: str, app_package: str) -> Owner | None:
    """The knowledge base's answer for a package; the app's own namespace wins over a shorter SDK prefix
    (a vendor's own app lives under the vendor's prefix)."""
    sdk = kb.sdk_for_class(package) if package else None
    if sdk is None:
        return None
    if app_package and _inside(package, app_package):  # the longest matching prefix matters only here
        matched = max((p for p in sdk.prefixes if _inside(package, p)), key=len, default="")
        if len(matched) <= len(app_package):
            return None
    return _by_prefix(sdk.id)


def attribute(kb: KnowledgeBase, graph: CodeGraph, class_names: Iterable[str], app_package: str,
              app_classes: Iterable[str]) -> Ownership:
    """Decide the owner of every package of the app; ``app_classes``: application and component classes."""
    classes = dotted_names(class_names)
    packages = set(graph.packages) | {c.rpartition(".")[0] for c in classes}  # package_of, inline: ~5k classes
    owners: dict[str, Owner] = {}
    for p in packages:
        known = prefix_owner(kb, p, app_package)
        if known is not None:
            owners[p] = known
        elif _inside(p, app_package):
            owners[p] = _APP_MANIFEST
    for cls in app_classes:
        p = package_of(cls)
        if p in packages and p not in owners:
            owners[p] = _APP_MANIFEST
    signed = kb.sdk_with_prefix
    exact = {c: _by_prefix(s.id) for c in classes if (s := signed(c)) is not None}
    _propagate(kb, graph, packages, owners)
    return Ownership({p: owners.get(p, NOBODY) for p in packages}, exact, app_package, kb)


def _propagate(kb: KnowledgeBase, graph: CodeGraph, packages: set[str], owners: dict[str, Owner]) -> None:
    """Extend the seeds through the graph until nothing changes: strict rounds (every user known) first."""
    open_packages = packages - owners.keys()
    uses, users, extended = _neighbours(graph, open_packages)
    roots = _vendor_roots(kb, {o.sdk for o in owners.values() if o.sdk})
    for _ in range(_MAX_ROUNDS):
        if _round(uses, open_packages, owners, users, extended, roots, strict=True):
            continue
        if not _round(uses, open_packages, owners, users, extended, roots, strict=False):
            return


Table = dict[str, set[str]]


def _neighbours(graph: CodeGraph, open_packages: set[str]) -> tuple[Table, Table, Table]:
    """(what each open package names, who names it, who extends it). Only edges touching an open package
    are turned into names: on a large app that is a small part of the graph."""
    uses = graph.named(graph.touching(graph.uses, open_packages, 0))
    users: Table = {}
    extended: Table = {}
    for edges, into in ((graph.uses, (users,)), (graph.extends, (users, extended))):
        for src, targets in graph.named(graph.touching(edges, open_packages, 1)).items():
            for dst in targets:
                for table in into:
                    table.setdefault(dst, set()).add(src)
    return uses, users, extended


def _vendor_roots(kb: KnowledgeBase, found: set[str]) -> Table:
    """Vendor root (``com.umeng``) -> the SDKs found in the app whose prefixes sit under it."""
    roots: Table = {}
    for sid in found:
        for prefix in kb.sdk(sid).prefixes:
            root = vendor_root(prefix)
            if root not in _GENERIC_ROOTS and root.count(".") == 1:
                roots.setdefault(root, set()).add(sid)
    return roots


def _round(uses: Mapping[str, set[str]], packages: set[str], owners: dict[str, Owner],
           users: Mapping[str, set[str]], extended: Mapping[str, set[str]], roots: Mapping[str, set[str]],
           strict: bool) -> bool:
    decided: dict[str, Owner] = {}
    for p in sorted(packages - owners.keys()):
        owner = _decide(p, uses.get(p, set()), owners, users.get(p, set()), extended.get(p, set()), roots, strict)
        if owner is not None:
            decided[p] = owner
    owners.update(decided)
    return bool(decided)


def _decide(p: str, names: set[str], owners: Mapping[str, Owner], users: set[str], extenders: set[str],
            roots: Mapping[str, set[str]], strict: bool) -> Owner | None:
    known = [owners[u] for u in users if u in owners and u != p]
    if strict and len(known) < len(users - {p}):
        return None
    sides = {(o.party, o.sdk) for o in known if o.party != UNATTRIBUTED}
    app_uses_it = (APP, None) in sides
    tree = _vendor_tree(p, roots)
    if tree is not None and not app_uses_it:
        return Owner(SDK, tree, "vendor-tree")
    names_app = any(owners.get(q, NOBODY).party == APP for q in names)
    if len(sides) == 1:
        party, sdk = next(iter(sides))
        if party == SDK and not names_app:
            how = "extended-by" if any(owners.get(u, NOBODY).sdk == sdk for u in extenders) else "used-only-by"
            return Owner(SDK, sdk, how)
        if party == APP:
            return Owner(UNATTRIBUTED, None, "obfuscated-app-reach") if obfuscated(p) else Owner(APP, None,
                                                                                                 "used-only-by")
    if not strict and known and len(sides) != 1:
        return Owner(UNATTRIBUTED, None, "shared" if len(sides) > 1 else "no-owner")
    return None


def _vendor_tree(p: str, roots: Mapping[str, set[str]]) -> str | None:
    if not obfuscated(p) or p.count(".") < 2:
        return None
    found = roots.get(vendor_root(p), set())
    return next(iter(found)) if len(found) == 1 else None
