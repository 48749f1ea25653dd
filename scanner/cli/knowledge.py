"""`appaudit signatures list|show|validate|update`: inspect and refresh the knowledge base.

`register()` plugs the subcommand into the main argparse parser; `run()`
returns the exit code (0 ok, 2 data or usage error, or an update refused). Importing this module is
cheap, as `appaudit --help` needs it: the knowledge base (and httpx, for
`update`) is imported by `run()`, when a command needs it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from signatures.model import KnowledgeBase


def register(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "signatures", parents=list(parents), help="inspect, validate or update the knowledge base")
    add_commands(parser, parents)
    return parser


def add_commands(parser: argparse.ArgumentParser, parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    """The list/show/validate/update subcommands, on `appaudit signatures` or a standalone parser.

    ``parents``: parsers whose options every subcommand takes too (the command line's ``--debug``).
    """
    parser.set_defaults(func=run)
    sub = parser.add_subparsers(dest="signatures_command", required=True)
    p_list = sub.add_parser("list", parents=list(parents), help="list SDKs and trackers")
    p_list.add_argument("--category", help="only SDKs of this category (e.g. push, advertisement)")
    p_show = sub.add_parser("show", parents=list(parents),
                            help="show one SDK, rule, permission, API, app type or packer")
    p_show.add_argument("id")
    p_val = sub.add_parser("validate", parents=list(parents),
                           help="validate a data folder (default: the bundled data)")
    p_val.add_argument("path", nargs="?", type=Path)
    p_up = sub.add_parser("update", parents=list(parents),
                          help="refresh the tracker list from Exodus into the user cache")
    p_up.add_argument("--url", default=None)  # None: signatures.update.DEFAULT_URL, read when the command runs
    p_up.add_argument("--timeout", type=float, default=30.0, help="seconds per request (default 30)")
    p_up.add_argument("--retries", type=int, default=3, help="retries after the first attempt (default 3)")
    p_up.add_argument("--backoff", type=float, default=1.0, help="first retry delay in seconds, doubled each time")
    p_up.add_argument("--allow-shrink", action="store_true",
                      help="accept a list that loses more than 20%% of the Exodus trackers in use")


def _print_list(kb: KnowledgeBase, category: str | None, out: TextIO) -> int:
    if category and category not in kb.sdk_categories:
        print(f"unknown category {category!r}; known: {', '.join(sorted(kb.sdk_categories))}", file=sys.stderr)
        return 2
    rows = [s for s in kb.sdks if not category or category in s.categories]
    for sdk in sorted(rows, key=lambda s: s.id):
        print(f"{sdk.id:40} {sdk.name[:40]:40} {','.join(sdk.categories)}", file=out)
    print(f"{len(rows)} SDKs (knowledge base {kb.version})", file=out)
    return 0


def _fmt(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(_fmt(v) for v in value) if value else "-"
    if hasattr(value, "__dataclass_fields__"):
        return "{" + ", ".join(f"{k}={_fmt(getattr(value, k))}" for k in value.__dataclass_fields__
                               if not k.startswith("_") and getattr(value, k) not in ("", (), None)) + "}"
    label = getattr(value, "label", None)  # an enum written as in the data files (severity "medium")
    return label if isinstance(label, str) else str(value)


def _find(kb: KnowledgeBase, ident: str) -> Any:
    lookups: list[Callable[[], object]] = [
        lambda: kb.sdk(ident), lambda: kb.rule(ident), lambda: kb.app_type(ident),
        lambda: kb.permissions[ident], lambda: kb.pi_categories[ident],
        lambda: next(a for a in kb.apis if a.id == ident), lambda: next(p for p in kb.packers if p.id == ident),
        lambda: next(c for c in kb.constants if c.value == ident),
    ]
    for lookup in lookups:
        try:
            return lookup()
        except (KeyError, StopIteration):
            continue
    return None


def _show(kb: KnowledgeBase, ident: str, out: TextIO) -> int:
    """Every field of one entry; an entry whose facts were not checked against its source says so first."""
    from signatures.model import (
        ApiSignature,
        AppCategory,
        Packer,
        PermissionInfo,
        StringConstant,
        TrackerSignature,
    )

    item = _find(kb, ident)
    if item is None:
        print(f"no SDK, rule, permission, API, constant, app type or packer with id {ident!r}", file=sys.stderr)
        return 2
    checked = (TrackerSignature, PermissionInfo, ApiSignature, StringConstant, AppCategory, Packer)
    unverified = isinstance(item, checked) and not item.verified
    print(type(item).__name__ + ("  (unverified: these facts were not checked against the source below)"
                                 if unverified else ""), file=out)
    for name in item.__dataclass_fields__:
        value = getattr(item, name)
        if not name.startswith("_") and name != "verified" and value not in ("", (), None):
            print(f"  {name:20} {_fmt(value)}", file=out)
    if isinstance(item, TrackerSignature):
        print(f"  {'knowledge base':20} {kb.version} ({kb.provenance})", file=out)
    return 0


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from signatures import load
    from signatures.model import KnowledgeBaseError

    out = out or sys.stdout
    command = args.signatures_command
    try:
        if command == "update":
            from signatures.update import DEFAULT_URL, update  # imports httpx

            url = DEFAULT_URL if args.url is None else args.url
            result = update(url, timeout=args.timeout, retries=args.retries, backoff=args.backoff,
                            allow_shrink=args.allow_shrink)
            print(result.message, file=out if result.ok else sys.stderr)
            for kind, entries in (("added", result.added), ("removed", result.removed), ("changed", result.changed)):
                for entry in entries if result.ok else ():  # a refused list: its counts are in the message
                    print(f"  {kind}: {entry}", file=out)
            for note in result.conflicts:
                print(f"  ours win: {note}", file=out)
            return 0 if result.ok else 2
        if command == "validate":
            kb = load(args.path) if args.path else load()
            print(f"ok: {len(kb.sdks)} SDKs, {len(kb.permissions)} permissions, {len(kb.apis)} APIs "
                  f"({sum(len(a.refs) for a in kb.apis)} references), {len(kb.categories)} app types, "
                  f"{len(kb.rules)} rules, {len(kb.packers)} packers (version {kb.version})", file=out)
            return 0
        kb = load()
        if command == "list":
            return _print_list(kb, args.category, out)
        return _show(kb, args.id, out)
    except KnowledgeBaseError as exc:
        print(f"knowledge base error: {exc}", file=sys.stderr)
        return 2
