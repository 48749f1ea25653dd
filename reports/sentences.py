"""A finding's sentence in a report language other than English, composed from the finding's structured fields.

Detectors write ``Finding.message`` in English (the JSON and SARIF keep it). A translated report does not try
to translate that prose: it says the same thing from what the finding holds — who reads (an SDK or the app's
own code), which personal-information categories, how many places, which permission or component — through
one translatable template per rule. A rule without a template (the APK-integrity and signing rules, whose
details live in their evidence) shows its translated title and its evidence only.

Values are ``Part``s, so each renderer marks them its own way: HTML wraps code in ``<code>`` and names of
another language in ``lang`` spans, Markdown uses backticks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from reports.i18n import Translator
from reports.vocab import N_, error_meaning, word
from scanner.model import Audit, Finding, Severity


@dataclass(frozen=True, slots=True)
class Part:
    """One value of a sentence: plain text (a name, a category list) or code (a permission, a class)."""

    text: str
    code: bool = False


@dataclass(frozen=True, slots=True)
class Sentence:
    template: str  # translated, with %(name)s placeholders
    parts: Mapping[str, Part]


@dataclass(frozen=True, slots=True)
class Context:
    """What a composer may use: the finding, the audit it is from, and the report's names and words."""

    finding: Finding
    audit: Audit
    t: Translator
    reader: str  # display name of who holds the code: an SDK, or the app's own code
    pi: Callable[[str], str]  # category id -> display title

    def info(self) -> Part:
        hit = self.finding.hits[0] if self.finding.hits else None
        cats = (hit.pi_categories if hit and hit.pi_categories else self.finding.pi_categories)
        sep = self.t.gettext(", ")
        return Part(sep.join(self.pi(c) for c in cats) or self.t.gettext("personal information"))

    def places(self) -> int:
        return sum(1 for e in self.finding.evidence if e.part == "dex") or 1

    def first(self) -> str:
        return self.finding.evidence[0].symbol if self.finding.evidence else self.finding.subject.key

    def sdk_vendor(self) -> str:
        hit = next((s for s in self.audit.sdks if s.id == self.finding.sdk), None)
        return (hit.legal_entity or hit.vendor) if hit else ""


def _reads(c: Context) -> Sentence:
    n = c.places()
    tmpl = c.t.ngettext("%(reader)s reads %(info)s in %(num)s place.",
                        "%(reader)s reads %(info)s in %(num)s places.", n)
    return Sentence(tmpl, {"reader": Part(c.reader), "info": c.info(), "num": Part(f"{n:,}")})


def _simple(template: str, *, reader: bool = False, perm: bool = False,
            count: bool = False) -> Callable[[Context], Sentence]:
    """A composer for a template using the reader, the first evidence (a permission, an API) or a count."""

    def compose(c: Context) -> Sentence:
        parts: dict[str, Part] = {}
        if reader:
            parts["reader"] = Part(c.reader)
        if perm:
            parts["what"] = Part(c.first(), code=True)
        if count:
            parts["num"] = Part(f"{c.places():,}")
        parts["info"] = c.info()
        return Sentence(c.t.gettext(template), parts)

    return compose


def _component(template: str) -> Callable[[Context], Sentence]:
    def compose(c: Context) -> Sentence:
        e = c.finding.evidence[0] if c.finding.evidence else None
        kind = word(c.t, e.path) if e else ""
        return Sentence(c.t.gettext(template), {"kind": Part(kind), "what": Part(c.first(), code=True)})

    return compose


def _sdk(template: str) -> Callable[[Context], Sentence]:
    def compose(c: Context) -> Sentence:
        vendor = c.sdk_vendor()
        return Sentence(c.t.gettext(template), {"sdk": Part(c.reader), "vendor": Part(vendor or "—"),
                                                "info": c.info()})

    return compose


def _hosts(c: Context) -> Sentence:
    hosts = sorted({e.symbol for e in c.finding.evidence if e.part != "dex" or "." in e.symbol})
    return Sentence(c.t.gettext(N_("Code of %(sdk)s names its servers: %(what)s.")),
                    {"sdk": Part(c.reader), "what": Part(", ".join(hosts), code=True)})


def _cleartext(c: Context) -> Sentence:
    n = len(c.finding.evidence) or 1
    tmpl = c.t.ngettext("Cleartext HTTP is allowed for %(num)s host.",
                        "Cleartext HTTP is allowed for %(num)s hosts.", n)
    return Sentence(tmpl, {"num": Part(f"{n:,}")})


def _fixed(template: str) -> Callable[[Context], Sentence]:
    return lambda c: Sentence(c.t.gettext(template), {})


COMPOSERS: dict[str, Callable[[Context], Sentence]] = {
    "sdk.reads_pi": _reads,
    "consent.pi_before_consent": _simple(N_("%(reader)s reads %(info)s at launch, before consent can be asked."),
                                         reader=True),
    "consent.sdk_init_before_consent": _simple(N_("%(reader)s is started at launch, before consent can be asked."),
                                               reader=True),
    "sdk.embedded": _sdk(N_("The app embeds %(sdk)s, operated by %(vendor)s.")),
    "sdk.tracker": _sdk(N_("The app embeds the tracker %(sdk)s, operated by %(vendor)s.")),
    "sdk.undisclosed_collection": _sdk(N_("%(sdk)s reads %(info)s, which its vendor's disclosure does not list.")),
    "api.missing_permission": _simple(N_("%(what)s needs a permission the app does not request."), perm=True),
    "permission.dangerous": _simple(N_("The app requests the runtime permission %(what)s."), perm=True),
    "permission.sensitive_pi": _simple(N_("%(what)s gives access to sensitive personal information: %(info)s."),
                                       perm=True),
    "permission.possibly_excessive": _simple(N_("%(what)s is requested, but no catalogued API that needs it is "
                                                "called."), perm=True),
    "permission.beyond_necessary": _simple(N_("%(what)s opens up %(info)s, outside the necessary information of "
                                              "the app type."), perm=True),
    "permission.low_relevance": _simple(N_("%(what)s is of low relevance to the app type (GB/T 41391 Annex E)."),
                                        perm=True),
    "pi.non_resettable_id": _simple(N_("%(reader)s reads %(info)s, an identifier the user cannot reset; a "
                                       "resettable one would serve."), reader=True),
    "code.hidden_access": _simple(N_("%(reader)s reaches %(info)s through reflection."), reader=True),
    "code.shell_exec": _simple(N_("%(reader)s runs shell commands (%(num)s places)."), reader=True, count=True),
    "code.dynamic_code_loading": _simple(N_("%(reader)s loads code at run time (%(num)s places)."), reader=True,
                                         count=True),
    "code.webview_js_bridge": _simple(N_("%(reader)s exposes app code to JavaScript in a WebView."), reader=True),
    "category.beyond_necessary": _simple(N_("The app reads %(info)s, beyond the necessary information of its "
                                            "app type.")),
    "category.no_pi_needed": _simple(N_("The app type needs no personal information, yet the app reads %(info)s.")),
    "network.cleartext_traffic": _cleartext,
    "network.tracker_domain": _hosts,
    "manifest.exported_component": _component(N_("The %(kind)s %(what)s is exported with no permission.")),
    "manifest.self_start": _component(N_("The %(kind)s %(what)s can start the app on system events, without "
                                         "the user.")),
    "manifest.debuggable": _fixed(N_("The build is debuggable: anyone with a cable can run code as the app and "
                                     "read its data.")),
    "manifest.allow_backup": _fixed(N_("App data is included in device backups.")),
    "packer.detected": _fixed(N_("The real code is encrypted by a packer and was not analysed.")),
    "analysis.incomplete": _fixed(N_("Part of the app could not be read; findings may be missing there.")),
}


def composer(rule_id: str) -> Callable[[Context], Sentence] | None:
    """The rule's composer: its own, the shared one of its area (``pi.*``, ``permission.*``), or None."""
    if rule_id in COMPOSERS:
        return COMPOSERS[rule_id]
    if rule_id.startswith("pi."):
        return _reads
    if rule_id.startswith("permission."):
        return _PERMISSION
    return None


_PERMISSION = _simple(N_("The app requests %(what)s."), perm=True)


def compose(finding: Finding, audit: Audit, t: Translator, reader: str, pi: Callable[[str], str]) -> Sentence | None:
    """The finding's sentence in ``t``'s language, or None when its rule has no template (title and evidence say it)."""
    make = composer(finding.rule_id)
    return make(Context(finding, audit, t, reader, pi)) if make else None


def verdict_reason(audit: Audit, t: Translator) -> str:
    """The verdict's one sentence from its fields (``Verdict.reason`` is the gate's English)."""
    v = audit.verdict
    if v is None:
        return ""
    why = error_meaning(t, audit.errors[0].code) if audit.errors else t.gettext("Part of the app could not be read.")
    gate = {"gate": v.gate}
    if v.kind == "INCOMPLETE":
        if audit.status == "error":
            return t.gettext("The app could not be analysed: %(why)s") % {"why": why}
        return t.gettext("Part of the app could not be analysed: %(why)s") % {"why": why}
    if v.kind == "FAIL":
        floor = v.floor or "info"
        worst = max((f.severity for f in audit.findings if f.accepted is None and f.severity >= Severity.parse(floor)),
                    default=None)
        text = t.nformat(v.failing, "%(num)s open finding fails the gate (%(gate)s); the most severe is %(worst)s.",
                         "%(num)s open findings fail the gate (%(gate)s); the most severe is %(worst)s.",
                         worst=word(t, worst.label) if worst else "", **gate)
        if audit.status == "partial":
            text += t.gettext(" The analysis is also incomplete, so there may be more.")
        return text
    if v.kind == "REVIEW":
        if v.gate:
            return t.nformat(v.open, "%(num)s open finding to review; none fails the gate (%(gate)s).",
                             "%(num)s open findings to review; none fails the gate (%(gate)s).", **gate)
        return t.nformat(v.open, "%(num)s open finding to review; no gate was applied.",
                         "%(num)s open findings to review; no gate was applied.")
    return t.gettext("Nothing is open: every finding was accepted, or there is none.")
