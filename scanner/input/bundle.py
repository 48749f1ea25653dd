"""The layout of an Android App Bundle (``.aab``): its modules, each read as the APK bundletool makes of it.

A bundle is a zip of modules (``base/``, dynamic features, asset packs), each laid out as bundletool
expects: ``manifest/AndroidManifest.xml`` (aapt2's protocol-buffer XML), ``dex/classes*.dex``,
``res/``, ``resources.pb``, ``assets/``, ``lib/<abi>/``, ``root/`` (files placed at the APK's root).
``module_entries`` maps every module's entries to the names they get in the generated APK
(``base/dex/classes2.dex`` -> ``classes2.dex``), so the readers of an APK's files, dex and native
libraries serve a module unchanged; the manifest and resource table stay in their proto format and
are read by ``scanner/android/protoxml.py`` and ``protores.py``.
"""

from __future__ import annotations

from collections.abc import Iterable

from scanner.errors import BundleError

BASE = "base"
MANIFEST = "AndroidManifest.xml"
MODULE_MANIFEST = "manifest/AndroidManifest.xml"
CONFIG = "BundleConfig.pb"
_NOT_MODULES = frozenset(("BUNDLE-METADATA", "META-INF"))  # bundle-level folders (tool metadata, signature)


def is_bundle(names: Iterable[str]) -> bool:
    """An app bundle: a base module manifest, or bundletool's ``BundleConfig.pb`` at the top."""
    return any(n == CONFIG or n == f"{BASE}/{MODULE_MANIFEST}" for n in names)


def apk_name(entry: str) -> str:
    """The name a module entry (without its module folder) gets in the APK bundletool generates."""
    if entry == MODULE_MANIFEST:
        return MANIFEST
    for folder in ("dex/", "root/"):
        if entry.startswith(folder):
            return entry[len(folder):]
    return entry


def module_entries(names: Iterable[str], path: str) -> dict[str, dict[str, str]]:
    """``{module: {apk name: bundle entry}}`` for every module, base first, the others by name.

    A ``root/`` file never replaces a manifest or dex of the same APK name (bundletool refuses such a bundle;
    reading the real one keeps the scan on what Android would load). A bundle without a base manifest, or a
    module without its manifest, is refused as bundletool and Google Play refuse it: ``BundleError``.
    """
    modules: dict[str, dict[str, str]] = {}
    for name in sorted(names, key=lambda n: n.partition("/")[2].startswith("root/")):
        module, slash, entry = name.partition("/")
        if not slash or not entry or entry.endswith("/") or module in _NOT_MODULES:
            continue
        modules.setdefault(module, {}).setdefault(apk_name(entry), name)
    if MANIFEST not in modules.get(BASE, {}):
        raise BundleError(path, f"app bundle without {BASE}/{MODULE_MANIFEST}: bundletool and Google Play refuse "
                                "a bundle with no base module manifest")
    without = sorted(m for m, files in modules.items() if MANIFEST not in files)
    if without:
        raise BundleError(path, f"module {without[0]!r} of the app bundle has no {without[0]}/{MODULE_MANIFEST}: "
                                "bundletool refuses the bundle")
    return {m: modules[m] for m in (BASE, *sorted(set(modules) - {BASE}))}
