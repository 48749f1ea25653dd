"""The regulation texts a report cites, and each reference into them, as compliance officers cite them.

A rule's ``refs`` are short language-neutral ids (``PIPL-13``, ``CAC2019-3.1``); results keep only those.
Here each id becomes a citation in the document's own numbering (《个人信息保护法》第十三条), a one-line
summary in English and Chinese, and the document's legal weight (``status``), so a report can tell a
binding law from a draft or a recommended standard. The data is ``data/references.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["law", "regulation", "normative", "standard-mandatory", "standard-recommended", "practice-guide",
                 "group-standard", "draft", "platform-policy", "foreign-law"]
# The legal weight of a text, with how a report labels it (English, Chinese). `normative` is a 规范性文件
# (a ministry's notice or method: enforced, not a law); `foreign-law` binds abroad, not in China.
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "law": ("law", "法律"),
    "regulation": ("administrative regulation", "行政法规"),
    "normative": ("normative document", "规范性文件"),
    "standard-mandatory": ("mandatory standard", "强制性国家标准"),
    "standard-recommended": ("recommended standard", "推荐性标准"),
    "practice-guide": ("practice guide", "实践指南"),
    "group-standard": ("group standard", "团体标准"),
    "draft": ("draft", "征求意见稿"),
    "platform-policy": ("platform policy", "平台政策"),
    "foreign-law": ("foreign law", "境外法律"),
}
STATUSES: tuple[str, ...] = tuple(STATUS_LABELS)
# Binding Chinese instruments: cited without a label; every other status is labelled where it is cited.
BINDING: frozenset[str] = frozenset({"law", "regulation", "normative", "standard-mandatory"})
# Texts cited with their number in front of the title: GB/T 35273-2020《信息安全技术 个人信息安全规范》5.2.
NUMBERED: frozenset[str] = frozenset({"standard-mandatory", "standard-recommended", "practice-guide", "group-standard"})
UNVERIFIED_LABEL = ("wording not verified", "条款内容未核实")


def is_zh(lang: str) -> bool:
    """``zh-CN`` (or any ``zh…``) is Chinese; anything else gets English."""
    return lang.lower().startswith("zh")


@dataclass(frozen=True)
class Document:
    """One text: its titles, number (文号 or standard number), issuer, dates and legal weight."""

    id: str
    title_zh: str
    title_en: str
    short_en: str  # how English texts name it: "PIPL", "GB/T 35273-2020", "GDPR"
    status: str  # one of STATUSES
    issuer: str
    language: Literal["zh", "en"]  # the language it is written and cited in
    source: tuple[str, ...]
    cite_as: str = ""  # the short title used in citations (个人信息保护法); the Chinese title when empty
    number: str = ""  # 文号 / standard number; empty only where the text has none (a draft, a platform policy)
    date: str = ""  # issued or published: YYYY, YYYY-MM or YYYY-MM-DD
    in_force: str = ""
    cite_by_number: bool = False  # cited by its number, as ministries' notices are: 工信部信管函〔2020〕164号第2项
    verified: bool = True  # False: a fact about the document (its number, its date) is from memory only
    note: str = ""

    @property
    def binding(self) -> bool:
        return self.status in BINDING

    @property
    def name(self) -> str:
        """The name a citation uses: 《个人信息保护法》, GB/T 35273-2020《信息安全技术 个人信息安全规范》, GDPR."""
        if self.language == "en":
            return self.short_en
        if self.cite_by_number and self.number:
            return self.number
        title = f"《{self.cite_as or self.title_zh}》"
        return f"{self.number}{title}" if self.status in NUMBERED and self.number else title

    def title(self, lang: str) -> str:
        return self.title_zh if is_zh(lang) else self.title_en

    def label(self, lang: str) -> str:
        """The status as a report shows it: "recommended standard" / "推荐性标准"."""
        en, zh = STATUS_LABELS[self.status]
        return zh if is_zh(lang) else en


@dataclass(frozen=True)
class Reference:
    """One reference id: the clause in the document's own numbering and what it says, in our words."""

    id: str
    document: Document
    article: str  # in the document's numbering and language: 第十三条, 三(1), 第2项, 5.2, Art. 6(1)(a)
    article_en: str  # the same for English readers: Art. 13, category 3 item 1
    summary_en: str
    summary_zh: str
    verified: bool = True  # False: the clause's wording (or its number) was not checked against the text
    note: str = ""

    @property
    def citation(self) -> str:
        """As the clause is cited in its own language: 《个人信息保护法》第十三条, GDPR Art. 6."""
        if self.document.language == "zh":
            return f"{self.document.name}{self.article}"
        sep = " " if self.article.startswith("Art.") else ": "
        return f"{self.document.name}{sep}{self.article}"

    @property
    def gloss_en(self) -> str:
        """An English reader's name for a Chinese clause ("PIPL Art. 13"); empty for English texts."""
        if self.document.language == "en":
            return ""
        return f"{self.document.short_en} {self.article_en}"

    def summary(self, lang: str) -> str:
        return self.summary_zh if is_zh(lang) else self.summary_en

    @staticmethod
    def unverified_label(lang: str) -> str:
        en, zh = UNVERIFIED_LABEL
        return zh if is_zh(lang) else en
