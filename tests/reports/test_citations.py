"""Reports cite each rule as it is cited — 《title》article — summary — visible, with drafts and standards labelled."""

from __future__ import annotations

import json
import re

from reports.html import HtmlWriter
from reports.json import JsonWriter
from reports.markdown import MarkdownWriter, citation_line
from scanner.model import Audit
from tests.conftest import KB


def compliance(html: str) -> str:
    return html[html.index('id="compliance"'): html.index('id="disclosure"')]


def test_findings_show_citation_and_summary_without_hovering(audits: dict[str, Audit]) -> None:
    section = compliance(HtmlWriter().render(audits["sdks.apk+short_video"], KB))
    table = section[section.index('id="t-findings"'): section.index("</table>")]
    pipl6 = KB.reference("PIPL-6")
    assert f'<span class="cite-ref" lang="zh-CN">{pipl6.citation}</span>' in table  # 《个人信息保护法》第六条
    assert "(PIPL Art. 6)" in table
    assert pipl6.summary_en.split(",")[0] in table  # the summary is text, not a tooltip
    assert re.search(r'<abbr class="ref" title="[^"]*">PIPL-6</abbr>', table)  # the id the JSON keeps


def test_drafts_and_recommended_standards_are_labelled(audits: dict[str, Audit]) -> None:
    section = compliance(HtmlWriter().render(audits["sdks.apk+short_video"], KB))
    draft = re.search(r'<li class="cite cite-draft">.*?</li>', section, re.S)
    standard = re.search(r'<li class="cite cite-standard-recommended">.*?</li>', section, re.S)
    law = re.search(r'<li class="cite cite-law">.*?</li>', section, re.S)
    assert draft and '<span class="tag cite-status">draft</span>' in draft.group(0)
    assert standard and "recommended standard" in standard.group(0)
    assert law and "cite-status" not in law.group(0)  # binding law carries no label


def test_chinese_report_gives_chinese_summaries_and_labels(audits: dict[str, Audit]) -> None:
    section = compliance(HtmlWriter(lang="zh-CN").render(audits["sdks.apk+short_video"], KB))
    assert KB.reference("PIPL-6").summary_zh in section and KB.reference("PIPL-6").summary_en not in section
    assert "征求意见稿" in section and "推荐性标准" in section
    assert '<span class="cite-ref" lang="en">GDPR Art. 5(1)(c)</span>' in section  # English text marked as such
    assert "(PIPL Art. 6)" not in section


def test_rule_explanations_and_documents_cited(audits: dict[str, Audit]) -> None:
    section = compliance(HtmlWriter().render(audits["sdks.apk+short_video"], KB))
    rules = section[section.index('class="rules"'): section.index('class="docs"')]
    assert "《常见类型移动互联网应用程序必要个人信息范围规定》第四条" in rules
    docs = section[section.index('class="docs"'):]
    assert "《中华人民共和国个人信息保护法》" in docs and "中华人民共和国主席令第九十一号" in docs
    assert "国信办秘字〔2019〕191号" in docs and "General Data Protection Regulation" in docs
    assert re.search(r'<div class="doc cite-draft">.*?cite-status">draft<', docs, re.S)
    cited = {r for f in audits["sdks.apk+short_video"].hits for r in f.refs}
    for doc in KB.cited_documents(cited):
        assert doc.title_en in docs or doc.title_zh in docs


def test_json_keeps_only_reference_ids(audits: dict[str, Audit]) -> None:
    doc = json.loads(JsonWriter().render(audits["sdks.apk"], KB))
    refs = {r for f in doc["findings"] for r in f["refs"]}
    assert refs and refs <= set(KB.references)
    text = JsonWriter().render(audits["sdks.apk"], KB)
    assert "《" not in text and "summary_en" not in text


def test_markdown_lists_the_rules_cited(audits: dict[str, Audit]) -> None:
    text = MarkdownWriter().render(audits["sdks.apk+short_video"], KB)
    cited = text[text.index("### Rules cited"):]
    assert "- 《个人信息保护法》第六条 (PIPL Art. 6) — " in cited and "`PIPL-6`" in cited
    assert "*recommended standard*" in cited
    zh = MarkdownWriter(lang="zh-CN").render(audits["sdks.apk+short_video"], KB)
    assert "### 所引条款" in zh and KB.reference("PIPL-6").summary_zh in zh


def test_citation_line_marks_unverified_clauses() -> None:
    line = citation_line(KB.reference("CAC2026D-location"), "en")
    assert line.startswith("- 《互联网应用程序个人信息收集使用规定（征求意见稿）》") and "*draft*" in line
    assert "*(wording not verified)*" in line and line.endswith("`CAC2026D-location`")
    assert "*(条款内容未核实)*" in citation_line(KB.reference("CAC2026D-location"), "zh-CN")
    assert "not verified" not in citation_line(KB.reference("PIPL-13"), "en")
