"""A permission's purpose given in a permission table: the row's purpose column states it, no cue word needed."""

from __future__ import annotations

from scanner.privacy_policy.mentions import PolicyText, family_of
from scanner.privacy_policy.model import HTML, PolicySource, RawPolicy
from scanner.privacy_policy.purposes import find_purpose
from scanner.privacy_policy.read import read_policy
from signatures.model import KnowledgeBase

TABLE = """<html><body><h1>个人信息保护政策</h1><h2>附录：权限申请与使用情况说明</h2>
<table><tr><th>权限名称</th><th>权限功能说明</th><th>使用场景或目的</th><th>是否询问</th></tr>
<tr><td>相机（CAMERA）</td><td>拍摄照片和视频</td><td>扫描二维码、上传头像</td><td>是</td></tr>
<tr><td>麦克风（RECORD_AUDIO）</td><td>录制音频</td><td>—</td><td>是</td></tr>
</table></body></html>"""


def _purpose(kb: KnowledgeBase, permission: str, category: str) -> bool:
    policy = read_policy(RawPolicy(PolicySource("file", "test.html"), TABLE.encode(), HTML))
    info = kb.permission(permission)
    assert info is not None and info.pi_category == category  # the family the table row is read for
    stated, _ = find_purpose(PolicyText(policy), permission, family_of(info.pi_category, kb.policy_terms),
                             kb.policy_terms)
    return stated


def test_a_filled_purpose_column_states_the_purpose_and_an_empty_one_does_not(kb: KnowledgeBase) -> None:
    assert _purpose(kb, "android.permission.CAMERA", "camera")
    assert not _purpose(kb, "android.permission.RECORD_AUDIO", "microphone")
