"""``scan --max-memory``: runaway allocation becomes that app's error result, never the machine swapping."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import scanner.analysis.engine as engine
from scanner.gate.verdict import EXIT_INPUT
from tests.cli.conftest import Run
from tests.conftest import FIXTURES


def test_an_app_that_needs_more_than_the_cap_is_an_error_result_and_the_others_go_on(
        cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real = engine.gather

    def hungry(archive, **options):  # type: ignore[no-untyped-def]
        if archive.path.endswith("sdks.apk"):
            raise MemoryError
        return real(archive, **options)

    monkeypatch.setattr(engine, "gather", hungry)
    monkeypatch.setattr("scanner.cli.commands.limit_memory", lambda mb: None)  # not this test process
    run = cli("scan", str(FIXTURES / "sdks.apk"), str(FIXTURES / "clean.apk"), "-o", str(tmp_path), "-f", "json")
    assert run.code == EXIT_INPUT
    sdks = json.loads((tmp_path / "sdks.json").read_text())
    assert sdks["status"] == "error" and sdks["errors"][0]["code"] == "memory-limit"
    assert "--max-memory" in sdks["errors"][0]["message"]
    assert json.loads((tmp_path / "clean.json").read_text())["status"] == "ok"


def test_the_cap_turns_an_allocation_past_it_into_memory_error() -> None:
    """In a fresh process: allow 200 MB more than it maps now; 50 MB fit, 1 GB does not."""
    probe = (
        "from scanner.memory import limit_memory\n"
        "limit_memory(200)\n"
        "small = bytearray(50 << 20)\n"
        "try:\n"
        "    big = bytearray(1 << 30)\n"
        "except MemoryError:\n"
        "    print('capped')\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "capped", out.stderr


def test_the_scan_command_caps_itself_after_its_imports(tmp_path: Path) -> None:
    """A normal app scans under the default cap, through the real command line."""
    out = subprocess.run([sys.executable, "-m", "scanner", "scan", str(FIXTURES / "sdks.apk"), "-o", str(tmp_path),
                          "-f", "json,html", "--max-memory", "4096"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads((tmp_path / "sdks.json").read_text())["status"] == "ok"
