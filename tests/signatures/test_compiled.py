"""The compiled knowledge base: the TOML's entries, rebuilt whenever a data file changes or the copy is bad."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from signatures import compiled
from signatures.loader import bundled_dir, load_dir
from signatures.model import KnowledgeBase


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    """A copy of the bundled data folder, free to edit."""
    folder = tmp_path / "data"
    shutil.copytree(str(bundled_dir()), folder)
    return folder


def load(cache: Path, data: Path, builds: list[int]) -> KnowledgeBase:
    def build() -> KnowledgeBase:
        builds.append(1)
        return load_dir(data)
    return compiled.load(cache, data, None, build)


def test_the_copy_holds_what_the_toml_holds_and_spares_the_second_build(tmp_path: Path, data: Path) -> None:
    builds: list[int] = []
    first = load(tmp_path / "cache", data, builds)
    second = load(tmp_path / "cache", data, builds)
    assert builds == [1]
    assert [s.id for s in second.sdks] == [s.id for s in first.sdks] and second.sdks == first.sdks
    assert dict(second.rules) == dict(first.rules) and dict(second.permissions) == dict(first.permissions)
    # the indexes built at load time came along: look-ups answer as on the freshly built one
    assert second.sdk_for_class("com.umeng.analytics.pro").id == first.sdk_for_class("com.umeng.analytics.pro").id
    assert second.sdks_for_host("ulogs.umeng.com") == first.sdks_for_host("ulogs.umeng.com")
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [
        f"{compiled.PREFIX}{compiled.key(data, None)}{compiled.SUFFIX}"]


def test_an_edited_data_file_is_never_read_from_a_stale_copy(tmp_path: Path, data: Path) -> None:
    builds: list[int] = []
    load(tmp_path / "cache", data, builds)
    rules = data / "rules.toml"
    rules.write_text(rules.read_text(encoding="utf-8").replace('title = "', 'title = "Edited: ', 1), encoding="utf-8")
    edited = load(tmp_path / "cache", data, builds)
    assert builds == [1, 1]
    assert any(r.title.startswith("Edited: ") for r in edited.rules.values())
    assert len(list((tmp_path / "cache").iterdir())) == 1  # the stale copy was removed


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05N."], ids=["empty", "garbage", "not-a-kb"])
def test_a_damaged_copy_is_rebuilt(tmp_path: Path, data: Path, damage: bytes) -> None:
    builds: list[int] = []
    load(tmp_path / "cache", data, builds)
    [copy] = (tmp_path / "cache").iterdir()
    copy.write_bytes(damage)
    assert load(tmp_path / "cache", data, builds).sdks and builds == [1, 1]
    assert copy.read_bytes() != damage  # and replaced


def test_an_unwritable_cache_only_costs_speed(tmp_path: Path, data: Path) -> None:
    """A file where the cache folder would be: unwritable even for root (CI runs as root)."""
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder would be")
    builds: list[int] = []
    assert load(blocker, data, builds).sdks and builds == [1]
