"""appaudit on real vendor SDK bytecode: each headline figure stays at or above its pinned floor.

The accuracy set (bench/accuracy) downloads pinned SDK packages from the npm registry, builds evaluation
apps with the Android tools and D8, and derives its truth without appaudit's knowledge base; this test
builds it (cached under bench/cache/accuracy), scores the installed CLI on it and compares with
bench/accuracy/pinned.toml. It needs the Android tools (skipped without them, except in CI) and java.
"""

from __future__ import annotations

import importlib
import shutil
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import in_ci

ROOT = Path(__file__).resolve().parent.parent
PINNED = ROOT / "bench" / "accuracy" / "pinned.toml"

pytestmark = pytest.mark.android_tools("aapt", "apksigner", "dexdump", "smali", "zipalign")


def _accuracy(module: str) -> ModuleType:
    """A module of the accuracy set, which lives in bench/ (not an installed package)."""
    bench = str(ROOT / "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    return importlib.import_module(f"accuracy.{module}")


@pytest.fixture(scope="module")
def result() -> dict[str, object]:
    if shutil.which("java") is None and not in_ci():
        pytest.skip("needs java for D8 (Debian: apt-get install default-jre-headless); with CI=true it fails instead")
    built = _accuracy("build").build(log=False)
    assert not built["failures"], built["failures"]
    scored = _accuracy("score").score(built)
    assert not scored["failures"], scored["failures"]
    return dict(scored)


def test_every_app_and_sdk_row_was_scored(result: dict[str, object]) -> None:
    catalog = _accuracy("catalog")
    sdks = catalog.load_sdks()
    apps = catalog.load_apps(sdks)
    assert {a["app"] for a in result["apps"]} == {a.name for a in apps}  # type: ignore[union-attr]
    assert set(result["sdks"]) == set(sdks)  # type: ignore[arg-type]
    assert result["total"]["truth_sites"] > 0  # type: ignore[index]


def test_headline_figures_are_at_least_their_floors(result: dict[str, object]) -> None:
    floors = tomllib.loads(PINNED.read_text(encoding="utf-8"))["floors"]
    total = result["total"]
    below = {figure: (total[figure], floor) for figure, floor in floors.items()  # type: ignore[index]
             if total[figure] is None or total[figure] < floor}  # type: ignore[index]
    assert not below, f"below the floors of bench/accuracy/pinned.toml (value, floor): {below}"


def test_no_version_is_claimed_for_an_sdk_build_that_states_none(result: dict[str, object]) -> None:
    """A wrong version is worse than none: the SDK list a regulator reads would carry it."""
    assert result["total"]["version_claims_wrong"] == 0  # type: ignore[index]
