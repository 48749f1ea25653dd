"""``glob_match`` decides as ``fnmatch.fnmatchcase`` does: on every glob the knowledge base holds, against the
names of the fixture apps, and on generated names and patterns (the ones it hands to ``fnmatchcase`` too)."""

from __future__ import annotations

import fnmatch
import zipfile

from hypothesis import example, given
from hypothesis import strategies as st

from signatures.globs import glob_match
from tests.conftest import FIXTURES, KB

ALPHABET = st.sampled_from(list("ab*?[]!/.-_\n\u00e9") + ["lib", ".so", "*", "**"])
TEXT = st.lists(ALPHABET, max_size=8).map("".join)


@given(name=TEXT, pattern=TEXT)
@example(name="ab", pattern="ab*b")  # head and tail overlap in the name: too short to hold both
@example(name="libx.so", pattern="libx.so*.so")
@example(name="lib.so", pattern="lib*")
@example(name="a\nb", pattern="a*b")  # * crosses a newline, as in fnmatch
@example(name="LIB.so", pattern="lib*.so")  # case counts
def test_it_agrees_with_fnmatchcase(name: str, pattern: str) -> None:
    assert glob_match(name, pattern) == fnmatch.fnmatchcase(name, pattern)


@given(head=TEXT, middle=TEXT, tail=TEXT, cut=st.integers(0, 8))
def test_it_agrees_on_names_made_from_the_pattern(head: str, middle: str, tail: str, cut: int) -> None:
    pattern = f"{head}*{tail}"
    for name in (head + middle + tail, (head + tail)[cut:], (head + tail)[:-cut or None], head + tail[cut:]):
        assert glob_match(name, pattern) == fnmatch.fnmatchcase(name, pattern), (name, pattern)


def test_it_agrees_on_the_knowledge_bases_globs_and_the_fixtures_files() -> None:
    globs = {g for p in KB.packers for g in (*p.libraries, *p.assets)} | {g for g, _ in KB._library_globs}
    names = {n.rsplit("/", 1)[-1] for apk in FIXTURES.rglob("*.apk") if zipfile.is_zipfile(apk)
             for n in zipfile.ZipFile(apk).namelist()}
    names |= {g.replace("*", "1.2.3") for g in globs} | {g.replace("*", "") for g in globs}
    assert len(globs) > 50 and any("*" in g for g in globs)
    matched = 0
    for pattern in globs:
        for name in names:
            ours = glob_match(name, pattern)
            assert ours == fnmatch.fnmatchcase(name, pattern), (name, pattern)
            matched += ours
    assert matched > len(globs)  # the names made from the globs match them
