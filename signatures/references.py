"""Read ``references.toml`` into documents and references, and check every cited id has one.

Kept apart from ``build`` because the two tables depend on each other (a reference names its document)
and because the checks are about citations, not detection: every reference the knowledge base uses
(a rule's ``refs``, an app type's ``npi``) must be defined here, with a document, an article and both
summaries, so a report never prints a bare code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from signatures.documents import STATUSES, Document, Reference
from signatures.fields import Entry
from signatures.model import KnowledgeBaseError
from signatures.validate import REF_PATTERN

FILE = "references.toml"
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# Texts that have no number of their own: a draft for comment, a platform's policy.
_UNNUMBERED = frozenset({"draft", "platform-policy"})


def _document(ident: str, data: Mapping[str, Any]) -> Document:
    entry = Entry(FILE, data, key="__id__")
    entry.ident = f"document.{ident}"
    status = entry.choice("status", STATUSES)
    doc = Document(
        id=ident,
        title_zh=entry.text("title_zh"),
        title_en=entry.text("title_en"),
        short_en=entry.text("short_en"),
        status=status,
        issuer=entry.text("issuer"),
        language=entry.choice("language", ("zh", "en")),  # type: ignore[arg-type]
        source=entry.source(),
        cite_as=entry.text("cite_as", ""),
        number=entry.text("number", ""),
        date=entry.text("date", ""),
        in_force=entry.text("in_force", ""),
        cite_by_number=entry.flag("cite_by_number", False),
        verified=entry.flag("verified", True),
        note=" ".join(entry.text("note", "").split()),
    )
    entry.done()
    if not doc.number and status not in _UNNUMBERED:
        raise entry.fail(f"a {status} text needs its number (文号 or standard number)")
    if not doc.date and status != "platform-policy":
        raise entry.fail("needs the date it was issued or published")
    for key, value in (("date", doc.date), ("in_force", doc.in_force)):
        if value and not _DATE.match(value):
            raise entry.fail(f"{key} {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    return doc


def _reference(entry: Entry, documents: Mapping[str, Document]) -> Reference:
    ident = entry.text("id")
    if not REF_PATTERN.match(ident):
        raise entry.fail("not a recognised reference id (document prefix and clause)")
    doc_id = entry.text("document")
    if doc_id not in documents:
        raise entry.fail(f"document {doc_id!r} is not defined in [document]")
    ref = Reference(
        id=ident,
        document=documents[doc_id],
        article=entry.text("article"),
        article_en=entry.text("article_en"),
        summary_en=" ".join(entry.text("summary_en").split()),
        summary_zh="".join(entry.text("summary_zh").split()),
        verified=entry.flag("verified", True),
        note=" ".join(entry.text("note", "").split()),
    )
    entry.done()
    if not ref.verified and not ref.note:
        raise entry.fail("an unverified reference needs a note saying what was not checked")
    return ref


def read(doc: Mapping[str, Any]) -> tuple[Mapping[str, Document], Mapping[str, Reference]]:
    """The documents and the references of ``references.toml``, checked, in file order."""
    unknown = sorted(set(doc) - {"document", "ref"})
    if unknown:
        raise KnowledgeBaseError(FILE, None, f"unknown top-level key(s): {', '.join(unknown)}")
    raw_docs = doc.get("document", {})
    raw_refs = doc.get("ref", [])
    if not isinstance(raw_docs, dict) or not all(isinstance(v, dict) for v in raw_docs.values()):
        raise KnowledgeBaseError(FILE, None, "'document' must be tables [document.ID]")
    if not isinstance(raw_refs, list) or not all(isinstance(r, dict) for r in raw_refs):
        raise KnowledgeBaseError(FILE, None, "'ref' must be an array of tables [[ref]]")
    documents = {ident: _document(ident, data) for ident, data in raw_docs.items()}
    references: dict[str, Reference] = {}
    for data in raw_refs:
        entry = Entry(FILE, data)
        if entry.ident in references:
            raise entry.fail("duplicate id")
        references[entry.ident] = _reference(entry, documents)
    return MappingProxyType(documents), MappingProxyType(references)


def titles(documents: Mapping[str, Document]) -> Mapping[str, str]:
    """Document id → one-line title (Chinese, number, English): the plain form older callers show."""
    out = {}
    for d in documents.values():
        number = f" ({d.number})" if d.number else ""
        out[d.id] = (f"{d.title_zh}{number}, {d.title_en}" if d.language == "zh" else f"{d.title_en}{number}")
    return MappingProxyType(out)

