"""The scan result (schema ``appaudit/1``) as frozen dataclasses.

Every writer renders from an ``Audit``; the JSON writer emits it with sorted keys
and lists in a stable order so two runs on the same input diff cleanly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

SCHEMA = "appaudit/1"


class Status(enum.StrEnum):
    OK = "ok"
    PARTIAL = "partial"  # some part could not be analysed (packed, one unreadable dex…)
    ERROR = "error"  # nothing could be analysed; ``errors`` says why


@dataclass(frozen=True, slots=True)
class ToolInfo:
    name: str
    version: str


@dataclass(frozen=True, slots=True)
class KnowledgeBaseInfo:
    version: str
    date: str


@dataclass(frozen=True, slots=True)
class InputInfo:
    path: str
    sha256: str | None
    size: int | None
    format: str | None  # apk | xapk | apks | apkm


@dataclass(frozen=True, slots=True, order=True)
class ScanError:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class AppInfo:
    package: str
    label: str
    version_code: int | None
    version_name: str | None
    min_sdk: int
    target_sdk: int
    max_sdk: int | None
    application_class: str | None


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    sha256: str
    subject: str
    issuer: str
    debug: bool


@dataclass(frozen=True, slots=True)
class SigningInfo:
    schemes: tuple[str, ...]
    certificates: tuple[CertificateInfo, ...]


@dataclass(frozen=True, slots=True)
class PermissionEntry:
    name: str
    max_sdk: int | None
    only_sdk23: bool
    protection_level: str | None  # None: not a permission the knowledge base knows
    pi_category: str | None
    sensitive: str | None  # yes | context | no (PIPL sensitive personal information)


@dataclass(frozen=True, slots=True)
class ComponentEntry:
    type: str
    name: str
    exported: bool
    exported_explicit: bool
    enabled: bool
    permission: str | None
    intent_actions: tuple[str, ...]
    authorities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ManifestInfo:
    """Manifest facts beyond the app header: flags, declared permissions, meta-data, queries."""

    debuggable: bool
    allow_backup: bool
    uses_cleartext_traffic: bool
    network_security_config: str | None
    declared_permissions: tuple[dict[str, str], ...]
    meta_data: tuple[dict[str, str], ...]
    queries: dict[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class FilesInfo:
    native_libs: tuple[dict[str, str], ...]  # {abi, name, path}
    assets: tuple[str, ...]
    splits: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DexInfo:
    files: tuple[str, ...]
    ignored: tuple[str, ...]  # classes*.dex Android does not load (after a gap in the numbering)
    classes: int
    methods: int


@dataclass(frozen=True, slots=True)
class Evidence:
    part: str  # manifest | dex | resource | certificate | native | asset
    path: str
    symbol: str


@dataclass(frozen=True, slots=True)
class Audit:
    """One app's result. Later stages fill sdks, api_calls, endpoints and findings."""

    tool: ToolInfo
    knowledge_base: KnowledgeBaseInfo
    input: InputInfo
    status: Status
    errors: tuple[ScanError, ...] = ()
    app: AppInfo | None = None
    signing: SigningInfo | None = None
    manifest: ManifestInfo | None = None
    permissions: tuple[PermissionEntry, ...] = ()
    components: tuple[ComponentEntry, ...] = ()
    files: FilesInfo | None = None
    dex: DexInfo | None = None
    sdks: tuple[dict, ...] = ()
    api_calls: tuple[dict, ...] = ()
    endpoints: tuple[dict, ...] = ()
    findings: tuple[dict, ...] = ()
    schema: str = field(default=SCHEMA)
