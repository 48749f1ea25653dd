"""Integrity: what Android would do with a tampered package that other tools read differently.

A signature that does not verify (``scanner.android.signing``) is a finding naming the API levels on
which Android refuses the install and why; an APK that is not signed at all is one too, but a low one,
since release pipelines often sign after the build a developer scans.

A dex before the zip entries (Janus) is code that old Android runs in place of ``classes.dex``;
it is scanned too, under the name ``prepended.dex``, and is a high finding of its own. The other
zip tricks (``scanner.input.ziptricks``) show one thing to Android and another to analysis tools:
one finding per APK lists them all, since each is evidence of deliberate tampering rather than a
separate problem to fix. Binary-XML tricks in the manifest (``scanner.android.axml``: attribute names
that lie about their resource id, chunks other parsers stop at, elements placed where the package
manager does not read them) are one finding likewise.
"""

from __future__ import annotations

from scanner.analysis.detectors.base import Context, Results
from scanner.analysis.findings import finding
from scanner.input.ziptricks import PREPENDED_DEX
from scanner.model import Evidence, RuleHit, Severity, SigningInfo

ID = "integrity"
NEEDS: tuple[str, ...] = ()
JANUS = "prepended-dex"


def detect(context: Context) -> Results:
    facts = context.facts
    tricks = facts.apk.zip_tricks
    out: list[RuleHit] = []
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
    tricks_in_manifest = facts.apk.manifest.tricks
    if tricks_in_manifest:
        kinds = sorted({t.code for t in tricks_in_manifest})
        lead = tricks_in_manifest[0]
        more = f" ({len(tricks_in_manifest) - 1} more listed in the evidence)" if len(tricks_in_manifest) > 1 else ""
        out.append(finding(context.kb, "apk.manifest_tampered", facts.package, (
            f"AndroidManifest.xml is built to read differently in analysis tools than in Android "
            f"({', '.join(kinds)}): {lead.message}{more}. This report follows what Android reads."),
            [Evidence("manifest", t.code, t.message) for t in tricks_in_manifest[:20]], key=("apk", "manifest")))
    out += _signature(context, facts.apk.signing)
    return Results(findings=tuple(out))


NOT_SIGNED = "not signed"


def _signature(context: Context, signing: SigningInfo) -> list[RuleHit]:
    if signing.verified is not False:  # verified, or a stored result from before verification
        return []
    package = context.facts.package
    if signing.reason == NOT_SIGNED:
        return [finding(context.kb, "signing.not_verified", package, (
            "The APK is not signed: Android refuses to install it. Sign it before release; if a later step of "
            "the release pipeline signs it, scan the signed APK."), [Evidence("certificate", "signing", NOT_SIGNED)],
            key=("signing", "verified"), severity=Severity.LOW)]
    refused = [t for t in signing.trusted if t.scheme is None]
    levels = ", ".join(f"API {t.min_sdk}" if t.min_sdk == t.max_sdk else f"API {t.min_sdk}–{t.max_sdk}"
                       for t in refused)
    where = (f"Android refuses to install it on {levels}" if refused else
             "each device finds a signature it trusts, but the schemes disagree, which apksigner refuses")
    evidence = [Evidence("certificate", c.scheme, c.reason or "does not verify")
                for c in signing.checks if c.verified is False]
    evidence += [Evidence("certificate", f"API {t.min_sdk}-{t.max_sdk}", t.reason or "refused") for t in refused]
    return [finding(context.kb, "signing.not_verified", package, (
        f"The APK's signature does not verify ({signing.reason}): {where}."),
        evidence or [Evidence("certificate", "signing", signing.reason or "does not verify")],
        key=("signing", "verified"))]
