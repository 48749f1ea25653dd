"""Whether a policy states why the app asks for a permission: where it names the permission, and whether
that place gives a reason.

Policies state purposes in a few recurring shapes, and a sentence-level cue word ("用于", "in order to")
finds only the first of them:
- a cue word in the sentence naming the permission;
- a purpose clause before it: "为判断您是否在配送范围内，我们会申请位置权限", "扫码开锁时，我们需要相机权限";
- a feature label heading the item: "扫码功能：…申请相机权限";
- the permission as the label of an item, its reason after it: "Camera: scan receipts", "相机 — 扫描二维码";
- an English infinitive or gerund of purpose next to it: "the camera to scan", "To scan receipts, we ask…";
- the next sentence, about "this permission", with a cue word, or below the permission as its heading;
- a permission table's purpose column.

A permission is named by its manifest name, its own words ("电话权限"), a word of its category next to a
permission word ("位置权限", "access to your location"), or the label Android shows for its group
("相机", "Nearby devices") where the text is about permissions: a permission table's name cell, an item's
label, next to a permission word.
"""

from __future__ import annotations

import itertools
import re

from scanner.privacy_policy.mentions import Match, PolicyText, lower
from signatures.model import PolicyTerms

# a column that says why a permission is asked for (a permission table's 使用目的/使用场景, "Why we ask")
PURPOSE_COLUMNS = ("目的", "用途", "场景", "purpose", "used for", "why", "reason", "use case")
_TABLE_WORDS = ("权限", "permission")  # a header with one of them: the table lists permissions, not SDKs
_NO_PURPOSE = frozenset({"", "是", "否", "—", "-", "/", "无", "yes", "no", "n/a"})
_NUMBER = "[0-9一二三四五六七八九十]{1,3}"
_ITEM_MARK = re.compile(rf"^\s*(?:[-•·*●▪]|\(?{_NUMBER}[.、)）]|[(（]{_NUMBER}[)）])?\s*")  # "- ", "2. ", "（三）"
# "为判断…，" / "为了…," before the mention: the reason, then the permission (作为/因为 are not it)
_FOR_CLAUSE = re.compile(r"(?:^|[：:，,；;。\s])为了?(?!您|我们|此|本|其)[^，,。；;]{2,60}[，,]")
# "扫码开锁时，" / "当您使用…时，" / "在…过程中，": the scenario the permission serves
_WHEN_CLAUSE = re.compile(r"(?:^|[：:，,；;。\s])(?:(?:当|在)?[^，,。；;：:]{2,40}(?:时|过程中)[，,]"
                          r"|(?:当|在)您[^，,。；;：:]{2,40}(?:时|过程中))")
_PARENS_ANY = re.compile(r"[(（][^)）]{0,80}[)）]")
_TO_AFTER = re.compile(r"\b(?:to|so as to) (?!your\b|the\b|our\b|a\b|an\b|access\b|this\b|that\b|it\b|its\b|them\b"
                       r"|us\b|you\b|any\b|other\b|third\b|be\b)[a-z]{2,}|\bfor [a-z]{3,}ing\b")
_TO_BEFORE = re.compile(r"(?:^|[,;:.]\s*)(?:to|for|in order to) [a-z]{2,}")
_BACK_REFERENCE = ("该权限", "此权限", "这项权限", "这一权限", "上述权限", "该项权限", "this permission",
                   "this access", "it is used", "we use it", "we use this")
_WHY = re.compile(r"^\s*(?:\d+[.、)]\s*)?(?:q[:.]\s*)?(?:why\b|为什么|为何)[^.。!！]{0,120}[?？]\s*$")
_LIST_WORDS = ("包括", "如下", "以下", "include", "includes", "including", "following", "such as")


def find_purpose(text: PolicyText, permission: str, family: str | None,
                 terms: PolicyTerms) -> tuple[bool, Match | None]:
    """(True, where) when a place naming the permission states a purpose; else (False, the first place naming
    it, if any)."""
    specific = (permission, permission.rpartition(".")[2], *terms.permissions.get(permission, ()))
    general = terms.categories.get(family, ()) if family else ()
    labels = terms.permission_labels.get(permission, ())
    cues = tuple(lower(c) for c in terms.purpose_cues)
    words = tuple(lower(w) for w in terms.permission_words)
    candidates = sorted(_named(text, specific, general, labels, words), key=lambda m: (m.sentence, m.start))
    for match in candidates:
        if _states_purpose(text, match, cues, words):
            return True, match
    tabled = _table_purpose(text, specific, (*general, *labels), words)
    if tabled is not None:
        return True, next((m for m in candidates if tabled in text.sentence_lower(m.sentence)), None)
    return False, candidates[0] if candidates else None


def _named(text: PolicyText, specific: tuple[str, ...], general: tuple[str, ...], labels: tuple[str, ...],
           words: tuple[str, ...]) -> set[Match]:
    """Every place naming the permission: its own names anywhere, its category's words and its group's labels
    next to a permission word, its group's labels also as an item's label or in a heading."""
    found = {m for t in specific for m in text.find(t)}
    for term in (*general, *labels):
        for m in text.find(term):
            sentence = text.sentence_lower(m.sentence)
            after, before = sentence[m.end:].lstrip(" ）)\"”“"), sentence[:m.start].rstrip(" “\"")
            if after.startswith(words) or before.endswith(words):
                found.add(m)
    for term in labels:
        for m in text.find(term):
            line = text.sentence_lower(m.sentence)
            if _is_item_label(line, m) or is_title(line):
                found.add(m)
    return found


def _is_item_label(sentence: str, match: Match) -> bool:
    """The match is in its item's label, the part before the item's first colon or dash: "Camera: …",
    "- 相机（拍摄头像）：…", "读取照片、读取视频：…"."""
    return _label_reason(sentence, match) is not None


def _label_reason(sentence: str, match: Match) -> str | None:
    """What follows the item's label when the match is in it ("Camera: scan receipts" gives "scan receipts");
    None when the match is not in a label. A label is short and holds no sentence of its own."""
    if " | " in sentence:  # a row of a table kept as text: its cells are read as a table, "—" is an empty one
        return None
    head = _ITEM_MARK.match(sentence)
    start = head.end() if head else 0
    stop = re.compile(r"[：:]|—+|–|\s-\s").search(sentence, match.end)
    if match.start < start or stop is None or stop.start() - start > 80:
        return None
    if re.search(r"[。；;!?！？]", sentence[start:stop.start()]) or re.search(r"[.]\s", sentence[start:stop.start()]):
        return None
    return sentence[stop.end():]


def _states_purpose(text: PolicyText, match: Match, cues: tuple[str, ...], words: tuple[str, ...]) -> bool:
    sentence = text.sentence_lower(match.sentence)
    if any(cue in sentence for cue in cues):
        return True
    before, after = sentence[:match.start], sentence[match.end:]
    if _FOR_CLAUSE.search(before) or _WHEN_CLAUSE.search(before) or _feature_label(before, words):
        return True
    if _TO_AFTER.search(after[:80]) or _TO_BEFORE.search(before):
        return True
    reason = _label_reason(sentence, match)
    if reason is not None and _is_reason(reason, words):
        return True
    return _purpose_below(text, match, sentence, cues)


def _purpose_below(text: PolicyText, match: Match, sentence: str, cues: tuple[str, ...]) -> bool:
    """The reason in the lines after the permission: below it as a heading or a key ("【相机】" then "用于拍摄头像";
    "权限名称：位置信息" then "使用目的：…"; a <dt> then its <dd>), or in a sentence about "this permission"
    right after ("…申请日历权限。…。该权限仅用于…")."""
    lines = range(match.sentence + 1, min(match.sentence + 3, len(text.sentences)))
    following = [text.sentence_lower(i) for i in lines]
    if not following:
        return False
    if _WHY.match(sentence) and following and not is_title(following[0]):
        return True  # an FAQ's "Why does the app ask for my contacts?", answered below
    if is_title(sentence):  # the paragraph below, up to the next heading or, for a list item, the next item
        mark = _item_mark(sentence)
        below = list(itertools.takewhile(lambda line: not is_title(line) and not (mark and _item_mark(line) == mark),
                                         following))
        return any(any(cue in line for cue in cues) or _clause_of_purpose(line) or _TO_AFTER.search(line)
                   for line in below)
    return any(line.startswith(_BACK_REFERENCE) and any(cue in line for cue in cues) for line in following)


def _item_mark(line: str) -> str:
    """The kind of mark opening a list item: its bullet ("-", "*"), "1" for any numbering, "" for none. The
    next item of the same kind is a sibling; one of another kind is nested under it (its details)."""
    head = _ITEM_MARK.match(line)
    mark = head.group().strip() if head else ""
    return "1" if any(c.isdigit() or c in "一二三四五六七八九十" for c in mark) else mark


def _clause_of_purpose(sentence: str) -> bool:
    return bool(_FOR_CLAUSE.search(sentence) or _WHEN_CLAUSE.search(sentence) or _TO_BEFORE.match(sentence))


def is_title(sentence: str) -> bool:
    """A line that only names something: a heading, a list item's key or a term being defined ("（四）相册权限",
    "【麦克风】", "Camera (android.permission.CAMERA)", "权限名称：位置信息（ACCESS_FINE_LOCATION）")."""
    head = _ITEM_MARK.match(sentence)
    core = sentence[head.end() if head else 0:].strip().strip("【】[]〔〕")
    core = _PARENS_ANY.sub("", core).strip()
    if core.endswith("。") or (core.endswith(".") and len(core.split()) > 3):
        return False  # a sentence, not a heading ("Camera." in bold is one)
    core = core.rstrip(" .:：")
    return 0 < len(core) <= (60 if core.isascii() else 30) and not re.search(r"[。；;!?！？，,]|\.\s", core)


def _feature_label(before: str, words: tuple[str, ...]) -> bool:
    """The item opens with a feature's name and a colon ("2. 扫码功能：…"), not with a permission list's
    heading ("其他权限：", "我们可能申请的权限包括：")."""
    head = _ITEM_MARK.match(before)
    rest = before[head.end():] if head else before
    colon = re.match(r"([^：:。，,；;]{2,20})[：:]", rest)
    if colon is None:
        return False
    label = colon.group(1)
    return not any(w in label for w in words) and not any(w in label for w in _LIST_WORDS)


def _is_reason(text: str, words: tuple[str, ...]) -> bool:
    """A reason has words of its own: not a yes/no, and not only that the permission is asked for
    ("通讯录权限：本应用会申请通讯录权限")."""
    stripped = text.strip(" 。.;；")
    if stripped.lower() in _NO_PURPOSE or any(w in stripped for w in words):
        return False
    return len(stripped) >= (12 if stripped.isascii() else 4)


def _table_purpose(text: PolicyText, specific: tuple[str, ...], general: tuple[str, ...],
                   words: tuple[str, ...]) -> str | None:
    """The cell naming the permission in a table row whose purpose column is filled, else None.

    Permission tables put the purpose in a column of the permission's row, with no cue word in the row:
    the column's header is the cue. The row names the permission by its own names anywhere, by a category
    word or group label next to a permission word, or, in a table of permissions, by a category word or
    group label in its name cell (an SDK table's first cell, "高德定位SDK", names no permission).
    """
    named = tuple(lower(t) for t in specific)
    kinds = tuple(lower(t) for t in general)
    for table in text.tables:
        columns = [i for i, head in enumerate(table.header) if any(w in lower(head) for w in PURPOSE_COLUMNS)]
        if not columns:
            continue
        permission_table = any(w in lower(head) for head in table.header for w in _TABLE_WORDS)
        for row in table.rows:
            purposes = [row[i].strip() for i in columns if i < len(row)]
            if not any(p.lower() not in _NO_PURPOSE for p in purposes):
                continue
            for i, cell in enumerate(row):
                low = lower(cell).strip()
                if i in columns:
                    continue
                if (any(t in low for t in named) or (any(k in low for k in kinds) and any(w in low for w in words))
                        or (permission_table and i == 0 and any(k in low for k in kinds))):
                    return low
    return None
