"""``appaudit batch --from fdroid:URL``: fetch and scan in one pipeline, resumable, bounded disk.

Twenty real APKs in an fdroidserver repository, one served changed: 19 ok rows and one clear error, every
row with the store's columns; downloads are deleted once scanned (``--keep-apks`` keeps them); a re-run
downloads and scans nothing that is done.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from scanner.cli.main import main
from tests.fetch.conftest import Repo
from tests.fetch.server import Reply, StoreServer

BAD = "app07.apk"


def batch(server: StoreServer, repo: Repo, out: Path, *extra: str) -> int:
    return main(["batch", "--from", f"fdroid:{server.url}", "--fingerprint", repo.fingerprint, "-o", str(out),
                 "--workers", "2", "-f", "json", "--rate", "0", "--download-timeout", "5", "--retries", "1", *extra])


def apps(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "dataset" / "apps.parquet")


def test_fetch_and_scan_twenty_apps_one_bad(big_repo: Repo, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    with StoreServer(big_repo.root) as server:
        changed = bytearray((big_repo.root / BAD).read_bytes())
        changed[-200] ^= 0xFF
        server.rules[f"/{BAD}"] = lambda n, r: Reply(body=bytes(changed))
        assert batch(server, big_repo, out) == 3
        err = capsys.readouterr().err
        assert "20 inputs, 20 distinct apps, 0 done earlier, 20 scanned now: 19 ok, 0 partial, 1 failed" in err
        table = apps(out)
        assert len(table) == 20 and (table.status == "ok").sum() == 19
        bad = table[table.status == "error"].iloc[0]
        assert bad.error_code == "fetch-checksum-mismatch"
        assert "not downloaded: org.appaudit.fetch.app07 3: sha256 mismatch" in bad.error_message
        assert bad.store_package == "org.appaudit.fetch.app07" and bad.source_url == f"{server.url}/{BAD}"
        good = table[table.status == "ok"]
        assert (good.package == good.store_package).all() and (good.store == "fdroid").all()
        assert len(set(good.store_package)) == 19 and set(good.store_version_code) == {3}
        assert not list((out / "downloads").glob("*.apk"))  # each deleted once its facts were stored
        assert not list((out / "downloads").glob(".*.part"))
        # resumed: nothing done is downloaded or scanned again; the bad app is retried on request
        before = len(server.log)
        assert batch(server, big_repo, out) == 3
        assert [r.path for r in server.log[before:]] == ["/entry.jar", "/index-v2.json"]
        assert "20 done earlier, 0 scanned now: 19 ok, 0 partial, 1 failed" in capsys.readouterr().err
        server.rules.clear()
        assert batch(server, big_repo, out, "--retry-errors", "--keep-apks") == 0
        assert [r.path for r in server.log[before + 2:]][2:] == [f"/{BAD}"]
        assert (apps(out).status == "ok").sum() == 20
        assert [p.name for p in (out / "downloads").glob("*.apk")] == [
            f"org.appaudit.fetch.app07_3_{big_repo.sha256(BAD)[:12]}.apk"]


def test_batch_of_a_fetched_folder_carries_the_store_columns(fdroid_repo: Repo, tmp_path: Path) -> None:
    with StoreServer(fdroid_repo.root) as server:
        assert main(["fetch", "fdroid", server.url, "-o", str(tmp_path / "apks"), "--fingerprint",
                     fdroid_repo.fingerprint, "--rate", "0"]) == 0
    # its own process: the batch's progress line keeps the standard error it was first imported with
    done = subprocess.run([sys.executable, "-m", "scanner", "batch", str(tmp_path / "apks"), "-o",
                           str(tmp_path / "out"), "--workers", "1", "-f", "json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    table = apps(tmp_path / "out").set_index("sha256")
    assert len(table) == 4
    row = table.loc[fdroid_repo.sha256("release_v2.apk")]
    assert (row.store, row.store_repo, row.store_package, row.store_version_code) == (
        "fdroid", server.url, "org.appaudit.fixture.release", 2)
