"""An app bundle's modules as Google Play delivers them, from each module's ``<dist:module>`` element.

bundletool decides from these elements which modules go into the base install, which are downloaded on
demand or only on matching devices, and which are fused into the universal APK (``ManifestDeliveryElement``,
``<dist:fusing>``); the scan reports the same, so a call site in an on-demand feature is known not to be
on a device after the first install. The manifests are aapt2 proto XML, read by ``protoxml``.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from scanner.android.axml import BinaryXml
from scanner.android.protoxml import ProtoError
from scanner.android.protoxml import parse as parse_proto_xml
from scanner.errors import ManifestError
from scanner.input.archive import MANIFEST, AppArchive, Split
from scanner.input.bundle import MODULE_MANIFEST
from scanner.model import BundleModule

DIST = "{http://schemas.android.com/apk/distribution}"


def module_manifest(archive: AppArchive, split: Split) -> BinaryXml:
    """A module's proto manifest as the tree the manifest reader takes; one Android cannot read is an error
    naming the entry (bundletool refuses such a bundle, so Play would never serve it)."""
    entry = f"{split.name}/{MODULE_MANIFEST}"
    try:
        return parse_proto_xml(split.zip.read(MANIFEST))
    except ProtoError as exc:
        raise ManifestError(archive.path, f"{entry} is not a valid aapt2 proto manifest: {exc}") from None


def read_modules(archive: AppArchive, base_root: Element) -> tuple[BundleModule, ...]:
    """Every module of the bundle, base first, with its delivery."""
    modules = [BundleModule(archive.base.name, "base", "install-time", True, True)]
    for split in archive.splits:
        modules.append(_module(split.name, module_manifest(archive, split).root))
    return tuple(modules)


def _module(name: str, root: Element) -> BundleModule:
    element = root.find("module")
    dist = element if element is not None else Element("module")
    kind = "asset-pack" if dist.get(DIST + "type") == "asset-pack" else "feature"
    delivery = _delivery(dist, kind)
    fusing = dist.find("fusing")
    # the universal APK holds the features that fusing includes, and of asset packs the install-time ones
    included = fusing is None or _true(fusing.get(DIST + "include"))
    fused = included and (kind == "feature" or delivery == "install-time")
    return BundleModule(name, kind, delivery, fused, delivery == "install-time")


def _delivery(dist: Element, kind: str) -> str:
    """``<dist:delivery>`` first (its ``install-time`` may hold ``<dist:conditions>``), then the older
    ``dist:onDemand`` attribute; a feature that says nothing is installed with the app, an asset pack on demand."""
    delivery = dist.find("delivery")
    if delivery is not None:
        for child in delivery:
            if child.tag == "install-time":
                return "conditional" if child.find("conditions") is not None else "install-time"
            if child.tag in ("on-demand", "fast-follow"):
                return child.tag
    if _true(dist.get(DIST + "onDemand")):
        return "on-demand"
    return "on-demand" if kind == "asset-pack" else "install-time"


def _true(value: str | None) -> bool:
    return value in ("true", "-1")
