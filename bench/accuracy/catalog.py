"""The pinned inputs of the accuracy set: SDK rows (``sdks.toml``) and evaluation apps (``apps.toml``).

One reading, checked once, so that building, truth and scoring cannot disagree about what an app holds.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from accuracy.paths import APPS_TOML, SDKS_TOML

READS = ("imei", "imsi", "android_id", "mac", "installed_packages", "last_location", "clipboard", "serial")
_SHA256_LEN = 64


class CatalogError(ValueError):
    """A mistake in sdks.toml or apps.toml, named precisely."""


@dataclass(frozen=True)
class SdkRow:
    label: str
    id: str
    expected: tuple[str, ...]
    registry: str
    package: str
    package_version: str
    tarball: str
    sha256: str
    archives: tuple[str, ...]
    native: tuple[str, ...]
    version: str
    version_source: str
    init: tuple[str, ...]
    context: str  # "any" or "activity": what p0 must be when the init statements run
    new_id: bool


@dataclass(frozen=True)
class AppSpec:
    name: str
    package: str
    on_create: tuple[str, ...]  # SDK labels started in Application.onCreate (before any consent)
    after_consent: tuple[str, ...]  # SDK labels started from the consent button's click handler
    app_reads: tuple[str, ...]  # first-party reads in the Application class (manifest package)
    activity_reads: tuple[str, ...]  # in MainActivity.onCreate (manifest package)
    helper_reads: tuple[str, ...]  # in org.appaudit.util.DeviceInfo (outside it), after consent

    @property
    def sdks(self) -> tuple[str, ...]:
        return self.on_create + self.after_consent


def _row(raw: dict[str, object]) -> SdkRow:
    def text(key: str, default: str | None = None) -> str:
        value = raw.get(key, default)
        if not isinstance(value, str) or not value:
            raise CatalogError(f"sdks.toml row {raw.get('label')!r}: {key} must be a non-empty string")
        return value

    def texts(key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CatalogError(f"sdks.toml row {raw.get('label')!r}: {key} must be a list of strings")
        return tuple(value)

    label, sdk_id = text("label"), text("id")
    expected = texts("expected") or (sdk_id,)
    if sdk_id not in expected:
        raise CatalogError(f"sdks.toml row {label!r}: expected must include its id {sdk_id!r}")
    sha = text("sha256")
    if len(sha) != _SHA256_LEN or any(c not in "0123456789abcdef" for c in sha):
        raise CatalogError(f"sdks.toml row {label!r}: sha256 must be 64 lower-case hex digits")
    context = text("context", "any")
    if context not in ("any", "activity"):
        raise CatalogError(f"sdks.toml row {label!r}: context must be 'any' or 'activity'")
    archives = texts("archives")
    if not archives or not all(a.endswith((".jar", ".aar")) for a in archives):
        raise CatalogError(f"sdks.toml row {label!r}: archives must name .jar or .aar files")
    return SdkRow(label=label, id=sdk_id, expected=expected, registry=text("registry"), package=text("package"),
                  package_version=text("package_version"), tarball=text("tarball"), sha256=sha,
                  archives=archives, native=texts("native"), version=text("version"),
                  version_source=text("version_source"), init=texts("init"), context=context,
                  new_id=bool(raw.get("new_id", False)))


def load_sdks(path: Path = SDKS_TOML) -> dict[str, SdkRow]:
    """Every SDK row by label, in file order."""
    rows: dict[str, SdkRow] = {}
    for raw in tomllib.loads(path.read_text(encoding="utf-8")).get("sdk", []):
        row = _row(raw)
        if row.label in rows:
            raise CatalogError(f"sdks.toml: duplicate label {row.label!r}")
        rows[row.label] = row
    return rows


def _app(raw: dict[str, object], sdks: dict[str, SdkRow]) -> AppSpec:
    name = str(raw.get("name", ""))

    def labels(key: str, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CatalogError(f"apps.toml app {name!r}: {key} must be a list of strings")
        unknown = [v for v in value if (v not in allowed if allowed is not None else v not in sdks)]
        if unknown:
            raise CatalogError(f"apps.toml app {name!r}: unknown {key} {', '.join(unknown)}")
        return tuple(value)

    app = AppSpec(name=name, package=str(raw.get("package", "")), on_create=labels("on_create"),
                  after_consent=labels("after_consent"), app_reads=labels("app_reads", READS),
                  activity_reads=labels("activity_reads", READS), helper_reads=labels("helper_reads", READS))
    if not app.name.isidentifier() or not app.package.startswith("org.appaudit.eval."):
        raise CatalogError(f"apps.toml app {name!r}: needs a name and a package under org.appaudit.eval.")
    early = [label for label in app.on_create if sdks[label].context == "activity"]
    if early:
        raise CatalogError(f"apps.toml app {name!r}: {', '.join(early)} need an Activity; start them after consent")
    if len(set(app.sdks)) != len(app.sdks):
        raise CatalogError(f"apps.toml app {name!r}: an SDK is listed twice")
    return app


def load_apps(sdks: dict[str, SdkRow], path: Path = APPS_TOML) -> list[AppSpec]:
    """Every evaluation app, in file order."""
    apps = [_app(raw, sdks) for raw in tomllib.loads(path.read_text(encoding="utf-8")).get("app", [])]
    names = [a.name for a in apps]
    if len(set(names)) != len(names):
        raise CatalogError("apps.toml: duplicate app name")
    return apps
