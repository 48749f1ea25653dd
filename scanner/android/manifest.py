"""Read the decoded AndroidManifest.xml tree the way the package manager interprets it.

Defaults matter more than attributes: an activity with an intent filter and no
``android:exported`` is exported (before Android 12 such apps install fine), a
provider is exported by default only for targetSdk ≤ 16, and cleartext traffic
is allowed by default only below targetSdk 28. Android reads only the first
``<application>``; later ones are ignored, and so they are here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scanner.errors import ManifestError
from scanner.model import Component

ANDROID = "{http://schemas.android.com/apk/res/android}"
COMPONENT_TAGS = ("activity", "activity-alias", "service", "receiver", "provider")
_PROTECTION = {0: "normal", 1: "dangerous", 2: "signature", 3: "signatureOrSystem"}


@dataclass(frozen=True, slots=True)
class RequestedPermission:
    name: str
    max_sdk: int | None
    only_sdk23: bool  # from <uses-permission-sdk-23>: requested on Android 6+ only


@dataclass(frozen=True, slots=True)
class DeclaredPermission:
    name: str
    protection_level: str


@dataclass(frozen=True, slots=True)
class MetaData:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class Queries:
    packages: tuple[str, ...]
    intent_actions: tuple[str, ...]
    providers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ManifestFacts:
    package: str
    version_code: int | None
    version_name: str | None
    min_sdk: int
    target_sdk: int
    max_sdk: int | None
    application_class: str | None
    debuggable: bool
    allow_backup: bool
    uses_cleartext_traffic: bool
    network_security_config: str | None
    permissions: tuple[RequestedPermission, ...]
    declared_permissions: tuple[DeclaredPermission, ...]
    components: tuple[Component, ...]
    meta_data: tuple[MetaData, ...]
    queries: Queries
    split: str | None
    has_code: bool = True  # <application android:hasCode>: false for resource-only packages


def _attr(el: Any, name: str) -> str | None:
    value = el.get(ANDROID + name)
    return None if value is None else str(value)


def _bool(el: Any, name: str, default: bool) -> bool:
    value = _attr(el, name)
    if value is None:
        return default
    return value.strip().lower() in ("true", "1", "0xffffffff", "-1")


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value, 0) if value.lower().startswith("0x") else int(value)
    except ValueError:
        return None


def _class_name(package: str, name: str | None) -> str | None:
    if not name:
        return None
    if name.startswith("."):
        return package + name
    return name if "." in name else f"{package}.{name}"


def _protection(value: str | None) -> str:
    level = _int(value)
    if level is None:
        return value or "normal"
    base = _PROTECTION.get(level & 0xF, str(level & 0xF))
    return base if level <= 0xF else f"{base}|0x{level & ~0xF:x}"


def read_manifest(root: Any, path: str) -> ManifestFacts:
    if root is None or root.tag != "manifest":
        raise ManifestError(path, "AndroidManifest.xml does not start with <manifest>")
    package = root.get("package") or ""
    if not package:
        raise ManifestError(path, "AndroidManifest.xml declares no package name")
    uses_sdk = root.find("uses-sdk")
    min_sdk = _int(_attr(uses_sdk, "minSdkVersion")) if uses_sdk is not None else None
    target = _int(_attr(uses_sdk, "targetSdkVersion")) if uses_sdk is not None else None
    min_sdk = min_sdk or 1
    target = target or min_sdk
    app = root.find("application")
    permissions = [
        RequestedPermission(name, _int(_attr(el, "maxSdkVersion")), el.tag != "uses-permission")
        for el in root
        if el.tag in ("uses-permission", "uses-permission-sdk-23", "uses-permission-sdk-m")
        and (name := _attr(el, "name"))
    ]
    declared = [DeclaredPermission(name, _protection(_attr(el, "protectionLevel")))
                for el in root.findall("permission") if (name := _attr(el, "name"))]
    return ManifestFacts(
        package=package,
        version_code=_int(_attr(root, "versionCode")),
        version_name=_attr(root, "versionName"),
        min_sdk=min_sdk,
        target_sdk=target,
        max_sdk=_int(_attr(uses_sdk, "maxSdkVersion")) if uses_sdk is not None else None,
        application_class=_class_name(package, _attr(app, "name")) if app is not None else None,
        debuggable=app is not None and _bool(app, "debuggable", False),
        allow_backup=app is None or _bool(app, "allowBackup", True),
        uses_cleartext_traffic=app is None or _bool(app, "usesCleartextTraffic", target < 28),
        network_security_config=_attr(app, "networkSecurityConfig") if app is not None else None,
        permissions=tuple(sorted(set(permissions), key=lambda p: (p.name, p.max_sdk or 0))),
        declared_permissions=tuple(sorted(set(declared), key=lambda p: p.name)),
        components=_components(app, package, target),
        meta_data=_meta_data(app),
        queries=_queries(root),
        split=root.get("split"),
        has_code=app is None or _bool(app, "hasCode", True),
    )


def _components(app: Any, package: str, target: int) -> tuple[Component, ...]:
    if app is None:
        return ()
    app_permission = _attr(app, "permission")
    out = []
    for el in app:
        if el.tag not in COMPONENT_TAGS:
            continue
        name = _class_name(package, _attr(el, "targetActivity" if el.tag == "activity-alias" and
                                           _attr(el, "name") is None else "name"))
        if not name:
            continue
        actions = tuple(sorted({a for f in el.findall("intent-filter") for x in f.findall("action")
                                if (a := _attr(x, "name"))}))
        explicit = _attr(el, "exported")
        default = target <= 16 if el.tag == "provider" else bool(el.findall("intent-filter"))
        permission = _attr(el, "permission") or app_permission
        if el.tag == "provider":
            permission = permission or _attr(el, "readPermission") or _attr(el, "writePermission")
        out.append(Component(
            type=el.tag, name=name,
            exported=_bool(el, "exported", default), exported_explicit=explicit is not None,
            permission=permission, intent_actions=actions, enabled=_bool(el, "enabled", True),
            authorities=tuple((_attr(el, "authorities") or "").split(";")) if el.tag == "provider" else (),
        ))
    return tuple(sorted(out, key=lambda c: (c.type, c.name)))


def _meta_data(app: Any) -> tuple[MetaData, ...]:
    if app is None:
        return ()
    items = [MetaData(name, _attr(el, "value") or _attr(el, "resource") or "")
             for el in app.findall("meta-data") if (name := _attr(el, "name"))]
    return tuple(sorted(set(items), key=lambda m: (m.name, m.value)))


def _queries(root: Any) -> Queries:
    packages: set[str] = set()
    actions: set[str] = set()
    providers: set[str] = set()
    for q in root.findall("queries"):
        packages.update(n for el in q.findall("package") if (n := _attr(el, "name")))
        actions.update(n for i in q.findall("intent") for el in i.findall("action")
                       if (n := _attr(el, "name")))
        providers.update(n for el in q.findall("provider") if (n := _attr(el, "authorities")))
    return Queries(tuple(sorted(packages)), tuple(sorted(actions)), tuple(sorted(providers)))
