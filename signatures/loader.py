"""Read the data folder, merge the Exodus mirror with our own SDK entries, validate.

The bundled folder is read through importlib.resources so it works from a
wheel or a zip; `validate PATH` and tests pass a plain directory instead.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from signatures import build, gbt41391, references
from signatures.fields import Entry
from signatures.model import KnowledgeBase, KnowledgeBaseError, TrackerSignature
from signatures.validate import validate

T = TypeVar("T")
TRACKERS_FILE = "trackers.toml"
MARKERS_FILE = "libchecker.toml"
POLICY_TERMS_FILE = "policy_terms.toml"
_MARKER_KEYS = ("prefixes", "components", "libraries")
CACHE_SCHEMA = "appaudit-trackers/1"


def bundled_dir() -> Traversable:
    return resources.files("signatures") / "data"


def read_toml(folder: Traversable | Path, name: str) -> dict[str, Any]:
    path = folder / name
    if not path.is_file():
        raise KnowledgeBaseError(name, None, "file is missing")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KnowledgeBaseError(name, None, f"not valid TOML: {exc}") from None


def _entries(file: str, doc: dict[str, Any], key: str, builder: Callable[[Entry], T],
             id_key: str = "id") -> list[T]:
    raw = doc.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise KnowledgeBaseError(file, None, f"{key!r} must be an array of tables")
    default = doc.get("source", [])
    default_source = tuple(default) if isinstance(default, list) else (default,)
    items, seen = [], set()
    for data in raw:
        entry = Entry(file, data, key=id_key, default_source=default_source)
        if entry.ident in seen:
            raise entry.fail("duplicate id")
        seen.add(entry.ident)
        items.append(builder(entry))
    return items


def sdk_entries(file: str, raw: Sequence[dict[str, Any]], origin: str,
                default_source: tuple[str, ...] = ()) -> list[TrackerSignature]:
    return _entries(file, {"sdk": list(raw), "source": list(default_source)}, "sdk",
                    lambda e: build.sdk(e, origin))


def read_cache(path: Path) -> list[dict[str, Any]]:
    """Tracker entries written by `signatures update` (JSON: machine-written, not reviewed)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise KnowledgeBaseError(str(path), None, f"unreadable cache: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != CACHE_SCHEMA or not isinstance(doc.get("sdk"), list):
        raise KnowledgeBaseError(str(path), None, f"not an {CACHE_SCHEMA} cache file")
    entries: list[dict[str, Any]] = doc["sdk"]  # each is checked key by key when it is built
    return entries


def merge(exodus: Iterable[TrackerSignature], ours: Iterable[TrackerSignature],
          ) -> tuple[list[TrackerSignature], list[str]]:
    """Our entries win: they replace Exodus trackers they name and take over shared prefixes."""
    ours = list(ours)
    replaced = {eid: o.id for o in ours for eid in o.exodus_ids}
    our_prefixes = {p: o.id for o in ours for p in o.prefixes}
    our_ids = {o.id for o in ours}
    merged, notes = list(ours), []
    for tracker in exodus:
        owner = next((replaced[e] for e in tracker.exodus_ids if e in replaced), None)
        if owner is not None:
            notes.append(f"exodus {tracker.exodus_ids[0]} ({tracker.name}) is replaced by our entry {owner!r}")
            continue
        taken = [p for p in tracker.prefixes if p in our_prefixes]
        for prefix in taken:
            notes.append(f"exodus {tracker.exodus_ids[0]} ({tracker.name}): prefix {prefix!r} "
                         f"belongs to our entry {our_prefixes[prefix]!r}")
        ident = tracker.id
        if ident in our_ids:
            ident = f"{ident}-exodus-{tracker.exodus_ids[0]}"
            notes.append(f"exodus {tracker.exodus_ids[0]} ({tracker.name}): id clashes with ours, renamed {ident!r}")
        if taken or ident != tracker.id:
            tracker = dataclasses.replace(
                tracker, id=ident, prefixes=tuple(p for p in tracker.prefixes if p not in our_prefixes))
        merged.append(tracker)
    return merged, notes


def add_markers(doc: dict[str, Any], ours: list[TrackerSignature], exodus: list[TrackerSignature],
                exodus_from_cache: bool) -> tuple[list[TrackerSignature], list[TrackerSignature], list[str]]:
    """Fold the imported LibChecker markers (libchecker.toml) into the entries they name.

    Each group names one SDK id (ours first, then the Exodus list) and adds package prefixes,
    manifest component names and native library names to it, plus the data set to its source.
    A group whose Exodus tracker is missing from a user's cache is skipped with a note; in the
    bundled data it is an error.
    """
    source = doc.get("source")
    if not isinstance(source, str) or not source.strip():
        raise KnowledgeBaseError(MARKERS_FILE, None, "needs a string key 'source' naming the data set")
    by_id = {s.id: ("ours", i) for i, s in enumerate(ours)}
    for i, s in enumerate(exodus):
        by_id.setdefault(s.id, ("exodus", i))
    lists = {"ours": list(ours), "exodus": list(exodus)}
    notes: list[str] = []
    for data in _tables(doc, "markers"):
        entry = Entry(MARKERS_FILE, data, key="sdk")
        sdk_id = entry.text("sdk")
        entry.texts("labels")  # the LibChecker labels, for reviewers
        added = {key: entry.texts(key) for key in _MARKER_KEYS}
        entry.done()
        if not any(added.values()):
            raise entry.fail("a marker group needs at least one prefix, component or library")
        where = by_id.get(sdk_id)
        if where is None:
            if exodus_from_cache:
                notes.append(f"{MARKERS_FILE}: no tracker {sdk_id!r} in the cache; its markers are not used")
                continue
            raise entry.fail(f"no SDK with id {sdk_id!r} in sdks.toml or {TRACKERS_FILE}")
        kind, index = where
        target = lists[kind][index]
        merged = {key: tuple(dict.fromkeys((*getattr(target, key), *added[key]))) for key in _MARKER_KEYS}
        lists[kind][index] = dataclasses.replace(
            target, prefixes=merged["prefixes"], components=merged["components"], libraries=merged["libraries"],
            source=target.source if source in target.source else (*target.source, source))
    return lists["ours"], lists["exodus"], notes


def _tables(doc: dict[str, Any], key: str) -> list[dict[str, Any]]:
    raw = doc.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise KnowledgeBaseError(MARKERS_FILE, None, f"{key!r} must be an array of tables")
    return raw


def load_dir(folder: Traversable | Path, trackers_cache: Path | None = None) -> KnowledgeBase:
    """Build and validate a KnowledgeBase from one data folder (plus an optional tracker cache)."""
    meta = read_toml(folder, "meta.toml")
    version, date = meta.get("version"), meta.get("date")
    if not isinstance(version, str) or not isinstance(date, str):
        raise KnowledgeBaseError("meta.toml", None, "needs string keys 'version' and 'date'")
    sdk_categories = meta.get("sdk_categories", {})
    sdk_categories_zh = meta.get("sdk_categories_zh", {})
    if set(sdk_categories_zh) != set(sdk_categories):
        missing = sorted(set(sdk_categories) ^ set(sdk_categories_zh))
        raise KnowledgeBaseError("meta.toml", None, f"sdk_categories and sdk_categories_zh differ in {missing}")
    umbrella = meta.get("validation", {}).get("umbrella_prefixes", [])

    pi_doc = read_toml(folder, "pi_categories.toml")
    pis = _entries("pi_categories.toml", pi_doc, "pi", build.pi_category)

    provenance = f"bundled {TRACKERS_FILE}"
    exodus_file = TRACKERS_FILE
    if trackers_cache is not None:
        exodus = sdk_entries(str(trackers_cache), read_cache(trackers_cache), "exodus")
        provenance, exodus_file = f"cache {trackers_cache}", str(trackers_cache)
    else:
        exodus = _entries(TRACKERS_FILE, read_toml(folder, TRACKERS_FILE), "sdk",
                          lambda e: build.sdk(e, "exodus"))
    ours = _entries("sdks.toml", read_toml(folder, "sdks.toml"), "sdk", lambda e: build.sdk(e, "appaudit"))
    ours, exodus, marker_notes = add_markers(read_toml(folder, MARKERS_FILE), ours, exodus, trackers_cache is not None)
    sdks, notes = merge(exodus, ours)
    notes += marker_notes

    perm_doc = read_toml(folder, "permissions.toml")
    permissions = _entries("permissions.toml", perm_doc, "permission", build.permission, id_key="name")
    api_doc = read_toml(folder, "apis.toml")
    apis = _entries("apis.toml", api_doc, "api", build.api)
    constants = _entries("apis.toml", api_doc, "constant", build.constant, id_key="value")
    categories = _entries("categories.toml", read_toml(folder, "categories.toml"), "category",
                          build.app_category)
    rules_doc = read_toml(folder, "rules.toml")
    rules = _entries("rules.toml", rules_doc, "rule", build.rule)
    packers = _entries("packers.toml", read_toml(folder, "packers.toml"), "packer", build.packer)
    documents, refs = references.read(read_toml(folder, references.FILE))
    policy_terms = build.policy_terms(POLICY_TERMS_FILE, read_toml(folder, POLICY_TERMS_FILE))
    gbt = gbt41391.read(read_toml(folder, gbt41391.FILE))

    kb = KnowledgeBase(
        version=version if trackers_cache is None else f"{version}+exodus-cache",
        date=date,
        provenance=provenance,
        sdks=tuple(sdks),
        apis=tuple(apis),
        constants=tuple(constants),
        permissions=MappingProxyType({p.name: p for p in permissions}),
        categories=MappingProxyType({c.id: c for c in categories}),
        rules=MappingProxyType({r.id: r for r in rules}),
        packers=tuple(packers),
        pi_categories=MappingProxyType({p.id: p for p in pis}),
        sdk_categories=MappingProxyType(dict(sdk_categories)),
        sdk_categories_zh=MappingProxyType(dict(sdk_categories_zh)),
        documents=references.titles(documents),
        references=refs,
        merge_notes=tuple(notes),
        policy_terms=policy_terms,
        gbt41391=gbt,
    )
    sdk_files = {s.id: ("sdks.toml" if s.origin == "appaudit" else exodus_file) for s in kb.sdks}
    validate(kb, sdk_files, frozenset(umbrella))
    return kb
