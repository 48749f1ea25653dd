"""Hostile manifests (tests/fixtures/apks/manifest/, made by make_manifest_tricks.py): read as Android reads them.

The oracle is Debian's aapt, built from the parser Android itself uses: ``dump badging`` and ``dump permissions``
for the package, versions, label and permissions, ``dump xmltree`` for the components of the first
``<application>``. Where aapt and the package manager differ, we follow the package manager and the
difference is spelled out per fixture below. Each trick is also reported, with its code.
"""

from __future__ import annotations

import re
import subprocess
from typing import Any
from xml.etree.ElementTree import fromstring

import pytest

from scanner.android.apk import read_apk_facts
from scanner.android.manifest import ManifestFacts, read_manifest
from scanner.input.archive import open_app
from tests.conftest import FIXTURES
from tests.scanner.axml_oracle import ANDROID, unescape, xmltree

TRICKS = FIXTURES / "manifest"
SMS = "android.permission.READ_SMS"

# fixture -> the trick codes it must report (None: a legitimate layout, nothing to report)
EXPECTED: dict[str, str | tuple[str, ...] | None] = {
    "decoy_name.apk": "attribute-name-mismatch",
    "empty_names.apk": "attribute-name-empty",
    "unknown_chunk.apk": "unknown-chunk",
    "dummy_data.apk": "data-in-node",
    "string_count.apk": "string-pool-count",
    "attribute_size.apk": "attribute-size",
    "attribute_start.apk": "attribute-start",
    "namespace_end_zero.apk": "bad-node-after-root",
    "permission_after_application.apk": None,
    "permission_in_unknown_tag.apk": "ignored-element",
    "version_name_reference.apk": None,
    "second_application.apk": ("extra-application", "ignored-element"),  # com.hidden.Backdoor is ignored
    "raw_value.apk": "raw-value-mismatch",
    "no_namespace.apk": "attribute-namespace",
}
# what the package manager requests beyond aapt's list, and what it does not request of it
PM_NOT_AAPT: dict[str, tuple[set[str], set[str]]] = {
    # the typed value of android:name is what TypedArray reads; aapt prints the raw string
    "raw_value.apk": ({SMS}, {"android.permission.INTERNET"}),
    # Android 11+ reads the children of a second <application> as children of <manifest>; aapt reads by depth
    "second_application.apk": ({SMS}, set()),
}


def _aapt(*args: str) -> str:
    return subprocess.run(["aapt", *args], capture_output=True, text=True, check=True).stdout


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(p.name for p in TRICKS.glob("*.apk")) == sorted(EXPECTED)


@pytest.mark.android_tools("aapt")
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_manifest_facts_match_aapt(name: str) -> None:
    path = TRICKS / name
    facts = read_apk_facts(open_app(str(path)))
    m = facts.manifest
    badging = _aapt("dump", "badging", str(path))
    head = re.search(r"^package: name='([^']*)' versionCode='([^']*)' versionName='([^']*)'", badging, re.M)
    assert head and (m.package, str(m.version_code), m.version_name) == head.groups()
    assert str(m.min_sdk) == re.search(r"^sdkVersion:'(\d+)'", badging, re.M).group(1)  # type: ignore[union-attr]
    assert str(m.target_sdk) == re.search(r"^targetSdkVersion:'(\d+)'", badging, re.M).group(1)  # type: ignore[union-attr]
    label = re.search(r"^application-label:'(.*)'$", badging, re.M)
    assert label and facts.label == unescape(label.group(1))

    # requested permissions as aapt's ``dump permissions`` lists them (no implied ones)
    listed = _aapt("dump", "permissions", str(path))
    aapt_permissions = {(n, int(x) if x else None, tag == "uses-permission-sdk-23") for tag, n, x in re.findall(
        r"^(uses-permission(?:-sdk-23)?): name='([^']+)'(?: maxSdkVersion='(\d+)')?", listed, re.M)}
    extra, missing = PM_NOT_AAPT.get(name, (set(), set()))
    expected = {p for p in aapt_permissions if p[0] not in missing} | {(n, None, False) for n in extra}
    assert {(p.name, p.max_sdk, p.only_sdk23) for p in m.permissions} == expected
    assert {p.name for p in m.declared_permissions} == set(re.findall(r"^permission: (\S+)$", listed, re.M))
    # badging reads the same permissions (those it lists before the label are the declared ones)
    assert {p[0] for p in aapt_permissions} <= set(re.findall(r"^uses-permission(?:-sdk-23)?: name='([^']+)'",
                                                              badging, re.M))

    # components: the direct children of the first <application>, as aapt parsed them
    app = next(c for c in xmltree(path, "AndroidManifest.xml").children if c.tag == "application")
    components = {(c.tag, _full(m.package, c.attrib[ANDROID + "name"])) for c in app.children
                  if c.tag in ("activity", "activity-alias", "service", "receiver", "provider")}
    assert {(c.type, c.name) for c in m.components} == components


def _full(package: str, name: str) -> str:
    return package + name if name.startswith(".") else name if "." in name else f"{package}.{name}"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_trick_is_reported(name: str) -> None:
    m = read_apk_facts(open_app(str(TRICKS / name))).manifest
    code = EXPECTED[name]
    assert {t.code for t in m.tricks} == ({code} if isinstance(code, str) else set(code or ()))
    assert all(t.message for t in m.tricks)


def test_the_source_fixture_has_no_trick() -> None:
    assert read_apk_facts(open_app(str(FIXTURES / "sdks.apk"))).manifest.tricks == ()


def test_what_tools_that_read_names_would_miss() -> None:
    """Facts where a name-matching reader goes wrong, checked directly (not only through aapt)."""
    def facts(name: str) -> ManifestFacts:
        return read_apk_facts(open_app(str(TRICKS / name))).manifest

    phone = "android.permission.READ_PHONE_STATE"
    assert phone in {p.name for p in facts("no_namespace.apk").permissions}
    assert phone in {p.name for p in facts("decoy_name.apk").permissions}
    assert "android.permission.CAMERA" not in {p.name for p in facts("dummy_data.apk").permissions}
    assert "android.permission.QUERY_ALL_PACKAGES" not in {p.name for p in facts("permission_in_unknown_tag.apk")
                                                           .permissions}
    assert "android.permission.ACCESS_FINE_LOCATION" in {p.name for p in facts("permission_after_application.apk")
                                                         .permissions}
    assert facts("version_name_reference.apk").version_name == "SDK Heavy"
    second = facts("second_application.apk")
    assert "com.hidden.Backdoor" not in {c.name for c in second.components}
    assert SMS in {p.name for p in second.permissions}
    raw = facts("raw_value.apk")
    assert SMS in {p.name for p in raw.permissions}


# -- the package manager's reading of a manifest tree, on hand-built trees -------------------------------------


def _tree(xml: str) -> Any:
    declared = xml.replace("<manifest ", '<manifest xmlns:android="http://schemas.android.com/apk/res/android" ')
    return fromstring(declared)  # noqa: S314  (a literal of this test, not untrusted data)


def test_package_manager_placement() -> None:
    root = _tree("""<manifest package="a.b">
      <uses-sdk android:minSdkVersion="19" android:targetSdkVersion="23"/>
      <application android:name=".App">
        <uses-permission android:name="in.application"/>
        <activity android:name=".Main"/>
        <unknown><activity android:name=".Nested"/></unknown>
      </application>
      <uses-permission android:name="after.application"/>
      <unknown><uses-permission android:name="in.unknown"/></unknown>
      <application android:name=".Second">
        <uses-permission android:name="in.second.application"/>
        <activity android:name=".Hidden"/>
        <application><permission android:name="in.third.application"/></application>
      </application>
      <uses-sdk android:minSdkVersion="21"/>
    </manifest>""")
    m = read_manifest(root, "x.apk")
    assert {p.name for p in m.permissions} == {"after.application", "in.second.application"}
    assert [p.name for p in m.declared_permissions] == ["in.third.application"]
    assert [c.name for c in m.components] == ["a.b.Main"]
    assert m.application_class == "a.b.App"
    assert (m.min_sdk, m.target_sdk) == (21, 21)  # the last <uses-sdk> wins; its target defaults to its min
    codes = sorted(t.code for t in m.tricks)
    assert codes == ["extra-application"] + ["ignored-element"] * 4
    ignored = " ".join(t.message for t in m.tricks if t.code == "ignored-element")
    assert all(n in ignored for n in ("in.application", "in.unknown", ".Nested", ".Hidden"))


def test_ignored_elements_are_named_up_to_a_bound() -> None:
    hidden = "".join(f'<uses-permission android:name="p{i:02d}"/>' for i in range(25))
    m = read_manifest(_tree(f'<manifest package="a.b"><unknown>{hidden}</unknown></manifest>'), "x.apk")
    assert len(m.tricks) == 20 and m.permissions == ()
    assert "p00" in m.tricks[0].message and m.tricks[-1].message.endswith("(and 5 more)")
