"""Detectors: pure functions of AppFacts and the knowledge base (filled by later work)."""

from __future__ import annotations

from .base import Detector

ALL: tuple[Detector, ...] = ()
