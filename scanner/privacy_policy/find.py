"""A privacy policy bundled in the app: an asset or raw resource in HTML or text.

Candidates are files under ``assets/`` and ``res/raw*/`` of every APK of the app whose name says
policy (privacy, yinsi, 隐私, agreement, protocol…) or that the code opens as
``file:///android_asset/…`` (the caller passes the app's URL strings). Each candidate is read within a
size limit and scored: a file the code opens, then one whose text names itself a privacy policy
(隐私政策, 个人信息保护, privacy policy), then the name. A user agreement that never mentions privacy is
not taken for the policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from scanner.errors import ScanFailure
from scanner.input.archive import AppArchive, Split
from scanner.privacy_policy.load import sniff
from scanner.privacy_policy.model import HTML, PDF, TEXT, PolicySource, RawPolicy
from signatures.model import PolicyTerms

MAX_CANDIDATE = 2 << 20  # bytes: a bundled policy is a few hundred kB at most
MAX_CANDIDATES = 64
_ROOTS = ("assets/", "res/raw/", "res/raw-")
_SUFFIXES = {".html": HTML, ".htm": HTML, ".xhtml": HTML, ".txt": TEXT, ".md": TEXT, "": TEXT, ".pdf": PDF}
_NAME = re.compile(r"privacy|policy|yinsi|隐私|政策|agreement|protocol|xieyi|协议|terms|legal|gdpr|pipl", re.I)
_STRONG_NAME = re.compile(r"privacy|yinsi|隐私", re.I)
_ASSET_URL = "file:///android_asset/"


@dataclass(frozen=True, slots=True)
class _Candidate:
    split: Split
    name: str
    referenced: bool


def asset_paths(urls: Iterable[str]) -> set[str]:
    """``assets/…`` entry names of the ``file:///android_asset/…`` URLs among ``urls``."""
    found = set()
    for url in urls:
        if url.startswith(_ASSET_URL):
            path = unquote(urlsplit(url).path)[len("/android_asset/"):]
            if path and ".." not in path.split("/"):
                found.add("assets/" + path)
    return found


def _media(name: str) -> str | None:
    base = name.rsplit("/", 1)[-1]
    suffix = "." + base.rsplit(".", 1)[1].lower() if "." in base else ""
    return _SUFFIXES.get(suffix)


def _candidates(archive: AppArchive, referenced: set[str]) -> list[_Candidate]:
    found: list[_Candidate] = []
    for split in archive.apks:
        for name in split.zip.names():
            if not name.startswith(_ROOTS) or name.endswith("/") or _media(name) is None:
                continue
            is_ref = name in referenced
            if is_ref or _NAME.search(name.rsplit("/", 1)[-1]):
                found.append(_Candidate(split, name, is_ref))
    found.sort(key=lambda c: (not c.referenced, not _STRONG_NAME.search(c.name), c.split.name, c.name))
    return found[:MAX_CANDIDATES]


def find_bundled(archive: AppArchive, terms: PolicyTerms, urls: Iterable[str] = ()) -> RawPolicy | None:
    """The app's bundled privacy policy, or None when it has none we can recognise."""
    markers = tuple(m.lower() for m in terms.policy_markers)
    best: tuple[tuple[int, int, int, int], RawPolicy] | None = None
    for cand in _candidates(archive, asset_paths(urls)):
        try:
            if cand.split.zip.size(cand.name) > MAX_CANDIDATE:
                continue
            data = cand.split.zip.read(cand.name)
        except ScanFailure:
            continue  # a damaged entry is the scan's finding, not a policy
        media = _media(cand.name)
        if media != PDF:
            media = sniff(data) if media == TEXT else media
        if media is None:
            continue
        from scanner.privacy_policy.read import decode  # the HTML reader loads only for a candidate file

        text = "" if media == PDF else decode(data[:200_000]).lower()
        hits = sum(text.count(m) for m in markers)
        strong = bool(_STRONG_NAME.search(cand.name))
        if not (hits or (strong and media != PDF and text.strip()) or cand.referenced and hits):
            continue
        reason = "; ".join(r for r in (
            "opened by the app's code as " + _ASSET_URL + cand.name[len("assets/"):] if cand.referenced else "",
            f"names itself a privacy policy ({hits} mention{'s' if hits != 1 else ''})" if hits else "",
            "its file name" if strong else "") if r)
        score = (int(cand.referenced), int(hits > 0), int(strong), hits)
        raw = RawPolicy(PolicySource("bundled", cand.name, cand.split.name, reason), data, media)
        if best is None or score > best[0]:
            best = (score, raw)
    return best[1] if best else None
