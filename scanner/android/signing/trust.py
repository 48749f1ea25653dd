"""Which signer Android trusts at each API level, and the checks apksig adds across a range of levels.

Per level, as the package manager decides (``decide``):

* API 33+: a v3.1 signer covering the level, if the block has one (a failure there is final);
* API 28+: else the v3 block, if there is one: its signer covering the level, which must verify (and,
  from 33, carry the rotation-min-sdk-version the v3.1 block starts at, when it names one);
* API 24+: else the v2 block, if there is one (from 28 its stripping protection must not name v3);
* else v1: from 24 its ``X-Android-APK-Signed`` must not name v2 (from 28: v3) when that block is
  missing; from API 30 an app targeting 30+ may not rely on v1 alone.
  Nothing signed at all: "not signed", which Android refuses to install.

Across ``[min_sdk, max_sdk]`` (``scheme_verdicts``, ``consistency``), as apksig's ``ApkVerifier``: a
scheme is checked where some level of the range would use it (v1 whenever the range starts below 24 or
nothing newer exists, v2 below 28 or when no v3 exists), and a checked scheme must verify as a whole
(every v3 signer, not only the covering one). When both are checked, v1 and v2 must be signed by the
same certificates, and the v1/v2 signer must be v3's signer or the oldest certificate of its lineage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scanner.android.signing.jar import JarScheme
from scanner.android.signing.lineage import LineageNode
from scanner.android.signing.scheme import API_T, ROTATION_MIN_SDK_ID, BlockScheme, Failed, Verified

API_N, API_P, API_R = 24, 28, 30
NOT_SIGNED = "not signed"


@dataclass(frozen=True, slots=True)
class Decision:
    scheme: str | None  # the scheme whose signer Android trusts at this level; None: it refuses the APK
    certificates: tuple[str, ...]
    reason: str | None


@dataclass(frozen=True, slots=True)
class Schemes:
    jar: JarScheme
    v2: BlockScheme | None
    v3: BlockScheme | None
    v31: BlockScheme | None
    damage: str | None  # why the APK Signing Block was unreadable (Android then ignores it)
    target_sdk: int | None

    def rotation_min(self) -> int | None:
        """The lowest API level of the v3.1 signers (rotation-min-sdk-version), if there is a v3.1 block."""
        lows = [r.min_sdk for r in self.v31.records if r.min_sdk is not None] if self.v31 else []
        return min(lows) if lows else None


def decide(s: Schemes, level: int) -> Decision:
    if level >= API_T and s.v31 is not None:
        found = _decision("v3.1", s.v31.at(level))
        if found is not None:
            return found
    if level >= API_P and s.v3 is not None:
        found = _decision("v3", s.v3.at(level, s.rotation_min()))
        if found is not None:
            return found
    if level >= API_N and s.v2 is not None:
        found = _decision("v2", s.v2.at(level))
        if found is not None:
            return found
    return _v1(s, level)


def _decision(name: str, outcome: Verified | Failed | None) -> Decision | None:
    if isinstance(outcome, Verified):
        return Decision(name, outcome.certificates, None)
    if isinstance(outcome, Failed):
        return Decision(None, (), outcome.reason)
    return None


def _v1(s: Schemes, level: int) -> Decision:
    if not s.jar.present:
        return Decision(None, (), _unsigned_reason(s, level))
    if (problem := _stripped(s, level, level >= API_N, level >= API_P)) is not None:
        return Decision(None, (), problem)
    certificates, problem = s.jar.at(level)
    if problem is not None:
        return Decision(None, (), problem)
    if s.target_sdk is not None and s.target_sdk >= API_R and level >= API_R:
        return Decision(None, (), f"v1: the app targets API level {s.target_sdk}, and Android 11 (API 30) and later "
                                  "refuse such an app signed only with v1 (v2 or later is required)")
    return Decision("v1", certificates, None)


def _unsigned_reason(s: Schemes, level: int) -> str:
    """Why nothing verifies at ``level`` when there is no JAR signature either."""
    newer = [(n, since) for n, since, b in (("v2", API_N, s.v2), ("v3", API_P, s.v3), ("v3.1", API_T, s.v31))
             if b is not None]
    if newer:
        names = " and ".join(n for n, _ in newer)
        return (f"the APK is signed only with {names}, which Android verifies from API level "
                f"{min(since for _, since in newer)}, and has no v1 (JAR) signature for older levels")
    if s.damage is not None:
        return f"the APK Signing Block is damaged ({s.damage}), so Android ignores it, and there is no JAR signature"
    return NOT_SIGNED


def _stripped(s: Schemes, level: int, knows_v2: bool, knows_v3: bool) -> str | None:
    """The v1 stripping protection: a .SF naming a scheme this level knows, whose block is missing."""
    for signer in s.jar.signers():
        named = signer.apk_signed
        if knows_v2 and 2 in named and s.v2 is None:
            return f"v1: {signer.sf} says the APK is also signed with v2, and there is no v2 signature: it was stripped"
        if knows_v3 and 3 in named and s.v3 is None:
            return f"v1: {signer.sf} says the APK is also signed with v3, and there is no v3 signature: it was stripped"
    return None


# -- apksig's view of a whole range --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchemeVerdict:
    checked: bool  # some level of the range uses this scheme (apksig's sense)
    reason: str | None  # why it does not verify, if checked
    certificates: tuple[str, ...]  # its verified signers' certificates


def checked_schemes(s: Schemes, low: int, high: int) -> dict[str, bool]:
    v31 = s.v31 is not None and high >= API_T
    v3 = s.v3 is not None and high >= API_P
    v2 = s.v2 is not None and high >= API_N and (low < API_P or not (v3 or v31))
    v1 = low < API_N or not (v31 or v3 or v2)
    return {"v1": v1 and s.jar.present, "v2": v2, "v3": v3, "v3.1": v31}


def scheme_verdicts(s: Schemes, low: int, high: int) -> dict[str, SchemeVerdict]:
    checked = checked_schemes(s, low, high)
    verdicts = {"v1": _v1_verdict(s, low, high, checked) if checked["v1"] else SchemeVerdict(False, None, ())}
    if s.v2 is not None:
        newer = checked["v3"] or checked["v3.1"]
        verdicts["v2"] = _block_verdict(s.v2, checked["v2"], [(lv, None) for lv in _levels(max(low, API_N), high)],
                                        newer)
    for name, block in (("v3", s.v3), ("v3.1", s.v31)):
        if block is not None:
            levels = [(lv, i) for i, r in enumerate(block.records) for lv in _signer_levels(r.min_sdk, r.max_sdk)]
            verdicts[name] = _block_verdict(block, checked[name], levels, True)
    return verdicts


def _levels(low: int, high: int) -> list[int]:
    """The levels of a range that can behave differently for v2/v3: its ends and where algorithms change."""
    return sorted({low, high} | {x for x in (API_P, API_T) if low <= x <= high}) if low <= high else []


def _signer_levels(low: int | None, high: int | None) -> list[int]:
    if low is None or high is None or low > high:
        return []
    return sorted({low} | {x for x in (API_N, API_P, API_T) if low < x <= high})


def _block_verdict(block: BlockScheme, checked: bool, levels: Sequence[tuple[int, int | None]],
                   newer: bool) -> SchemeVerdict:
    if not checked:
        return SchemeVerdict(False, None, ())
    if block.damage is not None or not block.records:
        outcome = block.at(levels[0][0] if levels else API_P)
        return SchemeVerdict(True, outcome.reason if isinstance(outcome, Failed) else "no signers", ())
    for level, index in levels:
        if index is None:
            outcome = block.at(level, newer_found=newer)
            if isinstance(outcome, Failed):
                return SchemeVerdict(True, outcome.reason, ())
        elif (problem := block.check(index, level, -1)) is not None:
            who = f"signer #{index + 1}: " if len(block.records) > 1 else ""
            return SchemeVerdict(True, f"{block.name}: {who}{problem}", ())
    if block.v3 and (problem := _v3_ranges(block)) is not None:
        return SchemeVerdict(True, problem, ())
    return SchemeVerdict(True, None, tuple(block.certificate(i) or "" for i in range(len(block.records))))


def _v3_ranges(block: BlockScheme) -> str | None:
    """apksig's check that a v3 block's signers neither overlap nor leave holes, lineages growing."""
    ordered = sorted(range(len(block.records)), key=lambda i: block.records[i].max_sdk or 0)
    last_max, last_lineage = None, 0
    for index in ordered:
        record = block.records[index]
        low = record.min_sdk or 0
        if last_max is not None and low != last_max + 1:
            return f"{block.name}: the signers' API ranges overlap or leave a gap at {last_max + 1}"
        last_max = record.max_sdk or 0
        lineage = block.lineage(index)
        if lineage is not None:
            if len(lineage) < last_lineage:
                return f"{block.name}: a signer for newer API levels has a shorter lineage than one for older levels"
            last_lineage = len(lineage)
    return None


def _v1_verdict(s: Schemes, low: int, high: int, checked: dict[str, bool]) -> SchemeVerdict:
    found = {2: checked["v2"], 3: checked["v3"]}
    supported = {2, 3} if high >= API_P else {2} if high >= API_N else set()
    for signer in s.jar.signers():
        for scheme in sorted(signer.apk_signed & supported):
            if not found[scheme]:
                return SchemeVerdict(True, f"v1: {signer.sf} says the APK is also signed with v{scheme}, and there "
                                           f"is no v{scheme} signature: it was stripped", ())
    certificates: tuple[str, ...] = ()
    for level in sorted({low, high} | {x for x in range(low, min(high, API_N) + 1)}):
        certificates, problem = s.jar.at(level)
        if problem is not None:
            return SchemeVerdict(True, problem, ())
    return SchemeVerdict(True, None, certificates)


def consistency(s: Schemes, verdicts: dict[str, SchemeVerdict], low: int, high: int) -> str | None:
    """apksig's cross-scheme checks over the range, on the schemes that verified; None if they hold."""
    ok = {n: v.checked and v.reason is None for n, v in verdicts.items()}
    if s.v31 is not None and high >= API_T and s.v3 is None:
        return "v3.1: there is a v3.1 block but no v3 block"
    if ok["v1"] and ok.get("v2"):
        v1, v2 = set(verdicts["v1"].certificates), set(verdicts["v2"].certificates)
        if v1 != v2:
            return (f"v1 and v2 are signed by different certificates: Android before 7.0 trusts "
                    f"{', '.join(sorted(v1))}, 7.0 and later {', '.join(sorted(v2))}")
    if ok.get("v3") and (ok["v1"] or ok.get("v2")):
        problem = _v3_against_older(s, verdicts, ok)
        if problem is not None:
            return problem
    if s.v3 is not None and high >= API_T:
        return _rotation_min_attribute(s)
    return None


def _v3_against_older(s: Schemes, verdicts: dict[str, SchemeVerdict], ok: dict[str, bool]) -> str | None:
    older = verdicts["v1"] if ok["v1"] else verdicts["v2"]
    scheme = "v1" if ok["v1"] else "v2"
    if len(older.certificates) != 1:
        return f"v3 allows a single past signer, and {scheme} has {len(older.certificates)}"
    lineage = newest_lineage(s)
    if lineage is None:
        v3 = verdicts["v3"].certificates
        if len(v3) != 1:
            return "v3 has several signers but no proof-of-rotation"
        if v3[0] != older.certificates[0]:
            return (f"v3's signer differs from the {scheme} signer, and there is no proof-of-rotation linking them "
                    f"({scheme} {older.certificates[0]}, v3 {v3[0]})")
    elif lineage[0].certificate != older.certificates[0]:
        return f"the {scheme} signer is not the oldest certificate of v3's proof-of-rotation"
    return None


def newest_lineage(s: Schemes) -> tuple[LineageNode, ...] | None:
    """The longest proof-of-rotation of the v3.1 signers, else of the v3 signers (apksig's choice)."""
    for block in (s.v31, s.v3):
        if block is not None:
            found = [x for i in range(len(block.records)) if (x := block.lineage(i)) is not None]
            if found:
                return max(found, key=len)
    return None


def _rotation_min_attribute(s: Schemes) -> str | None:
    assert s.v3 is not None  # noqa: S101  checked by the caller
    wanted = s.rotation_min()
    for index in range(len(s.v3.records)):
        value = s.v3.attribute(index, ROTATION_MIN_SDK_ID)
        if value is None or len(value) < 4:
            continue
        named = int.from_bytes(value[:4], "little")
        if wanted is None:
            return f"v3: its signer expects a v3.1 block from API level {named}, and there is none: it was stripped"
        if named != wanted:
            return f"v3: its signer expects the v3.1 block to start at API level {named}; it starts at {wanted}"
    return None
