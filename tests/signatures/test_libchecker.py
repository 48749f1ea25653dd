"""The LibChecker-Rules import: every marker lands on an entry, and no marker or prefix over-claims.

The import is data (``signatures/data/libchecker.toml``) written by ``signatures/libchecker.py``
from the LibChecker-Rules data set; these tests check the committed data and the generator's rules
on hand-made rules, without the data set.
"""

from __future__ import annotations

import re
import tomllib
from itertools import pairwise
from pathlib import Path

import pytest

import signatures
from signatures import KnowledgeBase, libchecker
from signatures.loader import bundled_dir
from signatures.model import TrackerSignature

from .conftest import append

DATA = Path(str(bundled_dir()))
DOC = tomllib.loads((DATA / "libchecker.toml").read_text(encoding="utf-8"))
GROUPS = DOC["markers"]
UMBRELLA = set(tomllib.loads((DATA / "meta.toml").read_text(encoding="utf-8"))["validation"]["umbrella_prefixes"])
OURS = {e["id"]: e for e in tomllib.loads((DATA / "sdks.toml").read_text(encoding="utf-8"))["sdk"]}


def related(a: TrackerSignature, b: TrackerSignature) -> bool:
    """One ships the other, or both are the same vendor's."""
    return a.vendor == b.vendor or a.id in b.bundled_by or b.id in a.bundled_by


def test_attribution_names_data_set_commit_and_licence() -> None:
    notice = (DATA / "NOTICE").read_text(encoding="utf-8")
    for text in (notice, DOC["source"]):
        assert "LibChecker-Rules" in text and libchecker.COMMIT in text and "Apache" in text
    assert DOC["source"] == libchecker.SOURCE


def test_every_group_names_an_entry_that_cites_the_data_set(kb: KnowledgeBase) -> None:
    ids = [g["sdk"] for g in GROUPS]
    assert ids == sorted(set(ids)), "one group per SDK, sorted"
    for group in GROUPS:
        sdk = kb.sdk(group["sdk"])
        assert DOC["source"] in sdk.source, sdk.id
        for key in ("prefixes", "components", "libraries"):
            assert set(group.get(key, [])) <= set(getattr(sdk, key)), (sdk.id, key)


def test_groups_are_well_formed() -> None:
    seen: dict[tuple[str, str], str] = {}
    for group in GROUPS:
        assert group["labels"], group["sdk"]
        assert any(group.get(k) for k in ("prefixes", "components", "libraries")), group["sdk"]
        for key in ("prefixes", "components", "libraries"):
            values = group.get(key, [])
            assert values == sorted(values), (group["sdk"], key)
            for value in values:
                assert (key, value) not in seen, f"{value} is in {seen[(key, value)]} and {group['sdk']}"
                seen[(key, value)] = group["sdk"]
                if group["sdk"] in OURS:  # the generator leaves out what sdks.toml already lists
                    assert value not in OURS[group["sdk"]].get(key, []), (group["sdk"], value)


def test_imported_libraries_are_file_names_or_simple_globs() -> None:
    for group in GROUPS:
        for name in group.get("libraries", []):
            assert re.fullmatch(r"lib[\w.+-]*\*?[\w.+-]*\.so", name), name


def test_imported_prefixes_are_two_segments_and_no_umbrella() -> None:
    for group in GROUPS:
        for prefix in group.get("prefixes", []):
            assert prefix.count(".") >= 1 and prefix not in UMBRELLA, prefix
            assert prefix not in libchecker.BROAD, prefix


def test_a_component_belongs_to_the_entry_whose_package_holds_it(kb: KnowledgeBase) -> None:
    """LibChecker labels list other vendors' bridge classes; the package decides, as in the scan."""
    for group in GROUPS:
        for name in group.get("components", []):
            owner = kb.sdk_for_class(name)
            assert owner is None or owner.id == group["sdk"], (name, group["sdk"], owner and owner.id)


def test_no_prefix_is_claimed_twice(kb: KnowledgeBase) -> None:
    """Two entries claim one prefix only when one ships the other (Exodus's own duplicates aside)."""
    owners: dict[str, list[TrackerSignature]] = {}
    for sdk in kb.sdks:
        for prefix in sdk.prefixes:
            owners.setdefault(prefix, []).append(sdk)
    for prefix, sdks in owners.items():
        if len(sdks) > 1 and any(s.origin == "appaudit" for s in sdks):
            for a, b in pairwise(sdks):
                assert a.id in b.bundled_by or b.id in a.bundled_by, (prefix, a.id, b.id)


def test_no_prefix_swallows_another_vendors_sdk(kb: KnowledgeBase) -> None:
    """A prefix below another entry's prefix belongs to the same vendor or to a nested SDK."""
    owner = {p: s for s in kb.sdks for p in s.prefixes}
    for prefix, sdk in owner.items():
        parent = prefix.rpartition(".")[0]
        while parent:
            if parent in owner and owner[parent] is not sdk:
                assert related(owner[parent], sdk), (parent, owner[parent].id, prefix, sdk.id)
                break
            parent = parent.rpartition(".")[0]


def test_header_counts_every_rule() -> None:
    text = (DATA / "libchecker.toml").read_text(encoding="utf-8")
    total = int(re.search(r"^# (\d+) rules:$", text, re.M).group(1))  # type: ignore[union-attr]
    counts = [int(n) for n in re.findall(r"^#\s+(\d+)  \w", text, re.M)]
    assert sum(counts) == total > 1000


# --- the generator's rules, on hand-made rules --------------------------------------------------------


@pytest.mark.parametrize(("regex", "glob"), [
    (r"libjcore(.*)\.so", "libjcore*.so"),
    (r"libAMapSDK_MAP_v(.*)\.so", "libAMapSDK_MAP_v*.so"),
    (r"libTmsdk-(.*)-mfr\.so", "libTmsdk-*-mfr.so"),
    (r"(libpython([1-9]\d*\.?\d*)|(0\.\d*[1-9]))(m)?\.so", None),
    (r"libfoo\.so", None),  # no wildcard: not a glob
])
def test_simple_regexes_become_globs(regex: str, glob: str | None) -> None:
    assert libchecker.glob_of(regex) == glob


def rule(kind: str, name: str, label: str, regex: bool = False) -> dict[str, object]:
    return {"kind": kind, "name": name, "label": label, "team": "t", **({"regex": True} if regex else {})}


def test_generator_maps_skips_and_lets_the_package_decide() -> None:
    result = libchecker.run([
        rule("receiver", "com.alibaba.sdk.android.push.PushIntentService", "GMP Push SDK"),  # Aliyun's package
        rule("service", "com.bytedance.push.NewService", "GMP Push SDK"),
        rule("native_library", r"libjcore(.*)\.so", "极光推送", regex=True),  # NAMES: JCore's own glob
        rule("native_library", "libQt5Core.so", "Qt5"),
        rule("native_library", "libjiagu.so", "360 加固"),
        rule("native_library", "libmp3decoder.so", "高德地图 SDK"),
        rule("native_library", "regex_jpush", "极光推送"),
        rule("dex_package", "com.alipay.(.*)", "支付宝 SDK", regex=True),
        rule("activity", "com.tencent.tinker.loader.hotplug.ActivityStubs(.*)", "Tinker", regex=True),
        rule("native_library", "libnewthing.so", "腾讯广告 SDK"),
    ])
    groups = {sdk: {k: v for k, v in g.items() if v} for sdk, g in result.groups.items()}
    assert groups["alibaba-accs"]["components"] == ["com.alibaba.sdk.android.push.PushIntentService"]
    assert groups["bytedance-push"]["components"] == ["com.bytedance.push.NewService"]
    assert groups["tencent-gdt"]["libraries"] == ["libnewthing.so"]
    assert "jiguang-jcore" not in groups  # libjcore*.so is already JCore's
    assert result.outcome == {
        "imported": 3, "mapped: already in the entry": 1, "mapped: covered by the entry's prefixes": 1,
        "skipped: not privacy-relevant (dev library, framework, engine)": 1, "skipped: packer (packers.toml)": 1,
        "skipped: generic or misfiled name": 1, "skipped: rule-set placeholder (regex_...)": 1,
        "skipped: package root too broad": 1,
    }
    text = libchecker.render(result, 10)
    assert "# 10 rules:" in text and 'sdk = "alibaba-accs"' in text


def test_curated_labels_name_known_entries(kb: KnowledgeBase) -> None:
    ids = {s.id for s in kb.sdks}
    assert set(libchecker.LABELS.values()) <= ids
    assert {v for v in libchecker.NAMES.values() if v} <= ids
    assert not set(libchecker.LABELS) & libchecker.PACKERS


def test_marker_group_for_a_missing_sdk_is_an_error(data_copy: Path) -> None:
    append(data_copy / "libchecker.toml", '[[markers]]\nsdk = "no-such-sdk"\nlabels = ["x"]\n'
                                          'libraries = ["libx.so"]\n')
    with pytest.raises(signatures.KnowledgeBaseError, match="libchecker.toml: no-such-sdk: no SDK with id"):
        signatures.load(data_copy)


def test_marker_group_with_a_typo_key_is_an_error(data_copy: Path) -> None:
    append(data_copy / "libchecker.toml", '[[markers]]\nsdk = "getui-push"\nlabels = ["x"]\n'
                                          'librairies = ["libx.so"]\n')
    with pytest.raises(signatures.KnowledgeBaseError, match="unknown key"):
        signatures.load(data_copy)
