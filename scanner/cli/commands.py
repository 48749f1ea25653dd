"""The work behind each command; errors in what the user gave us become one line and exit 2.

Everything the user gave is checked before the first scan: options, policy, baseline, ``.txt`` lists
and where results go. An unexpected exception while working on one input is raised again as an
``UnexpectedError`` naming it; ``main`` prints that as one line and exits 4.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import gc
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import signatures
from scanner.atomic import write_atomic, write_atomic_each
from scanner.errors import DiffInputError, InputListError, UnexpectedError
from scanner.gate import baseline as baselines
from scanner.gate.policy import PolicyError, find_policy, load_policy
from scanner.gate.verdict import EXIT_INPUT, EXIT_OK, EXIT_USAGE, Gate, exit_code
from scanner.input.archive import expand
from scanner.memory import limit_memory
from scanner.model import Audit, Severity, Status
from signatures.model import KnowledgeBase, KnowledgeBaseError, UnknownAppType

if TYPE_CHECKING:
    from reports.base import Writer
    from scanner.android.apk import SigningSource
    from scanner.gate.review import ScanOptions
    from scanner.privacy_policy.model import Policy as PrivacyPolicy

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

    gate = Gate(Severity.parse(args.fail_on) if getattr(args, "fail_on", None) else None,
                bool(getattr(args, "fail_on_new", False)))
    return ScanOptions(category=app_type(kb, args.category), policy=policy, baseline=base, gate=gate,
                       privacy_policy=_privacy_policy(getattr(args, "privacy_policy", None)))


def _privacy_policy(where: str | None) -> PrivacyPolicy | None:
    """The policy the user gave, read before any scan: a file or URL that cannot be used is a usage error."""
    if not where:
        return None
    from scanner.privacy_policy.errors import PolicyError as UnusablePolicy
    from scanner.privacy_policy.load import load_policy as load_privacy_policy
    from scanner.privacy_policy.read import read_policy

    try:
        return read_policy(load_privacy_policy(where))
    except UnusablePolicy as exc:
        raise UsageError(f"--privacy-policy {exc}") from None


def report_writers(args: argparse.Namespace, options: ScanOptions) -> Mapping[str, Writer]:
    """The writers in the report language: ``--lang``, else the policy file's ``lang``, else English."""
    from reports import writers

    lang = getattr(args, "lang", None) or (options.policy.lang if options.policy else None) or "en"
    try:
        return writers(lang)
    except ValueError as exc:
        raise UsageError(f"--lang: {exc}") from None


def formats_of(text: str | None, known: Mapping[str, object], default: tuple[str, ...]) -> list[str]:
    formats = [f.strip() for f in (text.split(",") if text else default) if f.strip()]
    unknown = [f for f in formats if f not in known]
    if unknown or not formats:
        raise UsageError(f"unknown format {', '.join(unknown) or '(none)'}; available: {', '.join(sorted(known))}")
    return formats


# what the user gave us is wrong: one line, exit 2
USER_ERRORS = (UsageError, PolicyError, baselines.BaselineError, DiffInputError, InputListError)


def guard(run: Callable[..., int]) -> Callable[..., int]:
    """Turn configuration, usage and knowledge-base problems into one clear line and exit 2."""
    def wrapped(args: argparse.Namespace, *more: Any) -> int:
        try:
            return run(args, *more)
        except USER_ERRORS as exc:
            print(f"appaudit: {exc}", file=sys.stderr)
        except KnowledgeBaseError as exc:
            print(f"appaudit: knowledge base error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return wrapped


@contextmanager
def working_on(path: str) -> Iterator[None]:
    """An exception nobody expected while working on ``path`` is raised again naming it."""
    try:
        yield
    except (*USER_ERRORS, KnowledgeBaseError, UnexpectedError):
        raise
    except Exception as exc:
        raise UnexpectedError(path, exc) from exc


def _unwritable(folder: Path, named: bool) -> str | None:
    """Why results cannot be written in ``folder`` (created if missing), or None; ``named``: the user
    named this folder, rather than a file in it."""
    existing = next((p for p in (folder, *folder.parents) if os.path.lexists(p)), None)
    if existing is not None and not existing.is_dir():
        if named and existing == folder:
            return "exists and is not a folder"
        return f"{existing} is {'a file, ' if existing.is_file() else ''}not a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".appaudit-probe-")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        return f"cannot write there: {exc.strerror or exc}"
    return None


def writable_folder(text: str, option: str = "-o") -> Path:
    """Make sure results can be written in folder ``text`` (created if needed), before any scan runs."""
    reason = _unwritable(Path(text), named=True)
    if reason:
        raise UsageError(f"{option} {text}: {reason}")
    return Path(text)


def writable_file(text: str, option: str = "-o") -> Path:
    """Make sure file ``text`` can be written (its folder created if needed), before any scan runs."""
    target = Path(text)
    reason = "is a folder, not a file" if target.is_dir() else _unwritable(target.parent, named=False)
    if reason:
        raise UsageError(f"{option} {text}: {reason}")
    return target


@functools.cache
def _freeze_once() -> None:
    """Modules, knowledge base and writers live until exit: moved out of the collector's reach, its full passes
    skip them (about 10% of a large app's scan). Once per process, so a caller running many scans in one
    process never freezes the garbage of an earlier one."""
    gc.freeze()


@guard
def scan(args: argparse.Namespace, ahead: SigningSource | None = None) -> int:
    """``ahead``: verifies the signatures of the one app given, started by ``main`` (None: verify here)."""
    from reports import WRITERS
    from reports.base import outputs
    from scanner.gate.review import scan as scan_app

    to_stdout = args.output == "-"
    formats = formats_of(args.format, WRITERS, ("json",) if to_stdout else DEFAULT_FORMATS)
    if to_stdout and len(formats) != 1:
        raise UsageError("-o - writes one format; pick it with -f")
    if args.fail_on_new and not args.baseline:
        raise UsageError("--fail-on-new needs --baseline FILE (the findings already accepted)")
    kb = signatures.load()
    options = _options(args, kb)
    registry = report_writers(args, options)
    for note in options.policy.warnings if options.policy else ():
        print(f"appaudit: warning: {note}", file=sys.stderr)
    paths = expand(args.paths, warn=lambda note: print(f"appaudit: warning: {note}", file=sys.stderr))
    if not paths:
        raise UsageError("no APK, XAPK, APKS or APKM found in the given paths")
    if to_stdout and len(paths) != 1:
        raise UsageError("-o - needs exactly one input")
    out = None if to_stdout else writable_folder(args.output)
    limit_memory(args.max_memory)  # after the imports and the knowledge base: only the analysis counts
    _freeze_once()
    gc.enable()  # off while the command imported its modules (scanner.cli.main)
    gate = options.gate
    audits, names = [], StemNamer()
    for path in paths:
        with working_on(path):
            one = dataclasses.replace(options, signing=ahead) if ahead and paths == [path] else options
            audit = scan_app(path, one, kb)
            audits.append(audit)
            _warn_foreign_baseline(audit, options)
            if out is None:
                sys.stdout.write(registry[formats[0]].render(audit, kb))
                continue
            stem = names(audit.input.path, audit.input.sha256)
            written = write_atomic_each((out / f"{stem}{suffix}", data)
                                        for f in formats for suffix, data in outputs(registry[f], audit, kb))
            _report(audit, written)
    return exit_code(audits, gate)


def _warn_foreign_baseline(audit: Audit, options: ScanOptions) -> None:
    """A baseline made for another package accepts nothing here: say so rather than let it look empty."""
    baseline = options.baseline
    package = audit.app.package if audit.app else None
    if baseline is not None and baseline.package and package and baseline.package != package:
        print(f"appaudit: warning: baseline {baseline.path} was made for {baseline.package}, not {package}: "
              "none of its entries can match this app", file=sys.stderr)


def _report(audit: Audit, written: list[Path]) -> None:
    where = ", ".join(str(p) for p in written)
    if audit.status is Status.ERROR:
        reason = audit.errors[0].message if audit.errors else "unknown error"
        print(f"error   {reason} -> {where}", file=sys.stderr)
        return
    app = audit.app
    name = f"{app.package} {app.version_name or ''}".strip() if app else audit.input.path
    open_findings = sum(1 for f in audit.findings if f.accepted is None)
    line = f"{audit.status.value:<7} {audit.input.path} ({name}): {open_findings} findings"
    if audit.verdict is not None:  # the report's first screen says the same, from the same verdict
        line += f", {audit.verdict.failing} failing the gate" if audit.verdict.failing else ""
        line += f" [{audit.verdict.kind}]"
    if audit.fixed:
        line += f", {len(audit.fixed)} baseline entries fixed"
    print(f"{line} -> {where}", file=sys.stderr)


@guard
def baseline_create(args: argparse.Namespace) -> int:
    from scanner.gate.review import scan as scan_app

    kb = signatures.load()
    options = _options(args, kb)
    target = writable_file(args.output)
    with working_on(args.path):
        audit = scan_app(args.path, options, kb)
        if audit.status is Status.ERROR:
            print(f"appaudit: {audit.errors[0].message}", file=sys.stderr)
            return EXIT_INPUT
        write_atomic(target, baselines.create(audit, args.reason))
    print(f"baseline of {len(audit.findings)} findings ({len(audit.hits)} rule hits) -> {args.output}",
          file=sys.stderr)
    return EXIT_OK


def _result(path: str, options: ScanOptions, kb: KnowledgeBase) -> dict[str, Any]:
    from reports.json import to_dict
    from scanner.gate.diff import load_result
    from scanner.gate.review import scan as scan_app

    with working_on(path):
        if path.lower().endswith(".json"):
            return load_result(path)
        audit = scan_app(path, options, kb)
        if audit.status is Status.ERROR:
            raise DiffInputError(path, audit.errors[0].message)
        return to_dict(audit)


@guard
def diff(args: argparse.Namespace) -> int:
    from reports import diff as render
    from scanner.gate.diff import diff as diff_results

    writers = {"md": (render.to_markdown, ".md"), "json": (render.to_json, ".json"), "html": (render.to_html, ".html")}
    formats = formats_of(args.format, writers, ("md",))
    if args.output == "-" and len(formats) != 1:
        raise UsageError("-o - writes one format; pick it with -f")
    kb = signatures.load()
    options = _options(args, kb)
    out = None if args.output == "-" else writable_folder(args.output)
    result = diff_results(_result(args.old, options, kb), _result(args.new, options, kb))
    for f in formats:
        fn, suffix = writers[f]
        if out is None:
            sys.stdout.write(fn(result))
        else:
            target = write_atomic(out / f"diff{suffix}", fn(result))
            print(f"diff -> {target}", file=sys.stderr)
    return 1 if args.fail_on_new and result.grew else EXIT_OK
