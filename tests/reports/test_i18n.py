"""The Chinese report: complete, current catalogs; no English prose left on a zh-CN page; ``lang`` marked right.

What may stay English in a Chinese report: code and identifiers (``<code>``, rule ids, permission, class and
package names, URLs), names (SDKs, vendors, app labels), regulation references (``<abbr class="ref">``, the
lead's "Documents cited" block) and the scanner's own diagnostics, folded in a ``lang="en"`` span.
"""

from __future__ import annotations

import gettext
import io
import json
import re
import time
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from reports import dataset
from reports.dashboard import render_dashboard
from reports.html import HtmlWriter
from reports.i18n import LANGS, normalize_lang, translator
from reports.json import JsonWriter
from reports.markdown import MarkdownWriter
from scanner.model import Audit
from tests.conftest import KB
from tests.reports.conftest import ARTIFACTS, EVERY_FIXTURE, REPORTED
from tests.reports.test_browser import PHONE, SCROLL_WIDTH, assert_clean, open_at, slug

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "reports" / "locale" / "zh_CN" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
            "npgettext": ((1, "c"), 2, 3), "N_": None, "nformat": (2, 3), "_least": (3, 4),
            "C_": ((1, "c"), 2)}  # as Makefile i18n
# Two or more English words in a row: prose. (Single technical words — Android, API, SDK, Wi-Fi — are terms.)
PROSE = re.compile(r"\b[A-Za-z][a-z'’]+(?:[ \t]+[A-Za-z][a-z'’]+)+\b")
# Names and terms written in English on purpose (they are proper nouns in Chinese regulatory texts too)
TERMS = ("Android ID", "App Set ID", "Google", "SMS Retriever", "SMS User Consent", "Early Bird", "Umeng",
         "Tencent", "JIGUANG", "Aurora Mobile", "ByteDance", "Qihoo", "pm list packages", "apksigner verify")
_URL = re.compile(r"\w+://\S+|\b[\w-]+(?:\.[\w$-]+)+(?:\([^)]*\))?")  # URLs, dotted package/class/host names


def po() -> object:
    with (LOCALE / "appaudit.po").open("rb") as f:
        return read_po(f)


def test_every_message_has_a_chinese_translation() -> None:
    catalog = po()
    bad = [m.id for m in catalog if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple)
                                                                 else [m.string]))]
    assert not bad, f"untranslated or fuzzy: {bad[:5]}"
    assert len([m for m in catalog if m.id]) > 700


def test_the_catalog_holds_exactly_the_messages_of_the_sources() -> None:
    """A string added to a template, a writer or the knowledge base without `make i18n` fails here."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(str(ROOT), method_map, options_map,
                                                                     keywords=KEYWORDS):
        msgid = message if isinstance(message, str) else message[0]
        found.add((context, msgid))
    have = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in po() if m.id}  # type: ignore[attr-defined]
    assert sorted(found - have)[:5] == [] and sorted(have - found)[:5] == []


def test_the_compiled_catalog_is_up_to_date() -> None:
    """appaudit.mo is committed (a clean clone needs no build step): it must be the compiled appaudit.po."""
    buf = io.BytesIO()
    write_mo(buf, po())  # type: ignore[arg-type]
    fresh = gettext.GNUTranslations(io.BytesIO(buf.getvalue()))
    with (LOCALE / "appaudit.mo").open("rb") as f:
        committed = gettext.GNUTranslations(f)
    assert fresh._catalog == committed._catalog  # type: ignore[attr-defined]


def test_lang_names() -> None:
    assert [normalize_lang(x) for x in ("zh-CN", "zh_cn", "zh", "EN")] == ["zh-CN", "zh-CN", "zh-CN", "en"]
    with pytest.raises(ValueError, match="known: en, zh-CN"):
        normalize_lang("fr")
    assert LANGS == ("en", "zh-CN")


def test_translator_api() -> None:
    """The API other writers use (the SDK list's headers): gettext/ngettext of one language, made once."""
    zh = translator("zh-CN")
    assert zh is translator("zh-CN")
    assert zh.gettext("Reader") == "读取方" and translator("en").gettext("Reader") == "Reader"
    assert zh.nformat(3, "%(num)s call site", "%(num)s call sites") == "3 处调用"
    assert translator().nformat(1, "%(num)s call site", "%(num)s call sites") == "1 call site"
    assert zh.kb("Device identifier") == "设备标识符"


# --- the rendered report -------------------------------------------------------------------------------------

class _Text(HTMLParser):
    """Visible text and tooltips outside code, references, English-marked spans and the cited-documents block;
    with every element's nearest ``lang``."""

    SKIP = {"code", "script", "style"}
    VOID = {"br", "wbr", "input", "meta", "link", "img", "hr", "rect"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool, str]] = []  # tag, skipped, lang
        self.text: list[str] = []
        self.spans: list[tuple[str, str]] = []  # (text, nearest lang)
        self.docs = False

    def lang(self) -> str:
        return self.stack[-1][2] if self.stack else ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        lang = a.get("lang") or self.lang()
        skip = bool(self.stack and self.stack[-1][1]) or tag in self.SKIP or lang == "en" \
            or (tag == "abbr" and "ref" in (a.get("class") or "")) or (tag == "dl" and a.get("class") == "docs")
        if not skip:
            self.text += [v for k, v in attrs if k in ("title", "aria-label", "placeholder") and v]
            self.text += [v for k, v in attrs if k.startswith("data-w-") and v]
        if tag not in self.VOID:
            self.stack.append((tag, skip, lang))

    def handle_endtag(self, tag: str) -> None:
        if any(t == tag for t, _, _ in self.stack):  # an end tag with no open element (</p> after a block) is ignored
            while self.stack.pop()[0] != tag:
                pass

    def handle_data(self, data: str) -> None:
        if data.strip() == "Documents cited":  # the lead's block, to be reworked with the references
            return
        if data.strip():
            self.spans.append((data.strip(), self.lang()))
        if not (self.stack and self.stack[-1][1]):
            self.text.append(data)


def english_prose(text: str, names: set[str]) -> list[str]:
    for name in sorted(names | set(TERMS), key=len, reverse=True):
        text = text.replace(name, " ")
    return PROSE.findall(_URL.sub(" ", text))


def names_of(audits: list[Audit]) -> set[str]:
    out = {s.name for s in KB.sdks} | {s.vendor for s in KB.sdks} | {p.name for p in KB.packers}
    out |= {p.vendor for p in KB.packers}
    for a in audits:
        if a.app and a.app.label:
            out.add(a.app.label)
        out |= {c.subject for c in (a.signing.certificates if a.signing else ())}
        out |= {c.issuer for c in (a.signing.certificates if a.signing else ())}
    return {n for n in out if n}


def page_text(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("name", EVERY_FIXTURE)
def test_zh_report_has_no_english_prose(any_audit: Callable[[str], Audit], name: str) -> None:
    audit = any_audit(name)
    html = HtmlWriter(lang="zh-CN").render(audit, KB)
    assert '<html lang="zh-CN">' in html
    left = english_prose(" ".join(page_text(html).text), names_of([audit]))
    assert not left, left[:10]


def test_the_prose_check_would_catch_english() -> None:
    assert english_prose("第一方代码 reads the clipboard", set()) == ["reads the clipboard"]
    assert english_prose("调用 com.umeng.Foo.bar(Context) 与 https://a.b/c d", set()) == []


@pytest.mark.parametrize("name", ["sdks.apk", "preconsent.apk", "packed.apk"])
def test_lang_attributes_mark_names_of_the_other_language(audits: dict[str, Audit], name: str) -> None:
    audit = audits[name]
    latin = {s.name for s in audit.sdks if s.name.isascii()}
    chinese = {s.legal_entity for s in audit.sdks if s.legal_entity}
    zh = page_text(HtmlWriter(lang="zh-CN").render(audit, KB))
    assert all(lang == "en" for text, lang in zh.spans if text in latin), [s for s in zh.spans if s[0] in latin]
    assert all(lang == "zh-CN" for text, lang in zh.spans if text in chinese)
    en = page_text(HtmlWriter().render(audit, KB))
    assert chinese <= {t for t, _ in en.spans} or not chinese
    assert all(lang == "zh-CN" for text, lang in en.spans if text in chinese), \
        [s for s in en.spans if s[0] in chinese]
    assert all(lang == "en" for text, lang in en.spans if text in latin)


def test_findings_are_composed_in_chinese(audits: dict[str, Audit]) -> None:
    html = HtmlWriter(lang="zh-CN").render(audits["preconsent.apk"], KB)
    assert "在应用启动时即读取" in html and "同意前读取个人信息" in html  # the sentence and the rule title
    assert '<span lang="en">Umeng Analytics</span>在应用启动时即被初始化' in html
    assert "第一方代码有 1 处代码读取" in html or "第一方代码在应用启动时即读取" in html


@pytest.mark.parametrize("name", [n for n in REPORTED if n != "hostile/script_label.apk"])
def test_zh_markdown_has_no_english_prose(audits: dict[str, Audit], name: str) -> None:
    audit = audits[name]
    text = MarkdownWriter(lang="zh-CN").render(audit, KB)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"^## appaudit: .*$", " ", text, flags=re.M)  # title: the app's name and package
    text = text.replace("\\", "")
    assert not english_prose(text, names_of([audit])), english_prose(text, names_of([audit]))[:10]


def test_zh_dashboard_has_no_english_prose(audits: dict[str, Audit]) -> None:
    docs = [(json.loads(JsonWriter().render(a, KB)), [a.input.path]) for a in audits.values()]
    frames = dataset.tables(docs)
    html = render_dashboard(dataset.summary(frames), frames["apps"].to_dict("records"), KB, lang="zh-CN")
    assert '<html lang="zh-CN">' in html
    left = english_prose(" ".join(page_text(html).text), names_of(list(audits.values())))
    assert not left, left[:10]


def test_english_stays_the_default(audits: dict[str, Audit]) -> None:
    audit = audits["sdks.apk"]
    assert HtmlWriter().render(audit, KB) == HtmlWriter(lang="en").render(audit, KB)
    assert '<html lang="en">' in HtmlWriter().render(audit, KB)
    assert MarkdownWriter().render(audit, KB) == MarkdownWriter(lang="en").render(audit, KB)


def test_rendering_in_chinese_stays_fast(audits: dict[str, Audit]) -> None:
    audit = audits["sdks.apk"]
    writer = HtmlWriter(lang="zh-CN")
    writer.render(audit, KB)  # the catalog and templates load once
    start = time.perf_counter()
    for _ in range(5):
        writer.render(audit, KB)
    assert (time.perf_counter() - start) / 5 < 0.5


# --- in a real browser ---------------------------------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("name", ["sdks.apk", "preconsent.apk", "packed.apk", "hostile/truncated.apk"])
def test_zh_report_renders_without_sideways_scroll_on_a_phone(browser: Any, audits: dict[str, Audit],
                                                              tmp_path: Path, name: str) -> None:
    html = HtmlWriter(lang="zh-CN").render(audits[name], KB)
    page, events = open_at(browser, html, tmp_path / f"{slug(name)}.html", PHONE)
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.evaluate(SCROLL_WIDTH) <= PHONE
    for button in page.locator("[data-show-all]").all():
        button.click()
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert page.evaluate(SCROLL_WIDTH) <= PHONE
    assert_clean(page, events)
    page.close()


@pytest.mark.browser
def test_zh_table_script_speaks_chinese(browser: Any, audits: dict[str, Audit], tmp_path: Path) -> None:
    """report.js takes its words from the page: a filtered count reads in Chinese."""
    html = HtmlWriter(lang="zh-CN").render(audits["sdks.apk"], KB)
    page, events = open_at(browser, html, tmp_path / "t.html", 1366)
    page.fill("#t-findings [data-filter-text]", "pi.")
    count = page.inner_text("#t-findings [data-count]")
    assert re.fullmatch(r"共 \d+ 行（共 \d+ 行，已筛选）", count), count
    assert_clean(page, events)
    page.close()


@pytest.mark.browser
def test_zh_screenshots(browser: Any, audits: dict[str, Audit], tmp_path: Path) -> None:
    """The first screen and the findings of the Chinese report, at 1366 px, for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    page, events = open_at(browser, HtmlWriter(lang="zh-CN").render(audits["preconsent.apk"], KB),
                           tmp_path / "zh.html", 1366, 900)
    page.screenshot(path=str(ARTIFACTS / "zh-first.png"))
    page.locator("#compliance").screenshot(path=str(ARTIFACTS / "zh-findings.png"))
    assert page.evaluate("document.fonts.check('16px sans-serif', '个人信息')")
    assert_clean(page, events)
    page.close()


# --- the CLI and the policy file -----------------------------------------------------------------------------

def _scan(tmp_path: Path, *extra: str) -> int:
    """The CLI in this process. It sets process-wide state a test worker must not keep: an address-space cap
    (--max-memory 0 leaves none) and SIGPIPE's default action (restored, or a later test's server dies)."""
    import signal

    from scanner.cli.main import main

    pipe = signal.getsignal(signal.SIGPIPE)
    try:
        return main(["scan", str(ROOT / "tests/fixtures/apks/clean.apk"), "-o", str(tmp_path / "out"), "-f",
                     "html,md,json", "--max-memory", "0", *extra])
    finally:
        signal.signal(signal.SIGPIPE, pipe)


def test_cli_lang_flag_and_policy(tmp_path: Path) -> None:
    policy = tmp_path / "appaudit.toml"
    policy.write_text('lang = "zh-CN"\n', encoding="utf-8")
    assert _scan(tmp_path, "--config", str(policy)) == 0
    html = (tmp_path / "out" / "clean.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and "检测结论" in (tmp_path / "out" / "clean.md").read_text(encoding="utf-8")
    assert '"schema"' in (tmp_path / "out" / "clean.json").read_text(encoding="utf-8")  # JSON stays as it is
    assert _scan(tmp_path, "--config", str(policy), "--lang", "en") == 0  # the flag overrides the policy
    assert '<html lang="en">' in (tmp_path / "out" / "clean.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("text", "why"), [('lang = "fr"\n', "known: en, zh-CN"), ("lang = 1\n", "must be a string")])
def test_policy_refuses_an_unknown_lang(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                                        why: str) -> None:
    policy = tmp_path / "appaudit.toml"
    policy.write_text(text, encoding="utf-8")
    assert _scan(tmp_path, "--config", str(policy)) == 2
    assert why in capsys.readouterr().err


def test_cli_refuses_an_unknown_lang(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _scan(tmp_path, "--lang", "fr") == 2
    assert "--lang" in capsys.readouterr().err
