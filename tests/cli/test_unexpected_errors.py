"""An unexpected exception anywhere in a command: one line naming the input and the reason, exit 4.

``--debug`` prints the traceback instead. Code 4 is neither 1 (findings fail the gate, which CI reads
as a decision about the app) nor 3 (an input could not be analysed).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.gate.verdict import EXIT_FINDINGS, EXIT_INPUT, EXIT_UNEXPECTED, EXIT_USAGE
from tests.cli.conftest import Run
from tests.conftest import FIXTURES
from tests.gate.conftest import V1, V2

ROOT = Path(__file__).resolve().parents[2]
Cli = Callable[..., Run]


def _boom(*_: object, **__: object) -> None:
    raise RuntimeError("deep failure\nwith a second line")


def _one_line(run: Run, before: int = 0) -> str:
    """The one line of the error; ``before``: lines the command printed earlier (apps done)."""
    assert run.code == EXIT_UNEXPECTED, run.err
    assert "Traceback" not in run.err
    assert len(run.err_lines) == before + 1, run.err
    line = run.err_lines[-1]
    assert line.startswith("appaudit: ")
    assert "RuntimeError: deep failure\\nwith a second line" in line
    assert "--debug" in line
    return line


def test_the_code_is_distinct_and_documented() -> None:
    assert EXIT_UNEXPECTED not in (0, EXIT_FINDINGS, EXIT_USAGE, EXIT_INPUT)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"| {EXIT_UNEXPECTED} |" in readme and "--debug" in readme


def test_scan_names_the_input(cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("scanner.analysis.engine.detect", _boom)
    line = _one_line(cli("scan", V2, "-o", str(tmp_path / "out")))
    assert V2 in line


def test_scan_of_several_inputs_names_the_one_that_failed(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    import scanner.analysis.engine as engine

    real = engine.detect

    def detect(facts, *args, **kwargs):  # type: ignore[no-untyped-def]
        if facts.apk.manifest.version_code == 2:
            _boom()
        return real(facts, *args, **kwargs)

    monkeypatch.setattr(engine, "detect", detect)
    line = _one_line(cli("scan", V1, V2, "-o", str(tmp_path / "out")), before=1)
    assert V2 in line and V1 not in line
    assert (tmp_path / "out" / "release_v1.json").is_file()  # what was done before stays written


def test_a_failing_writer_names_the_input(cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("reports.html.HtmlWriter.render", _boom)
    monkeypatch.setattr("reports.html.HtmlWriter.files", _boom)  # what a file is written from
    line = _one_line(cli("scan", V1, "-o", str(tmp_path / "out")))
    assert V1 in line


def test_debug_prints_the_traceback(cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("scanner.analysis.engine.detect", _boom)
    for argv in (["--debug", "scan", V2], ["scan", V2, "--debug"]):
        run = cli(*argv, "-o", str(tmp_path / "out"))
        assert run.code == EXIT_UNEXPECTED
        assert "Traceback (most recent call last)" in run.err
        assert "RuntimeError: deep failure" in run.err and "in _boom" in run.err


def test_baseline_and_diff(cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("scanner.analysis.engine.detect", _boom)
    assert V1 in _one_line(cli("baseline", "create", V1, "-o", str(tmp_path / "b.json")))
    assert V1 in _one_line(cli("diff", V1, V2))


def test_diff_of_stored_results(cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, apk in (("old", V1), ("new", V2)):
        assert cli("scan", apk, "-o", str(tmp_path / name), "-f", "json").code == 0
    monkeypatch.setattr("scanner.gate.diff.diff", _boom)  # imported by the diff command when it runs
    line = _one_line(cli("diff", str(tmp_path / "old/release_v1.json"), str(tmp_path / "new/release_v2.json")))
    assert line.startswith("appaudit: unexpected error: ")  # no single input to blame


def test_batch_and_signatures(cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("signatures.load", _boom)
    assert str(FIXTURES / "clean.apk") in _one_line(
        cli("batch", str(FIXTURES / "clean.apk"), "-o", str(tmp_path / "batch")))
    _one_line(cli("signatures", "list"))


def test_interrupt_is_one_line(cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def interrupt(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("scanner.analysis.engine.detect", interrupt)
    run = cli("scan", V2, "-o", str(tmp_path / "out"))
    assert run.code == 130 and run.err_lines == ["appaudit: interrupted"]


def test_as_a_process(tmp_path: Path) -> None:
    """The real exit status and stderr of `python -m scanner`, with a deep function broken."""
    code = ("import sys, scanner.analysis.engine as e\n"
            "def boom(*a, **k): raise MemoryError('no room left')\n"
            "e.detect = boom\n"
            "from scanner.cli.main import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code, "scan", V2, "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == EXIT_UNEXPECTED
    assert done.stderr.splitlines() == [
        f"appaudit: unexpected error with {V2}: MemoryError: no room left "
        "(run again with --debug for the traceback)"]
