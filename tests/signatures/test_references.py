"""Every regulation reference the knowledge base uses is citable: document, clause, summaries, legal weight."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from signatures import compiled
from signatures.documents import BINDING, STATUSES
from signatures.loader import load_dir
from signatures.model import KnowledgeBase, KnowledgeBaseError
from tests.signatures.conftest import append


def used_refs(kb: KnowledgeBase) -> set[str]:
    """Every reference id any data file cites: rules' refs and the app types' necessary-PI items."""
    return {r for rule in kb.rules.values() for r in rule.refs} | {c.npi for c in kb.categories.values()}


def test_every_used_reference_is_fully_described(kb: KnowledgeBase) -> None:
    used = used_refs(kb)
    assert len(used) > 100  # 39 app types and the rules' references
    for ref_id in sorted(used):
        ref = kb.reference(ref_id)
        assert ref.document.id in {d.id for d in kb.cited_documents([ref_id])}
        assert ref.article.strip() and ref.article_en.strip(), ref_id
        assert ref.summary_en.strip() and ref.summary_zh.strip(), ref_id
        assert any("\u4e00" <= c <= "\u9fff" for c in ref.summary_zh), f"{ref_id}: Chinese summary has no Chinese"
        assert ref.document.status in STATUSES, ref_id
        assert ref.verified or ref.note, f"{ref_id}: an unverified entry says what was not checked"


def test_every_document_has_its_titles_issuer_date_and_number(kb: KnowledgeBase) -> None:
    docs = {r.document for r in kb.references.values()}
    assert {d.id for d in docs} >= {"PIPL", "CAC2019", "NPI2021", "MIIT164", "GBT35273", "GDPR", "GP"}
    for doc in docs:
        assert doc.title_zh and doc.title_en and doc.issuer and doc.source, doc.id
        if doc.status not in ("platform-policy", "draft"):
            assert doc.number and doc.date, doc.id


def test_chinese_texts_are_cited_in_their_own_form(kb: KnowledgeBase) -> None:
    assert kb.reference("PIPL-13").citation == "《个人信息保护法》第十三条"
    assert kb.reference("CAC2019-3.1").citation == "《App违法违规收集使用个人信息行为认定方法》三(1)"
    assert kb.reference("MIIT164-2").citation == "工信部信管函〔2020〕164号第2项"
    assert kb.reference("GBT35273-5.2").citation == "GB/T 35273-2020《信息安全技术 个人信息安全规范》5.2"
    assert kb.reference("NPI2021-29").citation.endswith("》第五条（二十九）")
    assert kb.reference("GDPR-6").citation == "GDPR Art. 6" and kb.reference("GDPR-6").gloss_en == ""
    assert kb.reference("PIPL-13").gloss_en == "PIPL Art. 13"
    for ref in kb.references.values():  # every Chinese title is wrapped as 《…》 unless cited by its number
        doc = ref.document
        if doc.language == "zh" and not doc.cite_by_number:
            assert f"《{doc.cite_as or doc.title_zh}》" in ref.citation, ref.id


def test_status_tells_law_from_draft_and_recommended_standard(kb: KnowledgeBase) -> None:
    assert kb.reference("PIPL-13").document.status == "law" and kb.reference("PIPL-13").document.binding
    draft = kb.reference("CAC2026D-sdk").document
    assert draft.status == "draft" and not draft.binding
    assert (draft.label("en"), draft.label("zh-CN")) == ("draft", "征求意见稿")
    standard = kb.reference("GBT35273-5.2").document
    assert standard.status == "standard-recommended" and standard.label("zh-CN") == "推荐性标准"
    assert kb.reference("TC260-PG-20205A").document.status == "practice-guide"
    assert set(STATUSES) >= BINDING


def test_summary_follows_the_report_language(kb: KnowledgeBase) -> None:
    ref = kb.reference("PIPL-29")
    assert ref.summary("zh-CN") == ref.summary_zh and ref.summary("en") == ref.summary_en
    assert ref.summary_zh != ref.summary_en


def test_facts_from_memory_are_marked_unverified(kb: KnowledgeBase) -> None:
    """regulations.md marks these M or P: the data must say so rather than guess silently."""
    for ref_id in ("GBT35273-5.2", "MIIT164-6", "CAC2019-5.1", "CAC2026D-location", "NPI2021-13"):
        assert not kb.reference(ref_id).verified, ref_id
    assert not kb.reference("MIIT2023").document.verified  # its number is from memory
    assert kb.reference("PIPL-13").verified and kb.reference("CAC2019-3.1").verified


def test_cited_documents_are_listed_once_in_file_order(kb: KnowledgeBase) -> None:
    docs = kb.cited_documents(["GDPR-6", "PIPL-13", "PIPL-14", "CAC2019-3.1", "no-such-ref"])
    assert [d.id for d in docs] == ["CAC2019", "PIPL", "GDPR"]


def expect_error(folder: Path, file: str, fragment: str) -> None:
    with pytest.raises(KnowledgeBaseError) as info:
        load_dir(folder)
    assert info.value.file == file and fragment in str(info.value)


def test_a_rule_citing_an_undefined_reference_is_refused(data_copy: Path) -> None:
    rules = data_copy / "rules.toml"
    rules.write_text(rules.read_text(encoding="utf-8").replace('"PIPL-13"', '"PIPL-99"', 1), encoding="utf-8")
    expect_error(data_copy, "rules.toml", "'PIPL-99'")


def test_a_reference_to_a_missing_document_is_refused(data_copy: Path) -> None:
    append(data_copy / "references.toml", """
[[ref]]
id = "PIPL-99"
document = "NOPE"
article = "第九十九条"
article_en = "Art. 99"
summary_en = "x"
summary_zh = "某"
""")
    expect_error(data_copy, "references.toml", "document 'NOPE' is not defined")


@pytest.mark.parametrize(("old", "new", "fragment"), [
    ('status = "law"', 'status = "binding-ish"', "expected one of"),
    ('summary_zh = "处理个人信息须具备法定事由', 'summary_x = "处理个人信息须具备法定事由',
     "missing required key 'summary_zh'"),
    ('date = "2021-08-20"', 'date = "20 Aug 2021"', "is not YYYY"),
    ('number = "中华人民共和国主席令第九十一号"', 'number = ""', "needs its number"),
])
def test_incomplete_entries_are_refused(data_copy: Path, old: str, new: str, fragment: str) -> None:
    refs = data_copy / "references.toml"
    text = refs.read_text(encoding="utf-8")
    assert text.count(old) == 1
    refs.write_text(text.replace(old, new), encoding="utf-8")
    expect_error(data_copy, "references.toml", fragment)


def test_an_unverified_reference_needs_a_note(data_copy: Path) -> None:
    refs = data_copy / "references.toml"
    text = refs.read_text(encoding="utf-8")
    old = 'summary_zh = "同意应由个人在充分知情的前提下'
    refs.write_text(text.replace(old, "verified = false\n" + old), encoding="utf-8")
    expect_error(data_copy, "references.toml", "needs a note")


def test_the_compiled_copy_keeps_references(tmp_path: Path, data_copy: Path) -> None:
    builds: list[int] = []

    def build() -> KnowledgeBase:
        builds.append(1)
        return load_dir(data_copy)

    first = compiled.load(tmp_path / "cache", data_copy, None, build)
    second = compiled.load(tmp_path / "cache", data_copy, None, build)
    assert builds == [1]
    assert dict(second.references) == dict(first.references)
    assert second.reference("PIPL-13").document is second.reference("PIPL-14").document  # shared, not copied
    refs = data_copy / "references.toml"
    text = refs.read_text(encoding="utf-8").replace('article = "第十三条"', 'article = "第13条"')
    refs.write_text(text, encoding="utf-8")
    assert compiled.load(tmp_path / "cache", data_copy, None, build).reference("PIPL-13").article == "第13条"
    assert builds == [1, 1]
    shutil.rmtree(tmp_path / "cache")
