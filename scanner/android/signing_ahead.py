"""Verify the signatures of the one app a command scans in a second process, while this one reads its code.

Verifying is a fixed share of every scan (v1 inflates and hashes every entry, v2+ hashes the whole file:
about the zip floor again) and needs nothing but the zip and the manifest's SDK levels. A user scanning one
app from the command line has a free core; started right after the arguments are read, a forked child does
this work while the parent imports the readers and reads the code, and it keeps the certificate and
cryptography libraries out of the parent altogether.

The result never depends on the child: it answers one question (this file's sha256, this base APK, these
SDK levels, these zip limits), and the parent verifies in-process whenever the answer is missing (the child
failed, was killed, hit the memory cap) or is about something else. Forking is only done where it is safe
and worth it: Linux, at least two usable cores, no other thread running. ``batch`` never uses it: its
workers already keep every core busy.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # started before the readers are imported: the child imports them alongside the parent
    from scanner.android.manifest import ManifestFacts
    from scanner.android.part import Part
    from scanner.input.archive import AppArchive
    from scanner.input.safezip import ZipLimits
    from scanner.model import ScanError, SigningInfo


@dataclass(frozen=True, slots=True)
class Question:
    """What an answer is about: the parent uses it only for exactly this question."""

    sha256: str  # of the input file, as the child read it
    part: Part  # the base APK within the input
    min_sdk: int
    target_sdk: int | None
    limits: ZipLimits


@dataclass(frozen=True, slots=True)
class Answer:
    question: Question
    signing: SigningInfo
    problems: tuple[ScanError, ...]  # what verifying added to the base APK's problems


class SigningAhead:
    """A forked child verifying one input's signatures; ``__call__`` is a ``SigningSource`` for ``read_apk_facts``."""

    def __init__(self, pid: int, fd: int) -> None:
        self._pid, self._fd = pid, fd
        self._answer: Answer | None = None
        self._done = False

    @classmethod
    def start(cls, path: str, max_memory_mb: int) -> SigningAhead | None:
        """Fork the child for ``path`` (read with the default zip limits, under the scan's memory cap) if that
        is safe and worth it here, else None: verify in-process."""
        if not _can_fork():
            return None
        read_end, write_end = os.pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError:  # no process to be had (a process limit): verify in-process
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the child: never returns
            os.close(read_end)
            _child(path, max_memory_mb, write_end)
        os.close(write_end)
        return cls(pid, read_end)

    def __call__(self, archive: AppArchive, manifest: ManifestFacts, part: Part,
                 problems: list[ScanError]) -> SigningInfo:
        from scanner.android.apk import signing_here

        question = Question(archive.sha256, part, manifest.min_sdk, manifest.target_sdk, archive.base.zip.limits)
        answer = self._receive()
        if answer is None or answer.question != question:
            return signing_here(archive, manifest, part, problems)
        problems.extend(answer.problems)
        return answer.signing

    def close(self) -> None:
        """Stop the child if its answer was never asked for, and reap it."""
        if not self._done:
            self._done = True
            os.close(self._fd)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):  # reaped already
            os.waitpid(self._pid, 0)

    def _receive(self) -> Answer | None:
        """The child's answer, waiting for it (once); None if it ended without one."""
        if self._done:
            return self._answer
        self._done = True
        chunks = []
        try:
            while chunk := os.read(self._fd, 1 << 16):
                chunks.append(chunk)
        finally:
            os.close(self._fd)
        try:
            answer = pickle.loads(b"".join(chunks)) if chunks else None  # noqa: S301  our own child's bytes
        except Exception:  # noqa: BLE001  cut short (the child was killed mid-write): verify in-process
            answer = None
        self._answer = answer if isinstance(answer, Answer) else None
        return self._answer


def _can_fork() -> bool:
    """Linux (fork without exec is safe there), a second usable core, and no thread whose locks a child could
    inherit held (a test runner or an embedding program may have some)."""
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return False
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except OSError:
        return False


def _child(path: str, max_memory_mb: int, out: int) -> None:
    """Verify, write the pickled answer, exit. Whatever goes wrong ends the child quietly: the parent then
    verifies in-process and reports any error itself, as it would without a child."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: the parent reports it, the child just ends
        from scanner.memory import limit_memory

        limit_memory(max_memory_mb)  # the same cap as the analysis in the parent
        answer = _answer(path)
        if answer is not None:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(data)
            while view:
                view = view[os.write(out, view):]
        code = 0
    except BaseException:  # noqa: BLE001, S110  nothing may escape the child: the parent verifies instead
        pass
    finally:
        os._exit(code)


def _answer(path: str) -> Answer | None:
    from scanner.android.apk import base_manifest, base_part, signing_here
    from scanner.input.archive import open_app
    from scanner.input.safezip import DEFAULT_LIMITS

    archive = open_app(path, DEFAULT_LIMITS)
    if archive.format == "aab":  # an app bundle's own signature is not verified (see apk.py)
        return None
    part = base_part(archive)
    _, manifest = base_manifest(archive, part)
    problems: list[ScanError] = []
    signing = signing_here(archive, manifest, part, problems)
    question = Question(archive.sha256, part, manifest.min_sdk, manifest.target_sdk, archive.base.zip.limits)
    return Answer(question, signing, tuple(problems))
