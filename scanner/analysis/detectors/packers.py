"""Packed apps: the visible dex is a loader, the real code is encrypted until run time.

A packed app must never look clean, so any indicator marks the analysis
incomplete (``status: "partial"``) and names the protector.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from scanner.analysis.attribution import dotted
from scanner.analysis.detectors.base import Context, Results
from scanner.analysis.findings import finding
from scanner.model import Confidence, Evidence, ScanError

ID = "packers"
NEEDS: tuple[str, ...] = ()


def detect(context: Context) -> Results:
    kb, facts = context.kb, context.facts
    classes = {dotted(n) for n in facts.dex.class_names()}
    app_class = facts.apk.manifest.application_class
    libs = [(lib.name, lib.path) for lib in facts.apk.native_libs]
    assets = facts.apk.assets
    findings, incomplete = [], []
    for packer in kb.packers:
        evidence = [Evidence("dex" if c in classes else "manifest", "class", c) for c in packer.classes
                    if c in classes or c == app_class]
        evidence += [Evidence("native", path, name) for name, path in libs
                     if any(fnmatchcase(name, pattern) for pattern in packer.libraries)]
        evidence += [Evidence("asset", "assets/" + a, a) for a in assets
                     if any(a.startswith(p) if p.endswith("/") else fnmatchcase(a.rpartition("!")[2], p)
                            for p in packer.assets)]
        if not evidence:
            continue
        confidence = Confidence.HIGH if len({e.part for e in evidence}) > 1 else Confidence.MEDIUM
        findings.append(finding(kb, "packer.detected", facts.package,
                                f"Protected by {packer.name} ({packer.vendor}): the real code is encrypted and "
                                "was not analysed.", evidence, key=("packer", packer.id), confidence=confidence))
        incomplete.append(ScanError("packed", f"{facts.source.path}: packed with {packer.name}; the code this "
                                    "report covers is the packer's loader, not the app"))
    return Results(findings=tuple(findings), incomplete=tuple(incomplete))
