"""A tiny parse of a rendered report: the tags, attributes and inline blocks a browser would see."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Page:
    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs in self.tags if t == tag]

    def section_ids(self) -> list[str]:
        return [a["id"] or "" for a in self.all("section")]

    def csp(self) -> str:
        metas = [a for a in self.all("meta") if (a.get("http-equiv") or "").lower() == "content-security-policy"]
        assert len(metas) == 1
        return metas[0]["content"] or ""


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._block: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._block = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._block:
            self._block = None

    def handle_data(self, data: str) -> None:
        if self._block == "script":
            self.page.scripts.append(data)
        elif self._block == "style":
            self.page.styles.append(data)
        else:
            self.page.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.page.comments.append(data)


def parse(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"
