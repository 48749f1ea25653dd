"""Command line: the only place that reads argv, prints, and picks exit codes (see ``gate/verdict.py``).

Start-up is kept cheap: ``appaudit --help`` and ``--version`` import argparse and little else. The
work behind a command (androguard, NumPy, pandas, Jinja, httpx) is imported only once that command
runs; ``tests/test_startup.py`` checks it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from scanner.cli.knowledge import register
from scanner.version import __version__

# the labels of scanner.model.Severity, lowest first (tests/test_startup.py checks they agree), written
# out so that building the parser does not load the result model
SEVERITIES = ["info", "low", "medium", "high", "critical"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"appaudit: {message}", file=sys.stderr)
        from scanner.gate.verdict import EXIT_USAGE

        raise SystemExit(EXIT_USAGE)


def _scan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--category", metavar="TYPE", help="app type to check necessary information against "
                   "(one of the 39 types, e.g. short_video or NPI2021-29; default: from appaudit.toml)")
    p.add_argument("--config", metavar="FILE", help="policy file (default: ./appaudit.toml if present)")
    p.add_argument("--baseline", metavar="FILE", help="accept the findings recorded in this baseline file")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="appaudit", description="Static privacy audit of Android apps.")
    parser.add_argument("--version", action="version", version=f"appaudit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scan = commands.add_parser("scan", help="audit APKs and split bundles (XAPK, APKS, APKM)")
    scan.add_argument("paths", nargs="+", metavar="PATH",
                      help="APK, split bundle, folder (searched recursively) or a .txt list of paths")
    scan.add_argument("-o", "--output", default="appaudit-reports", metavar="DIR",
                      help="folder for results, or - for standard output (default: %(default)s)")
    scan.add_argument("-f", "--format", default=None, metavar="FORMATS",
                      help="comma-separated: json, html, sarif, md (default: json,html)")
    _scan_options(scan)
    scan.add_argument("--fail-on", choices=SEVERITIES, help="exit 1 if a finding at or above this severity "
                      "is not accepted by the policy or baseline")
    scan.add_argument("--fail-on-new", action="store_true",
                      help="exit 1 for findings the baseline does not hold (needs --baseline)")

    base = commands.add_parser("baseline", help="accept the current findings of an app")
    base_commands = base.add_subparsers(dest="baseline_command", required=True, parser_class=_Parser)
    create = base_commands.add_parser("create", help="write a baseline of every finding of APK")
    create.add_argument("path", metavar="APK")
    create.add_argument("-o", "--output", required=True, metavar="FILE")
    create.add_argument("--reason", default="accepted when the baseline was created",
                        help="the reason recorded with each finding")
    _scan_options(create)

    diff = commands.add_parser("diff", help="what changed in the privacy footprint between two builds")
    diff.add_argument("old", metavar="OLD", help="APK or an earlier JSON result")
    diff.add_argument("new", metavar="NEW", help="APK or a JSON result")
    diff.add_argument("-f", "--format", default="md", metavar="FORMATS", help="md, json, html (default: md)")
    diff.add_argument("-o", "--output", default="-", metavar="DIR", help="folder, or - (default: standard output)")
    diff.add_argument("--fail-on-new", action="store_true", help="exit 1 when the footprint grew")
    _scan_options(diff)

    batch = commands.add_parser("batch", help="audit many apps: parallel, resumable, a dataset and a dashboard")
    batch.add_argument("paths", nargs="*", metavar="PATH", help="APKs, bundles, folders or .txt lists")
    batch.add_argument("-o", "--output", metavar="OUT", help="output folder (results, dataset/, index.html)")
    batch.add_argument("-f", "--format", default="json,html", metavar="FORMATS",
                       help="per-app formats besides the dataset (default: %(default)s)")
    batch.add_argument("--workers", type=int, default=os.cpu_count() or 1, metavar="N",
                       help="worker processes (default: one per core)")
    batch.add_argument("--timeout", type=float, default=300.0, metavar="S", help="seconds per app (default 300)")
    batch.add_argument("--max-memory", type=int, default=4096, metavar="MB",
                       help="address space per worker (default 4096)")
    batch.add_argument("--dask", metavar="ADDRESS", help="run on a Dask cluster (scheduler address, or local)")
    batch.add_argument("--retry-errors", action="store_true", help="scan again the apps that failed before")
    batch.add_argument("--rematch", metavar="OUT", help="apply the current knowledge base to a finished batch "
                       "without re-scanning")
    batch.add_argument("--category", metavar="TYPE", help="app type for every app (see scan --category)")
    batch.add_argument("--config", metavar="FILE", help="policy file applied to every app")

    register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    # a reader that stops early (`appaudit … | head`) ends the output quietly, as for any Unix tool
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = build_parser().parse_args(argv)
    # each command imports what it needs (androguard, NumPy, Jinja… for a scan; httpx for an update) when it runs
    if args.command in ("scan", "baseline", "diff"):
        from scanner.cli import commands

        if args.command == "scan":
            return commands.scan(args)
        if args.command == "baseline":
            return commands.baseline_create(args)
        return commands.diff(args)
    if args.command == "batch":
        from scanner.cli.batch import batch

        return batch(args)
    from scanner.cli.knowledge import run

    return run(args)
