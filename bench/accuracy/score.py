"""Score appaudit against the accuracy set's truth: does it name the right SDKs, and who reads PI?

appaudit runs exactly as a user runs it (the installed CLI, JSON output). Figures, per SDK row and in
total:
- SDK recall and precision: expected ids against reported non-stub SDKs, per app;
- attribution: of the truth PI call sites appaudit reports (matched on caller and API), the share it
  gives to the right owner (an SDK site: any id the row's archives carry; a first-party site: party
  "app", or no SDK while the JSON has no ``party``);
- version accuracy: reported ``version`` equals the vendor's, normalised;
- truth sites appaudit does not report, and reported sites that are not in the truth, counted apart
  so that they never blur the attribution share.

    PYTHONPATH=bench python -m accuracy.score      (after accuracy.build; make accuracy runs both)
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from accuracy.catalog import SdkRow, load_sdks
from accuracy.paths import ROOT, cache_dir
from accuracy.truth import FIRST_PARTY, load_pi_apis


def _installed_cli() -> Path:
    """The CLI beside the running Python (the project's venv), else .venv's; ``APPAUDIT_BIN`` names
    another executable (for instance a wrapper that runs another checkout)."""
    configured = os.environ.get("APPAUDIT_BIN", "").strip()
    if configured:
        return Path(configured)
    beside = Path(sys.executable).parent / "appaudit"
    return beside if beside.exists() else ROOT / ".venv" / "bin" / "appaudit"


APPAUDIT = _installed_cli()
OK_EXITS = (0, 1)  # clean, or findings at or above --fail-on: both wrote a report
HEADLINES = ("sdk_recall", "sdk_precision", "sdk_attribution", "app_attribution", "site_coverage",
             "version_accuracy")


def normalise_version(text: object) -> str:
    """'android 5.5.3', 'v3_0_3', '3.3.12.0' -> '5.5.3', '3.0.3', '3.3.12' (trailing .0 dropped)."""
    if not isinstance(text, str):
        return ""
    value = re.sub(r"^(android|v)\s*", "", text.strip().lower()).replace("_", ".")
    parts = value.split(".")
    while len(parts) > 1 and parts[-1] == "0":
        parts.pop()
    return ".".join(parts)


def _dex_string(text: str) -> bytes:
    """A dex string_data_item as it sits in the file: ULEB128 length in UTF-16 units, the bytes, a NUL."""
    size, out = len(text), bytearray()
    while True:
        byte, size = size & 0x7F, size >> 7
        out.append(byte | (0x80 if size else 0))
        if not size:
            return bytes(out) + text.encode("utf-8") + b"\0"


def carries_version(label: str, version: str) -> bool:
    """Does the SDK's own dexed code hold its version as a string (dotted, underscored, after "android ")?

    Read from the bytes of the dex files D8 made of the vendor's archives alone, not through appaudit:
    an SDK whose code never states its version cannot be expected to get one.
    """
    forms = {version, version.replace(".", "_"), f"android {version}"}  # WeChat: "android 2.1.3"
    needles = [_dex_string(f) for f in forms]
    folder = cache_dir() / "sdk" / label / "dex"
    return any(n in dex.read_bytes() for dex in sorted(folder.glob("*.dex")) for n in needles)


def scan(apk: Path, out: Path, appaudit: Path = APPAUDIT) -> dict[str, object]:
    """appaudit's JSON report for one APK (raises with its output when the scan failed)."""
    done = subprocess.run([str(appaudit), "scan", str(apk), "-o", str(out), "-f", "json"],
                          capture_output=True, text=True, timeout=1800, check=False)
    report = out / f"{apk.stem}.json"
    if done.returncode not in OK_EXITS or not report.exists():
        raise RuntimeError(f"appaudit scan {apk.name} exited {done.returncode}: {(done.stdout + done.stderr)[-2000:]}")
    return dict(json.loads(report.read_text(encoding="utf-8")))


def _party(call: dict[str, object]) -> str:
    party = call.get("party")
    if isinstance(party, str):
        return party
    return "app" if call.get("sdk") is None else "sdk"


class Tally:
    """Counts for one SDK row (over every app that embeds it) or for the first party."""

    def __init__(self) -> None:
        self.expected = self.found = self.sites = self.matched = self.right = self.unreported = 0
        self.versions = self.versions_right = 0
        self.carries_version = False
        self.version_claims_wrong = 0
        self.apps: list[str] = []
        self.classes = 0
        self.reported_versions: list[str] = []
        self.wrong_owner: dict[str, int] = {}  # what appaudit said instead, for sites it got wrong

    def as_dict(self) -> dict[str, object]:
        return {"apps": self.apps, "classes": self.classes, "truth_sites": self.sites,
                "expected_ids": self.expected, "found_ids": self.found, "recall": _share(self.found, self.expected),
                "matched_sites": self.matched, "attributed_right": self.right,
                "attribution": _share(self.right, self.matched), "truth_not_reported": self.unreported,
                "carries_version": self.carries_version, "version_checks": self.versions,
                "version_right": self.versions_right, "version_claims_wrong": self.version_claims_wrong,
                "version_accuracy": _share(self.versions_right, self.versions),
                "reported_versions": self.reported_versions, "wrong_owner": dict(sorted(self.wrong_owner.items()))}

    def judge(self, right: bool, said: str) -> None:
        self.matched += 1
        self.right += right
        if not right:
            self.wrong_owner[said] = self.wrong_owner.get(said, 0) + 1


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _score_sites(app: dict[str, object], report: dict[str, object], sdks: dict[str, SdkRow],
                 tallies: dict[str, Tally]) -> int:
    """Attribution of one app's truth sites; returns how many reported sites are not in the truth."""
    calls = {(str(c["caller"]), str(c["api"])): c for c in report.get("api_calls", [])}  # type: ignore[union-attr]
    truth_sites = app["truth"]["sites"]  # type: ignore[index]
    in_truth = {(s["caller"], s["api"]) for s in truth_sites}
    for site in truth_sites:
        tally = tallies[site["owner"]]
        tally.sites += 1
        call = calls.get((site["caller"], site["api"]))
        if call is None:
            tally.unreported += 1
            continue
        said = str(call.get("sdk") or _party(call))
        if site["owner"] == FIRST_PARTY:
            tally.judge(_party(call) == "app", said)
        else:
            tally.judge(site["owner"] in sdks and call.get("sdk") in sdks[site["owner"]].expected, said)
    return sum(1 for key in calls if key not in in_truth)


def _listed_not_in_truth(app: dict[str, object], report: dict[str, object], apis: set[str]) -> int:
    """Reported sites of an API the truth lists, but not in the truth (e.g. an argument it does not
    read PI with): the disagreements worth reading, apart from APIs the truth does not cover."""
    in_truth = {(s["caller"], s["api"]) for s in app["truth"]["sites"]}  # type: ignore[index]
    return sum(1 for c in report.get("api_calls", [])  # type: ignore[union-attr]
               if c["api"] in apis and (c["caller"], c["api"]) not in in_truth)


def _score_sdks(app: dict[str, object], report: dict[str, object], sdks: dict[str, SdkRow],
                tallies: dict[str, Tally]) -> dict[str, object]:
    """Recall, precision and versions of one app's SDKs."""
    entries = {str(s["id"]): s for s in report.get("sdks", []) if not s.get("stub")}  # type: ignore[union-attr]
    expected: set[str] = set()
    for label in app["sdks"]:  # type: ignore[union-attr]
        row, tally = sdks[label], tallies[label]
        expected |= set(row.expected)
        tally.apps.append(str(app["app"]))
        tally.classes = app["truth"]["classes"].get(label, 0)  # type: ignore[index]
        tally.expected += len(row.expected)
        tally.found += sum(1 for sdk_id in row.expected if sdk_id in entries)
        reported = entries.get(row.id, {}).get("version")
        tally.carries_version = carries_version(label, row.version)
        if tally.carries_version:  # "versions right for the SDKs that carry one"
            tally.versions += 1
            tally.versions_right += bool(reported) and normalise_version(reported) == normalise_version(row.version)
        elif reported and normalise_version(reported) != normalise_version(row.version):
            tally.version_claims_wrong += 1  # a version stated for an SDK whose code states none: wrong
        tally.reported_versions.append(str(reported) if reported else "-")
    return {"expected": sorted(expected), "reported": sorted(entries),
            "false_positives": sorted(set(entries) - expected), "missed": sorted(expected - set(entries))}


def score(built: dict[str, object], appaudit: Path = APPAUDIT) -> dict[str, object]:
    """Scan every built app and compare; plain values, ready for results.json."""
    sdks = load_sdks()
    apis = set(load_pi_apis())
    tallies: dict[str, Tally] = defaultdict(Tally)
    apps_out: list[dict[str, object]] = []
    failures = list(built.get("failures", []))  # type: ignore[call-overload]
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="accuracy-scan-") as tmp:
        for app in built["apps"]:  # type: ignore[union-attr]
            try:
                report = scan(Path(app["apk"]), Path(tmp), appaudit)
            except (RuntimeError, OSError, ValueError) as exc:
                failures.append({"what": f"scan {app['app']}", "reason": str(exc)})
                continue
            ids = _score_sdks(app, report, sdks, tallies)
            extra = _score_sites(app, report, sdks, tallies)
            listed = _listed_not_in_truth(app, report, apis)
            tallies[FIRST_PARTY].classes += app["truth"]["classes"].get(FIRST_PARTY, 0)  # type: ignore[index]
            apps_out.append({"app": app["app"], **ids, "reported_sites_not_in_truth": extra,
                             "reported_sites_not_in_truth_listed_api": listed})
    return {"apps": apps_out, "sdks": {label: t.as_dict() for label, t in tallies.items() if label != FIRST_PARTY},
            "first_party": tallies[FIRST_PARTY].as_dict(), "total": _totals(apps_out, tallies),
            "failures": failures, "build_seconds": built.get("seconds"),
            "scan_seconds": round(time.monotonic() - started, 1)}


def _totals(apps: list[dict[str, object]], tallies: dict[str, Tally]) -> dict[str, object]:
    sdk_rows = [t for label, t in tallies.items() if label != FIRST_PARTY]
    expected = sum(len(a["expected"]) for a in apps)  # type: ignore[arg-type]
    reported = sum(len(a["reported"]) for a in apps)  # type: ignore[arg-type]
    missed = sum(len(a["missed"]) for a in apps)  # type: ignore[arg-type]
    false_pos = sum(len(a["false_positives"]) for a in apps)  # type: ignore[arg-type]
    own = tallies[FIRST_PARTY]
    every = [*sdk_rows, own]
    return {
        "sdk_recall": _share(expected - missed, expected),
        "sdk_precision": _share(reported - false_pos, reported),
        "sdk_attribution": _share(sum(t.right for t in sdk_rows), sum(t.matched for t in sdk_rows)),
        "app_attribution": _share(own.right, own.matched),
        "site_coverage": _share(sum(t.matched for t in every), sum(t.sites for t in every)),
        "version_accuracy": _share(sum(t.versions_right for t in sdk_rows), sum(t.versions for t in sdk_rows)),
        "versions_checked": sum(t.versions for t in sdk_rows),
        "version_claims_wrong": sum(t.version_claims_wrong for t in sdk_rows),
        "truth_sites": sum(t.sites for t in every),
        "truth_not_reported": sum(t.unreported for t in every),
        "reported_not_in_truth": sum(int(a["reported_sites_not_in_truth"]) for a in apps),  # type: ignore[call-overload]
        "reported_not_in_truth_listed_api": sum(int(a["reported_sites_not_in_truth_listed_api"])  # type: ignore[call-overload]
                                                for a in apps),
    }


def _pct(value: object) -> str:
    return "-" if value is None else f"{100 * float(value):5.1f}%"  # type: ignore[arg-type]


def table(result: dict[str, object]) -> str:
    """The readable form: one line per SDK row, the first party, the apps, then the totals."""
    sdks = load_sdks()
    lines = [f"{'sdk row':<22} {'package@version':<34} {'expected id':<22} {'version':<11} {'cls':>5} "
             f"{'sites':>5} {'recall':>7} {'attrib':>7} {'unrep':>5} {'vers':>6}"]
    for label, row in sdks.items():
        t = result["sdks"].get(label)  # type: ignore[union-attr]
        if t is None:
            continue
        lines.append(f"{label:<22} {row.package + '@' + row.package_version:<34} {row.id:<22} {row.version:<11} "
                     f"{t['classes']:>5} {t['truth_sites']:>5} {_pct(t['recall']):>7} {_pct(t['attribution']):>7} "
                     f"{t['truth_not_reported']:>5} {_pct(t['version_accuracy']):>6}")
    own = result["first_party"]
    lines.append(f"{'first party':<22} {'(smali)':<34} {'-':<22} {'-':<11} {own['classes']:>5} "  # type: ignore[index]
                 f"{own['truth_sites']:>5} {'':>7} {_pct(own['attribution']):>7} {own['truth_not_reported']:>5}")  # type: ignore[index]
    lines.append("")
    for app in result["apps"]:  # type: ignore[union-attr]
        lines.append(f"app {app['app']}: missed {', '.join(app['missed']) or '-'}; false positives "
                     f"{', '.join(app['false_positives']) or '-'}; reported sites not in truth "
                     f"{app['reported_sites_not_in_truth']} "
                     f"({app['reported_sites_not_in_truth_listed_api']} of a listed API)")
    lines.append("")
    total = result["total"]
    lines.append("total: " + ", ".join(f"{k} {_pct(total[k])}" for k in HEADLINES)  # type: ignore[index]
                 + f"; truth sites {total['truth_sites']}, not reported {total['truth_not_reported']}, "  # type: ignore[index]
                 f"reported not in truth {total['reported_not_in_truth']} "  # type: ignore[index]
                 f"({total['reported_not_in_truth_listed_api']} of a listed API); versions checked on "  # type: ignore[index]
                 f"{total['versions_checked']} SDK builds that state one, "  # type: ignore[index]
                 f"{total['version_claims_wrong']} stated for builds that state none")  # type: ignore[index]
    for failure in result["failures"]:  # type: ignore[union-attr]
        lines.append(f"FAILED {failure['what']}: {failure['reason']}")
    return "\n".join(lines)


def write(result: dict[str, object]) -> Path:
    path = cache_dir() / "results.json"
    path.write_text(json.dumps(result, indent=1, sort_keys=True), encoding="utf-8")
    return path


def main() -> int:
    from accuracy.build import build  # the cached build: seconds when nothing changed

    result = score(build(log=False))
    print(table(result))
    print(f"\nresults: {write(result)}", file=sys.stderr)
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
