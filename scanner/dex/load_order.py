"""Which ``classes*.dex`` entries Android loads, and in what order; without NumPy, for the signing child too."""

from __future__ import annotations

import re
from collections.abc import Iterable

_DEX_NAME = re.compile(r"^classes(\d*)\.dex$")


def loaded_dex_names(names: Iterable[str]) -> tuple[list[str], list[str]]:
    """(dex entries Android loads, in load order; ``classes*.dex`` entries it ignores)."""
    present = {n for n in names if _DEX_NAME.match(n)}
    loaded = []
    number = 1
    while (name := "classes.dex" if number == 1 else f"classes{number}.dex") in present:
        loaded.append(name)
        number += 1
    return loaded, sorted(present - set(loaded))
