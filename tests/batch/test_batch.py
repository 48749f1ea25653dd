"""Batch runs: isolation, resume after kill -9, the dataset, duplicates, Dask, re-matching."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from reports.dataset import COLUMNS
from scanner.batch.coordinator import BatchConfig, finish, plan, run_batch
from tests.batch.conftest import BAD, GOOD, corpus
from tests.conftest import FIXTURES, KB

SLOW_WORKER = (sys.executable, str(Path(__file__).with_name("slow_worker.py")))


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(out / "dataset" / f"{name}.parquet") for name in COLUMNS}


def _batch(inputs: list[Path], out: Path, **kw) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    config = BatchConfig(str(out), **{"workers": 2, "timeout": 60, "formats": ("json",), **kw})
    result = run_batch(plan([str(p) for p in inputs]), config, KB)
    return result, finish(str(out), KB)


def test_hostile_corpus_and_a_hanging_app(tmp_path: Path) -> None:
    apps = corpus(tmp_path / "in")
    shutil.copyfile(FIXTURES / "multidex.apk", apps / "hang.apk")
    result, summary = _batch([apps], tmp_path / "out", timeout=3, worker_command=SLOW_WORKER)
    frame = _tables(tmp_path / "out")["apps"]
    by_name = {Path(p).name: row for p, row in zip(frame["path"], frame.itertuples(), strict=True)}
    assert len(frame) == len(GOOD) + len(BAD) + 1
    for name in GOOD:
        assert by_name[f"000-{name}"].status == "ok", name
    codes = {name: by_name[name].error_code for name in (*BAD, "hang.apk")}
    assert codes == {"truncated.apk": "truncated-zip", "zip_bomb.apk": "zip-limit-exceeded",
                     "not_an_apk.apk": "not-a-zip", "duplicate_entry.apk": "duplicate-entry", "hang.apk": "timeout"}
    assert result.failed == len(BAD) + 1 and summary["status"]["error"] == len(BAD) + 1


def test_memory_limit_and_worker_crash_are_error_rows(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, source in (("hog.apk", "clean.apk"), ("crash.apk", "sdks.apk"), ("fine.apk", "multidex.apk")):
        shutil.copyfile(FIXTURES / source, folder / name)
    result, _ = _batch([folder], tmp_path / "out", workers=1, max_memory=1024, worker_command=SLOW_WORKER)
    codes = dict(zip(_tables(tmp_path / "out")["apps"]["path"].map(lambda p: Path(p).name),
                     _tables(tmp_path / "out")["apps"]["error_code"], strict=True))
    assert codes["hog.apk"] == "out-of-memory" and codes["crash.apk"] == "worker-crashed"
    assert pd.isna(codes["fine.apk"])  # the next app got a fresh worker and was scanned


def test_a_worker_outlives_no_coordinator(tmp_path: Path) -> None:
    from scanner.batch.isolation import IsolatedScanner

    scanner = IsolatedScanner(KB, 30, 1024)
    scanner.start()
    assert scanner.proc is not None and scanner.proc.stdin is not None
    scanner.proc.stdin.close()  # what a killed coordinator leaves: end of input
    assert scanner.proc.wait(timeout=30) == 0


def test_plain_progress_lines(tmp_path: Path) -> None:
    import io

    from scanner.batch.job import Row
    from scanner.batch.progress import Progress

    stream = io.StringIO()
    progress = Progress(3, stream=stream, every=0)
    for status in ("ok", "error", "ok"):
        progress.update(Row("x", "x.apk", status))
    lines = stream.getvalue().splitlines()
    assert lines[-1].startswith("batch: 3/3 apps, 1 failed") and "apps/min" in lines[-1]


def test_dataset_matches_the_per_app_results(tmp_path: Path) -> None:
    _batch([corpus(tmp_path / "in")], tmp_path / "out")
    frames = _tables(tmp_path / "out")
    docs = [json.loads(p.read_text()) for p in sorted((tmp_path / "out" / "apps").glob("*.json"))]
    assert len(frames["apps"]) == len(docs)
    for table, key in (("sdks", "sdks"), ("permissions", "permissions"), ("api_calls", "api_calls"),
                       ("findings", "findings"), ("errors", "errors")):
        assert len(frames[table]) == sum(len(d[key]) for d in docs), table
        assert tuple(frames[table].columns) == COLUMNS[table]
    csv = pd.read_csv(tmp_path / "out" / "dataset" / "api_calls.csv")
    assert len(csv) == len(frames["api_calls"])
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["apps"] == len(docs) and summary["pre_consent"]["apps"] == 2  # preconsent, provider_init


def test_duplicates_are_scanned_once_and_resume_skips(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.apk", "b.apk"):
        shutil.copyfile(FIXTURES / "sdks.apk", folder / name)
    result, _ = _batch([folder], tmp_path / "out")
    assert (result.inputs, result.apps, len(result.rows)) == (2, 1, 1)
    assert _tables(tmp_path / "out")["apps"]["paths"].tolist() == [2]
    again, _ = _batch([folder], tmp_path / "out")
    assert (again.skipped, len(again.rows)) == (1, 0)


def test_a_torn_result_is_scanned_again(tmp_path: Path) -> None:
    """Per-app files are not synced: a result a power loss cut short must not count as done."""
    for name in ("clean.apk", "sdks.apk", "preconsent.apk"):
        shutil.copyfile(FIXTURES / name, tmp_path / name)
    _batch([tmp_path / n for n in ("clean.apk", "sdks.apk", "preconsent.apk")], tmp_path / "out")
    results = sorted((tmp_path / "out" / "apps").glob("*.json"))
    whole = {p.name: p.read_bytes() for p in results}
    results[0].write_bytes(whole[results[0].name][:-40])  # cut short
    results[1].write_bytes(b"")  # allocated, never written
    again, _ = _batch([tmp_path / n for n in ("clean.apk", "sdks.apk", "preconsent.apk")], tmp_path / "out")
    assert (again.skipped, sorted(r.sha256 for r in again.rows)) == (1, sorted(p.stem for p in results[:2]))
    assert {p.name: p.read_bytes() for p in results} == whole


def test_kill_9_then_resume_gives_the_same_dataset(tmp_path: Path) -> None:
    apps = corpus(tmp_path / "in", copies=4)
    _batch([apps], tmp_path / "whole")
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "scanner", "batch", str(apps), "-o", str(out), "--workers", "1", "-f", "json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / "apps").glob("*.json"))) < 5:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the coordinator and its worker, mid-write if it so happens
    proc.wait()
    time.sleep(0.2)
    done_before = len(list((out / "apps").glob("*.json")))
    assert 5 <= done_before < 28
    for result in (out / "apps").glob("*.json"):  # every result there is whole
        json.loads(result.read_text())
    resumed = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 3  # the hostile members failed, as in the uninterrupted run
    assert f"{done_before} done earlier" in resumed.stderr
    whole, killed = _tables(tmp_path / "whole"), _tables(out)
    for name in COLUMNS:
        pd.testing.assert_frame_equal(whole[name], killed[name], check_dtype=False)


def test_dask_local_cluster_gives_the_same_dataset(tmp_path: Path) -> None:
    apps = corpus(tmp_path / "in")
    _batch([apps], tmp_path / "local")
    _batch([apps], tmp_path / "dask", dask="local")
    local, dask = _tables(tmp_path / "local"), _tables(tmp_path / "dask")
    for name in COLUMNS:
        pd.testing.assert_frame_equal(local[name], dask[name], check_dtype=False)


def test_rematch_reproduces_results_without_rescanning(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _batch([corpus(tmp_path / "in")], out)
    before = {p.name: p.read_text() for p in (out / "apps").glob("*.json")}
    proc = subprocess.run([sys.executable, "-m", "scanner", "batch", "--rematch", str(out), "-f", "json"],
                          capture_output=True, text=True, timeout=300)
    assert "re-matched 6 stored apps" in proc.stderr, proc.stderr
    after = {p.name: p.read_text() for p in (out / "apps").glob("*.json")}
    assert after == before
