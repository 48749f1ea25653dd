"""Apply the current knowledge base to every app a batch stored, without re-scanning.

Each app's facts snapshot is re-run through the detectors: SDK attribution, categories,
rules and compliance all follow the new knowledge base. References it adds that were
not searched at scan time are not looked for — that needs a re-scan. Results that come
out the same are left untouched, so a re-match rewrites only what the update changed.

Every app stored in the folder is a row, from every batch run into it: re-matched, or
kept as stored when it has no facts (its scan failed). An app whose facts or stored
result are damaged is an error row naming the file; its result then says so, and the
next batch given its input scans it again.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from scanner.batch.job import APPS_DIR, INTERNAL, Job, Row, failure_row, write_audit
from scanner.batch.snapshot import FACTS_DIR
from scanner.batch.store import UNREADABLE, DamagedResult, input_path, read_inputs, read_result, store_damage
from scanner.gate.review import ScanOptions
from signatures.model import KnowledgeBase

# what reading a damaged snapshot raises: gzip (OSError, EOFError, zlib.error), JSON, and missing or mistyped fields
SNAPSHOT_DAMAGE = (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError, IndexError, AttributeError)

_process_kb: list[KnowledgeBase] = []  # a pool process's knowledge base, loaded once by _start_process


class NotABatch(Exception):
    """``--rematch`` was given a folder that holds no batch."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def check_batch(out: str) -> None:
    """Raise ``NotABatch`` unless ``out`` is a folder a batch wrote its results in."""
    folder = Path(out)
    if not folder.exists():
        raise NotABatch(out, "no such folder")
    if not folder.is_dir():
        raise NotABatch(out, "not a folder")
    if not (folder / APPS_DIR).is_dir():
        raise NotABatch(out, f"not a batch output folder: it has no {APPS_DIR}/ folder of results "
                             "(`appaudit batch PATH… -o OUT` makes one)")


def _start_process() -> None:
    """The entry point of a pool process: load the knowledge base once for every app it re-matches."""
    import signatures

    _process_kb.append(signatures.load())


def _rematch_in_pool(path: Path, out: str, formats: tuple[str, ...], options: ScanOptions) -> Row:
    return rematch_one(path, out, formats, options, _process_kb[0])


def rematch_one(path: Path, out: str, formats: tuple[str, ...], options: ScanOptions, kb: KnowledgeBase) -> Row:
    """Re-match one snapshot; never raises for a damaged snapshot or a failing app."""
    from scanner.analysis.detection import detect
    from scanner.batch.snapshot import read_snapshot
    from scanner.gate.review import review

    sha = path.name.removesuffix(".json.gz")
    try:
        facts, index, reach = read_snapshot(path)
    except SNAPSHOT_DAMAGE as exc:
        return store_damage(out, sha, input_path(out, sha), formats,
                            f"its stored facts {path} are damaged ({type(exc).__name__}: {exc}); "
                            "give its input to `appaudit batch` again to scan it again", kb)
    job = Job(facts.source.path, sha, out, formats, lang=options.lang)
    try:
        audit = review(detect(facts, index, reach, kb, options.app_category), options, kb)
        write_audit(job, audit, kb, only_if_changed=True)
    except Exception as exc:  # noqa: BLE001 -- a bug or a full disk costs this app, as its error row
        return failure_row(job, INTERNAL, f"internal error while re-matching: {type(exc).__name__}: {exc}", kb)
    first = audit.errors[0] if audit.errors else None
    return Row(sha, facts.source.path, audit.status.value, first.message if first else None,
               first.code if first else None, "rematch")


def _kept(out: str, sha: str, formats: tuple[str, ...], kb: KnowledgeBase) -> Row:
    """The row of a stored app with no facts to re-match (its scan failed), as stored."""
    try:
        stored = read_result(out, sha)
        if stored is None:
            raise DamagedResult(Path(out) / APPS_DIR / f"{sha}.json", "is gone")
    except DamagedResult as exc:
        return store_damage(out, sha, input_path(out, sha), formats,
                            f"its stored result {exc.path} {exc.reason}, and it has no facts to re-match; "
                            "give its input to `appaudit batch` again to scan it again", kb)
    return stored.row(sha, str(stored.doc["input"].get("path") or sha))


def rematch(out: str, formats: tuple[str, ...], options: ScanOptions, kb: KnowledgeBase, workers: int = 1,
            on_row: Callable[[Row], None] = lambda row: None) -> list[Row]:
    """Re-match every stored app, and row every other one as stored; pool processes load the default
    knowledge base themselves."""
    folder = Path(out)
    current = set(read_inputs(folder, lambda note: None).values())
    snapshots = sorted((folder / FACTS_DIR).glob("*.json.gz"))
    matched = {p.name.removesuffix(".json.gz") for p in snapshots}
    others = sorted(sha for sha in (p.name.removesuffix(".json") for p in (folder / APPS_DIR).glob("*.json"))
                    if sha not in matched and (not sha.startswith(UNREADABLE) or sha in current))
    if workers <= 1 or len(snapshots) < 2 * workers:
        rows = [rematch_one(p, out, formats, options, kb) for p in snapshots]
    else:
        with ProcessPoolExecutor(max_workers=workers, initializer=_start_process) as pool:
            rows = list(pool.map(_rematch_in_pool, snapshots, [out] * len(snapshots), [formats] * len(snapshots),
                                 [options] * len(snapshots), chunksize=16))
    rows += [_kept(out, sha, formats, kb) for sha in others]
    rows.sort(key=lambda r: r.sha256)
    for row in rows:
        on_row(row)
    return rows
