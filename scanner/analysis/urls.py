"""Find URLs in the strings of an app (dex constants, resource values).

XML namespace and schema URLs are not endpoints: every app carries them, so
they are dropped here rather than reported as network traffic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

_URL = re.compile(r"\b(?:https?|wss?)://[A-Za-z0-9._~:/?#\[\]@!$&'()*+,;=%-]+", re.IGNORECASE)
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}$|^\d{1,3}(?:\.\d{1,3}){3}$")
NOT_ENDPOINTS = frozenset({
    "schemas.android.com", "www.w3.org", "ns.adobe.com", "xmlpull.org", "xml.org", "xmlns.com",
    "purl.org", "www.xmlpull.org", "apache.org", "xml.apache.org", "schemas.microsoft.com",
    "www.apple.com", "localhost", "example.com", "www.example.com",
})


@dataclass(frozen=True, slots=True, order=True)
class FoundUrl:
    url: str
    host: str
    scheme: str
    source: str  # dex | resource
    string: str  # the whole string constant the URL sits in


def find_urls(strings: tuple[str, ...] | list[str], source: str) -> list[FoundUrl]:
    found: set[FoundUrl] = set()
    for text in strings:
        if "://" not in text:
            continue
        for match in _URL.finditer(text):
            url = match.group(0).rstrip(".,;)'\"")
            try:
                parts = urlsplit(url)
                host = (parts.hostname or "").lower()
            except ValueError:
                continue
            if host and host not in NOT_ENDPOINTS and _HOST.match(host):
                found.add(FoundUrl(url, host, parts.scheme.lower(), source, text))
    return sorted(found)
