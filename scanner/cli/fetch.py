"""``appaudit fetch fdroid|androzoo``: download a store's apps into a folder, with ``fetched.json`` beside them.

Also the store options of ``appaudit batch --from``. Importing this module is cheap (``--help`` needs it):
httpx and the store clients are imported when a command runs. Exit 2 when the store cannot be used at all
(an index that does not verify, a list that cannot be read, no API key): nothing was downloaded. Exit 3
when some apps failed: each is one line naming it and the reason, and the others were downloaded.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from scanner.batch.coordinator import BatchConfig, BatchResult
    from scanner.fetch.download import Downloader, Limits
    from scanner.fetch.release import Release
    from signatures.model import KnowledgeBase

SOURCES = ("fdroid", "androzoo")


def _fdroid_selection(p: argparse.ArgumentParser, category: str) -> None:
    p.add_argument("--fingerprint", metavar="SHA256", help="SHA-256 of the repository's signing certificate, "
                   "as F-Droid pins it (also read from ?fingerprint= in the address)")
    p.add_argument(category, dest="store_category", metavar="NAME", help="only apps of this F-Droid category")
    versions = p.add_mutually_exclusive_group()
    versions.add_argument("--latest", dest="all_versions", action="store_false", default=False,
                          help="only the newest version of each app (default)")
    versions.add_argument("--all-versions", dest="all_versions", action="store_true", help="every version")


def _androzoo_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--market", action="append", default=[], metavar="NAME",
                   help="only APKs listed in this market (e.g. play.google.com); repeatable")
    p.add_argument("--min-date", metavar="YYYY-MM-DD", help="only APKs whose dex_date is on or after this day")
    p.add_argument("--max-size", type=int, metavar="BYTES", help="only APKs of at most this size")
    p.add_argument("--sample", type=int, metavar="N", help="a random sample of N of the APKs that pass")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="the sample's seed (default 0)")
    p.add_argument("--api-url", default=None, metavar="URL", help=argparse.SUPPRESS)  # tests: a loopback server


def _common_selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("--package", action="append", default=[], metavar="NAME", help="only this app; repeatable")
    p.add_argument("--limit", type=int, metavar="N", help="at most N apps (packages, in name order)")


def _limits(p: argparse.ArgumentParser, concurrency_flag: str = "--concurrency") -> None:
    p.add_argument(concurrency_flag, dest="concurrency", type=int, default=4, metavar="N",
                   help="downloads at once (default 4; AndroZoo allows at most 20)")
    p.add_argument("--rate", type=float, default=4.0, metavar="R",
                   help="requests started per second, at most (default 4; 0 for no limit)")
    p.add_argument("--download-timeout", type=float, default=30.0, metavar="S",
                   help="seconds to wait for the server before retrying (default 30)")
    p.add_argument("--retries", type=int, default=3, metavar="N", help="retries of a failed download (default 3)")
    p.add_argument("--contact", metavar="EMAIL_OR_URL", help="added to the User-Agent, so a store can reach you")


def register(subparsers: Any, parents: Sequence[argparse.ArgumentParser] = ()) -> None:
    fetch = subparsers.add_parser("fetch", parents=list(parents), help="download apps from a store "
                                  "(an F-Droid repository, AndroZoo), verified against the store's checksums")
    stores = fetch.add_subparsers(dest="store", required=True, parser_class=type(fetch))
    fdroid = stores.add_parser("fdroid", parents=list(parents), help="an F-Droid repository (signed index)")
    fdroid.add_argument("repo", metavar="REPO_URL")
    fdroid.add_argument("-o", "--output", required=True, metavar="DIR")
    _fdroid_selection(fdroid, "--category")
    _common_selection(fdroid)
    _limits(fdroid)
    zoo = stores.add_parser("androzoo", parents=list(parents),
                            help="APKs of an AndroZoo list (latest.csv), by its API; key in ANDROZOO_API_KEY")
    zoo.add_argument("list", metavar="LIST.csv")
    zoo.add_argument("-o", "--output", required=True, metavar="DIR")
    _androzoo_selection(zoo)
    _common_selection(zoo)
    _limits(zoo)


def add_batch_source(batch: argparse.ArgumentParser) -> None:
    """``batch --from fdroid:URL|androzoo:LIST.csv`` and the store options it takes."""
    batch.add_argument("--from", dest="source", metavar="STORE:WHERE",
                       help="fetch and scan: fdroid:REPO_URL or androzoo:LIST.csv (downloads go to OUT/downloads)")
    batch.add_argument("--keep-apks", action="store_true", help="keep the downloads (default: each APK is "
                       "deleted once its results are stored)")
    _fdroid_selection(batch, "--store-category")
    _androzoo_selection(batch)
    _common_selection(batch)
    _limits(batch, "--downloads")


def parse_source(text: str) -> tuple[str, str]:
    from scanner.cli.commands import UsageError

    kind, _, where = text.partition(":")
    if kind not in SOURCES or not where:
        raise UsageError(f"--from {text}: give fdroid:REPO_URL or androzoo:LIST.csv")
    return kind, where


def limits_of(args: argparse.Namespace, kind: str) -> Limits:
    from scanner.cli.commands import UsageError
    from scanner.fetch.androzoo import MAX_CONCURRENCY
    from scanner.fetch.download import Limits

    if args.concurrency < 1 or args.rate < 0 or args.download_timeout <= 0 or args.retries < 0:
        raise UsageError("downloads at once must be at least 1, --rate and --retries not negative, "
                         "--download-timeout positive")
    if kind == "androzoo" and args.concurrency > MAX_CONCURRENCY:
        raise UsageError(f"AndroZoo asks for at most {MAX_CONCURRENCY} downloads at once, not {args.concurrency}")
    return Limits(concurrency=args.concurrency, rate=args.rate, timeout=args.download_timeout,
                  retries=args.retries, contact=args.contact)


def releases_of(kind: str, where: str, args: argparse.Namespace, downloader: Downloader) -> list[Release]:
    """The store's releases that the options select; ``StoreError`` when the store cannot be used."""
    if args.limit is not None and args.limit < 1:
        from scanner.cli.commands import UsageError

        raise UsageError("--limit must be at least 1")
    if kind == "fdroid":
        from scanner.fetch.fdroid import load_index
        from scanner.fetch.selection import Selection, select

        index = load_index(where, args.fingerprint, downloader)
        if not args.fingerprint and "fingerprint=" not in where:
            _note(f"warning: {index.repo} is signed by {index.signer}; pass --fingerprint to pin it")
        chosen = Selection(tuple(args.package), args.store_category, args.limit, args.all_versions)
        return select(index.releases, chosen)
    from scanner.fetch.androzoo import API, Filter, read_list

    if args.sample is not None and args.sample < 1:
        from scanner.cli.commands import UsageError

        raise UsageError("--sample must be at least 1")
    found = read_list(where, Filter(tuple(args.market), args.min_date, args.max_size, tuple(args.package),
                                    args.sample, args.seed), args.api_url or API)
    return found[:args.limit]


def _note(text: str) -> None:
    print(f"fetch: {text}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from scanner.cli.commands import guard

    return guard(_fetch)(args)


def _key(kind: str) -> str | None:
    """AndroZoo's API key, from the environment only; a usage error when it is not set."""
    if kind != "androzoo":
        return None
    from scanner.cli.commands import UsageError
    from scanner.fetch.androzoo import api_key
    from scanner.fetch.release import StoreError

    try:
        return api_key()
    except StoreError as exc:
        raise UsageError(str(exc)) from None


def batch_from(args: argparse.Namespace, config: BatchConfig, kb: KnowledgeBase,
               warn: Callable[[str], None]) -> BatchResult:
    """``batch --from``: the store's selected releases fetched and scanned in one pipeline."""
    from scanner.batch.pipeline import Source, run_pipeline
    from scanner.batch.progress import Progress
    from scanner.cli.commands import UsageError
    from scanner.fetch.download import Downloader
    from scanner.fetch.release import StoreError

    if args.paths or args.dask:
        raise UsageError("--from takes no input paths, and runs locally (not with --dask)")
    kind, where = parse_source(args.source)
    key = _key(kind)
    with Downloader(limits_of(args, kind), secrets=(key,) if key else ()) as downloader:
        try:
            releases = releases_of(kind, where, args, downloader)
        except StoreError as exc:
            raise UsageError(str(exc)) from None
        progress = Progress(len(releases), sys.stderr)  # the stream of now, not of the import
        try:
            return run_pipeline(Source(tuple(releases), downloader, args.keep_apks, {"apikey": key} if key else None),
                                config, kb, progress.update, warn)
        finally:
            progress.close()


def _fetch(args: argparse.Namespace) -> int:
    from scanner.cli.commands import UsageError, writable_folder
    from scanner.fetch.download import Downloader
    from scanner.fetch.manifest import MANIFEST
    from scanner.fetch.release import StoreError
    from scanner.fetch.run import Outcome, fetch_all
    from scanner.gate.verdict import EXIT_INPUT, EXIT_OK

    kind = args.store
    folder = writable_folder(args.output)
    key = _key(kind)
    with Downloader(limits_of(args, kind), secrets=(key,) if key else ()) as downloader:
        try:
            releases = releases_of(kind, args.repo if kind == "fdroid" else args.list, args, downloader)
        except StoreError as exc:
            raise UsageError(str(exc)) from None
        _note(f"{len(releases)} APKs selected")

        def report(outcome: Outcome) -> None:
            if outcome.error:
                _note(f"failed: {downloader.scrub(outcome.error)}")

        outcomes = fetch_all(releases, folder, downloader, {"apikey": key} if key else None, report)
    new = sum(1 for o in outcomes if o.path is not None and o.new)
    failed = sum(1 for o in outcomes if o.path is None)
    _note(f"{len(outcomes)} APKs: {new} downloaded, {len(outcomes) - new - failed} already there, {failed} failed; "
          f"record in {folder / MANIFEST}")
    return EXIT_INPUT if failed else EXIT_OK
