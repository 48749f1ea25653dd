"""The signatures of the one app ``appaudit scan`` is given, verified in a forked child (``signing_ahead.py``):
the same facts as verifying in-process, for every signing fixture; a wrong or missing answer falls back."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.android import signing_ahead
from scanner.android.apk import base_manifest, base_part, signing_here
from scanner.android.signing_ahead import SigningAhead
from scanner.input.archive import LIST_SUFFIXES, AppArchive, open_app
from scanner.input.safezip import DEFAULT_LIMITS, SafeZip
from scanner.model import ScanError
from tests.cli.conftest import Run
from tests.conftest import FIXTURES

SIGNING = sorted((FIXTURES / "signing").glob("*.apk"))
BUNDLES = [FIXTURES / "split.xapk", FIXTURES / "split.apks", FIXTURES / "release_v1.apk"]
TWO_CORES = len(os.sched_getaffinity(0)) >= 2 if hasattr(os, "sched_getaffinity") else False
needs_fork = pytest.mark.skipif(not (sys.platform.startswith("linux") and TWO_CORES),
                                reason="the child is only forked on Linux with a second core")


def _start(monkeypatch: pytest.MonkeyPatch, path: Path) -> SigningAhead:
    # a test worker runs threads (xdist): the child here runs our code only and exits, which is safe
    monkeypatch.setattr(signing_ahead, "_can_fork", lambda: True)
    ahead = SigningAhead.start(str(path), 0)
    assert isinstance(ahead, SigningAhead)
    return ahead


@needs_fork
@pytest.mark.parametrize("path", SIGNING + BUNDLES, ids=lambda p: p.name)
def test_the_child_answers_with_what_verifying_here_gives(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    ahead = _start(monkeypatch, path)
    try:
        archive = open_app(str(path), DEFAULT_LIMITS)
        part = base_part(archive)
        _, manifest = base_manifest(archive, part)
        theirs: list[ScanError] = []
        answered = ahead(archive, manifest, part, theirs)
        assert ahead._answer is not None, "the child gave no answer: the facts were verified here instead"
        ours: list[ScanError] = []
        assert answered == signing_here(archive, manifest, part, ours)
        assert theirs == ours
    finally:
        ahead.close()


@needs_fork
def test_an_answer_to_another_question_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """Asked about other SDK levels than the child verified, the parent verifies again: v1-only signing is
    trusted on an old device, not where API 30+ targets need v2."""
    path = FIXTURES / "signing" / "v1_only.apk"
    ahead = _start(monkeypatch, path)
    try:
        archive = open_app(str(path), DEFAULT_LIMITS)
        part = base_part(archive)
        _, manifest = base_manifest(archive, part)
        other = manifest.__class__(**{**{f: getattr(manifest, f) for f in manifest.__dataclass_fields__},
                                      "min_sdk": manifest.min_sdk + 5})
        problems: list[ScanError] = []
        answered = ahead(archive, other, part, problems)
        assert ahead._answer is not None and ahead._answer.question.min_sdk == manifest.min_sdk
        assert answered == signing_here(archive, other, part, [])
        assert answered.trusted[0].min_sdk == manifest.min_sdk + 5
    finally:
        ahead.close()


@needs_fork
def test_a_child_never_asked_is_stopped_and_reaped(monkeypatch: pytest.MonkeyPatch) -> None:
    ahead = _start(monkeypatch, FIXTURES / "signing" / "v2_only.apk")
    pid = ahead._pid
    ahead.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


@needs_fork
def test_a_child_that_fails_means_verifying_here(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The child cannot read what it was pointed at (the file replaced meanwhile): no answer, same facts."""
    path = tmp_path / "app.apk"
    path.write_bytes(b"not a zip")
    ahead = _start(monkeypatch, path)
    real = FIXTURES / "signing" / "v3_only.apk"
    archive = open_app(str(real), DEFAULT_LIMITS)
    part = base_part(archive)
    _, manifest = base_manifest(archive, part)
    try:
        assert ahead(archive, manifest, part, []) == signing_here(archive, manifest, part, [])
        assert ahead._answer is None
    finally:
        ahead.close()


def _assert_answers_as_here(ahead: SigningAhead, archive: AppArchive) -> None:
    """The child answered (after the dex), and its answer is what verifying here gives."""
    part = base_part(archive)
    _, manifest = base_manifest(archive, part)
    assert ahead(archive, manifest, part, []) == signing_here(archive, manifest, part, [])
    assert ahead._answer is not None


HAND_OVER = [FIXTURES / "multidex.apk", FIXTURES / "signing" / "v1_tampered_dex.apk", FIXTURES / "split.xapk",
             *sorted((FIXTURES / "ziptricks").glob("*.apk"))]


def _read_here(path: Path, name: str) -> bytes | None:
    from scanner.analysis.gather import _dex_bytes
    from scanner.errors import ScanFailure

    archive = open_app(str(path), DEFAULT_LIMITS)
    try:
        return _dex_bytes(archive.base.zip, name)[0]
    except ScanFailure:
        return None


@needs_fork
@pytest.mark.parametrize("path", HAND_OVER, ids=lambda p: p.name)
def test_the_child_hands_over_the_dex_this_process_would_read(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """Every dex the child hands over is what reading it here gives, and the answer still follows."""
    from scanner.dex.load_order import loaded_dex_names

    ahead = _start(monkeypatch, path)
    try:
        archive = open_app(str(path), DEFAULT_LIMITS)
        names = loaded_dex_names(archive.base.zip.names())[0]
        handed = {name: ahead.inflated(archive, name) for name in names}
        for name, data in handed.items():
            if data is not None:
                assert data == _read_here(path, name), name
        _assert_answers_as_here(ahead, archive)
    finally:
        ahead.close()
    if path.name in ("multidex.apk", "split.xapk"):
        assert all(data is not None for data in handed.values()) and handed, "nothing was handed over"


@needs_fork
def test_dex_from_another_file_are_not_taken(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The child opened another file than the parent reads (replaced meanwhile): nothing it inflated is used."""
    ahead = _start(monkeypatch, FIXTURES / "multidex.apk")
    try:
        archive = open_app(str(FIXTURES / "sdks.apk"), DEFAULT_LIMITS)
        assert ahead.inflated(archive, "classes.dex") is None
    finally:
        ahead.close()


def _console_scan(apk: Path, out: Path, probe: str = "") -> str:
    """``appaudit scan APK -f json`` as its own process (the console entry point, which may fork)."""
    code = (f"import sys, atexit\n{probe}\nfrom scanner.cli.main import entry\n"
            f"sys.argv = ['appaudit', 'scan', {str(apk)!r}, '-o', {str(out)!r}, '-f', 'json']\n"
            "raise SystemExit(entry())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1, 3), done.stderr
    return done.stderr


@pytest.mark.parametrize("apk", [FIXTURES / "signing" / n for n in ("v1_tampered_dex.apk", "rotation.apk",
                                                                    "unsigned.apk", "mixed_signers.apk")]
                         + [FIXTURES / "split.xapk", FIXTURES / "hostile" / "truncated.apk"]
                         + [p for p in HAND_OVER if p.parent.name == "ziptricks"] + [FIXTURES / "multidex.apk"],
                         ids=lambda p: p.name)
def test_the_command_writes_what_an_in_process_scan_writes(cli: Callable[..., Run], apk: Path, tmp_path: Path) -> None:
    _console_scan(apk, tmp_path / "command")
    cli("scan", str(apk), "-o", str(tmp_path / "in-process"), "-f", "json")
    ours = sorted((tmp_path / "in-process").glob("*.json"))
    assert ours, "the in-process scan wrote nothing"
    for path in ours:
        assert (tmp_path / "command" / path.name).read_bytes() == path.read_bytes()


@needs_fork
def test_the_command_leaves_the_certificate_libraries_to_the_child(tmp_path: Path) -> None:
    probe = "atexit.register(lambda: print('loaded:', sorted(m for m in ('asn1crypto', 'cryptography') " \
            "if m in sys.modules), file=sys.stderr))"
    err = _console_scan(FIXTURES / "signing" / "v1_only.apk", tmp_path, probe)
    assert "loaded: []" in err


def test_numpy_starts_no_thread_pool_under_the_command() -> None:
    code = "import scanner.cli.main, numpy, os; print(len(os.listdir('/proc/self/task')))"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "1"


def test_the_list_suffixes_the_command_knows_are_the_readers() -> None:
    from scanner.cli.main import LIST_SUFFIXES as written_out

    assert written_out == LIST_SUFFIXES


@needs_fork
def test_dex_handed_over_wrong_are_inflated_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """A child that announces bytes which are not the entry (a bit flipped in the memory file): the parent takes
    nothing of it (the CRC differs) and reads the entry itself; the facts are those of a scan without a child."""
    from scanner.analysis.gather import gather

    real = signing_ahead._write_at

    def corrupt(fd: int, data: bytes, offset: int) -> None:
        real(fd, data[:-1] + bytes([data[-1] ^ 1]), offset)

    monkeypatch.setattr(signing_ahead, "_write_at", corrupt)
    taken: list[bool] = []
    adopt = SafeZip.adopt_inflated
    monkeypatch.setattr(SafeZip, "adopt_inflated", lambda self, name, data: taken.append(adopt(self, name, data)))
    path = FIXTURES / "multidex.apk"
    ahead = _start(monkeypatch, path)
    try:
        archive = open_app(str(path), DEFAULT_LIMITS)
        facts, dex = gather(archive, signing_later=True, inflated=ahead.inflated)
    finally:
        ahead.close()
    assert taken == [False, False], "the corrupted bytes were offered and refused"
    alone_facts, alone = gather(open_app(str(path), DEFAULT_LIMITS))
    assert [f.data for f in dex.files] == [f.data for f in alone.files]
    assert facts.dex_files == alone_facts.dex_files == ("classes.dex", "classes2.dex")


@needs_fork
def test_without_a_memory_file_the_child_still_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signing_ahead, "_memory_file", lambda: None)
    path = FIXTURES / "multidex.apk"
    ahead = _start(monkeypatch, path)
    try:
        archive = open_app(str(path), DEFAULT_LIMITS)
        assert ahead.inflated(archive, "classes.dex") is None
        _assert_answers_as_here(ahead, archive)
    finally:
        ahead.close()


@needs_fork
def test_the_memory_file_holds_no_more_than_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past ``HAND_OVER_MAX`` the child hands over nothing more (the memory file counts against no memory cap):
    the parent reads the rest itself, and the facts are the same."""
    from scanner.analysis.gather import gather

    path = FIXTURES / "multidex.apk"
    archive = open_app(str(path), DEFAULT_LIMITS)
    first = archive.base.zip.size("classes.dex")
    monkeypatch.setattr(signing_ahead, "HAND_OVER_MAX", first)  # room for classes.dex only
    ahead = _start(monkeypatch, path)
    try:
        assert ahead.inflated(archive, "classes.dex") is not None
        assert ahead.inflated(archive, "classes2.dex") is None
        _assert_answers_as_here(ahead, archive)
    finally:
        ahead.close()
    ahead = _start(monkeypatch, path)
    try:
        facts, dex = gather(open_app(str(path), DEFAULT_LIMITS), signing_later=True, inflated=ahead.inflated)
    finally:
        ahead.close()
    _, alone = gather(open_app(str(path), DEFAULT_LIMITS))
    assert [f.data for f in dex.files] == [f.data for f in alone.files] and len(dex.files) == 2


@needs_fork
@pytest.mark.parametrize("path", [FIXTURES / "multidex.apk", FIXTURES / "split.xapk",
                                  FIXTURES / "signing" / "v1_tampered_dex.apk"], ids=lambda p: p.name)
def test_the_input_read_before_forking_is_hashed_by_the_child(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """The file is read once, before the fork: the child's sha256 is of those very bytes, and the archive
    opened from them is the one this process opens alone; the dex and the answer still follow."""
    ahead = _start(monkeypatch, path)
    try:
        data, sha256 = ahead.read_before(str(path))
        assert data == path.read_bytes()
        assert sha256 == hashlib.sha256(data).hexdigest()
        archive = open_app(str(path), DEFAULT_LIMITS, data, sha256)
        alone = open_app(str(path), DEFAULT_LIMITS)
        assert (archive.sha256, archive.size, archive.format) == (alone.sha256, alone.size, alone.format)
        assert ahead.inflated(archive, "classes.dex") == _read_here(path, "classes.dex")
        _assert_answers_as_here(ahead, archive)
    finally:
        ahead.close()


@needs_fork
def test_another_file_or_one_too_large_is_read_here(monkeypatch: pytest.MonkeyPatch) -> None:
    path = FIXTURES / "multidex.apk"
    ahead = _start(monkeypatch, path)
    try:
        assert ahead.read_before(str(FIXTURES / "sdks.apk")) == (None, None)
    finally:
        ahead.close()
    monkeypatch.setattr(signing_ahead, "READ_BEFORE_MAX", path.stat().st_size - 1)
    ahead = _start(monkeypatch, path)
    try:
        assert ahead.read_before(str(path)) == (None, None)
        archive = open_app(str(path), DEFAULT_LIMITS)
        assert ahead.inflated(archive, "classes.dex") == _read_here(path, "classes.dex")  # the child read it
        _assert_answers_as_here(ahead, archive)
    finally:
        ahead.close()


@needs_fork
def test_half_the_memory_cap_bounds_the_read_before_forking(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "big.apk"
    path.write_bytes((FIXTURES / "multidex.apk").read_bytes() + bytes(1 << 20))  # ~1 MiB: over half a 1 MB cap
    assert signing_ahead._read_before_fork(str(path), 1) is None
    assert signing_ahead._read_before_fork(str(path), 4) == path.read_bytes()
    assert signing_ahead._read_before_fork(str(tmp_path / "missing.apk"), 0) is None


@needs_fork
def test_a_child_failing_first_leaves_the_hash_to_this_process(monkeypatch: pytest.MonkeyPatch,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "app.apk"
    path.write_bytes(b"not a zip")
    ahead = _start(monkeypatch, path)
    try:
        assert ahead.read_before(str(path)) == (b"not a zip", None)
    finally:
        ahead.close()


@needs_fork
def test_the_command_hashes_no_input_in_its_own_process(tmp_path: Path) -> None:
    """The scan's process leaves hashing the file to the child (which ends with ``os._exit``: only the parent's
    exit handler prints); the report still names the file's sha256."""
    apk = FIXTURES / "multidex.apk"
    probe = ("import hashlib, scanner.input.archive as archive\n"
             "hashed = []\n"
             "class _Hashlib:\n"
             "    def sha256(self, data=b''):\n"
             "        hashed.append(len(data))\n"
             "        return hashlib.sha256(data)\n"
             "archive.hashlib = _Hashlib()\n"
             "atexit.register(lambda: print('hashed here:', hashed, file=sys.stderr))")
    err = _console_scan(apk, tmp_path, probe)
    assert "hashed here: []" in err
    report = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert report["input"]["sha256"] == hashlib.sha256(apk.read_bytes()).hexdigest()


def test_before_forking_the_file_is_read_meanwhile_the_shared_readers_are_imported() -> None:
    """In a fresh interpreter: the bytes read, the APK readers both processes use imported, and nothing the parent
    alone needs (NumPy) nor the child alone (the certificate libraries); no thread left to make forking unsafe."""
    apk = FIXTURES / "multidex.apk"
    code = ("import sys, threading, hashlib\n"
            "from scanner.android.signing_ahead import _shared_start\n"
            f"data = _shared_start({str(apk)!r}, 0)\n"
            "names = ('scanner.android.apk', 'scanner.input.archive', 'numpy', 'asn1crypto', 'cryptography')\n"
            "loaded = [m for m in names if m in sys.modules]\n"
            "print(hashlib.sha256(data).hexdigest(), threading.active_count(), loaded)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split(" ", 2) == [hashlib.sha256(apk.read_bytes()).hexdigest(), "1",
                                         "['scanner.android.apk', 'scanner.input.archive']\n"]
