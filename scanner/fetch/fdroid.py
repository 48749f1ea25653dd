"""An F-Droid repository's signed index, checked the way F-Droid's client checks it.

Index v2 first: ``entry.jar`` is a JAR signed by the repository key; its ``entry.json`` names the index
file (``/index-v2.json``) with its sha256, so the index itself need not be signed. A repository without
``entry.jar`` (HTTP 404) is read through index v1: ``index-v1.jar``, whose signed ``index-v1.json`` is the
index. Any other failure of ``entry.jar`` (a bad signature, another signer) stops: falling back then would
let whoever can tamper with the server choose the older format.

The JAR signature is checked by appaudit's own v1 verifier (``scanner.android.signing.jar``: every
entry's digest, the .SF against the manifest, the CMS signature over the .SF); exactly one signer is
accepted, and its certificate's SHA-256 must equal the pinned fingerprint — what F-Droid clients pin
for a repository (``--fingerprint``, or ``?fingerprint=`` in the repository address).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from scanner.errors import ScanFailure
from scanner.fetch.download import Downloader
from scanner.fetch.release import SHA256, FetchError, Release, StoreError

ENTRY_JAR, ENTRY_JSON = "entry.jar", "entry.json"
INDEX_V1_JAR, INDEX_V1_JSON = "index-v1.jar", "index-v1.json"
MAX_JAR = 64 << 20
MAX_INDEX = 512 << 20
_JAR_LEVEL = 24  # JAR verification no longer changes after API 24
_FILE = re.compile(r"/?[A-Za-z0-9._+~@-]+(/[A-Za-z0-9._+~@-]+)*")


@dataclass(frozen=True, slots=True)
class Index:
    repo: str  # the repository address, without a query
    format: str  # "v2" or "v1"
    signer: str  # sha256 of the certificate that signed it
    timestamp: int | None  # milliseconds since 1970, as the repository says
    releases: tuple[Release, ...]


def repository(address: str) -> tuple[str, str | None]:
    """(the repository URL, a fingerprint given in it as ``?fingerprint=``): how F-Droid shares repos."""
    parts = urlsplit(address.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise StoreError(f"{address}: not an http(s) address of an F-Droid repository")
    given = parse_qs(parts.query).get("fingerprint", [None])[0]
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", "")), given


def normal_fingerprint(text: str) -> str:
    """A SHA-256 fingerprint as lower-case hex (F-Droid shows it with spaces or colons)."""
    value = re.sub(r"[\s:]", "", text).lower()
    if not SHA256.fullmatch(value):
        raise StoreError(f"--fingerprint {text!r}: not a SHA-256 fingerprint (64 hex digits)")
    return value


def load_index(address: str, fingerprint: str | None, downloader: Downloader) -> Index:
    """The verified index of the repository at ``address``; ``StoreError`` naming the reason otherwise.
    ``fingerprint`` None accepts any one signer (the caller warns and shows the one found)."""
    repo, given = repository(address)
    pin = fingerprint or given
    pinned = normal_fingerprint(pin) if pin else None
    try:
        entry_jar = downloader.get(f"{repo}/{ENTRY_JAR}", f"{repo}/{ENTRY_JAR}", MAX_JAR)
    except FetchError as exc:
        if exc.code != "not-found":
            raise StoreError(f"cannot download the index: {exc}") from None
        return _v1(repo, pinned, downloader)
    signer, entry = signed_member(entry_jar, f"{repo}/{ENTRY_JAR}", ENTRY_JSON, pinned)
    name, sha256, timestamp = _entry(entry, repo)
    url = f"{repo}/{name.lstrip('/')}"
    try:
        data = downloader.get(url, url, MAX_INDEX)
    except FetchError as exc:
        raise StoreError(f"cannot download the index: {exc}") from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise StoreError(f"{url}: sha256 {actual} is not the {sha256} that the signed {ENTRY_JSON} lists "
                         "(the index was changed, or is from another update than entry.jar)")
    return Index(repo, "v2", signer, timestamp, parse_v2(_json(data, url), repo, url))


def _v1(repo: str, pinned: str | None, downloader: Downloader) -> Index:
    url = f"{repo}/{INDEX_V1_JAR}"
    try:
        jar = downloader.get(url, url, MAX_INDEX)
    except FetchError as exc:
        raise StoreError(f"not an F-Droid repository, or not reachable: {repo}/{ENTRY_JAR} was not found, "
                         f"and {exc}") from None
    signer, data = signed_member(jar, url, INDEX_V1_JSON, pinned)
    doc = _json(data, url)
    timestamp = doc.get("repo", {}).get("timestamp") if isinstance(doc.get("repo"), dict) else None
    return Index(repo, "v1", signer, timestamp if isinstance(timestamp, int) else None, parse_v1(doc, repo, url))


def signed_member(jar: bytes, label: str, member: str, pinned: str | None) -> tuple[str, bytes]:
    """(signer certificate sha256, ``member``'s bytes) of a JAR whose v1 signature verifies, signed by
    exactly one certificate, the pinned one when given."""
    from scanner.android.signing.jar import JarScheme
    from scanner.input.safezip import SafeZip

    try:
        scheme = JarScheme(SafeZip(jar, label))
        certificates, problem = scheme.at(_JAR_LEVEL)
        if problem is not None:
            raise StoreError(f"{label}: the signature does not verify: {problem.removeprefix('v1: ')}")
        if len(certificates) != 1:
            raise StoreError(f"{label}: signed by {len(certificates)} certificates; a repository has one")
        if pinned is not None and certificates[0] != pinned:
            raise StoreError(f"{label}: signed by certificate {certificates[0]}, not by the pinned {pinned} "
                             "(another key signed this repository: check the address and --fingerprint)")
        if member not in scheme.names:
            raise StoreError(f"{label}: holds no {member}")
        return certificates[0], scheme.read(member)
    except ScanFailure as exc:
        raise StoreError(f"{label}: not a readable JAR ({exc.reason})") from None


def _json(data: bytes, label: str) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise StoreError(f"{label}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise StoreError(f"{label}: not a JSON object")
    return doc


def _entry(data: bytes, repo: str) -> tuple[str, str, int | None]:
    doc = _json(data, f"{repo}/{ENTRY_JAR}!{ENTRY_JSON}")
    index = doc.get("index")
    name = index.get("name") if isinstance(index, dict) else None
    sha256 = index.get("sha256") if isinstance(index, dict) else None
    if not isinstance(name, str) or not _FILE.fullmatch(name) or ".." in name.split("/"):
        raise StoreError(f"{repo}/{ENTRY_JAR}: {ENTRY_JSON} names no usable index file ({name!r})")
    if not isinstance(sha256, str) or not SHA256.fullmatch(sha256.lower()):
        raise StoreError(f"{repo}/{ENTRY_JAR}: {ENTRY_JSON} gives no sha256 of the index")
    timestamp = doc.get("timestamp")
    return name, sha256.lower(), timestamp if isinstance(timestamp, int) else None


def _file_url(repo: str, name: Any, label: str) -> str:
    if not isinstance(name, str) or not _FILE.fullmatch(name) or ".." in name.split("/"):
        raise StoreError(f"{label}: an unusable file name {name!r}")
    return f"{repo}/{name.lstrip('/')}"


def _sha(value: Any, label: str) -> str:
    if not isinstance(value, str) or not SHA256.fullmatch(value.lower()):
        raise StoreError(f"{label}: an unusable sha256 {value!r}")
    return value.lower()


def _date(millis: Any) -> str | None:
    if not isinstance(millis, int) or millis <= 0:
        return None
    return datetime.datetime.fromtimestamp(millis / 1000, datetime.UTC).date().isoformat()


def parse_v2(doc: dict[str, Any], repo: str, label: str) -> tuple[Release, ...]:
    """Every APK of an index v2 (``packages.NAME.versions.ID``)."""
    try:
        found = []
        for package, entry in doc["packages"].items():
            categories = tuple(str(c) for c in (entry.get("metadata") or {}).get("categories") or ())
            for version in (entry.get("versions") or {}).values():
                file, manifest = version["file"], version["manifest"]
                code = manifest.get("versionCode")
                found.append(Release("fdroid", repo, str(package), code if isinstance(code, int) else None,
                                     manifest.get("versionName"), _file_url(repo, file["name"], label),
                                     _sha(file["sha256"], label), file.get("size"), categories,
                                     _date(version.get("added"))))
        return tuple(found)
    except (KeyError, TypeError, AttributeError) as exc:
        raise StoreError(f"{label}: not an F-Droid index v2 ({type(exc).__name__}: {exc})") from None


def parse_v1(doc: dict[str, Any], repo: str, label: str) -> tuple[Release, ...]:
    """Every APK of an index v1 (``apps`` for categories, ``packages.NAME[]`` for the files)."""
    try:
        categories = {a["packageName"]: tuple(str(c) for c in a.get("categories") or ()) for a in doc["apps"]}
        found = []
        for package, versions in doc["packages"].items():
            for version in versions:
                if version.get("hashType", "sha256") != "sha256":
                    raise StoreError(f"{label}: {package} has a {version.get('hashType')} hash, not sha256")
                code = version.get("versionCode")
                found.append(Release("fdroid", repo, str(package), code if isinstance(code, int) else None,
                                     version.get("versionName"), _file_url(repo, version["apkName"], label),
                                     _sha(version["hash"], label), version.get("size"),
                                     categories.get(package, ()), _date(version.get("added"))))
        return tuple(found)
    except (KeyError, TypeError, AttributeError) as exc:
        raise StoreError(f"{label}: not an F-Droid index v1 ({type(exc).__name__}: {exc})") from None
