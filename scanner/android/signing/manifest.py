"""JAR manifests (``META-INF/MANIFEST.MF`` and ``*.SF``) read the way Android's apksig reads them.

A manifest is sections separated by empty lines; a section is ``Name: value`` lines, a line starting with
one space continuing the previous one; lines end with CRLF, LF or CR. An attribute's name and value are
split at the first ": " (names may end in spaces, values start and end with them: obfuscators use
that). Each section keeps its byte range, empty line included, because the .SF signs those bytes.
Names are looked up case-insensitively; the first attribute of a name wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Section:
    start: int
    size: int
    attributes: tuple[tuple[str, str], ...]
    # lower-cased name -> first value, built on the first ``get``: the v1 check asks each of a store app's
    # ~3,000 sections for up to three digest names; lower-casing every attribute per ask took 3.3 ms, this 1.8
    _index: dict[str, str] | None = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str | None:
        if self.attributes and self.attributes[0][0].lower() == "name":
            return self.attributes[0][1]
        return None

    def get(self, name: str) -> str | None:
        index = self._index
        if index is None:
            index = {}
            for key, value in self.attributes:
                index.setdefault(key.lower(), value)  # the first attribute of a name wins
            object.__setattr__(self, "_index", index)
        return index.get(name.lower())


def _attribute(raw: bytes) -> tuple[str, str]:
    text = raw.decode("utf-8", "replace")
    name, sep, value = text.partition(": ")
    return (name, value) if sep else (text, "")


def main_section(data: bytes) -> Section | None:
    """The first section only, read up to the first empty line."""
    blank = min((at for at in (data.find(b"\n\n"), data.find(b"\r\n\r\n"), data.find(b"\r\r")) if at >= 0),
                default=len(data))
    sections = parse_manifest(data[:blank + 4])
    return sections[0] if sections else None


def parse_manifest(data: bytes) -> list[Section]:
    """Every section, the main one first (empty lines before a section skipped); sections are never empty.

    One flat loop (no per-line helper calls): a store app's MANIFEST.MF and .SF have ~9,000 lines each.
    """
    sections: list[Section] = []
    start = 0
    attributes: list[bytes] = []
    pending: bytes | None = None  # the attribute being assembled from continuation lines
    at = 0
    for line, whole in zip(data.splitlines(), data.splitlines(keepends=True), strict=True):
        begin, at = at, at + len(whole)
        if not line:  # an empty line closes the section, and belongs to it
            if pending is not None:
                attributes.append(pending)
                pending = None
            if attributes:
                sections.append(Section(start, at - start, tuple(map(_attribute, attributes))))
                attributes = []
        elif line[:1] == b" " and pending is not None:
            pending += line[1:]
        else:
            if pending is None and not attributes:
                start = begin
            if pending is not None:
                attributes.append(pending)
            pending = line
    if pending is not None:
        attributes.append(pending)
    if attributes:
        sections.append(Section(start, len(data) - start, tuple(map(_attribute, attributes))))
    return sections
