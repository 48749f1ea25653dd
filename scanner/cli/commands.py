"""The work behind each command; errors in what the user gave us become one line and exit 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import signatures
from scanner.atomic import write_atomic
from scanner.gate import baseline as baselines
from scanner.gate.diff import DiffInputError, load_result
from scanner.gate.diff import diff as diff_results
from scanner.gate.policy import PolicyError, find_policy, load_policy
from scanner.gate.verdict import EXIT_INPUT, EXIT_OK, EXIT_USAGE, Gate, exit_code
from scanner.input.archive import expand
from scanner.model import Audit, Severity, Status
from signatures.model import KnowledgeBase, UnknownAppType

if TYPE_CHECKING:
    from scanner.gate.review import ScanOptions

DEFAULT_FORMATS = ("json", "html")


class UsageError(Exception):
    pass


class StemNamer:
    """The input's file stem; a second input with the same stem gets its sha256 prefix added."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, path: str, sha256: str | None) -> str:
        stem = Path(path).stem or "app"
        if stem in self.used:
            stem = f"{stem}-{(sha256 or 'nohash')[:12]}"
        self.used.add(stem)
        return stem


def app_type(kb: KnowledgeBase, name: str | None, option: str = "--category") -> str | None:
    """The id of the app type the user named (slug or NPI2021-nn); a usage error otherwise."""
    if not name:
        return None
    try:
        return kb.app_type(name).id
    except UnknownAppType as exc:
        raise UsageError(f"{option} {exc}") from None


def _options(args: argparse.Namespace, kb: KnowledgeBase) -> ScanOptions:
    config = Path(args.config) if args.config else find_policy(Path.cwd())
    policy = load_policy(config, kb) if config else None
    base = baselines.load(Path(args.baseline)) if args.baseline else None
    from scanner.gate.review import ScanOptions

    return ScanOptions(category=app_type(kb, args.category), policy=policy, baseline=base)


def formats_of(text: str | None, known: Mapping[str, object], default: tuple[str, ...]) -> list[str]:
    formats = [f.strip() for f in (text.split(",") if text else default) if f.strip()]
    unknown = [f for f in formats if f not in known]
    if unknown or not formats:
        raise UsageError(f"unknown format {', '.join(unknown) or '(none)'}; available: {', '.join(sorted(known))}")
    return formats


def guard(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn configuration and usage problems into one clear line and exit 2."""
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except (UsageError, PolicyError, baselines.BaselineError, DiffInputError) as exc:
            print(f"appaudit: {exc}", file=sys.stderr)
            return EXIT_USAGE
    return wrapped


@guard
def scan(args: argparse.Namespace) -> int:
    from reports import WRITERS
    from scanner.gate.review import scan as scan_app

    to_stdout = args.output == "-"
    formats = formats_of(args.format, WRITERS, ("json",) if to_stdout else DEFAULT_FORMATS)
    if to_stdout and len(formats) != 1:
        raise UsageError("-o - writes one format; pick it with -f")
    if args.fail_on_new and not args.baseline:
        raise UsageError("--fail-on-new needs --baseline FILE (the findings already accepted)")
    kb = signatures.load()
    options = _options(args, kb)
    paths = expand(args.paths)
    if not paths:
        raise UsageError("no APK, XAPK, APKS or APKM found in the given paths")
    if to_stdout and len(paths) != 1:
        raise UsageError("-o - needs exactly one input")
    gate = Gate(Severity.parse(args.fail_on) if args.fail_on else None, args.fail_on_new)
    audits, names = [], StemNamer()
    for path in paths:
        audit = scan_app(path, options, kb)
        audits.append(audit)
        if to_stdout:
            sys.stdout.write(WRITERS[formats[0]].render(audit, kb))
            continue
        stem = names(audit.input.path, audit.input.sha256)
        written = [write_atomic(Path(args.output) / f"{stem}{WRITERS[f].suffix}", WRITERS[f].render(audit, kb))
                   for f in formats]
        _report(audit, written, gate)
    return exit_code(audits, gate)


def _report(audit: Audit, written: list[Path], gate: Gate) -> None:
    where = ", ".join(str(p) for p in written)
    if audit.status is Status.ERROR:
        reason = audit.errors[0].message if audit.errors else "unknown error"
        print(f"error   {reason} -> {where}", file=sys.stderr)
        return
    app = audit.app
    name = f"{app.package} {app.version_name or ''}".strip() if app else audit.input.path
    open_findings = sum(1 for f in audit.findings if f.accepted is None)
    line = f"{audit.status.value:<7} {audit.input.path} ({name}): {open_findings} findings"
    failing = gate.failing(audit)
    if failing:
        line += f", {len(failing)} failing the gate"
    if audit.fixed:
        line += f", {len(audit.fixed)} baseline entries fixed"
    print(f"{line} -> {where}", file=sys.stderr)


@guard
def baseline_create(args: argparse.Namespace) -> int:
    from scanner.gate.review import scan as scan_app

    kb = signatures.load()
    audit = scan_app(args.path, _options(args, kb), kb)
    if audit.status is Status.ERROR:
        print(f"appaudit: {audit.errors[0].message}", file=sys.stderr)
        return EXIT_INPUT
    write_atomic(Path(args.output), baselines.create(audit, args.reason))
    print(f"baseline of {len(audit.findings)} findings -> {args.output}", file=sys.stderr)
    return EXIT_OK


def _result(path: str, options: ScanOptions, kb: KnowledgeBase) -> dict[str, Any]:
    if path.lower().endswith(".json"):
        return load_result(path)
    from reports.json import to_dict
    from scanner.gate.review import scan as scan_app

    audit = scan_app(path, options, kb)
    if audit.status is Status.ERROR:
        raise DiffInputError(path, audit.errors[0].message)
    return to_dict(audit)


@guard
def diff(args: argparse.Namespace) -> int:
    from reports import diff as render

    writers = {"md": (render.to_markdown, ".md"), "json": (render.to_json, ".json"), "html": (render.to_html, ".html")}
    formats = formats_of(args.format, writers, ("md",))
    if args.output == "-" and len(formats) != 1:
        raise UsageError("-o - writes one format; pick it with -f")
    kb = signatures.load()
    options = _options(args, kb)
    result = diff_results(_result(args.old, options, kb), _result(args.new, options, kb))
    for f in formats:
        fn, suffix = writers[f]
        if args.output == "-":
            sys.stdout.write(fn(result))
        else:
            target = write_atomic(Path(args.output) / f"diff{suffix}", fn(result))
            print(f"diff -> {target}", file=sys.stderr)
    return 1 if args.fail_on_new and result.grew else EXIT_OK
