"""Command line: the only place that reads argv, prints, and picks exit codes (see ``gate/verdict.py``).

Start-up is kept cheap: ``appaudit --help`` and ``--version`` import argparse and little else. The
work behind a command (NumPy, pandas, Jinja, httpx) is imported only once that command
runs; ``tests/test_startup.py`` checks it.

One error path: what the user got wrong is one line and exit 2 (``commands.guard``); any other
exception, in any command, is one line naming the input and the reason, and exit 4
(``EXIT_UNEXPECTED``); ``--debug`` prints its traceback instead.
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.cli.fetch import add_batch_source
from scanner.cli.fetch import register as register_fetch
from scanner.cli.knowledge import register
from scanner.version import __version__

if TYPE_CHECKING:
    from scanner.android.signing_ahead import SigningAhead

# The DEX reader uses NumPy's array operations, never its linear algebra; OpenBLAS would start a thread per
# core when NumPy loads (~0.1 s of CPU per process, spinning on the core that the signature check, or another
# batch worker, needs). Set before anything imports NumPy; inherited by batch workers; a user's value wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# the labels of scanner.model.Severity, lowest first (tests/test_startup.py checks they agree), written
# out so that building the parser does not load the result model
SEVERITIES = ["info", "low", "medium", "high", "critical"]
LIST_SUFFIXES = (".txt", ".lst", ".list")  # scanner.input.archive's, written out for the same reason (tested)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"appaudit: {message}", file=sys.stderr)
        from scanner.gate.verdict import EXIT_USAGE

        raise SystemExit(EXIT_USAGE)


def _common() -> _Parser:
    """Options every command takes, after its name too (``appaudit scan x.apk --debug``)."""
    common = _Parser(add_help=False)
    # SUPPRESS: given after the command or not at all, it must not hide the one given before it
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return common


def _scan_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--category", metavar="TYPE", help="app type to check necessary information against "
                   "(one of the 39 types, e.g. short_video or NPI2021-29; default: from appaudit.toml)")
    p.add_argument("--config", metavar="FILE", help="policy file (default: ./appaudit.toml if present)")
    p.add_argument("--baseline", metavar="FILE", help="accept the findings recorded in this baseline file")
    p.add_argument("--lang", metavar="LANG", help="language of the HTML and Markdown reports: en or zh-CN "
                   "(default: lang in appaudit.toml, else en); JSON and SARIF are language-neutral")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="appaudit", description="Static privacy audit of Android apps.")
    parser.add_argument("--version", action="version", version=f"appaudit {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="on an unexpected error, print its traceback instead of one line")
    common = [_common()]
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scan = commands.add_parser("scan", parents=common, help="audit APKs and split bundles (XAPK, APKS, APKM)")
    scan.add_argument("paths", nargs="+", metavar="PATH",
                      help="APK, split bundle, folder (searched recursively) or a .txt list of paths")
    scan.add_argument("-o", "--output", default="appaudit-reports", metavar="DIR",
                      help="folder for results, or - for standard output (default: %(default)s)")
    scan.add_argument("-f", "--format", default=None, metavar="FORMATS",
                      help="comma-separated: json, html, sarif, md, sdk-list (the third-party SDK list as XLSX and "
                      "CSV) (default: json,html)")
    _scan_options(scan)
    scan.add_argument("--privacy-policy", metavar="PATH|URL",
                      help="the app's privacy policy (HTML, text or PDF; a URL is fetched within limits), compared "
                      "with what the code collects instead of a policy bundled in the app")
    scan.add_argument("--fail-on", choices=SEVERITIES, help="exit 1 if a finding at or above this severity "
                      "is not accepted by the policy or baseline")
    scan.add_argument("--fail-on-new", action="store_true",
                      help="exit 1 for findings the baseline does not hold (needs --baseline)")
    scan.add_argument("--max-memory", type=int, default=4096, metavar="MB",
                      help="address-space cap of the scan; an app needing more gets an error result, the "
                      "others go on (0: no cap; default: %(default)s)")

    base = commands.add_parser("baseline", parents=common, help="accept the current findings of an app")
    base_commands = base.add_subparsers(dest="baseline_command", required=True, parser_class=_Parser)
    create = base_commands.add_parser("create", parents=common, help="write a baseline of every finding of APK")
    create.add_argument("path", metavar="APK")
    create.add_argument("-o", "--output", required=True, metavar="FILE")
    create.add_argument("--reason", default="accepted when the baseline was created",
                        help="the reason recorded with each finding")
    _scan_options(create)

    diff = commands.add_parser("diff", parents=common,
                               help="what changed in the privacy footprint between two builds")
    diff.add_argument("old", metavar="OLD", help="APK or an earlier JSON result")
    diff.add_argument("new", metavar="NEW", help="APK or a JSON result")
    diff.add_argument("-f", "--format", default="md", metavar="FORMATS", help="md, json, html (default: md)")
    diff.add_argument("-o", "--output", default="-", metavar="DIR", help="folder, or - (default: standard output)")
    diff.add_argument("--fail-on-new", action="store_true", help="exit 1 when the footprint grew")
    _scan_options(diff)

    batch = commands.add_parser("batch", parents=common,
                                help="audit many apps: parallel, resumable, a dataset and a dashboard")
    batch.add_argument("paths", nargs="*", metavar="PATH", help="APKs, bundles, folders or .txt lists")
    batch.add_argument("-o", "--output", metavar="OUT", help="output folder (results, dataset/, index.html)")
    batch.add_argument("-f", "--format", default="json,html", metavar="FORMATS",
                       help="per-app formats besides the dataset (default: %(default)s)")
    batch.add_argument("--lang", metavar="LANG", help="language of the per-app HTML and Markdown reports and of "
                       "the dashboard: en or zh-CN (default: lang in the --config policy file, else en)")
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
    add_batch_source(batch)

    register(commands, common)
    register_fetch(commands, common)
    return parser


# The collector's young generation, for the command's own process. A scan builds millions of container objects
# that live until it ends (facts, findings, report rows) and leaves under a thousand in reference cycles; at
# Python's default of 700 allocations it ran ~300 passes over a large app, some 15-40 ms (bench/run.py --store).
# Garbage in cycles still goes, every 100,000 allocations instead.
YOUNG_COLLECTION = 100_000


def entry() -> int:
    """The ``appaudit`` command (and ``python -m scanner``): ``main`` as its own process, which may fork."""
    _threshold, *older = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION, *older)  # a process of its own: an embedding program keeps its setting
    code = main(sign_ahead=True)
    _end_now(code)
    return code


def _end_now(code: int) -> None:
    """End the command's process without the interpreter's teardown, which frees a large scan's millions of
    objects one by one (8 ms of a store-sized app's 0.4 s, measured): the exit handlers run and the output is
    flushed first, as at a normal exit. Not while another thread runs, which a normal exit would wait for; nor
    where Python lacks the exit handlers' runner (then it returns, and the process ends as usual)."""
    import atexit
    import threading

    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None or threading.active_count() != 1:
        return
    run_exit_handlers()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe or stream: a normal exit would report it
        return
    os._exit(code)


def main(argv: list[str] | None = None, *, sign_ahead: bool = False) -> int:
    """Run one command. ``sign_ahead``: this process is the command's own, so a scan of one app may verify its
    signatures in a forked child meanwhile (``scanner/android/signing_ahead.py``); callers running ``main``
    inside their own process (tests, embedding programs) leave it off."""
    # a reader that stops early (`appaudit … | head`) ends the output quietly, as for any Unix tool
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    # no collection while a command imports its modules (they are never garbage; ~5 ms of a scan's start):
    # each command turns the collector back on once its imports are done
    gc.disable()
    args = build_parser().parse_args(argv)
    ahead = _signing_ahead(args) if sign_ahead else None
    try:
        return _run(args, ahead)
    except KeyboardInterrupt:
        from scanner.gate.verdict import EXIT_INTERRUPTED

        print("appaudit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 -- the one place every unexpected error ends: one line, exit 4
        return _unexpected(exc, args)
    finally:
        gc.enable()  # also when a command stopped before turning it on (a usage error), for callers in-process
        if ahead is not None:
            ahead.close()


def _signing_ahead(args: argparse.Namespace) -> SigningAhead | None:
    """For ``scan`` of one app file: its signatures verified in a child while this process imports the readers
    and reads the code (on a free core; see the module). Started before any heavy import, so both import in
    parallel. Never for lists, folders or several apps: those are batch-like, a core each is taken."""
    if args.command != "scan" or len(args.paths) != 1:
        return None
    path = args.paths[0]
    if not os.path.isfile(path) or path.lower().endswith(LIST_SUFFIXES):
        return None
    from scanner.android.signing_ahead import SigningAhead

    return SigningAhead.start(str(Path(path)), args.max_memory)


def _one_line(text: str, limit: int = 400) -> str:
    """``text`` on one printable line: control characters (a newline in a file name) escaped, long text cut."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _unexpected(exc: Exception, args: argparse.Namespace) -> int:
    from scanner.errors import UnexpectedError
    from scanner.gate.verdict import EXIT_UNEXPECTED

    if getattr(args, "debug", False):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
        return EXIT_UNEXPECTED
    path, cause = (exc.path, exc.cause) if isinstance(exc, UnexpectedError) else (_single_input(args), exc)
    reason = f"{type(cause).__name__}: {cause}" if str(cause) else type(cause).__name__
    where = f" with {_one_line(path, 200)}" if path else ""
    print(f"appaudit: unexpected error{where}: {_one_line(reason)} (run again with --debug for the traceback)",
          file=sys.stderr)
    return EXIT_UNEXPECTED


def _single_input(args: argparse.Namespace) -> str | None:
    """The input of a command given exactly one (it is then the one concerned), or None."""
    paths = getattr(args, "paths", None)
    if isinstance(paths, list) and len(paths) == 1:
        return str(paths[0])
    path = getattr(args, "path", None)
    return None if path is None else str(path)


def _run(args: argparse.Namespace, ahead: SigningAhead | None = None) -> int:
    # each command imports what it needs (NumPy, Jinja… for a scan; httpx for an update) when it runs
    if args.command in ("scan", "baseline", "diff"):
        from scanner.cli import commands

        if args.command == "scan":
            return commands.scan(args, ahead)  # turns the collector on after its own imports and the knowledge base
        gc.enable()
        if args.command == "baseline":
            return commands.baseline_create(args)
        return commands.diff(args)
    if args.command == "batch":
        from scanner.cli.batch import batch

        gc.enable()
        return batch(args)
    if args.command == "fetch":
        from scanner.cli.fetch import run as fetch

        gc.enable()
        return fetch(args)
    from scanner.cli.knowledge import run

    gc.enable()
    return run(args)
