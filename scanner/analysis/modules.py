"""Which app bundle (AAB) module each call site and SDK sits in, and what only the bundle shows.

A bundle's feature modules and asset packs are not all installed with the app: Google Play sends an
on-demand feature only when the app asks for it, a conditional one only to matching devices, a fast-follow
asset pack after the install. So each call site says its module, each SDK the modules holding its code,
and the result notes what the first install does not get, which no single APK Play generates shows.
Needs no reader: it works from the facts (``AppFacts.class_modules``, ``ApkFacts.modules``).
"""

from __future__ import annotations

from dataclasses import replace

from scanner.analysis.detectors import Results
from scanner.analysis.facts import AppFacts
from scanner.analysis.names import plural
from scanner.analysis.ownership import Ownership
from scanner.model import BundleInfo, BundleModule

BASE = "base"
_WHEN = {
    "on-demand": "only when the app requests it",
    "conditional": "only to devices that match its conditions",
    "fast-follow": "as a separate download after the install",
}
SIGNING_NOTE = ("Google Play signs the APKs it generates from the bundle with the app signing key it holds; "
                "the certificates devices verify are not in the bundle, so none are reported.")


def place(facts: AppFacts, owners: Ownership, found: Results) -> tuple[Results, BundleInfo | None]:
    """``found`` with the module of every call site and SDK, and the bundle's modules and notes (an APK: as is)."""
    modules = facts.apk.modules
    if not modules:
        return found, None
    of_class = facts.class_modules
    calls = tuple(replace(c, module=of_class.get(c.caller.partition("->")[0], BASE)) for c in found.api_calls)
    holding: dict[str, set[str]] = {}
    for name in facts.dex.class_names():
        owner = owners.of_class(name).sdk
        if owner is not None:
            holding.setdefault(owner, set()).add(of_class.get(name, BASE))
    order = {m.name: i for i, m in enumerate(modules)}
    sdks = tuple(replace(s, modules=tuple(sorted(holding.get(s.id, ()), key=lambda m: order.get(m, len(order)))))
                 for s in found.sdks)
    placed = replace(found, api_calls=calls, sdks=sdks)
    return placed, BundleInfo(modules, _notes(modules, placed))


def _notes(modules: tuple[BundleModule, ...], found: Results) -> tuple[str, ...]:
    """One sentence per fact the APKs of a first install do not show, then who signs those APKs."""
    notes = []
    for module in modules:
        if not module.installed:
            calls = sum(1 for c in found.api_calls if c.module == module.name)
            sdks = sorted(s.name for s in found.sdks if module.name in s.modules)
            holds = [f"{plural(calls, 'call site')} reading personal information"] if calls else []
            holds += [f"SDK {', '.join(sdks)}"] if sdks else []
            inside = f"; it holds {' and '.join(holds)}" if holds else ""
            notes.append(f"Module '{module.name}' ({module.kind}, {module.delivery}) is not part of the first "
                         f"install: Google Play delivers it {_WHEN.get(module.delivery, 'separately')}{inside}.")
        if not module.fused and (module.installed or module.kind == "feature"):
            notes.append(f"Module '{module.name}' is left out of the universal APK (dist:fusing include=false): "
                         "a device that gets one APK for the whole app does not have it.")
    notes.append(SIGNING_NOTE)
    return tuple(notes)
