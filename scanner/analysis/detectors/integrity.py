"""Integrity: what Android would do with a tampered package that other tools read differently.

A dex before the zip entries (Janus) is code that old Android runs in place of ``classes.dex``;
it is scanned too, under the name ``prepended.dex``, and is a high finding of its own. The other
zip tricks (``scanner.input.ziptricks``) show one thing to Android and another to analysis tools:
one finding per APK lists them all, since each is evidence of deliberate tampering rather than a
separate problem to fix.
"""

from __future__ import annotations

from scanner.analysis.detectors.base import Context, Results
from scanner.analysis.findings import finding
from scanner.input.ziptricks import PREPENDED_DEX
from scanner.model import Evidence, Finding

ID = "integrity"
NEEDS: tuple[str, ...] = ()
JANUS = "prepended-dex"


def detect(context: Context) -> Results:
    facts = context.facts
    tricks = facts.apk.zip_tricks
    out: list[Finding] = []
    for trick in (t for t in tricks if t.code == JANUS):
        scanned = PREPENDED_DEX in facts.dex_files
        out.append(finding(context.kb, "apk.janus", facts.package, (
            f"{trick.detail[0].upper()}{trick.detail[1:]}. "
            + ("Its code was scanned too: call sites in it are marked prepended.dex." if scanned else
               "It could not be read, so its code is not in this report.")),
            [Evidence("apk", "zip", "a dex before the first zip entry")], key=("apk", "janus")))
    others = [t for t in tricks if t.code != JANUS]
    if others:
        kinds = sorted({t.code for t in others})
        first = others[0]
        where = f"{first.entry}: " if first.entry else ""
        more = f" ({len(others) - 1} more listed in the evidence)" if len(others) > 1 else ""
        out.append(finding(context.kb, "apk.zip_tampered", facts.package, (
            f"The zip reads differently to Android and to other tools ({', '.join(kinds)}): "
            f"{where}{first.detail}{more}."),
            [Evidence("apk", t.code, f"{t.entry}: {t.detail}" if t.entry else t.detail) for t in others[:20]],
            key=("apk", "zip")))
    return Results(findings=tuple(out))
