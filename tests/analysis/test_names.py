"""The one renderer of readable names: Dalvik descriptors as Java names, counted nouns, articles, lists."""

from __future__ import annotations

import pytest

from scanner.analysis.names import (
    article,
    chain,
    class_name,
    has_descriptor,
    join,
    member,
    phrase,
    plural,
    readable,
    sentence,
)

INIT = "Lcom/umeng/commonsdk/UMConfigure;->init(Landroid/content/Context;Ljava/lang/String;)V"
ON_CREATE = "Lorg/appaudit/fixture/preconsent/App;->onCreate()V"


@pytest.mark.parametrize(("ref", "short", "qualified"), [
    (INIT, "UMConfigure.init(Context, String)", "com.umeng.commonsdk.UMConfigure.init(Context, String)"),
    ("Landroid/provider/Settings$Secure;->getString(Landroid/content/ContentResolver;Ljava/lang/String;)"
     "Ljava/lang/String;", "Settings.Secure.getString(ContentResolver, String)",
     "android.provider.Settings.Secure.getString(ContentResolver, String)"),
    ("Landroid/os/Build;->SERIAL:Ljava/lang/String;", "Build.SERIAL", "android.os.Build.SERIAL"),
    ("La/B;->f:[I", "B.f", "a.B.f"),
    ("La/B;->m([[JZ)V", "B.m(long[][], boolean)", "a.B.m(long[][], boolean)"),
    ("Lcom/a/B$1;-><init>(Lcom/a/B;)V", "new B$1(B)", "new com.a.B$1(B)"),
    ("Lcom/a/B;-><clinit>()V", "static initializer of B", "static initializer of com.a.B"),
    ("Lcom/a/Outer$Inner;", "Outer.Inner", "com.a.Outer.Inner"),
    ("02:00:00:00:00:00", "02:00:00:00:00:00", "02:00:00:00:00:00"),  # a constant stays what it is
    ("android_id", "android_id", "android_id"),
])
def test_member(ref: str, short: str, qualified: str) -> None:
    assert member(ref) == short
    assert member(ref, qualified=True) == qualified
    assert not has_descriptor(short) and not has_descriptor(qualified)


def test_readable_rewrites_descriptors_inside_text_and_leaves_prose() -> None:
    text = f"via {ON_CREATE} → {INIT}; class Lcom/a/B; in Location; and Lists;"
    assert readable(text) == "via App.onCreate() → UMConfigure.init(Context, String); class B in Location; and Lists;"
    assert has_descriptor(text) and not has_descriptor(readable(text))
    assert readable(f"{INIT}|android.permission.READ_PHONE_STATE") == \
        "UMConfigure.init(Context, String)|android.permission.READ_PHONE_STATE"
    assert readable("La;") == "a"  # a whole value may be a class of the default package


def test_chain_puts_the_entry_point_first() -> None:
    assert chain([ON_CREATE, INIT]) == "App.onCreate() → UMConfigure.init(Context, String)"


def test_class_name() -> None:
    assert class_name("[Landroid/content/Context;") == "android.content.Context[]"
    assert class_name("com.a.B$C", qualified=False) == "B.C"
    assert class_name("[[I") == "int[][]"


@pytest.mark.parametrize(("n", "word", "text"), [
    (1, "place", "1 place"), (2, "place", "2 places"), (1, "class", "1 class"), (3, "class", "3 classes"),
    (1, "category", "1 category"), (5, "category", "5 categories"), (0, "finding", "0 findings"),
    (1200, "call site", "1,200 call sites"), (2, "day", "2 days")])
def test_plural(n: int, word: str, text: str) -> None:
    assert plural(n, word) == text


@pytest.mark.parametrize(("words", "text"), [
    ("Online shopping app", "an Online shopping app"), ("Map and navigation app", "a Map and navigation app"),
    ("Education app", "an Education app"), ("SDK", "an SDK"), ("URL", "a URL"), ("user", "a user"),
    ("Utilities app", "a Utilities app"), ("hour", "an hour")])
def test_article(words: str, text: str) -> None:
    assert article(words) == text


@pytest.mark.parametrize(("title", "mid"), [
    ("Clipboard content", "clipboard content"), ("Wi-Fi state", "Wi-Fi state"),
    ("Android ID (SSAID)", "Android ID (SSAID)"), ("IMEI (modem identifier)", "IMEI (modem identifier)"),
    ("App set ID", "app set ID"), ("SIM state and carrier", "SIM state and carrier")])
def test_phrase_keeps_names_and_acronyms(title: str, mid: str) -> None:
    assert phrase(title) == mid


def test_join_and_sentence() -> None:
    assert [join([]), join(["a"]), join(["a", "b"]), join(["a", "b", "c"], "or")] == ["", "a", "a and b", "a, b or c"]
    assert sentence("first-party code reads") == "First-party code reads"
