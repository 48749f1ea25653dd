"""Verify the signatures of the one app a command scans in a second process, while this one reads its code.

Verifying is a fixed share of every scan (v1 inflates and hashes every entry, v2+ hashes the whole file:
about the zip floor again) and needs nothing but the zip and the manifest's SDK levels. A user scanning one
app from the command line has a free core; started right after the arguments are read, a forked child does
this work while the parent imports the readers and reads the code, and it keeps the certificate and
cryptography libraries out of the parent altogether.

The child also inflates the dex files of the base APK first, before it verifies, and hands them over through
a memory file: the parent then reads the code without inflating it (the v1 check inflates them anyway, so
this is done once for both), and takes each only at the size and CRC the zip declares (``SafeZip.adopt_inflated``).
The input file itself is read once, before the fork: the child hashes those very bytes, which it has to anyway,
and the parent takes that sha256 instead of hashing the file again (``read_before``). While a thread reads it, the
APK readers both processes use are imported, once for both (``_shared_start``).

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
import struct
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # started before the readers are imported: the child imports them alongside the parent
    from collections.abc import Callable

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
class Opened:
    """The child's first message: the input it opened, which the dex it hands over are inflated from."""

    sha256: str
    part: Part
    limits: ZipLimits


@dataclass(frozen=True, slots=True)
class Inflated:
    """One dex entry of the base APK, in load order: ``size`` bytes at ``offset`` of the memory file (-1: not
    inflated there, the parent inflates it itself)."""

    name: str
    offset: int
    size: int


@dataclass(frozen=True, slots=True)
class Answer:
    question: Question
    signing: SigningInfo
    problems: tuple[ScanError, ...]  # what verifying added to the base APK's problems


class SigningAhead:
    """A forked child verifying one input's signatures; ``__call__`` is a ``SigningSource`` for ``read_apk_facts``."""

    def __init__(self, pid: int, fd: int, memory: int | None, path: str, data: bytes | None) -> None:
        self._pid, self._fd, self._memory = pid, fd, memory
        self._path, self._data = path, data  # the input, read before forking (None: each process reads it)
        self._answer: Answer | None = None
        self._done = False  # the pipe is closed: every message is read, or the answer is no longer wanted
        self._opened: Opened | None = None
        self._opened_read = False  # the child's first message is read (into _opened)

    @classmethod
    def start(cls, path: str, max_memory_mb: int) -> SigningAhead | None:
        """Fork the child for ``path`` (read with the default zip limits, under the scan's memory cap) if that
        is safe and worth it here, else None: verify in-process."""
        if not _can_fork():
            return None
        data = _shared_start(path, max_memory_mb)
        read_end, write_end = os.pipe()
        memory = _memory_file()
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError:  # no process to be had (a process limit): verify in-process
            for fd in (read_end, write_end, memory):
                if fd is not None:
                    os.close(fd)
            return None
        if pid == 0:  # the child: never returns
            os.close(read_end)
            _child(path, data, max_memory_mb, write_end, memory)
        os.close(write_end)
        return cls(pid, read_end, memory, path, data)

    def read_before(self, path: str) -> tuple[bytes | None, str | None]:
        """The input ``path`` as read before forking, and its sha256 as the child computed it from those very
        bytes (the parent then does not hash the file too); None for what is to be done here: the file was not
        read before, or is another, or the child failed before it said."""
        if self._data is None or path != self._path:
            return None, None
        opened = self._opened_message()
        return self._data, opened.sha256 if opened is not None else None

    def _opened_message(self) -> Opened | None:
        """The child's first message, read once: the input it opened, or None if it failed first."""
        if not self._opened_read:
            self._opened_read = True
            first = self._message()
            self._opened = first if isinstance(first, Opened) else None
        return self._opened

    def inflated(self, archive: AppArchive, name: str) -> bytes | None:
        """The base APK's dex entry ``name`` as the child inflated it, or None: inflate it here (the child
        opened another file or failed, left this one to the parent, or was asked in another order)."""
        from scanner.android.apk import base_part

        opened = self._opened_message()
        if self._memory is None or opened is None \
                or opened != Opened(archive.sha256, base_part(archive), archive.base.zip.limits):
            return None
        while (message := self._message()) is not None:
            if not isinstance(message, Inflated):
                break
            if message.name == name:
                return self._read(message) if message.size >= 0 else None
        return None

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
        self._forget_memory()
        if not self._done:
            self._done = True
            os.close(self._fd)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):  # reaped already
            os.waitpid(self._pid, 0)

    def _receive(self) -> Answer | None:
        """The child's answer, waiting for it (once); None if it ended without one."""
        self._forget_memory()  # the parent has read its code: the dex handed over are no longer wanted
        while self._message() is not None:  # the dex messages left, then the answer (kept by _message)
            pass
        return self._answer

    def _message(self) -> Opened | Inflated | Answer | None:
        """The child's next message, waiting for it (the answer, the last, is also kept); None once the child is
        done or its message is damaged (killed mid-write: nothing more is read)."""
        if self._done:
            return None
        head = self._read_exactly(_HEADER.size)
        body = self._read_exactly(_HEADER.unpack(head)[0]) if len(head) == _HEADER.size else b""
        try:
            message = pickle.loads(body) if body else None  # noqa: S301  our own child's bytes
        except Exception:  # noqa: BLE001  cut short: what came so far stands, the rest is done here
            message = None
        if not isinstance(message, (Opened, Inflated, Answer)):
            message = None
        if message is None or isinstance(message, Answer):  # the last message
            self._answer = message
            self._done = True
            os.close(self._fd)
        return message

    def _read_exactly(self, size: int) -> bytes:
        chunks, left = [], size
        while left and (chunk := os.read(self._fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _read(self, message: Inflated) -> bytes | None:
        assert self._memory is not None  # noqa: S101  checked by the caller
        try:
            data = os.pread(self._memory, message.size, message.offset)
        except (OSError, MemoryError, OverflowError):
            return None
        return data if len(data) == message.size else None

    def _forget_memory(self) -> None:
        if self._memory is not None:
            os.close(self._memory)  # the child closes its copy when it ends: the memory is freed then
            self._memory = None


def _can_fork() -> bool:
    """Linux (fork without exec is safe there), a second usable core, and no thread whose locks a child could
    inherit held (a test runner or an embedding program may have some)."""
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return False
    try:
        return len(os.sched_getaffinity(0)) >= 2
    except OSError:
        return False


# The most the memory file holds. Its pages count against no process's memory cap (--max-memory), so a hostile
# app declaring gigabytes of dex must not fill it: past this the parent inflates the rest itself, under its cap.
# Real apps' dex stay far below (the 6-dex bench app: 43 MB).
HAND_OVER_MAX = 512 << 20
_HEADER = struct.Struct("<Q")  # each message: its length, then the pickled message


# The largest input read before forking, at most half the memory cap: reading is then done once for both processes,
# and the child's sha256 is of the bytes the parent analyses (the parent's own hash of a store app is ~12 ms).
# A larger file is read by each process, under its cap, as before.
READ_BEFORE_MAX = 1 << 30


def _shared_start(path: str, max_memory_mb: int) -> bytes | None:
    """What both processes need first, done once before forking: the input's bytes, read in a thread (the kernel
    copies them; the lock is free) while this thread imports the APK readers both use (~20 ms, which the child
    then no longer imports). The thread has ended when this returns: forking stays safe."""
    read: list[bytes | None] = []
    reader = threading.Thread(target=lambda: read.append(_read_before_fork(path, max_memory_mb)),
                              name="appaudit-read-input")
    reader.start()
    try:
        import scanner.android.apk  # noqa: F401  the child's readers (``_answer``), and the parent's
        import scanner.input.archive  # noqa: F401
    finally:
        reader.join()
    return read[0] if read else None


def _read_before_fork(path: str, max_memory_mb: int) -> bytes | None:
    """The input's bytes, or None: too large to read before the parent's memory cap is set, or unreadable
    (the parent then reads it, and reports why it cannot, as without a child)."""
    limit = READ_BEFORE_MAX if max_memory_mb <= 0 else min(READ_BEFORE_MAX, (max_memory_mb << 20) // 2)
    try:
        with open(path, "rb", buffering=0) as file:
            size = os.fstat(file.fileno()).st_size
            if size > limit:
                return None
            data = file.read(size + 1)  # the size, not the limit: read(n) allocates n bytes first
    except (OSError, MemoryError):
        return None
    return data if len(data) <= min(size, limit) else None  # grown meanwhile: each process reads it


def _memory_file() -> int | None:
    """The file the child writes the inflated dex to (in memory, gone with its last descriptor); None where
    there is none to be had: the parent then inflates them itself."""
    try:
        return os.memfd_create("appaudit-dex", os.MFD_CLOEXEC)
    except (AttributeError, OSError):
        return None


def _child(path: str, data: bytes | None, max_memory_mb: int, out: int, memory: int | None) -> None:
    """Inflate and hand over the dex, verify, write the answer, exit. Whatever goes wrong ends the child
    quietly: the parent then inflates or verifies in-process and reports any error itself, as it would
    without a child."""
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C: the parent reports it, the child just ends
        from scanner.memory import limit_memory

        limit_memory(max_memory_mb)  # the same cap as the analysis in the parent
        _answer(path, data, lambda message: _send(out, message), memory)
        code = 0
    except BaseException:  # noqa: BLE001, S110  nothing may escape the child: the parent verifies instead
        pass
    finally:
        os._exit(code)


def _send(out: int, message: Opened | Inflated | Answer) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(out, view):]


def _hand_over(archive: AppArchive, send: Callable[[Inflated], None], memory: int) -> None:
    """Inflate the base APK's dex files in load order, each written to ``memory`` and announced as it is done
    (the parent reads the first while the next inflates). Kept here too: the v1 check hashes them again."""
    from scanner.dex.load_order import loaded_dex_names

    entries = archive.base.zip
    names = loaded_dex_names(entries.names())[0]
    # by declared size, before inflating: the dex past the budget are neither kept nor handed over, and the v1
    # check streams them as it would without a handover
    within, total = set(), 0
    for name in names:
        total += entries.size(name)
        if total > HAND_OVER_MAX:
            break
        within.add(name)
    entries.keep_inflated([n for n in names if n in within])
    offset = 0
    for name in names:
        data = entries.inflate_to_keep(name) if name in within else None
        size = -1
        if data is not None:
            try:
                _write_at(memory, data, offset)
                size = len(data)
            except OSError:  # the memory file is full (a small /dev/shm): the parent inflates the rest
                data = None
        send(Inflated(name, offset, size))
        offset += max(size, 0)


def _write_at(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def _answer(path: str, data: bytes | None, send: Callable[[Opened | Inflated | Answer], None],
            memory: int | None) -> None:
    from scanner.android.apk import base_manifest, base_part, signing_here
    from scanner.input.archive import open_app
    from scanner.input.safezip import DEFAULT_LIMITS

    archive = open_app(path, DEFAULT_LIMITS, data)  # hashes ``data``: the parent's bytes too
    if archive.format == "aab":  # an app bundle's own signature is not verified (see apk.py)
        return
    part = base_part(archive)
    send(Opened(archive.sha256, part, archive.base.zip.limits))
    if memory is not None:
        _hand_over(archive, send, memory)
    _, manifest = base_manifest(archive, part)
    problems: list[ScanError] = []
    signing = signing_here(archive, manifest, part, problems)
    question = Question(archive.sha256, part, manifest.min_sdk, manifest.target_sdk, archive.base.zip.limits)
    send(Answer(question, signing, tuple(problems)))
