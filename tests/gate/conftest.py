"""Helpers for the release-gate tests: run the real command line in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES

V1 = str(FIXTURES / "release_v1.apk")
V2 = str(FIXTURES / "release_v2.apk")


def appaudit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=180)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc
