"""The entry point: ``verify_signatures(apk, min_sdk, max_sdk)`` -> what Android trusts, level by level.

Never raises on hostile input: every structure that cannot be read becomes a recorded reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from scanner.android.signing.block import (
    V2_BLOCK_ID,
    V3_BLOCK_ID,
    V31_BLOCK_ID,
    SigningFormatError,
    find_signing_block,
    scheme_block,
    zip_sections,
)
from scanner.android.signing.certificates import sha256_of
from scanner.android.signing.digest import ContentDigests
from scanner.android.signing.jar import JarScheme
from scanner.android.signing.scheme import BlockScheme
from scanner.android.signing.trust import (
    NOT_SIGNED,
    Decision,
    Schemes,
    SchemeVerdict,
    checked_schemes,
    consistency,
    decide,
    newest_lineage,
    scheme_verdicts,
)
from scanner.input.safezip import SafeZip
from scanner.model import LATEST_API

SchemeName = Literal["v1", "v2", "v3", "v3.1"]


@dataclass(frozen=True, slots=True)
class SignerCheck:
    certificate_sha256: str  # sha256 hex of the signer's certificate (DER), as listed, verified or not
    min_sdk: int | None  # v3 / v3.1 signers: the API range they are for
    max_sdk: int | None


@dataclass(frozen=True, slots=True)
class SchemeCheck:
    scheme: SchemeName
    verified: bool | None  # None: no level of the range uses this scheme, so it was not checked
    reason: str | None  # why it does not verify, when verified is False
    signers: tuple[SignerCheck, ...]


@dataclass(frozen=True, slots=True)
class TrustedRange:
    min_sdk: int
    max_sdk: int
    scheme: SchemeName | None  # None: no signature verifies there; Android refuses to install
    certificates: tuple[str, ...]
    reason: str | None  # why nothing verifies, when scheme is None


@dataclass(frozen=True, slots=True)
class Rotation:
    lineage: tuple[str, ...]  # certificate sha256s, oldest first
    rotation_min_sdk: int | None  # where the v3.1 block (the rotated key) starts, if there is one


@dataclass(frozen=True, slots=True)
class SignatureVerdict:
    verified: bool
    reason: str | None
    schemes: tuple[SchemeCheck, ...]  # only the schemes present in the APK
    trusted: tuple[TrustedRange, ...]
    rotation: Rotation | None
    # the DER of every listed signer certificate by its sha256, for reports (subject, issuer)
    certificates: Mapping[str, bytes] = field(default_factory=dict)
    block_damage: str | None = None  # why the APK Signing Block could not be read (Android then ignores it)


def verify_signatures(apk: SafeZip, min_sdk: int, max_sdk: int = LATEST_API, *,
                      target_sdk: int | None = None) -> SignatureVerdict:
    """Verify ``apk``'s signatures for every API level in ``[min_sdk, max_sdk]``, as Android would.

    ``target_sdk`` (the manifest's) matters from API 30: an app targeting 30+ must be signed with v2+.
    """
    low, high = max(0, min_sdk), max(max(0, min_sdk), max_sdk)
    schemes = _schemes(apk, target_sdk)
    last = max(low, min(high, LATEST_API + 1))  # nothing changes above the newest level we know
    trusted = _merge([(level, decide(schemes, level)) for level in range(low, last + 1)])
    if high > last:
        end = trusted[-1]
        trusted = (*trusted[:-1], TrustedRange(end.min_sdk, high, end.scheme, end.certificates, end.reason))
    verdicts = scheme_verdicts(schemes, low, high)
    reasons = [r.reason for r in reversed(trusted) if r.reason is not None]
    reasons += [v.reason for v in verdicts.values() if v.checked and v.reason is not None]
    if not reasons and (problem := consistency(schemes, verdicts, low, high)) is not None:
        reasons.append(problem)
    reason = reasons[0] if reasons else None
    if trusted and all(r.reason == NOT_SIGNED for r in trusted):
        reason = NOT_SIGNED
    lineage = newest_lineage(schemes)
    rotation = None
    if lineage is not None or schemes.v31 is not None:
        rotation = Rotation(tuple(n.certificate for n in lineage or ()), schemes.rotation_min())
    return SignatureVerdict(reason is None, reason, _scheme_checks(schemes, verdicts, low, high), trusted, rotation,
                            _certificates(schemes), schemes.damage)


def _certificates(s: Schemes) -> dict[str, bytes]:
    found: list[bytes | None] = []
    if s.jar.present:
        found += [signer.signature.listed_der() for signer in s.jar.signers()]
    for block in (s.v2, s.v3, s.v31):
        if block is not None:
            found += [block.certificate_der(i) for i in range(len(block.records))]
    return {sha256_of(der): der for der in found if der is not None}


def _schemes(apk: SafeZip, target_sdk: int | None) -> Schemes:
    data = memoryview(apk.data)
    found: dict[int, BlockScheme] = {}
    damage = None
    try:
        sections = zip_sections(data)
        block = find_signing_block(data, sections)
    except SigningFormatError as exc:
        block, damage = None, str(exc)
    if block is not None:
        digests = ContentDigests(data, block.offset, sections.cd_offset, sections.eocd_offset, sections.eocd)
        for block_id, name in ((V2_BLOCK_ID, "v2"), (V3_BLOCK_ID, "v3"), (V31_BLOCK_ID, "v3.1")):
            try:
                value = scheme_block(block, block_id)
            except SigningFormatError as exc:
                damage = damage or str(exc)
                continue
            if value is not None:
                found[block_id] = BlockScheme(name, value, digests)
    return Schemes(JarScheme(apk), found.get(V2_BLOCK_ID), found.get(V3_BLOCK_ID), found.get(V31_BLOCK_ID),
                   damage, target_sdk)


def _merge(decisions: list[tuple[int, Decision]]) -> tuple[TrustedRange, ...]:
    ranges: list[TrustedRange] = []
    for level, d in decisions:
        scheme: SchemeName | None = d.scheme  # type: ignore[assignment]  # decide() names only these
        last = ranges[-1] if ranges else None
        if last is not None and (last.scheme, last.certificates, last.reason) == (scheme, d.certificates, d.reason):
            ranges[-1] = TrustedRange(last.min_sdk, level, scheme, d.certificates, d.reason)
        else:
            ranges.append(TrustedRange(level, level, scheme, d.certificates, d.reason))
    return tuple(ranges)


def _scheme_checks(s: Schemes, verdicts: dict[str, SchemeVerdict], low: int, high: int) -> tuple[SchemeCheck, ...]:
    checked = checked_schemes(s, low, high)
    found: list[SchemeCheck] = []
    if s.jar.present:
        listed = [c for signer in s.jar.signers() if (c := signer.signature.listed()) is not None]
        found.append(_check("v1", checked["v1"], verdicts, tuple(SignerCheck(c, None, None) for c in listed)))
    for name, block in (("v2", s.v2), ("v3", s.v3), ("v3.1", s.v31)):
        if block is None:
            continue
        signers = tuple(SignerCheck(c, r.min_sdk, r.max_sdk) for i, r in enumerate(block.records)
                        if (c := block.certificate(i)) is not None)
        found.append(_check(name, checked[name], verdicts, signers))  # type: ignore[arg-type]
    return tuple(found)


def _check(name: SchemeName, checked: bool, verdicts: dict[str, SchemeVerdict],
           signers: tuple[SignerCheck, ...]) -> SchemeCheck:
    verdict = verdicts.get(name)
    reason = verdict.reason if verdict is not None else None
    if not checked:
        return SchemeCheck(name, None, None, signers)
    return SchemeCheck(name, reason is None, reason, signers)
