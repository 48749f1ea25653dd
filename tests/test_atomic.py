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
