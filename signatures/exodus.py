"""Convert the Exodus tracker list (`/api/trackers` JSON) into appaudit entries.

Used twice: once by hand to write the bundled ``data/trackers.toml`` and by
``signatures update`` to refresh the user's cache, so both always agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlparse

# Exodus category names -> appaudit sdk_categories (meta.toml).
CATEGORY_MAP = {
    "Analytics": "analytics",
    "Advertisement": "advertisement",
    "Location": "location",
    "Profiling": "profiling",
    "Identification": "identification",
    "Crash reporting": "crash_reporting",
}

# Exodus has no vendor field. Group trackers of one company so the loader's
# "one prefix, two vendors" check is meaningful; unknown ones are their own vendor.
_VENDOR_BY_DOMAIN = {
    "adobe.com": "Adobe", "amazon.com": "Amazon", "appcenter.ms": "Microsoft", "baidu.com": "Baidu",
    "facebook.com": "Meta", "google.com": "Google", "my.com": "VK", "qq.com": "Tencent",
    "salesforce.com": "Salesforce", "singular.net": "Singular", "acoustic.co": "Acoustic",
    "snapchat.com": "Snap", "adjust.com": "Adjust", "umeng.com": "Umeng", "yandex.com": "Yandex",
    "millennialmedia.com": "Millennial Media", "huawei.com": "Huawei", "firebase.google.com": "Google",
}
_VENDOR_BY_NAME = (
    ("Google", "Google"), ("Firebase", "Google"), ("Facebook", "Meta"), ("Microsoft", "Microsoft"),
    ("Huawei", "Huawei"), ("Yandex", "Yandex"), ("Amazon", "Amazon"), ("Tencent", "Tencent"),
    ("Baidu", "Baidu"), ("Adobe", "Adobe"), ("Twitter", "X Corp."), ("Gigya", "SAP"), ("SAP ", "SAP"),
    ("Umeng", "Umeng"), ("Alibaba", "Alibaba"), ("Xiaomi", "Xiaomi"), ("Samsung", "Samsung"),
)
_PLAIN_PREFIX = re.compile(r"^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*\.?$")
SOURCE = "https://reports.exodus-privacy.eu.org/api/trackers"


class ExodusFormatError(ValueError):
    """The payload is not shaped like the Exodus `/api/trackers` answer."""


def slug(name: str) -> str:
    """Stable ASCII id from a tracker name: 'Google Firebase Analytics' -> 'google-firebase-analytics'."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "tracker"


def vendor_for(name: str, website: str) -> str:
    host = (urlparse(website).hostname or "").lower().removeprefix("www.")
    for domain, vendor in _VENDOR_BY_DOMAIN.items():
        if host == domain or host.endswith("." + domain):
            return vendor
    for start, vendor in _VENDOR_BY_NAME:
        if name.startswith(start):
            return vendor
    return name


def split_code_signature(signature: str) -> tuple[list[str], str]:
    """Plain prefixes become prefixes; anything else stays a (dot-escaped) regex.

    Exodus writes ``com.databerries.|com.geolocstation.``: a regex searched in
    the class list, where most parts are really package prefixes.
    """
    prefixes: list[str] = []
    regexes: list[str] = []
    for part in filter(None, (p.strip() for p in signature.split("|"))):
        if _PLAIN_PREFIX.match(part):
            prefixes.append(part.rstrip("."))
        else:
            regexes.append(re.escape(part) if "\\" not in part and "*" not in part else part)
    return list(dict.fromkeys(prefixes)), "|".join(regexes)


def validate_payload(payload: Any) -> Mapping[str, Mapping[str, Any]]:
    """Check the shape `{"trackers": {"<id>": {...}}}`; return the tracker mapping."""
    if not isinstance(payload, dict) or not isinstance(payload.get("trackers"), dict):
        raise ExodusFormatError('expected a JSON object with a "trackers" object')
    trackers: Mapping[str, Mapping[str, Any]] = payload["trackers"]
    if not trackers:
        raise ExodusFormatError('"trackers" is empty')
    for key, item in trackers.items():
        if not isinstance(item, dict):
            raise ExodusFormatError(f"tracker {key!r} is not an object")
        for field, kind in (("id", int), ("name", str), ("code_signature", str),
                            ("network_signature", str), ("categories", list)):
            if not isinstance(item.get(field), kind):
                raise ExodusFormatError(f"tracker {key!r}: field {field!r} missing or not {kind.__name__}")
        if not item["name"].strip():
            raise ExodusFormatError(f"tracker {key!r}: empty name")
        try:
            re.compile(item["network_signature"])
        except re.error as exc:
            raise ExodusFormatError(f"tracker {key!r}: network_signature does not compile ({exc})") from None
    return trackers


def convert(
    payload: Any,
    known_ids: Mapping[int, str] | None = None,
    umbrella: Iterable[str] = (),
) -> tuple[list[dict[str, Any]], list[str]]:
    """Return (entries in sdks.toml shape, notes about what was changed).

    ``known_ids`` keeps the slug of trackers we already know, so ids stay stable
    if Exodus renames one; umbrella or one-segment prefixes are dropped (noted).
    """
    trackers = validate_payload(payload)
    known_ids = known_ids or {}
    umbrella_set = set(umbrella)
    used: set[str] = set()
    entries: list[dict[str, Any]] = []
    notes: list[str] = []
    for item in sorted(trackers.values(), key=lambda t: t["id"]):
        exodus_id = item["id"]
        ident = known_ids.get(exodus_id) or slug(item["name"])
        if ident in used:
            ident = f"{ident}-{exodus_id}"
        used.add(ident)
        prefixes, code_regex = split_code_signature(item["code_signature"])
        kept = []
        for prefix in prefixes:
            if prefix in umbrella_set or "." not in prefix:
                notes.append(f"exodus {exodus_id} ({item['name']}): dropped over-broad prefix {prefix!r}")
            else:
                kept.append(prefix)
        categories = [CATEGORY_MAP[c] for c in item["categories"] if c in CATEGORY_MAP]
        website = str(item.get("website") or "")
        entry: dict[str, Any] = {
            "id": ident,
            "exodus_id": exodus_id,
            "name": item["name"].strip(),
            "vendor": vendor_for(item["name"], website),
            "categories": categories,
            "prefixes": kept,
            "code_regex": code_regex,
            "network_regex": item["network_signature"],
            "website": website,
            "source": [f"{SOURCE} #{exodus_id}"],
        }
        entries.append({k: v for k, v in entry.items() if v not in ("", [], None)})
    return entries, notes
