"""The batch dashboard: ``OUT/index.html``, one self-contained page over every app of a batch.

Rendered from ``summary.json`` (``reports.dataset.summary``) and the rows of the ``apps`` table, with
the per-app report's template environment, styles and script (``reports.html``): autoescaped (labels
come from APKs), nothing loaded from anywhere (inline CSS, inline SVG, one inline script allowed by its
hash in a strict Content-Security-Policy), and the same batch always renders to the same bytes.
Big batches stay usable: each table shows its first rows and keeps the rest in the page behind "show all".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup

from reports.html import ROW_LIMIT, SEVERITIES, Names, asset, category_order, content_security_policy, environment
from scanner.version import __version__
from signatures.model import KnowledgeBase

TOP = 30  # bars per prevalence chart; the full list is a table below it
FIRST_PARTY = "(first party)"  # how reports.dataset.summary names the app's own code
UNATTRIBUTED = "(unattributed)"  # … and code neither the app's nor a known SDK's
STATUSES = ("ok", "partial", "error")
STATUS_TITLES = {"ok": "Analysed", "partial": "Partly analysed", "error": "Failed"}
SEV_RANK = {s.label: int(s) for s in SEVERITIES}
# A report link must stay a plain relative path inside OUT (no scheme, no "..", no query).
_REPORT = re.compile(r"apps/[A-Za-z0-9][A-Za-z0-9._-]*\.html")
_PRE_BUCKETS = ((1, 1, "1 call site"), (2, 4, "2–4"), (5, 9, "5–9"), (10, math.inf, "10 or more"))


def _clean(value: Any) -> Any:
    """pandas gives NaN for missing numbers and sometimes for missing strings: make both None."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _int(value: Any) -> int:
    value = _clean(value)
    return int(value) if value is not None else 0


def pct(share: float) -> str:
    """A share as a short percentage: 0.2 → "20%", 0.1333 → "13.3%", 0.00004 → "<0.1%"."""
    if share <= 0:
        return "0%"
    if share < 0.001:
        return "<0.1%"
    text = f"{100 * share:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def report_link(app: Mapping[str, Any]) -> str | None:
    """The relative link to the app's own report, or None when there is none to link.

    A result stored without its content hash has no report named after it (``apps/None.html``).
    """
    report, sha = _clean(app.get("report")), _clean(app.get("sha256"))
    if not isinstance(report, str) or not isinstance(sha, str) or not sha or not _REPORT.fullmatch(report):
        return None
    return report


def app_rows(apps: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The app table's rows, by name (then package and path) so that the page does not depend on input order."""
    rows: list[dict[str, Any]] = []
    for raw in apps:
        app = {k: _clean(v) for k, v in raw.items()}
        path = str(app.get("path") or "")
        label, package = app.get("label"), app.get("package")
        name = str(label or package or path.rsplit("/", 1)[-1] or app.get("sha256") or "?")
        severity = app.get("max_severity")
        rows.append({
            "name": name, "named": bool(label or package), "package": package, "path": path,
            "paths": _int(app.get("paths")), "version": app.get("version_name"),
            "version_code": app.get("version_code"), "status": app.get("status") or "error",
            "error_code": app.get("error_code"), "error_message": app.get("error_message"),
            "sdks": _int(app.get("sdks")), "calls": _int(app.get("api_calls")),
            "pre": _int(app.get("pre_consent_calls")), "findings": _int(app.get("findings")),
            "severity": severity if severity in SEV_RANK else None, "link": report_link(app),
            "sha256": app.get("sha256"),
        })
    rows.sort(key=lambda r: (r["name"].casefold(), r["name"], r["package"] or "", r["path"], r["sha256"] or ""))
    return rows


def bars(items: list[dict[str, Any]], top: int = TOP) -> list[dict[str, Any]]:
    """Horizontal bars (width in percent of the longest) for the first ``top`` prevalence entries."""
    shown = items[:top]
    most = max((int(i["apps"]) for i in shown), default=0) or 1
    return [{**i, "w": round(100 * int(i["apps"]) / most, 1), "pct": pct(float(i["share"]))} for i in shown]


def _names(summary: Mapping[str, Any], kb: KnowledgeBase) -> Names:
    names = {r["sdk"]: r["name"] for r in summary.get("sdk_prevalence", [])}
    known = {s.id for s in kb.sdks}
    for r in summary.get("pi_categories_by_sdk", []):
        sid = r["sdk"]
        if sid not in (FIRST_PARTY, UNATTRIBUTED) and sid not in names:
            names[sid] = kb.sdk(sid).name if sid in known else sid
    return Names(kb, names)


def pi_matrix(summary: Mapping[str, Any], names: Names, analysed: int) -> dict[str, Any]:
    """Reader (first party, then SDKs by prevalence) × information category: in how many apps it reads it."""
    prevalence = {r["sdk"]: r for r in summary.get("sdk_prevalence", [])}
    cells = {(r["sdk"], r["pi_category"]): int(r["apps"]) for r in summary.get("pi_categories_by_sdk", [])}
    cats = category_order(names.kb, {c for _, c in cells})
    sdks = {s for s, _ in cells} - {FIRST_PARTY, UNATTRIBUTED}
    order = [FIRST_PARTY] if any(s == FIRST_PARTY for s, _ in cells) else []
    order += sorted(sdks, key=lambda s: (-int(prevalence.get(s, {}).get("apps", 0)), names.sdk(s).casefold(), s))
    order += [UNATTRIBUTED] if any(s == UNATTRIBUTED for s, _ in cells) else []
    rows = []
    for sid in order:
        first = sid in (FIRST_PARTY, UNATTRIBUTED)  # counted over every analysed app, not an SDK's apps
        reader = None if sid == FIRST_PARTY else "unattributed" if sid == UNATTRIBUTED else sid
        counts = [cells.get((sid, c), 0) for c in cats]
        base = analysed if first else int(prevalence.get(sid, {}).get("apps", 0))
        row_cells: list[dict[str, Any] | None] = []
        for cat, count in zip(cats, counts, strict=True):
            if not count:
                row_cells.append(None)
                continue
            share = min(count / base, 1.0) if base else 1.0
            level = 1 if share < 0.1 else 2 if share < 0.3 else 3 if share < 0.6 else 4
            of = f"of the {base:,} analysed apps" if first else f"of the {base:,} apps with this SDK"
            title = f"{names.sdk(reader)} reads {names.pi(cat)} in {count:,} app" \
                    f"{'' if count == 1 else 's'}" + (f" ({pct(share)} {of})" if base else "")
            row_cells.append({"count": count, "level": level, "title": title})
        rows.append({"id": sid, "first": first, "name": names.sdk(reader),
                     "vendor": "" if first else prevalence.get(sid, {}).get("vendor", ""),
                     "base": base, "cells": row_cells})
    header: list[tuple[str | Markup, str]] = [("Reader", "text"), ("Apps with it", "num")]
    for c in cats:
        title = names.pi(c)
        if names.sensitive(c) == "yes":  # marked in red (the header is the sort button: no room for a badge)
            header.append((Markup('<span class="sens" title="Sensitive personal information">{}</span>').format(title),
                           "num"))
        else:
            header.append((title, "num"))
    return {"header": header, "columns": cats, "rows": rows}


def pre_consent(rows: list[dict[str, Any]], summary: Mapping[str, Any]) -> dict[str, Any]:
    """Share of analysed apps reading personal information before consent, overall and by group."""
    analysed = [r for r in rows if r["status"] != "error"]

    def rate(label: str, group: list[dict[str, Any]]) -> dict[str, Any]:
        hit = sum(1 for r in group if r["pre"])
        share = hit / len(group) if group else 0.0
        return {"label": label, "apps": hit, "of": len(group), "pct": pct(share), "w": round(100 * share, 1)}

    groups = [rate("All analysed apps", analysed),
              rate("Apps embedding an SDK", [r for r in analysed if r["sdks"]]),
              rate("Apps without an SDK", [r for r in analysed if not r["sdks"]]),
              rate("Fully analysed apps", [r for r in analysed if r["status"] == "ok"]),
              rate("Partly analysed apps", [r for r in analysed if r["status"] == "partial"])]
    early = [r for r in analysed if r["pre"]]
    counts = [(label, sum(1 for r in early if low <= r["pre"] <= high)) for low, high, label in _PRE_BUCKETS]
    most = max((n for _, n in counts), default=0) or 1
    buckets = [{"label": label, "apps": n, "w": round(100 * n / most, 1), "pct": pct(n / len(early)) if early else "0%"}
               for label, n in counts]
    worst = sorted(early, key=lambda r: (-r["pre"], r["name"].casefold(), r["path"]))[:10]
    pre = summary.get("pre_consent") or {}
    return {"apps": int(pre.get("apps", len(early))), "pct": pct(float(pre.get("share", 0.0))),
            "analysed": len(analysed), "groups": [g for g in groups if g["of"]], "buckets": buckets,
            "calls": sum(r["pre"] for r in early), "worst": worst}


def failures(summary: Mapping[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The failures of summary.json, each with the link to its app's report when there is one."""
    links: dict[str, str] = {}
    for r in rows:
        if r["link"] and r["path"]:
            links.setdefault(r["path"], r["link"])
    return [{"path": f.get("path") or "", "code": f.get("code") or "", "message": f.get("message") or "",
             "link": links.get(f.get("path") or "")} for f in summary.get("failures", [])]


def render_dashboard(summary: dict[str, Any], apps: list[dict[str, Any]], kb: KnowledgeBase,
                     row_limit: int = ROW_LIMIT) -> str:
    """The whole page, from ``reports.dataset.summary(frames)`` and ``frames["apps"].to_dict("records")``."""
    names = _names(summary, kb)
    rows = app_rows(apps)
    status = {s: int((summary.get("status") or {}).get(s, 0)) for s in STATUSES}
    total = int(summary.get("apps", len(rows)))
    analysed = status["ok"] + status["partial"]
    x = 0.0
    status_bar = []
    for s in STATUSES:
        w = round(100 * status[s] / (total or 1), 2)
        status_bar.append({"status": s, "title": STATUS_TITLES[s], "count": status[s], "x": round(x, 2), "w": w})
        x += w
    kbs = sorted({str(v) for v in (_clean(a.get("knowledge_base")) for a in apps) if v is not None})
    css, extra = asset("report.css"), asset("dashboard.css")
    js, noscript = asset("report.js"), asset("noscript.css")
    fails = failures(summary, rows)
    sdk_prevalence = list(summary.get("sdk_prevalence", []))
    vendor_prevalence = list(summary.get("vendor_prevalence", []))
    page = {
        "limit": row_limit, "n": names, "tool": {"name": "appaudit", "version": __version__},
        # our own packaged assets, never app data: safe to insert unescaped
        "css": Markup(css + extra), "js": Markup(js), "noscript_css": Markup(noscript),  # noqa: S704
        "csp": content_security_policy(js, [css + extra, noscript]),
        "total": total, "status": status, "status_bar": status_bar, "analysed": analysed,
        "with_sdks": sum(1 for r in rows if r["sdks"]), "knowledge_bases": kbs,
        "apps": rows, "sev_options": [(s.label, s.label.capitalize()) for s in SEVERITIES
                                      if any(r["severity"] == s.label for r in rows)],
        "status_options": [(s, STATUS_TITLES[s]) for s in STATUSES if any(r["status"] == s for r in rows)],
        "sdk_prevalence": sdk_prevalence, "sdk_bars": bars(sdk_prevalence),
        "vendor_prevalence": vendor_prevalence, "vendor_bars": bars(vendor_prevalence),
        "matrix": pi_matrix(summary, names, analysed), "pre": pre_consent(rows, summary),
        "failures": fails, "failure_codes": [(c, c) for c in sorted({f["code"] for f in fails})], "pct": pct,
    }
    return environment().get_template("index.html.j2").render(page)
