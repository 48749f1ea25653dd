"""Fuzz target of the signature verifier (scanner/android/signing): mutated signing fixtures give a verdict.

Seeds: every block-signed fixture, mutated in place inside its APK Signing Block (hot spots: the block's
sizes, the first pair, the signer records), and the v1-only fixtures mutated anywhere (their JAR
signature files, the manifest, the zip around them). The property: a zip SafeZip accepts is verified
without any exception, within the limits ``run`` enforces, and the verdict is self-consistent.

``TARGET`` is the entry for tests/fuzz/targets.py's ``TARGETS`` (campaigns); the test here is its CI run.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.android.signing import verify_signatures
from scanner.errors import ScanFailure
from scanner.input.safezip import SafeZip
from tests.conftest import FIXTURES
from tests.fuzz.mutate import ZIP_SIGS, Seed, hot_spots, mutated, signing_block
from tests.fuzz.targets import Target, run

SIGNING = FIXTURES / "signing"
CI_EXAMPLES = 600


def _block_seed(name: str) -> Seed | None:
    data = (FIXTURES / name).read_bytes()
    block = signing_block(data)
    if block is None:
        return None
    start, end = block
    pairs = [start + 8, start + 16, start + 20, start + 24, start + 28, start + 32]
    return Seed(name, data, lo=start, hi=end, hot=(*pairs, end - 24, end - 16))


BLOCK_SEEDS = [s for n in ["clean.apk", *sorted(f"signing/{p.name}" for p in SIGNING.glob("*.apk"))]
               if (s := _block_seed(n)) is not None]
JAR_SEEDS = [Seed(n, d, hot=hot_spots(d, (*ZIP_SIGS, b"META-INF/", b"Digest")))
             for n in ("v1_only.apk", "jar_signed_attrs.apk", "v1_bad_sf.apk")
             for d in [(SIGNING / n).read_bytes()]]


def verifier(data: bytes) -> None:
    try:
        apk = SafeZip(data, "fuzz.apk")
    except ScanFailure:
        return  # the zip layer's verdict (its own target); the signatures are what is fuzzed here
    result = verify_signatures(apk, 21, 36, target_sdk=33)
    assert result.verified == (result.reason is None)
    assert [r.min_sdk for r in result.trusted][0] == 21 and result.trusted[-1].max_sdk == 36
    assert all((r.scheme is None) == (r.reason is not None) for r in result.trusted)


TARGET = Target("signing-verifier",
                st.tuples(st.one_of(mutated(BLOCK_SEEDS, keep_size=True), mutated(JAR_SEEDS))), verifier, ())


@settings(max_examples=CI_EXAMPLES) if settings.default.derandomize else settings()
@given(TARGET.strategy)
def test_signing_verifier(args: tuple[Any, ...]) -> None:
    run(TARGET.name, TARGET.prop, TARGET.allowed, *args)
