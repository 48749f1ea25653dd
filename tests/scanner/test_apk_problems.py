"""A part of an APK that exists (or is referenced) but cannot be read makes the result partial.

The damaged APKs are made from the committed fixtures by ``tests/fixtures/make_hostile.py``
(``garble``, ``sigblock``), the same deterministic way ``build.sh`` makes the other hostile
inputs; they are built per test session rather than committed, because batch and dashboard
tests scan every file under ``tests/fixtures/apks`` and count the results.

Missing optional parts are not problems: no network security config, no signature, no label.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from scanner import scan
from scanner.android.apk import _label, _Part, _Resources, read_apk_facts
from scanner.android.facts import ApkFacts
from scanner.input.archive import open_app
from scanner.model import Audit, ScanError, Status
from scanner.serial import from_plain, to_plain
from tests.conftest import APPS, BUNDLES, FIXTURES, HOSTILE

HELPER = FIXTURES.parent / "make_hostile.py"
NETCONFIG = "res/xml/network_security_config.xml"


def make(*args: str) -> None:
    subprocess.run([sys.executable, str(HELPER), *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("damaged")
    files = {
        "resources": out / "bad_resources.apk",  # sdks.apk, resources.arsc replaced by garbage
        "netconfig": out / "bad_netconfig.apk",  # preconsent.apk, its network security config garbage
        "signing": out / "bad_signing_block.apk",  # clean.apk, APK Signing Block sizes disagree
    }
    make("garble", str(files["resources"]), str(FIXTURES / "sdks.apk"), "resources.arsc")
    make("garble", str(files["netconfig"]), str(FIXTURES / "preconsent.apk"), NETCONFIG)
    make("sigblock", str(files["signing"]), str(FIXTURES / "clean.apk"))
    return files


def codes(audit: Audit) -> set[str]:
    return {e.code for e in audit.errors}


def assert_rest_intact(audit: Audit, original: Audit) -> None:
    """Everything but the damaged part is still analysed, as in the undamaged fixture."""
    assert audit.app is not None and original.app is not None
    assert audit.app.package == original.app.package
    assert audit.app.version_code == original.app.version_code
    assert [p.name for p in audit.permissions] == [p.name for p in original.permissions]
    assert [s.id for s in audit.sdks] == [s.id for s in original.sdks]
    assert {(c.caller, c.api) for c in audit.api_calls} == {(c.caller, c.api) for c in original.api_calls}
    assert audit.dex == original.dex


def test_damaged_resource_table(damaged: dict[str, Path]) -> None:
    path = str(damaged["resources"])
    audit = scan(path)
    assert audit.status is Status.PARTIAL
    # the label is a reference into the same table, so it is lost too
    assert codes(audit) == {"resources-unreadable", "label-unresolved"}
    assert all(e.message.startswith(f"{path}: ") for e in audit.errors)
    (resources,) = (e for e in audit.errors if e.code == "resources-unreadable")
    assert "resources.arsc cannot be parsed" in resources.message
    assert audit.app is not None and audit.app.label == ""
    original = scan(str(FIXTURES / "sdks.apk"))
    assert_rest_intact(audit, original)
    assert {"umeng-analytics", "jiguang-jpush", "tencent-bugly"} <= {s.id for s in audit.sdks}
    assert "android.permission.READ_PHONE_STATE" in {p.name for p in audit.permissions}


def test_damaged_network_security_config(damaged: dict[str, Path]) -> None:
    path = str(damaged["netconfig"])
    audit = scan(path)
    assert audit.status is Status.PARTIAL
    assert codes(audit) == {"network-config-unreadable"}  # unsigned: not a problem
    (error,) = audit.errors
    assert error.message.startswith(f"{path}: ") and NETCONFIG in error.message
    assert audit.manifest is not None and audit.manifest.network_security_config  # still referenced
    assert audit.signing is not None and audit.signing.schemes == ()
    assert audit.app is not None and audit.app.label == "Early Bird"  # the resource table is sound
    assert not [e for e in audit.endpoints if e.source == "network_security_config"]
    assert_rest_intact(audit, scan(str(FIXTURES / "preconsent.apk")))


def test_damaged_signing_block(damaged: dict[str, Path]) -> None:
    path = str(damaged["signing"])
    audit = scan(path)
    assert audit.status is Status.PARTIAL
    assert codes(audit) == {"signing-block-unreadable"}
    (error,) = audit.errors
    assert error.message.startswith(f"{path}: ") and "APK Signing Block" in error.message
    original = scan(str(FIXTURES / "clean.apk"))
    assert audit.signing is not None and original.signing is not None
    assert audit.signing.schemes == ("v1",)  # the JAR signature is intact
    assert audit.signing.certificates == original.signing.certificates
    assert audit.app is not None and audit.app.label == "Clean Notes"
    assert_rest_intact(audit, original)


def test_referenced_parts_missing_from_the_apk(tmp_path: Path) -> None:
    """No resources.arsc at all, while the manifest refers into it: the label and config are unresolved."""
    path = tmp_path / "no_resources.apk"
    with zipfile.ZipFile(FIXTURES / "preconsent.apk") as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            if info.filename != "resources.arsc" and not info.filename.startswith("META-INF/"):
                dst.writestr(info.filename, src.read(info))
    audit = scan(str(path))
    assert audit.status is Status.PARTIAL
    # a missing table is not a damaged one: no resources-unreadable
    assert codes(audit) == {"label-unresolved", "network-config-unreadable"}
    assert all(e.message.startswith(f"{path}: ") and "resources.arsc is missing" in e.message
               for e in audit.errors)
    assert_rest_intact(audit, scan(str(FIXTURES / "preconsent.apk")))


def test_bundle_names_the_base_apk(tmp_path: Path) -> None:
    """Inside a split bundle the message names the input file and the base APK in it."""
    with zipfile.ZipFile(FIXTURES / "split.apks") as bundle:
        names = bundle.namelist()
        for name in names:
            (tmp_path / name).write_bytes(bundle.read(name))
    make("garble", str(tmp_path / "garbled_base.apk"), str(tmp_path / "base.apk"), "resources.arsc")
    (tmp_path / "base.apk").write_bytes((tmp_path / "garbled_base.apk").read_bytes())
    path = tmp_path / "damaged.apks"
    make("pack", str(path), *(f"{n}={tmp_path / n}" for n in names))
    audit = scan(str(path))
    assert audit.status is Status.PARTIAL
    assert "resources-unreadable" in codes(audit)
    (error,) = (e for e in audit.errors if e.code == "resources-unreadable")
    assert error.message.startswith(f"{path}: base.apk!resources.arsc cannot be parsed")
    assert audit.app is not None and audit.app.package == "org.appaudit.fixture.split"


@pytest.mark.parametrize("name", [*APPS, *BUNDLES, "obfuscated.apk", "packed.apk", "provider_init.apk",
                                  "reflection.apk", "stub_sdk.apk", "release_v1.apk", "release_v2.apk"])
def test_sound_fixtures_have_no_problems(name: str) -> None:
    """Sound APKs and bundles, with a network security config (preconsent) or without one."""
    assert read_apk_facts(open_app(str(FIXTURES / name))).problems == ()


def test_script_label_has_no_problems() -> None:
    assert read_apk_facts(open_app(str(HOSTILE / "script_label.apk"))).problems == ()


class Entries:
    """Just what the resource reader asks of the zip: membership and bounded reads."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def __contains__(self, name: object) -> bool:
        return name in self.files

    def read(self, name: str) -> bytes:
        return self.files[name]


def label_of(label: str | None, files: dict[str, bytes]) -> tuple[str, list[ScanError]]:
    problems: list[ScanError] = []
    part = _Part("app.apk", "")
    resources = _Resources(Entries(files), part, problems)  # type: ignore[arg-type]
    return _label(label, resources, part, problems), problems


SDKS_TABLE = zipfile.ZipFile(FIXTURES / "sdks.apk").read("resources.arsc")


@pytest.mark.parametrize(("label", "expected"), [
    (None, ""),  # no label at all
    ("", ""),
    ("Literal Name", "Literal Name"),  # a literal label needs no resource table
    ("@android:0104000A", "@android:0104000A"),  # a framework string: not the app's to resolve
])
def test_label_without_problem(label: str | None, expected: str) -> None:
    assert label_of(label, {}) == (expected, [])


def test_label_resolved_through_the_table() -> None:
    assert label_of("@7F020000", {"resources.arsc": SDKS_TABLE}) == ("SDK Heavy", [])


@pytest.mark.parametrize(("label", "files", "reason"), [
    ("@7F020000", {"resources.arsc": b"RES\x00 not a table"},
     "@7F020000 cannot be resolved: resources.arsc cannot be parsed"),
    ("@7F020000", {}, "@7F020000 cannot be resolved: resources.arsc is missing"),
    ("@7F029999", {"resources.arsc": SDKS_TABLE}, "@7F029999 resolves to no string in resources.arsc"),
])
def test_label_problem(label: str, files: dict[str, bytes], reason: str) -> None:
    label_text, problems = label_of(label, files)
    assert label_text == ""
    assert ScanError("label-unresolved", f"app.apk: the app label {reason}") in problems


def test_problems_survive_a_snapshot(damaged: dict[str, Path]) -> None:
    facts = read_apk_facts(open_app(str(damaged["netconfig"])))
    assert [p.code for p in facts.problems] == ["network-config-unreadable"]
    plain = to_plain(facts)
    assert from_plain(ApkFacts, plain) == facts
    del plain["problems"]  # a snapshot written before the field existed
    assert from_plain(ApkFacts, plain).problems == ()
