"""JAR manifests (``META-INF/MANIFEST.MF`` and ``*.SF``) read the way Android's apksig reads them.

A manifest is sections separated by empty lines; a section is ``Name: value`` lines, a line starting with
one space continuing the previous one; lines end with CRLF, LF or CR. An attribute's name and value are
split at the first ": " (names may end in spaces, values start and end with them: obfuscators use
that). Each section keeps its byte range, empty line included, because the .SF signs those bytes.
Names are looked up case-insensitively; the first attribute of a name wins.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Section:
    start: int
    size: int
    attributes: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str | None:
        if self.attributes and self.attributes[0][0].lower() == "name":
            return self.attributes[0][1]
        return None

    def get(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for n, v in self.attributes if n.lower() == wanted), None)


def _lines(data: bytes) -> list[tuple[bytes, int, int]]:
    """Each line without its end, with its start offset and the offset just past its end."""
    lines = []
    at, size = 0, len(data)
    while at < size:
        lf = data.find(b"\n", at)
        cr = data.find(b"\r", at, size if lf < 0 else lf)  # bounded: no rescan of the rest per line
        end = cr if cr >= 0 else lf
        if end < 0:
            lines.append((data[at:], at, size))
            break
        after = end + 2 if data[end:end + 2] == b"\r\n" else end + 1
        lines.append((data[at:end], at, after))
        at = after
    return lines


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
    """Every section, the main one first (empty lines before a section skipped); sections are never empty."""
    sections: list[Section] = []
    start = 0
    attributes: list[bytes] = []
    pending: bytes | None = None  # the attribute being assembled from continuation lines

    def close(end: int) -> None:
        nonlocal attributes, pending
        if pending is not None:
            attributes.append(pending)
            pending = None
        if attributes:
            sections.append(Section(start, end - start, tuple(_attribute(a) for a in attributes)))
            attributes = []

    for line, begin, after in _lines(data):
        if not line:
            close(after)
        elif line[:1] == b" " and pending is not None:
            pending += line[1:]
        else:
            if pending is None and not attributes:
                start = begin
            if pending is not None:
                attributes.append(pending)
            pending = line
    close(len(data))
    return sections
