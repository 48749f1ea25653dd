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
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, cast

from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from reports import page_i18n, sentences
from reports.i18n import DEFAULT, Translator, normalize_lang, text_lang, translations, translator
from reports.template_cache import template_cache
from reports.vocab import CONFIDENCE, N_, WORDS, error_meaning, word
from scanner.analysis.names import ARROW, article, number, phrase, plural, plural_of, readable
from scanner.model import ApiCall, Audit, Evidence, Finding, PolicyCheck, Severity, Status
from signatures import cache_dir
from signatures.model import KnowledgeBase

ROW_LIMIT = 100  # rows shown per table before "show all"; the rest are in the page, hidden
FIRST_PARTY = "first-party"
UNATTRIBUTED = "unattributed"  # code neither the app's nor a known SDK's (scanner.analysis.ownership)
MIXED = "mixed"  # a finding over code of several owners
SEVERITIES = tuple(reversed(Severity))  # critical first
_BREAK = re.compile(r"(?<=[./$,;_])(?=\S)|(?<=[A-Za-z0-9])(?=\([A-Z)\[])")  # after . / $ , ; _ and before "(Type"
_BREAK_AFTER = "./$,;_"  # _BREAK's first half, as wbr applies it: each followed by a mark...
_NO_BREAK = re.compile("\0(?=\\s|\\Z)")  # ...taken back where no other character than a space follows
_VIA = re.compile(r"\s*\(via ((?:[^()]|\([^()]*\))+)\)")  # "(via A.b() → C.d(Context))" in a finding message
_ACRONYMS = frozenset({"oaid", "rtc", "im", "sdk", "dns"})
_CLASSES = re.compile(r"(\d+) classe?s?")  # an SDK evidence's extent, as the detectors write it
_ELEMENTS = frozenset({"meta-data", "uses-permission", "application", "intent-filter", "uses-feature"})  # as code
_GLOSS = re.compile(r"\s*[(（].*[)）]$")  # a title's parenthetical gloss: "Location (provider decides precision)"


def pretty_member(ref: str) -> str:
    """A Dalvik reference (or text holding some) with its owner fully qualified: ``pkg.Class.method(Context)``."""
    return readable(ref, qualified=True)


def short_member(ref: str) -> str:
    """The same with the simple class name, for prose and paths: ``UMConfigure.init(Context, String)``."""
    return readable(ref)


def api_name(api: str) -> str:
    """A call site's API: a Dalvik reference made readable, or another kind of name (a content URI) quoted."""
    return short_member(api) if api.startswith("L") else f'"{api}"'


def message_parts(message: str) -> dict[str, Any]:
    """A finding message made readable, with its call path (``… (via A → B).``) taken out as a list of steps,
    entry point first, for a vertical chain under the sentence."""
    text = readable(message)
    m = _VIA.search(text)
    if not m:
        return {"text": text, "path": []}
    return {"text": text[:m.start()] + text[m.end():], "path": m[1].split(ARROW)}


def wbr(text: str) -> Markup:
    """Escaped text with line-break chances after dots and slashes (``_BREAK``).

    Long class names and URLs then wrap at sensible places without CSS ``overflow-wrap: anywhere``,
    which would let tables squeeze their columns to one character.
    """
    if type(text) is str:  # a page repeats its class names (an API in many evidence items): each made once
        return _wbr_once(text)
    return _wbr(text)


@functools.lru_cache(maxsize=1 << 14)
def _wbr_once(text: str) -> Markup:
    """``_wbr`` remembered for one page: ``HtmlWriter.render`` empties it, so each page costs what it repeats."""
    return _wbr(text)


def _wbr(text: str) -> Markup:
    if "\0" in text:  # the break mark below; a hostile string may carry it: part by part, the slow way
        return Markup("<wbr>").join(escape(p) for p in _BREAK.split(text))
    # mark the breaks where _BREAK finds them, escape once (escaping leaves NUL alone), then turn the marks into
    # <wbr>; plain string operations, as _BREAK's look-behinds tried at every character cost several times more
    marked = text
    for c in _BREAK_AFTER:
        if c in marked:
            marked = marked.replace(c, c + "\0")
    # a break char before a space or at the end is no break; every whitespace but " " is unprintable
    if not text.isprintable():
        marked = _NO_BREAK.sub("", marked)
    else:
        if "\0 " in marked:
            marked = marked.replace("\0 ", " ")
        if marked.endswith("\0"):
            marked = marked[:-1]
    if "(" in marked:
        marked = _call_breaks(marked)
    return Markup(str.replace(escape(marked), "\0", "<wbr>"))  # noqa: S704 -- escaped; str's replace, not Markup's


def _call_breaks(marked: str) -> str:
    """_BREAK's second half: a mark before ``(`` after an ASCII letter or digit and before ``A-Z``, ``)`` or ``[``."""
    parts = marked.split("(")
    for i in range(1, len(parts)):
        before, after = parts[i - 1][-1:], parts[i][:1]
        if before.isascii() and before.isalnum() and after and (after in ")[" or "A" <= after <= "Z"):
            parts[i - 1] += "\0"
    return "(".join(parts)


def family(pi_category: str) -> str:
    """The top-level information category (``location.precise`` → ``location``)."""
    return pi_category.split(".", 1)[0]


class Lookup(dict[Any, str]):
    """Display names by id that fill themselves, each made once per page: a template's ``n.words[key]`` is a
    lookup, where ``n.word(key)`` is a call costing several times more (a large page asks thousands of times)."""

    __slots__ = ("_make",)

    def __init__(self, make: Callable[[Any], str]) -> None:
        super().__init__()
        self._make = make

    def __missing__(self, key: Any) -> str:
        value = self[key] = self._make(key)
        return value


@dataclass(frozen=True, slots=True)
class Names:
    """Titles for ids, looked up in the knowledge base with the raw id as fallback."""

    kb: KnowledgeBase
    sdk_names: dict[str, str]
    t: Translator = field(default_factory=translator)
    # pi(), sdk(), word() and rule(), remembered (see Lookup)
    pis: Lookup = field(init=False, repr=False, compare=False)
    sdks: Lookup = field(init=False, repr=False, compare=False)
    words: Lookup = field(init=False, repr=False, compare=False)
    rules: Lookup = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pis", Lookup(self._pi))
        object.__setattr__(self, "sdks", Lookup(self._sdk))
        object.__setattr__(self, "words", Lookup(lambda key: word(self.t, key)))
        object.__setattr__(self, "rules", Lookup(self._rule))

    def pi(self, cat: str) -> str:
        return self.pis[cat]

    def _pi(self, cat: str) -> str:
        info = self.kb.pi_categories.get(cat)
        return self.t.kb(info.title) if info else cat

    def family(self, fam: str) -> str:
        return _GLOSS.sub("", self.pi(fam))

    def sensitive(self, cat: str) -> str:
        info = self.kb.pi_categories.get(cat)
        return info.sensitive if info else "no"

    def is_information(self, cat: str) -> bool:
        """False for capabilities such as autostart or posting notifications (no rule reads them)."""
        info = self.kb.pi_categories.get(cat)
        return info is None or info.rule is not None

    def sdk(self, sdk_id: str | None) -> str:
        return self.sdks[sdk_id]

    def _sdk(self, sdk_id: str | None) -> str:
        if sdk_id is None or sdk_id == FIRST_PARTY:
            return self.t.gettext("First-party code")
        if sdk_id == UNATTRIBUTED:
            return self.t.gettext("Unattributed code")
        if sdk_id == MIXED:
            return self.t.gettext("Several readers")
        return self.sdk_names.get(sdk_id, sdk_id)

    def document(self, ref: str) -> str:
        return self.kb.documents.get(ref.split("-", 1)[0], "")

    def sdk_category(self, cat: str) -> str:
        if self.t.zh:  # the knowledge base says an SDK's purpose in Chinese as a published SDK list states it
            return self.kb.sdk_categories_zh.get(cat, cat)
        return self.kb.sdk_categories.get(cat, cat)

    def purpose(self, cat: str) -> str:
        """An SDK category id as a short tag: ``crash_reporting`` → ``Crash reporting`` (崩溃与性能监测)."""
        if self.t.zh and cat in self.kb.sdk_categories_zh:
            return _GLOSS.sub("", self.kb.sdk_categories_zh[cat])
        words = [w.upper() if w in _ACRONYMS else w for w in cat.split("_")]
        return " ".join(words)[:1].upper() + " ".join(words)[1:]

    def app_type(self, type_id: str | None) -> str:
        """The app type compared against by its name (``short_video`` → ``Short video``; 短视频类 in Chinese)."""
        if not type_id:
            return ""
        info = self.kb.categories.get(type_id)
        if info is None:
            return type_id
        return info.name_cn if self.t.zh and info.name_cn else info.name

    def rule(self, rule_id: str, fallback: str = "") -> str:
        """A rule's title in the report's language (the finding's own title, or the id, when not catalogued)."""
        return self.rules[rule_id, fallback]

    def _rule(self, key: tuple[str, str]) -> str:
        rule_id, fallback = key
        rule = self.kb.rules.get(rule_id)
        return self.t.kb(rule.title) if rule else (fallback or rule_id)

    def word(self, key: str) -> str:
        return self.words[key]

    def confidence(self, level: str) -> str:
        return self.t.gettext(CONFIDENCE[level]) if level in CONFIDENCE else level

    def error(self, code: str) -> str:
        return error_meaning(self.t, code)

    def evidence_path(self, path: str) -> Markup:
        return evidence_path(self.t, path)

    @staticmethod
    def permission(name: str) -> str:
        """A platform permission by its short name (``READ_CONTACTS``); other apps' permissions stay whole."""
        prefix, _, short = name.rpartition(".")
        return short if prefix in ("android.permission", "com.android.launcher.permission") else name


def evidence_path(t: Translator, path: str) -> Markup:
    """Where an evidence item is, in a translated report: a counted class total (``3 classes``), a kind word
    (``receiver``), or code (a class, a file), in ``<code>``."""
    m = _CLASSES.fullmatch(path)
    if m:
        return escape(t.nformat(int(m[1]), "%(num)s class", "%(num)s classes"))
    if path in WORDS and path not in _ELEMENTS:
        return escape(word(t, path))
    return code(readable(path, qualified=True))


def evidence_place(t: Translator) -> Callable[[str], Markup]:
    """The ``place`` filter of one language: "in <where>" of an evidence item, its path as code in English,
    ``evidence_path`` in another language. A filter rather than ``_()`` in the template: Jinja calls a filter
    directly, for a third of the cost, and a large app's page has thousands of evidence items."""
    message = t.gettext("in %(where)s")
    if t.lang == DEFAULT:
        return lambda path: page_i18n.fill(message, {"where": wbr(pretty_member(path))})
    return lambda path: page_i18n.fill(message, {"where": evidence_path(t, path)})


_MORE = N_("%(num)s more")  # the folded evidence items, in the page's language


def _text(value: str) -> str:
    """``markupsafe.escape`` of a plain string, as text: the same five entities, without a Markup made of each
    cell (the row builders below make tens of thousands)."""
    return value.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;") \
        .replace('"', "&#34;")


def evidence_list(items: Sequence[Evidence], cap: int, words: Mapping[str, str], more: Callable[..., Markup],
                  place: Callable[[str], Markup]) -> Markup:
    """Evidence items as a list, the first ``cap`` in view and the rest folded (``more``: the page's ``_``,
    ``place``: its ``place`` filter). What the template loop wrote, built here: a large app's page has thousands
    of items, and the loop cost ~3 us each in Jinja's calls and Markup wrapping (bench/profile_scan.py)."""
    out = ['<ul class="ev">']
    for i, e in enumerate(items):
        if i == cap:
            out.append(f'</ul>\n<details class="ev-more"><summary>{more(_MORE, num=len(items) - cap)}'
                       '</summary><ul class="ev">')
        out.append(f'<li><span class="part">{_text(words[e.part])}</span> <code>{wbr(pretty_member(e.symbol))}</code>')
        if e.path and e.path != e.symbol:
            out.append(f' <span class="muted">{place(e.path)}</span>')
        out.append("</li>")
    out.append("</ul></details>" if len(items) > cap else "</ul>\n")
    return Markup("".join(out))  # noqa: S704 -- every value escaped above (escape, wbr, the place filter)


def call_rows(calls: Sequence[ApiCall], limit: int, incomplete: bool, words: Mapping[str, Markup],
              pi_title: Mapping[str, str], sdk_name: Mapping[str, Markup], chain: Callable[[Any], Markup],
              flag: Callable[..., Markup]) -> Markup:
    """The call-site table's rows (a large app has thousands), as the template's loop wrote them, built here:
    the loop cost ~8 us a row in Jinja. ``words``: the page's words for the cells, made once (``_calls.html.j2``);
    ``chain``, ``flag``: the page's macros, for the few rows with a launch path or hidden access."""
    before, no, reflection = words["before"], words["no"], words["reflection"]
    unresolved = f'<span class="tag tag-info" title="{words["unresolved_why"]}">{words["unresolved"]}</span>'
    unattributed = f'<td class="who un">{words["unattributed"]}</td>'
    first_party = f'<td class="who fp">{words["first_party"]}</td>'
    not_read = f'<td data-v="0">{words["unknown"]}</td>' if incomplete else f'<td data-v="0" class="muted">{no}</td>'
    out = []
    for i, c in enumerate(calls):
        reader = c.sdk or ("unattributed" if c.party == "unattributed" else "first-party")
        out.append(f'<tr data-sdk="{_text(reader)}" data-cat="{_text(c.pi_category)}" '
                   f'data-pre="{1 if c.pre_consent else 0}"{" hidden" if i >= limit else ""}>\n'
                   f'<td><code>{_text(api_name(c.api))}</code></td><td>{_text(pi_title[c.pi_category])}</td>\n'
                   f'<td class="wide"><code>{_text(pretty_member(c.caller))}</code></td>\n')
        out.append(f'<td class="who sdk">{sdk_name[c.sdk]}</td>' if c.sdk
                   else unattributed if c.party == "unattributed" else first_party)
        if c.pre_consent:
            path = chain(c.pre_consent_path) if c.pre_consent_path else ""
            out.append(f'<td data-v="1"><span class="tag tag-bad">{before}</span>{path}</td>')
        else:
            out.append(not_read)
        if c.hidden or not c.resolved:
            out.append(f'<td data-v="{2 if c.hidden else 1}">{flag(c.hidden, reflection)}'
                       f'{" " + unresolved if not c.resolved else ""}</td>')
        else:
            out.append(f'<td data-v="0" class="muted">{no}</td>')
        out.append(f'<td class="small">{_text(c.dex)}</td></tr>\n')
    return Markup("".join(out))  # noqa: S704 -- every value escaped above, or the page's own markup


@dataclass(frozen=True, slots=True)
class FindingPage:
    """What the compliance table's rows take from the page besides its macros: its names and language, its memo
    of repeated fragments, and the page's callables for the evidence, the sentences and the fixes."""

    names: Names
    lang: str
    once: Once
    evidence: Callable[..., Markup]
    sentence: Callable[[Finding], Any]
    fix: Callable[[Finding], Any]
    gettext: Callable[..., Markup]
    ngettext: Callable[..., Markup]


def finding_rows(findings: Sequence[Finding], limit: int, page: FindingPage, words: Mapping[str, Markup],
                 macros: Mapping[str, Callable[..., Markup]]) -> Markup:
    """The compliance table's rows, as the template's loop wrote them, built here: the loop and its finding-text
    macros cost ~0.15 ms a row in Jinja, most of a large page's rendering (bench/profile_scan.py). ``words``: the
    page's words (``_compliance.html.j2``); ``macros``: its macros for the cells rendered once per page (severity,
    reader, references) and the parts few findings have (other rules, acceptance, a call path)."""
    names, once = page.names, page.once
    sev_cell, reader, cite_list = macros["sev_cell"], macros["reader"], macros["cite_list"]
    out = []
    for i, f in enumerate(findings):
        label = f.severity.label
        sdk = f.sdk or (f.party if f.party in ("unattributed", "mixed") else "first-party")
        more = ("<br><span class=\"muted small\">"
                f"{page.ngettext('+ %(num)s more rule', '+ %(num)s more rules', len(f.tags))}</span>"
                if f.tags else "")
        refs = all_refs(f)
        accepted = ' class="accepted"' if f.accepted else ""
        out.append(f'<tr id="f-{_text(f.fingerprint[:16])}"{accepted} '
                   f'data-sev="{_text(label)}" data-sdk="{escape(sdk)}"{" hidden" if i >= limit else ""}>\n'
                   f'{once(("sev_cell", label), sev_cell, label)}\n'
                   f'<td class="rid"><a href="#rule-{escape(f.rule_id)}"><code>{wbr(f.rule_id)}</code></a>{more}'
                   f'<br><span class="muted small">{escape(names.confidence(f.confidence))}</span></td>\n'
                   f'<td class="msg">{_finding_text(f, page, words, macros)}</td>\n'
                   f'<td>{once(("reader", f.sdk, f.party), reader, f.sdk, f.party)}</td>\n'
                   f'<td class="evc">{page.evidence(f.evidence, 3)}</td>\n'
                   f'<td class="wide">{once(("refs", refs), cite_list, refs)}</td>\n</tr>\n')
    return Markup("".join(out))  # noqa: S704 -- every value escaped above, or the page's own markup


def _also(f: Finding, page: FindingPage, words: Mapping[str, Markup]) -> str:
    """The ``also`` macro: the other rules a finding's subject breaks, each linked to its explanation."""
    names, gettext = page.names, page.gettext
    out = [f'<span class="also small">{words["also"]} ']
    last = len(f.tags) - 1
    for i, t in enumerate(f.tags):
        text = phrase(t.title) if page.lang == "en" else names.rule(t.rule_id, t.title)
        severity = escape(names.words[t.severity.label].lower())
        if t.accepted:
            who = names.word(t.accepted.by)
            tag = (f' class="accepted-tag" title="'
                   f'{gettext("accepted by %(who)s: %(why)s", who=who, why=t.accepted.reason)}"')
            severity += gettext(", accepted by %(who)s", who=who)
        else:
            tag = ""
        out.append(f'<a href="#rule-{escape(t.rule_id)}"{tag}>{escape(text)}</a> ({severity})'
                   f'{words["semicolon"] if i != last else words["stop"]}')
    out.append("</span>")
    return "".join(out)


def _finding_text(f: Finding, page: FindingPage, words: Mapping[str, Markup],
                  macros: Mapping[str, Callable[..., Markup]]) -> str:
    """The ``finding_text`` macro: the title, the sentence with its call path, the other rules, acceptance, the fix."""
    title = page.names.rule(f.rule_id, f.title) if page.names.t.zh else f.title
    parts = message_parts(f.message)
    said = str(wbr(parts["text"])) if page.lang == "en" else str(escape(page.sentence(f) or ""))
    if parts["path"]:
        said += str(macros["chain"](parts["path"]))
    out = [f"<strong>{escape(title)}</strong>"]
    if said.strip():
        out.append(f"<br>{said}")
    if f.tags:
        out.append(f"<br>{_also(f, page, words)}")
    if f.accepted:
        out.append(str(macros["accepted"](f)))
    if how := page.fix(f):
        out.append(f'<br><span class="fix"><strong>{words["fix"]}</strong> {escape(how)}</span>')
    return "".join(out)


@dataclass(slots=True)
class Cell:
    count: int = 0
    pre: int = 0
    cats: set[str] = field(default_factory=set)


def names_for(audit: Audit, kb: KnowledgeBase, t: Translator | None = None) -> Names:
    """Display names for one audit's ids (SDKs it found or names), in the report language."""
    names = {s.id: s.name for s in audit.sdks}
    known = {s.id for s in kb.sdks}
    used = [c.sdk for c in audit.api_calls] + [e.sdk for e in audit.endpoints] + [f.sdk for f in audit.findings]
    for sid in sorted({s for s in used if s} - set(names)):
        names[sid] = kb.sdk(sid).name if sid in known else sid
    return Names(kb, names, t or translator())


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
        key = (family(call.pi_category), reader_of(call.sdk, call.party))
        cell = cells.get(key) or cells.setdefault(key, Cell())  # not a new Cell per call site (thousands)
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
    return {"sev": [(s, names.word(s)) for s in sevs],
            "sdk": first + [(s, names.sdk(s)) for s in sdks] + nobody}


def is_manifest_finding(f: Finding) -> bool:
    return f.category == "manifest" or any(e.part == "certificate" for e in f.evidence)


def policy_checks(audit: Audit) -> dict[str, dict[str, PolicyCheck]] | None:
    """The privacy policy's coverage by kind and id (None: no policy was compared)."""
    if audit.privacy_policy is None:
        return None
    out: dict[str, dict[str, PolicyCheck]] = {}
    for check in audit.privacy_policy.checks:
        out.setdefault(check.kind, {})[check.id] = check
    return out


def policy_category(audit: Audit, family: str) -> PolicyCheck | None:
    """The policy's verdict on a row of the map: its family, or the one kind of it the policy was checked for."""
    if audit.privacy_policy is None:
        return None
    related = [c for c in audit.privacy_policy.checks if c.kind == "category"
               and (c.id == family or c.id.startswith(family + ".") or family.startswith(c.id + "."))]
    judged = [c for c in related if c.disclosed is not None]
    return min(judged, key=lambda c: bool(c.disclosed)) if judged else None  # one left out is what to show


class Once:
    """A page's memo of rendered fragments that repeat (the reference list many findings share, a severity
    cell): each is rendered the first time and reused, for this page only. ``key`` names the fragment with its
    arguments: a string, or a tuple (no string to build per row)."""

    def __init__(self) -> None:
        self._done: dict[Hashable, Any] = {}

    def __call__(self, key: Hashable, render: Any, *args: Any) -> Any:
        if key not in self._done:
            self._done[key] = render(*args)
        return self._done[key]


def all_refs(f: Finding) -> tuple[str, ...]:
    """The references of a finding's lead rule, then its tags' new ones."""
    return tuple(dict.fromkeys((*f.refs, *(r for t in f.tags for r in t.refs))))


def rules_touched(audit: Audit, kb: KnowledgeBase, t: Translator | None = None) -> list[dict[str, Any]]:
    """Each rule the findings touch (leading or as a tag), once, worst first, with the catalog's explanation."""
    worst: dict[str, Severity] = {}
    for f in audit.hits:
        worst[f.rule_id] = max(worst.get(f.rule_id, Severity.INFO), f.severity)
    t = t or translator()
    out = []
    for rid in sorted(worst, key=lambda r: (-worst[r], r)):
        rule = kb.rules.get(rid)
        out.append({"id": rid, "severity": worst[rid].label, "title": t.kb(rule.title) if rule else rid,
                    "explanation": t.kb(rule.explanation) if rule else "", "fix": t.kb(rule.fix) if rule else "",
                    "refs": rule.refs if rule else ()})
    return out


def documents(audit: Audit, kb: KnowledgeBase) -> list[tuple[str, str]]:
    """The regulation texts the findings cite, once each, in the knowledge base's order."""
    used = {r.split("-", 1)[0] for f in audit.hits for r in f.refs}
    used |= {r.split("-", 1)[0] for f in audit.hits if f.rule_id in kb.rules for r in kb.rules[f.rule_id].refs}
    return [(key, title) for key, title in kb.documents.items() if key in used]


def cited_refs(audit: Audit, rules: list[dict[str, Any]]) -> tuple[str, ...]:
    """Every reference the rule hits cite, then those of the rules touched, in order and repeated: what the
    cited documents are drawn from. Made here, as adding up tuples in the template took time quadratic in them."""
    return (*(r for h in audit.hits for r in h.refs), *(r for rule in rules for r in rule["refs"]))


def sdk_reads(audit: Audit) -> dict[str, list[ApiCall]]:
    out: dict[str, list[ApiCall]] = {}
    for call in audit.api_calls:
        out.setdefault(reader_of(call.sdk, call.party), []).append(call)
    return out


def by_category(calls: list[ApiCall]) -> list[tuple[str, int, int]]:
    """A reader's call sites by information category: (category, call sites, how many before consent), in the
    order of Jinja's ``groupby`` (case-insensitive). Grouping and filtering thousands of calls in the template
    cost more than the rest of the SDK table."""
    groups: dict[str, list[ApiCall]] = {}
    for call in sorted(calls, key=lambda c: c.pi_category.lower()):
        groups.setdefault(call.pi_category.lower(), []).append(call)
    return [(g[0].pi_category, len(g), sum(1 for c in g if c.pre_consent)) for g in groups.values()]


def excessive(audit: Audit) -> set[str]:
    return {e.symbol for h in audit.hits if h.rule_id == "permission.possibly_excessive" for e in h.evidence}


def permission_groups(audit: Audit, names: Names) -> list[dict[str, Any]]:
    groups: dict[str, list[Any]] = {}
    for p in audit.permissions:
        groups.setdefault(family(p.pi_category) if p.pi_category else "", []).append(p)
    order = category_order(names.kb, set(groups) - {""}) + ([""] if "" in groups else [])
    return [{"title": names.family(g) if g else names.t.gettext("Not in the knowledge base"), "perms": groups[g]}
            for g in order]


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


def marked(text: object, page_lang: str) -> Markup:
    """A name from the data, in a ``lang`` span when it is written in another language than the page
    (an English SDK name on a Chinese page, a Chinese legal entity on an English one)."""
    value = str(text)
    lang = text_lang(value)
    if not value or lang == page_lang or not any(c.isalpha() for c in value):
        return escape(value)
    return Markup(f'<span lang="{escape(lang)}">{escape(value)}</span>')  # noqa: S704 -- escaped, without Markup.format's cost


def code(text: str) -> Markup:
    """Text as inline code, with line-break chances."""
    return Markup(f"<code>{wbr(text)}</code>")  # noqa: S704 -- wbr escapes; Markup.format costs 5 times more


@pass_context
def lang_attr(context: Context, text: object) -> Markup:
    """`` lang="en"`` for an element whose whole text is a name in another language than the page (an option)."""
    value = str(text)
    lang = text_lang(value)
    if lang == context.get("lang", DEFAULT) or not any(c.isalpha() for c in value):
        return Markup("")
    return Markup(' lang="{}"').format(lang)


@pass_context
def mark_lang(context: Context, text: object) -> Markup:
    """The ``lang`` filter: ``marked`` against the page's language."""
    return marked(text, context.get("lang", DEFAULT))


# what shapes the compiled templates besides their source (the options below): names the bytecode cache
_COMPILE_OPTIONS = ("autoescape html j2 strings; strict; trim_blocks; lstrip_blocks; keep_trailing_newline; "
                    "i18n newstyle")


@functools.cache
def environment(lang: str = DEFAULT) -> Environment:
    """The template environment of one language, made once: its catalog is installed, never reloaded per string."""
    env = Environment(loader=PackageLoader("reports", "templates"),
                      autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      extensions=["jinja2.ext.i18n"], bytecode_cache=template_cache(cache_dir(), _COMPILE_OPTIONS))
    env.policies["ext.i18n.trimmed"] = True  # a {% trans %} block's line breaks are not part of its message
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(page_i18n.callables(translations(lang)))  # the same results, for less (see there)
    env.filters["lang"] = mark_lang
    env.filters["lang_attr"] = lang_attr
    env.globals["code"] = code
    env.filters["member"] = pretty_member
    env.filters["short"] = short_member
    env.filters["api_name"] = api_name
    env.filters["place"] = evidence_place(translator(lang))
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


def top_problems(audit: Audit, count: int = TOP_PROBLEMS, kb: KnowledgeBase | None = None,
                 t: Translator | None = None) -> list[dict[str, Any]]:
    """The open findings to look at first: those failing the gate, then by severity and confidence."""
    floor = Severity.parse(audit.verdict.floor) if audit.verdict and audit.verdict.floor else None
    ranked = sorted((f for f in audit.findings if f.accepted is None),
                    key=lambda f: (not (floor is not None and f.severity >= floor), -f.severity,
                                   f.confidence != "high", f.rule_id))
    t = t or translator()
    shown: set[str] = set()
    top = []
    for f in ranked[:count]:
        fix = fix_of(f, kb, t) if kb is not None else f.fix
        top.append({"finding": f, "where": _where(f), "fix": "" if fix in shown else fix})  # say a fix once
        shown.add(fix)
    return top


def fix_of(f: Finding, kb: KnowledgeBase, t: Translator) -> str:
    """The finding's fix: in English its own (the detector may word it for this case); in another language the
    rule's, translated (the case's own wording is the detector's English)."""
    if t.lang == DEFAULT:
        return f.fix
    rule = kb.rules.get(f.rule_id)
    return t.kb(rule.fix) if rule else ""


def _where(f: Finding) -> str:
    """Where a finding is, in a few words: its first evidence, readable."""
    if not f.evidence:
        return ""
    e = f.evidence[0]
    return readable(e.path if e.part in ("dex", "manifest") and "->" in e.path else e.symbol or e.path)[:120]


def sentence_html(f: Finding, audit: Audit, names: Names) -> Markup | None:
    """A finding's sentence in a language other than English (``reports.sentences``): code in ``<code>``,
    names of another language in ``lang`` spans; None in English (the detector's message is shown) or when the
    rule has no template."""
    if names.t.lang == DEFAULT:
        return None
    made = sentences.compose(f, audit, names.t, names.sdk(reader_of(f.sdk, f.party)), names.pi)
    if made is None:
        return None
    values = {}
    for key, part in made.parts.items():
        if part.code:
            values[key] = code(part.text)
        else:
            values[key] = marked(part.text, names.t.lang)
    return page_i18n.fill(escape(made.template), values)  # the template escaped, the values escaped or marked up


class HtmlWriter:
    """Render one Audit as one self-contained HTML page, in English or Chinese (``lang``)."""

    name = "html"
    suffix = ".html"

    def __init__(self, row_limit: int = ROW_LIMIT, lang: str = DEFAULT) -> None:
        self.row_limit = row_limit
        self.lang = normalize_lang(lang)

    def render(self, audit: Audit, kb: KnowledgeBase) -> str:
        return environment(self.lang).get_template("app.html.j2").render(self.page(audit, kb))

    def files(self, audit: Audit, kb: KnowledgeBase) -> tuple[tuple[str, bytes], ...]:
        """The page as UTF-8, each piece encoded as the template yields it: no text of the whole page made first
        (a store app's: ~3.6 MB of characters, twice that held as UCS-2 once one arrow is in it), ~2.5 ms less."""
        pieces = environment(self.lang).get_template("app.html.j2").generate(self.page(audit, kb))
        return ((self.suffix, b"".join(piece.encode("utf-8") for piece in pieces)),)

    def page(self, audit: Audit, kb: KnowledgeBase) -> dict[str, Any]:
        """What the templates are given to render ``audit``: one page's values, memos and callables."""
        _wbr_once.cache_clear()  # a page's memo, not the process's: each report costs what it repeats itself
        t = translator(self.lang)
        names = names_for(audit, kb, t)
        reads = sdk_reads(audit)
        compliance = [f for f in audit.findings if not is_manifest_finding(f)]
        rules = rules_touched(audit, kb, t)
        css, js, noscript = asset("report.css"), asset("report.js"), asset("noscript.css")
        env = environment(self.lang)
        place, gettext = env.filters["place"], cast("Callable[..., Markup]", env.globals["_"])
        pi_cats = [(c, names.pi(c)) for c in category_order(kb, {c.pi_category for c in audit.api_calls})]
        # each SDK's name as the call-site rows show it (the `lang` filter's), made once for thousands of rows
        marked_readers = {s: marked(names.sdk(s), self.lang) for s in {c.sdk for c in audit.api_calls} if s}
        once = Once()
        evidence = cast("Callable[..., Markup]",
                        lambda items, cap=4: evidence_list(items, cap, names.words, gettext, place))
        findings = FindingPage(names, self.lang, once, evidence, lambda f: sentence_html(f, audit, names),
                               lambda f: fix_of(f, kb, t), gettext,
                               cast("Callable[..., Markup]", env.globals["ngettext"]))
        page = {
            "audit": audit, "kb": kb, "n": names, "limit": self.row_limit, "error": audit.status == Status.ERROR,
            "lang": self.lang, "zh": t.zh,
            # partial or failed: any absence may be a false negative, any count a lower bound
            "incomplete": audit.status != Status.OK,
            # our own packaged assets, never app data: safe to insert unescaped
            "css": Markup(css), "js": Markup(js), "noscript_css": Markup(noscript),  # noqa: S704
            "csp": content_security_policy(js, [css, noscript]),
            "severities": severity_counts(audit.findings), "summary": summary(audit, names),
            "pimap": pi_map(audit, names), "reads": reads, "excessive": excessive(audit),
            "permission_groups": permission_groups(audit, names), "rules": rules,
            "cited_refs": cited_refs(audit, rules), "documents": documents(audit, kb),
            "compliance": compliance, "finding_filters": finding_filters(compliance, names),
            "top_problems": top_problems(audit, kb=kb, t=t),
            "manifest_findings": [f for f in audit.findings if is_manifest_finding(f)],
            "pi_cats": pi_cats,
            "call_readers": [(r, names.sdk(None if r == FIRST_PARTY else r)) for r in readers(audit)
                             if r in reads],
            "marked_readers": marked_readers,
            "sentence": findings.sentence,
            "policy": policy_checks(audit),
            "policy_category": lambda family: policy_category(audit, family),
            "mark": lambda text: marked(text, self.lang),
            "mark_sdk": lambda sdk_id: marked(names.sdk(sdk_id), self.lang),
            "fix": findings.fix,
            "once": once,
            "by_category": by_category,
            "evidence": evidence,
            "finding_rows": lambda words, macros: finding_rows(compliance, self.row_limit, findings, words, macros),
            "call_rows": lambda words, chain, flag: call_rows(
                audit.api_calls, self.row_limit, audit.status != Status.OK, words, dict(pi_cats),
                marked_readers, chain, flag),
            "verdict_reason": (sentences.verdict_reason(audit, t) if t.lang != DEFAULT
                               else audit.verdict.reason if audit.verdict else ""),
        }
        return page
