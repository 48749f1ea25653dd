"""The lexicon and aliases are knowledge-base data, validated like the rest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from signatures import load
from signatures.model import KnowledgeBase, KnowledgeBaseError

DATA = Path(__file__).resolve().parents[2] / "signatures" / "data"


def test_loaded(kb: KnowledgeBase) -> None:
    terms = kb.policy_terms
    assert "IMEI" in terms.categories["device_id"] and "剪贴板" in terms.categories["clipboard"]
    assert set(terms.categories) <= set(kb.pi_categories)
    assert "用于" in terms.purpose_cues and "隐私政策" in terms.policy_markers
    assert {"友盟+", "U-App"} <= set(kb.sdk("umeng-analytics").aliases)
    assert {"优量汇", "广点通", "GDT"} <= set(kb.sdk("tencent-gdt").aliases)
    for rule in ("policy.missing", "policy.sdk_undisclosed", "policy.pi_undisclosed", "policy.sdk_stale",
                 "policy.permission_purpose_missing"):
        assert kb.rule(rule).fix and kb.rule(rule).refs


@pytest.mark.parametrize(("old", "new", "error"), [
    ('id = "clipboard"', 'id = "clipboard_typo"', "unknown personal-information category 'clipboard_typo'"),
    ('name = "android.permission.CAMERA"', 'name = "android.permission.CAMERAA"', "unknown permission"),
    ('terms = ["剪切板",', 'terms = ["IMEI", "剪切板",', "'IMEI' is also a term of 'device_id'"),
    ('purpose_cues = [', 'purpose_cue = [', "unknown key(s): purpose_cue"),
])
def test_bad_lexicon_is_refused(tmp_path: Path, old: str, new: str, error: str) -> None:
    folder = tmp_path / "data"
    shutil.copytree(DATA, folder)
    path = folder / "policy_terms.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=error.replace("(", r"\(").replace(")", r"\)")):
        load(folder)
