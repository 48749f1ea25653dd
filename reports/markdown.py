"""A short Markdown summary of one Audit, for pull-request comments and terminals.

Everything that came from the APK goes through `md()`: a label such as
``<script>`` or ``a | b`` must neither inject HTML nor break a table. Names are readable
(``scanner.analysis.names``); on an incomplete analysis counts are lower bounds and absences "unknown".
"""

from __future__ import annotations

import re
from collections import Counter

from reports import sentences
from reports.html import Names, excessive, fix_of, names_for, pretty_member, reader_of
from reports.i18n import DEFAULT, Translator, normalize_lang, translator
from reports.sentences import composer
from reports.vocab import word
from scanner.analysis.names import readable
from scanner.model import Audit, Finding, Severity, Status
from signatures.documents import Reference, is_zh
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


def _sdk_name(audit: Audit, sdk_id: str | None, party: str = "app") -> str:
    if sdk_id is None:
        return {"unattributed": "unattributed code", "mixed": "several readers"}.get(party, "first-party code")
    return next((s.name for s in audit.sdks if s.id == sdk_id), sdk_id)


def _least(count: int, t: Translator, one: str, many: str, unknown: str, partial: bool) -> str:
    """``3 SDKs``; on an incomplete analysis ``at least 3 SDKs``, and for none found ``SDKs: unknown``.
    ``one``/``many`` are catalog messages: Babel extracts them as ``_least:3,4`` (Makefile ``i18n``)."""
    text = t.nformat(count, one, many)
    if partial:
        return t.gettext("at least %(what)s") % {"what": text} if count else unknown
    return text


def citation_line(ref: Reference, lang: str) -> str:
    """``- 《个人信息保护法》第十三条 (PIPL Art. 13) — summary `PIPL-13```; a text that is not binding Chinese law is
    labelled (*draft*, *recommended standard*), a clause not checked against the text is marked. On a Chinese page
    an English-language citation is code, like other English names."""
    zh = is_zh(lang)
    doc = ref.document
    cite = f"`{ref.citation}`" if zh and doc.language == "en" else md(ref.citation, 300)
    gloss = f" ({md(ref.gloss_en)})" if ref.gloss_en and not zh else ""
    label = "" if doc.binding else f" *{md(doc.label(lang))}*"
    unverified = "" if ref.verified else f" *({md(ref.unverified_label(lang))})*"
    return f"- {cite}{gloss}{label} — {md(ref.summary(lang), 400)}{unverified} `{ref.id}`"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(r) + " |" for r in rows)]


def _sentence(f: Finding, audit: Audit, names: Names) -> str:
    """The finding's sentence: the detector's in English, composed from its fields otherwise (code in backticks)."""
    if names.t.lang == DEFAULT:
        return md(readable(f.message), 240)
    made = sentences.compose(f, audit, names.t, names.sdk(reader_of(f.sdk, f.party)), names.pi)
    if made is None:
        return md(names.rule(f.rule_id, f.title), 240)
    values = {k: f"`{p.text.replace('`', '')}`" if p.code else md(p.text, 240) for k, p in made.parts.items()}
    return md_format(made.template, values)


def md_format(template: str, values: dict[str, str]) -> str:
    """A translated template with Markdown-safe values: the template is ours (escaped like any text), the values
    are already safe, so they go in after escaping."""
    marks = {k: f"\0{i}\0" for i, k in enumerate(values)}
    text = md(template % marks, 600)
    for k, mark in marks.items():
        text = text.replace(mark, values[k])
    return text


class MarkdownWriter:
    """Render the verdict, SDKs, sensitive permissions, pre-consent reads and top findings, in ``lang``."""

    name = "md"
    suffix = ".md"

    def __init__(self, top: int = TOP_FINDINGS, lang: str = DEFAULT) -> None:
        self.top = top
        self.lang = normalize_lang(lang)

    def render(self, audit: Audit, kb: KnowledgeBase) -> str:
        t = translator(self.lang)
        names = names_for(audit, kb, t)
        out = self._title(audit)
        if audit.status == Status.ERROR:
            failed = t.gettext("Analysis failed: nothing is known about this app. This is not a clean result.")
            out += ["", f"**{failed}**", ""]
            out += [f"- {md(e.code)}: {self._error(e.code, e.message, names)}" for e in audit.errors] \
                or ["- " + t.gettext("no reason recorded")]
        else:
            out += self._verdict(audit, names)
            out += self._sdks(audit, names) + self._permissions(audit, names) + self._pre_consent(audit, names)
            out += self._findings(audit, names) + self._cited(audit, names)
        out += ["", "<sub>" + t.gettext("%(tool)s · knowledge base %(kb)s · input sha256 %(sha)s") % {
            "tool": f"{md(audit.tool.name)} {md(audit.tool.version)}", "kb": md(audit.knowledge_base.version),
            "sha": md(audit.input.sha256 or "n/a")} + "</sub>"]
        return "\n".join(out) + "\n"

    @staticmethod
    def _error(code: str, message: str, names: Names, limit: int = 400) -> str:
        """A scan error: the scanner's English diagnostic; in another language what its code means, then the
        diagnostic as code (file names, offsets)."""
        if names.t.lang == DEFAULT:
            return md(readable(message), limit)
        return md(names.error(code)) + " `" + " ".join(message.replace("`", "'").split())[:limit] + "`"

    def _title(self, audit: Audit) -> list[str]:
        app = audit.app
        if app is None:
            return [f"## appaudit: {md(audit.input.path)}"]
        version = f" {md(app.version_name)}" if app.version_name else ""
        return [f"## appaudit: {md(app.label or app.package)} ({md(app.package)}{version})"]

    def _verdict(self, audit: Audit, names: Names) -> list[str]:
        t = names.t
        partial = audit.status != Status.OK
        counts = Counter(f.severity for f in audit.findings if f.accepted is None)
        sevs = t.gettext(", ").join(f"{counts[s]} {word(t, s.label).lower()}" for s in reversed(Severity))
        pre = sum(1 for c in audit.api_calls if c.pre_consent)
        if pre:
            pre_text = "**" + t.gettext("%(what)s before consent") % {"what": _least(
                pre, t, "%(num)s read", "%(num)s reads", t.gettext("unknown reads"), partial)} + "**"
        else:
            pre_text = (t.gettext("unknown whether anything is read before consent") if partial
                        else t.gettext("no read before consent"))
        reason = audit.verdict.reason if audit.verdict and t.lang == DEFAULT else sentences.verdict_reason(audit, t)
        gate = [f"**{word(t, audit.verdict.kind)}**: {md(reason, 300)}", ""] if audit.verdict else []
        open_ = sum(1 for f in audit.findings if f.accepted is None)  # as the console line counts them
        accepted = t.gettext(", %(num)s accepted") % {"num": len(audit.findings) - open_} \
            if open_ != len(audit.findings) else ""
        found = _least(open_, t, "%(num)s finding", "%(num)s findings", t.gettext("findings: unknown"), partial)
        lines = ["", *gate, "**" + t.gettext("Verdict:") + "** " + " · ".join([
            f"{found} ({sevs}{accepted})",
            _least(len(audit.sdks), t, "%(num)s SDK", "%(num)s SDKs", t.gettext("SDKs: unknown"), partial),
            _least(len(audit.api_calls), t, "%(num)s personal-information call site",
                   "%(num)s personal-information call sites",
                   t.gettext("personal-information call sites: unknown"), partial),
            pre_text])]
        if audit.status == Status.PARTIAL:
            lines += ["", "> " + t.gettext("**Analysis incomplete**: treat this as a lower bound, not as clean: every "
                                           "count is “at least”, and what was not found is unknown.")]
            lines += [f"> - {md(e.code)}: {self._error(e.code, e.message, names, 300)}" for e in audit.errors]
        return lines

    def _sdks(self, audit: Audit, names: Names) -> list[str]:
        t = names.t
        if not audit.sdks:
            return ["", "### " + t.gettext("SDKs"), "", t.gettext("Unknown: none found in the part of the app that "
                    "could be read.") if audit.status != Status.OK else t.gettext("None found.")]
        rows = []
        for s in audit.sdks:
            reads = sorted({c.pi_category for c in audit.api_calls if c.sdk == s.id})
            name = md(s.name) + (t.gettext(" (stub)") if s.stub else "")
            use = [w for w, on in ((t.gettext("called by the app"), s.called_by_app),
                                   (t.gettext("started before consent"), s.starts_before_consent),
                                   (t.gettext("switched off in the manifest"), s.disabled)) if on]
            rows.append([name, md(s.version or "—"), md(s.vendor), md(t.gettext(", ").join(use) or "—"),
                         md(t.gettext(", ").join(names.pi(r) for r in reads) or "—", 300)])
        return ["", "### " + t.gettext("SDKs"), "", *_table([t.gettext("SDK"), t.gettext("Version"),
                t.gettext("Vendor"), t.gettext("Use"), t.gettext("Reads in this app")], rows)]

    def _permissions(self, audit: Audit, names: Names) -> list[str]:
        sensitive = [p for p in audit.permissions if p.sensitive == "yes"]
        if not sensitive:
            return []
        t = names.t
        extra = excessive(audit)
        lines = ["", "### " + t.gettext("Sensitive permissions"), ""]
        for p in sensitive:
            note = " · " + t.gettext("possibly excessive") if p.name in extra else ""
            name = md(p.name) if t.lang == DEFAULT else f"`{p.name}`"
            lines.append(f"- {name}: {md(names.pi(p.pi_category or ''))}{note}")
        return lines

    def _pre_consent(self, audit: Audit, names: Names) -> list[str]:
        calls = [c for c in audit.api_calls if c.pre_consent]
        if not calls:
            return []
        t = names.t
        rows = [[md(names.pi(c.pi_category)), md(names.sdk(reader_of(c.sdk, c.party)) if t.lang != DEFAULT
                                                 else _sdk_name(audit, c.sdk, c.party)),
                 md(pretty_member(c.caller))] for c in calls[: self.top]]
        more = ["", t.gettext("…and %(num)s more.") % {"num": len(calls) - self.top}] if len(calls) > self.top else []
        return ["", "### " + t.gettext("Read before consent"), "",
                *_table([t.gettext("Information"), t.gettext("Reader"), t.gettext("Caller")], rows), *more]

    def _cited(self, audit: Audit, names: Names) -> list[str]:
        """The references of the findings shown, once each, as the rules are cited: 《title》article — summary."""
        ranked = sorted(audit.findings, key=lambda f: -f.severity)[: self.top]
        ids = dict.fromkeys(r for f in ranked for r in (*f.refs, *(r for t in f.tags for r in t.refs)))
        known = names.kb.references
        lines = [citation_line(known[r], names.t.lang) if r in known else f"- `{r}`" for r in ids]
        return ["", "### " + ("所引条款" if names.t.zh else "Rules cited"), "", *lines] if lines else []

    def _findings(self, audit: Audit, names: Names) -> list[str]:
        t = names.t
        if not audit.findings:
            return ["", "### " + t.gettext("Findings"), "", t.gettext("Unknown: none found in the part of the app "
                    "that could be read.") if audit.status != Status.OK else t.gettext("None.")]
        ranked = sorted(audit.findings, key=lambda f: -f.severity)[: self.top]
        rows = []
        for f in ranked:
            tags = f" (+ {md(', '.join(t.rule_id for t in f.tags))})" if f.tags else ""
            who = _sdk_name(audit, f.sdk, f.party) if t.lang == DEFAULT else names.sdk(reader_of(f.sdk, f.party))
            text = _sentence(f, audit, names)
            if t.lang != DEFAULT:
                text = f"**{md(names.rule(f.rule_id, f.title))}**" + (f" {text}" if composer(f.rule_id) else "")
            if f.accepted:
                text += " *(" + t.gettext("accepted by %(who)s: %(why)s") % {
                    "who": md(word(t, f.accepted.by)), "why": md(f.accepted.reason, 120)} + ")*"
            rows.append([word(t, f.severity.label).upper(), md(f.rule_id) + tags, md(who), text,
                         md(fix_of(f, names.kb, t), 240)])
        total = t.gettext("at least %(what)s") % {"what": len(audit.findings)} if audit.status != Status.OK \
            else str(len(audit.findings))
        head = t.gettext("Top findings (%(shown)s of %(total)s)") % {"shown": len(ranked), "total": total}
        return ["", "### " + head,
                "", *_table([t.gettext("Severity"), t.gettext("Rule"), t.gettext("Source"), t.gettext("Finding"),
                             t.gettext("Fix")], rows)]

