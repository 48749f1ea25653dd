"""The shapes in which policies state (or fail to state) why a permission is asked for, one policy each.

Each case is a short policy and a permission: stated or not. The texts are our own, written for these
shapes; they are not the policy sets accuracy is measured on.
"""

from __future__ import annotations

import pytest

from scanner.privacy_policy.mentions import PolicyText, family_of
from scanner.privacy_policy.model import HTML, TEXT, PolicySource, RawPolicy
from scanner.privacy_policy.purposes import find_purpose
from scanner.privacy_policy.read import read_policy
from signatures.model import KnowledgeBase

CAMERA, CONTACTS = "android.permission.CAMERA", "android.permission.READ_CONTACTS"
MIC = "android.permission.RECORD_AUDIO"
PHOTOS, BLUETOOTH = "android.permission.READ_MEDIA_IMAGES", "android.permission.BLUETOOTH_SCAN"
LOCATION = "android.permission.ACCESS_FINE_LOCATION"

STATED = [
    ("cue word", "我们会申请相机权限，用于扫描二维码。", CAMERA),
    ("为…, clause before", "为识别商品条码，我们会在您点击扫一扫时申请相机权限。", CAMERA),
    ("scenario clause before", "扫码开锁时，我们需要调用您的相机权限。", CAMERA),
    ("feature label", "2. 扫码功能：我们会申请相机权限。", CAMERA),
    ("group label as item label", "- 相机：扫描商品二维码并上传头像", CAMERA),
    ("English label and reason", "Camera: scanning receipts and paper documents into PDF files", CAMERA),
    ("English infinitive after", "We ask for camera permission to scan QR codes on parcels.", CAMERA),
    ("English infinitive before", "To scan QR codes on parcels, we ask for camera permission.", CAMERA),
    ("heading, then the paragraph", "（四）相册权限\n当您上传头像时，我们需要读取相册中您选择的图片。", PHOTOS),
    ("back reference", "我们会申请通讯录权限。该权限用于查找已注册的好友。", CONTACTS),
    ("enumeration as label", "- 读取照片（android.permission.READ_MEDIA_IMAGES）、读取视频：从相册导入照片进行编辑。",
     PHOTOS),
    ("Android 13 group label", "Nearby devices: to connect to your heart-rate strap.", BLUETOOTH),
    ("bracket heading, reason two lines down", "【照片和视频】\n较低版本的系统称为“存储”。\n用于让您从相册中选择图片。",
     PHOTOS),
    ("term and definition", "Camera (android.permission.CAMERA)\nLets you scan paper pages into a note.", CAMERA),
    ("key and value lines", "权限名称：相机（CAMERA）\n使用目的：扫描商品二维码。", CAMERA),
    ("FAQ question, answered below", "Why does the app ask for access to my contacts?\nIt finds friends who "
     "already use it.", CONTACTS),
    ("nested details under an item", "* Camera\n    - Purpose: scan paper receipts.\n* Notifications", CAMERA),
]

NOT_STATED = [
    ("bare mention", "我们会申请麦克风权限。", MIC),
    ("list heading", "其他权限：麦克风权限、通讯录权限。", MIC),
    ("list with 包括", "我们可能申请的系统权限包括：相机权限、麦克风权限。", CAMERA),
    ("label that only repeats", "通讯录权限：本应用会申请通讯录权限。", CONTACTS),
    ("bare bullet", "- android.permission.RECORD_AUDIO", MIC),
    ("yes or no", "相机：是", CAMERA),
    ("access to your, not a purpose", "We may also request access to your contacts.", CONTACTS),
    ("heading, then no reason", "（四）相册权限\n您可以在系统设置中关闭该权限。", PHOTOS),
    ("group label in running text", "Your location stays on your phone; we never see it.", LOCATION),
    ("FAQ question, no answer", "Why does the app ask for access to my contacts?\n* Camera", CONTACTS),
    ("bare item, the next item's reason", "- Camera\n- Notifications: to alert you to new messages.", CAMERA),
    ("text table row with an empty purpose", "相机（CAMERA） | — | 不影响其他功能的使用", CAMERA),
]


def _stated(kb: KnowledgeBase, text: str, permission: str) -> tuple[bool, bool]:
    """(purpose stated, permission named at all)."""
    policy = read_policy(RawPolicy(PolicySource("file", "p.txt"), text.encode(), TEXT))
    info = kb.permission(permission)
    assert info is not None, permission
    stated, where = find_purpose(PolicyText(policy), permission, family_of(info.pi_category, kb.policy_terms),
                                 kb.policy_terms)
    return stated, where is not None


@pytest.mark.parametrize(("shape", "text", "permission"), STATED, ids=[c[0] for c in STATED])
def test_a_stated_purpose_is_found(kb: KnowledgeBase, shape: str, text: str, permission: str) -> None:
    assert _stated(kb, text, permission) == (True, True)


@pytest.mark.parametrize(("shape", "text", "permission"), NOT_STATED, ids=[c[0] for c in NOT_STATED])
def test_no_purpose_is_read_into_these(kb: KnowledgeBase, shape: str, text: str, permission: str) -> None:
    assert not _stated(kb, text, permission)[0]


def test_an_sdk_table_names_no_permission_through_its_first_column(kb: KnowledgeBase) -> None:
    """A third-party table has a purpose column too: 高德定位SDK's row is not the location permission's."""
    page = ("<html><body><table><tr><th>SDK名称</th><th>第三方主体</th><th>使用目的</th></tr>"
            "<tr><td>高德定位SDK</td><td>高德软件有限公司</td><td>判断配送范围</td></tr></table>"
            "<p>我们会申请位置权限。</p></body></html>")
    policy = read_policy(RawPolicy(PolicySource("file", "p.html"), page.encode(), HTML))
    stated, where = find_purpose(PolicyText(policy), LOCATION, "location", kb.policy_terms)
    assert (stated, where is not None) == (False, True)
