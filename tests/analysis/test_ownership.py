"""Attribution by code: each rule of scanner.analysis.ownership on a small hand-made package graph."""

from __future__ import annotations

from scanner.analysis.ownership import APP, SDK, UNATTRIBUTED, Owner, attribute, obfuscated, vendor_root
from scanner.dex.references import CodeGraph
from tests.conftest import KB

APP_PACKAGE = "org.example.shop"


def owners(uses: dict[str, set[str]], extends: dict[str, set[str]] | None = None,
           app_classes: tuple[str, ...] = ()) -> dict[str, Owner]:
    packages = set(uses) | {p for targets in uses.values() for p in targets}
    graph = CodeGraph.of(uses, extends)
    classes = [f"{p}.C" for p in packages]
    result = attribute(KB, graph, classes, APP_PACKAGE, app_classes)
    return dict(result.packages)


def test_prefix_and_manifest_package_seed_the_two_sides() -> None:
    found = owners({APP_PACKAGE: {"com.umeng.analytics"}, "com.umeng.analytics": set()})
    assert found[APP_PACKAGE] == Owner(APP, None, "manifest")
    assert found["com.umeng.analytics"] == Owner(SDK, "umeng-analytics", "prefix")


def test_a_package_only_one_sdk_uses_belongs_to_it_unless_it_names_app_code() -> None:
    found = owners({APP_PACKAGE: {"com.umeng.analytics"}, "com.umeng.analytics": {"x.y.internal"},
                    "x.y.internal": {"x.y.deeper"}, "x.y.deeper": set()})
    assert found["x.y.internal"] == Owner(SDK, "umeng-analytics", "used-only-by")
    assert found["x.y.deeper"] == Owner(SDK, "umeng-analytics", "used-only-by")  # the chain is followed
    found = owners({APP_PACKAGE: {"com.umeng.analytics"}, "com.umeng.analytics": {"x.y.internal"},
                    "x.y.internal": {APP_PACKAGE}})
    assert found["x.y.internal"].party == UNATTRIBUTED


def test_a_class_an_sdk_extends_belongs_to_it() -> None:
    found = owners({APP_PACKAGE: set(), "com.umeng.analytics": set(), "x.base": set()},
                   extends={"com.umeng.analytics": {"x.base"}})
    assert found["x.base"] == Owner(SDK, "umeng-analytics", "extended-by")


def test_a_library_both_sides_use_is_unattributed_not_first_party() -> None:
    found = owners({APP_PACKAGE: {"com.umeng.analytics", "okio.lib"}, "com.umeng.analytics": {"okio.lib"},
                    "okio.lib": set()})
    assert found["okio.lib"] == Owner(UNATTRIBUTED, None, "shared")


def test_what_only_the_app_reaches_is_the_app_but_obfuscated_code_stays_unattributed() -> None:
    found = owners({APP_PACKAGE: {"org.example.util", "a.a"}, "org.example.util": set(), "a.a": {"a.b"},
                    "a.b": set()})
    assert found["org.example.util"] == Owner(APP, None, "used-only-by")
    # a renamed SDK entry point called from the app looks exactly like this: never silently first-party
    assert found["a.a"] == Owner(UNATTRIBUTED, None, "obfuscated-app-reach")
    assert found["a.b"].party == UNATTRIBUTED


def test_component_classes_seed_the_app_outside_its_manifest_package() -> None:
    found = owners({"com.other.ui": {"com.other.helper"}, "com.other.helper": set()},
                   app_classes=("com.other.ui.MainActivity",))
    assert found["com.other.ui"] == Owner(APP, None, "manifest")
    assert found["com.other.helper"] == Owner(APP, None, "used-only-by")


def test_an_obfuscated_package_under_one_found_vendor_root_is_that_sdk() -> None:
    found = owners({APP_PACKAGE: {"com.umeng.analytics"}, "com.umeng.analytics": set(), "com.umeng.a": set()})
    assert found["com.umeng.a"] == Owner(SDK, "umeng-analytics", "vendor-tree")
    # not when the app's own code names it
    found = owners({APP_PACKAGE: {"com.umeng.analytics", "com.umeng.a"}, "com.umeng.analytics": set(),
                    "com.umeng.a": set()})
    assert found["com.umeng.a"].sdk is None


def test_the_vendors_own_app_is_not_its_sdk() -> None:
    graph = CodeGraph.of({"com.umeng.analytics.demo": set(), "com.umeng.analytics": set()})
    result = attribute(KB, graph, ["com.umeng.analytics.demo.Main", "com.umeng.analytics.A"],
                       "com.umeng.analytics.demo", ())
    assert result.packages["com.umeng.analytics.demo"].party == APP
    assert result.packages["com.umeng.analytics"].sdk == "umeng-analytics"


def test_names_the_rules_rely_on() -> None:
    assert vendor_root("com.umeng.analytics") == "com.umeng"
    assert obfuscated("a.a.b") and obfuscated("com.umeng.a") and not obfuscated("com.umeng.analytics")
