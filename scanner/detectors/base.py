"""The detector protocol: an id and a pure ``detect`` over an app's facts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..facts import AppFacts


class Detector(Protocol):
    id: str

    def detect(self, facts: AppFacts) -> Iterable[Any]: ...
