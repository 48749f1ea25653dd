"""The self-contained HTML audit report: one file per app, readable offline and from file://.

It is the only jinja2 import. Everything that came from the APK goes through autoescaping;
the page loads nothing (inline CSS, SVG and one inline script allowed by its hash in a
strict Content-Security-Policy), and the same Audit always renders to the same bytes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from scanner.analysis.names import ARROW, article, number, phrase, plural, plural_of, readable
from scanner.model import ApiCall, Audit, Finding, Severity, Status
from signatures.model import KnowledgeBase

ROW_LIMIT = 100  # rows shown per table before "show all"; the rest are in the page, hidden
FIRST_PARTY = "first-party"
UNATTRIBUTED = "unattributed"  # code neither the app's nor a known SDK's (scanner.analysis.ownership)
MIXED = "mixed"  # a finding over code of several owners
SEVERITIES = tuple(reversed(Severity))  # critical first
_BREAK = re.compile(r"(?<=[./$,;_])(?=\S)|(?<=[A-Za-z0-9])(?=\([A-Z)\[])")  # after . / $ , ; _ and before "(Type"
_VIA = re.compile(r"\s*\(via ((?:[^()]|\([^()]*\))+)\)")  # "(via A.b() → C.d(Context))" in a finding message
_ACRONYMS = frozenset({"oaid", "rtc", "im", "sdk", "dns"})


def pretty_member(ref: str) -> str:
    """A Dalvik reference (or text holding some) with its owner fully qualified: ``pkg.Class.method(Context)``."""
    return readable(ref, qualified=True)


def short_member(ref: str) -> str:
    """The same with the simple class name, for prose and paths: ``UMConfigure.init(Context, String)``."""
    return readable(ref)


def message_parts(message: str) -> dict[str, Any]:
    """A finding message made readable, with its call path (``… (via A → B).``) taken out as a list of steps,
    entry point first, for a vertical chain under the sentence."""
    text = readable(message)
    m = _VIA.search(text)
    if not m:
        return {"text": text, "path": []}
    return {"text": text[:m.start()] + text[m.end():], "path": m[1].split(ARROW)}


def wbr(text: str) -> Markup:
    """Escaped text with line-break chances after dots and slashes.

    Long class names and URLs then wrap at sensible places without CSS ``overflow-wrap: anywhere``,
    which would let tables squeeze their columns to one character.
    """
    if "\0" in text:  # the break mark below; a hostile string may carry it: part by part, the slow way
        return Markup("<wbr>").join(escape(p) for p in _BREAK.split(text))
    # mark the breaks, escape once (escaping leaves NUL alone), then turn the marks into <wbr>
    return Markup(str(escape(_BREAK.sub("\0", text))).replace("\0", "<wbr>"))  # noqa: S704 -- escaped above


def family(pi_category: str) -> str:
    """The top-level information category (``location.precise`` → ``location``)."""
    return pi_category.split(".", 1)[0]


@dataclass(frozen=True, slots=True)
class Names:
    """Titles for ids, looked up in the knowledge base with the raw id as fallback."""

    kb: KnowledgeBase
    sdk_names: dict[str, str]

    def pi(self, cat: str) -> str:
        info = self.kb.pi_categories.get(cat)
        return info.title if info else cat

    def family(self, fam: str) -> str:
        return re.sub(r"\s*\(.*\)$", "", self.pi(fam))

    def sensitive(self, cat: str) -> str:
        info = self.kb.pi_categories.get(cat)
        return info.sensitive if info else "no"

    def is_information(self, cat: str) -> bool:
        """False for capabilities such as autostart or posting notifications (no rule reads them)."""
        info = self.kb.pi_categories.get(cat)
        return info is None or info.rule is not None

    def sdk(self, sdk_id: str | None) -> str:
        if sdk_id is None or sdk_id == FIRST_PARTY:
            return "First-party code"
        if sdk_id == UNATTRIBUTED:
            return "Unattributed code"
        if sdk_id == MIXED:
            return "Several readers"
        return self.sdk_names.get(sdk_id, sdk_id)

    def document(self, ref: str) -> str:
        return self.kb.documents.get(ref.split("-", 1)[0], "")

    def sdk_category(self, cat: str) -> str:
        return self.kb.sdk_categories.get(cat, cat)

    @staticmethod
    def purpose(cat: str) -> str:
        """An SDK category id as a short tag: ``crash_reporting`` → ``Crash reporting``, ``oaid`` → ``OAID``."""
        words = [w.upper() if w in _ACRONYMS else w for w in cat.split("_")]
        return " ".join(words)[:1].upper() + " ".join(words)[1:]

    def app_type(self, type_id: str | None) -> str:
        """The app type compared against by its name (``short_video`` → ``Short video``)."""
        if not type_id:
            return ""
        info = self.kb.categories.get(type_id)
        return info.name if info else type_id

    @staticmethod
    def permission(name: str) -> str:
        """A platform permission by its short name (``READ_CONTACTS``); other apps' permissions stay whole."""
        prefix, _, short = name.rpartition(".")
        return short if prefix in ("android.permission", "com.android.launcher.permission") else name


@dataclass(slots=True)
class Cell:
    count: int = 0
    pre: int = 0
    cats: set[str] = field(default_factory=set)


def _names(audit: Audit, kb: KnowledgeBase) -> Names:
    names = {s.id: s.name for s in audit.sdks}
    known = {s.id for s in kb.sdks}
    used = [c.sdk for c in audit.api_calls] + [e.sdk for e in audit.endpoints] + [f.sdk for f in audit.findings]
    for sid in sorted({s for s in used if s} - set(names)):
        names[sid] = kb.sdk(sid).name if sid in known else sid
    return Names(kb, names)


def category_order(kb: KnowledgeBase, cats: set[str]) -> list[str]:
    """Categories in knowledge-base order (identifiers, device, location…), unknown ones last."""
    rank = {c: i for i, c in enumerate(kb.pi_categories)}
    return sorted(cats, key=lambda c: (rank.get(c, len(rank)), c))


def reader_of(sdk: str | None, party: str) -> str:
    """The reader key of a call site or finding: its SDK, the app's own code, or unattributed code."""
    return sdk or (party if party in (UNATTRIBUTED, MIXED) else FIRST_PARTY)


def readers(audit: Audit) -> list[str]:
    """Map columns: first-party code, then each SDK (detected order, then any other reader), then unattributed."""
    sdks = [s.id for s in audit.sdks]
    extra = sorted({c.sdk for c in audit.api_calls if c.sdk and c.sdk not in sdks})
    nobody = [UNATTRIBUTED] if any(reader_of(c.sdk, c.party) == UNATTRIBUTED for c in audit.api_calls) else []
    return [FIRST_PARTY, *sdks, *extra, *nobody]


def pi_map(audit: Audit, names: Names) -> dict[str, Any]:
    """Information family × reader matrix of call-site counts, with pre-consent marks."""
    cells: dict[tuple[str, str], Cell] = {}
    for call in audit.api_calls:
        cell = cells.setdefault((family(call.pi_category), reader_of(call.sdk, call.party)), Cell())
        cell.count += 1
        cell.pre += call.pre_consent
        cell.cats.add(call.pi_category)
    perms: dict[str, list[str]] = {}
    for p in audit.permissions:
        if p.pi_category and names.is_information(p.pi_category):
            perms.setdefault(family(p.pi_category), []).append(p.name.rsplit(".", 1)[-1])
    fams = category_order(names.kb, {f for f, _ in cells} | set(perms))
    cols = readers(audit)
    rows = []
    for fam in fams:
        subs = category_order(names.kb, set().union(*(c.cats for (f, _), c in cells.items() if f == fam)) - {fam})
        rows.append({"id": fam, "title": names.family(fam), "subs": [names.pi(s) for s in subs],
                     "sensitive": any(names.sensitive(s) == "yes" for s in [fam, *subs]),
                     "permissions": sorted(perms.get(fam, [])),
                     "cells": [cells.get((fam, r)) for r in cols]})
    totals = [sum(c.count for (_, r), c in cells.items() if r == col) for col in cols]
    pre = [sum(c.pre for (_, r), c in cells.items() if r == col) for col in cols]
    return {"columns": [names.sdk(None if c == FIRST_PARTY else c) for c in cols], "rows": rows,
            "totals": totals, "chart": _bars(list(zip(cols, totals, pre, strict=True)), names)}


def _bars(data: list[tuple[str, int, int]], names: Names) -> list[dict[str, Any]]:
    """Horizontal bar geometry (percent of the widest bar) for the call-sites-by-reader chart."""
    top = max((n for _, n, _ in data), default=0) or 1
    return [{"label": names.sdk(None if r == FIRST_PARTY else r), "count": n, "pre": p,
             "w": round(100 * n / top, 1), "pw": round(100 * p / top, 1)} for r, n, p in data]


def severity_counts(findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
    counts = Counter(f.severity for f in findings)
    total = sum(counts.values()) or 1
    x = 0.0
    out = []
    for sev in SEVERITIES:
        w = round(100 * counts[sev] / total, 2)
        out.append({"sev": sev.label, "count": counts[sev], "x": round(x, 2), "w": w})
        x += w
    return out


def finding_filters(findings: list[Finding], names: Names) -> dict[str, list[tuple[str, str]]]:
    """Options of the findings table's severity and source filters: only values that occur."""
    sevs = [s.label for s in SEVERITIES if any(f.severity == s for f in findings)]
    sdks = sorted({f.sdk for f in findings if f.sdk}, key=names.sdk)
    first = [(FIRST_PARTY, names.sdk(None))] if any(reader_of(f.sdk, f.party) == FIRST_PARTY for f in findings) else []
    nobody = [(p, names.sdk(p)) for p in (UNATTRIBUTED, MIXED) if any(f.party == p and not f.sdk for f in findings)]
    return {"sev": [(s, s.capitalize()) for s in sevs],
            "sdk": first + [(s, names.sdk(s)) for s in sdks] + nobody}


def is_manifest_finding(f: Finding) -> bool:
    return f.category == "manifest" or any(e.part == "certificate" for e in f.evidence)


def all_refs(f: Finding) -> tuple[str, ...]:
    """The references of a finding's lead rule, then its tags' new ones."""
    return tuple(dict.fromkeys((*f.refs, *(r for t in f.tags for r in t.refs))))


def rules_touched(audit: Audit, kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Each rule the findings touch (leading or as a tag), once, worst first, with the catalog's explanation."""
    worst: dict[str, Severity] = {}
    for f in audit.hits:
        worst[f.rule_id] = max(worst.get(f.rule_id, Severity.INFO), f.severity)
    out = []
    for rid in sorted(worst, key=lambda r: (-worst[r], r)):
        rule = kb.rules.get(rid)
        out.append({"id": rid, "severity": worst[rid].label, "title": rule.title if rule else rid,
                    "explanation": rule.explanation if rule else "", "fix": rule.fix if rule else "",
                    "refs": rule.refs if rule else ()})
    return out


def documents(audit: Audit, kb: KnowledgeBase) -> list[tuple[str, str]]:
    """The regulation texts the findings cite, once each, in the knowledge base's order."""
    used = {r.split("-", 1)[0] for f in audit.hits for r in f.refs}
    used |= {r.split("-", 1)[0] for f in audit.hits if f.rule_id in kb.rules for r in kb.rules[f.rule_id].refs}
    return [(key, title) for key, title in kb.documents.items() if key in used]


def sdk_reads(audit: Audit) -> dict[str, list[ApiCall]]:
    out: dict[str, list[ApiCall]] = {}
    for call in audit.api_calls:
        out.setdefault(reader_of(call.sdk, call.party), []).append(call)
    return out


def excessive(audit: Audit) -> set[str]:
    return {e.symbol for h in audit.hits if h.rule_id == "permission.possibly_excessive" for e in h.evidence}


def permission_groups(audit: Audit, names: Names) -> list[dict[str, Any]]:
    groups: dict[str, list[Any]] = {}
    for p in audit.permissions:
        groups.setdefault(family(p.pi_category) if p.pi_category else "", []).append(p)
    order = category_order(names.kb, set(groups) - {""}) + ([""] if "" in groups else [])
    return [{"title": names.family(g) if g else "Not in the knowledge base", "perms": groups[g]} for g in order]


def summary(audit: Audit, names: Names) -> dict[str, Any]:
    """The headline figures of the verdict."""
    calls = audit.api_calls
    return {
        "sdks": len([s for s in audit.sdks if not s.stub]),
        "stubs": len([s for s in audit.sdks if s.stub]),
        "reads": len(calls),
        "sdk_reads": sum(1 for c in calls if c.sdk),
        "families": len({family(c.pi_category) for c in calls}),
        "pre": sum(1 for c in calls if c.pre_consent),
        "pre_readers": sorted({names.sdk(c.sdk) for c in calls if c.pre_consent}),
        "sensitive_perms": sum(1 for p in audit.permissions if p.sensitive == "yes"),
        "cleartext": sum(1 for e in audit.endpoints if e.cleartext),
        "hidden": sum(1 for c in calls if c.hidden),
    }


@functools.cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("reports", "templates"),
                      autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["member"] = pretty_member
    env.filters["short"] = short_member
    env.filters["wbr"] = wbr
    env.filters["capitalize_first"] = capitalize_first
    env.globals.update(plural=plural, plural_of=plural_of, number=number, article=article, phrase=phrase,
                       message_parts=message_parts, all_refs=all_refs)
    return env


def capitalize_first(text: str) -> str:
    """The first letter upper-cased, the rest as it is (jinja's ``capitalize`` lower-cases the rest)."""
    return text[:1].upper() + text[1:]


@functools.cache
def asset(name: str) -> str:
    text = resources.files("reports").joinpath("templates", name).read_text("utf-8")
    if "</" in text or "<!--" in text:  # would end the inline <script>/<style> block early
        raise ValueError(f"{name} must not contain '</' or '<!--'")
    return text


def csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(script: str, styles: list[str]) -> str:
    return ("default-src 'none'; img-src data:; style-src " + " ".join(csp_hash(s) for s in styles)
            + "; script-src " + csp_hash(script) + "; base-uri 'none'; form-action 'none'")


TOP_PROBLEMS = 5


def top_problems(audit: Audit, count: int = TOP_PROBLEMS) -> list[dict[str, Any]]:
    """The open findings to look at first: those failing the gate, then by severity and confidence."""
    floor = Severity.parse(audit.verdict.floor) if audit.verdict and audit.verdict.floor else None
    ranked = sorted((f for f in audit.findings if f.accepted is None),
                    key=lambda f: (not (floor is not None and f.severity >= floor), -f.severity,
                                   f.confidence != "high", f.rule_id))
    shown: set[str] = set()
    top = []
    for f in ranked[:count]:
        top.append({"finding": f, "where": _where(f), "fix": "" if f.fix in shown else f.fix})  # say a fix once
        shown.add(f.fix)
    return top


def _where(f: Finding) -> str:
    """Where a finding is, in a few words: its first evidence, readable."""
    if not f.evidence:
        return ""
    e = f.evidence[0]
    return readable(e.path if e.part in ("dex", "manifest") and "->" in e.path else e.symbol or e.path)[:120]


class HtmlWriter:
    """Render one Audit as one self-contained HTML page."""

    name = "html"
    suffix = ".html"

    def __init__(self, row_limit: int = ROW_LIMIT) -> None:
        self.row_limit = row_limit

    def render(self, audit: Audit, kb: KnowledgeBase) -> str:
        names = _names(audit, kb)
        reads = sdk_reads(audit)
        compliance = [f for f in audit.findings if not is_manifest_finding(f)]
        css, js, noscript = asset("report.css"), asset("report.js"), asset("noscript.css")
        page = {
            "audit": audit, "kb": kb, "n": names, "limit": self.row_limit, "error": audit.status == Status.ERROR,
            # partial or failed: any absence may be a false negative, any count a lower bound
            "incomplete": audit.status != Status.OK,
            # our own packaged assets, never app data: safe to insert unescaped
            "css": Markup(css), "js": Markup(js), "noscript_css": Markup(noscript),  # noqa: S704
            "csp": content_security_policy(js, [css, noscript]),
            "severities": severity_counts(audit.findings), "summary": summary(audit, names),
            "pimap": pi_map(audit, names), "reads": reads, "excessive": excessive(audit),
            "permission_groups": permission_groups(audit, names), "rules": rules_touched(audit, kb),
            "documents": documents(audit, kb),
            "compliance": compliance, "finding_filters": finding_filters(compliance, names),
            "top_problems": top_problems(audit),
            "manifest_findings": [f for f in audit.findings if is_manifest_finding(f)],
            "pi_cats": [(c, names.pi(c)) for c in category_order(kb, {c.pi_category for c in audit.api_calls})],
            "call_readers": [(r, names.sdk(None if r == FIRST_PARTY else r)) for r in readers(audit)
                             if r in reads],
        }
        return environment().get_template("app.html.j2").render(page)
