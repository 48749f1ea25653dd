"""One app of a batch: scan it, write its results under its sha256, return a summary row.

The same function runs in local worker processes and on Dask workers, so a batch
gives the same files whichever way it was run. Files are written atomically and
named by content hash: a re-run skips what exists, and two names for one APK are
scanned once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.atomic import write_atomic
from scanner.errors import ScanFailure
from scanner.model import Audit, InputInfo, Status
from signatures.model import KnowledgeBase

APPS_DIR = "apps"


@dataclass(frozen=True, slots=True)
class Job:
    path: str
    sha256: str
    out: str
    formats: tuple[str, ...] = ("json", "html")
    category: str | None = None
    config: str | None = None  # policy file, loaded in the worker

    def to_json(self) -> str:
        return json.dumps({"path": self.path, "sha256": self.sha256, "out": self.out, "formats": self.formats,
                           "category": self.category, "config": self.config})

    @classmethod
    def from_json(cls, text: str) -> Job:
        doc = json.loads(text)
        return cls(doc["path"], doc["sha256"], doc["out"], tuple(doc["formats"]), doc["category"], doc["config"])


@dataclass(frozen=True, slots=True)
class Row:
    """What the coordinator needs to know about a finished app."""

    sha256: str
    path: str
    status: str
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def result_path(out: str | Path, sha256: str, suffix: str = ".json") -> Path:
    return Path(out) / APPS_DIR / f"{sha256}{suffix}"


def is_done(out: str | Path, sha256: str) -> bool:
    """The app's JSON result is there and whole. Batch files are not synced (see ``scanner.atomic``): after a
    power loss a result can be torn, and the JSON writer's last bytes (``}`` and a newline) tell a whole one."""
    try:
        with open(result_path(out, sha256), "rb") as result:
            result.seek(-2, 2)
            return result.read(2) == b"}\n"
    except OSError:  # missing, or shorter than two bytes
        return False


def write_audit(job: Job, audit: Audit, kb: KnowledgeBase, only_if_changed: bool = False) -> None:
    """Write every requested format; JSON last, because its presence marks the app as done."""
    from reports import WRITERS

    for fmt in sorted(job.formats, key=lambda f: f == "json"):
        if fmt in WRITERS:
            target, text = result_path(job.out, job.sha256, WRITERS[fmt].suffix), WRITERS[fmt].render(audit, kb)
            if only_if_changed and _same(target, text):
                continue
            write_atomic(target, text, durable=False)  # a torn result is scanned again: see is_done


def _same(target: Path, text: str) -> bool:
    try:
        return target.read_text(encoding="utf-8") == text
    except OSError:
        return False


def run_job(job: Job, kb: KnowledgeBase) -> Row:
    """Scan one app in this process; never raises for a bad app."""
    from scanner.analysis.engine import analyse
    from scanner.batch.snapshot import write_snapshot
    from scanner.gate.policy import load_policy
    from scanner.gate.review import ScanOptions, review

    options = ScanOptions(category=job.category, policy=load_policy(Path(job.config), kb) if job.config else None)
    analysis = analyse(job.path, kb, options.analysis)
    audit = review(analysis.audit, options)
    write_snapshot(job.out, job.sha256, analysis.facts, analysis.index, analysis.reach, kb.version)
    write_audit(job, audit, kb)
    return Row(job.sha256, job.path, audit.status.value, audit.errors[0].message if audit.errors else None)


def failure_row(job: Job, code: str, reason: str, kb: KnowledgeBase) -> Row:
    """Record an app whose worker timed out, ran out of memory or crashed, as its error result."""
    from scanner.analysis.result import error_audit

    failure = ScanFailure(job.path, reason)
    failure.code = code
    audit = error_audit(InputInfo(job.path, job.sha256, _size(job.path), None), failure, kb)
    write_audit(job, audit, kb)
    return Row(job.sha256, job.path, Status.ERROR.value, str(failure))


def _size(path: str) -> int | None:
    try:
        return Path(path).stat().st_size
    except OSError:
        return None
