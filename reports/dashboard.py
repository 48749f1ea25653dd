"""The batch dashboard: ``OUT/index.html``, one self-contained page over every app of a batch.

Rendered from ``summary.json`` (``reports.dataset.summary``) and the rows of the ``apps`` table, with
the per-app report's template environment, styles and script (``reports.html``): autoescaped (labels
come from APKs), nothing loaded from anywhere (inline CSS, inline SVG, one inline script allowed by its
hash in a strict Content-Security-Policy), and the same batch always renders to the same bytes.
Big batches stay usable: each table shows its first rows and keeps the rest in the page behind "show all".

Prevalence and rates count distinct apps (one per package name, ``summary["packages"]``): an app given as an
XAPK, an APKS and an APKM counts once, and the app table says which inputs hold the same package. An app
that failed has no figures ("—", never 0); one analysed only in part is listed under Failures with the reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup

from reports.html import ROW_LIMIT, SEVERITIES, Names, asset, category_order, content_security_policy, environment
from reports.i18n import DEFAULT, Translator, normalize_lang, translator
from reports.vocab import N_, word
from scanner.version import __version__
from signatures.model import KnowledgeBase

TOP = 30  # bars per prevalence chart; the full list is a table below it
SAME_SHOWN = 3  # other inputs of the same app named in a row; the rest are counted
FIRST_PARTY = "(first party)"  # how reports.dataset.summary names the app's own code
UNATTRIBUTED = "(unattributed)"  # … and code neither the app's nor a known SDK's
STATUSES = ("ok", "partial", "error")
STATUS_TITLES = {"ok": N_("Fully analysed"), "partial": N_("Partly analysed"), "error": N_("Failed")}
SEV_RANK = {s.label: int(s) for s in SEVERITIES}
# A report link must stay a plain relative path inside OUT (no scheme, no "..", no query).
_REPORT = re.compile(r"apps/[A-Za-z0-9][A-Za-z0-9._-]*\.html")
_PRE_BUCKETS = ((1, 1, N_("1 call site")), (2, 4, "2–4"), (5, 9, "5–9"), (10, math.inf, N_("10 or more")))


def _clean(value: Any) -> Any:
    """pandas gives NaN for missing numbers and sometimes for missing strings: make both None."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _int(value: Any) -> int:
    value = _clean(value)
    return int(value) if value is not None else 0


def _figure(app: Mapping[str, Any], key: str) -> int | None:
    """A count of an analysed app; None (shown "—") for an app that could not be analysed."""
    return None if app.get("status") == "error" else _int(app.get(key))


def distinct(app: Mapping[str, Any]) -> str:
    """The key one app is counted by: its package (several files of one app count once), else its file."""
    return f"package:{app['package']}" if app.get("package") else f"file:{app.get('sha256') or app.get('path')}"


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
        app["status"] = app.get("status") or "error"
        fmt = app.get("format")
        rows.append({
            "name": name, "named": bool(label or package), "package": package, "path": path,
            "input": path.replace("\\", "/").rsplit("/", 1)[-1] or path,
            "format": str(fmt).upper() if fmt else None,
            "paths": _int(app.get("paths")), "version": app.get("version_name"),
            "version_code": app.get("version_code"), "status": app["status"],
            "error_code": app.get("error_code"), "error_message": app.get("error_message"),
            "sdks": _figure(app, "sdks"), "calls": _figure(app, "api_calls"),
            "pre": _figure(app, "pre_consent_calls"), "findings": _figure(app, "findings"),
            "severity": severity if severity in SEV_RANK else None, "link": report_link(app),
            "sha256": app.get("sha256"), "key": distinct(app), "same": [], "same_more": 0,
        })
    rows.sort(key=lambda r: (r["name"].casefold(), r["name"], r["package"] or "", r["path"], r["sha256"] or ""))
    by_key: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["status"] != "error" and r["package"]:
            by_key.setdefault(r["key"], []).append(r)
    for group in by_key.values():
        for r in group:  # the other inputs holding the same package, noted in the row (the first few named)
            others = [o for o in group if o is not r]
            r["same"], r["same_more"] = others[:SAME_SHOWN], len(others) - len(others[:SAME_SHOWN])
    return rows


def by_package(items: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """Prevalence entries counted per distinct app (``packages``), largest first; entries of a summary
    written before that field keep their per-file count."""
    out = [{**i, "files": int(i["apps"]), "apps": int(i.get("packages", i["apps"])),
            "share": float(i.get("package_share", i["share"]))} for i in items]
    return sorted(out, key=lambda i: (-i["apps"], str(i.get(name, ""))))


def bars(items: list[dict[str, Any]], top: int = TOP) -> list[dict[str, Any]]:
    """Horizontal bars (width in percent of the longest) for the first ``top`` prevalence entries."""
    shown = items[:top]
    most = max((int(i["apps"]) for i in shown), default=0) or 1
    return [{**i, "w": round(100 * int(i["apps"]) / most, 1), "pct": pct(float(i["share"]))} for i in shown]


def _names(summary: Mapping[str, Any], kb: KnowledgeBase, t: Translator | None = None) -> Names:
    names = {r["sdk"]: r["name"] for r in summary.get("sdk_prevalence", [])}
    known = {s.id for s in kb.sdks}
    for r in summary.get("pi_categories_by_sdk", []):
        sid = r["sdk"]
        if sid not in (FIRST_PARTY, UNATTRIBUTED) and sid not in names:
            names[sid] = kb.sdk(sid).name if sid in known else sid
    return Names(kb, names, t or translator())


def pi_matrix(summary: Mapping[str, Any], names: Names, analysed: int) -> dict[str, Any]:
    """Reader (first party, then SDKs by prevalence) × information category: in how many apps it reads it."""
    prevalence = {r["sdk"]: r for r in by_package(list(summary.get("sdk_prevalence", [])), "sdk")}
    cells = {(r["sdk"], r["pi_category"]): int(r.get("packages", r["apps"]))
             for r in summary.get("pi_categories_by_sdk", [])}
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
            t = names.t
            title = t.nformat(count, "%(reader)s reads %(info)s in %(num)s app",
                              "%(reader)s reads %(info)s in %(num)s apps",
                              reader=names.sdk(reader), info=names.pi(cat))
            if base:
                of = (t.nformat(base, "of the %(num)s analysed app", "of the %(num)s analysed apps") if first
                      else t.nformat(base, "of the %(num)s app with this SDK", "of the %(num)s apps with this SDK"))
                title += t.gettext(" (%(share)s %(of)s)") % {"share": pct(share), "of": of}
            row_cells.append({"count": count, "level": level, "title": title})
        rows.append({"id": sid, "first": first, "name": names.sdk(reader),
                     "vendor": "" if first else prevalence.get(sid, {}).get("vendor", ""),
                     "base": base, "cells": row_cells})
    header: list[tuple[str | Markup, str]] = [(names.t.gettext("Reader"), "text"),
                                              (names.t.gettext("Apps with it"), "num")]
    for c in cats:
        title = names.pi(c)
        if names.sensitive(c) == "yes":  # marked in red (the header is the sort button: no room for a badge)
            header.append((Markup('<span class="sens" title="{}">{}</span>').format(
                names.t.gettext("Sensitive personal information"), title), "num"))
        else:
            header.append((title, "num"))
    return {"header": header, "columns": cats, "rows": rows}


def merged(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per distinct analysed app (``distinct``): the files of one package merged, its figures the
    largest of them, "ok" when any of them was fully analysed."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["status"] == "error":
            continue
        m = out.get(r["key"])
        if m is None:
            out[r["key"]] = {**r, "files": [r]}
            continue
        m["files"].append(r)
        m["pre"], m["sdks"] = max(m["pre"] or 0, r["pre"] or 0), max(m["sdks"] or 0, r["sdks"] or 0)
        if r["status"] == "ok":
            m["status"] = "ok"
    return list(out.values())


def pre_consent(rows: list[dict[str, Any]], summary: Mapping[str, Any], t: Translator | None = None) -> dict[str, Any]:
    """Share of analysed apps (distinct packages) reading personal information before consent, overall and
    by group; the per-file figures stay in summary.json."""
    analysed = merged(rows)
    t = t or translator()

    def rate(label: str, group: list[dict[str, Any]]) -> dict[str, Any]:
        hit = sum(1 for r in group if r["pre"])
        share = hit / len(group) if group else 0.0
        return {"label": t.gettext(label), "apps": hit, "of": len(group), "pct": pct(share), "w": round(100 * share, 1)}

    groups = [rate(N_("All analysed apps"), analysed),
              rate(N_("Apps embedding an SDK"), [r for r in analysed if r["sdks"]]),
              rate(N_("Apps without an SDK"), [r for r in analysed if not r["sdks"]]),
              rate(N_("Fully analysed apps"), [r for r in analysed if r["status"] == "ok"]),
              rate(N_("Partly analysed apps (at least)"), [r for r in analysed if r["status"] == "partial"])]
    early = [r for r in analysed if r["pre"]]
    counts = [(label, sum(1 for r in early if low <= r["pre"] <= high)) for low, high, label in _PRE_BUCKETS]
    most = max((n for _, n in counts), default=0) or 1
    buckets = [{"label": t.gettext(label), "apps": n, "w": round(100 * n / most, 1),
                "pct": pct(n / len(early)) if early else "0%"}
               for label, n in counts]
    worst = sorted(early, key=lambda r: (-r["pre"], r["name"].casefold(), r["path"]))[:10]
    return {"apps": len(early), "pct": pct(len(early) / len(analysed)) if analysed else "0%",
            "analysed": len(analysed), "groups": [g for g in groups if g["of"]], "buckets": buckets,
            "calls": sum(r["pre"] for r in early), "worst": worst,
            "files": int((summary.get("pre_consent") or {}).get("apps", 0))}


def failures(summary: Mapping[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every input not fully analysed: failed ones, then those analysed in part (a lower bound, never clean),
    each with all its reasons and the link to its report when there is one."""
    reasons: dict[str, list[tuple[str, str]]] = {}
    for f in summary.get("failures", []):
        reasons.setdefault(f.get("path") or "", []).append((f.get("code") or "", f.get("message") or ""))
    out, seen = [], set()
    for r in sorted(rows, key=lambda r: (r["status"] != "error", r["path"], r["sha256"] or "")):
        if r["status"] == "ok":
            continue
        seen.add(r["path"])
        found = reasons.get(r["path"]) or [(r["error_code"] or "", r["error_message"] or "")]
        if r["error_code"] and all(code != r["error_code"] for code, _ in found):
            found = [(r["error_code"], r["error_message"] or ""), *found]  # e.g. "packed", left out of summary
        out.append({"path": r["path"], "status": r["status"], "link": r["link"],
                    "codes": [c for c, _ in found if c], "messages": [m for _, m in found if m]})
    for path, found in sorted(reasons.items()):  # a failure with no app row (not expected, but never hidden)
        if path not in seen:
            out.append({"path": path, "status": "error", "link": None,
                        "codes": [c for c, _ in found if c], "messages": [m for _, m in found if m]})
    return out


def render_dashboard(summary: dict[str, Any], apps: list[dict[str, Any]], kb: KnowledgeBase,
                     row_limit: int = ROW_LIMIT, lang: str = DEFAULT) -> str:
    """The whole page, from ``reports.dataset.summary(frames)`` and ``frames["apps"].to_dict("records")``,
    in ``lang`` (``en`` or ``zh-CN``)."""
    lang = normalize_lang(lang)
    t = translator(lang)
    names = _names(summary, kb, t)
    rows = app_rows(apps)
    status = {s: int((summary.get("status") or {}).get(s, 0)) for s in STATUSES}
    total = int(summary.get("apps", len(rows)))
    analysed = status["ok"] + status["partial"]
    x = 0.0
    status_bar = []
    for s in STATUSES:
        w = round(100 * status[s] / (total or 1), 2)
        status_bar.append({"status": s, "title": t.gettext(STATUS_TITLES[s]), "count": status[s],
                           "x": round(x, 2), "w": w})
        x += w
    kbs = sorted({str(v) for v in (_clean(a.get("knowledge_base")) for a in apps) if v is not None})
    css, extra = asset("report.css"), asset("dashboard.css")
    js, noscript = asset("report.js"), asset("noscript.css")
    fails = failures(summary, rows)
    sdk_prevalence = by_package(list(summary.get("sdk_prevalence", [])), "sdk")
    vendor_prevalence = by_package(list(summary.get("vendor_prevalence", [])), "vendor")
    apps_analysed = merged(rows)
    packages = int(summary.get("packages", len(apps_analysed)))
    same = [r for r in rows if r["same"]]
    page = {
        "limit": row_limit, "n": names, "tool": {"name": "appaudit", "version": __version__},
        "lang": lang, "zh": t.zh,
        # our own packaged assets, never app data: safe to insert unescaped
        "css": Markup(css + extra), "js": Markup(js), "noscript_css": Markup(noscript),  # noqa: S704
        "csp": content_security_policy(js, [css + extra, noscript]),
        "total": total, "status": status, "status_bar": status_bar, "analysed": analysed, "packages": packages,
        "duplicate_files": len(same), "duplicate_packages": len({r["key"] for r in same}),
        "with_sdks": sum(1 for r in apps_analysed if r["sdks"]), "knowledge_bases": kbs,
        "apps": rows, "sev_options": [(s.label, word(t, s.label)) for s in SEVERITIES
                                      if any(r["severity"] == s.label for r in rows)],
        "status_options": [(s, t.gettext(STATUS_TITLES[s])) for s in STATUSES if any(r["status"] == s for r in rows)],
        "format_options": [(f, f) for f in sorted({r["format"] for r in rows if r["format"]})],
        "sdk_prevalence": sdk_prevalence, "sdk_bars": bars(sdk_prevalence),
        "vendor_prevalence": vendor_prevalence, "vendor_bars": bars(vendor_prevalence),
        "matrix": pi_matrix(summary, names, packages), "pre": pre_consent(rows, summary, t),
        "failures": fails, "failure_codes": [(c, c if lang == DEFAULT else f"{c} · {names.error(c)}")
                                             for c in sorted({c for f in fails for c in f["codes"]})],
        "failure_statuses": [(s, t.gettext(STATUS_TITLES[s])) for s in ("error", "partial")
                             if any(f["status"] == s for f in fails)],
        "pct": pct,
    }
    return environment(lang).get_template("index.html.j2").render(page)
