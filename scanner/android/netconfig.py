"""The network security config (res/xml/…): where the app allows cleartext or trusts user CAs.

Android reads it instead of ``usesCleartextTraffic`` when present (API 24+), so the
effective cleartext policy is the config's base/domain rules, falling back to the
manifest flag only for what the config leaves unsaid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DomainRule:
    domain: str
    include_subdomains: bool
    cleartext: bool | None  # None: inherits from the base config


@dataclass(frozen=True, slots=True)
class NetworkSecurityConfig:
    path: str
    base_cleartext: bool | None
    domains: tuple[DomainRule, ...]
    trusts_user_certificates: bool  # outside <debug-overrides>: traffic can be intercepted by a user CA


def _flag(el: Any, name: str) -> bool | None:
    value = el.get(name)
    return None if value is None else str(value).lower() == "true"


def _trusts_user(el: Any) -> bool:
    return any(c.get("src") == "user" for anchors in el.findall("trust-anchors")
               for c in anchors.findall("certificates"))


def read_network_security_config(root: Any, path: str) -> NetworkSecurityConfig | None:
    if root is None or root.tag != "network-security-config":
        return None
    base = root.find("base-config")
    domains: list[DomainRule] = []
    trusts_user = base is not None and _trusts_user(base)
    for config in root.iter("domain-config"):
        cleartext = _flag(config, "cleartextTrafficPermitted")
        trusts_user = trusts_user or _trusts_user(config)
        for d in config.findall("domain"):
            if d.text and d.text.strip():
                domains.append(DomainRule(d.text.strip().lower(), _flag(d, "includeSubdomains") or False, cleartext))
    return NetworkSecurityConfig(
        path=path,
        base_cleartext=_flag(base, "cleartextTrafficPermitted") if base is not None else None,
        domains=tuple(sorted(set(domains), key=lambda r: r.domain)),
        trusts_user_certificates=trusts_user,
    )
