"""Who owns a piece of code: the SDK whose package holds it, or the app (``None``).

Every detector asks here, so one rule decides attribution everywhere: a class-level
signature first, then the longest package prefix of the knowledge base.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from signatures.model import KnowledgeBase, TrackerSignature

# SDK categories that make an SDK a tracker rather than a plain library
TRACKING = frozenset({"analytics", "advertisement", "profiling", "identification", "ads_mediation",
                      "device_fingerprint", "location"})


def dotted(descriptor: str) -> str:
    """``Lcom/a/B;`` -> ``com.a.B``; a name already dotted is returned as it is."""
    return descriptor[1:-1].replace("/", ".") if descriptor.startswith("L") else descriptor


def is_tracker(sdk: TrackerSignature) -> bool:
    return bool(TRACKING & set(sdk.categories))


def method_owner(kb: KnowledgeBase, method: str) -> str | None:
    """The SDK id whose package holds this Dalvik method reference; None for the app's own code."""
    return class_owner(kb, method.partition("->")[0])


def class_owner(kb: KnowledgeBase, descriptor: str) -> str | None:
    """The SDK id of a class (Dalvik descriptor or dotted name); None for the app's own code."""
    cls = dotted(descriptor)
    exact = kb.sdk_with_prefix(cls)  # a class-level signature; otherwise the package decides
    return exact.id if exact else package_owner(kb, cls.rpartition(".")[0])


def class_owners(kb: KnowledgeBase, descriptors: Iterable[str]) -> dict[str, tuple[str, str | None]]:
    """``class_owner`` for a whole class inventory: descriptor -> (dotted package, SDK id or None).

    The same rule, with each package looked up once: the tracker detector walks every class of the app.
    """
    by_package: dict[str, str | None] = {}
    out: dict[str, tuple[str, str | None]] = {}
    for descriptor in descriptors:
        cls = dotted(descriptor)
        package = cls.rpartition(".")[0]
        exact = kb.sdk_with_prefix(cls)
        if exact is not None:
            out[descriptor] = (package, exact.id)
            continue
        if package not in by_package:
            by_package[package] = package_owner(kb, package)
        out[descriptor] = (package, by_package[package])
    return out


@lru_cache(maxsize=1 << 16)
def package_owner(kb: KnowledgeBase, package: str) -> str | None:
    """Cached per (knowledge base, package): apps have far fewer packages than call sites."""
    sdk = kb.sdk_for_class(package) if package else None
    return sdk.id if sdk else None
