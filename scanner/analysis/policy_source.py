"""The privacy policy an app bundles, found and read while the app is open (the comparison is a detector's).

Apps often ship their policy as an asset or raw resource and show it from ``file:///android_asset/…``;
the URLs the code names decide first, then names and contents (``scanner.privacy_policy.find``). A bundled
file that cannot be read as a policy counts as none: the user can still give one with --privacy-policy.
"""

from __future__ import annotations

from collections.abc import Iterable

from scanner.dex.file import DexFile
from scanner.input.archive import AppArchive
from scanner.privacy_policy.errors import PolicyError
from scanner.privacy_policy.find import find_bundled
from scanner.privacy_policy.model import Policy
from signatures.model import KnowledgeBase

ASSET_URL = b"file:///android_asset/"
_URL_BYTES = frozenset(range(0x21, 0x7F))  # a URL in a dex string: printable ASCII up to its end
MAX_URLS = 256


def asset_urls(files: Iterable[DexFile]) -> list[str]:
    """``file:///android_asset/…`` strings in the dex files. A byte search, not a decode of every string:
    the prefix is ASCII, so it cannot start inside another MUTF-8 character, and apps rarely have any."""
    found: list[str] = []
    for dex in files:
        data, at = dex.data, dex.data.find(ASSET_URL)
        while at >= 0 and len(found) < MAX_URLS:
            end = at + len(ASSET_URL)
            while end < len(data) and data[end] in _URL_BYTES:
                end += 1
            found.append(data[at:end].decode("ascii"))
            at = data.find(ASSET_URL, end)
    return found


def bundled_policy(archive: AppArchive, files: Iterable[DexFile], kb: KnowledgeBase) -> Policy | None:
    raw = find_bundled(archive, kb.policy_terms, asset_urls(files))
    if raw is None:
        return None
    from scanner.privacy_policy.read import read_policy  # the HTML parser loads only for a bundled policy

    try:
        return read_policy(raw)
    except PolicyError:
        return None
