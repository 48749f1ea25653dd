"""The fixed words of results (severities, verdicts, statuses, evidence parts, error codes) as catalog messages.

Results keep these as identifiers (``high``, ``receiver``, ``not-a-zip``); a report shows them in its language.
``N_`` only marks a string for extraction (Babel's default keyword); the lookup happens in ``word``.
"""

from __future__ import annotations

from reports.i18n import Translator


def N_(text: str) -> str:  # noqa: N802 -- gettext's conventional name for "mark, do not translate yet"
    return text


WORDS: dict[str, str] = {
    # severities and confidences
    "critical": N_("Critical"), "high": N_("High"), "medium": N_("Medium"), "low": N_("Low"), "info": N_("Info"),
    # verdicts
    "FAIL": N_("FAIL"), "REVIEW": N_("REVIEW"), "PASS": N_("PASS"), "INCOMPLETE": N_("INCOMPLETE"),
    # analysis status
    "ok": N_("ok"), "partial": N_("partial"), "error": N_("error"),
    # evidence parts
    "manifest": N_("manifest"), "dex": N_("dex"), "resource": N_("resource"), "certificate": N_("certificate"),
    "native": N_("native"), "asset": N_("asset"), "network_security_config": N_("network security config"),
    # manifest components
    "activity": N_("activity"), "activity-alias": N_("activity alias"), "service": N_("service"),
    "receiver": N_("receiver"), "provider": N_("provider"), "application": N_("application"),
    "uses-permission": N_("uses-permission"), "meta-data": N_("meta-data"),
    # protection levels
    "dangerous": N_("dangerous"), "normal": N_("normal"), "signature": N_("signature"),
    "signature|privileged": N_("signature|privileged"), "appop": N_("appop"), "internal": N_("internal"),
    "special": N_("special"),
    # where an endpoint was found
    "resources": N_("resources"), "network_config": N_("network config"),
    # what a manifest <queries> names
    "packages": N_("packages"), "intent_actions": N_("intent actions"), "providers": N_("providers"),
    # who accepted a finding
    "policy": N_("policy"), "baseline": N_("baseline"),
}

CONFIDENCE: dict[str, str] = {"high": N_("high confidence"), "medium": N_("medium confidence"),
                              "low": N_("low confidence")}

# What a scan error means, by its code (scanner.errors and the ScanErrors detectors record). The message beside
# it is the scanner's own diagnostic: file names, offsets and reasons in English, shown as such.
ERRORS: dict[str, str] = {
    "scan-failed": N_("The scan failed."),
    "input-not-found": N_("The input file was not found."),
    "not-a-zip": N_("The file is not a zip archive, so it is not an APK."),
    "truncated-zip": N_("The zip archive is truncated or damaged."),
    "corrupt-zip": N_("The zip archive is corrupt."),
    "duplicate-entry": N_("The zip holds a duplicate entry; Android rejects such packages."),
    "zip-limit-exceeded": N_("An entry exceeds the size limits for safe unpacking (a possible zip bomb)."),
    "not-an-apk": N_("The archive holds no Android manifest: it is not an Android app."),
    "manifest-unreadable": N_("The manifest cannot be read."),
    "bad-split-bundle": N_("The split bundle is malformed."),
    "code-missing": N_("The manifest says the app has code, but the APK holds none."),
    "memory-limit": N_("The analysis exceeded its memory limit."),
    "dex-unreadable": N_("A dex file cannot be read."),
    "dex-trailing-data": N_("A dex file has data after its end."),
    "packed": N_("The app is packed: the code analysed is the packer's loader, not the app."),
    "split-missing": N_("A split APK of the bundle is missing."),
    "detector-failed": N_("A detector failed; its findings are missing."),
    "detector-skipped": N_("A detector was skipped because one it depends on failed."),
    "resources-unreadable": N_("The resource table cannot be read."),
    "network-config-unreadable": N_("The network security config cannot be read."),
    "signing-block-unreadable": N_("The signing block cannot be read."),
    "worker-crashed": N_("The worker analysing the app crashed."),
    "timeout": N_("The analysis ran out of time."),
    "out-of-memory": N_("The analysis ran out of memory."),
    "internal-error": N_("An internal error stopped the analysis."),
    "stored-result-damaged": N_("The stored result was damaged."),
}
UNKNOWN_ERROR = N_("The analysis recorded a problem.")


def word(t: Translator, key: str) -> str:
    """A result's fixed word in the report's language; an unknown one as it is."""
    return t.gettext(WORDS[key]) if key in WORDS else key


def error_meaning(t: Translator, code: str) -> str:
    return t.gettext(ERRORS.get(code, UNKNOWN_ERROR))
