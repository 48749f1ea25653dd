"""Apply the current knowledge base to every app a batch stored, without re-scanning.

Each app's facts snapshot is re-run through the detectors: SDK attribution, categories,
rules and compliance all follow the new knowledge base. References it adds that were
not searched at scan time are not looked for — that needs a re-scan.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import signatures

from .appjob import Job, Row, write_audit
from .engine import detect
from .options import ScanOptions
from .snapshot import FACTS_DIR, read_snapshot


def rematch(out: str, formats: tuple[str, ...], options: ScanOptions,
            on_row: Callable[[Row], None] = lambda row: None) -> list[Row]:
    kb = signatures.load()
    rows = []
    for path in sorted((Path(out) / FACTS_DIR).glob("*.json.gz")):
        sha = path.name.removesuffix(".json.gz")
        facts, index, reach = read_snapshot(path)
        audit = detect(facts, index, reach, kb, options)
        write_audit(Job(facts.source.path, sha, out, formats), audit)
        row = Row(sha, facts.source.path, audit.status.value, audit.errors[0].message if audit.errors else None)
        rows.append(row)
        on_row(row)
    return rows
