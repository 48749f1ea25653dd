"""Argument-dependent APIs on arguments.apk: every (kind, match) of the argument rules decides a category.

One probe method per case (tests/fixtures/src/arguments/.../Probe.smali). A positive is a call whose
constant one rule matches (resolved, the rule's category); its negative passes a constant no rule
matches (the catalogue's fallback category, unresolved; for a shell command, no read at all).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

import pytest

from scanner import scan
from scanner.analysis.detection import detect
from scanner.analysis.engine import Analysis, analyse
from scanner.analysis.targets import StringPatterns, api_targets
from scanner.batch.snapshot import read_snapshot, snapshot_path, write_snapshot
from scanner.model import ApiCall
from signatures.model import ArgumentRule
from tests.conftest import FIXTURES, KB

APK = FIXTURES / "arguments.apk"
P = "Lorg/appaudit/fixture/arguments/Probe;->"
CTX = "(Landroid/content/Context;)"
CURSOR, SENSOR = "Landroid/database/Cursor;", "Landroid/hardware/Sensor;"


class Case(NamedTuple):
    caller: str
    api_id: str
    pi_category: str
    resolved: bool
    rule: tuple[str, str] | None  # the (kind, match) the row depends on; None: a negative or a plain read


CASES = (
    # string exact: settings.secure_get_string {string = "android_id"} -> device_id.android_id
    Case(P + f"androidId{CTX}Ljava/lang/String;", "settings.secure_get_string", "device_id.android_id", True,
         ("string", "exact")),
    # negative: "font_scale" matches no rule -> the fallback, unresolved
    Case(P + f"fontScale{CTX}Ljava/lang/String;", "settings.secure_get_string", "device_id.android_id", False, None),
    # string prefix: content.query {string = "content://com.android.contacts/contacts", match = "prefix"}
    # with Uri.parse("content://com.android.contacts/contacts/42") -> contacts
    Case(P + f"contact{CTX}{CURSOR}", "content.query", "contacts", True, ("string", "prefix")),
    # negative: the app's own provider URI -> content_provider, unresolved
    Case(P + f"notes{CTX}{CURSOR}", "content.query", "content_provider", False, None),
    # string contains: exec.runtime {string = "pm list packages", match = "contains"} with "pm list packages -3"
    # -> installed_apps. A shell command is a behaviour: it is a read only when its argument names one, so its
    # negative (listFiles, "ls -l /sdcard") has no row at all (see test_shell_commands_stay_behaviours).
    Case(P + "listPackages()Ljava/lang/Process;", "exec.runtime", "installed_apps", True, ("string", "contains")),
    # field exact: content.query {field = "...CallLog$Calls;->CONTENT_URI..."} -> call_log
    Case(P + f"callLog{CTX}{CURSOR}", "content.query", "call_log", True, ("field", "exact")),
    Case(P + f"callLog{CTX}{CURSOR}", "provider.call_log", "call_log", True, None),  # the field is catalogued too
    # negative: Settings.System.CONTENT_URI -> content_provider, unresolved
    Case(P + f"systemSettings{CTX}{CURSOR}", "content.query", "content_provider", False, None),
    # method exact: content.query {method = "...MediaStore$Files;->getContentUri(...)"} -> photos_media
    Case(P + f"files{CTX}{CURSOR}", "content.query", "photos_media", True, ("method", "exact")),
    Case(P + f"files{CTX}{CURSOR}", "provider.media", "photos_media", True, None),  # the method is catalogued too
    # negative: MediaStore.Video.Media.getContentUri -> content_provider, unresolved
    Case(P + f"videos{CTX}{CURSOR}", "content.query", "content_provider", False, None),
    # int exact: sensors.register {int = 21} (Sensor.TYPE_HEART_RATE, const/16) -> body_sensors
    Case(P + f"heartRate{CTX}{SENSOR}", "sensors.register", "body_sensors", True, ("int", "exact")),
    # negative: 5 (TYPE_LIGHT, const/4) -> the fallback sensors, unresolved
    Case(P + f"light{CTX}{SENSOR}", "sensors.register", "sensors", False, None),
    # int mask: telephony.listen {int = 16, match = "mask"} and {int = 32, match = "mask"} with 0x30 (const):
    # both rules match, so both categories are reported
    Case(P + f"watchCalls{CTX}V", "telephony.listen", "location.cell", True, ("int", "mask")),
    Case(P + f"watchCalls{CTX}V", "telephony.listen", "call_state", True, ("int", "mask")),
    # negative: 8 (LISTEN_CALL_FORWARDING_INDICATOR) shares no bit with a rule -> call_state, unresolved
    Case(P + f"watchForwarding{CTX}V", "telephony.listen", "call_state", False, None),
)
EXPECTED = {(c.caller, c.api_id, c.pi_category, c.resolved) for c in CASES}
PAIRS = sorted({c.rule for c in CASES if c.rule})


def _rows(calls: Iterable[ApiCall]) -> set[tuple[str, str, str, bool]]:
    return {(c.caller, c.api_id, c.pi_category, c.resolved) for c in calls}


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return analyse(str(APK), KB)


def test_every_rule_kind_and_match_is_exercised() -> None:
    in_data = {(r.kind, r.match) for a in KB.apis for r in a.argument_rules}
    assert set(PAIRS) == in_data == {("string", "exact"), ("string", "prefix"), ("string", "contains"),
                                     ("field", "exact"), ("method", "exact"), ("int", "exact"), ("int", "mask")}


def test_call_sites_exact() -> None:
    audit = scan(str(APK))
    assert _rows(audit.api_calls) == EXPECTED
    assert all(c.sdk is None and not c.pre_consent and not c.hidden for c in audit.api_calls)


@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
def test_each_case_needs_its_rule_kind_and_match(analysis: Analysis, pair: tuple[str, str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """With one (kind, match) ignored (its rules never match), exactly its positives are lost: they fall back
    to the unresolved category (a shell command: no read), and every other row stays."""
    assert analysis.facts and analysis.index and analysis.reach
    matches = ArgumentRule.matches
    monkeypatch.setattr(ArgumentRule, "matches",
                        lambda rule, arg: (rule.kind, rule.match) != pair and matches(rule, arg))
    rows = _rows(detect(analysis.facts, analysis.index, analysis.reach, KB, None).api_calls)
    lost = {(c.caller, c.api_id, c.pi_category, c.resolved) for c in CASES if c.rule == pair}
    assert lost and not lost & rows
    assert EXPECTED - lost <= rows


def test_int_constants_are_read_only_for_callers_of_int_rule_apis(analysis: Analysis) -> None:
    """Probe.literals() loads many constants but calls no such API: it is not decoded."""
    assert analysis.index is not None
    assert analysis.index.literals == {
        P + f"heartRate{CTX}{SENSOR}": {21}, P + f"light{CTX}{SENSOR}": {5},
        P + f"watchCalls{CTX}V": {0x30}, P + f"watchForwarding{CTX}V": {8},
    }


def test_pattern_strings_are_searched_per_app(analysis: Analysis) -> None:
    """Strings a prefix or contains rule selects become sites; the negatives' strings do not."""
    assert analysis.index is not None
    strings = {s.target for s in analysis.index.sites if s.kind == "string"}
    assert {"content://com.android.contacts/contacts/42", "pm list packages -3"} <= strings
    assert not {"content://org.appaudit.fixture.arguments.notes/items", "ls -l /sdcard", "font_scale"} & strings


def test_shell_commands_stay_behaviours() -> None:
    audit = scan(str(APK))
    shell = [f for f in audit.hits if f.rule_id == "code.shell_exec"]
    assert len(shell) == 1
    assert {e.path for e in shell[0].evidence} == {P + "listPackages()Ljava/lang/Process;",
                                                        P + "listFiles()Ljava/lang/Process;"}


TRICKY = ["", "content://sms", "content://sms/inbox/3", "xcontent://sms", "a content://sms", "line\ncontent://sms/1",
          "nul\x00content://sms/2", "\x00", "sh -c 'pm list packages -3'", "pm list package", "中文 ifconfig",
          "content://com.android.contacts/contacts", "content://com.android.contacts/contact", "ro.serialno",
          "getprop ro.serialno", "/sys/class/net/wlan0/address", "\u2603content://sms"]


@pytest.mark.parametrize("strings", [TRICKY, sorted(TRICKY), [s for s in TRICKY if "\x00" not in s]])
def test_pattern_selection_agrees_with_the_rules(strings: list[str]) -> None:
    """The joined-text search finds exactly what ``ArgumentRule.matches`` accepts, separators or not."""
    patterns = api_targets(KB).string_patterns
    assert patterns.select(strings) == {s for s in strings if any(r.matches(s) for r in patterns.rules)}
    assert "content://sms/inbox/3" in patterns.select(strings) and "xcontent://sms" not in patterns.select(strings)


def test_pattern_values_holding_the_separator_are_tested_string_by_string() -> None:
    rules = (ArgumentRule("string", "a\x00b", "x", "contains"), ArgumentRule("string", "pre", "y", "prefix"))
    patterns = StringPatterns(rules, None, (), joinable=False)
    assert patterns.select(["za\x00bz", "prefix", "a", "b", "xpre"]) == {"za\x00bz", "prefix"}


def test_batch_snapshot_keeps_int_constants_for_rematching(analysis: Analysis, tmp_path: Path) -> None:
    """A batch's facts snapshot, re-matched without the APK, gives the live scan's call sites and findings."""
    assert analysis.facts and analysis.index and analysis.reach
    sha = analysis.facts.source.sha256 or "sha"
    write_snapshot(tmp_path, sha, analysis.facts, analysis.index, analysis.reach, KB.version)
    path = snapshot_path(tmp_path, sha)
    assert json.loads(gzip.decompress(path.read_bytes()))["literals"][P + f"watchCalls{CTX}V"] == [0x30]
    facts, index, reach = read_snapshot(path)
    assert index.literals == analysis.index.literals and index.sites == analysis.index.sites
    again = detect(facts, index, reach, KB, None)
    assert again.api_calls == analysis.audit.api_calls and again.hits == analysis.audit.hits
    assert _rows(again.api_calls) == EXPECTED
