"""A loaded policy to text: sentences, language and tables (``Policy``).

HTML goes through a real parser (BeautifulSoup on the standard library's ``html.parser``: no native
code, tolerant of broken markup); scripts, styles and templates are dropped, and block elements
(headings, paragraphs, list items, table rows) end a sentence, so a heading never runs into the text
after it. Plain text keeps its lines as blocks. PDF text comes from ``pypdf``, page by page, within a
page limit. Sentences are split on Chinese and Latin end punctuation: matching is by substring over a
lexicon, so a word segmenter (jieba) would add a dictionary and start-up time without changing a
match. Reading is bounded: past ``max_chars`` of text the rest is dropped and ``truncated`` is set.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import warnings
from collections.abc import Iterator

from bs4 import BeautifulSoup, UnicodeDammit
from bs4.element import Comment, Declaration, Doctype, NavigableString, PageElement, ProcessingInstruction, Tag

from scanner.privacy_policy.errors import PolicyError, PolicyUnsupported
from scanner.privacy_policy.model import HTML, PDF, TEXT, Policy, PolicyTable, RawPolicy
from scanner.privacy_policy.tables import make_table, rows_of, text_tables

MAX_CHARS = 1_000_000
MAX_SENTENCE = 600  # longer sentences are cut at clause marks, so a quote stays readable
MAX_PDF_PAGES = 300
_DROP = ("script", "style", "noscript", "template", "svg", "iframe", "object", "head")
_BLOCKS = ("p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "section",
           "article", "header", "footer", "blockquote", "pre", "dt", "dd", "table", "caption", "title", "main",
           "nav", "aside", "hr", "address", "figure", "figcaption", "details", "summary", "body")
_BREAK = "\ue000"  # private-use characters: never in a policy, and not whitespace to str.split()
_TABLE = "\ue001"
_SKIP_STRINGS = (Comment, Declaration, Doctype, ProcessingInstruction)
_END = re.compile(r"(?<=[。！？!?])|(?<=\.)(?=\s+[A-Z0-9\"“(（])")
_CLAUSE = re.compile(r"(?<=[；;，,])")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "inc.", "co.", "ltd.", "no.", "mr.", "ms.", "dr.", "vs.", "art.")
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u3000]+")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]) (?=[\u3400-\u9fff\u3000-\u303f\uff00-\uffef])")
_ENUMERATOR = re.compile(r"^(\d{1,3}(\.\d{1,3})*|[A-Za-z]|[ivxIVX]{1,5})\.$")  # "1." "2.3." "a." "iv."
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def decode(data: bytes) -> str:
    """Bytes to text: a BOM or an HTML charset declaration first, then UTF-8, then GB18030 (Chinese sites)."""
    dammit = UnicodeDammit(data, ["utf-8", "gb18030"], is_html=data.lstrip()[:1] == b"<")
    if dammit.unicode_markup is None:
        return data.decode("utf-8", errors="replace")
    return dammit.unicode_markup


def read_policy(raw: RawPolicy, max_chars: int = MAX_CHARS) -> Policy:
    """Read ``raw`` into sentences and tables; ``PolicyError`` when it cannot be read at all."""
    where = str(raw.source)
    if raw.media_type == PDF:
        blocks, tables = _text_blocks(pdf_text(raw.data, where))
    elif raw.media_type == HTML:
        blocks, tables = html_blocks(decode(raw.data))
    elif raw.media_type == TEXT:
        blocks, tables = _text_blocks(decode(raw.data))
    else:
        raise PolicyUnsupported(where, f"media type {raw.media_type!r} is not HTML, text or PDF")
    sentences, truncated = split_sentences(blocks, max_chars)
    return Policy(raw.source, hashlib.sha256(raw.data).hexdigest(), raw.media_type, language(" ".join(sentences)),
                  tuple(sentences), tuple(tables), truncated)


def html_blocks(markup: str) -> tuple[list[str], list[PolicyTable]]:
    """Text blocks in document order, a table's rows as blocks of their own, and the tables.

    One iterative walk over the tree (no recursion, no tree edits: bs4's insertions cost the depth
    each, which made 20,000 nested divs take a minute).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bs4 warns about markup that looks like a file name or URL
        soup = BeautifulSoup(markup, "html.parser")
    tables: list[PolicyTable] = []
    out: list[str] = []
    stack: list[tuple[Tag, Iterator[PageElement]]] = [(soup, iter(soup.contents))]
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if node.name in _BLOCKS:
                out.append(_BREAK)
        elif isinstance(child, NavigableString):
            if not isinstance(child, _SKIP_STRINGS):
                out.append(str(child))
        elif isinstance(child, Tag) and child.name not in _DROP:
            if child.name in ("br", "table"):
                out += _leaf(child, tables)
            else:
                if child.name in _BLOCKS:
                    out.append(_BREAK)
                stack.append((child, iter(child.contents)))
    return _blocks(out), tables


def _blocks(out: list[str]) -> list[str]:
    """The walk's output cut at breaks; a table row (its cells joined by " | ") loses its mark."""
    blocks = []
    for block in _join(out).split(_BREAK):
        block = block.strip()
        if block:
            blocks.append(block[1:].strip() if block.startswith(_TABLE) else block)
    return blocks


def _leaf(tag: Tag, tables: list[PolicyTable]) -> list[str]:
    """A ``<br>`` as a break; a table as its rows, one block each (the header row only for a table
    without a recognisable header), added to ``tables``."""
    if tag.name == "br":
        return [_BREAK]
    rows = rows_of(tag)
    table = make_table(rows)
    if table is not None:
        tables.append(table)
    return [_BREAK, *(_TABLE + " | ".join(c for c in row if c) + _BREAK for row in (rows[1:] if table else rows))]


def _join(parts: list[str]) -> str:
    """Inline strings joined; whitespace between two Chinese characters is the source's line wrap, not a space."""
    return _CJK_GAP.sub("", _SPACES.sub(" ", "".join(parts)))


def _text_blocks(text: str) -> tuple[list[str], list[PolicyTable]]:
    lines = [line.rstrip() for line in text.splitlines()]
    lines = [line if "\t" in line else _SPACES.sub(" ", line) for line in lines]
    found = text_tables(lines)
    blocks: list[str] = []
    at = 0
    for start, end, table in found:
        blocks += [line.strip() for line in lines[at:start] if line.strip()]
        blocks += [" | ".join(c for c in row if c) for row in table.rows]
        at = end
    blocks += [line.strip() for line in lines[at:] if line.strip()]
    return blocks, [t for _, _, t in found]


def pdf_text(data: bytes, where: str) -> str:
    """The text of a PDF's pages (at most ``MAX_PDF_PAGES``), one line per extracted line."""
    import pypdf  # only a PDF needs it
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise PolicyError(where, "the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages[:MAX_PDF_PAGES]]
    except PyPdfError as exc:
        raise PolicyError(where, f"not a readable PDF ({exc})") from None
    except (ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as exc:
        raise PolicyError(where, f"not a readable PDF ({type(exc).__name__})") from None
    return "\n".join(pages)


def split_sentences(blocks: list[str], max_chars: int = MAX_CHARS) -> tuple[list[str], bool]:
    """Blocks to sentences, at most ``max_chars`` of text in all; True when some was left out."""
    sentences: list[str] = []
    total = 0
    for block in blocks:
        for sentence in _sentences(block):
            if total + len(sentence) > max_chars:
                return sentences, True
            total += len(sentence)
            sentences.append(sentence)
    return sentences, False


def _sentences(block: str) -> list[str]:
    pieces: list[str] = []
    for piece in _END.split(block):
        piece = piece.strip()
        if not piece:
            continue
        if pieces and (pieces[-1].lower().endswith(_ABBREVIATIONS) or _ENUMERATOR.match(pieces[-1])):
            pieces[-1] = f"{pieces[-1]} {piece}"
        else:
            pieces.append(piece)
    out: list[str] = []
    for piece in pieces:
        out += _cut(piece) if len(piece) > MAX_SENTENCE else [piece]
    return [p for p in out if any(ch.isalnum() for ch in p)]


def _cut(sentence: str) -> list[str]:
    """A very long sentence cut at clause marks (or hard) into pieces of at most ``MAX_SENTENCE``."""
    out, current = [], ""
    for clause in _CLAUSE.split(sentence):
        while len(clause) > MAX_SENTENCE:
            out.append(clause[:MAX_SENTENCE])
            clause = clause[MAX_SENTENCE:]
        if len(current) + len(clause) > MAX_SENTENCE and current:
            out.append(current.strip())
            current = ""
        current += clause
    if current.strip():
        out.append(current.strip())
    return out


def language(text: str) -> str:
    """zh when Chinese characters make up a real share of the text, en when Latin letters do, else und."""
    sample = text[:200_000]
    cjk, latin = len(_CJK.findall(sample)), len(_LATIN.findall(sample))
    if cjk + latin < 20:
        return "und"
    return "zh" if cjk * 4 >= latin else "en"
