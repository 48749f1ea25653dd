"""Command line: the only place that reads argv, prints, and picks exit codes.

Exit codes: 0 analysed; 2 usage, configuration or data error; 3 an input could
not be analysed (its result is still written, with ``status: "error"``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from . import __version__
from .engine import scan
from .inputs import expand
from .model import Audit, Status

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INPUT = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"appaudit: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="appaudit", description="Static privacy audit of Android apps.")
    parser.add_argument("--version", action="version", version=f"appaudit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    scan_p = commands.add_parser("scan", help="audit APKs and split bundles (XAPK, APKS, APKM)")
    scan_p.add_argument("paths", nargs="+", metavar="PATH",
                        help="APK, split bundle, folder (searched recursively) or a .txt list of paths")
    scan_p.add_argument("-o", "--output", default="appaudit-reports", metavar="DIR",
                        help="folder for results, or - for standard output (default: %(default)s)")
    scan_p.add_argument("-f", "--format", default="json", metavar="FORMATS",
                        help="comma-separated output formats (default: %(default)s)")
    try:
        from signatures.cli import register
    except ImportError:  # the knowledge-base commands are optional to the scanner
        pass
    else:
        register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "scan":
        return _scan(args)
    from signatures.cli import run

    return run(args)


def _scan(args: argparse.Namespace) -> int:
    from reports import WRITERS

    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    unknown = [f for f in formats if f not in WRITERS]
    if unknown or not formats:
        print(f"appaudit: unknown format {', '.join(unknown) or '(none)'}; "
              f"available: {', '.join(sorted(WRITERS))}", file=sys.stderr)
        return EXIT_USAGE
    paths = expand(args.paths)
    if not paths:
        print("appaudit: no APK, XAPK, APKS or APKM found in the given paths", file=sys.stderr)
        return EXIT_USAGE
    to_stdout = args.output == "-"
    if to_stdout and (len(paths) != 1 or formats != ["json"]):
        print("appaudit: -o - needs exactly one input and -f json", file=sys.stderr)
        return EXIT_USAGE
    failed = 0
    used: set[str] = set()
    for path in paths:
        audit = scan(path)
        failed += audit.status == Status.ERROR
        if to_stdout:
            sys.stdout.write(WRITERS["json"].render(audit))
            continue
        written = [_write(Path(args.output), _stem(audit, used), WRITERS[f].suffix, WRITERS[f].render(audit))
                   for f in formats]
        _report(audit, written)
    return EXIT_INPUT if failed else EXIT_OK


def _stem(audit: Audit, used: set[str]) -> str:
    """The input's file stem; a second input with the same stem gets its sha256 prefix added."""
    stem = Path(audit.input.path).stem or "app"
    if stem in used:
        stem = f"{stem}-{(audit.input.sha256 or 'nohash')[:12]}"
    used.add(stem)
    return stem


def _write(folder: Path, stem: str, suffix: str, text: str) -> Path:
    """Write atomically, so an interrupted run never leaves a half-written result."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{stem}{suffix}"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _report(audit: Audit, written: list[Path]) -> None:
    where = ", ".join(str(p) for p in written)
    if audit.status == Status.ERROR:
        reason = audit.errors[0].message if audit.errors else "unknown error"
        print(f"error   {reason} -> {where}", file=sys.stderr)
    else:
        app = audit.app
        name = f"{app.package} {app.version_name or ''}".strip() if app else audit.input.path
        print(f"{audit.status.value:<7} {audit.input.path} ({name}) -> {where}", file=sys.stderr)
