"""``appaudit batch``: run or resume a batch, or re-match one, then rebuild its outputs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import signatures
from scanner.batch.coordinator import BatchConfig, finish, plan, prepare, run_batch
from scanner.batch.progress import Progress
from scanner.cli.commands import UsageError, app_type, formats_of, guard
from scanner.gate.policy import load_policy
from scanner.gate.review import ScanOptions
from scanner.gate.verdict import EXIT_INPUT, EXIT_OK


@guard
def batch(args: argparse.Namespace) -> int:
    from reports import WRITERS

    formats = tuple(formats_of(args.format, WRITERS, ("json", "html")))
    if "json" not in formats:
        formats = ("json", *formats)  # the JSON result marks an app as done and feeds the dataset
    kb = signatures.load()
    category = app_type(kb, args.category)
    policy = load_policy(Path(args.config), kb) if args.config else None
    if args.rematch:
        from scanner.batch.rematch import rematch

        if args.paths or (args.output and args.output != args.rematch):
            raise UsageError("--rematch OUT takes no input paths and no other output folder")
        rows = rematch(args.rematch, formats, ScanOptions(category=category, policy=policy), kb, args.workers)
        print(f"batch: re-matched {len(rows)} stored apps with knowledge base {kb.version}",
              file=sys.stderr)
        out = args.rematch
    else:
        if not args.paths or not args.output:
            raise UsageError("batch needs input paths and -o OUT (or --rematch OUT)")
        if args.workers < 1 or args.timeout <= 0:
            raise UsageError("--workers must be at least 1 and --timeout positive")
        config = BatchConfig(args.output, args.workers, args.timeout, args.max_memory, formats, category,
                             str(Path(args.config).resolve()) if args.config else None, args.retry_errors,
                             args.dask)
        inputs = plan(args.paths)
        jobs = prepare(inputs, config)
        progress = Progress(len(jobs))
        try:
            result = run_batch(inputs, config, kb, progress.update, jobs)
        finally:
            progress.close()
        print(f"batch: {result.inputs} inputs, {result.apps} distinct apps, {result.skipped} done earlier, "
              f"{len(result.rows)} scanned now, {result.failed} failed", file=sys.stderr)
        out = args.output
    summary = finish(out, kb)
    print(f"batch: dataset in {out}/dataset, dashboard {out}/index.html, summary {out}/summary.json",
          file=sys.stderr)
    return EXIT_INPUT if summary["status"]["error"] else EXIT_OK
