"""F-Droid repositories made by the real ``fdroidserver`` from our fixture APKs, built once per test run.

``fdroid init`` makes a repository signing key (keytool), ``fdroid update`` reads the APKs and writes the
signed indexes (``entry.jar``, ``index-v1.jar``). That takes seconds, so a repository is built once and kept
under the run's temporary folder (shared by pytest-xdist workers, built under a file lock). Without
``fdroid`` or ``keytool`` the tests that need a repository skip, except in CI, where they fail.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, in_ci
from tests.fetch.server import StoreServer

FDROID = Path(sys.executable).parent / "fdroid"
# four apps, five files: release has two versions; categories to select by
PREFIX = "org.appaudit.fixture."
APPS = {"clean.apk": ("clean", "Security"), "sdks.apk": ("sdks", "Internet"),
        "preconsent.apk": ("preconsent", "Internet"), "release_v1.apk": ("release", "Games"),
        "release_v2.apk": ("release", "Games")}
FRAMEWORK = Path("/usr/share/android-framework-res/framework-res.apk")
KEYS = FIXTURES.parent / "keys"


@dataclass(frozen=True)
class Repo:
    root: Path  # the folder served as the repository
    fingerprint: str  # sha256 of its signing certificate

    def sha256(self, name: str) -> str:
        return hashlib.sha256((self.root / name).read_bytes()).hexdigest()


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None and not Path(t).exists()]
    if missing:
        reason = f"needs {', '.join(missing)} (pip install fdroidserver; apt-get install default-jre-headless)"
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)


def _run(args: list[str], cwd: Path) -> None:
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr[-2000:]}")


def build_repo(folder: Path, apks: dict[Path, tuple[str, str]]) -> None:
    """An fdroidserver repository in ``folder`` of ``apks`` (path -> (package, category))."""
    folder.mkdir(parents=True)
    _run([str(FDROID), "init", "--repo-keyalias", "appaudit-test"], folder)
    (folder / "metadata").mkdir(exist_ok=True)
    for apk, (package, category) in apks.items():
        shutil.copy(apk, folder / "repo" / apk.name)
        (folder / "metadata" / f"{package}.yml").write_text(
            f"Categories:\n  - {category}\nLicense: Apache-2.0\nName: {package}\n", encoding="utf-8")
    _run([str(FDROID), "update", "--pretty"], folder)


def cached(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """``build(folder)`` once per test run, shared by the xdist workers (under the run's base temp folder)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "done").exists():
            shutil.rmtree(folder, ignore_errors=True)
            build(folder)
            (folder / "done").write_text("")
    return folder


@pytest.fixture(scope="session")
def fdroid_repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    _need(str(FDROID), "keytool")
    folder = cached(tmp_path_factory, "fdroid-repo", lambda f: build_repo(f, {FIXTURES / n: (PREFIX + p, c)
                                                                             for n, (p, c) in APPS.items()}))
    return _load(folder)


def _load(folder: Path) -> Repo:
    jar = zipfile.ZipFile(folder / "repo" / "entry.jar")
    block = next(n for n in jar.namelist() if n.endswith(".RSA"))
    from scanner.android.signing.cms import SignatureBlock

    sf = block[:-4] + ".SF"
    certificate = SignatureBlock(jar.read(block), block).check(jar.read(sf), sf, 24).certificate
    if certificate is None:
        raise RuntimeError(f"{folder}: fdroidserver signed entry.jar, yet its signature does not verify")
    return Repo(folder / "repo", certificate.sha256)


@pytest.fixture
def served(fdroid_repo: Repo) -> Iterator[tuple[Repo, StoreServer]]:
    with StoreServer(fdroid_repo.root) as server:
        yield fdroid_repo, server



@pytest.fixture(autouse=True)
def _keep_sigpipe_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    """``main`` restores SIGPIPE's default (quiet ``| head``); in this process it would let a loopback server
    thread that writes to a socket the client closed kill the whole test run, so it keeps Python's setting."""
    original = signal.signal

    def guarded(number: int, handler: Any) -> Any:
        return signal.getsignal(number) if number == signal.SIGPIPE else original(number, handler)

    monkeypatch.setattr(signal, "signal", guarded)


def renamed_apks(folder: Path, count: int) -> dict[Path, tuple[str, str]]:
    """``count`` real, distinct APKs: the clean fixture's manifest packaged by aapt under another package
    name (same version code), its classes.dex added, aligned and signed with the fixtures' release key."""
    folder.mkdir(parents=True, exist_ok=True)
    source = FIXTURES.parent / "src" / "clean"
    dex = zipfile.ZipFile(FIXTURES / "clean.apk").read("classes.dex")
    made: dict[Path, tuple[str, str]] = {}
    for i in range(count):
        package = f"org.appaudit.fetch.app{i:02d}"
        work = folder / f"app{i:02d}"
        work.mkdir()
        _run(["aapt", "package", "-f", "-M", str(source / "AndroidManifest.xml"), "-S", str(source / "res"),
              "-I", str(FRAMEWORK), "-F", str(work / "unsigned.apk"), "--rename-manifest-package", package], work)
        with zipfile.ZipFile(work / "unsigned.apk", "a") as apk:
            apk.writestr("classes.dex", dex)
        _run(["zipalign", "-p", "-f", "4", "unsigned.apk", "aligned.apk"], work)
        out = folder / f"app{i:02d}.apk"
        _run(["apksigner", "sign", "--ks", str(KEYS / "release.jks"), "--ks-type", "JKS", "--ks-key-alias", "release",
              "--ks-pass", "pass:appaudit", "--key-pass", "pass:appaudit", "--min-sdk-version", "21",
              "--out", str(out), "aligned.apk"], work)
        made[out] = (package, "Tools")
    return made


@pytest.fixture(scope="session")
def big_repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """A repository of 20 apps, for the pipeline."""
    _need(str(FDROID), "keytool", "aapt", "zipalign", "apksigner", str(FRAMEWORK))

    def build(folder: Path) -> None:
        build_repo(folder, renamed_apks(folder.parent / f"{folder.name}-apks", 20))

    return _load(cached(tmp_path_factory, "fdroid-repo-20", build))
