"""A batch in Chinese: every app's HTML report and the dashboard in zh-CN, JSON unchanged; a re-match keeps it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import FIXTURES


def _batch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner", "batch", *args], capture_output=True, text=True,
                          check=False)


def test_batch_lang_reaches_every_report_and_the_dashboard(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = _batch(str(FIXTURES / "sdks.apk"), str(FIXTURES / "clean.apk"), "-o", str(out), "-f", "json,html,md",
                 "--lang", "zh-CN")
    assert run.returncode == 0, run.stderr
    assert '<html lang="zh-CN">' in (out / "index.html").read_text(encoding="utf-8")
    pages = sorted((out / "apps").glob("*.html"))
    assert len(pages) == 2 and all('<html lang="zh-CN">' in p.read_text(encoding="utf-8") for p in pages)
    assert all("个人信息" in p.read_text(encoding="utf-8") for p in (out / "apps").glob("*.md"))
    again = _batch("--rematch", str(out), "--lang", "zh-CN")
    assert again.returncode == 0, again.stderr
    assert all('<html lang="zh-CN">' in p.read_text(encoding="utf-8") for p in (out / "apps").glob("*.html"))


def test_an_unknown_batch_language_is_a_usage_error(tmp_path: Path) -> None:
    run = _batch(str(FIXTURES / "clean.apk"), "-o", str(tmp_path / "out"), "--lang", "fr")
    assert run.returncode == 2 and "--lang" in run.stderr and "Traceback" not in run.stderr
