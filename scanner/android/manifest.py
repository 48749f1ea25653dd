"""Read the decoded AndroidManifest.xml tree the way the package manager interprets it.

Defaults matter more than attributes: an activity with an intent filter and no
``android:exported`` is exported (before Android 12 such apps install fine), a
provider is exported by default only for targetSdk ≤ 16, and cleartext traffic
is allowed by default only below targetSdk 28.

Where elements count is the package manager's (``ParsingPackageUtils.parseBaseApkTags``): the
children of ``<manifest>`` in any order (a ``<uses-permission>`` after ``<application>`` is read),
each read by its tag; an unknown tag is skipped with everything inside it (a permission nested in
one is not requested). Only the first ``<application>`` is the app's. See ``_read_tags`` for what
Android does with a second one. Where a hostile manifest places elements Android does not read,
or in a way other tools read differently, the manifest facts carry it as a ``Trick``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scanner.android.axml import Trick
from scanner.errors import ManifestError
from scanner.model import Component

ANDROID = "{http://schemas.android.com/apk/res/android}"
COMPONENT_TAGS = ("activity", "activity-alias", "service", "receiver", "provider")
USES_PERMISSION_TAGS = ("uses-permission", "uses-permission-sdk-23", "uses-permission-sdk-m")
_WATCHED = frozenset((*USES_PERMISSION_TAGS, "permission", "uses-sdk", *COMPONENT_TAGS))
_MAX_LISTED = 20  # elements Android does not read, named one trick each
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
    # how the binary XML or the manifest is built to read differently in other tools than in Android
    tricks: tuple[Trick, ...] = ()


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


def read_manifest(root: Any, path: str, tricks: tuple[Trick, ...] = ()) -> ManifestFacts:
    """The manifest facts of a decoded tree; ``tricks`` are the binary XML reader's (kept, then ours)."""
    if root is None or root.tag != "manifest":
        raise ManifestError(path, "AndroidManifest.xml does not start with <manifest>")
    package = root.get("package") or ""
    if not package:
        raise ManifestError(path, "AndroidManifest.xml declares no package name")
    app, tags, found = _read_tags(root)
    # every <uses-sdk> sets both versions (target defaulting to min): the last one wins
    uses_sdk = next((el for el in reversed(tags) if el.tag == "uses-sdk"), None)
    min_sdk = _int(_attr(uses_sdk, "minSdkVersion")) if uses_sdk is not None else None
    target = _int(_attr(uses_sdk, "targetSdkVersion")) if uses_sdk is not None else None
    min_sdk = min_sdk or 1
    target = target or min_sdk
    permissions = [
        RequestedPermission(name, _int(_attr(el, "maxSdkVersion")), el.tag != "uses-permission")
        for el in tags if el.tag in USES_PERMISSION_TAGS and (name := _attr(el, "name"))
    ]
    declared = [DeclaredPermission(name, _protection(_attr(el, "protectionLevel")))
                for el in tags if el.tag == "permission" and (name := _attr(el, "name"))]
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
        queries=_queries(tags),
        split=root.get("split"),
        has_code=app is None or _bool(app, "hasCode", True),
        tricks=(*tricks, *found),
    )


def _read_tags(root: Any) -> tuple[Any, list[Any], list[Trick]]:
    """The ``<application>`` the package manager reads, the elements it reads as children of ``<manifest>``,
    and tricks: elements of interest placed where Android does not read them.

    The first ``<application>`` is the app. A later one is not skipped by today's package manager: from
    Android 11, ``ParsingPackageUtils`` logs "<manifest> has more than one <application>" and reads on
    *inside* it, as if its children were children of ``<manifest>``: a ``<uses-permission>`` there is
    requested, its components are unknown tags and skipped. (``PackageParser`` up to Android 10 skipped it
    whole; ``aapt dump badging`` reads by depth, listing its components and ignoring its permissions.
    We follow the package manager of current Android.)
    """
    app = None
    tags: list[Any] = []
    extra: list[Any] = []
    pending = [iter(root)]  # an explicit stack: a hostile manifest may nest applications deeply
    while pending:
        for el in pending[-1]:
            if el.tag != "application":
                tags.append(el)
            elif app is None:
                app = el
            else:
                extra.append(el)
                pending.append(iter(el))
                break
        else:
            pending.pop()
    tricks: list[Trick] = []
    if extra:
        ignored = sum(1 for a in extra for el in a if el.tag in COMPONENT_TAGS)
        read = sum(1 for a in extra for el in a if el.tag != "application" and el.tag not in COMPONENT_TAGS)
        tricks.append(Trick("extra-application", f"{len(extra) + 1} <application> elements: Android reads the "
                                                 f"first; of the others it ignores the {ignored} component(s) and "
                                                 f"(from Android 11) reads the {read} other element(s) as if they "
                                                 "were children of <manifest>"))
    tricks += _unread(root, app, tags)
    return app, tags, tricks


def _unread(root: Any, app: Any, tags: list[Any]) -> list[Trick]:
    """Permissions, ``<uses-sdk>`` and components placed where the package manager never reads them."""
    # read: manifest-level tags other than components (unknown there), and the first application's components
    read = {id(el) for el in tags if el.tag not in COMPONENT_TAGS}
    if app is not None:
        read.update(id(el) for el in app if el.tag in COMPONENT_TAGS)
    tricks: list[Trick] = []
    stack = [(root, child) for child in root]
    while stack:
        parent, el = stack.pop()
        if el.tag in _WATCHED and id(el) not in read:
            what = f"<{el.tag}> {_attr(el, 'name') or ''}".rstrip()
            tricks.append(Trick("ignored-element", f"{what} inside <{parent.tag}>: Android does not read it there"))
        stack.extend((el, child) for child in el)
    tricks.sort(key=lambda t: t.message)
    if len(tricks) > _MAX_LISTED:  # a hostile manifest may hold any number: name the first, count the rest
        last = tricks[_MAX_LISTED - 1]
        tricks[_MAX_LISTED - 1] = Trick(last.code, f"{last.message} (and {len(tricks) - _MAX_LISTED} more)")
        del tricks[_MAX_LISTED:]
    return tricks


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


def _queries(tags: list[Any]) -> Queries:
    packages: set[str] = set()
    actions: set[str] = set()
    providers: set[str] = set()
    for q in tags:
        if q.tag != "queries":
            continue
        packages.update(n for el in q.findall("package") if (n := _attr(el, "name")))
        actions.update(n for i in q.findall("intent") for el in i.findall("action")
                       if (n := _attr(el, "name")))
        providers.update(n for el in q.findall("provider") if (n := _attr(el, "authorities")))
    return Queries(tuple(sorted(packages)), tuple(sorted(actions)), tuple(sorted(providers)))
