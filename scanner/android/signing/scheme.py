"""One APK Signature Scheme block (v2, v3 or v3.1) checked the way Android at a given API level checks it.

v2: every signer must verify. v3 / v3.1: the signer whose ``[min SDK, max SDK]`` covers the level is
the one verified; none covering is a failure for v3 and "not for this platform" for v3.1 (Android then
goes on to v3). For each signer: the strongest signature algorithm the level knows, its signature over
the signed data, the certificates (the first one's public key must be the signer's), the algorithm
lists of digests and signatures equal, the additional attributes (v2's stripping protection, v3's
proof-of-rotation and rotation-min-sdk-version), then the content digest against the APK.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from scanner.android.signing.algorithms import API_P, Algorithm, strongest, verify
from scanner.android.signing.block import SignedData, SignerRecord, SigningFormatError, parse_signed_data, parse_signers
from scanner.android.signing.certificates import CertificateError, parse_certificate, sha256_of
from scanner.android.signing.digest import ContentDigests, DigestKind
from scanner.android.signing.lineage import PROOF_OF_ROTATION_ID, LineageNode, parse_lineage

API_T = 33
STRIPPING_PROTECTION_ID = 0xBEEFF00D
ROTATION_MIN_SDK_ID = 0x559F8B02
MAX_SIGNERS = 10


@dataclass(frozen=True, slots=True)
class Verified:
    certificates: tuple[str, ...]  # sha256 of each signer's certificate


@dataclass(frozen=True, slots=True)
class Failed:
    reason: str


Outcome = Verified | Failed | None  # None: the scheme has nothing for this level (Android looks further)


class BlockScheme:
    def __init__(self, name: str, value: memoryview, digests: ContentDigests) -> None:
        self.name, self.v3, self.digests = name, name != "v2", digests
        self.damage: str | None = None
        self.records: tuple[SignerRecord, ...] = ()
        try:
            self.records = parse_signers(value, self.v3, name)
        except SigningFormatError as exc:
            self.damage = str(exc)
        self._signed: dict[int, SignedData | str] = {}
        self._checked: dict[tuple[int, int, bool, int | None], str | None] = {}

    # -- what is there, unverified --------------------------------------------------------------

    def signed_data(self, index: int) -> SignedData | str:
        if index not in self._signed:
            try:
                self._signed[index] = parse_signed_data(self.records[index], self.v3, f"signer #{index + 1}")
            except SigningFormatError as exc:
                self._signed[index] = str(exc)
        return self._signed[index]

    def certificate(self, index: int) -> str | None:
        der = self.certificate_der(index)
        return sha256_of(der) if der is not None else None

    def certificate_der(self, index: int) -> bytes | None:
        signed = self.signed_data(index)
        return bytes(signed.certificates[0]) if isinstance(signed, SignedData) and signed.certificates else None

    def attribute(self, index: int, attribute_id: int) -> bytes | None:
        signed = self.signed_data(index)
        if isinstance(signed, SignedData):
            return next((v for i, v in signed.attributes if i == attribute_id), None)
        return None

    def lineage(self, index: int) -> tuple[LineageNode, ...] | None:
        value = self.attribute(index, PROOF_OF_ROTATION_ID)
        try:
            return parse_lineage(value) if value is not None else None
        except SigningFormatError:
            return None

    def covering(self, level: int) -> list[int]:
        return [i for i, r in enumerate(self.records) if r.min_sdk is not None and r.max_sdk is not None
                and r.min_sdk <= level <= r.max_sdk]

    # -- Android's verdict at one level ---------------------------------------------------------

    def at(self, level: int, rotation_min: int | None = None, newer_found: bool = False) -> Outcome:
        """Android's verdict at ``level``; ``rotation_min``: the v3.1 block's start (v3 at API 33+),
        ``newer_found``: a v3 block exists, so v2's stripping protection has nothing to say."""
        if self.damage is not None:
            return Failed(f"{self.name}: {self.damage}")
        if not self.records:
            return None if self.name == "v3.1" else Failed(f"{self.name}: the block lists no signers")
        if not self.v3:
            return self._v2_at(level, newer_found)
        covering = self.covering(level)
        if not covering:
            return None if self.name == "v3.1" else Failed(self._uncovered(level, rotation_min))
        if len(covering) > 1:
            return Failed(f"{self.name}: {len(covering)} of its signers cover this API level; Android accepts one")
        index = covering[0]
        if (problem := self.check(index, level, rotation_min)) is not None:
            return Failed(f"{self.name}: {self._who(index)}{problem}")
        return Verified((self.certificate(index) or "",))

    def _v2_at(self, level: int, newer_found: bool) -> Outcome:
        if len(self.records) > MAX_SIGNERS:
            return Failed(f"v2: {len(self.records)} signers, more than Android accepts ({MAX_SIGNERS})")
        for index in range(len(self.records)):
            if (problem := self.check(index, level, -1 if newer_found else None)) is not None:
                return Failed(f"v2: {self._who(index)}{problem}")
        return Verified(tuple(self.certificate(i) or "" for i in range(len(self.records))))

    def _uncovered(self, level: int, rotation_min: int | None) -> str:
        spans = ", ".join(f"{r.min_sdk}-{r.max_sdk}" for r in self.records)
        reason = f"v3: none of its signers covers this API level (they cover {spans})"
        if level >= API_T and rotation_min is None:
            named = [v for i in range(len(self.records)) if (v := self.attribute(i, ROTATION_MIN_SDK_ID))]
            if named and len(named[0]) >= 4:
                start = struct.unpack_from("<I", named[0])[0]
                reason += f"; its signer expects a v3.1 block from API level {start}, and there is none: stripped"
        return reason

    def _who(self, index: int) -> str:
        return f"signer #{index + 1}: " if len(self.records) > 1 else ""

    def check(self, index: int, level: int, rotation_min: int | None) -> str | None:
        """None if signer ``index`` verifies at ``level``, else why not. ``rotation_min``: for v3 at API 33+
        the v3.1 block's start (None: no v3.1 block); for v2 at API 28+ None (no v3 block: stripping
        protection applies); -1 to leave those attribute checks out."""
        record = self.records[index]
        ids = [a for a, _ in record.signatures]
        if not ids:
            return "it has no signatures"
        algorithm = strongest(ids, level)
        if algorithm is None:
            known = ", ".join(f"0x{a:04x}" for a in ids)
            return f"none of its signature algorithms ({known}) is supported on API level {level}"
        if self.name == "v3.1" or (self.name == "v3" and level < API_T) or (not self.v3 and level < API_P):
            rotation_min = -1  # -1: nothing level-dependent to check in the attributes
        key = (index, algorithm.id, level >= API_P, rotation_min)
        if key not in self._checked:
            self._checked[key] = self._verify(index, record, algorithm, level, rotation_min)
        return self._checked[key]

    def _verify(self, index: int, record: SignerRecord, algorithm: Algorithm, level: int,
                rotation_min: int | None) -> str | None:
        signature = next(s for a, s in record.signatures if a == algorithm.id)
        if (problem := verify(algorithm, record.public_key, signature, record.signed_data)) is not None:
            return problem
        signed = self.signed_data(index)
        if isinstance(signed, str):
            return signed
        if [a for a, _ in signed.digests] != [a for a, _ in record.signatures]:
            return "the algorithms of its digests and of its signatures differ"
        if not signed.certificates:
            return "it lists no certificates"
        for number, der in enumerate(signed.certificates, 1):
            try:
                cert = parse_certificate(der)
            except CertificateError as exc:
                return f"its certificate #{number} does not parse ({exc})"
            if number == 1 and cert.spki != record.public_key:
                return "its public key is not the one of its certificate"
        if self.v3 and (signed.min_sdk, signed.max_sdk) != (record.min_sdk, record.max_sdk):
            return "the SDK range in its signed data differs from the one outside it"
        if (problem := self._attributes(index, signed, level, rotation_min)) is not None:
            return problem
        expected = next((d for a, d in signed.digests if a == algorithm.id), None)
        return self._integrity(algorithm.digest, expected)

    def _attributes(self, index: int, signed: SignedData, level: int, rotation_min: int | None) -> str | None:
        proofs = 0
        for attribute_id, value in signed.attributes:
            if not self.v3:
                problem = _stripping(attribute_id, value, rotation_min)
            elif attribute_id == PROOF_OF_ROTATION_ID:
                proofs += 1
                problem = "it has two proof-of-rotation records" if proofs > 1 else self._proof(index, value)
            elif attribute_id == ROTATION_MIN_SDK_ID and self.name == "v3" and rotation_min != -1:
                problem = _rotation_min(value, rotation_min)
            else:
                problem = None
            if problem is not None:
                return problem
        return None

    def _proof(self, index: int, value: bytes) -> str | None:
        try:
            nodes = parse_lineage(value)
        except SigningFormatError as exc:
            return f"its proof-of-rotation does not verify: {exc}"
        if nodes and nodes[-1].certificate != self.certificate(index):
            return "the last certificate of its proof-of-rotation is not its signing certificate"
        return None

    def _integrity(self, kind: DigestKind, expected: bytes | None) -> str | None:
        if expected is None:
            return f"it has no {kind.label} content digest"
        if kind is DigestKind.VERITY and (problem := self.digests.verity_misalignment()) is not None:
            return problem
        if self.digests.get(kind) != expected:
            return f"the {kind.label} content digest does not match: the APK was changed after signing"
        return None


def _stripping(attribute_id: int, value: bytes, rotation_min: int | None) -> str | None:
    """v2's stripping protection (checked from API 28, when there is no v3 block: ``rotation_min`` not -1)."""
    if attribute_id != STRIPPING_PROTECTION_ID:
        return None
    if len(value) < 4:
        return "its stripping-protection attribute is malformed"
    if rotation_min != -1 and struct.unpack_from("<I", value)[0] == 3:
        return ("its stripping protection says the APK was also signed with v3, and there is no v3 signature: "
                "it was stripped")
    return None


def _rotation_min(value: bytes, rotation_min: int | None) -> str | None:
    """v3's rotation-min-sdk-version attribute against the v3.1 block's start (None: there is no v3.1 block)."""
    if len(value) < 4:
        return "its rotation-min-sdk-version attribute is malformed"
    wanted = struct.unpack_from("<I", value)[0]
    if rotation_min is None:
        return f"it expects a v3.1 block from API level {wanted}, and there is none: it was stripped"
    if wanted != rotation_min:
        return f"it expects the v3.1 block to start at API level {wanted}; the block starts at {rotation_min}"
    return None
