"""Run the command line in this process, so a test can break a function deep inside a command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return self.err.strip().splitlines()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """``cli("scan", path, ...)`` runs ``scanner.cli.main.main`` and returns its exit code and output."""
    import signal

    from scanner.cli.main import main

    # main() restores the default SIGPIPE action for the whole process: not in a test worker
    monkeypatch.setattr(signal, "signal", lambda *_: None)
    # nor may `scan` cap the worker's address space: the cap would outlive the test and reach the
    # tools later tests start (a JVM reserves more than 4 GB of address space)
    monkeypatch.setattr("scanner.cli.commands.limit_memory", lambda megabytes: None)

    def run(*argv: str) -> Run:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
