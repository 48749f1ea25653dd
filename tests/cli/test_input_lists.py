"""``.txt`` lists of inputs: cycles and nesting are errors naming the list; missing entries are named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.errors import InputListError
from scanner.gate.verdict import EXIT_INPUT, EXIT_USAGE
from scanner.input.archive import MAX_LIST_DEPTH, expand
from tests.cli.conftest import Run
from tests.gate.conftest import V1, appaudit

Cli = Callable[..., Run]


def test_a_list_that_includes_itself(tmp_path: Path) -> None:
    listing = tmp_path / "self.txt"
    listing.write_text(f"{V1}\nself.txt\n")
    with pytest.raises(InputListError) as err:
        expand([str(listing)])
    assert err.value.path == str(listing)
    assert str(err.value) == f"{listing}: includes itself"


def test_a_cycle_of_two_lists(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("b.txt\n")
    (tmp_path / "b.txt").write_text(f"{V1}\n./a.txt\n")
    with pytest.raises(InputListError, match=r"b\.txt: includes .*a\.txt, which leads back to it: a cycle of lists"):
        expand([str(tmp_path / "a.txt")])


def test_a_cycle_through_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("link.txt\n")
    (tmp_path / "link.txt").symlink_to(tmp_path / "a.txt")
    with pytest.raises(InputListError, match="includes"):
        expand([str(tmp_path / "a.txt")])


def test_shared_lists_are_not_a_cycle(tmp_path: Path) -> None:
    """a -> b, a -> c, b -> d, c -> d: d is read twice, its apps kept once."""
    (tmp_path / "a.txt").write_text("b.txt\nc.txt\n")
    (tmp_path / "b.txt").write_text("d.txt\n")
    (tmp_path / "c.txt").write_text("d.txt\n")
    (tmp_path / "d.txt").write_text(f"{V1}\n")
    assert expand([str(tmp_path / "a.txt"), str(tmp_path / "d.txt")]) == [V1]


def test_deep_nesting_has_a_limit(tmp_path: Path) -> None:
    depth = MAX_LIST_DEPTH + 1
    for i in range(depth):
        (tmp_path / f"l{i}.txt").write_text(f"l{i + 1}.txt\n" if i + 1 < depth else f"{V1}\n")
    with pytest.raises(InputListError, match=f"nested more than {MAX_LIST_DEPTH} deep"):
        expand([str(tmp_path / "l0.txt")])
    assert expand([str(tmp_path / "l1.txt")]) == [V1]


def test_an_unreadable_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    listing = tmp_path / "apps.txt"
    listing.write_text(f"{V1}\n")

    def denied(*_: object, **__: object) -> bytes:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(InputListError, match="cannot be read: Permission denied"):
        expand([str(listing)])


def test_missing_entries_are_named_with_their_list(tmp_path: Path) -> None:
    listing = tmp_path / "apps.txt"
    listing.write_text(f"# apps\n{V1}\n\nmissing.apk\n")
    notes: list[str] = []
    assert expand([str(listing)], notes.append) == [V1, str(tmp_path / "missing.apk")]
    assert notes == [f"{listing} line 4: {tmp_path / 'missing.apk'} does not exist"]


def test_cli_recursive_list(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("b.txt\n")
    (tmp_path / "b.txt").write_text("a.txt\n")
    run = cli("scan", str(tmp_path / "a.txt"), "-o", str(tmp_path / "out"))
    assert run.code == EXIT_USAGE
    assert run.err_lines == [f"appaudit: {tmp_path / 'b.txt'}: includes {tmp_path / 'a.txt'}, "
                             "which leads back to it: a cycle of lists"]
    assert not (tmp_path / "out").exists()


def test_cli_missing_entry(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "apps.txt").write_text(f"{V1}\nmissing.apk\n")
    run = cli("scan", str(tmp_path / "apps.txt"), "-o", str(tmp_path / "out"), "-f", "json")
    assert run.code == EXIT_INPUT  # the missing app still gets its error result, as in a batch
    assert run.err_lines[0] == (f"appaudit: warning: {tmp_path / 'apps.txt'} line 2: "
                                f"{tmp_path / 'missing.apk'} does not exist")
    assert (tmp_path / "out" / "missing.json").is_file()


def test_as_a_process(tmp_path: Path) -> None:
    (tmp_path / "self.txt").write_text("self.txt\n")
    proc = appaudit("scan", str(tmp_path / "self.txt"), "-o", str(tmp_path / "out"))
    assert proc.returncode == EXIT_USAGE
    assert proc.stderr.splitlines() == [f"appaudit: {tmp_path / 'self.txt'}: includes itself"]


def test_each_list_is_read_once(tmp_path: Path) -> None:
    """Ten levels of a list naming the next one ten times: read once each, not 10 ** 10 times."""
    for i in range(10):
        (tmp_path / f"l{i}.txt").write_text(f"l{i + 1}.txt\n" * 10)
    (tmp_path / "l10.txt").write_text(f"{V1}\nmissing.apk\n")
    notes: list[str] = []
    assert expand([str(tmp_path / "l0.txt")], notes.append) == [V1, str(tmp_path / "missing.apk")]
    assert notes == [f"{tmp_path / 'l10.txt'} line 2: {tmp_path / 'missing.apk'} does not exist"]
