"""The pipeline for one app: open, gather facts, index the code, find what runs before consent, detect.

Nothing a hostile APK does may escape as a traceback: input and format failures
become ``status: "error"`` with their typed reason, a crashing detector becomes
an error entry of that app while the others still run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from scanner.analysis.detection import detect
from scanner.analysis.facts import AppFacts
from scanner.analysis.gather import gather, signed
from scanner.analysis.index import CodeIndex, build_index
from scanner.analysis.options import AnalysisOptions
from scanner.analysis.policy_source import bundled_policy
from scanner.analysis.reachability import PreConsent, pre_consent
from scanner.analysis.result import error_audit
from scanner.analysis.targets import api_targets
from scanner.dex.references import code_graph
from scanner.errors import MemoryLimit, ScanFailure
from scanner.input.archive import open_app
from scanner.model import Audit, InputInfo
from signatures.model import KnowledgeBase


@dataclass(frozen=True, slots=True)
class Analysis:
    """An audit with what it was made from, for callers that keep the facts (batch snapshots)."""

    audit: Audit
    facts: AppFacts | None = None
    index: CodeIndex | None = None
    reach: PreConsent | None = None


def analyse(path: str, kb: KnowledgeBase, options: AnalysisOptions | None = None) -> Analysis:
    """Analyse one APK or split bundle against ``kb``; never raises for bad input."""
    options = options or AnalysisOptions()
    try:
        # the process verifying meanwhile (signing_ahead.py) may have the file read already, and hashed
        read_before = getattr(options.signing, "read_before", None)
        data, sha256 = read_before(path) if read_before else (None, None)
        archive = open_app(path, options.limits, data, sha256)
    except ScanFailure as exc:
        return Analysis(error_audit(InputInfo(path, None, None, None), exc, kb))
    info = InputInfo(path, archive.sha256, archive.size, archive.format)
    try:
        # a process verifying meanwhile (signing_ahead.py) also hands over the dex it inflated
        facts, dex = gather(archive, signing_later=options.signing is not None,
                            inflated=getattr(options.signing, "inflated", None))
        facts = replace(facts, graph=code_graph(dex.files))
        index = build_index(facts, dex, api_targets(kb))
        reach = pre_consent(dex, facts.apk.manifest)
        facts = replace(facts, policy=options.privacy_policy or bundled_policy(archive, dex.files, kb))
        if options.signing is not None:  # verified meanwhile in another process: asked for last
            facts = signed(facts, archive, options.signing)
    except ScanFailure as exc:
        return Analysis(error_audit(info, exc, kb))
    except MemoryError:
        return Analysis(error_audit(info, MemoryLimit(path, "reading the app needs more memory than the cap "
                                                      "(--max-memory) allows"), kb))
    except Exception as exc:  # noqa: BLE001 -- a reader bug must not end a batch: it becomes this app's error
        return Analysis(error_audit(info, ScanFailure(path, f"internal error while reading the app: {exc!r}"), kb))
    return Analysis(detect(facts, index, reach, kb, options.category), facts, index, reach)
