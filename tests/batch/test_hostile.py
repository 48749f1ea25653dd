"""Nothing lost, ever: every input of a batch ends as exactly one result row, whatever its name or kind,
and the exit code and final line of a batch come from those rows. Stored results that are damaged are
named and scanned again; a folder that is not a batch is one line, not a traceback."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from scanner.batch import isolation
from scanner.batch import job as appjob
from scanner.batch.coordinator import BatchConfig, finish, plan, prepare, run_batch
from scanner.batch.job import Row, printable
from scanner.gate.review import scan
from tests.batch.conftest import variant
from tests.conftest import FIXTURES, HOSTILE, KB

APP_SUFFIXES = (".apk", ".xapk", ".apks", ".apkm")
SLOW_WORKER = (sys.executable, str(Path(__file__).with_name("slow_worker.py")))


def _apps_table(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "dataset" / "apps.parquet")


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scanner", "batch", *argv], capture_output=True, text=True,
                          timeout=600)


def _fixture_apps() -> list[Path]:
    return sorted(p for folder in (FIXTURES, HOSTILE) for p in folder.iterdir() if p.suffix in APP_SUFFIXES)


def _hostile_folder(root: Path) -> tuple[list[str], dict[str, str]]:
    """50 inputs: every fixture, hostile names and kinds. Returns (paths given to batch, expected status by
    input path: what an in-process scan of that path says; the batch must agree)."""
    folder = root / "in"
    folder.mkdir()
    inputs: list[Path] = []
    for source in _fixture_apps():
        shutil.copyfile(source, folder / f"{source.parent.name}-{source.name}")
        inputs.append(folder / f"{source.parent.name}-{source.name}")
    non_utf8 = Path(os.fsdecode(os.fsencode(folder) + b"/bad-\xff\xfe-utf8.apk"))
    inputs += [
        variant(FIXTURES / "clean.apk", non_utf8, 1),
        variant(FIXTURES / "sdks.apk", folder / "new\nline.apk", 2),
        variant(FIXTURES / "preconsent.apk", folder / ("L" * 251 + ".apk"), 3),  # 255 bytes: the name limit
        variant(FIXTURES / "multidex.apk", folder / "spaces 'quotes\" ünïcødé $(x).apk", 4),
        variant(FIXTURES / "obfuscated.apk", folder / "-o.apk", 5),
        variant(FIXTURES / "clean.apk", folder / "chmod000.apk", 6),
        folder / "fifo.apk", folder / "folder.apk", folder / "gone.apk",
        variant(FIXTURES / "split.xapk", folder / "broken-writer.xapk", 9),  # its HTML cannot be written
    ]
    (folder / "chmod000.apk").chmod(0)
    os.mkfifo(folder / "fifo.apk")  # opening it for reading would block: it must never be opened
    (folder / "folder.apk").mkdir()  # named like an app, holds none
    (folder / "gone.apk").symlink_to(folder / "nowhere.apk")  # a dangling symbolic link
    nested = folder / "nested.apk"  # named like an app, holds one: walked like any folder
    nested.mkdir()
    inputs.append(variant(FIXTURES / "sdks.apk", nested / "inner.apk", 7))
    shut = folder / "shut"  # unreadable for anyone but root: its app, or the folder itself, is a row
    shut.mkdir()
    inputs.append(variant(FIXTURES / "preconsent.apk", shut / "inside.apk", 8))
    shut.chmod(0)
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    os.mkfifo(elsewhere / "named-fifo.apk")
    listed = variant(FIXTURES / "provider_init.apk", elsewhere / "listed.apk", 40)
    (elsewhere / "list.txt").write_text(f"{listed.name}\nmissing-from-list.apk\n", encoding="utf-8")
    inputs += [elsewhere / "named-fifo.apk", listed, elsewhere / "missing-from-list.apk", root / "missing.apk"]
    n = 10
    while len(inputs) < 50:
        source = (FIXTURES / "clean.apk", FIXTURES / "sdks.apk", FIXTURES / "split.apks")[n % 3]
        inputs.append(variant(source, folder / f"variant-{n}{source.suffix}", n))
        n += 1
    given = [str(folder), str(elsewhere / "named-fifo.apk"), str(elsewhere / "list.txt"),
             str(root / "missing.apk"), str(non_utf8)]  # the last one twice: in the folder and by name
    expected = {str(path): scan(str(path), kb=KB).status.value for path in inputs}
    expected[str(folder / "broken-writer.xapk")] = "error"
    if not os.access(shut, os.R_OK | os.X_OK):  # not root: the folder is the row
        del expected[str(shut / "inside.apk")]
        expected[str(shut)] = "error"
    return given, expected


def test_fifo_and_folder_inputs_do_not_hang_or_vanish(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.apk")
    (tmp_path / "dir.apk").mkdir()
    planned: dict[str, str] = {}
    worker = threading.Thread(target=lambda: planned.update(plan([str(tmp_path / "fifo.apk"),
                                                                  str(tmp_path / "dir.apk")])), daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "hashing a FIFO blocked the batch"
    assert sorted(planned) == [str(tmp_path / "dir.apk"), str(tmp_path / "fifo.apk")]


def test_fifty_hostile_inputs_one_row_each(tmp_path: Path) -> None:
    given, expected = _hostile_folder(tmp_path)
    assert len(expected) == 50
    out = tmp_path / "out"
    inputs = plan(given)
    assert sorted(inputs) == sorted(expected)
    broken = inputs[str(tmp_path / "in" / "broken-writer.xapk")]
    (out / "apps" / f"{broken}.html").mkdir(parents=True)  # a crashing writer: the HTML target is a folder
    config = BatchConfig(str(out), workers=3, timeout=120, formats=("json", "html"))
    result = run_batch(inputs, config, KB)
    finish(str(out), KB)
    # one row per distinct input, with the status the scan itself gives
    assert sorted(r.sha256 for r in result.rows) == sorted(set(inputs.values()))
    status_of = {r.sha256: r.status for r in result.rows}
    assert {path: status_of[sha] for path, sha in inputs.items()} == expected
    broken_row = next(r for r in result.rows if r.sha256 == broken)
    assert broken_row.error and "Is a directory" in broken_row.error
    # the dataset holds the same rows, every path printable
    table = _apps_table(out)
    assert sorted(table["sha256"]) == sorted(set(inputs.values()))
    assert dict(zip(table["sha256"], table["status"], strict=True)) == status_of
    assert int(table["paths"].sum()) == 50
    assert any("bad-\\xff\\xfe-utf8.apk" in p for p in table["path"])
    assert result.failed == sum(1 for s in expected.values() if s == "error")


def test_the_dispatcher_survives_a_failing_run_and_a_failing_writer(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash in the coordinator's own code for one app, and a writer that cannot write even the error
    result: that app is an error row, and the apps queued behind it are still scanned."""
    names = ("a.apk", "crash.apk", "b.apk", "c.apk", "d.apk")
    for n, name in enumerate(names):
        variant(FIXTURES / "clean.apk", tmp_path / name, n)
    real_run = isolation.IsolatedScanner.run

    def run(self: isolation.IsolatedScanner, job: appjob.Job) -> Row:
        if job.path.endswith("b.apk"):
            raise RuntimeError("dispatcher bug")
        return real_run(self, job)

    def write_audit(*args: object, **kw: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(isolation.IsolatedScanner, "run", run)
    monkeypatch.setattr(appjob, "write_audit", write_audit)  # only the coordinator's copy: error results
    out = tmp_path / "out"
    inputs = plan([str(tmp_path / n) for n in names])
    result = run_batch(inputs, BatchConfig(str(out), workers=1, timeout=60, formats=("json",),
                                           worker_command=SLOW_WORKER), KB)
    by_name = {Path(r.path).name: r for r in result.rows}
    assert sorted(by_name) == sorted(names)
    assert by_name["b.apk"].status == "error" and "dispatcher bug" in (by_name["b.apk"].error or "")
    assert by_name["crash.apk"].status == "error" and "No space left" in (by_name["crash.apk"].error or "")
    assert [by_name[n].status for n in ("a.apk", "c.apk", "d.apk")] == ["ok", "ok", "ok"]
    monkeypatch.undo()
    finish(str(out), KB, result.rows)  # the rows nothing could store are in the dataset too
    table = _apps_table(out)
    assert sorted(Path(p).name for p in table["path"]) == sorted(names)


def test_a_resumed_batch_reports_and_exits_from_the_same_rows(tmp_path: Path) -> None:
    good = variant(FIXTURES / "clean.apk", tmp_path / "good.apk", 1)
    bad = HOSTILE / "truncated.apk"
    out = tmp_path / "out"
    first = _cli(str(good), str(bad), "-o", str(out), "-f", "json", "--workers", "1")
    assert first.returncode == 3 and "1 failed" in first.stderr.splitlines()[-2], first.stderr
    again = _cli(str(good), str(bad), "-o", str(out), "-f", "json", "--workers", "1")
    summary = again.stderr.splitlines()[-2]
    assert "2 done earlier, 0 scanned now" in summary and "1 failed" in summary, again.stderr
    assert again.returncode == 3
    only_good = _cli(str(good), "-o", str(out), "-f", "json", "--workers", "1")
    assert "0 failed" in only_good.stderr.splitlines()[-2] and only_good.returncode == 0, only_good.stderr


def test_batches_into_one_folder_accumulate(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = [variant(FIXTURES / "clean.apk", tmp_path / "one.apk", 1),
             variant(FIXTURES / "sdks.apk", tmp_path / "two.apk", 2)]
    second = [variant(FIXTURES / "preconsent.apk", tmp_path / "three.apk", 3)]
    for paths in (first, second):
        run_batch(plan([str(p) for p in paths]), BatchConfig(str(out), formats=("json", "html")), KB)
        finish(str(out), KB)
    assert sorted(Path(p).name for p in _apps_table(out)["path"]) == ["one.apk", "three.apk", "two.apk"]
    assert json.loads((out / "summary.json").read_text())["apps"] == 3
    dashboard = (out / "index.html").read_text()
    assert all(name in dashboard for name in ("one.apk", "two.apk", "three.apk"))
    proc = _cli("--rematch", str(out), "-f", "json")
    assert proc.returncode == 0, proc.stderr
    assert "re-matched 3 stored apps" in proc.stderr
    assert len(_apps_table(out)) == 3


@pytest.mark.parametrize("kind", ["empty", "file", "missing", "scan-output"])
def test_rematch_of_a_folder_that_is_not_a_batch(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "target"
    if kind == "empty":
        target.mkdir()
    elif kind == "file":
        target.write_text("not a folder")
    elif kind == "scan-output":
        target.mkdir()
        (target / "clean.json").write_text("{}\n")
    proc = _cli("--rematch", str(target))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(target) in lines[0] and lines[0].startswith("appaudit: "), proc.stderr


def _batch_of_three(tmp_path: Path) -> tuple[Path, list[str], dict[str, str]]:
    paths = [str(variant(FIXTURES / name, tmp_path / name, 1)) for name in ("clean.apk", "sdks.apk")]
    paths.append(str(HOSTILE / "truncated.apk"))
    out = tmp_path / "out"
    inputs = plan(paths)
    run_batch(inputs, BatchConfig(str(out), formats=("json",)), KB)
    finish(str(out), KB)
    return out, paths, inputs


@pytest.mark.parametrize("damage", ["garbage", "truncated", "valid-json-wrong-shape"])
def test_a_damaged_result_is_named_and_scanned_again(tmp_path: Path, damage: str) -> None:
    out, paths, inputs = _batch_of_three(tmp_path)
    target = out / "apps" / f"{inputs[paths[1]]}.json"
    whole = target.read_bytes()
    target.write_bytes({"garbage": b"\x00\xffnot json at all}\n", "truncated": whole[: len(whole) // 2],
                        "valid-json-wrong-shape": b'{"schema": "appaudit/1", "input": 7}\n'}[damage])
    notes: list[str] = []
    prepared = prepare(inputs, BatchConfig(str(out), formats=("json",)), warn=notes.append)
    assert [j.sha256 for j in prepared.jobs] == [inputs[paths[1]]]
    assert len(notes) == 1 and str(target) in notes[0] and paths[1] in notes[0]
    proc = _cli(*paths, "-o", str(out), "-f", "json", "--workers", "1")
    assert "Traceback" not in proc.stderr and str(target) in proc.stderr, proc.stderr
    assert "1 scanned now" in proc.stderr and proc.returncode == 3  # the truncated input, as before
    assert target.read_bytes() == whole


def test_a_damaged_result_of_an_earlier_batch_is_named_not_a_traceback(tmp_path: Path) -> None:
    out, paths, inputs = _batch_of_three(tmp_path)
    target = out / "apps" / f"{inputs[paths[0]]}.json"
    target.write_bytes(b"{not json}\n")
    other = variant(FIXTURES / "preconsent.apk", tmp_path / "other.apk", 2)
    proc = _cli(str(other), "-o", str(out), "-f", "json", "--workers", "1")
    assert "Traceback" not in proc.stderr and str(target) in proc.stderr, proc.stderr
    assert proc.returncode == 0  # this run's one input was scanned fine
    table = _apps_table(out)
    row = table[table["sha256"] == inputs[paths[0]]].iloc[0]
    assert row["status"] == "error" and str(target) in row["error_message"]  # kept in the dataset, as an error


def test_damaged_facts_are_an_error_row_in_a_rematch_then_scanned_again(tmp_path: Path) -> None:
    out, paths, inputs = _batch_of_three(tmp_path)
    facts = out / "facts" / f"{inputs[paths[0]]}.json.gz"
    facts.write_bytes(facts.read_bytes()[:100])
    for _ in range(2):  # every rerun: a row naming the file, never a traceback
        proc = _cli("--rematch", str(out), "-f", "json")
        assert "Traceback" not in proc.stderr and proc.returncode == 3, proc.stderr
        assert str(facts) in proc.stderr and "re-matched 1 stored apps" in proc.stderr
        table = _apps_table(out)
        row = table[table["sha256"] == inputs[paths[0]]].iloc[0]
        assert row["status"] == "error" and str(facts) in row["error_message"]
    proc = _cli(*paths, "-o", str(out), "-f", "json", "--workers", "1")
    assert "1 scanned now" in proc.stderr and paths[0] in proc.stderr, proc.stderr
    gzip.decompress(facts.read_bytes())  # whole again
    assert _cli("--rematch", str(out), "-f", "json").returncode == 3  # only the truncated input fails now


def test_a_garbage_facts_file_in_json(tmp_path: Path) -> None:
    out, paths, inputs = _batch_of_three(tmp_path)
    facts = out / "facts" / f"{inputs[paths[1]]}.json.gz"
    facts.write_bytes(gzip.compress(b'{"schema": "appaudit-facts/1", "source": 3}'))
    proc = _cli("--rematch", str(out), "-f", "json")
    assert "Traceback" not in proc.stderr and str(facts) in proc.stderr and proc.returncode == 3, proc.stderr


def test_printable_names() -> None:
    assert printable(os.fsdecode(b"a\xffb.apk")) == "a\\xffb.apk"
    assert printable("plain ünïcødé.apk") == "plain ünïcødé.apk"
    assert printable("lone \ud800 surrogate") == "lone \\ud800 surrogate"


def test_a_folder_that_cannot_be_listed_is_an_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What chmod 000 does to a folder for anyone but root (these tests run as root in CI): simulated."""
    from scanner.batch.coordinator import discover

    shut = tmp_path / "shut"
    shut.mkdir()
    variant(FIXTURES / "clean.apk", shut / "inside.apk", 1)
    variant(FIXTURES / "clean.apk", tmp_path / "open.apk", 2)
    real_scandir, real_access = os.scandir, os.access

    def scandir(path: object = ".") -> object:
        if str(path) == str(shut):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    found = discover([str(tmp_path)])
    assert str(shut) in found and str(tmp_path / "open.apk") in found
    monkeypatch.setattr(os, "access", lambda path, mode: False if str(path) == str(shut) else real_access(path, mode))
    row = appjob.run_job(appjob.Job(str(shut), "unreadable-x", str(tmp_path / "out"), ("json",)), KB)
    assert row.status == "error" and "cannot be read" in (row.error or "")


def test_rematch_rewrites_a_damaged_result_from_its_facts(tmp_path: Path) -> None:
    out, paths, inputs = _batch_of_three(tmp_path)
    target = out / "apps" / f"{inputs[paths[1]]}.json"
    whole = target.read_bytes()
    target.write_bytes(b"garbage}\n")
    proc = _cli("--rematch", str(out), "-f", "json")
    assert proc.returncode == 3 and "re-matched 2 stored apps" in proc.stderr, proc.stderr  # truncated: kept
    assert target.read_bytes() == whole
