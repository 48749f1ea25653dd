"""Where results go is checked before any scan runs: one line naming the path and the reason, exit 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.gate.verdict import EXIT_OK, EXIT_USAGE
from tests.cli.conftest import Run
from tests.gate.conftest import V1, V2, appaudit

Cli = Callable[..., Run]


class Scanned(Exception):
    pass


@pytest.fixture
def no_scan(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Scanning fails the test: the output check must come first."""
    calls: list[str] = []

    def scan(path: str, *_: object, **__: object) -> None:
        calls.append(path)
        raise Scanned(path)

    monkeypatch.setattr("scanner.gate.review.scan", scan)
    return calls


@pytest.fixture
def blocker(tmp_path: Path) -> Path:
    path = tmp_path / "afile"
    path.write_text("not a folder")
    return path


def _refused(run: Run, calls: list[str], *names: str) -> str:
    assert run.code == EXIT_USAGE, run.err
    assert not calls, "a scan ran before the output location was checked"
    assert len(run.err_lines) == 1 and "Traceback" not in run.err, run.err
    line = run.err_lines[0]
    assert all(name in line for name in names), line
    return line


def test_scan_output_is_a_file(cli: Cli, no_scan: list[str], blocker: Path) -> None:
    line = _refused(cli("scan", V1, "-o", str(blocker)), no_scan, str(blocker))
    assert "not a folder" in line


def test_scan_output_under_a_file(cli: Cli, no_scan: list[str], blocker: Path) -> None:
    """Fails even for root (CI), unlike a folder without write permission."""
    target = blocker / "sub" / "deeper"
    line = _refused(cli("scan", V1, V2, "-o", str(target)), no_scan, str(target), str(blocker))
    assert "is a file" in line
    assert not target.exists()


def test_diff_and_baseline_outputs(cli: Cli, no_scan: list[str], blocker: Path, tmp_path: Path) -> None:
    _refused(cli("diff", V1, V2, "-o", str(blocker / "d")), no_scan, str(blocker))
    _refused(cli("baseline", "create", V1, "-o", str(blocker / "b.json")), no_scan, str(blocker))
    folder = tmp_path / "folder"
    folder.mkdir()
    line = _refused(cli("baseline", "create", V1, "-o", str(folder)), no_scan, str(folder))
    assert "is a folder" in line


def test_a_new_nested_folder_is_fine(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "new" / "nested"
    run = cli("scan", V1, "-o", str(target), "-f", "json")
    assert run.code == EXIT_OK, run.err
    assert [p.name for p in target.iterdir()] == ["release_v1.json"]


def test_standard_output_needs_no_folder(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run = cli("scan", V1, "-o", "-")
    assert run.code == EXIT_OK and run.out.startswith("{")
    assert not list(tmp_path.iterdir())


def test_as_a_process(blocker: Path) -> None:
    proc = appaudit("scan", V1, "-o", str(blocker / "sub"))
    assert proc.returncode == EXIT_USAGE
    assert proc.stderr.splitlines() == [f"appaudit: -o {blocker / 'sub'}: {blocker} is a file, not a folder"]
