"""Apply the current knowledge base to every app a batch stored, without re-scanning.

Each app's facts snapshot is re-run through the detectors: SDK attribution, categories,
rules and compliance all follow the new knowledge base. References it adds that were
not searched at scan time are not looked for — that needs a re-scan. Results that come
out the same are left untouched, so a re-match rewrites only what the update changed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from scanner.batch.job import Job, Row, write_audit
from scanner.batch.snapshot import FACTS_DIR
from scanner.gate.review import ScanOptions
from signatures.model import KnowledgeBase

_process_kb: list[KnowledgeBase] = []  # a pool process's knowledge base, loaded once by _start_process


def _start_process() -> None:
    """The entry point of a pool process: load the knowledge base once for every app it re-matches."""
    import signatures

    _process_kb.append(signatures.load())


def _rematch_in_pool(path: Path, out: str, formats: tuple[str, ...], options: ScanOptions) -> Row:
    return rematch_one(path, out, formats, options, _process_kb[0])


def rematch_one(path: Path, out: str, formats: tuple[str, ...], options: ScanOptions, kb: KnowledgeBase) -> Row:
    from scanner.analysis.detection import detect
    from scanner.batch.snapshot import read_snapshot
    from scanner.gate.review import review

    sha = path.name.removesuffix(".json.gz")
    facts, index, reach = read_snapshot(path)
    audit = review(detect(facts, index, reach, kb, options.app_category), options)
    write_audit(Job(facts.source.path, sha, out, formats), audit, kb, only_if_changed=True)
    return Row(sha, facts.source.path, audit.status.value, audit.errors[0].message if audit.errors else None)


def rematch(out: str, formats: tuple[str, ...], options: ScanOptions, kb: KnowledgeBase, workers: int = 1,
            on_row: Callable[[Row], None] = lambda row: None) -> list[Row]:
    """Re-match every stored app; pool processes load the default knowledge base themselves."""
    snapshots = sorted((Path(out) / FACTS_DIR).glob("*.json.gz"))
    if workers <= 1 or len(snapshots) < 2 * workers:
        rows = [rematch_one(p, out, formats, options, kb) for p in snapshots]
    else:
        with ProcessPoolExecutor(max_workers=workers, initializer=_start_process) as pool:
            rows = list(pool.map(_rematch_in_pool, snapshots, [out] * len(snapshots), [formats] * len(snapshots),
                                 [options] * len(snapshots), chunksize=16))
    for row in rows:
        on_row(row)
    return rows
