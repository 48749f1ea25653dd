"""The Markdown summary: content, caps, and APK strings that can neither inject HTML nor break a table."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from reports.markdown import MarkdownWriter, md
from scanner.analysis.names import has_descriptor
from scanner.model import Audit
from tests.conftest import KB
from tests.reports.conftest import HOSTILE_LABEL, NASTY, REPORTED, nasty_audit
from tests.reports.page import parse

WRITER = MarkdownWriter()
PIPE = re.compile(r"(?<!\\)(?:\\\\)*\|")  # a pipe not escaped by an odd number of backslashes


def to_html(text: str) -> str:
    """As GitHub would: CommonMark with tables and raw HTML passed through."""
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(text)


def tables(text: str) -> list[list[str]]:
    out: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("|"):
            if not out or not out[-1]:
                out.append([])
            out[-1].append(line)
        elif out and out[-1]:
            out.append([])
    return [t for t in out if t]


def test_writer_identity() -> None:
    assert (MarkdownWriter.name, MarkdownWriter.suffix) == ("md", ".md")


def test_sdks_summary(audits: dict[str, Audit]) -> None:
    text = WRITER.render(audits["sdks.apk"], KB)
    assert text.startswith("## appaudit: SDK Heavy (org.appaudit.fixture.sdks 4.2)")
    assert f"**Verdict:** {len(audits['sdks.apk'].findings)} findings" in text
    for sdk in audits["sdks.apk"].sdks:
        assert f"| {md(sdk.name)} | {md(sdk.version or '—')} | {md(sdk.vendor)} |" in text
    assert "| Tencent Bugly | — | Tencent | called by the app | List of installed apps |" in text
    perms = text[text.index("### Sensitive permissions"):]
    assert "android.permission.READ\\_CONTACTS" not in perms  # intraword underscores stay readable
    assert "- android.permission.READ_CONTACTS: Address book · possibly excessive" in perms
    assert "ACCESS_FINE_LOCATION" in perms and "READ_PHONE_STATE" not in perms.split("###")[1]
    assert "no read before consent" in text and "### Read before consent" not in text


def test_pre_consent_reads(audits: dict[str, Audit]) -> None:
    text = WRITER.render(audits["preconsent.apk"], KB)
    assert "**5 reads before consent**" in text
    section = text[text.index("### Read before consent"):].split("###")[1]
    assert len([line for line in section.splitlines() if line.startswith("| ")]) == 1 + 5
    assert "org.appaudit.fixture.preconsent.DeviceInfo.collect(Context)" in section


def test_top_findings_capped_and_ranked(audits: dict[str, Audit]) -> None:
    audit = audits["preconsent.apk"]
    top = len(audit.findings) - 3
    text = MarkdownWriter(top=top).render(audit, KB)
    section = text[text.index("### Top findings"):]
    assert f"### Top findings ({top} of {len(audit.findings)})" in section
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| Severity")]
    severities = [row.split(" | ")[0].lstrip("| ") for row in rows]
    order = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"]
    assert len(rows) == top and [order.index(s) for s in severities] == sorted(order.index(s) for s in severities)


def test_error_and_partial(audits: dict[str, Audit]) -> None:
    failed = WRITER.render(audits["hostile/empty.apk"], KB)
    assert "**Analysis failed" in failed and "not-a-zip" in failed and "### SDKs" not in failed
    partial = WRITER.render(audits["packed.apk"], KB)
    assert "**Analysis incomplete**" in partial
    # nothing reads as clean: counts are lower bounds, absences unknown
    assert "at least 2 findings" in partial and "SDKs: unknown" in partial
    assert "unknown whether anything is read before consent" in partial and "no read before consent" not in partial
    assert "None found." not in partial and "\nNone.\n" not in partial and "0 SDKs" not in partial


@pytest.mark.parametrize("name", [n for n in REPORTED if "hostile" not in n])
def test_plurals_and_readable_names(audits: dict[str, Audit], name: str) -> None:
    text = WRITER.render(audits[name], KB)
    assert "(s)" not in text and " 1 places" not in text and " 1 findings" not in text
    assert not has_descriptor(text), text


def test_hostile_label(audits: dict[str, Audit]) -> None:
    text = WRITER.render(audits["hostile/script_label.apk"], KB)
    assert "<script>" not in text and "&lt;script&gt;" in text
    page = parse(to_html(text))
    assert not page.all("script")
    assert HOSTILE_LABEL in "".join(page.text)


def test_every_apk_string_is_inert(audits: dict[str, Audit]) -> None:
    text = WRITER.render(nasty_audit(audits["sdks.apk"]), KB)
    html = to_html(text)
    page = parse(html)
    assert [t for t, _ in page.tags if t in ("script", "img", "iframe", "a")] == []
    assert page.comments == []
    assert NASTY.split("|")[0].strip() in "".join(page.text)
    for table in tables(text):
        widths = {len(PIPE.findall(line)) for line in table}
        assert len(widths) == 1, table  # no cell adds or removes a column
    for table_html in re.findall(r"<table>.*?</table>", html, re.S):
        head = len(re.findall(r"<th[ >]", table_html))
        rows = re.findall(r"<tr>(.*?)</tr>", table_html.split("</thead>")[1], re.S)
        assert rows and all(len(re.findall(r"<td[ >]", row)) == head for row in rows)


@pytest.mark.parametrize("name", REPORTED)
def test_deterministic_and_valid(audits: dict[str, Audit], name: str) -> None:
    text = WRITER.render(audits[name], KB)
    assert text == MarkdownWriter().render(audits[name], KB)
    assert text.endswith("\n") and "<script" not in to_html(text)


def test_md_escaping() -> None:
    assert md("a|b") == "a\\|b"
    assert md("<b>&") == "&lt;b&gt;&amp;"
    assert md("*x* _y_ a_b `c` [d](e) \\") == "\\*x\\* \\_y\\_ a_b \\`c\\` \\[d\\](e) \\\\"
    assert md("line\nbreak") == "line break"
    assert md("x" * 500).endswith("…") and len(md("x" * 500)) == 160
