"""Broken data fails loudly: a typed error naming the file, the entry and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

import signatures
from signatures import KnowledgeBaseError

from .conftest import append

SDK = """
[[sdk]]
id = "{id}"
name = "Test SDK"
vendor = "{vendor}"
categories = ["{category}"]
prefixes = [{prefixes}]
code_regex = '{code_regex}'
bundled_by = [{bundled_by}]
source = ["test"]
"""


def sdk(id: str = "test-sdk", vendor: str = "Test Vendor", category: str = "analytics",
        prefixes: str = '"org.example.testsdk"', code_regex: str = "", bundled_by: str = "") -> str:
    return SDK.format(id=id, vendor=vendor, category=category, prefixes=prefixes, code_regex=code_regex,
                      bundled_by=bundled_by)


def expect_error(folder: Path, *fragments: str) -> KnowledgeBaseError:
    with pytest.raises(KnowledgeBaseError) as info:
        signatures.load(folder)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return info.value


def test_copy_of_bundled_data_is_valid(data_copy: Path) -> None:
    assert len(signatures.load(data_copy).sdks) > 433


def test_good_new_entry_loads(data_copy: Path) -> None:
    append(data_copy / "sdks.toml", sdk(bundled_by='"getui-push"'))
    kb = signatures.load(data_copy)
    assert kb.sdk("test-sdk").bundled_by == ("getui-push",)
    assert kb.sdk_for_class("org.example.testsdk.Main").id == "test-sdk"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("snippet", "fragments"),
    [
        (sdk(id="getui-push"), ["sdks.toml", "getui-push", "duplicate id"]),
        (sdk(code_regex="org.example.(broken"), ["sdks.toml", "test-sdk", "code_regex does not compile"]),
        (sdk(prefixes='"testsdk"'), ["sdks.toml", "test-sdk", "over-broad", "'testsdk'"]),
        (sdk(prefixes='"org.example."'), ["sdks.toml", "test-sdk", "malformed"]),
        (sdk(prefixes='"com.bytedance"'), ["sdks.toml", "test-sdk", "over-broad prefix 'com.bytedance'"]),
        (sdk(prefixes='"com.igexin"', vendor="Someone Else"),
         ["sdks.toml", "test-sdk", "'com.igexin'", "getui-push", "another vendor"]),
        (sdk(category="spyware"), ["sdks.toml", "test-sdk", "unknown SDK category 'spyware'"]),
        (sdk(bundled_by='"no-such-sdk"'), ["sdks.toml", "test-sdk", "unknown bundled_by SDK 'no-such-sdk'"]),
        (sdk() + 'legal_entty = "x"\n', ["sdks.toml", "test-sdk", "unknown key(s): legal_entty"]),
        (sdk().replace('vendor = "Test Vendor"', ""), ["sdks.toml", "test-sdk", "missing required key 'vendor'"]),
        (sdk().replace('source = ["test"]', ""), ["sdks.toml", "test-sdk", "source"]),
    ],
    ids=["duplicate-id", "bad-regex", "one-segment", "trailing-dot", "umbrella", "two-vendors", "category",
         "bundled-by", "typo-key", "missing-key", "no-source"],
)
def test_bad_sdk_entry(data_copy: Path, snippet: str, fragments: list[str]) -> None:
    append(data_copy / "sdks.toml", snippet)
    expect_error(data_copy, *fragments)


def test_bad_network_regex(data_copy: Path) -> None:
    append(data_copy / "sdks.toml", sdk() + "network_regex = 'ads[.example\\.com'\n")
    expect_error(data_copy, "sdks.toml", "test-sdk", "network_regex does not compile")


def test_shared_prefix_same_vendor_is_allowed(data_copy: Path) -> None:
    append(data_copy / "sdks.toml", sdk(prefixes='"com.igexin"', vendor="Getui"))
    assert signatures.load(data_copy).sdk("test-sdk").vendor == "Getui"


def test_unknown_pi_category_in_permission(data_copy: Path) -> None:
    append(data_copy / "permissions.toml", """
[[permission]]
name = "org.example.permission.TEST"
protection_level = "normal"
pi_category = "horoscope"
sensitive = "no"
source = ["test"]
""")
    expect_error(data_copy, "permissions.toml", "org.example.permission.TEST", "'horoscope'")


def test_bad_sensitivity_in_permission(data_copy: Path) -> None:
    append(data_copy / "permissions.toml", """
[[permission]]
name = "org.example.permission.TEST"
protection_level = "normal"
pi_category = "push"
sensitive = "maybe"
source = ["test"]
""")
    expect_error(data_copy, "permissions.toml", "org.example.permission.TEST", "sensitive", "maybe")


def test_unknown_rule_in_permission(data_copy: Path) -> None:
    append(data_copy / "permissions.toml", """
[[permission]]
name = "org.example.permission.TEST"
protection_level = "normal"
pi_category = "push"
sensitive = "no"
rule = "permission.made_up"
source = ["test"]
""")
    expect_error(data_copy, "permissions.toml", "org.example.permission.TEST", "unknown rule 'permission.made_up'")


API = """
[[api]]
id = "test.api"
category = "{category}"
methods = ["{method}"]
permissions = ["{permission}"]
source = ["test"]
"""


@pytest.mark.parametrize(
    ("category", "method", "permission", "fragments"),
    [
        ("contacts", "Lorg/example/Api;->read()V", "android.permission.NOT_REAL",
         ["apis.toml", "test.api", "unknown permission 'android.permission.NOT_REAL'"]),
        ("astrology", "Lorg/example/Api;->read()V", "android.permission.READ_CONTACTS",
         ["apis.toml", "test.api", "'astrology'"]),
        ("contacts", "org.example.Api.read()", "android.permission.READ_CONTACTS",
         ["apis.toml", "test.api", "Dalvik form"]),
    ],
    ids=["permission", "category", "dalvik-form"],
)
def test_bad_api_entry(data_copy: Path, category: str, method: str, permission: str,
                       fragments: list[str]) -> None:
    append(data_copy / "apis.toml", API.format(category=category, method=method, permission=permission))
    expect_error(data_copy, *fragments)


def test_argument_rule_with_unknown_category(data_copy: Path) -> None:
    text = API.format(category="contacts", method="Lorg/example/Api;->read(Ljava/lang/String;)V",
                      permission="android.permission.READ_CONTACTS")
    rules = 'arguments = [{ string = "x", category = "zodiac" }]\n'
    append(data_copy / "apis.toml", text + rules)
    expect_error(data_copy, "apis.toml", "test.api", "'zodiac'")


def app_type_with(necessary: str) -> str:
    """A minimal app type whose ``necessary`` list is the given TOML."""
    return ('\n[[category]]\nid = "test_type"\nnpi = "NPI2021-40"\nname = "Test"\nname_cn = "测试类"\n'
            f'basic_function = "Testing"\nnecessary = {necessary}\n')


def test_unknown_permission_in_app_category(data_copy: Path) -> None:
    append(data_copy / "categories.toml", app_type_with(
        '[{ item = "location", origin = "device", permissions = ["android.permission.FIND_ME"] }]'))
    expect_error(data_copy, "categories.toml", "test_type", "android.permission.FIND_ME")


def test_typed_in_item_cannot_name_permissions(data_copy: Path) -> None:
    """Only what the device provides is served by a permission; a typed-in phone number implies none."""
    append(data_copy / "categories.toml", app_type_with(
        '[{ item = "phone number", origin = "user", permissions = ["android.permission.READ_PHONE_NUMBERS"] }]'))
    expect_error(data_copy, "categories.toml", "test_type", "'phone number'", "origin 'user'")


@pytest.mark.parametrize("key", ["api_added = 1", "argument_dependent = true", "permission_note = 'x'"])
def test_removed_api_keys_are_unknown(data_copy: Path, key: str) -> None:
    """Fields no detector read were removed; writing one again is an error, not silently kept data."""
    text = API.format(category="contacts", method="Lorg/example/Api;->read()V",
                      permission="android.permission.READ_CONTACTS")
    append(data_copy / "apis.toml", text + key + "\n")
    expect_error(data_copy, "apis.toml", "test.api", "unknown key", key.split(" ")[0])


def test_unknown_rule_reference(data_copy: Path) -> None:
    path = data_copy / "pi_categories.toml"
    path.write_text(path.read_text().replace('rule = "pi.clipboard"', 'rule = "pi.clipbored"'))
    expect_error(data_copy, "pi_categories.toml", "clipboard", "unknown rule 'pi.clipbored'")


@pytest.mark.parametrize(
    ("snippet", "fragment"),
    [
        ('severity = "severe"', "severity"),
        ('severity = "low"\nsubject = "app"\nrefs = ["ISO-27001"]', "unrecognised regulation reference 'ISO-27001'"),
        ('severity = "low"\nsubject = "screen"', "subject"),
    ],
)
def test_bad_rule(data_copy: Path, snippet: str, fragment: str) -> None:
    append(data_copy / "rules.toml", f"""
[[rule]]
id = "test.rule"
title = "A test rule"
explanation = "Only for the tests."
fix = "Nothing to do: a rule that exists only for this test."
{snippet}
""")
    expect_error(data_copy, "rules.toml", "test.rule", fragment)


def test_duplicate_rule_id(data_copy: Path) -> None:
    append(data_copy / "rules.toml", """
[[rule]]
id = "pi.location"
title = "Again"
severity = "low"
explanation = "Duplicate."
""")
    expect_error(data_copy, "rules.toml", "pi.location", "duplicate id")


def test_packer_without_indicators(data_copy: Path) -> None:
    packer = '[[packer]]\nid = "empty"\nname = "Empty"\nvendor = "Nobody"\nsource = ["test"]\n'
    append(data_copy / "packers.toml", packer)
    expect_error(data_copy, "packers.toml", "empty", "at least one")


def test_invalid_toml_names_file(data_copy: Path) -> None:
    append(data_copy / "packers.toml", "[[packer]\nid = ")
    error = expect_error(data_copy, "packers.toml", "not valid TOML")
    assert error.file == "packers.toml"


def test_missing_file(data_copy: Path) -> None:
    (data_copy / "rules.toml").unlink()
    expect_error(data_copy, "rules.toml", "missing")


def test_cli_validate_reports_broken_folder(data_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from scanner.cli.main import main

    assert main(["signatures", "validate", str(data_copy)]) == 0
    append(data_copy / "sdks.toml", sdk(prefixes='"testsdk"'))
    assert main(["signatures", "validate", str(data_copy)]) == 2
    err = capsys.readouterr().err
    assert "sdks.toml: test-sdk" in err and "over-broad" in err
