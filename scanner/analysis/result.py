"""Turn gathered facts (or a failure) into the ``Audit`` value every writer renders."""

from __future__ import annotations

from dataclasses import asdict

from scanner.analysis.detectors import Results
from scanner.analysis.facts import AppFacts
from scanner.analysis.grouping import group
from scanner.errors import ScanFailure
from scanner.model import (
    AppInfo,
    Audit,
    DexInfo,
    FilesInfo,
    InputInfo,
    KnowledgeBaseInfo,
    ManifestInfo,
    PermissionEntry,
    ScanError,
    Status,
    ToolInfo,
)
from scanner.version import __version__
from signatures.model import KnowledgeBase

TOOL = ToolInfo("appaudit", __version__)


def error_audit(info: InputInfo, failure: ScanFailure, kb: KnowledgeBase) -> Audit:
    """The result of an app that could not be analysed: the input and the reason."""
    return Audit(TOOL, KnowledgeBaseInfo(kb.version, kb.date), info, Status.ERROR,
                 (ScanError(failure.code, str(failure)),))


def build_audit(kb: KnowledgeBase, info: InputInfo, facts: AppFacts, status: Status,
                problems: tuple[ScanError, ...], found: Results, category: str | None) -> Audit:
    m = facts.apk.manifest
    permissions = []
    for p in m.permissions:
        known = kb.permission(p.name)
        permissions.append(PermissionEntry(
            p.name, p.max_sdk, p.only_sdk23,
            known.protection_level if known else None,
            known.pi_category if known else None,
            known.sensitive if known else None,
        ))
    return Audit(
        tool=TOOL,
        knowledge_base=KnowledgeBaseInfo(kb.version, kb.date),
        input=info,
        status=status,
        errors=problems,
        app=AppInfo(m.package, facts.apk.label, m.version_code, m.version_name, m.min_sdk,
                    m.target_sdk, m.max_sdk, m.application_class),
        signing=facts.apk.signing,
        manifest=ManifestInfo(
            debuggable=m.debuggable, allow_backup=m.allow_backup,
            uses_cleartext_traffic=m.uses_cleartext_traffic,
            network_security_config=m.network_security_config,
            declared_permissions=tuple({"name": d.name, "protection_level": d.protection_level}
                                       for d in m.declared_permissions),
            meta_data=tuple({"name": d.name, "value": d.value} for d in m.meta_data),
            queries=asdict(m.queries),
        ),
        permissions=tuple(permissions),
        components=m.components,
        files=FilesInfo(tuple({"abi": lib.abi, "name": lib.name, "path": lib.path}
                              for lib in facts.apk.native_libs),
                        facts.apk.assets, facts.source.splits),
        dex=DexInfo(facts.dex_files, facts.ignored_dex, facts.dex.class_count, facts.dex.method_count),
        sdks=found.sdks,
        api_calls=found.api_calls,
        endpoints=found.endpoints,
        findings=group(found.findings, kb, m.package),
        disclosure=found.disclosure,
        category=category,
        privacy_policy=found.policy[0] if found.policy else None,
    )
