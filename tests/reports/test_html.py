"""The HTML report rendered from real fixtures: structure, escaping, CSP, no external resource, stable bytes."""

from __future__ import annotations

import html as htmllib
import json
import re
from collections.abc import Callable

import pytest

import scanner
from reports.base import outputs
from reports.html import HtmlWriter, pretty_member, short_member, wbr
from reports.json import JsonWriter
from scanner.analysis.names import has_descriptor
from scanner.model import Audit, Status
from tests.conftest import FIXTURES, KB
from tests.reports.conftest import EVERY_FIXTURE, HOSTILE_LABEL, NASTY, REPORTED, big_audit, nasty_audit
from tests.reports.page import parse, sha256_source

SECTIONS = ["verdict", "pimap", "sdks", "permissions", "calls", "compliance", "disclosure", "endpoints",
            "manifest", "appendix"]
WRITER = HtmlWriter()


def render(audit: Audit) -> str:
    return WRITER.render(audit, KB)


def visible_text(html: str) -> str:
    """The page's text as a reader sees it (no markup, no script or style, hidden rows included)."""
    page = parse(html)
    return " ".join(" ".join(page.text).split())


def test_writer_identity() -> None:
    assert (HtmlWriter.name, HtmlWriter.suffix) == ("html", ".html")


@pytest.mark.parametrize("name", [n for n in REPORTED if "hostile/empty" not in n and "truncated" not in n])
def test_sections_in_order(audits: dict[str, Audit], name: str) -> None:
    audit = audits[name]
    assert audit.status != Status.ERROR, audit.errors
    page = parse(render(audit))
    assert page.section_ids() == SECTIONS
    toc = [a["href"] for a in page.all("a") if (a.get("href") or "").startswith("#")]
    start = toc.index("#overview") + 1  # the contents list follows the link to the header
    assert toc[start:start + len(SECTIONS)] == ["#" + s for s in SECTIONS]


@pytest.mark.parametrize("name", ["hostile/empty.apk", "hostile/truncated.apk"])
def test_error_audit_renders_an_error_page(audits: dict[str, Audit], name: str) -> None:
    audit = audits[name]
    html = render(audit)
    page = parse(html)
    assert page.section_ids() == ["error"]
    assert "The app could not be analysed" in html and "not</strong> a clean result" in html
    for error in audit.errors:
        assert error.code in html


def test_partial_audit_shows_incomplete_banner(audits: dict[str, Audit]) -> None:
    audit = audits["packed.apk"]
    assert audit.status == Status.PARTIAL
    html = render(audit)
    assert "Analysis incomplete." in html and 'role="alert"' in html
    assert "packed" in html


def test_ok_audit_has_no_incomplete_banner(audits: dict[str, Audit]) -> None:
    assert "Analysis incomplete" not in render(audits["sdks.apk"])


def test_hostile_label_is_text(audits: dict[str, Audit]) -> None:
    audit = audits["hostile/script_label.apk"]
    assert audit.app is not None and audit.app.label == HOSTILE_LABEL
    html = render(audit)
    assert HOSTILE_LABEL not in html
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; &amp; &#39;quotes&#39;" in html
    page = parse(html)
    assert len(page.all("script")) == 1
    assert HOSTILE_LABEL in "".join(page.text)  # what a reader sees


def test_every_apk_string_is_escaped(audits: dict[str, Audit]) -> None:
    html = render(nasty_audit(audits["sdks.apk"]))
    page = parse(html)
    assert [t for t, _ in page.tags if t in ("img", "iframe", "object", "embed", "base", "form")] == []
    assert len(page.all("script")) == 1 and len(page.scripts) == 1
    assert page.comments == []
    assert not [(t, k) for t, attrs in page.tags for k in attrs if k.startswith("on")]
    assert NASTY not in html
    assert "".join(page.text).count(NASTY) >= 5  # label, package, meta-data, component, endpoint host…


def test_content_security_policy(audits: dict[str, Audit]) -> None:
    html = render(audits["sdks.apk"])
    page = parse(html)
    policy = dict(part.strip().split(" ", 1) for part in page.csp().split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["img-src"] == "data:"
    assert policy["script-src"] == sha256_source(page.scripts[0])
    assert sorted(policy["style-src"].split()) == sorted(sha256_source(s) for s in page.styles)
    assert "unsafe" not in page.csp()
    head = html[: html.index("</head>")]
    assert head.index("Content-Security-Policy") < head.index("<style>")  # the policy comes first
    assert not page.all("link") or all((a.get("href") or "").startswith("data:") for a in page.all("link"))
    assert not [a for _, a in page.tags if "style" in a]  # inline style attributes would need 'unsafe-inline'


@pytest.mark.parametrize("name", REPORTED)
def test_no_external_resources(audits: dict[str, Audit], name: str) -> None:
    html = render(audits[name])
    page = parse(html)
    for _, attrs in page.tags:
        for key in ("src", "href", "action", "srcset", "poster", "data"):
            value = (attrs.get(key) or "").strip().lower()
            assert not value or value.startswith(("#", "data:")), (key, value)
    css = "".join(page.styles)
    assert "@import" not in css and not re.search(r"url\(\s*['\"]?(?!data:)", css)
    assert not re.search(r"\b(fetch|XMLHttpRequest|WebSocket|EventSource|sendBeacon|import\()", page.scripts[0])


@pytest.mark.parametrize("name", ["sdks.apk", "preconsent.apk", "hostile/empty.apk", "sdks.apk+short_video"])
def test_deterministic(audits: dict[str, Audit], name: str) -> None:
    assert render(audits[name]) == HtmlWriter().render(audits[name], KB)


@pytest.mark.parametrize("name", REPORTED)
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_file_is_the_page_in_utf8(audits: dict[str, Audit], name: str, lang: str) -> None:
    """``files`` (what the command writes) encodes the template's pieces as they come: the bytes of ``render``."""
    writer = HtmlWriter(lang=lang)
    assert outputs(writer, audits[name], KB) == ((".html", writer.render(audits[name], KB).encode("utf-8")),)


def test_the_file_of_a_hostile_result_is_the_page_in_utf8(audits: dict[str, Audit]) -> None:
    audit = nasty_audit(audits["sdks.apk"])
    assert outputs(WRITER, audit, KB) == ((".html", render(audit).encode("utf-8")),)


def test_pi_map_marks_pre_consent(audits: dict[str, Audit]) -> None:
    html = render(audits["preconsent.apk"])
    table = html[html.index('<table class="map">'): html.index("</table>", html.index('<table class="map">'))]
    assert table.count('class="hit pre"') == 4  # device ids (app, Umeng), installed apps (app), Wi-Fi (Umeng)
    assert "First-party code" in table and "Umeng Analytics" in table
    assert "⚑" in html[html.index('class="legend"'):]  # the legend explains the mark


def test_pi_map_columns_are_first_party_then_sdks(audits: dict[str, Audit]) -> None:
    html = render(audits["sdks.apk"])
    head = html[html.index('<table class="map">'):]
    columns = re.findall(r'<th scope="col" class="reader">([^<]+)</th>', head[: head.index("</thead>")])
    assert columns[0] == "First-party code"
    assert set(columns[1:]) == {s.name for s in audits["sdks.apk"].sdks}


def test_permissions_mark_sensitive_and_possibly_excessive(audits: dict[str, Audit]) -> None:
    html = render(audits["sdks.apk"])
    section = html[html.index('id="permissions"'): html.index('id="calls"')]
    contacts = section[section.index("READ_<wbr>CONTACTS") if "READ_<wbr>CONTACTS" in section
                       else section.index("READ_CONTACTS"):]
    row = contacts[: contacts.index("</tr>")]
    assert "possibly excessive" in row and "Sensitive" in row
    internet = section[section.index("INTERNET"):]
    assert "possibly excessive" not in internet[: internet.index("</tr>")]


def test_refs_carry_document_titles(audits: dict[str, Audit]) -> None:
    html = render(audits["sdks.apk"])
    assert re.search(r'<abbr class="ref" title="[^"]*Personal Information Protection Law[^"]*">PIPL-\d+</abbr>', html)
    assert 'id="rule-sdk.reads_pi"' in html and "Documents cited" in html


def test_category_findings_shown(audits: dict[str, Audit]) -> None:
    html = render(audits["sdks.apk+short_video"])
    assert "category.no_pi_needed" in html and "short_video" in html


def test_endpoints_mark_cleartext(audits: dict[str, Audit]) -> None:
    html = render(audits["preconsent.apk"])
    section = html[html.index('id="endpoints"'): html.index('id="manifest"')]
    assert "cleartext allowed" in section


def test_debug_certificate_flagged(audits: dict[str, Audit]) -> None:
    header = render(audits["preconsent.apk"]).split("</header>")[0]
    assert "CN=Android Debug" in header and "debug certificate" in header


def test_row_limit_and_size_for_5000_call_sites(audits: dict[str, Audit]) -> None:
    html = HtmlWriter(row_limit=100).render(big_audit(audits["sdks.apk"]), KB)
    calls = html[html.index('id="t-calls"'):]
    calls = calls[: calls.index("</tbody>")]
    assert calls.count("<tr data-sdk=") == 5000
    assert calls.count(" hidden>") == 4900
    assert "Show all 5,000 rows" in html
    assert len(html.encode()) < 4_000_000


def test_pretty_member_and_wbr() -> None:
    ref = "Landroid/provider/Settings$Secure;->getString(Landroid/content/ContentResolver;Ljava/lang/String;)" \
          "Ljava/lang/String;"
    assert pretty_member(ref) == "android.provider.Settings.Secure.getString(ContentResolver, String)"
    assert pretty_member("La/B;->f:[I") == "a.B.f"
    assert pretty_member("La/B;->m([[JZ)V") == "a.B.m(long[][], boolean)"
    assert pretty_member("02:00:00:00:00:00") == "02:00:00:00:00:00"
    assert str(wbr("a.b<c>")) == "a.<wbr>b&lt;c&gt;"


def test_sdk_rows_say_version_use_and_launch_start() -> None:
    from tests.reports.conftest import scan
    versions = render(scan("versions.apk"))
    section = versions[versions.index('id="sdks"'): versions.index('id="permissions"')]
    assert 'title="dex-field com.umeng.commonsdk.statistics.SdkVersion.SDK_VERSION">v9.6.3</span>' in section
    early = render(scan("preconsent.apk"))
    section = early[early.index('id="sdks"'): early.index('id="permissions"')]
    assert "started before consent" in section
    chain = section.split('<ol class="chain"', 1)[1].split("</ol>")[0]
    steps = re.findall(r"<li><code[^>]*>([^<]+)</code></li>", chain)
    assert steps == ["App.onCreate()", "UMConfigure.init(Context, String, String, int, String)"]  # entry point first
    assert 'title="com.umeng.commonsdk.UMConfigure.init(Context, String, String, int, String)"' in section
    assert "called by the app" in section


def test_unattributed_code_is_never_shown_as_first_party(audits: dict[str, Audit]) -> None:
    html = render(audits["obfuscated.apk"])
    calls = html[html.index('id="calls"'):]
    calls = calls[: calls.index("</table>")]
    assert calls.count('<td class="who un">Unattributed</td>') == 3 and "First party" not in calls


def test_wbr_marks_the_same_breaks_as_escaping_part_by_part() -> None:
    """The one-pass escape gives what escaping each part between breaks gives, for any text."""
    import random

    from markupsafe import Markup, escape

    from reports.html import _BREAK
    rng = random.Random(7)
    alphabet = "aZ09./$,;()[<>&\"' \x00-:"
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert str(wbr(text)) == str(Markup("<wbr>").join(escape(p) for p in _BREAK.split(text))), text


# --- readable names and honest incomplete state (issue 12, items 4 and 5) -----------------------------------

# a Dalvik class descriptor with a package (Lcom/a/B;) or a member reference (->): never shown to a reader
RAW_DESCRIPTOR = re.compile(r"(?<![\w/$.])L[a-z][\w$]*/[\w/$]*;|->")


def visible_outside_appendix(html: str) -> str:
    """What a reader can see or hover before the appendix: text and attribute values, unescaped."""
    html = re.sub(r"<script>.*?</script>|<style>.*?</style>", "", html, flags=re.S)
    html = html.split('<section id="appendix"', 1)[0].replace("<wbr>", "")
    return htmllib.unescape(html)


@pytest.mark.parametrize("name", [*EVERY_FIXTURE, "sdks.apk+short_video"])
def test_no_raw_dalvik_descriptor_outside_the_appendix(any_audit: Callable[[str], Audit], name: str) -> None:
    shown = visible_outside_appendix(render(any_audit(name)))
    assert RAW_DESCRIPTOR.findall(shown) == []


def test_the_descriptor_check_would_catch_one() -> None:
    assert RAW_DESCRIPTOR.search(visible_outside_appendix("<td>Lcom/umeng/a/B;-&gt;c()V</td>"))
    assert not RAW_DESCRIPTOR.search("Location; Lists; List of installed apps")


@pytest.mark.parametrize("name", ["sdks.apk", "preconsent.apk", "provider_init.apk"])
def test_json_keeps_the_raw_descriptors(audits: dict[str, Audit], name: str) -> None:
    """JSON is the contract: callers, APIs, paths and evidence stay exact Dalvik references."""
    doc = json.loads(JsonWriter().render(audits[name], KB))
    assert doc["api_calls"] and all(c["caller"].startswith("L") and "->" in c["caller"] for c in doc["api_calls"])
    paths = [p for c in doc["api_calls"] for p in c["pre_consent_path"]]
    assert all("->" in p for p in paths)
    assert any("->" in e["path"] or "->" in e["symbol"] for f in doc["findings"] for e in f["evidence"])
    assert not [f["message"] for f in doc["findings"] if has_descriptor(f["message"])]  # sentences are readable


def test_pre_consent_paths_are_vertical_chains_entry_point_first(audits: dict[str, Audit]) -> None:
    audit = audits["preconsent.apk"]
    html = render(audit)
    calls = html[html.index('id="calls"'): html.index('id="compliance"')]
    chains = [re.findall(r"<code[^>]*>([^<]+)</code>", c) for c in re.findall(r'<ol class="chain".*?</ol>', calls)]
    expected = [[short_member(step) for step in c.pre_consent_path] for c in audit.api_calls if c.pre_consent_path]
    assert chains == expected and len(chains) == 5
    assert {c[0] for c in chains} == {"App.onCreate()", "InitProvider.onCreate()"}
    assert ["App.onCreate()", "UMConfigure.init(Context, String, String, int, String)"] in chains
    findings = html[html.index('id="t-findings"'):]
    assert '<ol class="chain"' in findings and " (via " not in findings  # the message's path is a chain too


def test_ids_are_shown_by_display_names(audits: dict[str, Audit]) -> None:
    html = render(audits["sdks.apk+short_video"])
    header = html.split("</header>")[0]
    assert "compared against the app type <strong" in header and ">Short video</strong>" in header
    text = visible_text(html)
    assert "crash_reporting" not in text and "Crash reporting" in text  # SDK purposes
    assert "android.permission.READ_CONTACTS" not in text.split("Appendix")[0].split("Compliance findings")[0]
    assert "READ_CONTACTS" in text
    for raw in ("installed_apps", "device_id.android_id", "short_video"):
        assert raw not in visible_outside_appendix(html).split("Compliance findings")[1].split("The rules")[0], raw


def test_articles_and_plurals() -> None:
    from tests.reports.conftest import scan
    html = render(scan("sdks.apk", "online_shopping"))
    assert "an Online shopping app" in html and "a Online" not in html and "A Online" not in html
    for name in ("sdks.apk", "preconsent.apk", "obfuscated.apk"):
        text = visible_text(render(scan(name)))
        for slip in ("(s)", " 1 places", " 1 classes", " 1 call sites", " 1 findings", "reads android ID",
                     "reads wi-Fi", "first-party code reads"):
            assert slip not in text, (name, slip)


def test_incomplete_report_claims_no_absence(audits: dict[str, Audit]) -> None:
    audit = audits["packed.apk"]
    assert audit.status == Status.PARTIAL
    html = render(audit)
    verdict = html[html.index('id="verdict"'): html.index('id="pimap"')]
    assert 'class="good"' not in verdict  # the ✓ mark
    text = visible_text(html)
    # each sentence a complete analysis prints for an empty section
    for clean in ("No personal-information read was found", "No working third-party SDK",
                  "SDKs and trackers) was found", "No call site reading personal information through a catalogued API.",
                  "No compliance finding.", "No endpoint found.", "No SDK to disclose.", "nothing found",
                  "No manifest or signing finding."):
        assert clean not in text, clean
    assert text.count("Unknown.") >= 5 and "Unknown whether personal information is read before" in text
    assert "≥ 2 findings" in text and "? before consent" in text  # tiles: a lower bound, or unknown
    assert "at least" in text


def test_complete_report_keeps_its_clean_statements(audits: dict[str, Audit]) -> None:
    text = visible_text(render(audits["clean.apk"]))
    assert "No personal-information read was found" in text and "Unknown" not in text and "at least" not in text


def test_the_header_says_whether_android_verifies_the_signature() -> None:
    tampered = scanner.scan(str(FIXTURES / "signing" / "tampered_dex.apk"), scanner.ScanOptions())
    text = visible_text(render(tampered))
    assert "Signature does not verify" in text and "the APK was changed after signing" in text
    clean = visible_text(render(scanner.scan(str(FIXTURES / "clean.apk"), scanner.ScanOptions())))
    assert "Signature verified as Android verifies it, API 21+" in clean and "does not verify" not in clean

