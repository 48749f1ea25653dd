"""Compact facts a batch keeps per app, so a newer knowledge base can be applied without re-scanning.

A snapshot holds what detectors read — manifest, files, URLs, the class inventory with
code sizes, the version clues, the call sites of the references searched at scan time, the int constants
of the methods calling an API with int argument rules, and the methods that run before
consent. Re-matching re-attributes and re-grades all of that with the
new knowledge base; references the new knowledge base adds were not searched at scan
time, so finding those needs a re-scan (``targets`` records what was searched).
"""

from __future__ import annotations

import dataclasses
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from scanner.analysis.facts import AppFacts, Source
from scanner.analysis.index import CodeIndex, index_of
from scanner.analysis.reachability import PreConsent
from scanner.analysis.urls import FoundUrl
from scanner.analysis.versions import VersionClue
from scanner.android.facts import ApkFacts
from scanner.atomic import write_atomic_bytes
from scanner.dex.dexset import CallSite
from scanner.dex.references import CodeGraph
from scanner.model import ScanError
from scanner.privacy_policy.model import Policy
from scanner.serial import from_plain, to_plain

FACTS_DIR = "facts"
SCHEMA = "appaudit-facts/1"


@dataclass(frozen=True, slots=True)
class StoredCode:
    """The class inventory of a scanned app: a ``CodeView`` without the dex files."""

    sizes: dict[str, int]
    classes: int
    methods: int

    @property
    def class_count(self) -> int:
        return self.classes

    @property
    def method_count(self) -> int:
        return self.methods

    def code_size_by_class(self) -> dict[str, int]:
        return self.sizes

    def class_names(self) -> list[str]:
        return list(self.sizes)


def snapshot_path(out: str | Path, sha256: str) -> Path:
    return Path(out) / FACTS_DIR / f"{sha256}.json.gz"


def write_snapshot(out: str | Path, sha256: str, facts: AppFacts | None, index: CodeIndex | None,
                   reach: PreConsent | None, knowledge_base: str) -> None:
    """Store what the detectors read, under the app's sha256, so a newer knowledge base can re-match it."""
    if facts is None or index is None or reach is None:
        return
    doc = {
        "schema": SCHEMA,
        "knowledge_base": knowledge_base,
        "source": to_plain(facts.source),
        # resource strings and the file list are not read by detectors (URLs are kept apart)
        "apk": to_plain(dataclasses.replace(facts.apk, resource_strings=(), files=())),
        "code": {"sizes": facts.dex.code_size_by_class(), "classes": facts.dex.class_count,
                 "methods": facts.dex.method_count},
        "dex_files": list(facts.dex_files), "ignored_dex": list(facts.ignored_dex),
        "problems": to_plain(facts.problems), "urls": to_plain(facts.urls),
        "sites": [[s.caller, s.target, s.kind, s.dex] for s in index.sites],
        "literals": {caller: sorted(ints) for caller, ints in index.literals.items()},  # int argument rules read them
        "reach": {"entries": list(reach.entries), "parents": reach.parents},
        "version_clues": [[c.source, c.where, c.value] for c in facts.version_clues],
        "policy": to_plain(facts.policy),  # the privacy policy as read (given or bundled), for a re-match
        "class_modules": facts.class_modules,  # an app bundle's classes outside its base module -> module
        # which packages use or extend which: a new knowledge base re-attributes code through it
        "graph": {"packages": list(facts.graph.packages), "uses": facts.graph.uses.tolist(),
                  "extends": facts.graph.extends.tolist()},
    }
    data = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode("utf-8")
    # not synced, like the app's other batch files; a re-match rereads it and the result is written after it
    write_atomic_bytes(snapshot_path(out, sha256), gzip.compress(data, compresslevel=6, mtime=0), durable=False)


def _loads(data: bytes) -> Any:
    """orjson: a re-match reads every stored app's snapshot, and the stdlib's parse was a fifth of re-matching
    one; the stdlib for what orjson refuses (a path of undecodable bytes, kept as lone surrogates)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def read_snapshot(path: Path) -> tuple[AppFacts, CodeIndex, PreConsent]:
    doc: dict[str, Any] = _loads(gzip.decompress(path.read_bytes()))
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"{path}: not a facts snapshot")
    facts = AppFacts(
        source=from_plain(Source, doc["source"]),
        apk=from_plain(ApkFacts, doc["apk"]),
        dex=StoredCode(doc["code"]["sizes"], doc["code"]["classes"], doc["code"]["methods"]),
        dex_files=tuple(doc["dex_files"]), ignored_dex=tuple(doc["ignored_dex"]),
        problems=from_plain(tuple[ScanError, ...], doc["problems"]),
        urls=from_plain(tuple[FoundUrl, ...], doc["urls"]),
        # snapshots written before version clues were gathered have none
        version_clues=tuple(VersionClue(*c) for c in doc.get("version_clues", ())),
        graph=_graph(doc.get("graph", {})),  # older snapshots: attribution by names only
        class_modules={str(k): str(v) for k, v in doc.get("class_modules", {}).items()},
        policy=from_plain(Policy | None, doc.get("policy")),  # older snapshots: none read
    )
    # snapshots written before int constants were kept have none: their int-decided calls stay unresolved
    index = index_of((CallSite(*s) for s in doc["sites"]), doc.get("literals", {}))
    reach = PreConsent(tuple(doc["reach"]["entries"]), dict(doc["reach"]["parents"]))
    return facts, index, reach



def _graph(doc: dict[str, list[Any]]) -> CodeGraph:
    """The stored graph, its edges checked against its package list (a damaged file gives no graph)."""
    packages = tuple(str(p) for p in doc.get("packages", ()))
    edges = [np.array(doc.get(k, []), dtype=np.int64).reshape(-1, 2) for k in ("uses", "extends")]
    if any(len(e) and (e.min() < 0 or e.max() >= len(packages)) for e in edges):
        return CodeGraph()
    return CodeGraph(packages, edges[0], edges[1])
