"""Hypothesis profile of the fuzz targets: ``ci`` (reproducible, bounded) unless FUZZ_PROFILE says otherwise."""

from __future__ import annotations

import os

from hypothesis import settings

from tests.fuzz.targets import register_profiles

register_profiles()
settings.load_profile(os.environ.get("FUZZ_PROFILE", "ci"))
