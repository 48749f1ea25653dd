"""Reading policies: HTML through the parser, tables as rows, sentences, language, hostile input bounded."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from scanner.privacy_policy.errors import PolicyUnsupported
from scanner.privacy_policy.load import read_file
from scanner.privacy_policy.model import HTML, PDF, TEXT, PolicySource, RawPolicy
from scanner.privacy_policy.read import read_policy
from tests.privacy_policy.conftest import POLICIES


def _read(body: str | bytes, media: str = HTML, **kw: int):  # type: ignore[no-untyped-def]
    data = body.encode() if isinstance(body, str) else body
    return read_policy(RawPolicy(PolicySource("file", "p"), data, media), **kw)


def test_html_table_rows_and_roles() -> None:
    policy = read_policy(read_file(POLICIES / "zh_full.html"))
    (table,) = policy.tables
    assert table.is_sdk_table
    assert dict(table.roles) == {"name": 0, "entity": 1, "purpose": 2, "data": 3}
    assert table.column("name") == ("友盟统计SDK", "极光推送SDK", "腾讯Bugly", "高德定位SDK")
    assert table.column("entity")[2] == "深圳市腾讯计算机系统有限公司"
    # each row is one sentence; the header is not
    row = "腾讯Bugly | 深圳市腾讯计算机系统有限公司 | 崩溃分析 | 设备型号、系统版本、已安装应用列表"
    assert row in policy.sentences
    assert not any("SDK名称" in s for s in policy.sentences)
    assert policy.language == "zh" and policy.media_type == HTML


def test_english_table_and_headings_are_boundaries() -> None:
    policy = read_policy(read_file(POLICIES / "en_full.html"))
    (table,) = policy.tables
    assert dict(table.roles) == {"name": 0, "entity": 1, "data": 2, "purpose": 3}
    assert policy.language == "en"
    assert "1. Information we collect" in policy.sentences  # the heading stays apart from the list after it
    assert any(s.startswith("Device identifiers.") for s in policy.sentences)


def test_plain_text_table() -> None:
    policy = read_policy(read_file(POLICIES / "zh_plain.txt"))
    (table,) = policy.tables
    assert table.header == ("SDK名称", "第三方主体", "收集个人信息", "使用目的")
    assert len(table.rows) == 5 and table.rows[4][0] == "个推"
    assert policy.media_type == TEXT


def test_scripts_styles_comments_are_dropped() -> None:
    policy = read_policy(read_file(POLICIES / "zh_full.html"))
    text = " ".join(policy.sentences)
    assert "policyVersion" not in text and "border-collapse" not in text and "脚本里的文字" not in text


def test_sentences_split_in_both_languages() -> None:
    policy = _read("<p>我们收集位置。我们也收集设备标识符！See e.g. the list. Then we stop? Yes.</p>"
                   "<p>Line one<br>line two</p><div>a <b>bold</b> word</div>")
    assert policy.sentences == ("我们收集位置。", "我们也收集设备标识符！", "See e.g. the list.", "Then we stop?",
                                "Yes.", "Line one", "line two", "a bold word")


def test_chinese_across_source_line_breaks() -> None:
    policy = _read("<p>我们会收集您的设备\n    标识符。</p>")
    assert policy.sentences == ("我们会收集您的设备标识符。",)


def test_gbk_encoded_page() -> None:
    html = '<html><head><meta charset="gbk"></head><body><p>隐私政策：我们会收集您的位置信息。</p></body></html>'
    policy = _read(html.encode("gbk"))
    assert "隐私政策：我们会收集您的位置信息。" in policy.sentences


def test_huge_policy_is_truncated_not_slow() -> None:
    body = "<p>" + "我们会收集您的设备标识符用于统计分析。" * 200_000 + "</p>"  # ~4 million characters
    started = time.monotonic()
    policy = _read(body, max_chars=100_000)
    assert policy.truncated and sum(map(len, policy.sentences)) <= 100_000
    assert time.monotonic() - started < 60


def test_deeply_nested_html_is_read() -> None:
    depth = 20_000
    body = "<div>" * depth + "<p>我们会收集位置信息。</p>" + "</div>" * depth
    started = time.monotonic()
    policy = _read(body)
    assert policy.sentences == ("我们会收集位置信息。",)
    assert time.monotonic() - started < 60


def test_nested_tables_do_not_loop() -> None:
    inner = "<table><tr><td>SDK名称</td><td>第三方主体</td></tr><tr><td>友盟</td><td>友盟同欣</td></tr></table>"
    policy = _read(f"<table><tr><th>A</th><th>B</th></tr><tr><td>{inner}</td><td>x</td></tr></table>")
    assert any("友盟" in s for s in policy.sentences)


def test_binary_garbage(tmp_path: Path) -> None:
    garbage = bytes((i * 7919) % 256 for i in range(200_000))
    path = tmp_path / "policy.html"  # named HTML, but binary: read as text, bounded, no crash
    path.write_bytes(garbage)
    policy = read_policy(read_file(path))
    assert sum(map(len, policy.sentences)) < 400_000
    with pytest.raises(PolicyUnsupported):
        read_policy(RawPolicy(PolicySource("file", "x"), garbage, "image/png"))


def test_pdf_policy(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(width=400, height=200)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): writer._add_object(font)})})
    stream = DecodedStreamObject()
    stream.set_data(b"BT /F1 12 Tf 20 100 Td (Privacy policy. We collect your location.) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(stream)
    path = tmp_path / "policy.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    raw = read_file(path)
    assert raw.media_type == PDF
    assert "We collect your location." in read_policy(raw).sentences
