"""The command-line tools the accuracy set runs, and D8, the dexer Debian does not package.

D8 comes inside bundletool, which the PyPI wheel of MobSF ships; the wheel and the jar are both pinned by
sha256, the wheel is cached under the cache's ``tools/`` and only the jar is kept out of it.
"""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from collections.abc import Sequence
from pathlib import Path

from accuracy import fetch

WHEEL = "mobsf-4.4.0-py3-none-any.whl"
WHEEL_SHA256 = "74329efc7eee885ca6b9448726ca448c6f5c7ca80ec3dc9a98ee11fb7cd7c0d4"
BUNDLETOOL_MEMBER = "mobsf/StaticAnalyzer/tools/bundletool-all-1.17.2.jar"
BUNDLETOOL_SHA256 = "2d4ad908faea64047c1cc9cb747e6aa667c6ab192e09607bd16b67246a8cd6ae"
D8_MAIN = "com.android.tools.r8.D8"
MIN_API = 24  # no interface-method desugaring: D8 then needs no android.jar and leaves the vendor code as it is
REQUIRED = ("java", "smali", "aapt", "zipalign", "apksigner", "dexdump")
FRAMEWORK_RES = Path("/usr/share/android-framework-res/framework-res.apk")


class ToolError(RuntimeError):
    """A tool that is missing or that failed; the message carries its output."""


def missing() -> list[str]:
    """Required tools not on PATH (and the framework resources aapt links against)."""
    absent = [tool for tool in REQUIRED if shutil.which(tool) is None]
    if not FRAMEWORK_RES.exists():
        absent.append(str(FRAMEWORK_RES))
    return absent


def run(command: Sequence[str | Path], what: str, timeout: int = 900, quiet_ok: bool = False) -> str:
    """Run a tool; fail with its output. ``quiet_ok``: any output at all is a failure (smali 2.5
    exits 0 on syntax errors and silently drops the class)."""
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=timeout, check=False)
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0 or (quiet_ok and output):
        raise ToolError(f"{what} failed ({done.returncode}): {output[-4000:]}")
    return done.stdout


def bundletool(tools_dir: Path) -> Path:
    """The pinned bundletool jar (which contains D8), extracted once from the pinned MobSF wheel."""
    jar = tools_dir / Path(BUNDLETOOL_MEMBER).name
    if jar.exists() and fetch.sha256_of(jar) == BUNDLETOOL_SHA256:
        return jar
    wheel = fetch.pip_download("mobsf==4.4.0", WHEEL, WHEEL_SHA256, tools_dir, "D8 (PyPI mobsf==4.4.0)")
    with zipfile.ZipFile(wheel) as archive, archive.open(BUNDLETOOL_MEMBER) as src, jar.open("wb") as out:
        shutil.copyfileobj(src, out)
    if fetch.sha256_of(jar) != BUNDLETOOL_SHA256:
        jar.unlink()
        raise ToolError(f"{BUNDLETOOL_MEMBER} in {WHEEL} is not the pinned jar")
    return jar


def d8(jar: Path, inputs: Sequence[Path], out_dir: Path, what: str) -> list[Path]:
    """Dex (or merge dex files) with D8 into ``out_dir``; returns classes*.dex in Android's load order."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    command: list[str | Path] = ["java", "-cp", jar, D8_MAIN, "--release", "--min-api", str(MIN_API),
                                 "--output", out_dir, *inputs]
    run(command, f"D8 on {what}", timeout=1200)
    return dex_files(out_dir)


def dex_files(folder: Path) -> list[Path]:
    """classes.dex, classes2.dex, ... in the order Android loads them."""
    found = sorted(folder.glob("classes*.dex"), key=lambda p: int(p.stem[7:] or 1))
    if not found:
        raise ToolError(f"no classes*.dex in {folder}")
    return found
