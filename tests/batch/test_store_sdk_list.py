"""The store-wide SDK list of a batch: one row per distinct SDK, with the apps (packages) that use it."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tests.conftest import FIXTURES


def test_one_row_per_sdk_with_the_apps_using_it(tmp_path: Path) -> None:
    out = tmp_path / "out"
    inputs = ["sdks.apk", "preconsent.apk", "stub_sdk.apk", "split.xapk", "split.apks"]
    run = subprocess.run([sys.executable, "-m", "scanner", "batch", *(str(FIXTURES / n) for n in inputs),
                          "-o", str(out), "-f", "json"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    with open(out / "dataset" / "sdk_list.csv", encoding="utf-8", newline="") as f:
        rows = {r["sdk"]: r for r in csv.DictReader(f)}
    sdks = pd.read_parquet(out / "dataset" / "sdks.parquet")
    live, stubs = sdks[~sdks["stub"]], sdks[sdks["stub"]]
    assert set(rows) == set(live["sdk"]) and not stubs.empty
    # stub_sdk.apk only has Umeng's classes left behind, no working code: it is not an app using Umeng
    assert all(p not in r["packages"] for r in rows.values() for p in set(stubs["package"]))
    for sdk, group in live.groupby("sdk"):
        assert int(rows[sdk]["apps"]) == group["package"].nunique()
        assert rows[sdk]["packages"].split(";") == sorted(set(group["package"]))
    umeng = rows["umeng-analytics"]
    assert umeng["packages"] == "org.appaudit.fixture.preconsent;org.appaudit.fixture.sdks"
    assert int(umeng["starts_before_consent"]) == 1 and umeng["legal_entity"] == "友盟同欣（北京）科技有限公司"
    assert list(rows) == sorted(rows, key=lambda s: (-int(rows[s]["apps"]), s))  # most used first
