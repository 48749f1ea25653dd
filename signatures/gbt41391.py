"""Read ``gbt41391.toml`` (GB/T 41391-2022, Annexes A, E and F) into its typed rows.

Apart from ``build`` because the file has three tables of its own kind and a rule of its own: a row not
read in the standard's text (``verified = false``) must say in ``note`` what it rests on, so a guess is
never silent. Cross-file references (app types, permissions, pi categories) are checked in ``validate``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from signatures.fields import Entry
from signatures.model import DeviceIdentifier, Gbt41391, KnowledgeBaseError, LowRelevance, NecessaryScope

FILE = "gbt41391.toml"
T = TypeVar("T")


def _checked(entry: Entry, row: T, verified: bool, note: str) -> T:
    entry.done()
    if not verified and not note:
        raise entry.fail("an unverified row needs a note saying what it rests on")
    return row


def _necessary(entry: Entry) -> NecessaryScope:
    verified, note = entry.flag("verified", True), " ".join(entry.text("note", "").split())
    row = NecessaryScope(app_type=entry.text("app_type"), items=entry.texts("items"), source=entry.source(),
                         verified=verified, note=note)
    return _checked(entry, row, verified, note)


def _low_relevance(entry: Entry) -> LowRelevance:
    verified, note = entry.flag("verified", True), " ".join(entry.text("note", "").split())
    row = LowRelevance(app_type=entry.text("app_type"), permissions=entry.texts("permissions"),
                       source=entry.source(), verified=verified, note=note)
    if not row.permissions:
        raise entry.fail("a row needs at least one permission")
    return _checked(entry, row, verified, note)


def _identifier(entry: Entry) -> DeviceIdentifier:
    verified, note = entry.flag("verified", True), " ".join(entry.text("note", "").split())
    if "resettable" not in entry.data:
        raise entry.fail("missing required key 'resettable'")
    resettable = entry.flag("resettable", False)
    row = DeviceIdentifier(category=entry.text("category"), resettable=resettable, source=entry.source(),
                           verified=verified, note=note)
    return _checked(entry, row, verified, note)


def _rows(doc: Mapping[str, Any], key: str, id_key: str, builder: Callable[[Entry], T]) -> tuple[T, ...]:
    raw = doc.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise KnowledgeBaseError(FILE, None, f"{key!r} must be an array of tables")
    default = doc.get("source", [])
    default_source = tuple(default) if isinstance(default, list) else (default,)
    rows, seen = [], set()
    for data in raw:
        entry = Entry(FILE, data, key=id_key, default_source=default_source)
        entry.ident = f"{key} {entry.ident}"
        if entry.ident in seen:
            raise entry.fail("duplicate row")
        seen.add(entry.ident)
        rows.append(builder(entry))
    return tuple(rows)


def read(doc: Mapping[str, Any]) -> Gbt41391:
    """The three annexes' rows, each checked; unknown top-level keys are errors, like unknown row keys."""
    unknown = sorted(set(doc) - {"source", "necessary", "low_relevance", "identifier"})
    if unknown:
        raise KnowledgeBaseError(FILE, None, f"unknown top-level key(s): {', '.join(unknown)}")
    return Gbt41391(
        necessary=_rows(doc, "necessary", "app_type", _necessary),
        low_relevance=_rows(doc, "low_relevance", "app_type", _low_relevance),
        identifiers=_rows(doc, "identifier", "category", _identifier),
    )
