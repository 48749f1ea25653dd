"""A short Markdown summary of one Audit, for pull-request comments and terminals.

Everything that came from the APK goes through `md()`: a label such as
``<script>`` or ``a | b`` must neither inject HTML nor break a table. Names are readable
(``scanner.analysis.names``); on an incomplete analysis counts are lower bounds and absences "unknown".
"""

from __future__ import annotations

import re
from collections import Counter

from reports.html import excessive, pretty_member
from scanner.analysis.names import plural, plural_of, readable
from scanner.model import Audit, Severity, Status
from signatures.model import KnowledgeBase

TOP_FINDINGS = 15
MAX_TEXT = 160
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MARKUP = re.compile(r"[\\`*\[\]|~]|(?<!\w)_|_(?!\w)")  # md() text never starts a line, so no block markers


def md(text: object, limit: int = MAX_TEXT) -> str:
    """Inline-safe Markdown text: one line, HTML special characters as entities, markup escaped."""
    s = " ".join(str(text).split())
    if len(s) > limit:
        s = s[: limit - 1] + "…"
    s = "".join(_HTML.get(c, c) for c in s)
    return _MARKUP.sub(lambda m: "\\" + m.group(0), s)


def _pi(kb: KnowledgeBase, cat: str) -> str:
    info = kb.pi_categories.get(cat)
    return info.title if info else cat


def _sdk_name(audit: Audit, sdk_id: str | None, party: str = "app") -> str:
    if sdk_id is None:
        return {"unattributed": "unattributed code", "mixed": "several readers"}.get(party, "first-party code")
    return next((s.name for s in audit.sdks if s.id == sdk_id), sdk_id)


def _least(count: int, word: str, partial: bool) -> str:
    """``3 SDKs``; on an incomplete analysis ``at least 3 SDKs``, and for none found ``SDKs: unknown``."""
    if partial:
        return f"at least {plural(count, word)}" if count else f"{plural_of(word)}: unknown"
    return plural(count, word)


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(r) + " |" for r in rows)]


class MarkdownWriter:
    """Render the verdict, SDKs, sensitive permissions, pre-consent reads and top findings."""

    name = "md"
    suffix = ".md"

    def __init__(self, top: int = TOP_FINDINGS) -> None:
        self.top = top

    def render(self, audit: Audit, kb: KnowledgeBase) -> str:
        out = self._title(audit)
        if audit.status == Status.ERROR:
            out += ["", "**Analysis failed: nothing is known about this app. This is not a clean result.**", ""]
            out += [f"- {md(e.code)}: {md(e.message, 400)}" for e in audit.errors] or ["- no reason recorded"]
        else:
            out += self._verdict(audit)
            out += self._sdks(audit, kb) + self._permissions(audit, kb) + self._pre_consent(audit, kb)
            out += self._findings(audit)
        out += ["", f"<sub>{md(audit.tool.name)} {md(audit.tool.version)} · knowledge base "
                    f"{md(audit.knowledge_base.version)} · input sha256 {md(audit.input.sha256 or 'n/a')}</sub>"]
        return "\n".join(out) + "\n"

    def _title(self, audit: Audit) -> list[str]:
        app = audit.app
        if app is None:
            return [f"## appaudit: {md(audit.input.path)}"]
        version = f" {md(app.version_name)}" if app.version_name else ""
        return [f"## appaudit: {md(app.label or app.package)} ({md(app.package)}{version})"]

    def _verdict(self, audit: Audit) -> list[str]:
        partial = audit.status != Status.OK
        counts = Counter(f.severity for f in audit.findings if f.accepted is None)
        sevs = ", ".join(f"{counts[s]} {s.label}" for s in reversed(Severity))
        pre = sum(1 for c in audit.api_calls if c.pre_consent)
        if pre:
            pre_text = f"**{_least(pre, 'read', partial)} before consent**"
        else:
            pre_text = "unknown whether anything is read before consent" if partial else "no read before consent"
        gate = [f"**{audit.verdict.kind}**: {md(audit.verdict.reason, 300)}", ""] if audit.verdict else []
        open_ = sum(1 for f in audit.findings if f.accepted is None)  # as the console line counts them
        accepted = f", {len(audit.findings) - open_} accepted" if open_ != len(audit.findings) else ""
        lines = ["", *gate, f"**Verdict:** {_least(open_, 'finding', partial)} ({sevs}{accepted}) · "
                     f"{_least(len(audit.sdks), 'SDK', partial)} · "
                     f"{_least(len(audit.api_calls), 'personal-information call site', partial)} · {pre_text}"]
        if audit.status == Status.PARTIAL:
            lines += ["", "> **Analysis incomplete**: treat this as a lower bound, not as clean: every count is "
                          "“at least”, and what was not found is unknown."]
            lines += [f"> - {md(e.code)}: {md(readable(e.message), 300)}" for e in audit.errors]
        return lines

    def _sdks(self, audit: Audit, kb: KnowledgeBase) -> list[str]:
        if not audit.sdks:
            return ["", "### SDKs", "", "Unknown: none found in the part of the app that could be read."
                    if audit.status != Status.OK else "None found."]
        rows = []
        for s in audit.sdks:
            reads = sorted({c.pi_category for c in audit.api_calls if c.sdk == s.id})
            name = md(s.name) + (" (stub)" if s.stub else "")
            use = [w for w, on in (("called by the app", s.called_by_app), ("started before consent",
                   s.starts_before_consent), ("switched off in the manifest", s.disabled)) if on]
            rows.append([name, md(s.version or "—"), md(s.vendor), md(", ".join(use) or "—"),
                         md(", ".join(_pi(kb, r) for r in reads) or "—", 300)])
        return ["", "### SDKs", "", *_table(["SDK", "Version", "Vendor", "Use", "Reads in this app"], rows)]

    def _permissions(self, audit: Audit, kb: KnowledgeBase) -> list[str]:
        sensitive = [p for p in audit.permissions if p.sensitive == "yes"]
        if not sensitive:
            return []
        extra = excessive(audit)
        lines = ["", "### Sensitive permissions", ""]
        for p in sensitive:
            note = " · possibly excessive" if p.name in extra else ""
            lines.append(f"- {md(p.name)}: {md(_pi(kb, p.pi_category or ''))}{note}")
        return lines

    def _pre_consent(self, audit: Audit, kb: KnowledgeBase) -> list[str]:
        calls = [c for c in audit.api_calls if c.pre_consent]
        if not calls:
            return []
        rows = [[md(_pi(kb, c.pi_category)), md(_sdk_name(audit, c.sdk, c.party)), md(pretty_member(c.caller))]
                for c in calls[: self.top]]
        more = ["", f"…and {len(calls) - self.top} more."] if len(calls) > self.top else []
        return ["", "### Read before consent", "", *_table(["Information", "Reader", "Caller"], rows), *more]

    def _findings(self, audit: Audit) -> list[str]:
        if not audit.findings:
            return ["", "### Findings", "", "Unknown: none found in the part of the app that could be read."
                    if audit.status != Status.OK else "None."]
        ranked = sorted(audit.findings, key=lambda f: -f.severity)[: self.top]
        rows = [[f.severity.label.upper(), md(f.rule_id) + (f" (+ {md(', '.join(t.rule_id for t in f.tags))})"
                                                          if f.tags else ""), md(_sdk_name(audit, f.sdk, f.party)),
                 md(readable(f.message), 240)
                 + (f" *(accepted by {md(f.accepted.by)}: {md(f.accepted.reason, 120)})*" if f.accepted else ""),
                 md(f.fix, 240)] for f in ranked]
        total = f"at least {len(audit.findings)}" if audit.status != Status.OK else str(len(audit.findings))
        return ["", f"### Top findings ({len(ranked)} of {total})", "",
                *_table(["Severity", "Rule", "Source", "Finding", "Fix"], rows)]
