"""The one atomic writer: readers see the old file or the new one, never a mix, and nothing is left behind."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from scanner import atomic
from scanner.atomic import replacing, write_atomic, write_atomic_bytes


def test_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "result.json"
    write_atomic(target, "first")
    write_atomic(target, "second")
    assert target.read_text() == "second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["result.json"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "trackers.json"
    write_atomic(target, "old")
    with pytest.raises(ValueError), replacing(target) as tmp:
        tmp.write_text("half of the new")
        raise ValueError("the new file does not validate")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trackers.json"]


def test_data_is_synced_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (events.append("replace"), real_replace(a, b))[1])
    write_atomic_bytes(tmp_path / "a.bin", b"x")
    with replacing(tmp_path / "b.csv") as tmp:
        tmp.write_text("y")
    assert events == ["fsync", "replace", "fsync", "replace"]


def test_concurrent_writers_never_share_a_temporary(tmp_path: Path) -> None:
    """Two writers of one target (a batch worker and a re-match) each leave a whole file."""
    target = tmp_path / "app.json"
    texts = [f"writer {i} " * 2000 for i in range(8)]
    threads = [threading.Thread(target=write_atomic, args=(target, t)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert target.read_text() in texts
    assert [p.name for p in tmp_path.iterdir()] == ["app.json"]


def test_files_follow_the_umask(tmp_path: Path) -> None:
    target = write_atomic(tmp_path / "report.html", "<p>")
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~atomic._UMASK


def test_a_batch_file_may_skip_the_sync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    monkeypatch.setattr(atomic.os, "fsync", synced.append)
    write_atomic(tmp_path / "app.json", "{}\n", durable=False)
    assert synced == [] and (tmp_path / "app.json").read_text() == "{}\n"


def _writing() -> bool:
    """A write thread left running (other tests' threads, an HTTP server, may share this process)."""
    return any(t.name == "appaudit-write" for t in threading.enumerate())


def test_each_file_is_written_while_the_next_is_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``write_atomic_each``: every file written, in order, and the caller's next file is made while the previous
    one is being synced (the sync below waits until the next file has been asked for)."""
    asked = [threading.Event() for _ in range(4)]  # the 4th: the files have run out
    real_fsync = os.fsync
    synced: list[int] = []

    def slow_fsync(fd: int) -> None:
        assert asked[len(synced) + 1].wait(5), "the next file was not made during this file's sync"
        synced.append(fd)
        real_fsync(fd)

    def files():
        for i in range(3):
            asked[i].set()
            yield tmp_path / f"r{i}.txt", f"report {i}".encode()
        asked[3].set()  # the last file has no next one to wait for

    monkeypatch.setattr(atomic.os, "fsync", slow_fsync)
    written = atomic.write_atomic_each(files())
    assert written == [tmp_path / f"r{i}.txt" for i in range(3)]
    assert [p.read_text() for p in written] == ["report 0", "report 1", "report 2"]
    assert len(synced) == 3 and not _writing()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r0.txt", "r1.txt", "r2.txt"]


def test_the_first_failed_write_is_raised_and_nothing_after_it_is_written(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file where a folder must be")
    made: list[int] = []

    def files():
        for i, target in enumerate((tmp_path / "ok.txt", tmp_path / "taken" / "no.txt", tmp_path / "late.txt",
                                    tmp_path / "later.txt")):
            made.append(i)
            yield target, b"x"

    with pytest.raises(OSError):
        atomic.write_atomic_each(files())
    assert (tmp_path / "ok.txt").read_bytes() == b"x"
    assert not (tmp_path / "late.txt").exists() and not (tmp_path / "later.txt").exists()
    assert made == [0, 1, 2], "one file at most is made past the failed one (while it was being written)"
    assert not _writing()


def test_an_error_making_a_file_waits_for_the_write_under_way(tmp_path: Path) -> None:
    def files():
        yield tmp_path / "first.txt", b"first"
        raise ValueError("the next report cannot be rendered")

    with pytest.raises(ValueError):
        atomic.write_atomic_each(files())
    assert (tmp_path / "first.txt").read_bytes() == b"first"
    assert not _writing()


def test_without_a_thread_each_file_is_written_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under the address-space cap a thread's stack may not be had: the files are written in the caller's thread."""
    def no_thread(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", no_thread)
    written = atomic.write_atomic_each((tmp_path / f"{i}.txt", b"%d" % i) for i in range(2))
    assert [p.read_bytes() for p in written] == [b"0", b"1"]
