"""``appaudit batch``: run or resume a batch, or re-match one, then rebuild its outputs.

The final line and the exit code are counted from the same rows, one per distinct app of the run
(scanned now or done earlier; for ``--rematch``, every app stored): exit 3 when one of them failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import signatures
from scanner.batch.coordinator import BatchConfig, finish, plan, prepare, run_batch
from scanner.batch.job import Row
from scanner.batch.progress import Progress
from scanner.batch.store import DAMAGED
from scanner.cli.commands import UsageError, app_type, formats_of, guard, writable_folder
from scanner.gate.policy import load_policy
from scanner.gate.review import ScanOptions
from scanner.gate.verdict import EXIT_INPUT, EXIT_OK


def _warn(note: str) -> None:
    """One line, whatever a file name holds (a newline, bytes that are not UTF-8)."""
    note = "".join(c if c.isprintable() else repr(c)[1:-1] for c in note)
    print(f"batch: warning: {note}", file=sys.stderr)


def _tally(rows: Sequence[Row]) -> str:
    count = {s: sum(1 for r in rows if r.status == s) for s in ("ok", "partial", "error")}
    return f"{count['ok']} ok, {count['partial']} partial, {count['error']} failed"


def _lang(value: str) -> str:
    from reports.i18n import normalize_lang

    try:
        return normalize_lang(value)
    except ValueError as exc:
        raise UsageError(f"--lang: {exc}") from None


@guard
def batch(args: argparse.Namespace) -> int:
    from reports import WRITERS

    formats = tuple(formats_of(args.format, WRITERS, ("json", "html")))
    if "json" not in formats:
        formats = ("json", *formats)  # the JSON result marks an app as done and feeds the dataset
    kb = signatures.load()
    category = app_type(kb, args.category)
    policy = load_policy(Path(args.config), kb) if args.config else None
    lang = _lang(getattr(args, "lang", None) or (policy.lang if policy else None) or "en")
    rows: Sequence[Row]
    if args.rematch:
        from scanner.batch.rematch import NotABatch, check_batch, rematch

        if args.paths or (args.output and args.output != args.rematch):
            raise UsageError("--rematch OUT takes no input paths and no other output folder")
        try:
            check_batch(args.rematch)
        except NotABatch as exc:
            raise UsageError(f"--rematch {exc}") from None
        rows = rematch(args.rematch, formats, ScanOptions(category=category, policy=policy, lang=lang), kb,
                       args.workers)
        for row in rows:
            if row.code == DAMAGED:
                _warn(row.error or row.path)
        matched = sum(1 for r in rows if r.source == "rematch")
        kept = f", {len(rows) - matched} kept as stored (no facts to re-match)" if len(rows) > matched else ""
        print(f"batch: re-matched {matched} stored apps with knowledge base {kb.version}{kept}: {_tally(rows)}",
              file=sys.stderr)
        out = args.rematch
    else:
        if not (args.paths or args.source) or not args.output:
            raise UsageError("batch needs input paths (or --from STORE:WHERE) and -o OUT (or --rematch OUT)")
        if args.workers < 1 or args.timeout <= 0:
            raise UsageError("--workers must be at least 1 and --timeout positive")
        writable_folder(args.output)
        config = BatchConfig(args.output, args.workers, args.timeout, args.max_memory, formats, category,
                             str(Path(args.config).resolve()) if args.config else None, args.retry_errors,
                             args.dask, lang=lang)
        if args.source:
            from scanner.cli.fetch import batch_from

            result = batch_from(args, config, kb, _warn)
        else:
            inputs = plan(args.paths)
            prepared = prepare(inputs, config, _warn)
            progress = Progress(len(prepared.jobs))
            try:
                result = run_batch(inputs, config, kb, progress.update, prepared, _warn)
            finally:
                progress.close()
        rows = result.all_rows
        print(f"batch: {result.inputs} inputs, {result.apps} distinct apps, {result.skipped} done earlier, "
              f"{len(result.rows)} scanned now: {_tally(rows)}", file=sys.stderr)
        out = args.output
    finish(out, kb, rows, _warn, lang)
    print(f"batch: dataset in {out}/dataset, dashboard {out}/index.html, summary {out}/summary.json",
          file=sys.stderr)
    return EXIT_INPUT if any(r.status == "error" for r in rows) else EXIT_OK
