"""GB/T 41391-2022 rows (gbt41391.toml): every row points at data that exists, and no guess is silent."""

from __future__ import annotations

from pathlib import Path

import pytest

import signatures
from signatures.model import KnowledgeBase, KnowledgeBaseError

FILE = "gbt41391.toml"


def test_every_annex_row_names_data_that_exists(kb: KnowledgeBase) -> None:
    gbt = kb.gbt41391
    assert {row.app_type for row in gbt.necessary} == set(kb.categories)  # Annex A: one row per app type
    assert {row.app_type for row in gbt.low_relevance} <= set(kb.categories)
    for row in gbt.low_relevance:
        assert all(p in kb.permissions and kb.permissions[p].match == "exact" for p in row.permissions), row
    assert all(i.category in kb.pi_categories for i in gbt.identifiers)


def test_annex_f_splits_identifiers_the_user_cannot_reset_from_those_that_serve_instead(kb: KnowledgeBase) -> None:
    fixed = {i.category for i in kb.gbt41391.identifiers if not i.resettable}
    assert {"device_id.imei", "device_id.meid", "device_id.mac", "device_id.serial"} <= fixed
    assert {"device_id.oaid", "device_id.advertising_id"} <= set(kb.gbt41391.resettable)
    assert not fixed & set(kb.gbt41391.resettable)
    assert kb.gbt41391.identifier("device_id.imei") is not None
    assert kb.gbt41391.identifier("device_id") is None  # an unresolved identifier read is no Annex F row


def test_no_row_is_a_silent_guess(kb: KnowledgeBase) -> None:
    rows = [*kb.gbt41391.necessary, *kb.gbt41391.low_relevance, *kb.gbt41391.identifiers]
    assert all(row.source for row in rows)
    assert all(row.note for row in rows if not row.verified)
    # the annexes' rows were not read in a stored copy of the standard: none may claim otherwise yet
    assert not [row for row in rows if row.verified]


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("old", "new", "reason"), [
    ('app_type = "news"', 'app_type = "newspapers"', "unknown app type 'newspapers'"),
    ('"android.permission.READ_CALL_LOG"', '"android.permission.READ_CALLLOG"', "unknown permission"),
    ('category = "device_id.imei"', 'category = "device_id.imei2"', "unknown personal-information category"),
    ('verified = false\nnote = "Annex F not read.', 'verified = false\nxnote = "', r"unknown key\(s\): xnote"),
    ('verified = false\nnote = "Annex E rows not read; reconstructed from memory of the annex (call log, SMS and '
     'body sensors of low relevance to most types)."', 'verified = false\nnote = "  "', "needs a note"),
    ('resettable = true\n', '', "missing required key 'resettable'"),
])
def test_a_broken_row_is_rejected_naming_the_file(data_copy: Path, old: str, new: str, reason: str) -> None:
    _replace(data_copy / FILE, old, new)
    with pytest.raises(KnowledgeBaseError, match=reason) as error:
        signatures.load(data_copy)
    assert error.value.file == FILE
