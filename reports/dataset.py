"""The batch dataset: per-app JSON results as pandas tables, written as Parquet and CSV.

The only pandas import. Column names are stable (documented in README.md); rows
are sorted so that the same results always give the same files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from reports.cells import neutral
from scanner.atomic import replacing

SEVERITY_ORDER = ("info", "low", "medium", "high", "critical")

COLUMNS: dict[str, tuple[str, ...]] = {
    "apps": ("sha256", "path", "paths", "format", "size", "status", "error_code", "error_message", "package",
             "label", "version_code", "version_name", "min_sdk", "target_sdk", "signer_sha256", "debug_signed",
             "signature_verified",
             "sdks", "permissions", "api_calls", "pre_consent_calls", "findings", "max_severity",
             "knowledge_base", "report",
             # where a store fetch said the app came from (scanner/batch/origins.py fills them)
             "store", "store_repo", "store_package", "store_version_code", "source_url"),
    "sdks": ("sha256", "package", "sdk", "name", "vendor", "legal_entity", "country", "categories", "confidence",
             "stub", "classes", "bundled_by", "version", "called_by_app", "starts_before_consent", "disabled"),
    "permissions": ("sha256", "package", "permission", "max_sdk", "only_sdk23", "protection_level",
                    "pi_category", "sensitive"),
    "api_calls": ("sha256", "package", "api", "api_id", "pi_category", "caller", "sdk", "pre_consent", "hidden",
                  "resolved", "party"),
    "findings": ("sha256", "package", "rule_id", "severity", "confidence", "category", "sdk", "pi_categories",
                 "message", "fingerprint", "accepted", "subject_kind", "subject", "tags"),
    # every rule hit, for per-rule prevalence: a finding holds one or more (``finding`` is its fingerprint)
    "rule_hits": ("sha256", "package", "finding", "rule_id", "severity", "sdk", "fingerprint", "accepted"),
    "errors": ("sha256", "path", "code", "message"),
}


def _app_row(doc: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    app = doc.get("app") or {}
    certs = (doc.get("signing") or {}).get("certificates") or []
    errors = doc.get("errors") or []
    severities = [f["severity"] for f in doc.get("findings", []) if not f.get("accepted")]
    sha = doc["input"]["sha256"]
    return {
        "sha256": sha, "path": paths[0], "paths": len(paths), "format": doc["input"].get("format"),
        "size": doc["input"].get("size"), "status": doc["status"],
        "error_code": errors[0]["code"] if errors else None, "error_message": errors[0]["message"] if errors else None,
        "package": app.get("package"), "label": app.get("label"), "version_code": app.get("version_code"),
        "version_name": app.get("version_name"), "min_sdk": app.get("min_sdk"), "target_sdk": app.get("target_sdk"),
        "signer_sha256": certs[0]["sha256"] if certs else None, "debug_signed": any(c["debug"] for c in certs),
        # False: Android refuses the signature somewhere in the app's API range (tampered, unsigned); None: older result
        "signature_verified": (doc.get("signing") or {}).get("verified"),
        "sdks": sum(1 for s in doc.get("sdks", []) if not s.get("stub")),
        "permissions": len(doc.get("permissions", [])), "api_calls": len(doc.get("api_calls", [])),
        "pre_consent_calls": sum(1 for c in doc.get("api_calls", []) if c["pre_consent"]),
        "findings": len(severities),
        "max_severity": max(severities, key=SEVERITY_ORDER.index) if severities else None,
        "knowledge_base": doc["knowledge_base"]["version"], "report": f"apps/{sha}.html",
    }


def doc_rows(doc: dict[str, Any], paths: list[str]) -> dict[str, list[dict[str, Any]]]:
    """One result document's rows of every table (raises KeyError, TypeError… on a malformed document)."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in COLUMNS}
    sha = doc["input"]["sha256"]
    package = (doc.get("app") or {}).get("package")
    rows["apps"].append(_app_row(doc, paths))
    for s in doc.get("sdks", []):
        rows["sdks"].append({"sha256": sha, "package": package, "sdk": s["id"], "name": s["name"],
                             "vendor": s["vendor"], "legal_entity": s["legal_entity"], "country": s["country"],
                             "categories": ";".join(s["categories"]), "confidence": s["confidence"],
                             "stub": s["stub"], "classes": s["classes"], "bundled_by": ";".join(s["bundled_by"]),
                             # results written before these fields existed lack them
                             "version": s.get("version"), "called_by_app": s.get("called_by_app"),
                             "starts_before_consent": s.get("starts_before_consent"),
                             "disabled": s.get("disabled")})
    for p in doc.get("permissions", []):
        rows["permissions"].append({"sha256": sha, "package": package, "permission": p["name"],
                                    **{k: p[k] for k in COLUMNS["permissions"][3:]}})
    for c in doc.get("api_calls", []):
        rows["api_calls"].append({"sha256": sha, "package": package,
                                  **{k: c.get(k) for k in COLUMNS["api_calls"][2:]}})
    for f in doc.get("findings", []):
        subject = f.get("subject") or {}  # appaudit/1 results: every finding was one rule hit
        rows["findings"].append({"sha256": sha, "package": package, "rule_id": f["rule_id"],
                                 "severity": f["severity"], "confidence": f["confidence"],
                                 "category": f["category"], "sdk": f["sdk"],
                                 "pi_categories": ";".join(f["pi_categories"]), "message": f["message"],
                                 "fingerprint": f["fingerprint"], "accepted": bool(f.get("accepted")),
                                 "subject_kind": subject.get("kind"), "subject": subject.get("key"),
                                 "tags": ";".join(t["rule_id"] for t in f.get("tags", []))})
        for h in f.get("hits") or [f]:
            rows["rule_hits"].append({"sha256": sha, "package": package, "finding": f["fingerprint"],
                                      "rule_id": h["rule_id"], "severity": h["severity"], "sdk": h["sdk"],
                                      "fingerprint": h["fingerprint"], "accepted": bool(h.get("accepted"))})
    for e in doc.get("errors", []):
        rows["errors"].append({"sha256": sha, "path": paths[0], "code": e["code"], "message": e["message"]})
    return rows


def to_frames(docs: Iterable[dict[str, list[dict[str, Any]]]]) -> dict[str, pd.DataFrame]:
    """The rows of many documents (``doc_rows``) -> one sorted DataFrame per table."""
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in COLUMNS}
    for doc in docs:
        for name in COLUMNS:
            rows[name].extend(doc[name])
    out = {}
    for name, columns in COLUMNS.items():
        frame = pd.DataFrame(rows[name], columns=list(columns))
        key = [c for c in columns if c not in ("message", "paths")][:4]
        out[name] = frame.sort_values(key, kind="stable", na_position="first").reset_index(drop=True)
    return out


def tables(results: Iterable[tuple[dict[str, Any], list[str]]]) -> dict[str, pd.DataFrame]:
    """(result document, the input paths that had this content) -> one DataFrame per table."""
    return to_frames(doc_rows(doc, paths) for doc, paths in results)


def load_results(out: Path, inputs: dict[str, str]) -> list[tuple[dict[str, Any], list[str]]]:
    """The stored results of ``inputs`` (path -> sha256). A batch reads every result its folder holds, each
    checked, through ``scanner.batch.store``."""
    paths_of: dict[str, list[str]] = {}
    for path, sha in sorted(inputs.items()):
        paths_of.setdefault(sha, []).append(path)
    results = []
    for sha, paths in sorted(paths_of.items()):
        target = out / "apps" / f"{sha}.json"
        if target.is_file():
            doc = json.loads(target.read_text(encoding="utf-8"))
            if not doc["input"].get("sha256"):  # an input that could not be read: keyed by what the batch used
                doc["input"]["sha256"] = sha
            results.append((doc, paths))
    return results


def write_dataset(frames: dict[str, pd.DataFrame], folder: Path) -> list[Path]:
    """Parquet and CSV per table, each written atomically (a reader never sees half a table). Parquet keeps
    the values as found; CSV cells that a spreadsheet would run as a formula are neutralised."""
    written = []
    for name, frame in frames.items():
        for suffix in (".parquet", ".csv"):
            target = folder / f"{name}{suffix}"
            with replacing(target) as tmp:
                if suffix == ".csv":  # opened in spreadsheets: no cell may read as a formula
                    frame.map(neutral).to_csv(tmp, index=False)
                else:
                    frame.to_parquet(tmp, index=False)
            written.append(target)
    return written


PACKAGES_LISTED = 200  # packages named per SDK in the store-wide list; the count says how many there are in all


def store_sdk_list(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The store-wide third-party SDK list: one row per distinct SDK (with its vendor) and the apps using it.

    Counted per distinct package, as the dashboard counts apps; left-over stubs are not using an SDK.
    """
    columns = ["sdk", "name", "vendor", "legal_entity", "country", "categories", "apps", "files",
               "starts_before_consent", "versions", "packages"]
    sdks = frames["sdks"]
    if sdks.empty:
        return pd.DataFrame(columns=columns)
    live = sdks[~sdks["stub"].astype(bool)].copy()
    live["package"] = live["package"].where(live["package"].notna(), "sha256:" + live["sha256"].astype(str))
    rows = []
    for (sdk, name, vendor), group in live.groupby(["sdk", "name", "vendor"], sort=True, dropna=False):
        packages = sorted(set(group["package"]))
        early = sorted(set(group.loc[group["starts_before_consent"].fillna(False).astype(bool), "package"]))
        listed = ";".join(packages[:PACKAGES_LISTED]) + (f";…and {len(packages) - PACKAGES_LISTED} more"
                                                          if len(packages) > PACKAGES_LISTED else "")
        rows.append({"sdk": sdk, "name": name, "vendor": vendor, "legal_entity": group["legal_entity"].iloc[0],
                     "country": group["country"].iloc[0], "categories": group["categories"].iloc[0],
                     "apps": len(packages), "files": group["sha256"].nunique(), "starts_before_consent": len(early),
                     "versions": ";".join(sorted({str(v) for v in group["version"].dropna()})), "packages": listed})
    return pd.DataFrame(rows, columns=columns).sort_values(["apps", "sdk"], ascending=[False, True],
                                                           ignore_index=True)


def summary(frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Aggregates for summary.json and the dashboard: prevalence, categories by SDK, consent, failures.

    ``apps`` figures count distinct input files (their sha256); the ``packages`` figures beside them count
    distinct apps, one per package name, so that an app given as an APK, an XAPK and an APKS (or in several
    versions) counts once; ``duplicates`` lists the packages that more than one analysed file holds.
    """
    apps, sdks, calls = frames["apps"], frames["sdks"], frames["api_calls"]
    analysed = apps[apps["status"] != "error"]
    n = max(len(analysed), 1)
    # one key per distinct app: its package, or its file when the package is unknown
    key_of = dict(zip(analysed["sha256"], analysed["package"].where(analysed["package"].notna(),
                                                                    "sha256:" + analysed["sha256"].astype(str)),
                      strict=True))
    packages = max(len(set(key_of.values())), 1)
    live = sdks[~sdks["stub"].astype(bool)].assign(key=lambda f: f["sha256"].map(key_of))
    by_sdk = (live.groupby(["sdk", "name", "vendor"]).agg(apps=("sha256", "size"), packages=("key", "nunique"))
              .reset_index().sort_values(["apps", "sdk"], ascending=[False, True]))
    by_vendor = (live.drop_duplicates(["sha256", "vendor"]).groupby("vendor")
                 .agg(apps=("sha256", "size"), packages=("key", "nunique")).reset_index()
                 .sort_values(["apps", "vendor"], ascending=[False, True]))
    # the app's own code and code neither side claims are two readers (older results have no party)
    nobody = calls["party"].fillna("").eq("unattributed") & calls["sdk"].isna()
    sdk_calls = calls.assign(sdk=calls["sdk"].where(~nobody, "(unattributed)").fillna("(first party)"),
                             key=calls["sha256"].map(key_of))
    categories = (sdk_calls.drop_duplicates(["sha256", "sdk", "pi_category"]).groupby(["sdk", "pi_category"])
                  .agg(apps=("sha256", "size"), packages=("key", "nunique")).reset_index()
                  .sort_values(["sdk", "pi_category"]))
    early = calls[calls["pre_consent"].astype(bool)]
    early_apps = early["sha256"].nunique()
    early_packages = early["sha256"].map(key_of).nunique()
    return {
        "apps": int(len(apps)),
        "packages": len(set(key_of.values())),
        "status": {s: int((apps["status"] == s).sum()) for s in ("ok", "partial", "error")},
        "sdk_prevalence": [{"sdk": r.sdk, "name": r.name, "vendor": r.vendor, "apps": int(r.apps),
                            "share": round(int(r.apps) / n, 4), "packages": int(r.packages),
                            "package_share": round(int(r.packages) / packages, 4)} for r in by_sdk.itertuples()],
        "vendor_prevalence": [{"vendor": r.vendor, "apps": int(r.apps), "share": round(int(r.apps) / n, 4),
                               "packages": int(r.packages), "package_share": round(int(r.packages) / packages, 4)}
                              for r in by_vendor.itertuples()],
        "pi_categories_by_sdk": [{"sdk": r.sdk, "pi_category": r.pi_category, "apps": int(r.apps),
                                  "packages": int(r.packages)} for r in categories.itertuples()],
        "pre_consent": {"apps": int(early_apps), "share": round(early_apps / n, 4),
                        "packages": int(early_packages), "package_share": round(early_packages / packages, 4)},
        "duplicates": duplicates(analysed),
        "failures": [{"path": r.path, "code": r.code, "message": r.message}
                     for r in frames["errors"][frames["errors"]["code"] != "packed"].itertuples()],
    }


def duplicates(analysed: pd.DataFrame) -> list[dict[str, Any]]:
    """Packages that several analysed input files hold (an XAPK and an APKS of one app, two versions…)."""
    named = analysed[analysed["package"].notna()]
    out = []
    for package, group in named.groupby("package", sort=True):
        if len(group) > 1:
            rows = group.sort_values(["path", "sha256"])
            out.append({"package": str(package), "inputs": [
                {"path": r.path, "format": None if pd.isna(r.format) else r.format, "sha256": r.sha256,
                 "version_name": None if pd.isna(r.version_name) else r.version_name} for r in rows.itertuples()]})
    return out
