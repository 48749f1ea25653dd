"""SDK version clues and the resolver, on hand-made clues (no APK, no knowledge base)."""

from __future__ import annotations

import random

import pytest

from scanner.analysis.versions import (
    DEX_CODE,
    DEX_FIELD,
    DEX_METHOD,
    MAX_CLUES_PER_SOURCE,
    META_INF,
    NATIVE,
    SdkVersion,
    VersionClue,
    bounded,
    code_clue,
    field_clue,
    is_code_version,
    is_meta_inf_version,
    is_version_field_name,
    looks_like_version,
    meta_inf_clue,
    method_clue,
    native_clue,
    sdk_versions,
)

# the owner of a dotted class: the longest of these package prefixes, as the knowledge base decides
PREFIXES = {"umeng": ("com.umeng.analytics", "com.umeng.commonsdk"), "jpush": ("cn.jpush.android",),
            "jcore": ("cn.jiguang",), "example": ("com.example.lib",), "androidx-core": ("androidx.core",),
            "two-roots": ("m.a", "n.o.p.q")}


def owner(cls: str) -> str | None:
    best = max(((len(p), sdk) for sdk, ps in PREFIXES.items() for p in ps if cls.startswith(p + ".")),
               default=None)
    return best[1] if best else None


def field(where: str, value: str) -> VersionClue:
    return VersionClue(DEX_FIELD, where, value)


@pytest.mark.parametrize("text", ["1.0", "9.6.3", "9.6.3.0", "v2.1.0", "1.2.3-release", "2.0.0.beta", "1.2.3_2",
                                  "4.5.6-SNAPSHOT", "3.0.0-rc1.2", "1.2.3+build7"])
def test_version_values(text: str) -> None:
    assert looks_like_version(text)


@pytest.mark.parametrize("text", ["", "3", "https://ulogs.umeng.com", "umeng-common", "1.2.3.4.5.6", "1.", ".1.2",
                                  "1.2 beta", "release", "10.0.0.0.0", "1" + ".1" * 40, "1.2." + "a" * 80])
def test_not_version_values(text: str) -> None:
    assert not looks_like_version(text)


@pytest.mark.parametrize(("name", "wanted"), [
    ("VERSION", True), ("VERSION_NAME", True), ("SDK_VERSION", True), ("SDK_VERSION_NAME", True),
    ("sdkVersion", True), ("SDKVersion", True), ("LIBRARY_VERSION", True), ("versionName", True),
    ("VERSION_CODE", False), ("versionCode", False), ("SDK_VERSION_CODE", False), ("MIN_SDK_VERSION", False),
    ("OS_VERSION", False), ("ANDROID_VERSION", False), ("API_VERSION", False), ("KEY_SDK_VERSION", False),
    ("SERVER", False), ("NAME", False),
])
def test_version_field_names(name: str, wanted: bool) -> None:
    assert is_version_field_name(name) is wanted


def test_field_clues() -> None:
    assert field_clue("com.umeng.commonsdk.statistics.SdkVersion", "SDK_VERSION", "9.6.3") == field(
        "com.umeng.commonsdk.statistics.SdkVersion.SDK_VERSION", "9.6.3")
    assert field_clue("a.B", "SERVER", "1.2.3") is None  # the name is no version's
    assert field_clue("a.B", "VERSION", "https://x") is None  # the value is no version
    assert field_clue("a." + "b" * 600, "VERSION", "1.2") is None  # a hostile name is not kept


def test_meta_inf_clues() -> None:
    assert meta_inf_clue("META-INF/androidx.core_core.version", b"1.12.0\n") == VersionClue(
        META_INF, "META-INF/androidx.core_core.version", "1.12.0")
    assert meta_inf_clue("split.apk!META-INF/x.version", b" 2.0 ") == VersionClue(
        META_INF, "split.apk!META-INF/x.version", "2.0")
    assert meta_inf_clue("META-INF/x.version", b"task ':x' property 'version'") is None
    assert meta_inf_clue("META-INF/x.version", b"\xff\xfe1.0") is None
    assert meta_inf_clue("META-INF/x.version", b"1." + b"0" * 200) is None
    assert meta_inf_clue("META-INF/sub/x.version", b"1.0") is None
    assert [is_meta_inf_version(n) for n in ("META-INF/a.version", "META-INF/a/b.version", "assets/a.version",
                                             "META-INF/a.kotlin_module")] == [True, False, False, False]


@pytest.mark.parametrize(("path", "value"), [
    ("lib/arm64-v8a/libfoo-1.2.3.so", "1.2.3"), ("lib/armeabi-v7a/libssl.1.1.so", "1.1"),
    ("base.apk!lib/x86/libbar_2_0_1.so", "2.0.1"), ("lib/arm64-v8a/libexample-v2.1.0.so", "2.1.0"),
    ("lib/arm64-v8a/libjcore330.so", None), ("lib/arm64-v8a/libfoo_x86_64.so", None),
    ("lib/arm64-v8a/libc++_shared.so", None), ("lib/arm64-v8a/libavcodec-58.so", None),
    ("lib/arm64-v8a/libBugly.so", None),
])
def test_native_clues(path: str, value: str | None) -> None:
    clue = native_clue(path)
    assert (clue.value if clue else None) == value
    assert clue is None or clue == VersionClue(NATIVE, path, value)


def test_bounded_keeps_the_first_of_each_place_and_caps_each_source() -> None:
    first, again = field("a.B.VERSION", "1.0"), field("a.B.VERSION", "2.0")  # a class in two dex files
    flood = [field(f"x.C{i}.VERSION", "1.0") for i in range(MAX_CLUES_PER_SOURCE + 50)]
    meta = VersionClue(META_INF, "META-INF/a.version", "1.0")
    out = bounded([first, again, *flood, meta])
    assert out[0] == first and again not in out
    assert sum(c.source == DEX_FIELD for c in out) == MAX_CLUES_PER_SOURCE
    assert out[-1] == meta  # a flood of one source does not push out the others


# -- the resolver -------------------------------------------------------------------------------------


def resolve(clues: list[VersionClue], hints: dict[str, tuple[str, ...]] | None = None,
            libraries: dict[str, tuple[str, ...]] | None = None) -> dict[str, tuple[str, str]]:
    found = sdk_versions(clues, owner, hints or {}, prefixes=PREFIXES, libraries=libraries)
    return {sdk: (v.version, v.evidence) for sdk, v in found.items()}


def test_each_rank_beats_the_next() -> None:
    hint = field("com.umeng.commonsdk.internal.Build.VERSION", "9.0.0")
    build_config = field("com.umeng.commonsdk.BuildConfig.VERSION_NAME", "9.1.0")
    sdk_field = field("com.umeng.commonsdk.statistics.SdkVersion.SDK_VERSION", "9.6.3")
    other = field("com.umeng.commonsdk.Const.VERSION", "9.7.0")
    meta = VersionClue(META_INF, "META-INF/com.umeng.commonsdk_common.version", "9.8.0")
    native = VersionClue(NATIVE, "lib/arm64-v8a/libumeng-9.9.0.so", "9.9.0")
    ranked = [hint, build_config, sdk_field, other, meta, native]
    code = [VersionClue(DEX_CODE, f"com.umeng.commonsdk.internal.{c}", "9.9.1") for c in "ab"]
    ranked = [hint, build_config, sdk_field, other, meta, native, *code]
    hints = {"umeng": (hint.where,)}
    libraries = {"umeng": ("libumeng.so",)}
    prefixes = {"umeng": ("com.umeng.commonsdk",)}
    for i, clue in enumerate(ranked[:-1]):
        rest = ranked[i:]
        random.Random(i).shuffle(rest)  # the order clues come in does not matter
        found = sdk_versions(rest, owner, hints, prefixes=prefixes, libraries=libraries)
        assert {s: (v.version, v.evidence) for s, v in found.items()} == {
            "umeng": (clue.value, f"{clue.source} {clue.where}")}


def test_the_sdks_main_package_states_its_version_before_a_companion_package() -> None:
    """Alipay bundles its device-security module, whose getSdkVersion() is the module's own version."""
    main = VersionClue(DEX_METHOD, "com.umeng.analytics.PayTask.getVersion()", "15.6.5")
    companion = VersionClue(DEX_METHOD, "com.umeng.commonsdk.Security.getSdkVersion()", "3.3.0")
    assert resolve([companion, main]) == {"umeng": ("15.6.5", f"dex-method {main.where}")}


def test_a_version_string_the_code_loads_counts_only_when_nothing_states_one() -> None:
    """The value most of the SDK's classes load wins; any stated version, even in a companion package, beats it."""
    loads = [VersionClue(DEX_CODE, f"com.umeng.analytics.{c}", v)
             for c, v in (("a", "3.4.8"), ("b", "3.4.8"), ("c", "1.2.0"), ("d", "3.4.8"))]
    assert resolve(loads) == {"umeng": ("3.4.8", "dex-code com.umeng.analytics.a")}
    stated = field("com.umeng.commonsdk.Const.VERSION", "9.7.0")
    assert resolve([*loads, stated]) == {"umeng": ("9.7.0", f"dex-field {stated.where}")}
    assert resolve(loads[2:3]) == {}  # one class loading a version string is not enough


def test_clue_makers_keep_only_what_looks_like_the_libraries_own_version() -> None:
    assert method_clue("com.baidu.location.LocationClient", "getVersion", "7.5.1") == VersionClue(
        DEX_METHOD, "com.baidu.location.LocationClient.getVersion()", "7.5.1")
    assert method_clue("com.x.Y", "getOsVersion", "7.5.1") is None  # another thing's version
    assert method_clue("com.x.Y", "getVersion", "baidumapapi_base") is None
    assert field_clue("com.tencent.mm.sdk.constants.Build", "SDK_VERSION_NAME", "android 2.1.3") == VersionClue(
        DEX_FIELD, "com.tencent.mm.sdk.constants.Build.SDK_VERSION_NAME", "2.1.3")  # WeChat's platform word
    assert code_clue("com.xiaomi.push.a", "3_0_3") == VersionClue(DEX_CODE, "com.xiaomi.push.a", "3.0.3")
    assert not is_code_version("127.0.0.1") and not is_code_version("2026-11-30") and not is_code_version("1.0")
    # the build tools' default for a library that never set its version is no clue
    assert field_clue("com.sina.weibo.BuildConfig", "VERSION_NAME", "1.0") is None
    assert field_clue("com.sina.weibo.BuildConfig", "VERSION_NAME", "4.3.6") is not None


def test_closest_to_the_root_then_alphabetical() -> None:
    """A library bundled deep inside an SDK has VERSION fields too: the SDK's own sits nearer its root."""
    deep = field("com.umeng.commonsdk.statistics.internal.okio.Util.VERSION", "1.17.2")
    near = field("com.umeng.commonsdk.Config.VERSION", "9.6.3")
    assert resolve([deep, near]) == {"umeng": ("9.6.3", f"dex-field {near.where}")}
    # at the same depth, the alphabetically first place
    a, b = field("com.umeng.commonsdk.B.VERSION", "2.0"), field("com.umeng.commonsdk.A.VERSION", "1.0")
    assert resolve([a, b]) == {"umeng": ("1.0", f"dex-field {b.where}")}
    assert resolve([b, a]) == resolve([a, b])
    # the depth counts from the SDK's own prefix that holds the class, not from the top
    at_root, below = field("n.o.p.q.K.VERSION", "1.0"), field("n.o.p.q.r.K.VERSION", "2.0")
    assert resolve([below, at_root]) == {"two-roots": ("1.0", f"dex-field {at_root.where}")}


def test_the_app_and_unknown_code_have_no_version() -> None:
    app = field("org.example.app.BuildConfig.VERSION_NAME", "3.1.4")
    assert resolve([app]) == {}


def test_a_hint_names_a_field_outside_the_sdks_packages() -> None:
    """JPush's version read from JCore's class, as a knowledge base hint says; JCore keeps its own."""
    core = field("cn.jiguang.api.JCoreManager.SDK_VERSION", "4.2.0")
    push = field("cn.jpush.android.api.JPushInterface.VERSION", "5.0.3")
    assert resolve([core, push], {"jpush": (core.where,)}) == {
        "jcore": ("4.2.0", f"dex-field {core.where}"), "jpush": ("4.2.0", f"dex-field {core.where}")}
    assert resolve([core, push]) == {"jcore": ("4.2.0", f"dex-field {core.where}"),
                                     "jpush": ("5.0.3", f"dex-field {push.where}")}


def test_build_config_of_the_sdk() -> None:
    bc = field("cn.jpush.android.BuildConfig.VERSION_NAME", "5.0.3")
    other = field("cn.jpush.android.BuildConfigHelper.VERSION_NAME", "1.0")  # not a BuildConfig
    assert resolve([other, bc]) == {"jpush": ("5.0.3", f"dex-field {bc.where}")}


def test_file_clues_by_prefixes_and_library_names() -> None:
    meta = VersionClue(META_INF, "META-INF/com.example.lib.version", "1.4.2")
    maven = VersionClue(META_INF, "base.apk!META-INF/androidx.core_core.version", "1.12.0")
    stranger = VersionClue(META_INF, "META-INF/org.other_thing.version", "2.0")
    native = VersionClue(NATIVE, "lib/arm64-v8a/libjcore-4.2.0.so", "4.2.0")
    assert resolve([meta, maven, stranger, native], libraries={"jcore": ("libjcore*.so",)}) == {
        "androidx-core": ("1.12.0", f"meta-inf {maven.where}"), "example": ("1.4.2", f"meta-inf {meta.where}"),
        "jcore": ("4.2.0", f"native {native.where}")}
    # without the mappings, file clues belong to no SDK
    assert sdk_versions([meta, native], owner, {}) == {}


def test_result_is_sorted_and_made_of_sdk_versions() -> None:
    clues = [field("cn.jpush.android.A.VERSION", "5.0"), field("com.umeng.commonsdk.A.VERSION", "9.0")]
    found = sdk_versions(reversed(clues), owner, {})
    assert list(found) == ["jpush", "umeng"]
    assert found["jpush"] == SdkVersion("5.0", "dex-field cn.jpush.android.A.VERSION")
