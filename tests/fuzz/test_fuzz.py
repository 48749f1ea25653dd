"""Each reader of hostile input, fed mutated fixtures: only its typed errors escape, within time and memory.

The CI profile is derandomized (reproducible) and sized so that the five targets take about a minute
and a half under ``make test``; ``make fuzz`` runs the same targets for minutes (tests/fuzz/campaign.py).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings

from tests.fuzz.targets import TARGETS, run

CI_EXAMPLES = {"zip": 9000, "manifest": 3000, "arsc": 9000, "dex": 9000, "signing": 2200}


def _fuzz(name: str) -> Any:
    target = TARGETS[name]

    @settings(max_examples=CI_EXAMPLES[name]) if settings.default.derandomize else settings()
    @given(target.strategy)
    def check(args: tuple[Any, ...]) -> None:
        run(name, target.prop, target.allowed, *args)

    return check


test_zip_layer = _fuzz("zip")
test_binary_xml_manifest = _fuzz("manifest")
test_resource_table = _fuzz("arsc")
test_dex_reader = _fuzz("dex")
test_signing_block = _fuzz("signing")
