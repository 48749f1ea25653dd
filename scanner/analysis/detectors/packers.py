"""Analysis coverage: packed apps, and parts of the app that could not be read.

A packed app's visible dex is a loader, the real code is encrypted until run time.
A packed app must never look clean, so any indicator marks the analysis incomplete
(``status: "partial"``) and names the protector. A part that could not be read (a
damaged dex, resource table or signing block) already makes the result partial; it
is also reported as an ``analysis.incomplete`` finding, so that a gate, a baseline
or a reader of findings alone sees that findings may be missing for that part.
"""

from __future__ import annotations

from collections import defaultdict

from scanner.analysis.attribution import dotted_names
from scanner.analysis.detectors.base import Context, Results
from scanner.analysis.findings import finding
from scanner.model import Confidence, Evidence, RuleHit, ScanError
from signatures.globs import glob_match

ID = "packers"
NEEDS: tuple[str, ...] = ()


def detect(context: Context) -> Results:
    kb, facts = context.kb, context.facts
    classes = set(dotted_names(facts.dex.class_names()))
    app_class = facts.apk.manifest.application_class
    libs = [(lib.name, lib.path) for lib in facts.apk.native_libs]
    assets = facts.apk.assets
    findings, incomplete = [], []
    for packer in kb.packers:
        evidence = [Evidence("dex" if c in classes else "manifest", "class", c) for c in packer.classes
                    if c in classes or c == app_class]
        evidence += [Evidence("native", path, name) for name, path in libs
                     if any(glob_match(name, pattern) for pattern in packer.libraries)]
        evidence += [Evidence("asset", "assets/" + a, a) for a in assets
                     if any(a.startswith(p) if p.endswith("/") else glob_match(a.rpartition("!")[2], p)
                            for p in packer.assets)]
        if not evidence:
            continue
        confidence = Confidence.HIGH if len({e.part for e in evidence}) > 1 else Confidence.MEDIUM
        findings.append(finding(kb, "packer.detected", facts.package,
                                f"Protected by {packer.name} ({packer.vendor}): the real code is encrypted and "
                                "was not analysed.", evidence, key=("packer", packer.id), confidence=confidence,
                                verified=packer.verified))
        incomplete.append(ScanError("packed", f"{facts.source.path}: packed with {packer.name}; the code this "
                                    "report covers is the packer's loader, not the app"))
    return Results(findings=tuple(findings + _unread(context)), incomplete=tuple(incomplete))


def _unread(context: Context) -> list[RuleHit]:
    """One finding per kind of problem that left part of the app unread (two damaged dex files: one finding)."""
    facts = context.facts
    by_code: dict[str, list[ScanError]] = defaultdict(list)
    for problem in facts.problems:
        by_code[problem.code].append(problem)
    out = []
    for code, problems in sorted(by_code.items()):
        reasons = [p.message.removeprefix(f"{facts.source.path}: ") for p in problems]
        more = f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""
        out.append(finding(context.kb, "analysis.incomplete", facts.package,
                           f"Part of the app could not be read: {reasons[0]}{more}. Findings may be missing for it.",
                           [Evidence("app", code, reason) for reason in reasons[:12]], key=("incomplete", code)))
    return out
