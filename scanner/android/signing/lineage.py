"""Proof-of-rotation: the signed chain of signing certificates a v3 / v3.1 signer carries (oldest first).

Format (the value of additional attribute 0x3ba06f8c): ``u32 version (1)``, then length-prefixed nodes,
each ``length-prefixed signed data (length-prefixed certificate, u32 algorithm its parent signed it
with), u32 flags, u32 algorithm this node signs the next with, length-prefixed signature``. Every node
after the first must be signed by its parent's key with the algorithm the parent names; a certificate
may appear only once.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.android.signing.algorithms import ALGORITHMS, verify
from scanner.android.signing.block import Reader, SigningFormatError
from scanner.android.signing.certificates import CertificateError, parse_certificate

PROOF_OF_ROTATION_ID = 0x3BA06F8C


@dataclass(frozen=True, slots=True)
class LineageNode:
    certificate: str  # sha256 of the DER
    flags: int


def parse_lineage(value: bytes) -> tuple[LineageNode, ...]:
    """The verified lineage, oldest first; SigningFormatError if it is malformed or does not verify."""
    reader = Reader(memoryview(value), "proof-of-rotation")
    if reader.u32() != 1:
        raise SigningFormatError("proof-of-rotation: unknown version")
    nodes: list[LineageNode] = []
    parent_key: bytes | None = None
    parent_algorithm = 0
    while reader.remaining:
        number = len(nodes) + 1
        node = Reader(reader.prefixed(), f"proof-of-rotation node #{number}")
        signed = node.prefixed()
        flags, algorithm_id, signature = node.u32(), node.u32(), bytes(node.prefixed())
        content = Reader(signed, f"proof-of-rotation node #{number} signed data")
        der, signed_algorithm = bytes(content.prefixed()), content.u32()
        if parent_key is not None:
            algorithm = ALGORITHMS.get(parent_algorithm)
            if algorithm is None or signed_algorithm != parent_algorithm:
                raise SigningFormatError(f"proof-of-rotation node #{number}: unknown or mismatched algorithm")
            if verify(algorithm, parent_key, signature, bytes(signed)) is not None:
                raise SigningFormatError(f"proof-of-rotation node #{number} is not signed by its parent")
        try:
            cert = parse_certificate(der)
        except CertificateError as exc:
            raise SigningFormatError(f"proof-of-rotation node #{number}: certificate does not parse ({exc})") from None
        if any(n.certificate == cert.sha256 for n in nodes):
            raise SigningFormatError(f"proof-of-rotation node #{number}: certificate already in the lineage")
        nodes.append(LineageNode(cert.sha256, flags))
        parent_key, parent_algorithm = cert.spki, algorithm_id
    return tuple(nodes)
