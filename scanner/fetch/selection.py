"""Which of a store's APKs to fetch: by package, by category, the newest version or all, at most N apps.

Deterministic: packages in name order, versions newest first, so ``--limit`` picks the same apps each run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from scanner.fetch.release import Release


@dataclass(frozen=True, slots=True)
class Selection:
    packages: tuple[str, ...] = ()  # none: every package
    category: str | None = None  # case-insensitive
    limit: int | None = None  # packages, not files
    all_versions: bool = False  # False: only the highest version code of each package


def select(releases: Iterable[Release], selection: Selection) -> list[Release]:
    wanted = set(selection.packages)
    category = selection.category.casefold() if selection.category else None
    by_package: dict[str, list[Release]] = {}
    for release in releases:
        if wanted and release.package not in wanted:
            continue
        if category is not None and category not in {c.casefold() for c in release.categories}:
            continue
        by_package.setdefault(release.package, []).append(release)
    chosen: list[Release] = []
    for package in sorted(by_package)[:selection.limit]:
        versions = sorted(by_package[package], key=lambda r: (-(r.version_code or 0), r.sha256))
        if not selection.all_versions:
            newest = versions[0].version_code
            versions = [r for r in versions if r.version_code == newest]
        chosen += versions
    return chosen
