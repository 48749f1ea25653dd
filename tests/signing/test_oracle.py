"""Every signing fixture against apksigner (Debian's 31, and 35 for v3.1) and androguard.

Over the APK's own range (min SDK 21 to apksigner's default maximum) our overall verdict is apksigner's
"Verifies" / "DOES NOT VERIFY", and when it verifies each scheme's ``verified`` is its "Verified using
vN scheme" (None, "not used in this range", is its false). At single API levels the certificate we say
Android trusts is the "Signer #1 certificate SHA-256 digest" apksigner prints for that level.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest
from loguru import logger

from scanner.android.signing import SchemeCheck
from tests.conftest import FIXTURES
from tests.signing.helpers import RELEASE, SIGNING, apksigner, need_apksigner35, verdict

APKS = sorted([FIXTURES / "clean.apk", *SIGNING.glob("*.apk")], key=lambda p: p.name)
NEEDS_35 = {"v31.apk"}  # apksigner 31 does not know v3.1
LEVELS = (21, 24, 28, 33)
# Android 11+ refuses an app targeting 30+ that only has a v1 signature; apksig applies that rule only
# from the app's target SDK (33 here) on: the one place where we knowingly differ from apksigner
V1_ONLY = {"v1_only.apk", "jar_signed_attrs.apk"}


def ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def tool_for(path: Path) -> str:
    if path.name in NEEDS_35:
        need_apksigner35()
        return "35"
    return "31"


def test_every_fixture_is_here() -> None:
    names = {p.name for p in APKS}
    assert {"v1_only.apk", "v2_only.apk", "v3_only.apk", "ec.apk", "dsa.apk", "tampered_dex.apk", "v1_bad_sf.apk",
            "mixed_signers.apk", "v2_stripped.apk", "rotation.apk", "v31.apk", "unsigned.apk"} <= names


@pytest.mark.android_tools("apksigner")
@pytest.mark.parametrize("path", APKS, ids=ids(APKS))
def test_verdict_and_schemes_match_apksigner(path: Path) -> None:
    oracle = apksigner(str(path), tool=tool_for(path))
    ours = verdict(path)
    assert ours.verified == oracle.verifies, (ours.reason, oracle.errors)
    assert (ours.reason is None) == ours.verified
    if oracle.verifies:
        checks: dict[str, bool | None] = {c.scheme: c.verified for c in ours.schemes}
        for scheme, used in oracle.schemes.items():
            if scheme in ("v1", "v2", "v3", "v3.1"):
                assert (checks.get(scheme) is True) == used, (scheme, checks)


@pytest.mark.android_tools("apksigner")
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("path", APKS, ids=ids(APKS))
def test_trusted_certificate_per_level_matches_apksigner(path: Path, level: int) -> None:
    oracle = apksigner(str(path), level, level, tool=tool_for(path))
    ours = verdict(path, level, level)
    assert ours.verified == oracle.verifies, (ours.reason, oracle.errors)
    (only,) = ours.trusted
    assert (only.min_sdk, only.max_sdk) == (level, level)
    if oracle.verifies:
        assert list(only.certificates[:1]) == oracle.certificates[:1]
        checks: dict[str, bool | None] = {c.scheme: c.verified for c in ours.schemes}
        used = [s for s, flag in oracle.schemes.items() if flag and s in ("v1", "v2", "v3", "v3.1")]
        assert only.scheme == used[-1]  # the newest scheme apksigner verified is the one Android uses
        assert all(checks.get(s) is True for s in used)
    else:
        assert only.scheme is None and only.certificates == () and only.reason


@pytest.mark.android_tools("apksigner")
@pytest.mark.parametrize("name", sorted(V1_ONLY))
@pytest.mark.parametrize("level", (29, 30, 32, 33))
def test_v1_only_app_targeting_30_differs_from_apksigner_only_below_its_target(name: str, level: int) -> None:
    oracle = apksigner(str(SIGNING / name), level, level)
    ours = verdict(SIGNING / name, level, level)
    assert ours.verified == (level < 30)
    assert oracle.verifies == (level < 33)  # apksig: "maxSdkVersion >= targetSdkVersion"
    if not ours.verified:
        assert "targets API level 33" in (ours.reason or "")


@pytest.mark.android_tools("apksigner")
def test_rotation_lineage_is_what_apksigner_reads_from_the_apk() -> None:
    for name in ("rotation.apk", "v31.apk"):
        path = SIGNING / name
        oracle = apksigner_lineage(path, tool_for(path))
        rotation = verdict(path).rotation
        assert len(oracle) == 2  # apksigner reads a two-certificate lineage: old key, then the rotated one
        assert list(rotation.lineage if rotation else ()) == oracle
        assert oracle[0] == RELEASE
    assert verdict(SIGNING / "v31.apk").rotation.rotation_min_sdk == 33  # type: ignore[union-attr]
    assert verdict(SIGNING / "rotation.apk").rotation.rotation_min_sdk is None  # type: ignore[union-attr]
    assert verdict(FIXTURES / "clean.apk").rotation is None


def apksigner_lineage(path: Path, tool: str) -> list[str]:
    """``apksigner lineage --in APK --print-certs``: the certificates of its proof-of-rotation, oldest first."""
    cmd = ["apksigner"]
    if tool == "35":
        cmd = ["java", "-cp", str(need_apksigner35()), "com.android.apksigner.ApkSignerTool"]
    out = subprocess.run([*cmd, "lineage", "--in", str(path), "--print-certs"], capture_output=True,
                         text=True, check=True, timeout=120)
    return re.findall(r"certificate SHA-256 digest: (\w+)", out.stdout)


# -- androguard lists the same certificates ---------------------------------------------------------------

logger.disable("androguard")


@pytest.mark.parametrize("path", APKS, ids=ids(APKS))
def test_listed_certificates_match_androguard(path: Path) -> None:
    """We list each signer's certificate as found; androguard the same, except that its v1 list keeps only
    certificates whose signature over the .SF verifies."""
    from androguard.core.apk import APK

    apk = APK(str(path))
    checks: dict[str, SchemeCheck] = {c.scheme: c for c in verdict(path).schemes}
    for scheme, signed, listed in (("v1", apk.is_signed_v1, apk.get_certificates_v1),
                                   ("v2", apk.is_signed_v2, apk.get_certificates_v2),
                                   ("v3", apk.is_signed_v3, apk.get_certificates_v3),
                                   ("v3.1", apk.is_signed_v31, apk.get_certificates_v31)):
        theirs = {hashlib.sha256(c.dump()).hexdigest() for c in listed()} if signed() else set()
        check = checks.get(scheme)
        ours = {s.certificate_sha256 for s in check.signers} if check is not None else set()
        if check is not None and "does not verify against" in (check.reason or ""):
            assert theirs == set()
            ours = set()
        assert ours == theirs, scheme
