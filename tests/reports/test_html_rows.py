"""The evidence lists, call-site rows and compliance rows the HTML writer builds in Python
(``reports.html.evidence_list``, ``call_rows``, ``finding_rows``) are the markup the template loops they replace
wrote: the old loops, kept here as references, rendered in the same environment, on every fixture app and on
large, hostile, partial and accepted results, in both languages."""
# ruff: noqa: E501 -- the reference templates are kept as they were written

from __future__ import annotations

import dataclasses

import pytest
from markupsafe import Markup

from reports.html import (
    ROW_LIMIT,
    HtmlWriter,
    call_rows,
    category_order,
    environment,
    evidence_list,
    marked,
    names_for,
)
from reports.i18n import translator
from scanner.model import Acceptance, Audit, Status
from tests.conftest import KB
from tests.reports.conftest import EVERY_FIXTURE, NASTY, big_audit, nasty_audit, scan

EVIDENCE_LOOP = """{% import "_macros.html.j2" as m with context -%}
<ul class="ev">{% for e in items %}{% if loop.index0 == cap %}</ul>
<details class="ev-more"><summary>{{ _("%(num)s more", num=items|length - cap) }}</summary><ul class="ev">{% endif -%}
<li><span class="part">{{ n.words[e.part] }}</span> <code>{{ e.symbol|member|wbr }}</code>{% if e.path and e.path != e.symbol %} <span class="muted">{{ e.path|place }}</span>{% endif %}</li>
{%- endfor %}</ul>{% if items|length > cap %}</details>{% else %}{{ "\\n" }}{% endif %}"""

CALLS_LOOP = """{% import "_macros.html.j2" as m with context %}
{% set before = _("before consent") %}{% set no = _("no") %}{% set reflection = _("reflection") %}{% set unresolved = _("unresolved") %}{% set unresolved_why = _("The argument that decides the category was not seen") %}
{% set unattributed, first_party = _("Unattributed"), _("First party") %}
{% set unknown = m.neg() if incomplete else "" %}
{% set pi_title, sdk_name = dict(pi_cats), marked_readers %}
{% for c in audit.api_calls %}
<tr data-sdk="{{ c.sdk or ('unattributed' if c.party == 'unattributed' else 'first-party') }}" data-cat="{{ c.pi_category }}" data-pre="{% if c.pre_consent %}1{% else %}0{% endif %}"{% if loop.index0 >= limit %} hidden{% endif %}>
<td><code>{{ c.api|api_name }}</code></td><td>{{ pi_title[c.pi_category] }}</td>
<td class="wide"><code>{{ c.caller|member }}</code></td>
{% if c.sdk %}<td class="who sdk">{{ sdk_name[c.sdk] }}</td>{% elif c.party == 'unattributed' %}<td class="who un">{{ unattributed }}</td>{% else %}<td class="who fp">{{ first_party }}</td>{% endif %}
{% if c.pre_consent %}<td data-v="1"><span class="tag tag-bad">{{ before }}</span>{% if c.pre_consent_path %}{{ m.chain(c.pre_consent_path) }}{% endif %}</td>{% elif incomplete %}<td data-v="0">{{ unknown }}</td>{% else %}<td data-v="0" class="muted">{{ no }}</td>{% endif %}
{% if c.hidden or not c.resolved %}<td data-v="{{ 2 if c.hidden else 1 }}">{{ m.flag(c.hidden, reflection) }}{% if not c.resolved %} <span class="tag tag-info" title="{{ unresolved_why }}">{{ unresolved }}</span>{% endif %}</td>{% else %}<td data-v="0" class="muted">{{ no }}</td>{% endif %}
<td class="small">{{ c.dex }}</td></tr>
{% endfor %}
{#- the Python rows, in the same context -#}
@@@{{ call_rows({"before": _("before consent"), "no": _("no"), "reflection": _("reflection"),
              "unresolved": _("unresolved"), "unresolved_why": _("The argument that decides the category was not seen"),
              "unattributed": _("Unattributed"), "first_party": _("First party"),
              "unknown": m.neg() if incomplete else ""}, m.chain, m.flag) }}"""


FINDINGS_LOOP = """{% import "_macros.html.j2" as m with context %}
{% for f in compliance %}
<tr id="f-{{ f.fingerprint[:16] }}"{% if f.accepted %} class="accepted"{% endif %} data-sev="{{ f.severity.label }}" data-sdk="{{ f.sdk or (f.party if f.party in ('unattributed', 'mixed') else 'first-party') }}"{% if loop.index0 >= limit %} hidden{% endif %}>
{{ once(("sev_cell", f.severity.label), m.sev_cell, f.severity.label) }}
<td class="rid"><a href="#rule-{{ f.rule_id }}"><code>{{ f.rule_id|wbr }}</code></a>{% if f.tags %}<br><span class="muted small">{{ ngettext("+ %(num)s more rule", "+ %(num)s more rules", f.tags|length) }}</span>{% endif %}<br><span class="muted small">{{ n.confidence(f.confidence) }}</span></td>
<td class="msg">{{ m.finding_text(f) }}</td>
<td>{{ once(("reader", f.sdk, f.party), m.reader, f.sdk, f.party) }}</td>
<td class="evc">{{ evidence(f.evidence, 3) }}</td>
<td class="wide">{% set refs = all_refs(f) %}{{ once(("refs", refs), m.cite_list, refs) }}</td>
</tr>
{% endfor %}
@@@{{ finding_rows({"fix": _("Fix:"), "also": _("Also:"), "semicolon": _("; "), "stop": _(".")},
                {"sev_cell": m.sev_cell, "reader": m.reader, "cite_list": m.cite_list, "accepted": m.accepted,
                 "chain": m.chain}) -}}"""


def accepted_audit(base: Audit) -> Audit:
    """Findings accepted (and tags of them), some with hostile titles, messages and reasons, some of mixed or
    no attributed reader: every branch of a compliance row."""
    findings = []
    for i, f in enumerate(base.findings):
        if i % 2 == 0:
            f = dataclasses.replace(f, accepted=Acceptance("baseline" if i % 4 else "policy", f"{NASTY} {i}"))
        if f.tags:
            f = dataclasses.replace(f, tags=tuple(dataclasses.replace(t, accepted=Acceptance("policy", NASTY))
                                                  if j % 2 == 0 else t for j, t in enumerate(f.tags)))
        if i % 3 == 0:
            f = dataclasses.replace(f, title=NASTY + f.title, message=f"{f.message} {NASTY}",
                                    sdk=f.sdk if i % 6 == 0 else None, party="mixed" if i % 6 == 3 else f.party)
        findings.append(f)
    return dataclasses.replace(base, findings=tuple(findings))


def _audits() -> dict[str, Audit]:
    out = {name: scan(name, "short_video") for name in EVERY_FIXTURE}
    out["big"] = big_audit(out["sdks.apk"])
    out["nasty"] = nasty_audit(out["sdks.apk"])
    out["partial"] = dataclasses.replace(out["arguments.apk"], status=Status.PARTIAL)  # "unknown" cells
    out["accepted"] = accepted_audit(out["sdks.apk"])
    return out


@pytest.fixture(scope="module")
def audits() -> dict[str, Audit]:
    return _audits()


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_rows_built_in_python_are_what_the_template_loops_wrote(audits: dict[str, Audit], lang: str) -> None:
    env = environment(lang)
    gettext, place = env.globals["_"], env.filters["place"]
    evidence, calls = env.from_string(EVIDENCE_LOOP), env.from_string(CALLS_LOOP)
    rows_seen = evidence_seen = 0
    for name, audit in audits.items():
        t = translator(lang)
        names = names_for(audit, KB, t)
        incomplete = audit.status != Status.OK
        context = {"n": names, "limit": ROW_LIMIT, "incomplete": incomplete, "lang": lang, "audit": audit}
        for f in audit.findings:
            for cap in (3, 4):
                expected = evidence.render({**context, "items": f.evidence, "cap": cap})
                assert str(evidence_list(f.evidence, cap, names.words, gettext, place)) == expected, (name, f.id)
                evidence_seen += len(f.evidence)
        pi_cats = [(c, names.pi(c)) for c in category_order(KB, {c.pi_category for c in audit.api_calls})]
        readers = {s: marked(names.sdk(s), lang) for s in {c.sdk for c in audit.api_calls} if s}
        page = {**context, "pi_cats": pi_cats, "marked_readers": readers,
                "call_rows": lambda words, chain, flag, a=audit, i=incomplete, p=pi_cats, r=readers: call_rows(
                    a.api_calls, ROW_LIMIT, i, words, dict(p), r, chain, flag)}
        old, new = calls.render(page).split("@@@")
        assert new == old.lstrip("\n"), name
        assert isinstance(call_rows(audit.api_calls, ROW_LIMIT, incomplete, {k: Markup() for k in (
            "before", "no", "reflection", "unresolved", "unresolved_why", "unattributed", "first_party", "unknown")},
            dict(pi_cats), readers, lambda p: Markup(), lambda *a: Markup()), Markup)
        rows_seen += len(audit.api_calls)
    assert rows_seen > 5000 and evidence_seen > 1000  # the large result included
    calls = [c for a in audits.values() for c in a.api_calls]
    assert any(c.hidden for c in calls) and any(not c.resolved for c in calls)  # every kind of row was compared
    assert any(c.pre_consent_path for c in calls) and any(a.status != Status.OK and a.api_calls for a in audits.values())


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("limit", [ROW_LIMIT, 2])
def test_the_compliance_rows_built_in_python_are_what_the_template_loop_wrote(audits: dict[str, Audit], lang: str,
                                                                               limit: int) -> None:
    loop = environment(lang).from_string(FINDINGS_LOOP)
    writer = HtmlWriter(row_limit=limit, lang=lang)
    rows = 0
    for name, audit in audits.items():
        page = writer.page(audit, KB)
        old, new = loop.render(page).split("@@@")
        assert new == old.lstrip("\n"), name
        rows += len(page["compliance"])
    findings = [f for a in audits.values() for f in a.findings]
    assert rows > 300 and rows > limit  # hidden rows too
    assert any(f.accepted for f in findings) and any(t.accepted for f in findings for t in f.tags)
    assert any(f.party == "mixed" for f in findings) and any(f.tags for f in findings)
    assert any(" (via " in f.message for f in findings)  # a call path under the sentence


@pytest.mark.parametrize("value", ["", "plain", NASTY, "&amp; already", "a\0b", "\u00e9\u4e2d<>&\"'", "x" * 5000 + "<"])
def test_the_cells_escaping_is_markupsafes(value: str) -> None:
    """The row builders' escaping writes what ``markupsafe.escape`` writes, as text."""
    from markupsafe import escape

    from reports.html import _text

    assert _text(value) == str(escape(value))
    assert type(_text(value)) is str
